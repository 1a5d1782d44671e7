//! Differential test of the application and tunnel protocols tcpdump decodes by port or by IP
//! protocol (DNS, mDNS, …): well-formed, malformed, cut by a snap length and mutated messages,
//! in IPv4 and IPv6, at every verbosity. Prints the agreement per protocol and flag set.

mod common;

use std::collections::BTreeMap;

use common::*;
use rcvall_wire::{TextOptions, TextPrinter, TimeFormat};

/// A DNS name in wire form (labels, then the root).
fn name(n: &str) -> Vec<u8> {
    let mut v = Vec::new();
    for label in n.split('.').filter(|l| !l.is_empty()) {
        v.push(label.len() as u8);
        v.extend_from_slice(label.as_bytes());
    }
    v.push(0);
    v
}

fn be16(v: u16) -> [u8; 2] {
    v.to_be_bytes()
}

/// A DNS message: header, questions (name, type, class), then raw records.
fn dns(
    id: u16,
    flags: u16,
    questions: &[(Vec<u8>, u16, u16)],
    counts: [u16; 3],
    records: &[u8],
) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&be16(id));
    m.extend_from_slice(&be16(flags));
    m.extend_from_slice(&be16(questions.len() as u16));
    for c in counts {
        m.extend_from_slice(&be16(c));
    }
    for (n, t, c) in questions {
        m.extend_from_slice(n);
        m.extend_from_slice(&be16(*t));
        m.extend_from_slice(&be16(*c));
    }
    m.extend_from_slice(records);
    m
}

/// One resource record.
fn rr(owner: &[u8], ty: u16, class: u16, ttl: u32, data: &[u8]) -> Vec<u8> {
    let mut v = owner.to_vec();
    v.extend_from_slice(&be16(ty));
    v.extend_from_slice(&be16(class));
    v.extend_from_slice(&ttl.to_be_bytes());
    v.extend_from_slice(&be16(data.len() as u16));
    v.extend_from_slice(data);
    v
}

/// A pointer to offset `at` of the message.
fn ptr(at: u16) -> Vec<u8> {
    be16(0xc000 | at).to_vec()
}

#[allow(clippy::vec_init_then_push)] // one push per case reads as a list of cases
fn dns_messages() -> Vec<(&'static str, Vec<u8>)> {
    let q = |n: &str, t: u16| (name(n), t, 1u16);
    let mut out = Vec::new();
    out.push((
        "query-a",
        dns(0x1234, 0x0100, &[q("www.example.com", 1)], [0, 0, 0], &[]),
    ));
    out.push((
        "query-aaaa-cd",
        dns(7, 0x0110, &[q("example.org", 28)], [0, 0, 0], &[]),
    ));
    out.push((
        "query-mx-norec",
        dns(8, 0x0000, &[q("mail.example.net", 15)], [0, 0, 0], &[]),
    ));
    out.push((
        "query-ptr",
        dns(
            9,
            0x0100,
            &[q("1.0.18.198.in-addr.arpa", 12)],
            [0, 0, 0],
            &[],
        ),
    ));
    out.push((
        "query-chaos",
        dns(10, 0x0100, &[(name("version.bind"), 16, 3)], [0, 0, 0], &[]),
    ));
    out.push((
        "query-two",
        dns(
            11,
            0x0100,
            &[q("a.example", 1), q("b.example", 28)],
            [0, 0, 0],
            &[],
        ),
    ));
    out.push(("query-none", dns(12, 0x0100, &[], [0, 0, 0], &[])));
    out.push((
        "query-weird-bits",
        dns(13, 0x0740, &[q("x.example", 255)], [0, 0, 0], &[]),
    ));
    out.push((
        "iquery",
        dns(
            14,
            0x0800,
            &[],
            [1, 0, 0],
            &rr(&name("x"), 1, 1, 5, &[1, 2, 3, 4]),
        ),
    ));
    out.push((
        "notify",
        dns(15, 0x2400, &[q("zone.example", 6)], [0, 0, 0], &[]),
    ));
    // EDNS: OPT with DO, a client subnet, a cookie, padding, keepalive and an unknown option.
    let mut opt = Vec::new();
    opt.extend_from_slice(&[0, 8, 0, 7, 0, 1, 24, 0, 198, 18, 5]);
    opt.extend_from_slice(&[0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]);
    opt.extend_from_slice(&[0, 12, 0, 3, 0, 0, 0]);
    opt.extend_from_slice(&[0, 11, 0, 2, 0, 25]);
    opt.extend_from_slice(&[0, 99, 0, 2, 0xab, 0xcd]);
    opt.extend_from_slice(&[0, 5, 0, 3, 8, 13, 200]);
    let opt_rr = {
        let mut v = vec![0];
        v.extend_from_slice(&be16(41));
        v.extend_from_slice(&be16(1232));
        v.extend_from_slice(&[0, 0, 0x80, 0]);
        v.extend_from_slice(&be16(opt.len() as u16));
        v.extend_from_slice(&opt);
        v
    };
    out.push((
        "query-edns",
        dns(16, 0x0120, &[q("dnssec.example", 48)], [0, 0, 1], &opt_rr),
    ));
    // Responses: the question name sits at offset 12, so answers point back to it.
    let www = ptr(12);
    let mut answers = rr(&www, 5, 1, 300, &[3, b'c', b'd', b'n', 0xc0, 16]);
    answers.extend(rr(&name("cdn.example.com"), 1, 1, 60, &[198, 18, 7, 7]));
    answers.extend(rr(&www, 28, 1, 86_400, &v6addr("2001:db8::7")));
    out.push((
        "resp-cname-a",
        dns(
            0x1234,
            0x8180,
            &[q("www.example.com", 1)],
            [3, 0, 0],
            &answers,
        ),
    ));
    let mx = {
        let mut d = be16(10).to_vec();
        d.extend_from_slice(&name("mx1.example.net"));
        rr(&ptr(12), 15, 1, 3600, &d)
    };
    out.push((
        "resp-mx",
        dns(8, 0x8580, &[q("example.net", 15)], [1, 0, 0], &mx),
    ));
    let txt = rr(&ptr(12), 16, 1, 1, b"\x05hello\x0bv=spf1 -all\x00");
    out.push((
        "resp-txt",
        dns(20, 0x8180, &[q("example.org", 16)], [1, 0, 0], &txt),
    ));
    let srv = {
        let mut d = vec![0, 1, 0, 5, 0x13, 0xc4];
        d.extend_from_slice(&name("sip.example.org"));
        rr(&ptr(12), 33, 1, 1, &d)
    };
    out.push((
        "resp-srv",
        dns(
            21,
            0x8180,
            &[q("_sip._udp.example.org", 33)],
            [1, 0, 0],
            &srv,
        ),
    ));
    let soa = {
        let mut d = name("ns.example.org");
        d.extend_from_slice(&name("hostmaster.example.org"));
        for v in [2024u32, 7200, 3600, 1_209_600, 300] {
            d.extend_from_slice(&v.to_be_bytes());
        }
        rr(&ptr(12), 6, 1, 300, &d)
    };
    out.push((
        "resp-nxdomain-soa",
        dns(22, 0x8183, &[q("nope.example.org", 1)], [0, 1, 0], &soa),
    ));
    out.push((
        "resp-servfail",
        dns(23, 0x8102, &[q("broken.example", 1)], [0, 0, 0], &[]),
    ));
    out.push((
        "resp-refused-aa-tc",
        dns(24, 0x8705, &[q("x.example", 1)], [0, 0, 0], &[]),
    ));
    let ns = {
        let mut r = rr(&ptr(12), 2, 1, 172_800, &name("a.iana-servers.net"));
        r.extend(rr(
            &name("a.iana-servers.net"),
            1,
            1,
            172_800,
            &[198, 18, 9, 1],
        ));
        r
    };
    out.push((
        "resp-referral",
        dns(25, 0x8000, &[q("example.com", 1)], [0, 1, 1], &ns),
    ));
    let ptr_rr = rr(&ptr(12), 12, 1, 1, &name("host.example"));
    out.push((
        "resp-ptr",
        dns(
            26,
            0x8180,
            &[q("1.0.18.198.in-addr.arpa", 12)],
            [1, 0, 0],
            &ptr_rr,
        ),
    ));
    // Extended rcode through OPT: BADVERS (16).
    let badvers = {
        let mut v = vec![0];
        v.extend_from_slice(&be16(41));
        v.extend_from_slice(&be16(512));
        v.extend_from_slice(&[1, 0, 0, 0, 0, 0]);
        v
    };
    out.push((
        "resp-badvers",
        dns(27, 0x8180, &[q("x.example", 1)], [0, 0, 1], &badvers),
    ));
    // Malformed: a pointer forward, a pointer loop, a reserved label type, counts beyond the
    // message, an unknown type, a bit-string label.
    out.push((
        "bad-forward-ptr",
        dns(30, 0x8180, &[(ptr(40), 1, 1)], [0, 0, 0], &[]),
    ));
    let looped = rr(&ptr(29), 1, 1, 1, &[1, 2, 3, 4]);
    out.push((
        "bad-ptr-loop",
        dns(31, 0x8180, &[q("a.b", 1)], [1, 0, 0], &looped),
    ));
    out.push((
        "bad-label-type",
        dns(32, 0x0100, &[(vec![0x80, 1, 0], 1, 1)], [0, 0, 0], &[]),
    ));
    out.push((
        "bad-counts",
        dns(33, 0x8180, &[q("x.example", 1)], [5, 2, 9], &[]),
    ));
    let unknown = rr(&ptr(12), 0xfe01, 1, 1, &[9, 9]);
    out.push((
        "resp-unknown-type",
        dns(34, 0x8180, &[q("x.example", 0xfe01)], [1, 0, 0], &unknown),
    ));
    out.push((
        "bitlabel",
        dns(
            35,
            0x0100,
            &[(vec![0x41, 12, 0xab, 0xc0, 0], 1, 1)],
            [0, 0, 0],
            &[],
        ),
    ));
    out.push(("short-header", vec![0, 1, 2, 3, 4, 5, 6, 7, 8]));
    out
}

#[allow(clippy::vec_init_then_push)]
fn mdns_messages() -> Vec<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();
    out.push((
        "mdns-query-qu",
        dns(
            0,
            0,
            &[(name("_http._tcp.local"), 12, 0x8001)],
            [0, 0, 0],
            &[],
        ),
    ));
    out.push((
        "mdns-query-qm",
        dns(0, 0, &[(name("printer.local"), 1, 1)], [0, 0, 0], &[]),
    ));
    let answers = {
        let mut r = rr(&name("printer.local"), 1, 0x8001, 120, &[198, 18, 0, 9]);
        r.extend(rr(&ptr(12), 28, 0x8001, 120, &v6addr("fe80::9")));
        r
    };
    out.push((
        "mdns-response-flush",
        dns(0, 0x8400, &[], [2, 0, 0], &answers),
    ));
    out
}

/// HTTP, NTP, IGMP, GRE, VXLAN and Geneve packets, whole IP datagrams.
fn other_protocols() -> Vec<(String, Vec<u8>)> {
    let s4 = [198, 18, 9, 1];
    let d4 = [198, 18, 9, 2];
    let s6 = v6addr("2001:db8:9::1");
    let d6 = v6addr("2001:db8:9::2");
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    // HTTP: requests, responses, a body segment, binary data, a line without its end.
    let http: [(&str, &[u8]); 8] = [
        (
            "get",
            b"GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n\r\n",
        ),
        ("post-lf", b"post /api HTTP/1.0\nContent-Length: 2\n\nhi"),
        (
            "resp",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello",
        ),
        ("resp-404", b"HTTP/1.1 404 Not Found\r\n\r\n"),
        ("body", b"<html><body>continued body</body></html>\r\n"),
        ("binary", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
        ("partial", b"GET /very/long/path/without/an/end/of/line"),
        ("cr-alone", b"GET / HTTP/1.1\rX\r\n"),
    ];
    for (i, (what, body)) in http.iter().enumerate() {
        let (sport, dport) = if what.starts_with("resp") {
            (80, 40_080)
        } else {
            (40_080, 80 + 8000 * (i as u16 % 2))
        };
        let t = tcp(sport, dport, 100, 200, 0x18, 512, 0, &[], body);
        out.push((
            format!("http-{what}-4"),
            ipv4(6, s4, d4, 3, 0x4000, &[], &t),
        ));
        out.push((format!("http-{what}-6"), ipv6(6, s6, d6, &t)));
    }
    // Syslog: facilities and severities, a bad priority, a message cut by the capture.
    let syslogs: [(&str, &[u8]); 5] = [
        (
            "auth-info",
            b"<38>Nov 14 22:13:20 host sshd[1]: Accepted key\n",
        ),
        ("kern-emerg", b"<0>kernel: panic"),
        ("local7-debug", b"<191>x"),
        ("no-pri", b"hello"),
        ("bad-pri", b"<1234>too many digits"),
    ];
    for (what, body) in syslogs {
        let u = udp(40_514, 514, body);
        out.push((format!("syslog-{what}-4"), ipv4(17, s4, d4, 13, 0, &[], &u)));
        out.push((format!("syslog-{what}-6"), ipv6(17, s6, d6, &u)));
    }
    // SSH version banners (and what is not one).
    let ssh: [(&str, &[u8]); 5] = [
        ("banner", b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"),
        ("banner-lf", b"SSH-1.99-x\n"),
        ("no-eol", b"SSH-2.0-partial"),
        ("binary", b"\x00\x00\x01\x0c\x0a\x14"),
        ("cr-alone", b"SSH-2.0-a\rb\n"),
    ];
    for (what, body) in ssh {
        let t = tcp(22, 40_022, 7, 8, 0x18, 512, 0, &[], body);
        out.push((
            format!("ssh-{what}-4"),
            ipv4(6, s4, d4, 12, 0x4000, &[], &t),
        ));
        out.push((format!("ssh-{what}-6"), ipv6(6, s6, d6, &t)));
    }
    // MPTCP options (RFC 8684) of every subtype, in the segments they belong in, and SACK.
    let key = [1u8, 2, 3, 4, 5, 6, 7, 8];
    let mptcp: Vec<(&str, u8, Vec<u8>)> = vec![
        (
            "capable-syn",
            0x02,
            [vec![30, 12, 0x01, 0x81], key.to_vec()].concat(),
        ),
        ("capable-syn-v1", 0x02, vec![30, 4, 0x01, 0x01]),
        (
            "capable-ack",
            0x10,
            [vec![30, 20, 0x00, 0x01], key.to_vec(), key.to_vec()].concat(),
        ),
        ("capable-bad", 0x18, vec![30, 4, 0x01, 0x01]),
        ("capable-v9", 0x02, vec![30, 4, 0x09, 0x01]),
        (
            "join-syn",
            0x02,
            vec![30, 12, 0x11, 3, 0, 0, 0, 9, 0xa, 0xb, 0xc, 0xd],
        ),
        (
            "join-synack",
            0x12,
            [vec![30, 16, 0x10, 3], key.to_vec(), vec![0, 0, 0, 5]].concat(),
        ),
        (
            "join-ack",
            0x10,
            [vec![30, 24, 0x10, 0], vec![0xab; 20]].concat(),
        ),
        (
            "dss",
            0x10,
            vec![
                30, 20, 0x20, 0x05, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 100, 0, 0,
            ],
        ),
        (
            "dss-fin-64",
            0x11,
            [
                vec![30, 28, 0x20, 0x1f],
                key.to_vec(),
                key.to_vec(),
                vec![0, 0, 0, 3, 0, 1, 0x12, 0x34],
            ]
            .concat(),
        ),
        ("dss-bad", 0x10, vec![30, 6, 0x20, 0x05, 0, 0]),
        ("add-addr4", 0x10, vec![30, 8, 0x30, 2, 198, 18, 0, 9]),
        (
            "add-addr4-port-hmac",
            0x10,
            [
                vec![30, 18, 0x30, 2, 198, 18, 0, 9, 0x1f, 0x90],
                key.to_vec(),
            ]
            .concat(),
        ),
        (
            "add-addr6",
            0x10,
            [vec![30, 20, 0x30, 3], v6addr("2001:db8::9").to_vec()].concat(),
        ),
        ("rem-addr", 0x10, vec![30, 5, 0x40, 1, 2]),
        ("prio", 0x10, vec![30, 4, 0x51, 7]),
        ("fail", 0x10, [vec![30, 12, 0x60, 0], key.to_vec()].concat()),
        (
            "fast-close",
            0x10,
            [vec![30, 12, 0x70, 0], key.to_vec()].concat(),
        ),
        ("unknown", 0x10, vec![30, 4, 0x90, 0]),
        (
            "sack",
            0x10,
            vec![
                1, 1, 5, 18, 0, 0, 0, 10, 0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0, 40,
            ],
        ),
    ];
    for (what, flags, opt) in mptcp {
        let t = tcp(40_001, 40_002, 1000, 2000, flags, 512, 0, &opt, b"");
        out.push((
            format!("mptcp-{what}-4"),
            ipv4(6, s4, d4, 8, 0x4000, &[], &t),
        ));
        out.push((format!("mptcp-{what}-6"), ipv6(6, s6, d6, &t)));
    }
    // DHCP: a discover with the options clients send, an offer with the ones servers send,
    // a relayed request with agent options, sname/file, a non-Ethernet client, a bad cookie.
    let bootp = |op: u8,
                 htype: u8,
                 hlen: u8,
                 flags: u16,
                 ips: [[u8; 4]; 4],
                 sname: &[u8],
                 options: &[u8]| {
        let mut m = vec![op, htype, hlen, 1, 0x12, 0x34, 0x56, 0x78, 0, 3];
        m.extend_from_slice(&flags.to_be_bytes());
        for ip in ips {
            m.extend_from_slice(&ip);
        }
        m.extend_from_slice(&[2, 0, 0, 0, 0, 0x42]);
        m.extend_from_slice(&[0; 10]);
        let mut name = sname.to_vec();
        name.resize(64, 0);
        m.extend_from_slice(&name);
        let mut file = if sname.is_empty() {
            vec![]
        } else {
            b"pxelinux.0".to_vec()
        };
        file.resize(128, 0);
        m.extend_from_slice(&file);
        m.extend_from_slice(options);
        m
    };
    let cookie = [99u8, 130, 83, 99];
    let discover = [
        &cookie[..],
        &[
            53, 1, 1, 61, 7, 1, 2, 0, 0, 0, 0, 0x42, 50, 4, 198, 18, 0, 50, 12, 4, b'h', b'o',
            b's', b't',
        ],
        &[55, 9, 1, 3, 6, 15, 119, 252, 42, 121, 200],
        &[
            57, 2, 5, 0xdc, 60, 5, b'M', b'S', b'F', b'T', b' ', 81, 6, 0x05, 0, 0, b'a', b'.',
            b'b', 77, 4, 3, b'a', b'b', b'c',
        ],
        &[0, 0, 255],
    ]
    .concat();
    let offer = [
        &cookie[..],
        &[
            53, 1, 2, 54, 4, 198, 18, 0, 1, 51, 4, 0, 0, 0x0e, 0x10, 1, 4, 255, 255, 255, 0,
        ],
        &[
            3, 4, 198, 18, 0, 1, 6, 8, 198, 18, 0, 53, 198, 18, 0, 54, 15, 7, b'e', b'x', b'.',
            b'c', b'o', b'm', 0,
        ],
        &[
            121, 13, 24, 198, 18, 5, 198, 18, 0, 1, 0, 198, 18, 0, 1, 58, 4, 0, 0, 7, 8, 46, 1, 2,
            52, 1, 3, 19, 1, 0,
        ],
        &[43, 3, 1, 2, 3, 150, 2, 0, 1, 255],
    ]
    .concat();
    let relayed = [
        &cookie[..],
        &[
            53, 1, 3, 82, 12, 1, 4, b'e', b't', b'h', b'0', 2, 2, 0xab, 0xcd, 9, 0,
        ],
        &[
            82, 5, 1, 9, b'x', b'y', b'z', 61, 3, 0, b'i', b'd', 99, 4, 1, 2, 3, 4, 255,
        ],
    ]
    .concat();
    let z = [0u8; 4];
    let dhcps: Vec<(&str, Vec<u8>)> = vec![
        (
            "discover",
            bootp(1, 1, 6, 0x8000, [z, z, z, z], b"", &discover),
        ),
        (
            "offer",
            bootp(
                2,
                1,
                6,
                0,
                [z, [198, 18, 0, 50], [198, 18, 0, 1], z],
                b"boot.example",
                &offer,
            ),
        ),
        (
            "request-relayed",
            bootp(
                1,
                1,
                6,
                0,
                [[198, 18, 0, 50], z, z, [198, 18, 7, 1]],
                b"",
                &relayed,
            ),
        ),
        (
            "infiniband",
            bootp(
                1,
                32,
                0,
                0,
                [z, z, z, z],
                b"",
                &[&cookie[..], &[53, 1, 8, 255]].concat(),
            ),
        ),
        (
            "vendor",
            bootp(2, 1, 6, 0, [z, z, z, z], b"", &[1, 2, 3, 4]),
        ),
        ("cmu", bootp(2, 1, 6, 0, [z, z, z, z], b"", b"CMU\0")),
        ("short", vec![1, 1, 6, 0, 0, 0]),
    ];
    for (what, m) in dhcps {
        let (sp, dp) = if what.starts_with("offer") || what == "vendor" {
            (67, 68)
        } else {
            (68, 67)
        };
        let u = udp(sp, dp, &m);
        out.push((format!("dhcp-{what}-4"), ipv4(17, s4, d4, 10, 0, &[], &u)));
    }
    // DHCPv6: solicit, advertise with addresses and servers, relay, status codes.
    let opt6 = |ty: u16, body: &[u8]| {
        [
            ty.to_be_bytes().to_vec(),
            (body.len() as u16).to_be_bytes().to_vec(),
            body.to_vec(),
        ]
        .concat()
    };
    let duid = opt6(
        1,
        &[0, 1, 0, 1, 0x2a, 0x3b, 0x4c, 0x5d, 2, 0, 0, 0, 0, 0x42],
    );
    let iaaddr = opt6(
        5,
        &[
            v6addr("2001:db8:6::10").to_vec(),
            vec![0, 0, 0x0e, 0x10, 0, 0, 0x1c, 0x20],
        ]
        .concat(),
    );
    let solicit = [
        vec![1, 0xab, 0xcd, 0xef],
        duid.clone(),
        opt6(8, &[0, 0]),
        opt6(6, &[0, 23, 0, 24, 0, 99]),
        opt6(3, &[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]),
        opt6(14, &[]),
    ]
    .concat();
    let advertise = [
        vec![2, 0xab, 0xcd, 0xef],
        duid.clone(),
        opt6(2, &[0, 3, 0, 1, 2, 0, 0, 0, 0, 1]),
        opt6(
            3,
            &[
                vec![0, 0, 0, 1, 0, 0, 7, 8, 0, 0, 0x0b, 0xb8],
                iaaddr.clone(),
            ]
            .concat(),
        ),
        opt6(23, &v6addr("2001:db8::53")),
        opt6(24, &[7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 0]),
        opt6(7, &[255]),
        opt6(13, &[0, 2, b'n', b'o']),
        opt6(
            25,
            &[
                vec![0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0],
                opt6(
                    26,
                    &[
                        vec![0, 0, 1, 0, 0, 0, 2, 0, 56],
                        v6addr("2001:db8:ff::").to_vec(),
                    ]
                    .concat(),
                ),
            ]
            .concat(),
        ),
    ]
    .concat();
    let relay = [
        vec![12, 0],
        v6addr("2001:db8:1::1").to_vec(),
        v6addr("fe80::2").to_vec(),
        opt6(18, b"eth0-abcdefghij"),
        opt6(9, &solicit),
    ]
    .concat();
    let dhcp6s: Vec<(&str, Vec<u8>)> = vec![
        ("solicit", solicit.clone()),
        ("advertise", advertise),
        ("relay-fwd", relay),
        (
            "reconfigure",
            [
                vec![10, 0, 0, 1],
                opt6(19, &[5]),
                opt6(20, &[]),
                opt6(4, &[0, 0, 0, 9]),
            ]
            .concat(),
        ),
        ("bad-len", [vec![7, 0, 0, 1], opt6(8, &[1, 2, 3])].concat()),
        ("unknown", vec![99, 0, 0, 1]),
        ("short", vec![1, 0]),
    ];
    for (what, m) in dhcp6s {
        let u = udp(546, 547, &m);
        out.push((
            format!("dhcp6-{what}-6"),
            ipv6(17, v6addr("fe80::1"), v6addr("ff02::1:2"), &u),
        ));
    }
    // SCTP: the chunks of an association's life, bundled, padded, malformed.
    let chunk = |ty: u8, flags: u8, body: &[u8]| {
        let mut c = vec![ty, flags];
        c.extend_from_slice(&((4 + body.len()) as u16).to_be_bytes());
        c.extend_from_slice(body);
        while c.len() % 4 != 0 {
            c.push(0);
        }
        c
    };
    let init = [
        vec![0, 0, 0x12, 0x34, 0, 1, 0, 0, 0, 10, 0, 10, 0, 0, 0, 1],
        vec![0, 5, 0, 8, 198, 18, 0, 1],
    ]
    .concat();
    let data = |flags: u8, ppid: u32, payload: &[u8]| {
        chunk(
            0,
            flags,
            &[
                vec![0, 0, 0, 7, 0, 1, 0, 2],
                ppid.to_be_bytes().to_vec(),
                payload.to_vec(),
            ]
            .concat(),
        )
    };
    let sack = [
        vec![0, 0, 0, 6, 0, 1, 0, 0, 0, 2, 0, 1],
        vec![0, 2, 0, 3, 0, 5, 0, 9],
        vec![0, 0, 0, 4],
    ]
    .concat();
    let sctps: Vec<(&str, Vec<u8>)> = vec![
        ("init", chunk(1, 0, &init)),
        (
            "init-ack",
            chunk(2, 0, &[init.clone(), vec![0, 7, 0, 8, 1, 2, 3, 4]].concat()),
        ),
        (
            "cookie",
            [chunk(10, 0, &[9; 20]), data(3, 46, b"hello")].concat(),
        ),
        (
            "data-frag",
            [data(2, 0, b"abc"), data(4, 3, b"m3ua"), data(1, 99, b"z")].concat(),
        ),
        ("sack", chunk(3, 0, &sack)),
        (
            "hb",
            [
                chunk(4, 0, &[0, 1, 0, 8, 1, 2, 3, 4]),
                chunk(5, 0, &[0, 1, 0, 8, 1, 2, 3, 4]),
            ]
            .concat(),
        ),
        (
            "shutdown",
            [
                chunk(7, 0, &[0, 0, 0, 7]),
                chunk(8, 0, &[]),
                chunk(14, 0, &[]),
                chunk(6, 1, &[]),
            ]
            .concat(),
        ),
        ("unknown", chunk(0x42, 0, &[1, 2, 3])),
        ("bad-len", vec![0, 0, 0, 2]),
        ("short-data", chunk(0, 3, &[0, 0, 0, 1])),
        ("cut-desc", vec![0, 0]),
    ];
    for (what, body) in sctps {
        let mut m = vec![0x13, 0x88, 0x13, 0x89, 0, 0, 0x12, 0x34, 0, 0, 0, 0];
        m.extend_from_slice(&body);
        out.push((format!("sctp-{what}-4"), ipv4(132, s4, d4, 11, 0, &[], &m)));
        out.push((format!("sctp-{what}-6"), ipv6(132, s6, d6, &m)));
    }
    // NTP: client, server with a key and digest, stratum 1 with a text id, control, short.
    let ntp_time = |status: u8, stratum: u8, refid: [u8; 4], extra: &[u8]| {
        let mut m = vec![status, stratum, 6, 0xe9];
        m.extend_from_slice(&[0, 0, 0x12, 0x34, 0, 1, 0x80, 0]);
        m.extend_from_slice(&refid);
        for ts in [
            0xe90b_1c2du32,
            0,
            0xe90b_1c2e,
            0x8000_0000,
            0xe90b_1c2e,
            0x0100_0000,
            0xe90b_1c2f,
            0x4000_0000,
        ] {
            m.extend_from_slice(&ts.to_be_bytes());
        }
        m.extend_from_slice(extra);
        m
    };
    let ntps: Vec<(&str, Vec<u8>)> = vec![
        ("client", ntp_time(0x23, 0, [0; 4], &[])),
        ("server", ntp_time(0x24, 2, [198, 18, 0, 1], &[0, 0, 0, 7])),
        ("server-md5", ntp_time(0x24, 3, [1, 2, 3, 4], &[0; 20])),
        ("stratum1", ntp_time(0x1c, 1, *b"GPS\0", &[])),
        ("info-query", ntp_time(0x1b, 62, [198, 18, 0, 9], &[])),
        ("alarm", ntp_time(0xe3, 16, [0; 4], &[1, 2, 3])),
        (
            "control",
            vec![
                0x16, 0x82, 0, 5, 0x06, 0x18, 0, 0, 0, 0, 0, 4, b'a', b'b', b'c', b'd',
            ],
        ),
        (
            "control-bad",
            vec![0x16, 0x02, 0, 5, 0, 0, 0, 0, 0, 0, 0, 40],
        ),
        ("short", vec![0x23, 0, 6]),
        ("private", vec![0x17, 0, 1, 2]),
    ];
    for (what, m) in ntps {
        let u = udp(123, 123, &m);
        out.push((format!("ntp-{what}-4"), ipv4(17, s4, d4, 4, 0, &[], &u)));
        out.push((format!("ntp-{what}-6"), ipv6(17, s6, d6, &u)));
    }
    // IGMP: every message type tcpdump names.
    let group = [224, 0, 0, 251];
    let igmps: Vec<(&str, Vec<u8>)> = vec![
        ("query-v1", vec![0x11, 0, 0, 0, 0, 0, 0, 0]),
        ("query-v2", [vec![0x11, 100, 0, 0], group.to_vec()].concat()),
        (
            "query-v2-mrt",
            [vec![0x11, 50, 0, 0], group.to_vec()].concat(),
        ),
        (
            "query-v3",
            [
                vec![0x11, 0x8a, 0, 0],
                group.to_vec(),
                vec![0x02, 125, 0, 2, 198, 18, 0, 1, 198, 18, 0, 2],
            ]
            .concat(),
        ),
        (
            "query-v3-general",
            vec![0x11, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        ),
        ("report-v1", [vec![0x12, 0, 0, 0], group.to_vec()].concat()),
        ("report-v2", [vec![0x16, 0, 0, 0], group.to_vec()].concat()),
        ("leave", [vec![0x17, 0, 0, 0], group.to_vec()].concat()),
        (
            "report-v3",
            [
                vec![0x22, 0, 0, 0, 0, 0, 0, 2],
                vec![4, 0, 0, 0],
                group.to_vec(),
                vec![1, 0, 0, 1],
                vec![239, 1, 2, 3],
                vec![198, 18, 0, 7],
            ]
            .concat(),
        ),
        (
            "report-v3-bad",
            vec![0x22, 0, 0, 0, 0, 0, 0, 9, 1, 0, 0, 0, 239, 1, 2, 3],
        ),
        (
            "mtrace",
            [
                vec![0x1f, 0, 0, 0],
                group.to_vec(),
                vec![198, 18, 0, 1, 198, 18, 0, 2, 224, 0, 1, 1, 5, 0, 0, 9],
            ]
            .concat(),
        ),
        ("unknown", vec![0x42, 0, 0, 0, 0, 0, 0, 0]),
    ];
    for (what, m) in igmps {
        let mut m = m;
        let c = !m
            .chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)])))
            .fold(0u32, |a, b| {
                let s = a + b;
                (s & 0xffff) + (s >> 16)
            }) as u16;
        if what != "leave" {
            m[2..4].copy_from_slice(&c.to_be_bytes());
        }
        out.push((
            format!("igmp-{what}"),
            ipv4(2, s4, [224, 0, 0, 1], 5, 0, &[0x94, 4, 0, 0], &m),
        ));
    }
    // GRE carrying IPv4, IPv6 and Ethernet (IP and ARP), with checksum, key, sequence,
    // routing; version 1 (PPTP).
    let inner4 = ipv4(
        17,
        [10, 0, 0, 1],
        [10, 0, 0, 2],
        9,
        0,
        &[],
        &udp(30_000, 30_001, b"in"),
    );
    let inner6 = ipv6(
        58,
        v6addr("2001:db8:a::1"),
        v6addr("2001:db8:a::2"),
        &icmp(128, 0, [0, 1, 0, 2], b"x"),
    );
    let mac = [2u8, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
    let eth = |ty: u16, payload: &[u8]| {
        [mac.to_vec(), ty.to_be_bytes().to_vec(), payload.to_vec()].concat()
    };
    let arp_req = [
        vec![0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 198, 18, 0, 1],
        vec![0; 6],
        vec![198, 18, 0, 2],
    ]
    .concat();
    let arp_reply = [
        vec![0, 1, 8, 0, 6, 4, 0, 2, 2, 0, 0, 0, 0, 2, 198, 18, 0, 2],
        mac[..6].to_vec(),
        vec![198, 18, 0, 1],
    ]
    .concat();
    let gres: Vec<(&str, Vec<u8>)> = vec![
        ("ip", [vec![0, 0, 8, 0], inner4.clone()].concat()),
        (
            "ip6-key-seq",
            [
                vec![0x30, 0, 0x86, 0xdd, 0, 0, 0, 9, 0, 0, 0, 1],
                inner6.clone(),
            ]
            .concat(),
        ),
        (
            "csum",
            [vec![0x80, 0, 8, 0, 0x12, 0x34, 0, 0], inner4.clone()].concat(),
        ),
        (
            "teb",
            [vec![0x20, 0, 0x65, 0x58, 0, 0, 0, 5], eth(0x0800, &inner4)].concat(),
        ),
        (
            "teb-vlan-arp",
            [
                vec![0, 0, 0x65, 0x58],
                mac.to_vec(),
                vec![0x81, 0, 0, 7, 8, 6],
                arp_req.clone(),
            ]
            .concat(),
        ),
        (
            "teb-arp-reply",
            [vec![0, 0, 0x65, 0x58], eth(0x0806, &arp_reply)].concat(),
        ),
        (
            "routing",
            [
                vec![
                    0x40, 0, 8, 0, 0, 0, 0, 0, 8, 0, 4, 8, 198, 18, 0, 1, 198, 18, 0, 2, 0, 0, 0, 0,
                ],
                inner4.clone(),
            ]
            .concat(),
        ),
        ("mpls", vec![0, 0, 0x88, 0x47, 0, 1, 0x01, 0xff]),
        (
            "v1",
            vec![
                0x30, 0x81, 0x88, 0x0b, 0, 4, 0, 7, 0, 0, 0, 3, 0xff, 3, 0, 0x21,
            ],
        ),
        (
            "v1-ack",
            vec![0x20, 0x81, 0x88, 0x0b, 0, 0, 0, 7, 0, 0, 0, 2],
        ),
        ("v3", vec![0, 3, 8, 0]),
    ];
    for (what, m) in gres {
        out.push((format!("gre-{what}-4"), ipv4(47, s4, d4, 6, 0, &[], &m)));
        out.push((format!("gre-{what}-6"), ipv6(47, s6, d6, &m)));
    }
    // VXLAN and Geneve with an Ethernet frame, Geneve also with IP directly and options.
    let vx = |flags: u8, vni: u32, frame: &[u8]| {
        [
            vec![flags, 0, 0, 0],
            (vni << 8).to_be_bytes().to_vec(),
            frame.to_vec(),
        ]
        .concat()
    };
    let tunnels: Vec<(&str, u16, Vec<u8>)> = vec![
        ("vxlan-ip", 4789, vx(0x08, 42, &eth(0x0800, &inner4))),
        ("vxlan-ip6", 4789, vx(0x08, 7, &eth(0x86dd, &inner6))),
        ("vxlan-arp", 4789, vx(0x08, 42, &eth(0x0806, &arp_req))),
        ("vxlan-noflag", 4789, vx(0x00, 42, &eth(0x0800, &inner4))),
        ("vxlan-short", 4789, vec![8, 0, 0]),
        (
            "geneve-teb",
            6081,
            [vec![0, 0, 0x65, 0x58, 0, 0, 42, 0], eth(0x0800, &inner4)].concat(),
        ),
        (
            "geneve-ip",
            6081,
            [vec![0, 0xc0, 8, 0, 0, 1, 0, 0], inner4.clone()].concat(),
        ),
        (
            "geneve-opts",
            6081,
            [
                vec![3, 0, 0x86, 0xdd, 0, 0, 9, 1],
                vec![1, 1, 0x80, 1, 0xde, 0xad, 0xbe, 0xef],
                vec![0xff, 0xf1, 2, 0],
                inner6.clone(),
            ]
            .concat(),
        ),
        ("geneve-v1", 6081, vec![0x40, 0, 8, 0, 0, 0, 0, 0]),
        ("geneve-short", 6081, vec![0, 0, 8, 0]),
    ];
    for (what, port, m) in tunnels {
        let u = udp(40_789, port, &m);
        out.push((format!("{what}-4"), ipv4(17, s4, d4, 7, 0, &[], &u)));
        out.push((format!("{what}-6"), ipv6(17, s6, d6, &u)));
    }
    out
}

/// Every message over UDP (v4 and v6), DNS also over TCP, and cut copies.
fn corpus() -> Vec<Pkt> {
    let mut pkts = Vec::new();
    let mut add = |what: String, data: Vec<u8>, orig_len: u32| {
        let ts = 1_700_000_000_000_000_000 + pkts.len() as u64 * 1_000_003_000;
        pkts.push(Pkt {
            ts_ns: ts,
            data,
            orig_len,
            what,
        });
    };
    let s4 = [198, 18, 8, 1];
    let d4 = [198, 18, 8, 2];
    let s6 = v6addr("2001:db8:8::1");
    let d6 = v6addr("2001:db8:8::2");
    let mut messages: Vec<(String, u16, Vec<u8>)> = Vec::new();
    for (what, m) in dns_messages() {
        messages.push((format!("dns-{what}"), 53, m));
    }
    for (what, m) in mdns_messages() {
        messages.push((what.to_owned(), 5353, m));
    }
    for (what, port, m) in &messages {
        let u = udp(40_000, *port, m);
        let v4 = ipv4(17, s4, d4, 1, 0, &[], &u);
        let v6 = ipv6(17, s6, d6, &u);
        for (family, p) in [("4", v4), ("6", v6)] {
            let family_what = format!("{what}-udp{family}");
            add(family_what.clone(), p.clone(), p.len() as u32);
            for cut in [p.len() * 2 / 3, p.len() - 3] {
                if cut > 28 && cut < p.len() {
                    add(
                        format!("{family_what}-cut"),
                        p[..cut].to_vec(),
                        p.len() as u32,
                    );
                }
            }
        }
        if *port == 53 {
            let mut framed = be16(m.len() as u16).to_vec();
            framed.extend_from_slice(m);
            let t = tcp(40_001, 53, 1, 1, 0x18, 512, 0, &[], &framed);
            let p = ipv4(6, s4, d4, 2, 0, &[], &t);
            add(format!("{what}-tcp4"), p.clone(), p.len() as u32);
            let mut bad = framed.clone();
            bad[1] ^= 1;
            let t = tcp(40_001, 53, 1, 1, 0x18, 512, 0, &[], &bad);
            add(
                format!("{what}-tcp4-badprefix"),
                ipv4(6, s4, d4, 2, 0, &[], &t),
                0,
            );
        }
    }
    for (what, p) in other_protocols() {
        add(what.clone(), p.clone(), p.len() as u32);
        for cut in [p.len() / 2, p.len() * 3 / 4, p.len() - 1] {
            if cut > 24 && cut < p.len() {
                add(format!("{what}-cut"), p[..cut].to_vec(), p.len() as u32);
            }
        }
    }
    for p in &mut pkts {
        if p.orig_len == 0 {
            p.orig_len = p.data.len() as u32;
        }
    }
    // Mutated copies: odd bytes in the DNS header and names.
    let mut r = Rng(0xd15e_a5e5_0000_0001);
    let base = pkts.len();
    for i in 0..base * 4 {
        let p = &pkts[i % base];
        let mut d = p.data.clone();
        let hdr = if d[0] >> 4 == 4 { 28 } else { 48 };
        if d.len() <= hdr + 2 {
            continue;
        }
        for _ in 0..1 + r.below(3) {
            let at = hdr + r.below((d.len() - hdr) as u64) as usize;
            d[at] = r.next() as u8;
        }
        let (ts, orig_len, what) = (p.ts_ns + 7, p.orig_len, format!("{}-mut", p.what));
        pkts.push(Pkt {
            ts_ns: ts,
            data: d,
            orig_len,
            what,
        });
    }
    pkts
}

/// tcpdump's output per packet, numbered with `-#` so that multi-line packets split.
fn per_packet(text: &str, count: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        if out.len() < count && line.starts_with(&format!("{:5}  ", out.len() + 1)) {
            out.push(line[7..].to_owned());
        } else if let Some(last) = out.last_mut() {
            last.push('\n');
            last.push_str(line);
        }
    }
    out
}

/// `dns-query-a-udp4-cut` → `dns`; `mdns-…` → `mdns`.
fn protocol_of(what: &str) -> String {
    let p = what.split('-').next().unwrap_or(what);
    let transport = if what.contains("-tcp") { "/tcp" } else { "" };
    format!("{p}{transport}")
}

/// Lines that differ on purpose (README, "Deliberate deviations"): payloads this printer does
/// not decode inside the decoded protocols.
fn documented_gap(ours: &str) -> bool {
    // An 802.3 length where an ethertype would be: LLC is not decoded.
    let llc = ours
        .split("ethertype Unknown (0x")
        .skip(1)
        .any(|rest| u16::from_str_radix(&rest[..4.min(rest.len())], 16).is_ok_and(|t| t <= 0x05dc));
    llc || [
        "igmp dvmrp",
        "igmp pimv1",
        "gre-proto-0x",
        "geneve-proto-0x",
    ]
    .iter()
    .any(|g| ours.contains(g))
}

#[test]
fn protocols_match_tcpdump() {
    let pkts = corpus();
    let dir = std::env::temp_dir().join(format!("rcvall-wire-proto-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("proto.pcap");
    write_pcap(&file, &pkts);
    let mut failures = Vec::new();
    let mut table: BTreeMap<(String, u8), (usize, usize, usize)> = BTreeMap::new();
    for verbose in 0..=3u8 {
        let mut args = vec!["-n", "-#", "-tt"];
        let flag = format!("-{}", "v".repeat(verbose.into()));
        if verbose > 0 {
            args.push(&flag);
        }
        let theirs = per_packet(&tcpdump_in(&args, &file, "UTC"), pkts.len());
        assert_eq!(theirs.len(), pkts.len(), "tcpdump {args:?}: packet count");
        let mut printer = TextPrinter::new(TextOptions {
            time: TimeFormat::Unix,
            verbose,
            ..TextOptions::default()
        });
        for (p, t) in pkts.iter().zip(&theirs) {
            let mut ours = String::new();
            printer
                .write_packet(&mut ours, p.ts_ns, None, None, &p.data, p.orig_len)
                .unwrap();
            let entry = table.entry((protocol_of(&p.what), verbose)).or_default();
            entry.1 += 1;
            if ours == *t {
                entry.0 += 1;
            } else if documented_gap(&ours) {
                entry.2 += 1;
            } else {
                failures.push(format!(
                    "[{flag}] {} {:02x?}\n  tcpdump: {t:?}\n  ours:    {ours:?}",
                    p.what, p.data
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "agreement per protocol and verbosity ({} packets):",
        pkts.len()
    );
    for ((proto, v), (same, total, gaps)) in &table {
        eprintln!(
            "  {proto:<10} -{:<3} {same:>5}/{total} ({:.1} %), {gaps} documented gaps",
            "v".repeat((*v).into()),
            100.0 * *same as f64 / *total as f64
        );
    }
    for f in failures.iter().take(30) {
        eprintln!("{f}");
    }
    assert!(failures.is_empty(), "{} packets differ", failures.len());
}

/// JSON lines carry the fields the text decodes (and stay well-formed on every input).
#[test]
fn json_carries_the_decoded_fields() {
    let expected: [(&str, &str); 9] = [
        (
            "dns-query-a-udp4",
            r#""app":{"name":"dns","id":4660,"response":false,"opcode":0,"rcode":0,"questions_count":1,"answers_count":0,"authority_count":0,"additional_count":0,"question":{"name":"www.example.com.","type":1,"class":1}}"#,
        ),
        ("mdns-query-qu-udp6", r#""name":"mdns""#),
        (
            "http-get-4",
            r#""app":{"name":"http","line":"GET /index.html HTTP/1.1","method":"GET"}"#,
        ),
        ("http-resp-404-4", r#""status":404"#),
        (
            "ntp-client-4",
            r#""app":{"name":"ntp","version":4,"mode":"client","leap":0,"stratum":0}"#,
        ),
        (
            "dhcp-discover-4",
            r#""client_mac":"02:00:00:00:00:42","message_type":1}"#,
        ),
        ("vxlan-ip-4", r#""app":{"name":"vxlan","vni":42}"#),
        (
            "sctp-shutdown-4",
            r#""src_port":5000,"dst_port":5001,"app":{"name":"sctp","chunks":[7,8,14,6]}"#,
        ),
        (
            "gre-teb-4",
            r#""app":{"name":"gre","version":0,"ethertype":25944,"key":5}"#,
        ),
    ];
    let pkts = corpus();
    for (what, needle) in expected {
        let p = pkts
            .iter()
            .find(|p| p.what == what)
            .unwrap_or_else(|| panic!("{what}"));
        let mut json = String::new();
        rcvall_wire::format_json(&mut json, p.ts_ns, None, None, &p.data, p.orig_len).unwrap();
        assert!(json.contains(needle), "{what}: {json}");
    }
    for p in &pkts {
        let mut json = String::new();
        rcvall_wire::format_json(&mut json, p.ts_ns, None, None, &p.data, p.orig_len).unwrap();
        let opens = json.matches('{').count() - json.matches("\\{").count();
        assert!(
            json.ends_with('}') && !json.chars().any(|c| (c as u32) < 0x20),
            "{json}"
        );
        assert!(opens >= 1, "{json}");
    }
}
