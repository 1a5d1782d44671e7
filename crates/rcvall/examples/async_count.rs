//! Benchmark capturer on tokio: counts the IP packets of one interface through
//! `rcvall::AsyncCapture`, batch by batch, until SIGINT or SIGTERM; then prints the same
//! tcpdump-style counters as `count` on stderr, so `capbench.sh` runs it the same way.
//!
//! Usage (as root): `async_count <interface> [v4|v6|both] [ring-MiB] [batch|low]`
//! (defaults: both, 32 MiB, batch = 50 ms block retire timeout; low = low_latency(true)).
//! One current-thread runtime: the capture and the signal handling share one thread.

#[path = "shared/count_args.rs"]
mod count_args;

use count_args::CountArgs;
use rcvall::{AsyncCapture, Capture, Families};
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let CountArgs {
        interface: name,
        families,
        ring_mib,
        low_latency,
    } = CountArgs::from_env("async_count")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(name, families, ring_mib, low_latency))
}

async fn run(
    name: String,
    families: Families,
    ring_mib: u64,
    low_latency: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    // Handlers before the capture exists: a signal during setup still ends the normal way.
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let capture = Capture::builder()
        .interface_name(&name)
        .families(families)
        .ring_size(ring_mib << 20)
        .low_latency(low_latency)
        .open()?;
    let shape = capture.ring_shape();
    let mut capture = AsyncCapture::new(capture)?;
    eprintln!(
        "async_count: capturing on {} (index {}), {families:?}, ring {shape:?}, low_latency {low_latency}",
        capture.interface().name,
        capture.interface().index,
    );

    let mut packets = 0u64;
    let mut bytes = 0u64;
    loop {
        tokio::select! {
            _ = interrupt.recv() => break,
            _ = terminate.recv() => break,
            batch = capture.next_batch() => {
                for packet in batch?.packets() {
                    packets += 1;
                    bytes += packet.data.len() as u64;
                }
            }
        }
    }
    // Partly filled blocks reach user space when their retire timer fires (50 ms): collect
    // them, as `count` does. Bounded by the ring's unit count and a timeout per unit.
    for _ in 0..shape.units() {
        match tokio::time::timeout(Duration::from_millis(120), capture.next_batch()).await {
            Ok(batch) => {
                for packet in batch?.packets() {
                    packets += 1;
                    bytes += packet.data.len() as u64;
                }
            }
            Err(_elapsed) => break,
        }
    }
    let stats = capture.stats()?;
    eprintln!("async_count: {bytes} bytes of IP packets");
    eprintln!("{packets} packets captured");
    eprintln!("{} packets received by filter", stats.received);
    eprintln!("{} packets dropped by kernel", stats.dropped);
    Ok(())
}
