//! Reader for classic pcap (both byte orders, µs and ns magic) and pcapng (multiple sections
//! and interfaces, both byte orders, any if_tsresol; EPB, SPB and the obsolete PB).
//!
//! Files are treated as untrusted: every length is checked before use, nothing panics, and a
//! damaged or cut-short file yields every whole record before the damage, then one error that
//! names the byte offset where the damaged record starts.

use std::io::{self, Read};

use crate::flags::EpbFlags;
use crate::linktype::LinkType;
use crate::pcap;
use crate::pcap::{header, record};
use crate::pcapng::layout::{self, epb, idb, shb, spb, OPTION_HEADER_LEN};
use crate::pcapng::{self, block, option, pad4};

/// The largest pcapng block or pcap record accepted for any link type: libpcap's limit for
/// D-Bus, the link type with the largest packets. Files of other link types are held to
/// tighter limits, libpcap's own (256 KiB packets in pcap, 16 MiB blocks in pcapng for every
/// common link type), so that rcvall refuses the lengths tcpdump refuses.
pub const MAX_RECORD_LEN: u32 = max_block_len_for(DBUS_MAX_PACKET_LEN);

/// libpcap's MAXIMUM_SNAPLEN (pcap-int.h): the largest packet of every link type but a few.
const MAXIMUM_SNAPLEN: u32 = 262_144;
/// libpcap's max_snaplen_for_dlt (pcap-common.c) for DLT_DBUS (231).
const DBUS_MAX_PACKET_LEN: u32 = 128 << 20;
/// libpcap's max_snaplen_for_dlt for DLT_EBHSCR (279).
const EBHSCR_MAX_PACKET_LEN: u32 = 8 << 20;
/// libpcap's max_snaplen_for_dlt for DLT_USBPCAP (249).
const USBPCAP_MAX_PACKET_LEN: u32 = 1 << 20;
/// libpcap's INITIAL_MAX_BLOCKSIZE (sf-pcapng.c): the largest pcapng block until an Interface
/// Description Block names a link type whose largest packet needs more.
const PCAPNG_INITIAL_MAX_BLOCK_LEN: u32 = 16 << 20;
/// The options room libpcap's MAX_BLOCKSIZE_FOR_SNAPLEN allows beside the largest packet.
const MAX_OPTIONS_LEN: u32 = 128 << 10;
/// The buffer a record's bytes are first read into; it doubles as more of them arrive (see
/// `fill`), so a length the input does not hold never costs more than this.
#[cfg(not(fuzzing))]
const FIRST_READ_CHUNK: usize = 64 << 10;
/// Under the fuzzer, inputs of a few KiB must reach the doubling too.
#[cfg(fuzzing)]
const FIRST_READ_CHUNK: usize = 16;

/// Block type plus total length.
const BLOCK_HEADER_LEN: u32 = layout::HEADER_LEN as u32;
/// Block type, total length and the trailing copy of the total length.
const BLOCK_OVERHEAD: u32 = (layout::HEADER_LEN + layout::TRAILER_LEN) as u32;
/// The Section Header Block's byte-order magic.
const BYTE_ORDER_MAGIC_LEN: u32 = 4;
/// Everything an SHB must hold: overhead, byte-order magic, version and section length.
const SHB_MIN_TOTAL_LEN: u32 = BLOCK_OVERHEAD + BYTE_ORDER_MAGIC_LEN + shb::FIXED_LEN as u32;
/// pcapng's default timestamp resolution when an IDB has no if_tsresol: microseconds.
const DEFAULT_TSRESOL: TsUnit = TsUnit::PowerOf10(pcapng::TSRESOL_MICROSECONDS);
/// if_tsresol bit 7: the rest is a power of two rather than of ten.
const TSRESOL_POWER_OF_2: u8 = 0x80;
const NANOS_PER_SECOND: u64 = 1_000_000_000;
const NANOS_PER_MICRO: u64 = 1_000;
/// Mask of the link type in the pcap header's 32-bit link-type field (the upper bits carry
/// the FCS length).
const PCAP_LINKTYPE_MASK: u32 = 0xFFFF;

/// libpcap's max_snaplen_for_dlt: the largest packet `link` carries. A pcap record longer than
/// this is corrupt (sf-pcap.c refuses it as "invalid packet capture length").
fn max_packet_len(link: LinkType) -> u32 {
    match link.0 {
        231 => DBUS_MAX_PACKET_LEN,
        279 => EBHSCR_MAX_PACKET_LEN,
        249 => USBPCAP_MAX_PACKET_LEN,
        _ => MAXIMUM_SNAPLEN,
    }
}

/// libpcap's MAX_BLOCKSIZE_FOR_SNAPLEN: an Enhanced Packet Block holding the largest packet
/// and 128 KiB of options.
const fn max_block_len_for(max_packet_len: u32) -> u32 {
    BLOCK_OVERHEAD + epb::FIXED_LEN as u32 + max_packet_len + MAX_OPTIONS_LEN
}

/// Why a capture file could not be read (further).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The underlying reader failed.
    #[error("I/O error reading byte offset {offset}: {source}")]
    Io {
        /// The first byte that could not be read.
        offset: u64,
        /// What the reader returned.
        #[source]
        source: io::Error,
    },
    /// The first four bytes are neither a pcap magic nor a pcapng Section Header Block.
    #[error("not a pcap or pcapng file: it starts with {magic:02x?}")]
    NotACapture {
        /// The file's first four bytes.
        magic: [u8; 4],
    },
    /// The file ends inside a record: typically a capture cut short by a full disk or a killed
    /// writer. Every record before `offset` was returned.
    #[error(
        "file cut short: the {what} at byte offset {offset} needs {needed} bytes but only \
         {available} are present (every record before it was read)"
    )]
    Truncated {
        /// Where the incomplete record (or header) starts.
        offset: u64,
        /// What was being read.
        what: &'static str,
        /// Bytes the record needs.
        needed: u64,
        /// Bytes the file still had.
        available: u64,
    },
    /// A length or field is impossible.
    #[error("corrupt {what} at byte offset {offset}: {reason}")]
    Corrupt {
        /// Where the damaged block or record starts.
        offset: u64,
        /// What was being read.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A format version this reader does not know.
    #[error("unsupported {format} version {major}.{minor} at byte offset {offset}")]
    UnsupportedVersion {
        /// Where the file or section header starts.
        offset: u64,
        /// "pcap" or "pcapng".
        format: &'static str,
        /// Major version found.
        major: u16,
        /// Minor version found.
        minor: u16,
    },
}

impl ReadError {
    /// The byte offset of the record or header that could not be read.
    pub fn offset(&self) -> u64 {
        match self {
            ReadError::Io { offset, .. }
            | ReadError::Truncated { offset, .. }
            | ReadError::Corrupt { offset, .. }
            | ReadError::UnsupportedVersion { offset, .. } => *offset,
            ReadError::NotACapture { .. } => 0,
        }
    }

    /// True when the file simply ends early (as after a full disk), rather than holding garbage.
    pub fn is_truncation(&self) -> bool {
        matches!(self, ReadError::Truncated { .. })
    }
}

/// Byte order of a file or pcapng section.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// Least significant byte first.
    Little,
    /// Most significant byte first.
    Big,
}

impl ByteOrder {
    fn u16(self, b: &[u8], at: usize) -> u16 {
        let a = [b[at], b[at + 1]];
        match self {
            ByteOrder::Little => u16::from_le_bytes(a),
            ByteOrder::Big => u16::from_be_bytes(a),
        }
    }

    fn u32(self, b: &[u8], at: usize) -> u32 {
        let a = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        match self {
            ByteOrder::Little => u32::from_le_bytes(a),
            ByteOrder::Big => u32::from_be_bytes(a),
        }
    }

    fn u64(self, b: &[u8], at: usize) -> u64 {
        let mut a = [0; 8];
        a.copy_from_slice(&b[at..at + 8]);
        match self {
            ByteOrder::Little => u64::from_le_bytes(a),
            ByteOrder::Big => u64::from_be_bytes(a),
        }
    }

    /// pcapng's split timestamp: high 32 bits, then low 32 bits.
    fn split_u64(self, b: &[u8], at: usize) -> u64 {
        u64::from(self.u32(b, at)) << 32 | u64::from(self.u32(b, at + 4))
    }
}

/// Which format the reader found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileFormat {
    /// Classic pcap.
    Pcap {
        /// Byte order of the file.
        byte_order: ByteOrder,
        /// True for the nanosecond magic, false for microseconds.
        nanosecond: bool,
    },
    /// pcapng (byte order may change from section to section).
    Pcapng,
}

/// The unit of an interface's timestamps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TsUnit {
    /// 10^-n seconds.
    PowerOf10(u8),
    /// 2^-n seconds.
    PowerOf2(u8),
}

impl TsUnit {
    fn from_tsresol(v: u8) -> TsUnit {
        if v & TSRESOL_POWER_OF_2 != 0 {
            TsUnit::PowerOf2(v & !TSRESOL_POWER_OF_2)
        } else {
            TsUnit::PowerOf10(v)
        }
    }

    /// `ticks` of this unit in nanoseconds, saturating at `u64::MAX`.
    pub fn to_nanos(self, ticks: u64) -> u64 {
        let ns: u128 = match self {
            TsUnit::PowerOf10(n) if n <= 9 => u128::from(ticks) * 10u128.pow(u32::from(9 - n)),
            TsUnit::PowerOf10(n) => match 10u128.checked_pow(u32::from(n - 9)) {
                Some(div) => u128::from(ticks) / div,
                None => 0,
            },
            // n < 128 (7 bits), so the shift cannot overflow.
            TsUnit::PowerOf2(n) => (u128::from(ticks) * u128::from(NANOS_PER_SECOND)) >> n,
        };
        u64::try_from(ns).unwrap_or(u64::MAX)
    }
}

/// What the file says about one interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceInfo {
    /// What its packets start with.
    pub link_type: LinkType,
    /// Its snap length (0: none).
    pub snaplen: u32,
    /// if_name.
    pub name: Option<String>,
    /// if_description.
    pub description: Option<String>,
    /// Unit of its timestamps.
    pub ts_unit: TsUnit,
    /// if_tsoffset: seconds added to each of its timestamps.
    pub ts_offset_s: i64,
}

/// One packet read from a file; borrows the reader's buffer until the next call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// Interface id within its pcapng section (always 0 in pcap).
    pub interface_id: u32,
    /// The interface's link type: how to find the IP header in `data`.
    pub link_type: LinkType,
    /// Nanoseconds since the Unix epoch (0 for Simple Packet Blocks, which carry no time).
    pub timestamp_ns: u64,
    /// The captured bytes.
    pub data: &'a [u8],
    /// The packet's length before any snap length cut it.
    pub original_len: u32,
    /// epb_flags (or pack_flags), when the block had them.
    pub flags: Option<EpbFlags>,
    /// The interface's if_name, when the file gave one.
    pub interface_name: Option<&'a str>,
}

/// Where the current record's fields are, without borrowing `self` (so the read loop can
/// continue past skipped blocks and still hand out a borrow at the end).
struct Found {
    interface: usize,
    timestamp_ns: u64,
    data_start: usize,
    data_len: usize,
    original_len: u32,
    flags: Option<EpbFlags>,
}

/// Reads a pcap or pcapng file from any `io::Read` (wrap files in a `BufReader`).
#[derive(Debug)]
pub struct CaptureReader<R: Read> {
    input: R,
    /// Bytes consumed so far.
    offset: u64,
    format: FileFormat,
    /// Byte order of the pcap file or of the current pcapng section.
    order: ByteOrder,
    /// The pcap file's single interface, or the current pcapng section's interfaces.
    interfaces: Vec<InterfaceInfo>,
    buf: Vec<u8>,
    /// The largest pcapng block accepted: libpcap's 16 MiB, raised by interfaces whose link
    /// type has larger packets (libpcap raises it for the first IDB only; every IDB here).
    max_block_len: u32,
    /// Set after an error or the end: later calls return `Ok(None)`.
    done: bool,
}

/// Reads until `buf` is full or the input ends; returns the bytes read, or the error with the
/// bytes read before it.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> Result<usize, (usize, io::Error)> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err((got, e)),
        }
    }
    Ok(got)
}

impl<R: Read> CaptureReader<R> {
    /// Reads the file header (pcap) or first Section Header Block (pcapng).
    pub fn new(mut input: R) -> Result<Self, ReadError> {
        let mut magic = [0u8; 4];
        let got = read_full(&mut input, &mut magic).map_err(|(got, source)| ReadError::Io {
            offset: got as u64,
            source,
        })?;
        if got < magic.len() {
            return Err(ReadError::Truncated {
                offset: 0,
                what: "file header",
                needed: pcap::FILE_HEADER_LEN as u64,
                available: got as u64,
            });
        }
        let mut r = CaptureReader {
            input,
            offset: 4,
            format: FileFormat::Pcapng,
            order: ByteOrder::Little,
            interfaces: Vec::new(),
            buf: Vec::new(),
            max_block_len: PCAPNG_INITIAL_MAX_BLOCK_LEN,
            done: false,
        };
        if magic == block::SECTION_HEADER.to_le_bytes() {
            let what = "pcapng section header block";
            let got = r.fill(4)?;
            if got < 4 {
                return Err(ReadError::Truncated {
                    offset: 0,
                    what,
                    needed: u64::from(SHB_MIN_TOTAL_LEN),
                    available: 4 + got as u64,
                });
            }
            let len_field = [r.buf[0], r.buf[1], r.buf[2], r.buf[3]];
            r.read_section_header(0, len_field)?;
            return Ok(r);
        }
        let (order, nanosecond) = match (u32::from_le_bytes(magic), u32::from_be_bytes(magic)) {
            (pcap::MAGIC_MICROSECONDS, _) => (ByteOrder::Little, false),
            (pcap::MAGIC_NANOSECONDS, _) => (ByteOrder::Little, true),
            (_, pcap::MAGIC_MICROSECONDS) => (ByteOrder::Big, false),
            (_, pcap::MAGIC_NANOSECONDS) => (ByteOrder::Big, true),
            _ => return Err(ReadError::NotACapture { magic }),
        };
        r.order = order;
        r.format = FileFormat::Pcap {
            byte_order: order,
            nanosecond,
        };
        r.read_pcap_header(nanosecond)?;
        Ok(r)
    }

    /// The format found.
    pub fn format(&self) -> FileFormat {
        self.format
    }

    /// Byte order of the pcap file or of the current pcapng section.
    pub fn byte_order(&self) -> ByteOrder {
        self.order
    }

    /// The interfaces known so far: pcap's one, or those of the current pcapng section seen up
    /// to the last record returned.
    pub fn interfaces(&self) -> &[InterfaceInfo] {
        &self.interfaces
    }

    /// Bytes consumed so far: the offset of the next record.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The next packet; `Ok(None)` at the end of the file. After an error, the file is not read
    /// further and later calls return `Ok(None)`.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, ReadError> {
        if self.done {
            return Ok(None);
        }
        let found = match self.format {
            FileFormat::Pcap { nanosecond, .. } => self.next_pcap(nanosecond),
            FileFormat::Pcapng => self.next_pcapng(),
        };
        let found = match found {
            Ok(Some(found)) => found,
            Ok(None) => {
                self.done = true;
                return Ok(None);
            }
            Err(e) => {
                self.done = true;
                return Err(e);
            }
        };
        let iface = &self.interfaces[found.interface];
        Ok(Some(Record {
            interface_id: found.interface as u32,
            link_type: iface.link_type,
            timestamp_ns: found.timestamp_ns,
            data: &self.buf[found.data_start..found.data_start + found.data_len],
            original_len: found.original_len,
            flags: found.flags,
            interface_name: iface.name.as_deref(),
        }))
    }

    /// Reads `n` bytes into `self.buf[..n]`; returns how many the input had (fewer at its end).
    ///
    /// `n` comes from a length field, which is only the file's claim, and a pipe cannot be
    /// asked how much it holds. So the buffer grows with the bytes that arrive: a first chunk,
    /// then doubling (amortised linear copying): never more than one chunk or twice what was
    /// read. A 16 MiB claim on a 40-byte input costs one chunk, not 16 MiB.
    fn fill(&mut self, n: usize) -> Result<usize, ReadError> {
        self.buf.clear();
        let mut got = 0;
        while got < n {
            let want = n.min(FIRST_READ_CHUNK.max(2 * got));
            self.buf.resize(want, 0);
            let before = self.offset + got as u64;
            let read =
                read_full(&mut self.input, &mut self.buf[got..]).map_err(|(read, source)| {
                    ReadError::Io {
                        offset: before + read as u64,
                        source,
                    }
                })?;
            got += read;
            if got < want {
                break;
            }
        }
        self.buf.truncate(got);
        self.offset += got as u64;
        Ok(got)
    }

    // ---- pcap ----

    fn read_pcap_header(&mut self, nanosecond: bool) -> Result<(), ReadError> {
        let rest = pcap::FILE_HEADER_LEN - 4;
        let got = self.fill(rest)?;
        if got < rest {
            return Err(ReadError::Truncated {
                offset: 0,
                what: "pcap file header",
                needed: pcap::FILE_HEADER_LEN as u64,
                available: 4 + got as u64,
            });
        }
        // The header's offsets count from the magic, which is already consumed.
        let at = |field: usize| field - header::MAGIC - 4;
        let o = self.order;
        let major = o.u16(&self.buf, at(header::VERSION_MAJOR));
        let minor = o.u16(&self.buf, at(header::VERSION_MINOR));
        if major != pcap::VERSION_MAJOR {
            return Err(ReadError::UnsupportedVersion {
                offset: 0,
                format: "pcap",
                major,
                minor,
            });
        }
        let snaplen = o.u32(&self.buf, at(header::SNAPLEN));
        let link_type =
            LinkType((o.u32(&self.buf, at(header::LINKTYPE)) & PCAP_LINKTYPE_MASK) as u16);
        self.interfaces = vec![InterfaceInfo {
            link_type,
            snaplen,
            name: None,
            description: None,
            ts_unit: TsUnit::PowerOf10(if nanosecond {
                pcapng::TSRESOL_NANOSECONDS
            } else {
                pcapng::TSRESOL_MICROSECONDS
            }),
            ts_offset_s: 0,
        }];
        Ok(())
    }

    fn next_pcap(&mut self, nanosecond: bool) -> Result<Option<Found>, ReadError> {
        let start = self.offset;
        let got = self.fill(pcap::RECORD_HEADER_LEN)?;
        if got == 0 {
            return Ok(None);
        }
        if got < pcap::RECORD_HEADER_LEN {
            return Err(ReadError::Truncated {
                offset: start,
                what: "pcap record header",
                needed: pcap::RECORD_HEADER_LEN as u64,
                available: got as u64,
            });
        }
        let o = self.order;
        let secs = u64::from(o.u32(&self.buf, record::TS_SEC));
        let frac = u64::from(o.u32(&self.buf, record::TS_FRAC));
        let captured = o.u32(&self.buf, record::INCL_LEN);
        let original_len = o.u32(&self.buf, record::ORIG_LEN);
        let link_type = self.interfaces[0].link_type;
        let max = max_packet_len(link_type);
        if captured > max {
            return Err(ReadError::Corrupt {
                offset: start,
                what: "pcap record",
                reason: format!(
                    "captured length {captured} exceeds {max}, the largest packet of link type {}",
                    link_type.0
                ),
            });
        }
        let got = self.fill(captured as usize)?;
        if got < captured as usize {
            return Err(ReadError::Truncated {
                offset: start,
                what: "pcap record",
                needed: pcap::RECORD_HEADER_LEN as u64 + u64::from(captured),
                available: (pcap::RECORD_HEADER_LEN + got) as u64,
            });
        }
        let frac_ns = if nanosecond {
            frac
        } else {
            frac * NANOS_PER_MICRO
        };
        Ok(Some(Found {
            interface: 0,
            timestamp_ns: secs * NANOS_PER_SECOND + frac_ns,
            data_start: 0,
            data_len: captured as usize,
            // Some writers store an original length below the captured one; never report less
            // than was captured.
            original_len: original_len.max(captured),
            flags: None,
        }))
    }

    // ---- pcapng ----

    /// Reads the rest of a Section Header Block whose type and (not yet decodable) total length
    /// have been consumed, and starts a new section.
    fn read_section_header(&mut self, start: u64, len_field: [u8; 4]) -> Result<(), ReadError> {
        let what = "pcapng section header block";
        // The byte-order magic says how to read the length (and the rest of the section).
        let got = self.fill(4)?;
        if got < 4 {
            return Err(ReadError::Truncated {
                offset: start,
                what,
                needed: u64::from(SHB_MIN_TOTAL_LEN),
                available: u64::from(BLOCK_HEADER_LEN) + got as u64,
            });
        }
        let order = match (
            ByteOrder::Little.u32(&self.buf, 0),
            ByteOrder::Big.u32(&self.buf, 0),
        ) {
            (pcapng::BYTE_ORDER_MAGIC, _) => ByteOrder::Little,
            (_, pcapng::BYTE_ORDER_MAGIC) => ByteOrder::Big,
            _ => {
                return Err(ReadError::Corrupt {
                    offset: start,
                    what,
                    reason: format!("bad byte-order magic {:02x?}", &self.buf[..4]),
                })
            }
        };
        let total = order.u32(&len_field, 0);
        check_block_len(start, what, total, SHB_MIN_TOTAL_LEN, self.max_block_len)?;
        // Consumed so far: type, length, magic.
        self.read_block_rest(
            start,
            what,
            order,
            total,
            BLOCK_HEADER_LEN + BYTE_ORDER_MAGIC_LEN,
        )?;
        let major = order.u16(&self.buf, shb::VERSION_MAJOR);
        let minor = order.u16(&self.buf, shb::VERSION_MINOR);
        if major != pcapng::VERSION_MAJOR {
            return Err(ReadError::UnsupportedVersion {
                offset: start,
                format: "pcapng",
                major,
                minor,
            });
        }
        // Interface ids restart at 0 in each section.
        self.order = order;
        self.interfaces.clear();
        Ok(())
    }

    /// Reads the rest of a block of `total` bytes of which `consumed` have been read, into
    /// `self.buf`; checks the trailing length; returns the body length (without the trailer).
    fn read_block_rest(
        &mut self,
        start: u64,
        what: &'static str,
        order: ByteOrder,
        total: u32,
        consumed: u32,
    ) -> Result<usize, ReadError> {
        let rest = (total - consumed) as usize;
        let got = self.fill(rest)?;
        if got < rest {
            return Err(ReadError::Truncated {
                offset: start,
                what,
                needed: u64::from(total),
                available: u64::from(consumed) + got as u64,
            });
        }
        let body_len = rest - 4;
        let trailer = order.u32(&self.buf, body_len);
        if trailer != total {
            return Err(ReadError::Corrupt {
                offset: start,
                what,
                reason: format!("total length {total} at the start but {trailer} at the end"),
            });
        }
        Ok(body_len)
    }

    fn next_pcapng(&mut self) -> Result<Option<Found>, ReadError> {
        loop {
            let start = self.offset;
            let got = self.fill(BLOCK_HEADER_LEN as usize)?;
            if got == 0 {
                return Ok(None);
            }
            if got < BLOCK_HEADER_LEN as usize {
                return Err(ReadError::Truncated {
                    offset: start,
                    what: "pcapng block header",
                    needed: u64::from(BLOCK_HEADER_LEN),
                    available: got as u64,
                });
            }
            // The SHB type reads the same in both byte orders; the new section's order may differ.
            if self.buf[..layout::TOTAL_LEN] == block::SECTION_HEADER.to_le_bytes() {
                let mut len_field = [0; 4];
                len_field.copy_from_slice(&self.buf[layout::TOTAL_LEN..layout::HEADER_LEN]);
                self.read_section_header(start, len_field)?;
                continue;
            }
            let order = self.order;
            let block_type = order.u32(&self.buf, layout::BLOCK_TYPE);
            let total = order.u32(&self.buf, layout::TOTAL_LEN);
            let what = block_name(block_type);
            check_block_len(start, what, total, BLOCK_OVERHEAD, self.max_block_len)?;
            let body_len = self.read_block_rest(start, what, order, total, BLOCK_HEADER_LEN)?;
            let body = &self.buf[..body_len];
            let found = match block_type {
                block::INTERFACE_DESCRIPTION => {
                    let iface = parse_idb(order, body, start)?;
                    let needed = max_block_len_for(max_packet_len(iface.link_type));
                    self.max_block_len = self.max_block_len.max(needed);
                    self.interfaces.push(iface);
                    None
                }
                block::ENHANCED_PACKET => Some(self.parse_epb(order, body_len, start)?),
                block::SIMPLE_PACKET => Some(self.parse_spb(order, body_len, start)?),
                block::PACKET_OBSOLETE => Some(self.parse_pb(order, body_len, start)?),
                // Statistics, name resolution, secrets, custom and unknown blocks: skipped.
                _ => None,
            };
            if let Some(found) = found {
                return Ok(Some(found));
            }
        }
    }

    fn interface(&self, id: u32, start: u64, what: &'static str) -> Result<usize, ReadError> {
        usize::try_from(id)
            .ok()
            .filter(|&i| i < self.interfaces.len())
            .ok_or_else(|| ReadError::Corrupt {
                offset: start,
                what,
                reason: format!(
                    "interface id {id}, but the section has described {} interfaces",
                    self.interfaces.len()
                ),
            })
    }

    /// Enhanced Packet Block and obsolete Packet Block share everything after the interface id.
    fn packet_with_timestamp(
        &self,
        order: ByteOrder,
        body_len: usize,
        start: u64,
        what: &'static str,
        id: u32,
        flags_code: u16,
    ) -> Result<Found, ReadError> {
        let fixed = epb::FIXED_LEN;
        let body = &self.buf[..body_len];
        let interface = self.interface(id, start, what)?;
        let ticks = order.split_u64(body, epb::TIMESTAMP);
        let captured = order.u32(body, epb::CAPTURED_LEN);
        let original_len = order.u32(body, epb::ORIGINAL_LEN);
        let data_end = fixed as u64 + u64::from(captured);
        if data_end > body_len as u64 {
            return Err(ReadError::Corrupt {
                offset: start,
                what,
                reason: format!(
                    "captured length {captured} does not fit in a {}-byte block",
                    body_len + BLOCK_OVERHEAD as usize
                ),
            });
        }
        let data_end = data_end as usize;
        let options_start = (data_end + pad4(captured as usize)).min(body_len);
        let mut flags = None;
        for opt in Options::new(order, &body[options_start..], start, what) {
            let (code, value) = opt?;
            if code == flags_code && value.len() == 4 {
                flags = Some(EpbFlags::from_bits(order.u32(value, 0)));
            }
        }
        let iface = &self.interfaces[interface];
        Ok(Found {
            interface,
            timestamp_ns: iface_time_ns(iface, ticks),
            data_start: fixed,
            data_len: captured as usize,
            original_len: original_len.max(captured),
            flags,
        })
    }

    fn parse_epb(&self, order: ByteOrder, body_len: usize, start: u64) -> Result<Found, ReadError> {
        let what = block_name(block::ENHANCED_PACKET);
        check_fixed(start, what, body_len, epb::FIXED_LEN)?;
        let id = order.u32(&self.buf, epb::INTERFACE_ID);
        self.packet_with_timestamp(order, body_len, start, what, id, option::EPB_FLAGS)
    }

    fn parse_pb(&self, order: ByteOrder, body_len: usize, start: u64) -> Result<Found, ReadError> {
        let what = block_name(block::PACKET_OBSOLETE);
        check_fixed(start, what, body_len, epb::FIXED_LEN)?;
        // A 16-bit interface id, then a 16-bit drops count this reader does not report.
        let id = u32::from(order.u16(&self.buf, epb::INTERFACE_ID));
        self.packet_with_timestamp(order, body_len, start, what, id, option::PACK_FLAGS)
    }

    fn parse_spb(&self, order: ByteOrder, body_len: usize, start: u64) -> Result<Found, ReadError> {
        let what = block_name(block::SIMPLE_PACKET);
        check_fixed(start, what, body_len, spb::FIXED_LEN)?;
        // A Simple Packet Block belongs to interface 0 and holds min(original length, its
        // snap length) bytes, padded; the block length is the only other bound.
        let interface = self.interface(0, start, what)?;
        let original_len = order.u32(&self.buf, spb::ORIGINAL_LEN);
        let mut captured = original_len.min((body_len - spb::FIXED_LEN) as u32);
        let snaplen = self.interfaces[interface].snaplen;
        if snaplen != 0 {
            captured = captured.min(snaplen);
        }
        Ok(Found {
            interface,
            timestamp_ns: 0,
            data_start: spb::FIXED_LEN,
            data_len: captured as usize,
            original_len,
            flags: None,
        })
    }
}

fn parse_idb(order: ByteOrder, body: &[u8], start: u64) -> Result<InterfaceInfo, ReadError> {
    let what = block_name(block::INTERFACE_DESCRIPTION);
    check_fixed(start, what, body.len(), idb::FIXED_LEN)?;
    let mut iface = InterfaceInfo {
        link_type: LinkType(order.u16(body, idb::LINKTYPE)),
        snaplen: order.u32(body, idb::SNAPLEN),
        name: None,
        description: None,
        ts_unit: DEFAULT_TSRESOL,
        ts_offset_s: 0,
    };
    for opt in Options::new(order, &body[idb::FIXED_LEN..], start, what) {
        let (code, value) = opt?;
        match (code, value.len()) {
            (option::IF_NAME, _) => iface.name = Some(String::from_utf8_lossy(value).into_owned()),
            (option::IF_DESCRIPTION, _) => {
                iface.description = Some(String::from_utf8_lossy(value).into_owned())
            }
            (option::IF_TSRESOL, 1) => iface.ts_unit = TsUnit::from_tsresol(value[0]),
            (option::IF_TSOFFSET, 8) => iface.ts_offset_s = order.u64(value, 0) as i64,
            _ => {}
        }
    }
    Ok(iface)
}

/// A timestamp of `iface` in nanoseconds since the epoch, clamped to the u64 range.
fn iface_time_ns(iface: &InterfaceInfo, ticks: u64) -> u64 {
    let ns = i128::from(iface.ts_unit.to_nanos(ticks))
        + i128::from(iface.ts_offset_s) * i128::from(NANOS_PER_SECOND);
    u64::try_from(ns.max(0)).unwrap_or(u64::MAX)
}

fn block_name(block_type: u32) -> &'static str {
    match block_type {
        block::SECTION_HEADER => "pcapng section header block",
        block::INTERFACE_DESCRIPTION => "pcapng interface description block",
        block::PACKET_OBSOLETE => "pcapng packet block",
        block::SIMPLE_PACKET => "pcapng simple packet block",
        block::NAME_RESOLUTION => "pcapng name resolution block",
        block::INTERFACE_STATISTICS => "pcapng interface statistics block",
        block::ENHANCED_PACKET => "pcapng enhanced packet block",
        _ => "pcapng block",
    }
}

/// A block length is checked before anything is read for it, as libpcap's read_block does.
fn check_block_len(
    start: u64,
    what: &'static str,
    total: u32,
    min: u32,
    max: u32,
) -> Result<(), ReadError> {
    let reason = if total < min {
        format!("total length {total} is below the minimum {min}")
    } else if total % 4 != 0 {
        format!("total length {total} is not a multiple of 4")
    } else if total > max {
        format!("total length {total} exceeds the largest block accepted here, {max}")
    } else {
        return Ok(());
    };
    Err(ReadError::Corrupt {
        offset: start,
        what,
        reason,
    })
}

fn check_fixed(
    start: u64,
    what: &'static str,
    body_len: usize,
    fixed: usize,
) -> Result<(), ReadError> {
    if body_len < fixed {
        return Err(ReadError::Corrupt {
            offset: start,
            what,
            reason: format!("body of {body_len} bytes is shorter than its {fixed} fixed bytes"),
        });
    }
    Ok(())
}

/// Walks a block's options: (code, value) pairs up to opt_endofopt or the end of the block.
struct Options<'a> {
    order: ByteOrder,
    rest: &'a [u8],
    start: u64,
    what: &'static str,
}

impl<'a> Options<'a> {
    fn new(order: ByteOrder, rest: &'a [u8], start: u64, what: &'static str) -> Self {
        Options {
            order,
            rest,
            start,
            what,
        }
    }
}

impl<'a> Iterator for Options<'a> {
    type Item = Result<(u16, &'a [u8]), ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        // Fewer than 4 bytes left: no more options (some writers omit opt_endofopt).
        if self.rest.len() < OPTION_HEADER_LEN {
            return None;
        }
        let code = self.order.u16(self.rest, 0);
        let len = usize::from(self.order.u16(self.rest, 2));
        if code == option::OPT_ENDOFOPT {
            self.rest = &[];
            return None;
        }
        let end = OPTION_HEADER_LEN + len;
        if end > self.rest.len() {
            let err = ReadError::Corrupt {
                offset: self.start,
                what: self.what,
                reason: format!(
                    "option {code} claims {len} bytes but only {} remain in the block",
                    self.rest.len() - OPTION_HEADER_LEN
                ),
            };
            self.rest = &[];
            return Some(Err(err));
        }
        let value = &self.rest[OPTION_HEADER_LEN..end];
        self.rest = &self.rest[(end + pad4(len)).min(self.rest.len())..];
        Some(Ok((code, value)))
    }
}

#[cfg(test)]
mod tests;
