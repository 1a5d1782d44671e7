//! The `compile` fuzz target's (fuzz/fuzz_targets/compile.rs) interesting inputs, as unit tests
//! named after what they check: the run-time paths its packet and raw-program modes reach that
//! the other suites do not pin down (a zero divisor from the packet, loads past a snap length,
//! `len` against the wire length, X + k wrapping). The target asserts on every input what these
//! assert on a few: no panic, and the optimised and straight programs selecting alike.

use rcvall_filter::insn::*;
use rcvall_filter::{compile, compile_unoptimized, CompileOptions, Insn, Program};

/// IPv4/TCP SYN 198.18.0.1:40000 → 198.18.0.2:80, tos 0.
const SYN: [u8; 40] = [
    0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2, 0x9c, 0x40, 0, 80, 0,
    0, 3, 0xe8, 0, 0, 0, 0, 0x50, 0x02, 0x7f, 0xff, 0, 0, 0, 0,
];

/// Runs both forms of `expr` and asserts they agree; returns the optimised result.
fn run_both(expr: &str, packet: &[u8], wire_len: u32) -> u32 {
    let opts = CompileOptions::default();
    let optimised = compile(expr, &opts).unwrap().run(packet, wire_len, 0);
    let straight = compile_unoptimized(expr, &opts)
        .unwrap()
        .run(packet, wire_len, 0);
    assert_eq!(optimised, straight, "{expr:?}");
    optimised
}

/// A divisor read from the packet that is zero at run time: the kernel's interpreter returns 0
/// (reject) rather than trapping, and so must ours, in both forms.
#[test]
fn division_by_a_packet_byte_that_is_zero_rejects() {
    assert_eq!(SYN[1], 0);
    assert_eq!(run_both("ip[0] / ip[1] = 0", &SYN, 40), 0);
    assert_eq!(run_both("ip[0] % ip[1] = 0", &SYN, 40), 0);
    assert_eq!(run_both("ip[0] / (ip[1] + 1) = 69", &SYN, 40), 262_144);
}

/// The input's own packet, cut inside the TCP header (a snap length): a load past the captured
/// bytes rejects the packet, whatever the wire length says.
#[test]
fn a_load_past_the_captured_bytes_rejects_a_cut_packet() {
    let cut = &SYN[..30];
    assert_eq!(run_both("tcp[tcpflags] & tcp-syn != 0", &SYN, 40), 262_144);
    assert_eq!(run_both("tcp[tcpflags] & tcp-syn != 0", cut, 40), 0);
    assert_eq!(run_both("tcp[tcpflags] & tcp-syn != 0", cut, 4000), 0);
    assert_eq!(run_both("tcp dst port 80", cut, 4000), 262_144);
}

/// `len` is the wire length, not the captured one (the fuzz target runs each packet at both).
#[test]
fn len_is_the_wire_length_of_a_cut_packet() {
    assert_eq!(run_both("len > 100", &SYN, 40), 0);
    assert_eq!(run_both("len > 100", &SYN, 160), 262_144);
    assert_eq!(run_both("greater 41 and less 40", &SYN, 40), 0);
}

/// A raw program (the target's 0xff inputs) dividing by X = 0 passes the validator (only a
/// constant zero divisor is refused) and returns 0 at run time.
#[test]
fn raw_program_dividing_by_x_zero_returns_zero() {
    let p = Program::from_insns(vec![
        Insn::stmt(BPF_LDX | BPF_W | BPF_IMM, 0),
        Insn::stmt(BPF_LD | BPF_W | BPF_IMM, 7),
        Insn::stmt(BPF_ALU | BPF_DIV | BPF_X, 0),
        Insn::stmt(BPF_RET | BPF_A, 0),
    ])
    .unwrap();
    assert_eq!(p.run(&SYN, 40, 0), 0);
}

/// A raw indirect load whose X + k wraps past u32::MAX must reject, not wrap to offset 0.
#[test]
fn raw_indirect_load_whose_offset_wraps_rejects() {
    let p = Program::from_insns(vec![
        Insn::stmt(BPF_LDX | BPF_W | BPF_IMM, u32::MAX),
        Insn::stmt(BPF_LD | BPF_B | BPF_IND, 2),
        Insn::stmt(BPF_RET | BPF_K, 1),
    ])
    .unwrap();
    assert_eq!(p.run(&SYN, 40, 0), 0);
}
