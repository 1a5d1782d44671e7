//! The reader against lengths a file declares but does not hold (the finding of issue 10:
//! a declared length was allocated, and zeroed, before a byte of it was read), and what the
//! fuzz targets in `crates/rcvall-pcap/fuzz` check, on the inputs that matter: the limits'
//! edges and short reads across the buffer's growth. Each test is named after what broke or
//! what it guards; the fuzz runs found no crash to add.

use std::io::{self, Read};

use rcvall_pcap::{
    CaptureReader, InterfaceDesc, LinkType, PacketRecord, PcapWriter, PcapngWriter, ReadError,
    MAX_RECORD_LEN,
};

/// The reader's first read buffer (64 KiB); it grows only as bytes arrive.
const FIRST_READ_CHUNK: usize = 64 << 10;
const LINKTYPE_DBUS: LinkType = LinkType(231);

/// A pipe: short reads, no size. Records the largest buffer the reader asked it to fill,
/// which is the buffer the reader had allocated for the record at that moment.
struct Pipe<'a> {
    data: &'a [u8],
    max_read: usize,
    largest_request: usize,
}

impl<'a> Pipe<'a> {
    fn new(data: &'a [u8], max_read: usize) -> Self {
        Pipe {
            data,
            max_read,
            largest_request: 0,
        }
    }
}

impl Read for Pipe<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.largest_request = self.largest_request.max(buf.len());
        let n = buf.len().min(self.data.len()).min(self.max_read);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn le_pcapng_header() -> Vec<u8> {
    // SHB: type, length 28, byte-order magic, version 1.0, section length -1, length.
    let mut f = Vec::new();
    for v in [0x0A0D_0D0Au32, 28, 0x1A2B_3C4D] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    f.extend_from_slice(&[1, 0, 0, 0]);
    f.extend_from_slice(&[0xff; 8]);
    f.extend_from_slice(&28u32.to_le_bytes());
    f
}

fn le_idb(link: LinkType) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&20u32.to_le_bytes());
    b.extend_from_slice(&link.0.to_le_bytes());
    b.extend_from_slice(&[0, 0]);
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&20u32.to_le_bytes());
    b
}

/// An Enhanced Packet Block header that claims `total` bytes, followed by only 8 of them.
fn le_epb_claiming(total: u32) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&6u32.to_le_bytes());
    b.extend_from_slice(&total.to_le_bytes());
    b.extend_from_slice(&[0; 8]);
    b
}

fn le_pcap_header(link: LinkType) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&0xA1B2_3C4Du32.to_le_bytes());
    f.extend_from_slice(&[2, 0, 4, 0]);
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&262_144u32.to_le_bytes());
    f.extend_from_slice(&u32::from(link.0).to_le_bytes());
    f
}

fn le_pcap_record_claiming(incl_len: u32) -> Vec<u8> {
    let mut r = vec![0; 8];
    r.extend_from_slice(&incl_len.to_le_bytes());
    r.extend_from_slice(&incl_len.to_le_bytes());
    r.push(0x45);
    r
}

fn first_error(data: &[u8]) -> (ReadError, usize) {
    let mut pipe = Pipe::new(data, 7);
    let err = {
        let mut r = CaptureReader::new(&mut pipe).unwrap();
        loop {
            match r.next_record() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("no error"),
                Err(e) => break e,
            }
        }
    };
    (err, pipe.largest_request)
}

#[test]
fn pcapng_block_claiming_16_mib_on_a_40_byte_pipe_allocates_one_chunk_not_16_mib() {
    let file = [
        le_pcapng_header(),
        le_idb(LinkType::RAW),
        le_epb_claiming(16 << 20),
    ]
    .concat();
    let (err, largest) = first_error(&file);
    assert!(err.is_truncation(), "{err}");
    assert_eq!(err.offset(), 48);
    assert!(largest <= FIRST_READ_CHUNK, "asked for {largest} bytes");
}

#[test]
fn pcap_record_claiming_256_kib_on_a_tiny_pipe_allocates_one_chunk() {
    let file = [
        le_pcap_header(LinkType::RAW),
        le_pcap_record_claiming(262_144),
    ]
    .concat();
    let (err, largest) = first_error(&file);
    assert!(err.is_truncation(), "{err}");
    assert_eq!(err.offset(), 24);
    assert!(largest <= FIRST_READ_CHUNK, "asked for {largest} bytes");
}

#[test]
fn pcapng_block_claiming_4_gib_is_corrupt_before_anything_is_read_for_it() {
    for total in [0xFFFF_FFFCu32, (16 << 20) + 4] {
        let file = [
            le_pcapng_header(),
            le_idb(LinkType::RAW),
            le_epb_claiming(total),
        ]
        .concat();
        let (err, largest) = first_error(&file);
        assert!(matches!(err, ReadError::Corrupt { .. }), "{err}");
        assert_eq!(err.offset(), 48);
        assert!(err.to_string().contains("exceeds"), "{err}");
        // Nothing past the 8-byte block header was requested.
        assert!(largest <= 28, "asked for {largest} bytes");
    }
}

#[test]
fn pcap_record_longer_than_libpcaps_limit_for_its_link_type_is_corrupt() {
    // libpcap (sf-pcap.c) refuses caplen > max_snaplen_for_dlt: 256 KiB for raw IP.
    let raw = [
        le_pcap_header(LinkType::RAW),
        le_pcap_record_claiming(262_145),
    ]
    .concat();
    let (err, _) = first_error(&raw);
    assert!(
        matches!(err, ReadError::Corrupt { offset: 24, .. }),
        "{err}"
    );
    // ...but 128 MiB for D-Bus: the same length is merely cut short there.
    let dbus = [
        le_pcap_header(LINKTYPE_DBUS),
        le_pcap_record_claiming(262_145),
    ]
    .concat();
    let (err, largest) = first_error(&dbus);
    assert!(err.is_truncation(), "{err}");
    assert!(largest <= FIRST_READ_CHUNK);
    let (err, _) = first_error(
        &[
            le_pcap_header(LINKTYPE_DBUS),
            le_pcap_record_claiming((128 << 20) + 1),
        ]
        .concat(),
    );
    assert!(matches!(err, ReadError::Corrupt { .. }), "{err}");
}

#[test]
fn pcapng_block_over_16_mib_is_accepted_only_after_an_interface_whose_link_type_needs_it() {
    // libpcap (sf-pcapng.c) raises its 16 MiB block limit to MAX_BLOCKSIZE_FOR_SNAPLEN of the
    // interface's link type: a D-Bus EPB may hold 128 MiB.
    let claim = 64 << 20;
    let (err, largest) = first_error(
        &[
            le_pcapng_header(),
            le_idb(LINKTYPE_DBUS),
            le_epb_claiming(claim),
        ]
        .concat(),
    );
    assert!(err.is_truncation(), "{err}");
    assert!(largest <= FIRST_READ_CHUNK);
    let (err, _) = first_error(
        &[
            le_pcapng_header(),
            le_idb(LINKTYPE_DBUS),
            le_epb_claiming(MAX_RECORD_LEN + 4),
        ]
        .concat(),
    );
    assert!(matches!(err, ReadError::Corrupt { .. }), "{err}");
}

#[test]
fn a_real_3_mib_block_from_a_pipe_of_short_reads_comes_back_whole() {
    // The buffer grows by doubling while bytes arrive; a block that really is that long must
    // still come back byte for byte.
    let data: Vec<u8> = (0..3 << 20).map(|i: u32| (i % 251) as u8).collect();
    let mut w = PcapngWriter::new(Vec::new(), "test").unwrap();
    let iface = InterfaceDesc {
        link_type: LINKTYPE_DBUS,
        snaplen: 0,
        ..InterfaceDesc::default()
    };
    let id = w.add_interface(&iface).unwrap();
    for ts in [1, 2] {
        w.write_packet(&PacketRecord {
            interface_id: id,
            timestamp_ns: ts,
            original_len: data.len() as u32,
            data: &data,
            flags: None,
        })
        .unwrap();
    }
    let file = w.into_inner().unwrap();
    let mut pipe = Pipe::new(&file, 4093);
    let mut r = CaptureReader::new(&mut pipe).unwrap();
    for ts in [1, 2] {
        let rec = r.next_record().unwrap().unwrap();
        assert_eq!(rec.timestamp_ns, ts);
        assert!(rec.data == data.as_slice());
    }
    assert!(r.next_record().unwrap().is_none());
}

#[test]
fn a_pcap_record_of_exactly_256_kib_is_read() {
    let data = vec![0x45; 262_144];
    let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 0).unwrap();
    w.write_packet(5, data.len() as u32, &data).unwrap();
    let file = w.into_inner().unwrap();
    let mut r = CaptureReader::new(Pipe::new(&file, 1000)).unwrap();
    assert_eq!(r.next_record().unwrap().unwrap().data.len(), 262_144);
    assert!(r.next_record().unwrap().is_none());
}

/// One record's interface id, timestamp, bytes and original length.
type Owned = (u32, u64, Vec<u8>, u32);

/// Every record and the error, as text, for comparing two reads of one file.
fn read_all(input: impl Read) -> (Vec<Owned>, Option<String>) {
    let mut r = match CaptureReader::new(input) {
        Ok(r) => r,
        Err(e) => return (Vec::new(), Some(e.to_string())),
    };
    let mut out = Vec::new();
    loop {
        match r.next_record() {
            Ok(Some(rec)) => out.push((
                rec.interface_id,
                rec.timestamp_ns,
                rec.data.to_vec(),
                rec.original_len,
            )),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e.to_string())),
        }
    }
}

#[test]
fn short_reads_of_any_size_across_the_first_chunk_read_the_same_as_one_slice() {
    // The fuzz target `read` checks this on any bytes; here, packets on either side of the
    // 64 KiB first chunk and of the doubling after it, whole and cut short.
    let mut w = PcapngWriter::new(Vec::new(), "test").unwrap();
    let iface = InterfaceDesc {
        snaplen: 0,
        ..InterfaceDesc::default()
    };
    w.add_interface(&iface).unwrap();
    let sizes = [
        0, 1, 15, 16, 17, 1500, 65_535, 65_536, 65_537, 131_073, 200_000,
    ];
    for (ts, &len) in sizes.iter().enumerate() {
        let data: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
        w.write_packet(&PacketRecord {
            interface_id: 0,
            timestamp_ns: ts as u64,
            original_len: len as u32,
            data: &data,
            flags: None,
        })
        .unwrap();
    }
    let file = w.into_inner().unwrap();
    let whole = read_all(&file[..]);
    assert_eq!(whole.0.len(), sizes.len());
    assert_eq!(whole.1, None);
    for (i, &len) in sizes.iter().enumerate() {
        assert_eq!(whole.0[i].2.len(), len);
    }
    for step in [1, 7, 16, 61, 4093, 65_535, 65_537] {
        assert_eq!(read_all(Pipe::new(&file, step)), whole, "reads of {step}");
    }
    for cut in [file.len() - 1, file.len() - 100_000, file.len() / 2] {
        let from_slice = read_all(&file[..cut]);
        assert!(from_slice.1.is_some(), "cut at {cut}");
        assert_eq!(
            read_all(Pipe::new(&file[..cut], 61)),
            from_slice,
            "cut at {cut}"
        );
    }
}
