//! Benchmark capturer: counts the IP packets of one interface through `rcvall::Capture`, batch by
//! batch (walking every frame of each ring block), until SIGINT or SIGTERM; then prints
//! tcpdump-style counters on stderr, as bench/run.sh (capbench.sh) expects.
//!
//! Usage (as root): `count <interface> [v4|v6|both] [ring-MiB] [batch|low]`
//! (defaults: both, 32 MiB, batch = 50 ms block retire timeout; low = low_latency(true)).

use rcvall::{Capture, Families};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usage = "usage: count <interface> [v4|v6|both] [ring-MiB] [batch|low]";
    let mut args = std::env::args().skip(1);
    let name = args.next().ok_or(usage)?;
    let families = match args.next().as_deref() {
        None | Some("both") => Families::Both,
        Some("v4") => Families::V4,
        Some("v6") => Families::V6,
        Some(other) => return Err(format!("unknown family {other}; {usage}").into()),
    };
    let ring_mib: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(32);
    let low_latency = match args.next().as_deref() {
        None | Some("batch") => false,
        Some("low") => true,
        Some(other) => return Err(format!("unknown latency mode {other}; {usage}").into()),
    };

    // Install the handlers before the capture exists: a SIGINT that arrives during setup
    // still ends the program through the normal path.
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }

    let mut capture = Capture::builder()
        .interface_name(&name)
        .families(families)
        .ring_size(ring_mib << 20)
        .low_latency(low_latency)
        .open()?;
    let shape = capture.ring_shape();
    eprintln!(
        "count: capturing on {} (index {}), {families:?}, ring {shape:?}, low_latency {low_latency}",
        capture.interface().name,
        capture.interface().index,
    );

    let mut packets = 0u64;
    let mut bytes = 0u64;
    let mut count = |batch: rcvall::Batch<'_>| {
        for packet in batch.packets() {
            packets += 1;
            bytes += packet.data.len() as u64;
        }
    };
    // Bounded by the signal: every wait ends after at most 100 ms to look at the flag.
    while !stop.load(Ordering::Relaxed) {
        if let Some(batch) = capture.next_batch(Some(Duration::from_millis(100)))? {
            count(batch);
        }
    }
    // Partly filled blocks reach user space when their retire timer fires (50 ms, or one
    // jiffy in low-latency mode): collect them. Bounded by the ring's block count.
    for _ in 0..shape.units() {
        match capture.next_batch(Some(Duration::from_millis(120)))? {
            Some(batch) => count(batch),
            None => break,
        }
    }
    let stats = capture.stats()?;
    eprintln!("count: {bytes} bytes of IP packets");
    eprintln!("{packets} packets captured");
    eprintln!("{} packets received by filter", stats.received);
    eprintln!("{} packets dropped by kernel", stats.dropped);
    Ok(())
}
