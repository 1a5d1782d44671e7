//! Every error of the state machine, item by item (SPEC §2).

use crate::common::*;
use rcvall::{Family, RcvAll, Socket, WsaCode, SIO_RCVALL, SIO_RCVALL_IGMPMCAST, SIO_RCVALL_MCAST};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use testkit::Pair;

fn code<T: std::fmt::Debug>(result: rcvall::Result<T>) -> WsaCode {
    result.expect_err("the call must fail").kind()
}

#[test]
fn bind_checks_family_and_locality() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    pair.b.ns.run(|| {
        let v4 = Socket::new(Family::V4).unwrap();
        assert_eq!(
            code(v4.bind(SocketAddr::new(IpAddr::V6(pair.b.v6), 0))),
            WsaCode::AddressFamilyNotSupported
        );
        let v6 = Socket::new(Family::V6).unwrap();
        assert_eq!(
            code(v6.bind(SocketAddr::new(IpAddr::V4(pair.b.v4), 0))),
            WsaCode::AddressFamilyNotSupported
        );
        // a's address is not local to b
        let err = v4.bind(pair.a.sock_v4(0)).unwrap_err();
        assert_eq!(err.kind(), WsaCode::AddressNotAvailable);
        assert_eq!(err.wsa_code(), 10049);
        assert!(err.to_string().contains("198.18.1.1"), "{err}");
        assert_eq!(
            code(v6.bind("[2001:db8:1::77]:0".parse().unwrap())),
            WsaCode::AddressNotAvailable
        );
    });
}

#[test]
fn rcvall_needs_an_explicit_interface_address() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    pair.b.ns.run(|| {
        for (family, any) in [(Family::V4, "0.0.0.0:0"), (Family::V6, "[::]:0")] {
            let socket = Socket::new(family).unwrap();
            // unbound
            assert_eq!(
                code(socket.set_rcvall(RcvAll::On)),
                WsaCode::InvalidArgument
            );
            assert_eq!(code(socket.recv(&mut [0u8; 64])), WsaCode::InvalidArgument);
            // bound to the unspecified address: bind accepts it, SIO_RCVALL refuses it
            socket.bind(any.parse().unwrap()).unwrap();
            assert_eq!(
                code(socket.set_rcvall(RcvAll::On)),
                WsaCode::InvalidArgument
            );
            assert_eq!(
                code(socket.set_rcvall(RcvAll::IpLevel)),
                WsaCode::InvalidArgument
            );
            assert_eq!(
                code(socket.ioctl(SIO_RCVALL, &1u32.to_le_bytes())),
                WsaCode::InvalidArgument
            );
        }
    });
}

#[test]
fn ioctl_rejects_bad_values_and_codes() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let socket = pair.b.ns.run(|| {
        let socket = Socket::new(Family::V4).unwrap();
        socket.bind(pair.b.sock_v4(0)).unwrap();
        socket
    });
    for bad in [&4u32.to_le_bytes()[..], &u32::MAX.to_le_bytes(), &[]] {
        let err = socket.ioctl(SIO_RCVALL, bad).unwrap_err();
        assert_eq!(
            (err.kind(), err.wsa_code()),
            (WsaCode::InvalidArgument, 10022),
            "{bad:?}"
        );
    }
    for unknown in [0x9800_0004, 0x1234_5678, 0] {
        assert_eq!(
            code(socket.ioctl(unknown, &1u32.to_le_bytes())),
            WsaCode::InvalidArgument
        );
    }
    for unsupported in [SIO_RCVALL_MCAST, SIO_RCVALL_IGMPMCAST] {
        let err = socket.ioctl(unsupported, &1u32.to_le_bytes()).unwrap_err();
        assert_eq!(
            (err.kind(), err.wsa_code()),
            (WsaCode::OperationNotSupported, 10045)
        );
    }
    // None of that changed anything.
    assert_eq!(socket.rcvall(), RcvAll::Off);
    assert!(!pair.b.ns.is_promisc(&pair.b.ifname).unwrap());
    // One byte and a DWORD are both accepted.
    socket.ioctl(SIO_RCVALL, &[3]).unwrap();
    assert_eq!(socket.rcvall(), RcvAll::IpLevel);
    socket.ioctl(SIO_RCVALL, &1u32.to_le_bytes()).unwrap();
    assert_eq!(socket.rcvall(), RcvAll::On);
    assert!(pair.b.ns.is_promisc(&pair.b.ifname).unwrap());
}

#[test]
fn socketlevelonly_succeeds_and_changes_nothing() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let socket = pair.b.ns.run(|| {
        let socket = Socket::new(Family::V4).unwrap();
        socket.bind(pair.b.sock_v4(0)).unwrap();
        socket
    });
    // From OFF: still off, not promiscuous, nothing delivered.
    socket.set_rcvall(RcvAll::SocketLevelOnly).unwrap();
    assert_eq!(socket.rcvall(), RcvAll::Off);
    assert!(!pair.b.ns.is_promisc(&pair.b.ifname).unwrap());
    let datagram = udp_datagram(pair.a.sock_v4(1), pair.b.sock_v4(9), b"rcvt-slo");
    send_datagram(&pair.a.ns, &datagram, 2);
    assert!(collect(&socket, Duration::from_millis(200)).is_empty());
    // From ON: still on and promiscuous, still delivering.
    socket.set_rcvall(RcvAll::On).unwrap();
    socket.ioctl(SIO_RCVALL, &2u32.to_le_bytes()).unwrap();
    assert_eq!(socket.rcvall(), RcvAll::On);
    assert!(pair.b.ns.is_promisc(&pair.b.ifname).unwrap());
    send_datagram(&pair.a.ns, &datagram, 2);
    assert_eq!(
        with_marker(&collect(&socket, Duration::from_millis(300)), b"rcvt-slo").len(),
        2
    );
}

#[test]
fn rebind_while_on_fails_and_off_rebind_on_moves_to_the_new_interface() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let socket = capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::On);
    let second: SocketAddr = "198.18.9.1:0".parse().unwrap(); // b's address on rcvt1
    assert_eq!(code(socket.bind(second)), WsaCode::InvalidArgument);
    socket.set_rcvall(RcvAll::IpLevel).unwrap();
    assert_eq!(code(socket.bind(second)), WsaCode::InvalidArgument);
    socket.set_rcvall(RcvAll::Off).unwrap();
    socket.bind(second).unwrap();
    socket.set_rcvall(RcvAll::On).unwrap();
    assert_eq!(socket.interface().unwrap().name, "rcvt1");
    assert!(
        !pair.b.ns.is_promisc("rcvt0").unwrap(),
        "the first interface was released"
    );
    assert!(pair.b.ns.is_promisc("rcvt1").unwrap());
    send_datagram(
        &pair.a.ns,
        &udp_datagram(pair.a.sock_v4(1), pair.b.sock_v4(9), b"rcvt-first-if"),
        2,
    );
    send_datagram(
        &pair.other.ns,
        &udp_datagram("198.18.9.2:1".parse().unwrap(), second, b"rcvt-second-if"),
        2,
    );
    let got = collect(&socket, Duration::from_millis(300));
    assert!(with_marker(&got, b"rcvt-first-if").is_empty());
    assert_eq!(with_marker(&got, b"rcvt-second-if").len(), 2);
    let rcvt1 = pair.b.ns.ifindex("rcvt1").unwrap();
    assert!(got.iter().all(|p| p.info.ifindex == rcvt1));
}

#[test]
fn off_stops_delivery_discards_the_queue_and_clears_promisc() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let socket = capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::On);
    assert!(pair.b.ns.is_promisc(&pair.b.ifname).unwrap());
    let datagram = udp_datagram(pair.a.sock_v4(1), pair.b.sock_v4(9), b"rcvt-queued");
    send_datagram(&pair.a.ns, &datagram, 5);
    settle();
    socket.set_rcvall(RcvAll::Off).unwrap();
    assert_eq!(socket.rcvall(), RcvAll::Off);
    assert!(
        !pair.b.ns.is_promisc(&pair.b.ifname).unwrap(),
        "PROMISC cleared"
    );
    send_datagram(&pair.a.ns, &datagram, 5);
    socket
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    assert_eq!(
        code(socket.recv(&mut [0u8; 2048])),
        WsaCode::TimedOut,
        "queue dropped, nothing new"
    );
    // And ON again delivers only what is sent from then on.
    socket.set_rcvall(RcvAll::On).unwrap();
    send_datagram(&pair.a.ns, &datagram, 1);
    assert_eq!(
        with_marker(
            &collect(&socket, Duration::from_millis(300)),
            b"rcvt-queued"
        )
        .len(),
        1
    );
}

#[test]
fn short_buffer_gets_the_leading_bytes_and_wsaemsgsize_with_the_full_length() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let socket = capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::On);
    // A bound port, so b answers with no ICMP port-unreachable that would be captured too.
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let first = udp_datagram(pair.a.sock_v4(1), pair.b.sock_v4(9), &[0x5a; 300]);
    let second = udp_datagram(pair.a.sock_v4(2), pair.b.sock_v4(9), b"rcvt-second");
    send_datagram(&pair.a.ns, &first, 1);
    send_datagram(&pair.a.ns, &second, 1);
    settle();
    socket
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut small = [0u8; 20];
    let err = socket.recv(&mut small).unwrap_err();
    assert_eq!((err.kind(), err.wsa_code()), (WsaCode::MessageSize, 10040));
    assert_eq!(err.datagram_len(), Some(first.len()));
    assert_eq!(small[..], first[..20]);
    let mut big = [0u8; 2048];
    let len = socket.recv(&mut big).unwrap();
    assert_eq!(
        &big[..len],
        &second[..],
        "the rest of the first datagram was discarded"
    );
}

#[test]
fn nonblocking_and_read_timeout() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let socket = capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::IpLevel);
    socket.set_nonblocking(true).unwrap();
    assert_eq!(code(socket.recv(&mut [0u8; 64])), WsaCode::WouldBlock);
    socket.set_nonblocking(false).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let started = std::time::Instant::now();
    assert_eq!(code(socket.recv(&mut [0u8; 64])), WsaCode::TimedOut);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(100) && waited < Duration::from_secs(2),
        "{waited:?}"
    );
    assert_eq!(
        code(socket.set_read_timeout(Some(Duration::ZERO))),
        WsaCode::InvalidArgument
    );
}
