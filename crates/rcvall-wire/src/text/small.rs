//! Small dissectors: `print-vrrp.c` (VRRP adverts, IP protocol 112), `print-tftp.c` (TFTP on
//! UDP 69) and `print-rip.c` (RIP v1 and v2 on UDP 520).

use super::{proto, Printer, Trunc, R};

impl Printer<'_> {
    /// `vrrp_print`: `iph` is the enclosing IP header (its TTL or hop limit is printed when
    /// not 255, as RFC 5798 requires 255).
    pub(super) fn vrrp(&mut self, mut bp: usize, len: u32, iph: usize, ver: u8) -> R {
        self.proto = "vrrp";
        self.ps("VRRP");
        let b0 = self.u8(bp)?;
        let (version, ty) = (b0 >> 4, b0 & 0x0f);
        if ty == 1 {
            self.p(format_args!("v{version}, Advertisement"));
        } else {
            self.p(format_args!("v{version}, unknown type ({ty})"));
        }
        let ttl = if ver == 4 {
            self.u8(iph + 8)?
        } else {
            self.u8(iph + 7)?
        };
        if ttl != 255 {
            self.p(format_args!(", (ttl {ttl})"));
        }
        if !(2..=3).contains(&version) || ty != 1 {
            return Ok(());
        }
        let (vrid, prio) = (self.u8(bp + 1)?, self.u8(bp + 2)?);
        self.p(format_args!(", vrid {vrid}, prio {prio}"));
        let mut auth = 0;
        if version == 2 {
            auth = self.u8(bp + 4)?;
            match auth {
                0 => self.ps(", authtype none"),
                1 => self.ps(", authtype simple"),
                2 => self.ps(", authtype ah"),
                a => self.p(format_args!(", authtype #{a}")),
            }
            let intvl = self.u8(bp + 5)?;
            self.p(format_args!(", intvl {intvl}s, length {len}"));
        } else {
            let intvl = u16::from(self.u8(bp + 4)? & 0x0f) << 8 | u16::from(self.u8(bp + 5)?);
            self.p(format_args!(", intvl {intvl}cs, length {len}"));
        }
        if self.verbose == 0 {
            return Ok(());
        }
        let naddrs = self.u8(bp + 3)?;
        if self.avail(bp, len as usize) {
            // Version 2 sums the message alone; version 3 (RFC 5798) adds the pseudo-header.
            let bad = if version == 2 {
                super::fold(super::ones_sum(self.bytes(bp, len as usize)?, 0)) != 0
            } else {
                self.transport_cksum(iph, proto::VRRP, bp, len)? != 0
            };
            if bad {
                let sum = self.u16(bp + 6)?;
                self.p(format_args!(", (bad vrrp cksum {sum:x})"));
            }
        }
        self.ps(", addrs");
        if naddrs > 1 {
            self.p(format_args!("({naddrs})"));
        }
        self.ps(":");
        let mut c = ' ';
        bp += 8;
        let alen = if ver == 4 { 4 } else { 16 };
        for _ in 0..naddrs {
            let a = self.addr(bp, alen)?;
            self.p(format_args!("{c}{a}"));
            bp += alen;
            c = ',';
        }
        if version == 2 && auth == 1 {
            self.ps(" auth \"");
            for i in 0..8 {
                let ch = self.u8(bp + i)?;
                if ch == 0 {
                    break;
                }
                self.print_char(ch);
            }
            self.ps("\"");
        }
        Ok(())
    }

    /// `tftp_print`.
    pub(super) fn tftp(&mut self, mut bp: usize, mut length: u32) -> R {
        self.proto = "tftp";
        self.p(format_args!("TFTP, length {length}"));
        if length < 2 {
            self.trunc_here();
            return Ok(());
        }
        let opcode = self.u16(bp)?;
        let name = match opcode {
            1 => "RRQ",
            2 => "WRQ",
            3 => "DATA",
            4 => "ACK",
            5 => "ERROR",
            6 => "OACK",
            _ => {
                self.p(format_args!(", tftp-#{opcode}"));
                return Ok(());
            }
        };
        self.p(format_args!(", {name}"));
        bp += 2;
        length -= 2;
        match opcode {
            1 | 2 => {
                let n = self.tftp_quoted(bp, length)?;
                if n == 0 {
                    return Ok(());
                }
                bp += n;
                length -= n as u32;
                if length == 0 {
                    self.trunc_here();
                    return Ok(());
                }
                self.ps(" ");
                let n = self.tftp_string(bp, length)?;
                if n == 0 {
                    self.trunc_here();
                    return Ok(());
                }
                bp += n;
                length -= n as u32;
                if !self.tftp_options(bp, length)? {
                    self.trunc_here();
                }
            }
            6 => {
                if !self.tftp_options(bp, length)? {
                    self.trunc_here();
                }
            }
            3 | 4 => {
                if length < 2 {
                    self.trunc_here();
                    return Ok(());
                }
                let block = self.u16(bp)?;
                self.p(format_args!(" block {block}"));
            }
            _ => {
                if length < 2 {
                    self.trunc_here();
                    return Ok(());
                }
                let code = self.u16(bp)?;
                const ERRORS: [&str; 8] = [
                    "EUNDEF",
                    "ENOTFOUND",
                    "EACCESS",
                    "ENOSPACE",
                    "EBADOP",
                    "EBADID",
                    "EEXISTS",
                    "ENOUSER",
                ];
                match ERRORS.get(usize::from(code)) {
                    Some(e) => self.p(format_args!(" {e}")),
                    // tcpdump's format for unknown codes carries a stray quote.
                    None => self.p(format_args!(" tftp-err-#{code} \"")),
                }
                self.tftp_quoted(bp + 2, length - 2)?;
            }
        }
        Ok(())
    }

    /// ` "STRING"`, a NUL-terminated string (the file name, the error message): its length
    /// with the NUL, or 0 when the packet ends first (marked cut short).
    fn tftp_quoted(&mut self, bp: usize, length: u32) -> Result<usize, Trunc> {
        if length == 0 {
            self.trunc_here();
            return Ok(0);
        }
        self.ps(" \"");
        let n = self.tftp_string(bp, length)?;
        self.ps("\"");
        if n == 0 {
            self.trunc_here();
        }
        Ok(n)
    }

    /// The option list of a request or OACK: NUL-terminated strings, a space before each
    /// non-empty one; `false` when one is cut short.
    fn tftp_options(&mut self, mut bp: usize, mut length: u32) -> Result<bool, Trunc> {
        while length != 0 {
            if self.u8(bp)? != 0 {
                self.ps(" ");
            }
            let n = self.tftp_string(bp, length)?;
            if n == 0 {
                return Ok(false);
            }
            bp += n;
            length -= n as u32;
        }
        Ok(true)
    }

    /// `nd_printztn`: a NUL-terminated string in at most `n` bytes; the bytes used, NUL
    /// included, or 0 when there is no NUL before the end of the field or the capture.
    fn tftp_string(&mut self, mut s: usize, n: u32) -> Result<usize, Trunc> {
        let mut used = 0usize;
        loop {
            if used == n as usize || s >= self.snap {
                return Ok(0);
            }
            let c = self.u8(s)?;
            s += 1;
            used += 1;
            if c == 0 {
                return Ok(used);
            }
            self.print_char(c);
        }
    }
}

/// `bsd_af_values`: the address families RIP entries name.
fn bsd_af(family: u16) -> Option<&'static str> {
    Some(match family {
        2 => "IPv4",
        6 => "NS",
        7 => "ISO",
        16 => "Appletalk",
        23 => "IPX",
        24 | 28 | 30 => "IPv6",
        _ => return None,
    })
}

/// `mask2plen`: the prefix length of a contiguous mask, -1 otherwise.
fn mask2plen(mask: u32) -> i32 {
    (0..=32)
        .rev()
        .find(|&n| (if n == 0 { 0 } else { u32::MAX << (32 - n) }) == mask)
        .unwrap_or(-1)
}

impl Printer<'_> {
    /// `rip_print`.
    pub(super) fn rip(&mut self, bp: usize, length: u32) -> R {
        self.proto = "rip";
        if self.snap < bp {
            self.trunc_here();
            return Ok(());
        }
        let mut len = (self.snap - bp).min(length as usize);
        if len < 4 {
            self.trunc_here();
            return Ok(());
        }
        len -= 4;
        let vers = self.u8(bp + 1)?;
        let lead = if self.verbose >= 1 { "\n\t" } else { "" };
        self.p(format_args!("{lead}RIPv{vers}"));
        if vers == 0 {
            // tcpdump dumps from the command byte, the first of the message.
            self.unknown_data(bp, length as usize, "\n\t");
            return Ok(());
        }
        let cmd = self.u8(bp)?;
        let name = match cmd {
            1 => "Request".to_owned(),
            2 => "Response".to_owned(),
            3 => "Trace on".to_owned(),
            4 => "Trace off".to_owned(),
            5 => "Poll".to_owned(),
            6 => "Poll Entry".to_owned(),
            c => format!("unknown command ({c})"),
        };
        self.p(format_args!(", {name}, length: {length}"));
        if self.verbose < 1 {
            return Ok(());
        }
        match cmd {
            1 | 2 => match vers {
                1 | 2 => {
                    let routes = length / 20;
                    if vers == 1 {
                        self.p(format_args!(", routes: {routes}"));
                    } else {
                        self.p(format_args!(", routes: {routes} or less"));
                    }
                    let mut p = bp + 4;
                    while len != 0 {
                        let size = if vers == 1 {
                            self.rip_entry_v1(p, len)?
                        } else {
                            self.rip_entry_v2(p, len)?
                        };
                        if size == 0 {
                            self.trunc_here();
                            break;
                        }
                        if len < size {
                            self.p(format_args!(
                                " [remaining entries length {len} < {size}] (invalid)"
                            ));
                            break;
                        }
                        p += size;
                        len -= size;
                    }
                }
                _ => self.ps(", unknown version"),
            },
            4..=6 => {}
            _ => {
                if self.verbose <= 1 {
                    self.unknown_data(bp, length as usize, "\n\t");
                }
            }
        }
        if self.verbose > 1 {
            self.unknown_data(bp, length as usize, "\n\t");
        }
        Ok(())
    }

    /// `rip_entry_print_v1`: the entry's size, 0 when it is cut short.
    fn rip_entry_v1(&mut self, p: usize, remaining: usize) -> Result<usize, Trunc> {
        if remaining < 20 || !self.avail(p, 20) {
            return Ok(0);
        }
        let family = self.u16(p)?;
        if family != 2 && family != 0 {
            match bsd_af(family) {
                Some(n) => self.p(format_args!("\n\t AFI {n}, ")),
                None => self.p(format_args!("\n\t AFI Unknown ({family}), ")),
            }
            self.unknown_data(p + 4, 16, "\n\t  ");
            return Ok(20);
        }
        if self.u16(p + 2)? != 0 || self.u32(p + 8)? != 0 || self.u32(p + 12)? != 0 {
            self.unknown_data(p, 20, "\n\t  ");
            return Ok(20);
        }
        let dest = self.addr(p + 4, 4)?;
        let metric = self.u32(p + 16)?;
        let afi = if family == 0 { "AFI 0, " } else { "" };
        self.p(format_args!("\n\t  {afi}{dest}, metric: {metric}"));
        Ok(20)
    }

    /// `rip_entry_print_v2`: the entry's size, 0 when it is cut short.
    fn rip_entry_v2(&mut self, mut p: usize, mut remaining: usize) -> Result<usize, Trunc> {
        if remaining < 4 || !self.avail(p, 4) {
            return Ok(0);
        }
        let family = self.u16(p)?;
        if family == 0xffff {
            let auth = self.u16(p + 2)?;
            p += 4;
            remaining -= 4;
            match auth {
                2 => {
                    self.ps("\n\t  Simple Text Authentication data: ");
                    for i in 0..16 {
                        let c = self.u8(p + i)?;
                        if c == 0 {
                            break;
                        }
                        self.print_char(c);
                    }
                }
                3 => {
                    if !self.avail(p, 16) || remaining < 16 {
                        return Ok(0);
                    }
                    let plen = self.u16(p)?;
                    let (key, dlen) = (self.u8(p + 2)?, self.u8(p + 3)?);
                    let (seq, mbz1, mbz2) = (self.u32(p + 4)?, self.u32(p + 8)?, self.u32(p + 12)?);
                    self.p(format_args!(
                        "\n\t  Auth header: Packet Len {plen}, Key-ID {key}, Auth Data Len {dlen}, \
                         SeqNo {seq}, MBZ {mbz1}, MBZ {mbz2}"
                    ));
                }
                1 => {
                    self.ps("\n\t  Auth trailer:");
                    self.unknown_data(p, remaining, "\n\t  ");
                    return Ok(4 + remaining);
                }
                a => {
                    self.p(format_args!("\n\t  Unknown ({a}) Authentication data:"));
                    self.unknown_data(p, remaining, "\n\t  ");
                    return Ok(4 + remaining);
                }
            }
        } else if family != 2 && family != 0 {
            match bsd_af(family) {
                Some(n) => self.p(format_args!("\n\t  AFI {n}")),
                None => self.p(format_args!("\n\t  AFI Unknown ({family})")),
            }
            self.unknown_data(p + 4, 16, "\n\t  ");
        } else {
            if !self.avail(p, 20) || remaining < 20 {
                return Ok(0);
            }
            let afi = bsd_af(family).map_or_else(|| family.to_string(), str::to_owned);
            let dest = self.addr(p + 4, 4)?.to_string();
            let plen = mask2plen(self.u32(p + 8)?);
            let (tag, metric) = (self.u16(p + 2)?, self.u32(p + 16)?);
            self.p(format_args!(
                "\n\t  AFI {afi}, {dest:>15}/{plen:<2}, tag 0x{tag:04x}, metric: {metric}, next-hop: "
            ));
            if self.u32(p + 12)? != 0 {
                let r = self.addr(p + 12, 4)?;
                self.p(format_args!("{r}"));
            } else {
                self.ps("self");
            }
        }
        Ok(20)
    }
}
