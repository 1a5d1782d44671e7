//! Inputs the `printer` fuzz target (fuzz/fuzz_targets/printer.rs) found, each named after what
//! broke; the expected text is what tcpdump 4.99 prints for the same packet (`tcpdump -n -v -r`).

use rcvall_wire::{format_json, TextOptions, TextPrinter};

/// 2023-11-14 22:13:20 UTC.
const TS: u64 = 1_700_000_000_000_000_000;

/// An IPv4/UDP packet from 198.18.0.1.1000 to 198.18.0.2.2000 with `options` in its header
/// and 4 bytes of payload (checksum left 0, as the fuzzer's inputs have it).
fn ipv4_udp_with_options(options: &[u8]) -> Vec<u8> {
    let total = 20 + options.len() + 12;
    let mut p = vec![0x40 | (5 + options.len() / 4) as u8, 0];
    p.extend_from_slice(&(total as u16).to_be_bytes());
    p.extend_from_slice(&[
        0x12, 0x34, 0x40, 0, 64, 17, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2,
    ]);
    p.extend_from_slice(options);
    p.extend_from_slice(&[0x03, 0xe8, 0x07, 0xd0, 0, 12, 0, 0]);
    p.extend_from_slice(b"abcd");
    p
}

fn verbose_line(packet: &[u8]) -> String {
    let mut printer = TextPrinter::new(TextOptions {
        verbose: 1,
        ..TextOptions::default()
    });
    let mut out = String::new();
    printer
        .write_packet(&mut out, TS, None, None, packet, packet.len() as u32)
        .unwrap();
    let mut json = String::new();
    format_json(&mut json, TS, None, None, packet, packet.len() as u32).unwrap();
    out
}

/// A record-route option whose pointer byte is 0: the pointer minus one wrapped to u32::MAX and
/// the `ptr + 1` of tcpdump's alignment check overflowed (a panic in debug builds). tcpdump's
/// u_int arithmetic wraps, and it reports the pointer as bad.
#[test]
fn record_route_option_with_pointer_zero() {
    let packet = ipv4_udp_with_options(&[7, 3, 0, 1]);
    assert_eq!(
        verbose_line(&packet),
        "22:13:20.000000 IP (tos 0x0, ttl 64, id 4660, offset 0, flags [DF], proto UDP (17), \
         length 36, options (RR [bad ptr 0],NOP), bad cksum 0 (->9469)!)\n    \
         198.18.0.1.1000 > 198.18.0.2.2000: UDP, length 4"
    );
}
