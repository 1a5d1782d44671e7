//! Ready-made lab topologies: [`Hub`], [`Pair`] and [`Router`].
//!
//! MAC addresses are fixed so tests can predict frames: `02:00:00:00:LL:HH` where `LL` is the
//! third octet of the link's IPv4 subnet (198.18.LL.0/24) and `HH` the host's last octet
//! (`fe` for the router). Switch-side ports use `02:00:00:00:f1:0N`, the bridge
//! `02:00:00:00:f0:00`; they never send anything themselves.

mod build;

use std::fmt::Write as _;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::thread;
use std::time::Duration;

use crate::cmd;
use crate::netns::Netns;

use build::{
    addrs, host_up, iface_up, mac, neighbours, new_host, offloads_off, verify_both, verify_udp,
    veth, wait_ready, HostAddrs,
};
pub use build::{ifindex_for, link_local};

/// Pause after every link is fully up: the link-up MLD reports (10 ms report interval,
/// robustness 2, see `BASE_SYSCTLS` in netns.rs) are over well within it, so tests start on
/// a silent wire.
const SETTLE: Duration = Duration::from_millis(100);

/// One lab host: a namespace with one interface of interest and its addresses.
#[derive(Debug)]
pub struct Host {
    /// The host's namespace.
    pub ns: Netns,
    /// The host's lab interface inside `ns` (always `rcvt0` in the ready-made topologies).
    pub ifname: String,
    /// IPv4 address on `ifname` (prefix /24).
    pub v4: Ipv4Addr,
    /// IPv6 address on `ifname` (prefix /64).
    pub v6: Ipv6Addr,
    /// MAC address of `ifname`.
    pub mac: [u8; 6],
}

impl Host {
    /// The EUI-64 link-local address the kernel gives `ifname` (derived from `mac`).
    pub fn link_local(&self) -> Ipv6Addr {
        link_local(self.mac)
    }

    /// `v4:port` as a socket address.
    pub fn sock_v4(&self, port: u16) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(self.v4), port)
    }

    /// `[v6]:port` as a socket address.
    pub fn sock_v6(&self, port: u16) -> SocketAddr {
        SocketAddr::new(IpAddr::V6(self.v6), port)
    }

    /// The interface index of `ifname` inside `ns`.
    pub fn ifindex(&self) -> io::Result<u32> {
        self.ns.ifindex(&self.ifname)
    }
}

/// Three hosts a, b, c on one bridge with `ageing_time 0` and learning off (a hub: every
/// frame is flooded to every port), the bridge in its own namespace with IPv6 disabled so it
/// never sends anything itself. Addresses: a = 198.18.1.1/24, 2001:db8:1::1/64; b = .2 / ::2;
/// c = .3 / ::3. Interface name in each host: `rcvt0`.
#[derive(Debug)]
pub struct Hub {
    /// Host a (198.18.1.1, 2001:db8:1::1, MAC 02:00:00:00:01:01).
    pub a: Host,
    /// Host b (198.18.1.2, 2001:db8:1::2, MAC 02:00:00:00:01:02).
    pub b: Host,
    /// Host c (198.18.1.3, 2001:db8:1::3, MAC 02:00:00:00:01:03).
    pub c: Host,
    /// The switch namespace: bridge `rcvtbr`, ports `rcvta`, `rcvtb`, `rcvtc`.
    pub switch: Netns,
}

impl Hub {
    /// Builds the hub; returns once v4 and v6 UDP pass a→b, b→c and c→a.
    pub fn new() -> io::Result<Hub> {
        let switch = Netns::new("hubsw")?;
        switch.sysctls(&[
            ("net.ipv6.conf.all.disable_ipv6", "1"),
            ("net.ipv6.conf.default.disable_ipv6", "1"),
        ])?;
        let hosts = [
            new_host("huba", 1, 1)?,
            new_host("hubb", 1, 2)?,
            new_host("hubc", 1, 3)?,
        ];
        let ports = ["rcvta", "rcvtb", "rcvtc"];
        cmd::ip_batch(
            switch.name(),
            "link add rcvtbr address 02:00:00:00:f0:00 type bridge ageing_time 0 stp_state 0 mcast_snooping 0\n",
        )?;
        let mut sw_script = String::new();
        for (n, (h, port)) in (1u8..).zip(hosts.iter().zip(ports)) {
            veth(&h.ns, &h.ifname, h.mac, &switch, port, mac(0xf1, n))?;
            // Learning off as well as ageing 0: no FDB entry can ever make the bridge stop
            // flooding unicast frames to all ports.
            let _ = writeln!(
                sw_script,
                "link set {port} master rcvtbr\nlink set {port} type bridge_slave learning off\nlink set {port} up"
            );
        }
        sw_script.push_str("link set rcvtbr up\n");
        offloads_off(&switch, &ports)?;
        cmd::ip_batch(switch.name(), &sw_script)?;
        for h in &hosts {
            host_up(h)?;
        }
        for h in &hosts {
            let peers: Vec<&Host> = hosts.iter().filter(|p| p.mac != h.mac).collect();
            neighbours(
                &h.ns,
                &h.ifname,
                &peers.iter().map(|p| addrs(p)).collect::<Vec<_>>(),
            )?;
        }
        wait_ready(&switch, &["rcvtbr", "rcvta", "rcvtb", "rcvtc"], false)?;
        for h in &hosts {
            wait_ready(&h.ns, &[&h.ifname], true)?;
        }
        let [a, b, c] = hosts;
        for (from, to) in [(&a, &b), (&b, &c), (&c, &a)] {
            verify_both(&from.ns, to)?;
        }
        thread::sleep(SETTLE);
        Ok(Hub { a, b, c, switch })
    }
}

/// Two hosts on one veth pair plus a third namespace behind b:
/// a.rcvt0 198.18.1.1/24 + 2001:db8:1::1/64 <-> b.rcvt0 198.18.1.2 + 2001:db8:1::2;
/// b.rcvt1 198.18.9.1/24 + 2001:db8:9::1/64 <-> other.rcvt0 198.18.9.2 + 2001:db8:9::2.
/// b does not forward; `other` exists so tests can send to b over a second interface.
#[derive(Debug)]
pub struct Pair {
    /// Host a (iface `rcvt0`, 198.18.1.1, 2001:db8:1::1, MAC 02:00:00:00:01:01).
    pub a: Host,
    /// Host b as seen from a (iface `rcvt0`, 198.18.1.2, 2001:db8:1::2, MAC 02:00:00:00:01:02);
    /// its second interface is [`Pair::B_OTHER_IF`].
    pub b: Host,
    /// The third namespace (iface `rcvt0`, 198.18.9.2, 2001:db8:9::2, MAC 02:00:00:00:09:02),
    /// whose peer in b is `rcvt1`.
    pub other: Host,
}

impl Pair {
    /// b's interface towards `other`.
    pub const B_OTHER_IF: &'static str = "rcvt1";
    /// b's IPv4 address on `rcvt1`.
    pub const B_OTHER_V4: Ipv4Addr = Ipv4Addr::new(198, 18, 9, 1);
    /// b's IPv6 address on `rcvt1`.
    pub const B_OTHER_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 9, 0, 0, 0, 0, 1);
    /// MAC of b's `rcvt1`.
    pub const B_OTHER_MAC: [u8; 6] = [2, 0, 0, 0, 9, 1];

    /// Builds the pair; returns once v4 and v6 UDP pass a→b and other→b (on `rcvt1`).
    pub fn new() -> io::Result<Pair> {
        let a = new_host("paira", 1, 1)?;
        let b = new_host("pairb", 1, 2)?;
        let other = new_host("pairo", 9, 2)?;
        // b's second leg, described as a Host-like address set for the helpers below.
        let b_other = HostAddrs {
            v4: Self::B_OTHER_V4,
            v6: Self::B_OTHER_V6,
            mac: Self::B_OTHER_MAC,
        };
        veth(&a.ns, &a.ifname, a.mac, &b.ns, &b.ifname, b.mac)?;
        veth(
            &b.ns,
            Self::B_OTHER_IF,
            b_other.mac,
            &other.ns,
            &other.ifname,
            other.mac,
        )?;
        host_up(&a)?;
        host_up(&b)?;
        host_up(&other)?;
        iface_up(&b.ns, Self::B_OTHER_IF, &b_other)?;
        neighbours(&a.ns, &a.ifname, &[addrs(&b)])?;
        neighbours(&b.ns, &b.ifname, &[addrs(&a)])?;
        neighbours(&b.ns, Self::B_OTHER_IF, &[addrs(&other)])?;
        neighbours(&other.ns, &other.ifname, &[b_other])?;
        wait_ready(&a.ns, &[&a.ifname], true)?;
        wait_ready(&b.ns, &[&b.ifname, Self::B_OTHER_IF], true)?;
        wait_ready(&other.ns, &[&other.ifname], true)?;
        verify_both(&a.ns, &b)?;
        verify_udp(&other.ns, &b.ns, IpAddr::V4(Self::B_OTHER_V4))?;
        verify_udp(&other.ns, &b.ns, IpAddr::V6(Self::B_OTHER_V6))?;
        thread::sleep(SETTLE);
        Ok(Pair { a, b, other })
    }
}

/// A router namespace `r` with IPv4 and IPv6 forwarding and three links:
/// r.rcvtN 198.18.N.254/24 + 2001:db8:N::fe/64 <-> host.rcvt0 198.18.N.1/24 + 2001:db8:N::1/64
/// for N = 1 (a), 2 (b), 3 (c); each host's default routes (v4 and v6) point at r.
#[derive(Debug)]
pub struct Router {
    /// The router namespace (interfaces `rcvt1`..`rcvt3`, MACs 02:00:00:00:0N:fe).
    pub r: Netns,
    /// Host a on link 1 (198.18.1.1, 2001:db8:1::1, MAC 02:00:00:00:01:01).
    pub a: Host,
    /// Host b on link 2 (198.18.2.1, 2001:db8:2::1, MAC 02:00:00:00:02:01).
    pub b: Host,
    /// Host c on link 3 (198.18.3.1, 2001:db8:3::1, MAC 02:00:00:00:03:01).
    pub c: Host,
}

impl Router {
    /// Builds the router; returns once v4 and v6 UDP are forwarded a→b, b→c and c→a.
    pub fn new() -> io::Result<Router> {
        let r = Netns::new("rtr")?;
        // Before any link exists, so every interface is created as a router (and joins the
        // all-routers group during link-up, inside the settle window).
        r.sysctls(&[
            ("net.ipv4.ip_forward", "1"),
            ("net.ipv6.conf.all.forwarding", "1"),
            ("net.ipv6.conf.default.forwarding", "1"),
        ])?;
        let hosts = [
            new_host("rtra", 1, 1)?,
            new_host("rtrb", 2, 1)?,
            new_host("rtrc", 3, 1)?,
        ];
        for (link, h) in (1u8..).zip(&hosts) {
            let rif = format!("rcvt{link}");
            let leg = Self::leg(link);
            veth(&r, &rif, leg.mac, &h.ns, &h.ifname, h.mac)?;
            iface_up(&r, &rif, &leg)?;
            host_up(h)?;
            let v6gw = leg.v6.to_string();
            let v4gw = leg.v4.to_string();
            cmd::ip_batch(
                h.ns.name(),
                &format!("route add default via {v4gw}\nroute add ::/0 via {v6gw}\n"),
            )?;
            neighbours(&r, &rif, &[addrs(h)])?;
            neighbours(&h.ns, &h.ifname, &[leg])?;
        }
        wait_ready(&r, &["rcvt1", "rcvt2", "rcvt3"], true)?;
        for h in &hosts {
            wait_ready(&h.ns, &[&h.ifname], true)?;
        }
        let [a, b, c] = hosts;
        for (from, to) in [(&a, &b), (&b, &c), (&c, &a)] {
            verify_both(&from.ns, to)?;
        }
        thread::sleep(SETTLE);
        Ok(Router { r, a, b, c })
    }

    /// The router's IPv4 address on link `link` (1..=3): 198.18.link.254.
    pub fn r_addr_v4(&self, link: u8) -> Ipv4Addr {
        Self::leg(link).v4
    }

    /// The router's IPv6 address on link `link` (1..=3): 2001:db8:link::fe.
    pub fn r_addr_v6(&self, link: u8) -> Ipv6Addr {
        Self::leg(link).v6
    }

    /// The router's MAC on link `link` (1..=3): 02:00:00:00:0link:fe.
    pub fn r_mac(&self, link: u8) -> [u8; 6] {
        Self::leg(link).mac
    }

    /// The router's interface name on link `link` (1..=3): `rcvt{link}`.
    pub fn r_ifname(&self, link: u8) -> String {
        format!("rcvt{link}")
    }

    fn leg(link: u8) -> HostAddrs {
        HostAddrs {
            v4: Ipv4Addr::new(198, 18, link, 254),
            v6: Ipv6Addr::new(0x2001, 0xdb8, link.into(), 0, 0, 0, 0, 0xfe),
            mac: mac(link, 0xfe),
        }
    }
}
