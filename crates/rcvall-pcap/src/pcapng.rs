//! pcapng writer (<https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html>).
//!
//! One section, written in the host's byte order (readers detect it from the byte-order magic):
//! a Section Header Block, one Interface Description Block per interface, Enhanced Packet Blocks,
//! and Interface Statistics Blocks when the caller has counters. Every interface declares
//! if_tsresol = 9, so every timestamp in the file is in nanoseconds.

use std::io::{self, Write};

use crate::flags::EpbFlags;
use crate::linktype::LinkType;

/// Block type codes.
pub mod block {
    /// Section Header Block; the value reads the same in both byte orders.
    pub const SECTION_HEADER: u32 = 0x0A0D_0D0A;
    /// Interface Description Block.
    pub const INTERFACE_DESCRIPTION: u32 = 0x0000_0001;
    /// Packet Block, obsoleted by the Enhanced Packet Block but still read.
    pub const PACKET_OBSOLETE: u32 = 0x0000_0002;
    /// Simple Packet Block: no interface id, no timestamp.
    pub const SIMPLE_PACKET: u32 = 0x0000_0003;
    /// Name Resolution Block (skipped by the reader).
    pub const NAME_RESOLUTION: u32 = 0x0000_0004;
    /// Interface Statistics Block.
    pub const INTERFACE_STATISTICS: u32 = 0x0000_0005;
    /// Enhanced Packet Block.
    pub const ENHANCED_PACKET: u32 = 0x0000_0006;
}

/// Option codes, per block type.
pub mod option {
    /// Ends an option list (every block).
    pub const OPT_ENDOFOPT: u16 = 0;
    /// A UTF-8 comment (every block).
    pub const OPT_COMMENT: u16 = 1;
    /// SHB: hardware description.
    pub const SHB_HARDWARE: u16 = 2;
    /// SHB: operating system.
    pub const SHB_OS: u16 = 3;
    /// SHB: the application that wrote the section.
    pub const SHB_USERAPPL: u16 = 4;
    /// IDB: interface name.
    pub const IF_NAME: u16 = 2;
    /// IDB: interface description.
    pub const IF_DESCRIPTION: u16 = 3;
    /// IDB: timestamp resolution, one byte: bit 7 clear → 10^-n s, set → 2^-n s.
    pub const IF_TSRESOL: u16 = 9;
    /// IDB: seconds to add to every timestamp of the interface (signed 64-bit).
    pub const IF_TSOFFSET: u16 = 14;
    /// EPB: the packet flags word (direction, reception type).
    pub const EPB_FLAGS: u16 = 2;
    /// Obsolete PB: pack_flags, the same word as epb_flags.
    pub const PACK_FLAGS: u16 = 2;
    /// ISB: when counting started.
    pub const ISB_STARTTIME: u16 = 2;
    /// ISB: when counting ended.
    pub const ISB_ENDTIME: u16 = 3;
    /// ISB: packets the interface received.
    pub const ISB_IFRECV: u16 = 4;
    /// ISB: packets the interface dropped for lack of resources.
    pub const ISB_IFDROP: u16 = 5;
    /// ISB: packets the filter accepted.
    pub const ISB_FILTERACCEPT: u16 = 6;
    /// ISB: packets the operating system dropped.
    pub const ISB_OSDROP: u16 = 7;
    /// ISB: packets delivered to the capturing application.
    pub const ISB_USRDELIV: u16 = 8;
}

/// Field offsets inside block bodies (after block type and total length).
pub(crate) mod layout {
    /// Section Header Block, counted from after the byte-order magic.
    pub mod shb {
        pub const VERSION_MAJOR: usize = 0;
        pub const VERSION_MINOR: usize = 2;
        /// Then the 64-bit section length, then options.
        pub const FIXED_LEN: usize = 12;
    }
    /// Interface Description Block.
    pub mod idb {
        pub const LINKTYPE: usize = 0;
        /// 2..4 reserved.
        pub const SNAPLEN: usize = 4;
        pub const FIXED_LEN: usize = 8;
    }
    /// Enhanced Packet Block; the obsolete Packet Block has the same layout except that its
    /// interface id is 16 bits, followed by a 16-bit drops count.
    pub mod epb {
        pub const INTERFACE_ID: usize = 0;
        /// High 32 bits, then low 32 bits.
        pub const TIMESTAMP: usize = 4;
        pub const CAPTURED_LEN: usize = 12;
        pub const ORIGINAL_LEN: usize = 16;
        /// Then the packet data, padded, then options.
        pub const FIXED_LEN: usize = 20;
    }
    /// Simple Packet Block.
    pub mod spb {
        pub const ORIGINAL_LEN: usize = 0;
        /// Then the packet data, padded.
        pub const FIXED_LEN: usize = 4;
    }
    /// Every block: type and total length before the body, the total length again after it.
    pub const BLOCK_TYPE: usize = 0;
    pub const TOTAL_LEN: usize = 4;
    pub const HEADER_LEN: usize = 8;
    pub const TRAILER_LEN: usize = 4;
    /// Option code and option length, then the value padded to 32 bits.
    pub const OPTION_HEADER_LEN: usize = 4;
}

/// The Section Header Block's byte-order magic.
pub const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
/// The pcapng version written: 1.0.
pub const VERSION_MAJOR: u16 = 1;
/// See [`VERSION_MAJOR`].
pub const VERSION_MINOR: u16 = 0;
/// Section length "not specified": the writer streams and cannot seek back.
const SECTION_LENGTH_UNSPECIFIED: i64 = -1;
/// if_tsresol value for nanoseconds (10^-9 s; bit 7 clear = power of ten).
pub const TSRESOL_NANOSECONDS: u8 = 9;
/// if_tsresol value for microseconds, also the resolution of an IDB without if_tsresol.
pub const TSRESOL_MICROSECONDS: u8 = 6;
/// libpcap's and tcpdump's largest snap length: the default here.
pub const DEFAULT_SNAPLEN: u32 = 262_144;

/// What the Section Header Block says about the writer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SectionDesc {
    /// shb_userappl, e.g. "rcvall 0.1.0".
    pub user_appl: String,
    /// shb_os, e.g. "Linux 6.1.0"; omitted when `None`.
    pub os: Option<String>,
    /// shb_hardware; omitted when `None`.
    pub hardware: Option<String>,
}

/// One capture interface, written as an Interface Description Block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceDesc {
    /// if_name, e.g. "eth0"; omitted when `None`.
    pub name: Option<String>,
    /// if_description, free text such as "ifindex 3"; omitted when `None`.
    pub description: Option<String>,
    /// What the packets start with: [`LinkType::RAW`] for rcvall.
    pub link_type: LinkType,
    /// The most bytes kept of any packet; 0 means no limit.
    pub snaplen: u32,
}

impl Default for InterfaceDesc {
    /// Unnamed, raw IP, snap length [`DEFAULT_SNAPLEN`].
    fn default() -> Self {
        InterfaceDesc {
            name: None,
            description: None,
            link_type: LinkType::RAW,
            snaplen: DEFAULT_SNAPLEN,
        }
    }
}

/// One captured packet to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketRecord<'a> {
    /// The id [`PcapngWriter::add_interface`] returned.
    pub interface_id: u32,
    /// Capture time, nanoseconds since the Unix epoch.
    pub timestamp_ns: u64,
    /// The packet's length before the snap length cut it (at least `data.len()`).
    pub original_len: u32,
    /// The captured bytes, already cut to the interface's snap length.
    pub data: &'a [u8],
    /// Direction and reception type; no epb_flags option is written when `None`.
    pub flags: Option<EpbFlags>,
}

/// Counters of one interface, written as an Interface Statistics Block. Each `None` is omitted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InterfaceStats {
    /// When these counters were read, nanoseconds since the Unix epoch.
    pub timestamp_ns: u64,
    /// isb_starttime: when counting started (ns since the epoch).
    pub start_ns: Option<u64>,
    /// isb_endtime: when counting ended (ns since the epoch).
    pub end_ns: Option<u64>,
    /// isb_ifrecv: packets the interface received (the kernel saw), from `start_ns`.
    pub if_recv: Option<u64>,
    /// isb_ifdrop: packets the interface dropped for lack of resources.
    pub if_drop: Option<u64>,
    /// isb_filteraccept: packets the capture filter accepted.
    pub filter_accept: Option<u64>,
    /// isb_osdrop: packets the operating system dropped (e.g. a full ring).
    pub os_drop: Option<u64>,
    /// isb_usrdeliv: packets delivered to the application.
    pub usr_deliv: Option<u64>,
}

/// Streams a pcapng section to `out`.
///
/// Each block is assembled in memory and handed to `out` with one `write_all`; I/O errors are
/// returned, never panicked on. Invalid input (an unknown interface id, a packet longer than the
/// snap length, an option longer than 65535 bytes) is an `InvalidInput` error and writes nothing.
#[derive(Debug)]
pub struct PcapngWriter<W: Write> {
    out: W,
    /// Snap length of each interface, indexed by interface id.
    snaplens: Vec<u32>,
    scratch: Vec<u8>,
}

impl<W: Write> PcapngWriter<W> {
    /// Starts a section whose shb_userappl is `app` (e.g. "rcvall 0.1.0"), no other options.
    pub fn new(out: W, app: &str) -> io::Result<Self> {
        Self::with_section(
            out,
            &SectionDesc {
                user_appl: app.to_owned(),
                ..SectionDesc::default()
            },
        )
    }

    /// Starts a section with the given Section Header Block options.
    pub fn with_section(out: W, section: &SectionDesc) -> io::Result<Self> {
        let mut w = PcapngWriter {
            out,
            snaplens: Vec::new(),
            scratch: Vec::with_capacity(256),
        };
        let mut b = Block::begin(&mut w.scratch, block::SECTION_HEADER);
        b.u32(BYTE_ORDER_MAGIC);
        b.u16(VERSION_MAJOR);
        b.u16(VERSION_MINOR);
        b.i64(SECTION_LENGTH_UNSPECIFIED);
        if let Some(hw) = &section.hardware {
            b.option(option::SHB_HARDWARE, hw.as_bytes())?;
        }
        if let Some(os) = &section.os {
            b.option(option::SHB_OS, os.as_bytes())?;
        }
        b.option(option::SHB_USERAPPL, section.user_appl.as_bytes())?;
        b.finish()?;
        w.out.write_all(&w.scratch)?;
        Ok(w)
    }

    /// Writes an Interface Description Block; returns the interface id packets must name
    /// (0 for the first, counting up).
    pub fn add_interface(&mut self, iface: &InterfaceDesc) -> io::Result<u32> {
        let id = u32::try_from(self.snaplens.len())
            .map_err(|_| invalid_input("more than 2^32 interfaces"))?;
        let mut b = Block::begin(&mut self.scratch, block::INTERFACE_DESCRIPTION);
        b.u16(iface.link_type.0);
        b.u16(0); // reserved
        b.u32(iface.snaplen);
        if let Some(name) = &iface.name {
            b.option(option::IF_NAME, name.as_bytes())?;
        }
        if let Some(description) = &iface.description {
            b.option(option::IF_DESCRIPTION, description.as_bytes())?;
        }
        b.option(option::IF_TSRESOL, &[TSRESOL_NANOSECONDS])?;
        b.finish()?;
        self.out.write_all(&self.scratch)?;
        self.snaplens.push(iface.snaplen);
        Ok(id)
    }

    /// Writes an Enhanced Packet Block.
    pub fn write_packet(&mut self, p: &PacketRecord<'_>) -> io::Result<()> {
        let snaplen = self.snaplen_of(p.interface_id)?;
        let captured = check_packet(p.data, p.original_len, snaplen)?;
        let mut b = Block::begin(&mut self.scratch, block::ENHANCED_PACKET);
        b.u32(p.interface_id);
        b.timestamp(p.timestamp_ns);
        b.u32(captured);
        b.u32(p.original_len);
        b.padded(p.data);
        if let Some(flags) = p.flags {
            b.option(option::EPB_FLAGS, &flags.to_bits().to_ne_bytes())?;
        }
        b.finish()?;
        self.out.write_all(&self.scratch)
    }

    /// Writes an Interface Statistics Block for `iface_id`.
    pub fn write_stats(&mut self, iface_id: u32, s: &InterfaceStats) -> io::Result<()> {
        self.snaplen_of(iface_id)?;
        encode_statistics(&mut self.scratch, iface_id, s)?;
        self.out.write_all(&self.scratch)
    }

    /// Flushes `out`.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flushes and returns `out`.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }

    /// A reference to `out`.
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    fn snaplen_of(&self, iface_id: u32) -> io::Result<u32> {
        usize::try_from(iface_id)
            .ok()
            .and_then(|i| self.snaplens.get(i).copied())
            .ok_or_else(|| {
                invalid_input(format!(
                    "interface id {iface_id} was never added ({} interfaces)",
                    self.snaplens.len()
                ))
            })
    }
}

/// Replaces `buf` with an Interface Statistics Block for `iface_id` (the caller checks that the
/// interface was described).
pub fn encode_statistics(buf: &mut Vec<u8>, iface_id: u32, s: &InterfaceStats) -> io::Result<()> {
    let mut b = Block::begin(buf, block::INTERFACE_STATISTICS);
    b.u32(iface_id);
    b.timestamp(s.timestamp_ns);
    let timestamps = [
        (option::ISB_STARTTIME, s.start_ns),
        (option::ISB_ENDTIME, s.end_ns),
    ];
    for (code, ns) in timestamps {
        if let Some(ns) = ns {
            b.option(code, &split_timestamp_bytes(ns))?;
        }
    }
    let counters = [
        (option::ISB_IFRECV, s.if_recv),
        (option::ISB_IFDROP, s.if_drop),
        (option::ISB_FILTERACCEPT, s.filter_accept),
        (option::ISB_OSDROP, s.os_drop),
        (option::ISB_USRDELIV, s.usr_deliv),
    ];
    for (code, n) in counters {
        if let Some(n) = n {
            b.option(code, &n.to_ne_bytes())?;
        }
    }
    b.finish()
}

/// Checks a packet against its original length and the snap length (0 = none); returns the
/// captured length.
pub(crate) fn check_packet(data: &[u8], original_len: u32, snaplen: u32) -> io::Result<u32> {
    check_lengths(data.len(), original_len, snaplen)
}

/// [`check_packet`] for a packet of `captured` bytes.
pub(crate) fn check_lengths(captured: usize, original_len: u32, snaplen: u32) -> io::Result<u32> {
    let captured =
        u32::try_from(captured).map_err(|_| invalid_input("packet longer than 2^32 - 1 bytes"))?;
    if captured > original_len {
        return Err(invalid_input(format!(
            "captured length {captured} exceeds original length {original_len}"
        )));
    }
    if snaplen != 0 && captured > snaplen {
        return Err(invalid_input(format!(
            "captured length {captured} exceeds the snap length {snaplen}"
        )));
    }
    Ok(captured)
}

pub(crate) fn invalid_input(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.into())
}

/// A 64-bit timestamp as pcapng stores it: the high 32 bits first, each half in the section's
/// byte order (not a plain 64-bit integer: on little-endian hosts the halves differ in order).
fn split_timestamp_bytes(ns: u64) -> [u8; 8] {
    let mut out = [0; 8];
    out[..4].copy_from_slice(&high(ns).to_ne_bytes());
    out[4..].copy_from_slice(&low(ns).to_ne_bytes());
    out
}

fn high(v: u64) -> u32 {
    (v >> 32) as u32
}

fn low(v: u64) -> u32 {
    v as u32
}

/// A block being assembled in the scratch buffer.
struct Block<'a> {
    buf: &'a mut Vec<u8>,
    has_options: bool,
}

impl<'a> Block<'a> {
    fn begin(buf: &'a mut Vec<u8>, block_type: u32) -> Self {
        buf.clear();
        buf.extend_from_slice(&block_type.to_ne_bytes());
        buf.extend_from_slice(&0u32.to_ne_bytes()); // total length, patched by finish
        Block {
            buf,
            has_options: false,
        }
    }

    fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_ne_bytes());
    }

    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_ne_bytes());
    }

    fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_ne_bytes());
    }

    fn timestamp(&mut self, ns: u64) {
        self.buf.extend_from_slice(&split_timestamp_bytes(ns));
    }

    /// Bytes followed by zeros up to a 32-bit boundary.
    fn padded(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
        self.buf.resize(self.buf.len() + pad4(data.len()), 0);
    }

    fn option(&mut self, code: u16, value: &[u8]) -> io::Result<()> {
        let len = u16::try_from(value.len()).map_err(|_| {
            invalid_input(format!(
                "option {code} is {} bytes, more than 65535",
                value.len()
            ))
        })?;
        self.u16(code);
        self.u16(len);
        self.padded(value);
        self.has_options = true;
        Ok(())
    }

    fn finish(self) -> io::Result<()> {
        if self.has_options {
            self.buf
                .extend_from_slice(&option::OPT_ENDOFOPT.to_ne_bytes());
            self.buf.extend_from_slice(&0u16.to_ne_bytes());
        }
        let total = self.buf.len() + 4;
        let total =
            u32::try_from(total).map_err(|_| invalid_input("block longer than 2^32 - 1 bytes"))?;
        self.buf[4..8].copy_from_slice(&total.to_ne_bytes());
        self.buf.extend_from_slice(&total.to_ne_bytes());
        Ok(())
    }
}

/// Zero bytes that follow `len` bytes to reach a multiple of 4.
pub(crate) fn pad4(len: usize) -> usize {
    (4 - len % 4) % 4
}

/// Parses whitespace-separated hex bytes: hand-computed expectations stay readable.
#[cfg(test)]
pub(crate) fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .flat_map(|word| {
            (0..word.len())
                .step_by(2)
                .map(move |i| u8::from_str_radix(&word[i..i + 2], 16).unwrap())
        })
        .collect()
}

// Expected bytes are written out for a little-endian host, the byte order this writer emits
// there; on a big-endian host every multi-byte field would be reversed.
#[cfg(all(test, target_endian = "little"))]
mod tests {
    use super::*;
    use crate::flags::Reception;

    /// 2023-11-14T22:13:20.123456789Z.
    const T: u64 = 1_700_000_000_123_456_789;
    /// Ten seconds earlier, at a whole second.
    const START: u64 = 1_699_999_990_000_000_000;

    fn writer(app: &str) -> PcapngWriter<Vec<u8>> {
        PcapngWriter::new(Vec::new(), app).unwrap()
    }

    fn written_after_shb(w: PcapngWriter<Vec<u8>>, shb_len: usize) -> Vec<u8> {
        w.into_inner().unwrap()[shb_len..].to_vec()
    }

    #[test]
    fn section_header_carries_user_appl_padded_and_end_of_options() {
        let out = writer("rcvall 0.1").into_inner().unwrap();
        let expected = hex("0a0d0d0a 30000000 4d3c2b1a 0100 0000 ffffffff ffffffff
             0400 0a00 7263 7661 6c6c 2030 2e31 0000
             0000 0000
             30000000");
        assert_eq!(out, expected);
    }

    #[test]
    fn section_header_puts_hardware_os_then_user_appl() {
        let section = SectionDesc {
            user_appl: "rcvall 0.1".into(),
            os: Some("Linux".into()),
            hardware: Some("x86_64".into()),
        };
        let out = PcapngWriter::with_section(Vec::new(), &section)
            .unwrap()
            .into_inner()
            .unwrap();
        let expected = hex("0a0d0d0a 48000000 4d3c2b1a 0100 0000 ffffffff ffffffff
             0200 0600 7838 365f 3634 0000
             0300 0500 4c69 6e75 7800 0000
             0400 0a00 7263 7661 6c6c 2030 2e31 0000
             0000 0000
             48000000");
        assert_eq!(out, expected);
    }

    #[test]
    fn interface_description_has_link_type_snaplen_name_description_and_ns_resolution() {
        let mut w = writer("rcvall 0.1");
        let id = w
            .add_interface(&InterfaceDesc {
                name: Some("eth0".into()),
                description: Some("ifindex 3".into()),
                ..InterfaceDesc::default()
            })
            .unwrap();
        assert_eq!(id, 0);
        let expected = hex("01000000 38000000 6500 0000 00000400
             0200 0400 6574 6830
             0300 0900 6966 696e 6465 7820 3300 0000
             0900 0100 0900 0000
             0000 0000
             38000000");
        assert_eq!(written_after_shb(w, 48), expected);
    }

    #[test]
    fn interface_ids_count_up_and_link_type_is_a_parameter() {
        let mut w = writer("rcvall 0.1");
        assert_eq!(w.add_interface(&InterfaceDesc::default()).unwrap(), 0);
        let ethernet = InterfaceDesc {
            link_type: LinkType::ETHERNET,
            snaplen: 0,
            ..InterfaceDesc::default()
        };
        assert_eq!(w.add_interface(&ethernet).unwrap(), 1);
        let out = written_after_shb(w, 48);
        // Second IDB: only if_tsresol.
        let expected = hex("01000000 20000000 0100 0000 00000000
             0900 0100 0900 0000 0000 0000 20000000");
        assert_eq!(out[32..], expected[..]);
    }

    #[test]
    fn enhanced_packet_splits_the_timestamp_pads_data_and_carries_direction_flags() {
        let mut w = writer("rcvall 0.1");
        w.add_interface(&InterfaceDesc::default()).unwrap();
        w.add_interface(&InterfaceDesc::default()).unwrap();
        w.write_packet(&PacketRecord {
            interface_id: 1,
            timestamp_ns: T,
            original_len: 60,
            data: &[0x45, 1, 2, 3, 4],
            flags: Some(EpbFlags::outbound()),
        })
        .unwrap();
        let out = written_after_shb(w, 48 + 2 * 32);
        let expected = hex(
            "06000000 34000000 01000000 fe9c9717 15cd853d 05000000 3c000000
             45010203 04000000
             0200 0400 02000000
             0000 0000
             34000000",
        );
        assert_eq!(out, expected);
    }

    #[test]
    fn enhanced_packet_without_flags_has_no_options_at_all() {
        let mut w = writer("rcvall 0.1");
        w.add_interface(&InterfaceDesc::default()).unwrap();
        w.write_packet(&PacketRecord {
            interface_id: 0,
            timestamp_ns: T,
            original_len: 4,
            data: &[0x60, 0, 0, 0],
            flags: None,
        })
        .unwrap();
        let out = written_after_shb(w, 48 + 32);
        let expected = hex(
            "06000000 24000000 00000000 fe9c9717 15cd853d 04000000 04000000
             60000000 24000000",
        );
        assert_eq!(out, expected);
    }

    #[test]
    fn inbound_promiscuous_flags_are_bits_0_and_4() {
        let mut w = writer("rcvall 0.1");
        w.add_interface(&InterfaceDesc::default()).unwrap();
        w.write_packet(&PacketRecord {
            interface_id: 0,
            timestamp_ns: 0,
            original_len: 0,
            data: &[],
            flags: Some(EpbFlags::inbound(Reception::Promiscuous)),
        })
        .unwrap();
        let out = written_after_shb(w, 48 + 32);
        assert_eq!(out[28..36], hex("0200 0400 11000000")[..]);
    }

    #[test]
    fn interface_statistics_write_only_the_counters_given() {
        let mut w = writer("rcvall 0.1");
        w.add_interface(&InterfaceDesc::default()).unwrap();
        w.write_stats(
            0,
            &InterfaceStats {
                timestamp_ns: T,
                start_ns: Some(START),
                end_ns: Some(T),
                if_recv: Some(100),
                if_drop: None,
                filter_accept: Some(0x0102_0304_0506_0708),
                os_drop: Some(3),
                usr_deliv: Some(95),
            },
        )
        .unwrap();
        let out = written_after_shb(w, 48 + 32);
        let expected = hex("05000000 64000000 00000000 fe9c9717 15cd853d
             0200 0800 fb9c9717 001c1ee2
             0300 0800 fe9c9717 15cd853d
             0400 0800 64000000 00000000
             0600 0800 08070605 04030201
             0700 0800 03000000 00000000
             0800 0800 5f000000 00000000
             0000 0000
             64000000");
        assert_eq!(out, expected);
    }

    #[test]
    fn interface_statistics_with_every_counter_name_each_option_code() {
        let mut w = writer("x");
        w.add_interface(&InterfaceDesc::default()).unwrap();
        let all = InterfaceStats {
            timestamp_ns: 1,
            start_ns: Some(1),
            end_ns: Some(1),
            if_recv: Some(1),
            if_drop: Some(1),
            filter_accept: Some(1),
            os_drop: Some(1),
            usr_deliv: Some(1),
        };
        w.write_stats(0, &all).unwrap();
        let out = w.into_inner().unwrap();
        let isb = &out[out.len() - (8 + 12 + 7 * 12 + 4 + 4)..];
        let codes: Vec<u16> = (0..7)
            .map(|i| u16::from_le_bytes([isb[20 + 12 * i], isb[21 + 12 * i]]))
            .collect();
        assert_eq!(codes, [2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn packets_for_unknown_interfaces_or_over_snaplen_are_refused_and_write_nothing() {
        let mut w = writer("x");
        w.add_interface(&InterfaceDesc {
            snaplen: 4,
            ..InterfaceDesc::default()
        })
        .unwrap();
        let before = w.get_ref().len();
        let p = PacketRecord {
            interface_id: 1,
            timestamp_ns: 0,
            original_len: 4,
            data: &[0x45, 0, 0, 0],
            flags: None,
        };
        let err = w.write_packet(&p).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let too_long = PacketRecord {
            interface_id: 0,
            original_len: 5,
            data: &[0x45, 0, 0, 0, 0],
            ..p
        };
        assert!(w.write_packet(&too_long).is_err());
        let short_original = PacketRecord {
            interface_id: 0,
            original_len: 3,
            ..p
        };
        assert!(w.write_packet(&short_original).is_err());
        assert!(w.write_stats(7, &InterfaceStats::default()).is_err());
        assert_eq!(w.get_ref().len(), before);
    }

    #[test]
    fn an_option_longer_than_65535_bytes_is_refused() {
        let long = "x".repeat(65_536);
        let err = PcapngWriter::new(Vec::new(), &long).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    /// A sink that fails after `budget` bytes, like a full disk.
    struct FullDisk {
        budget: usize,
    }

    impl Write for FullDisk {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.budget == 0 {
                return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
            }
            let n = buf.len().min(self.budget);
            self.budget -= n;
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_full_disk_is_an_error_not_a_panic() {
        assert!(PcapngWriter::new(FullDisk { budget: 10 }, "rcvall").is_err());
        let mut w = PcapngWriter::new(FullDisk { budget: 100 }, "rcvall").unwrap();
        w.add_interface(&InterfaceDesc::default()).unwrap();
        let p = PacketRecord {
            interface_id: 0,
            timestamp_ns: T,
            original_len: 100,
            data: &[0x45; 100],
            flags: None,
        };
        let err = w.write_packet(&p).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::StorageFull);
    }
}
