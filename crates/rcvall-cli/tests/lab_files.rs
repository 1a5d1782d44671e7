//! Capture files in the lab (root): rotation by size, time and count against tcpdump 4.99 run
//! beside rcvall on the same traffic, privileges with rotation, full disks in rotated files,
//! O_DIRECT against buffered writes.

use rcvall_pcap::{decapsulate, CaptureReader};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use testkit::{Netns, Pair};

const RCVALL: &str = env!("CARGO_BIN_EXE_rcvall");

/// A scratch directory anyone may write (tcpdump and -Z users create files there), removed
/// at the end, also when the test fails.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("rcvt-files-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, PermissionsExt::from_mode(0o777)).unwrap();
        Scratch(dir)
    }

    fn sub(&self, name: &str) -> PathBuf {
        let dir = self.0.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, PermissionsExt::from_mode(0o777)).unwrap();
        dir
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A process in a namespace, killed by pid if the test ends first.
struct Running {
    child: Option<Child>,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn start(ns: &Netns, args: &[&str], ready: &str) -> Running {
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns.name()])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut running = Running {
            child: Some(child),
            lines: rx,
            seen: Vec::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match running.lines.recv_timeout(left) {
                Ok(line) => {
                    let done = line.contains(ready);
                    running.seen.push(line);
                    if done {
                        break;
                    }
                }
                Err(_) => panic!("{args:?} never printed {ready:?}: {:?}", running.seen),
            }
        }
        running
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    fn stop(mut self, signal: &str) -> (Option<i32>, String) {
        Command::new("kill")
            .args(["-s", signal, &self.pid().to_string()])
            .status()
            .unwrap();
        self.wait(Duration::from_secs(20))
    }

    /// Waits (bounded) for the exit; returns the code and all of stderr.
    fn wait(&mut self, limit: Duration) -> (Option<i32>, String) {
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                break child.wait().unwrap();
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // The reader thread ends at EOF: take every line.
        let mut lines = std::mem::take(&mut self.seen);
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            lines.push(line);
        }
        (status.code(), lines.join("\n"))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

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

fn summary(stderr: &str, what: &str) -> u64 {
    stderr
        .lines()
        .find_map(|l| l.strip_suffix(what))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {what:?} line in {stderr}"))
}

fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// The IP packets of a capture file; panics unless it is valid to its last byte.
fn packets(path: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap();
    let mut reader = CaptureReader::new(&bytes[..]).unwrap();
    let mut out = Vec::new();
    while let Some(record) = reader
        .next_record()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    {
        if let Some(ip) = decapsulate(record.link_type, record.data) {
            out.push(ip.ip.to_vec());
        }
    }
    out
}

/// tshark (as nobody, on a readable copy) reads the file without a complaint; returns the
/// number of packets it printed.
fn tshark_count(file: &Path, home: &Path) -> usize {
    let copy = home.join(format!(
        "{}.for-tshark",
        file.file_name().unwrap().to_string_lossy()
    ));
    std::fs::copy(file, &copy).unwrap();
    std::fs::set_permissions(&copy, PermissionsExt::from_mode(0o644)).unwrap();
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .args(["env", &format!("HOME={}", home.display()), "tshark", "-r"])
        .arg(&copy)
        .output()
        .expect("tshark (scripts/setup.sh installs it)");
    let _ = std::fs::remove_file(&copy);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        (out.status.code(), stderr.as_ref()),
        (Some(0), ""),
        "tshark on {}",
        file.display()
    );
    String::from_utf8_lossy(&out.stdout).lines().count()
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
        let captured = summary(&err, " packets captured");
        assert_eq!(captured, 2400, "{err}");
        let expected: BTreeSet<String> = ["", "1", "2", "3"]
            .iter()
            .map(|n| format!("{base}{n}"))
            .collect();
        assert_eq!(names(dir), expected, "{err}");
        let mut total = 0;
        for (i, name) in ["", "1", "2", "3"].iter().enumerate() {
            let file = dir.join(format!("{base}{name}"));
            let n = packets(&file).len();
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
        assert_eq!(tshark_count(&file, &scratch.0), packets(&file).len());
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
        let n = packets(&file).len();
        // The first second is partly spent starting up; the others see ~50 datagrams.
        assert!(i == 0 || n > 10, "{name}: {n}");
        assert_eq!(tshark_count(&file, &scratch.0), n);
        total += n as u64;
    }
    assert_eq!(total, summary(&err, " packets captured"));
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
        total += packets(&dir.join(name)).len() as u64;
    }
    assert_eq!(total, summary(&err, " packets captured"));
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

/// A small tmpfs, unmounted at the end.
struct TinyFs(PathBuf);

impl TinyFs {
    fn new(tag: &str, size: &str) -> TinyFs {
        let dir = std::env::temp_dir().join(format!("rcvt-fs-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fs = TinyFs(dir);
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "rcvt-tmpfs"])
            .arg(&fs.0)
            .status()
            .unwrap();
        assert!(mounted.success());
        fs
    }
}

impl Drop for TinyFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
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
            packets(&third).len(),
            kept,
            "{tag}: cut to its last whole packet"
        );
        assert!(kept > 10, "{tag}: {kept}");
        let total: usize = ["full.pcapng", "full.pcapng1", "full.pcapng2"]
            .iter()
            .map(|n| packets(&fs.0.join(n)).len())
            .sum();
        assert_eq!(
            total as u64,
            summary(&err, " packets captured"),
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
    assert_eq!(packets(&direct).len(), 3000);
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
        let captured = summary(&err, " packets captured");
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
        let total: usize = files.iter().map(|f| packets(f).len()).sum();
        assert_eq!(total as u64, captured, "{name}: files = summary");
        for file in &files {
            tshark_count(file, &scratch.0);
        }
    }
}
