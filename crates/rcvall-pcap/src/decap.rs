//! Finding the IP packet inside a record, by link type.

use crate::flags::EpbFlags;
use crate::linktype::LinkType;

/// IP version of a decapsulated packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IpVersion {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

/// The IP packet inside a link-layer frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decapsulated<'a> {
    /// The bytes from the IP header on.
    pub ip: &'a [u8],
    /// Which IP.
    pub version: IpVersion,
    /// Direction and reception type, when the link-layer header records them (Linux cooked
    /// captures do; Ethernet, raw IP and loopback headers do not).
    pub flags: Option<EpbFlags>,
}

const IP_VERSION_4: u8 = 4;
const IP_VERSION_6: u8 = 6;

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86DD;
const ETHERTYPE_VLAN: u16 = 0x8100;

mod ethernet {
    /// Destination and source MAC.
    pub const ETHERTYPE: usize = 12;
    pub const HEADER_LEN: usize = 14;
    /// An 802.1Q tag: TPID (the 0x8100 ethertype) and TCI, then the real ethertype.
    pub const VLAN_TAG_LEN: usize = 4;
}

/// LINUX_SLL: packet type, ARPHRD type, address length, 8 address bytes, protocol.
mod sll {
    pub const PKTTYPE: usize = 0;
    pub const PROTOCOL: usize = 14;
    pub const HEADER_LEN: usize = 16;
}

/// LINUX_SLL2: protocol, reserved, ifindex, ARPHRD type, packet type, address length, address.
mod sll2 {
    pub const PROTOCOL: usize = 0;
    pub const PKTTYPE: usize = 10;
    pub const HEADER_LEN: usize = 20;
}

/// NULL and LOOP: a 4-byte address family.
const LOOPBACK_HEADER_LEN: usize = 4;
const BSD_AF_INET: u32 = 2;
/// AF_INET6 differs by OS; captures from any of them are read: Linux, the other BSDs
/// (NetBSD/OpenBSD), FreeBSD, Darwin.
const BSD_AF_INET6: [u32; 4] = [10, 24, 28, 30];

/// The IP packet in `frame`, a record of `link_type`; `None` when the frame holds something
/// else (ARP, a non-IP ethertype, an unknown link type) or is too short for its header.
pub fn decapsulate(link_type: LinkType, frame: &[u8]) -> Option<Decapsulated<'_>> {
    match link_type {
        LinkType::RAW => ip_by_nibble(frame, None),
        LinkType::IPV4 => ip_expecting(frame, IpVersion::V4, None),
        LinkType::IPV6 => ip_expecting(frame, IpVersion::V6, None),
        LinkType::ETHERNET => {
            let mut ethertype = be16(frame, ethernet::ETHERTYPE)?;
            let mut at = ethernet::HEADER_LEN;
            if ethertype == ETHERTYPE_VLAN {
                ethertype = be16(frame, ethernet::ETHERTYPE + ethernet::VLAN_TAG_LEN)?;
                at += ethernet::VLAN_TAG_LEN;
            }
            ip_by_ethertype(frame.get(at..)?, ethertype, None)
        }
        LinkType::LINUX_SLL => {
            let flags = EpbFlags::from_linux_pkttype(*frame.get(sll::PKTTYPE + 1)?);
            // The packet type is a big-endian 16-bit field whose high byte is always 0.
            let flags = flags.filter(|_| frame[sll::PKTTYPE] == 0);
            let ethertype = be16(frame, sll::PROTOCOL)?;
            ip_by_ethertype(frame.get(sll::HEADER_LEN..)?, ethertype, flags)
        }
        LinkType::LINUX_SLL2 => {
            let flags = EpbFlags::from_linux_pkttype(*frame.get(sll2::PKTTYPE)?);
            let ethertype = be16(frame, sll2::PROTOCOL)?;
            ip_by_ethertype(frame.get(sll2::HEADER_LEN..)?, ethertype, flags)
        }
        LinkType::NULL | LinkType::LOOP => {
            let family: [u8; 4] = frame.get(..LOOPBACK_HEADER_LEN)?.try_into().ok()?;
            // NULL is in the writer's byte order, LOOP in network order; accept either, since
            // the families' values cannot be confused when swapped.
            let families = [u32::from_be_bytes(family), u32::from_le_bytes(family)];
            let version = if families.contains(&BSD_AF_INET) {
                IpVersion::V4
            } else if families.iter().any(|f| BSD_AF_INET6.contains(f)) {
                IpVersion::V6
            } else {
                return None;
            };
            ip_expecting(&frame[LOOPBACK_HEADER_LEN..], version, None)
        }
        _ => None,
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn ip_by_nibble(ip: &[u8], flags: Option<EpbFlags>) -> Option<Decapsulated<'_>> {
    let version = match ip.first()? >> 4 {
        IP_VERSION_4 => IpVersion::V4,
        IP_VERSION_6 => IpVersion::V6,
        _ => return None,
    };
    Some(Decapsulated { ip, version, flags })
}

/// The packet if its version nibble agrees with what the link layer said it is.
fn ip_expecting(
    ip: &[u8],
    version: IpVersion,
    flags: Option<EpbFlags>,
) -> Option<Decapsulated<'_>> {
    ip_by_nibble(ip, flags).filter(|d| d.version == version)
}

fn ip_by_ethertype(ip: &[u8], ethertype: u16, flags: Option<EpbFlags>) -> Option<Decapsulated<'_>> {
    let version = match ethertype {
        ETHERTYPE_IPV4 => IpVersion::V4,
        ETHERTYPE_IPV6 => IpVersion::V6,
        _ => return None,
    };
    ip_expecting(ip, version, flags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::Reception;

    /// The first bytes of an IPv4 header (version 4, IHL 5) and of an IPv6 header.
    const V4: &[u8] = &[0x45, 0x00, 0x00, 0x14];
    const V6: &[u8] = &[0x60, 0x00, 0x00, 0x00];

    fn eth(ethertype: [u8; 2], payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0xff; 6]; // broadcast destination
        f.extend_from_slice(&[0x02, 0, 0, 0, 0, 1]);
        f.extend_from_slice(&ethertype);
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn raw_ip_is_recognised_by_its_version_nibble() {
        let d = decapsulate(LinkType::RAW, V4).unwrap();
        assert_eq!((d.ip, d.version, d.flags), (V4, IpVersion::V4, None));
        assert_eq!(
            decapsulate(LinkType::RAW, V6).unwrap().version,
            IpVersion::V6
        );
        assert_eq!(decapsulate(LinkType::RAW, &[0x50]), None);
        assert_eq!(decapsulate(LinkType::RAW, &[]), None);
    }

    #[test]
    fn ipv4_and_ipv6_link_types_reject_the_other_version() {
        assert_eq!(
            decapsulate(LinkType::IPV4, V4).unwrap().version,
            IpVersion::V4
        );
        assert_eq!(decapsulate(LinkType::IPV4, V6), None);
        assert_eq!(
            decapsulate(LinkType::IPV6, V6).unwrap().version,
            IpVersion::V6
        );
        assert_eq!(decapsulate(LinkType::IPV6, V4), None);
    }

    #[test]
    fn ethernet_yields_ipv4_ipv6_and_nothing_for_arp() {
        let f = eth([0x08, 0x00], V4);
        assert_eq!(decapsulate(LinkType::ETHERNET, &f).unwrap().ip, V4);
        let f = eth([0x86, 0xdd], V6);
        assert_eq!(decapsulate(LinkType::ETHERNET, &f).unwrap().ip, V6);
        let arp = eth([0x08, 0x06], &[0, 1, 8, 0]);
        assert_eq!(decapsulate(LinkType::ETHERNET, &arp), None);
        assert_eq!(decapsulate(LinkType::ETHERNET, &f[..13]), None);
    }

    #[test]
    fn ethernet_looks_through_one_vlan_tag() {
        let mut tagged = vec![0x81, 0x00, 0x00, 0x2a, 0x86, 0xdd];
        tagged.extend_from_slice(V6);
        let f = eth([0x81, 0x00], &tagged[2..]);
        let d = decapsulate(LinkType::ETHERNET, &f).unwrap();
        assert_eq!((d.ip, d.version), (V6, IpVersion::V6));
        // A second tag is not looked through.
        let double = eth(
            [0x81, 0x00],
            &[0x00, 0x2a, 0x81, 0x00, 0x00, 0x2b, 0x08, 0x00, 0x45],
        );
        assert_eq!(decapsulate(LinkType::ETHERNET, &double), None);
    }

    #[test]
    fn linux_sll_gives_the_direction_from_its_packet_type() {
        // pkttype 4 (outgoing), ARPHRD_ETHER, 6-byte address, protocol IPv4.
        let mut f = vec![0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
        f.extend_from_slice(V4);
        let d = decapsulate(LinkType::LINUX_SLL, &f).unwrap();
        assert_eq!((d.ip, d.flags), (V4, Some(EpbFlags::outbound())));
        f[1] = 3; // PACKET_OTHERHOST
        let d = decapsulate(LinkType::LINUX_SLL, &f).unwrap();
        assert_eq!(d.flags, Some(EpbFlags::inbound(Reception::Promiscuous)));
        f[14..16].copy_from_slice(&[0x08, 0x06]);
        assert_eq!(decapsulate(LinkType::LINUX_SLL, &f), None);
    }

    #[test]
    fn linux_sll2_gives_the_direction_from_its_packet_type() {
        // protocol IPv6, reserved, ifindex 7, ARPHRD_ETHER, pkttype 1 (broadcast), addr len 6.
        let mut f = vec![
            0x86, 0xdd, 0, 0, 0, 0, 0, 7, 0, 1, 1, 6, 2, 0, 0, 0, 0, 1, 0, 0,
        ];
        f.extend_from_slice(V6);
        let d = decapsulate(LinkType::LINUX_SLL2, &f).unwrap();
        assert_eq!(d.ip, V6);
        assert_eq!(d.flags, Some(EpbFlags::inbound(Reception::Broadcast)));
        assert_eq!(decapsulate(LinkType::LINUX_SLL2, &f[..19]), None);
    }

    #[test]
    fn loopback_headers_are_read_in_either_byte_order() {
        let mut null_le = 2u32.to_le_bytes().to_vec();
        null_le.extend_from_slice(V4);
        assert_eq!(decapsulate(LinkType::NULL, &null_le).unwrap().ip, V4);
        for af6 in BSD_AF_INET6 {
            let mut loop_be = af6.to_be_bytes().to_vec();
            loop_be.extend_from_slice(V6);
            assert_eq!(
                decapsulate(LinkType::LOOP, &loop_be).unwrap().version,
                IpVersion::V6
            );
        }
        let mut other = 7u32.to_le_bytes().to_vec();
        other.extend_from_slice(V4);
        assert_eq!(decapsulate(LinkType::NULL, &other), None);
    }

    #[test]
    fn unknown_link_types_yield_nothing() {
        assert_eq!(decapsulate(LinkType(147), V4), None);
    }
}
