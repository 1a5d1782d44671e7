//! Algebraic properties of compiled filters, checked with the interpreter.

mod common;

use proptest::prelude::*;
use rcvall_filter::{compile, compile_unoptimized, CompileOptions, Program};
use std::sync::OnceLock;

const PRIMS: &[&str] = &[
    "tcp",
    "udp",
    "ip",
    "ip6",
    "icmp",
    "icmp6",
    "sctp",
    "port 80",
    "port 53",
    "src port 1024",
    "dst port 443",
    "host 10.0.0.1",
    "net 10.0.0.0/8",
    "host 2001:db8::1",
    "net 2001:db8::/32",
    "tcp[13] & 2 != 0",
    "ip[8] > 32",
    "len > 60",
    "udp[0:2] = 53",
    "ip multicast",
    "ip6 multicast",
    "portrange 10-100",
    "proto 17",
    "ip6 proto 44",
    "ip[6:2] & 0x1fff != 0",
    "icmp[icmptype] = icmp-echo",
    "greater 50",
    "less 70",
    "ip[0] & 0xf > 5",
    "ip broadcast",
];

#[derive(Clone, Debug)]
enum E {
    P(usize),
    Not(Box<E>),
    And(Box<E>, Box<E>),
    Or(Box<E>, Box<E>),
}

impl E {
    fn text(&self) -> String {
        match self {
            E::P(i) => PRIMS[*i].to_string(),
            E::Not(a) => format!("not ({})", a.text()),
            E::And(a, b) => format!("({}) and ({})", a.text(), b.text()),
            E::Or(a, b) => format!("({}) or ({})", a.text(), b.text()),
        }
    }
}

fn expr() -> impl Strategy<Value = E> {
    let leaf = (0..PRIMS.len()).prop_map(E::P);
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|a| E::Not(Box::new(a))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| E::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| E::Or(Box::new(a), Box::new(b))),
        ]
    })
}

/// Packets long enough that no primitive above loads past their end (so `not` is a complement).
fn full_packets() -> &'static Vec<common::Pkt> {
    static P: OnceLock<Vec<common::Pkt>> = OnceLock::new();
    P.get_or_init(|| {
        common::packets(99, 400)
            .into_iter()
            .filter(|p| p.data.len() == p.wire_len as usize)
            .map(|mut p| {
                p.data.resize(p.data.len().max(128), 0);
                p.wire_len = p.data.len() as u32;
                p
            })
            .collect()
    })
}

fn all_packets() -> &'static Vec<common::Pkt> {
    static P: OnceLock<Vec<common::Pkt>> = OnceLock::new();
    P.get_or_init(|| common::packets(1234, 400))
}

fn sel(p: &Program, pkts: &[common::Pkt]) -> Vec<bool> {
    pkts.iter()
        .map(|k| p.run(&k.data, k.wire_len, 0) != 0)
        .collect()
}

fn c(e: &str) -> Program {
    compile(e, &CompileOptions::default()).unwrap_or_else(|err| panic!("{e}: {err}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn not_selects_the_complement(e in expr()) {
        let pk = full_packets();
        let a = sel(&c(&e.text()), pk);
        let n = sel(&c(&format!("not ({})", e.text())), pk);
        for (x, y) in a.iter().zip(&n) {
            prop_assert_ne!(x, y);
        }
    }

    #[test]
    fn and_or_are_intersection_and_union(a in expr(), b in expr()) {
        let pk = full_packets();
        let (sa, sb) = (sel(&c(&a.text()), pk), sel(&c(&b.text()), pk));
        let and = sel(&c(&format!("({}) and ({})", a.text(), b.text())), pk);
        let or = sel(&c(&format!("({}) or ({})", a.text(), b.text())), pk);
        let demorgan = sel(&c(&format!("not (not ({}) or not ({}))", a.text(), b.text())), pk);
        let comm = sel(&c(&format!("({}) and ({})", b.text(), a.text())), pk);
        for i in 0..pk.len() {
            prop_assert_eq!(and[i], sa[i] && sb[i]);
            prop_assert_eq!(or[i], sa[i] || sb[i]);
            prop_assert_eq!(demorgan[i], and[i]);
            prop_assert_eq!(comm[i], and[i]);
        }
    }

    #[test]
    fn distributivity_holds(a in expr(), b in expr(), d in expr()) {
        let pk = full_packets();
        let (a, b, d) = (a.text(), b.text(), d.text());
        let l = sel(&c(&format!("({a}) and (({b}) or ({d}))")), pk);
        let r = sel(&c(&format!("(({a}) and ({b})) or (({a}) and ({d}))")), pk);
        prop_assert_eq!(l, r);
    }

    #[test]
    fn optimiser_preserves_meaning_even_on_truncated_packets(e in expr()) {
        let t = e.text();
        let o = compile(&t, &CompileOptions::default()).unwrap();
        let u = compile_unoptimized(&t, &CompileOptions::default()).unwrap();
        prop_assert!(o.insns().len() <= u.insns().len());
        for p in all_packets() {
            prop_assert_eq!(o.run(&p.data, p.wire_len, 0), u.run(&p.data, p.wire_len, 0), "{}", t);
        }
    }

    #[test]
    fn parser_never_panics_and_output_always_validates(s in "[ -~]{0,40}") {
        if let Ok(p) = compile(&s, &CompileOptions::default()) {
            prop_assert!(rcvall_filter::validate(p.insns()).is_ok());
            for k in all_packets().iter().take(20) {
                let _ = p.run(&k.data, k.wire_len, 0);
            }
        }
    }

    #[test]
    fn parser_never_panics_on_token_soup(v in proptest::collection::vec(prop_oneof![
        Just("tcp"), Just("port"), Just("80"), Just("and"), Just("or"), Just("not"), Just("("),
        Just(")"), Just("ip[0"), Just("]"), Just(":"), Just("2"), Just("host"), Just("1.2.3.4"),
        Just("::1"), Just("/"), Just("src"), Just("dst"), Just("+"), Just("="), Just("len"),
        Just("^"), Just("%"), Just("-"), Just("net"), Just("mask"), Just("portrange"), Just("1-2"),
        Just("proto"), Just("\\tcp"), Just("!"), Just("&&"), Just("||"), Just("<<"), Just("0x10"),
    ], 0..14)) {
        let s = v.join(" ");
        if let Ok(p) = compile(&s, &CompileOptions::default()) {
            prop_assert!(rcvall_filter::validate(p.insns()).is_ok());
        }
    }
}
