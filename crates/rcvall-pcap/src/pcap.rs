//! Classic pcap writer, nanosecond flavour (magic 0xa1b23c4d).

use std::io::{self, Write};

use crate::linktype::LinkType;
use crate::pcapng::{check_packet, invalid_input};

/// Magic of a classic pcap file with microsecond timestamps.
pub const MAGIC_MICROSECONDS: u32 = 0xA1B2_C3D4;
/// Magic of a classic pcap file with nanosecond timestamps (what this writer emits).
pub const MAGIC_NANOSECONDS: u32 = 0xA1B2_3C4D;
/// The pcap format version written: 2.4, the only one in use.
pub const VERSION_MAJOR: u16 = 2;
/// See [`VERSION_MAJOR`].
pub const VERSION_MINOR: u16 = 4;
/// Length of the file header.
pub const FILE_HEADER_LEN: usize = 24;
/// Length of each record header.
pub const RECORD_HEADER_LEN: usize = 16;

const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// Field offsets in the file header.
pub(crate) mod header {
    pub const MAGIC: usize = 0;
    pub const VERSION_MAJOR: usize = 4;
    pub const VERSION_MINOR: usize = 6;
    /// thiszone (8..12) and sigfigs (12..16): zero in every modern file, ignored.
    pub const SNAPLEN: usize = 16;
    /// Link type in the low 16 bits; FCS information above.
    pub const LINKTYPE: usize = 20;
}

/// Field offsets in a record header.
pub(crate) mod record {
    pub const TS_SEC: usize = 0;
    /// Microseconds or nanoseconds, by the file's magic.
    pub const TS_FRAC: usize = 4;
    pub const INCL_LEN: usize = 8;
    pub const ORIG_LEN: usize = 12;
}

fn put(buf: &mut [u8], at: usize, bytes: &[u8]) {
    buf[at..at + bytes.len()].copy_from_slice(bytes);
}

/// Streams a classic pcap file: one link type, nanosecond timestamps, no per-packet metadata
/// (direction and interface do not fit this format; use pcapng to keep them).
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    out: W,
    snaplen: u32,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header. `snaplen` is the most bytes kept of any packet; 0 means
    /// [`crate::DEFAULT_SNAPLEN`], because pcap has no "unlimited" and readers (tshark, libpcap)
    /// reject records longer than the header's snap length or 262144.
    pub fn new(mut out: W, link_type: LinkType, snaplen: u32) -> io::Result<Self> {
        let snaplen = if snaplen == 0 {
            crate::DEFAULT_SNAPLEN
        } else {
            snaplen
        };
        let mut h = [0u8; FILE_HEADER_LEN];
        put(&mut h, header::MAGIC, &MAGIC_NANOSECONDS.to_ne_bytes());
        put(&mut h, header::VERSION_MAJOR, &VERSION_MAJOR.to_ne_bytes());
        put(&mut h, header::VERSION_MINOR, &VERSION_MINOR.to_ne_bytes());
        put(&mut h, header::SNAPLEN, &snaplen.to_ne_bytes());
        put(
            &mut h,
            header::LINKTYPE,
            &u32::from(link_type.0).to_ne_bytes(),
        );
        out.write_all(&h)?;
        Ok(PcapWriter { out, snaplen })
    }

    /// Writes one record. `data` is the captured bytes (already cut to the snap length),
    /// `original_len` the packet's length before the cut, `timestamp_ns` nanoseconds since the
    /// Unix epoch (up to the year 2106, where pcap's 32-bit seconds end).
    pub fn write_packet(
        &mut self,
        timestamp_ns: u64,
        original_len: u32,
        data: &[u8],
    ) -> io::Result<()> {
        let captured = check_packet(data, original_len, self.snaplen)?;
        let secs = u32::try_from(timestamp_ns / NANOS_PER_SECOND)
            .map_err(|_| invalid_input("timestamp beyond pcap's 32-bit seconds (year 2106)"))?;
        let nanos = (timestamp_ns % NANOS_PER_SECOND) as u32;
        let mut h = [0u8; RECORD_HEADER_LEN];
        put(&mut h, record::TS_SEC, &secs.to_ne_bytes());
        put(&mut h, record::TS_FRAC, &nanos.to_ne_bytes());
        put(&mut h, record::INCL_LEN, &captured.to_ne_bytes());
        put(&mut h, record::ORIG_LEN, &original_len.to_ne_bytes());
        self.out.write_all(&h)?;
        self.out.write_all(data)
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
}

#[cfg(all(test, target_endian = "little"))]
mod tests {
    use super::*;
    use crate::pcapng::hex;

    #[test]
    fn file_header_has_nanosecond_magic_version_snaplen_and_link_type() {
        let out = PcapWriter::new(Vec::new(), LinkType::RAW, 65_535)
            .unwrap()
            .into_inner()
            .unwrap();
        assert_eq!(
            out,
            hex("4d3cb2a1 0200 0400 00000000 00000000 ffff0000 65000000")
        );
    }

    #[test]
    fn snaplen_zero_is_written_as_the_default_snaplen() {
        let out = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 0)
            .unwrap()
            .into_inner()
            .unwrap();
        assert_eq!(out[16..], hex("00000400 01000000")[..]);
    }

    #[test]
    fn record_has_seconds_nanoseconds_lengths_and_unpadded_data() {
        let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 65_535).unwrap();
        w.write_packet(1_700_000_000_123_456_789, 1500, &[0x45, 0, 5])
            .unwrap();
        let out = w.into_inner().unwrap();
        assert_eq!(
            out[FILE_HEADER_LEN..],
            hex("00f15365 15cd5b07 03000000 dc050000 450005")[..]
        );
    }

    #[test]
    fn timestamps_past_2106_and_packets_over_snaplen_are_refused() {
        let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 2).unwrap();
        assert!(w.write_packet(u64::MAX, 1, &[0x45]).is_err());
        assert!(w.write_packet(0, 3, &[0x45, 0, 0]).is_err());
        assert_eq!(w.get_ref().len(), FILE_HEADER_LEN);
    }
}
