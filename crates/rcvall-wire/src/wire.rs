//! Zero-copy views over raw IP headers, in the smoltcp `wire` style: `new_checked` validates the
//! length of the fixed header once, after which no accessor can panic.

use core::ops::Range;

/// The buffer is shorter than the fixed header the view needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Truncated;

impl core::fmt::Display for Truncated {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("buffer shorter than the fixed header")
    }
}

impl std::error::Error for Truncated {}

fn be16(b: &[u8], r: Range<usize>) -> u16 {
    u16::from_be_bytes([b[r.start], b[r.start + 1]])
}

fn be32(b: &[u8], r: Range<usize>) -> u32 {
    u32::from_be_bytes([b[r.start], b[r.start + 1], b[r.start + 2], b[r.start + 3]])
}

fn arr4(b: &[u8], r: Range<usize>) -> [u8; 4] {
    [b[r.start], b[r.start + 1], b[r.start + 2], b[r.start + 3]]
}

fn arr16(b: &[u8], r: Range<usize>) -> [u8; 16] {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[r]);
    a
}

macro_rules! view {
    ($(#[$m:meta])* $name:ident, $len:expr) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug)]
        pub struct $name<'a> {
            buf: &'a [u8],
        }

        impl<'a> $name<'a> {
            /// Length of the fixed header this view reads.
            pub const HEADER_LEN: usize = $len;

            /// Wraps `buf` after checking it holds the fixed header.
            pub fn new_checked(buf: &'a [u8]) -> Result<Self, Truncated> {
                if buf.len() < Self::HEADER_LEN {
                    Err(Truncated)
                } else {
                    Ok(Self { buf })
                }
            }

            /// The whole underlying buffer (header and whatever follows).
            pub fn as_bytes(&self) -> &'a [u8] {
                self.buf
            }
        }
    };
}

/// IPv4 header field offsets (RFC 791).
pub mod ipv4_field {
    use core::ops::Range;
    pub const VER_IHL: usize = 0;
    pub const TOTAL_LEN: Range<usize> = 2..4;
    pub const IDENT: Range<usize> = 4..6;
    pub const FLG_OFF: Range<usize> = 6..8;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const SRC: Range<usize> = 12..16;
    pub const DST: Range<usize> = 16..20;
}

view!(
    /// An IPv4 header.
    Ipv4Header, 20
);

impl Ipv4Header<'_> {
    pub fn version(&self) -> u8 {
        self.buf[ipv4_field::VER_IHL] >> 4
    }
    /// Header length in bytes (IHL × 4); may be below 20 in a malformed packet.
    pub fn header_len(&self) -> usize {
        usize::from(self.buf[ipv4_field::VER_IHL] & 0x0f) * 4
    }
    pub fn total_len(&self) -> u16 {
        be16(self.buf, ipv4_field::TOTAL_LEN)
    }
    pub fn ident(&self) -> u16 {
        be16(self.buf, ipv4_field::IDENT)
    }
    pub fn dont_frag(&self) -> bool {
        be16(self.buf, ipv4_field::FLG_OFF) & 0x4000 != 0
    }
    pub fn more_frags(&self) -> bool {
        be16(self.buf, ipv4_field::FLG_OFF) & 0x2000 != 0
    }
    /// Fragment offset in bytes.
    pub fn frag_offset(&self) -> u16 {
        (be16(self.buf, ipv4_field::FLG_OFF) & 0x1fff) * 8
    }
    pub fn ttl(&self) -> u8 {
        self.buf[ipv4_field::TTL]
    }
    pub fn protocol(&self) -> u8 {
        self.buf[ipv4_field::PROTOCOL]
    }
    pub fn src(&self) -> [u8; 4] {
        arr4(self.buf, ipv4_field::SRC)
    }
    pub fn dst(&self) -> [u8; 4] {
        arr4(self.buf, ipv4_field::DST)
    }
}

/// IPv6 header field offsets (RFC 8200).
pub mod ipv6_field {
    use core::ops::Range;
    pub const PAYLOAD_LEN: Range<usize> = 4..6;
    pub const NEXT_HEADER: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SRC: Range<usize> = 8..24;
    pub const DST: Range<usize> = 24..40;
}

view!(
    /// An IPv6 fixed header.
    Ipv6Header, 40
);

impl Ipv6Header<'_> {
    pub fn version(&self) -> u8 {
        self.buf[0] >> 4
    }
    pub fn payload_len(&self) -> u16 {
        be16(self.buf, ipv6_field::PAYLOAD_LEN)
    }
    pub fn next_header(&self) -> u8 {
        self.buf[ipv6_field::NEXT_HEADER]
    }
    pub fn hop_limit(&self) -> u8 {
        self.buf[ipv6_field::HOP_LIMIT]
    }
    pub fn src(&self) -> [u8; 16] {
        arr16(self.buf, ipv6_field::SRC)
    }
    pub fn dst(&self) -> [u8; 16] {
        arr16(self.buf, ipv6_field::DST)
    }
}

/// TCP header field offsets (RFC 9293).
pub mod tcp_field {
    use core::ops::Range;
    pub const SRC_PORT: Range<usize> = 0..2;
    pub const DST_PORT: Range<usize> = 2..4;
    pub const SEQ: Range<usize> = 4..8;
    pub const ACK: Range<usize> = 8..12;
    pub const DATA_OFF: usize = 12;
    pub const FLAGS: usize = 13;
    pub const WINDOW: Range<usize> = 14..16;
    pub const URGENT: Range<usize> = 18..20;
}

view!(
    /// A TCP header (options not interpreted).
    TcpHeader, 20
);

impl TcpHeader<'_> {
    pub fn src_port(&self) -> u16 {
        be16(self.buf, tcp_field::SRC_PORT)
    }
    pub fn dst_port(&self) -> u16 {
        be16(self.buf, tcp_field::DST_PORT)
    }
    pub fn seq(&self) -> u32 {
        be32(self.buf, tcp_field::SEQ)
    }
    pub fn ack(&self) -> u32 {
        be32(self.buf, tcp_field::ACK)
    }
    /// Header length in bytes (data offset × 4).
    pub fn header_len(&self) -> usize {
        usize::from(self.buf[tcp_field::DATA_OFF] >> 4) * 4
    }
    /// The eight classic flag bits (CWR … FIN).
    pub fn flags(&self) -> u8 {
        self.buf[tcp_field::FLAGS]
    }
    pub fn window(&self) -> u16 {
        be16(self.buf, tcp_field::WINDOW)
    }
    pub fn urgent(&self) -> u16 {
        be16(self.buf, tcp_field::URGENT)
    }
}

/// UDP header field offsets (RFC 768).
pub mod udp_field {
    use core::ops::Range;
    pub const SRC_PORT: Range<usize> = 0..2;
    pub const DST_PORT: Range<usize> = 2..4;
    pub const LENGTH: Range<usize> = 4..6;
}

view!(
    /// A UDP header.
    UdpHeader, 8
);

impl UdpHeader<'_> {
    pub fn src_port(&self) -> u16 {
        be16(self.buf, udp_field::SRC_PORT)
    }
    pub fn dst_port(&self) -> u16 {
        be16(self.buf, udp_field::DST_PORT)
    }
    pub fn length(&self) -> u16 {
        be16(self.buf, udp_field::LENGTH)
    }
}

/// ICMP / ICMPv6 header field offsets (RFC 792, RFC 4443).
pub mod icmp_field {
    use core::ops::Range;
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const ECHO_IDENT: Range<usize> = 4..6;
    pub const ECHO_SEQ: Range<usize> = 6..8;
}

view!(
    /// The common 8-byte ICMP / ICMPv6 header.
    IcmpHeader, 8
);

impl IcmpHeader<'_> {
    pub fn msg_type(&self) -> u8 {
        self.buf[icmp_field::TYPE]
    }
    pub fn code(&self) -> u8 {
        self.buf[icmp_field::CODE]
    }
    pub fn echo_ident(&self) -> u16 {
        be16(self.buf, icmp_field::ECHO_IDENT)
    }
    pub fn echo_seq(&self) -> u16 {
        be16(self.buf, icmp_field::ECHO_SEQ)
    }
}
