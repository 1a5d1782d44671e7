//! Completion routines, as a Windows program uses them: SIO_RCVALL posted overlapped, then
//! four receives kept in flight, each routine printing its datagram and posting the next
//! receive, the main thread sleeping alertably (SleepEx) until COUNT datagrams or SECONDS.
//!
//! Usage (as root): `overlapped <local-address> [count] [seconds]` (defaults: 10, 10).

use rcvall::{alertable_wait, Alert, Completion, Family, Overlapped, Socket};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

const IN_FLIGHT: usize = 4;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usage = "usage: overlapped <local-address> [count] [seconds]";
    let mut args = std::env::args().skip(1);
    let addr: IpAddr = args.next().ok_or(usage)?.parse()?;
    let count: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(10);
    let seconds: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(10);

    let socket = Arc::new(Socket::new(Family::of(&addr))?);
    socket.bind(SocketAddr::new(addr, 0))?;
    // WSAIoctl(SIO_RCVALL) with an OVERLAPPED and a routine: it completes at once (0), and
    // the routine runs in the first alertable wait below.
    let posted = socket.ioctl_overlapped(
        rcvall::SIO_RCVALL,
        &rcvall::RCVALL_ON.to_le_bytes(),
        &Overlapped::new(),
        Some(Box::new(|done: Completion| {
            println!(
                "SIO_RCVALL completed: {:?}",
                done.result.map(|_| "RCVALL_ON")
            )
        })),
    )?;
    println!("WSAIoctl returned {}", posted.code());

    let seen = Arc::new(AtomicU64::new(0));
    for _ in 0..IN_FLIGHT {
        post(Arc::downgrade(&socket), seen.clone())?;
    }
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while seen.load(Ordering::Relaxed) < count && Instant::now() < deadline {
        let left = deadline.saturating_duration_since(Instant::now());
        if let Alert::Completions(n) = alertable_wait(Some(left))? {
            println!("SleepEx: {n} routine(s) ran");
        }
    }
    // Closing completes the receives still in flight with WSA_OPERATION_ABORTED; their
    // routines run in one last alertable wait.
    socket.close();
    alertable_wait(Some(Duration::ZERO))?;
    println!("{} datagrams", seen.load(Ordering::Relaxed));
    Ok(())
}

/// WSARecv with an OVERLAPPED and a routine that prints the datagram and posts the next.
/// The routine holds the socket weakly: pending routines never keep a closed socket alive.
fn post(socket: Weak<Socket>, seen: Arc<AtomicU64>) -> rcvall::Result<()> {
    let Some(strong) = socket.upgrade() else {
        return Ok(());
    };
    let routine = move |done: Completion| match done.result {
        Ok(transfer) => {
            let n = seen.fetch_add(1, Ordering::Relaxed) + 1;
            let buffer = done.overlapped.take_buffer().unwrap_or_default();
            let info = transfer.info.expect("a receive has metadata");
            println!(
                "#{n}: {} bytes {:?} on ifindex {}, first bytes {:02x?}",
                transfer.bytes,
                info.packet_type,
                info.ifindex,
                &buffer[..transfer.bytes.min(8)]
            );
            if let Err(err) = post(socket, seen) {
                eprintln!("posting the next receive failed: {err}");
            }
        }
        Err(err) => println!("receive ended: {err}"),
    };
    strong
        .recv_overlapped(
            vec![0u8; 65535],
            &Overlapped::new(),
            Some(Box::new(routine)),
        )
        .map(drop)
}
