//! A sniffer on tokio: every IPv4 (or IPv6) datagram of the interface holding ADDRESS, until
//! ctrl-c. The Windows program's shape — socket, bind, SIO_RCVALL, receive — awaited.
//!
//! Usage (as root): `async_sniff <local-address> [on|iplevel]`

use rcvall::{AsyncSocket, Family, RcvAll};
use std::net::{IpAddr, SocketAddr};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usage = "usage: async_sniff <local-address> [on|iplevel]";
    let mut args = std::env::args().skip(1);
    let addr: IpAddr = args.next().ok_or(usage)?.parse()?;
    let mode = match args.next().as_deref() {
        None | Some("on") => RcvAll::On,
        Some("iplevel") => RcvAll::IpLevel,
        Some(other) => return Err(format!("unknown mode {other}; {usage}").into()),
    };
    let socket = AsyncSocket::new(Family::of(&addr))?;
    socket.bind(SocketAddr::new(addr, 0))?;
    socket.ioctl(rcvall::SIO_RCVALL, &mode.value().to_le_bytes())?;
    eprintln!(
        "async_sniff: {mode:?} on {}",
        socket.interface().map(|i| i.name).unwrap_or_default()
    );
    let mut buf = vec![0u8; 65535];
    let mut seen = 0u64;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            got = socket.recv_with_info(&mut buf) => {
                let (len, info) = got?;
                seen += 1;
                println!("{:>20} {:?} {len} bytes, first bytes {:02x?}", info.timestamp_ns, info.packet_type, &buf[..len.min(8)]);
            }
        }
    }
    // Closing releases promiscuity; a recv cut short by the select is cancel-safe.
    socket.set_rcvall(RcvAll::Off)?;
    eprintln!("async_sniff: {seen} datagrams");
    Ok(())
}
