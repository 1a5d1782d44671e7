//! Fuzzes the text printer at every verbosity, with every dump and both sequence-number modes,
//! over a sequence of packets (so that the TCP connection table and the `-ttt` reference are
//! exercised too), and the JSON formatter: nothing may panic. The first byte chooses the flags,
//! the rest is split into packets at each `0xfe` byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rcvall_wire::{format_json, Dump, TextOptions, TextPrinter, TimeFormat};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let mut printer = TextPrinter::new(TextOptions {
        time: [TimeFormat::SincePrevious, TimeFormat::SinceFirst, TimeFormat::DateTime]
            [usize::from(flags % 3)],
        verbose: (flags >> 2) & 3,
        quick: flags & 0x10 != 0,
        absolute_seq: flags & 0x20 != 0,
        dump: [Dump::None, Dump::Hex, Dump::HexAscii, Dump::Ascii][usize::from(flags >> 6)],
        ..TextOptions::default()
    });
    let mut out = String::new();
    for (i, packet) in rest.split(|&b| b == 0xfe).enumerate() {
        let ts = 1_700_000_000_000_000_000u64.wrapping_add(i as u64 * 999_999_937);
        out.clear();
        let _ = printer.write_packet(&mut out, ts, None, None, packet, packet.len() as u32 + 3);
        out.clear();
        let _ = format_json(&mut out, ts, None, None, packet, packet.len() as u32);
    }
});
