//! `print-ntp.c` and `ntp.c`: NTP time and control messages on UDP 123.

use super::{Printer, Trunc, R};

/// Seconds from 1900-01-01 (the NTP era) to 1970-01-01.
const JAN_1970: i64 = 2_208_988_800;
/// The fixed part of a time message (RFC 5905 figure 8).
const NTP_TIMEMSG_MINLEN: u32 = 48;
const NTP_CTRLMSG_MINLEN: u32 = 12;

impl Printer<'_> {
    /// `ntp_print`.
    pub(super) fn ntp(&mut self, bp: usize, length: u32) -> R {
        self.proto = "ntp";
        let status = self.u8(bp)?;
        let version = (status & 0x38) >> 3;
        self.p(format_args!("NTPv{version}"));
        let mode = status & 7;
        let name = [
            "unspecified",
            "symmetric active",
            "symmetric passive",
            "Client",
            "Server",
            "Broadcast",
            "Control Message",
            "Reserved",
        ][usize::from(mode)];
        if self.verbose == 0 {
            self.p(format_args!(", {name}, length {length}"));
            return Ok(());
        }
        self.p(format_args!(", {name}, length {length}\n"));
        let leap = status & 0xc0;
        let leap_name = ["", "+1s", "-1s", "clock unsynchronized"][usize::from(leap >> 6)];
        self.p(format_args!("\tLeap indicator: {leap_name} ({leap})"));
        match mode {
            0..=5 => self.ntp_time(bp, length),
            6 => self.ntp_control(bp, length),
            _ => Ok(()),
        }
    }

    fn ntp_time(&mut self, bp: usize, length: u32) -> R {
        if length < NTP_TIMEMSG_MINLEN {
            self.ps(" (invalid)");
            self.bytes(bp, length as usize)?;
            return Ok(());
        }
        let stratum = self.u8(bp + 1)?;
        let sname = match stratum {
            0 => "unspecified",
            1 => "primary reference",
            2..=15 => "secondary reference",
            _ => "reserved",
        };
        self.p(format_args!(", Stratum {stratum} ({sname})"));
        let poll = self.u8(bp + 2)? as i8;
        self.p(format_args!(", poll {poll}"));
        let poll = i32::from(poll);
        if poll > -32 && poll < 32 {
            if poll >= 0 {
                self.p(format_args!(" ({}s)", 1u32 << poll));
            } else {
                self.p(format_args!(" (1/{}s)", 1u32 << -poll));
            }
        }
        let precision = self.u8(bp + 3)? as i8;
        self.p(format_args!(", precision {precision}"));
        let checked = [(4usize, 4usize), (8, 4), (12, 4)];
        for (i, (off, n)) in checked.into_iter().enumerate() {
            if !self.avail(bp + off, n) {
                self.trunc_here();
                return Ok(());
            }
            match i {
                0 => {
                    self.ps("\n\tRoot Delay: ");
                    self.sfix(bp + 4)?;
                }
                1 => {
                    self.ps(", Root dispersion: ");
                    self.sfix(bp + 8)?;
                }
                _ => {
                    self.ps(", Reference-ID: ");
                    match stratum {
                        0 => self.ps("(unspec)"),
                        1 => {
                            if !self.printn_ntp(bp + 12, 4)? {
                                self.trunc_here();
                                return Ok(());
                            }
                        }
                        // tcpdump's INFO_QUERY and INFO_REPLY: the line ends there.
                        62 | 63 => {
                            let a = self.addr(bp + 12, 4)?;
                            let what = if stratum == 62 {
                                "INFO_QUERY"
                            } else {
                                "INFO_REPLY"
                            };
                            self.p(format_args!("{a} {what}"));
                            return Ok(());
                        }
                        _ => {
                            let id = self.u32(bp + 12)?;
                            self.p(format_args!("0x{id:08x}"));
                        }
                    }
                }
            }
        }
        for (off, label) in [
            (16, "\n\t  Reference Timestamp:  "),
            (24, "\n\t  Originator Timestamp: "),
            (32, "\n\t  Receive Timestamp:    "),
            (40, "\n\t  Transmit Timestamp:   "),
        ] {
            if !self.avail(bp + off, 8) {
                self.trunc_here();
                return Ok(());
            }
            self.ps(label);
            self.ntp_timestamp(bp + off)?;
        }
        self.ps("\n\t    Originator - Receive Timestamp:  ");
        self.ntp_delta(bp + 24, bp + 32)?;
        self.ps("\n\t    Originator - Transmit Timestamp: ");
        self.ntp_delta(bp + 24, bp + 40)?;
        let extra = length - NTP_TIMEMSG_MINLEN;
        if extra == 4 || extra == 20 || extra == 24 {
            let key = self.u32(bp + 48)?;
            self.p(format_args!("\n\tKey id: {key}"));
            if extra > 4 {
                let n = (extra as usize - 4) / 4;
                if !self.avail(bp + 52, n * 4) {
                    self.trunc_here();
                    return Ok(());
                }
                self.ps("\n\tAuthentication: ");
                for k in 0..n {
                    let w = self.u32(bp + 52 + 4 * k)?;
                    self.p(format_args!("{w:08x}"));
                }
            }
        } else if extra > 0 {
            self.p(format_args!("\n\t({extra} more bytes after the header)"));
        }
        Ok(())
    }

    fn printn_ntp(&mut self, cp: usize, n: usize) -> Result<bool, Trunc> {
        for i in 0..n {
            if cp + i >= self.snap {
                return Ok(false);
            }
            let c = self.u8(cp + i)?;
            self.print_char(c);
        }
        Ok(true)
    }

    /// `p_sfix`: a 16.16 fixed-point number as seconds with six decimals.
    fn sfix(&mut self, at: usize) -> R {
        let i = self.u16(at)?;
        let f = self.u16(at + 2)?;
        let micros = (f64::from(f) / 65536.0 * 1_000_000.0) as i32;
        self.p(format_args!("{i}.{micros:06}"));
        Ok(())
    }

    /// `p_ntp_time`: a 32.32 timestamp, and its UTC date when not zero.
    fn ntp_timestamp(&mut self, at: usize) -> R {
        let i = self.u32(at)?;
        let frac = self.u32(at + 4)?;
        let nanos = (f64::from(frac) / 4_294_967_296.0 * 1_000_000_000.0) as u32;
        self.p(format_args!("{i}.{nanos:09}"));
        if i != 0 {
            let secs = i64::from(i) - JAN_1970;
            let (y, m, d) = crate::time::civil_from_days(secs.div_euclid(86_400));
            let sod = secs.rem_euclid(86_400);
            self.p(format_args!(
                " ({y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z)",
                sod / 3600,
                sod % 3600 / 60,
                sod % 60
            ));
        }
        Ok(())
    }

    /// `p_ntp_delta`: `lfp - olfp` with a sign, or `lfp` itself when `olfp` is zero.
    fn ntp_delta(&mut self, old: usize, new: usize) -> R {
        let (u, ou) = (self.u32(new)?, self.u32(old)?);
        let (uf, ouf) = (self.u32(new + 4)?, self.u32(old + 4)?);
        if ou == 0 && ouf == 0 {
            return self.ntp_timestamp(new);
        }
        let (negative, i, f) = if u > ou {
            let borrow = u32::from(ouf > uf);
            (false, (u - ou).wrapping_sub(borrow), uf.wrapping_sub(ouf))
        } else if u < ou {
            let borrow = u32::from(uf > ouf);
            (true, (ou - u).wrapping_sub(borrow), ouf.wrapping_sub(uf))
        } else if uf > ouf {
            (false, 0, uf - ouf)
        } else {
            (true, 0, ouf - uf)
        };
        let nanos = (f64::from(f) / 4_294_967_296.0 * 1_000_000_000.0) as u32;
        let sign = if negative { "-" } else { "+" };
        self.p(format_args!("{sign}{i}.{nanos:09}"));
        Ok(())
    }

    fn ntp_control(&mut self, bp: usize, length: u32) -> R {
        if length < NTP_CTRLMSG_MINLEN {
            self.ps(" (invalid)");
            self.bytes(bp, length as usize)?;
            return Ok(());
        }
        let control = self.u8(bp + 1)?;
        self.p(format_args!(
            ", {}, {}, {}, OpCode={}\n",
            if control & 0x80 != 0 {
                "Response"
            } else {
                "Request"
            },
            if control & 0x40 != 0 { "Error" } else { "OK" },
            if control & 0x20 != 0 { "More" } else { "Last" },
            control & 0x1f
        ));
        let sequence = self.u16(bp + 2)?;
        self.p(format_args!("\tSequence={sequence}"));
        let status = self.u16(bp + 4)?;
        if status == 0 {
            self.ps(", Status=0");
        } else {
            self.p(format_args!(", Status={status:#x}"));
        }
        let assoc = self.u16(bp + 6)?;
        self.p(format_args!(", Assoc.={assoc}"));
        let offset = self.u16(bp + 8)?;
        self.p(format_args!(", Offset={offset}"));
        let count = self.u16(bp + 10)?;
        self.p(format_args!(", Count={count}"));
        if NTP_CTRLMSG_MINLEN + u32::from(count) > length {
            self.ps(" (invalid)");
            self.bytes(bp, length as usize)?;
            return Ok(());
        }
        if count != 0 {
            if !self.avail(bp + 12, usize::from(count)) {
                self.trunc_here();
                return Ok(());
            }
            self.ps("\n\tTO-BE-DONE: data not interpreted");
        }
        Ok(())
    }
}
