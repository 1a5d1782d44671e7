//! DNS and mDNS messages: queries, responses, EDNS, malformed ones.

use crate::common::v6addr;

/// A DNS name in wire form (labels, then the root).
pub fn name(n: &str) -> Vec<u8> {
    let mut v = Vec::new();
    for label in n.split('.').filter(|l| !l.is_empty()) {
        v.push(label.len() as u8);
        v.extend_from_slice(label.as_bytes());
    }
    v.push(0);
    v
}

pub fn be16(v: u16) -> [u8; 2] {
    v.to_be_bytes()
}

/// A DNS message: header, questions (name, type, class), then raw records.
pub fn dns(
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
pub fn rr(owner: &[u8], ty: u16, class: u16, ttl: u32, data: &[u8]) -> Vec<u8> {
    let mut v = owner.to_vec();
    v.extend_from_slice(&be16(ty));
    v.extend_from_slice(&be16(class));
    v.extend_from_slice(&ttl.to_be_bytes());
    v.extend_from_slice(&be16(data.len() as u16));
    v.extend_from_slice(data);
    v
}

/// A pointer to offset `at` of the message.
pub fn ptr(at: u16) -> Vec<u8> {
    be16(0xc000 | at).to_vec()
}

#[allow(clippy::vec_init_then_push)] // one push per case reads as a list of cases
pub fn dns_messages() -> Vec<(&'static str, Vec<u8>)> {
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
pub fn mdns_messages() -> Vec<(&'static str, Vec<u8>)> {
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
