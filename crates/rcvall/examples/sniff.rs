//! Prints every IP datagram of the interface holding a local address, like a Windows program
//! using SIO_RCVALL. Usage: `sniff <local-address> [on|iplevel] [count]` (as root).

use rcvall::{Family, RcvAll, Socket};
use std::net::{IpAddr, SocketAddr};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: sniff <local-address> [on|iplevel] [count]";
    let addr: IpAddr = args.next().ok_or(usage)?.parse()?;
    let mode = match args.next().as_deref() {
        None | Some("on") => RcvAll::On,
        Some("iplevel") => RcvAll::IpLevel,
        Some(other) => return Err(format!("unknown mode {other}; {usage}").into()),
    };
    let count: u64 = args
        .next()
        .map(|c| c.parse())
        .transpose()?
        .unwrap_or(u64::MAX);

    let socket = Socket::new(Family::of(&addr))?;
    socket.bind(SocketAddr::new(addr, 0))?;
    socket.set_rcvall(mode)?;
    let iface = socket.interface().expect("bound to an interface");
    eprintln!(
        "capturing on {} (index {}) in {mode:?}",
        iface.name, iface.index
    );

    let mut buf = vec![0u8; 65535];
    for _ in 0..count {
        let (len, info) = socket.recv_with_info(&mut buf)?;
        let (src, dst, proto) = addresses(&buf[..len]);
        println!(
            "{}.{:09} {:<9} {src} > {dst} proto {proto} length {}",
            info.timestamp_ns / 1_000_000_000,
            info.timestamp_ns % 1_000_000_000,
            format!("{:?}", info.packet_type),
            info.original_len
        );
    }
    Ok(())
}

/// Source, destination and protocol of an IPv4 or IPv6 header.
fn addresses(packet: &[u8]) -> (IpAddr, IpAddr, u8) {
    match packet.first().map(|b| b >> 4) {
        Some(4) if packet.len() >= 20 => {
            let src: [u8; 4] = packet[12..16].try_into().unwrap();
            let dst: [u8; 4] = packet[16..20].try_into().unwrap();
            (src.into(), dst.into(), packet[9])
        }
        Some(6) if packet.len() >= 40 => {
            let src: [u8; 16] = packet[8..24].try_into().unwrap();
            let dst: [u8; 16] = packet[24..40].try_into().unwrap();
            (src.into(), dst.into(), packet[6])
        }
        _ => ([0u8; 4].into(), [0u8; 4].into(), 0),
    }
}
