#![forbid(unsafe_code)]
//! Raw-IP packet views, a tcpdump-compatible one-line printer and a JSON-lines formatter.
//!
//! Every packet handed to this crate starts at its IPv4 or IPv6 header (LINKTYPE_RAW, what
//! `SIO_RCVALL`-style capture yields); there is no link layer. Nothing here does I/O or reads
//! a clock: bytes, lengths and timestamps are passed in, text comes out.
//!
//! * [`wire`]: fixed-header views (`new_checked` validates once, accessors cannot panic).
//! * [`parse`]: a lax [`Summary`] of a packet that keeps whatever a short capture still holds.
//! * [`TextPrinter`]: what `tcpdump -n` 4.99 prints, flag for flag (`-t`…`-ttttt`, precision,
//!   `-v`…`-vvv`, `-S`, `-q`, `-x`/`-X`/`-A`), keeping tcpdump's state between packets (the
//!   connection table behind relative TCP sequence numbers, the reference time of `-ttt`).
//!   `text/` has one module per protocol, as tcpdump has one `print-*.c` file per protocol.
//! * [`format_line`]: the stateless form (`tcpdump -n -S`, one packet).
//! * [`format_json`]: one JSON object per packet, with the decoded application fields.
//! * [`TimeZone`]: local time from TZif data or a POSIX `TZ` rule, without the C library.
//!
//! # Matching tcpdump
//!
//! `tests/tcpdump_diff.rs`, `tests/tcpdump_flags.rs` and `tests/tcpdump_protocols.rs` run the
//! real tcpdump on pcap files of built, cut and mutated packets and compare every line, per flag
//! and per protocol, in several time zones. The deliberate deviations (protocols tcpdump decodes
//! and this crate prints as an undecoded payload, and the few others) are listed in the
//! project's README under "Deliberate deviations"; the tests count them separately.
//!
//! Why no etherparse: its lax slicing is good, but the printer must reproduce tcpdump's exact
//! behaviour on short and odd packets (which field is printed before ` [|tcp]`, a `bad hdr
//! length`, a hop-by-hop header tcpdump rejects), so it has to walk the bytes the way tcpdump
//! does anyway; the summary then needs only a few fixed offsets. Zero dependencies also keeps
//! builds on two cores short.

mod addr;
mod json;
mod json_app;
mod summary;
mod text;
mod time;
mod tz;
pub mod wire;

#[cfg(test)]
mod tests;

pub use json::{format_json, write_json_str, Interface};
pub use summary::{
    parse, ExtHeaders, Family, IcmpSummary, Ipv4Frag, Ipv6Frag, Summary, TcpSummary, Transport,
    UdpSummary,
};
pub use text::{format_line, Dump, TextOptions, TextPrinter};
pub use time::{Precision, TimeFormat, TimeStyle};
pub use tz::{TimeZone, TzError};

/// Which way the packet went, relative to the capturing host (the type every layer shares).
pub use rcvall_types::Direction;

/// The word tcpdump prints for a direction on Linux cooked captures (`In`, `Out`).
pub fn tcpdump_direction_word(direction: Direction) -> &'static str {
    match direction {
        Direction::In => "In",
        Direction::Out => "Out",
    }
}

/// TCP flags spelled as tcpdump does (`S.`, `P.`, `FRPU`…; `none` for zero).
pub fn tcp_flags_string(flags: u8) -> String {
    if flags == 0 {
        return "none".to_owned();
    }
    const CHARS: [(u8, char); 8] = [
        (0x01, 'F'),
        (0x02, 'S'),
        (0x04, 'R'),
        (0x08, 'P'),
        (0x10, '.'),
        (0x20, 'U'),
        (0x40, 'E'),
        (0x80, 'W'),
    ];
    CHARS
        .iter()
        .filter(|(b, _)| flags & b != 0)
        .map(|&(_, c)| c)
        .collect()
}

/// Lower-case name of an IP protocol number, for the common ones.
pub fn protocol_name(p: u8) -> Option<&'static str> {
    Some(match p {
        0 => "hopopt",
        1 => "icmp",
        2 => "igmp",
        4 => "ipip",
        6 => "tcp",
        17 => "udp",
        41 => "ipv6",
        43 => "ipv6-route",
        44 => "ipv6-frag",
        47 => "gre",
        50 => "esp",
        51 => "ah",
        58 => "icmpv6",
        59 => "ipv6-nonxt",
        60 => "ipv6-opts",
        89 => "ospf",
        103 => "pim",
        112 => "vrrp",
        132 => "sctp",
        136 => "udplite",
        _ => return None,
    })
}
