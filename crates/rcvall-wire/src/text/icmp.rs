//! `print-icmp.c`.

use core::fmt::{self, Write};

use super::{proto, Printer, Trunc, R};

/// RFC 4884's "original datagram" of 128 bytes plus the ICMP header, less an IP header: an
/// ICMP message longer than this may carry extensions (tcpdump's `ICMP_EXTD_MINLEN`).
const ICMP_EXTD_MINLEN: u32 = 156 - 20;

impl Printer<'_> {
    /// `icmp_print` (non-verbose).
    pub(super) fn icmp(&mut self, bp: usize, plen: u32, fragmented: bool) -> R {
        self.proto = "icmp";
        let ty = self.u8(bp)?;
        let code = self.u8(bp + 1)?;
        let inner_dst = |p: &Self| p.addr(bp + 24, 4);
        let text: String = match ty {
            0 | 8 => format!(
                "echo {}, id {}, seq {}",
                if ty == 8 { "request" } else { "reply" },
                self.u16(bp + 4)?,
                self.u16(bp + 6)?
            ),
            3 => match code {
                0 => format!("net {} unreachable", inner_dst(self)?),
                1 => format!("host {} unreachable", inner_dst(self)?),
                2 => format!(
                    "{} protocol {} unreachable",
                    inner_dst(self)?,
                    self.u8(bp + 8 + 9)?
                ),
                3 => {
                    self.u8(bp + 8 + 9)?;
                    let hlen = usize::from(self.u8(bp + 8)? & 0x0f) * 4;
                    let dport = self.u16(bp + 8 + hlen + 2)?;
                    let p = self.u8(bp + 8 + 9)?;
                    let d = inner_dst(self)?;
                    match p {
                        proto::TCP => format!("{d} tcp port {dport} unreachable"),
                        proto::UDP => format!("{d} udp port {dport} unreachable"),
                        _ => format!("{d} protocol {p} port {dport} unreachable"),
                    }
                }
                4 => {
                    let mtu = self.u16(bp + 6)?;
                    if mtu != 0 {
                        format!(
                            "{} unreachable - need to frag (mtu {mtu})",
                            inner_dst(self)?
                        )
                    } else {
                        format!("{} unreachable - need to frag", inner_dst(self)?)
                    }
                }
                5 => format!("{} unreachable - source route failed", inner_dst(self)?),
                6 => format!("net {} unreachable - unknown", inner_dst(self)?),
                7 => format!("host {} unreachable - unknown", inner_dst(self)?),
                8 => format!("{} unreachable - source host isolated", inner_dst(self)?),
                9 => format!("net {} unreachable - admin prohibited", inner_dst(self)?),
                10 => format!("host {} unreachable - admin prohibited", inner_dst(self)?),
                11 => format!("net {} unreachable - tos prohibited", inner_dst(self)?),
                12 => format!("host {} unreachable - tos prohibited", inner_dst(self)?),
                13 => format!(
                    "host {} unreachable - admin prohibited filter",
                    inner_dst(self)?
                ),
                14 => format!(
                    "host {} unreachable - host precedence violation",
                    inner_dst(self)?
                ),
                15 => format!("host {} unreachable - precedence cutoff", inner_dst(self)?),
                _ => format!("{} unreachable - #{code}", inner_dst(self)?),
            },
            5 => {
                let (d, gw) = (inner_dst(self)?, self.addr(bp + 4, 4)?);
                match code {
                    0 => format!("redirect {d} to net {gw}"),
                    1 => format!("redirect {d} to host {gw}"),
                    2 => format!("redirect-tos {d} to net {gw}"),
                    3 => format!("redirect-tos {d} to host {gw}"),
                    _ => format!("redirect-#{code} {d} to {gw}"),
                }
            }
            11 => {
                self.bytes(bp + 24, 4)?;
                match code {
                    0 => "time exceeded in-transit".to_owned(),
                    1 => "ip reassembly time exceeded".to_owned(),
                    _ => format!("time exceeded-#{code}"),
                }
            }
            12 => {
                if code != 0 {
                    format!("parameter problem - code {code}")
                } else {
                    format!("parameter problem - octet {}", self.u8(bp + 4)?)
                }
            }
            18 => format!("address mask is 0x{:08x}", self.u32(bp + 8)?),
            13 => format!(
                "time stamp query id {} seq {}",
                self.u16(bp + 4)?,
                self.u16(bp + 6)?
            ),
            14 => {
                self.bytes(bp + 16, 4)?;
                format!(
                    "time stamp reply id {} seq {}: org {}, recv {}, xmit {}",
                    self.u16(bp + 4)?,
                    self.u16(bp + 6)?,
                    IcmpStamp(self.u32(bp + 8)?),
                    IcmpStamp(self.u32(bp + 12)?),
                    IcmpStamp(self.u32(bp + 16)?)
                )
            }
            9 => {
                let mut t = String::from("router advertisement");
                self.bytes(bp + 4, 4)?;
                let lifetime = self.u16(bp + 6)?;
                let _ = if lifetime < 60 {
                    write!(t, " lifetime {lifetime}")
                } else if lifetime < 3600 {
                    write!(t, " lifetime {}:{:02}", lifetime / 60, lifetime % 60)
                } else {
                    write!(
                        t,
                        " lifetime {}:{:02}:{:02}",
                        lifetime / 3600,
                        lifetime % 3600 / 60,
                        lifetime % 60
                    )
                };
                let num = self.u8(bp + 4)?;
                let _ = write!(t, " {num}:");
                let size = self.u8(bp + 5)?;
                if size != 2 {
                    let _ = write!(t, " [size {size}]");
                } else {
                    for i in 0..usize::from(num) {
                        let at = bp + 8 + 8 * i;
                        self.bytes(at, 8)?;
                        let _ = write!(t, " {{{} {}}}", self.addr(at, 4)?, self.u32(at + 4)?);
                    }
                }
                t
            }
            4 => "source quench".to_owned(),
            10 => "router solicitation".to_owned(),
            15 => "information request".to_owned(),
            16 => "information reply".to_owned(),
            17 => "address mask request".to_owned(),
            _ => format!("type-#{ty}"),
        };
        self.p(format_args!("ICMP {text}, length {plen}"));
        if self.verbose > 0 && !fragmented {
            if let Ok(msg) = self.bytes(bp, plen as usize) {
                let sum = super::fold(super::ones_sum(msg, 0));
                if sum != 0 {
                    let field = self.u16(bp + 2)?;
                    let should = super::cksum_shouldbe(field, sum);
                    self.p(format_args!(
                        " (wrong icmp cksum {field:x} (->{should:x})!)"
                    ));
                }
            }
        }
        if self.verbose > 0 && matches!(ty, 3 | 4 | 5 | 11 | 12) {
            // The quoted datagram, printed by the IP printer on its own line; the snapshot
            // end narrowed to its length only while it prints.
            self.ps("\n\t");
            let inner = bp + 8;
            let inner_len = self.u16(inner + 2)?;
            let saved = self.snap;
            self.narrow(inner, u32::from(inner_len));
            // tcpdump reads the length again once narrowed: that read may be what fails.
            let r = self
                .u16(inner + 2)
                .and_then(|len| self.ip4(inner, u32::from(len)));
            self.snap = saved;
            r?;
            self.proto = "icmp";
        }
        if self.verbose > 0 && plen > ICMP_EXTD_MINLEN && matches!(ty, 3 | 11 | 12) {
            self.icmp_extensions(bp, plen)?;
        }
        Ok(())
    }

    /// RFC 4884 multi-part extensions after the quoted datagram (`icmp_print` at -v).
    fn icmp_extensions(&mut self, bp: usize, plen: u32) -> R {
        // struct icmp_ext_t: 8 header bytes, 128 of quoted datagram, then the extension header.
        const EXT: usize = 136;
        if !self.avail(bp, EXT + 5) {
            return Err(Trunc);
        }
        let ext_len = (plen - ICMP_EXTD_MINLEN) as usize;
        if self.u8(bp + 5)? == 0 {
            if let Ok(ext) = self.bytes(bp + EXT, ext_len) {
                if super::fold(super::ones_sum(ext, 0)) != 0 {
                    return Ok(());
                }
            }
        }
        let version = self.u8(bp + EXT)? >> 4;
        self.p(format_args!("\n\tICMP Multi-Part extension v{version}"));
        if version != 2 {
            self.ps(" packet not supported");
            return Ok(());
        }
        if let Ok(ext) = self.bytes(bp + EXT, ext_len) {
            let sum = self.u16(bp + EXT + 2)?;
            let bad = if super::fold(super::ones_sum(ext, 0)) != 0 {
                "in"
            } else {
                ""
            };
            self.p(format_args!(
                ", checksum 0x{sum:04x} ({bad}correct), length {ext_len}"
            ));
        }
        // u_int in tcpdump: a short extension wraps, and the walk then ends at the capture end.
        let mut hlen = (ext_len as u32).wrapping_sub(4);
        let mut obj = bp + EXT + 4;
        while hlen > 4 {
            if !self.avail(obj, 4) {
                return Err(Trunc);
            }
            let obj_len = usize::from(self.u16(obj)?);
            let class = self.u8(obj + 2)?;
            let ctype = self.u8(obj + 3)?;
            obj += 4;
            let name = match class {
                1 => "MPLS Stack Entry",
                2 => "Interface Identification",
                _ => "unknown",
            };
            self.p(format_args!(
                "\n\t  {name} Object ({class}), Class-Type: {ctype}, length {obj_len}"
            ));
            hlen -= 4;
            if class == 0 || obj_len < 4 {
                return Ok(());
            }
            let obj_len = obj_len - 4;
            let obj_len32 = obj_len as u32;
            if class == 1 && ctype == 1 {
                let raw = self.u32(obj)?;
                self.p(format_args!(
                    "\n\t    label {}, tc {}",
                    raw >> 12,
                    (raw >> 9) & 7
                ));
                if raw & 0x100 != 0 {
                    self.ps(", [S]");
                }
                self.p(format_args!(", ttl {}", raw & 0xff));
            } else {
                self.unknown_data(obj, obj_len, "\n\t    ");
            }
            if hlen < obj_len32 {
                break;
            }
            hlen -= obj_len32;
            obj += obj_len;
        }
        Ok(())
    }
}

/// `icmp_tstamp_print`: milliseconds since midnight as `hh:mm:ss.mmm` (hours unbounded).
struct IcmpStamp(u32);

impl fmt::Display for IcmpStamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0 % 1000;
        let sec = self.0 / 1000;
        let (hrs, min, sec) = (sec / 3600, sec / 60 % 60, sec % 60);
        write!(f, "{hrs:02}:{min:02}:{sec:02}.{ms:03}")
    }
}
