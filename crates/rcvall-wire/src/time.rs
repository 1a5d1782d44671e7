//! Timestamp spelling for the text and JSON outputs. Pure: the caller passes the time in.

use core::fmt::{self, Write};

use crate::tz::TimeZone;

/// Which clock representation starts a text line (tcpdump's `-t` family).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeFormat {
    /// No timestamp (`-t`).
    None,
    /// Seconds since the epoch (`-tt`): `1700000000.123456`.
    Unix,
    /// Time of day (tcpdump's default): `22:13:20.123456`.
    TimeOfDay,
    /// Date and time of day (`-tttt`): `2023-11-14 22:13:20.123456`.
    DateTime,
    /// Time since the previous packet (`-ttt`): ` 00:00:00.000123`.
    SincePrevious,
    /// Time since the first packet (`-ttttt`): ` 00:01:40.000123`.
    SinceFirst,
}

/// Sub-second digits: 6 like tcpdump's default, or 9 like `--nano`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// Microseconds; nanoseconds are truncated, as libpcap does when reading a nano file.
    Micro,
    /// Nanoseconds (`--time-stamp-precision=nano`).
    Nano,
}

/// How [`format_line`](crate::format_line) prints the timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeStyle {
    /// Representation.
    pub format: TimeFormat,
    /// Sub-second digits.
    pub precision: Precision,
    /// Offset from UTC applied to [`TimeFormat::TimeOfDay`] and [`TimeFormat::DateTime`] by
    /// [`format_line`](crate::format_line); [`TextPrinter`](crate::TextPrinter) takes a whole
    /// [`TimeZone`] instead (0 reproduces `TZ=UTC tcpdump`).
    pub utc_offset_secs: i32,
}

impl TimeStyle {
    /// `tcpdump -tt`.
    pub const UNIX_MICRO: TimeStyle = TimeStyle {
        format: TimeFormat::Unix,
        precision: Precision::Micro,
        utc_offset_secs: 0,
    };
    /// `tcpdump -tt --nano`.
    pub const UNIX_NANO: TimeStyle = TimeStyle {
        format: TimeFormat::Unix,
        precision: Precision::Nano,
        utc_offset_secs: 0,
    };
    /// `TZ=UTC tcpdump` (time of day, microseconds).
    pub const TIME_OF_DAY_UTC: TimeStyle = TimeStyle {
        format: TimeFormat::TimeOfDay,
        precision: Precision::Micro,
        utc_offset_secs: 0,
    };
    /// `tcpdump -t`.
    pub const NONE: TimeStyle = TimeStyle {
        format: TimeFormat::None,
        precision: Precision::Micro,
        utc_offset_secs: 0,
    };
}

impl Default for TimeStyle {
    fn default() -> Self {
        TimeStyle::UNIX_MICRO
    }
}

/// Days since 1970-01-01 of a civil date (the inverse of [`civil_from_days`]).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm), valid for all `i64` days
/// a `u64` of nanoseconds can produce.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn write_frac(out: &mut impl Write, nanos: u32, precision: Precision) -> fmt::Result {
    match precision {
        Precision::Micro => write!(out, ".{:06}", nanos / 1000),
        Precision::Nano => write!(out, ".{nanos:09}"),
    }
}

/// The timestamp column of a text line; keeps the reference instants `-ttt`/`-ttttt` need.
#[derive(Clone, Debug)]
pub(crate) struct Clock {
    pub(crate) format: TimeFormat,
    pub(crate) precision: Precision,
    pub(crate) zone: TimeZone,
    /// tcpdump's `tv_ref`: the first packet, or the previous one for `-ttt`.
    reference: Option<u64>,
}

impl Clock {
    pub(crate) fn new(format: TimeFormat, precision: Precision, zone: TimeZone) -> Clock {
        Clock {
            format,
            precision,
            zone,
            reference: None,
        }
    }

    /// Writes the timestamp followed by one space (nothing for [`TimeFormat::None`]).
    pub(crate) fn write(&mut self, out: &mut impl Write, ts_ns: u64) -> fmt::Result {
        // libpcap hands a nanosecond file to a microsecond reader truncated, and tcpdump's
        // differences are taken between those truncated values.
        let ts_ns = match self.precision {
            Precision::Micro => ts_ns - ts_ns % 1000,
            Precision::Nano => ts_ns,
        };
        let secs = ts_ns / 1_000_000_000;
        let nanos = (ts_ns % 1_000_000_000) as u32;
        match self.format {
            TimeFormat::None => return Ok(()),
            TimeFormat::Unix => {
                write!(out, "{secs}")?;
                write_frac(out, nanos, self.precision)?;
            }
            TimeFormat::TimeOfDay | TimeFormat::DateTime => {
                let secs = secs as i64;
                let local = secs + i64::from(self.zone.offset_at(secs));
                if self.format == TimeFormat::DateTime {
                    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
                    write!(out, "{y:04}-{m:02}-{d:02} ")?;
                }
                write_hms(out, local.rem_euclid(86_400))?;
                write_frac(out, nanos, self.precision)?;
            }
            TimeFormat::SincePrevious | TimeFormat::SinceFirst => {
                let reference = *self.reference.get_or_insert(ts_ns);
                if self.format == TimeFormat::SincePrevious {
                    self.reference = Some(ts_ns);
                }
                // tcpdump prints a sign column, then the difference as a time of day (so
                // whole days are dropped: it formats the difference with gmtime).
                let (sign, delta) = if ts_ns < reference {
                    ('-', reference - ts_ns)
                } else {
                    (' ', ts_ns - reference)
                };
                out.write_char(sign)?;
                write_hms(out, (delta / 1_000_000_000 % 86_400) as i64)?;
                write_frac(out, (delta % 1_000_000_000) as u32, self.precision)?;
            }
        }
        out.write_char(' ')
    }
}

fn write_hms(out: &mut impl Write, sod: i64) -> fmt::Result {
    write!(
        out,
        "{:02}:{:02}:{:02}",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// RFC 3339 in UTC with nanoseconds: `2023-11-14T22:13:20.123456789Z`.
pub(crate) fn write_rfc3339(out: &mut impl Write, ts_ns: u64) -> fmt::Result {
    let secs = (ts_ns / 1_000_000_000) as i64;
    let nanos = (ts_ns % 1_000_000_000) as u32;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{nanos:09}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ts: u64, style: TimeStyle) -> String {
        let mut s = String::new();
        Clock::new(
            style.format,
            style.precision,
            TimeZone::fixed(style.utc_offset_secs),
        )
        .write(&mut s, ts)
        .unwrap();
        s
    }

    #[test]
    fn days_round_trip() {
        for z in [-800_000i64, -1, 0, 1, 59, 60, 11_016, 19_675, 2_000_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }

    #[test]
    fn deltas_drop_whole_days_and_carry_a_sign() {
        let mut c = Clock::new(TimeFormat::SincePrevious, Precision::Micro, TimeZone::UTC);
        let mut s = String::new();
        for ts in [
            10_000_000_123_456_789u64,
            10_259_204_000_000_000,
            10_000_000_000_000_000,
        ] {
            c.write(&mut s, ts).unwrap();
            s.push('|');
        }
        assert_eq!(s, " 00:00:00.000000 | 00:00:03.876544 |-00:00:04.000000 |");
    }

    #[test]
    fn unix_micro_truncates_nanoseconds() {
        assert_eq!(
            t(1_700_000_000_123_456_789, TimeStyle::UNIX_MICRO),
            "1700000000.123456 "
        );
        assert_eq!(
            t(1_700_000_000_123_456_789, TimeStyle::UNIX_NANO),
            "1700000000.123456789 "
        );
        assert_eq!(t(5, TimeStyle::NONE), "");
    }

    #[test]
    fn time_of_day_and_date() {
        assert_eq!(
            t(1_700_000_000_000_001_000, TimeStyle::TIME_OF_DAY_UTC),
            "22:13:20.000001 "
        );
        let style = TimeStyle {
            format: TimeFormat::DateTime,
            precision: Precision::Micro,
            utc_offset_secs: 3600,
        };
        assert_eq!(
            t(1_700_000_000_000_000_000, style),
            "2023-11-14 23:13:20.000000 "
        );
    }

    #[test]
    fn rfc3339() {
        let mut s = String::new();
        write_rfc3339(&mut s, 1_700_000_000_123_456_789).unwrap();
        assert_eq!(s, "2023-11-14T22:13:20.123456789Z");
        s.clear();
        write_rfc3339(&mut s, 951_782_400_000_000_000).unwrap();
        assert_eq!(s, "2000-02-29T00:00:00.000000000Z");
        s.clear();
        write_rfc3339(&mut s, u64::MAX).unwrap();
        assert_eq!(s, "2554-07-21T23:34:33.709551615Z");
    }
}
