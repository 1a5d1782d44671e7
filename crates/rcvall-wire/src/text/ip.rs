//! `print-ip.c`: the IPv4 header.

use super::{proto, Printer, Trunc, R};

impl Printer<'_> {
    /// `ip_print`: `b` is the offset of the IPv4 header in `buf`.
    pub(super) fn ip4(&mut self, b: usize, length: u32) -> R {
        self.proto = "ip";
        let v = self.u8(b)? >> 4;
        if v != 4 {
            if v == 6 {
                self.ps("IP6, wrong link-layer encapsulation");
            } else {
                self.p(format_args!("IP{v}"));
            }
            self.ps(" (invalid)");
            return Ok(());
        }
        self.ps("IP ");
        if !self.avail(b, 20) {
            self.trunc_here();
            return Ok(());
        }
        if length < 20 {
            self.p(format_args!("truncated-ip {length}"));
            return Ok(());
        }
        let hlen = u32::from(self.u8(b)? & 0x0f) * 4;
        if hlen < 20 {
            self.p(format_args!("bad-hlen {hlen}"));
            return Ok(());
        }
        let mut len = u32::from(self.u16(b + 2)?);
        if length < len {
            self.p(format_args!(
                "truncated-ip - {} bytes missing! ",
                len - length
            ));
        }
        if len < hlen {
            self.p(format_args!("bad-len {len}"));
            return Ok(());
        }
        self.narrow(b, len);
        len -= hlen;
        let off = self.u16(b + 6)?;
        let nh = self.u8(b + 9)?;
        if self.verbose > 0 && !self.ip4_verbose(b, hlen, off, nh)? {
            let (src, dst) = (self.addr(b + 12, 4)?, self.addr(b + 16, 4)?);
            self.p(format_args!("{src} > {dst}: "));
            self.trunc_here();
            return Ok(());
        }
        if off & 0x1fff == 0 {
            if !matches!(nh, proto::TCP | proto::UDP | proto::SCTP | proto::DCCP) {
                let (src, dst) = (self.addr(b + 12, 4)?, self.addr(b + 16, 4)?);
                self.p(format_args!("{src} > {dst}: "));
            }
            if !self.avail(b, hlen as usize) {
                let have = self.snap.saturating_sub(b);
                self.p(format_args!(
                    " [remaining caplen({have}) < header length({hlen})]"
                ));
                return Err(Trunc);
            }
            let fragmented = off & 0x2000 != 0;
            self.demux(b + hlen as usize, len, 4, fragmented, nh, b)
        } else {
            let (src, dst) = (self.addr(b + 12, 4)?, self.addr(b + 16, 4)?);
            self.p(format_args!("{src} > {dst}: ip-proto-{nh}"));
            Ok(())
        }
    }

    /// The `-v` parenthesis and the line break after it; `false` when an option was cut short.
    fn ip4_verbose(&mut self, b: usize, hlen: u32, off: u16, nh: u8) -> Result<bool, Trunc> {
        let tos = self.u8(b + 1)?;
        self.p(format_args!("(tos 0x{tos:x}"));
        match tos & 3 {
            1 => self.ps(",ECT(1)"),
            2 => self.ps(",ECT(0)"),
            3 => self.ps(",CE"),
            _ => {}
        }
        let ttl = self.u8(b + 8)?;
        if ttl >= 1 {
            self.p(format_args!(", ttl {ttl}"));
        }
        let id = self.u16(b + 4)?;
        self.p(format_args!(
            ", id {id}, offset {}, flags [",
            u32::from(off & 0x1fff) * 8
        ));
        // tcpdump's `ip_frag_values` order, joined by `bittok2str`'s ", ".
        let names: Vec<&str> = [(0x2000, "+"), (0x4000, "DF"), (0x8000, "rsvd")]
            .iter()
            .filter(|(bit, _)| off & bit != 0)
            .map(|&(_, n)| n)
            .collect();
        if names.is_empty() {
            self.ps("none");
        } else {
            self.ps(&names.join(", "));
        }
        let name = ipproto_name(nh).unwrap_or("unknown");
        let total = self.u16(b + 2)?;
        self.p(format_args!("], proto {name} ({nh}), length {total}"));
        let mut complete = true;
        if hlen > 20 {
            self.ps(", options (");
            if !self.ip_options(b + 20, hlen - 20)? {
                self.ps(" [truncated-option]");
                complete = false;
            }
            self.ps(")");
        }
        if let Ok(header) = self.bytes(b, hlen as usize) {
            let sum = super::fold(super::ones_sum(header, 0));
            if sum != 0 {
                let field = self.u16(b + 10)?;
                let should = super::cksum_shouldbe(field, sum);
                self.p(format_args!(", bad cksum {field:x} (->{should:x})!"));
            }
        }
        self.ps(")\n    ");
        Ok(complete)
    }

    /// `ip_optprint`: `false` when an option is not all captured.
    fn ip_options(&mut self, mut cp: usize, mut length: u32) -> Result<bool, Trunc> {
        let mut sep = "";
        while length > 0 {
            self.ps(sep);
            sep = ",";
            let code = self.u8(cp)?;
            match ip_option_name(code) {
                Some(n) => self.ps(n),
                None => self.p(format_args!("unknown {code}")),
            }
            let option_len = if code <= 1 {
                1
            } else {
                let l = u32::from(self.u8(cp + 1)?);
                if l < 2 {
                    self.p(format_args!(" [bad length {l}]"));
                    return Ok(true);
                }
                l
            };
            if option_len > length {
                self.p(format_args!(" [bad length {option_len}]"));
                return Ok(true);
            }
            if !self.avail(cp, option_len as usize) {
                return Ok(false);
            }
            match code {
                0 => return Ok(true),
                68 => self.ip_option_ts(cp, option_len)?,
                7 | 131 | 137 => self.ip_option_route(cp, option_len)?,
                148 => {
                    if option_len < 4 {
                        self.p(format_args!(" [bad length {option_len}]"));
                    } else {
                        let v = self.u16(cp + 2)?;
                        if v != 0 {
                            self.p(format_args!(" value {v}"));
                        }
                    }
                }
                _ => {}
            }
            cp += option_len as usize;
            length -= option_len;
        }
        Ok(true)
    }

    /// `ip_printroute` (the option is all captured).
    fn ip_option_route(&mut self, cp: usize, length: u32) -> R {
        if length < 3 {
            self.p(format_args!(" [bad length {length}]"));
            return Ok(());
        }
        if (length + 1) & 3 != 0 {
            self.p(format_args!(" [bad length {length}]"));
        }
        let raw_ptr = self.u8(cp + 2)?;
        let ptr = u32::from(raw_ptr).wrapping_sub(1);
        if ptr < 3 || ptr.wrapping_add(1) & 3 != 0 || ptr > length + 1 {
            self.p(format_args!(" [bad ptr {raw_ptr}]"));
        }
        let mut len = 3;
        while len < length {
            let a = self.addr(cp + len as usize, 4)?;
            self.p(format_args!(" {a}"));
            if ptr > len {
                self.ps(",");
            }
            len += 4;
        }
        Ok(())
    }

    /// `ip_printts` (the option is all captured).
    fn ip_option_ts(&mut self, cp: usize, length: u32) -> R {
        if length < 4 {
            self.p(format_args!("[bad length {length}]"));
            return Ok(());
        }
        self.ps(" TS{");
        let flags = self.u8(cp + 3)?;
        let hoplen = if flags & 0xf != 0 { 8 } else { 4 };
        if (length - 4) & (hoplen - 1) != 0 {
            self.p(format_args!("[bad length {length}]"));
        }
        let raw_ptr = self.u8(cp + 2)?;
        let ptr = u32::from(raw_ptr).wrapping_sub(1);
        if ptr < 4 || (ptr.wrapping_sub(4)) & (hoplen - 1) != 0 || ptr > length + 1 {
            self.p(format_args!("[bad ptr {raw_ptr}]"));
        }
        let mut len = 0;
        match flags & 0xf {
            0 => self.ps("TSONLY"),
            1 => self.ps("TS+ADDR"),
            3 => self.ps("PRESPEC"),
            t => self.p(format_args!("[bad ts type {t}]")),
        }
        if matches!(flags & 0xf, 0 | 1 | 3) {
            len = 4;
            while len < length {
                let kind = if ptr == len { " ^ " } else { " " };
                let at = cp + len as usize;
                self.bytes(at, hoplen as usize)?;
                let stamp = self.u32(at + hoplen as usize - 4)?;
                self.p(format_args!("{kind}{stamp}@"));
                if hoplen == 8 {
                    let a = self.addr(at, 4)?;
                    self.p(format_args!("{a}"));
                }
                len += hoplen;
            }
        }
        if ptr == len {
            self.ps(" ^ ");
        }
        if flags >> 4 != 0 {
            self.p(format_args!(" [{} hops not recorded]}} ", flags >> 4));
        } else {
            self.ps("}");
        }
        Ok(())
    }
}

/// tcpdump's `ip_option_values`.
fn ip_option_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0 => "EOL",
        1 => "NOP",
        68 => "timestamp",
        130 => "security",
        7 => "RR",
        137 => "SSRR",
        131 => "LSRR",
        148 => "RA",
        82 => "traceroute",
        _ => return None,
    })
}

/// tcpdump's `ipproto_values` (the names `-v` prints).
pub(crate) fn ipproto_name(p: u8) -> Option<&'static str> {
    Some(match p {
        0 => "Options",
        1 => "ICMP",
        2 => "IGMP",
        4 => "IPIP",
        6 => "TCP",
        8 => "EGP",
        9 => "IGRP",
        17 => "UDP",
        33 => "DCCP",
        41 => "IPv6",
        43 => "Routing",
        44 => "Fragment",
        46 => "RSVP",
        47 => "GRE",
        50 => "ESP",
        51 => "AH",
        55 => "Mobile IP",
        58 => "ICMPv6",
        62 => "Mobile IP (old)",
        88 => "EIGRP",
        89 => "OSPF",
        103 => "PIM",
        108 => "Compressed IP",
        112 => "VRRP",
        113 => "PGM",
        132 => "SCTP",
        135 => "Mobility",
        143 => "Ethernet",
        _ => return None,
    })
}
