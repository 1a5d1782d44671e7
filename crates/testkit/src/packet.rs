//! Exact IPv4/IPv6/UDP datagrams for tests, with valid checksums: the one builder the lab,
//! the file-format and the printer suites share.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// IP protocol numbers the builders use.
pub const IPPROTO_UDP: u8 = 17;

/// The Internet checksum (RFC 1071) over `chunks`, as if they were one buffer.
pub fn checksum(chunks: &[&[u8]]) -> u16 {
    let mut sum = 0u32;
    let mut odd: Option<u8> = None;
    for chunk in chunks {
        for &byte in *chunk {
            match odd.take() {
                None => odd = Some(byte),
                Some(high) => sum += u32::from(u16::from_be_bytes([high, byte])),
            }
        }
    }
    if let Some(high) = odd {
        sum += u32::from(u16::from_be_bytes([high, 0]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The fields of an IPv4 header a test may want to choose; the rest (version, lengths,
/// checksum) follow from them.
#[derive(Clone, Copy, Debug)]
pub struct Ipv4Fields<'a> {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub protocol: u8,
    pub id: u16,
    /// Flags (DF 0x4000, MF 0x2000) and the fragment offset in 8-byte units.
    pub flags_fragment: u16,
    pub ttl: u8,
    /// Options, a multiple of 4 bytes long.
    pub options: &'a [u8],
}

/// An IPv4 header of `fields`, with a valid checksum, followed by `payload`.
pub fn ipv4_with(fields: Ipv4Fields<'_>, payload: &[u8]) -> Vec<u8> {
    let header_len = 20 + fields.options.len();
    let total = (header_len + payload.len()) as u16;
    let mut ip = vec![0x40 | (header_len / 4) as u8, 0];
    ip.extend_from_slice(&total.to_be_bytes());
    ip.extend_from_slice(&fields.id.to_be_bytes());
    ip.extend_from_slice(&fields.flags_fragment.to_be_bytes());
    ip.extend_from_slice(&[fields.ttl, fields.protocol, 0, 0]);
    ip.extend_from_slice(&fields.src.octets());
    ip.extend_from_slice(&fields.dst.octets());
    ip.extend_from_slice(fields.options);
    let sum = checksum(&[&ip]);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    ip.extend_from_slice(payload);
    ip
}

/// An IPv4 header (20 bytes: id 0x1234, DF, TTL 64, valid checksum) followed by `payload`.
pub fn ipv4(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, payload: &[u8]) -> Vec<u8> {
    ipv4_with(
        Ipv4Fields {
            src,
            dst,
            protocol,
            id: 0x1234,
            flags_fragment: 0x4000,
            ttl: 64,
            options: &[],
        },
        payload,
    )
}

/// An IPv6 header (hop limit 64, no extension headers) followed by `payload`.
pub fn ipv6(src: Ipv6Addr, dst: Ipv6Addr, next_header: u8, payload: &[u8]) -> Vec<u8> {
    let mut ip = vec![0x60, 0, 0, 0];
    ip.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    ip.extend_from_slice(&[next_header, 64]);
    ip.extend_from_slice(&src.octets());
    ip.extend_from_slice(&dst.octets());
    ip.extend_from_slice(payload);
    ip
}

/// A UDP header and `payload`, checksummed over the pseudo-header of `src` → `dst`.
pub fn udp_segment(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Vec<u8> {
    let len = 8 + payload.len();
    let mut pseudo = Vec::new();
    match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            pseudo.extend_from_slice(&s.octets());
            pseudo.extend_from_slice(&d.octets());
            pseudo.extend_from_slice(&[0, IPPROTO_UDP]);
            pseudo.extend_from_slice(&(len as u16).to_be_bytes());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            pseudo.extend_from_slice(&s.octets());
            pseudo.extend_from_slice(&d.octets());
            pseudo.extend_from_slice(&(len as u32).to_be_bytes());
            pseudo.extend_from_slice(&[0, 0, 0, IPPROTO_UDP]);
        }
        _ => panic!("source and destination of one family expected"),
    }
    let mut udp = Vec::with_capacity(len);
    udp.extend_from_slice(&src.port().to_be_bytes());
    udp.extend_from_slice(&dst.port().to_be_bytes());
    udp.extend_from_slice(&(len as u16).to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(payload);
    let sum = match checksum(&[&pseudo, &udp]) {
        0 => 0xffff, // 0 means "no checksum" in UDP
        sum => sum,
    };
    udp[6..8].copy_from_slice(&sum.to_be_bytes());
    udp
}

/// A complete UDP datagram (IP header included) of the family of `src`; the kernel sends
/// it unchanged through an IPPROTO_RAW socket.
pub fn udp_datagram(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Vec<u8> {
    let segment = udp_segment(src, dst, payload);
    match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => ipv4(s, d, IPPROTO_UDP, &segment),
        (IpAddr::V6(s), IpAddr::V6(d)) => ipv6(s, d, IPPROTO_UDP, &segment),
        _ => panic!("source and destination of one family expected"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_verify_to_zero() {
        let src: SocketAddr = "198.18.1.1:40000".parse().unwrap();
        let dst: SocketAddr = "198.18.1.2:9".parse().unwrap();
        let d = udp_datagram(src, dst, b"odd-length");
        assert_eq!(checksum(&[&d[..20]]), 0, "IPv4 header checksum");
        assert_eq!(d.len(), 20 + 8 + 10);
        let src: SocketAddr = "[2001:db8::1]:1".parse().unwrap();
        let dst: SocketAddr = "[2001:db8::2]:9".parse().unwrap();
        let d = udp_datagram(src, dst, b"x");
        assert_eq!((d[0] >> 4, d[6], d.len()), (6, IPPROTO_UDP, 40 + 9));
    }
}
