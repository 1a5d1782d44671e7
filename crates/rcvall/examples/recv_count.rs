//! Benchmark capturer for the faithful API: a Windows-style loop over `Socket::recv` after
//! SIO_RCVALL ON, counting datagrams until SIGINT or SIGTERM, then tcpdump-style counters on
//! stderr as bench/run.sh (capbench.sh) expects.
//!
//! Usage (as root): `recv_count <local-address>` (e.g. 198.18.0.2 or 2001:db8:cb::2).
//!
//! The faithful `Socket` exposes no kernel statistics (Windows has none either), so
//! "received by filter" is the number of datagrams received and "dropped by kernel" is printed
//! as 0: the real loss is measured outside, as sent - captured.

use rcvall::{Family, RcvAll, Socket, WsaCode};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usage = "usage: recv_count <local-address>";
    let addr: IpAddr = std::env::args().nth(1).ok_or(usage)?.parse()?;

    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }

    let socket = Socket::new(Family::of(&addr))?;
    socket.bind(SocketAddr::new(addr, 0))?;
    socket.set_rcvall(RcvAll::On)?;
    socket.set_read_timeout(Some(Duration::from_millis(100)))?;
    let iface = socket.interface().expect("bound to an interface");
    eprintln!(
        "recv_count: SIO_RCVALL ON on {} (index {}) for {addr}",
        iface.name, iface.index
    );

    let mut buf = vec![0u8; 64 << 10];
    let mut packets = 0u64;
    let mut bytes = 0u64;
    let mut too_long = 0u64;
    // Bounded by the signal: a receive waits at most 100 ms before the flag is looked at.
    while !stop.load(Ordering::Relaxed) {
        match socket.recv(&mut buf) {
            Ok(len) => {
                packets += 1;
                bytes += len as u64;
            }
            Err(err) if err.kind() == WsaCode::TimedOut => {}
            Err(err) if err.kind() == WsaCode::MessageSize => {
                packets += 1;
                too_long += 1;
            }
            Err(err) => return Err(err.into()),
        }
    }
    socket.close();
    eprintln!("recv_count: {bytes} bytes, {too_long} datagrams longer than the buffer");
    eprintln!("{packets} packets captured");
    eprintln!("{packets} packets received by filter");
    eprintln!("0 packets dropped by kernel");
    Ok(())
}
