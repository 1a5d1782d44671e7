//! The async face (feature `tokio`): what the sync tests prove, proven again through
//! AsyncSocket, AsyncCapture and their Streams, plus idle cost, wakeups and cancellation.

use crate::common::*;
use futures_util::StreamExt;
use rcvall::{
    AsyncCapture, AsyncSocket, Capture, Families, Family, PacketType, RcvAll, Socket, WsaCode,
};
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use testkit::{Hub, Netns, Pair};

/// Runs `f` on a current-thread runtime (I/O and time enabled) on the calling thread.
fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// An async socket made in `ns`, bound to `addr`, in `mode` (call inside the runtime).
fn async_capture(ns: &Netns, addr: IpAddr, mode: RcvAll) -> AsyncSocket {
    AsyncSocket::from_socket(capture(ns, addr, mode)).expect("register")
}

/// Receives until nothing arrives for `quiet` (bounded: 20,000 datagrams, 10 s).
async fn collect_async(socket: &AsyncSocket, quiet: Duration) -> Vec<Captured> {
    let started = Instant::now();
    let mut out = Vec::new();
    let mut buf = vec![0u8; 65536];
    while out.len() < 20_000 && started.elapsed() < Duration::from_secs(10) {
        match tokio::time::timeout(quiet, socket.recv_with_info(&mut buf)).await {
            Ok(Ok((len, info))) => out.push(Captured {
                bytes: buf[..len].to_vec(),
                info,
            }),
            Ok(Err(err)) => panic!("recv failed: {err}"),
            Err(_quiet) => break,
        }
    }
    out
}

/// CPU time this thread has used (ns), from /proc/thread-self/schedstat.
fn thread_cpu_ns() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    stat.split_whitespace().next().unwrap().parse().unwrap()
}

fn addrs(host: &testkit::Host) -> [(IpAddr, SocketAddr); 2] {
    [
        (IpAddr::V4(host.v4), host.sock_v4(9)),
        (IpAddr::V6(host.v6), host.sock_v6(9)),
    ]
}

#[test]
fn async_hub_on_sees_a_to_b_byte_for_byte_and_iplevel_does_not() {
    testkit::require_root();
    let hub = Hub::new().unwrap();
    block_on(async {
        for ((c_addr, _), ((_, a_sock), (_, b_sock))) in addrs(&hub.c)
            .into_iter()
            .zip(addrs(&hub.a).into_iter().zip(addrs(&hub.b)))
        {
            let on = async_capture(&hub.c.ns, c_addr, RcvAll::On);
            let iplevel = async_capture(&hub.c.ns, c_addr, RcvAll::IpLevel);
            let marker = format!("rcvt-async-hub-{c_addr}");
            let datagram = udp_datagram(a_sock, b_sock, marker.as_bytes());
            send_datagram(&hub.a.ns, &datagram, 3);
            let seen_on = collect_async(&on, Duration::from_millis(300)).await;
            let seen_iplevel = collect_async(&iplevel, Duration::from_millis(300)).await;
            let a2b = with_marker(&seen_on, marker.as_bytes());
            assert_eq!(a2b.len(), 3, "{c_addr}: ON sees every A→B datagram");
            for packet in a2b {
                assert_eq!(packet.bytes, datagram, "{c_addr}: byte for byte");
                assert_eq!(packet.info.packet_type, PacketType::OtherHost);
            }
            assert_eq!(
                with_marker(&seen_iplevel, marker.as_bytes()).len(),
                0,
                "{c_addr}: IPLEVEL never sees other hosts' traffic"
            );
        }
    });
}

#[test]
fn async_own_inbound_and_outbound_datagrams_arrive_exactly() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    block_on(async {
        for ((b_addr, b_sock), (_, a_sock)) in addrs(&pair.b).into_iter().zip(addrs(&pair.a)) {
            let socket = async_capture(&pair.b.ns, b_addr, RcvAll::IpLevel);
            let _sink = testkit::udp_sink(&pair.b.ns, b_sock).unwrap();
            let inbound = udp_datagram(a_sock, b_sock, b"rcvt-async-in");
            let outbound = udp_datagram(b_sock, a_sock, b"rcvt-async-out");
            send_datagram(&pair.a.ns, &inbound, 2);
            send_datagram(&pair.b.ns, &outbound, 2);
            let got = collect_async(&socket, Duration::from_millis(300)).await;
            let ins = with_marker(&got, b"rcvt-async-in");
            let outs = with_marker(&got, b"rcvt-async-out");
            assert_eq!((ins.len(), outs.len()), (2, 2), "{b_addr}");
            assert!(ins
                .iter()
                .all(|p| p.bytes == inbound && p.info.packet_type == PacketType::Host));
            assert!(outs
                .iter()
                .all(|p| p.bytes == outbound && p.info.packet_type == PacketType::Outgoing));
        }
    });
}

#[test]
fn async_errors_are_the_sync_sockets_errors() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    block_on(async {
        let unbound = pair
            .b
            .ns
            .run(|| Socket::new(Family::V4))
            .map(AsyncSocket::from_socket)
            .unwrap()
            .unwrap();
        let mut buf = [0u8; 64];
        assert_eq!(
            unbound.recv(&mut buf).await.unwrap_err().kind(),
            WsaCode::InvalidArgument,
            "recv on an unbound socket"
        );
        assert_eq!(
            unbound.set_rcvall(RcvAll::On).unwrap_err().kind(),
            WsaCode::InvalidArgument
        );
        assert_eq!(
            unbound.bind(pair.b.sock_v6(0)).unwrap_err().kind(),
            WsaCode::AddressFamilyNotSupported
        );
        assert_eq!(
            unbound
                .bind("198.19.255.254:0".parse().unwrap())
                .unwrap_err()
                .kind(),
            WsaCode::AddressNotAvailable
        );
        unbound.bind(pair.b.sock_v4(0)).unwrap();
        for bad in [&[][..], &4u32.to_le_bytes()] {
            assert_eq!(
                unbound
                    .ioctl(rcvall::SIO_RCVALL, bad)
                    .unwrap_err()
                    .wsa_code(),
                10022
            );
        }
        assert_eq!(
            unbound
                .ioctl(rcvall::SIO_RCVALL_MCAST, &1u32.to_le_bytes())
                .unwrap_err()
                .wsa_code(),
            10045
        );
        unbound
            .ioctl(rcvall::SIO_RCVALL, &1u32.to_le_bytes())
            .unwrap();
        let socket = unbound;

        // A short buffer: the leading bytes and WSAEMSGSIZE with the full length.
        let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
        let datagram = udp_datagram(pair.a.sock_v4(1), pair.b.sock_v4(9), &[0x61; 300]);
        let next = udp_datagram(pair.a.sock_v4(1), pair.b.sock_v4(9), b"rcvt-async-next");
        send_datagram(&pair.a.ns, &datagram, 1);
        send_datagram(&pair.a.ns, &next, 1);
        let mut short = [0u8; 20];
        let err = socket.recv(&mut short).await.unwrap_err();
        assert_eq!(err.kind(), WsaCode::MessageSize);
        assert_eq!(err.datagram_len(), Some(datagram.len()));
        assert_eq!(&short[..], &datagram[..20]);
        let mut buf = [0u8; 2048];
        let len = socket.recv(&mut buf).await.unwrap();
        assert_eq!(
            &buf[..len],
            &next[..],
            "the next recv gets the next datagram"
        );

        socket.close();
        assert_eq!(
            socket.recv(&mut buf).await.unwrap_err().kind(),
            WsaCode::NotSocket
        );
        assert!(!pair.b.ns.is_promisc(&pair.b.ifname).unwrap());
    });
}

#[test]
fn an_idle_async_recv_costs_no_cpu_and_a_low_latency_trickle_arrives_whole() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    block_on(async {
        let socket = async_capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::On);
        let before = thread_cpu_ns();
        let mut buf = [0u8; 2048];
        let waited = tokio::time::timeout(Duration::from_secs(2), socket.recv(&mut buf)).await;
        assert!(waited.is_err(), "the link was quiet");
        let idle_ms = (thread_cpu_ns() - before) as f64 / 1e6;
        eprintln!("idle: {idle_ms:.3} ms of CPU in 2 s");
        assert!(idle_ms < 20.0, "idle wait used {idle_ms} ms of CPU");
    });

    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let trickle: Vec<Vec<u8>> = (0..30u8)
        .map(|i| {
            udp_datagram(
                pair.a.sock_v4(1),
                pair.b.sock_v4(9),
                &[b'r', b'c', b'v', b't', b'-', b't', i],
            )
        })
        .collect();
    let capture = pair.b.ns.run(|| {
        Capture::builder()
            .interface_name(&pair.b.ifname)
            .families(Families::V4)
            .low_latency(true)
            .open()
            .unwrap()
    });
    let (got, cpu_ms) = std::thread::scope(|scope| {
        scope.spawn(|| {
            for datagram in &trickle {
                send_datagram(&pair.a.ns, datagram, 1);
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        block_on(async {
            let mut capture = AsyncCapture::new(capture).unwrap();
            let before = thread_cpu_ns();
            let mut got = Vec::new();
            while got.len() < trickle.len() {
                match tokio::time::timeout(Duration::from_secs(2), capture.next_batch()).await {
                    Ok(batch) => got.extend(
                        batch
                            .unwrap()
                            .packets()
                            .filter(|p| udp_carrying(p.data, b"rcvt-t"))
                            .map(|p| p.data.to_vec()),
                    ),
                    Err(_) => break,
                }
            }
            (got, (thread_cpu_ns() - before) as f64 / 1e6)
        })
    });
    eprintln!(
        "trickle: {} of {} packets, {cpu_ms:.3} ms of CPU",
        got.len(),
        trickle.len()
    );
    assert_eq!(got, trickle, "every packet of the trickle, in order");
    assert!(cpu_ms < 50.0, "the trickle used {cpu_ms} ms of CPU");
}

/// A small deterministic generator for test gaps (xorshift).
fn gaps(seed: u64, n: usize, max_us: u64) -> Vec<Duration> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            Duration::from_micros(x % (max_us + 1))
        })
        .collect()
}

#[test]
fn a_thousand_single_packets_with_random_gaps_all_arrive() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let socket = capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::On);
    let pauses = gaps(u64::from(std::process::id()), 1000, 5000);
    let got = std::thread::scope(|scope| {
        scope.spawn(|| {
            for (i, pause) in pauses.iter().enumerate() {
                let mut payload = b"rcvt-gap-".to_vec();
                payload.extend_from_slice(&(i as u32).to_be_bytes());
                send_datagram(
                    &pair.a.ns,
                    &udp_datagram(pair.a.sock_v4(1), pair.b.sock_v4(9), &payload),
                    1,
                );
                std::thread::sleep(*pause);
            }
        });
        block_on(async {
            let socket = AsyncSocket::from_socket(socket).unwrap();
            let mut seen = Vec::new();
            let mut buf = [0u8; 2048];
            while seen.len() < 1000 {
                // A lost wakeup would leave a queued datagram unread: 2 s of silence ends it.
                match tokio::time::timeout(Duration::from_secs(2), socket.recv(&mut buf)).await {
                    Ok(Ok(len)) if udp_carrying(&buf[..len], b"rcvt-gap-") => {
                        let n = u32::from_be_bytes(buf[len - 4..len].try_into().unwrap());
                        seen.push(n);
                    }
                    Ok(Ok(_)) => {}
                    Ok(Err(err)) => panic!("{err}"),
                    Err(_) => break,
                }
            }
            seen
        })
    });
    assert_eq!(got, (0..1000).collect::<Vec<u32>>(), "all 1,000, in order");
}

#[test]
fn a_flood_through_the_batch_stream_has_exact_counts_and_no_loss() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let capture = pair.b.ns.run(|| inbound_v4(&pair).open().unwrap());
    // 100,000 frames of 64-byte UDP take ~14 MiB of the 32 MiB ring: none may be dropped even
    // if the reader stalls, so any loss is the reader's fault.
    let (captured, stats, sent) = block_on(async {
        let mut stream = AsyncCapture::new(capture).unwrap().into_stream();
        let flood = testkit::flood_udp(
            &pair.a.ns,
            pair.b.sock_v4(9),
            100_000,
            Duration::from_secs(30),
        )
        .unwrap();
        let mut captured = 0u64;
        loop {
            match tokio::time::timeout(Duration::from_millis(300), stream.next()).await {
                Ok(Some(batch)) => captured += batch.unwrap().len() as u64,
                Ok(None) => panic!("the stream ended"),
                Err(_quiet) if flood.is_finished() => break,
                Err(_quiet) => {}
            }
        }
        let sent = flood.stop();
        let mut capture = stream.into_capture().await.expect("the capture back");
        (captured, capture.stats().unwrap(), sent)
    });
    eprintln!("flood: sent {sent}, captured {captured}, {stats:?}");
    assert_eq!(stats.delivered, captured);
    assert_eq!(captured + stats.dropped, stats.received, "{stats:?}");
    assert_eq!(stats.received, sent, "the kernel saw every datagram sent");
    assert_eq!(stats.dropped, 0, "the default ring loses nothing");
}

#[test]
fn a_dropped_recv_future_loses_no_datagram() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let socket = capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::On);
    let pauses = gaps(7, 300, 2000);
    let got = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(50));
            for (i, pause) in pauses.iter().enumerate() {
                let mut payload = b"rcvt-cancel-".to_vec();
                payload.extend_from_slice(&(i as u32).to_be_bytes());
                send_datagram(
                    &pair.a.ns,
                    &udp_datagram(pair.a.sock_v4(1), pair.b.sock_v4(9), &payload),
                    1,
                );
                std::thread::sleep(*pause);
            }
        });
        block_on(async {
            let socket = AsyncSocket::from_socket(socket).unwrap();
            // One future dropped while waiting on a quiet link first.
            let mut buf = [0u8; 2048];
            assert!(
                tokio::time::timeout(Duration::from_millis(20), socket.recv(&mut buf))
                    .await
                    .is_err()
            );
            let mut seen = Vec::new();
            let mut dropped = 0u32;
            let timeouts = gaps(11, 100_000, 1500);
            let started = Instant::now();
            for timeout in timeouts {
                if seen.len() == 300 || started.elapsed() > Duration::from_secs(20) {
                    break;
                }
                // Futures dropped at random points of their wait, while datagrams arrive.
                match tokio::time::timeout(timeout, socket.recv(&mut buf)).await {
                    Ok(Ok(len)) if udp_carrying(&buf[..len], b"rcvt-cancel-") => {
                        seen.push(u32::from_be_bytes(buf[len - 4..len].try_into().unwrap()))
                    }
                    Ok(Ok(_)) => {}
                    Ok(Err(err)) => panic!("{err}"),
                    Err(_) => dropped += 1,
                }
            }
            eprintln!("cancellation: {dropped} recv futures dropped mid-wait");
            assert!(dropped > 10, "the test dropped futures while waiting");
            seen
        })
    });
    assert_eq!(
        got,
        (0..300).collect::<Vec<u32>>(),
        "each exactly once, in order"
    );
}

#[test]
fn abort_and_close_end_a_pending_async_recv_within_100_ms() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    block_on(async {
        let socket = Arc::new(async_capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::On));
        for how in ["abort", "close"] {
            let waiter = {
                let socket = socket.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 2048];
                    let err = socket.recv(&mut buf).await.expect_err("nothing was sent");
                    (err.kind(), Instant::now())
                })
            };
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert!(!waiter.is_finished(), "{how}: recv must be waiting");
            let at = Instant::now();
            match how {
                "abort" => socket.abort_handle().abort(),
                _ => socket.close(),
            }
            let (code, ended) = waiter.await.unwrap();
            let after = ended.saturating_duration_since(at);
            assert_eq!(code, WsaCode::OperationAborted, "{how}");
            assert!(
                after < Duration::from_millis(100),
                "{how}: ended {after:?} after"
            );
            if how == "abort" {
                // Receives that start after the abort work.
                let datagram =
                    udp_datagram(pair.a.sock_v4(1), pair.b.sock_v4(9), b"rcvt-async-after");
                send_datagram(&pair.a.ns, &datagram, 1);
                let got = collect_async(&socket, Duration::from_millis(300)).await;
                assert_eq!(with_marker(&got, b"rcvt-async-after").len(), 1);
            }
        }
        let mut buf = [0u8; 64];
        assert_eq!(
            socket.recv(&mut buf).await.unwrap_err().kind(),
            WsaCode::NotSocket
        );
    });
}

#[test]
fn eight_interfaces_on_one_current_thread_runtime_each_get_their_own_packets() {
    testkit::require_root();
    let here = Netns::new("rcvtq").unwrap();
    let peer = Netns::new("rcvtp").unwrap();
    const LINKS: u8 = 8;
    for i in 0..LINKS {
        let name = format!("rcvtq{i}");
        here.ip(&[
            "link",
            "add",
            &name,
            "type",
            "veth",
            "peer",
            "name",
            &name,
            "netns",
            peer.name(),
        ])
        .unwrap();
        here.ip(&[
            "addr",
            "add",
            &format!("198.18.{}.1/24", 20 + i),
            "dev",
            &name,
        ])
        .unwrap();
        peer.ip(&[
            "addr",
            "add",
            &format!("198.18.{}.2/24", 20 + i),
            "dev",
            &name,
        ])
        .unwrap();
        here.ip(&["link", "set", &name, "up"]).unwrap();
        peer.ip(&["link", "set", &name, "up"]).unwrap();
    }
    let local = |i: u8| SocketAddr::new(IpAddr::from([198, 18, 20 + i, 1]), 9);
    let remote = |i: u8| SocketAddr::new(IpAddr::from([198, 18, 20 + i, 2]), 1);
    let sockets: Vec<Socket> = (0..LINKS)
        .map(|i| capture(&here, local(i).ip(), RcvAll::On))
        .collect();
    let per_link = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(100));
            for round in 0..5u8 {
                for i in 0..LINKS {
                    let payload = [b'r', b'c', b'v', b't', b'-', b'8', i, round];
                    send_datagram(&peer, &udp_datagram(remote(i), local(i), &payload), 1);
                }
            }
        });
        block_on(async {
            let tasks: Vec<_> = sockets
                .into_iter()
                .map(|socket| {
                    tokio::spawn(async move {
                        let socket = AsyncSocket::from_socket(socket).unwrap();
                        let got = collect_async(&socket, Duration::from_millis(700)).await;
                        let ifindex = socket.interface().unwrap().index;
                        (
                            ifindex,
                            with_marker(&got, b"rcvt-8")
                                .into_iter()
                                .map(|c| c.bytes.clone())
                                .collect::<Vec<_>>(),
                        )
                    })
                })
                .collect();
            let mut out = Vec::new();
            for task in tasks {
                out.push(task.await.unwrap());
            }
            out
        })
    });
    for (i, (_, got)) in per_link.iter().enumerate() {
        let expected: Vec<Vec<u8>> = (0..5u8)
            .map(|round| {
                udp_datagram(
                    remote(i as u8),
                    local(i as u8),
                    &[b'r', b'c', b'v', b't', b'-', b'8', i as u8, round],
                )
            })
            .collect();
        assert_eq!(got, &expected, "link {i}: exactly its own five, in order");
    }
}

#[test]
fn interface_removed_the_stream_yields_the_queue_then_wsaenetdown_then_ends() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let socket = capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::On);
    block_on(async {
        let mut stream = AsyncSocket::from_socket(socket).unwrap().into_stream();
        for i in 0..30u8 {
            send_datagram(
                &pair.a.ns,
                &udp_datagram(
                    pair.a.sock_v4(1),
                    pair.b.sock_v4(9),
                    &[b'r', b'c', b'v', b't', b'-', b'q', i],
                ),
                1,
            );
        }
        // No settle: the link goes while the last block may still be the kernel's.
        testkit::delete_link(&pair.b.ns, &pair.b.ifname).unwrap();
        let started = Instant::now();
        let mut delivered = Vec::new();
        let err = loop {
            match tokio::time::timeout(Duration::from_secs(3), stream.next()).await {
                Ok(Some(Ok(datagram))) => delivered.push(datagram.data),
                Ok(Some(Err(err))) => break err,
                Ok(None) => panic!("ended without an error"),
                Err(_) => panic!(
                    "hung after the interface went: {} delivered",
                    delivered.len()
                ),
            }
            assert!(delivered.len() <= 100, "bounded");
        };
        assert_eq!(err.kind(), WsaCode::NetworkDown, "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        let ours: Vec<u8> = delivered
            .iter()
            .filter(|d| udp_carrying(d, b"rcvt-q"))
            .map(|d| *d.last().unwrap())
            .collect();
        assert_eq!(
            ours,
            (0..30).collect::<Vec<u8>>(),
            "every queued datagram, in order"
        );
        assert!(stream.next().await.is_none(), "then it ends");
    });
}
