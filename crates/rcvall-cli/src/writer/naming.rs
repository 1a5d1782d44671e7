//! File names of a rotated capture, exactly as tcpdump 4.99 makes them (its MakeFilename):
//! with -G the -w name is a strftime(3) pattern expanded in local time at the rotation; with
//! -C a file number follows, zero-padded to the digits of N-1 when -W N is given, and left off
//! for the very first file when -W is not (`file`, `file1`, `file2`, …).

use std::path::PathBuf;

/// How the names of a capture's files are made.
#[derive(Debug, Clone)]
pub struct Naming {
    pattern: String,
    strftime: bool,
    by_size: bool,
    /// tcpdump's WflagChars: digits of N-1 for -W N, else 0.
    digits: usize,
}

impl Naming {
    pub fn new(pattern: &str, by_time: bool, by_size: bool, files: Option<u32>) -> Naming {
        Naming {
            pattern: pattern.to_owned(),
            strftime: by_time,
            by_size,
            digits: files.map_or(0, digits_of_last),
        }
    }

    /// The name of file number `count` (0 for the first of each -G interval) for a rotation
    /// at `unix_secs`.
    pub fn name(&self, unix_secs: i64, count: u32) -> PathBuf {
        let base = if self.strftime {
            strftime(&self.pattern, &local_time(unix_secs))
        } else {
            self.pattern.clone()
        };
        // Without -C tcpdump passes a width of 0 and count 0: the bare name.
        let digits = if self.by_size { self.digits } else { 0 };
        if count == 0 && digits == 0 {
            PathBuf::from(base)
        } else {
            PathBuf::from(format!("{base}{count:0digits$}"))
        }
    }
}

/// tcpdump's getWflagChars: how many digits N-1 has (0 for N = 1).
fn digits_of_last(files: u32) -> usize {
    let mut x = files.saturating_sub(1);
    let mut digits = 0;
    while x > 0 {
        digits += 1;
        x /= 10;
    }
    digits
}

/// A broken-down local time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tm {
    pub year: i64,
    /// 1..=12
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 = Sunday.
    pub weekday: u32,
    /// 0-based day of the year.
    pub yday: u32,
    /// Seconds east of UTC.
    pub offset: i64,
    pub zone: String,
    pub unix: i64,
}

/// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// `unix` shifted by `offset` seconds, broken down.
pub fn broken_down(unix: i64, offset: i64, zone: &str) -> Tm {
    let local = unix + offset;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (year, month, day) = civil(days);
    const BEFORE: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let yday = BEFORE[month as usize - 1] + day - 1 + u32::from(month > 2 && is_leap(year));
    Tm {
        year,
        month,
        day,
        hour: (secs / 3600) as u32,
        minute: (secs / 60 % 60) as u32,
        second: (secs % 60) as u32,
        weekday: (days + 4).rem_euclid(7) as u32,
        yday,
        offset,
        zone: zone.to_owned(),
        unix,
    }
}

/// Local time as localtime(3) gives it: the zone of $TZ (a zoneinfo name or file) or of
/// /etc/localtime, read from its TZif data; UTC when there is none.
pub fn local_time(unix: i64) -> Tm {
    let (offset, zone) = zone_offset(unix).unwrap_or((0, "UTC".to_owned()));
    broken_down(unix, offset, &zone)
}

fn zone_offset(unix: i64) -> Option<(i64, String)> {
    let path = match std::env::var("TZ") {
        Ok(tz) if tz.is_empty() || tz == "UTC" || tz == "UTC0" || tz == ":UTC" => {
            return Some((0, "UTC".to_owned()))
        }
        Ok(tz) => {
            let name = tz.trim_start_matches(':');
            if name.starts_with('/') {
                PathBuf::from(name)
            } else {
                PathBuf::from("/usr/share/zoneinfo").join(name)
            }
        }
        Err(_) => PathBuf::from("/etc/localtime"),
    };
    let data = std::fs::read(path).ok()?;
    tzif_offset(&data, unix)
}

/// The UTC offset and abbreviation in force at `unix` from TZif data (RFC 8536), using the
/// 64-bit body of version 2+ files. Times after the last transition keep its offset (the
/// footer's rule for later years is not evaluated).
pub fn tzif_offset(data: &[u8], unix: i64) -> Option<(i64, String)> {
    let header = |d: &[u8]| -> Option<[usize; 6]> {
        if d.get(..4)? != b"TZif" {
            return None;
        }
        let mut counts = [0usize; 6];
        for (i, c) in counts.iter_mut().enumerate() {
            let at = 20 + 4 * i;
            *c = u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?) as usize;
        }
        Some(counts)
    };
    let [isutc, isstd, leap, time, types, chars] = header(data)?;
    let version = *data.get(4)?;
    let (body, width, counts) = if version >= b'2' {
        let v1_len = 44 + time * 5 + types * 6 + chars + leap * 8 + isstd + isutc;
        let rest = data.get(v1_len..)?;
        (rest, 8usize, header(rest)?)
    } else {
        (data, 4usize, [isutc, isstd, leap, time, types, chars])
    };
    let [_, _, _, time, types, chars] = counts;
    let times_at = 44;
    let idx_at = times_at + time * width;
    let types_at = idx_at + time;
    let chars_at = types_at + types * 6;
    let transition = |i: usize| -> Option<i64> {
        let b = body.get(times_at + i * width..times_at + (i + 1) * width)?;
        Some(if width == 8 {
            i64::from_be_bytes(b.try_into().ok()?)
        } else {
            i64::from(i32::from_be_bytes(b.try_into().ok()?))
        })
    };
    let mut kind = 0usize;
    for i in 0..time {
        if transition(i)? <= unix {
            kind = usize::from(*body.get(idx_at + i)?);
        } else {
            break;
        }
    }
    let t = body.get(types_at + kind * 6..types_at + kind * 6 + 6)?;
    let offset = i64::from(i32::from_be_bytes(t[0..4].try_into().ok()?));
    let abbr_at = chars_at + usize::from(t[5]);
    let abbr = body.get(abbr_at..chars_at + chars)?;
    let end = abbr.iter().position(|&b| b == 0).unwrap_or(abbr.len());
    Some((offset, String::from_utf8_lossy(&abbr[..end]).into_owned()))
}

const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// strftime(3) in the C locale, for the conversions file names use; an unknown conversion is
/// copied as it stands (as glibc does).
pub fn strftime(pattern: &str, tm: &Tm) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(conv) = chars.next() else {
            out.push('%');
            break;
        };
        let hour12 = match tm.hour % 12 {
            0 => 12,
            h => h,
        };
        let piece = match conv {
            'Y' => tm.year.to_string(),
            'C' => format!("{:02}", tm.year.div_euclid(100)),
            'y' => format!("{:02}", tm.year.rem_euclid(100)),
            'm' => format!("{:02}", tm.month),
            'd' => format!("{:02}", tm.day),
            'e' => format!("{:2}", tm.day),
            'H' => format!("{:02}", tm.hour),
            'I' => format!("{hour12:02}"),
            'M' => format!("{:02}", tm.minute),
            'S' => format!("{:02}", tm.second),
            'j' => format!("{:03}", tm.yday + 1),
            'p' => (if tm.hour < 12 { "AM" } else { "PM" }).to_owned(),
            'a' => DAYS[tm.weekday as usize][..3].to_owned(),
            'A' => DAYS[tm.weekday as usize].to_owned(),
            'b' | 'h' => MONTHS[tm.month as usize - 1][..3].to_owned(),
            'B' => MONTHS[tm.month as usize - 1].to_owned(),
            'u' => (if tm.weekday == 0 { 7 } else { tm.weekday }).to_string(),
            'w' => tm.weekday.to_string(),
            's' => tm.unix.to_string(),
            'F' => format!("{}-{:02}-{:02}", tm.year, tm.month, tm.day),
            'T' => format!("{:02}:{:02}:{:02}", tm.hour, tm.minute, tm.second),
            'R' => format!("{:02}:{:02}", tm.hour, tm.minute),
            'D' => format!(
                "{:02}/{:02}/{:02}",
                tm.month,
                tm.day,
                tm.year.rem_euclid(100)
            ),
            'z' => {
                let sign = if tm.offset < 0 { '-' } else { '+' };
                let off = tm.offset.abs();
                format!("{sign}{:02}{:02}", off / 3600, off / 60 % 60)
            }
            'Z' => tm.zone.clone(),
            'n' => "\n".to_owned(),
            't' => "\t".to_owned(),
            '%' => "%".to_owned(),
            other => format!("%{other}"),
        };
        out.push_str(&piece);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_rotation_names_follow_tcpdump() {
        let plain = Naming::new("cap", false, true, None);
        let names: Vec<_> = (0..3).map(|i| plain.name(0, i)).collect();
        assert_eq!(names, ["cap", "cap1", "cap2"].map(PathBuf::from));
        let ring = Naming::new("cap", false, true, Some(3));
        assert_eq!(ring.name(0, 0), PathBuf::from("cap0"));
        let wide = Naming::new("cap", false, true, Some(11));
        assert_eq!(wide.name(0, 7), PathBuf::from("cap07"));
        assert_eq!(
            Naming::new("cap", false, true, Some(1)).name(0, 0),
            PathBuf::from("cap")
        );
        // -G without -C: the strftime name alone, whatever -W says.
        let timed = Naming::new("t-%Y%m%d-%H%M%S", true, false, Some(5));
        assert_eq!(
            timed.name(1_700_000_000, 0),
            PathBuf::from(format!(
                "t-{}",
                strftime("%Y%m%d-%H%M%S", &local_time(1_700_000_000))
            ))
        );
    }

    #[test]
    fn strftime_matches_glibc_in_utc() {
        // date -u -d @1700000000 '+%Y-%m-%d %H:%M:%S %j %a %A %b %B %y %e %I %p %u %w %s %D %z %%'
        let tm = broken_down(1_700_000_000, 0, "UTC");
        assert_eq!(
            strftime(
                "%Y-%m-%d %H:%M:%S %j %a %A %b %B %y %e %I %p %u %w %s %D %z %Z %% %q",
                &tm
            ),
            "2023-11-14 22:13:20 318 Tue Tuesday Nov November 23 14 10 PM 2 2 1700000000 \
             11/14/23 +0000 UTC % %q"
        );
        let leap = broken_down(951_782_400, 0, "UTC"); // 2000-02-29
        assert_eq!(strftime("%F %j", &leap), "2000-02-29 060");
        let before = broken_down(-1, 3600 + 1800, "X");
        assert_eq!(strftime("%F %T %z", &before), "1970-01-01 01:29:59 +0130");
    }

    #[test]
    fn tzif_data_gives_the_offset_in_force() {
        // A minimal version-1 file: one transition at t=1000 from type 0 (+0, "AAA") to
        // type 1 (+3600, "BBB").
        let mut d = b"TZif".to_vec();
        d.extend_from_slice(&[0; 16]);
        for count in [0u32, 0, 0, 1, 2, 8] {
            d.extend_from_slice(&count.to_be_bytes());
        }
        d.extend_from_slice(&1000i32.to_be_bytes());
        d.push(1);
        d.extend_from_slice(&0i32.to_be_bytes());
        d.extend_from_slice(&[0, 0]);
        d.extend_from_slice(&3600i32.to_be_bytes());
        d.extend_from_slice(&[0, 4]);
        d.extend_from_slice(b"AAA\0BBB\0");
        assert_eq!(tzif_offset(&d, 999), Some((0, "AAA".into())));
        assert_eq!(tzif_offset(&d, 1000), Some((3600, "BBB".into())));
        assert_eq!(tzif_offset(b"nope", 0), None);
    }
}
