//! Local time without the C library: TZif files (RFC 8536) and POSIX `TZ` strings, parsed from
//! bytes the caller read.
//!
//! Why not a crate: jiff and chrono-tz are whole date-time libraries (chrono-tz also embeds its
//! own copy of the zone database, which then disagrees with the system's `/usr/share/zoneinfo`
//! that tcpdump's `localtime()` reads); tz-rs can parse TZif bytes but is outside the project's
//! short list of dependencies, and this crate has none. tcpdump's behaviour needs only "UTC
//! offset at instant t": this file. Leap-second ("right/") zones are read but their leap table
//! is ignored.

use crate::time::days_from_civil;

/// A time zone: the UTC offset in force at any instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeZone(Kind);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    Fixed(i32),
    Table(Table),
    Rule(PosixTz),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Table {
    /// Transition instants (Unix seconds), ascending.
    at: Vec<i64>,
    /// Index into `offsets` that applies from the matching `at`.
    kind: Vec<u8>,
    /// UTC offsets (seconds east) of the local time types.
    offsets: Vec<i32>,
    /// The type that applies before the first transition: the first standard-time one, as
    /// glibc's `__tzfile_compute` chooses (RFC 8536 says type 0; they differ only in odd files).
    initial: u8,
    /// The footer rule for instants after the last transition (TZif v2+).
    footer: Option<PosixTz>,
}

/// Why a TZif file was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TzError(&'static str);

impl core::fmt::Display for TzError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "bad TZif data: {}", self.0)
    }
}

impl std::error::Error for TzError {}

impl TimeZone {
    /// Coordinated Universal Time.
    pub const UTC: TimeZone = TimeZone(Kind::Fixed(0));

    /// A zone whose offset never changes (`secs_east` seconds ahead of UTC).
    pub fn fixed(secs_east: i32) -> TimeZone {
        TimeZone(Kind::Fixed(secs_east))
    }

    /// Parses a compiled zone file, as found under `/usr/share/zoneinfo` or at `/etc/localtime`.
    pub fn from_tzif(data: &[u8]) -> Result<TimeZone, TzError> {
        parse_tzif(data).map(|t| TimeZone(Kind::Table(t)))
    }

    /// Parses a POSIX `TZ` rule such as `EST5EDT,M3.2.0,M11.1.0` or `<+0530>-5:30`.
    pub fn from_posix(spec: &str) -> Option<TimeZone> {
        PosixTz::parse(spec.as_bytes()).map(|p| TimeZone(Kind::Rule(p)))
    }

    /// Seconds east of UTC in force at `unix_secs`.
    pub fn offset_at(&self, unix_secs: i64) -> i32 {
        match &self.0 {
            Kind::Fixed(o) => *o,
            Kind::Rule(p) => p.offset_at(unix_secs),
            Kind::Table(t) => t.offset_at(unix_secs),
        }
    }
}

impl Table {
    fn offset_at(&self, t: i64) -> i32 {
        let type_offset = |i: u8| self.offsets.get(usize::from(i)).copied().unwrap_or(0);
        match self.at.last() {
            None => type_offset(self.initial),
            Some(&last) if t >= last => match &self.footer {
                Some(rule) => rule.offset_at(t),
                None => type_offset(*self.kind.last().unwrap_or(&0)),
            },
            Some(_) => match self.at.partition_point(|&a| a <= t) {
                0 => type_offset(self.initial),
                n => type_offset(self.kind[n - 1]),
            },
        }
    }
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], TzError> {
        if self.0.len() < n {
            return Err(TzError("truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn be32(&mut self) -> Result<u32, TzError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// The six counts of a TZif header, in file order.
struct Counts {
    isut: usize,
    isstd: usize,
    leap: usize,
    time: usize,
    types: usize,
    chars: usize,
}

fn header(c: &mut Cursor<'_>) -> Result<(u8, Counts), TzError> {
    if c.take(4)? != b"TZif" {
        return Err(TzError("no TZif magic"));
    }
    let version = c.take(16)?[0];
    let mut n = [0usize; 6];
    for v in &mut n {
        *v = c.be32()? as usize;
    }
    let counts = Counts {
        isut: n[0],
        isstd: n[1],
        leap: n[2],
        time: n[3],
        types: n[4],
        chars: n[5],
    };
    if counts.types == 0 || counts.types > 256 {
        return Err(TzError("bad type count"));
    }
    Ok((version, counts))
}

fn data_block(c: &mut Cursor<'_>, n: &Counts, time_size: usize) -> Result<Table, TzError> {
    let times = c.take(n.time.checked_mul(time_size).ok_or(TzError("size"))?)?;
    let kind = c.take(n.time)?.to_vec();
    let types = c.take(n.types * 6)?;
    c.take(n.chars)?;
    c.take(n.leap.checked_mul(time_size + 4).ok_or(TzError("size"))?)?;
    c.take(n.isstd)?;
    c.take(n.isut)?;
    let at = times
        .chunks_exact(time_size)
        .map(|b| match *b {
            [a, b, c, d] => i64::from(i32::from_be_bytes([a, b, c, d])),
            [a, b, c, d, e, f, g, h] => i64::from_be_bytes([a, b, c, d, e, f, g, h]),
            _ => 0,
        })
        .collect();
    let offsets = types
        .chunks_exact(6)
        .map(|t| i32::from_be_bytes([t[0], t[1], t[2], t[3]]))
        .collect();
    let initial = types.chunks_exact(6).position(|t| t[4] == 0).unwrap_or(0) as u8;
    if kind.iter().any(|&k| usize::from(k) >= n.types) {
        return Err(TzError("transition to an undefined type"));
    }
    Ok(Table {
        at,
        kind,
        offsets,
        initial,
        footer: None,
    })
}

fn parse_tzif(data: &[u8]) -> Result<Table, TzError> {
    let mut c = Cursor(data);
    let (version, n) = header(&mut c)?;
    let v1 = data_block(&mut c, &n, 4)?;
    if version < b'2' {
        return Ok(v1);
    }
    // Version 2+: a second header and block with 64-bit times, then the footer rule.
    let (_, n) = header(&mut c)?;
    let mut table = data_block(&mut c, &n, 8)?;
    if let Some(rest) = c.0.strip_prefix(b"\n") {
        if let Some(end) = rest.iter().position(|&b| b == b'\n') {
            table.footer = PosixTz::parse(&rest[..end]);
        }
    }
    Ok(table)
}

/// A POSIX TZ rule (`std offset [dst [offset] [,start[/time],end[/time]]]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PosixTz {
    /// Standard time, seconds east of UTC.
    std: i32,
    dst: Option<Dst>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Dst {
    offset: i32,
    start: RuleDay,
    /// Local (standard) time of day the change happens, seconds.
    start_time: i32,
    end: RuleDay,
    /// Local (daylight) time of day the change back happens, seconds.
    end_time: i32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RuleDay {
    /// `Jn`: day 1..=365, February 29 never counted.
    Julian1(u16),
    /// `n`: day 0..=365, February 29 counted.
    Julian0(u16),
    /// `Mm.w.d`: day `d` (0 = Sunday) of week `w` (5 = last) of month `m`.
    MonthWeekDay(u8, u8, u8),
}

struct Spec<'a>(&'a [u8]);

impl Spec<'_> {
    fn peek(&self) -> Option<u8> {
        self.0.first().copied()
    }
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.0 = &self.0[1..];
            true
        } else {
            false
        }
    }
    fn number(&mut self, max_digits: usize) -> Option<u32> {
        let n = self
            .0
            .iter()
            .take(max_digits)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if n == 0 {
            return None;
        }
        let v = self.0[..n]
            .iter()
            .fold(0u32, |a, &d| a * 10 + u32::from(d - b'0'));
        self.0 = &self.0[n..];
        Some(v)
    }
    fn name(&mut self) -> Option<()> {
        if self.eat(b'<') {
            let end = self.0.iter().position(|&b| b == b'>')?;
            self.0 = &self.0[end + 1..];
            return Some(());
        }
        let n = self
            .0
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        if n < 3 {
            return None;
        }
        self.0 = &self.0[n..];
        Some(())
    }
    /// `[+-]hh[:mm[:ss]]` in seconds; POSIX allows up to 24 hours, RFC 8536 rule times 167.
    fn hms(&mut self, max_hours: u32) -> Option<i32> {
        let neg = if self.eat(b'-') {
            true
        } else {
            self.eat(b'+');
            false
        };
        let h = self.number(3)?;
        if h > max_hours {
            return None;
        }
        let mut secs = h * 3600;
        if self.eat(b':') {
            secs += self.number(2).filter(|&m| m < 60)? * 60;
            if self.eat(b':') {
                secs += self.number(2).filter(|&s| s < 61)?;
            }
        }
        let secs = secs as i32;
        Some(if neg { -secs } else { secs })
    }
    fn rule(&mut self) -> Option<(RuleDay, i32)> {
        let day = if self.eat(b'J') {
            RuleDay::Julian1(self.number(3).filter(|d| (1..=365).contains(d))? as u16)
        } else if self.eat(b'M') {
            let m = self.number(2).filter(|m| (1..=12).contains(m))?;
            let w = (self.eat(b'.').then_some(())).and_then(|_| self.number(1));
            let w = w.filter(|w| (1..=5).contains(w))?;
            let d = (self.eat(b'.').then_some(())).and_then(|_| self.number(1));
            let d = d.filter(|&d| d <= 6)?;
            RuleDay::MonthWeekDay(m as u8, w as u8, d as u8)
        } else {
            RuleDay::Julian0(self.number(3).filter(|&d| d <= 365)? as u16)
        };
        let time = if self.eat(b'/') { self.hms(167)? } else { 7200 };
        Some((day, time))
    }
}

impl PosixTz {
    fn parse(spec: &[u8]) -> Option<PosixTz> {
        let mut s = Spec(spec);
        s.name()?;
        // POSIX offsets count hours west of Greenwich: `EST5` is UTC-5.
        let std = -s.hms(24)?;
        if s.0.is_empty() {
            return Some(PosixTz { std, dst: None });
        }
        s.name()?;
        let offset = match s.peek() {
            Some(b',') | None => std + 3600,
            _ => -s.hms(24)?,
        };
        // No rule: the US rule glibc assumes (POSIX leaves it to the implementation).
        let ((start, start_time), (end, end_time)) = if s.eat(b',') {
            let start = s.rule()?;
            if !s.eat(b',') {
                return None;
            }
            (start, s.rule()?)
        } else {
            (
                (RuleDay::MonthWeekDay(3, 2, 0), 7200),
                (RuleDay::MonthWeekDay(11, 1, 0), 7200),
            )
        };
        if !s.0.is_empty() {
            return None;
        }
        Some(PosixTz {
            std,
            dst: Some(Dst {
                offset,
                start,
                start_time,
                end,
                end_time,
            }),
        })
    }

    fn offset_at(&self, t: i64) -> i32 {
        let Some(d) = self.dst else { return self.std };
        let year = crate::time::civil_from_days((t + i64::from(self.std)).div_euclid(86_400)).0;
        // Transitions are given in the local time in force before each of them.
        let start = d.start.day(year) * 86_400 + i64::from(d.start_time) - i64::from(self.std);
        let end = d.end.day(year) * 86_400 + i64::from(d.end_time) - i64::from(d.offset);
        let in_dst = if start < end {
            start <= t && t < end
        } else {
            // Southern hemisphere: daylight time spans the new year.
            !(end <= t && t < start)
        };
        if in_dst {
            d.offset
        } else {
            self.std
        }
    }
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

impl RuleDay {
    /// Days since 1970-01-01 of this rule's day in `year`.
    fn day(self, year: i64) -> i64 {
        let jan1 = days_from_civil(year, 1, 1);
        match self {
            RuleDay::Julian1(n) => {
                let n = i64::from(n);
                jan1 + n - 1 + i64::from(is_leap(year) && n >= 60)
            }
            RuleDay::Julian0(n) => jan1 + i64::from(n),
            RuleDay::MonthWeekDay(m, w, d) => {
                let first = days_from_civil(year, u32::from(m), 1);
                // 1970-01-01 was a Thursday (weekday 4).
                let first_wd = (first + 4).rem_euclid(7);
                let mut day = (i64::from(d) - first_wd).rem_euclid(7) + 7 * (i64::from(w) - 1);
                let month_len = days_from_civil(
                    year + i64::from(m == 12),
                    if m == 12 { 1 } else { u32::from(m) + 1 },
                    1,
                ) - first;
                while day >= month_len {
                    day -= 7;
                }
                first + day
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i64, m: u32, d: u32, h: i64) -> i64 {
        days_from_civil(y, m, d) * 86_400 + h * 3600
    }

    #[test]
    fn posix_rules_switch_at_the_right_instants() {
        let ny = TimeZone::from_posix("EST5EDT,M3.2.0,M11.1.0").unwrap();
        // 2024: DST from March 10 07:00 UTC to November 3 06:00 UTC.
        assert_eq!(ny.offset_at(at(2024, 3, 10, 7) - 1), -5 * 3600);
        assert_eq!(ny.offset_at(at(2024, 3, 10, 7)), -4 * 3600);
        assert_eq!(ny.offset_at(at(2024, 11, 3, 6) - 1), -4 * 3600);
        assert_eq!(ny.offset_at(at(2024, 11, 3, 6)), -5 * 3600);
        let sydney = TimeZone::from_posix("AEST-10AEDT,M10.1.0,M4.1.0/3").unwrap();
        assert_eq!(sydney.offset_at(at(2024, 1, 15, 0)), 11 * 3600);
        assert_eq!(sydney.offset_at(at(2024, 7, 15, 0)), 10 * 3600);
        let india = TimeZone::from_posix("<+0530>-5:30").unwrap();
        assert_eq!(india.offset_at(0), 19_800);
        assert_eq!(TimeZone::from_posix("EST5EDT").unwrap(), ny);
        for bad in [
            "",
            "E5",
            "EST",
            "EST5EDT,M3.2.0",
            "EST5EDT,M13.1.0,M1.1.0",
            "<X",
        ] {
            assert_eq!(TimeZone::from_posix(bad), None, "{bad}");
        }
    }

    #[test]
    fn last_week_rule_stays_in_the_month() {
        // Europe: last Sunday of March and of October, 01:00 UTC.
        let paris = TimeZone::from_posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        assert_eq!(paris.offset_at(at(2026, 3, 29, 1) - 1), 3600);
        assert_eq!(paris.offset_at(at(2026, 3, 29, 1)), 7200);
        assert_eq!(paris.offset_at(at(2026, 10, 25, 1) - 1), 7200);
        assert_eq!(paris.offset_at(at(2026, 10, 25, 1)), 3600);
    }

    #[test]
    fn tzif_files_of_the_system_agree_with_their_rules() {
        let Ok(data) = std::fs::read("/usr/share/zoneinfo/Europe/Paris") else {
            eprintln!("skipping: no zoneinfo here");
            return;
        };
        let paris = TimeZone::from_tzif(&data).unwrap();
        assert_eq!(paris.offset_at(at(2023, 11, 14, 22)), 3600);
        assert_eq!(paris.offset_at(at(2023, 7, 1, 0)), 7200);
        // 1900: local mean time before the first transition.
        assert_eq!(paris.offset_at(at(1900, 1, 1, 0)), 561);
        // Far future: the footer rule.
        assert_eq!(paris.offset_at(at(2100, 7, 1, 0)), 7200);
    }

    #[test]
    fn malformed_tzif_is_refused_not_panicked_on() {
        assert!(TimeZone::from_tzif(b"").is_err());
        assert!(TimeZone::from_tzif(b"TZif2").is_err());
        let mut d = b"TZif".to_vec();
        d.extend_from_slice(&[0; 16]);
        for count in [0u32, 0, 0, 1, 1, 0] {
            d.extend_from_slice(&count.to_be_bytes());
        }
        d.extend_from_slice(&[0xff; 4]);
        assert!(TimeZone::from_tzif(&d).is_err());
    }
}
