//! Link flaps, fanout groups, OFF and the loss of an interface right after traffic: the
//! engine's edge cases, each named after what broke.

use crate::common::*;
use rcvall::{Capture, Families, FanoutMode, RcvAll, WsaCode};
use std::net::IpAddr;
use std::process::Command;
use std::time::{Duration, Instant};
use testkit::{Netns, Pair};

fn link(ns: &Netns, ifname: &str, state: &str) {
    ns.ip(&["link", "set", ifname, state]).unwrap();
}

/// Waits (bounded) until IPv4 crosses the pair again after the link came back.
fn wait_until_reachable(pair: &Pair) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        if testkit::ping(&pair.a.ns, IpAddr::V4(pair.b.v4), 1).is_ok() {
            return;
        }
    }
    panic!("the link did not come back within 5 s");
}

fn marked(pair: &Pair, tag: &str, i: u8) -> Vec<u8> {
    let payload = [tag.as_bytes(), &[i]].concat();
    udp_datagram(pair.a.sock_v4(1), pair.b.sock_v4(9), &payload)
}

#[test]
fn a_link_flap_does_not_end_the_socket_and_promiscuity_is_held() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let socket = capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::On);
    let before: Vec<Vec<u8>> = (0..5)
        .map(|i| marked(&pair, "rcvt-flap-before-", i))
        .collect();
    for datagram in &before {
        send_datagram(&pair.a.ns, datagram, 1);
    }
    // No settle: the link goes down while the last block may still be the kernel's.
    link(&pair.b.ns, &pair.b.ifname, "down");
    let mut buf = [0u8; 2048];
    socket
        .set_read_timeout(Some(Duration::from_millis(400)))
        .unwrap();
    let mut got = Vec::new();
    loop {
        match socket.recv(&mut buf) {
            Ok(len) => got.push(buf[..len].to_vec()),
            Err(err) => {
                assert_eq!(
                    err.kind(),
                    WsaCode::TimedOut,
                    "a down link only waits: {err}"
                );
                break;
            }
        }
        assert!(got.len() < 100, "bounded");
    }
    assert!(!socket.link_stats().is_up, "{:?}", socket.link_stats());
    link(&pair.b.ns, &pair.b.ifname, "up");
    wait_until_reachable(&pair);
    assert!(
        pair.b.ns.is_promisc(&pair.b.ifname).unwrap(),
        "ON still holds promiscuity"
    );
    let after: Vec<Vec<u8>> = (0..5)
        .map(|i| marked(&pair, "rcvt-flap-after-", i))
        .collect();
    for datagram in &after {
        send_datagram(&pair.a.ns, datagram, 1);
    }
    got.extend(
        collect(&socket, Duration::from_millis(300))
            .into_iter()
            .map(|c| c.bytes),
    );
    let ours: Vec<&Vec<u8>> = got
        .iter()
        .filter(|d| udp_carrying(d, b"rcvt-flap-"))
        .collect();
    let expected: Vec<&Vec<u8>> = before.iter().chain(&after).collect();
    assert_eq!(
        ours, expected,
        "every datagram before and after the flap, in order"
    );
    let stats = socket.link_stats();
    assert_eq!(
        (stats.downs, stats.ups, stats.is_up),
        (1, 1, true),
        "{stats:?}"
    );
}

#[test]
fn a_link_flap_does_not_end_a_capture_and_counts_are_exact() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let builder = inbound_v4(&pair);
    let mut capture = pair.b.ns.run(|| builder.open().unwrap());
    let mut seen = 0usize;
    let mut drain = |capture: &mut Capture, quiet: Duration| {
        while let Some(batch) = capture.next_batch(Some(quiet)).unwrap() {
            seen += batch
                .packets()
                .filter(|p| udp_carrying(p.data, b"rcvt-cflap-"))
                .count();
        }
    };
    for flap in 0..3u8 {
        for i in 0..10 {
            send_datagram(&pair.a.ns, &marked(&pair, "rcvt-cflap-", flap * 10 + i), 1);
        }
        link(&pair.b.ns, &pair.b.ifname, "down");
        drain(&mut capture, Duration::from_millis(250));
        link(&pair.b.ns, &pair.b.ifname, "up");
        wait_until_reachable(&pair);
    }
    for i in 0..10 {
        send_datagram(&pair.a.ns, &marked(&pair, "rcvt-cflap-", 30 + i), 1);
    }
    drain(&mut capture, Duration::from_millis(300));
    let stats = capture.stats().unwrap();
    assert_eq!(
        seen, 40,
        "every datagram before and after each of the three flaps"
    );
    assert_eq!(stats.delivered + stats.dropped, stats.received, "{stats:?}");
    assert_eq!((stats.link.downs, stats.link.ups), (3, 3), "{stats:?}");
    eprintln!(
        "FAULT | 3 link flaps (Capture) | {seen} of 40 datagrams; received {}, delivered {}, \
         dropped {}",
        stats.received, stats.delivered, stats.dropped
    );
}

#[test]
fn a_capture_of_a_link_that_is_down_waits_for_it() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    link(&pair.b.ns, &pair.b.ifname, "down");
    let builder = Capture::builder()
        .interface_name(&pair.b.ifname)
        .families(Families::V4);
    let mut capture = pair.b.ns.run(|| builder.open().unwrap());
    assert!(
        capture
            .next_batch(Some(Duration::from_millis(300)))
            .unwrap()
            .is_none(),
        "nothing, and no error, while down"
    );
    assert!(!capture.stats().unwrap().link.is_up);
    link(&pair.b.ns, &pair.b.ifname, "up");
    wait_until_reachable(&pair);
    send_datagram(&pair.a.ns, &marked(&pair, "rcvt-late-up-", 0), 1);
    let mut found = false;
    let started = Instant::now();
    while !found && started.elapsed() < Duration::from_secs(3) {
        if let Some(batch) = capture
            .next_batch(Some(Duration::from_millis(300)))
            .unwrap()
        {
            found |= batch
                .packets()
                .any(|p| udp_carrying(p.data, b"rcvt-late-up-"));
        }
    }
    assert!(found, "the capture starts once the link is up");
    assert!(capture.stats().unwrap().link.is_up);
}

#[test]
fn interface_deleted_while_its_link_is_down_still_ends_with_wsaenetdown() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let socket = capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::On);
    link(&pair.b.ns, &pair.b.ifname, "down");
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut buf = [0u8; 2048];
    assert_eq!(socket.recv(&mut buf).unwrap_err().kind(), WsaCode::TimedOut);
    // NETDEV_UNREGISTER after NETDEV_DOWN sets no new error (the hook is already off):
    // only the look at the link tells the interface is gone.
    testkit::delete_link(&pair.b.ns, &pair.b.ifname).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let started = Instant::now();
    assert_eq!(
        socket.recv(&mut buf).unwrap_err().kind(),
        WsaCode::NetworkDown
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn fanout_groups_get_kernel_unique_ids_and_never_share_packets() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let builder = Capture::builder()
        .interface_name(&pair.b.ifname)
        .families(Families::V4)
        .low_latency(true);
    let (mut one, mut two) = pair.b.ns.run(|| {
        (
            builder.clone().open_fanout(2, FanoutMode::Hash).unwrap(),
            builder.open_fanout(2, FanoutMode::Hash).unwrap(),
        )
    });
    let id_one = one[0].fanout_group().unwrap();
    let id_two = two[0].fanout_group().unwrap();
    assert_ne!(id_one, id_two, "two groups, two ids");
    assert!(one.iter().all(|c| c.fanout_group() == Some(id_one)));
    assert!(two.iter().all(|c| c.fanout_group() == Some(id_two)));
    for i in 0..100 {
        send_datagram(&pair.a.ns, &marked(&pair, "rcvt-groups-", i), 1);
    }
    let count = |workers: &mut Vec<Capture>| -> Vec<u8> {
        let mut seen: Vec<u8> = Vec::new();
        for worker in workers.iter_mut() {
            while let Some(batch) = worker.next_batch(Some(Duration::from_millis(300))).unwrap() {
                seen.extend(
                    batch
                        .packets()
                        .filter(|p| udp_carrying(p.data, b"rcvt-groups-"))
                        .map(|p| *p.data.last().unwrap()),
                );
            }
        }
        seen.sort_unstable();
        seen
    };
    let all: Vec<u8> = (0..100).collect();
    assert_eq!(count(&mut one), all, "group one got every packet once");
    assert_eq!(count(&mut two), all, "group two got every packet once");
}

#[test]
fn off_discards_the_unretired_block_and_on_again_delivers_only_what_came_after() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let socket = capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::IpLevel);
    for round in 0..5u8 {
        // Sent just before OFF: still in the block the kernel has not handed over.
        send_datagram(&pair.a.ns, &marked(&pair, "rcvt-off-old-", round), 3);
        socket.set_rcvall(RcvAll::Off).unwrap();
        socket.set_rcvall(RcvAll::IpLevel).unwrap();
        send_datagram(&pair.a.ns, &marked(&pair, "rcvt-off-new-", round), 2);
        let got = collect(&socket, Duration::from_millis(200));
        assert_eq!(
            with_marker(&got, b"rcvt-off-old-").len(),
            0,
            "round {round}: nothing queued before OFF survives it"
        );
        assert_eq!(
            with_marker(&got, b"rcvt-off-new-").len(),
            2,
            "round {round}: what came after ON arrives"
        );
    }
}

#[test]
fn mtu_change_rename_and_address_churn_do_not_end_a_capture() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let socket = capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::IpLevel);
    let builder = inbound_v4(&pair);
    let mut capture = pair.b.ns.run(|| builder.open().unwrap());
    let addr = format!("{}/24", pair.b.v4);
    let faults: [(&str, &[&[&str]]); 3] = [
        ("mtu", &[&["link", "set", "rcvt0", "mtu", "1400"]]),
        (
            "rename",
            &[
                &["link", "set", "rcvt0", "down"],
                &["link", "set", "rcvt0", "name", "rcvtren"],
                &["link", "set", "rcvtren", "up"],
            ],
        ),
        (
            "address",
            &[
                &["addr", "del", &addr, "dev", "rcvtren"],
                &["addr", "add", &addr, "dev", "rcvtren"],
            ],
        ),
    ];
    for (round, (fault, commands)) in faults.iter().enumerate() {
        for command in *commands {
            pair.b.ns.ip(command).unwrap();
        }
        wait_until_reachable(&pair);
        for i in 0..5 {
            send_datagram(
                &pair.a.ns,
                &marked(&pair, "rcvt-churn-", round as u8 * 10 + i),
                1,
            );
        }
        let via_socket = collect(&socket, Duration::from_millis(300));
        let via_socket = with_marker(&via_socket, b"rcvt-churn-").len();
        assert_eq!(via_socket, 5, "{fault}: the socket goes on");
        let mut via_capture = 0;
        while let Some(batch) = capture
            .next_batch(Some(Duration::from_millis(200)))
            .unwrap()
        {
            via_capture += batch
                .packets()
                .filter(|p| udp_carrying(p.data, b"rcvt-churn-"))
                .count();
        }
        assert_eq!(via_capture, 5, "{fault}: the capture goes on");
        eprintln!("FAULT | {fault} | socket {via_socket} of 5, capture {via_capture} of 5");
    }
}

#[test]
fn two_processes_with_fanout_workers_on_one_interface_each_get_every_packet() {
    const TEST: &str =
        "reliability::two_processes_with_fanout_workers_on_one_interface_each_get_every_packet";
    if role().as_deref() == Some("fanout") {
        println!(); // end the harness's "test … " line: what follows is read line by line
        let ifname = std::env::var("RCVT_IF").unwrap();
        let mut workers = Capture::builder()
            .interface_name(&ifname)
            .families(Families::V4)
            .low_latency(true)
            .open_fanout(2, FanoutMode::Hash)
            .unwrap();
        println!("READY {}", workers[0].fanout_group().unwrap());
        let mut seen = 0;
        let started = Instant::now();
        // Bounded: 100 packets or 10 s.
        while seen < 100 && started.elapsed() < Duration::from_secs(10) {
            for worker in workers.iter_mut() {
                if let Some(batch) = worker.next_batch(Some(Duration::from_millis(50))).unwrap() {
                    seen += batch
                        .packets()
                        .filter(|p| udp_carrying(p.data, b"rcvt-2proc-"))
                        .count();
                }
            }
        }
        println!("SEEN {seen}");
        std::process::exit(0);
    }
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let (mut other, mut lines) =
        spawn_child_in(&pair.b.ns, TEST, "fanout", &[("RCVT_IF", &pair.b.ifname)]);
    let their_group: u16 = lines
        .by_ref()
        .find_map(|l| l.ok()?.strip_prefix("READY ").map(|g| g.parse().unwrap()))
        .expect("the other process started its group");
    let builder = Capture::builder()
        .interface_name(&pair.b.ifname)
        .families(Families::V4)
        .low_latency(true);
    let mut ours = pair
        .b
        .ns
        .run(|| builder.open_fanout(2, FanoutMode::Hash).unwrap());
    assert_ne!(
        ours[0].fanout_group(),
        Some(their_group),
        "the kernel gave each its own"
    );
    for i in 0..100 {
        send_datagram(&pair.a.ns, &marked(&pair, "rcvt-2proc-", i), 1);
    }
    let mut seen = 0;
    for worker in ours.iter_mut() {
        while let Some(batch) = worker.next_batch(Some(Duration::from_millis(300))).unwrap() {
            seen += batch
                .packets()
                .filter(|p| udp_carrying(p.data, b"rcvt-2proc-"))
                .count();
        }
    }
    let theirs: usize = lines
        .find_map(|l| l.ok()?.strip_prefix("SEEN ").map(|n| n.parse().unwrap()))
        .expect("the other process reported");
    let _ = other.wait();
    assert_eq!((seen, theirs), (100, 100), "each process got every packet");
    eprintln!("FAULT | two fanout processes | ours {seen} of 100, theirs {theirs} of 100");
}

#[test]
fn a_stopped_reader_during_a_flood_keeps_the_counts_exact() {
    const TEST: &str = "reliability::a_stopped_reader_during_a_flood_keeps_the_counts_exact";
    if role().as_deref() == Some("reader") {
        println!(); // end the harness's "test … " line: what follows is read line by line
        let ifname = std::env::var("RCVT_IF").unwrap();
        let mut capture = Capture::builder()
            .interface_name(&ifname)
            .families(Families::V4)
            .direction(Some(rcvall::Direction::In))
            .ring_size(1 << 20)
            .block_size(64 << 10)
            .open()
            .unwrap();
        println!("READY");
        let mut captured = 0u64;
        let mut quiet_since = Instant::now();
        let started = Instant::now();
        // Until 1.5 s without a packet after the flood (bounded: 60 s).
        while quiet_since.elapsed() < Duration::from_millis(1500)
            && started.elapsed() < Duration::from_secs(60)
        {
            if let Some(batch) = capture
                .next_batch(Some(Duration::from_millis(100)))
                .unwrap()
            {
                captured += batch.packets().count() as u64;
                quiet_since = Instant::now();
            }
        }
        let stats = capture.stats().unwrap();
        println!(
            "RESULT {captured} {} {} {}",
            stats.received, stats.dropped, stats.delivered
        );
        std::process::exit(0);
    }
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let (mut reader, mut lines) =
        spawn_child_in(&pair.b.ns, TEST, "reader", &[("RCVT_IF", &pair.b.ifname)]);
    assert!(lines.by_ref().any(|l| l.is_ok_and(|l| l == "READY")));
    // `ip netns exec` execs the test binary, so the child's pid is the reader's.
    let pid = reader.id().to_string();
    let flood = testkit::flood_udp(
        &pair.a.ns,
        pair.b.sock_v4(9),
        200_000,
        Duration::from_secs(30),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    Command::new("kill").args(["-STOP", &pid]).status().unwrap();
    std::thread::sleep(Duration::from_secs(2));
    Command::new("kill").args(["-CONT", &pid]).status().unwrap();
    while !flood.is_finished() {
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent = flood.stop();
    let result = lines
        .find_map(|l| l.ok()?.strip_prefix("RESULT ").map(str::to_owned))
        .expect("the reader reported");
    let _ = reader.wait();
    let n: Vec<u64> = result.split(' ').map(|v| v.parse().unwrap()).collect();
    let (captured, received, dropped, delivered) = (n[0], n[1], n[2], n[3]);
    eprintln!(
        "FAULT | kill -STOP 2 s mid-flood | sent {sent}, captured {captured}, received \
         {received}, dropped {dropped}"
    );
    assert_eq!(captured, delivered);
    assert!(
        dropped > 0,
        "a 1 MiB ring overflows while the reader is stopped"
    );
    assert_eq!(
        captured + dropped,
        received,
        "captured + dropped == received"
    );
    assert_eq!(received, sent, "the kernel saw every datagram");
}

fn set_optmem_max(ns: &Netns, bytes: u32) {
    let status = Command::new("ip")
        .args(["netns", "exec", ns.name(), "sysctl", "-qw"])
        .arg(format!("net.core.optmem_max={bytes}"))
        .status()
        .expect("sysctl");
    assert!(status.success(), "sysctl net.core.optmem_max={bytes}");
}

/// The kernel charges an attached filter to the socket's option memory (`__sk_filter_charge`:
/// the new program must fit under net.core.optmem_max beside the old one, else ENOMEM), so a
/// namespace with a tiny optmem_max makes SIO_RCVALL's filter attach fail. The membership
/// must not have been taken by then.
#[test]
fn a_failed_filter_attach_leaves_no_promiscuous_membership_behind() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let socket = pair.b.ns.run(|| {
        let socket = rcvall::Socket::new(rcvall::Family::V4).unwrap();
        socket
            .bind(std::net::SocketAddr::new(IpAddr::V4(pair.b.v4), 0))
            .unwrap();
        socket
    });
    set_optmem_max(&pair.b.ns, 1);
    let err = socket.set_rcvall(RcvAll::On).unwrap_err();
    assert_eq!(err.kind(), WsaCode::NoBufferSpace, "{err}");
    assert!(
        !pair.b.ns.is_promisc(&pair.b.ifname).unwrap(),
        "the failed SIO_RCVALL left the interface promiscuous"
    );
    set_optmem_max(&pair.b.ns, 131_072);
    socket.set_rcvall(RcvAll::On).unwrap();
    assert!(pair.b.ns.is_promisc(&pair.b.ifname).unwrap());
    socket.set_rcvall(RcvAll::Off).unwrap();
    assert!(
        !pair.b.ns.is_promisc(&pair.b.ifname).unwrap(),
        "one membership was taken, and OFF released it"
    );
}
