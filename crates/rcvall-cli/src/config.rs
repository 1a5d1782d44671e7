//! From the typed command line to a checked configuration. Every error here is the user's
//! input (exit status 2) and names the culprit.

use crate::args::{CaptureArgs, DirectionArg, FormatArg, ModeArg, PrecisionArg, TextArgs};
use anyhow::{anyhow, bail, Context, Result};
use rcvall::Direction;
use rcvall::{Families, Interface, RcvAll};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// An error in what the user typed: exit status 2.
#[derive(Debug)]
pub struct UsageError(pub anyhow::Error);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl std::error::Error for UsageError {}

/// Runs `f`, marking its errors as usage errors.
pub fn usage<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    f().map_err(|err| UsageError(err).into())
}

/// Where and in which form packets go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Pcapng,
    Pcap,
}

/// One interface to capture and the families to keep on it.
#[derive(Debug, Clone)]
pub struct Target {
    pub iface: Interface,
    pub families: Families,
}

#[derive(Debug)]
pub struct CaptureConfig {
    pub targets: Vec<Target>,
    /// Why the interface was chosen, when the user did not say.
    pub chosen_by_default: bool,
    pub mode: RcvAll,
    pub direction: Option<Direction>,
    pub count: Option<u64>,
    pub duration: Option<Duration>,
    pub snaplen: u32,
    pub format: Format,
    /// None: standard output.
    pub write: Option<PathBuf>,
    /// The live statistics line (on a terminal, while writing a file).
    pub live: bool,
    pub text: TextConfig,
    pub ring_bytes: u64,
    pub immediate: bool,
    pub user: Option<User>,
    pub filter: Option<Filter>,
    /// -C, -G, -W, -z.
    pub rotation: crate::writer::Rotation,
    /// -U.
    pub packet_buffered: bool,
    /// O_DIRECT for regular files (off with --no-direct-io).
    pub direct_io: bool,
}

/// A compiled filter expression.
#[derive(Debug, Clone)]
pub struct Filter {
    pub expression: String,
    pub program: rcvall_filter::Program,
}

/// A user to drop privileges to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups (the primary one included).
    pub groups: Vec<u32>,
}

/// libpcap's default snap length: more than any IP datagram on a normal link.
pub const DEFAULT_SNAPLEN: u32 = 262_144;
const DEFAULT_RING_KIB: u64 = 32 << 10;

pub fn capture(args: &CaptureArgs) -> Result<CaptureConfig> {
    usage(|| {
        let snaplen = match args.snaplen {
            None | Some(0) => DEFAULT_SNAPLEN,
            Some(n) => n,
        };
        let (targets, chosen_by_default) = targets(args)?;
        let format = match (args.format, &args.write) {
            (Some(FormatArg::Text), _) => Format::Text,
            (Some(FormatArg::Json), _) => Format::Json,
            (Some(FormatArg::Pcapng), _) => Format::Pcapng,
            (Some(FormatArg::Pcap), _) => Format::Pcap,
            (None, None) => Format::Text,
            (None, Some(path)) if path.extension().is_some_and(|e| e == "pcap") => Format::Pcap,
            (None, Some(_)) => Format::Pcapng,
        };
        let write = args.write.clone().filter(|path| path.as_os_str() != "-");
        let write_to_file = write.is_some();
        let ring_kib = args.buffer_kib.unwrap_or(DEFAULT_RING_KIB);
        if ring_kib < 64 {
            bail!("-B {ring_kib}: the ring needs at least 64 KiB");
        }
        Ok(CaptureConfig {
            targets,
            chosen_by_default,
            mode: match args.mode {
                ModeArg::On => RcvAll::On,
                ModeArg::Iplevel => RcvAll::IpLevel,
            },
            direction: match args.direction {
                DirectionArg::In => Some(Direction::In),
                DirectionArg::Out => Some(Direction::Out),
                DirectionArg::Inout => None,
            },
            count: match args.count {
                Some(0) => bail!("-c 0: the count must be at least 1"),
                other => other,
            },
            duration: args.duration.as_deref().map(parse_duration).transpose()?,
            snaplen,
            format,
            live: write.is_some() && !args.no_live,
            write,
            text: text_config(&args.text)?,
            ring_bytes: ring_kib << 10,
            immediate: args.immediate,
            user: args.user.as_deref().map(lookup_user).transpose()?,
            filter: compile_filter(&filter_words(&args.text, &args.filter)?, snaplen)?,
            rotation: rotation(&args.files, write_to_file, format)?,
            packet_buffered: args.files.packet_buffered,
            direct_io: !args.files.no_direct_io,
        })
    })
}

/// tcpdump's text-output flags, resolved.
#[derive(Debug, Clone)]
pub struct TextConfig {
    pub options: rcvall_wire::TextOptions,
    /// `-l`: flush after each line.
    pub line_buffered: bool,
}

pub fn text_config(args: &TextArgs) -> Result<TextConfig> {
    use rcvall_wire::{Dump, Precision, TimeFormat};
    let time = match args.time {
        0 => TimeFormat::TimeOfDay,
        1 => TimeFormat::None,
        2 => TimeFormat::Unix,
        3 => TimeFormat::SincePrevious,
        4 => TimeFormat::DateTime,
        5 => TimeFormat::SinceFirst,
        n => bail!("-{}: at most five t's (-ttttt)", "t".repeat(n.into())),
    };
    // tcpdump lets -X win over -x, and either over -A; the chosen one doubled (-XX, -xx,
    // -AA) dumps from the link-layer header.
    let (dump, count) = if args.hex_ascii > 0 {
        (Dump::HexAscii, args.hex_ascii)
    } else if args.hex > 0 {
        (Dump::Hex, args.hex)
    } else if args.ascii > 0 {
        (Dump::Ascii, args.ascii)
    } else {
        (Dump::None, 0)
    };
    let precision = match (args.precision, args.nano) {
        (Some(PrecisionArg::Nano), _) | (None, true) => Precision::Nano,
        _ => Precision::Micro,
    };
    Ok(TextConfig {
        options: rcvall_wire::TextOptions {
            time,
            precision,
            zone: local_zone(),
            verbose: args.verbose,
            quick: args.quick,
            absolute_seq: args.absolute_seq,
            dump,
            dump_link_layer: count > 1,
        },
        line_buffered: args.line_buffered,
    })
}

/// The filter's words: those typed, or with -F the file's text with `#` comments blanked, as
/// tcpdump's `read_infile` does (tcpdump then ignores the typed words).
pub fn filter_words(args: &TextArgs, typed: &[String]) -> Result<Vec<String>> {
    let Some(path) = &args.filter_file else {
        return Ok(typed.to_vec());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("-F {}: cannot read the filter file", path.display()))?;
    if !typed.is_empty() {
        eprintln!("rcvall: -F given: ignoring the filter words on the command line");
    }
    Ok(vec![strip_filter_comments(&text)])
}

fn strip_filter_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_comment = false;
    for c in text.chars() {
        match c {
            '#' => in_comment = true,
            '\n' => in_comment = false,
            _ => {}
        }
        out.push(if in_comment || c.is_whitespace() {
            ' '
        } else {
            c
        });
    }
    out
}

/// The zone tcpdump's `localtime()` would use, resolved as glibc does: `TZ` unset means
/// `/etc/localtime`; empty means UTC; `:NAME` or `NAME` is a file under `$TZDIR` (default
/// `/usr/share/zoneinfo`) or an absolute path; failing that `NAME` is read as a POSIX rule;
/// anything unusable is UTC.
pub fn local_zone() -> rcvall_wire::TimeZone {
    use rcvall_wire::TimeZone;
    let from_file = |path: &Path| {
        std::fs::read(path)
            .ok()
            .and_then(|data| TimeZone::from_tzif(&data).ok())
    };
    let Some(tz) = std::env::var_os("TZ") else {
        return from_file(Path::new("/etc/localtime")).unwrap_or(TimeZone::UTC);
    };
    let tz = tz.to_string_lossy().into_owned();
    if tz.is_empty() {
        return TimeZone::UTC;
    }
    let (name, file_only) = match tz.strip_prefix(':') {
        Some(name) => (name, true),
        None => (tz.as_str(), false),
    };
    let dir = std::env::var_os("TZDIR").unwrap_or_else(|| "/usr/share/zoneinfo".into());
    let path = if name.starts_with('/') {
        PathBuf::from(name)
    } else {
        Path::new(&dir).join(name)
    };
    from_file(&path)
        .or_else(|| (!file_only).then(|| TimeZone::from_posix(name)).flatten())
        .unwrap_or(TimeZone::UTC)
}

/// Checks -C and -G: they name files, so they need -w FILE with pcap or pcapng. -W and -z
/// without them are accepted and do nothing, as in tcpdump.
fn rotation(
    files: &crate::args::FileArgs,
    write_to_file: bool,
    format: Format,
) -> Result<crate::writer::Rotation> {
    let rotation = crate::writer::Rotation {
        size_bytes: files.file_size_mb.map(|mb| mb.saturating_mul(1_000_000)),
        seconds: files.rotate_seconds,
        files: files.file_count,
        compress: files.post_rotate.clone(),
    };
    let asked = rotation.active();
    if asked && !write_to_file {
        bail!("-C and -G rotate capture files: they need -w FILE");
    }
    if asked && !matches!(format, Format::Pcap | Format::Pcapng) {
        bail!("-C and -G rotate pcap or pcapng files, not text or JSON lines");
    }
    // -W alone changes nothing, as in tcpdump (which accepts it and writes FILE).
    Ok(rotation)
}

/// Compiles the words of a filter expression; None when there are none.
pub fn compile_filter(words: &[String], snaplen: u32) -> Result<Option<Filter>> {
    let expression = words.join(" ");
    if expression.trim().is_empty() {
        return Ok(None);
    }
    let program = rcvall_filter::compile(&expression, &rcvall_filter::CompileOptions { snaplen })
        .map_err(|err| anyhow!("bad filter expression {expression:?}: {err}"))?;
    Ok(Some(Filter {
        expression,
        program,
    }))
}

fn families_flag(args: &CaptureArgs) -> Option<Families> {
    match (args.ipv4, args.ipv6) {
        (true, _) => Some(Families::V4),
        (_, true) => Some(Families::V6),
        _ => None,
    }
}

fn targets(args: &CaptureArgs) -> Result<(Vec<Target>, bool)> {
    let flag = families_flag(args);
    let mut targets = Vec::new();
    for text in &args.addresses {
        let (ip, scope) = parse_address(text)?;
        if ip.is_unspecified() {
            bail!(
                "-a {text}: the unspecified address names no interface; give an address of the \
                 interface to capture (see `rcvall list`)"
            );
        }
        let own = match ip {
            IpAddr::V4(_) => Families::V4,
            IpAddr::V6(_) => Families::V6,
        };
        if flag.is_some_and(|f| f != own) {
            bail!(
                "-a {text} is an {own:?} address but -{} asks for the other family",
                if own == Families::V4 { 6 } else { 4 }
            );
        }
        let addr = match ip {
            IpAddr::V6(v6) => SocketAddr::V6(std::net::SocketAddrV6::new(v6, 0, 0, scope)),
            IpAddr::V4(_) => SocketAddr::new(ip, 0),
        };
        let iface = Interface::by_address(addr).map_err(|err| anyhow!("-a {text}: {err}"))?;
        targets.push(Target {
            iface,
            families: own,
        });
    }
    for name in &args.interfaces {
        let iface = Interface::by_name(name).map_err(|err| anyhow!("-i {name}: {err}"))?;
        targets.push(Target {
            iface,
            families: flag.unwrap_or(Families::Both),
        });
    }
    if !targets.is_empty() {
        return Ok((merge(targets), false));
    }
    let name = default_route_interface().context(
        "no interface given and no default route to choose one by: use -i NAME or -a ADDRESS",
    )?;
    let iface =
        Interface::by_name(&name).map_err(|err| anyhow!("default route's {name}: {err}"))?;
    Ok((
        vec![Target {
            iface,
            families: flag.unwrap_or(Families::Both),
        }],
        true,
    ))
}

/// One capture per interface: `-a v4 -a v6` of the same interface become both families.
fn merge(targets: Vec<Target>) -> Vec<Target> {
    let mut merged: Vec<Target> = Vec::new();
    for t in targets {
        match merged.iter_mut().find(|m| m.iface.index == t.iface.index) {
            Some(m) if m.families != t.families => m.families = Families::Both,
            Some(_) => {}
            None => merged.push(t),
        }
    }
    merged
}

/// An address with an optional IPv6 scope (`fe80::1%eth0` or `fe80::1%2`).
fn parse_address(text: &str) -> Result<(IpAddr, u32)> {
    let (addr, scope) = match text.split_once('%') {
        Some((addr, scope)) => (addr, Some(scope)),
        None => (text, None),
    };
    let ip: IpAddr = addr
        .parse()
        .map_err(|_| anyhow!("-a {text}: not an IPv4 or IPv6 address"))?;
    let scope_id = match scope {
        None => 0,
        Some(_) if ip.is_ipv4() => bail!("-a {text}: IPv4 addresses have no scope"),
        Some(s) => match s.parse::<u32>() {
            Ok(id) => id,
            Err(_) => {
                Interface::by_name(s)
                    .map_err(|err| anyhow!("-a {text}: scope {s:?}: {err}"))?
                    .index
            }
        },
    };
    Ok((ip, scope_id))
}

/// `500ms`, `10s`, `2m`, `1h`, or plain seconds.
pub fn parse_duration(text: &str) -> Result<Duration> {
    let bad = || anyhow!("--duration {text:?}: use a number with ms, s, m or h, e.g. 10s or 2m");
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(bad()),
    };
    if !(seconds > 0.0 && seconds < 1e9) {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// The interface of the IPv4 default route, else of the IPv6 one (from /proc/net).
fn default_route_interface() -> Result<String> {
    let v4 = std::fs::read_to_string("/proc/net/route").unwrap_or_default();
    for line in v4.lines().skip(1) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() > 7 && fields[1] == "00000000" && fields[7] == "00000000" {
            return Ok(fields[0].to_owned());
        }
    }
    let v6 = std::fs::read_to_string("/proc/net/ipv6_route").unwrap_or_default();
    for line in v6.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() == 10
            && fields[0].chars().all(|c| c == '0')
            && fields[1] == "00"
            && fields[9] != "lo"
        {
            return Ok(fields[9].to_owned());
        }
    }
    bail!("no default route")
}

/// A user by name or number, looked up through NSS (getpwnam_r / getpwuid_r), as tcpdump
/// looks up -Z; the supplementary groups are the user's (getgrouplist, as initgroups sets).
fn lookup_user(spec: &str) -> Result<User> {
    use nix::unistd::{getgrouplist, User as Passwd};
    let found = match spec.parse::<u32>() {
        Ok(uid) => Passwd::from_uid(uid.into()),
        Err(_) => Passwd::from_name(spec),
    }
    .with_context(|| format!("-Z {spec}: looking the user up failed"))?;
    let Some(passwd) = found else {
        bail!("-Z {spec}: no such user")
    };
    let name = std::ffi::CString::new(passwd.name.as_str())
        .with_context(|| format!("-Z {spec}: the user name has a NUL byte"))?;
    let groups = getgrouplist(&name, passwd.gid)
        .map(|groups| groups.into_iter().map(|g| g.as_raw()).collect())
        .unwrap_or_else(|_| vec![passwd.gid.as_raw()]);
    Ok(User {
        name: passwd.name,
        uid: passwd.uid.as_raw(),
        gid: passwd.gid.as_raw(),
        groups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_looked_up_through_nss_by_name_or_number() {
        let root = lookup_user("root").unwrap();
        assert_eq!((root.uid, root.gid), (0, 0));
        assert!(root.groups.contains(&0), "{root:?}");
        assert_eq!(lookup_user("0").unwrap().name, root.name);
        let err = lookup_user("rcvt-no-such-user").unwrap_err().to_string();
        assert!(err.contains("no such user"), "{err}");
    }

    #[test]
    fn filter_files_lose_their_comments() {
        assert_eq!(
            strip_filter_comments("tcp # web\nand port 80\t# x"),
            format!("tcp{}and port 80{}", " ".repeat(7), " ".repeat(4))
        );
    }

    #[test]
    fn durations_take_units() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        for bad in ["", "s", "10x", "-1s", "0", "ms10"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn users_resolve_by_name_and_number() {
        assert_eq!(lookup_user("root").unwrap().uid, 0);
        assert_eq!(lookup_user("0").unwrap().name, "root");
        assert!(lookup_user("rcvt-nobody-such").is_err());
    }

    #[test]
    fn rotation_needs_a_capture_file_and_counts_megabytes_as_tcpdump() {
        let files = |c: Option<u64>, g: Option<u64>, w: Option<u32>| crate::args::FileArgs {
            file_size_mb: c,
            rotate_seconds: g,
            file_count: w,
            post_rotate: None,
            packet_buffered: false,
            no_direct_io: false,
        };
        let r = rotation(&files(Some(2), None, Some(3)), true, Format::Pcapng).unwrap();
        assert_eq!((r.size_bytes, r.files), (Some(2_000_000), Some(3)));
        assert!(rotation(&files(Some(1), None, None), false, Format::Pcapng).is_err());
        assert!(rotation(&files(None, Some(5), None), true, Format::Text).is_err());
        // -W alone is accepted and changes nothing, as in tcpdump.
        assert!(!rotation(&files(None, None, Some(3)), true, Format::Pcap)
            .unwrap()
            .active());
    }

    #[test]
    fn addresses_may_carry_a_scope() {
        assert_eq!(parse_address("198.18.0.1").unwrap().1, 0);
        assert_eq!(parse_address("fe80::1%7").unwrap().1, 7);
        assert!(parse_address("198.18.0.1%2").is_err());
        assert!(parse_address("198.18.0.300").is_err());
    }
}
