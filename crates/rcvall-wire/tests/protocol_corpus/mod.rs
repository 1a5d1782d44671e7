//! The packets the protocol test feeds both printers.

mod apps;
pub mod dns;
mod tunnels;

use crate::common::*;
use dns::be16;

/// Every message over UDP (v4 and v6), DNS also over TCP, and cut copies.
pub fn corpus() -> Vec<Pkt> {
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
    for (what, m) in dns::dns_messages() {
        messages.push((format!("dns-{what}"), 53, m));
    }
    for (what, m) in dns::mdns_messages() {
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
    for (what, p) in apps::packets().into_iter().chain(tunnels::packets()) {
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
