//! Property tests: parsing and formatting never panic, on arbitrary bytes and on every
//! truncation of valid packets.

use proptest::prelude::*;
use rcvall_wire::{
    format_json, format_line, parse, Direction, Dump, Interface, TextOptions, TextPrinter,
    TimeFormat, TimeStyle,
};

fn all_outputs(ip: &[u8], original_len: u32, ts: u64) {
    let s = parse(ip);
    assert!(s.captured_len == ip.len());
    let mut line = String::new();
    format_line(
        &mut line,
        ts,
        Some(Direction::In),
        Some("eth0"),
        ip,
        original_len,
        TimeStyle::UNIX_NANO,
    )
    .unwrap();
    // Text only: packet bytes reach the line escaped (`M-`, `^`) or as `.`; the only control
    // characters are tcpdump's own line breaks and tabs (dumps, -v, tunnels).
    assert!(
        !line
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "{line:?}"
    );
    for verbose in [1, 2] {
        let mut printer = TextPrinter::new(TextOptions {
            time: TimeFormat::SinceFirst,
            verbose,
            dump: [Dump::HexAscii, Dump::Ascii][usize::from(verbose) - 1],
            ..TextOptions::default()
        });
        let mut text = String::new();
        for _ in 0..2 {
            printer
                .write_packet(&mut text, ts, None, None, ip, original_len)
                .unwrap();
        }
        assert!(
            !text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t'),
            "{text:?}"
        );
        let mut quick = TextPrinter::new(TextOptions {
            quick: true,
            ..TextOptions::default()
        });
        quick
            .write_packet(&mut text, ts, None, None, ip, original_len)
            .unwrap();
    }
    let mut json = String::new();
    format_json(
        &mut json,
        ts,
        Some(Direction::Out),
        Some(Interface {
            name: Some("x"),
            index: Some(1),
        }),
        ip,
        original_len,
    )
    .unwrap();
    assert!(json.starts_with('{') && json.ends_with('}'));
    assert!(!json.chars().any(|c| (c as u32) < 0x20), "{json:?}");
}

/// A valid-looking packet: IPv4 or IPv6 header, optional v6 extension headers, a transport.
fn packet() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<bool>(),
        prop::sample::select(vec![1u8, 6, 17, 58, 51, 44, 0, 60, 43, 4, 41, 50, 253]),
        prop::collection::vec(any::<u8>(), 0..120),
        any::<u8>(),
    )
        .prop_map(|(v6, proto, mut body, flags)| {
            if body.len() >= 14 && proto == 6 {
                body[12] = 0x50 + (flags & 0x30);
                body[13] = flags;
            }
            if body.len() >= 2 && matches!(proto, 0 | 60 | 43 | 51) {
                body[1] &= 1;
            }
            let mut v;
            if v6 {
                v = vec![0x60, 0, 0, 0];
                v.extend_from_slice(&(body.len() as u16).to_be_bytes());
                v.extend_from_slice(&[proto, 64]);
                v.extend_from_slice(&[0x20, 1, 0xd, 0xb8]);
                v.extend_from_slice(&[0; 11]);
                v.push(1);
                v.extend_from_slice(&[0x20, 1, 0xd, 0xb8]);
                v.extend_from_slice(&[0; 11]);
                v.push(2);
            } else {
                v = vec![0x45, 0];
                v.extend_from_slice(&((20 + body.len()) as u16).to_be_bytes());
                v.extend_from_slice(&[0, 1, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
            }
            v.extend_from_slice(&body);
            v
        })
}

/// A UDP or TCP segment to a port tcpdump decodes the payload of (DNS, DHCP, NTP, …), or an
/// IGMP, GRE or SCTP packet, with random contents: the application printers' inputs.
fn app_packet() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(vec![
            (17u8, 53u16),
            (17, 5353),
            (17, 67),
            (17, 123),
            (17, 514),
            (17, 546),
            (17, 4789),
            (17, 6081),
            (6, 22),
            (6, 53),
            (6, 80),
            (2, 0),
            (47, 0),
            (132, 0),
        ]),
        prop::collection::vec(any::<u8>(), 0..300),
        any::<bool>(),
    )
        .prop_map(|((proto, port), body, v6)| {
            let mut l4 = Vec::new();
            match proto {
                17 => {
                    l4.extend_from_slice(&40_000u16.to_be_bytes());
                    l4.extend_from_slice(&port.to_be_bytes());
                    l4.extend_from_slice(&((8 + body.len()) as u16).to_be_bytes());
                    l4.extend_from_slice(&[0, 0]);
                }
                6 => {
                    l4.extend_from_slice(&40_000u16.to_be_bytes());
                    l4.extend_from_slice(&port.to_be_bytes());
                    l4.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x18, 1, 0, 0, 0, 0, 0]);
                }
                _ => {}
            }
            l4.extend_from_slice(&body);
            let mut v = if v6 {
                let mut v = vec![0x60, 0, 0, 0];
                v.extend_from_slice(&(l4.len() as u16).to_be_bytes());
                v.extend_from_slice(&[proto, 64]);
                v.extend_from_slice(&[0x20, 1, 0xd, 0xb8]);
                v.extend_from_slice(&[0; 11]);
                v.push(1);
                v.extend_from_slice(&[0x20, 1, 0xd, 0xb8]);
                v.extend_from_slice(&[0; 11]);
                v.push(2);
                v
            } else {
                let mut v = vec![0x45, 0];
                v.extend_from_slice(&((20 + l4.len()) as u16).to_be_bytes());
                v.extend_from_slice(&[0, 1, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
                v
            };
            v.extend_from_slice(&l4);
            v
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200), orig in any::<u32>(), ts in any::<u64>()) {
        all_outputs(&bytes, orig, ts);
    }

    #[test]
    fn arbitrary_bytes_behind_an_ip_nibble(first in prop::sample::select(vec![0x45u8, 0x46, 0x4f, 0x60, 0x6f]), rest in prop::collection::vec(any::<u8>(), 0..200), orig in any::<u32>()) {
        let mut v = vec![first];
        v.extend_from_slice(&rest);
        all_outputs(&v, orig, 0);
    }

    #[test]
    fn application_payloads_of_every_kind(p in app_packet()) {
        for cut in [p.len(), p.len() * 3 / 4, p.len() / 2] {
            all_outputs(&p[..cut], p.len() as u32, 7);
        }
    }

    #[test]
    fn every_truncation_of_valid_packets(p in packet()) {
        for cut in 0..=p.len() {
            all_outputs(&p[..cut], p.len() as u32, 1);
            all_outputs(&p[..cut], cut as u32, 1);
        }
    }
}
