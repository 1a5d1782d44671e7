//! Bounded traffic generators and receivers. Every socket is created inside the given
//! namespace (via [`Netns::run`]); every loop is bounded in count and in time.

use std::io::{self, Read, Write};
use std::net::{
    IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::netns::Netns;

pub use crate::frame::{arp_probe, arp_resolve, delete_link, send_ethernet, send_frame};

/// Upper bound on any single blocking socket call in this module.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// How often a send that failed with a transient error (ENOBUFS, EAGAIN) is retried before
/// the helper gives up.
const SEND_RETRIES: u32 = 100;

fn unspecified(like: &SocketAddr) -> SocketAddr {
    match like {
        SocketAddr::V4(_) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        SocketAddr::V6(_) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
    }
}

/// Whether a failed send is worth retrying (the device queue was momentarily full).
fn transient(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
        || e.raw_os_error() == Some(rustix::io::Errno::NOBUFS.raw_os_error())
}

/// Sends `payload` to `dst` `count` times, retrying transient errors a bounded number of times.
fn send_n(sock: &UdpSocket, dst: SocketAddr, payload: &[u8], count: usize) -> io::Result<()> {
    for i in 0..count {
        let mut tries = 0;
        loop {
            match sock.send_to(payload, dst) {
                Ok(_) => break,
                Err(e) if transient(&e) && tries < SEND_RETRIES => {
                    tries += 1;
                    thread::sleep(Duration::from_millis(1));
                }
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("send UDP #{i} of {count} to {dst}: {e}"),
                    ))
                }
            }
        }
    }
    Ok(())
}

/// Sends `count` UDP datagrams carrying `payload` to `dst` from an ephemeral port of a
/// socket created in `ns`; returns once all have been handed to the kernel.
pub fn send_udp(ns: &Netns, dst: SocketAddr, payload: &[u8], count: usize) -> io::Result<()> {
    send_udp_from(ns, unspecified(&dst), dst, payload, count)
}

/// Like [`send_udp`], from a socket bound to `src` (address and port; port 0 = ephemeral).
pub fn send_udp_from(
    ns: &Netns,
    src: SocketAddr,
    dst: SocketAddr,
    payload: &[u8],
    count: usize,
) -> io::Result<()> {
    ns.run(|| {
        let sock = UdpSocket::bind(src)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: bind UDP {src}: {e}", ns.name())))?;
        sock.set_write_timeout(Some(IO_TIMEOUT))?;
        send_n(&sock, dst, payload, count)
    })
}

/// A UDP socket bound inside a namespace so that datagrams to its port are consumed instead
/// of answered with ICMP port unreachable. Closed on drop.
#[derive(Debug)]
pub struct UdpSink {
    sock: UdpSocket,
}

impl UdpSink {
    /// The bound address (with the actual port if 0 was requested).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock.local_addr()
    }

    /// The socket itself, e.g. to `recv_from` with your own timeout.
    pub fn socket(&self) -> &UdpSocket {
        &self.sock
    }

    /// Receives one datagram, waiting at most `timeout`; `Ok(None)` if none came.
    pub fn recv_timeout(&self, timeout: Duration) -> io::Result<Option<(Vec<u8>, SocketAddr)>> {
        self.sock
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))?;
        let mut buf = vec![0u8; 65536];
        match self.sock.recv_from(&mut buf) {
            Ok((n, from)) => {
                buf.truncate(n);
                Ok(Some((buf, from)))
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Receives until `max` datagrams arrived or `timeout` passed since the call; returns how
    /// many arrived.
    pub fn count(&self, max: usize, timeout: Duration) -> io::Result<usize> {
        let deadline = Instant::now() + timeout;
        let mut n = 0;
        while n < max {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            match self.recv_timeout(left)? {
                Some(_) => n += 1,
                None => break,
            }
        }
        Ok(n)
    }
}

/// Binds a UDP socket to `bind` inside `ns` (see [`UdpSink`]).
pub fn udp_sink(ns: &Netns, bind: SocketAddr) -> io::Result<UdpSink> {
    let sock = ns.run(|| UdpSocket::bind(bind)).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("{}: bind UDP sink {bind}: {e}", ns.name()),
        )
    })?;
    Ok(UdpSink { sock })
}

/// One complete TCP connection: a listener on `server_addr` in `server` (port 0 = any), a
/// client in `client` connects, writes `bytes`, shuts down its side; the server reads
/// everything, checks it, and closes; the client waits for that close. So when this returns
/// the whole exchange including both FINs is done. Each step is limited to 5 s.
pub fn tcp_exchange(
    client: &Netns,
    server: &Netns,
    server_addr: SocketAddr,
    bytes: &[u8],
) -> io::Result<()> {
    let listener = server.run(|| TcpListener::bind(server_addr)).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("{}: listen on {server_addr}: {e}", server.name()),
        )
    })?;
    let addr = listener.local_addr()?;
    // Non-blocking accept polled against a deadline: a client that never connects must not
    // leave the server thread stuck.
    listener.set_nonblocking(true)?;
    thread::scope(|s| {
        let srv = s.spawn(move || -> io::Result<Vec<u8>> {
            let deadline = Instant::now() + IO_TIMEOUT;
            let mut stream = loop {
                match listener.accept() {
                    Ok((st, _)) => break st,
                    Err(e)
                        if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline =>
                    {
                        thread::sleep(Duration::from_millis(1));
                    }
                    Err(e) => {
                        return Err(io::Error::new(e.kind(), format!("accept on {addr}: {e}")))
                    }
                }
            };
            stream.set_nonblocking(false)?;
            stream.set_read_timeout(Some(IO_TIMEOUT))?;
            let mut got = Vec::new();
            stream
                .read_to_end(&mut got)
                .map_err(|e| io::Error::new(e.kind(), format!("server read on {addr}: {e}")))?;
            Ok(got)
            // `stream` dropped here: the server's FIN.
        });
        let client_res = client.run(|| -> io::Result<()> {
            let mut st = TcpStream::connect_timeout(&addr, IO_TIMEOUT).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("{}: connect to {addr}: {e}", client.name()),
                )
            })?;
            st.set_write_timeout(Some(IO_TIMEOUT))?;
            st.set_read_timeout(Some(IO_TIMEOUT))?;
            st.write_all(bytes)?;
            st.shutdown(Shutdown::Write)?;
            // Wait for the server's FIN so the exchange is complete on return.
            let mut rest = Vec::new();
            st.read_to_end(&mut rest)?;
            Ok(())
        });
        let got = srv
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))?;
        client_res?;
        if got != bytes {
            return Err(io::Error::other(format!(
                "tcp_exchange {addr}: server got {} bytes, client sent {}",
                got.len(),
                bytes.len()
            )));
        }
        Ok(())
    })
}

/// `ping -c count -i 0.05 -W 1` to `dst` (v4 or v6) inside `ns`; an error unless all
/// `count` replies came back. The whole run is limited to `count * 0.05 s + 3 s`.
pub fn ping(ns: &Netns, dst: IpAddr, count: u32) -> io::Result<()> {
    let fam = if dst.is_ipv4() { "-4" } else { "-6" };
    let (c, d) = (count.to_string(), dst.to_string());
    let limit = Duration::from_millis(50) * count + Duration::from_secs(3);
    let out = ns.exec_with(
        &[
            "ping", fam, "-n", "-q", "-c", &c, "-i", "0.05", "-W", "1", &d,
        ],
        None,
        limit,
    )?;
    // iputils exits 0 as long as *some* reply came; we want all of them.
    let text = String::from_utf8_lossy(&out.stdout);
    let received = text
        .split(',')
        .find_map(|p| p.trim().strip_suffix(" received"))
        .and_then(|n| n.trim().parse::<u32>().ok());
    if received != Some(count) {
        return Err(io::Error::other(format!(
            "{}: ping {d}: expected {count} replies: {}",
            ns.name(),
            text.trim()
        )));
    }
    Ok(())
}

/// A UDP flood running on a background thread; see [`flood_udp`].
#[derive(Debug)]
pub struct Flood {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<u64>>,
}

impl Flood {
    /// Stops the flood, waits for the thread and returns how many datagrams were sent.
    pub fn stop(mut self) -> u64 {
        self.halt()
    }

    fn halt(&mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.handle
            .take()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .unwrap_or(0)
    }

    /// Whether the flood has ended by itself (packet or time budget exhausted).
    pub fn is_finished(&self) -> bool {
        match &self.handle {
            Some(h) => h.is_finished(),
            None => true,
        }
    }
}

impl Drop for Flood {
    fn drop(&mut self) {
        self.halt();
    }
}

/// Floods `dst` with 64-byte UDP datagrams (first 8 bytes: big-endian sequence number from
/// 0, rest 0x5a) from an ephemeral port of a socket in `ns`, on a background thread, until
/// [`Flood::stop`]/drop, `max_packets` sent, or `max_time` elapsed, whichever comes first.
pub fn flood_udp(
    ns: &Netns,
    dst: SocketAddr,
    max_packets: u64,
    max_time: Duration,
) -> io::Result<Flood> {
    let sock = ns
        .run(|| UdpSocket::bind(unspecified(&dst)))
        .map_err(|e| io::Error::new(e.kind(), format!("{}: bind flood socket: {e}", ns.name())))?;
    sock.set_write_timeout(Some(Duration::from_millis(100)))?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let handle = thread::Builder::new()
        .name("testkit-flood".into())
        .spawn(move || {
            let deadline = Instant::now() + max_time;
            let mut payload = [0x5au8; 64];
            let mut sent = 0u64;
            let mut i = 0u64;
            // Attempts are bounded too (transient failures do not count as sent).
            while sent < max_packets
                && i < max_packets.saturating_mul(4)
                && !flag.load(Ordering::Relaxed)
            {
                // Checking the clock every packet costs little next to a sendto().
                if Instant::now() >= deadline {
                    break;
                }
                payload[..8].copy_from_slice(&sent.to_be_bytes());
                match sock.send_to(&payload, dst) {
                    Ok(_) => sent += 1,
                    Err(e) if transient(&e) => thread::yield_now(),
                    Err(_) => break,
                }
                i += 1;
            }
            sent
        })?;
    Ok(Flood {
        stop,
        handle: Some(handle),
    })
}
