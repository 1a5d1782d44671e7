//! NTP, TFTP, RIP, IGMP, VRRP, GRE, VXLAN and Geneve packets.

use crate::common::*;

/// Whole IP datagrams, named.
pub fn packets() -> Vec<(String, Vec<u8>)> {
    let s4 = [198, 18, 9, 1];
    let d4 = [198, 18, 9, 2];
    let s6 = v6addr("2001:db8:9::1");
    let d6 = v6addr("2001:db8:9::2");
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
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
    // TFTP: every opcode, options, an unknown error code, strings cut short.
    let tftps: [(&str, &[u8]); 9] = [
        (
            "rrq",
            b"\x00\x01pxelinux.0\x00octet\x00blksize\x001468\x00tsize\x000\x00",
        ),
        ("wrq", b"\x00\x02upload.bin\x00netascii\x00"),
        ("data", b"\x00\x03\x00\x07hello"),
        ("ack", b"\x00\x04\x00\x07"),
        ("error", b"\x00\x05\x00\x01File not found\x00"),
        ("error-unknown", b"\x00\x05\x00\x09odd\x00"),
        ("oack", b"\x00\x06blksize\x001468\x00"),
        ("unknown-op", b"\x00\x09"),
        ("no-nul", b"\x00\x01name-without-end"),
    ];
    for (what, m) in tftps {
        let u = udp(40_069, 69, m);
        out.push((format!("tftp-{what}-4"), ipv4(17, s4, d4, 14, 0, &[], &u)));
        out.push((format!("tftp-{what}-6"), ipv6(17, s6, d6, &u)));
    }
    // RIP: v1 and v2 requests and responses, authentication, odd entries.
    let v1_entry = |fam: u16, ip: [u8; 4], metric: u32| {
        [
            fam.to_be_bytes().to_vec(),
            vec![0, 0],
            ip.to_vec(),
            vec![0; 8],
            metric.to_be_bytes().to_vec(),
        ]
        .concat()
    };
    let v2_entry = |fam: u16, tag: u16, ip: [u8; 4], mask: [u8; 4], hop: [u8; 4], metric: u32| {
        [
            fam.to_be_bytes().to_vec(),
            tag.to_be_bytes().to_vec(),
            ip.to_vec(),
            mask.to_vec(),
            hop.to_vec(),
            metric.to_be_bytes().to_vec(),
        ]
        .concat()
    };
    let rips: Vec<(&str, Vec<u8>)> = vec![
        (
            "v1-response",
            [
                vec![2, 1, 0, 0],
                v1_entry(2, [198, 18, 5, 0], 1),
                v1_entry(0, [0, 0, 0, 0], 16),
            ]
            .concat(),
        ),
        (
            "v1-mbz",
            [
                vec![2, 1, 0, 0],
                vec![
                    0, 2, 0, 1, 198, 18, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3,
                ],
            ]
            .concat(),
        ),
        (
            "v1-ipx",
            [vec![2, 1, 0, 0], v1_entry(23, [1, 2, 3, 4], 2)].concat(),
        ),
        (
            "v2-request",
            [vec![1, 2, 0, 0], v2_entry(0, 0, [0; 4], [0; 4], [0; 4], 16)].concat(),
        ),
        (
            "v2-response",
            [
                vec![2, 2, 0, 0],
                v2_entry(2, 0, [198, 18, 6, 0], [255, 255, 255, 0], [0; 4], 2),
                v2_entry(2, 7, [10, 0, 0, 0], [255, 0, 255, 0], [198, 18, 0, 9], 5),
            ]
            .concat(),
        ),
        (
            "v2-simple-auth",
            [
                vec![2, 2, 0, 0, 0xff, 0xff, 0, 2],
                b"password\0\0\0\0\0\0\0\0".to_vec(),
                v2_entry(2, 0, [198, 18, 7, 0], [255, 255, 255, 0], [0; 4], 1),
            ]
            .concat(),
        ),
        (
            "v2-md5",
            [
                vec![
                    2, 2, 0, 0, 0xff, 0xff, 0, 3, 0, 44, 1, 16, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0,
                ],
                v2_entry(2, 0, [198, 18, 8, 0], [255, 255, 255, 0], [0; 4], 1),
                vec![0xff, 0xff, 0, 1],
                vec![0xab; 16],
            ]
            .concat(),
        ),
        (
            "v2-auth-unknown",
            [vec![2, 2, 0, 0, 0xff, 0xff, 0, 9], vec![1; 8]].concat(),
        ),
        ("v2-short-entry", vec![2, 2, 0, 0, 0, 2, 0, 0, 198]),
        ("v0", vec![2, 0, 0, 0, 1, 2, 3]),
        ("traceon", vec![3, 1, 0, 0, b'f', b'i', b'l', b'e']),
        ("poll", vec![5, 2, 0, 0]),
        ("unknown-cmd", vec![9, 2, 0, 0]),
        ("v3", vec![2, 3, 0, 0]),
    ];
    for (what, m) in rips {
        let u = udp(520, 520, &m);
        out.push((
            format!("rip-{what}-4"),
            ipv4(17, s4, [224, 0, 0, 9], 16, 0, &[], &u),
        ));
    }
    // VRRP: version 2 with and without a password, version 3 in IPv4 and IPv6, odd ones.
    let vrrp2 = |auth: u8, pw: &[u8]| {
        let mut m = vec![
            0x21, 7, 100, 2, auth, 1, 0, 0, 198, 18, 0, 254, 198, 18, 0, 253,
        ];
        let mut p = pw.to_vec();
        p.resize(8, 0);
        m.extend_from_slice(&p);
        let c = !m
            .chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .fold(0u32, |a, b| {
                let s = a + b;
                (s & 0xffff) + (s >> 16)
            }) as u16;
        m[6..8].copy_from_slice(&c.to_be_bytes());
        m
    };
    let vrrps: Vec<(&str, Vec<u8>)> = vec![
        ("v2-none", vrrp2(0, b"")),
        ("v2-simple", vrrp2(1, b"secret")),
        ("v3", vec![0x31, 9, 255, 1, 0, 100, 0, 0, 198, 18, 0, 254]),
        (
            "v3-ip6",
            [
                vec![0x31, 9, 50, 1, 0x0f, 0xff, 0x12, 0x34],
                v6addr("fe80::1").to_vec(),
            ]
            .concat(),
        ),
        ("v1", vec![0x11, 1, 1, 0, 0, 0, 0, 0]),
        ("type9", vec![0x29, 1, 1, 0, 0, 0, 0, 0]),
    ];
    for (what, m) in vrrps {
        let mut v4 = ipv4(112, s4, [224, 0, 0, 18], 15, 0, &[], &m);
        v4[8] = 255;
        out.push((format!("vrrp-{what}-4"), v4));
        let mut v6 = ipv6(112, v6addr("fe80::2"), v6addr("ff02::12"), &m);
        v6[7] = 255;
        out.push((format!("vrrp-{what}-6"), v6));
    }
    out.push((
        "vrrp-v2-ttl64-4".to_owned(),
        ipv4(112, s4, [224, 0, 0, 18], 15, 0, &[], &vrrp2(0, b"")),
    ));
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
