//! The reader's structural tests, on blocks built by hand in either byte order.

use super::*;
use crate::flags::{Direction, Reception};
use crate::pcapng::hex;

/// Owned copy of a record, to collect a whole file.
#[derive(Debug, PartialEq, Eq)]
struct Rec {
    interface_id: u32,
    link_type: LinkType,
    timestamp_ns: u64,
    data: Vec<u8>,
    original_len: u32,
    flags: Option<EpbFlags>,
    interface_name: Option<String>,
}

fn collect(bytes: &[u8]) -> (Vec<Rec>, Option<ReadError>) {
    let mut r = match CaptureReader::new(bytes) {
        Ok(r) => r,
        Err(e) => return (Vec::new(), Some(e)),
    };
    let mut out = Vec::new();
    loop {
        match r.next_record() {
            Ok(Some(p)) => out.push(Rec {
                interface_id: p.interface_id,
                link_type: p.link_type,
                timestamp_ns: p.timestamp_ns,
                data: p.data.to_vec(),
                original_len: p.original_len,
                flags: p.flags,
                interface_name: p.interface_name.map(str::to_owned),
            }),
            Ok(None) => return (out, None),
            Err(e) => {
                // Fused: nothing more after an error.
                assert!(matches!(r.next_record(), Ok(None)));
                return (out, Some(e));
            }
        }
    }
}

/// Builds pcapng blocks in either byte order (for the reader's structural tests; the
/// writer's tests check bytes by hand).
struct Ng {
    order: ByteOrder,
    out: Vec<u8>,
}

impl Ng {
    fn new(order: ByteOrder) -> Self {
        let mut ng = Ng {
            order,
            out: Vec::new(),
        };
        ng.shb();
        ng
    }

    fn u16(&self, v: u16) -> [u8; 2] {
        match self.order {
            ByteOrder::Little => v.to_le_bytes(),
            ByteOrder::Big => v.to_be_bytes(),
        }
    }

    fn u32(&self, v: u32) -> [u8; 4] {
        match self.order {
            ByteOrder::Little => v.to_le_bytes(),
            ByteOrder::Big => v.to_be_bytes(),
        }
    }

    fn opt(&self, code: u16, value: &[u8]) -> Vec<u8> {
        let mut o = [self.u16(code), self.u16(value.len() as u16)].concat();
        o.extend_from_slice(value);
        o.resize(o.len() + pad4(value.len()), 0);
        o
    }

    fn block(&mut self, block_type: u32, body: &[u8]) -> &mut Self {
        let total = (12 + body.len()) as u32;
        let b = [
            &self.u32(block_type)[..],
            &self.u32(total),
            body,
            &self.u32(total),
        ]
        .concat();
        self.out.extend_from_slice(&b);
        self
    }

    fn shb(&mut self) -> &mut Self {
        let body = [
            &self.u32(pcapng::BYTE_ORDER_MAGIC)[..],
            &self.u16(1),
            &self.u16(0),
            &[0xff; 8],
        ]
        .concat();
        self.block(block::SECTION_HEADER, &body)
    }

    fn idb(&mut self, link: LinkType, snaplen: u32, options: &[Vec<u8>]) -> &mut Self {
        let mut body = [&self.u16(link.0)[..], &self.u16(0), &self.u32(snaplen)].concat();
        for o in options {
            body.extend_from_slice(o);
        }
        self.block(block::INTERFACE_DESCRIPTION, &body)
    }

    fn epb(&mut self, iface: u32, ticks: u64, data: &[u8], options: &[Vec<u8>]) -> &mut Self {
        let mut body = [
            &self.u32(iface)[..],
            &self.u32((ticks >> 32) as u32),
            &self.u32(ticks as u32),
            &self.u32(data.len() as u32),
            &self.u32(data.len() as u32 + 10),
            data,
            &vec![0; pad4(data.len())],
        ]
        .concat();
        for o in options {
            body.extend_from_slice(o);
        }
        self.block(block::ENHANCED_PACKET, &body)
    }
}

#[test]
fn big_endian_pcapng_with_power_of_two_resolution_is_read() {
    let file = hex(
        "0a0d0d0a 0000001c 1a2b3c4d 0001 0000 ffffffff ffffffff 0000001c
         00000001 00000020 0065 0000 00000000 0009 0001 8a000000 0000 0000 00000020
         00000006 00000030 00000000 00000000 00000c00 00000001 00000001 45000000
           0002 0004 00000001 0000 0000 00000030",
    );
    let (recs, err) = collect(&file);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(
        recs,
        [Rec {
            interface_id: 0,
            link_type: LinkType::RAW,
            timestamp_ns: 3_000_000_000,
            data: vec![0x45],
            original_len: 1,
            flags: Some(EpbFlags {
                direction: Some(Direction::In),
                reception: None
            }),
            interface_name: None,
        }]
    );
    let r = CaptureReader::new(&file[..]).unwrap();
    assert_eq!(
        (r.format(), r.byte_order()),
        (FileFormat::Pcapng, ByteOrder::Big)
    );
}

#[test]
fn interfaces_without_tsresol_count_microseconds_and_tsoffset_adds_seconds() {
    let mut ng = Ng::new(ByteOrder::Little);
    let offset = ng.opt(option::IF_TSOFFSET, &100i64.to_le_bytes());
    let name = ng.opt(option::IF_NAME, b"lo");
    ng.idb(LinkType::RAW, 0, &[name, offset])
        .epb(0, 1_500_000, &[0x45], &[]);
    let (recs, err) = collect(&ng.out);
    assert!(err.is_none());
    assert_eq!(recs[0].timestamp_ns, 101_500_000_000);
    assert_eq!(recs[0].interface_name.as_deref(), Some("lo"));
}

#[test]
fn power_of_ten_resolutions_finer_than_nanoseconds_are_scaled_down() {
    assert_eq!(TsUnit::PowerOf10(12).to_nanos(5_000), 5);
    assert_eq!(TsUnit::PowerOf10(0).to_nanos(2), 2_000_000_000);
    assert_eq!(TsUnit::PowerOf2(1).to_nanos(3), 1_500_000_000);
    assert_eq!(TsUnit::PowerOf10(127).to_nanos(u64::MAX), 0);
    assert_eq!(TsUnit::PowerOf10(0).to_nanos(u64::MAX), u64::MAX);
}

#[test]
fn sections_in_both_byte_orders_restart_interface_ids_and_unknown_blocks_are_skipped() {
    let mut le = Ng::new(ByteOrder::Little);
    let eth0 = le.opt(option::IF_NAME, b"eth0");
    let ns = le.opt(option::IF_TSRESOL, &[9]);
    le.idb(LinkType::ETHERNET, 0, &[eth0])
        .idb(LinkType::RAW, 0, &[ns])
        .block(0x0000_0BAD, &[1, 2, 3, 4])
        .block(block::NAME_RESOLUTION, &[0; 4])
        .epb(1, 7, &[0x60, 1, 2], &[])
        .block(block::INTERFACE_STATISTICS, &[0; 12]);
    let mut be = Ng::new(ByteOrder::Big);
    let wlan = be.opt(option::IF_NAME, b"wlan0");
    be.idb(LinkType::LINUX_SLL2, 0, &[wlan])
        .epb(0, 9, &[9; 20], &[]);
    let file = [le.out, be.out].concat();
    let (recs, err) = collect(&file);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(recs.len(), 2);
    assert_eq!(
        (
            recs[0].interface_id,
            recs[0].link_type,
            recs[0].timestamp_ns
        ),
        (1, LinkType::RAW, 7)
    );
    assert_eq!(recs[0].interface_name, None);
    assert_eq!(
        (
            recs[1].interface_id,
            recs[1].link_type,
            recs[1].timestamp_ns
        ),
        (0, LinkType::LINUX_SLL2, 9_000)
    );
    assert_eq!(recs[1].interface_name.as_deref(), Some("wlan0"));
    assert_eq!(recs[1].original_len, 30);
}

#[test]
fn simple_packet_blocks_belong_to_interface_zero_and_are_cut_to_its_snaplen() {
    let mut ng = Ng::new(ByteOrder::Little);
    ng.idb(LinkType::RAW, 4, &[]);
    let body = [&ng.u32(10)[..], &[0x45, 1, 2, 3]].concat();
    ng.block(block::SIMPLE_PACKET, &body);
    let (recs, err) = collect(&ng.out);
    assert!(err.is_none());
    assert_eq!(recs[0].data, [0x45, 1, 2, 3]);
    assert_eq!((recs[0].original_len, recs[0].timestamp_ns), (10, 0));
}

#[test]
fn obsolete_packet_blocks_are_read_with_their_pack_flags() {
    let mut ng = Ng::new(ByteOrder::Big);
    ng.idb(LinkType::RAW, 0, &[ng.opt(option::IF_TSRESOL, &[9])]);
    let flags = ng.opt(
        option::PACK_FLAGS,
        &ng.u32(EpbFlags::inbound(Reception::Multicast).to_bits()),
    );
    let body = [
        &ng.u16(0)[..],
        &ng.u16(0), // drops
        &ng.u32(1),
        &ng.u32(2),
        &ng.u32(2),
        &ng.u32(2),
        &[0x45, 0, 0, 0],
        &flags,
    ]
    .concat();
    ng.block(block::PACKET_OBSOLETE, &body);
    let (recs, err) = collect(&ng.out);
    assert!(err.is_none());
    assert_eq!(recs[0].timestamp_ns, (1 << 32) + 2);
    assert_eq!(recs[0].data, [0x45, 0]);
    assert_eq!(recs[0].flags, Some(EpbFlags::inbound(Reception::Multicast)));
}

#[test]
fn classic_pcap_in_both_byte_orders_and_both_resolutions_is_read() {
    // Big-endian, microseconds, link type ETHERNET with FCS bits set in the upper half.
    let be_us = hex("a1b2c3d4 0002 0004 00000000 00000000 0000ffff 10000001
         00000002 000003e8 00000002 00000003 abcd");
    let (recs, err) = collect(&be_us);
    assert!(err.is_none());
    assert_eq!(recs[0].timestamp_ns, 2_001_000_000);
    assert_eq!(recs[0].link_type, LinkType::ETHERNET);
    assert_eq!(
        (recs[0].data.as_slice(), recs[0].original_len),
        (&[0xab, 0xcd][..], 3)
    );
    // Little-endian, nanoseconds.
    let le_ns = hex("4d3cb2a1 0200 0400 00000000 00000000 ffff0000 65000000
         02000000 05000000 01000000 01000000 45");
    let (recs, err) = collect(&le_ns);
    assert!(err.is_none());
    assert_eq!(recs[0].timestamp_ns, 2_000_000_005);
    let r = CaptureReader::new(&le_ns[..]).unwrap();
    assert_eq!(
        r.format(),
        FileFormat::Pcap {
            byte_order: ByteOrder::Little,
            nanosecond: true
        }
    );
}

#[test]
fn a_file_cut_mid_packet_yields_every_whole_packet_then_the_offset_of_the_cut_one() {
    let mut ng = Ng::new(ByteOrder::Little);
    ng.idb(LinkType::RAW, 0, &[])
        .epb(0, 1, &[0x45; 8], &[])
        .epb(0, 2, &[0x45; 8], &[]);
    let second = ng.out.len() - 40;
    for cut in second + 1..ng.out.len() {
        let (recs, err) = collect(&ng.out[..cut]);
        assert_eq!(recs.len(), 1, "cut at {cut}");
        let err = err.unwrap();
        assert!(err.is_truncation(), "{err}");
        assert_eq!(err.offset(), second as u64);
    }
    let (recs, err) = collect(&ng.out[..second]);
    assert_eq!((recs.len(), err.is_none()), (1, true));
}

#[test]
fn a_pcap_cut_mid_record_yields_the_records_before_it() {
    let mut w = crate::PcapWriter::new(Vec::new(), LinkType::RAW, 0).unwrap();
    w.write_packet(1, 3, &[0x45, 0, 0]).unwrap();
    w.write_packet(2, 3, &[0x45, 0, 0]).unwrap();
    let file = w.into_inner().unwrap();
    let (recs, err) = collect(&file[..file.len() - 1]);
    assert_eq!(recs.len(), 1);
    let err = err.unwrap();
    assert_eq!(err.offset(), (pcap::FILE_HEADER_LEN + 16 + 3) as u64);
    assert!(err.to_string().contains("byte offset 43"), "{err}");
}

#[test]
fn a_block_whose_trailing_length_disagrees_is_corrupt_at_its_offset() {
    let mut ng = Ng::new(ByteOrder::Little);
    ng.idb(LinkType::RAW, 0, &[]).epb(0, 1, &[0x45; 4], &[]);
    let epb_at = ng.out.len() - 36;
    let last = ng.out.len() - 4;
    ng.out[last] = 0x99;
    let (recs, err) = collect(&ng.out);
    assert!(recs.is_empty());
    match err.unwrap() {
        ReadError::Corrupt { offset, .. } => assert_eq!(offset, epb_at as u64),
        e => panic!("{e}"),
    }
}

#[test]
fn impossible_lengths_and_interface_ids_are_corrupt_not_panics() {
    let mut ng = Ng::new(ByteOrder::Little);
    ng.idb(LinkType::RAW, 0, &[]).epb(3, 1, &[0x45], &[]);
    assert!(matches!(
        collect(&ng.out).1,
        Some(ReadError::Corrupt { .. })
    ));

    // Captured length larger than the block.
    let mut ng = Ng::new(ByteOrder::Little);
    ng.idb(LinkType::RAW, 0, &[]).epb(0, 1, &[0x45; 4], &[]);
    let caplen_at = ng.out.len() - 36 + 20;
    ng.out[caplen_at] = 200;
    assert!(matches!(
        collect(&ng.out).1,
        Some(ReadError::Corrupt { .. })
    ));

    // Total length not a multiple of 4, and an enormous one.
    for bad in [13u32, 0xffff_fff0] {
        let mut ng = Ng::new(ByteOrder::Little);
        let at = ng.out.len();
        ng.idb(LinkType::RAW, 0, &[]);
        ng.out[at + 4..at + 8].copy_from_slice(&bad.to_le_bytes());
        let err = collect(&ng.out).1.unwrap();
        assert!(matches!(err, ReadError::Corrupt { .. }), "{err}");
        assert_eq!(err.offset(), at as u64);
    }

    // An option running past the end of its block.
    let mut ng = Ng::new(ByteOrder::Little);
    let mut bad_opt = ng.opt(option::IF_NAME, b"eth0");
    bad_opt[2] = 40;
    ng.idb(LinkType::RAW, 0, &[bad_opt]);
    assert!(matches!(
        collect(&ng.out).1,
        Some(ReadError::Corrupt { .. })
    ));
}

#[test]
fn files_that_are_not_captures_or_are_empty_say_so() {
    assert!(matches!(
        CaptureReader::new(&b"GIF89a"[..]).unwrap_err(),
        ReadError::NotACapture { .. }
    ));
    let empty = CaptureReader::new(&b""[..]).unwrap_err();
    assert!(empty.is_truncation() && empty.offset() == 0);
    let half_header = CaptureReader::new(&hex("4d3cb2a1 0200")[..]).unwrap_err();
    assert!(half_header.is_truncation());
    let pcap_v1 = hex("4d3cb2a1 0100 0000 00000000 00000000 ffff0000 65000000");
    assert!(matches!(
        CaptureReader::new(&pcap_v1[..]).unwrap_err(),
        ReadError::UnsupportedVersion { major: 1, .. }
    ));
}

/// A reader that fails like a dying disk after some bytes.
struct FailingAfter<'a> {
    data: &'a [u8],
}

impl Read for FailingAfter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.data.is_empty() {
            return Err(io::Error::other("EIO"));
        }
        let n = buf.len().min(self.data.len()).min(7);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn an_io_error_mid_file_is_reported_with_its_offset_after_the_whole_records() {
    let mut ng = Ng::new(ByteOrder::Little);
    ng.idb(LinkType::RAW, 0, &[])
        .epb(0, 1, &[0x45; 8], &[])
        .epb(0, 2, &[0x45; 8], &[]);
    let cut = ng.out.len() - 10;
    let mut r = CaptureReader::new(FailingAfter {
        data: &ng.out[..cut],
    })
    .unwrap();
    assert!(r.next_record().unwrap().is_some());
    let err = r.next_record().unwrap_err();
    assert!(matches!(err, ReadError::Io { .. }));
    assert_eq!(err.offset(), cut as u64);
}

/// A length the file declares but does not hold: the largest block and record this reader
/// accepts, on an input of a few bytes.
#[test]
fn a_huge_declared_length_on_a_tiny_input_allocates_only_what_was_read() {
    let mut ng = Ng::new(ByteOrder::Little);
    ng.idb(LinkType::RAW, 0, &[]);
    let epb_at = ng.out.len();
    ng.out
        .extend_from_slice(&block::ENHANCED_PACKET.to_le_bytes());
    ng.out.extend_from_slice(&(16u32 << 20).to_le_bytes());
    ng.out.extend_from_slice(&[0; 8]);
    let mut r = CaptureReader::new(&ng.out[..]).unwrap();
    let err = r.next_record().unwrap_err();
    assert!(err.is_truncation(), "{err}");
    assert_eq!(err.offset(), epb_at as u64);
    assert!(
        r.buf.capacity() <= FIRST_READ_CHUNK,
        "a 16 MiB claim on a {}-byte file allocated {} bytes",
        ng.out.len(),
        r.buf.capacity()
    );

    let mut pcap = hex("4d3cb2a1 0200 0400 00000000 00000000 00000400 65000000");
    pcap.extend_from_slice(&hex("00000000 00000000 00000400 00000400 45"));
    let mut r = CaptureReader::new(&pcap[..]).unwrap();
    let err = r.next_record().unwrap_err();
    assert!(err.is_truncation(), "{err}");
    assert!(
        r.buf.capacity() <= FIRST_READ_CHUNK,
        "a 256 KiB claim on a {}-byte file allocated {} bytes",
        pcap.len(),
        r.buf.capacity()
    );
}
