//! Fuzzes the whole compiler from source text: it must never panic, every program it emits must
//! pass the validator, and the optimiser must not change what a program selects, on a few fixed
//! packets and on one the input brings (`rcvall read -F` runs the interpreter on a file's
//! packets, which are untrusted). An input that starts with 0xff (never UTF-8) is instead raw
//! instructions, 8 bytes each as `struct sock_filter`, for `Program::from_insns`: the validator
//! must refuse what the interpreter cannot run, and the interpreter and printers must not panic.
//!
//! Input: the expression, then optionally a NUL and the packet. Seeds: `seeds.py` here.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rcvall_filter::{compile, compile_unoptimized, validate, CompileOptions, Insn, Program};

/// A few packets: IPv4/TCP with options, IPv6/UDP, truncated, empty.
const PACKETS: &[&[u8]] = &[
    &[
        0x46, 0, 0, 44, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 192, 168, 1, 1, 1, 1, 1, 1, 0, 80,
        1, 187, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x12, 0xff, 0xff, 0, 0, 0, 0,
    ],
    &[
        0x60, 0, 0, 0, 0, 8, 17, 64, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff,
        2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 53, 0, 53, 0, 8, 0, 0,
    ],
    &[0x45, 0, 0, 40, 0, 0, 0x20, 1, 64, 17],
    &[],
];

/// Wire lengths to run each packet at: as captured, and cut by a snap length.
fn wire_lens(packet: &[u8]) -> [u32; 2] {
    let len = packet.len() as u32;
    [len, len.saturating_mul(3).saturating_add(40)]
}

fn raw_program(data: &[u8]) {
    let (code, packet) = data.split_at((data.len() / 8 * 8).min(8 * 64));
    let insns: Vec<Insn> = code
        .chunks_exact(8)
        .map(|c| Insn {
            code: u16::from_le_bytes([c[0], c[1]]),
            jt: c[2],
            jf: c[3],
            k: u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
        })
        .collect();
    let Ok(prog) = Program::from_insns(insns) else {
        return;
    };
    let _ = (prog.disassemble(), prog.to_c_array(), prog.to_decimal());
    for p in PACKETS.iter().copied().chain([packet]) {
        for wire_len in wire_lens(p) {
            for pkttype in [0, 4] {
                let _ = prog.run(p, wire_len, pkttype);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Some((0xff, rest)) = data.split_first() {
        return raw_program(rest);
    }
    let (text, packet) = match data.iter().position(|&b| b == 0) {
        Some(nul) => (&data[..nul], &data[nul + 1..]),
        None => (data, &[][..]),
    };
    let Ok(src) = std::str::from_utf8(text) else {
        return;
    };
    let opts = CompileOptions::default();
    let Ok(prog) = compile(src, &opts) else {
        return;
    };
    assert!(validate(prog.insns()).is_ok());
    let _ = prog.disassemble();
    let unopt = compile_unoptimized(src, &opts);
    for p in PACKETS.iter().copied().chain([packet]) {
        for wire_len in wire_lens(p) {
            for pkttype in [0, 4] {
                let r = prog.run(p, wire_len, pkttype);
                if let Ok(u) = &unopt {
                    assert_eq!(r, u.run(p, wire_len, pkttype), "{src:?}");
                }
            }
        }
    }
});
