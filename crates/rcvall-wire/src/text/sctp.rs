//! `print-sctp.c`: the SCTP common header and its chunks.

use super::{Printer, R};

/// ForCES (RFC 5811) channels, which tcpdump names after the ports.
const FORCES_PORTS: [(u16, &str); 3] = [
    (6704, "ForCES HP"),
    (6705, "ForCES MP"),
    (6706, "ForCES LP"),
];

impl Printer<'_> {
    /// `sctp_print`: `iph` is the enclosing IP header.
    pub(super) fn sctp(&mut self, mut bp: usize, iph: usize, length: u32) -> R {
        self.proto = "sctp";
        if length < 12 {
            self.p(format_args!(
                "truncated-sctp - {} bytes missing!",
                12 - length
            ));
            return Ok(());
        }
        if !self.avail(bp, 12) {
            self.trunc_here();
            return Ok(());
        }
        let (sport, dport) = (self.u16(bp)?, self.u16(bp + 2)?);
        let (src, dst, _) = self.ip_hdr(iph)?;
        self.p(format_args!("{src}.{sport} > {dst}.{dport}: sctp"));
        let mut forces = false;
        for port in [sport, dport] {
            if let Some((_, name)) = FORCES_PORTS.iter().find(|(p, _)| *p == port) {
                self.p(format_args!("[{name}]"));
                forces = true;
            }
        }
        bp += 12;
        // u_int and uint16_t in tcpdump: both wrap, and the walk then ends at the capture end.
        let mut remaining = length - 12;
        let mut sep = if self.verbose >= 2 { "\n\t" } else { " (" };
        let mut count = 0u32;
        while remaining != 0 {
            if remaining < 4 {
                self.p(format_args!(
                    "{sep}{}) [chunk descriptor cut off at end of packet]",
                    count + 1
                ));
                break;
            }
            if !self.avail(bp, 4) {
                self.trunc_here();
                return Ok(());
            }
            let chunk = bp;
            let chunk_len = self.u16(chunk + 2)?;
            if chunk_len < 4 {
                self.p(format_args!(
                    "{sep}{}) [Bad chunk length {chunk_len}, < size of chunk descriptor]",
                    count + 1
                ));
                break;
            }
            let align = match chunk_len % 4 {
                0 => 0,
                a => 4 - a,
            };
            if remaining < u32::from(align) {
                self.p(format_args!(
                    "{sep}{}) [Bad chunk length {chunk_len}, > remaining data in packet]",
                    count + 1
                ));
                break;
            }
            if !self.avail(bp, usize::from(chunk_len)) {
                self.trunc_here();
                return Ok(());
            }
            bp += 4;
            remaining = remaining.wrapping_sub(4);
            let mut left: u16 = chunk_len - 4;
            self.p(format_args!("{sep}{}) ", count + 1));
            let id = self.u8(chunk)?;
            match chunk_name(id) {
                Some(n) => self.p(format_args!("[{n}] ")),
                None => self.p(format_args!("[Unknown chunk type: 0x{id:x}] ")),
            }
            let bogus = |p: &mut Self| p.p(format_args!("bogus chunk length {chunk_len}]"));
            match id {
                0 => {
                    let flags = self.u8(chunk + 1)?;
                    if flags & 4 != 0 {
                        self.ps("(U)");
                    }
                    if flags & 2 != 0 {
                        self.ps("(B)");
                    }
                    if flags & 1 != 0 {
                        self.ps("(E)");
                    }
                    if flags & 7 != 0 {
                        self.ps(" ");
                    }
                    if left < 12 {
                        bogus(self);
                        return Ok(());
                    }
                    let ppid = self.u32(bp + 8)?;
                    let tsn = self.u32(bp)?;
                    self.p(format_args!("[TSN: {tsn}] "));
                    let sid = self.u16(bp + 4)?;
                    self.p(format_args!("[SID: {sid}] "));
                    let sseq = self.u16(bp + 6)?;
                    self.p(format_args!("[SSEQ {sseq}] "));
                    match ppid_name(ppid) {
                        Some(n) => self.p(format_args!("[PPID {n}] ")),
                        None => self.p(format_args!("[PPID 0x{ppid:x}] ")),
                    }
                    forces = forces || matches!(ppid, 21..=23);
                    bp += 12;
                    remaining = remaining.wrapping_sub(12);
                    left -= 12;
                    let payload = left;
                    if payload == 0 {
                        bogus(self);
                        return Ok(());
                    }
                    // ForCES payloads and M3UA messages are not decoded (a documented gap):
                    // only m3ua_print's first checks are mirrored.
                    if !forces && self.verbose >= 2 {
                        if ppid == 3 {
                            self.proto = "m3ua";
                            if payload < 8 {
                                self.ps(" (invalid)");
                            } else if !self.avail(bp, 8) {
                                self.trunc_here();
                                return Ok(());
                            }
                            self.proto = "sctp";
                        } else {
                            self.ps("[Payload:");
                            self.default_print(bp, u32::from(payload))?;
                            self.ps("]");
                        }
                    }
                    bp += usize::from(payload);
                    remaining = remaining.wrapping_sub(u32::from(payload));
                    left = 0;
                }
                1 | 2 => {
                    if left < 16 {
                        bogus(self);
                        return Ok(());
                    }
                    let tag = self.u32(bp)?;
                    self.p(format_args!("[init tag: {tag}] "));
                    let rwnd = self.u32(bp + 4)?;
                    self.p(format_args!("[rwnd: {rwnd}] "));
                    let os = self.u16(bp + 8)?;
                    self.p(format_args!("[OS: {os}] "));
                    let mis = self.u16(bp + 10)?;
                    self.p(format_args!("[MIS: {mis}] "));
                    let tsn = self.u32(bp + 12)?;
                    self.p(format_args!("[init TSN: {tsn}] "));
                    bp += usize::from(left);
                    remaining = remaining.wrapping_sub(u32::from(left));
                    left = 0;
                }
                3 => {
                    if left < 12 {
                        bogus(self);
                        return Ok(());
                    }
                    let sack = bp;
                    let cum = self.u32(sack)?;
                    self.p(format_args!("[cum ack {cum}] "));
                    let rwnd = self.u32(sack + 4)?;
                    self.p(format_args!("[a_rwnd {rwnd}] "));
                    let gaps = self.u16(sack + 8)?;
                    self.p(format_args!("[#gap acks {gaps}] "));
                    let dups = self.u16(sack + 10)?;
                    self.p(format_args!("[#dup tsns {dups}] "));
                    bp += 12;
                    remaining = remaining.wrapping_sub(12);
                    left -= 12;
                    let mut n = 0u16;
                    while left != 0 && n < self.u16(sack + 8)? {
                        if left < 4 {
                            bogus(self);
                            return Ok(());
                        }
                        let (start, end) = (self.u16(bp)?, self.u16(bp + 2)?);
                        let base = self.u32(sack)?;
                        self.p(format_args!(
                            "\n\t\t[gap ack block #{}: start = {}, end = {}] ",
                            n + 1,
                            base.wrapping_add(u32::from(start)),
                            base.wrapping_add(u32::from(end))
                        ));
                        bp += 4;
                        remaining = remaining.wrapping_sub(4);
                        left -= 4;
                        n += 1;
                    }
                    let mut n = 0u16;
                    while left != 0 && n < self.u16(sack + 10)? {
                        if left < 4 {
                            bogus(self);
                            return Ok(());
                        }
                        let tsn = self.u32(bp)?;
                        self.p(format_args!("\n\t\t[dup TSN #{}: {tsn}] ", n + 1));
                        bp += 4;
                        remaining = remaining.wrapping_sub(4);
                        left -= 4;
                        n += 1;
                    }
                }
                _ => {
                    bp += usize::from(left);
                    remaining = remaining.wrapping_sub(u32::from(left));
                    left = 0;
                }
            }
            bp += usize::from(left);
            remaining = remaining.wrapping_sub(u32::from(left));
            if self.verbose < 2 {
                sep = ", (";
            }
            if align != 0 {
                if !self.avail(bp, usize::from(align)) {
                    self.trunc_here();
                    return Ok(());
                }
                bp += usize::from(align);
                remaining = remaining.wrapping_sub(u32::from(align));
            }
            count += 1;
        }
        Ok(())
    }
}

fn chunk_name(id: u8) -> Option<&'static str> {
    Some(match id {
        0x00 => "DATA",
        0x01 => "INIT",
        0x02 => "INIT ACK",
        0x03 => "SACK",
        0x04 => "HB REQ",
        0x05 => "HB ACK",
        0x06 => "ABORT",
        0x07 => "SHUTDOWN",
        0x08 => "SHUTDOWN ACK",
        0x09 => "OP ERR",
        0x0a => "COOKIE ECHO",
        0x0b => "COOKIE ACK",
        0x0c => "ECN ECHO",
        0x0d => "ECN CWR",
        0x0e => "SHUTDOWN COMPLETE",
        0xc0 => "FOR CUM TSN",
        0xc1 => "REL CTRL",
        0xc2 => "REL CTRL ACK",
        _ => return None,
    })
}

/// `PayloadProto_idents`.
fn ppid_name(ppid: u32) -> Option<&'static str> {
    Some(match ppid {
        1 => "ISDN Q.921",
        2 => "M2UA",
        3 => "M3UA",
        4 => "SUA",
        5 => "M2PA",
        6 => "V5.2",
        7 => "H.248",
        8 => "BICC",
        9 => "TALI",
        10 => "DUA",
        11 => "ASAP",
        12 => "ENRP",
        13 => "H.323",
        14 => "Q.IPC",
        15 => "SIMCO",
        16 => "DDPSC",
        17 => "DDPSSC",
        18 => "S1AP",
        19 => "RUA",
        20 => "HNBAP",
        21 => "ForCES HP",
        22 => "ForCES MP",
        23 => "ForCES LP",
        24 => "SBc-AP",
        25 => "NBAP",
        27 => "X2AP",
        _ => return None,
    })
}
