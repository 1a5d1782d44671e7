//! Property tests: whatever the writers write, the reader gives back exactly; a file cut
//! anywhere gives back exactly the records wholly before the cut; garbage never panics.

use proptest::prelude::*;
use rcvall_pcap::{
    CaptureReader, Direction, EpbFlags, InterfaceDesc, InterfaceStats, LinkType, PacketRecord,
    PcapWriter, PcapngWriter, ReadError, Reception,
};

#[derive(Clone, Debug, PartialEq, Eq)]
struct Packet {
    interface_id: u32,
    timestamp_ns: u64,
    data: Vec<u8>,
    original_len: u32,
    flags: Option<EpbFlags>,
}

#[derive(Clone, Debug)]
struct Iface {
    name: Option<String>,
    link_type: LinkType,
}

fn flags() -> impl Strategy<Value = Option<EpbFlags>> {
    let direction = prop_oneof![
        Just(None),
        Just(Some(Direction::In)),
        Just(Some(Direction::Out)),
    ];
    let reception = prop_oneof![
        Just(None),
        Just(Some(Reception::Unicast)),
        Just(Some(Reception::Multicast)),
        Just(Some(Reception::Broadcast)),
        Just(Some(Reception::Promiscuous)),
    ];
    proptest::option::of(
        (direction, reception).prop_map(|(direction, reception)| EpbFlags {
            direction,
            reception,
        }),
    )
}

fn ifaces() -> impl Strategy<Value = Vec<Iface>> {
    let link = prop_oneof![
        Just(LinkType::RAW),
        Just(LinkType::ETHERNET),
        Just(LinkType::LINUX_SLL2)
    ];
    proptest::collection::vec(
        (proptest::option::of("[a-z]{1,15}[0-9]{0,2}"), link)
            .prop_map(|(name, link_type)| Iface { name, link_type }),
        1..4,
    )
}

fn packets(n_ifaces: usize, max_ts: u64) -> impl Strategy<Value = Vec<Packet>> {
    proptest::collection::vec(
        (
            0..n_ifaces as u32,
            0..max_ts,
            proptest::collection::vec(any::<u8>(), 0..80),
            0u32..2000,
            flags(),
        )
            .prop_map(|(interface_id, timestamp_ns, data, extra, flags)| Packet {
                interface_id,
                timestamp_ns,
                original_len: data.len() as u32 + extra,
                data,
                flags,
            }),
        0..20,
    )
}

fn pcapng_case() -> impl Strategy<Value = (Vec<Iface>, Vec<Packet>)> {
    ifaces().prop_flat_map(|ifs| {
        let n = ifs.len();
        (Just(ifs), packets(n, u64::MAX))
    })
}

/// Writes a pcapng file; returns it and the end offset of each packet's block.
fn write_pcapng(ifs: &[Iface], pkts: &[Packet]) -> (Vec<u8>, Vec<usize>) {
    let mut w = PcapngWriter::new(Vec::new(), "rcvall-pcap test").unwrap();
    for i in ifs {
        w.add_interface(&InterfaceDesc {
            name: i.name.clone(),
            description: Some("ifindex 1".into()),
            link_type: i.link_type,
            snaplen: 0,
        })
        .unwrap();
    }
    let mut ends = Vec::new();
    for p in pkts {
        w.write_packet(&PacketRecord {
            interface_id: p.interface_id,
            timestamp_ns: p.timestamp_ns,
            original_len: p.original_len,
            data: &p.data,
            flags: p.flags,
        })
        .unwrap();
        ends.push(w.get_ref().len());
    }
    w.write_stats(
        0,
        &InterfaceStats {
            timestamp_ns: 1,
            if_recv: Some(pkts.len() as u64),
            ..InterfaceStats::default()
        },
    )
    .unwrap();
    (w.into_inner().unwrap(), ends)
}

/// Reads every record; the error, if any, ends the list.
fn read_all(file: &[u8], ifs: Option<&[Iface]>) -> (Vec<Packet>, Option<ReadError>) {
    let mut r = match CaptureReader::new(file) {
        Ok(r) => r,
        Err(e) => return (Vec::new(), Some(e)),
    };
    let mut out = Vec::new();
    loop {
        match r.next_record() {
            Ok(Some(rec)) => {
                if let Some(ifs) = ifs {
                    let i = &ifs[rec.interface_id as usize];
                    assert_eq!(rec.link_type, i.link_type);
                    assert_eq!(rec.interface_name, i.name.as_deref());
                }
                out.push(Packet {
                    interface_id: rec.interface_id,
                    timestamp_ns: rec.timestamp_ns,
                    data: rec.data.to_vec(),
                    original_len: rec.original_len,
                    flags: rec.flags,
                });
            }
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

proptest! {
    #[test]
    fn pcapng_written_then_read_gives_back_the_same_records((ifs, pkts) in pcapng_case()) {
        let (file, _) = write_pcapng(&ifs, &pkts);
        let (got, err) = read_all(&file, Some(&ifs));
        prop_assert!(err.is_none(), "{:?}", err);
        prop_assert_eq!(got, pkts);
    }

    #[test]
    fn pcap_written_then_read_gives_back_the_same_records(
        pkts in packets(1, (u64::from(u32::MAX) + 1) * 1_000_000_000)
    ) {
        let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 0).unwrap();
        for p in &pkts {
            w.write_packet(p.timestamp_ns, p.original_len, &p.data).unwrap();
        }
        let file = w.into_inner().unwrap();
        let (got, err) = read_all(&file, None);
        prop_assert!(err.is_none(), "{:?}", err);
        // pcap keeps no direction.
        let expected: Vec<Packet> = pkts.into_iter().map(|p| Packet { flags: None, ..p }).collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn a_pcapng_cut_anywhere_gives_back_exactly_the_whole_packets_before_the_cut(
        (ifs, pkts) in pcapng_case(),
        cut_frac in 0.0f64..1.0,
    ) {
        let (file, ends) = write_pcapng(&ifs, &pkts);
        let cut = (file.len() as f64 * cut_frac) as usize;
        let (got, err) = read_all(&file[..cut], Some(&ifs));
        let whole = ends.iter().filter(|&&end| end <= cut).count();
        prop_assert_eq!(&got[..], &pkts[..whole]);
        if let Some(err) = err {
            prop_assert!(err.is_truncation(), "{}", err);
            prop_assert!(err.offset() <= cut as u64);
        }
    }

    #[test]
    fn garbage_after_a_valid_header_is_an_error_or_records_never_a_panic(
        garbage in proptest::collection::vec(any::<u8>(), 0..400),
        pcapng in any::<bool>(),
    ) {
        let mut file = if pcapng {
            let mut w = PcapngWriter::new(Vec::new(), "x").unwrap();
            w.add_interface(&InterfaceDesc::default()).unwrap();
            w.into_inner().unwrap()
        } else {
            PcapWriter::new(Vec::new(), LinkType::RAW, 0).unwrap().into_inner().unwrap()
        };
        file.extend_from_slice(&garbage);
        let _ = read_all(&file, None);
    }
}
