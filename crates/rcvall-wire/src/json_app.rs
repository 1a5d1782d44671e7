//! The `app` object of a JSON line: what the text printer decodes above the transport (DNS,
//! HTTP, NTP, DHCP, DHCPv6, VXLAN, Geneve, IGMP, GRE, SCTP), as fields. Bounds-checked slicing
//! only: a field that is not captured is left out, never guessed.

use core::fmt::{self, Write};

use crate::json::write_json_str;
use crate::summary::{Summary, Transport};

/// Reads a big-endian number of `N` bytes at `off`, if captured.
fn be<const N: usize>(b: &[u8], off: usize) -> Option<u64> {
    let s = b.get(off..off.checked_add(N)?)?;
    Some(s.iter().fold(0u64, |a, &x| a << 8 | u64::from(x)))
}

/// Writes `,"app":{…}` when the packet carries one of the decoded protocols.
pub(crate) fn write_app(out: &mut impl Write, ip: &[u8], s: &Summary) -> fmt::Result {
    let Some(hlen) = s.ip_header_len else {
        return Ok(());
    };
    let end = ip
        .len()
        .min(s.ip_total_len.map_or(ip.len(), |t| t as usize));
    let Some(l4) = ip.get(hlen..end.max(hlen)) else {
        return Ok(());
    };
    match (s.protocol, s.transport) {
        (_, Transport::Udp(u)) => {
            let data = l4.get(8..).unwrap_or(&[]);
            let either = |p: u16| u.src_port == p || u.dst_port == p;
            if either(53) || either(5353) {
                dns(out, data, either(5353))
            } else if either(67) || either(68) {
                dhcp(out, data)
            } else if either(123) {
                ntp(out, data)
            } else if either(546) || either(547) {
                dhcp6(out, data)
            } else if either(4789) {
                vni(out, "vxlan", data, None)
            } else if either(6081) {
                vni(out, "geneve", data, be::<2>(data, 2))
            } else {
                Ok(())
            }
        }
        (_, Transport::Tcp(t)) => {
            let Some(data) = t.header_len.and_then(|h| l4.get(h..)) else {
                return Ok(());
            };
            let either = |p: u16| t.src_port == p || t.dst_port == p;
            if either(80) || either(8080) {
                http(out, data)
            } else if either(53) && data.len() > 2 {
                dns(out, &data[2..], false)
            } else {
                Ok(())
            }
        }
        (Some(2), _) => igmp(out, l4),
        (Some(47), _) => gre(out, l4),
        (Some(132), _) => sctp(out, l4),
        _ => Ok(()),
    }
}

/// A DNS name at `off`, following compression pointers backwards only (as tcpdump does).
fn dns_name(msg: &[u8], mut off: usize) -> Option<String> {
    let mut name = String::new();
    let mut limit = off;
    loop {
        let len = usize::from(*msg.get(off)?);
        match len & 0xc0 {
            0xc0 => {
                let target = (len & 0x3f) << 8 | usize::from(*msg.get(off + 1)?);
                if target >= limit {
                    return None;
                }
                limit = target;
                off = target;
            }
            0 if len == 0 => break,
            0 => {
                let label = msg.get(off + 1..off + 1 + len)?;
                name.extend(label.iter().map(|&b| {
                    if b.is_ascii_graphic() {
                        char::from(b)
                    } else {
                        '?'
                    }
                }));
                name.push('.');
                off += 1 + len;
            }
            _ => return None,
        }
        if name.len() > 255 {
            return None;
        }
    }
    if name.is_empty() {
        name.push('.');
    }
    Some(name)
}

fn dns(out: &mut impl Write, m: &[u8], mdns: bool) -> fmt::Result {
    let (Some(id), Some(flags)) = (be::<2>(m, 0), be::<2>(m, 2)) else {
        return Ok(());
    };
    let name = if mdns { "mdns" } else { "dns" };
    write!(
        out,
        ",\"app\":{{\"name\":\"{name}\",\"id\":{id},\"response\":{},\"opcode\":{},\"rcode\":{}",
        flags & 0x8000 != 0,
        (flags >> 11) & 0xf,
        flags & 0xf
    )?;
    let counts = [4, 6, 8, 10].map(|o| be::<2>(m, o));
    for (key, c) in ["questions", "answers", "authority", "additional"]
        .iter()
        .zip(counts)
    {
        if let Some(c) = c {
            write!(out, ",\"{key}_count\":{c}")?;
        }
    }
    // The first question: the name, type and class tcpdump shows.
    if counts[0].is_some_and(|q| q > 0) {
        if let Some(qname) = dns_name(m, 12) {
            let mut off = 12;
            while let Some(&l) = m.get(off) {
                off += if l & 0xc0 == 0xc0 {
                    2
                } else {
                    1 + usize::from(l)
                };
                if l == 0 || l & 0xc0 == 0xc0 {
                    break;
                }
            }
            out.write_str(",\"question\":{\"name\":")?;
            write_json_str(out, &qname)?;
            if let (Some(ty), Some(class)) = (be::<2>(m, off), be::<2>(m, off + 2)) {
                write!(out, ",\"type\":{ty},\"class\":{}", class & 0x7fff)?;
            }
            out.write_char('}')?;
        }
    }
    out.write_char('}')
}

fn http(out: &mut impl Write, data: &[u8]) -> fmt::Result {
    let line_end = data
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(data.len());
    let line = &data[..line_end];
    if line.is_empty()
        || !line
            .iter()
            .all(|&b| (0x20..=0x7e).contains(&b) || b == b'\t')
    {
        return Ok(());
    }
    let text = String::from_utf8_lossy(line);
    let first = text.split([' ', '\t']).next().unwrap_or("");
    let second = text.split([' ', '\t']).nth(1).unwrap_or("");
    let is_response = first.starts_with("HTTP/") && second.len() == 3;
    let is_request =
        second.starts_with('/') || text.ends_with("HTTP/1.1") || text.ends_with("HTTP/1.0");
    if !is_response && !is_request {
        return Ok(());
    }
    out.write_str(",\"app\":{\"name\":\"http\",\"line\":")?;
    write_json_str(out, &text)?;
    if is_response {
        write!(out, ",\"status\":{second}")?;
    } else {
        out.write_str(",\"method\":")?;
        write_json_str(out, first)?;
    }
    out.write_char('}')
}

fn ntp(out: &mut impl Write, d: &[u8]) -> fmt::Result {
    let Some(&status) = d.first() else {
        return Ok(());
    };
    let mode = [
        "unspecified",
        "symmetric active",
        "symmetric passive",
        "client",
        "server",
        "broadcast",
        "control",
        "reserved",
    ][usize::from(status & 7)];
    write!(
        out,
        ",\"app\":{{\"name\":\"ntp\",\"version\":{},\"mode\":\"{mode}\",\"leap\":{}",
        (status >> 3) & 7,
        status >> 6
    )?;
    if let Some(&stratum) = d.get(1).filter(|_| status & 7 != 6) {
        write!(out, ",\"stratum\":{stratum}")?;
    }
    out.write_char('}')
}

fn dhcp(out: &mut impl Write, d: &[u8]) -> fmt::Result {
    let Some(&op) = d.first() else {
        return Ok(());
    };
    let op = match op {
        1 => "request",
        2 => "reply",
        _ => "unknown",
    };
    write!(out, ",\"app\":{{\"name\":\"dhcp\",\"op\":\"{op}\"")?;
    if let Some(xid) = be::<4>(d, 4) {
        write!(out, ",\"xid\":{xid}")?;
    }
    if d.get(1..3) == Some(&[1, 6]) {
        if let Some(mac) = d.get(28..34) {
            let mac: Vec<String> = mac.iter().map(|b| format!("{b:02x}")).collect();
            write!(out, ",\"client_mac\":\"{}\"", mac.join(":"))?;
        }
    }
    for (key, off) in [
        ("client_ip", 12),
        ("your_ip", 16),
        ("server_ip", 20),
        ("gateway_ip", 24),
    ] {
        if let Some(a) = d.get(off..off + 4).filter(|a| a.iter().any(|&b| b != 0)) {
            write!(out, ",\"{key}\":\"{}.{}.{}.{}\"", a[0], a[1], a[2], a[3])?;
        }
    }
    // Option 53, the DHCP message type, after the RFC 1048 magic cookie.
    if d.get(236..240) == Some(&[99, 130, 83, 99]) {
        let mut off = 240;
        while let Some(&tag) = d.get(off) {
            match tag {
                0 => off += 1,
                255 => break,
                _ => {
                    let Some(&len) = d.get(off + 1) else { break };
                    if tag == 53 && len == 1 {
                        if let Some(&t) = d.get(off + 2) {
                            write!(out, ",\"message_type\":{t}")?;
                        }
                        break;
                    }
                    off += 2 + usize::from(len);
                }
            }
        }
    }
    out.write_char('}')
}

fn dhcp6(out: &mut impl Write, d: &[u8]) -> fmt::Result {
    let Some(&t) = d.first() else {
        return Ok(());
    };
    write!(out, ",\"app\":{{\"name\":\"dhcp6\",\"message_type\":{t}")?;
    if t != 12 && t != 13 {
        if let Some(xid) = be::<3>(d, 1) {
            write!(out, ",\"xid\":{xid}")?;
        }
    }
    out.write_char('}')
}

fn vni(out: &mut impl Write, name: &str, d: &[u8], protocol: Option<u64>) -> fmt::Result {
    let Some(vni) = be::<3>(d, 4) else {
        return Ok(());
    };
    write!(out, ",\"app\":{{\"name\":\"{name}\",\"vni\":{vni}")?;
    if let Some(p) = protocol {
        write!(out, ",\"ethertype\":{p}")?;
    }
    out.write_char('}')
}

fn igmp(out: &mut impl Write, d: &[u8]) -> fmt::Result {
    let Some(&t) = d.first() else {
        return Ok(());
    };
    write!(out, ",\"app\":{{\"name\":\"igmp\",\"type\":{t}")?;
    if let Some(g) = d.get(4..8).filter(|_| t != 0x22) {
        write!(out, ",\"group\":\"{}.{}.{}.{}\"", g[0], g[1], g[2], g[3])?;
    }
    out.write_char('}')
}

fn gre(out: &mut impl Write, d: &[u8]) -> fmt::Result {
    let (Some(flags), Some(proto)) = (be::<2>(d, 0), be::<2>(d, 2)) else {
        return Ok(());
    };
    write!(
        out,
        ",\"app\":{{\"name\":\"gre\",\"version\":{},\"ethertype\":{proto}",
        flags & 7
    )?;
    if flags & 7 == 0 && flags & 0x2000 != 0 {
        let at = if flags & 0xc000 != 0 { 8 } else { 4 };
        if let Some(k) = be::<4>(d, at) {
            write!(out, ",\"key\":{k}")?;
        }
    }
    out.write_char('}')
}

fn sctp(out: &mut impl Write, d: &[u8]) -> fmt::Result {
    let (Some(sport), Some(dport)) = (be::<2>(d, 0), be::<2>(d, 2)) else {
        return Ok(());
    };
    write!(
        out,
        ",\"src_port\":{sport},\"dst_port\":{dport},\"app\":{{\"name\":\"sctp\",\"chunks\":["
    )?;
    let mut off = 12;
    let mut sep = "";
    while let (Some(ty), Some(len)) = (be::<1>(d, off), be::<2>(d, off + 2)) {
        write!(out, "{sep}{ty}")?;
        sep = ",";
        if len < 4 {
            break;
        }
        off += (len as usize).div_ceil(4) * 4;
    }
    out.write_str("]}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_only_backward_pointers() {
        let m = b"\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x07example\x00\xc0\x10";
        assert_eq!(dns_name(m, 12).as_deref(), Some("www.example."));
        assert_eq!(dns_name(m, 25).as_deref(), Some("example."));
        assert_eq!(dns_name(b"\xc0\x00", 0), None);
        assert_eq!(dns_name(b"\x05ab", 0), None);
    }
}
