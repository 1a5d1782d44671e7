//! JSON lines: one object per packet.
//!
//! Hand-written rather than serde_json: the object is flat, every value is a number, a bool or
//! a string this crate produces (addresses, names), and the only outside string — the interface
//! name — goes through [`write_json_str`], which escapes per RFC 8259. That keeps the crate
//! free of dependencies and the output byte-stable.

use core::fmt::{self, Write};

use crate::addr::AddrFmt;
use crate::summary::{parse, Family, Transport};
use crate::time::write_rfc3339;
use crate::{protocol_name, tcp_flags_string, Direction};

/// The capturing interface, as much as is known.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Interface<'a> {
    pub name: Option<&'a str>,
    pub index: Option<u32>,
}

/// Writes `s` as a JSON string literal (quotes included).
pub fn write_json_str(out: &mut impl Write, s: &str) -> fmt::Result {
    out.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => out.write_str("\\\"")?,
            '\\' => out.write_str("\\\\")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                write!(out, "\\u{:04x}", c as u32)?
            }
            c => out.write_char(c)?,
        }
    }
    out.write_char('"')
}

/// Writes one JSON object (no trailing newline) describing the packet.
///
/// Keys: `ts_ns`, `time` (RFC 3339, UTC, nanoseconds), `direction` (`"in"`/`"out"`, omitted when
/// unknown), `interface` (`{"name","index"}`, omitted when unknown), `family` (`"ipv4"`/`"ipv6"`,
/// null for other bytes), `src`, `dst`, `ttl`, `protocol` (`{"name","number"}`), `src_port`,
/// `dst_port`, `tcp_flags`, `icmp_type`, `icmp_code`, `echo_id`, `echo_seq`, `fragment`
/// (`{"offset","more"}` when fragmented), `app` (what the text printer decodes above the
/// transport: `{"name":"dns"|"mdns","id","response","opcode","rcode","questions_count",…,
/// "question":{"name","type","class"}}`, `http` (`line`, `method` or `status`), `ntp`
/// (`version`, `mode`, `leap`, `stratum`), `dhcp` (`op`, `xid`, `client_mac`, the addresses,
/// `message_type`), `dhcp6` (`message_type`, `xid`), `vxlan`/`geneve` (`vni`), `igmp` (`type`,
/// `group`), `gre` (`version`, `ethertype`, `key`), `sctp` (`chunks`, with `src_port`/`dst_port`)),
/// `len` (`{"captured","original","ip_payload"}`) and `truncated`. Keys whose value is unknown
/// are omitted, except `family` and `len`.
pub fn format_json(
    out: &mut impl Write,
    ts_ns: u64,
    direction: Option<Direction>,
    iface: Option<Interface<'_>>,
    ip: &[u8],
    original_len: u32,
) -> fmt::Result {
    let s = parse(ip);
    write!(out, "{{\"ts_ns\":{ts_ns},\"time\":\"")?;
    write_rfc3339(out, ts_ns)?;
    out.write_char('"')?;
    if let Some(d) = direction {
        write!(out, ",\"direction\":\"{}\"", d.as_str())?;
    }
    if let Some(i) = iface {
        out.write_str(",\"interface\":{")?;
        let mut sep = "";
        if let Some(n) = i.name {
            out.write_str("\"name\":")?;
            write_json_str(out, n)?;
            sep = ",";
        }
        if let Some(x) = i.index {
            write!(out, "{sep}\"index\":{x}")?;
        }
        out.write_char('}')?;
    }
    match s.family {
        Some(Family::Ipv4) => out.write_str(",\"family\":\"ipv4\"")?,
        Some(Family::Ipv6) => out.write_str(",\"family\":\"ipv6\"")?,
        None => out.write_str(",\"family\":null")?,
    }
    for (key, a) in [("src", s.src), ("dst", s.dst)] {
        if let Some(a) = a {
            let b = match a {
                std::net::IpAddr::V4(v) => v.octets().to_vec(),
                std::net::IpAddr::V6(v) => v.octets().to_vec(),
            };
            write!(out, ",\"{key}\":\"{}\"", AddrFmt(&b))?;
        }
    }
    if let Some(t) = s.ttl {
        write!(out, ",\"ttl\":{t}")?;
    }
    if let Some(p) = s.protocol {
        out.write_str(",\"protocol\":{\"name\":")?;
        match protocol_name(p) {
            Some(n) => write!(out, "\"{n}\"")?,
            None => out.write_str("null")?,
        }
        write!(out, ",\"number\":{p}}}")?;
    }
    match s.transport {
        Transport::Tcp(t) => {
            write!(
                out,
                ",\"src_port\":{},\"dst_port\":{}",
                t.src_port, t.dst_port
            )?;
            if let Some(f) = t.flags {
                write!(out, ",\"tcp_flags\":\"{}\"", tcp_flags_string(f))?;
            }
            if let Some(x) = t.seq {
                write!(out, ",\"tcp_seq\":{x}")?;
            }
            if let Some(x) = t.ack {
                write!(out, ",\"tcp_ack\":{x}")?;
            }
            if let Some(x) = t.window {
                write!(out, ",\"tcp_win\":{x}")?;
            }
        }
        Transport::Udp(u) => {
            write!(
                out,
                ",\"src_port\":{},\"dst_port\":{}",
                u.src_port, u.dst_port
            )?;
        }
        Transport::Icmp(i) | Transport::Icmpv6(i) => {
            write!(out, ",\"icmp_type\":{}", i.msg_type)?;
            if let Some(c) = i.code {
                write!(out, ",\"icmp_code\":{c}")?;
            }
            if let Some((id, seq)) = i.echo {
                write!(out, ",\"echo_id\":{id},\"echo_seq\":{seq}")?;
            }
        }
        Transport::None => {}
    }
    crate::json_app::write_app(out, ip, &s)?;
    let frag = match (s.ipv4, s.ipv6_frag) {
        (Some(f), _) if f.more_frags || f.offset != 0 => Some((f.offset, f.more_frags)),
        (_, Some(f)) => Some((f.offset, f.more_frags)),
        _ => None,
    };
    if let Some((offset, more)) = frag {
        write!(out, ",\"fragment\":{{\"offset\":{offset},\"more\":{more}}}")?;
    }
    write!(
        out,
        ",\"len\":{{\"captured\":{},\"original\":{original_len}",
        ip.len()
    )?;
    if let Some(p) = s.payload_len {
        write!(out, ",\"ip_payload\":{p}")?;
    }
    write!(
        out,
        "}},\"truncated\":{}}}",
        s.truncated || (ip.len() as u64) < u64::from(original_len)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_and_quote_characters() {
        let mut s = String::new();
        write_json_str(&mut s, "a\"b\\c\n\u{1}é").unwrap();
        assert_eq!(s, "\"a\\\"b\\\\c\\n\\u0001é\"");
    }
}
