//! From the typed command line to a checked configuration. Every error here is the user's
//! input (exit status 2) and names the culprit.

use crate::args::{CaptureArgs, DirectionArg, FormatArg, ModeArg};
use anyhow::{anyhow, bail, Context, Result};
use rcvall::kfilter::DirectionFilter;
use rcvall::{Families, Interface, RcvAll};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
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
    pub direction: Option<DirectionFilter>,
    pub count: Option<u64>,
    pub duration: Option<Duration>,
    pub snaplen: u32,
    pub format: Format,
    /// None: standard output.
    pub write: Option<PathBuf>,
    pub quiet: bool,
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
                DirectionArg::In => Some(DirectionFilter::In),
                DirectionArg::Out => Some(DirectionFilter::Out),
                DirectionArg::Inout => None,
            },
            count: match args.count {
                Some(0) => bail!("-c 0: the count must be at least 1"),
                other => other,
            },
            duration: args.duration.as_deref().map(parse_duration).transpose()?,
            snaplen,
            format,
            write,
            quiet: args.quiet,
            ring_bytes: ring_kib << 10,
            immediate: args.immediate,
            user: args.user.as_deref().map(lookup_user).transpose()?,
            filter: compile_filter(&args.filter, snaplen)?,
            rotation: rotation(&args.files, write_to_file, format)?,
            packet_buffered: args.files.packet_buffered,
            direct_io: !args.files.no_direct_io,
        })
    })
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

/// A user by name or number, from /etc/passwd.
fn lookup_user(spec: &str) -> Result<User> {
    let passwd = std::fs::read_to_string("/etc/passwd").context("reading /etc/passwd")?;
    let by_number: Option<u32> = spec.parse().ok();
    for line in passwd.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() < 4 {
            continue;
        }
        let (Ok(uid), Ok(gid)) = (fields[2].parse(), fields[3].parse()) else {
            continue;
        };
        if fields[0] == spec || by_number == Some(uid) {
            return Ok(User {
                name: fields[0].to_owned(),
                uid,
                gid,
            });
        }
    }
    bail!("-Z {spec}: no such user in /etc/passwd")
}

#[cfg(test)]
mod tests {
    use super::*;

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
