//! HTTP, syslog, SSH, MPTCP, DHCP, DHCPv6 and SCTP packets.

use crate::common::*;

/// Whole IP datagrams, named.
pub fn packets() -> Vec<(String, Vec<u8>)> {
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
    out
}
