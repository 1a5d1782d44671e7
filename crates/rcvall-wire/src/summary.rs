//! A lax, truncation-aware summary of one raw IP packet.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::wire::{IcmpHeader, Ipv4Header, Ipv6Header, TcpHeader, UdpHeader};

/// IP version of the packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Ipv4,
    Ipv6,
}

/// IPv4 identification and fragmentation fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Frag {
    pub ident: u16,
    pub dont_frag: bool,
    pub more_frags: bool,
    /// Offset in bytes.
    pub offset: u16,
}

/// The IPv6 Fragment header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6Frag {
    pub ident: u32,
    pub more_frags: bool,
    /// Offset in bytes.
    pub offset: u16,
}

/// IPv6 extension headers seen while walking to the transport header (a set of bits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExtHeaders(pub u8);

impl ExtHeaders {
    pub const HOP_BY_HOP: u8 = 1;
    pub const ROUTING: u8 = 2;
    pub const FRAGMENT: u8 = 4;
    pub const DEST_OPTS: u8 = 8;
    pub const AUTH: u8 = 16;

    pub fn contains(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
}

/// TCP fields; those after the ports are `None` when the capture ends first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpSummary {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: Option<u32>,
    pub ack: Option<u32>,
    /// The eight classic flag bits, see [`tcp_flags_string`](crate::tcp_flags_string).
    pub flags: Option<u8>,
    pub window: Option<u16>,
    pub header_len: Option<usize>,
    /// Segment payload per the IP length fields (not the captured bytes).
    pub payload_len: Option<u32>,
}

/// UDP fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UdpSummary {
    pub src_port: u16,
    pub dst_port: u16,
    /// The UDP length field (header included), if captured.
    pub length: Option<u16>,
}

/// ICMP or ICMPv6 fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpSummary {
    pub msg_type: u8,
    pub code: Option<u8>,
    /// `(identifier, sequence)` of an echo request or reply.
    pub echo: Option<(u16, u16)>,
}

/// What was found after the IP header(s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// Nothing decodable: unknown protocol, non-first fragment, or no bytes captured.
    None,
    Tcp(TcpSummary),
    Udp(UdpSummary),
    Icmp(IcmpSummary),
    Icmpv6(IcmpSummary),
}

/// Everything [`parse`] could learn from a packet. Fields are `None` when the bytes holding them
/// were not captured or the packet is not IPv4/IPv6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    pub family: Option<Family>,
    pub src: Option<IpAddr>,
    pub dst: Option<IpAddr>,
    /// IPv4 total length, or 40 + the IPv6 payload length.
    pub ip_total_len: Option<u32>,
    /// Bytes of IP header including any IPv6 extension headers walked.
    pub ip_header_len: Option<usize>,
    /// TTL or hop limit.
    pub ttl: Option<u8>,
    pub ipv4: Option<Ipv4Frag>,
    pub ipv6_frag: Option<Ipv6Frag>,
    pub ext_headers: ExtHeaders,
    /// The transport protocol number after the extension headers (the fragment's protocol for
    /// a non-first fragment).
    pub protocol: Option<u8>,
    /// IP payload length after all headers, from the length fields.
    pub payload_len: Option<u32>,
    pub transport: Transport,
    /// Bytes captured.
    pub captured_len: usize,
    /// The capture ends before the IP length says the packet does.
    pub truncated: bool,
}

/// Parses what is there; never panics, whatever `ip` holds.
pub fn parse(ip: &[u8]) -> Summary {
    let mut s = Summary {
        family: None,
        src: None,
        dst: None,
        ip_total_len: None,
        ip_header_len: None,
        ttl: None,
        ipv4: None,
        ipv6_frag: None,
        ext_headers: ExtHeaders::default(),
        protocol: None,
        payload_len: None,
        transport: Transport::None,
        captured_len: ip.len(),
        truncated: false,
    };
    match ip.first().map(|b| b >> 4) {
        Some(4) => parse_v4(ip, &mut s),
        Some(6) => parse_v6(ip, &mut s),
        _ => {}
    }
    s
}

fn parse_v4(ip: &[u8], s: &mut Summary) {
    s.family = Some(Family::Ipv4);
    let Ok(h) = Ipv4Header::new_checked(ip) else {
        s.truncated = true;
        return;
    };
    s.src = Some(IpAddr::V4(Ipv4Addr::from(h.src())));
    s.dst = Some(IpAddr::V4(Ipv4Addr::from(h.dst())));
    s.ttl = Some(h.ttl());
    s.protocol = Some(h.protocol());
    let total = usize::from(h.total_len());
    s.ip_total_len = Some(total as u32);
    s.truncated = ip.len() < total;
    let hlen = h.header_len();
    s.ipv4 = Some(Ipv4Frag {
        ident: h.ident(),
        dont_frag: h.dont_frag(),
        more_frags: h.more_frags(),
        offset: h.frag_offset(),
    });
    if hlen < 20 {
        return;
    }
    s.ip_header_len = Some(hlen);
    s.payload_len = Some(total.saturating_sub(hlen) as u32);
    if h.frag_offset() != 0 || ip.len() < hlen {
        return;
    }
    // Bytes beyond the total length are link padding, not payload.
    let end = ip.len().min(total.max(hlen));
    transport(&ip[hlen..end], h.protocol(), s);
}

fn parse_v6(ip: &[u8], s: &mut Summary) {
    s.family = Some(Family::Ipv6);
    let Ok(h) = Ipv6Header::new_checked(ip) else {
        s.truncated = true;
        return;
    };
    s.src = Some(IpAddr::V6(Ipv6Addr::from(h.src())));
    s.dst = Some(IpAddr::V6(Ipv6Addr::from(h.dst())));
    s.ttl = Some(h.hop_limit());
    let total = 40 + usize::from(h.payload_len());
    s.ip_total_len = Some(total as u32);
    s.truncated = ip.len() < total;
    let end = ip.len().min(total);
    let mut off = 40usize;
    let mut nh = h.next_header();
    // Walk the extension headers; a header that is not fully captured stops the walk with the
    // protocol left as that header's number.
    loop {
        let (bit, len) = match nh {
            0 | 43 | 60 => {
                let Some(&l) = ip.get(off + 1) else { break };
                let bit = match nh {
                    0 => ExtHeaders::HOP_BY_HOP,
                    43 => ExtHeaders::ROUTING,
                    _ => ExtHeaders::DEST_OPTS,
                };
                (bit, (usize::from(l) + 1) * 8)
            }
            44 => {
                let Some(b) = ip.get(off..off + 8) else { break };
                let offlg = u16::from_be_bytes([b[2], b[3]]);
                s.ipv6_frag = Some(Ipv6Frag {
                    ident: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
                    more_frags: offlg & 1 != 0,
                    offset: offlg & 0xfff8,
                });
                (ExtHeaders::FRAGMENT, 8)
            }
            51 => {
                let Some(&l) = ip.get(off + 1) else { break };
                (ExtHeaders::AUTH, (usize::from(l) + 2) * 4)
            }
            _ => break,
        };
        let Some(&next) = ip.get(off) else { break };
        if off + len > end {
            break;
        }
        s.ext_headers.0 |= bit;
        nh = next;
        off += len;
        if bit == ExtHeaders::FRAGMENT && s.ipv6_frag.is_some_and(|f| f.offset != 0) {
            s.protocol = Some(nh);
            s.ip_header_len = Some(off);
            s.payload_len = Some(total.saturating_sub(off) as u32);
            return;
        }
    }
    s.protocol = Some(nh);
    s.ip_header_len = Some(off);
    s.payload_len = Some(total.saturating_sub(off) as u32);
    if off <= end {
        transport(&ip[off..end], nh, s);
    }
}

fn transport(b: &[u8], proto: u8, s: &mut Summary) {
    let ports = |b: &[u8]| {
        b.get(0..4).map(|p| {
            (
                u16::from_be_bytes([p[0], p[1]]),
                u16::from_be_bytes([p[2], p[3]]),
            )
        })
    };
    s.transport = match proto {
        6 => {
            let Some((src_port, dst_port)) = ports(b) else {
                return;
            };
            let mut t = TcpSummary {
                src_port,
                dst_port,
                seq: None,
                ack: None,
                flags: None,
                window: None,
                header_len: None,
                payload_len: None,
            };
            if let Ok(h) = TcpHeader::new_checked(b) {
                t.seq = Some(h.seq());
                t.ack = Some(h.ack());
                t.flags = Some(h.flags());
                t.window = Some(h.window());
                t.header_len = Some(h.header_len());
                t.payload_len = s
                    .payload_len
                    .map(|p| p.saturating_sub(h.header_len() as u32));
            }
            Transport::Tcp(t)
        }
        17 => {
            let Some((src_port, dst_port)) = ports(b) else {
                return;
            };
            Transport::Udp(UdpSummary {
                src_port,
                dst_port,
                length: UdpHeader::new_checked(b).ok().map(|h| h.length()),
            })
        }
        1 | 58 => {
            let Some(&msg_type) = b.first() else { return };
            let code = b.get(1).copied();
            let echo_types: [u8; 2] = if proto == 1 { [0, 8] } else { [128, 129] };
            let echo = IcmpHeader::new_checked(b)
                .ok()
                .filter(|h| echo_types.contains(&h.msg_type()))
                .map(|h| (h.echo_ident(), h.echo_seq()));
            let i = IcmpSummary {
                msg_type,
                code,
                echo,
            };
            if proto == 1 {
                Transport::Icmp(i)
            } else {
                Transport::Icmpv6(i)
            }
        }
        _ => Transport::None,
    };
}
