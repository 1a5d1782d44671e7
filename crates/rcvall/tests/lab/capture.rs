//! What a socket in ON or IPLEVEL receives, and what it never receives.

use crate::common::*;
use rcvall::{Family, PacketType, RcvAll, Socket};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use testkit::{Hub, Pair, Router};

const QUIET: Duration = Duration::from_millis(300);

fn families(host: &testkit::Host) -> [IpAddr; 2] {
    [IpAddr::V4(host.v4), IpAddr::V6(host.v6)]
}

fn addr_of(host: &testkit::Host, family: IpAddr, port: u16) -> SocketAddr {
    match family {
        IpAddr::V4(_) => host.sock_v4(port),
        IpAddr::V6(_) => host.sock_v6(port),
    }
}

#[test]
fn hub_on_receives_traffic_between_two_other_hosts_byte_for_byte() {
    testkit::require_root();
    let hub = Hub::new().unwrap();
    for fam in families(&hub.c) {
        let c = capture(&hub.c.ns, fam, RcvAll::On);
        assert!(
            hub.c.ns.is_promisc(&hub.c.ifname).unwrap(),
            "ON makes the NIC promiscuous"
        );
        let marker = format!("rcvt-hub-on-a2b-{fam}");
        let datagram = udp_datagram(
            addr_of(&hub.a, fam, 40001),
            addr_of(&hub.b, fam, 9),
            marker.as_bytes(),
        );
        send_datagram(&hub.a.ns, &datagram, 3);
        let got = collect(&c, QUIET);
        let a2b = with_marker(&got, marker.as_bytes());
        assert_eq!(a2b.len(), 3, "{fam}: all three A→B datagrams");
        for packet in a2b {
            assert_eq!(
                packet.bytes, datagram,
                "{fam}: delivered bytes are the datagram sent"
            );
            assert_eq!(packet.info.packet_type, PacketType::OtherHost);
            assert_eq!(packet.info.original_len as usize, datagram.len());
            assert_eq!(packet.info.ifindex, hub.c.ifindex().unwrap());
        }
    }
}

#[test]
fn hub_iplevel_skips_other_hosts_traffic_even_when_the_nic_is_promiscuous() {
    testkit::require_root();
    let hub = Hub::new().unwrap();
    for fam in families(&hub.c) {
        // Another socket holds the NIC promiscuous; IPLEVEL must still not see A→B.
        let promisc_holder = capture(&hub.c.ns, fam, RcvAll::On);
        let iplevel = capture(&hub.c.ns, fam, RcvAll::IpLevel);
        assert!(hub.c.ns.is_promisc(&hub.c.ifname).unwrap());
        let marker = format!("rcvt-hub-iplevel-{fam}");
        let datagram = udp_datagram(
            addr_of(&hub.a, fam, 40002),
            addr_of(&hub.b, fam, 9),
            marker.as_bytes(),
        );
        send_datagram(&hub.a.ns, &datagram, 3);
        let seen_by_on = collect(&promisc_holder, QUIET);
        let seen_by_iplevel = collect(&iplevel, QUIET);
        assert_eq!(
            with_marker(&seen_by_on, marker.as_bytes()).len(),
            3,
            "{fam}: ON sees A→B"
        );
        assert_eq!(
            with_marker(&seen_by_iplevel, marker.as_bytes()).len(),
            0,
            "{fam}: IPLEVEL never sees traffic for other hosts"
        );
        assert!(seen_by_iplevel
            .iter()
            .all(|p| p.info.packet_type != PacketType::OtherHost));
        drop(promisc_holder);
        assert!(
            !hub.c.ns.is_promisc(&hub.c.ifname).unwrap(),
            "IPLEVEL alone is not promiscuous"
        );
    }
}

#[test]
fn own_inbound_and_outbound_packets_arrive_in_both_modes() {
    testkit::require_root();
    let hub = Hub::new().unwrap();
    for mode in [RcvAll::On, RcvAll::IpLevel] {
        for fam in families(&hub.c) {
            let c = capture(&hub.c.ns, fam, mode);
            let marker_in = format!("rcvt-in-{mode:?}-{fam}");
            let marker_out = format!("rcvt-out-{mode:?}-{fam}");
            let inbound = udp_datagram(
                addr_of(&hub.a, fam, 40003),
                addr_of(&hub.c, fam, 9),
                marker_in.as_bytes(),
            );
            let outbound = udp_datagram(
                addr_of(&hub.c, fam, 40004),
                addr_of(&hub.a, fam, 9),
                marker_out.as_bytes(),
            );
            send_datagram(&hub.a.ns, &inbound, 2);
            send_datagram(&hub.c.ns, &outbound, 2);
            let got = collect(&c, QUIET);
            let ins = with_marker(&got, marker_in.as_bytes());
            let outs = with_marker(&got, marker_out.as_bytes());
            assert_eq!((ins.len(), outs.len()), (2, 2), "{mode:?} {fam}");
            assert!(ins
                .iter()
                .all(|p| p.info.packet_type == PacketType::Host && p.bytes == inbound));
            assert!(outs
                .iter()
                .all(|p| p.info.packet_type == PacketType::Outgoing && p.bytes == outbound));
        }
    }
}

#[test]
fn tcp_and_icmp_are_delivered_too() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let b = capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::On);
    testkit::tcp_exchange(
        &pair.a.ns,
        &pair.b.ns,
        pair.b.sock_v4(8080),
        b"rcvt-tcp-payload",
    )
    .unwrap();
    testkit::ping(&pair.a.ns, IpAddr::V4(pair.b.v4), 2).unwrap();
    let got = collect(&b, QUIET);
    let tcp = got.iter().filter(|p| p.bytes[9] == 6).count();
    let icmp = got.iter().filter(|p| p.bytes[9] == 1).count();
    // Handshake (3), data (1+ack), two FIN/ACK exchanges: at least 7 segments each way in total.
    assert!(tcp >= 7, "TCP segments captured: {tcp}");
    let marker = b"rcvt-tcp-payload";
    let with_payload = got
        .iter()
        .filter(|p| p.bytes[9] == 6 && p.bytes.windows(marker.len()).any(|w| w == marker))
        .count();
    assert_eq!(
        with_payload, 1,
        "the data segment, once (offloads are off on lab veths)"
    );
    assert_eq!(icmp, 4, "two echo requests in, two replies out");
}

#[test]
fn arp_and_other_non_ip_frames_are_never_delivered() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let v4 = capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::On);
    let v6 = capture(&pair.b.ns, IpAddr::V6(pair.b.v6), RcvAll::On);
    let b_mac = pair.b.mac;
    // ARP requests (real ones, from the kernel) in both directions, and frames of other types.
    testkit::arp_probe(&pair.a.ns, "198.18.1.77".parse().unwrap()).unwrap();
    testkit::arp_probe(&pair.b.ns, "198.18.1.78".parse().unwrap()).unwrap();
    testkit::send_ethernet(
        &pair.a.ns,
        &pair.a.ifname,
        b_mac,
        0x88b5,
        b"rcvt-local-experimental",
        5,
    )
    .unwrap();
    testkit::send_ethernet(&pair.a.ns, &pair.a.ifname, [0xff; 6], 0x0806, &[0u8; 28], 3).unwrap();
    // One real datagram of each family so the test proves the sockets were live.
    send_datagram(
        &pair.a.ns,
        &udp_datagram(pair.a.sock_v4(1), pair.b.sock_v4(9), b"rcvt-live-v4"),
        1,
    );
    send_datagram(
        &pair.a.ns,
        &udp_datagram(pair.a.sock_v6(1), pair.b.sock_v6(9), b"rcvt-live-v6"),
        1,
    );
    let got4 = collect(&v4, QUIET);
    let got6 = collect(&v6, QUIET);
    assert_eq!(with_marker(&got4, b"rcvt-live-v4").len(), 1);
    assert_eq!(with_marker(&got6, b"rcvt-live-v6").len(), 1);
    assert!(
        got4.iter().all(|p| p.version() == 4),
        "V4 socket got non-IPv4: {got4:?}"
    );
    assert!(
        got6.iter().all(|p| p.version() == 6),
        "V6 socket got non-IPv6: {got6:?}"
    );
    // The experimental frames are not IP, so look for their payload in the raw bytes of
    // everything delivered (a UDP-only match could never find them).
    let marker = b"rcvt-local-experimental";
    for (family, got) in [("V4", &got4), ("V6", &got6)] {
        let leaked = got
            .iter()
            .filter(|p| p.bytes.windows(marker.len()).any(|w| w == marker))
            .count();
        assert_eq!(
            leaked, 0,
            "{family}: an ethertype 0x88b5 frame was delivered"
        );
    }
}

#[test]
fn packets_of_other_interfaces_never_arrive_even_during_a_flood_at_setup() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let other_ifindex = pair.b.ns.ifindex("rcvt1").unwrap();
    let own_ifindex = pair.b.ifindex().unwrap();
    let _sink = testkit::udp_sink(&pair.b.ns, "198.18.9.1:9".parse().unwrap()).unwrap();
    // Flood b's other interface while sockets are created, bound and switched on, 20 times.
    let flood = testkit::flood_udp(
        &pair.other.ns,
        "198.18.9.1:9".parse().unwrap(),
        2_000_000,
        Duration::from_secs(20),
    )
    .unwrap();
    for round in 0..20 {
        let socket = capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::On);
        let marker = format!("rcvt-own-{round}");
        send_datagram(
            &pair.a.ns,
            &udp_datagram(pair.a.sock_v4(1), pair.b.sock_v4(9), marker.as_bytes()),
            1,
        );
        let got = collect(&socket, Duration::from_millis(100));
        assert_eq!(
            with_marker(&got, marker.as_bytes()).len(),
            1,
            "round {round}"
        );
        for packet in &got {
            assert_eq!(
                packet.info.ifindex, own_ifindex,
                "round {round}: foreign interface"
            );
            assert_ne!(packet.info.ifindex, other_ifindex);
            assert_ne!(
                packet.bytes[12..15],
                [198, 18, 9],
                "round {round}: flood packet"
            );
        }
    }
    let flooded = flood.stop();
    assert!(flooded > 1000, "the flood ran ({flooded} packets)");
}

#[test]
fn router_delivers_packets_forwarded_out_of_the_bound_interface_only() {
    testkit::require_root();
    let lab = Router::new().unwrap();
    for fam in families(&lab.a) {
        let r_link1 = match fam {
            IpAddr::V4(_) => IpAddr::V4(lab.r_addr_v4(1)),
            IpAddr::V6(_) => IpAddr::V6(lab.r_addr_v6(1)),
        };
        let socket = capture(&lab.r, r_link1, RcvAll::On);
        let to_a = format!("rcvt-b-to-a-{fam}");
        let b_to_c = format!("rcvt-b-to-c-{fam}");
        let datagram_to_a = udp_datagram(
            addr_of(&lab.b, fam, 40005),
            addr_of(&lab.a, fam, 9),
            to_a.as_bytes(),
        );
        send_datagram(&lab.b.ns, &datagram_to_a, 2);
        send_datagram(
            &lab.b.ns,
            &udp_datagram(
                addr_of(&lab.b, fam, 40006),
                addr_of(&lab.c, fam, 9),
                b_to_c.as_bytes(),
            ),
            2,
        );
        let got = collect(&socket, QUIET);
        let forwarded = with_marker(&got, to_a.as_bytes());
        assert_eq!(forwarded.len(), 2, "{fam}: forwarded out of link 1");
        for packet in forwarded {
            assert_eq!(packet.info.packet_type, PacketType::Outgoing);
            // Forwarding decremented the hop limit; everything else is as sent.
            let ttl_at = if packet.version() == 4 { 8 } else { 7 };
            assert_eq!(packet.bytes[ttl_at], datagram_to_a[ttl_at] - 1);
        }
        assert!(
            with_marker(&got, b_to_c.as_bytes()).is_empty(),
            "{fam}: B→C never passes link 1"
        );
    }
}

#[test]
fn loopback_delivers_each_packet_once() {
    testkit::require_root();
    let ns = testkit::Netns::new("lo").unwrap();
    for (local, family) in [("127.0.0.1", Family::V4), ("::1", Family::V6)] {
        let ip: IpAddr = local.parse().unwrap();
        let socket = ns.run(|| {
            let socket = Socket::new(family).unwrap();
            socket.bind(SocketAddr::new(ip, 0)).unwrap();
            socket.set_rcvall(RcvAll::On).unwrap();
            socket
        });
        assert!(socket.interface().unwrap().is_loopback);
        let _sink = testkit::udp_sink(&ns, SocketAddr::new(ip, 9)).unwrap();
        let marker = format!("rcvt-loopback-{local}");
        testkit::send_udp(&ns, SocketAddr::new(ip, 9), marker.as_bytes(), 5).unwrap();
        let got = collect(&socket, QUIET);
        assert_eq!(
            with_marker(&got, marker.as_bytes()).len(),
            5,
            "{local}: once each"
        );
    }
}
