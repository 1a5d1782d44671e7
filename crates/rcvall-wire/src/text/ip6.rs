//! `print-ip6.c`, `print-frag6.c`, `print-rt6.c` and the hop-by-hop part of `print-ip6opts.c`.

use super::{proto, Printer, Trunc, R};

impl Printer<'_> {
    /// `ip6_print`.
    pub(super) fn ip6(&mut self, b: usize, length: u32) -> R {
        self.proto = "ip6";
        if !self.avail(b, 40) {
            self.trunc_here();
            return Ok(());
        }
        if length < 40 {
            self.p(format_args!("truncated-ip6 {length}"));
            return Ok(());
        }
        self.ps("IP6 ");
        let v = self.u8(b)? >> 4;
        if v != 6 {
            self.p(format_args!("version error: {v} != 6"));
            return Ok(());
        }
        let mut payload_len = u32::from(self.u16(b + 4)?);
        let mut len: u32;
        if payload_len != 0 {
            len = payload_len + 40;
            if length < len {
                self.p(format_args!(
                    "truncated-ip6 - {} bytes missing!",
                    len - length
                ));
            }
        } else {
            len = length.wrapping_add(40);
        }
        let mut ph: u16 = 255;
        let mut nh = self.u8(b + 6)?;
        if self.verbose > 0 {
            let flow = self.u32(b)?;
            self.ps("(");
            if flow & 0x0ff0_0000 != 0 {
                self.p(format_args!("class 0x{:02x}, ", (flow & 0x0ff0_0000) >> 20));
            }
            if flow & 0x000f_ffff != 0 {
                self.p(format_args!("flowlabel 0x{:05x}, ", flow & 0x000f_ffff));
            }
            let hlim = self.u8(b + 7)?;
            let name = super::ip::ipproto_name(nh).unwrap_or("unknown");
            self.p(format_args!(
                "hlim {hlim}, next-header {name} ({nh}) payload length: {payload_len}) "
            ));
        }
        self.narrow(b, len);
        let mut cp = b;
        let mut advance: i64 = 40;
        let mut total_advance: u32 = 0;
        let mut found_ext = false;
        let mut found_jumbo = false;
        let mut found_hbh = false;
        let mut fragmented = false;
        while cp < self.snap && advance > 0 {
            let adv = advance as u32;
            if len < adv {
                self.trunc_here();
                return Ok(());
            }
            cp += adv as usize;
            len -= adv;
            total_advance = total_advance.wrapping_add(adv);
            if cp == b + 40 && !matches!(nh, proto::TCP | proto::UDP | proto::DCCP | proto::SCTP) {
                let (src, dst) = (self.addr(b + 8, 16)?, self.addr(b + 24, 16)?);
                self.p(format_args!("{src} > {dst}: "));
            }
            match nh {
                proto::HOPOPTS => {
                    if found_hbh {
                        self.ps("[The Hop-by-Hop Options header was already found] (invalid)");
                        return Ok(());
                    }
                    if ph != 255 {
                        self.ps(
                            "[The Hop-by-Hop Options header don't follow the IPv6 header] (invalid)",
                        );
                        return Ok(());
                    }
                    advance = self.hbhopt(cp, &mut found_jumbo, &mut payload_len)?;
                    if payload_len == 0 && !found_jumbo {
                        self.ps("[No valid Jumbo Payload Hop-by-Hop option found] (invalid)");
                        return Ok(());
                    }
                    if advance < 0 {
                        return Ok(());
                    }
                    found_ext = true;
                    found_hbh = true;
                    nh = self.u8(cp)?;
                }
                proto::DSTOPTS => {
                    self.proto = "dstopt";
                    let l = (u32::from(self.u8(cp + 1)?) + 1) << 3;
                    if !self.avail(cp, l as usize) {
                        self.trunc_here();
                        return Ok(());
                    }
                    self.ps("DSTOPT ");
                    if self.verbose > 0 && !self.ip6_options(cp + 2, l as usize - 2, None)? {
                        self.trunc_here();
                        return Ok(());
                    }
                    advance = i64::from(l);
                    found_ext = true;
                    nh = self.u8(cp)?;
                }
                proto::FRAGMENT => {
                    self.proto = "frag6";
                    let ident = if self.verbose > 0 {
                        Some(self.u32(cp + 4)?)
                    } else {
                        None
                    };
                    let offlg = self.u16(cp + 2)?;
                    let plen = self.u16(b + 4)?;
                    let size = (40 + i64::from(plen) - (cp - b) as i64 - 8) as u64;
                    match ident {
                        Some(id) => {
                            self.p(format_args!("frag (0x{id:08x}:{}|{size})", offlg & 0xfff8))
                        }
                        None => self.p(format_args!("frag ({}|{size})", offlg & 0xfff8)),
                    }
                    if offlg & 0xfff8 != 0 {
                        return Ok(());
                    }
                    self.ps(" ");
                    advance = 8;
                    if self.snap <= cp + 8 {
                        return Ok(());
                    }
                    found_ext = true;
                    nh = self.u8(cp)?;
                    fragmented = true;
                }
                135 | 62 => {
                    // Mobility header: tcpdump decodes it (mobility_print); not covered here.
                    self.proto = "mobility";
                    self.ps("mobility");
                    return Ok(());
                }
                proto::ROUTING => {
                    if !self.avail(cp, 1) {
                        self.trunc_here();
                        return Ok(());
                    }
                    advance = self.rt6(cp)?;
                    if advance < 0 {
                        return Ok(());
                    }
                    found_ext = true;
                    nh = self.u8(cp)?;
                }
                _ => {
                    if found_jumbo {
                        len = payload_len.wrapping_add(40);
                        if len < total_advance {
                            self.trunc_here();
                            return Ok(());
                        }
                        if length < len {
                            self.p(format_args!(
                                "truncated-ip6 - {} bytes missing!",
                                len - length
                            ));
                        }
                        self.snap = (b + len as usize).min(self.buf.len());
                        len -= total_advance;
                    } else if payload_len == 0 {
                        if found_ext {
                            self.trunc_here();
                            return Ok(());
                        }
                        self.snap = (b + 40).min(self.buf.len());
                        len = 40u32.wrapping_sub(total_advance);
                    }
                    return self.demux(cp, len, 6, fragmented, nh, b);
                }
            }
            ph = u16::from(nh);
            self.proto = "ip6";
        }
        Ok(())
    }

    /// `hbhopt_process`.
    fn hbhopt(
        &mut self,
        cp: usize,
        found_jumbo: &mut bool,
        payload_len: &mut u32,
    ) -> Result<i64, Trunc> {
        self.proto = "hbhopt";
        let hbhlen = (u32::from(self.u8(cp + 1)?) + 1) << 3;
        if !self.avail(cp, hbhlen as usize) {
            self.trunc_here();
            return Ok(-1);
        }
        self.ps("HBH ");
        if !self.ip6_options(
            cp + 2,
            hbhlen as usize - 2,
            Some((found_jumbo, payload_len)),
        )? {
            self.trunc_here();
            return Ok(-1);
        }
        Ok(i64::from(hbhlen))
    }

    /// `ip6_opt_process`: `false` where tcpdump gives up on the options (`goto trunc`).
    /// `jumbo` is the hop-by-hop header's state; destination options have none.
    fn ip6_options(
        &mut self,
        ob: usize,
        len: usize,
        mut jumbo: Option<(&mut bool, &mut u32)>,
    ) -> Result<bool, Trunc> {
        if len == 0 {
            return Ok(true);
        }
        let v = self.verbose > 0;
        let mut seen_jumbo = false;
        let mut i = 0usize;
        while i < len {
            let t = self.u8(ob + i)?;
            let optlen = if t == 0 {
                1
            } else if i + 1 < len {
                usize::from(self.u8(ob + i + 1)?) + 2
            } else {
                return Ok(false);
            };
            if i + optlen > len {
                return Ok(false);
            }
            match t {
                0 => {
                    if v {
                        self.ps("(pad1)");
                    }
                }
                1 => {
                    if len - i < 2 {
                        self.ps("(padn: trunc)");
                        return Ok(false);
                    }
                    if v {
                        self.ps("(padn)");
                    }
                }
                5 => {
                    if len - i < 4 {
                        self.ps("(rtalert: trunc)");
                        return Ok(false);
                    }
                    let l = self.u8(ob + i + 1)?;
                    if l != 2 {
                        self.p(format_args!("(rtalert: invalid len {l})"));
                        return Ok(false);
                    }
                    if v {
                        let value = self.u16(ob + i + 2)?;
                        self.p(format_args!("(rtalert: 0x{value:04x}) "));
                    }
                }
                0xc2 => {
                    if len - i < 6 {
                        self.ps("(jumbo: trunc)");
                        return Ok(false);
                    }
                    let l = self.u8(ob + i + 1)?;
                    if l != 4 {
                        self.p(format_args!("(jumbo: invalid len {l})"));
                        return Ok(false);
                    }
                    let jl = self.u32(ob + i + 2)?;
                    let note = if seen_jumbo {
                        " - already seen"
                    } else {
                        seen_jumbo = true;
                        match jumbo.as_mut() {
                            None => " - not a hop-by-hop option",
                            Some((_, payload_len)) if **payload_len != 0 => " - payload len != 0",
                            Some(_) if jl < 65536 => " - < 65536",
                            Some((found, payload_len)) => {
                                **found = true;
                                **payload_len = jl;
                                ""
                            }
                        }
                    };
                    if v {
                        self.p(format_args!("(jumbo: {jl}{note}) "));
                    }
                }
                0xc9 => {
                    if len - i < 18 {
                        self.ps("(homeaddr: trunc)");
                        return Ok(false);
                    }
                    let l = self.u8(ob + i + 1)?;
                    if l < 16 {
                        self.p(format_args!("(homeaddr: invalid len {l})"));
                        return Ok(false);
                    }
                    if v {
                        // Sub-options after the address (ip6_sopt_print) are not decoded.
                        let a = self.addr(ob + i + 2, 16)?;
                        self.p(format_args!("(homeaddr: {a})"));
                    }
                }
                _ => {
                    if len - i < 2 {
                        self.p(format_args!("(type {t}: trunc)"));
                        return Ok(false);
                    }
                    if v {
                        let l = self.u8(ob + i + 1)?;
                        self.p(format_args!("(opt_type 0x{t:02x}: len={l})"));
                    }
                }
            }
            i += optlen;
        }
        if v {
            self.ps(" ");
        }
        Ok(true)
    }

    /// `rt6_print`.
    fn rt6(&mut self, cp: usize) -> Result<i64, Trunc> {
        self.proto = "rt6";
        self.ps("RT6");
        let mut len = u32::from(self.u8(cp + 1)?);
        self.p(format_args!(" (len={len}"));
        let ty = self.u8(cp + 2)?;
        self.p(format_args!(", type={ty}"));
        if ty == 0 {
            self.ps(" [Deprecated]");
        }
        let segleft = self.u8(cp + 3)?;
        self.p(format_args!(", segleft={segleft}"));
        let first_addr = match ty {
            0 | 2 => {
                let rsv = self.u32(cp + 4)?;
                if rsv != 0 || self.verbose > 0 {
                    self.p(format_args!(", rsv=0x{rsv:x}"));
                }
                cp + 8
            }
            4 => {
                let last = self.u8(cp + 4)?;
                self.p(format_args!(", last-entry={last}"));
                let flags = self.u8(cp + 5)?;
                if flags != 0 || self.verbose > 0 {
                    self.p(format_args!(", flags=0x{flags:x}"));
                }
                let tag = self.u16(cp + 6)?;
                self.p(format_args!(", tag={tag:x}"));
                cp + 8
            }
            _ => {
                self.ps(" (unknown type) (invalid)");
                return Ok(-1);
            }
        };
        if len % 2 == 1 {
            self.p(format_args!(" (invalid length {len}) (invalid)"));
            return Ok(-1);
        }
        len >>= 1;
        for i in 0..len as usize {
            let a = self.addr(first_addr + 16 * i, 16)?;
            self.p(format_args!(", [{i}]{a}"));
        }
        self.ps(") ");
        Ok((i64::from(self.u8(cp + 1)?) + 1) << 3)
    }
}
