//! Whatever the writers write, the reader reads back identically: the fuzzer drives
//! PcapWriter or PcapngWriter (several sections, interfaces, packets, statistics, and calls
//! the writer must refuse) and every packet written comes back with its interface, link type,
//! timestamp, bytes, original length, flags and name; a refused call writes nothing.
//! `cargo fuzz run roundtrip` (nightly) from crates/rcvall-pcap.
#![no_main]

use std::io;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use rcvall_pcap::{
    CaptureReader, EpbFlags, InterfaceDesc, InterfaceInfo, InterfaceStats, LinkType, PacketRecord,
    PcapWriter, PcapngWriter, SectionDesc, TsUnit, DEFAULT_SNAPLEN,
};

#[derive(Debug, PartialEq, Eq)]
struct Expected {
    interface_id: u32,
    link_type: LinkType,
    timestamp_ns: u64,
    data: Vec<u8>,
    original_len: u32,
    flags: Option<EpbFlags>,
    interface_name: Option<String>,
}

/// A refusal must be the writer's "invalid input", never a panic or a half-written block.
fn refused(e: io::Error) {
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
}

fn snaplen(u: &mut Unstructured) -> Result<u32> {
    Ok(if u.arbitrary()? {
        u.int_in_range(0..=80)?
    } else {
        u.arbitrary()?
    })
}

/// A packet: bytes, and an original length usually at least as long (shorter: refused).
fn packet<'a>(u: &mut Unstructured<'a>) -> Result<(u64, u32, &'a [u8])> {
    let ts = u.arbitrary()?;
    let len = u.int_in_range(0..=200)?;
    let data = u.bytes(len)?;
    let original_len = match u.int_in_range(0..=3)? {
        0 => u.arbitrary()?,
        _ => len as u32 + u.int_in_range(0..=3)?,
    };
    Ok((ts, original_len, data))
}

fn pcap(u: &mut Unstructured, expected: &mut Vec<Expected>) -> Vec<u8> {
    let link_type = LinkType(u.arbitrary().unwrap_or(101));
    let snap = snaplen(u).unwrap_or(0);
    let mut w = PcapWriter::new(Vec::new(), link_type, snap).unwrap();
    while let Ok((ts, original_len, data)) = packet(u) {
        match w.write_packet(ts, original_len, data) {
            Ok(()) => expected.push(Expected {
                interface_id: 0,
                link_type,
                timestamp_ns: ts,
                data: data.to_vec(),
                original_len,
                flags: None,
                interface_name: None,
            }),
            Err(e) => refused(e),
        }
        if u.is_empty() {
            break;
        }
    }
    w.into_inner().unwrap()
}

/// One pcapng section; returns its bytes and the interfaces it described.
fn section(u: &mut Unstructured, expected: &mut Vec<Expected>) -> (Vec<u8>, Vec<InterfaceDesc>) {
    let desc = SectionDesc {
        user_appl: u.arbitrary().unwrap_or_default(),
        os: u.arbitrary().unwrap_or_default(),
        hardware: u.arbitrary().unwrap_or_default(),
    };
    let mut w = match PcapngWriter::with_section(Vec::new(), &desc) {
        Ok(w) => w,
        Err(e) => {
            refused(e);
            return (Vec::new(), Vec::new());
        }
    };
    let mut ifaces: Vec<InterfaceDesc> = Vec::new();
    while let Ok(op) = u.int_in_range(0..=4u8) {
        let step: Result<()> = (|| {
            match op {
                0 => {
                    let iface = InterfaceDesc {
                        name: u.arbitrary()?,
                        description: u.arbitrary()?,
                        link_type: LinkType(u.arbitrary()?),
                        snaplen: snaplen(u)?,
                    };
                    match w.add_interface(&iface) {
                        Ok(id) => {
                            assert_eq!(id as usize, ifaces.len());
                            ifaces.push(iface);
                        }
                        Err(e) => refused(e),
                    }
                }
                1 => {
                    let id = u.int_in_range(0..=ifaces.len() as u32)?;
                    let stats = InterfaceStats {
                        timestamp_ns: u.arbitrary()?,
                        start_ns: u.arbitrary()?,
                        end_ns: u.arbitrary()?,
                        if_recv: u.arbitrary()?,
                        if_drop: u.arbitrary()?,
                        filter_accept: u.arbitrary()?,
                        os_drop: u.arbitrary()?,
                        usr_deliv: u.arbitrary()?,
                    };
                    if let Err(e) = w.write_stats(id, &stats) {
                        refused(e);
                    }
                }
                _ => {
                    // Sometimes one past the last interface: the writer must refuse it.
                    let interface_id = u.int_in_range(0..=ifaces.len() as u32)?;
                    let flags = u.arbitrary::<Option<u32>>()?.map(EpbFlags::from_bits);
                    let (timestamp_ns, original_len, data) = packet(u)?;
                    let p = PacketRecord {
                        interface_id,
                        timestamp_ns,
                        original_len,
                        data,
                        flags,
                    };
                    match w.write_packet(&p) {
                        Ok(()) => {
                            let iface = &ifaces[interface_id as usize];
                            expected.push(Expected {
                                interface_id,
                                link_type: iface.link_type,
                                timestamp_ns,
                                data: data.to_vec(),
                                original_len,
                                flags,
                                interface_name: iface.name.clone(),
                            });
                        }
                        Err(e) => refused(e),
                    }
                }
            }
            Ok(())
        })();
        if step.is_err() || u.is_empty() {
            break;
        }
    }
    (w.into_inner().unwrap(), ifaces)
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let mut expected = Vec::new();
    let is_pcap = u.arbitrary::<bool>().unwrap_or(false);
    let mut last_ifaces = None;
    let file = if is_pcap {
        pcap(&mut u, &mut expected)
    } else {
        let sections = u.int_in_range(1..=3u8).unwrap_or(1);
        let mut file = Vec::new();
        for _ in 0..sections {
            let (bytes, ifaces) = section(&mut u, &mut expected);
            if !bytes.is_empty() {
                file.extend_from_slice(&bytes);
                last_ifaces = Some(ifaces);
            }
        }
        file
    };
    if file.is_empty() {
        return;
    }
    let mut r = CaptureReader::new(&file[..]).expect("the writer's header is unreadable");
    let mut got = Vec::new();
    while let Some(rec) = r.next_record().expect("the writer's file is unreadable") {
        got.push(Expected {
            interface_id: rec.interface_id,
            link_type: rec.link_type,
            timestamp_ns: rec.timestamp_ns,
            data: rec.data.to_vec(),
            original_len: rec.original_len,
            flags: rec.flags,
            interface_name: rec.interface_name.map(str::to_owned),
        });
    }
    assert_eq!(got, expected);
    assert_eq!(r.offset(), file.len() as u64);
    if let Some(ifaces) = last_ifaces {
        let want: Vec<InterfaceInfo> = ifaces
            .into_iter()
            .map(|i| InterfaceInfo {
                link_type: i.link_type,
                snaplen: i.snaplen,
                name: i.name,
                description: i.description,
                ts_unit: TsUnit::PowerOf10(9),
                ts_offset_s: 0,
            })
            .collect();
        assert_eq!(r.interfaces(), want.as_slice());
    } else {
        assert_eq!(r.interfaces()[0].ts_unit, TsUnit::PowerOf10(9));
        assert!(r.interfaces()[0].snaplen != 0 || DEFAULT_SNAPLEN == 0);
    }
});
