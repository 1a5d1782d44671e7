//! `print-icmp6.c`.

use super::{proto, Printer, Trunc, R};

impl Printer<'_> {
    /// `icmp6_print` (non-verbose).
    pub(super) fn icmp6(&mut self, bp: usize, length: u32) -> R {
        self.proto = "icmp6";
        if length == 0 {
            self.ps("ICMP6, length 0 (invalid)");
            return Ok(());
        }
        let ty = self.u8(bp)?;
        match icmp6_type_name(ty) {
            Some(n) => self.p(format_args!("ICMP6, {n}")),
            None => self.p(format_args!("ICMP6, unknown icmp6 type ({ty})")),
        }
        let code = self.u8(bp + 1)?;
        let oip = bp + 8;
        match ty {
            1 => {
                match code {
                    0 => self.ps(", unreachable route"),
                    1 => self.ps(",  unreachable prohibited"),
                    2 => self.ps(", beyond scope"),
                    3 => self.ps(", unreachable address"),
                    4 => self.ps(", unreachable port"),
                    _ => self.p(format_args!(", unknown unreach code ({code})")),
                }
                match code {
                    0 | 1 | 3 => {
                        let d = self.addr(oip + 24, 16)?;
                        self.p(format_args!(" {d}"));
                    }
                    2 => {
                        let (d, s) = (self.addr(oip + 24, 16)?, self.addr(oip + 8, 16)?);
                        self.p(format_args!(" {d}, source address {s}"));
                    }
                    4 => {
                        let Some((prot, uh)) = self.upper_layer(oip)? else {
                            self.trunc_here();
                            return Ok(());
                        };
                        let dport = self.u16(uh + 2)?;
                        let d = self.addr(oip + 24, 16)?;
                        match prot {
                            proto::TCP => self.p(format_args!(", {d} tcp port {dport}")),
                            proto::UDP => self.p(format_args!(", {d} udp port {dport}")),
                            _ => self.p(format_args!(
                                ", {d} protocol {prot} port {dport} unreachable"
                            )),
                        }
                    }
                    // tcpdump follows with a hex dump on continuation lines.
                    _ => return Ok(()),
                }
            }
            2 => {
                let mtu = self.u32(bp + 4)?;
                self.p(format_args!(", mtu {mtu}"));
            }
            3 => match code {
                0 => {
                    let d = self.addr(oip + 24, 16)?;
                    self.p(format_args!(" for {d}"));
                }
                1 => self.ps(" (reassembly)"),
                _ => self.p(format_args!(", unknown code ({code})")),
            },
            4 => {
                self.bytes(oip + 24, 16)?;
                let what = match code {
                    0 => "erroneous",
                    1 => "next header",
                    2 => "option",
                    3 => "incomplete header chain",
                    _ => "",
                };
                if what.is_empty() {
                    self.p(format_args!(", code-#{code}"));
                } else {
                    let ptr = self.u32(bp + 4)?;
                    self.p(format_args!(", {what} - octet {ptr}"));
                }
            }
            128 | 129 => {
                let (id, seq) = (self.u16(bp + 4)?, self.u16(bp + 6)?);
                self.p(format_args!(", id {id}, seq {seq}"));
            }
            130 if length != 24 => {
                if length >= 28 {
                    // MLDv2 query details are not mirrored.
                    self.ps(" v2");
                } else {
                    self.p(format_args!(" unknown-version (len {length}) "));
                }
            }
            130..=132 => {
                if self.avail(bp, 24) {
                    let delay = self.u16(bp + 4)?;
                    let a = self.addr(bp + 8, 16)?;
                    self.p(format_args!("max resp delay: {delay} addr: {a}"));
                }
            }
            133 | 134 | 141 | 142 => {}
            135 => {
                let a = self.addr(bp + 8, 16)?;
                self.p(format_args!(", who has {a}"));
            }
            136 => {
                let a = self.addr(bp + 8, 16)?;
                self.p(format_args!(", tgt is {a}"));
            }
            137 => {
                // struct nd_redirect: target at 8, destination at 24; tcpdump prints dst first.
                let d = self.addr(bp + 24, 16)?;
                self.p(format_args!(", {d}"));
                let t = self.addr(bp + 8, 16)?;
                self.p(format_args!(" to {t}"));
            }
            143 => {
                if length < 8 {
                    self.p(format_args!(" [invalid len {length}]"));
                } else {
                    let n = self.u16(bp + 6)?;
                    self.p(format_args!(", {n} group record(s)"));
                }
            }
            144 | 146 => {
                let id = self.u16(bp + 4)?;
                self.p(format_args!(", id 0x{id:04x}"));
            }
            145 | 147 => {}
            // Router renumbering, node information and RPL decoders are not mirrored.
            138..=140 | 155 => {}
            _ => {
                // tcpdump follows with a hex dump on continuation lines.
                self.p(format_args!(", length {length}"));
                return Ok(());
            }
        }
        self.p(format_args!(", length {length}"));
        Ok(())
    }

    /// `get_upperlayer`: walks the quoted IPv6 packet in an ICMPv6 error to its TCP/UDP header.
    fn upper_layer(&self, ip6: usize) -> Result<Option<(u8, usize)>, Trunc> {
        if !self.avail(ip6 + 6, 1) {
            return Ok(None);
        }
        let mut nh = self.u8(ip6 + 6)?;
        let mut hlen = 40usize;
        let mut bp = ip6;
        while bp < self.snap {
            bp += hlen;
            match nh {
                proto::UDP | proto::TCP => {
                    return Ok(if self.avail(bp + 2, 2) {
                        Some((nh, bp))
                    } else {
                        None
                    });
                }
                proto::HOPOPTS | proto::DSTOPTS | proto::ROUTING => {
                    if !self.avail(bp + 1, 1) {
                        return Ok(None);
                    }
                    nh = self.u8(bp)?;
                    hlen = (usize::from(self.u8(bp + 1)?) + 1) << 3;
                }
                proto::FRAGMENT => {
                    if !self.avail(bp + 2, 2) {
                        return Ok(None);
                    }
                    if self.u16(bp + 2)? & 0xfff8 != 0 {
                        return Ok(None);
                    }
                    nh = self.u8(bp)?;
                    hlen = 8;
                }
                proto::AH => {
                    if !self.avail(bp + 1, 1) {
                        return Ok(None);
                    }
                    nh = self.u8(bp)?;
                    hlen = (usize::from(self.u8(bp + 1)?) + 2) << 2;
                }
                _ => return Ok(None),
            }
        }
        Ok(None)
    }
}

pub(crate) fn icmp6_type_name(ty: u8) -> Option<&'static str> {
    Some(match ty {
        1 => "destination unreachable",
        2 => "packet too big",
        3 => "time exceeded in-transit",
        4 => "parameter problem",
        128 => "echo request",
        129 => "echo reply",
        130 => "multicast listener query",
        131 => "multicast listener report",
        132 => "multicast listener done",
        133 => "router solicitation",
        134 => "router advertisement",
        135 => "neighbor solicitation",
        136 => "neighbor advertisement",
        137 => "redirect",
        138 => "router renumbering",
        141 => "inverse neighbor solicitation",
        142 => "inverse neighbor advertisement",
        143 => "multicast listener report v2",
        144 => "ha discovery request",
        145 => "ha discovery reply",
        146 => "mobile router solicitation",
        147 => "mobile router advertisement",
        139 => "who-are-you request",
        140 => "who-are-you reply",
        201 => "mtrace message",
        200 => "mtrace response",
        155 => "RPL",
        _ => return None,
    })
}
