//! Packet records encoded straight into a caller's byte slice: the hot path of a capture.
//!
//! The streaming writers ([`crate::PcapngWriter`], [`crate::PcapWriter`]) assemble each block
//! in a scratch `Vec` and hand it to an `io::Write`; at a million packets a second that costs
//! more than the capture itself (a measured ~65 ns per 64-byte packet, mostly `Vec` growth
//! checks per field). Here a record is one fixed-size header built on the stack, one copy of
//! the packet and a fixed trailer, written into memory the caller owns (a large aligned buffer
//! handed later to a writer thread), with the length checked once up front.

use std::io;

use crate::pcap::RECORD_HEADER_LEN;
use crate::pcapng::{block, check_lengths, check_packet, invalid_input, layout, option, pad4};

/// EPB header: type, total length, interface id, timestamp (2 words), captured, original.
const EPB_HEAD_LEN: usize = layout::HEADER_LEN + layout::epb::FIXED_LEN;
/// The epb_flags option (code, length, value) and opt_endofopt.
const EPB_FLAGS_OPTION_LEN: usize = layout::OPTION_HEADER_LEN + 4 + layout::OPTION_HEADER_LEN;

/// Bytes an Enhanced Packet Block of `captured` bytes takes, with or without epb_flags.
pub fn epb_len(captured: usize, with_flags: bool) -> usize {
    EPB_HEAD_LEN
        + captured
        + pad4(captured)
        + if with_flags { EPB_FLAGS_OPTION_LEN } else { 0 }
        + layout::TRAILER_LEN
}

/// Bytes a classic pcap record of `captured` bytes takes.
pub fn pcap_record_len(captured: usize) -> usize {
    RECORD_HEADER_LEN + captured
}

/// Encodes Enhanced Packet Blocks for a section whose interfaces are already described.
#[derive(Clone, Debug, Default)]
pub struct EpbEncoder {
    /// Snap length of each interface, indexed by interface id (0 = none).
    snaplens: Vec<u32>,
}

impl EpbEncoder {
    /// An encoder for interfaces with these snap lengths, in interface-id order.
    pub fn new(snaplens: Vec<u32>) -> Self {
        EpbEncoder { snaplens }
    }

    /// Writes the block for `p` at the start of `out` and returns its length, the same bytes
    /// [`crate::PcapngWriter::write_packet`] writes. `Ok(None)` when `out` is too short (nothing
    /// is written); `InvalidInput` for an unknown interface or a packet over its snap length.
    #[inline]
    pub fn encode(&self, out: &mut [u8], p: &crate::PacketRecord<'_>) -> io::Result<Option<usize>> {
        self.encode_parts(
            out,
            p.interface_id,
            p.timestamp_ns,
            p.original_len,
            p.data,
            p.flags.map(crate::EpbFlags::to_bits),
        )
    }

    /// [`EpbEncoder::encode`] with the packet's fields passed one by one and epb_flags as
    /// its 32-bit word (precomputed by callers that write millions of packets).
    #[inline]
    pub fn encode_parts(
        &self,
        out: &mut [u8],
        interface_id: u32,
        timestamp_ns: u64,
        original_len: u32,
        data: &[u8],
        flags: Option<u32>,
    ) -> io::Result<Option<usize>> {
        let Some(&snaplen) = self.snaplens.get(interface_id as usize) else {
            return Err(unknown_interface(interface_id));
        };
        let captured = data.len();
        if captured > original_len as usize || (snaplen != 0 && captured > snaplen as usize) {
            return check_packet(data, original_len, snaplen).map(|_| None);
        }
        let padded = (captured + 3) & !3;
        let total = EPB_HEAD_LEN
            + padded
            + if flags.is_some() {
                EPB_FLAGS_OPTION_LEN
            } else {
                0
            }
            + layout::TRAILER_LEN;
        let Some(out) = out.get_mut(..total) else {
            return Ok(None);
        };
        let total32 = total as u32;
        let head: &mut [u8; EPB_HEAD_LEN] = (&mut out[..EPB_HEAD_LEN])
            .try_into()
            .expect("the slice is the header's length");
        epb_head(
            head,
            total,
            interface_id,
            timestamp_ns,
            captured,
            original_len,
        );
        // Zero the last word of the padded data first and copy the data over it: the
        // padding is then zero without a variable-length fill.
        let data_end = EPB_HEAD_LEN + padded;
        if padded != captured {
            out[data_end - 4..data_end].copy_from_slice(&[0; 4]);
        }
        copy_packet(&mut out[EPB_HEAD_LEN..EPB_HEAD_LEN + captured], data);
        let mut at = data_end;
        if let Some(bits) = flags {
            out[at..at + EPB_FLAGS_OPTION_LEN].copy_from_slice(&flags_option(bits));
            at += EPB_FLAGS_OPTION_LEN;
        }
        out[at..at + 4].copy_from_slice(&total32.to_ne_bytes());
        Ok(Some(total))
    }

    /// The bytes of the block around a packet of `captured` bytes (see [`Framing`]): for a
    /// writer that writes the data from where it lies. Errors as [`EpbEncoder::encode`].
    pub fn framing(
        &self,
        interface_id: u32,
        timestamp_ns: u64,
        original_len: u32,
        captured: usize,
        flags: Option<u32>,
    ) -> io::Result<Framing> {
        let Some(&snaplen) = self.snaplens.get(interface_id as usize) else {
            return Err(unknown_interface(interface_id));
        };
        check_lengths(captured, original_len, snaplen)?;
        let padding = pad4(captured);
        let options = if flags.is_some() {
            EPB_FLAGS_OPTION_LEN
        } else {
            0
        };
        let total = EPB_HEAD_LEN + captured + padding + options + layout::TRAILER_LEN;
        let mut framing = Framing {
            head: [0; EPB_HEAD_LEN],
            head_len: EPB_HEAD_LEN as u8,
            tail: [0; MAX_TAIL_LEN],
            tail_len: (padding + options + layout::TRAILER_LEN) as u8,
        };
        epb_head(
            &mut framing.head,
            total,
            interface_id,
            timestamp_ns,
            captured,
            original_len,
        );
        // The tail: zero padding (already zero), the option, the total length again.
        let mut at = padding;
        if let Some(bits) = flags {
            framing.tail[at..at + EPB_FLAGS_OPTION_LEN].copy_from_slice(&flags_option(bits));
            at += EPB_FLAGS_OPTION_LEN;
        }
        framing.tail[at..at + 4].copy_from_slice(&(total as u32).to_ne_bytes());
        Ok(framing)
    }
}

/// The longest tail of a record: 3 bytes of padding, the epb_flags option, the trailer.
const MAX_TAIL_LEN: usize = 3 + EPB_FLAGS_OPTION_LEN + layout::TRAILER_LEN;

/// What a record holds around its packet's data: the bytes before it and after it. A writer
/// that writes `head`, the data and `tail` one after the other (a gathered write, straight
/// from the capture ring) writes the same bytes as [`EpbEncoder::encode`] or
/// [`encode_pcap_record`].
#[derive(Clone, Copy, Debug)]
pub struct Framing {
    head: [u8; EPB_HEAD_LEN],
    head_len: u8,
    tail: [u8; MAX_TAIL_LEN],
    tail_len: u8,
}

impl Framing {
    /// The bytes before the data.
    pub fn head(&self) -> &[u8] {
        &self.head[..usize::from(self.head_len)]
    }

    /// The bytes after the data (none for pcap).
    pub fn tail(&self) -> &[u8] {
        &self.tail[..usize::from(self.tail_len)]
    }
}

/// The EPB's first seven words. Blocks are far below 4 GiB: the captured length is at most
/// the snap length (or a u32 original length) and the rest is a few dozen bytes.
#[inline]
fn epb_head(
    head: &mut [u8; EPB_HEAD_LEN],
    total: usize,
    interface_id: u32,
    timestamp_ns: u64,
    captured: usize,
    original_len: u32,
) {
    let words = [
        block::ENHANCED_PACKET,
        total as u32,
        interface_id,
        (timestamp_ns >> 32) as u32,
        timestamp_ns as u32,
        captured as u32,
        original_len,
    ];
    for i in 0..words.len() {
        head[4 * i..4 * i + 4].copy_from_slice(&words[i].to_ne_bytes());
    }
}

/// The epb_flags option and opt_endofopt (code 0, length 0).
#[inline]
fn flags_option(bits: u32) -> [u8; EPB_FLAGS_OPTION_LEN] {
    let mut opt = [0u8; EPB_FLAGS_OPTION_LEN];
    opt[0..2].copy_from_slice(&option::EPB_FLAGS.to_ne_bytes());
    opt[2..4].copy_from_slice(&4u16.to_ne_bytes());
    opt[4..8].copy_from_slice(&bits.to_ne_bytes());
    opt
}

/// `dst.copy_from_slice(src)`, with packets under 64 bytes (a 64-byte frame's IP packet, the
/// bulk of a small-packet flood) copied by two fixed-size copies that overlap in the middle:
/// straight-line vector moves. A loop over 16-byte steps is turned back into a call to memcpy
/// by the compiler, and memcpy's size dispatch costs about as much as copying such a packet
/// (encoder alone, 50 bytes: 6.8–7.2 → 6.4–6.6 ns/pkt); from 64 bytes up the call is kept
/// (larger fixed-size classes measured no better).
#[inline]
fn copy_packet(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    let dst = &mut dst[..n];
    match n {
        0..=3 => {
            for (d, s) in dst.iter_mut().zip(src) {
                *d = *s;
            }
        }
        4..=7 => copy_ends::<4>(dst, src),
        8..=15 => copy_ends::<8>(dst, src),
        16..=31 => copy_ends::<16>(dst, src),
        32..=63 => copy_ends::<32>(dst, src),
        _ => dst.copy_from_slice(src),
    }
}

/// Copies the first and the last `K` bytes of `src` (`K <= len <= 2K`: together, all of it).
#[inline(always)]
fn copy_ends<const K: usize>(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    let head: [u8; K] = src[..K].try_into().expect("len >= K");
    let tail: [u8; K] = src[n - K..].try_into().expect("len >= K");
    dst[..K].copy_from_slice(&head);
    dst[n - K..].copy_from_slice(&tail);
}

#[cold]
fn unknown_interface(id: u32) -> io::Error {
    invalid_input(format!("interface id {id} unknown"))
}

/// Writes a classic pcap record (nanosecond timestamps) at the start of `out`; returns its
/// length, or `Ok(None)` when `out` is too short. Same bytes as
/// [`crate::PcapWriter::write_packet`].
pub fn encode_pcap_record(
    out: &mut [u8],
    snaplen: u32,
    timestamp_ns: u64,
    original_len: u32,
    data: &[u8],
) -> io::Result<Option<usize>> {
    let head = pcap_record_head(snaplen, timestamp_ns, original_len, data.len())?;
    let total = pcap_record_len(data.len());
    let Some(out) = out.get_mut(..total) else {
        return Ok(None);
    };
    let (to_head, body) = out.split_at_mut(RECORD_HEADER_LEN);
    to_head.copy_from_slice(&head);
    body.copy_from_slice(data);
    Ok(Some(total))
}

/// The bytes around a packet of `captured` bytes in a classic pcap record (see [`Framing`]):
/// the 16-byte record header, and no tail.
pub fn pcap_record_framing(
    snaplen: u32,
    timestamp_ns: u64,
    original_len: u32,
    captured: usize,
) -> io::Result<Framing> {
    let mut framing = Framing {
        head: [0; EPB_HEAD_LEN],
        head_len: RECORD_HEADER_LEN as u8,
        tail: [0; MAX_TAIL_LEN],
        tail_len: 0,
    };
    framing.head[..RECORD_HEADER_LEN].copy_from_slice(&pcap_record_head(
        snaplen,
        timestamp_ns,
        original_len,
        captured,
    )?);
    Ok(framing)
}

fn pcap_record_head(
    snaplen: u32,
    timestamp_ns: u64,
    original_len: u32,
    captured: usize,
) -> io::Result<[u8; RECORD_HEADER_LEN]> {
    let captured = check_lengths(captured, original_len, snaplen)?;
    let secs = u32::try_from(timestamp_ns / 1_000_000_000)
        .map_err(|_| invalid_input("timestamp beyond pcap's 32-bit seconds (year 2106)"))?;
    let words = [
        secs,
        (timestamp_ns % 1_000_000_000) as u32,
        captured,
        original_len,
    ];
    let mut head = [0u8; RECORD_HEADER_LEN];
    for (slot, word) in head.chunks_exact_mut(4).zip(words) {
        slot.copy_from_slice(&word.to_ne_bytes());
    }
    Ok(head)
}

/// Where whole records end in `bytes`, a stretch of a capture file that starts at a record
/// boundary: `(end of the last whole record, packet records among them)`. For a file that was
/// cut short (a full disk) this is where to cut it back to and how many packets it then holds.
/// `pcap_header` says `bytes` starts with a classic pcap file header, skipped first.
pub fn whole_records(bytes: &[u8], pcapng: bool, pcap_header: bool) -> (usize, u64) {
    let mut at = 0usize;
    let mut packets = 0u64;
    if !pcapng && pcap_header {
        if bytes.len() < crate::pcap::FILE_HEADER_LEN {
            return (0, 0);
        }
        at = crate::pcap::FILE_HEADER_LEN;
    }
    loop {
        let rest = &bytes[at..];
        let (len, is_packet) = if pcapng {
            let Some(head) = rest.get(..layout::HEADER_LEN) else {
                break;
            };
            let kind = u32::from_ne_bytes(head[0..4].try_into().expect("4 bytes"));
            let len = u32::from_ne_bytes(head[4..8].try_into().expect("4 bytes")) as usize;
            if len < layout::HEADER_LEN + layout::TRAILER_LEN {
                break;
            }
            (len, kind == block::ENHANCED_PACKET)
        } else {
            let Some(head) = rest.get(..RECORD_HEADER_LEN) else {
                break;
            };
            let incl = u32::from_ne_bytes(head[8..12].try_into().expect("4 bytes")) as usize;
            (RECORD_HEADER_LEN + incl, true)
        };
        if rest.len() < len {
            break;
        }
        at += len;
        packets += u64::from(is_packet);
    }
    (at, packets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::EpbFlags;
    use crate::{InterfaceDesc, LinkType, PacketRecord, PcapWriter, PcapngWriter};
    use proptest::prelude::*;

    fn streamed_epb(p: &PacketRecord<'_>, snaplen: u32) -> Vec<u8> {
        let mut w = PcapngWriter::new(Vec::new(), "x").unwrap();
        w.add_interface(&InterfaceDesc {
            snaplen,
            ..InterfaceDesc::default()
        })
        .unwrap();
        let before = w.get_ref().len();
        w.write_packet(p).unwrap();
        w.into_inner().unwrap()[before..].to_vec()
    }

    #[test]
    fn the_small_packet_copy_copies_every_length_exactly() {
        // Every size class of copy_packet and both of its boundaries, up to the memcpy path.
        let src: Vec<u8> = (0..300u32).map(|i| (i * 7 + 1) as u8).collect();
        for n in 0..=300 {
            let mut dst = vec![0xEEu8; n + 8];
            copy_packet(&mut dst, &src[..n]);
            assert_eq!(&dst[..n], &src[..n], "length {n}");
            assert!(
                dst[n..].iter().all(|&b| b == 0xEE),
                "length {n} wrote past its end"
            );
        }
    }

    proptest! {
        #[test]
        fn encoded_blocks_equal_the_streaming_writers(
            data in proptest::collection::vec(any::<u8>(), 0..300),
            extra in 0u32..100,
            ts in any::<u64>(),
            flags in proptest::option::of(0u8..5),
        ) {
            let p = PacketRecord {
                interface_id: 0,
                timestamp_ns: ts,
                original_len: data.len() as u32 + extra,
                data: &data,
                flags: flags.and_then(EpbFlags::from_linux_pkttype),
            };
            let expected = streamed_epb(&p, 0);
            let mut out = vec![0xAA; expected.len() + 7];
            let n = EpbEncoder::new(vec![0]).encode(&mut out, &p).unwrap().unwrap();
            prop_assert_eq!(n, epb_len(data.len(), p.flags.is_some()));
            prop_assert_eq!(&out[..n], &expected[..]);
            prop_assert_eq!(whole_records(&out[..n], true, false), (n, 1));
            let framing = EpbEncoder::new(vec![0])
                .framing(0, ts, p.original_len, data.len(), p.flags.map(EpbFlags::to_bits))
                .unwrap();
            let gathered = [framing.head(), &data, framing.tail()].concat();
            prop_assert_eq!(&gathered[..], &expected[..], "head + data + tail is the block");
        }

        #[test]
        fn encoded_pcap_records_equal_the_streaming_writers(
            data in proptest::collection::vec(any::<u8>(), 0..300),
            ts in 0u64..4_000_000_000_000_000_000,
        ) {
            let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 0).unwrap();
            w.write_packet(ts, data.len() as u32, &data).unwrap();
            let expected = w.into_inner().unwrap()[24..].to_vec();
            let mut out = vec![0u8; expected.len()];
            let n = encode_pcap_record(&mut out, 262_144, ts, data.len() as u32, &data)
                .unwrap()
                .unwrap();
            prop_assert_eq!(&out[..n], &expected[..]);
            let framing = pcap_record_framing(262_144, ts, data.len() as u32, data.len()).unwrap();
            prop_assert!(framing.tail().is_empty());
            prop_assert_eq!(&[framing.head(), &data].concat()[..], &expected[..]);
        }
    }

    #[test]
    fn a_short_buffer_writes_nothing_and_bad_packets_are_refused() {
        let enc = EpbEncoder::new(vec![4]);
        let p = PacketRecord {
            interface_id: 0,
            timestamp_ns: 1,
            original_len: 4,
            data: &[0x45, 0, 0, 0],
            flags: None,
        };
        let mut short = [7u8; 20];
        assert_eq!(enc.encode(&mut short, &p).unwrap(), None);
        assert_eq!(short, [7u8; 20]);
        let long = PacketRecord {
            data: &[0x45; 5],
            original_len: 5,
            ..p
        };
        assert!(enc.encode(&mut [0; 100], &long).is_err());
        let unknown = PacketRecord {
            interface_id: 1,
            ..p
        };
        assert!(enc.encode(&mut [0; 100], &unknown).is_err());
    }

    #[test]
    fn whole_records_stop_at_the_last_complete_one() {
        let enc = EpbEncoder::new(vec![0]);
        let mut buf = vec![0u8; 4096];
        let mut at = 0;
        for i in 0..3u8 {
            let data = vec![i; 10 + usize::from(i)];
            let p = PacketRecord {
                interface_id: 0,
                timestamp_ns: 0,
                original_len: data.len() as u32,
                data: &data,
                flags: None,
            };
            at += enc.encode(&mut buf[at..], &p).unwrap().unwrap();
        }
        let first = epb_len(10, false);
        assert_eq!(whole_records(&buf[..at], true, false), (at, 3));
        assert_eq!(whole_records(&buf[..at - 1], true, false).1, 2);
        assert_eq!(whole_records(&buf[..first + 3], true, false), (first, 1));
        // pcap: the file header is skipped, then records.
        let mut pcap = vec![0u8; 24];
        pcap.extend_from_slice(&[0; 8]);
        pcap.extend_from_slice(&2u32.to_ne_bytes());
        pcap.extend_from_slice(&2u32.to_ne_bytes());
        pcap.extend_from_slice(&[0x45, 0]);
        assert_eq!(whole_records(&pcap, false, true), (42, 1));
        assert_eq!(whole_records(&pcap[..41], false, true), (24, 0));
    }
}
