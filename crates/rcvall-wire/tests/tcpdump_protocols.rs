//! Differential test of the application and tunnel protocols tcpdump decodes by port or by IP
//! protocol (DNS, mDNS, …): well-formed, malformed, cut by a snap length and mutated messages,
//! in IPv4 and IPv6, at every verbosity. Prints the agreement per protocol and flag set.

mod common;
mod protocol_corpus;

use std::collections::BTreeMap;

use common::*;
use rcvall_wire::{TextOptions, TextPrinter, TimeFormat};

use protocol_corpus::corpus;

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
    // IP protocols this printer does not decode, reached through a tunnel.
    if known_gap(ours) {
        return true;
    }
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
    let all_gaps: usize = table.values().map(|(_, _, gaps)| gaps).sum();
    let all_lines: usize = table.values().map(|(_, total, _)| total).sum();
    assert_gaps_within_ceiling(all_gaps, all_lines, "protocol corpus");
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
