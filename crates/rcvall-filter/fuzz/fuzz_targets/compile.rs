//! Fuzzes the whole compiler from source text: it must never panic, every program it emits must
//! pass the validator, and the optimiser must not change what a program selects.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rcvall_filter::{compile, compile_unoptimized, validate, CompileOptions};

/// A few packets: IPv4/TCP with options, IPv6/UDP, truncated, empty.
const PACKETS: &[&[u8]] = &[
    &[
        0x46, 0, 0, 44, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 192, 168, 1, 1, 1, 1, 1, 1, 0,
        80, 1, 187, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x12, 0xff, 0xff, 0, 0, 0, 0,
    ],
    &[
        0x60, 0, 0, 0, 0, 8, 17, 64, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff,
        2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 53, 0, 53, 0, 8, 0, 0,
    ],
    &[0x45, 0, 0, 40, 0, 0, 0x20, 1, 64, 17],
    &[],
];

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let opts = CompileOptions::default();
    let Ok(prog) = compile(src, &opts) else { return };
    assert!(validate(prog.insns()).is_ok());
    let _ = prog.disassemble();
    let unopt = compile_unoptimized(src, &opts);
    for p in PACKETS {
        for pkttype in [0, 4] {
            let r = prog.run(p, p.len() as u32, pkttype);
            if let Ok(u) = &unopt {
                assert_eq!(r, u.run(p, p.len() as u32, pkttype), "{src:?}");
            }
        }
    }
});
