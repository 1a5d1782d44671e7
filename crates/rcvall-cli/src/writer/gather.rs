//! Writing a lent ring block straight from the ring: each packet's framing (its EPB or pcap
//! record header and trailer) is built in a small arena and the packet's bytes are written
//! from where the kernel put them, with one writev for hundreds of packets. A full-size packet
//! is then never copied in user space: to /dev/null it is not copied at all, into a pipe or a
//! terminal once, by the kernel — where the chunk path copies it once more into a chunk.

use rcvall::{LentBatch, Packet};
use rcvall_pcap::{encode_pcap_record, pcap_record_framing, EpbEncoder, EpbFlags, Framing};
use std::fs::File;
use std::io::{self, IoSlice, Write};

/// Data this short is copied next to its framing (one piece of the write instead of three):
/// below it the copy costs less than the kernel's work per iovec.
const COPY_BELOW: usize = 512;
/// Blocks whose packets are at least this long are lent to the writer; shorter ones are
/// encoded into chunks, which is cheaper for them.
pub const LEND_FROM_BYTES: usize = COPY_BELOW;
/// Pieces per writev: the kernel takes at most IOV_MAX (1024).
const MAX_PIECES: usize = 1024;
/// The arena of framings and short packets, per writev.
const ARENA_BYTES: usize = 256 << 10;

/// How records are encoded: into a chunk whole ([`Framer::encode`]), or as the framing around
/// data written from where it lies ([`Framer::framing`]).
#[derive(Clone, Debug)]
pub enum Framer {
    Pcapng {
        epb: EpbEncoder,
        /// epb_flags words by Linux packet type.
        flags_by_pkttype: [Option<u32>; 8],
    },
    Pcap {
        snaplen: u32,
    },
}

impl Framer {
    /// The framer of a pcapng section with these interfaces' snap lengths (0 = none), or of
    /// a pcap file (whose header's snap length is `pcap_snaplen`).
    pub fn new(pcapng: bool, snaplens: Vec<u32>, pcap_snaplen: u32) -> Framer {
        if pcapng {
            Framer::Pcapng {
                epb: EpbEncoder::new(snaplens),
                flags_by_pkttype: std::array::from_fn(|t| {
                    EpbFlags::from_linux_pkttype(t as u8).map(EpbFlags::to_bits)
                }),
            }
        } else {
            Framer::Pcap {
                snaplen: pcap_snaplen,
            }
        }
    }

    pub fn is_pcapng(&self) -> bool {
        matches!(self, Framer::Pcapng { .. })
    }

    /// Encodes one record at the start of `out`: its length, or None when `out` is short.
    #[inline]
    pub fn encode(
        &self,
        out: &mut [u8],
        slot: usize,
        timestamp_ns: u64,
        original_len: u32,
        data: &[u8],
        pkttype: u8,
    ) -> io::Result<Option<usize>> {
        match self {
            Framer::Pcapng {
                epb,
                flags_by_pkttype,
            } => epb.encode_parts(
                out,
                slot as u32,
                timestamp_ns,
                original_len,
                data,
                flags_by_pkttype[usize::from(pkttype & 7)],
            ),
            Framer::Pcap { snaplen } => {
                encode_pcap_record(out, *snaplen, timestamp_ns, original_len, data)
            }
        }
    }

    fn framing(&self, slot: u32, packet: &Packet<'_>) -> io::Result<Framing> {
        let info = &packet.info;
        match self {
            Framer::Pcapng {
                epb,
                flags_by_pkttype,
            } => epb.framing(
                slot,
                info.timestamp_ns,
                info.original_len,
                packet.data.len(),
                flags_by_pkttype[usize::from(info.packet_type.pkttype() & 7)],
            ),
            Framer::Pcap { snaplen } => pcap_record_framing(
                *snaplen,
                info.timestamp_ns,
                info.original_len,
                packet.data.len(),
            ),
        }
    }
}

/// A lent batch on its way to the writer, with the interface it came from and the packets
/// of the file before it.
pub struct LentJob {
    pub batch: LentBatch,
    pub slot: u32,
    pub packets_before: u64,
}

enum Piece<'a> {
    /// A range of the arena.
    Arena(usize, usize),
    /// Packet bytes in the ring.
    Data(&'a [u8]),
}

/// Writes the job's packets to `file` in order; returns how many were written whole, and the
/// error that stopped it, if any.
pub fn write_lent(
    file: &mut File,
    job: &LentJob,
    framer: &Framer,
    arena: &mut Vec<u8>,
) -> (u64, io::Result<()>) {
    let mut packets = job.batch.packets().peekable();
    let mut written = 0u64;
    let mut pieces: Vec<Piece<'_>> = Vec::with_capacity(MAX_PIECES);
    let mut ends: Vec<usize> = Vec::new();
    while packets.peek().is_some() {
        arena.clear();
        pieces.clear();
        ends.clear();
        let mut bytes = 0usize;
        while pieces.len() + 3 <= MAX_PIECES && arena.len() + 2 * COPY_BELOW <= ARENA_BYTES {
            let Some(packet) = packets.next() else { break };
            let framing = match framer.framing(job.slot, &packet) {
                Ok(framing) => framing,
                Err(err) => {
                    return (
                        written + write_pieces(file, arena, &pieces, &ends).0,
                        Err(err),
                    )
                }
            };
            let start = arena.len();
            arena.extend_from_slice(framing.head());
            if packet.data.len() < COPY_BELOW {
                arena.extend_from_slice(packet.data);
                arena.extend_from_slice(framing.tail());
                push_arena(&mut pieces, start, arena.len());
            } else {
                push_arena(&mut pieces, start, arena.len());
                pieces.push(Piece::Data(packet.data));
                let tail = arena.len();
                arena.extend_from_slice(framing.tail());
                push_arena(&mut pieces, tail, arena.len());
            }
            bytes += framing.head().len() + packet.data.len() + framing.tail().len();
            ends.push(bytes);
        }
        let (done, result) = write_pieces(file, arena, &pieces, &ends);
        written += done;
        if result.is_err() {
            return (written, result);
        }
    }
    (written, Ok(()))
}

/// Adds an arena range, joined to the piece before when it continues it.
fn push_arena(pieces: &mut Vec<Piece<'_>>, start: usize, end: usize) {
    if start == end {
        return;
    }
    if let Some(Piece::Arena(_, last_end)) = pieces.last_mut() {
        if *last_end == start {
            *last_end = end;
            return;
        }
    }
    pieces.push(Piece::Arena(start, end));
}

/// One gathered write of `pieces` (looping over short writes); returns the packets written
/// whole (`ends`: where each packet ends) and the error, if any.
fn write_pieces(
    file: &mut File,
    arena: &[u8],
    pieces: &[Piece<'_>],
    ends: &[usize],
) -> (u64, io::Result<()>) {
    let mut slices: Vec<IoSlice<'_>> = pieces
        .iter()
        .map(|piece| match piece {
            Piece::Arena(start, end) => IoSlice::new(&arena[*start..*end]),
            Piece::Data(data) => IoSlice::new(data),
        })
        .collect();
    let mut slices = &mut slices[..];
    let mut done = 0usize;
    let mut result = Ok(());
    while !slices.is_empty() {
        match file.write_vectored(slices) {
            Ok(0) => {
                result = Err(io::ErrorKind::WriteZero.into());
                break;
            }
            Ok(n) => {
                done += n;
                IoSlice::advance_slices(&mut slices, n);
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => {
                result = Err(err);
                break;
            }
        }
    }
    (ends.partition_point(|&end| end <= done) as u64, result)
}
