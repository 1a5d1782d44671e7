//! Timestamp spelling for the text and JSON outputs. Pure: the caller passes the time in.

use core::fmt::{self, Write};

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
    /// Offset from UTC applied to [`TimeFormat::TimeOfDay`] and [`TimeFormat::DateTime`].
    /// tcpdump uses the local zone; this crate does no I/O, so the caller supplies it
    /// (0 reproduces `TZ=UTC tcpdump`).
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

/// Writes the timestamp followed by one space (nothing for [`TimeFormat::None`]).
pub(crate) fn write_time(out: &mut impl Write, ts_ns: u64, style: TimeStyle) -> fmt::Result {
    let secs = ts_ns / 1_000_000_000;
    let nanos = (ts_ns % 1_000_000_000) as u32;
    match style.format {
        TimeFormat::None => return Ok(()),
        TimeFormat::Unix => {
            write!(out, "{secs}")?;
            write_frac(out, nanos, style.precision)?;
        }
        TimeFormat::TimeOfDay | TimeFormat::DateTime => {
            let local = secs as i64 + i64::from(style.utc_offset_secs);
            let days = local.div_euclid(86_400);
            let sod = local.rem_euclid(86_400);
            if style.format == TimeFormat::DateTime {
                let (y, m, d) = civil_from_days(days);
                write!(out, "{y:04}-{m:02}-{d:02} ")?;
            }
            write!(
                out,
                "{:02}:{:02}:{:02}",
                sod / 3600,
                sod % 3600 / 60,
                sod % 60
            )?;
            write_frac(out, nanos, style.precision)?;
        }
    }
    out.write_char(' ')
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
        write_time(&mut s, ts, style).unwrap();
        s
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
