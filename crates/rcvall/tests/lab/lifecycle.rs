//! Closing, aborting, crashing, losing the interface, and running without the capability.

use crate::common::*;
use rcvall::{Family, PacketType, RcvAll, Socket, WsaCode};
use std::io::{BufRead, BufReader};
use std::net::{IpAddr, SocketAddr};
use std::process::{Command, Stdio};

use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use testkit::Pair;

/// Blocks a receive in another thread, runs `interrupt`, and returns how the receive ended
/// and how long after the interruption.
fn interrupted_recv(socket: &Arc<Socket>, interrupt: impl FnOnce()) -> (WsaCode, Duration) {
    let (tid_tx, tid_rx) = mpsc::channel();
    let waiter = {
        let socket = socket.clone();
        std::thread::spawn(move || {
            tid_tx.send(this_thread_id()).unwrap();
            let mut buf = [0u8; 2048];
            let result = socket.recv(&mut buf);
            (result.expect_err("nothing was sent").kind(), Instant::now())
        })
    };
    let tid = tid_rx.recv().unwrap();
    wait_until_blocked_in_poll(tid);
    assert!(!waiter.is_finished(), "recv must be waiting");
    let interrupted_at = Instant::now();
    interrupt();
    let (code, ended_at) = waiter.join().unwrap();
    (code, ended_at.saturating_duration_since(interrupted_at))
}

#[test]
fn close_from_another_thread_ends_a_blocked_recv_within_100_ms() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let socket = Arc::new(capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::On));
    assert!(pair.b.ns.is_promisc(&pair.b.ifname).unwrap());
    let (code, after) = interrupted_recv(&socket, || socket.close());
    assert_eq!(code, WsaCode::OperationAborted);
    assert_eq!(code.code(), 995);
    assert!(
        after < Duration::from_millis(100),
        "recv ended {after:?} after close"
    );
    assert!(
        !pair.b.ns.is_promisc(&pair.b.ifname).unwrap(),
        "close released promiscuity"
    );
    let err = socket.recv(&mut [0u8; 64]).unwrap_err();
    assert_eq!(err.kind(), WsaCode::NotSocket);
    assert_eq!(
        socket.set_rcvall(RcvAll::On).unwrap_err().kind(),
        WsaCode::NotSocket
    );
}

#[test]
fn abort_handle_ends_a_blocked_recv_and_the_socket_keeps_working() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let socket = Arc::new(capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::IpLevel));
    let handle = socket.abort_handle();
    let (code, after) = interrupted_recv(&socket, || handle.abort());
    assert_eq!(code, WsaCode::OperationAborted);
    assert!(
        after < Duration::from_millis(100),
        "recv ended {after:?} after abort"
    );
    // Receives started after the abort are unaffected.
    let datagram = udp_datagram(pair.a.sock_v4(1), pair.b.sock_v4(9), b"rcvt-after-abort");
    send_datagram(&pair.a.ns, &datagram, 1);
    socket
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut buf = [0u8; 2048];
    let len = socket.recv(&mut buf).unwrap();
    assert_eq!(&buf[..len], &datagram[..]);
}

#[test]
fn recv_with_info_reports_timestamp_direction_interface_and_lengths() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let socket = capture(&pair.b.ns, IpAddr::V6(pair.b.v6), RcvAll::On);
    let datagram = udp_datagram(pair.a.sock_v6(7), pair.b.sock_v6(9), b"rcvt-meta");
    let before = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    send_datagram(&pair.a.ns, &datagram, 1);
    let got = collect(&socket, Duration::from_millis(300));
    let after = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let packet = with_marker(&got, b"rcvt-meta")[0];
    assert!(
        (before..=after).contains(&packet.info.timestamp_ns),
        "{:?}",
        packet.info
    );
    assert_eq!(packet.info.packet_type, PacketType::Host);
    assert_eq!(packet.info.ifindex, pair.b.ifindex().unwrap());
    assert_eq!(packet.info.original_len as usize, datagram.len());
    assert!(!packet.info.flags.truncated && !packet.info.flags.gso);
    assert_eq!(packet.bytes, datagram, "IPv6 is delivered with its header");
}

#[test]
fn interface_removed_mid_capture_delivers_the_queue_then_wsaenetdown() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let socket = capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::On);
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    for i in 0..30u8 {
        let payload = [b'r', b'c', b'v', b't', b'-', b'q', i];
        send_datagram(
            &pair.a.ns,
            &udp_datagram(pair.a.sock_v4(1), pair.b.sock_v4(9), &payload),
            1,
        );
    }
    // No settle: the last block is still the kernel's when the link goes.

    testkit::delete_link(&pair.b.ns, &pair.b.ifname).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let started = Instant::now();
    let mut delivered = Vec::new();
    let mut buf = [0u8; 2048];
    let err = loop {
        match socket.recv(&mut buf) {
            Ok(len) => delivered.push(buf[..len].to_vec()),
            Err(err) => break err,
        }
        assert!(delivered.len() <= 100, "bounded");
    };
    assert_eq!(err.kind(), WsaCode::NetworkDown, "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "no hang: {:?}",
        started.elapsed()
    );
    assert_eq!(
        delivered.len(),
        30,
        "every datagram queued before the removal"
    );
    for (i, packet) in delivered.iter().enumerate() {
        assert_eq!(packet.last(), Some(&(i as u8)), "in order");
    }
    assert_eq!(
        socket.recv(&mut buf).unwrap_err().kind(),
        WsaCode::NetworkDown,
        "and it stays down"
    );
    // SIO_RCVALL on the vanished interface is WSAEINVAL.
    socket.set_rcvall(RcvAll::Off).unwrap();
    assert_eq!(
        socket.set_rcvall(RcvAll::On).unwrap_err().kind(),
        WsaCode::InvalidArgument
    );
}

#[test]
fn sigkill_while_on_leaves_no_promisc_flag() {
    if role().as_deref() == Some("hold_on") {
        let addr: IpAddr = std::env::var("RCVT_ADDR").unwrap().parse().unwrap();
        let socket = Socket::new(Family::of(&addr)).unwrap();
        socket.bind(SocketAddr::new(addr, 0)).unwrap();
        socket.set_rcvall(RcvAll::On).unwrap();
        println!("READY");
        std::thread::sleep(Duration::from_secs(30)); // bounded; the parent kills it long before
        std::process::exit(3);
    }
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let test = child(
        "lifecycle::sigkill_while_on_leaves_no_promisc_flag",
        "hold_on",
    );
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", pair.b.ns.name()])
        .arg(test.get_program())
        .args(test.get_args())
        .env(CHILD_ROLE, "hold_on")
        .env("RCVT_ADDR", pair.b.v4.to_string())
        .stdout(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("READY") {
                let _ = tx.send(());
            }
        }
    });
    let ready = rx.recv_timeout(Duration::from_secs(10));
    if ready.is_err() {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the child never turned SIO_RCVALL on");
    }
    assert!(
        pair.b.ns.is_promisc(&pair.b.ifname).unwrap(),
        "the child holds PROMISC"
    );
    child.kill().unwrap(); // SIGKILL, by pid
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert!(
        !pair.b.ns.is_promisc(&pair.b.ifname).unwrap(),
        "the kernel released the membership of the killed process"
    );
}

#[test]
fn creation_without_cap_net_raw_fails_with_wsaeacces_naming_the_capability() {
    const TEST: &str =
        "lifecycle::creation_without_cap_net_raw_fails_with_wsaeacces_naming_the_capability";
    if role().as_deref() == Some("no_cap") {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let cap_eff = status
            .lines()
            .find_map(|l| l.strip_prefix("CapEff:"))
            .map(|v| u64::from_str_radix(v.trim(), 16).unwrap())
            .unwrap();
        const CAP_NET_RAW: u32 = 13;
        println!("CAP_NET_RAW_HELD {}", cap_eff & (1 << CAP_NET_RAW) != 0);
        match Socket::new(Family::V4) {
            Ok(_) => println!("RESULT created"),
            Err(err) => println!("RESULT {} {}", err.wsa_code(), err),
        }
        #[cfg(feature = "tokio")]
        {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let _enter = runtime.enter();
            match rcvall::AsyncSocket::new(Family::V4) {
                Ok(_) => println!("ASYNC_RESULT created"),
                Err(err) => println!("ASYNC_RESULT {} {}", err.wsa_code(), err),
            }
        }
        std::process::exit(0);
    }
    testkit::require_root();
    let test = child(TEST, "no_cap");
    let out = Command::new("setpriv")
        .args(["--bounding-set=-net_raw", "--inh-caps=-net_raw", "--"])
        .arg(test.get_program())
        .args(test.get_args())
        .env(CHILD_ROLE, "no_cap")
        .output()
        .expect("setpriv (util-linux) is installed by scripts/setup.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("CAP_NET_RAW_HELD false"),
        "the child must lack it: {stdout}"
    );
    let result = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("no result from the child: {stdout}"));
    assert!(result.starts_with("10013 WSAEACCES"), "{result}");
    assert!(
        result.contains("CAP_NET_RAW"),
        "the message names the capability: {result}"
    );
    #[cfg(feature = "tokio")]
    {
        let result = stdout
            .lines()
            .find_map(|l| l.strip_prefix("ASYNC_RESULT "))
            .unwrap_or_else(|| panic!("no async result from the child: {stdout}"));
        assert!(
            result.starts_with("10013 WSAEACCES"),
            "AsyncSocket: {result}"
        );
        assert!(result.contains("CAP_NET_RAW"), "AsyncSocket: {result}");
    }
}
