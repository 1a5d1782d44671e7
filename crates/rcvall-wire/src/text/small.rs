//! Small dissectors: `print-vrrp.c` (VRRP adverts, IP protocol 112) and `print-tftp.c`
//! (TFTP on UDP 69).

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
                if length == 0 {
                    self.trunc_here();
                    return Ok(());
                }
                self.ps(" \"");
                let n = self.tftp_string(bp, length)?;
                self.ps("\"");
                if n == 0 {
                    self.trunc_here();
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
                bp += 2;
                length -= 2;
                if length == 0 {
                    self.trunc_here();
                    return Ok(());
                }
                self.ps(" \"");
                let n = self.tftp_string(bp, length)?;
                self.ps("\"");
                if n == 0 {
                    self.trunc_here();
                }
            }
        }
        Ok(())
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
