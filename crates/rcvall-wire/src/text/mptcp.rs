//! `print-mptcp.c`: the Multipath TCP option (RFC 8684), inside a TCP header's options.

use super::{Printer, Trunc};

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;

impl Printer<'_> {
    /// `mptcp_print`: `opt` is the option's kind byte, `len` its length; `false` makes the
    /// caller print `[bad opt]`.
    pub(super) fn mptcp(&mut self, opt: usize, len: u32, flags: u8) -> Result<bool, Trunc> {
        self.proto = "mptcp";
        if len < 3 {
            return Ok(false);
        }
        let subtype = (self.u8(opt + 2)? >> 4).min(8);
        let name = [
            "capable",
            "join",
            "dss",
            "add-addr",
            "rem-addr",
            "prio",
            "fail",
            "fast-close",
            "unknown",
        ][usize::from(subtype)];
        self.p(format_args!(" {len} {name}"));
        match subtype {
            0 => self.mp_capable(opt, len, flags),
            1 => self.mp_join(opt, len, flags),
            2 => self.mp_dss(opt, len, flags),
            3 => self.mp_add_addr(opt, len),
            4 => {
                if len < 4 {
                    return Ok(false);
                }
                self.ps(" id");
                for i in 0..len as usize - 3 {
                    let id = self.u8(opt + 3 + i)?;
                    self.p(format_args!(" {id}"));
                }
                Ok(true)
            }
            5 => {
                if len != 3 && len != 4 {
                    return Ok(false);
                }
                let backup = self.u8(opt + 2)? & 1 != 0;
                self.ps(if backup { " backup" } else { " non-backup" });
                if len == 4 {
                    let id = self.u8(opt + 3)?;
                    self.p(format_args!(" id {id}"));
                }
                Ok(true)
            }
            6 | 7 => {
                if len != 12 {
                    return Ok(false);
                }
                let v = self.u64(opt + 4)?;
                if subtype == 6 {
                    self.p(format_args!(" seq {v}"));
                } else {
                    self.p(format_args!(" key 0x{v:x}"));
                }
                Ok(true)
            }
            _ => Ok(true),
        }
    }

    fn u64(&self, off: usize) -> Result<u64, Trunc> {
        Ok(u64::from(self.u32(off)?) << 32 | u64::from(self.u32(off + 4)?))
    }

    fn mp_capable(&mut self, opt: usize, len: u32, flags: u8) -> Result<bool, Trunc> {
        let syn_form = (len == 12 || len == 4) && flags & SYN != 0;
        let ack_form = (len == 20 || len == 22) && flags & (SYN | ACK) == ACK;
        if !syn_form && !ack_form {
            return Ok(false);
        }
        let version = self.u8(opt + 2)? & 0xf;
        if version > 1 {
            self.p(format_args!(" Unknown Version ({version})"));
            return Ok(true);
        }
        self.p(format_args!(" v{version}"));
        if self.u8(opt + 3)? & 0x80 != 0 {
            self.ps(" csum");
        }
        if len == 12 || len >= 20 {
            let sender = self.u64(opt + 4)?;
            self.p(format_args!(" {{0x{sender:x}"));
            if len >= 20 {
                let receiver = self.u64(opt + 12)?;
                self.p(format_args!(",0x{receiver:x}"));
            }
            self.ps("}");
        }
        Ok(true)
    }

    fn mp_join(&mut self, opt: usize, len: u32, flags: u8) -> Result<bool, Trunc> {
        let valid = (len == 12 && flags & SYN != 0)
            || (len == 16 && flags & (SYN | ACK) == (SYN | ACK))
            || (len == 24 && flags & ACK != 0);
        if !valid {
            return Ok(false);
        }
        if len != 24 {
            if self.u8(opt + 2)? & 1 != 0 {
                self.ps(" backup");
            }
            let id = self.u8(opt + 3)?;
            self.p(format_args!(" id {id}"));
        }
        match len {
            12 => {
                let (token, nonce) = (self.u32(opt + 4)?, self.u32(opt + 8)?);
                self.p(format_args!(" token 0x{token:x} nonce 0x{nonce:x}"));
            }
            16 => {
                let (mac, nonce) = (self.u64(opt + 4)?, self.u32(opt + 12)?);
                self.p(format_args!(" hmac 0x{mac:x} nonce 0x{nonce:x}"));
            }
            _ => {
                self.ps(" hmac 0x");
                for i in 0..20 {
                    let b = self.u8(opt + 4 + i)?;
                    self.p(format_args!("{b:02x}"));
                }
            }
        }
        Ok(true)
    }

    fn mp_dss(&mut self, mut opt: usize, mut len: u32, flags: u8) -> Result<bool, Trunc> {
        if len < 4 || flags & SYN != 0 {
            return Ok(false);
        }
        let f = self.u8(opt + 3)?;
        if f & 0x10 != 0 {
            self.ps(" fin");
        }
        opt += 4;
        len -= 4;
        // (present bit, 8-byte bit, label)
        for (present, wide, label) in [(0x01u8, 0x02u8, " ack "), (0x04, 0x08, " seq ")] {
            if f & present == 0 {
                continue;
            }
            self.ps(label);
            if f & wide != 0 {
                if len < 8 {
                    return Ok(false);
                }
                let v = self.u64(opt)?;
                self.p(format_args!("{v}"));
                opt += 8;
                len -= 8;
            } else {
                if len < 4 {
                    return Ok(false);
                }
                let v = self.u32(opt)?;
                self.p(format_args!("{v}"));
                opt += 4;
                len -= 4;
            }
            if present == 0x04 {
                if len < 4 {
                    return Ok(false);
                }
                let subseq = self.u32(opt)?;
                self.p(format_args!(" subseq {subseq}"));
                opt += 4;
                len -= 4;
                if len < 2 {
                    return Ok(false);
                }
                let l = self.u16(opt)?;
                self.p(format_args!(" len {l}"));
                opt += 2;
                len -= 2;
                if len >= 2 {
                    let csum = self.u16(opt)?;
                    self.p(format_args!(" csum 0x{csum:x}"));
                    len -= 2;
                }
            }
        }
        Ok(len == 0)
    }

    fn mp_add_addr(&mut self, opt: usize, len: u32) -> Result<bool, Trunc> {
        if ![8, 10, 16, 18, 20, 22, 28, 30].contains(&len) {
            return Ok(false);
        }
        let echo = match self.u8(opt + 2)? & 0xf {
            6 => "v0-ip6",
            4 => "v0-ip4",
            1 => "v1-echo",
            0 => "v1",
            _ => "[bad version/echo]",
        };
        let id = self.u8(opt + 3)?;
        self.p(format_args!(" {echo} id {id}"));
        let (alen, port, hmac) = match len {
            8 => (4, false, None),
            10 => (4, true, None),
            16 => (4, false, Some(8)),
            18 => (4, true, Some(10)),
            20 => (16, false, None),
            22 => (16, true, None),
            28 => (16, false, Some(20)),
            _ => (16, true, Some(22)),
        };
        let a = self.addr(opt + 4, alen)?;
        self.p(format_args!(" {a}"));
        if port {
            let p = self.u16(opt + 4 + alen)?;
            self.p(format_args!(":{p}"));
        }
        // `hmac` is the offset of the truncated HMAC from the option's start.
        if let Some(at) = hmac {
            let mac = self.u64(opt + at)?;
            self.p(format_args!(" hmac 0x{mac:x}"));
        }
        Ok(true)
    }
}
