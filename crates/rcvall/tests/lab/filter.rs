//! Filters compiled by rcvall-filter select in the kernel exactly what the interpreter selects.

use rcvall::{Capture, Families, PacketType};
use std::net::IpAddr;
use std::time::Duration;
use testkit::Pair;

const SNAPLEN: u32 = 262_144;

/// Every construct family of the filter language, on traffic that exercises it.
const EXPRESSIONS: &[&str] = &[
    "ip",
    "ip6",
    "udp",
    "tcp",
    "icmp",
    "icmp6",
    "udp port 9",
    "tcp port 8080",
    "port 9 or port 8080",
    "port 53 or 1234",
    "portrange 1-100",
    "host 198.18.1.1",
    "src host 198.18.1.2",
    "dst net 198.18.1.0/24",
    "net 2001:db8:1::/64",
    "src net 2001:db8:1::1/128 and udp",
    "ip6 and udp",
    "less 100",
    "greater 500",
    "len > 1000",
    "ip[8] = 64",
    "ip[9] = 17",
    "ip[6:2] & 0x1fff != 0",
    "ip[6] & 0x20 != 0",
    "udp and ip[6:2] & 0x3fff = 0",
    "tcp[tcpflags] & tcp-syn != 0",
    "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0",
    "tcp[13] = 0x10",
    "icmp[icmptype] = icmp-echo",
    "icmp[icmptype] = icmp-echoreply",
    "icmp6 and ip6[40] = 128",
    "not udp",
    "not (tcp or icmp)",
    "inbound",
    "outbound",
    "inbound and udp",
    "outbound and (icmp or icmp6)",
    "proto 17",
    "ip proto 1",
    "ip6 proto 58",
    "udp dst port 9 and ip[2:2] > 100",
    "(tcp or udp) and not port 9",
    "src 198.18.1.1 and dst port 9",
    "udp[8:4] = 0x72637674",
    "ip6 multicast",
];

fn traffic(pair: &Pair) {
    let _sink4 = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let _sink6 = testkit::udp_sink(&pair.b.ns, pair.b.sock_v6(9)).unwrap();
    let _sink53 = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(53)).unwrap();
    testkit::ping(&pair.a.ns, IpAddr::V4(pair.b.v4), 2).unwrap();
    testkit::ping(&pair.a.ns, IpAddr::V6(pair.b.v6), 2).unwrap();
    testkit::send_udp(&pair.a.ns, pair.b.sock_v4(9), b"rcvt small v4", 3).unwrap();
    testkit::send_udp(&pair.a.ns, pair.b.sock_v6(9), b"rcvt small v6", 3).unwrap();
    // 3,000 bytes: fragmented on the 1,500-byte link (first and later fragments).
    testkit::send_udp(&pair.a.ns, pair.b.sock_v4(9), &[0x72; 3000], 2).unwrap();
    testkit::send_udp(&pair.a.ns, pair.b.sock_v6(9), &[0x76; 3000], 2).unwrap();
    testkit::send_udp(&pair.a.ns, pair.b.sock_v4(53), b"rcvt dns-ish", 2).unwrap();
    testkit::send_udp(&pair.a.ns, pair.b.sock_v4(1234), b"rcvt unreachable", 1).unwrap();
    testkit::send_udp(&pair.b.ns, pair.a.sock_v4(9), b"rcvt from b", 2).unwrap();
    testkit::tcp_exchange(&pair.a.ns, &pair.b.ns, pair.b.sock_v4(8080), &[0x41; 700]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
}

fn drain(capture: &mut Capture) -> Vec<(Vec<u8>, u32, PacketType)> {
    let mut out = Vec::new();
    for _ in 0..10_000 {
        match capture
            .next_batch(Some(Duration::from_millis(200)))
            .unwrap()
        {
            Some(batch) => out.extend(
                batch
                    .packets()
                    .map(|p| (p.data.to_vec(), p.info.original_len, p.info.packet_type)),
            ),
            None => break,
        }
    }
    out
}

#[test]
fn the_kernel_selects_exactly_what_the_interpreter_selects() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let programs: Vec<_> = EXPRESSIONS
        .iter()
        .map(|e| {
            rcvall_filter::compile(e, &rcvall_filter::CompileOptions { snaplen: SNAPLEN })
                .unwrap_or_else(|err| panic!("{e}: {err}"))
        })
        .collect();
    let open = |program: Option<&rcvall_filter::Program>| {
        let mut builder = Capture::builder()
            .interface_name(&pair.b.ifname)
            .families(Families::Both)
            .snaplen(SNAPLEN)
            // Nobody reads during the traffic: many small blocks, so sparse packets (one
            // block each when the retire timer fires) do not fill the ring.
            .ring_size(2 << 20)
            .block_size(4 << 10);
        if let Some(program) = program {
            builder = builder.filter(program.insns().to_vec());
        }
        pair.b.ns.run(|| builder.open().unwrap())
    };
    let mut everything = open(None);
    let mut filtered: Vec<Capture> = programs.iter().map(|p| open(Some(p))).collect();
    traffic(&pair);
    let all = drain(&mut everything);
    assert!(all.len() > 40, "traffic: {}", all.len());
    assert_eq!(everything.stats().unwrap().dropped, 0);
    let mut selective = 0;
    for ((expression, program), capture) in EXPRESSIONS.iter().zip(&programs).zip(&mut filtered) {
        let by_kernel: Vec<Vec<u8>> = drain(capture).into_iter().map(|(d, _, _)| d).collect();
        let by_interpreter: Vec<Vec<u8>> = all
            .iter()
            .filter(|(data, len, direction)| {
                program.run(data, *len, u32::from(direction.pkttype())) != 0
            })
            .map(|(data, _, _)| data.clone())
            .collect();
        assert_eq!(
            by_kernel.len(),
            by_interpreter.len(),
            "{expression:?}: kernel and interpreter disagree on the count"
        );
        assert_eq!(
            by_kernel, by_interpreter,
            "{expression:?}: different packets"
        );
        if !by_kernel.is_empty() && by_kernel.len() < all.len() {
            selective += 1;
        }
    }
    // The traffic makes most expressions select some packets but not all.
    assert!(
        selective >= EXPRESSIONS.len() * 3 / 4,
        "only {selective} selective expressions"
    );
}
