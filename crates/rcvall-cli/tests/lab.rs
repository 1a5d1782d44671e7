//! The `rcvall` command in the network-namespace lab, against tcpdump and tshark (root).

use rcvall_pcap::CaptureReader;
use std::net::IpAddr;
use std::process::{Command, Stdio};
use std::time::Duration;
use testkit::{Netns, Pair};

mod common;
use common::*;

/// Starts `rcvall capture ARGS` in `ns` and waits for its first line.
fn start_capture(ns: &Netns, args: &[&str]) -> Running {
    let command: Vec<&str> = [RCVALL, "capture"].iter().chain(args).copied().collect();
    let running = Running::start(ns, &command, "capturing on");
    std::thread::sleep(Duration::from_millis(200));
    running
}

fn traffic(pair: &Pair) {
    let _sink4 = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let _sink6 = testkit::udp_sink(&pair.b.ns, pair.b.sock_v6(9)).unwrap();
    testkit::ping(&pair.a.ns, IpAddr::V4(pair.b.v4), 3).unwrap();
    testkit::ping(&pair.a.ns, IpAddr::V6(pair.b.v6), 3).unwrap();
    testkit::send_udp(&pair.a.ns, pair.b.sock_v4(9), b"rcvt-interop-v4", 5).unwrap();
    testkit::send_udp(&pair.a.ns, pair.b.sock_v6(9), b"rcvt-interop-v6", 5).unwrap();
    testkit::tcp_exchange(
        &pair.a.ns,
        &pair.b.ns,
        pair.b.sock_v4(8080),
        b"rcvt-interop-tcp",
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(500));
}

#[test]
fn same_packets_as_tcpdump_byte_for_byte_and_tshark_reads_our_files_cleanly() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let scratch = Scratch::new("interop");
    let ours = scratch.path("rcvall.pcapng");
    let ours_pcap = scratch.path("rcvall.pcap");
    let theirs = scratch.path("tcpdump.pcap");
    let ours_s = ours.to_str().unwrap();
    let rcvall = start_capture(&pair.b.ns, &["-i", "rcvt0", "-w", ours_s]);
    let rcvall_pcap = start_capture(
        &pair.b.ns,
        &["-i", "rcvt0", "-w", ours_pcap.to_str().unwrap()],
    );
    // --immediate-mode: TPACKET_V2, so tcpdump loses no partly filled block when stopped.
    let tcpdump = Running::start(
        &pair.b.ns,
        &[
            "tcpdump",
            "-i",
            "rcvt0",
            "--immediate-mode",
            "-w",
            theirs.to_str().unwrap(),
            "ip or ip6",
        ],
        "listening on",
    );
    std::thread::sleep(Duration::from_millis(200));
    traffic(&pair);
    let (code, err) = rcvall.stop("INT");
    assert_eq!(code, Some(0), "{err}");
    let (code, err_pcap) = rcvall_pcap.stop("TERM");
    assert_eq!(code, Some(0), "{err_pcap}");
    let _ = tcpdump.stop("INT");

    let ours_packets = ip_packets(&ours);
    let theirs_packets = ip_packets(&theirs);
    assert!(
        ours_packets.len() >= 30,
        "traffic was captured: {}",
        ours_packets.len()
    );
    assert_eq!(
        ours_packets.len() as u64,
        summary_count(&err, " packets captured")
    );
    assert_eq!(
        ours_packets, theirs_packets,
        "same datagrams, same order, byte for byte"
    );
    assert_eq!(
        ip_packets(&ours_pcap),
        theirs_packets,
        "the pcap output too"
    );

    for file in [&ours, &ours_pcap] {
        let (code, stdout, stderr) = tshark(file, &scratch.0);
        assert_eq!(code, Some(0), "tshark {file:?}: {stderr}");
        assert_eq!(stderr, "", "tshark warns about {file:?}");
        assert_eq!(
            stdout.lines().count(),
            theirs_packets.len(),
            "tshark's packet count"
        );
    }
    // rcvall read prints tcpdump's file, one line per IP packet.
    let out = Command::new(RCVALL)
        .args(["read"])
        .arg(&theirs)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let lines = String::from_utf8_lossy(&out.stdout);
    assert_eq!(lines.lines().count(), theirs_packets.len());
    assert!(lines.contains("ICMP echo request"), "{lines}");
    // ... and filters it.
    let out = Command::new(RCVALL)
        .args(["read"])
        .arg(&theirs)
        .args(["udp"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 10);
}

fn flood_then_signal(signal: &str) {
    let pair = Pair::new().unwrap();
    let scratch = Scratch::new(&format!("sig{signal}"));
    let file = scratch.path("flood.pcapng");
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let capture = start_capture(
        &pair.b.ns,
        &["-i", "rcvt0", "-4", "-w", file.to_str().unwrap()],
    );
    let flood = testkit::flood_udp(
        &pair.a.ns,
        pair.b.sock_v4(9),
        300_000,
        Duration::from_secs(10),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let (code, err) = capture.stop(signal);
    let sent = flood.stop();
    assert_eq!(code, Some(0), "{signal}: {err}");
    let captured = summary_count(&err, " packets captured");
    assert!(
        captured > 1000 && captured <= sent,
        "{signal}: {captured} of {sent}"
    );
    assert_eq!(
        ip_packets(&file).len() as u64,
        captured,
        "{signal}: file count = summary"
    );
    let (code, _, stderr) = tshark(&file, &scratch.0);
    assert_eq!((code, stderr.as_str()), (Some(0), ""), "{signal}");
}

#[test]
fn sigint_during_a_flood_leaves_a_valid_file_matching_the_summary() {
    testkit::require_root();
    flood_then_signal("INT");
}

#[test]
fn sigterm_during_a_flood_leaves_a_valid_file_matching_the_summary() {
    testkit::require_root();
    flood_then_signal("TERM");
}

/// Floods UDP at `pair`'s b side (a sink listening on port 9) until `capture` exits, as it
/// does on a full disk; its exit code and stderr.
fn flood_until_it_fails(pair: &Pair, mut capture: Running) -> (Option<i32>, String) {
    let flood = testkit::flood_udp(
        &pair.a.ns,
        pair.b.sock_v4(9),
        200_000,
        Duration::from_secs(10),
    )
    .unwrap();
    let outcome = capture.wait(Duration::from_secs(60));
    flood.stop();
    outcome
}

#[test]
fn a_full_disk_ends_with_status_1_and_a_file_valid_to_its_last_packet() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let fs = TinyFs::new("full", "256k");
    let file = fs.0.join("full.pcapng");
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let capture = start_capture(&pair.b.ns, &["-i", "rcvt0", "-w", file.to_str().unwrap()]);
    let (code, err) = flood_until_it_fails(&pair, capture);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    let kept: u64 = err
        .split("holds the first ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no kept count in {err}"));
    assert!(kept > 100, "{kept}");
    assert_eq!(
        ip_packets(&file).len() as u64,
        kept,
        "valid up to the last whole packet"
    );
}

/// Standard output on a full file system, small packets: their chunks are written by the
/// capture thread itself (the writer thread idle). The failure is reported as the writer's
/// would be, and the summary counts the packets the file holds whole.
#[test]
fn a_full_disk_behind_standard_output_ends_with_status_1_and_the_file_holds_the_count() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let fs = TinyFs::new("stdout-full", "256k");
    let file = fs.0.join("stdout.pcapng");
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let capture = Running::start_to(
        &pair.b.ns,
        &[RCVALL, "capture", "-i", "rcvt0", "-q", "-w", "-"],
        "capturing on",
        std::fs::File::create(&file).unwrap().into(),
    );
    std::thread::sleep(Duration::from_millis(200));
    let (code, err) = flood_until_it_fails(&pair, capture);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("writing to standard output failed: No space left on device"),
        "{err}"
    );
    let captured = summary_count(&err, " packets captured");
    assert!(captured > 100, "{err}");
    // A stream is not cut back (tcpdump's neither): the last record may be partial, and
    // everything before it is whole and counted.
    let bytes = std::fs::read(&file).unwrap();
    let mut reader = CaptureReader::new(&bytes[..]).unwrap();
    let mut whole = 0u64;
    loop {
        match reader.next_record() {
            Ok(Some(_)) => whole += 1,
            Ok(None) => break,
            Err(e) => {
                assert!(e.to_string().contains("cut short"), "{e}");
                break;
            }
        }
    }
    assert_eq!(
        whole, captured,
        "the summary counts the whole packets: {err}"
    );
}

#[test]
fn dropping_to_nobody_keeps_capturing_without_cap_net_raw() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let scratch = Scratch::new("nobody");
    let file = scratch.path("nobody.pcapng");
    let capture = start_capture(
        &pair.b.ns,
        &["-i", "rcvt0", "-Z", "nobody", "-w", file.to_str().unwrap()],
    );
    let status = std::fs::read_to_string(format!("/proc/{}/status", capture.pid())).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(field("Uid:"), "65534", "runs as nobody");
    assert_eq!(
        u64::from_str_radix(&field("CapEff:"), 16).unwrap(),
        0,
        "no capabilities left"
    );
    assert_eq!(u64::from_str_radix(&field("CapPrm:"), 16).unwrap(), 0);
    testkit::ping(&pair.a.ns, IpAddr::V4(pair.b.v4), 2).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let (code, err) = capture.stop("INT");
    assert_eq!(code, Some(0), "{err}");
    assert!(summary_count(&err, " packets captured") >= 4, "{err}");
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(&file).unwrap();
    assert_eq!(
        (meta.uid(), meta.mode() & 0o777),
        (65534, 0o600),
        "the file is nobody's, 0600"
    );
}

#[test]
fn without_the_capability_capture_fails_with_status_1_and_says_why() {
    testkit::require_root();
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .args([RCVALL, "capture", "-i", "lo", "-c", "1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("CAP_NET_RAW"), "{err}");
}

#[test]
fn the_interface_vanishing_ends_with_status_1_after_writing_what_came_before() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let scratch = Scratch::new("vanish");
    let file = scratch.path("vanish.pcapng");
    let mut capture = start_capture(
        &pair.b.ns,
        &["-i", "rcvt0", "-4", "-w", file.to_str().unwrap()],
    );
    testkit::ping(&pair.a.ns, IpAddr::V4(pair.b.v4), 2).unwrap();
    testkit::delete_link(&pair.b.ns, "rcvt0").unwrap();
    let (code, err) = capture.wait(Duration::from_secs(60));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("was removed"), "{err}");
    assert_eq!(
        ip_packets(&file).len(),
        4,
        "the two echo exchanges were kept"
    );
}

#[test]
fn several_interfaces_share_one_pcapng_with_a_block_and_statistics_each() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let scratch = Scratch::new("multi");
    let file = scratch.path("multi.pcapng");
    let capture = start_capture(
        &pair.b.ns,
        &[
            "-a",
            &pair.b.v4.to_string(),
            "-a",
            &pair.b.v6.to_string(),
            "-i",
            "rcvt1",
            "-w",
            file.to_str().unwrap(),
        ],
    );
    testkit::ping(&pair.a.ns, IpAddr::V4(pair.b.v4), 1).unwrap();
    testkit::ping(&pair.a.ns, IpAddr::V6(pair.b.v6), 1).unwrap();
    testkit::ping(&pair.other.ns, "198.18.9.1".parse().unwrap(), 1).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let (code, err) = capture.stop("INT");
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("rcvt0 (index 258, IPv4+IPv6)") && err.contains("rcvt1"),
        "{err}"
    );

    let bytes = std::fs::read(&file).unwrap();
    let mut reader = CaptureReader::new(&bytes[..]).unwrap();
    let mut seen = Vec::new();
    while let Some(record) = reader.next_record().unwrap() {
        let flags = record.flags.expect("every packet carries its direction");
        seen.push((
            record.interface_name.unwrap().to_owned(),
            flags.direction.is_some(),
        ));
    }
    let names: Vec<_> = reader
        .interfaces()
        .iter()
        .map(|i| i.name.clone().unwrap())
        .collect();
    assert_eq!(
        names,
        ["rcvt0", "rcvt1"],
        "one interface block each, the two -a merged"
    );
    assert!(seen.iter().all(|(_, has_direction)| *has_direction));
    for name in ["rcvt0", "rcvt1"] {
        assert!(
            seen.iter().filter(|(n, _)| n == name).count() >= 2,
            "{name}: {seen:?}"
        );
    }
    // capinfos lists one statistics entry per interface (written at the end).
    let info = Command::new("capinfos")
        .arg("-I")
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&info.stdout);
    assert_eq!(
        text.matches("Number of stat entries = 1").count(),
        2,
        "{text}"
    );
    let (code, _, stderr) = tshark(&file, &scratch.0);
    assert_eq!((code, stderr.as_str()), (Some(0), ""));
}

#[test]
fn without_a_b_interface_the_default_routes_is_chosen_and_named_and_json_lines_come_out() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    pair.b
        .ns
        .exec(&["ip", "route", "add", "default", "via", "198.18.1.1"])
        .unwrap();
    let out = Command::new("ip")
        .args([
            "netns",
            "exec",
            pair.b.ns.name(),
            RCVALL,
            "capture",
            "-c",
            "2",
            "--format",
            "json",
        ])
        .args(["--duration", "5s", "icmp"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    testkit::ping(&pair.a.ns, IpAddr::V4(pair.b.v4), 1).unwrap();
    let out = out.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let first = err.lines().next().unwrap();
    assert!(
        first.contains("rcvt0") && first.contains("default route"),
        "{first}"
    );
    let json = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<_> = json.lines().collect();
    assert_eq!(lines.len(), 2, "{json}");
    assert!(
        lines[0].starts_with("{\"ts_ns\":") && lines[0].ends_with('}'),
        "{json}"
    );
    assert!(
        lines[0].contains("\"direction\":\"in\"") && lines[1].contains("\"direction\":\"out\"")
    );
    assert!(lines
        .iter()
        .all(|l| l.contains("\"interface\":{\"name\":\"rcvt0\",\"index\":258}")));
}

#[test]
fn the_live_statistics_line_shows_on_a_terminal() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    // `script` gives the capture a terminal; its transcript is what a person would see.
    let out = Command::new("ip")
        .args(["netns", "exec", pair.b.ns.name(), "script", "-qfec"])
        .arg(format!(
            "{RCVALL} capture -i rcvt0 -w /dev/null --duration 2s"
        ))
        .arg("/dev/null")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pinger = std::thread::spawn({
        let ns = pair.a.ns.name().to_owned();
        move || {
            let _ = Command::new("ip")
                .args([
                    "netns",
                    "exec",
                    &ns,
                    "ping",
                    "-c",
                    "8",
                    "-i",
                    "0.2",
                    "-W",
                    "1",
                    "198.18.1.2",
                ])
                .output();
        }
    });
    let out = out.wait_with_output().unwrap();
    pinger.join().unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{screen}");
    assert!(
        screen.contains("/s, ") && screen.contains("dropped by kernel"),
        "{screen}"
    );
    assert!(screen.contains("packets captured"), "{screen}");
}

/// Sends one UDP datagram carrying `marker` from a to b (bounded retries while ARP/the link
/// settles are not needed: lab neighbours are permanent).
fn send_marker(pair: &Pair, marker: &str) {
    testkit::send_udp(&pair.a.ns, pair.b.sock_v4(9), marker.as_bytes(), 1).unwrap();
}

fn carries(datagram: &[u8], marker: &str) -> bool {
    datagram
        .windows(marker.len())
        .any(|w| w == marker.as_bytes())
}

/// Waits (bounded) until b answers a ping again after its link came back.
fn wait_until_reachable(pair: &Pair) {
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        if testkit::ping(&pair.a.ns, IpAddr::V4(pair.b.v4), 1).is_ok() {
            return;
        }
    }
    panic!("the link did not come back within 5 s");
}

#[test]
fn three_link_flaps_during_a_flood_keep_one_file_with_everything_around_them() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let scratch = Scratch::new("flaps");
    let file = scratch.path("flaps.pcapng");
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let capture = start_capture(
        &pair.b.ns,
        &[
            "-i",
            "rcvt0",
            "-4",
            "-Q",
            "in",
            "-w",
            file.to_str().unwrap(),
        ],
    );
    // Bounded so tshark reads the file in seconds: the flood runs through the three flaps.
    let flood = testkit::flood_udp(
        &pair.a.ns,
        pair.b.sock_v4(9),
        300_000,
        Duration::from_secs(8),
    )
    .unwrap();
    let mut markers = Vec::new();
    for flap in 0..3 {
        let before = format!("rcvt-before-flap-{flap}");
        send_marker(&pair, &before);
        markers.push(before);
        std::thread::sleep(Duration::from_millis(100));
        pair.b.ns.ip(&["link", "set", "rcvt0", "down"]).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        pair.b.ns.ip(&["link", "set", "rcvt0", "up"]).unwrap();
        wait_until_reachable(&pair);
        let after = format!("rcvt-after-flap-{flap}");
        send_marker(&pair, &after);
        markers.push(after);
        std::thread::sleep(Duration::from_millis(100));
    }
    let (code, err) = capture.stop("INT");
    let sent = flood.stop();
    assert_eq!(code, Some(0), "link flaps do not end the capture: {err}");
    assert_eq!(
        err.matches("link down, capturing on").count(),
        3,
        "one line per change: {err}"
    );
    assert_eq!(err.matches("link up, capturing on").count(), 3, "{err}");
    let packets = ip_packets(&file);
    let captured = summary_count(&err, " packets captured");
    assert_eq!(
        packets.len() as u64,
        captured,
        "one continuous file = the summary"
    );
    let received = summary_count(&err, " packets received by filter");
    let dropped = summary_count(&err, " packets dropped by kernel");
    assert!(captured + dropped <= received, "{err}");
    for marker in &markers {
        assert_eq!(
            packets.iter().filter(|p| carries(p, marker)).count(),
            1,
            "{marker} is in the file once"
        );
    }
    assert!(
        captured > 1000,
        "the flood was captured around the flaps: {captured} of {sent}"
    );
    let (code, _, stderr) = tshark(&file, &scratch.0);
    assert_eq!((code, stderr.as_str()), (Some(0), ""));
    eprintln!(
        "FAULT | 3 link flaps during a flood (CLI, one file) | {} of {} markers; flood sent \
         {sent}, file {captured}, received {received}, dropped by kernel {dropped}",
        markers.len(),
        markers.len()
    );
}
