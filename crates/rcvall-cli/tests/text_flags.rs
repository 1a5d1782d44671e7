//! The real binary against the real tcpdump: `rcvall read FILE FLAGS` prints what
//! `tcpdump -n -r FILE FLAGS` prints, in time zones other than UTC, for every text flag; `-F`
//! reads the filter from a file; bad flag combinations are refused. No network traffic.

use std::path::{Path, PathBuf};
use std::process::Command;

fn ipv4(proto: u8, src: [u8; 4], dst: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x45, 0];
    v.extend_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
    v.extend_from_slice(&[0, 7, 0x40, 0, 64, proto, 0, 0]);
    v.extend_from_slice(&src);
    v.extend_from_slice(&dst);
    v.extend_from_slice(payload);
    v
}

fn tcp(sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&sport.to_be_bytes());
    v.extend_from_slice(&dport.to_be_bytes());
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&ack.to_be_bytes());
    v.extend_from_slice(&[0x50, flags, 2, 0, 0, 0, 0, 0]);
    v.extend_from_slice(payload);
    v
}

fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&sport.to_be_bytes());
    v.extend_from_slice(&dport.to_be_bytes());
    v.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(payload);
    v
}

/// A microsecond LINKTYPE_RAW pcap: a TCP handshake with data, a DNS query, an ICMP echo;
/// timestamps across the 2024 daylight-saving change in Europe.
fn capture(dir: &Path) -> PathBuf {
    let (c, s) = ([198, 18, 0, 1], [198, 18, 0, 2]);
    let dns = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x07example\x03com\x00\x00\x01\x00\x01";
    let packets = [
        ipv4(6, c, s, &tcp(40_000, 8000, 1000, 0, 0x02, b"")),
        ipv4(6, s, c, &tcp(8000, 40_000, 5000, 1001, 0x12, b"")),
        ipv4(6, c, s, &tcp(40_000, 8000, 1001, 5001, 0x10, b"")),
        ipv4(
            6,
            c,
            s,
            &tcp(40_000, 8000, 1001, 5001, 0x18, b"hello\r\nworld\n"),
        ),
        ipv4(17, c, s, &udp(40_001, 53, dns)),
        ipv4(1, c, s, &[8, 0, 0, 0, 0, 1, 0, 2, b'p', b'i', b'n', b'g']),
    ];
    let mut f = Vec::new();
    f.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    f.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    f.extend_from_slice(&65_535u32.to_le_bytes());
    f.extend_from_slice(&101u32.to_le_bytes());
    // 2024-03-31 00:59:58 UTC, then 0.7 s apart.
    let start = 1_711_846_798u64 * 1_000_000;
    for (i, p) in packets.iter().enumerate() {
        let us = start + i as u64 * 700_001;
        f.extend_from_slice(&((us / 1_000_000) as u32).to_le_bytes());
        f.extend_from_slice(&((us % 1_000_000) as u32).to_le_bytes());
        f.extend_from_slice(&(p.len() as u32).to_le_bytes());
        f.extend_from_slice(&(p.len() as u32).to_le_bytes());
        f.extend_from_slice(p);
    }
    let path = dir.join("flags.pcap");
    std::fs::write(&path, f).unwrap();
    path
}

/// The raw-IP capture rewritten as LINKTYPE_ETHERNET, each packet behind a 14-byte header.
fn ether_copy(dir: &Path, raw: &str) -> String {
    let data = std::fs::read(raw).unwrap();
    let mut out = data[..24].to_vec();
    out[20..24].copy_from_slice(&1u32.to_le_bytes());
    let mut at = 24;
    while at + 16 <= data.len() {
        let len = u32::from_le_bytes(data[at + 8..at + 12].try_into().unwrap()) as usize;
        let mut rec = data[at..at + 16].to_vec();
        rec[8..12].copy_from_slice(&((len + 14) as u32).to_le_bytes());
        rec[12..16].copy_from_slice(&((len + 14) as u32).to_le_bytes());
        out.extend_from_slice(&rec);
        out.extend_from_slice(&[2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0]);
        out.extend_from_slice(&data[at + 16..at + 16 + len]);
        at += 16 + len;
    }
    let path = dir.join("ether.pcap");
    std::fs::write(&path, out).unwrap();
    path.to_str().unwrap().to_owned()
}

fn run(program: &str, args: &[&str], tz: &str) -> String {
    run_fed(program, args, tz, None)
}

/// Runs `program args` in `tz`, with `stdin` (a file) on standard input when given.
fn run_fed(program: &str, args: &[&str], tz: &str, stdin: Option<&Path>) -> String {
    let mut command = Command::new(program);
    command.args(args).env("TZ", tz);
    if let Some(input) = stdin {
        command.stdin(std::fs::File::open(input).unwrap());
    }
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e} (scripts/setup.sh installs tcpdump)"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn read_prints_what_tcpdump_prints_with_its_flags() {
    let dir = std::env::temp_dir().join(format!("rcvt-text-flags-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = capture(&dir);
    let file = file.to_str().unwrap();
    let flag_sets: [&[&str]; 16] = [
        &[],
        &["-t"],
        &["-tt"],
        &["-ttt"],
        &["-tttt"],
        &["-ttttt"],
        &["-tt", "--time-stamp-precision", "nano"],
        &["-S"],
        &["-v"],
        &["-vv", "-S"],
        &["-q"],
        &["-x"],
        &["-X"],
        &["-A"],
        &["-nn", "-l"],
        &["-v", "-X", "-tttt"],
    ];
    for tz in [
        "Europe/Paris",
        "America/New_York",
        "EST5EDT,M3.2.0,M11.1.0",
        "",
    ] {
        for flags in flag_sets {
            let mut theirs = vec!["-n", "-r", file];
            theirs.extend_from_slice(flags);
            let mut ours = vec!["read", file];
            ours.extend_from_slice(flags);
            assert_eq!(
                run(env!("CARGO_BIN_EXE_rcvall"), &ours, tz),
                run("tcpdump", &theirs, tz),
                "TZ={tz} {flags:?}"
            );
        }
    }
    // An Ethernet file: the lines are the same, -x starts at the IP header, -xx/-XX/-AA at the
    // Ethernet header, as tcpdump's.
    let ether = ether_copy(&dir, file);
    for flags in [
        &["-x"][..],
        &["-xx"],
        &["-X"],
        &["-XX"],
        &["-A"],
        &["-AA"],
        &["-v"],
    ] {
        let mut theirs = vec!["-n", "-r", &ether];
        theirs.extend_from_slice(flags);
        let mut ours = vec!["read", &ether];
        ours.extend_from_slice(flags);
        assert_eq!(
            run(env!("CARGO_BIN_EXE_rcvall"), &ours, "UTC"),
            run("tcpdump", &theirs, "UTC"),
            "Ethernet {flags:?}"
        );
    }
    // -F: the expression from a file, comments and all.
    let filter = dir.join("filter");
    std::fs::write(&filter, "# only the name lookups\nudp port 53 # DNS\n").unwrap();
    let filter = filter.to_str().unwrap();
    assert_eq!(
        run(
            env!("CARGO_BIN_EXE_rcvall"),
            &["read", file, "-F", filter],
            "UTC"
        ),
        run("tcpdump", &["-n", "-r", file, "-F", filter], "UTC"),
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_text_flags_are_refused_with_status_2() {
    for (args, culprit) in [
        (&["read", "/dev/null", "-tttttt"][..], "-tttttt"),
        (
            &["read", "/dev/null", "--time-stamp-precision", "pico"],
            "pico",
        ),
        (
            &["read", "/dev/null", "-F", "/nonexistent/rcvt-filter"],
            "rcvt-filter",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_rcvall"))
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(culprit), "{args:?}: {err}");
    }
}

#[test]
fn read_dash_reads_standard_input_as_tcpdump_r_dash() {
    let dir = std::env::temp_dir().join(format!("rcvt-read-stdin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pcap = capture(&dir);
    // The same packets as pcapng (editcap comes with tshark, which scripts/setup.sh installs).
    let pcapng = dir.join("capture.pcapng");
    let out = Command::new("editcap")
        .args(["-F", "pcapng", pcap.to_str().unwrap()])
        .arg(&pcapng)
        .output()
        .expect("editcap (scripts/setup.sh installs tshark)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rcvall = env!("CARGO_BIN_EXE_rcvall");
    for file in [&pcap, &pcapng] {
        let ours = run_fed(rcvall, &["read", "-"], "UTC", Some(file));
        let theirs = run_fed("tcpdump", &["-n", "-r", "-"], "UTC", Some(file));
        assert_eq!(
            ours,
            theirs,
            "{}: rcvall read - == tcpdump -r -",
            file.display()
        );
        assert_eq!(
            ours,
            run(rcvall, &["read", file.to_str().unwrap()], "UTC"),
            "standard input reads as the file does"
        );
        assert!(ours.lines().count() >= 6, "{ours}");
    }
    // Garbage on standard input: a clear error naming standard input, status 1.
    let junk = dir.join("junk");
    std::fs::write(&junk, b"not a capture file at all").unwrap();
    let out = Command::new(rcvall)
        .args(["read", "-"])
        .stdin(std::fs::File::open(&junk).unwrap())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("standard input"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
