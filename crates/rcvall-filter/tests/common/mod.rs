//! Shared test support: a deterministic packet generator and a LINKTYPE_RAW pcap writer/reader.
#![allow(dead_code)]

pub mod corpus;

/// A captured packet: bytes kept and original length.
#[derive(Clone, Debug)]
pub struct Pkt {
    pub data: Vec<u8>,
    pub wire_len: u32,
}

/// xorshift64*: small, seeded, deterministic.
pub struct Rng(u64);
impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.below(v.len() as u64) as usize]
    }
    pub fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
    pub fn byte(&mut self) -> u8 {
        self.next() as u8
    }
}

const V4_ADDRS: &[[u8; 4]] = &[
    [1, 2, 3, 4],
    [5, 6, 7, 8],
    [10, 0, 0, 1],
    [10, 1, 2, 3],
    [10, 255, 255, 255],
    [11, 0, 0, 0],
    [192, 168, 1, 1],
    [192, 168, 1, 255],
    [192, 168, 2, 1],
    [198, 18, 0, 7],
    [198, 18, 0, 8],
    [127, 0, 0, 1],
    [224, 0, 0, 1],
    [239, 255, 255, 250],
    [223, 255, 255, 255],
    [255, 255, 255, 255],
    [0, 0, 0, 0],
    [172, 16, 0, 1],
];

const V6_ADDRS: &[&str] = &[
    "::1",
    "::",
    "2001:db8::1",
    "2001:db8::2",
    "2001:db8:0:1::5",
    "2001:db9::1",
    "fe80::1",
    "fe80::dead:beef",
    "ff02::1",
    "ff05::1:3",
    "::ffff:1.2.3.4",
    "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
];

const PORTS: &[u16] = &[
    0, 1, 9, 10, 11, 19, 20, 21, 22, 23, 53, 67, 68, 80, 123, 443, 1023, 1024, 8080, 65534, 65535,
];

const PROTOS: &[u8] = &[6, 17, 1, 2, 132, 58, 47, 50, 0, 255, 6, 17, 6, 17];

fn transport(rng: &mut Rng, proto: u8, v6: bool) -> Vec<u8> {
    let port = |rng: &mut Rng| {
        if rng.chance(80) {
            rng.pick(PORTS)
        } else {
            rng.next() as u16
        }
    };
    let mut t = Vec::new();
    match proto {
        6 => {
            t.extend_from_slice(&port(rng).to_be_bytes());
            t.extend_from_slice(&port(rng).to_be_bytes());
            for _ in 0..8 {
                t.push(rng.byte());
            }
            t.push(0x50);
            let flags = if rng.chance(50) {
                rng.pick(&[0x02, 0x12, 0x10, 0x11, 0x04, 0x18, 0x01, 0xc2, 0x29])
            } else {
                rng.byte()
            };
            t.push(flags);
            for _ in 0..6 {
                t.push(rng.byte());
            }
        }
        17 | 132 => {
            t.extend_from_slice(&port(rng).to_be_bytes());
            t.extend_from_slice(&port(rng).to_be_bytes());
            for _ in 0..(if proto == 17 { 4 } else { 8 }) {
                t.push(rng.byte());
            }
        }
        1 | 58 => {
            let ty = if v6 == (proto == 58) {
                if v6 {
                    rng.pick(&[128, 129, 133, 134, 135, 136, 1, 3, 143])
                } else {
                    rng.pick(&[0, 3, 8, 11, 5, 13, 17])
                }
            } else {
                rng.byte()
            };
            t.push(ty);
            t.push(rng.pick(&[0, 1, 3, 4]));
            for _ in 0..6 {
                t.push(rng.byte());
            }
        }
        _ => {
            for _ in 0..8 {
                t.push(rng.byte());
            }
        }
    }
    let extra = rng.below(24) as usize;
    for _ in 0..extra {
        t.push(rng.byte());
    }
    t
}

fn v4(rng: &mut Rng) -> Vec<u8> {
    let ihl = if rng.chance(80) {
        5
    } else {
        6 + rng.below(10) as u8
    };
    let proto = if rng.chance(90) {
        rng.pick(PROTOS)
    } else {
        rng.byte()
    };
    let mut h = vec![0u8; ihl as usize * 4];
    h[0] = 0x40 | ihl;
    h[1] = rng.byte();
    let (fo, mf) = match rng.below(10) {
        0 => (rng.below(0x2000) as u16, false),
        1 => (1 + rng.below(20) as u16, true),
        2 => (0, true),
        _ => (0, false),
    };
    let mut frag = fo;
    if mf {
        frag |= 0x2000;
    }
    if rng.chance(30) {
        frag |= 0x4000; // DF
    }
    h[6..8].copy_from_slice(&frag.to_be_bytes());
    h[8] = 64;
    h[9] = proto;
    let a = |rng: &mut Rng| -> [u8; 4] {
        if rng.chance(85) {
            rng.pick(V4_ADDRS)
        } else {
            [rng.byte(), rng.byte(), rng.byte(), rng.byte()]
        }
    };
    let (s, d) = (a(rng), a(rng));
    h[12..16].copy_from_slice(&s);
    h[16..20].copy_from_slice(&d);
    for b in h.iter_mut().skip(20) {
        *b = rng.byte();
    }
    let t = transport(rng, proto, false);
    h.extend_from_slice(&t);
    let total = h.len() as u16;
    h[2..4].copy_from_slice(&total.to_be_bytes());
    h
}

fn v6(rng: &mut Rng) -> Vec<u8> {
    let mut h = vec![0u8; 40];
    h[0] = 0x60 | (rng.byte() & 0x0f);
    h[1] = rng.byte();
    let final_proto = if rng.chance(90) {
        rng.pick(PROTOS)
    } else {
        rng.byte()
    };
    let a = |rng: &mut Rng| -> [u8; 16] {
        if rng.chance(85) {
            rng.pick(V6_ADDRS)
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets()
        } else {
            let mut x = [0u8; 16];
            x.iter_mut().for_each(|b| *b = rng.byte());
            x
        }
    };
    let (s, d) = (a(rng), a(rng));
    h[8..24].copy_from_slice(&s);
    h[24..40].copy_from_slice(&d);
    h[7] = 64;
    // Extension headers: none, fragment (44), hop-by-hop (0), routing (43), dest opts (60).
    let ext = rng.pick(&[
        None,
        None,
        None,
        Some(44u8),
        Some(44),
        Some(0),
        Some(43),
        Some(60),
    ]);
    match ext {
        None => h[6] = final_proto,
        Some(e) => {
            h[6] = e;
            let mut eh = vec![final_proto, 0, 0, 0, 0, 0, 0, 0];
            if e == 44 {
                let off: u16 = if rng.chance(50) {
                    0
                } else {
                    (rng.below(100) as u16) << 3
                };
                eh[2..4].copy_from_slice(&(off | rng.below(2) as u16).to_be_bytes());
            } else {
                for b in eh.iter_mut().skip(2) {
                    *b = rng.byte();
                }
            }
            h.extend_from_slice(&eh);
        }
    }
    let t = transport(rng, final_proto, true);
    h.extend_from_slice(&t);
    let plen = (h.len() - 40) as u16;
    h[4..6].copy_from_slice(&plen.to_be_bytes());
    h
}

/// `n` packets covering v4/v6, options, extension headers, fragments, truncation and garbage.
pub fn packets(seed: u64, n: usize) -> Vec<Pkt> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let mut data = match rng.below(20) {
            0 => {
                let len = rng.below(64) as usize;
                let mut v: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
                if let Some(b) = v.first_mut() {
                    *b = (*b & 0x0f) | rng.pick(&[0x40, 0x60, 0x00, 0x50, 0xf0]);
                }
                v
            }
            1..=9 => v4(&mut rng),
            _ => v6(&mut rng),
        };
        let wire_len = data.len() as u32;
        match rng.below(10) {
            // Truncated: the bytes end early, but the header says otherwise.
            0 => {
                let cut = rng.below(data.len() as u64 + 1) as usize;
                data.truncate(cut);
                out.push(Pkt {
                    wire_len: data.len() as u32,
                    data,
                });
            }
            // Captured with a short snap length: caplen < original length.
            1 => {
                let cut = rng.below(data.len() as u64 + 1) as usize;
                data.truncate(cut);
                out.push(Pkt { data, wire_len });
            }
            _ => out.push(Pkt { data, wire_len }),
        }
    }
    out
}

/// A LINKTYPE_RAW pcap file (rcvall-pcap's writer); packet `i` gets timestamp `i` seconds so
/// matches map to indices.
pub fn write_pcap(pkts: &[Pkt]) -> Vec<u8> {
    let mut writer =
        rcvall_pcap::PcapWriter::new(Vec::new(), rcvall_pcap::LinkType::RAW, 262_144).unwrap();
    for (i, p) in pkts.iter().enumerate() {
        writer
            .write_packet(i as u64 * 1_000_000_000, p.wire_len, &p.data)
            .unwrap();
    }
    writer.into_inner().unwrap()
}

/// Timestamps (= packet indices) of the records of a pcap stream (e.g. what tcpdump -w wrote).
pub fn read_indices(f: &[u8]) -> Vec<u32> {
    let Ok(mut reader) = rcvall_pcap::CaptureReader::new(f) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while let Ok(Some(record)) = reader.next_record() {
        out.push((record.timestamp_ns / 1_000_000_000) as u32);
    }
    out
}
