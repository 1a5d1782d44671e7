//! The Linux kernel's classic BPF checker accepts every program rcvall generates, and agrees
//! with [`rcvall_filter::validate`] on hand-made programs. Attaching a filter to a UDP socket
//! needs no privileges.
#![cfg(target_os = "linux")]

mod common;

use rcvall_filter::insn::*;
use rcvall_filter::{compile, validate, CompileOptions, Insn};
use socket2::{Domain, Socket, Type};

fn kernel_accepts(insns: &[Insn]) -> bool {
    let sock = Socket::new(Domain::IPV4, Type::DGRAM, None).expect("UDP socket");
    let prog: Vec<libc::sock_filter> = insns
        .iter()
        .map(|i| libc::sock_filter {
            code: i.code,
            jt: i.jt,
            jf: i.jf,
            k: i.k,
        })
        .collect();
    sock.attach_filter(&prog).is_ok()
}

#[test]
fn kernel_accepts_every_program_of_the_corpus() {
    let mut refused = Vec::new();
    let mut extra: Vec<String> = vec![
        "inbound".into(),
        "outbound and tcp".into(),
        "ip[0] << ip[1] = 0".into(),
        "ip[ip[0] * 0x1000000] = 0".into(),
        "ip[0] % ip[1] = 1 and ip[0] ^ 3 = 1 and 0 = -ip[0]".into(),
    ];
    let ports: Vec<String> = (1..=40).map(|p| format!("port {}", p * 37)).collect();
    extra.push(ports.join(" or "));
    for e in common::corpus::BASE
        .iter()
        .map(|s| s.to_string())
        .chain(extra)
    {
        let p = compile(&e, &CompileOptions::default()).unwrap();
        if !kernel_accepts(p.insns()) {
            refused.push(e);
        }
    }
    assert!(refused.is_empty(), "the kernel refused: {refused:#?}");
}

#[test]
fn validator_and_kernel_agree_on_hand_made_programs() {
    let ret = Insn::stmt(BPF_RET | BPF_K, 1);
    let cases: Vec<Vec<Insn>> = vec![
        vec![ret],
        vec![Insn::stmt(BPF_LD | BPF_IMM, 0)],
        vec![Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), ret],
        vec![Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), ret, ret],
        vec![Insn::stmt(BPF_JMP | BPF_JA, 1), ret],
        vec![Insn::stmt(BPF_LD | BPF_MEM, 16), ret],
        vec![Insn::stmt(BPF_LD | BPF_MEM, 3), ret],
        vec![Insn::stmt(BPF_ST, 3), Insn::stmt(BPF_LD | BPF_MEM, 3), ret],
        vec![
            Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
            Insn::stmt(BPF_ST, 2),
            Insn::stmt(BPF_LDX | BPF_MEM, 2),
            ret,
        ],
        vec![Insn::stmt(BPF_ALU | BPF_DIV | BPF_K, 0), ret],
        vec![Insn::stmt(BPF_ALU | BPF_MOD | BPF_K, 0), ret],
        vec![Insn::stmt(BPF_ALU | BPF_DIV | BPF_X, 0), ret],
        vec![Insn::stmt(BPF_ALU | BPF_LSH | BPF_K, 32), ret],
        vec![Insn::stmt(BPF_ALU | BPF_LSH | BPF_K, 31), ret],
        vec![Insn::stmt(0xffff, 0), ret],
        vec![Insn::stmt(BPF_RET | BPF_A, 0)],
        vec![Insn::stmt(BPF_RET | BPF_X, 0)],
        vec![
            Insn::stmt(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
            ret,
        ],
        vec![ret; BPF_MAXINSNS],
        vec![ret; BPF_MAXINSNS + 1],
    ];
    let mut disagree = Vec::new();
    for (n, c) in cases.iter().enumerate() {
        let ours = validate(c).is_ok();
        if ours != kernel_accepts(c) {
            disagree.push(format!("case {n}: validate {ours}, kernel {}", !ours));
        }
    }
    assert!(disagree.is_empty(), "{disagree:#?}");
}
