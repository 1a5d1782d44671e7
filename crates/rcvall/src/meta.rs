//! What the kernel tells about each received datagram besides its bytes.

/// Which way a packet passed the interface (the kernel's `sll_pkttype`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
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

impl Direction {
    /// From the kernel's packet type; `None` for types a capture never sees on an IP interface.
    pub fn from_pkttype(pkttype: u8) -> Option<Direction> {
        Some(match pkttype {
            libc::PACKET_HOST => Direction::Host,
            libc::PACKET_BROADCAST => Direction::Broadcast,
            libc::PACKET_MULTICAST => Direction::Multicast,
            libc::PACKET_OTHERHOST => Direction::OtherHost,
            libc::PACKET_OUTGOING => Direction::Outgoing,
            _ => return None,
        })
    }

    /// The kernel's packet type.
    pub fn pkttype(self) -> u8 {
        match self {
            Direction::Host => libc::PACKET_HOST,
            Direction::Broadcast => libc::PACKET_BROADCAST,
            Direction::Multicast => libc::PACKET_MULTICAST,
            Direction::OtherHost => libc::PACKET_OTHERHOST,
            Direction::Outgoing => libc::PACKET_OUTGOING,
        }
    }

    /// True for everything the interface received, false for what it sent.
    pub fn is_inbound(self) -> bool {
        self != Direction::Outgoing
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
    /// Which way the datagram passed the interface.
    pub direction: Direction,
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
    /// The metadata of a ring frame; `mtu` tells GSO super-packets on kernels that do not
    /// flag them (longer than the interface's MTU).
    pub(crate) fn from_frame(frame: &crate::ring::block::RawFrame<'_>, mtu: u32) -> PacketInfo {
        PacketInfo {
            timestamp_ns: frame.timestamp_ns,
            // Packet taps never see PACKET_LOOPBACK (tpacket_rcv drops it); anything else
            // unknown is received traffic.
            direction: Direction::from_pkttype(frame.pkttype).unwrap_or(Direction::Host),
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
