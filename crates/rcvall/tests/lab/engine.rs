//! The TPACKET_V3 engine through the high-level capture API (SPEC §3).

use crate::common::*;
use rcvall::kfilter::Insn;
use rcvall::{Capture, Direction, Families, FanoutMode, PacketType, RcvAll, RingShape, WsaCode};
use std::net::IpAddr;
use std::time::{Duration, Instant};
use testkit::Pair;

/// A captured packet, copied out of the ring.
struct Copied {
    data: Vec<u8>,
    info: rcvall::PacketInfo,
}

fn drain(capture: &mut Capture, quiet: Duration) -> Vec<Copied> {
    let mut out = Vec::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        match capture.next_batch(Some(quiet)).unwrap() {
            Some(batch) => out.extend(batch.packets().map(|p| Copied {
                data: p.data.to_vec(),
                info: p.info,
            })),
            None => break,
        }
    }
    out
}

fn carrying<'a>(packets: &'a [Copied], marker: &[u8]) -> Vec<&'a Copied> {
    packets
        .iter()
        .filter(|p| udp_carrying(&p.data, marker))
        .collect()
}

fn open_in(ns: &testkit::Netns, builder: rcvall::CaptureBuilder) -> Capture {
    ns.run(|| builder.open().expect("open capture"))
}

#[test]
fn both_families_in_and_out_byte_for_byte() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let builder = Capture::builder()
        .interface_name(&pair.b.ifname)
        .families(Families::Both)
        .low_latency(true);
    let mut capture = open_in(&pair.b.ns, builder);
    assert_eq!(capture.interface().index, pair.b.ifindex().unwrap());
    let v4_in = udp_datagram(pair.a.sock_v4(1), pair.b.sock_v4(9), b"rcvt-eng-v4-in");
    let v6_out = udp_datagram(pair.b.sock_v6(2), pair.a.sock_v6(9), b"rcvt-eng-v6-out");
    send_datagram(&pair.a.ns, &v4_in, 3);
    send_datagram(&pair.b.ns, &v6_out, 3);
    let got = drain(&mut capture, Duration::from_millis(300));
    let ins = carrying(&got, b"rcvt-eng-v4-in");
    let outs = carrying(&got, b"rcvt-eng-v6-out");
    assert_eq!((ins.len(), outs.len()), (3, 3));
    assert!(ins
        .iter()
        .all(|p| p.data == v4_in && p.info.packet_type == PacketType::Host));
    assert!(outs
        .iter()
        .all(|p| p.data == v6_out && p.info.packet_type == PacketType::Outgoing));
    assert!(
        got.iter().all(|p| matches!(p.data[0] >> 4, 4 | 6)),
        "IP only"
    );
}

#[test]
fn direction_filter_keeps_one_way_only() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    for (direction, want_in, want_out) in [(Direction::In, 2, 0), (Direction::Out, 0, 2)] {
        let builder = Capture::builder()
            .interface_address(pair.b.sock_v4(0))
            .families(Families::V4)
            .direction(Some(direction))
            .low_latency(true);
        let mut capture = open_in(&pair.b.ns, builder);
        send_datagram(
            &pair.a.ns,
            &udp_datagram(pair.a.sock_v4(1), pair.b.sock_v4(9), b"rcvt-dir-in"),
            2,
        );
        send_datagram(
            &pair.b.ns,
            &udp_datagram(pair.b.sock_v4(2), pair.a.sock_v4(9), b"rcvt-dir-out"),
            2,
        );
        let got = drain(&mut capture, Duration::from_millis(300));
        let ins = carrying(&got, b"rcvt-dir-in")
            .into_iter()
            .filter(|p| p.data[9] == 17)
            .count();
        let outs = carrying(&got, b"rcvt-dir-out")
            .into_iter()
            .filter(|p| p.data[9] == 17)
            .count();
        assert_eq!((ins, outs), (want_in, want_out), "{direction:?}");
    }
}

#[test]
fn snaplen_truncates_in_the_kernel_and_keeps_the_original_length() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let builder = Capture::builder()
        .interface_name(&pair.b.ifname)
        .families(Families::V4)
        .snaplen(40)
        .low_latency(true);
    let mut capture = open_in(&pair.b.ns, builder);
    let datagram = udp_datagram(pair.a.sock_v4(1), pair.b.sock_v4(9), &[0x77; 500]);
    send_datagram(&pair.a.ns, &datagram, 1);
    let got = drain(&mut capture, Duration::from_millis(300));
    let ours: Vec<_> = got
        .iter()
        .filter(|p| p.info.original_len as usize == datagram.len())
        .collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0].data, datagram[..40]);
    assert!(ours[0].info.flags.truncated);
}

#[test]
fn a_user_filter_runs_in_the_kernel_after_rcvalls_checks() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    // ldb [9]; jeq #17 (UDP) → accept, else reject — on IPv4, which rcvall's checks guarantee.
    let udp_only = vec![
        Insn {
            code: 0x30,
            jt: 0,
            jf: 0,
            k: 9,
        },
        Insn {
            code: 0x15,
            jt: 0,
            jf: 1,
            k: 17,
        },
        Insn {
            code: 0x06,
            jt: 0,
            jf: 0,
            k: u32::MAX,
        },
        Insn {
            code: 0x06,
            jt: 0,
            jf: 0,
            k: 0,
        },
    ];
    let builder = Capture::builder()
        .interface_name(&pair.b.ifname)
        .families(Families::V4)
        .filter(udp_only)
        .low_latency(true);
    let mut capture = open_in(&pair.b.ns, builder);
    testkit::ping(&pair.a.ns, IpAddr::V4(pair.b.v4), 2).unwrap();
    send_datagram(
        &pair.a.ns,
        &udp_datagram(pair.a.sock_v4(1), pair.b.sock_v4(9), b"rcvt-udp"),
        2,
    );
    let got = drain(&mut capture, Duration::from_millis(300));
    assert_eq!(carrying(&got, b"rcvt-udp").len(), 2);
    assert!(
        got.iter().all(|p| p.data[9] == 17),
        "ICMP filtered out in the kernel"
    );
    let stats = capture.stats().unwrap();
    assert_eq!(
        stats.received, stats.delivered,
        "the filter's rejects are not counted"
    );
}

#[test]
fn exact_statistics_with_a_tiny_ring_under_a_flood() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    // Two 4 KiB blocks: the ring overflows at once while nobody reads.
    let builder = inbound_v4(&pair).ring_size(8 << 10).block_size(4 << 10);
    let mut capture = open_in(&pair.b.ns, builder);
    let flood = testkit::flood_udp(
        &pair.a.ns,
        pair.b.sock_v4(9),
        20_000,
        Duration::from_secs(20),
    )
    .unwrap();
    while !flood.is_finished() {
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent = flood.stop();
    settle();
    let delivered: u64 = drain(&mut capture, Duration::from_millis(200)).len() as u64;
    let stats = capture.stats().unwrap();
    assert_eq!(stats.delivered, delivered);
    assert!(stats.dropped > 0, "the tiny ring overflowed: {stats:?}");
    assert_eq!(stats.delivered + stats.dropped, stats.received, "{stats:?}");
    assert_eq!(
        stats.received, sent,
        "the kernel saw every packet sent: {stats:?}"
    );
    eprintln!(
        "FAULT | ring overrun (8 KiB ring) | sent {sent}, received {}, delivered {}, dropped {}",
        stats.received, stats.delivered, stats.dropped
    );
}

#[test]
fn fanout_spreads_packets_over_workers_each_exactly_once() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let builder = Capture::builder()
        .interface_name(&pair.b.ifname)
        .families(Families::V4)
        .low_latency(true);
    let mut workers = pair
        .b
        .ns
        .run(|| builder.open_fanout(2, FanoutMode::LoadBalance).unwrap());
    for i in 0..200u16 {
        let payload = [b"rcvt-fan-".as_slice(), &i.to_be_bytes()].concat();
        send_datagram(
            &pair.a.ns,
            &udp_datagram(pair.a.sock_v4(1), pair.b.sock_v4(9), &payload),
            1,
        );
    }
    let per_worker: Vec<Vec<u16>> = workers
        .iter_mut()
        .map(|w| {
            drain(w, Duration::from_millis(300))
                .iter()
                .filter(|p| udp_carrying(&p.data, b"rcvt-fan-"))
                .map(|p| u16::from_be_bytes([p.data[p.data.len() - 2], p.data[p.data.len() - 1]]))
                .collect()
        })
        .collect();
    assert!(
        per_worker.iter().all(|w| !w.is_empty()),
        "both workers got packets"
    );
    let mut all: Vec<u16> = per_worker.concat();
    all.sort_unstable();
    assert_eq!(
        all,
        (0..200).collect::<Vec<_>>(),
        "each packet exactly once"
    );
}

#[test]
fn capture_ends_with_wsaenetdown_after_delivering_everything_when_the_interface_goes() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let builder = Capture::builder()
        .interface_name(&pair.b.ifname)
        .families(Families::V4)
        .mode(RcvAll::IpLevel);
    let mut capture = open_in(&pair.b.ns, builder);
    send_datagram(
        &pair.a.ns,
        &udp_datagram(pair.a.sock_v4(1), pair.b.sock_v4(9), b"rcvt-gone"),
        25,
    );
    // No settle: the link goes while the block holding these is still the kernel's (the
    // default ring retires it after 50 ms), so the late-block path runs.
    testkit::delete_link(&pair.b.ns, &pair.b.ifname).unwrap();
    let started = Instant::now();
    let mut delivered = 0;
    let err = loop {
        match capture.next_batch(Some(Duration::from_secs(3))) {
            Ok(Some(batch)) => delivered += batch.packets().count(),
            Ok(None) => panic!("no WSAENETDOWN within 3 s"),
            Err(err) => break err,
        }
    };
    assert_eq!(err.kind(), WsaCode::NetworkDown);
    assert_eq!(
        delivered, 25,
        "the block the kernel had not handed over yet was delivered too"
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    eprintln!(
        "FAULT | interface deleted (no settle) | {delivered} of 25, then WSAENETDOWN after {:?}",
        started.elapsed()
    );
}

#[test]
fn low_latency_uses_per_packet_frames_and_the_default_uses_blocks() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let builder = Capture::builder()
        .interface_name(&pair.b.ifname)
        .families(Families::V4);
    let batched = open_in(&pair.b.ns, builder.clone());
    let immediate = open_in(&pair.b.ns, builder.low_latency(true));
    assert!(matches!(batched.ring_shape(), RingShape::Blocks(g) if g.retire_timeout_ms == 50));
    match immediate.ring_shape() {
        // Frames sized for the 1500-byte MTU: 80 header bytes + 1500 → 2048.
        RingShape::Frames(g) => assert_eq!(g.frame_size, 2048),
        other => panic!("{other:?}"),
    }
    assert_eq!(immediate.ring_shape().bytes(), 32 << 20);
}

/// Lent batches go to another thread and come back when dropped. While a tiny ring is all
/// lent out the kernel can fill nothing and drops (counted); once they are back the capture
/// goes on, nothing is delivered twice, and the counts stay exact.
#[test]
fn lent_batches_hold_the_ring_until_dropped_and_the_counts_stay_exact() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    // Two 4 KiB blocks, each holding a few 1 KiB datagrams.
    let builder = inbound_v4(&pair).ring_size(8 << 10).block_size(4 << 10);
    let mut capture = open_in(&pair.b.ns, builder);
    let datagram = |i: u32| {
        let mut payload = b"rcvt-lent-".to_vec();
        payload.extend_from_slice(&i.to_be_bytes());
        payload.resize(1000, 0x5a);
        udp_datagram(pair.a.sock_v4(1), pair.b.sock_v4(9), &payload)
    };
    let marker_of = |data: &[u8]| -> Option<u32> {
        let at = data.windows(10).position(|w| w == b"rcvt-lent-")? + 10;
        Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
    };
    let (to_reader, lent) = std::sync::mpsc::channel::<rcvall::LentBatch>();
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for batch in lent {
            seen.extend(batch.packets().filter_map(|p| marker_of(p.data)));
        }
        seen
    });
    let mut held = Vec::new();
    let mut next = 0u32;
    // Phase 1: batches lent and kept, so the whole ring ends up lent; then more traffic.
    for _ in 0..2 {
        for _ in 0..3 {
            send_datagram(&pair.a.ns, &datagram(next), 1);
            next += 1;
        }
        if let Some(batch) = capture.next_batch(Some(Duration::from_secs(2))).unwrap() {
            held.push(batch.lend().expect("a V3 block is lent"));
        }
    }
    assert!(capture.lends_outstanding());
    for _ in 0..20 {
        send_datagram(&pair.a.ns, &datagram(next), 1);
        next += 1;
    }
    settle();
    assert!(
        capture.try_next_batch().unwrap().is_none(),
        "a lent block is never delivered again"
    );
    // Phase 2: everything back (via the other thread), then the capture goes on.
    for batch in held.drain(..) {
        to_reader.send(batch).unwrap();
    }
    for _ in 0..20 {
        send_datagram(&pair.a.ns, &datagram(next), 1);
        next += 1;
    }
    let mut after = Vec::new();
    while let Some(batch) = capture
        .next_batch(Some(Duration::from_millis(300)))
        .unwrap()
    {
        match batch.lend() {
            Ok(lent) => to_reader.send(lent).unwrap(),
            Err(batch) => after.extend(batch.packets().filter_map(|p| marker_of(p.data))),
        }
    }
    drop(to_reader);
    let mut seen = reader.join().unwrap();
    seen.extend(after);
    let stats = capture.stats().unwrap();
    let mut unique = seen.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no datagram twice: {seen:?}");
    assert!(!capture.lends_outstanding());
    assert!(stats.dropped > 0, "the lent-out ring dropped: {stats:?}");
    assert_eq!(stats.delivered, seen.len() as u64, "{stats:?}");
    assert_eq!(stats.delivered + stats.dropped, stats.received, "{stats:?}");
    assert_eq!(stats.received, u64::from(next), "{stats:?}");
    assert!(
        seen.iter().any(|&i| i >= next - 20),
        "datagrams after the blocks came back were captured: {seen:?}"
    );
}
