//! Capture files in the lab (root): rotation by size, time and count against tcpdump 4.99 run
//! beside rcvall on the same traffic, privileges with rotation, full disks in rotated files,
//! O_DIRECT against buffered writes.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;
use testkit::{Netns, Pair};

mod common;
use common::*;

fn rcvall(ns: &Netns, args: &[&str]) -> Running {
    let command: Vec<&str> = [RCVALL, "capture", "-i", "rcvt0", "-q"]
        .iter()
        .chain(args)
        .copied()
        .collect();
    Running::start(ns, &command, "capturing on")
}

fn tcpdump(ns: &Netns, args: &[&str]) -> Running {
    // -Z root: Debian's tcpdump otherwise switches to user tcpdump for writing.
    let command: Vec<&str> = ["tcpdump", "-i", "rcvt0", "-n", "-Z", "root"]
        .iter()
        .chain(args)
        .copied()
        .collect();
    Running::start(ns, &command, "listening on")
}

fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// tshark (as nobody, on a readable copy) reads the file without a complaint; returns the
/// number of packets it printed.
fn tshark_count(file: &Path, home: &Path) -> usize {
    let (code, stdout, stderr) = tshark(file, home);
    assert_eq!(
        (code, stderr.as_str()),
        (Some(0), ""),
        "tshark on {}",
        file.display()
    );
    stdout.lines().count()
}

/// `count` UDP datagrams of `payload` bytes from a to b, paced so nothing is lost on the way.
fn udp(pair: &Pair, count: usize, payload: usize) {
    let dst: SocketAddr = pair.b.sock_v4(9);
    let data = vec![0x5a; payload];
    for _ in 0..count / 100 {
        testkit::send_udp(&pair.a.ns, dst, &data, 100).unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn size_rotation_names_files_as_tcpdump_and_the_files_add_up_to_the_summary() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let scratch = Scratch::new("size");
    let (theirs, ours, ours_ng) = (scratch.sub("td"), scratch.sub("rc"), scratch.sub("ng"));
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let td = tcpdump(
        &pair.b.ns,
        &[
            "-C",
            "1",
            "-w",
            theirs.join("x.pcap").to_str().unwrap(),
            "udp",
        ],
    );
    let rc = rcvall(
        &pair.b.ns,
        &[
            "-C",
            "1",
            "-w",
            ours.join("x.pcap").to_str().unwrap(),
            "udp",
        ],
    );
    let ng = rcvall(
        &pair.b.ns,
        &[
            "-C",
            "1",
            "-w",
            ours_ng.join("x.pcapng").to_str().unwrap(),
            "udp",
        ],
    );
    // 2,400 × 1,428-byte datagrams: about 3.5 MB in either format, so four files each.
    udp(&pair, 2400, 1400);
    std::thread::sleep(Duration::from_millis(300));
    let (code, _) = td.stop("INT");
    assert_eq!(code, Some(0));
    for (run, dir, base) in [(rc, &ours, "x.pcap"), (ng, &ours_ng, "x.pcapng")] {
        let (code, err) = run.stop("INT");
        assert_eq!(code, Some(0), "{err}");
        let captured = summary_count(&err, " packets captured");
        assert_eq!(captured, 2400, "{err}");
        let expected: BTreeSet<String> = ["", "1", "2", "3"]
            .iter()
            .map(|n| format!("{base}{n}"))
            .collect();
        assert_eq!(names(dir), expected, "{err}");
        let mut total = 0;
        for (i, name) in ["", "1", "2", "3"].iter().enumerate() {
            let file = dir.join(format!("{base}{name}"));
            let n = ip_packets(&file).len();
            assert_eq!(tshark_count(&file, &scratch.0), n);
            let len = std::fs::metadata(&file).unwrap().len();
            if i < 3 {
                // Rotated once it held more than 1,000,000 bytes: over by less than a packet.
                assert!(len > 1_000_000 && len < 1_000_000 + 1500 + 100, "{len}");
            }
            total += n as u64;
        }
        assert_eq!(total, captured, "the files hold every packet once");
    }
    assert_eq!(
        names(&theirs),
        names(&ours),
        "the same names as tcpdump -C 1"
    );
}

#[test]
fn a_ring_of_files_is_numbered_as_tcpdump_numbers_it() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let scratch = Scratch::new("ring");
    let (theirs, ours) = (scratch.sub("td"), scratch.sub("rc"));
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let args = |dir: &Path| {
        vec![
            "-C".to_owned(),
            "1".into(),
            "-W".into(),
            "3".into(),
            "-w".into(),
            dir.join("ring").to_string_lossy().into_owned(),
            "udp".into(),
        ]
    };
    let td_args = args(&theirs);
    let rc_args = args(&ours);
    let td = tcpdump(
        &pair.b.ns,
        &td_args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let rc = rcvall(
        &pair.b.ns,
        &rc_args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    // About 7 MB: the ring of three 1 MB files goes round twice.
    udp(&pair, 5000, 1400);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(td.stop("INT").0, Some(0));
    let (code, err) = rc.stop("INT");
    assert_eq!(code, Some(0), "{err}");
    let expected: BTreeSet<String> = ["ring0", "ring1", "ring2"].map(String::from).into();
    assert_eq!(names(&theirs), expected, "tcpdump's own names");
    assert_eq!(names(&ours), expected);
    for name in &expected {
        let file = ours.join(name);
        assert_eq!(tshark_count(&file, &scratch.0), ip_packets(&file).len());
    }
}

#[test]
fn time_rotation_names_files_as_tcpdump_and_stops_after_w_files() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let scratch = Scratch::new("time");
    let (theirs, ours) = (scratch.sub("td"), scratch.sub("rc"));
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let pattern = "g-%Y%m%d-%H%M%S.pcapng";
    let td_file = theirs.join(pattern);
    let rc_file = ours.join(pattern);
    // Both start early in the same second, so that both name their first file after it.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    std::thread::sleep(Duration::from_nanos(
        1_000_000_000 - u64::from(now.subsec_nanos()) + 20_000_000,
    ));
    let common = ["-G", "1", "-W", "3", "--immediate-mode"];
    let mut td = tcpdump(
        &pair.b.ns,
        &[&common[..], &["-w", td_file.to_str().unwrap(), "udp"]].concat(),
    );
    let mut rc = rcvall(
        &pair.b.ns,
        &[&common[..], &["-w", rc_file.to_str().unwrap(), "udp"]].concat(),
    );
    // One datagram every 20 ms for 4.5 s: both end by themselves after three seconds.
    let dst = pair.b.sock_v4(9);
    for _ in 0..225 {
        testkit::send_udp(&pair.a.ns, dst, b"rcvt-rotation", 1).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    let (td_code, td_err) = td.wait(Duration::from_secs(5));
    let (code, err) = rc.wait(Duration::from_secs(5));
    assert_eq!(td_code, Some(0), "tcpdump ends by itself: {td_err}");
    assert_eq!(code, Some(0), "rcvall ends by itself: {err}");
    assert!(err.contains("Maximum file limit reached: 3"), "{err}");
    assert_eq!(names(&ours).len(), 3, "{:?}", names(&ours));
    assert_eq!(
        names(&theirs),
        names(&ours),
        "the same names as tcpdump -G 1 -W 3"
    );
    let mut total = 0;
    for (i, name) in names(&ours).into_iter().enumerate() {
        let file = ours.join(&name);
        let n = ip_packets(&file).len();
        // The first second is partly spent starting up; the others see ~50 datagrams.
        assert!(i == 0 || n > 10, "{name}: {n}");
        assert_eq!(tshark_count(&file, &scratch.0), n);
        total += n as u64;
    }
    assert_eq!(total, summary_count(&err, " packets captured"));
}

#[test]
fn rotated_files_belong_to_the_z_user_and_z_runs_as_them_on_each_closed_file() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let scratch = Scratch::new("owner");
    let dir = scratch.sub("rc");
    let log = scratch.0.join("z.log");
    let script = scratch.0.join("record.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$(id -u) $1\" >> {}\n", log.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, PermissionsExt::from_mode(0o755)).unwrap();
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let base = dir.join("cap");
    let rc = rcvall(
        &pair.b.ns,
        &[
            "-Z",
            "nobody",
            "-C",
            "1",
            "-z",
            script.to_str().unwrap(),
            "-w",
            base.to_str().unwrap(),
            "udp",
        ],
    );
    let status = std::fs::read_to_string(format!("/proc/{}/status", rc.pid())).unwrap();
    assert!(status.contains("Uid:\t65534\t65534\t65534"), "{status}");
    udp(&pair, 2400, 1400);
    std::thread::sleep(Duration::from_millis(500));
    let (code, err) = rc.stop("INT");
    assert_eq!(code, Some(0), "{err}");
    let files = names(&dir);
    assert_eq!(files.len(), 4, "{files:?}");
    let mut total = 0;
    for name in &files {
        let meta = std::fs::metadata(dir.join(name)).unwrap();
        assert_eq!((meta.uid(), meta.mode() & 0o777), (65534, 0o600), "{name}");
        total += ip_packets(&dir.join(name)).len() as u64;
    }
    assert_eq!(total, summary_count(&err, " packets captured"));
    // -z runs on each file a rotation closed (as tcpdump: not on the last), as nobody.
    std::thread::sleep(Duration::from_millis(300));
    let ran: BTreeSet<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let expected: BTreeSet<String> = ["cap", "cap1", "cap2"]
        .iter()
        .map(|n| format!("65534 {}", dir.join(n).display()))
        .collect();
    assert_eq!(ran, expected);
}

#[test]
fn a_full_disk_in_a_rotated_file_cuts_it_to_its_last_whole_packet_on_both_paths() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    for (tag, extra) in [("direct", None), ("buffered", Some("--no-direct-io"))] {
        let fs = TinyFs::new(tag, "2600k");
        let base = fs.0.join("full.pcapng");
        let mut args = vec!["-C", "1", "-w", base.to_str().unwrap()];
        args.extend(extra);
        args.push("udp");
        let mut rc = rcvall(&pair.b.ns, &args);
        // 4,000 × 1,428 bytes = 5.7 MB into 2.6 MB: the third file fills the disk.
        udp(&pair, 4000, 1400);
        let (code, err) = rc.wait(Duration::from_secs(20));
        assert_eq!(code, Some(1), "{tag}: {err}");
        assert!(err.contains("No space left on device"), "{tag}: {err}");
        let third = fs.0.join("full.pcapng2");
        assert!(
            err.contains(&format!("writing {} failed", third.display())),
            "{tag}: {err}"
        );
        let kept: usize = err
            .split("holds the first ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{tag}: no kept count in {err}"));
        assert_eq!(
            ip_packets(&third).len(),
            kept,
            "{tag}: cut to its last whole packet"
        );
        assert!(kept > 10, "{tag}: {kept}");
        let total: usize = ["full.pcapng", "full.pcapng1", "full.pcapng2"]
            .iter()
            .map(|n| ip_packets(&fs.0.join(n)).len())
            .sum();
        assert_eq!(
            total as u64,
            summary_count(&err, " packets captured"),
            "{tag}: {err}"
        );
        if extra.is_some() {
            assert!(!err.contains("(O_DIRECT)"), "{tag}: {err}");
        }
    }
}

/// A pcapng file with every timestamp zeroed: packet times (EPB) and the statistics block
/// (ISB) times and counters, which two captures of the same packets read at other moments.
fn without_times(file: &[u8]) -> Vec<u8> {
    let mut out = file.to_vec();
    let mut at = 0;
    while at + 12 <= out.len() {
        let kind = u32::from_ne_bytes(out[at..at + 4].try_into().unwrap());
        let len = u32::from_ne_bytes(out[at + 4..at + 8].try_into().unwrap()) as usize;
        assert!(len >= 12 && at + len <= out.len(), "a whole block at {at}");
        match kind {
            6 => out[at + 12..at + 20].fill(0),
            5 => out[at + 12..at + len - 4].fill(0),
            _ => {}
        }
        at += len;
    }
    assert_eq!(at, out.len());
    out
}

#[test]
fn o_direct_and_buffered_files_of_the_same_packets_are_identical_but_for_timestamps() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let scratch = Scratch::new("direct");
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let direct = scratch.0.join("direct.pcapng");
    let buffered = scratch.0.join("buffered.pcapng");
    let a = rcvall(
        &pair.b.ns,
        &["-c", "3000", "-w", direct.to_str().unwrap(), "udp"],
    );
    let b = rcvall(
        &pair.b.ns,
        &[
            "-c",
            "3000",
            "--no-direct-io",
            "-w",
            buffered.to_str().unwrap(),
            "udp",
        ],
    );
    assert!(
        a.seen.join("\n").contains("(O_DIRECT)"),
        "{:?}: O_DIRECT on the scratch file system",
        a.seen
    );
    assert!(!b.seen.join("\n").contains("(O_DIRECT)"));
    udp(&pair, 3000, 1000);
    let (mut a, mut b) = (a, b);
    let (ca, ea) = a.wait(Duration::from_secs(10));
    let (cb, eb) = b.wait(Duration::from_secs(10));
    assert_eq!((ca, cb), (Some(0), Some(0)), "{ea}\n{eb}");
    let (da, db) = (
        std::fs::read(&direct).unwrap(),
        std::fs::read(&buffered).unwrap(),
    );
    assert_eq!(da.len(), db.len(), "same length");
    assert_eq!(without_times(&da), without_times(&db));
    assert_eq!(ip_packets(&direct).len(), 3000);
    assert_eq!(tshark_count(&direct, &scratch.0), 3000);
}

#[test]
fn sigint_mid_flood_while_the_writer_is_busy_leaves_files_matching_the_summary() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let scratch = Scratch::new("busy");
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    // -U hands every batch to the writer at once, so it is writing when the signal comes;
    // pcap and pcapng, O_DIRECT and buffered.
    for (name, extra) in [
        ("busy.pcapng", vec!["-U"]),
        ("busy.pcap", vec!["-U", "--no-direct-io"]),
        ("rotated.pcapng", vec!["-C", "1"]),
    ] {
        let file = scratch.0.join(name);
        let mut args = extra.clone();
        args.extend(["-4", "-w", file.to_str().unwrap()]);
        let rc = rcvall(&pair.b.ns, &args);
        let flood = testkit::flood_udp(
            &pair.a.ns,
            pair.b.sock_v4(9),
            150_000,
            Duration::from_secs(10),
        )
        .unwrap();
        std::thread::sleep(Duration::from_millis(800));
        let (code, err) = rc.stop("INT");
        let sent = flood.stop();
        assert_eq!(code, Some(0), "{name}: {err}");
        let captured = summary_count(&err, " packets captured");
        assert!(
            captured > 1000 && captured <= sent,
            "{name}: {captured} of {sent}"
        );
        let files: Vec<PathBuf> = names(&scratch.0)
            .into_iter()
            .filter(|n| {
                n.strip_prefix(name)
                    .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit()))
            })
            .map(|n| scratch.0.join(n))
            .collect();
        let total: usize = files.iter().map(|f| ip_packets(f).len()).sum();
        assert_eq!(total as u64, captured, "{name}: files = summary");
        for file in &files {
            tshark_count(file, &scratch.0);
        }
    }
}

/// Full-size packets to standard output go to the writer as whole ring blocks and are written
/// from the ring (a gathered write); the file path copies them into chunks. Same packets,
/// same count, whether standard output is a file or a pipe.
#[test]
fn full_size_packets_written_from_the_ring_equal_the_chunk_paths() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let scratch = Scratch::new("gather");
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let chunks = scratch.path("chunks.pcapng");
    let stdout_file = scratch.path("stdout.pcapng");
    let piped = scratch.path("piped.pcapng");
    let by_chunks = rcvall(&pair.b.ns, &["-w", chunks.to_str().unwrap(), "udp"]);
    let to_stdout = [RCVALL, "capture", "-i", "rcvt0", "-q", "-w", "-", "udp"];
    let to_file = Running::start_to(
        &pair.b.ns,
        &to_stdout,
        "capturing on",
        std::fs::File::create(&stdout_file).unwrap().into(),
    );
    let mut to_pipe = Running::start_to(
        &pair.b.ns,
        &to_stdout,
        "capturing on",
        std::process::Stdio::piped(),
    );
    let mut pipe = to_pipe.take_stdout().unwrap();
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut pipe, &mut bytes).unwrap();
        bytes
    });
    udp(&pair, 3000, 1000);
    std::thread::sleep(Duration::from_millis(300));
    let mut summaries = Vec::new();
    for running in [by_chunks, to_file, to_pipe] {
        let (code, err) = running.stop("INT");
        assert_eq!(code, Some(0), "{err}");
        summaries.push(summary_count(&err, " packets captured"));
    }
    std::fs::write(&piped, reader.join().unwrap()).unwrap();
    let want = ip_packets(&chunks);
    assert_eq!(want.len(), 3000);
    assert_eq!(
        ip_packets(&stdout_file),
        want,
        "written from the ring to a file"
    );
    assert_eq!(ip_packets(&piped), want, "written from the ring to a pipe");
    assert_eq!(summaries, [3000, 3000, 3000]);
    assert_eq!(tshark_count(&piped, &scratch.0), 3000);
}
