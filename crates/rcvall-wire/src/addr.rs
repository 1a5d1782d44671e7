//! Address formatting that matches tcpdump byte for byte.

use core::fmt::{self, Write};

/// Writes an IPv6 address the way tcpdump's `addrtostr6` does.
///
/// This is RFC 5952 with one historical twist that `Ipv6Addr`'s `Display` does not share:
/// IPv4-compatible addresses (`::a.b.c.d`, first 96 bits zero) print their low 32 bits dotted,
/// just like IPv4-mapped ones (`::ffff:a.b.c.d`).
pub(crate) fn write_ipv6(out: &mut impl Write, a: &[u8; 16]) -> fmt::Result {
    let mut words = [0u16; 8];
    for (i, w) in words.iter_mut().enumerate() {
        *w = u16::from_be_bytes([a[2 * i], a[2 * i + 1]]);
    }
    // Longest run of zero words (first one wins a tie); runs of one word stay uncompressed.
    let (mut best_base, mut best_len) = (usize::MAX, 0usize);
    let (mut cur_base, mut cur_len) = (usize::MAX, 0usize);
    for (i, &w) in words.iter().enumerate() {
        if w == 0 {
            if cur_base == usize::MAX {
                cur_base = i;
                cur_len = 1;
            } else {
                cur_len += 1;
            }
        } else if cur_base != usize::MAX {
            if best_base == usize::MAX || cur_len > best_len {
                best_base = cur_base;
                best_len = cur_len;
            }
            cur_base = usize::MAX;
        }
    }
    if cur_base != usize::MAX && (best_base == usize::MAX || cur_len > best_len) {
        best_base = cur_base;
        best_len = cur_len;
    }
    if best_base != usize::MAX && best_len < 2 {
        best_base = usize::MAX;
    }
    let in_best = |i: usize| best_base != usize::MAX && i >= best_base && i < best_base + best_len;
    for (i, &w) in words.iter().enumerate() {
        if in_best(i) {
            if i == best_base {
                out.write_char(':')?;
            }
            continue;
        }
        if i != 0 {
            out.write_char(':')?;
        }
        if i == 6 && best_base == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff)) {
            return write!(out, "{}.{}.{}.{}", a[12], a[13], a[14], a[15]);
        }
        write!(out, "{w:x}")?;
    }
    if best_base != usize::MAX && best_base + best_len == 8 {
        out.write_char(':')?;
    }
    Ok(())
}

/// Writes an IPv4 address in dotted quad.
pub(crate) fn write_ipv4(out: &mut impl Write, a: &[u8; 4]) -> fmt::Result {
    write!(out, "{}.{}.{}.{}", a[0], a[1], a[2], a[3])
}

/// Displays an address slice of length 4 or 16 in tcpdump's spelling.
pub(crate) struct AddrFmt<'a>(pub &'a [u8]);

impl fmt::Display for AddrFmt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Ok(a) = <&[u8; 4]>::try_from(self.0) {
            write_ipv4(f, a)
        } else if let Ok(a) = <&[u8; 16]>::try_from(self.0) {
            write_ipv6(f, a)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v6(s: &str) -> String {
        let a: std::net::Ipv6Addr = s.parse().unwrap();
        let mut out = String::new();
        write_ipv6(&mut out, &a.octets()).unwrap();
        out
    }

    #[test]
    fn ipv6_spellings_match_tcpdump() {
        assert_eq!(v6("2001:db8::1"), "2001:db8::1");
        assert_eq!(v6("::"), "::");
        assert_eq!(v6("::1"), "::1");
        assert_eq!(v6("fe80::"), "fe80::");
        assert_eq!(v6("2001:db8:0:1:0:0:0:1"), "2001:db8:0:1::1");
        assert_eq!(v6("2001:0:0:1:0:0:1:1"), "2001::1:0:0:1:1");
        assert_eq!(v6("1:0:1:1:1:1:1:1"), "1:0:1:1:1:1:1:1");
        assert_eq!(v6("::ffff:192.0.2.1"), "::ffff:192.0.2.1");
        assert_eq!(v6("::192.0.2.1"), "::192.0.2.1");
    }
}
