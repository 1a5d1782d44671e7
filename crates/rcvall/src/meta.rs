//! What the kernel tells about each received datagram besides its bytes.

use rcvall_types::Direction;

/// How a packet passed the interface (the kernel's `sll_pkttype`): its [`Direction`], and for
/// received packets how they were addressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// Received, addressed to this host (PACKET_HOST).
    Host,
    /// Received, link-layer broadcast (PACKET_BROADCAST).
    Broadcast,
    /// Received, link-layer multicast (PACKET_MULTICAST).
    Multicast,
    /// Received, addressed to another host: seen only in promiscuous mode (PACKET_OTHERHOST).
    OtherHost,
    /// Sent or forwarded out of the interface by this host (PACKET_OUTGOING).
    Outgoing,
}

impl PacketType {
    /// From the kernel's packet type; `None` for types a capture never sees on an IP interface.
    #[inline]
    pub fn from_pkttype(pkttype: u8) -> Option<PacketType> {
        Some(match pkttype {
            libc::PACKET_HOST => PacketType::Host,
            libc::PACKET_BROADCAST => PacketType::Broadcast,
            libc::PACKET_MULTICAST => PacketType::Multicast,
            libc::PACKET_OTHERHOST => PacketType::OtherHost,
            libc::PACKET_OUTGOING => PacketType::Outgoing,
            _ => return None,
        })
    }

    /// The kernel's packet type.
    #[inline]
    pub fn pkttype(self) -> u8 {
        match self {
            PacketType::Host => libc::PACKET_HOST,
            PacketType::Broadcast => libc::PACKET_BROADCAST,
            PacketType::Multicast => libc::PACKET_MULTICAST,
            PacketType::OtherHost => libc::PACKET_OTHERHOST,
            PacketType::Outgoing => libc::PACKET_OUTGOING,
        }
    }

    /// Out for what the host sent, In for everything the interface received.
    pub fn direction(self) -> Direction {
        match self {
            PacketType::Outgoing => Direction::Out,
            _ => Direction::In,
        }
    }
}

/// Facts about a datagram's bytes that a reader must know to interpret them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PacketFlags {
    /// The checksum was left for the NIC to compute (TP_STATUS_CSUMNOTREADY): outgoing
    /// packets on offloading interfaces carry a partial checksum in the captured bytes.
    pub checksum_not_ready: bool,
    /// A GSO/GRO super-packet: several wire segments captured as one datagram longer than the MTU.
    pub gso: bool,
    /// Fewer bytes were kept than the datagram had (snap length).
    pub truncated: bool,
}

/// Metadata of one received datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketInfo {
    /// Kernel receive (or transmit) time, nanoseconds since the Unix epoch.
    pub timestamp_ns: u64,
    /// How the datagram passed the interface (see [`PacketInfo::direction`] for in or out).
    pub packet_type: PacketType,
    /// The interface's index.
    pub ifindex: u32,
    /// The datagram's full length at the IP layer, before any snap length.
    pub original_len: u32,
    /// Checksum, GSO and truncation flags.
    pub flags: PacketFlags,
}

/// TP_STATUS_GSO_TCP (Linux 6.7+): the frame is a TCP GSO super-packet.
const TP_STATUS_GSO_TCP: u32 = 1 << 8;

impl PacketInfo {
    /// In or out: what tcpdump's `-Q` and pcapng's epb_flags record.
    pub fn direction(&self) -> Direction {
        self.packet_type.direction()
    }

    /// The metadata of a ring frame; `mtu` tells GSO super-packets on kernels that do not
    /// flag them (longer than the interface's MTU).
    #[inline]
    pub(crate) fn from_frame(frame: &crate::ring::block::RawFrame<'_>, mtu: u32) -> PacketInfo {
        PacketInfo {
            timestamp_ns: frame.timestamp_ns,
            // Packet taps never see PACKET_LOOPBACK (tpacket_rcv drops it); anything else
            // unknown is received traffic.
            packet_type: PacketType::from_pkttype(frame.pkttype).unwrap_or(PacketType::Host),
            ifindex: frame.ifindex,
            original_len: frame.wire_len,
            flags: PacketFlags {
                checksum_not_ready: frame.status & libc::TP_STATUS_CSUMNOTREADY != 0,
                gso: frame.status & TP_STATUS_GSO_TCP != 0 || frame.wire_len > mtu,
                truncated: (frame.data.len() as u64) < u64::from(frame.wire_len),
            },
        }
    }
}
