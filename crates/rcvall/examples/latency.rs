//! Delivery latency of `rcvall::Capture` on a quiet link: a lab pair (testkit, namespaces
//! `rcvt*`, 198.18.1.1 -> 198.18.1.2), a sender paced at RATE packets/s for SECS seconds, and a
//! capture on the receiver's interface with `low_latency(true)` and then `low_latency(false)`.
//!
//! For every captured probe, at the moment its batch is handed over (`next_batch` returns):
//! * `kernel->handover` = now(CLOCK_REALTIME) - the packet's kernel timestamp;
//! * `send->handover`   = now(CLOCK_REALTIME) - the sender's clock just before `send_to`
//!   (carried in the payload; same machine, same clock).
//!
//! Usage (as root): `latency [SECS=5] [RATE=1000] [low|batch|both] [jitter|exact]`
//! (jitter, the default: each probe at a random instant inside its 1/RATE slot; exact: on a
//! fixed grid, which can phase-lock with the kernel's periodic retire timer). Every loop is bounded
//! (packet count and a deadline); the namespaces are removed on exit, also on SIGINT.

use rcvall::{Capture, Families};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use testkit::Pair;

const MAGIC: &[u8; 8] = b"rcvtlat1";
const PORT: u16 = 9;

fn realtime_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// Nearest-rank percentile of sorted values.
fn pct(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn summary(values: &mut [u64]) -> String {
    values.sort_unstable();
    let us = |ns: u64| ns as f64 / 1000.0;
    format!(
        "p50={:.0} p90={:.0} p99={:.0} max={:.0} us",
        us(pct(values, 0.50)),
        us(pct(values, 0.90)),
        us(pct(values, 0.99)),
        us(values.last().copied().unwrap_or(0))
    )
}

/// The UDP payload of a probe in an IPv4 packet (from its IP header), if it is one of ours.
fn probe(packet: &[u8]) -> Option<(u64, u64)> {
    if packet.len() < 20 || packet[0] >> 4 != 4 || packet[9] != 17 {
        return None;
    }
    let ihl = usize::from(packet[0] & 0x0f) * 4;
    let udp = packet.get(ihl..)?;
    if udp.len() < 8 || u16::from_be_bytes([udp[2], udp[3]]) != PORT {
        return None;
    }
    let payload = &udp[8..];
    if payload.len() < 24 || &payload[..8] != MAGIC {
        return None;
    }
    let seq = u64::from_le_bytes(payload[8..16].try_into().ok()?);
    let sent = u64::from_le_bytes(payload[16..24].try_into().ok()?);
    Some((seq, sent))
}

/// Sends `n` probes to `dst`, one per `period`, on an absolute schedule (no drift). With
/// `jitter`, probe k goes at a uniformly random instant inside its period: still RATE on
/// average, but not phase-locked to the kernel's periodic block-retire timer (an exact 1 ms
/// schedule and a 1 ms periodic timer keep a fixed phase and show one constant latency).
fn send_paced(
    dst: SocketAddr,
    n: u64,
    period: Duration,
    jitter: bool,
    stop: &AtomicBool,
) -> std::io::Result<u64> {
    let sock = UdpSocket::bind(SocketAddr::new(IpAddr::from([0u8, 0, 0, 0]), 0))?;
    let mut payload = [0u8; 24];
    payload[..8].copy_from_slice(MAGIC);
    let start = Instant::now();
    let mut sent = 0;
    // xorshift64: a tiny deterministic-per-run PRNG, seeded from the clock.
    let mut x = realtime_ns() | 1;
    for seq in 0..n {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let offset = if jitter {
            Duration::from_nanos(x % period.as_nanos() as u64)
        } else {
            Duration::ZERO
        };
        let at = start + period * seq as u32 + offset;
        let now = Instant::now();
        if at > now {
            thread::sleep(at - now);
        }
        payload[8..16].copy_from_slice(&seq.to_le_bytes());
        payload[16..24].copy_from_slice(&realtime_ns().to_le_bytes());
        sock.send_to(&payload, dst)?;
        sent += 1;
    }
    Ok(sent)
}

struct Outcome {
    sent: u64,
    got: u64,
    batches: u64,
    kernel: Vec<u64>,
    send: Vec<u64>,
}

fn phase(
    pair: &Pair,
    low_latency: bool,
    secs: u64,
    rate: u64,
    jitter: bool,
    stop: &AtomicBool,
) -> Result<Outcome, Box<dyn std::error::Error>> {
    let n = secs * rate;
    let period = Duration::from_nanos(1_000_000_000 / rate);
    let ifname = pair.b.ifname.clone();
    // The capture's socket belongs to b's namespace: open it from a thread inside it.
    let mut capture = pair.b.ns.run(|| {
        Capture::builder()
            .interface_name(&ifname)
            .families(Families::V4)
            .low_latency(low_latency)
            .open()
    })?;
    let dst = SocketAddr::new(IpAddr::V4(pair.b.v4), PORT);
    let sender_done = AtomicBool::new(false);
    let mut out = Outcome {
        sent: 0,
        got: 0,
        batches: 0,
        kernel: Vec::with_capacity(n as usize),
        send: Vec::with_capacity(n as usize),
    };
    let sent = thread::scope(|s| -> Result<u64, Box<dyn std::error::Error>> {
        let sender = s.spawn(|| {
            // Give the receiver time to start waiting before the first probe.
            thread::sleep(Duration::from_millis(200));
            let r = pair.a.ns.run(|| send_paced(dst, n, period, jitter, stop));
            sender_done.store(true, Ordering::SeqCst);
            r
        });
        // Bounded: the send time plus 3 s, at most; or all probes seen; or 0.5 s after the
        // sender ended (every block retires within 50 ms).
        let hard = Instant::now() + Duration::from_secs(secs + 3);
        let mut sender_end: Option<Instant> = None;
        while Instant::now() < hard && out.got < n {
            if let Some(batch) = capture.next_batch(Some(Duration::from_millis(20)))? {
                let now = realtime_ns();
                out.batches += 1;
                for packet in batch.packets() {
                    if let Some((_seq, sent_ns)) = probe(packet.data) {
                        out.got += 1;
                        out.kernel
                            .push(now.saturating_sub(packet.info.timestamp_ns));
                        out.send.push(now.saturating_sub(sent_ns));
                    }
                }
            }
            if sender_done.load(Ordering::SeqCst) {
                let end = *sender_end.get_or_insert_with(Instant::now);
                if end.elapsed() > Duration::from_millis(500) {
                    break;
                }
            }
        }
        let sent = sender.join().map_err(|_| "sender thread panicked")??;
        Ok(sent)
    })?;
    out.sent = sent;
    Ok(out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usage = "usage: latency [SECS=5] [RATE=1000] [low|batch|both] [jitter|exact]";
    let mut args = std::env::args().skip(1);
    let secs: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(5);
    let rate: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1000);
    let modes: &[bool] = match args.next().as_deref() {
        None | Some("both") => &[true, false],
        Some("low") => &[true],
        Some("batch") => &[false],
        Some(other) => return Err(format!("unknown mode {other}; {usage}").into()),
    };
    let jitter = match args.next().as_deref() {
        None | Some("jitter") => true,
        Some("exact") => false,
        Some(other) => return Err(format!("unknown schedule {other}; {usage}").into()),
    };
    if !(1..=60).contains(&secs) || !(1..=100_000).contains(&rate) {
        return Err(format!("SECS must be 1..=60 and RATE 1..=100000; {usage}").into());
    }
    testkit::require_root();
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    let pair = Pair::new()?;
    // A bound UDP socket on b: no ICMP port unreachable for the probes (never read).
    let _sink = testkit::udp_sink(&pair.b.ns, SocketAddr::new(IpAddr::V4(pair.b.v4), PORT))?;
    eprintln!(
        "latency: {} ({}) -> {} {} ({}), {rate} pkt/s for {secs} s, jitter {jitter}",
        pair.a.ns.name(),
        pair.a.v4,
        pair.b.ns.name(),
        pair.b.ifname,
        pair.b.v4
    );
    for &low in modes {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let mut o = phase(&pair, low, secs, rate, jitter, &stop)?;
        println!(
            "mode={} schedule={} sent={} captured={} batches={} pkts/batch={:.1} | kernel->handover {} | send->handover {}",
            if low { "low_latency" } else { "batch" },
            if jitter { "jitter" } else { "exact" },
            o.sent,
            o.got,
            o.batches,
            o.got as f64 / o.batches.max(1) as f64,
            summary(&mut o.kernel),
            summary(&mut o.send)
        );
    }
    Ok(())
}
