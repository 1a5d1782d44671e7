//! Differential test against libpcap: every expression of the corpus is run by tcpdump over the
//! same LINKTYPE_RAW capture, and rcvall's interpreter must select exactly the same packets.
//!
//! libpcap's optimiser is not exact on truncated packets (it treats loads as side-effect free,
//! so it may skip or reorder a load that would have rejected the packet). Where `tcpdump` and
//! `tcpdump -O` (unoptimised) disagree on a packet, rcvall must agree with one of them; those
//! packets are counted and reported. Everywhere else agreement must be exact.

mod common;

use common::corpus::{BASE, REJECTED};
use common::{packets, read_indices, write_pcap, Pkt};
use rcvall_filter::{compile, CompileOptions};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

const N_PACKETS: usize = 2500;

fn tcpdump_available() -> bool {
    Command::new("tcpdump")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Runs tcpdump over `pcap` with `expr`; `None` if libpcap refused the expression,
/// `Some(empty)` for "expression rejects all packets".
fn tcpdump_matches(pcap: &Path, expr: &str, optimize: bool) -> Option<BTreeSet<u32>> {
    let mut cmd = Command::new("tcpdump");
    if !optimize {
        cmd.arg("-O");
    }
    cmd.arg("-r")
        .arg(pcap)
        .arg("-w")
        .arg("-")
        .arg("--")
        .arg(expr);
    let out = cmd.output().expect("running tcpdump");
    let err = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        if err.contains("expression rejects all packets") {
            return Some(BTreeSet::new());
        }
        return None;
    }
    Some(read_indices(&out.stdout).into_iter().collect())
}

fn tcpdump_len(pcap: &Path, expr: &str) -> Option<usize> {
    let out = Command::new("tcpdump")
        .arg("-r")
        .arg(pcap)
        .arg("-d")
        .arg("--")
        .arg(expr)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.starts_with('('))
            .count(),
    )
}

fn corpus() -> Vec<String> {
    let mut v: Vec<String> = BASE.iter().map(|s| s.to_string()).collect();
    // Nesting: deterministic pairs of base expressions under and/or/not.
    let n = BASE.len();
    for i in 0..40 {
        let a = BASE[(i * 7 + 3) % n];
        let b = BASE[(i * 13 + 11) % n];
        let e = match i % 4 {
            0 => format!("({a}) and ({b})"),
            1 => format!("({a}) or not ({b})"),
            2 => format!("not (({a}) and ({b}))"),
            _ => format!("(({a}) or ({b})) and not ({a})"),
        };
        v.push(e);
    }
    v
}

fn scratch_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("rcvall-filter-diff-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

struct Outcome {
    expr: String,
    exact: usize,
    optimizer_divergent: usize,
    mismatches: Vec<String>,
    ours_len: usize,
    pcap_len: Option<usize>,
}

fn check(expr: &str, pkts: &[Pkt], pcap: &Path) -> Outcome {
    let fail = |m: String| Outcome {
        expr: expr.to_string(),
        exact: 0,
        optimizer_divergent: 0,
        mismatches: vec![m],
        ours_len: 0,
        pcap_len: None,
    };
    let prog = match compile(expr, &CompileOptions::default()) {
        Ok(p) => p,
        Err(e) => return fail(format!("rcvall refused it: {e}")),
    };
    let Some(opt) = tcpdump_matches(pcap, expr, true) else {
        return fail("libpcap refused it; fix the corpus".into());
    };
    let unopt = tcpdump_matches(pcap, expr, false).unwrap_or_else(|| opt.clone());
    let mut o = Outcome {
        expr: expr.to_string(),
        exact: 0,
        optimizer_divergent: 0,
        mismatches: Vec::new(),
        ours_len: prog.insns().len(),
        pcap_len: tcpdump_len(pcap, expr),
    };
    for (i, p) in pkts.iter().enumerate() {
        let i = i as u32;
        let ours = prog.run(&p.data, p.wire_len, 0) != 0;
        let (a, b) = (opt.contains(&i), unopt.contains(&i));
        if ours == a {
            o.exact += 1;
        } else if a != b && ours == b {
            o.optimizer_divergent += 1;
        } else if o.mismatches.len() < 3 {
            o.mismatches.push(format!(
                "packet {i} (caplen {}, len {}): rcvall {ours}, libpcap {a} (unoptimised {b}), bytes {:02x?}",
                p.data.len(),
                p.wire_len,
                &p.data[..p.data.len().min(64)]
            ));
        } else {
            o.mismatches.push(String::new());
        }
    }
    o
}

#[test]
fn interpreter_selects_the_same_packets_as_libpcap() {
    assert!(
        tcpdump_available(),
        "tcpdump (libpcap) is required as the oracle of this test; run scripts/setup.sh"
    );
    // RCVALL_FILTER_SEED / RCVALL_FILTER_PACKETS explore other packet sets.
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let seed = env("RCVALL_FILTER_SEED").unwrap_or(0x5eed_cafe);
    let n = env("RCVALL_FILTER_PACKETS").map_or(N_PACKETS, |n| n as usize);
    let pkts = packets(seed, n);
    let dir = scratch_dir();
    let pcap = dir.join("packets.pcap");
    std::fs::write(&pcap, write_pcap(&pkts)).expect("write pcap");
    let mut exprs = corpus();
    // RCVALL_FILTER_EXPRS=FILE adds one expression per line (for exploratory runs).
    if let Ok(path) = std::env::var("RCVALL_FILTER_EXPRS") {
        let extra = std::fs::read_to_string(path).expect("expression file");
        exprs.extend(
            extra
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(String::from),
        );
    }
    assert!(exprs.len() >= 200, "corpus has {} expressions", exprs.len());
    let results = Mutex::new(Vec::new());
    let next = Mutex::new(0usize);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let i = {
                    let mut n = next.lock().unwrap();
                    *n += 1;
                    *n - 1
                };
                let Some(e) = exprs.get(i) else { break };
                let o = check(e, &pkts, &pcap);
                results.lock().unwrap().push(o);
            });
        }
    });
    let _ = std::fs::remove_dir_all(&dir);
    let results = results.into_inner().unwrap();
    let total = results.len() * pkts.len();
    let exact: usize = results.iter().map(|o| o.exact).sum();
    let divergent: usize = results.iter().map(|o| o.optimizer_divergent).sum();
    let mut failures = Vec::new();
    for o in &results {
        if !o.mismatches.is_empty() {
            let shown: Vec<&String> = o.mismatches.iter().filter(|m| !m.is_empty()).collect();
            failures.push(format!(
                "{:?}: {} packets differ, e.g. {:#?}",
                o.expr,
                o.mismatches.len(),
                shown
            ));
        }
    }
    // Program length against libpcap's optimised program.
    let mut ratios: Vec<(i64, String)> = results
        .iter()
        .filter_map(|o| {
            o.pcap_len
                .map(|p| (o.ours_len as i64 - p as i64, o.expr.clone()))
        })
        .collect();
    ratios.sort();
    let deltas: Vec<i64> = ratios.iter().map(|r| r.0).collect();
    let pct = |q: f64| deltas[((deltas.len() - 1) as f64 * q) as usize];
    let shorter = deltas.iter().filter(|d| **d < 0).count();
    let equal = deltas.iter().filter(|d| **d == 0).count();
    eprintln!(
        "differential: {} expressions x {} packets = {} cases; exact agreement {} ({:.3}%), \
         on libpcap-optimiser-divergent packets agreeing with unoptimised libpcap {}",
        results.len(),
        pkts.len(),
        total,
        exact,
        100.0 * exact as f64 / total as f64,
        divergent
    );
    eprintln!(
        "length delta (rcvall - libpcap): min {} p10 {} p25 {} median {} p75 {} p90 {} max {}; \
         shorter {} equal {} longer {}",
        pct(0.0),
        pct(0.1),
        pct(0.25),
        pct(0.5),
        pct(0.75),
        pct(0.9),
        pct(1.0),
        shorter,
        equal,
        deltas.len() - shorter - equal
    );
    let mut div: Vec<(usize, &str)> = results
        .iter()
        .filter(|o| o.optimizer_divergent > 0)
        .map(|o| (o.optimizer_divergent, o.expr.as_str()))
        .collect();
    div.sort();
    eprintln!(
        "expressions where libpcap's optimiser changes its own result: {}",
        div.len()
    );
    for (n, e) in div.iter().rev().take(12) {
        eprintln!("  {n} packets: {e:?}");
    }
    for (d, e) in ratios.iter().rev().take(8) {
        eprintln!("  longest vs libpcap: {d:+} {e:?}");
    }
    if let Ok(path) = std::env::var("RCVALL_FILTER_LENGTHS") {
        let body: String = results
            .iter()
            .map(|o| {
                format!(
                    "{}\t{}\t{}\n",
                    o.ours_len,
                    o.pcap_len.map_or(-1, |p| p as i64),
                    o.expr
                )
            })
            .collect();
        let _ = std::fs::write(path, body);
    }
    assert!(
        failures.is_empty(),
        "{} expressions disagree with libpcap:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(pct(0.5) <= 0, "median program is longer than libpcap's");
}

#[test]
fn expressions_libpcap_rejects_are_rejected() {
    assert!(
        tcpdump_available(),
        "tcpdump (libpcap) is required as the oracle of this test; run scripts/setup.sh"
    );
    let pkts = packets(1, 1);
    let dir = scratch_dir().join("rej");
    std::fs::create_dir_all(&dir).unwrap();
    let pcap = dir.join("one.pcap");
    std::fs::write(&pcap, write_pcap(&pkts)).unwrap();
    let mut bad = Vec::new();
    for e in REJECTED {
        let libpcap = tcpdump_matches(&pcap, e, true);
        let ours = compile(e, &CompileOptions::default());
        if libpcap.is_some() || ours.is_ok() {
            bad.push(format!(
                "{e:?}: libpcap accepts={} rcvall={:?}",
                libpcap.is_some(),
                ours.map(|p| p.insns().len())
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(bad.is_empty(), "{bad:#?}");
}
