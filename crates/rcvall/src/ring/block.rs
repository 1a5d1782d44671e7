//! Reading one TPACKET_V3 block: a pure function over bytes.
//!
//! The kernel writes the block, but every offset and length in it is treated as untrusted:
//! a corrupt block yields an error, never a panic or a read outside the slice. That makes this
//! walker testable on synthetic blocks and fuzzable.

use std::fmt;

/// `struct tpacket_block_desc` (48 bytes): version, offset_to_priv, then `tpacket_hdr_v1`.
mod block_field {
    use std::ops::Range;
    pub const STATUS: Range<usize> = 8..12;
    pub const NUM_PKTS: Range<usize> = 12..16;
    pub const OFFSET_TO_FIRST_PKT: Range<usize> = 16..20;
    pub const BLK_LEN: Range<usize> = 20..24;
    pub const SEQ_NUM: Range<usize> = 24..32;
    pub const LEN: usize = 48;
}

/// `struct tpacket3_hdr` (48 bytes), followed by a `struct sockaddr_ll`.
mod frame_field {
    use std::ops::Range;
    pub const NEXT_OFFSET: Range<usize> = 0..4;
    pub const SEC: Range<usize> = 4..8;
    pub const NSEC: Range<usize> = 8..12;
    pub const SNAPLEN: Range<usize> = 12..16;
    pub const LEN: Range<usize> = 16..20;
    pub const STATUS: Range<usize> = 20..24;
    pub const MAC: Range<usize> = 24..26;
    pub const NET: Range<usize> = 26..28;
    pub const VLAN_TCI: Range<usize> = 32..36;
    /// TPACKET_ALIGN(sizeof(struct tpacket3_hdr)): where the sockaddr_ll starts.
    pub const SLL: usize = 48;
    /// sockaddr_ll fields, relative to SLL.
    pub const SLL_IFINDEX: Range<usize> = 4..8;
    pub const SLL_PKTTYPE: usize = 10;
    /// TPACKET3_HDRLEN: header plus sockaddr_ll.
    pub const HDRLEN: usize = SLL + 20;
}

/// TP_STATUS_VLAN_VALID: tp_vlan_tci holds a tag.
const TP_STATUS_VLAN_VALID: u32 = 1 << 4;

/// What a block's header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockHeader {
    /// TP_STATUS_* bits of the block (TP_STATUS_USER when handed over, TP_STATUS_BLK_TMO ...).
    pub status: u32,
    /// Frames in the block.
    pub num_pkts: u32,
    /// Offset of the first frame from the block's start.
    pub offset_to_first_pkt: u32,
    /// Bytes of the block in use.
    pub blk_len: u32,
    /// The kernel's block sequence number (counts every block ever handed over).
    pub seq_num: u64,
}

/// One packet in a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawFrame<'a> {
    /// The bytes kept, from the network header (cooked socket).
    pub data: &'a [u8],
    /// The length on the wire (before the snap length).
    pub wire_len: u32,
    /// Kernel timestamp in nanoseconds since the epoch.
    pub timestamp_ns: u64,
    /// TP_STATUS_* bits of the frame (CSUMNOTREADY, GSO_TCP, VLAN_VALID, ...).
    pub status: u32,
    /// PACKET_HOST, PACKET_OUTGOING, ...
    pub pkttype: u8,
    /// The interface the packet passed.
    pub ifindex: u32,
    /// The 802.1Q tag stripped by the NIC, if any.
    pub vlan_tci: Option<u16>,
}

/// Why a block or frame could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockError {
    /// The block is shorter than its own header.
    ShortBlock {
        /// Bytes available.
        len: usize,
    },
    /// A frame header or its data lies outside the block.
    FrameOutOfBounds {
        /// The frame's offset in the block.
        offset: usize,
    },
    /// tp_next_offset would not advance (zero or backwards) while frames remain.
    BadNextOffset {
        /// The frame's offset in the block.
        offset: usize,
        /// The offending tp_next_offset.
        next: u32,
    },
}

impl fmt::Display for BlockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlockError::ShortBlock { len } => write!(f, "ring block of {len} bytes has no header"),
            BlockError::FrameOutOfBounds { offset } => {
                write!(f, "ring frame at offset {offset} lies outside its block")
            }
            BlockError::BadNextOffset { offset, next } => {
                write!(f, "ring frame at offset {offset} has next offset {next}")
            }
        }
    }
}

impl std::error::Error for BlockError {}

#[inline]
fn u16_at(bytes: &[u8], range: std::ops::Range<usize>) -> u16 {
    u16::from_ne_bytes(bytes[range].try_into().expect("2-byte field"))
}

#[inline]
fn u32_at(bytes: &[u8], range: std::ops::Range<usize>) -> u32 {
    u32::from_ne_bytes(bytes[range].try_into().expect("4-byte field"))
}

/// Reads a block's header.
pub fn parse_header(block: &[u8]) -> Result<BlockHeader, BlockError> {
    if block.len() < block_field::LEN {
        return Err(BlockError::ShortBlock { len: block.len() });
    }
    Ok(BlockHeader {
        status: u32_at(block, block_field::STATUS),
        num_pkts: u32_at(block, block_field::NUM_PKTS),
        offset_to_first_pkt: u32_at(block, block_field::OFFSET_TO_FIRST_PKT),
        blk_len: u32_at(block, block_field::BLK_LEN),
        seq_num: u64::from_ne_bytes(block[block_field::SEQ_NUM].try_into().expect("8 bytes")),
    })
}

/// A place in a block's walk: the next frame's offset and how many frames are left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FramePosition {
    offset: usize,
    remaining: u32,
}

impl FramePosition {
    /// Frames not yet returned.
    pub fn remaining(&self) -> u32 {
        self.remaining
    }
}

/// The frames of a block, in order. Stops after the first error.
#[derive(Clone, Debug)]
pub struct Frames<'a> {
    block: &'a [u8],
    offset: usize,
    remaining: u32,
}

impl<'a> Frames<'a> {
    /// Walks the frames of `block` (the whole block, as mapped).
    pub fn new(block: &'a [u8]) -> Result<Frames<'a>, BlockError> {
        let header = parse_header(block)?;
        Ok(Frames {
            block,
            offset: header.offset_to_first_pkt as usize,
            remaining: header.num_pkts,
        })
    }

    /// Resumes a walk at a position an earlier walk of the same block reported.
    pub fn resume(block: &'a [u8], position: FramePosition) -> Frames<'a> {
        Frames {
            block,
            offset: position.offset,
            remaining: position.remaining,
        }
    }

    /// Where the walk stands: pass it to [`Frames::resume`] to continue later.
    pub fn position(&self) -> FramePosition {
        FramePosition {
            offset: self.offset,
            remaining: self.remaining,
        }
    }

    #[inline]
    fn frame_at(&self, offset: usize) -> Result<RawFrame<'a>, BlockError> {
        let out_of_bounds = BlockError::FrameOutOfBounds { offset };
        let header = offset
            .checked_add(frame_field::HDRLEN)
            .and_then(|end| self.block.get(offset..end))
            .ok_or(out_of_bounds)?;
        let snaplen = u32_at(header, frame_field::SNAPLEN) as usize;
        // Cooked sockets put tp_mac and tp_net at the network header; take the later one.
        let data_offset = usize::from(u16_at(header, frame_field::NET))
            .max(usize::from(u16_at(header, frame_field::MAC)));
        let data = offset
            .checked_add(data_offset)
            .and_then(|start| Some(start..start.checked_add(snaplen)?))
            .and_then(|range| self.block.get(range))
            .ok_or(out_of_bounds)?;
        let status = u32_at(header, frame_field::STATUS);
        let sll = &header[frame_field::SLL..];
        let sec = u64::from(u32_at(header, frame_field::SEC));
        let nsec = u64::from(u32_at(header, frame_field::NSEC));
        Ok(RawFrame {
            data,
            wire_len: u32_at(header, frame_field::LEN),
            timestamp_ns: sec * 1_000_000_000 + nsec,
            status,
            pkttype: sll[frame_field::SLL_PKTTYPE],
            ifindex: u32_at(sll, frame_field::SLL_IFINDEX),
            vlan_tci: (status & TP_STATUS_VLAN_VALID != 0)
                .then(|| u32_at(header, frame_field::VLAN_TCI) as u16),
        })
    }
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<RawFrame<'a>, BlockError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let offset = self.offset;
        let frame = match self.frame_at(offset) {
            Ok(frame) => frame,
            Err(err) => {
                self.remaining = 0;
                return Some(Err(err));
            }
        };
        self.remaining -= 1;
        if self.remaining > 0 {
            let next = u32_at(&self.block[offset..], frame_field::NEXT_OFFSET);
            if next < frame_field::HDRLEN as u32 {
                self.remaining = 0;
                return Some(Err(BlockError::BadNextOffset { offset, next }));
            }
            self.offset = offset + next as usize;
        }
        Some(Ok(frame))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.remaining as usize))
    }
}

/// Builds synthetic blocks laid out as the kernel lays them out (for tests and fuzzing).
#[cfg(any(test, fuzzing))]
pub mod synth {
    use super::{block_field, frame_field};

    /// One frame to put in a synthetic block.
    #[derive(Clone, Debug)]
    pub struct Frame {
        /// Data from the network header.
        pub data: Vec<u8>,
        /// Wire length.
        pub wire_len: u32,
        /// Timestamp, ns.
        pub timestamp_ns: u64,
        /// tp_status.
        pub status: u32,
        /// sll_pkttype.
        pub pkttype: u8,
        /// sll_ifindex.
        pub ifindex: u32,
    }

    fn put(block: &mut [u8], range: std::ops::Range<usize>, bytes: &[u8]) {
        block[range].copy_from_slice(bytes);
    }

    /// A block of `size` bytes holding `frames`, with `status` in its header.
    /// Frames are 16-byte aligned as TPACKET_ALIGN does; data starts after TPACKET3_HDRLEN.
    pub fn block(size: usize, status: u32, seq: u64, frames: &[Frame]) -> Vec<u8> {
        let mut block = vec![0u8; size];
        let first = block_field::LEN;
        let data_at = frame_field::HDRLEN.next_multiple_of(16);
        let mut offset = first;
        for (i, frame) in frames.iter().enumerate() {
            let len = (data_at + frame.data.len()).next_multiple_of(16);
            let next = if i + 1 == frames.len() { 0 } else { len as u32 };
            let at = |r: std::ops::Range<usize>| offset + r.start..offset + r.end;
            put(
                &mut block,
                at(frame_field::NEXT_OFFSET),
                &next.to_ne_bytes(),
            );
            let sec = (frame.timestamp_ns / 1_000_000_000) as u32;
            let nsec = (frame.timestamp_ns % 1_000_000_000) as u32;
            put(&mut block, at(frame_field::SEC), &sec.to_ne_bytes());
            put(&mut block, at(frame_field::NSEC), &nsec.to_ne_bytes());
            let snaplen = frame.data.len() as u32;
            put(&mut block, at(frame_field::SNAPLEN), &snaplen.to_ne_bytes());
            put(
                &mut block,
                at(frame_field::LEN),
                &frame.wire_len.to_ne_bytes(),
            );
            put(
                &mut block,
                at(frame_field::STATUS),
                &frame.status.to_ne_bytes(),
            );
            put(
                &mut block,
                at(frame_field::MAC),
                &(data_at as u16).to_ne_bytes(),
            );
            put(
                &mut block,
                at(frame_field::NET),
                &(data_at as u16).to_ne_bytes(),
            );
            let sll = offset + frame_field::SLL;
            let ifindex = sll + frame_field::SLL_IFINDEX.start..sll + frame_field::SLL_IFINDEX.end;
            put(&mut block, ifindex, &frame.ifindex.to_ne_bytes());
            block[sll + frame_field::SLL_PKTTYPE] = frame.pkttype;
            let data = offset + data_at..offset + data_at + frame.data.len();
            put(&mut block, data, &frame.data);
            offset += len;
        }
        put(&mut block, block_field::STATUS, &status.to_ne_bytes());
        put(
            &mut block,
            block_field::NUM_PKTS,
            &(frames.len() as u32).to_ne_bytes(),
        );
        put(
            &mut block,
            block_field::OFFSET_TO_FIRST_PKT,
            &(first as u32).to_ne_bytes(),
        );
        put(
            &mut block,
            block_field::BLK_LEN,
            &(offset as u32).to_ne_bytes(),
        );
        put(&mut block, block_field::SEQ_NUM, &seq.to_ne_bytes());
        block
    }
}

#[cfg(test)]
mod tests {
    use super::synth::{block, Frame};
    use super::*;
    use proptest::prelude::*;

    fn frame(data: &[u8], pkttype: u8) -> Frame {
        Frame {
            data: data.to_vec(),
            wire_len: data.len() as u32 + 7,
            timestamp_ns: 1_700_000_000_123_456_789,
            status: 1 << 3,
            pkttype,
            ifindex: 42,
        }
    }

    #[test]
    fn walks_every_frame_with_its_metadata() {
        let frames = [
            frame(b"\x45first", 0),
            frame(b"\x60second!", 4),
            frame(&[0x45; 300], 3),
        ];
        let bytes = block(4096, 1, 9, &frames);
        let header = parse_header(&bytes).unwrap();
        assert_eq!((header.status, header.num_pkts, header.seq_num), (1, 3, 9));
        let got: Vec<_> = Frames::new(&bytes)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(got.len(), 3);
        for (got, want) in got.iter().zip(&frames) {
            assert_eq!(got.data, &want.data[..]);
            assert_eq!(got.wire_len, want.wire_len);
            assert_eq!(got.timestamp_ns, want.timestamp_ns);
            assert_eq!(
                (got.pkttype, got.ifindex, got.status),
                (want.pkttype, 42, 1 << 3)
            );
            assert_eq!(got.vlan_tci, None);
        }
    }

    #[test]
    fn a_walk_resumes_where_it_stopped() {
        let frames = [frame(b"one", 0), frame(b"two", 0), frame(b"three", 0)];
        let bytes = block(4096, 1, 1, &frames);
        let mut walk = Frames::new(&bytes).unwrap();
        assert_eq!(walk.next().unwrap().unwrap().data, b"one");
        let position = walk.position();
        assert_eq!(position.remaining(), 2);
        let rest: Vec<_> = Frames::resume(&bytes, position)
            .map(|f| f.unwrap().data)
            .collect();
        assert_eq!(rest, [&b"two"[..], b"three"]);
    }

    #[test]
    fn an_empty_block_has_no_frames() {
        let bytes = block(4096, 1 | (1 << 5), 1, &[]);
        assert_eq!(Frames::new(&bytes).unwrap().count(), 0);
    }

    #[test]
    fn a_short_block_is_an_error() {
        assert_eq!(
            parse_header(&[0u8; 47]),
            Err(BlockError::ShortBlock { len: 47 })
        );
    }

    #[test]
    fn data_past_the_block_end_is_an_error_not_a_panic() {
        let mut bytes = block(4096, 1, 1, &[frame(b"abc", 0)]);
        // snaplen claims 10,000 bytes
        let snap = block_field::LEN + frame_field::SNAPLEN.start;
        bytes[snap..snap + 4].copy_from_slice(&10_000u32.to_ne_bytes());
        let mut frames = Frames::new(&bytes).unwrap();
        assert_eq!(
            frames.next(),
            Some(Err(BlockError::FrameOutOfBounds {
                offset: block_field::LEN
            }))
        );
        assert_eq!(frames.next(), None);
    }

    #[test]
    fn a_zero_next_offset_with_frames_left_is_an_error() {
        let mut bytes = block(4096, 1, 1, &[frame(b"a", 0), frame(b"b", 0)]);
        let next = block_field::LEN + frame_field::NEXT_OFFSET.start;
        bytes[next..next + 4].copy_from_slice(&0u32.to_ne_bytes());
        let results: Vec<_> = Frames::new(&bytes).unwrap().collect();
        assert!(matches!(
            results[..],
            [Err(BlockError::BadNextOffset { next: 0, .. })]
        ));
    }

    /// From the `ring_block` fuzz target's corpus: a header claiming u32::MAX frames over a
    /// chain whose next offsets run past the block. The walk must end at the block's end with
    /// one error, not count on num_pkts.
    #[test]
    fn a_huge_num_pkts_over_a_chain_past_the_block_end_stops_at_the_end() {
        let mut bytes = block(1024, 1, 1, &[frame(b"a", 0), frame(b"b", 0)]);
        let num_pkts = block_field::NUM_PKTS;
        bytes[num_pkts].copy_from_slice(&u32::MAX.to_ne_bytes());
        let second = block_field::LEN
            + u32_at(&bytes[block_field::LEN..], frame_field::NEXT_OFFSET) as usize;
        let next = second + frame_field::NEXT_OFFSET.start;
        bytes[next..next + 4].copy_from_slice(&900u32.to_ne_bytes());
        let results: Vec<_> = Frames::new(&bytes).unwrap().collect();
        assert_eq!(results.len(), 3);
        assert_eq!(results[1].unwrap().data, b"b");
        assert_eq!(
            results[2],
            Err(BlockError::FrameOutOfBounds {
                offset: second + 900
            })
        );
    }

    /// From the fuzz target's invariant: a walk paused after any frame and resumed from its
    /// position yields the uninterrupted walk, also when that walk ends in an error.
    #[test]
    fn a_walk_resumed_before_an_error_ends_in_the_same_error() {
        let mut bytes = block(
            4096,
            1,
            1,
            &[frame(b"a", 0), frame(b"b", 0), frame(b"c", 0)],
        );
        let second = block_field::LEN
            + u32_at(&bytes[block_field::LEN..], frame_field::NEXT_OFFSET) as usize;
        let snap = second + frame_field::SNAPLEN.start;
        bytes[snap..snap + 4].copy_from_slice(&u32::MAX.to_ne_bytes());
        let whole: Vec<_> = Frames::new(&bytes).unwrap().collect();
        let mut paused = Frames::new(&bytes).unwrap();
        let head = paused.next();
        let resumed: Vec<_> = head
            .into_iter()
            .chain(Frames::resume(&bytes, paused.position()))
            .collect();
        assert_eq!(resumed, whole);
        assert_eq!(whole.len(), 2);
        assert_eq!(
            whole[1],
            Err(BlockError::FrameOutOfBounds { offset: second })
        );
    }

    proptest! {
        #[test]
        fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            if let Ok(frames) = Frames::new(&bytes) {
                for frame in frames.take(10_000).flatten() {
                    prop_assert!(frame.data.len() <= bytes.len());
                }
            }
        }

        #[test]
        fn synthetic_blocks_round_trip(
            datas in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 0..20),
            pkttype in 0u8..5,
        ) {
            let frames: Vec<Frame> = datas.iter().map(|d| frame(d, pkttype)).collect();
            let bytes = block(8192, 1, 3, &frames);
            let got: Vec<_> = Frames::new(&bytes).unwrap().collect::<Result<_, _>>().unwrap();
            prop_assert_eq!(got.len(), frames.len());
            for (got, want) in got.iter().zip(&frames) {
                prop_assert_eq!(got.data, &want.data[..]);
            }
        }
    }
}
