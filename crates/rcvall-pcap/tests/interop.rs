//! Files written here are read by the real tools (tshark, capinfos, tcpdump), and files the real
//! tools write are read here. The tools are required: without them these tests fail and say how
//! to install them (`scripts/setup.sh`), they never pass silently.
//!
//! Nothing here captures live or touches the network: tshark and tcpdump only read and rewrite
//! files, with name resolution off (`-n`).

use std::fs;
use std::io::{self, BufReader};
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rcvall_pcap::{
    decapsulate, CaptureReader, Direction, EpbFlags, FileFormat, InterfaceDesc, InterfaceStats,
    IpVersion, LinkType, PacketRecord, PcapWriter, PcapngWriter, Reception,
};

/// 2023-11-14T22:13:20.123456789Z: every digit down to the nanosecond is significant.
const T0: u64 = 1_700_000_000_123_456_789;
/// One second and one nanosecond between packets, so sub-microsecond digits differ too.
const STEP: u64 = 1_000_000_001;

const IPPROTO_ICMP: u8 = 1;
const IPPROTO_UDP: u8 = 17;
const IPPROTO_ICMPV6: u8 = 58;
const ICMP_ECHO_REQUEST: u8 = 8;
const ICMPV6_ECHO_REQUEST: u8 = 128;

// ---------------------------------------------------------------- hand-built packets

// The IP and UDP builders are testkit's (one builder for every suite).
use testkit::packet::{checksum, udp_segment};

fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, payload: &[u8]) -> Vec<u8> {
    testkit::packet::ipv4(src.into(), dst.into(), proto, payload)
}

fn ipv6(src: [u8; 16], dst: [u8; 16], next: u8, payload: &[u8]) -> Vec<u8> {
    testkit::packet::ipv6(src.into(), dst.into(), next, payload)
}

fn udp(src: SocketAddr, dst: SocketAddr, body: &[u8]) -> Vec<u8> {
    udp_segment(src, dst, body)
}

fn pseudo_v6(src: [u8; 16], dst: [u8; 16], next: u8, len: usize) -> Vec<u8> {
    [
        &src[..],
        &dst,
        &(len as u32).to_be_bytes(),
        &[0, 0, 0, next],
    ]
    .concat()
}

fn echo(kind: u8, pseudo: &[u8]) -> Vec<u8> {
    let mut m = vec![kind, 0, 0, 0, 0x12, 0x34, 0, 1];
    m.extend_from_slice(b"rcvall ping");
    let c = checksum(&[pseudo, &m]);
    m[2..4].copy_from_slice(&c.to_be_bytes());
    m
}

const A4: [u8; 4] = [198, 18, 0, 1];
const B4: [u8; 4] = [198, 18, 0, 2];
const A6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const B6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

struct Sample {
    ip: Vec<u8>,
    interface_id: u32,
    flags: EpbFlags,
    /// Line tcpdump prints after the timestamp, start only.
    tcpdump: &'static str,
}

fn samples() -> Vec<Sample> {
    let body = b"rcvall";
    let u4 = udp(
        (std::net::Ipv4Addr::from(A4), 45000).into(),
        (std::net::Ipv4Addr::from(B4), 45001).into(),
        body,
    );
    let u6 = udp(
        (std::net::Ipv6Addr::from(A6), 45002).into(),
        (std::net::Ipv6Addr::from(B6), 45003).into(),
        body,
    );
    let e6 = echo(ICMPV6_ECHO_REQUEST, &pseudo_v6(B6, A6, IPPROTO_ICMPV6, 19));
    vec![
        Sample {
            ip: ipv4(A4, B4, IPPROTO_UDP, &u4),
            interface_id: 0,
            flags: EpbFlags::outbound(),
            tcpdump: "IP 198.18.0.1.45000 > 198.18.0.2.45001: UDP, length 6",
        },
        Sample {
            ip: ipv4(B4, A4, IPPROTO_ICMP, &echo(ICMP_ECHO_REQUEST, &[])),
            interface_id: 1,
            flags: EpbFlags::inbound(Reception::Unicast),
            tcpdump: "IP 198.18.0.2 > 198.18.0.1: ICMP echo request",
        },
        Sample {
            ip: ipv6(A6, B6, IPPROTO_UDP, &u6),
            interface_id: 0,
            flags: EpbFlags::inbound(Reception::Multicast),
            tcpdump: "IP6 2001:db8::1.45002 > 2001:db8::2.45003: UDP, length 6",
        },
        Sample {
            ip: ipv6(B6, A6, IPPROTO_ICMPV6, &e6),
            interface_id: 1,
            flags: EpbFlags::inbound(Reception::Promiscuous),
            tcpdump: "IP6 2001:db8::2 > 2001:db8::1: ICMP6, echo request",
        },
    ]
}

fn ts(i: usize) -> u64 {
    T0 + i as u64 * STEP
}

/// "1700000000.123456789" for packet `i`.
fn epoch_text(i: usize) -> String {
    let t = ts(i);
    format!("{}.{:09}", t / 1_000_000_000, t % 1_000_000_000)
}

// ---------------------------------------------------------------- files and tools

/// A directory for one test's files, removed when the test passes (kept for a look when it
/// fails). Under the system temp dir and world-writable, because tshark runs as `nobody` when
/// the tests run as root (see [`tshark_command`]) and must read and write there.
struct WorkDir(PathBuf);

impl WorkDir {
    fn new(test: &str) -> WorkDir {
        let dir = std::env::temp_dir()
            .join(format!("rcvall-pcap-interop-{}", std::process::id()))
            .join(test);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("home")).unwrap();
        for d in [dir.parent().unwrap(), &dir, &dir.join("home")] {
            fs::set_permissions(d, fs::Permissions::from_mode(0o777)).unwrap();
        }
        WorkDir(dir)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = fs::remove_dir_all(&self.0);
            // The per-process parent goes too once the last test's directory is gone.
            let _ = fs::remove_dir(self.0.parent().unwrap());
        }
    }
}

fn write_pcapng(path: &Path) {
    let file = io::BufWriter::new(fs::File::create(path).unwrap());
    let mut w = PcapngWriter::new(file, "rcvall-pcap interop test").unwrap();
    for (name, index) in [("rcvt0", 7), ("rcvt1", 8)] {
        w.add_interface(&InterfaceDesc {
            name: Some(name.into()),
            description: Some(format!("ifindex {index}")),
            ..InterfaceDesc::default()
        })
        .unwrap();
    }
    let samples = samples();
    for (i, s) in samples.iter().enumerate() {
        w.write_packet(&PacketRecord {
            interface_id: s.interface_id,
            timestamp_ns: ts(i),
            original_len: s.ip.len() as u32,
            data: &s.ip,
            flags: Some(s.flags),
        })
        .unwrap();
    }
    for id in 0..2 {
        w.write_stats(
            id,
            &InterfaceStats {
                timestamp_ns: ts(samples.len()),
                start_ns: Some(T0 - STEP),
                end_ns: Some(ts(samples.len())),
                if_recv: Some(2),
                if_drop: Some(0),
                filter_accept: Some(2),
                os_drop: Some(0),
                usr_deliv: Some(2),
            },
        )
        .unwrap();
    }
    w.into_inner().unwrap();
}

fn write_pcap(path: &Path) {
    let file = io::BufWriter::new(fs::File::create(path).unwrap());
    let mut w = PcapWriter::new(file, LinkType::RAW, 0).unwrap();
    for (i, s) in samples().iter().enumerate() {
        w.write_packet(ts(i), s.ip.len() as u32, &s.ip).unwrap();
    }
    w.into_inner().unwrap();
}

/// Fails the test, saying how to install it, when `tool` is not on PATH.
fn require(tool: &str) {
    let path = std::env::var_os("PATH").unwrap_or_default();
    if !std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()) {
        panic!(
            "`{tool}` is not installed: these interop tests need tshark, capinfos and tcpdump \
             (and setpriv to run tshark unprivileged when testing as root); run \
             `bash scripts/setup.sh` (as root) to install them"
        );
    }
}

/// Runs a capture tool; a missing tool fails the test with the way to install it.
fn run(tool: &str, args: &[&str]) -> Output {
    require(tool);
    Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {tool}: {e}"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// True when this process runs as root (real or effective uid 0), read from /proc.
fn running_as_root() -> bool {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .is_some_and(|uids| uids.split_whitespace().take(2).any(|u| u == "0"))
}

/// Runs tshark with `args`, as `nobody` when we are root.
///
/// Run as root, tshark (4.0) always prints `Running as user "root" and group "root". This could
/// be dangerous.` on stderr, whatever `--log-level`, `-Q` or `--log-domains` say; it says nothing
/// about the file. Dropping to `nobody` (setpriv, from util-linux) with a private HOME leaves
/// stderr to warnings about the file alone — an empty stderr then means tshark had no complaint.
fn tshark_command(dir: &WorkDir, args: &[&str]) -> Output {
    require("tshark");
    if !running_as_root() {
        return run("tshark", args);
    }
    let home = dir.join("home");
    let home = format!("HOME={}", home.display());
    let mut full = vec![
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "env",
        &home,
        "tshark",
    ];
    full.extend_from_slice(args);
    run("setpriv", &full)
}

/// tshark reading `path` with `extra` arguments: must exit 0 and print nothing on stderr.
fn tshark(dir: &WorkDir, path: &Path, extra: &[&str]) -> String {
    let mut args = vec!["-n", "-r", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = tshark_command(dir, &args);
    assert!(
        out.status.success(),
        "tshark {args:?} failed ({}): {}",
        out.status,
        text(&out.stderr)
    );
    assert_eq!(
        text(&out.stderr),
        "",
        "tshark {args:?} printed on stderr: a warning about our file"
    );
    text(&out.stdout)
}

fn lines(s: &str) -> Vec<&str> {
    s.lines().filter(|l| !l.is_empty()).collect()
}

/// The checksum-validating display filter must match nothing: our hand-built packets are valid.
fn assert_checksums_valid(dir: &WorkDir, path: &Path) {
    let bad = tshark(
        dir,
        path,
        &[
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "udp.check_checksum:TRUE",
            "-Y",
            "ip.checksum.status == \"Bad\" || udp.checksum.status == \"Bad\" || \
             icmp.checksum.status == \"Bad\" || icmpv6.checksum.status == \"Bad\" || \
             _ws.malformed",
        ],
    );
    assert_eq!(bad, "", "tshark found bad checksums or malformed packets");
}

fn capinfos(path: &Path) -> String {
    let out = run("capinfos", &[path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "capinfos failed: {}",
        text(&out.stderr)
    );
    assert_eq!(text(&out.stderr), "", "capinfos printed on stderr");
    text(&out.stdout)
}

/// One record as our reader returned it.
struct ReadBack {
    timestamp_ns: u64,
    ip: Vec<u8>,
    flags: Option<EpbFlags>,
    interface_name: Option<String>,
}

/// Everything our reader returns from `path` (which must read without error), decapsulated.
fn read_back(path: &Path) -> (FileFormat, Vec<ReadBack>) {
    let mut r = CaptureReader::new(BufReader::new(fs::File::open(path).unwrap())).unwrap();
    let format = r.format();
    let mut out = Vec::new();
    while let Some(rec) = r.next_record().unwrap() {
        let ip = decapsulate(rec.link_type, rec.data).expect("an IP packet");
        out.push(ReadBack {
            timestamp_ns: rec.timestamp_ns,
            ip: ip.ip.to_vec(),
            flags: rec.flags,
            interface_name: rec.interface_name.map(str::to_owned),
        });
    }
    (format, out)
}

// ---------------------------------------------------------------- tests

#[test]
fn tshark_reads_our_pcapng_without_warnings_with_directions_interfaces_and_ns_timestamps() {
    let dir = WorkDir::new("tshark_pcapng");
    let path = dir.join("rcvall.pcapng");
    write_pcapng(&path);
    let samples = samples();

    let summary = tshark(&dir, &path, &[]);
    assert_eq!(lines(&summary).len(), samples.len(), "{summary}");

    let fields = tshark(
        &dir,
        &path,
        &[
            "-T",
            "fields",
            "-E",
            "separator=|",
            "-e",
            "frame.time_epoch",
            "-e",
            "frame.packet_flags_direction",
            "-e",
            "frame.packet_flags_reception_type",
            "-e",
            "frame.interface_name",
            "-e",
            "frame.interface_description",
            "-e",
            "frame.len",
        ],
    );
    let rows = lines(&fields);
    assert_eq!(rows.len(), samples.len(), "{fields}");
    for (i, (row, s)) in rows.iter().zip(&samples).enumerate() {
        let cols: Vec<&str> = row.split('|').collect();
        assert_eq!(
            cols[0],
            epoch_text(i),
            "full-ns timestamp of packet {i}: {row}"
        );
        let year_2023 = 1_672_531_200..1_704_067_200;
        let secs: u64 = cols[0].split('.').next().unwrap().parse().unwrap();
        assert!(
            year_2023.contains(&secs),
            "timestamp year is not 2023: {row}"
        );
        let direction = match s.flags.direction {
            Some(Direction::In) => "1",
            Some(Direction::Out) => "2",
            None => "0",
        };
        assert_eq!(
            parse_num(cols[1]),
            direction.parse::<u32>().unwrap(),
            "{row}"
        );
        let reception = s.flags.to_bits() >> 2 & 0b111;
        assert_eq!(parse_num(cols[2]), reception, "{row}");
        let (name, description) =
            [("rcvt0", "ifindex 7"), ("rcvt1", "ifindex 8")][s.interface_id as usize];
        assert_eq!((cols[3], cols[4]), (name, description), "{row}");
        assert_eq!(cols[5], s.ip.len().to_string(), "{row}");
    }
    assert_checksums_valid(&dir, &path);
}

/// tshark prints flag fields as decimal or hex depending on the field's display base.
fn parse_num(s: &str) -> u32 {
    match s.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16).unwrap(),
        None => s.parse().unwrap(),
    }
}

#[test]
fn capinfos_sees_nanosecond_resolution_two_interfaces_and_their_statistics_in_our_pcapng() {
    let dir = WorkDir::new("capinfos_pcapng");
    let path = dir.join("rcvall.pcapng");
    write_pcapng(&path);
    let info = capinfos(&path);
    assert!(info.contains("pcapng"), "{info}");
    assert!(info.contains("nanoseconds (9)"), "{info}");
    assert!(
        info.contains("Number of packets:   4") || info.contains("Number of packets = 4"),
        "{info}"
    );
    assert!(info.contains("Number of interfaces in file: 2"), "{info}");
    assert!(
        info.contains("Encapsulation = Raw IP (7 - rawip)"),
        "{info}"
    );
    assert_eq!(
        info.matches("Number of stat entries = 1").count(),
        2,
        "{info}"
    );
    assert!(
        info.contains("Name = rcvt0") && info.contains("Description = ifindex 8"),
        "{info}"
    );
}

#[test]
fn tshark_capinfos_and_tcpdump_read_our_nanosecond_pcap() {
    let dir = WorkDir::new("pcap");
    let path = dir.join("rcvall.pcap");
    write_pcap(&path);
    let samples = samples();

    let fields = tshark(&dir, &path, &["-T", "fields", "-e", "frame.time_epoch"]);
    let expected: Vec<String> = (0..samples.len()).map(epoch_text).collect();
    assert_eq!(lines(&fields), expected);
    assert_checksums_valid(&dir, &path);

    let info = capinfos(&path);
    assert!(info.contains("nanoseconds (9)"), "{info}");
    assert!(info.contains("Raw IP"), "{info}");

    let out = run(
        "tcpdump",
        &["-n", "--nano", "-tt", "-r", path.to_str().unwrap()],
    );
    assert!(out.status.success(), "tcpdump: {}", text(&out.stderr));
    // tcpdump's only stderr line is its banner.
    let banner = text(&out.stderr);
    assert_eq!(lines(&banner).len(), 1, "{banner}");
    assert!(banner.contains("link-type RAW"), "{banner}");
    let stdout = text(&out.stdout);
    let printed = lines(&stdout);
    assert_eq!(printed.len(), samples.len(), "{stdout}");
    for (i, (line, s)) in printed.iter().zip(&samples).enumerate() {
        assert!(
            line.starts_with(&format!("{} {}", epoch_text(i), s.tcpdump)),
            "{line}"
        );
    }
}

/// libpcap (1.10.3, tcpdump 4.99.3) reads a pcapng only while every IDB matches the first, and
/// compares each later IDB's LINKTYPE_RAW (101) with the first one already mapped to DLT_RAW
/// (12): it refuses a second raw-IP interface ("an interface has a type 101 different from the
/// type of the first interface"). A one-interface pcapng, what `rcvall -i IF -w` writes, reads.
#[test]
fn tcpdump_reads_our_one_interface_pcapng() {
    let dir = WorkDir::new("tcpdump_pcapng");
    let path = dir.join("rcvall.pcapng");
    let file = io::BufWriter::new(fs::File::create(&path).unwrap());
    let mut w = PcapngWriter::new(file, "rcvall-pcap interop test").unwrap();
    let id = w
        .add_interface(&InterfaceDesc {
            name: Some("rcvt0".into()),
            ..InterfaceDesc::default()
        })
        .unwrap();
    let samples = samples();
    for (i, s) in samples.iter().enumerate() {
        w.write_packet(&PacketRecord {
            interface_id: id,
            timestamp_ns: ts(i),
            original_len: s.ip.len() as u32,
            data: &s.ip,
            flags: Some(s.flags),
        })
        .unwrap();
    }
    w.write_stats(id, &InterfaceStats::default()).unwrap();
    w.into_inner().unwrap();

    let out = run(
        "tcpdump",
        &["-n", "--nano", "-tt", "-r", path.to_str().unwrap()],
    );
    assert!(out.status.success(), "tcpdump: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let printed = lines(&stdout);
    assert_eq!(printed.len(), samples.len(), "{stdout}");
    for (i, (line, s)) in printed.iter().zip(&samples).enumerate() {
        assert!(
            line.starts_with(&format!("{} {}", epoch_text(i), s.tcpdump)),
            "{line}"
        );
    }
}

#[test]
fn files_tcpdump_writes_read_back_as_the_packets_we_gave_it() {
    let dir = WorkDir::new("tcpdump_written");
    let ours = dir.join("rcvall.pcap");
    write_pcap(&ours);
    let samples = samples();
    for (precision, name) in [("micro", "tcpdump_us.pcap"), ("nano", "tcpdump_ns.pcap")] {
        let theirs = dir.join(name);
        let out = run(
            "tcpdump",
            &[
                "--time-stamp-precision",
                precision,
                "-r",
                ours.to_str().unwrap(),
                "-w",
                theirs.to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "tcpdump -w: {}", text(&out.stderr));
        let (format, got) = read_back(&theirs);
        let nanosecond = precision == "nano";
        assert!(
            matches!(format, FileFormat::Pcap { nanosecond: n, .. } if n == nanosecond),
            "{format:?}"
        );
        assert_eq!(got.len(), samples.len());
        for (i, (r, s)) in got.iter().zip(&samples).enumerate() {
            let expected = if nanosecond {
                ts(i)
            } else {
                ts(i) / 1000 * 1000
            };
            assert_eq!(r.timestamp_ns, expected);
            assert_eq!(r.ip, s.ip);
            assert_eq!((r.flags, r.interface_name.as_deref()), (None, None));
        }
    }
}

#[test]
fn files_tshark_writes_read_back_with_interfaces_directions_and_timestamps() {
    let dir = WorkDir::new("tshark_written");
    let ours = dir.join("rcvall.pcapng");
    write_pcapng(&ours);
    let samples = samples();
    let cases = [
        ("pcapng", "tshark.pcapng", true),
        ("nsecpcap", "tshark_ns.pcap", false),
        ("pcap", "tshark_us.pcap", false),
    ];
    for (format, name, keeps_metadata) in cases {
        let theirs = dir.join(name);
        let out = tshark_command(
            &dir,
            &[
                "-n",
                "-r",
                ours.to_str().unwrap(),
                "-F",
                format,
                "-w",
                theirs.to_str().unwrap(),
            ],
        );
        assert!(
            out.status.success(),
            "tshark -F {format}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stderr), "", "tshark -F {format}");
        let (file_format, got) = read_back(&theirs);
        assert_eq!(
            file_format == FileFormat::Pcapng,
            keeps_metadata,
            "{format}: {file_format:?}"
        );
        assert_eq!(got.len(), samples.len(), "{format}");
        for (i, (r, s)) in got.iter().zip(&samples).enumerate() {
            let expected_ts = if format == "pcap" {
                ts(i) / 1000 * 1000
            } else {
                ts(i)
            };
            assert_eq!(r.timestamp_ns, expected_ts, "{format} packet {i}");
            assert_eq!(r.ip, s.ip, "{format} packet {i}");
            if keeps_metadata {
                assert_eq!(r.flags, Some(s.flags), "{format} packet {i}");
                let expected_iface = ["rcvt0", "rcvt1"][s.interface_id as usize];
                assert_eq!(
                    r.interface_name.as_deref(),
                    Some(expected_iface),
                    "{format} packet {i}"
                );
            }
        }
    }
}

#[test]
fn a_pcapng_cut_mid_packet_reads_up_to_its_last_whole_packet_like_tshark() {
    let dir = WorkDir::new("truncated");
    let whole = dir.join("whole.pcapng");
    write_pcapng(&whole);
    let bytes = fs::read(&whole).unwrap();
    // Cut inside the last packet's data, as a full disk would: 2 ISBs of 8 options at the end,
    // then 20 more bytes back lands in the 4th packet's block.
    let isb_len = 8 + 12 + 7 * 12 + 4 + 4;
    let cut = bytes.len() - 2 * isb_len - 20;
    let path = dir.join("cut.pcapng");
    fs::write(&path, &bytes[..cut]).unwrap();

    let mut r = CaptureReader::new(&bytes[..cut]).unwrap();
    let mut n = 0;
    let err = loop {
        match r.next_record() {
            Ok(Some(rec)) => {
                assert_eq!(
                    decapsulate(rec.link_type, rec.data).unwrap().ip,
                    samples()[n].ip
                );
                n += 1;
            }
            Ok(None) => panic!("the cut was not noticed"),
            Err(e) => break e,
        }
    };
    assert_eq!(n, 3);
    assert!(err.is_truncation(), "{err}");

    // tshark shows the same three packets, then complains (exit status 2) about the cut.
    let out = tshark_command(&dir, &["-n", "-r", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(lines(&text(&out.stdout)).len(), 3);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("cut short in the middle of a packet"),
        "{stderr}"
    );
}

#[test]
fn decapsulated_samples_have_the_right_ip_versions() {
    let versions: Vec<IpVersion> = samples()
        .iter()
        .map(|s| decapsulate(LinkType::RAW, &s.ip).unwrap().version)
        .collect();
    assert_eq!(
        versions,
        [IpVersion::V4, IpVersion::V4, IpVersion::V6, IpVersion::V6]
    );
}
