//! Link-layer helpers: raw Ethernet frames, provoking real ARP, deleting links.
//!
//! Raw frames need an `AF_PACKET` socket with a `sockaddr_ll`, which no safe Rust API here
//! offers (rustix has no link-layer address type, and we forbid `unsafe`), so they are sent
//! by a few lines of Python (`socket.AF_PACKET`) run inside the namespace.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use crate::netns::Netns;
use crate::{fmt_mac, parse_mac, traffic};

/// Sends the frame read from stdin `argv[2]` times out of interface `argv[1]`. Protocol 0:
/// the socket itself receives nothing, so it cannot fill up. ENOBUFS/EAGAIN (queue
/// momentarily full) is retried up to 100 times per frame.
const SEND_FRAME_PY: &str = r#"
import errno, socket, sys, time
ifname, count = sys.argv[1], int(sys.argv[2])
frame = sys.stdin.buffer.read()
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
s.bind((ifname, 0))
for i in range(count):
    for t in range(100):
        try:
            s.send(frame)
            break
        except OSError as e:
            if e.errno not in (errno.ENOBUFS, errno.EAGAIN) or t == 99:
                raise
            time.sleep(0.001)
"#;

/// The system Python if present (starts faster than version-manager shims), else `python3`
/// from PATH.
fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

/// Sends `frame` (a complete Ethernet frame: destination, source, ethertype, payload; no
/// FCS) `count` times out of `ifname` in `ns`, exactly as given: no padding to 60 bytes,
/// no checks beyond the 14-byte header length. Returns once all were sent.
pub fn send_frame(ns: &Netns, ifname: &str, frame: &[u8], count: usize) -> io::Result<()> {
    if frame.len() < 14 || frame.len() > 65535 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "send_frame: frame of {} bytes (need 14..=65535)",
                frame.len()
            ),
        ));
    }
    let limit = Duration::from_secs(10)
        + Duration::from_millis(1) * u32::try_from(count).unwrap_or(u32::MAX);
    let n = count.to_string();
    ns.exec_with(
        &[python(), "-c", SEND_FRAME_PY, ifname, &n],
        Some(frame),
        limit,
    )
    .map(|_| ())
}

/// Sends `count` Ethernet frames `dst_mac | MAC of ifname | ethertype | payload` out of
/// `ifname` in `ns` (see [`send_frame`]; payloads under 46 bytes give runt frames, which
/// veths carry as they are).
pub fn send_ethernet(
    ns: &Netns,
    ifname: &str,
    dst_mac: [u8; 6],
    ethertype: u16,
    payload: &[u8],
    count: usize,
) -> io::Result<()> {
    let src = ns.mac(ifname)?;
    let mut frame = Vec::with_capacity(14 + payload.len());
    frame.extend_from_slice(&dst_mac);
    frame.extend_from_slice(&src);
    frame.extend_from_slice(&ethertype.to_be_bytes());
    frame.extend_from_slice(payload);
    send_frame(ns, ifname, &frame, count)
}

/// Makes the kernel in `ns` emit real ARP requests for the on-link address `target`, see
/// [`arp_resolve`]; whether an answer came does not matter.
pub fn arp_probe(ns: &Netns, target: Ipv4Addr) -> io::Result<()> {
    arp_resolve(ns, target).map(|_| ())
}

/// Longest wait for an ARP answer. Below the kernel's 1 s retransmit time, so an unanswered
/// probe produces exactly one request before we delete the entry again.
const ARP_WAIT: Duration = Duration::from_millis(500);

/// Removes `ns`'s neighbour entry for `target` (which must be on-link), sends one UDP
/// datagram to `target:9` so the kernel broadcasts an ARP request, and waits up to 500 ms for
/// the answer. If answered, the learned MAC is installed as a *permanent* entry again (so the
/// lab stays free of further ARP) and returned. If not, the previous entry is restored (or
/// the incomplete one deleted, which stops further requests) and `None` is returned.
///
/// On the wire: ARP request, and if answered the ARP reply followed by the UDP datagram to
/// port 9 (the target answers that with ICMP port unreachable unless something listens).
pub fn arp_resolve(ns: &Netns, target: Ipv4Addr) -> io::Result<Option<[u8; 6]>> {
    let t = target.to_string();
    let route = String::from_utf8_lossy(&ns.ip(&["-4", "route", "get", &t])?.stdout).into_owned();
    let words: Vec<&str> = route.split_whitespace().collect();
    if words.contains(&"via") || words.first() == Some(&"local") {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "arp_probe {t} in {}: not an on-link neighbour: {}",
                ns.name(),
                route.trim()
            ),
        ));
    }
    let dev = word_after(&words, "dev")
        .ok_or_else(|| {
            io::Error::other(format!(
                "arp_probe {t} in {}: no device in `{}`",
                ns.name(),
                route.trim()
            ))
        })?
        .to_owned();
    let previous = neigh(ns, &t, &dev)?;
    if previous.is_some() {
        ns.ip(&["neigh", "del", &t, "dev", &dev])?;
    }
    traffic::send_udp(
        ns,
        SocketAddr::new(IpAddr::V4(target), 9),
        b"testkit-arp-probe",
        1,
    )?;
    let deadline = Instant::now() + ARP_WAIT;
    let mut learned = None;
    for _ in 0..100 {
        if let Some(e) = neigh(ns, &t, &dev)? {
            if e.mac.is_some() && e.state != "INCOMPLETE" && e.state != "FAILED" {
                learned = e.mac;
                break;
            }
        }
        if Instant::now() >= deadline {
            break;
        }
        thread::sleep(Duration::from_millis(5));
    }
    match (learned, previous) {
        (Some(mac), _) => set_permanent(ns, &t, &dev, mac)?,
        (None, Some(Entry { mac: Some(mac), .. })) => set_permanent(ns, &t, &dev, mac)?,
        (None, _) => {
            // The entry may already be gone (FAILED entries get collected); ignore that.
            let _ = ns.ip(&["neigh", "del", &t, "dev", &dev]);
        }
    }
    Ok(learned)
}

fn set_permanent(ns: &Netns, ip: &str, dev: &str, mac: [u8; 6]) -> io::Result<()> {
    let m = fmt_mac(mac);
    ns.ip(&[
        "neigh",
        "replace",
        ip,
        "dev",
        dev,
        "lladdr",
        &m,
        "nud",
        "permanent",
    ])
    .map(|_| ())
}

/// One line of `ip neigh show`.
struct Entry {
    mac: Option<[u8; 6]>,
    state: String,
}

/// The neighbour entry for `ip` on `dev`, if any.
fn neigh(ns: &Netns, ip: &str, dev: &str) -> io::Result<Option<Entry>> {
    let out = ns.ip(&["neigh", "show", "to", ip, "dev", dev])?;
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text.lines().find(|l| !l.trim().is_empty()).map(|l| {
        let words: Vec<&str> = l.split_whitespace().collect();
        Entry {
            mac: word_after(&words, "lladdr").and_then(parse_mac),
            state: words.last().copied().unwrap_or_default().to_owned(),
        }
    }))
}

fn word_after<'a>(words: &[&'a str], key: &str) -> Option<&'a str> {
    words
        .iter()
        .position(|w| *w == key)
        .and_then(|i| words.get(i + 1))
        .copied()
}

/// Deletes interface `ifname` in `ns` (for a veth, its peer in the other namespace goes too).
pub fn delete_link(ns: &Netns, ifname: &str) -> io::Result<()> {
    ns.ip(&["link", "del", ifname]).map(|_| ())
}
