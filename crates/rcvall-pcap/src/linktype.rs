//! Link-layer header types (the tcpdump.org LINKTYPE_ registry), shared by pcap and pcapng.

use std::fmt;

/// A link-layer header type: what the first byte of every packet of an interface is.
///
/// pcapng stores it in 16 bits; classic pcap in the low 16 bits of a 32-bit field whose upper bits
/// carry FCS information, which readers here ignore.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u16);

impl LinkType {
    /// BSD loopback: a 4-byte address family in the writing host's byte order, then the packet.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II (DIX) frames, without preamble or FCS.
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP: the packet starts at the IPv4 or IPv6 header (the version nibble tells which).
    /// What rcvall captures.
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: like [`LinkType::NULL`] but the family is in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux "cooked" capture v1: a 16-byte pseudo header with the packet type.
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4 only.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6 only.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux "cooked" capture v2: a 20-byte pseudo header with packet type and interface index.
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// The registry name, when this crate knows it.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            LinkType::NULL => "NULL",
            LinkType::ETHERNET => "ETHERNET",
            LinkType::RAW => "RAW",
            LinkType::LOOP => "LOOP",
            LinkType::LINUX_SLL => "LINUX_SLL",
            LinkType::IPV4 => "IPV4",
            LinkType::IPV6 => "IPV6",
            LinkType::LINUX_SLL2 => "LINUX_SLL2",
            _ => return None,
        })
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "LINKTYPE_{name} ({})", self.0),
            None => write!(f, "LINKTYPE {}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_types_print_their_registry_names() {
        assert_eq!(LinkType::RAW.to_string(), "LINKTYPE_RAW (101)");
        assert_eq!(LinkType(147).to_string(), "LINKTYPE 147");
    }
}
