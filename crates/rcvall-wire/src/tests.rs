//! Unit tests per protocol: the summary parser, the line printer and the JSON formatter.

use std::net::IpAddr;

use crate::*;

const S4: [u8; 4] = [198, 18, 1, 1];
const D4: [u8; 4] = [198, 18, 1, 2];

fn ipv4(proto: u8, flags_off: u16, payload: &[u8]) -> Vec<u8> {
    let total = 20 + payload.len();
    let mut v = vec![0x45, 0];
    v.extend_from_slice(&(total as u16).to_be_bytes());
    v.extend_from_slice(&0x1234u16.to_be_bytes());
    v.extend_from_slice(&flags_off.to_be_bytes());
    v.extend_from_slice(&[64, proto, 0, 0]);
    v.extend_from_slice(&S4);
    v.extend_from_slice(&D4);
    v.extend_from_slice(payload);
    v
}

fn v6(s: &str) -> [u8; 16] {
    s.parse::<std::net::Ipv6Addr>().unwrap().octets()
}

fn ipv6(nh: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x60, 0, 0, 0];
    v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    v.extend_from_slice(&[nh, 255]);
    v.extend_from_slice(&v6("2001:db8::1"));
    v.extend_from_slice(&v6("2001:db8::2"));
    v.extend_from_slice(payload);
    v
}

fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&sport.to_be_bytes());
    v.extend_from_slice(&dport.to_be_bytes());
    v.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(payload);
    v
}

fn tcp(flags: u8, opts: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&40000u16.to_be_bytes());
    v.extend_from_slice(&9u16.to_be_bytes());
    v.extend_from_slice(&1u32.to_be_bytes());
    v.extend_from_slice(&2u32.to_be_bytes());
    v.push((((20 + opts.len()) / 4) as u8) << 4);
    v.push(flags);
    v.extend_from_slice(&512u16.to_be_bytes());
    v.extend_from_slice(&[0, 0, 0, 0]);
    v.extend_from_slice(opts);
    v.extend_from_slice(payload);
    v
}

fn line(ip: &[u8]) -> String {
    let mut s = String::new();
    format_line(
        &mut s,
        1_700_000_000_123_456_789,
        None,
        None,
        ip,
        ip.len() as u32,
        TimeStyle::UNIX_MICRO,
    )
    .unwrap();
    s
}

#[test]
fn udp4_line_and_summary() {
    let p = ipv4(17, 0x4000, &udp(40000, 9, &[0; 14]));
    assert_eq!(
        line(&p),
        "1700000000.123456 IP 198.18.1.1.40000 > 198.18.1.2.9: UDP, length 14"
    );
    let s = parse(&p);
    assert_eq!(s.family, Some(Family::Ipv4));
    assert_eq!(s.src, Some(IpAddr::from(S4)));
    assert_eq!(s.ip_total_len, Some(42));
    assert_eq!(s.ttl, Some(64));
    assert_eq!(
        s.ipv4
            .map(|f| (f.ident, f.dont_frag, f.more_frags, f.offset)),
        Some((0x1234, true, false, 0))
    );
    assert_eq!(
        s.transport,
        Transport::Udp(UdpSummary {
            src_port: 40000,
            dst_port: 9,
            length: Some(22)
        })
    );
    assert_eq!(s.payload_len, Some(22));
    assert!(!s.truncated);
}

#[test]
fn udp6_line() {
    let p = ipv6(17, &udp(5, 9, &[1, 2]));
    assert_eq!(
        line(&p),
        "1700000000.123456 IP6 2001:db8::1.5 > 2001:db8::2.9: UDP, length 2"
    );
}

#[test]
fn tcp_syn_ack_with_options() {
    let opts = [
        2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 7, 0, 0, 0, 0, 1, 3, 3, 7,
    ];
    let p = ipv4(6, 0, &tcp(0x12, &opts, &[]));
    assert_eq!(
        line(&p),
        "1700000000.123456 IP 198.18.1.1.40000 > 198.18.1.2.9: Flags [S.], seq 1, ack 2, win 512, \
         options [mss 1460,sackOK,TS val 7 ecr 0,nop,wscale 7], length 0"
    );
    let Transport::Tcp(t) = parse(&p).transport else {
        panic!()
    };
    assert_eq!(
        (t.flags, t.seq, t.ack, t.window, t.header_len, t.payload_len),
        (Some(0x12), Some(1), Some(2), Some(512), Some(40), Some(0))
    );
    assert_eq!(tcp_flags_string(0x12), "S.");
}

#[test]
fn tcp_data_prints_sequence_range() {
    let p = ipv6(6, &tcp(0x18, &[], b"hello"));
    assert_eq!(
        line(&p),
        "1700000000.123456 IP6 2001:db8::1.40000 > 2001:db8::2.9: Flags [P.], seq 1:6, ack 2, win 512, length 5"
    );
}

#[test]
fn tcp_cut_after_ports_keeps_them() {
    let p = ipv4(6, 0, &tcp(0x02, &[], &[]));
    let cut = &p[..26];
    let mut s = String::new();
    format_line(&mut s, 0, None, None, cut, p.len() as u32, TimeStyle::NONE).unwrap();
    assert_eq!(s, "IP 198.18.1.1.40000 > 198.18.1.2.9:  [|tcp]");
    let sum = parse(cut);
    assert!(sum.truncated);
    assert_eq!(
        sum.transport,
        Transport::Tcp(TcpSummary {
            src_port: 40000,
            dst_port: 9,
            seq: None,
            ack: None,
            flags: None,
            window: None,
            header_len: None,
            payload_len: None
        })
    );
}

#[test]
fn icmp_echo() {
    let mut icmp = vec![8, 0, 0, 0, 0, 1, 0, 2];
    icmp.extend_from_slice(&[0; 56]);
    let p = ipv4(1, 0, &icmp);
    assert_eq!(
        line(&p),
        "1700000000.123456 IP 198.18.1.1 > 198.18.1.2: ICMP echo request, id 1, seq 2, length 64"
    );
    assert_eq!(
        parse(&p).transport,
        Transport::Icmp(IcmpSummary {
            msg_type: 8,
            code: Some(0),
            echo: Some((1, 2))
        })
    );
}

#[test]
fn icmp_port_unreachable_names_inner_port() {
    let inner = ipv4(17, 0, &udp(40000, 9, &[]));
    let mut icmp = vec![3, 3, 0, 0, 0, 0, 0, 0];
    icmp.extend_from_slice(&inner);
    let p = ipv4(1, 0, &icmp);
    assert_eq!(line(&p), "1700000000.123456 IP 198.18.1.1 > 198.18.1.2: ICMP 198.18.1.2 udp port 9 unreachable, length 36");
}

#[test]
fn icmp6_echo_and_neighbor_solicitation() {
    let mut e = vec![128, 0, 0, 0, 0, 1, 0, 2];
    e.extend_from_slice(&[0; 56]);
    let p = ipv6(58, &e);
    assert_eq!(line(&p), "1700000000.123456 IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 1, seq 2, length 64");
    assert_eq!(
        parse(&p).transport,
        Transport::Icmpv6(IcmpSummary {
            msg_type: 128,
            code: Some(0),
            echo: Some((1, 2))
        })
    );
    let mut ns = vec![135, 0, 0, 0, 0, 0, 0, 0];
    ns.extend_from_slice(&v6("fe80::1"));
    assert_eq!(
        line(&ipv6(58, &ns)),
        "1700000000.123456 IP6 2001:db8::1 > 2001:db8::2: ICMP6, neighbor solicitation, who has fe80::1, length 24"
    );
}

#[test]
fn ipv4_fragments() {
    let first = ipv4(17, 0x2000, &udp(40000, 9, &[0; 100])[..48]);
    assert_eq!(
        line(&first),
        "1700000000.123456 IP 198.18.1.1.40000 > 198.18.1.2.9: UDP, length 100"
    );
    let later = ipv4(17, 6, &[0; 60]);
    assert_eq!(
        line(&later),
        "1700000000.123456 IP 198.18.1.1 > 198.18.1.2: ip-proto-17"
    );
    let s = parse(&later);
    assert_eq!(s.transport, Transport::None);
    assert_eq!(s.protocol, Some(17));
    assert_eq!(s.ipv4.unwrap().offset, 48);
}

#[test]
fn ipv6_extension_headers_are_walked() {
    // Hop-by-hop (PadN) -> destination options -> fragment (first) -> UDP.
    let mut x = vec![60, 0, 1, 4, 0, 0, 0, 0];
    x.extend_from_slice(&[44, 0, 1, 4, 0, 0, 0, 0]);
    x.extend_from_slice(&[17, 0, 0, 1, 0, 0, 0, 9]);
    x.extend_from_slice(&udp(5, 9, b"ab"));
    let p = ipv6(0, &x);
    assert_eq!(
        line(&p),
        "1700000000.123456 IP6 2001:db8::1 > 2001:db8::2: HBH DSTOPT frag (0|10) 5 > 9: UDP, length 2"
    );
    let s = parse(&p);
    assert_eq!(s.protocol, Some(17));
    assert_eq!(s.ip_header_len, Some(64));
    assert!(s.ext_headers.contains(ExtHeaders::HOP_BY_HOP));
    assert!(s.ext_headers.contains(ExtHeaders::DEST_OPTS));
    assert!(s.ext_headers.contains(ExtHeaders::FRAGMENT));
    assert_eq!(
        s.ipv6_frag,
        Some(Ipv6Frag {
            ident: 9,
            more_frags: true,
            offset: 0
        })
    );
    assert!(matches!(s.transport, Transport::Udp(u) if u.dst_port == 9));
}

#[test]
fn ipv6_ah_then_tcp() {
    let mut x = vec![6, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 5];
    x.extend_from_slice(&[0xaa; 12]);
    x.extend_from_slice(&tcp(0x10, &[], &[]));
    let p = ipv6(51, &x);
    assert!(line(&p).ends_with(
        "AH(spi=0x00000100,seq=0x5,icv=0xaaaaaaaaaaaaaaaaaaaaaaaa): 40000 > 9: Flags [.], ack 2, win 512, length 0"
    ));
    let s = parse(&p);
    assert!(s.ext_headers.contains(ExtHeaders::AUTH));
    assert!(matches!(s.transport, Transport::Tcp(t) if t.src_port == 40000));
}

#[test]
fn unknown_protocol_fallback() {
    let p = ipv4(253, 0, &[0; 13]);
    assert_eq!(
        line(&p),
        "1700000000.123456 IP 198.18.1.1 > 198.18.1.2:  ip-proto-253 13"
    );
    assert_eq!(parse(&p).transport, Transport::None);
    assert_eq!(parse(&p).protocol, Some(253));
}

#[test]
fn direction_and_interface_columns() {
    let p = ipv4(17, 0, &udp(1, 2, &[]));
    let mut s = String::new();
    format_line(
        &mut s,
        1_700_000_000_000_000_000,
        Some(Direction::Out),
        Some("eth0"),
        &p,
        28,
        TimeStyle::UNIX_NANO,
    )
    .unwrap();
    assert_eq!(
        s,
        "1700000000.000000000 eth0  Out IP 198.18.1.1.1 > 198.18.1.2.2: UDP, length 0"
    );
    s.clear();
    format_line(
        &mut s,
        0,
        Some(Direction::In),
        None,
        &p,
        28,
        TimeStyle::NONE,
    )
    .unwrap();
    assert_eq!(s, "In  IP 198.18.1.1.1 > 198.18.1.2.2: UDP, length 0");
}

#[test]
fn empty_and_garbage_inputs() {
    assert_eq!(line(&[]), "1700000000.123456 truncated-ip 0");
    let mut s = String::new();
    format_line(&mut s, 0, None, None, &[], 10, TimeStyle::NONE).unwrap();
    assert_eq!(s, " [|ipn]");
    s.clear();
    format_line(&mut s, 0, None, None, &[0x10], 1, TimeStyle::NONE).unwrap();
    assert_eq!(s, "unknown ip 1");
    assert_eq!(parse(&[]).family, None);
    assert_eq!(parse(&[0x45]).family, Some(Family::Ipv4));
    assert!(parse(&[0x45]).truncated);
}

#[test]
fn json_object_for_tcp() {
    let p = ipv4(6, 0x4000, &tcp(0x02, &[], &[]));
    let mut s = String::new();
    format_json(
        &mut s,
        1_700_000_000_123_456_789,
        Some(Direction::In),
        Some(Interface {
            name: Some("eth\"0"),
            index: Some(2),
        }),
        &p,
        p.len() as u32,
    )
    .unwrap();
    assert_eq!(
        s,
        "{\"ts_ns\":1700000000123456789,\"time\":\"2023-11-14T22:13:20.123456789Z\",\"direction\":\"in\",\
         \"interface\":{\"name\":\"eth\\\"0\",\"index\":2},\"family\":\"ipv4\",\"src\":\"198.18.1.1\",\
         \"dst\":\"198.18.1.2\",\"ttl\":64,\"protocol\":{\"name\":\"tcp\",\"number\":6},\"src_port\":40000,\
         \"dst_port\":9,\"tcp_flags\":\"S\",\"tcp_seq\":1,\"tcp_ack\":2,\"tcp_win\":512,\
         \"len\":{\"captured\":40,\"original\":40,\"ip_payload\":20},\"truncated\":false}"
    );
}

#[test]
fn json_object_for_icmp6_fragment_and_garbage() {
    let mut x = vec![58, 0, 0, 48, 0, 0, 0, 9];
    x.extend_from_slice(&[0; 8]);
    let p = ipv6(44, &x);
    let mut s = String::new();
    format_json(&mut s, 0, Some(Direction::Out), None, &p, 100).unwrap();
    assert_eq!(
        s,
        "{\"ts_ns\":0,\"time\":\"1970-01-01T00:00:00.000000000Z\",\"direction\":\"out\",\"family\":\"ipv6\",\
         \"src\":\"2001:db8::1\",\"dst\":\"2001:db8::2\",\"ttl\":255,\"protocol\":{\"name\":\"icmpv6\",\"number\":58},\
         \"fragment\":{\"offset\":48,\"more\":false},\"len\":{\"captured\":56,\"original\":100,\"ip_payload\":8},\
         \"truncated\":true}"
    );
    s.clear();
    format_json(&mut s, 0, None, None, &[0xff], 1).unwrap();
    assert_eq!(
        s,
        "{\"ts_ns\":0,\"time\":\"1970-01-01T00:00:00.000000000Z\",\"family\":null,\
         \"len\":{\"captured\":1,\"original\":1},\"truncated\":false}"
    );
}

#[test]
fn views_check_once() {
    assert!(wire::Ipv4Header::new_checked(&[0x45; 19]).is_err());
    let p = ipv4(17, 0x2003, &udp(1, 2, &[]));
    let h = wire::Ipv4Header::new_checked(&p).unwrap();
    assert_eq!(
        (h.version(), h.header_len(), h.more_frags(), h.frag_offset()),
        (4, 20, true, 24)
    );
    let u = wire::UdpHeader::new_checked(&p[20..]).unwrap();
    assert_eq!((u.src_port(), u.dst_port(), u.length()), (1, 2, 8));
}
