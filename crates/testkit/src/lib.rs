#![forbid(unsafe_code)]
//! The network-namespace lab that rcvall's integration tests run in.
//!
//! Every namespace and interface the lab creates is named `rcvt…`, lives only inside
//! namespaces created here (nothing is ever added to the root namespace), uses only
//! 198.18.0.0/15 and 2001:db8::/32, and is removed again on drop, also when a test panics.
//! Topologies ([`Hub`], [`Pair`], [`Router`]) are built to be quiet and deterministic: no
//! DAD, no router solicitations, permanent neighbour entries for every lab peer, segmentation
//! offloads off, and the kernel's link-up MLD reports over before a constructor returns.
//!
//! All of this needs root; call [`require_root`] first so a non-root run fails loudly
//! instead of being skipped.
//!
//! # What tests can rely on
//!
//! * Names: namespaces `rcvt{tag}-{pid}-{n}`; host interfaces `rcvt0`; router legs
//!   `rcvt1`..`rcvt3`; [`Pair`]'s b has `rcvt1` towards `other`; the hub's bridge is `rcvtbr`
//!   with ports `rcvta`/`rcvtb`/`rcvtc`.
//! * MACs are `02:00:00:00:LL:HH` (LL = subnet 198.18.LL.0/24, HH = host octet, `fe` for the
//!   router) and ifindexes `LL * 256 + HH` (see [`topo::ifindex_for`]).
//! * Silence: once a constructor returns, nothing is sent unless a test sends it (no ARP/NDP
//!   for lab peers, no DAD, no RS, link-up MLD reports already over). Exceptions a test
//!   causes itself: UDP to a port nobody listens on draws ICMP port unreachable (use
//!   [`udp_sink`]); link down/up or new addresses/groups make the kernel send MLD/IGMP
//!   reports again (within ~30 ms, report intervals are 10 ms).
//! * Offloads: TSO/GSO/GRO are off on every veth; TX checksum offload is left on, so
//!   captured UDP/TCP (not IP header) checksums of packets sent by a lab host are *not*
//!   valid, on either end of the veth (the kernel hands them on as `CHECKSUM_PARTIAL`).
//!   Turn it off per interface with `ns.exec(&["ethtool", "-K", "rcvt0", "tx", "off"])`.
//! * Timing: a topology takes ~0.2–0.3 s to build; [`Netns::exec`] and friends cost a process
//!   start (~5 ms); [`send_ethernet`] starts Python (~30–150 ms).

mod cmd;
mod frame;
pub mod netns;
pub mod packet;
mod process;
pub mod topo;
pub mod traffic;

pub use netns::{sweep_stale, Netns};
pub use process::Background;
pub use topo::{Host, Hub, Pair, Router};
pub use traffic::*;

/// Panics with an explanation unless the process runs with effective uid 0: the lab needs
/// `ip netns add`, veths and `setns`, and lab tests must fail rather than be skipped.
pub fn require_root() {
    if !rustix::process::geteuid().is_root() {
        panic!(
            "testkit: these tests need root (effective uid 0) to create network namespaces; \
             run them as root, e.g. `sudo -E cargo test`"
        );
    }
}

/// Parses `aa:bb:cc:dd:ee:ff`.
pub(crate) fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut mac = [0u8; 6];
    let mut parts = s.trim().split(':');
    for b in &mut mac {
        *b = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    parts.next().is_none().then_some(mac)
}

/// Formats a MAC as `aa:bb:cc:dd:ee:ff` (the form `ip` expects).
pub fn fmt_mac(mac: [u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_round_trip() {
        let m = [0x02, 0, 0, 0, 0x01, 0xfe];
        assert_eq!(fmt_mac(m), "02:00:00:00:01:fe");
        assert_eq!(parse_mac("02:00:00:00:01:fe\n"), Some(m));
        assert_eq!(parse_mac("02:00:00:00:01"), None);
        assert_eq!(parse_mac("02:00:00:00:01:fe:00"), None);
    }
}
