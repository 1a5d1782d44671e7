//! Fuzzes the text printer with every option `TextOptions` offers (each `-t` style, both
//! precisions, four zones, `-v`…`-vvv`, `-q`, `-S`, each dump and its link-layer form), through
//! `write_frame` behind a link-layer header as a file read back has one, with and without the
//! interface and direction words, over a sequence of packets (so that the TCP connection table and
//! the `-ttt`/`-ttttt` references are exercised, also by timestamps that go backwards or sit at the
//! ends of u64), with captures cut short of their wire length (a snap length) or claiming less
//! than was captured; and the JSON formatter on the same packets: nothing may panic.
//!
//! Input: three option bytes, then packets, each as a big-endian u16 length and that many bytes
//! (the last one takes what is left). Seeds: `scripts/fuzz-seeds.py` in this folder.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rcvall_wire::{
    format_json, Direction, Dump, Interface, Precision, TextOptions, TextPrinter, TimeFormat,
    TimeZone,
};

const TIMES: [TimeFormat; 6] = [
    TimeFormat::None,
    TimeFormat::Unix,
    TimeFormat::TimeOfDay,
    TimeFormat::DateTime,
    TimeFormat::SincePrevious,
    TimeFormat::SinceFirst,
];
const DUMPS: [Dump; 4] = [Dump::None, Dump::Hex, Dump::HexAscii, Dump::Ascii];
/// Link-layer header lengths the IP packet may sit behind: none (raw), BSD loopback, Ethernet,
/// Linux cooked v1.
const LINK_HEADERS: [usize; 4] = [0, 4, 14, 16];

/// UTC, two fixed offsets, a POSIX rule with DST and, when the system has it, a TZif zone.
fn zones() -> &'static [TimeZone] {
    static ZONES: OnceLock<Vec<TimeZone>> = OnceLock::new();
    ZONES.get_or_init(|| {
        let mut z = vec![
            TimeZone::UTC,
            TimeZone::fixed(5 * 3600 + 1800),
            TimeZone::from_posix("EST5EDT,M3.2.0,M11.1.0").expect("valid rule"),
        ];
        z.push(
            std::fs::read("/usr/share/zoneinfo/Australia/Lord_Howe")
                .ok()
                .and_then(|d| TimeZone::from_tzif(&d).ok())
                .unwrap_or_else(|| TimeZone::fixed(-10 * 3600)),
        );
        z
    })
}

/// Splits the packets: a u16 length, then the bytes.
fn packets(mut rest: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        let (len, tail) = match rest {
            [] => return None,
            [_] => return None,
            [hi, lo, tail @ ..] => (usize::from(u16::from_be_bytes([*hi, *lo])), tail),
        };
        let (packet, next) = tail.split_at(len.min(tail.len()));
        rest = next;
        Some(packet)
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&[a, b, c], rest)) = data.split_first_chunk::<3>() else {
        return;
    };
    let options = TextOptions {
        time: TIMES[usize::from(a & 7) % TIMES.len()],
        precision: if a & 8 != 0 {
            Precision::Nano
        } else {
            Precision::Micro
        },
        verbose: (a >> 4) & 3,
        quick: a & 0x40 != 0,
        absolute_seq: a & 0x80 != 0,
        dump: DUMPS[usize::from(b & 3)],
        dump_link_layer: b & 4 != 0,
        zone: zones()[usize::from(b >> 3 & 3)].clone(),
    };
    let link_header = LINK_HEADERS[usize::from(b >> 5 & 3)];
    let (direction, ifname) = match b >> 7 | (c & 1) << 1 {
        0 => (None, None),
        1 => (Some(Direction::In), None),
        2 => (Some(Direction::Out), Some("rcvt0")),
        _ => (None, Some("a-long-interface-name")),
    };
    // The timestamps: from 2023, from 0, near u64::MAX; ascending or going back.
    let ts_base =
        [1_700_000_000_123_456_789u64, 0, u64::MAX - 3_000_000_000][usize::from(c >> 1 & 3) % 3];
    let backwards = c & 8 != 0;
    // The wire length: what was captured plus up to 15 × 97 bytes cut by the snap length,
    // or (0xf) half of what was captured.
    let missing = u32::from(c >> 4);

    let mut printer = TextPrinter::new(options);
    let mut frame = Vec::new();
    let mut out = String::new();
    for (i, packet) in packets(rest).enumerate() {
        let step = (i as u64).wrapping_mul(999_999_937);
        let ts = if backwards {
            ts_base.wrapping_sub(step)
        } else {
            ts_base.wrapping_add(step)
        };
        let captured = packet.len() as u32;
        let original_len = if missing == 0xf {
            captured / 2
        } else {
            captured + missing * 97
        };
        frame.clear();
        frame.resize(link_header, 0x45);
        frame.extend_from_slice(packet);
        out.clear();
        let _ = printer.write_frame(
            &mut out,
            ts,
            direction,
            ifname,
            &frame,
            link_header,
            original_len,
        );
        out.clear();
        let iface = ifname.map(|name| Interface {
            name: Some(name),
            index: Some(c.into()),
        });
        let _ = format_json(&mut out, ts, direction, iface, packet, original_len);
    }
});
