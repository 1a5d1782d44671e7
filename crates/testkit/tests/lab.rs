//! testkit's own checks: every topology builds and carries traffic, the helpers do what they
//! promise, and everything is gone afterwards, also after a panic. Needs root.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::Command;
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use testkit::{
    arp_resolve, delete_link, flood_udp, ping, require_root, send_ethernet, send_udp,
    send_udp_from, tcp_exchange, udp_sink, Host, Hub, Netns, Pair, Router,
};

/// Names in `ip netns list` (first word of each line).
fn netns_list() -> HashSet<String> {
    let out = Command::new("ip").args(["netns", "list"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

/// Receives one datagram on `sock`, at most 2 s.
fn recv(sock: &UdpSocket) -> (Vec<u8>, SocketAddr) {
    sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut buf = vec![0u8; 2048];
    let (n, from) = sock.recv_from(&mut buf).expect("datagram did not arrive");
    buf.truncate(n);
    (buf, from)
}

/// UDP from `from` to a plain std socket created inside `to` (v4 and v6), checking the
/// source address seen by the receiver.
fn udp_across(from: &Host, to: &Host) {
    for (src, dst) in [
        (IpAddr::V4(from.v4), IpAddr::V4(to.v4)),
        (IpAddr::V6(from.v6), IpAddr::V6(to.v6)),
    ] {
        let sock = to
            .ns
            .run(|| UdpSocket::bind(SocketAddr::new(dst, 0)))
            .unwrap();
        let target = sock.local_addr().unwrap();
        send_udp(&from.ns, target, b"hello", 1).unwrap();
        let (data, peer) = recv(&sock);
        assert_eq!(data, b"hello");
        assert_eq!(peer.ip(), src, "source address as seen in {}", to.ns.name());
    }
}

/// Sum of `FILE` (e.g. `tx_packets`) over all `rcvt*` interfaces of `ns`.
fn counter(ns: &Netns, file: &str) -> u64 {
    let script = format!("cat /sys/class/net/rcvt*/statistics/{file}");
    let out = ns.exec(&["sh", "-c", &script]).unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(|v| v.parse::<u64>().unwrap())
        .sum()
}

#[test]
fn netns_basics() {
    require_root();
    let ns = Netns::new("basic").unwrap();
    assert!(ns
        .name()
        .starts_with(&format!("rcvtbasic-{}-", std::process::id())));
    assert!(netns_list().contains(ns.name()));
    assert_eq!(ns.ifindex("lo").unwrap(), 1);
    assert_ne!(ns.if_flags("lo").unwrap() & 0x1, 0, "lo is up");
    assert!(!ns.is_promisc("lo").unwrap());
    // The base sysctls went to this namespace (checked through a separate process).
    let dad = ns
        .exec(&["cat", "/proc/sys/net/ipv6/conf/default/accept_dad"])
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&dad.stdout).trim(), "0");
    ns.sysctl("net.ipv4.ip_forward", "1").unwrap();
    let fwd = ns.exec(&["cat", "/proc/sys/net/ipv4/ip_forward"]).unwrap();
    assert_eq!(String::from_utf8_lossy(&fwd.stdout).trim(), "1");
    assert_eq!(ns.sysctl_get("net.ipv4.ip_forward").unwrap(), "1");
    assert_eq!(
        ns.sysctl_get("net.ipv6.conf.default.router_solicitations")
            .unwrap(),
        "0"
    );
    // A failing command names itself and quotes stderr.
    let err = ns
        .exec(&["ls", "/nonexistent-testkit"])
        .unwrap_err()
        .to_string();
    assert!(err.contains("ls /nonexistent-testkit"), "{err}");
    assert!(err.contains("No such file"), "{err}");
    assert!(ns.ifindex("rcvtnope").is_err());
}

#[test]
fn hub_builds_pings_and_floods() {
    require_root();
    let hub = Hub::new().unwrap();
    for h in [&hub.a, &hub.b, &hub.c] {
        assert_eq!(h.ifname, "rcvt0");
        assert_eq!(h.ns.mac("rcvt0").unwrap(), h.mac);
        assert_eq!(h.ifindex().unwrap(), testkit::topo::ifindex_for(h.mac));
        assert_eq!(h.ifindex().unwrap(), 256 + u32::from(h.mac[5]));
        assert!(!h.ns.is_promisc("rcvt0").unwrap());
    }
    assert_eq!(hub.b.v4.to_string(), "198.18.1.2");
    assert_eq!(hub.c.v6.to_string(), "2001:db8:1::3");
    ping(&hub.a.ns, IpAddr::V4(hub.b.v4), 3).unwrap();
    ping(&hub.b.ns, IpAddr::V6(hub.c.v6), 3).unwrap();
    udp_across(&hub.a, &hub.b);
    udp_across(&hub.c, &hub.a);
    // Hub property: unicast a→b also reaches c.
    let before = counter(&hub.c.ns, "rx_packets");
    let sink = udp_sink(&hub.b.ns, hub.b.sock_v4(7000)).unwrap();
    send_udp(&hub.a.ns, hub.b.sock_v4(7000), b"flooded", 5).unwrap();
    assert_eq!(sink.count(5, Duration::from_secs(2)).unwrap(), 5);
    assert_eq!(
        counter(&hub.c.ns, "rx_packets") - before,
        5,
        "c sees a→b unicast"
    );
}

#[test]
fn pair_builds_and_isolates() {
    require_root();
    let p = Pair::new().unwrap();
    assert_eq!(
        (
            p.a.ifname.as_str(),
            p.b.ifname.as_str(),
            p.other.ifname.as_str()
        ),
        ("rcvt0", "rcvt0", "rcvt0")
    );
    ping(&p.a.ns, IpAddr::V4(p.b.v4), 2).unwrap();
    ping(&p.a.ns, IpAddr::V6(p.b.v6), 2).unwrap();
    ping(&p.other.ns, IpAddr::V4(Pair::B_OTHER_V4), 2).unwrap();
    udp_across(&p.a, &p.b);
    // other → b arrives on b's rcvt1, not on rcvt0.
    let rx0 =
        p.b.ns
            .exec(&["cat", "/sys/class/net/rcvt0/statistics/rx_packets"])
            .unwrap()
            .stdout;
    let sock =
        p.b.ns
            .run(|| UdpSocket::bind((Pair::B_OTHER_V4, 0)))
            .unwrap();
    send_udp(&p.other.ns, sock.local_addr().unwrap(), b"side", 1).unwrap();
    assert_eq!(recv(&sock).0, b"side");
    let rx0_after =
        p.b.ns
            .exec(&["cat", "/sys/class/net/rcvt0/statistics/rx_packets"])
            .unwrap()
            .stdout;
    assert_eq!(rx0, rx0_after);
    assert_eq!(p.b.ns.mac("rcvt1").unwrap(), Pair::B_OTHER_MAC);
}

#[test]
fn router_forwards() {
    require_root();
    let rt = Router::new().unwrap();
    assert_eq!(rt.r_addr_v4(2).to_string(), "198.18.2.254");
    assert_eq!(rt.r_addr_v6(3).to_string(), "2001:db8:3::fe");
    assert_eq!(rt.b.v4.to_string(), "198.18.2.1");
    udp_across(&rt.a, &rt.b);
    udp_across(&rt.b, &rt.c);
    ping(&rt.a.ns, IpAddr::V4(rt.c.v4), 3).unwrap();
    ping(&rt.c.ns, IpAddr::V6(rt.a.v6), 3).unwrap();
    ping(&rt.a.ns, IpAddr::V4(rt.r_addr_v4(1)), 1).unwrap();
    // The router really is in the path: its link-2 interface transmitted our datagram.
    let tx = |rt: &Router| {
        let o =
            rt.r.exec(&["cat", "/sys/class/net/rcvt2/statistics/tx_packets"])
                .unwrap();
        String::from_utf8_lossy(&o.stdout)
            .trim()
            .parse::<u64>()
            .unwrap()
    };
    let before = tx(&rt);
    let sink = udp_sink(&rt.b.ns, rt.b.sock_v6(9999)).unwrap();
    send_udp(&rt.a.ns, rt.b.sock_v6(9999), b"via r", 4).unwrap();
    assert_eq!(sink.count(4, Duration::from_secs(2)).unwrap(), 4);
    assert_eq!(tx(&rt) - before, 4);
}

#[test]
fn topologies_are_quiet_after_construction() {
    require_root();
    let tx = |nss: &[&Netns]| {
        nss.iter()
            .map(|ns| counter(ns, "tx_packets"))
            .collect::<Vec<_>>()
    };
    // Snapshot each topology the moment its constructor returns: any late link-up chatter
    // (MLD reports, router solicitations, DAD, ARP) would show up as a changed tx counter.
    let hub = Hub::new().unwrap();
    let hub_ns = [&hub.a.ns, &hub.b.ns, &hub.c.ns, &hub.switch];
    let hub0 = tx(&hub_ns);
    let pair = Pair::new().unwrap();
    let pair_ns = [&pair.a.ns, &pair.b.ns, &pair.other.ns];
    let pair0 = tx(&pair_ns);
    let rt = Router::new().unwrap();
    let rt_ns = [&rt.r, &rt.a.ns, &rt.b.ns, &rt.c.ns];
    let rt0 = tx(&rt_ns);
    thread::sleep(Duration::from_millis(2500));
    assert_eq!(hub0, tx(&hub_ns), "hub idle");
    assert_eq!(pair0, tx(&pair_ns), "pair idle");
    assert_eq!(rt0, tx(&rt_ns), "router idle");
}

#[test]
fn drop_removes_namespaces_and_links() {
    require_root();
    let p = Pair::new().unwrap();
    let names: Vec<String> = [&p.a.ns, &p.b.ns, &p.other.ns]
        .iter()
        .map(|n| n.name().to_owned())
        .collect();
    let list = netns_list();
    assert!(names.iter().all(|n| list.contains(n)));
    // A veth end keeps its peer only while both namespaces exist: deleting b's namespace
    // must take a's rcvt0 with it even while a lives on.
    let Pair { a, b, other } = p;
    drop(b);
    let deadline = Instant::now() + Duration::from_secs(3);
    while a.ns.ifindex("rcvt0").is_ok() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
    assert!(
        a.ns.ifindex("rcvt0").is_err(),
        "a's veth went with b's namespace"
    );
    assert!(
        other.ns.ifindex("rcvt0").is_err(),
        "other's veth went with b's namespace"
    );
    drop(a);
    drop(other);
    let list = netns_list();
    for n in &names {
        assert!(!list.contains(n), "{n} still listed");
    }
}

#[test]
fn panicking_test_still_cleans_up() {
    require_root();
    let names = Mutex::new(Vec::new());
    let r = catch_unwind(AssertUnwindSafe(|| {
        let hub = Hub::new().unwrap();
        for ns in [&hub.a.ns, &hub.b.ns, &hub.c.ns, &hub.switch] {
            names.lock().unwrap().push(ns.name().to_owned());
        }
        panic!("deliberate panic with a live Hub");
    }));
    assert!(r.is_err());
    let names = names.into_inner().unwrap();
    assert_eq!(names.len(), 4);
    let list = netns_list();
    for n in &names {
        assert!(!list.contains(n), "{n} survived the panic");
    }
}

#[test]
fn spawned_processes_end_with_their_namespace() {
    require_root();
    let ns = Netns::new("spawn").unwrap();
    let bg = ns.spawn(&["sleep", "30"]).unwrap();
    assert!(bg.is_running());
    let pid = bg.pid();
    let t = Instant::now();
    drop(ns);
    assert!(t.elapsed() < Duration::from_secs(5));
    assert!(!bg.is_running());
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    assert!(bg.stop().is_err(), "already ended");
    // A stopped process hands back its output.
    let ns = Netns::new("spawn").unwrap();
    let bg = ns
        .spawn(&["sh", "-c", "echo ready; exec sleep 30"])
        .unwrap();
    assert!(bg.wait_for_output("ready", Duration::from_secs(5)));
    let out = bg.stop().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ready");
}

#[test]
fn traffic_helpers() {
    require_root();
    let p = Pair::new().unwrap();
    let sink = udp_sink(&p.b.ns, p.b.sock_v4(5000)).unwrap();
    send_udp(&p.a.ns, p.b.sock_v4(5000), b"x", 10).unwrap();
    assert_eq!(sink.count(100, Duration::from_millis(500)).unwrap(), 10);
    send_udp_from(&p.a.ns, p.a.sock_v4(40000), p.b.sock_v4(5000), b"from", 1).unwrap();
    let (data, from) = sink.recv_timeout(Duration::from_secs(2)).unwrap().unwrap();
    assert_eq!((data.as_slice(), from), (&b"from"[..], p.a.sock_v4(40000)));

    let big: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
    tcp_exchange(&p.a.ns, &p.b.ns, p.b.sock_v4(0), &big).unwrap();
    tcp_exchange(&p.b.ns, &p.a.ns, p.a.sock_v6(8080), b"v6 too").unwrap();

    // Bounded by packets: exactly max_packets sent. The receiver may drop some when its
    // socket buffer fills, so it only gets an upper bound.
    let v6sink = udp_sink(&p.b.ns, p.b.sock_v6(5001)).unwrap();
    let f = flood_udp(&p.a.ns, p.b.sock_v6(5001), 500, Duration::from_secs(5)).unwrap();
    let t = Instant::now();
    while !f.is_finished() && t.elapsed() < Duration::from_secs(6) {
        thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(f.stop(), 500);
    let got = v6sink.count(1000, Duration::from_millis(500)).unwrap();
    assert!(got > 0 && got <= 500, "{got}");
    // Bounded by stop().
    let f = flood_udp(
        &p.a.ns,
        p.b.sock_v4(5000),
        u64::MAX,
        Duration::from_secs(30),
    )
    .unwrap();
    thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    let sent = f.stop();
    assert!(sent > 0 && t.elapsed() < Duration::from_secs(1));
    // Bounded by time.
    let t = Instant::now();
    let f = flood_udp(
        &p.a.ns,
        p.b.sock_v4(5000),
        u64::MAX,
        Duration::from_millis(200),
    )
    .unwrap();
    while !f.is_finished() && t.elapsed() < Duration::from_secs(3) {
        thread::sleep(Duration::from_millis(5));
    }
    assert!(f.is_finished());
    drop(f);
    // A failing ping is an error, not a hang.
    let t = Instant::now();
    assert!(ping(&p.a.ns, "198.18.1.99".parse().unwrap(), 1).is_err());
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[test]
fn send_ethernet_is_seen_by_tcpdump() {
    require_root();
    let p = Pair::new().unwrap();
    let dump =
        p.b.ns
            .spawn(&[
                "tcpdump", "-i", "rcvt0", "-n", "-e", "-l", "-c", "3", "ether", "proto", "0x88b5",
            ])
            .unwrap();
    // tcpdump needs a moment before its filter is attached; counters tell us when frames
    // went out regardless.
    thread::sleep(Duration::from_millis(700));
    let before = counter(&p.b.ns, "rx_packets");
    send_ethernet(&p.a.ns, "rcvt0", p.b.mac, 0x88b5, &[0xab; 50], 3).unwrap();
    assert_eq!(counter(&p.b.ns, "rx_packets") - before, 3);
    let out = dump.wait(Duration::from_secs(5)).unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    // tcpdump adds a hex dump for unknown ethertypes; count the header lines.
    assert_eq!(
        text.lines()
            .filter(|l| l.contains("ethertype Unknown (0x88b5), length 64"))
            .count(),
        3,
        "{text}"
    );
    assert!(
        text.contains("02:00:00:00:01:01 > 02:00:00:00:01:02"),
        "{text}"
    );
    assert!(
        !p.b.ns.is_promisc("rcvt0").unwrap(),
        "tcpdump's promisc mode ended with it"
    );
}

#[test]
fn arp_probe_emits_and_restores() {
    require_root();
    let hub = Hub::new().unwrap();
    let before = counter(&hub.c.ns, "rx_packets");
    let mac = arp_resolve(&hub.a.ns, hub.b.v4).unwrap();
    assert_eq!(mac, Some(hub.b.mac));
    // c (hub) saw the broadcast request, the reply, the datagram and b's ICMP answer.
    assert!(counter(&hub.c.ns, "rx_packets") - before >= 2);
    let n = hub
        .a
        .ns
        .ip(&["neigh", "show", "to", &hub.b.v4.to_string()])
        .unwrap();
    assert!(String::from_utf8_lossy(&n.stdout).contains("PERMANENT"));
    // Nobody there: one request, no answer, no entry left behind.
    let t = Instant::now();
    assert_eq!(
        arp_resolve(&hub.a.ns, "198.18.1.77".parse().unwrap()).unwrap(),
        None
    );
    assert!(t.elapsed() < Duration::from_secs(2));
    let n = hub
        .a
        .ns
        .ip(&["neigh", "show", "to", "198.18.1.77"])
        .unwrap();
    assert!(
        n.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&n.stdout)
    );
    // Off-link targets are refused.
    let rt = Router::new().unwrap();
    assert!(arp_resolve(&rt.a.ns, rt.b.v4).is_err());
}

#[test]
fn delete_link_and_promisc_flags() {
    require_root();
    let p = Pair::new().unwrap();
    assert!(p.other.ns.ifindex("rcvt0").is_ok());
    delete_link(&p.b.ns, "rcvt1").unwrap();
    assert!(p.other.ns.ifindex("rcvt0").is_err(), "peer went too");
    assert!(!p.a.ns.is_promisc("rcvt0").unwrap());
    p.a.ns
        .ip(&["link", "set", "rcvt0", "promisc", "on"])
        .unwrap();
    assert!(p.a.ns.is_promisc("rcvt0").unwrap());
    p.a.ns
        .ip(&["link", "set", "rcvt0", "promisc", "off"])
        .unwrap();
    assert!(!p.a.ns.is_promisc("rcvt0").unwrap());
}

#[test]
fn run_propagates_panics_and_keeps_sockets_in_namespace() {
    require_root();
    let p = Pair::new().unwrap();
    let r = catch_unwind(AssertUnwindSafe(|| p.a.ns.run(|| panic!("inside"))));
    assert!(r.is_err());
    // Binding b's address only works inside b.
    assert!(p.a.ns.run(|| UdpSocket::bind(p.b.sock_v4(0))).is_err());
    let s = p.b.ns.run(|| UdpSocket::bind(p.b.sock_v4(0))).unwrap();
    // Used from this (root-namespace) thread, it still lives in b.
    send_udp(&p.a.ns, s.local_addr().unwrap(), b"still b", 1).unwrap();
    assert_eq!(recv(&s).0, b"still b");
}

#[test]
fn sweep_stale_removes_dead_owners_only() {
    require_root();
    // A namespace "created" by a process that has exited.
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let stale = format!("rcvtstale-{dead}-0");
    /// Removes the fake stale namespace even if the assertions below fail.
    struct Cleanup(String);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = Command::new("ip").args(["netns", "del", &self.0]).output();
        }
    }
    let _cleanup = Cleanup(stale.clone());
    let out = Command::new("ip")
        .args(["netns", "add", &stale])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let live = Netns::new("live").unwrap();
    testkit::sweep_stale();
    let list = netns_list();
    assert!(
        !list.contains(&stale),
        "stale namespace of dead pid {dead} removed"
    );
    assert!(list.contains(live.name()), "our own namespace kept");
}
