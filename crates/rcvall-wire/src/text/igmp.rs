//! `print-igmp.c`: IGMP v1, v2 and v3 queries and reports, leaves and mtrace.

use super::{Printer, R};

impl Printer<'_> {
    /// `igmp_print`.
    pub(super) fn igmp(&mut self, bp: usize, len: u32) -> R {
        self.proto = "igmp";
        if self.quick {
            self.ps("igmp");
            return Ok(());
        }
        let ty = self.u8(bp)?;
        match ty {
            0x11 => {
                self.ps("igmp query");
                if len >= 12 {
                    self.igmpv3_query(bp, len)?;
                } else {
                    let mrt = self.u8(bp + 1)?;
                    if mrt != 0 {
                        self.ps(" v2");
                        if mrt != 100 {
                            self.p(format_args!(" [max resp time {mrt}]"));
                        }
                    } else {
                        self.ps(" v1");
                    }
                    if self.u32(bp + 4)? != 0 {
                        let g = self.addr(bp + 4, 4)?;
                        self.p(format_args!(" [gaddr {g}]"));
                    }
                    if len != 8 {
                        self.p(format_args!(" [len {len}]"));
                    }
                }
            }
            0x12 => {
                let g = self.addr(bp + 4, 4)?;
                self.p(format_args!("igmp v1 report {g}"));
                if len != 8 {
                    self.p(format_args!(" [len {len}]"));
                }
            }
            0x16 => {
                let g = self.addr(bp + 4, 4)?;
                self.p(format_args!("igmp v2 report {g}"));
            }
            0x22 => {
                self.ps("igmp v3 report");
                self.igmpv3_report(bp, len)?;
            }
            0x17 => {
                let g = self.addr(bp + 4, 4)?;
                self.p(format_args!("igmp leave {g}"));
            }
            // DVMRP and PIMv1 bodies are not decoded (a documented gap).
            0x13 => {
                self.ps("igmp dvmrp");
                if len < 8 {
                    self.p(format_args!(" [len {len}]"));
                }
            }
            0x14 => self.ps("igmp pimv1"),
            0x1e => self.mtrace("mresp", bp, len)?,
            0x1f => self.mtrace("mtrace", bp, len)?,
            _ => self.p(format_args!("igmp-{ty}")),
        }
        if self.verbose > 0 && len >= 4 {
            if let Ok(msg) = self.bytes(bp, len as usize) {
                if super::fold(super::ones_sum(msg, 0)) != 0 {
                    let sum = self.u16(bp + 2)?;
                    self.p(format_args!(" bad igmp cksum {sum:x}!"));
                }
            }
        }
        Ok(())
    }

    /// `print_mtrace`.
    fn mtrace(&mut self, name: &str, bp: usize, len: u32) -> R {
        if len < 8 + 16 {
            self.p(format_args!(" [invalid len {len}]"));
            return Ok(());
        }
        let tr = bp + 8;
        let qid = u32::from(self.u8(tr + 13)?) << 16 | u32::from(self.u16(tr + 14)?);
        let (src, dst, raddr) = (
            self.addr(tr, 4)?,
            self.addr(tr + 4, 4)?,
            self.addr(tr + 8, 4)?,
        );
        self.p(format_args!(
            "{name} {qid}: {src} to {dst} reply-to {raddr}"
        ));
        if self.u32(tr + 8)? & 0xf000_0000 == 0xe000_0000 {
            let ttl = self.u8(tr + 12)?;
            self.p(format_args!(" with-ttl {ttl}"));
        }
        Ok(())
    }

    /// `print_igmpv3_report`.
    fn igmpv3_report(&mut self, bp: usize, len: u32) -> R {
        if len < 16 || len & 3 != 0 {
            self.p(format_args!(" [invalid len {len}]"));
            return Ok(());
        }
        let len = len as usize;
        let groups = self.u16(bp + 6)?;
        self.p(format_args!(", {groups} group record(s)"));
        if self.verbose == 0 {
            return Ok(());
        }
        let mut group = 8usize;
        for _ in 0..groups {
            if len < group + 8 {
                self.ps(" [invalid number of groups]");
                return Ok(());
            }
            let g = self.addr(bp + group + 4, 4)?;
            self.p(format_args!(" [gaddr {g}"));
            let ty = self.u8(bp + group)?;
            let names = ["is_in", "is_ex", "to_in", "to_ex", "allow", "block"];
            match ty.checked_sub(1).and_then(|i| names.get(usize::from(i))) {
                Some(n) => self.p(format_args!(" {n}")),
                None => self.p(format_args!("  [v3-report-#{ty}]")),
            }
            let nsrcs = usize::from(self.u16(bp + group + 2)?);
            if len < group + 8 + (nsrcs << 2) {
                self.p(format_args!(" [invalid number of sources {nsrcs}]"));
                return Ok(());
            }
            if self.verbose == 1 {
                self.p(format_args!(", {nsrcs} source(s)"));
            } else {
                self.ps(" {");
                for j in 0..nsrcs {
                    let s = self.addr(bp + group + 8 + (j << 2), 4)?;
                    self.p(format_args!(" {s}"));
                }
                self.ps(" }");
            }
            group += 8 + (nsrcs << 2);
            self.ps("]");
        }
        Ok(())
    }

    /// `print_igmpv3_query`.
    fn igmpv3_query(&mut self, bp: usize, len: u32) -> R {
        self.ps(" v3");
        if len < 12 || len & 3 != 0 {
            self.p(format_args!(" [invalid len {len}]"));
            return Ok(());
        }
        let mrc = u32::from(self.u8(bp + 1)?);
        let mrt = if mrc < 128 {
            mrc
        } else {
            ((mrc & 0x0f) | 0x10) << (((mrc & 0x70) >> 4) + 3)
        };
        if mrc != 100 {
            self.ps(" [max resp time ");
            if mrt < 600 {
                self.p(format_args!("{:.1}s", f64::from(mrt) * 0.1));
            } else {
                self.relts(mrt / 10);
            }
            self.ps("]");
        }
        if self.u32(bp + 4)? == 0 {
            return Ok(());
        }
        let g = self.addr(bp + 4, 4)?;
        self.p(format_args!(" [gaddr {g}"));
        let nsrcs = usize::from(self.u16(bp + 10)?);
        if nsrcs > 0 {
            if (len as usize) < 12 + (nsrcs << 2) {
                self.ps(" [invalid number of sources]");
            } else if self.verbose > 1 {
                self.ps(" {");
                for i in 0..nsrcs {
                    let s = self.addr(bp + 12 + (i << 2), 4)?;
                    self.p(format_args!(" {s}"));
                }
                self.ps(" }");
            } else {
                self.p(format_args!(", {nsrcs} source(s)"));
            }
        }
        self.ps("]");
        Ok(())
    }
}
