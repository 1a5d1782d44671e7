//! The pcapng encoder alone, in ns per packet: `cargo run --release -p rcvall-pcap --example
//! encode_bench [SIZE] [PACKETS] [KiB]` (default 64 B, 20 M packets, 1024 KiB). Encodes into a buffer that
//! is reused when full (what the capture thread does before handing it to the writer thread).

use rcvall_pcap::{EpbEncoder, EpbFlags, PacketRecord};
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let size: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let packets: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000_000);
    let data = vec![0x45u8; size];
    let flags = EpbFlags::from_linux_pkttype(0);

    let encoder = EpbEncoder::new(vec![262_144]);
    let chunk_kib: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1024);
    let mut chunk = vec![0u8; chunk_kib << 10];
    let mut at = 0;
    let started = Instant::now();
    for i in 0..packets {
        let p = PacketRecord {
            interface_id: 0,
            timestamp_ns: 1_700_000_000_000_000_000 + i,
            original_len: size as u32,
            data: black_box(&data),
            flags,
        };
        match encoder.encode(&mut chunk[at..], &p).expect("valid packet") {
            Some(n) => at += n,
            None => {
                black_box(&chunk);
                at = encoder
                    .encode(&mut chunk, &p)
                    .expect("valid")
                    .expect("fits");
            }
        }
    }
    let direct = started.elapsed().as_nanos() as f64 / packets as f64;

    println!("{size} B: EpbEncoder {direct:.1} ns/pkt ({packets} packets)");
}
