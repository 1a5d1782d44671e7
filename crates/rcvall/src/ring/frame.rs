//! Reading one TPACKET_V2 frame: a pure function over bytes (the low-latency ring).
//!
//! TPACKET_V2 hands each frame to user space as soon as it is written, with a wake-up per
//! packet; TPACKET_V3 only when a whole block fills or its retire timer fires.

use super::block::{BlockError, RawFrame};

/// `struct tpacket2_hdr` (32 bytes), followed by a `struct sockaddr_ll`.
mod field {
    use std::ops::Range;
    pub const STATUS: Range<usize> = 0..4;
    pub const LEN: Range<usize> = 4..8;
    pub const SNAPLEN: Range<usize> = 8..12;
    pub const MAC: Range<usize> = 12..14;
    pub const NET: Range<usize> = 14..16;
    pub const SEC: Range<usize> = 16..20;
    pub const NSEC: Range<usize> = 20..24;
    pub const VLAN_TCI: Range<usize> = 24..26;
    /// TPACKET_ALIGN(sizeof(struct tpacket2_hdr)): where the sockaddr_ll starts.
    pub const SLL: usize = 32;
    pub const SLL_IFINDEX: Range<usize> = SLL + 4..SLL + 8;
    pub const SLL_PKTTYPE: usize = SLL + 10;
    /// TPACKET2_HDRLEN: header plus sockaddr_ll.
    pub const HDRLEN: usize = SLL + 20;
}

/// Where a cooked socket's data starts in a V2 frame: TPACKET_ALIGN(TPACKET2_HDRLEN) + 16
/// (tpacket_rcv reserves 16 bytes for a link header even when there is none).
pub const DATA_OFFSET: usize = field::HDRLEN.next_multiple_of(16) + 16;

/// TP_STATUS_VLAN_VALID: tp_vlan_tci holds a tag.
const TP_STATUS_VLAN_VALID: u32 = 1 << 4;

fn u16_at(bytes: &[u8], range: std::ops::Range<usize>) -> u16 {
    u16::from_ne_bytes(bytes[range].try_into().expect("2-byte field"))
}

fn u32_at(bytes: &[u8], range: std::ops::Range<usize>) -> u32 {
    u32::from_ne_bytes(bytes[range].try_into().expect("4-byte field"))
}

/// Reads the packet in a V2 frame (the whole frame slot, as mapped). Offsets and lengths are
/// untrusted: a frame that does not hold what its header claims is an error.
pub fn parse(frame: &[u8]) -> Result<RawFrame<'_>, BlockError> {
    let out_of_bounds = BlockError::FrameOutOfBounds { offset: 0 };
    let header = frame.get(..field::HDRLEN).ok_or(out_of_bounds)?;
    let snaplen = u32_at(header, field::SNAPLEN) as usize;
    let start =
        usize::from(u16_at(header, field::NET)).max(usize::from(u16_at(header, field::MAC)));
    let data = start
        .checked_add(snaplen)
        .and_then(|end| frame.get(start..end))
        .ok_or(out_of_bounds)?;
    let status = u32_at(header, field::STATUS);
    let sec = u64::from(u32_at(header, field::SEC));
    let nsec = u64::from(u32_at(header, field::NSEC));
    Ok(RawFrame {
        data,
        wire_len: u32_at(header, field::LEN),
        timestamp_ns: sec * 1_000_000_000 + nsec,
        status,
        pkttype: header[field::SLL_PKTTYPE],
        ifindex: u32_at(header, field::SLL_IFINDEX),
        vlan_tci: (status & TP_STATUS_VLAN_VALID != 0).then(|| u16_at(header, field::VLAN_TCI)),
    })
}

/// Builds a V2 frame slot as the kernel writes it (for tests and fuzzing).
#[cfg(any(test, fuzzing))]
pub fn synth(
    slot: usize,
    status: u32,
    data: &[u8],
    wire_len: u32,
    ts_ns: u64,
    pkttype: u8,
    ifindex: u32,
) -> Vec<u8> {
    let mut frame = vec![0u8; slot];
    let mut put = |range: std::ops::Range<usize>, bytes: &[u8]| frame[range].copy_from_slice(bytes);
    put(field::STATUS, &status.to_ne_bytes());
    put(field::LEN, &wire_len.to_ne_bytes());
    put(field::SNAPLEN, &(data.len() as u32).to_ne_bytes());
    put(field::MAC, &(DATA_OFFSET as u16).to_ne_bytes());
    put(field::NET, &(DATA_OFFSET as u16).to_ne_bytes());
    put(field::SEC, &((ts_ns / 1_000_000_000) as u32).to_ne_bytes());
    put(field::NSEC, &((ts_ns % 1_000_000_000) as u32).to_ne_bytes());
    put(field::SLL_IFINDEX, &ifindex.to_ne_bytes());
    put(DATA_OFFSET..DATA_OFFSET + data.len(), data);
    frame[field::SLL_PKTTYPE] = pkttype;
    frame
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn data_starts_where_tpacket_rcv_puts_it_for_cooked_sockets() {
        assert_eq!(DATA_OFFSET, 80);
    }

    #[test]
    fn reads_a_frame() {
        let slot = synth(2048, 1, b"\x45abc", 90, 1_700_000_000_000_000_123, 4, 9);
        let frame = parse(&slot).unwrap();
        assert_eq!(frame.data, b"\x45abc");
        assert_eq!((frame.wire_len, frame.pkttype, frame.ifindex), (90, 4, 9));
        assert_eq!(frame.timestamp_ns, 1_700_000_000_000_000_123);
        assert_eq!(frame.status, 1);
    }

    #[test]
    fn a_snaplen_past_the_slot_is_an_error() {
        let mut slot = synth(256, 1, b"abc", 3, 0, 0, 1);
        slot[field::SNAPLEN].copy_from_slice(&1000u32.to_ne_bytes());
        assert!(parse(&slot).is_err());
        assert!(parse(&slot[..20]).is_err());
    }

    proptest! {
        #[test]
        fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            if let Ok(frame) = parse(&bytes) {
                prop_assert!(frame.data.len() <= bytes.len());
            }
        }
    }
}
