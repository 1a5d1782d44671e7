//! Differential test: our printer against the real `tcpdump -n -S -tt --nano` on a pcap of
//! LINKTYPE_RAW packets built here.

mod common;

use std::process::Command;

use common::*;
use rcvall_pcap::LinkType;
use rcvall_wire::{format_line, Precision, TimeFormat, TimeStyle};
#[test]
fn lines_match_tcpdump() {
    let pkts = build();
    assert!(pkts.len() >= 200, "only {} packets", pkts.len());
    let dir = std::env::temp_dir().join(format!("rcvall-wire-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("raw.pcap");
    write_pcap(&file, &pkts);
    let date_utc = TimeStyle {
        format: TimeFormat::DateTime,
        precision: Precision::Micro,
        utc_offset_secs: 0,
    };
    let configs: [(&[&str], TimeStyle); 4] = [
        (&["-n", "-S", "-tt", "--nano"], TimeStyle::UNIX_NANO),
        (&["-n", "-S", "-tt"], TimeStyle::UNIX_MICRO),
        (&["-n", "-S"], TimeStyle::TIME_OF_DAY_UTC),
        (&["-n", "-S", "-tttt"], date_utc),
    ];
    let mut mismatches = Vec::new();
    for (args, style) in configs {
        let text = tcpdump(args, &file);
        // A few message types add hex-dump continuation lines (starting with a tab).
        let theirs = group_continuations(&text);
        assert_eq!(
            theirs.len(),
            pkts.len(),
            "tcpdump {args:?} printed a different number of lines"
        );
        for (p, t) in pkts.iter().zip(&theirs) {
            let mut ours = String::new();
            format_line(&mut ours, p.ts_ns, None, None, &p.data, p.orig_len, style).unwrap();
            if ours != *t {
                mismatches.push(format!(
                    "[{} {args:?}]\n  tcpdump: {t}\n  ours:    {ours}",
                    p.what
                ));
            }
        }
        eprintln!("tcpdump {args:?}: {} packets compared", pkts.len());
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// Packets from `build()` with a few random bytes overwritten: odd headers on purpose. Every
/// line must match except the documented gaps, which are counted and reported.
#[test]
fn mutated_packets_match_tcpdump() {
    let pkts = mutated_corpus();
    let dir = std::env::temp_dir().join(format!("rcvall-wire-mut-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("mut.pcap");
    write_pcap(&file, &pkts);
    let run = Command::new("tcpdump")
        .args(["-n", "-S", "-tt", "--nano", "-r"])
        .arg(&file)
        .output()
        .unwrap_or_else(|e| {
            panic!("tcpdump not runnable ({e}); run scripts/setup.sh to install it")
        });
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8_lossy(&run.stdout);
    let theirs = group_continuations(&text);
    assert_eq!(theirs.len(), pkts.len());
    let mut bad = Vec::new();
    let mut gaps = 0;
    for (p, t) in pkts.iter().zip(&theirs) {
        let mut ours = String::new();
        format_line(
            &mut ours,
            p.ts_ns,
            None,
            None,
            &p.data,
            p.orig_len,
            TimeStyle::UNIX_NANO,
        )
        .unwrap();
        if ours != *t && known_gap_packet(&p.data, &ours) {
            gaps += 1;
        } else if ours != *t {
            bad.push(format!(
                "[{}] {:02x?}\n  tcpdump: {t}\n  ours:    {ours}",
                p.what, p.data
            ));
        }
    }
    eprintln!(
        "{} mutated packets: {} identical lines, {gaps} known-gap lines, {} mismatches",
        pkts.len(),
        pkts.len() - bad.len() - gaps,
        bad.len()
    );
    for b in &bad {
        eprintln!("{b}");
    }
    assert!(bad.is_empty(), "{} of {} differ", bad.len(), pkts.len());
    assert_gaps_within_ceiling(gaps, pkts.len(), "mutated packets");
}

/// The direction word and interface column: tcpdump prints them for LINKTYPE_LINUX_SLL2 (what
/// `-i any` captures), resolving the index with if_indextoname; index 1 is `lo` on Linux.
#[test]
fn direction_and_interface_match_tcpdump_sll2() {
    let lo_index = std::fs::read_to_string("/sys/class/net/lo/ifindex").ok();
    // tcpdump names index 1 through if_indextoname: the test needs lo to be it (it is on
    // Linux); anywhere else it fails, rather than skipping silently.
    assert_eq!(
        lo_index.as_deref().map(str::trim),
        Some("1"),
        "lo is not interface 1 here: this test cannot compare the interface column"
    );
    let u = udp(30001, 30002, b"abc");
    let ip4 = ipv4(17, [127, 0, 0, 1], [127, 0, 0, 1], 1, 0x4000, &[], &u);
    let ip6 = ipv6(
        6,
        v6addr("::1"),
        v6addr("::1"),
        &tcp(30001, 30002, 5, 6, 0x12, 100, 0, &[2, 4, 0xff, 0xd7], &[]),
    );
    let cases: [(&[u8], u16, u8, rcvall_wire::Direction); 3] = [
        (&ip4, 0x0800, 0, rcvall_wire::Direction::In),
        (&ip4, 0x0800, 4, rcvall_wire::Direction::Out),
        (&ip6, 0x86dd, 4, rcvall_wire::Direction::Out),
    ];
    let records: Vec<Vec<u8>> = cases
        .iter()
        .map(|(ip, ethertype, pkttype, _)| {
            let mut rec = Vec::new();
            rec.extend_from_slice(&ethertype.to_be_bytes());
            rec.extend_from_slice(&[0, 0]);
            rec.extend_from_slice(&1u32.to_be_bytes());
            rec.extend_from_slice(&772u16.to_be_bytes()); // ARPHRD_LOOPBACK
            rec.extend_from_slice(&[*pkttype, 6, 0, 0, 0, 0, 0, 0, 0, 0]);
            rec.extend_from_slice(ip);
            rec
        })
        .collect();
    let f = pcap_of(
        LinkType::LINUX_SLL2,
        records.iter().enumerate().map(|(i, rec)| {
            (
                1_700_000_000_000_000_000 + i as u64,
                rec.len() as u32,
                &rec[..],
            )
        }),
    );
    let dir = std::env::temp_dir().join(format!("rcvall-wire-sll2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("sll2.pcap");
    std::fs::write(&file, &f).unwrap();
    let run = Command::new("tcpdump")
        .args(["-n", "-S", "-tt", "--nano", "-r"])
        .arg(&file)
        .output()
        .unwrap_or_else(|e| {
            panic!("tcpdump not runnable ({e}); run scripts/setup.sh to install it")
        });
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8_lossy(&run.stdout);
    let theirs: Vec<&str> = text.lines().collect();
    assert_eq!(theirs.len(), cases.len(), "{text}");
    for (i, ((ip, _, _, d), t)) in cases.iter().zip(&theirs).enumerate() {
        let mut ours = String::new();
        let ts = 1_700_000_000_000_000_000 + i as u64;
        format_line(
            &mut ours,
            ts,
            Some(*d),
            Some("lo"),
            ip,
            ip.len() as u32,
            TimeStyle::UNIX_NANO,
        )
        .unwrap();
        assert_eq!(ours, *t);
    }
}
