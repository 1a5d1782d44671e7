//! The pcapng packet flags word (epb_flags): direction and reception type.

/// Which way a packet passed the interface: epb_flags bits 0–1 (01 inbound, 10 outbound).
pub use rcvall_types::Direction;

/// How a received packet was addressed (epb_flags bits 2–4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reception {
    /// To this host (001).
    Unicast,
    /// To a link-layer multicast group (010).
    Multicast,
    /// To the link-layer broadcast address (011).
    Broadcast,
    /// To another host, seen only because the interface was promiscuous (100).
    Promiscuous,
}

/// The direction and reception type of one packet; either may be unknown.
///
/// Other bits of the 32-bit word (FCS length, link-layer errors) are not modelled: they are
/// written as zero and ignored when read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct EpbFlags {
    /// Inbound or outbound; `None` writes "information not available" (00).
    pub direction: Option<Direction>,
    /// Unicast, multicast, broadcast or promiscuous; `None` writes "not specified" (000).
    pub reception: Option<Reception>,
}

const DIRECTION_MASK: u32 = 0b11;
const DIRECTION_INBOUND: u32 = 0b01;
const DIRECTION_OUTBOUND: u32 = 0b10;
const RECEPTION_SHIFT: u32 = 2;
const RECEPTION_MASK: u32 = 0b111 << RECEPTION_SHIFT;
const RECEPTION_UNICAST: u32 = 0b001;
const RECEPTION_MULTICAST: u32 = 0b010;
const RECEPTION_BROADCAST: u32 = 0b011;
const RECEPTION_PROMISCUOUS: u32 = 0b100;

// Linux packet types (sll_pkttype, <linux/if_packet.h>) as they appear in LINUX_SLL/SLL2 headers.
const PACKET_HOST: u8 = 0;
const PACKET_BROADCAST: u8 = 1;
const PACKET_MULTICAST: u8 = 2;
const PACKET_OTHERHOST: u8 = 3;
const PACKET_OUTGOING: u8 = 4;

impl EpbFlags {
    /// Inbound, with the given reception type.
    pub fn inbound(reception: Reception) -> EpbFlags {
        EpbFlags {
            direction: Some(Direction::In),
            reception: Some(reception),
        }
    }

    /// Outbound (reception type not specified: it describes how a packet was received).
    pub fn outbound() -> EpbFlags {
        EpbFlags {
            direction: Some(Direction::Out),
            reception: None,
        }
    }

    /// The epb_flags word.
    pub fn to_bits(self) -> u32 {
        let direction = match self.direction {
            None => 0,
            Some(Direction::In) => DIRECTION_INBOUND,
            Some(Direction::Out) => DIRECTION_OUTBOUND,
        };
        let reception = match self.reception {
            None => 0,
            Some(Reception::Unicast) => RECEPTION_UNICAST,
            Some(Reception::Multicast) => RECEPTION_MULTICAST,
            Some(Reception::Broadcast) => RECEPTION_BROADCAST,
            Some(Reception::Promiscuous) => RECEPTION_PROMISCUOUS,
        };
        direction | reception << RECEPTION_SHIFT
    }

    /// From an epb_flags word; the invalid direction 11 and reception types 101–111 read as
    /// unknown, other bits are ignored.
    pub fn from_bits(bits: u32) -> EpbFlags {
        let direction = match bits & DIRECTION_MASK {
            DIRECTION_INBOUND => Some(Direction::In),
            DIRECTION_OUTBOUND => Some(Direction::Out),
            _ => None,
        };
        let reception = match (bits & RECEPTION_MASK) >> RECEPTION_SHIFT {
            RECEPTION_UNICAST => Some(Reception::Unicast),
            RECEPTION_MULTICAST => Some(Reception::Multicast),
            RECEPTION_BROADCAST => Some(Reception::Broadcast),
            RECEPTION_PROMISCUOUS => Some(Reception::Promiscuous),
            _ => None,
        };
        EpbFlags {
            direction,
            reception,
        }
    }

    /// From a Linux packet type (`sll_pkttype`): host, broadcast, multicast and other-host are
    /// inbound with that reception type, outgoing is outbound; other types give `None`.
    pub fn from_linux_pkttype(pkttype: u8) -> Option<EpbFlags> {
        Some(match pkttype {
            PACKET_HOST => EpbFlags::inbound(Reception::Unicast),
            PACKET_BROADCAST => EpbFlags::inbound(Reception::Broadcast),
            PACKET_MULTICAST => EpbFlags::inbound(Reception::Multicast),
            PACKET_OTHERHOST => EpbFlags::inbound(Reception::Promiscuous),
            PACKET_OUTGOING => EpbFlags::outbound(),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_bits_match_the_pcapng_layout() {
        assert_eq!(EpbFlags::inbound(Reception::Unicast).to_bits(), 0b00101);
        assert_eq!(EpbFlags::inbound(Reception::Multicast).to_bits(), 0b01001);
        assert_eq!(EpbFlags::inbound(Reception::Broadcast).to_bits(), 0b01101);
        assert_eq!(EpbFlags::inbound(Reception::Promiscuous).to_bits(), 0b10001);
        assert_eq!(EpbFlags::outbound().to_bits(), 0b00010);
        assert_eq!(EpbFlags::default().to_bits(), 0);
    }

    #[test]
    fn every_modelled_flag_combination_survives_bits_and_back() {
        let directions = [None, Some(Direction::In), Some(Direction::Out)];
        let receptions = [
            None,
            Some(Reception::Unicast),
            Some(Reception::Multicast),
            Some(Reception::Broadcast),
            Some(Reception::Promiscuous),
        ];
        for direction in directions {
            for reception in receptions {
                let f = EpbFlags {
                    direction,
                    reception,
                };
                assert_eq!(EpbFlags::from_bits(f.to_bits()), f);
            }
        }
    }

    #[test]
    fn invalid_direction_and_reception_codes_and_other_bits_read_as_unknown() {
        let f = EpbFlags::from_bits(0b11 | 0b111 << 2 | 0xffff_0000);
        assert_eq!(f, EpbFlags::default());
    }

    #[test]
    fn linux_packet_types_map_to_direction_and_reception() {
        assert_eq!(
            EpbFlags::from_linux_pkttype(PACKET_OTHERHOST),
            Some(EpbFlags::inbound(Reception::Promiscuous))
        );
        assert_eq!(
            EpbFlags::from_linux_pkttype(PACKET_OUTGOING),
            Some(EpbFlags::outbound())
        );
        // PACKET_LOOPBACK (5) and later are not packets a capture reports a direction for.
        assert_eq!(EpbFlags::from_linux_pkttype(5), None);
    }
}
