//! Behaviour of the public API that does not need libpcap.

mod common;

use rcvall_filter::insn::*;
use rcvall_filter::{
    compile, compile_unoptimized, validate, CompileOptions, FilterError, Insn, Program,
    ValidateError,
};

fn opts() -> CompileOptions {
    CompileOptions::default()
}

#[test]
fn empty_expression_accepts_everything_with_snaplen() {
    for e in ["", "   ", "\t\n"] {
        let p = compile(e, &CompileOptions { snaplen: 1234 }).unwrap();
        assert_eq!(p.insns(), &[Insn::stmt(BPF_RET | BPF_K, 1234)]);
        assert_eq!(p.run(&[], 0, 0), 1234);
    }
}

#[test]
fn accepted_packet_returns_snaplen_and_rejected_returns_zero() {
    let p = compile("ip", &CompileOptions { snaplen: 96 }).unwrap();
    assert_eq!(p.run(&[0x45, 0, 0, 20], 20, 0), 96);
    assert_eq!(p.run(&[0x60, 0, 0, 0], 40, 0), 0);
}

#[test]
fn outbound_matches_packet_type_outgoing_only() {
    let out = compile("outbound", &opts()).unwrap();
    let inb = compile("inbound", &opts()).unwrap();
    assert_eq!(
        out.insns()[0],
        Insn::stmt(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE)
    );
    for t in 0..=4 {
        assert_eq!(out.run(&[0x45], 1, t) != 0, t == PACKET_OUTGOING);
        assert_eq!(inb.run(&[0x45], 1, t) != 0, t != PACKET_OUTGOING);
    }
    let both = compile("outbound and tcp", &opts()).unwrap();
    let mut syn = vec![0u8; 40];
    syn[0] = 0x45;
    syn[9] = 6;
    assert_ne!(both.run(&syn, 40, PACKET_OUTGOING), 0);
    assert_eq!(both.run(&syn, 40, 0), 0);
    assert!(out.disassemble().contains("ld       #type"));
}

#[test]
fn parse_error_says_where_and_what_was_expected() {
    let e = compile("tcp port", &opts()).unwrap_err();
    match &e {
        FilterError::Parse {
            pos,
            expected,
            found,
        } => {
            assert_eq!(*pos, 8);
            assert!(expected.contains("number"), "{expected}");
            assert_eq!(found, "end of expression");
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("offset 8"), "{e}");
    let e = compile("tcp and (udp or", &opts()).unwrap_err();
    assert!(matches!(e, FilterError::Parse { pos: 15, .. }), "{e:?}");
    let e = compile("ip[0] = 1 ) ", &opts()).unwrap_err();
    assert!(matches!(e, FilterError::Parse { pos: 10, .. }), "{e:?}");
}

#[test]
fn unsupported_constructs_are_refused_not_miscompiled() {
    assert!(matches!(
        compile("byte 9 & 2", &opts()),
        Err(FilterError::Unsupported { pos: 7, .. })
    ));
    for e in [
        "ether host 1:2:3:4:5:6",
        "arp",
        "vlan 10",
        "host example.com",
        "ip protochain 6",
        "gateway foo",
        "port http",
        "byte 9 & 2",
        "byte 9 | 1",
        "link",
        "ether[0",
    ] {
        assert!(compile(e, &opts()).is_err(), "{e} compiled");
    }
}

#[test]
fn out_of_bounds_load_rejects_even_under_not() {
    let p = compile("not ip[100] = 1", &opts()).unwrap();
    let mut pkt = vec![0u8; 60];
    pkt[0] = 0x45;
    assert_eq!(p.run(&pkt, 60, 0), 0);
    pkt.resize(101, 0);
    assert_ne!(p.run(&pkt, 101, 0), 0);
}

#[test]
fn disassembly_matches_tcpdump_format() {
    // `tcpdump -d 'tcp port 80'` at LINKTYPE_RAW, libpcap 1.10.
    let expected = "\
(000) ldb      [0]
(001) and      #0xf0
(002) jeq      #0x60            jt 3\tjf 9
(003) ldb      [6]
(004) jeq      #0x6             jt 5\tjf 22
(005) ldh      [40]
(006) jeq      #0x50            jt 21\tjf 7
(007) ldh      [42]
(008) jeq      #0x50            jt 21\tjf 22
(009) ldb      [0]
(010) and      #0xf0
(011) jeq      #0x40            jt 12\tjf 22
(012) ldb      [9]
(013) jeq      #0x6             jt 14\tjf 22
(014) ldh      [6]
(015) jset     #0x1fff          jt 22\tjf 16
(016) ldxb     4*([0]&0xf)
(017) ldh      [x + 0]
(018) jeq      #0x50            jt 21\tjf 19
(019) ldh      [x + 2]
(020) jeq      #0x50            jt 21\tjf 22
(021) ret      #262144
(022) ret      #0
";
    let p = compile("tcp port 80", &opts()).unwrap();
    assert_eq!(p.disassemble(), expected);
    let p = Program::from_insns(vec![
        Insn::stmt(BPF_LD | BPF_W | BPF_LEN, 0),
        Insn::stmt(BPF_ST, 0),
        Insn::stmt(BPF_LDX | BPF_W | BPF_MEM, 0),
        Insn::stmt(BPF_MISC | BPF_TAX, 0),
        Insn::stmt(BPF_ALU | BPF_ADD | BPF_K, 1),
        Insn::stmt(BPF_ALU | BPF_NEG, 0),
        Insn::jump(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 1),
        Insn::stmt(BPF_JMP | BPF_JA, 0),
        Insn::stmt(BPF_RET | BPF_A, 0),
    ])
    .unwrap();
    assert_eq!(
        p.disassemble(),
        "(000) ld       #pktlen\n(001) st       M[0]\n(002) ldx      M[0]\n(003) tax      \n\
         (004) add      #1\n(005) neg      \n(006) jgt      x                jt 7\tjf 8\n\
         (007) ja       8\n(008) ret      \n"
    );
}

#[test]
fn validator_refuses_what_the_kernel_refuses() {
    let ret = Insn::stmt(BPF_RET | BPF_K, 1);
    assert_eq!(validate(&[]), Err(ValidateError::Empty));
    assert_eq!(
        validate(&vec![ret; BPF_MAXINSNS + 1]),
        Err(ValidateError::TooLong(BPF_MAXINSNS + 1))
    );
    assert!(validate(&vec![ret; BPF_MAXINSNS]).is_ok());
    assert_eq!(
        validate(&[Insn::stmt(BPF_LD | BPF_IMM, 0)]),
        Err(ValidateError::NoFinalReturn)
    );
    assert_eq!(
        validate(&[Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), ret]),
        Err(ValidateError::JumpOutOfRange { pc: 0 })
    );
    assert_eq!(
        validate(&[Insn::stmt(BPF_JMP | BPF_JA, 5), ret]),
        Err(ValidateError::JumpOutOfRange { pc: 0 })
    );
    assert_eq!(
        validate(&[Insn::stmt(BPF_LD | BPF_MEM, 16), ret]),
        Err(ValidateError::BadMemIndex { pc: 0, k: 16 })
    );
    assert_eq!(
        validate(&[Insn::stmt(BPF_LD | BPF_MEM, 3), ret]),
        Err(ValidateError::UninitMem { pc: 0, k: 3 })
    );
    // Written on one path only.
    assert_eq!(
        validate(&[
            Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
            Insn::stmt(BPF_ST, 2),
            Insn::stmt(BPF_LDX | BPF_MEM, 2),
            ret
        ]),
        Err(ValidateError::UninitMem { pc: 2, k: 2 })
    );
    assert_eq!(
        validate(&[Insn::stmt(BPF_ALU | BPF_DIV | BPF_K, 0), ret]),
        Err(ValidateError::DivByZero { pc: 0 })
    );
    assert_eq!(
        validate(&[Insn::stmt(BPF_ALU | BPF_LSH | BPF_K, 32), ret]),
        Err(ValidateError::BadShift { pc: 0, k: 32 })
    );
    assert!(matches!(
        validate(&[Insn::stmt(0xffff, 0), ret]),
        Err(ValidateError::BadOpcode { pc: 0, .. })
    ));
    assert!(matches!(
        validate(&[Insn::stmt(BPF_RET | BPF_X, 0)]),
        Err(ValidateError::BadOpcode { pc: 0, .. })
    ));
}

#[test]
fn long_programs_use_ja_trampolines_and_keep_their_meaning() {
    let ports: Vec<String> = (1..=50).map(|p| format!("port {}", p * 37)).collect();
    let expr = format!("(port 80 or {}) and not host 10.0.0.1", ports.join(" or "));
    let opt = compile(&expr, &opts()).unwrap();
    let unopt = compile_unoptimized(&expr, &opts()).unwrap();
    assert!(opt.insns().len() > 300, "{}", opt.insns().len());
    assert!(opt.insns().iter().any(|i| i.code == BPF_JMP | BPF_JA));
    validate(opt.insns()).unwrap();
    let pkts = common::packets(7, 3000);
    let mut hits = 0;
    for p in &pkts {
        let a = opt.run(&p.data, p.wire_len, 0);
        assert_eq!(a, unopt.run(&p.data, p.wire_len, 0));
        hits += (a != 0) as usize;
    }
    assert!(hits > 0);
}

#[test]
fn too_many_instructions_is_an_error_not_a_truncated_program() {
    let hosts: Vec<String> = (0..1500)
        .map(|i| format!("ip[{}] = {}", i % 60, i))
        .collect();
    let e = compile(&hosts.join(" and not "), &opts());
    assert!(matches!(e, Err(FilterError::TooComplex(_))), "{e:?}");
    let v6: Vec<String> = (0..400).map(|i| format!("host 2001:db8::{i:x}")).collect();
    let e = compile(&v6.join(" or "), &opts());
    assert!(
        matches!(e, Err(FilterError::Invalid(ValidateError::TooLong(n))) if n > BPF_MAXINSNS),
        "{e:?}"
    );
    let deep = format!("{}ip{}", "(".repeat(500), ")".repeat(500));
    assert!(matches!(
        compile(&deep, &opts()),
        Err(FilterError::TooComplex(_))
    ));
    let nots = format!("{}ip", "not ".repeat(500));
    assert!(matches!(
        compile(&nots, &opts()),
        Err(FilterError::TooComplex(_))
    ));
    let arith = format!("ip[0]{} = 1", " + 1".repeat(2000));
    assert!(matches!(
        compile(&arith, &opts()),
        Err(FilterError::TooComplex(_))
    ));
    // Just under the limits still compiles (and overflows no stack).
    let many: Vec<String> = (0..150)
        .map(|i| format!("ip[{}] = {}", i % 60, i))
        .collect();
    let r = compile(&many.join(" or "), &opts());
    assert!(
        matches!(
            r,
            Ok(_) | Err(FilterError::Invalid(ValidateError::TooLong(_)))
        ),
        "{r:?}"
    );
}

#[test]
fn offsets_beyond_2gib_reject_instead_of_reaching_kernel_extensions() {
    // The kernel reads offsets >= 2^31 as negative (SKF_NET_OFF etc.); libpcap rejects them.
    let mut pkt = vec![0u8; 64];
    pkt[0] = 0x45;
    pkt[9] = 6;
    for e in [
        "ip[0xfff00009] = 6",
        "not ip[0xfff00009] = 6",
        "ip[ip[0] * 0x1000000] = 0",
        "not ip[ip[0] * 0x1000000] = 0",
        "not tcp[ip[0] << 24] = 1",
    ] {
        let p = compile(e, &opts()).unwrap();
        assert_eq!(p.run(&pkt, 64, 0), 0, "{e}");
        for i in p.insns() {
            if class(i.code) == BPF_LD && mode(i.code) == BPF_ABS {
                assert!(i.k < 0x8000_0000, "{e}: {i:?}");
            }
        }
    }
    let p = compile("ip[ip[1]] = 0x45", &opts()).unwrap();
    assert_ne!(p.run(&pkt, 64, 0), 0);
}

#[test]
fn dd_and_ddd_formats_match_tcpdump() {
    let p = compile("ip", &opts()).unwrap();
    assert_eq!(
        p.to_c_array(),
        "{ 0x30, 0, 0, 0x00000000 },\n{ 0x54, 0, 0, 0x000000f0 },\n{ 0x15, 0, 1, 0x00000040 },\n\
         { 0x6, 0, 0, 0x00040000 },\n{ 0x6, 0, 0, 0x00000000 },\n"
    );
    assert_eq!(
        p.to_decimal(),
        "5\n48 0 0 0\n84 0 0 240\n21 0 1 64\n6 0 0 262144\n6 0 0 0\n"
    );
}

#[test]
fn constant_division_by_zero_is_refused_at_the_operator() {
    let e = compile("ip[0] / (2 - 2) = 1", &opts()).unwrap_err();
    assert_eq!(
        e,
        FilterError::Semantic {
            pos: 6,
            msg: "division by zero".into()
        }
    );
    assert!(matches!(
        compile("ip[0] % 0 = 1", &opts()),
        Err(FilterError::Semantic { pos: 6, .. })
    ));
    assert!(matches!(
        compile("ip[0] << 32 = 1", &opts()),
        Err(FilterError::Semantic { pos: 6, .. })
    ));
    assert!(compile("ip[0] << 31 = 0", &opts()).is_ok());
}
