//! Differential test of tcpdump's text flags: [`TextPrinter`] against the real `tcpdump -n -r`
//! with the same flags, in several time zones, on the built corpus, a few TCP conversations
//! (relative sequence numbers, SACK), neighbour discovery with options, ICMP errors, and
//! mutated copies of all of them. It prints the agreement per flag set and per protocol.

mod common;

use std::collections::BTreeMap;

use common::*;
use rcvall_wire::{Dump, Precision, TextOptions, TextPrinter, TimeFormat, TimeZone};

/// Internet checksum of `data` (as a sender computes it).
fn inet_cksum(data: &[u8]) -> u16 {
    let mut sum = 0u32;
    for w in data.chunks(2) {
        sum += u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Fills in the IPv4 header checksum and the TCP/UDP/ICMP/ICMPv6 checksum of a built packet,
/// so that `-v` sees correct ones (the corpus keeps its zero, wrong, checksums).
fn with_checksums(mut p: Vec<u8>) -> Vec<u8> {
    let (hlen, proto, pseudo) = match p[0] >> 4 {
        4 => {
            let hlen = usize::from(p[0] & 0xf) * 4;
            p[10..12].fill(0);
            let c = inet_cksum(&p[..hlen]);
            p[10..12].copy_from_slice(&c.to_be_bytes());
            let len = (p.len() - hlen) as u16;
            let mut ph = p[12..20].to_vec();
            ph.extend_from_slice(&[0, p[9]]);
            ph.extend_from_slice(&len.to_be_bytes());
            (hlen, p[9], ph)
        }
        _ => {
            let mut ph = p[8..40].to_vec();
            ph.extend_from_slice(&((p.len() - 40) as u32).to_be_bytes());
            ph.extend_from_slice(&[0, 0, 0, p[6]]);
            (40, p[6], ph)
        }
    };
    let at = match proto {
        6 => 16,
        17 => 6,
        1 => 2,
        58 => 2,
        _ => return p,
    };
    if p.len() < hlen + at + 2 {
        return p;
    }
    p[hlen + at..hlen + at + 2].fill(0);
    let mut all = if proto == 1 { Vec::new() } else { pseudo };
    all.extend_from_slice(&p[hlen..]);
    let c = inet_cksum(&all);
    p[hlen + at..hlen + at + 2].copy_from_slice(&c.to_be_bytes());
    p
}

/// (from the client, seq, ack, flags, options, payload)
type Segment = (bool, u32, u32, u8, Vec<u8>, Vec<u8>);

/// Two TCP conversations per family, with a SYN restarting one, SACK blocks and data.
fn conversations(out: &mut Vec<Pkt>, ts0: u64) {
    let s4 = [198, 18, 2, 1];
    let d4 = [198, 18, 2, 2];
    let s6 = v6addr("2001:db8:2::1");
    let d6 = v6addr("2001:db8:2::2");
    let mut n = 0u64;
    let mut add = |what: &str, data: Vec<u8>| {
        out.push(Pkt {
            // 0.25 s apart, across the daylight-saving changes of the zones tested.
            ts_ns: ts0 + n * 250_000_000 + n * 1_001,
            orig_len: data.len() as u32,
            data,
            what: what.to_owned(),
        });
        n += 1;
    };
    for (round, (cport, sport)) in [(40_000u16, 30_080u16), (30_100, 30_050), (30_200, 30_200)]
        .into_iter()
        .enumerate()
    {
        let (ci, si) = (
            1_000_000u32 * (round as u32 + 1),
            4_000_000_000u32 + round as u32,
        );
        let sack = {
            let mut o = vec![1, 1, 5, 18];
            for (a, b) in [(si + 1001, si + 1201), (si + 1401, si + 1501)] {
                o.extend_from_slice(&a.to_be_bytes());
                o.extend_from_slice(&b.to_be_bytes());
            }
            o
        };
        let segs: Vec<Segment> = vec![
            (true, ci, 0, 0x02, vec![2, 4, 5, 0xb4, 4, 2], vec![]),
            (false, si, ci + 1, 0x12, vec![2, 4, 5, 0xb4], vec![]),
            (true, ci + 1, si + 1, 0x10, vec![], vec![]),
            (true, ci + 1, si + 1, 0x18, vec![], b"hello there".to_vec()),
            (false, si + 1, ci + 12, 0x18, vec![], vec![b'x'; 1000]),
            (true, ci + 12, si + 1, 0x10, sack, vec![]),
            (true, ci + 12, si + 1001, 0x11, vec![], vec![]),
            (false, si + 1001, ci + 13, 0x11, vec![], vec![]),
            // A new SYN on the same ports: new bases.
            (true, ci + 77, 0, 0x02, vec![], vec![]),
            (false, si + 99, ci + 78, 0x12, vec![], vec![]),
            (true, ci + 78, si + 100, 0x14, vec![], vec![]),
        ];
        for (from_client, seq, ack, flags, opts, payload) in segs {
            let (a, b) = if from_client {
                (cport, sport)
            } else {
                (sport, cport)
            };
            let t = tcp(a, b, seq, ack, flags, 512, 0, &opts, &payload);
            let (v4, v6) = if from_client {
                (ipv4(6, s4, d4, 9, 0x4000, &[], &t), ipv6(6, s6, d6, &t))
            } else {
                (ipv4(6, d4, s4, 9, 0x4000, &[], &t), ipv6(6, d6, s6, &t))
            };
            add("conv4", with_checksums(v4));
            add("conv6", with_checksums(v6));
        }
    }
}

/// Neighbour discovery with options, ICMP errors quoting a datagram, IPv4 options.
fn verbose_cases(out: &mut Vec<Pkt>, ts0: u64) {
    let s6 = v6addr("fe80::1");
    let d6 = v6addr("ff02::1");
    let mut n = 0u64;
    let mut add = |what: &str, data: Vec<u8>| {
        out.push(Pkt {
            ts_ns: ts0 + n * 777_777_777,
            orig_len: data.len() as u32,
            data,
            what: what.to_owned(),
        });
        n += 1;
    };
    let lladdr = [1u8, 1, 0x02, 0x42, 0xc6, 0x12, 0x00, 0x01];
    let mut prefix = vec![3u8, 4, 64, 0xc0];
    prefix.extend_from_slice(&86_400u32.to_be_bytes());
    prefix.extend_from_slice(&u32::MAX.to_be_bytes());
    prefix.extend_from_slice(&[0; 4]);
    prefix.extend_from_slice(&v6addr("2001:db8:5::"));
    let mtu = [5u8, 1, 0, 0, 0, 0, 0x05, 0xdc];
    let mut rdnss = vec![25u8, 3, 0, 0, 0, 0, 0x0e, 0x10];
    rdnss.extend_from_slice(&v6addr("2001:db8::53"));
    let route = [
        24u8, 2, 48, 0x08, 0, 0, 0x0e, 0x10, 0x20, 0x01, 0x0d, 0xb8, 0, 7, 0, 0,
    ];
    let unknown = [99u8, 1, 1, 2, 3, 4, 5, 6];
    let dnssl = [
        &[31u8, 4, 0, 0, 0, 0, 0x0e, 0x10][..],
        b"\x07example\x03com\x00\x03lan\x00\x00\x00\x00\x00\x00\x00", // 24 bytes: 3 units with the header
    ]
    .concat();
    let mut ra = vec![
        134u8, 0, 0, 0, 64, 0xc8, 0x07, 0x08, 0, 0, 0x75, 0x30, 0, 0, 0x03, 0xe8,
    ];
    for o in [&lladdr[..], &prefix, &mtu, &rdnss, &dnssl, &route, &unknown] {
        ra.extend_from_slice(o);
    }
    let mut ns = vec![135u8, 0, 0, 0, 0, 0, 0, 0];
    ns.extend_from_slice(&v6addr("fe80::2"));
    ns.extend_from_slice(&lladdr);
    let mut na = vec![136u8, 0, 0, 0, 0xe0, 0, 0, 0];
    na.extend_from_slice(&v6addr("fe80::2"));
    na.extend_from_slice(&[2, 1, 0x02, 0x42, 0xc6, 0x12, 0x00, 0x02]);
    let mut rs = vec![133u8, 0, 0, 0, 0, 0, 0, 0];
    rs.extend_from_slice(&lladdr);
    let mut redirect = vec![137u8, 0, 0, 0, 0, 0, 0, 0];
    redirect.extend_from_slice(&v6addr("fe80::9"));
    redirect.extend_from_slice(&v6addr("2001:db8:9::9"));
    redirect.extend_from_slice(&lladdr);
    for (what, body) in [("nd-ra", ra), ("nd-ns", ns), ("nd-na", na), ("nd-rs", rs)] {
        let mut ip = ipv6(58, s6, d6, &body);
        ip[7] = 255;
        add(what, with_checksums(ip));
    }
    // MLDv2 queries: general, group-specific with sources, an exponent-coded delay.
    let mut general = vec![130u8, 0, 0, 0, 0x27, 0x10, 0, 0];
    general.extend_from_slice(&[0; 16]);
    general.extend_from_slice(&[0x0a, 125, 0, 0]);
    let mut specific = vec![130u8, 0, 0, 0, 0x8f, 0xff, 0, 0];
    specific.extend_from_slice(&v6addr("ff02::1:3"));
    specific.extend_from_slice(&[0x02, 200, 0, 2]);
    specific.extend_from_slice(&v6addr("2001:db8::a"));
    specific.extend_from_slice(&v6addr("2001:db8::b"));
    for (what, body) in [("mldv2-query", general), ("mldv2-query-sources", specific)] {
        add(what, with_checksums(ipv6(58, s6, d6, &body)));
    }
    let mut ip = ipv6(58, s6, v6addr("fe80::2"), &redirect);
    ip[7] = 255;
    add("nd-redirect", with_checksums(ip));
    // ICMP errors quoting the datagram that caused them (printed on their own line at -v).
    let quoted = with_checksums(ipv4(
        17,
        [198, 18, 3, 2],
        [198, 18, 3, 9],
        42,
        0,
        &[],
        &udp(30_123, 30_321, b"probe"),
    ));
    for (ty, code) in [(3u8, 3u8), (3, 1), (11, 0), (12, 0), (5, 1), (4, 0)] {
        let rest = if ty == 5 { [198, 18, 3, 1] } else { [0; 4] };
        let msg = icmp(ty, code, rest, &quoted);
        add(
            "icmp-error",
            with_checksums(ipv4(1, [198, 18, 3, 1], [198, 18, 3, 2], 5, 0, &[], &msg)),
        );
    }
    // IPv4 options at -v: router alert, record route, timestamps, NOPs; ECN and fragments.
    let options: [&[u8]; 5] = [
        &[0x94, 4, 0, 0],
        &[7, 11, 8, 198, 18, 0, 1, 198, 18, 0, 2, 0],
        &[68, 12, 9, 0x01, 198, 18, 0, 1, 0, 0, 0, 5],
        &[1, 1, 1, 0],
        &[68, 8, 5, 0x10, 0, 0, 0, 7],
    ];
    for (i, o) in options.iter().enumerate() {
        let mut p = ipv4(
            17,
            [198, 18, 4, 1],
            [198, 18, 4, 2],
            77,
            0,
            o,
            &udp(30_001, 30_002, b"o"),
        );
        p[1] = i as u8; // tos: 0, ECT(1), ECT(0), CE, 0x04
        add("ipv4-opts", with_checksums(p));
    }
    for off in [0x2000u16, 0x2001, 0x0010, 0x8000, 0x6000] {
        let p = ipv4(
            17,
            [198, 18, 4, 1],
            [198, 18, 4, 2],
            78,
            off,
            &[],
            &udp(30_001, 30_002, b"f"),
        );
        add("ipv4-frag", with_checksums(p));
    }
    let mut p6 = ipv6(
        17,
        v6addr("2001:db8::a"),
        v6addr("2001:db8::b"),
        &udp(30_001, 30_002, b"fl"),
    );
    p6[1] = 0xa1;
    p6[2] = 0x23;
    p6[3] = 0x45;
    add("ipv6-flow", with_checksums(p6));
}

/// Every packet, also cut short by a snap length and with random bytes overwritten.
fn corpus() -> Vec<Pkt> {
    let mut pkts = build();
    // Daylight saving: Europe switched 2024-03-31 01:00 UTC, the US 2024-03-10 07:00 UTC.
    conversations(&mut pkts, 1_711_846_800_000_000_000 - 4_000_000_000);
    conversations(&mut pkts, 1_710_054_000_000_000_000 - 4_000_000_000);
    verbose_cases(&mut pkts, 1_720_000_000_000_000_000);
    let whole = pkts.len();
    let mut r = Rng(0x5151_7777_0123_4567);
    for i in 0..whole {
        let p = &pkts[i];
        if !(p.what.starts_with("conv") || p.what.starts_with("nd") || p.what.starts_with("icmp-e"))
        {
            continue;
        }
        let cut = (r.below(p.data.len() as u64) as usize).max(1);
        let mut mutated = p.data.clone();
        let at = r.below(mutated.len() as u64) as usize;
        mutated[at] = r.next() as u8;
        let (ts, orig, what) = (p.ts_ns, p.orig_len, p.what.clone());
        pkts.push(Pkt {
            ts_ns: ts + 1,
            data: p.data[..cut].to_vec(),
            orig_len: orig,
            what: format!("{what}-cut"),
        });
        pkts.push(Pkt {
            ts_ns: ts + 2,
            data: mutated,
            orig_len: orig,
            what: format!("{what}-mut"),
        });
    }
    // tcpdump needs the file in time order only for -ttt; keep it as built.
    pkts
}

/// The zones the default time format is checked in (TZ value, how the printer gets it).
fn zones() -> Vec<(&'static str, TimeZone)> {
    let file = |name: &str| {
        let data = std::fs::read(format!("/usr/share/zoneinfo/{name}"))
            .unwrap_or_else(|e| panic!("/usr/share/zoneinfo/{name}: {e} (tzdata)"));
        TimeZone::from_tzif(&data).unwrap()
    };
    vec![
        ("UTC", TimeZone::UTC),
        ("Europe/Paris", file("Europe/Paris")),
        ("America/New_York", file("America/New_York")),
        ("Asia/Kolkata", file("Asia/Kolkata")),
        ("Australia/Lord_Howe", file("Australia/Lord_Howe")),
        (
            "EST5EDT,M3.2.0,M11.1.0",
            TimeZone::from_posix("EST5EDT,M3.2.0,M11.1.0").unwrap(),
        ),
    ]
}

/// tcpdump's output per packet, numbered with `-#` so that multi-line packets (-v, dumps) split.
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

/// The part of a packet's `what` that names its protocol.
fn protocol_of(what: &str) -> &str {
    what.split('-').next().unwrap_or(what)
}

#[test]
fn flags_match_tcpdump() {
    let pkts = corpus();
    let dir = std::env::temp_dir().join(format!("rcvall-wire-flags-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("flags.pcap");
    write_pcap(&file, &pkts);
    let base = TextOptions::default();
    let mut sets: Vec<(String, Vec<&str>, &str, TextOptions)> = Vec::new();
    for (tz, zone) in zones() {
        sets.push((
            format!("(default) TZ={tz}"),
            vec![],
            tz,
            TextOptions {
                zone: zone.clone(),
                ..base.clone()
            },
        ));
        sets.push((
            format!("-tttt TZ={tz}"),
            vec!["-tttt"],
            tz,
            TextOptions {
                zone,
                time: TimeFormat::DateTime,
                ..base.clone()
            },
        ));
    }
    let time = |f| TextOptions {
        time: f,
        ..base.clone()
    };
    let nano = |f| TextOptions {
        time: f,
        precision: Precision::Nano,
        ..base.clone()
    };
    let v = |verbose, absolute_seq| TextOptions {
        verbose,
        absolute_seq,
        ..base.clone()
    };
    let dump = |dump| TextOptions {
        dump,
        ..base.clone()
    };
    let simple: Vec<(&str, Vec<&str>, TextOptions)> = vec![
        ("-t", vec!["-t"], time(TimeFormat::None)),
        ("-tt", vec!["-tt"], time(TimeFormat::Unix)),
        ("-ttt", vec!["-ttt"], time(TimeFormat::SincePrevious)),
        ("-ttttt", vec!["-ttttt"], time(TimeFormat::SinceFirst)),
        (
            "-tt nano",
            vec!["-tt", "--time-stamp-precision", "nano"],
            nano(TimeFormat::Unix),
        ),
        (
            "-ttt nano",
            vec!["-ttt", "--time-stamp-precision", "nano"],
            nano(TimeFormat::SincePrevious),
        ),
        (
            "(default) nano",
            vec!["--time-stamp-precision", "nano"],
            nano(TimeFormat::TimeOfDay),
        ),
        ("-S", vec!["-S"], v(0, true)),
        ("-v", vec!["-v"], v(1, false)),
        ("-v -S", vec!["-v", "-S"], v(1, true)),
        ("-vv", vec!["-vv"], v(2, false)),
        (
            "-q",
            vec!["-q"],
            TextOptions {
                quick: true,
                ..base.clone()
            },
        ),
        ("-x", vec!["-x"], dump(Dump::Hex)),
        ("-xx", vec!["-xx"], dump(Dump::Hex)),
        ("-X", vec!["-X"], dump(Dump::HexAscii)),
        ("-XX", vec!["-XX"], dump(Dump::HexAscii)),
        ("-A", vec!["-A"], dump(Dump::Ascii)),
        (
            "-v -X",
            vec!["-v", "-X"],
            TextOptions {
                verbose: 1,
                dump: Dump::HexAscii,
                ..base.clone()
            },
        ),
    ];
    for (name, args, options) in simple {
        sets.push((name.to_owned(), args, "UTC", options));
    }

    let mut failures = Vec::new();
    let mut report = Vec::new();
    let mut per_protocol: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (name, args, tz, options) in &sets {
        let mut full = vec!["-n", "-#"];
        full.extend(args.iter().copied());
        let theirs = per_packet(&tcpdump_in(&full, &file, tz), pkts.len());
        assert_eq!(theirs.len(), pkts.len(), "tcpdump {name}: packet count");
        let mut printer = TextPrinter::new(options.clone());
        let (mut same, mut gaps) = (0, 0);
        for (p, t) in pkts.iter().zip(&theirs) {
            let mut ours = String::new();
            printer
                .write_packet(&mut ours, p.ts_ns, None, None, &p.data, p.orig_len)
                .unwrap();
            let entry = per_protocol
                .entry(protocol_of(&p.what).to_owned())
                .or_default();
            entry.1 += 1;
            if ours == *t {
                same += 1;
                entry.0 += 1;
            } else if known_gap_packet(&p.data, ours.lines().next().unwrap_or("")) {
                gaps += 1;
            } else {
                failures.push(format!(
                    "[{name}] {} {:02x?}\n  tcpdump: {t:?}\n  ours:    {ours:?}",
                    p.what, p.data
                ));
            }
        }
        assert_gaps_within_ceiling(gaps, pkts.len(), name);
        report.push(format!(
            "{name:<34} {same:>5}/{} identical ({:.1} %), {gaps} documented gaps",
            pkts.len(),
            100.0 * same as f64 / pkts.len() as f64
        ));
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("agreement per flag set ({} packets each):", pkts.len());
    for r in &report {
        eprintln!("  {r}");
    }
    eprintln!("agreement per protocol (all flag sets):");
    for (proto, (same, total)) in &per_protocol {
        eprintln!(
            "  {proto:<12} {same:>6}/{total} ({:.1} %)",
            100.0 * *same as f64 / *total as f64
        );
    }
    for f in failures.iter().take(40) {
        eprintln!("{f}");
    }
    assert!(failures.is_empty(), "{} packets differ", failures.len());
}

/// The mutated corpus at every verbosity and with the quick and dump flags: odd headers reach
/// the `-v` paths (options, checksums, quoted datagrams) that well-formed packets do not.
#[test]
fn mutated_packets_match_tcpdump_with_flags() {
    let pkts = mutated_corpus();
    let dir = std::env::temp_dir().join(format!("rcvall-wire-mutflags-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("mut.pcap");
    write_pcap(&file, &pkts);
    let base = TextOptions {
        time: TimeFormat::Unix,
        ..TextOptions::default()
    };
    let sets: Vec<(&str, Vec<&str>, TextOptions)> = vec![
        (
            "-v",
            vec!["-v"],
            TextOptions {
                verbose: 1,
                ..base.clone()
            },
        ),
        (
            "-vv",
            vec!["-vv"],
            TextOptions {
                verbose: 2,
                ..base.clone()
            },
        ),
        (
            "-q",
            vec!["-q"],
            TextOptions {
                quick: true,
                ..base.clone()
            },
        ),
        (
            "-X",
            vec!["-X"],
            TextOptions {
                dump: Dump::HexAscii,
                ..base.clone()
            },
        ),
        (
            "-A",
            vec!["-A"],
            TextOptions {
                dump: Dump::Ascii,
                ..base.clone()
            },
        ),
        (
            "-vv -S",
            vec!["-vv", "-S"],
            TextOptions {
                verbose: 2,
                absolute_seq: true,
                ..base.clone()
            },
        ),
    ];
    let mut failures = Vec::new();
    for (name, args, options) in &sets {
        let mut full = vec!["-n", "-#", "-tt"];
        full.extend(args.iter().copied());
        let theirs = per_packet(&tcpdump_in(&full, &file, "UTC"), pkts.len());
        assert_eq!(theirs.len(), pkts.len(), "tcpdump {name}: packet count");
        let mut printer = TextPrinter::new(options.clone());
        let (mut same, mut gaps) = (0, 0);
        for (p, t) in pkts.iter().zip(&theirs) {
            let mut ours = String::new();
            printer
                .write_packet(&mut ours, p.ts_ns, None, None, &p.data, p.orig_len)
                .unwrap();
            if ours == *t {
                same += 1;
            } else if known_gap_packet(&p.data, &ours) {
                gaps += 1;
            } else {
                failures.push(format!(
                    "[{name}] {} {:02x?}\n  tcpdump: {t:?}\n  ours:    {ours:?}",
                    p.what, p.data
                ));
            }
        }
        eprintln!(
            "mutated {name:<8} {same:>5}/{} identical, {gaps} documented gaps",
            pkts.len()
        );
        assert_gaps_within_ceiling(gaps, pkts.len(), &format!("mutated {name}"));
    }
    let _ = std::fs::remove_dir_all(&dir);
    for f in failures.iter().take(30) {
        eprintln!("{f}");
    }
    assert!(failures.is_empty(), "{} packets differ", failures.len());
}

/// Every zone of the system, and a few POSIX rules, at instants from 1970 to 2037 (before and
/// after daylight-saving changes, and in the footer-rule era of the TZif files): the date and
/// time `tcpdump -tttt` prints.
#[test]
fn every_zone_of_the_system_matches_tcpdump() {
    let root = std::path::Path::new("/usr/share/zoneinfo");
    let mut zones = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let name = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if name.starts_with("posix") || name.starts_with("right") || name.contains('.') {
                continue;
            }
            if path.is_dir() {
                dirs.push(path);
            } else if std::fs::read(&path).is_ok_and(|d| d.starts_with(b"TZif")) {
                zones.push(name);
            }
        }
    }
    zones.sort();
    assert!(zones.len() > 100, "only {} zones (tzdata)", zones.len());
    // Spread over 1970..2038, with pairs one second apart around the usual change hours.
    let mut pkts = Vec::new();
    let u = udp(30_000, 30_001, b"t");
    let p = ipv4(17, [198, 18, 0, 1], [198, 18, 0, 2], 1, 0, &[], &u);
    let mut r = Rng(0x2545_f491_4f6c_dd1d);
    for i in 0..48u64 {
        let secs = if i < 40 {
            r.below(2_147_483_000)
        } else {
            // 2024-03-31 00:59:59 UTC and 2024-10-27 00:59:59 UTC, then +1 s and +1 h.
            [
                1_711_846_799,
                1_711_846_800,
                1_711_850_400,
                1_729_990_799,
                1_729_990_800,
                1_729_994_400,
                0,
                2_147_483_000,
            ][(i - 40) as usize]
        };
        pkts.push(Pkt {
            ts_ns: secs * 1_000_000_000 + i * 1000,
            data: p.clone(),
            orig_len: p.len() as u32,
            what: "t".to_owned(),
        });
    }
    let dir = std::env::temp_dir().join(format!("rcvall-wire-zones-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("zones.pcap");
    write_pcap(&file, &pkts);
    let mut checked = 0;
    let mut bad = Vec::new();
    let posix = [
        "EST5EDT,M3.2.0,M11.1.0",
        "AEST-10AEDT,M10.1.0,M4.1.0/3",
        "<+0530>-5:30",
        "CET-1CEST,M3.5.0,M10.5.0/3",
        "NZST-12NZDT,M9.5.0,M4.1.0/3",
        "UTC0",
    ];
    let cases = zones
        .iter()
        .map(|z| {
            (
                z.clone(),
                TimeZone::from_tzif(&std::fs::read(root.join(z)).unwrap()).unwrap(),
            )
        })
        .chain(
            posix
                .iter()
                .map(|p| (p.to_string(), TimeZone::from_posix(p).unwrap())),
        );
    for (tz, zone) in cases {
        let theirs = tcpdump_in(&["-n", "-tttt"], &file, &tz);
        let mut printer = TextPrinter::new(TextOptions {
            time: TimeFormat::DateTime,
            zone,
            ..TextOptions::default()
        });
        for (p, t) in pkts.iter().zip(theirs.lines()) {
            let mut ours = String::new();
            printer
                .write_packet(&mut ours, p.ts_ns, None, None, &p.data, p.orig_len)
                .unwrap();
            checked += 1;
            if ours != t {
                bad.push(format!("TZ={tz}: tcpdump {t:?}, ours {ours:?}"));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "{checked} timestamps compared in {} zones and {} rules",
        zones.len(),
        posix.len()
    );
    for b in bad.iter().take(20) {
        eprintln!("{b}");
    }
    assert!(bad.is_empty(), "{} timestamps differ", bad.len());
}
