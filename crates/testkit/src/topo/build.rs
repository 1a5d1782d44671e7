//! The steps topologies are built from: veths, addresses, neighbours, readiness checks.

use std::fmt::Write as _;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

use super::Host;
use crate::netns::Netns;
use crate::{cmd, fmt_mac, traffic};

/// Longest wait for the kernel to finish bringing links up (see [`wait_ready`]).
const READY_TIMEOUT: Duration = Duration::from_secs(4);

/// How long a constructor keeps trying to get a UDP datagram across a fresh topology.
const VERIFY_TIMEOUT: Duration = Duration::from_secs(3);

/// The addresses of one interface, for the neighbour and address helpers.
#[derive(Clone, Copy, Debug)]
pub(super) struct HostAddrs {
    pub(super) v4: Ipv4Addr,
    pub(super) v6: Ipv6Addr,
    pub(super) mac: [u8; 6],
}

pub(super) fn addrs(h: &Host) -> HostAddrs {
    HostAddrs {
        v4: h.v4,
        v6: h.v6,
        mac: h.mac,
    }
}

/// `02:00:00:00:LL:HH` (locally administered, unicast).
pub(super) fn mac(link: u8, host: u8) -> [u8; 6] {
    [0x02, 0, 0, 0, link, host]
}

/// The EUI-64 link-local address for `mac` (what addr_gen_mode 0 assigns).
pub fn link_local(mac: [u8; 6]) -> Ipv6Addr {
    Ipv6Addr::new(
        0xfe80,
        0,
        0,
        0,
        u16::from_be_bytes([mac[0] ^ 0x02, mac[1]]),
        u16::from_be_bytes([mac[2], 0xff]),
        u16::from_be_bytes([0xfe, mac[3]]),
        u16::from_be_bytes([mac[4], mac[5]]),
    )
}

/// A host namespace with interface `rcvt0` on 198.18.`link`.`host`/24 and
/// 2001:db8:`link`::`host`/64; the interface itself is created later by [`veth`].
pub(super) fn new_host(tag: &str, link: u8, host: u8) -> io::Result<Host> {
    Ok(Host {
        ns: Netns::new(tag)?,
        ifname: "rcvt0".to_owned(),
        v4: Ipv4Addr::new(198, 18, link, host),
        v6: Ipv6Addr::new(0x2001, 0xdb8, link.into(), 0, 0, 0, 0, host.into()),
        mac: mac(link, host),
    })
}

/// Creates a veth pair with each end directly inside its namespace (`ip link add … netns`):
/// nothing appears in the root namespace even for a moment, so parallel tests using the same
/// interface names cannot collide.
///
/// Each end gets an explicit ifindex derived from its MAC (see [`ifindex_for`]). Besides being
/// predictable, this keeps the two ends' indexes different, which matters: the kernel treats
/// a carrier change of a device whose ifindex equals its peer's ifindex (`iflink`) as
/// non-urgent and processes it up to a second later, delaying addrconf and its MLD reports.
pub(super) fn veth(
    a: &Netns,
    a_if: &str,
    a_mac: [u8; 6],
    b: &Netns,
    b_if: &str,
    b_mac: [u8; 6],
) -> io::Result<()> {
    let (am, bm) = (fmt_mac(a_mac), fmt_mac(b_mac));
    let (ai, bi) = (
        ifindex_for(a_mac).to_string(),
        ifindex_for(b_mac).to_string(),
    );
    cmd::run(
        "ip",
        &[
            "link",
            "add",
            a_if,
            "netns",
            a.name(),
            "index",
            &ai,
            "address",
            &am,
            "type",
            "veth",
            "peer",
            "name",
            b_if,
            "netns",
            b.name(),
            "index",
            &bi,
            "address",
            &bm,
        ],
    )?;
    offloads_off(a, &[a_if])?;
    offloads_off(b, &[b_if])
}

/// The ifindex the lab gives the interface with MAC `02:00:00:00:LL:HH`: `LL * 256 + HH`
/// (e.g. 258 for 02:00:00:00:01:02). Unique within each namespace because MACs are.
pub fn ifindex_for(mac: [u8; 6]) -> u32 {
    u32::from(mac[4]) * 256 + u32::from(mac[5])
}

/// TSO/GSO/GRO off so TCP is seen as the real segments on the wire, not super-packets.
pub(super) fn offloads_off(ns: &Netns, ifs: &[&str]) -> io::Result<()> {
    for i in ifs {
        ns.exec(&["ethtool", "-K", i, "tso", "off", "gso", "off", "gro", "off"])?;
    }
    Ok(())
}

pub(super) fn host_up(h: &Host) -> io::Result<()> {
    iface_up(&h.ns, &h.ifname, &addrs(h))
}

/// Adds the /24 and /64 (no DAD) to `ifname` and brings it up.
pub(super) fn iface_up(ns: &Netns, ifname: &str, a: &HostAddrs) -> io::Result<()> {
    cmd::ip_batch(
        ns.name(),
        &format!(
            "addr add {}/24 dev {ifname}\naddr add {}/64 dev {ifname} nodad\nlink set {ifname} up\n",
            a.v4, a.v6
        ),
    )
}

/// Permanent neighbour entries (IPv4, IPv6 global and link-local) for `peers` on `ifname`,
/// so lab traffic never triggers ARP or neighbour discovery.
pub(super) fn neighbours(ns: &Netns, ifname: &str, peers: &[HostAddrs]) -> io::Result<()> {
    let mut script = String::new();
    for p in peers {
        let m = fmt_mac(p.mac);
        for ip in [
            IpAddr::V4(p.v4),
            IpAddr::V6(p.v6),
            IpAddr::V6(link_local(p.mac)),
        ] {
            let _ = writeln!(
                script,
                "neigh replace {ip} dev {ifname} lladdr {m} nud permanent"
            );
        }
    }
    cmd::ip_batch(ns.name(), &script)
}

/// Waits until the kernel has finished bringing `ifs` up: operstate UP and, with `v6`, a
/// non-tentative link-local address. Carrier changes are processed by the kernel's global
/// "linkwatch" worker, which batches them up to a second apart; until it ran, addrconf has
/// not configured the link-local address, has not joined the solicited-node groups and so
/// has not sent the MLD reports that come with it. Returning before that would let those
/// reports land in the middle of a test.
pub(super) fn wait_ready(ns: &Netns, ifs: &[&str], v6: bool) -> io::Result<()> {
    let deadline = Instant::now() + READY_TIMEOUT;
    let mut last = String::new();
    for _ in 0..400 {
        let links = String::from_utf8_lossy(&ns.ip(&["-o", "link", "show"])?.stdout).into_owned();
        let addrs = if v6 {
            String::from_utf8_lossy(
                &ns.ip(&["-6", "-o", "addr", "show", "scope", "link"])?
                    .stdout,
            )
            .into_owned()
        } else {
            String::new()
        };
        let pending: Vec<&str> = ifs
            .iter()
            .copied()
            .filter(|i| {
                // `ip -o link` lines read "N: NAME: <FLAGS> ... state UP ..." (veth names may
                // carry "@ifN"); `ip -o addr` lines "N: NAME    inet6 fe80::.../64 scope link ...".
                let up = links.lines().any(|l| {
                    let name = l.split(": ").nth(1).unwrap_or("");
                    (name == *i || name.starts_with(&format!("{i}@"))) && l.contains(" state UP ")
                });
                let ll = !v6
                    || addrs.lines().any(|l| {
                        let mut w = l.split_whitespace();
                        w.nth(1) == Some(*i) && l.contains(" fe80:") && !l.contains("tentative")
                    });
                !(up && ll)
            })
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        last = pending.join(", ");
        if Instant::now() >= deadline {
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    Err(io::Error::new(
        io::ErrorKind::TimedOut,
        format!(
            "{}: links not up within {READY_TIMEOUT:?}: {last}",
            ns.name()
        ),
    ))
}

pub(super) fn verify_both(from: &Netns, to: &Host) -> io::Result<()> {
    verify_udp(from, &to.ns, IpAddr::V4(to.v4))?;
    verify_udp(from, &to.ns, IpAddr::V6(to.v6))
}

/// Sends one datagram at a time from `from` to a socket bound to `dst` in `to` until one
/// arrives (at most [`VERIFY_TIMEOUT`], 30 tries).
pub(super) fn verify_udp(from: &Netns, to: &Netns, dst: IpAddr) -> io::Result<()> {
    let sock = to.run(|| UdpSocket::bind(SocketAddr::new(dst, 0)))?;
    sock.set_read_timeout(Some(Duration::from_millis(100)))?;
    let target = sock.local_addr()?;
    let deadline = Instant::now() + VERIFY_TIMEOUT;
    let mut buf = [0u8; 64];
    for _ in 0..30 {
        if Instant::now() >= deadline {
            break;
        }
        traffic::send_udp(from, target, b"testkit-verify", 1)?;
        if let Ok((n, _)) = sock.recv_from(&mut buf) {
            if &buf[..n] == b"testkit-verify" {
                return Ok(());
            }
        }
    }
    Err(io::Error::new(
        io::ErrorKind::TimedOut,
        format!(
            "lab check: no UDP datagram from {} to {target} in {} within {VERIFY_TIMEOUT:?}",
            from.name(),
            to.name()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eui64_link_local() {
        let ll = link_local([0x02, 0, 0, 0, 0x01, 0x02]);
        assert_eq!(ll, "fe80::ff:fe00:102".parse::<Ipv6Addr>().unwrap());
    }
}
