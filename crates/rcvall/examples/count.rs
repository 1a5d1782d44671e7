//! Benchmark capturer: counts the IP packets of one interface through `rcvall::Capture`, batch by
//! batch (walking every frame of each ring block), until SIGINT or SIGTERM; then prints
//! tcpdump-style counters on stderr, as bench/run.sh (capbench.sh) expects.
//!
//! Usage (as root): `count <interface> [v4|v6|both] [ring-MiB] [batch|low]`
//! (defaults: both, 32 MiB, batch = 50 ms block retire timeout; low = low_latency(true)).

#[path = "shared/count_args.rs"]
mod count_args;

use count_args::CountArgs;
use rcvall::Capture;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let CountArgs {
        interface: name,
        families,
        ring_mib,
        low_latency,
    } = CountArgs::from_env("count")?;

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
