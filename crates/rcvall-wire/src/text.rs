//! One-line text output that matches `tcpdump -n -S` (tcpdump 4.99) for raw IP packets.
//!
//! The printer deliberately mirrors the control flow of tcpdump's `print-ip.c`, `print-ip6.c`,
//! `print-tcp.c`, `print-udp.c`, `print-icmp.c` and `print-icmp6.c` (non-verbose paths only),
//! because the quirks are the contract: which fields appear on a truncated packet, where the
//! ` [|proto]` marker goes, the odd spacing in a few messages. It reads bytes through one bounds
//! checked accessor, so no input can make it panic.
//!
//! `-S` (absolute sequence numbers) is assumed: tcpdump's default relative numbering depends on
//! the packets seen before, and a line printer should be a pure function of one packet.

use core::fmt::{self, Write};

use crate::addr::AddrFmt;
use crate::time::{write_time, TimeStyle};
use crate::Direction;

/// IP protocol numbers used by the printer.
mod proto {
    pub const HOPOPTS: u8 = 0;
    pub const ICMP: u8 = 1;
    pub const IPV4: u8 = 4;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    pub const DCCP: u8 = 33;
    pub const IPV6: u8 = 41;
    pub const ROUTING: u8 = 43;
    pub const FRAGMENT: u8 = 44;
    pub const ESP: u8 = 50;
    pub const AH: u8 = 51;
    pub const ICMPV6: u8 = 58;
    pub const NONE: u8 = 59;
    pub const DSTOPTS: u8 = 60;
    pub const ND: u8 = 77;
    pub const SCTP: u8 = 132;
}

/// Writes one tcpdump-style line for a raw IP packet, without a trailing newline.
///
/// `ip` is the captured bytes (starting at the IP header), `original_len` the length on the
/// wire (pcap's `len`; tcpdump uses it to report `truncated-ip - N bytes missing!`).
/// `direction` prints tcpdump's Linux cooked-capture word (`In`/`Out`), preceded by `ifname`
/// padded like `tcpdump -i any` does when given.
pub fn format_line(
    out: &mut impl Write,
    ts_ns: u64,
    direction: Option<Direction>,
    ifname: Option<&str>,
    ip: &[u8],
    original_len: u32,
    style: TimeStyle,
) -> fmt::Result {
    write_time(out, ts_ns, style)?;
    if let Some(name) = ifname {
        write!(out, "{name:<5} ")?;
    }
    if let Some(d) = direction {
        write!(out, "{:<3} ", d.tcpdump_word())?;
    } else if ifname.is_some() {
        out.write_str("?   ")?;
    }
    let mut p = Printer {
        buf: ip,
        snap: ip.len(),
        proto: "raw",
        s: String::new(),
    };
    if p.ip_n(original_len).is_err() {
        let proto = p.proto;
        let _ = write!(p.s, " [|{proto}]");
    }
    out.write_str(&p.s)
}

/// The packet ran out inside a field tcpdump wanted to read (its `longjmp` on truncation).
struct Trunc;

type R = Result<(), Trunc>;

struct Printer<'a> {
    buf: &'a [u8],
    /// tcpdump's `snapend`: the capture end, narrowed to the IP length once that is known.
    snap: usize,
    /// tcpdump's `ndo_protocol`, named in the ` [|proto]` truncation marker.
    proto: &'static str,
    s: String,
}

impl<'a> Printer<'a> {
    fn avail(&self, off: usize, len: usize) -> bool {
        off.checked_add(len).is_some_and(|end| end <= self.snap)
    }
    fn u8(&self, off: usize) -> Result<u8, Trunc> {
        if self.avail(off, 1) {
            Ok(self.buf[off])
        } else {
            Err(Trunc)
        }
    }
    fn u16(&self, off: usize) -> Result<u16, Trunc> {
        if self.avail(off, 2) {
            Ok(u16::from_be_bytes([self.buf[off], self.buf[off + 1]]))
        } else {
            Err(Trunc)
        }
    }
    fn u32(&self, off: usize) -> Result<u32, Trunc> {
        if self.avail(off, 4) {
            let b = &self.buf[off..off + 4];
            Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        } else {
            Err(Trunc)
        }
    }
    fn bytes(&self, off: usize, len: usize) -> Result<&'a [u8], Trunc> {
        if self.avail(off, len) {
            Ok(&self.buf[off..off + len])
        } else {
            Err(Trunc)
        }
    }
    fn addr(&self, off: usize, len: usize) -> Result<AddrFmt<'a>, Trunc> {
        Ok(AddrFmt(self.bytes(off, len)?))
    }
    fn p(&mut self, args: fmt::Arguments<'_>) {
        let _ = self.s.write_fmt(args);
    }
    fn ps(&mut self, s: &str) {
        self.s.push_str(s);
    }
    fn trunc_here(&mut self) {
        let proto = self.proto;
        self.p(format_args!(" [|{proto}]"));
    }
    fn narrow(&mut self, start: usize, len: u32) {
        let end = start.saturating_add(len as usize);
        if end < self.snap {
            self.snap = end;
        }
    }

    fn ip_n(&mut self, length: u32) -> R {
        self.proto = "ipn";
        if length < 1 {
            self.p(format_args!("truncated-ip {length}"));
            return Ok(());
        }
        match self.u8(0)? & 0xf0 {
            0x40 => self.ip4(0, length),
            0x60 => self.ip6(0, length),
            v => {
                self.p(format_args!("unknown ip {}", v >> 4));
                Ok(())
            }
        }
    }

    /// `ip_print`: `b` is the offset of the IPv4 header in `buf`.
    fn ip4(&mut self, b: usize, length: u32) -> R {
        self.proto = "ip";
        let v = self.u8(b)? >> 4;
        if v != 4 {
            if v == 6 {
                self.ps("IP6, wrong link-layer encapsulation");
            } else {
                self.p(format_args!("IP{v}"));
            }
            self.ps(" (invalid)");
            return Ok(());
        }
        self.ps("IP ");
        if !self.avail(b, 20) {
            self.trunc_here();
            return Ok(());
        }
        if length < 20 {
            self.p(format_args!("truncated-ip {length}"));
            return Ok(());
        }
        let hlen = u32::from(self.u8(b)? & 0x0f) * 4;
        if hlen < 20 {
            self.p(format_args!("bad-hlen {hlen}"));
            return Ok(());
        }
        let mut len = u32::from(self.u16(b + 2)?);
        if length < len {
            self.p(format_args!(
                "truncated-ip - {} bytes missing! ",
                len - length
            ));
        }
        if len < hlen {
            self.p(format_args!("bad-len {len}"));
            return Ok(());
        }
        self.narrow(b, len);
        len -= hlen;
        let off = self.u16(b + 6)?;
        let nh = self.u8(b + 9)?;
        if off & 0x1fff == 0 {
            if !matches!(nh, proto::TCP | proto::UDP | proto::SCTP | proto::DCCP) {
                let (src, dst) = (self.addr(b + 12, 4)?, self.addr(b + 16, 4)?);
                self.p(format_args!("{src} > {dst}: "));
            }
            if !self.avail(b, hlen as usize) {
                let have = self.snap.saturating_sub(b);
                self.p(format_args!(
                    " [remaining caplen({have}) < header length({hlen})]"
                ));
                return Err(Trunc);
            }
            let fragmented = off & 0x2000 != 0;
            self.demux(b + hlen as usize, len, 4, fragmented, nh, b)
        } else {
            let (src, dst) = (self.addr(b + 12, 4)?, self.addr(b + 16, 4)?);
            self.p(format_args!("{src} > {dst}: ip-proto-{nh}"));
            Ok(())
        }
    }

    /// `ip6_print`.
    fn ip6(&mut self, b: usize, length: u32) -> R {
        self.proto = "ip6";
        if !self.avail(b, 40) {
            self.trunc_here();
            return Ok(());
        }
        if length < 40 {
            self.p(format_args!("truncated-ip6 {length}"));
            return Ok(());
        }
        self.ps("IP6 ");
        let v = self.u8(b)? >> 4;
        if v != 6 {
            self.p(format_args!("version error: {v} != 6"));
            return Ok(());
        }
        let mut payload_len = u32::from(self.u16(b + 4)?);
        let mut len: u32;
        if payload_len != 0 {
            len = payload_len + 40;
            if length < len {
                self.p(format_args!(
                    "truncated-ip6 - {} bytes missing!",
                    len - length
                ));
            }
        } else {
            len = length.wrapping_add(40);
        }
        let mut ph: u16 = 255;
        let mut nh = self.u8(b + 6)?;
        self.narrow(b, len);
        let mut cp = b;
        let mut advance: i64 = 40;
        let mut total_advance: u32 = 0;
        let mut found_ext = false;
        let mut found_jumbo = false;
        let mut found_hbh = false;
        let mut fragmented = false;
        while cp < self.snap && advance > 0 {
            let adv = advance as u32;
            if len < adv {
                self.trunc_here();
                return Ok(());
            }
            cp += adv as usize;
            len -= adv;
            total_advance = total_advance.wrapping_add(adv);
            if cp == b + 40 && !matches!(nh, proto::TCP | proto::UDP | proto::DCCP | proto::SCTP) {
                let (src, dst) = (self.addr(b + 8, 16)?, self.addr(b + 24, 16)?);
                self.p(format_args!("{src} > {dst}: "));
            }
            match nh {
                proto::HOPOPTS => {
                    if found_hbh {
                        self.ps("[The Hop-by-Hop Options header was already found] (invalid)");
                        return Ok(());
                    }
                    if ph != 255 {
                        self.ps(
                            "[The Hop-by-Hop Options header don't follow the IPv6 header] (invalid)",
                        );
                        return Ok(());
                    }
                    advance = self.hbhopt(cp, &mut found_jumbo, &mut payload_len)?;
                    if payload_len == 0 && !found_jumbo {
                        self.ps("[No valid Jumbo Payload Hop-by-Hop option found] (invalid)");
                        return Ok(());
                    }
                    if advance < 0 {
                        return Ok(());
                    }
                    found_ext = true;
                    found_hbh = true;
                    nh = self.u8(cp)?;
                }
                proto::DSTOPTS => {
                    self.proto = "dstopt";
                    let l = (u32::from(self.u8(cp + 1)?) + 1) << 3;
                    if !self.avail(cp, l as usize) {
                        self.trunc_here();
                        return Ok(());
                    }
                    self.ps("DSTOPT ");
                    advance = i64::from(l);
                    found_ext = true;
                    nh = self.u8(cp)?;
                }
                proto::FRAGMENT => {
                    self.proto = "frag6";
                    let offlg = self.u16(cp + 2)?;
                    let plen = self.u16(b + 4)?;
                    let size = (40 + i64::from(plen) - (cp - b) as i64 - 8) as u64;
                    self.p(format_args!("frag ({}|{})", offlg & 0xfff8, size));
                    if offlg & 0xfff8 != 0 {
                        return Ok(());
                    }
                    self.ps(" ");
                    advance = 8;
                    if self.snap <= cp + 8 {
                        return Ok(());
                    }
                    found_ext = true;
                    nh = self.u8(cp)?;
                    fragmented = true;
                }
                135 | 62 => {
                    // Mobility header: tcpdump decodes it (mobility_print); not covered here.
                    self.proto = "mobility";
                    self.ps("mobility");
                    return Ok(());
                }
                proto::ROUTING => {
                    if !self.avail(cp, 1) {
                        self.trunc_here();
                        return Ok(());
                    }
                    advance = self.rt6(cp)?;
                    if advance < 0 {
                        return Ok(());
                    }
                    found_ext = true;
                    nh = self.u8(cp)?;
                }
                _ => {
                    if found_jumbo {
                        len = payload_len.wrapping_add(40);
                        if len < total_advance {
                            self.trunc_here();
                            return Ok(());
                        }
                        if length < len {
                            self.p(format_args!(
                                "truncated-ip6 - {} bytes missing!",
                                len - length
                            ));
                        }
                        self.snap = (b + len as usize).min(self.buf.len());
                        len -= total_advance;
                    } else if payload_len == 0 {
                        if found_ext {
                            self.trunc_here();
                            return Ok(());
                        }
                        self.snap = (b + 40).min(self.buf.len());
                        len = 40u32.wrapping_sub(total_advance);
                    }
                    return self.demux(cp, len, 6, fragmented, nh, b);
                }
            }
            ph = u16::from(nh);
            self.proto = "ip6";
        }
        Ok(())
    }

    /// `hbhopt_process` + `ip6_opt_process` (non-verbose).
    fn hbhopt(
        &mut self,
        cp: usize,
        found_jumbo: &mut bool,
        payload_len: &mut u32,
    ) -> Result<i64, Trunc> {
        self.proto = "hbhopt";
        let hbhlen = (u32::from(self.u8(cp + 1)?) + 1) << 3;
        if !self.avail(cp, hbhlen as usize) {
            self.trunc_here();
            return Ok(-1);
        }
        self.ps("HBH ");
        let ob = cp + 2;
        let len = hbhlen as usize - 2;
        let mut seen_jumbo = false;
        let mut i = 0usize;
        let mut bad = false;
        while i < len {
            let t = self.u8(ob + i)?;
            let optlen = if t == 0 {
                1
            } else if i + 1 < len {
                usize::from(self.u8(ob + i + 1)?) + 2
            } else {
                bad = true;
                break;
            };
            if i + optlen > len {
                bad = true;
                break;
            }
            match t {
                0 => {}
                1 => {
                    if len - i < 2 {
                        self.ps("(padn: trunc)");
                        bad = true;
                        break;
                    }
                }
                5 => {
                    if len - i < 4 {
                        self.ps("(rtalert: trunc)");
                        bad = true;
                        break;
                    }
                    let l = self.u8(ob + i + 1)?;
                    if l != 2 {
                        self.p(format_args!("(rtalert: invalid len {l})"));
                        bad = true;
                        break;
                    }
                }
                0xc2 => {
                    if len - i < 6 {
                        self.ps("(jumbo: trunc)");
                        bad = true;
                        break;
                    }
                    let l = self.u8(ob + i + 1)?;
                    if l != 4 {
                        self.p(format_args!("(jumbo: invalid len {l})"));
                        bad = true;
                        break;
                    }
                    let jl = self.u32(ob + i + 2)?;
                    if !seen_jumbo {
                        seen_jumbo = true;
                        if *payload_len == 0 && jl >= 65536 {
                            *found_jumbo = true;
                            *payload_len = jl;
                        }
                    }
                }
                0xc9 => {
                    if len - i < 18 {
                        self.ps("(homeaddr: trunc)");
                        bad = true;
                        break;
                    }
                    let l = self.u8(ob + i + 1)?;
                    if l < 16 {
                        self.p(format_args!("(homeaddr: invalid len {l})"));
                        bad = true;
                        break;
                    }
                }
                _ => {
                    if len - i < 2 {
                        self.p(format_args!("(type {t}: trunc)"));
                        bad = true;
                        break;
                    }
                }
            }
            i += optlen;
        }
        if bad {
            self.trunc_here();
            return Ok(-1);
        }
        Ok(i64::from(hbhlen))
    }

    /// `rt6_print`.
    fn rt6(&mut self, cp: usize) -> Result<i64, Trunc> {
        self.proto = "rt6";
        self.ps("RT6");
        let mut len = u32::from(self.u8(cp + 1)?);
        self.p(format_args!(" (len={len}"));
        let ty = self.u8(cp + 2)?;
        self.p(format_args!(", type={ty}"));
        if ty == 0 {
            self.ps(" [Deprecated]");
        }
        let segleft = self.u8(cp + 3)?;
        self.p(format_args!(", segleft={segleft}"));
        let first_addr = match ty {
            0 | 2 => {
                let rsv = self.u32(cp + 4)?;
                if rsv != 0 {
                    self.p(format_args!(", rsv=0x{rsv:x}"));
                }
                cp + 8
            }
            4 => {
                let last = self.u8(cp + 4)?;
                self.p(format_args!(", last-entry={last}"));
                let flags = self.u8(cp + 5)?;
                if flags != 0 {
                    self.p(format_args!(", flags=0x{flags:x}"));
                }
                let tag = self.u16(cp + 6)?;
                self.p(format_args!(", tag={tag:x}"));
                cp + 8
            }
            _ => {
                self.ps(" (unknown type) (invalid)");
                return Ok(-1);
            }
        };
        if len % 2 == 1 {
            self.p(format_args!(" (invalid length {len}) (invalid)"));
            return Ok(-1);
        }
        len >>= 1;
        for i in 0..len as usize {
            let a = self.addr(first_addr + 16 * i, 16)?;
            self.p(format_args!(", [{i}]{a}"));
        }
        self.ps(") ");
        Ok((i64::from(self.u8(cp + 1)?) + 1) << 3)
    }

    /// `ip_demux_print`: `bp` is the transport header, `iph` the (outermost relevant) IP header.
    fn demux(
        &mut self,
        mut bp: usize,
        mut length: u32,
        ver: u8,
        fragmented: bool,
        mut nh: u8,
        iph: usize,
    ) -> R {
        loop {
            match nh {
                proto::AH => {
                    if !self.avail(bp, 1) {
                        self.proto = "ah";
                        self.trunc_here();
                        return Ok(());
                    }
                    nh = self.u8(bp)?;
                    let adv = self.ah(bp)?;
                    bp += adv;
                    length = length.wrapping_sub(adv as u32);
                    continue;
                }
                proto::ESP => {
                    self.proto = "esp";
                    // tcpdump wants at least one byte past the 8-byte ESP header.
                    if !self.avail(bp, 9) {
                        self.trunc_here();
                        return Ok(());
                    }
                    let spi = self.u32(bp)?;
                    self.p(format_args!("ESP(spi=0x{spi:08x}"));
                    let seq = self.u32(bp + 4)?;
                    self.p(format_args!(",seq=0x{seq:x}), length {length}"));
                }
                proto::TCP => self.tcp(bp, length, iph)?,
                proto::UDP => self.udp(bp, length, iph, fragmented)?,
                proto::ICMP => {
                    if ver == 4 {
                        self.icmp(bp, length)?;
                    } else {
                        self.ps("[ICMP requires IPv4] (invalid)");
                    }
                }
                proto::ICMPV6 => {
                    if ver == 6 {
                        self.icmp6(bp, length)?;
                    } else {
                        self.ps("[ICMPv6 requires IPv6] (invalid)");
                    }
                }
                proto::ND => self.p(format_args!(" nd {length}")),
                proto::IPV4 => self.ip4(bp, length)?,
                proto::IPV6 => self.ip6(bp, length)?,
                proto::NONE => self.ps("no next header"),
                _ => self.p(format_args!(" ip-proto-{nh} {length}")),
            }
            return Ok(());
        }
    }

    /// `ah_print`; returns the header length.
    fn ah(&mut self, bp: usize) -> Result<usize, Trunc> {
        self.proto = "ah";
        self.ps("AH");
        let ah_len = self.u8(bp + 1)?;
        let hdr_len = (usize::from(ah_len) + 2) * 4;
        self.ps("(");
        let reserved = self.u16(bp + 2)?;
        if reserved != 0 {
            self.p(format_args!("reserved=0x{reserved:x}[MustBeZero],"));
        }
        let spi = self.u32(bp + 4)?;
        self.p(format_args!("spi=0x{spi:08x},"));
        let seq = self.u32(bp + 8)?;
        self.p(format_args!("seq=0x{seq:x},"));
        self.ps("icv=0x");
        for i in 12..hdr_len {
            let x = self.u8(bp + i)?;
            self.p(format_args!("{x:02x}"));
        }
        self.ps("): ");
        Ok(hdr_len)
    }

    /// Returns (src, dst, ip version, next header field of the IP header itself).
    fn ip_hdr(&self, iph: usize) -> Result<(AddrFmt<'a>, AddrFmt<'a>, u8), Trunc> {
        if self.u8(iph)? >> 4 == 6 {
            Ok((
                self.addr(iph + 8, 16)?,
                self.addr(iph + 24, 16)?,
                self.u8(iph + 6)?,
            ))
        } else {
            Ok((
                self.addr(iph + 12, 4)?,
                self.addr(iph + 16, 4)?,
                self.u8(iph + 9)?,
            ))
        }
    }

    /// `tcp_print` with `-S`.
    fn tcp(&mut self, bp: usize, length: u32, iph: usize) -> R {
        self.proto = "tcp";
        let (src, dst, ip_nh) = self.ip_hdr(iph)?;
        if !self.avail(bp, 4) {
            self.p(format_args!("{src} > {dst}:"));
            return Err(Trunc);
        }
        let sport = self.u16(bp)?;
        let dport = self.u16(bp + 2)?;
        if ip_nh == proto::TCP {
            self.p(format_args!("{src}.{sport} > {dst}.{dport}: "));
        } else {
            self.p(format_args!("{sport} > {dport}: "));
        }
        if !self.avail(bp, 20) {
            return Err(Trunc);
        }
        let hlen = u32::from(self.u8(bp + 12)? >> 4) * 4;
        if hlen < 20 {
            self.p(format_args!(
                " tcp {} [bad hdr length {hlen} - too short, < 20]",
                length.wrapping_sub(hlen)
            ));
            return Ok(());
        }
        let seq = self.u32(bp + 4)?;
        let ack = self.u32(bp + 8)?;
        let win = self.u16(bp + 14)?;
        let urp = self.u16(bp + 18)?;
        let flags = self.u8(bp + 13)?;
        self.ps("Flags [");
        if flags == 0 {
            self.ps("none");
        }
        for (bit, c) in TCP_FLAG_CHARS {
            if flags & bit != 0 {
                self.s.push(c);
            }
        }
        self.ps("]");
        if hlen > length {
            self.p(format_args!(
                " [bad hdr length {hlen} - too long, > {length}]"
            ));
            return Ok(());
        }
        let length = length - hlen;
        if length > 0 || flags & (tcp_flags::SYN | tcp_flags::FIN | tcp_flags::RST) != 0 {
            self.p(format_args!(", seq {seq}"));
            if length > 0 {
                self.p(format_args!(":{}", seq.wrapping_add(length)));
            }
        }
        if flags & tcp_flags::ACK != 0 {
            self.p(format_args!(", ack {ack}"));
        }
        self.p(format_args!(", win {win}"));
        if flags & tcp_flags::URG != 0 {
            self.p(format_args!(", urg {urp}"));
        }
        if hlen > 20 {
            self.ps(", options [");
            match self.tcp_options(bp + 20, hlen - 20)? {
                OptEnd::Done => self.ps("]"),
                OptEnd::Bad { any } => {
                    self.ps("[bad opt]");
                    if any {
                        self.ps("]");
                    }
                    return Ok(());
                }
                OptEnd::Trunc { any } => {
                    self.trunc_here();
                    if any {
                        self.ps(">");
                    }
                    return Ok(());
                }
            }
        }
        self.p(format_args!(", length {length}"));
        if length == 0 {
            return Ok(());
        }
        if !self.avail(bp, hlen as usize) {
            let have = self.snap.saturating_sub(bp);
            self.p(format_args!(
                " [remaining caplen({have}) < header length({hlen})]"
            ));
            return Err(Trunc);
        }
        Ok(())
    }

    fn tcp_options(&mut self, mut cp: usize, mut hlen: u32) -> Result<OptEnd, Trunc> {
        let mut any = false;
        while hlen > 0 {
            if any {
                self.ps(",");
            }
            let opt = self.u8(cp)?;
            cp += 1;
            let zero_len = opt == 0 || opt == 1;
            let len: u32 = if zero_len {
                1
            } else {
                let l = u32::from(self.u8(cp)?);
                cp += 1;
                if l < 2 || l > hlen {
                    return Ok(OptEnd::Bad { any });
                }
                hlen -= 1;
                l
            };
            hlen -= 1;
            match tcp_option_name(opt) {
                Some(n) => self.ps(n),
                None => self.p(format_args!("unknown-{opt}")),
            }
            // LENCHECK: the data must fit the header and be captured.
            macro_rules! lencheck {
                ($l:expr) => {{
                    let l: u32 = $l;
                    if l > hlen {
                        return Ok(OptEnd::Bad { any });
                    }
                    if !self.avail(cp, l as usize) {
                        return Ok(OptEnd::Trunc { any });
                    }
                }};
            }
            let datalen: u32 = match opt {
                2 => {
                    lencheck!(2);
                    let v = self.u16(cp)?;
                    self.p(format_args!(" {v}"));
                    2
                }
                3 => {
                    lencheck!(1);
                    let v = self.u8(cp)?;
                    self.p(format_args!(" {v}"));
                    1
                }
                5 => {
                    let d = len - 2;
                    if d % 8 != 0 {
                        self.ps(" invalid sack");
                    } else {
                        self.p(format_args!(" {} ", d / 8));
                        let mut i = 0;
                        while i < d {
                            lencheck!(i + 4);
                            let s = self.u32(cp + i as usize)?;
                            lencheck!(i + 8);
                            let e = self.u32(cp + i as usize + 4)?;
                            self.p(format_args!("{{{s}:{e}}}"));
                            i += 8;
                        }
                    }
                    d
                }
                6 | 7 | 11 | 12 | 13 => {
                    lencheck!(4);
                    let v = self.u32(cp)?;
                    self.p(format_args!(" {v}"));
                    4
                }
                8 => {
                    lencheck!(8);
                    let (v, e) = (self.u32(cp)?, self.u32(cp + 4)?);
                    self.p(format_args!(" val {v} ecr {e}"));
                    8
                }
                19 => {
                    lencheck!(16);
                    self.ps(" can't check - ");
                    for i in 0..16 {
                        let x = self.u8(cp + i)?;
                        self.p(format_args!("{x:02x}"));
                    }
                    16
                }
                0 | 1 | 4 => 0,
                20 => {
                    lencheck!(2);
                    let (cap, id) = (self.u8(cp)?, self.u8(cp + 1)?);
                    self.p(format_args!(" cap {cap:02x} id {id}"));
                    2
                }
                29 => {
                    let d = len - 2;
                    if d < 2 {
                        self.ps(" (invalid)");
                    } else {
                        lencheck!(1);
                        let keyid = self.u8(cp)?;
                        self.p(format_args!(" keyid {keyid}"));
                        lencheck!(2);
                        let next = self.u8(cp + 1)?;
                        self.p(format_args!(" rnextkeyid {next}"));
                        if d > 2 {
                            self.ps(" mac 0x");
                            for i in 2..d {
                                lencheck!(i + 1);
                                let x = self.u8(cp + i as usize)?;
                                self.p(format_args!("{x:02x}"));
                            }
                        }
                    }
                    d
                }
                34 => {
                    let d = len - 2;
                    lencheck!(d);
                    self.ps(" ");
                    self.fastopen(cp, d)?;
                    d
                }
                254 => {
                    let d = len - 2;
                    lencheck!(d);
                    if d < 2 {
                        return Ok(OptEnd::Bad { any });
                    }
                    let magic = self.u16(cp)?;
                    self.ps("-");
                    if magic == 0xf989 {
                        // TCP Fast Open under the RFC 6994 experimental option.
                        self.ps("tfo");
                        self.fastopen(cp + 2, d - 2)?;
                    } else {
                        self.p(format_args!("{magic:04x}"));
                    }
                    d
                }
                28 => {
                    lencheck!(2);
                    let mut uto = u32::from(self.u16(cp)?);
                    self.p(format_args!(" 0x{uto:x}"));
                    uto = if uto & 1 != 0 {
                        (uto >> 1) * 60
                    } else {
                        uto >> 1
                    };
                    self.p(format_args!(" {uto}"));
                    2
                }
                _ => {
                    // Options whose decoders are not mirrored (mptcp)
                    // and unknown ones print as hex, like tcpdump's default case.
                    let d = len - 2;
                    if d > 0 {
                        self.ps(" 0x");
                    }
                    for i in 0..d {
                        lencheck!(i + 1);
                        let x = self.u8(cp + i as usize)?;
                        self.p(format_args!("{x:02x}"));
                    }
                    d
                }
            };
            cp += datalen as usize;
            hlen -= datalen;
            let expect = datalen + if zero_len { 1 } else { 2 };
            if expect != len {
                self.p(format_args!("[len {len}]"));
            }
            any = true;
            if opt == 0 {
                break;
            }
        }
        Ok(OptEnd::Done)
    }

    /// `print_tcp_fastopen_option` (the caller printed any prefix).
    fn fastopen(&mut self, cp: usize, datalen: u32) -> R {
        if datalen == 0 {
            self.ps(" cookiereq");
        } else if datalen % 2 != 0 || !(4..=16).contains(&datalen) {
            self.ps(" (invalid)");
        } else {
            self.ps(" cookie ");
            for i in 0..datalen as usize {
                let x = self.u8(cp + i)?;
                self.p(format_args!("{x:02x}"));
            }
        }
        Ok(())
    }

    fn udp_addrs(&mut self, iph: usize, ports: Option<(u16, u16)>) -> R {
        let (src, dst, ip_nh) = self.ip_hdr(iph)?;
        match (ip_nh == proto::UDP, ports) {
            (true, None) => self.p(format_args!("{src} > {dst}: ")),
            (true, Some((s, d))) => self.p(format_args!("{src}.{s} > {dst}.{d}: ")),
            (false, Some((s, d))) => self.p(format_args!("{s} > {d}: ")),
            (false, None) => {}
        }
        Ok(())
    }

    /// `udp_print` (without the application-layer dissectors).
    fn udp(&mut self, bp: usize, mut length: u32, iph: usize, fragmented: bool) -> R {
        self.proto = "udp";
        if !self.avail(bp, 4) {
            self.udp_addrs(iph, None)?;
            return Err(Trunc);
        }
        let sport = self.u16(bp)?;
        let dport = self.u16(bp + 2)?;
        if length < 8 {
            self.udp_addrs(iph, Some((sport, dport)))?;
            self.p(format_args!("truncated-udp {length}"));
            return Ok(());
        }
        if !self.avail(bp + 4, 2) {
            self.udp_addrs(iph, Some((sport, dport)))?;
            return Err(Trunc);
        }
        let mut ulen = u32::from(self.u16(bp + 4)?);
        if ulen == 0 && length > 65535 {
            ulen = length;
        }
        if ulen < 8 {
            self.udp_addrs(iph, Some((sport, dport)))?;
            self.p(format_args!("truncated-udplength {ulen}"));
            return Ok(());
        }
        ulen -= 8;
        length -= 8;
        if ulen < length {
            length = ulen;
        }
        if bp + 8 > self.snap {
            self.udp_addrs(iph, Some((sport, dport)))?;
            return Err(Trunc);
        }
        self.udp_addrs(iph, Some((sport, dport)))?;
        if ulen > length && !fragmented {
            self.p(format_args!("UDP, bad length {ulen} > {length}"));
        } else {
            self.p(format_args!("UDP, length {ulen}"));
        }
        Ok(())
    }

    /// `icmp_print` (non-verbose).
    fn icmp(&mut self, bp: usize, plen: u32) -> R {
        self.proto = "icmp";
        let ty = self.u8(bp)?;
        let code = self.u8(bp + 1)?;
        let inner_dst = |p: &Self| p.addr(bp + 24, 4);
        let text: String = match ty {
            0 | 8 => format!(
                "echo {}, id {}, seq {}",
                if ty == 8 { "request" } else { "reply" },
                self.u16(bp + 4)?,
                self.u16(bp + 6)?
            ),
            3 => match code {
                0 => format!("net {} unreachable", inner_dst(self)?),
                1 => format!("host {} unreachable", inner_dst(self)?),
                2 => format!(
                    "{} protocol {} unreachable",
                    inner_dst(self)?,
                    self.u8(bp + 8 + 9)?
                ),
                3 => {
                    self.u8(bp + 8 + 9)?;
                    let hlen = usize::from(self.u8(bp + 8)? & 0x0f) * 4;
                    let dport = self.u16(bp + 8 + hlen + 2)?;
                    let p = self.u8(bp + 8 + 9)?;
                    let d = inner_dst(self)?;
                    match p {
                        proto::TCP => format!("{d} tcp port {dport} unreachable"),
                        proto::UDP => format!("{d} udp port {dport} unreachable"),
                        _ => format!("{d} protocol {p} port {dport} unreachable"),
                    }
                }
                4 => {
                    let mtu = self.u16(bp + 6)?;
                    if mtu != 0 {
                        format!(
                            "{} unreachable - need to frag (mtu {mtu})",
                            inner_dst(self)?
                        )
                    } else {
                        format!("{} unreachable - need to frag", inner_dst(self)?)
                    }
                }
                5 => format!("{} unreachable - source route failed", inner_dst(self)?),
                6 => format!("net {} unreachable - unknown", inner_dst(self)?),
                7 => format!("host {} unreachable - unknown", inner_dst(self)?),
                8 => format!("{} unreachable - source host isolated", inner_dst(self)?),
                9 => format!("net {} unreachable - admin prohibited", inner_dst(self)?),
                10 => format!("host {} unreachable - admin prohibited", inner_dst(self)?),
                11 => format!("net {} unreachable - tos prohibited", inner_dst(self)?),
                12 => format!("host {} unreachable - tos prohibited", inner_dst(self)?),
                13 => format!(
                    "host {} unreachable - admin prohibited filter",
                    inner_dst(self)?
                ),
                14 => format!(
                    "host {} unreachable - host precedence violation",
                    inner_dst(self)?
                ),
                15 => format!("host {} unreachable - precedence cutoff", inner_dst(self)?),
                _ => format!("{} unreachable - #{code}", inner_dst(self)?),
            },
            5 => {
                let (d, gw) = (inner_dst(self)?, self.addr(bp + 4, 4)?);
                match code {
                    0 => format!("redirect {d} to net {gw}"),
                    1 => format!("redirect {d} to host {gw}"),
                    2 => format!("redirect-tos {d} to net {gw}"),
                    3 => format!("redirect-tos {d} to host {gw}"),
                    _ => format!("redirect-#{code} {d} to {gw}"),
                }
            }
            11 => {
                self.bytes(bp + 24, 4)?;
                match code {
                    0 => "time exceeded in-transit".to_owned(),
                    1 => "ip reassembly time exceeded".to_owned(),
                    _ => format!("time exceeded-#{code}"),
                }
            }
            12 => {
                if code != 0 {
                    format!("parameter problem - code {code}")
                } else {
                    format!("parameter problem - octet {}", self.u8(bp + 4)?)
                }
            }
            18 => format!("address mask is 0x{:08x}", self.u32(bp + 8)?),
            13 => format!(
                "time stamp query id {} seq {}",
                self.u16(bp + 4)?,
                self.u16(bp + 6)?
            ),
            14 => {
                self.bytes(bp + 16, 4)?;
                format!(
                    "time stamp reply id {} seq {}: org {}, recv {}, xmit {}",
                    self.u16(bp + 4)?,
                    self.u16(bp + 6)?,
                    IcmpStamp(self.u32(bp + 8)?),
                    IcmpStamp(self.u32(bp + 12)?),
                    IcmpStamp(self.u32(bp + 16)?)
                )
            }
            9 => {
                let mut t = String::from("router advertisement");
                self.bytes(bp + 4, 4)?;
                let lifetime = self.u16(bp + 6)?;
                let _ = if lifetime < 60 {
                    write!(t, " lifetime {lifetime}")
                } else if lifetime < 3600 {
                    write!(t, " lifetime {}:{:02}", lifetime / 60, lifetime % 60)
                } else {
                    write!(
                        t,
                        " lifetime {}:{:02}:{:02}",
                        lifetime / 3600,
                        lifetime % 3600 / 60,
                        lifetime % 60
                    )
                };
                let num = self.u8(bp + 4)?;
                let _ = write!(t, " {num}:");
                let size = self.u8(bp + 5)?;
                if size != 2 {
                    let _ = write!(t, " [size {size}]");
                } else {
                    for i in 0..usize::from(num) {
                        let at = bp + 8 + 8 * i;
                        self.bytes(at, 8)?;
                        let _ = write!(t, " {{{} {}}}", self.addr(at, 4)?, self.u32(at + 4)?);
                    }
                }
                t
            }
            4 => "source quench".to_owned(),
            10 => "router solicitation".to_owned(),
            15 => "information request".to_owned(),
            16 => "information reply".to_owned(),
            17 => "address mask request".to_owned(),
            _ => format!("type-#{ty}"),
        };
        self.p(format_args!("ICMP {text}, length {plen}"));
        Ok(())
    }

    /// `icmp6_print` (non-verbose).
    fn icmp6(&mut self, bp: usize, length: u32) -> R {
        self.proto = "icmp6";
        if length == 0 {
            self.ps("ICMP6, length 0 (invalid)");
            return Ok(());
        }
        let ty = self.u8(bp)?;
        match icmp6_type_name(ty) {
            Some(n) => self.p(format_args!("ICMP6, {n}")),
            None => self.p(format_args!("ICMP6, unknown icmp6 type ({ty})")),
        }
        let code = self.u8(bp + 1)?;
        let oip = bp + 8;
        match ty {
            1 => {
                match code {
                    0 => self.ps(", unreachable route"),
                    1 => self.ps(",  unreachable prohibited"),
                    2 => self.ps(", beyond scope"),
                    3 => self.ps(", unreachable address"),
                    4 => self.ps(", unreachable port"),
                    _ => self.p(format_args!(", unknown unreach code ({code})")),
                }
                match code {
                    0 | 1 | 3 => {
                        let d = self.addr(oip + 24, 16)?;
                        self.p(format_args!(" {d}"));
                    }
                    2 => {
                        let (d, s) = (self.addr(oip + 24, 16)?, self.addr(oip + 8, 16)?);
                        self.p(format_args!(" {d}, source address {s}"));
                    }
                    4 => {
                        let Some((prot, uh)) = self.upper_layer(oip)? else {
                            self.trunc_here();
                            return Ok(());
                        };
                        let dport = self.u16(uh + 2)?;
                        let d = self.addr(oip + 24, 16)?;
                        match prot {
                            proto::TCP => self.p(format_args!(", {d} tcp port {dport}")),
                            proto::UDP => self.p(format_args!(", {d} udp port {dport}")),
                            _ => self.p(format_args!(
                                ", {d} protocol {prot} port {dport} unreachable"
                            )),
                        }
                    }
                    // tcpdump follows with a hex dump on continuation lines.
                    _ => return Ok(()),
                }
            }
            2 => {
                let mtu = self.u32(bp + 4)?;
                self.p(format_args!(", mtu {mtu}"));
            }
            3 => match code {
                0 => {
                    let d = self.addr(oip + 24, 16)?;
                    self.p(format_args!(" for {d}"));
                }
                1 => self.ps(" (reassembly)"),
                _ => self.p(format_args!(", unknown code ({code})")),
            },
            4 => {
                self.bytes(oip + 24, 16)?;
                let what = match code {
                    0 => "erroneous",
                    1 => "next header",
                    2 => "option",
                    3 => "incomplete header chain",
                    _ => "",
                };
                if what.is_empty() {
                    self.p(format_args!(", code-#{code}"));
                } else {
                    let ptr = self.u32(bp + 4)?;
                    self.p(format_args!(", {what} - octet {ptr}"));
                }
            }
            128 | 129 => {
                let (id, seq) = (self.u16(bp + 4)?, self.u16(bp + 6)?);
                self.p(format_args!(", id {id}, seq {seq}"));
            }
            130 if length != 24 => {
                if length >= 28 {
                    // MLDv2 query details are not mirrored.
                    self.ps(" v2");
                } else {
                    self.p(format_args!(" unknown-version (len {length}) "));
                }
            }
            130..=132 => {
                if self.avail(bp, 24) {
                    let delay = self.u16(bp + 4)?;
                    let a = self.addr(bp + 8, 16)?;
                    self.p(format_args!("max resp delay: {delay} addr: {a}"));
                }
            }
            133 | 134 | 141 | 142 => {}
            135 => {
                let a = self.addr(bp + 8, 16)?;
                self.p(format_args!(", who has {a}"));
            }
            136 => {
                let a = self.addr(bp + 8, 16)?;
                self.p(format_args!(", tgt is {a}"));
            }
            137 => {
                // struct nd_redirect: target at 8, destination at 24; tcpdump prints dst first.
                let d = self.addr(bp + 24, 16)?;
                self.p(format_args!(", {d}"));
                let t = self.addr(bp + 8, 16)?;
                self.p(format_args!(" to {t}"));
            }
            143 => {
                if length < 8 {
                    self.p(format_args!(" [invalid len {length}]"));
                } else {
                    let n = self.u16(bp + 6)?;
                    self.p(format_args!(", {n} group record(s)"));
                }
            }
            144 | 146 => {
                let id = self.u16(bp + 4)?;
                self.p(format_args!(", id 0x{id:04x}"));
            }
            145 | 147 => {}
            // Router renumbering, node information and RPL decoders are not mirrored.
            138..=140 | 155 => {}
            _ => {
                // tcpdump follows with a hex dump on continuation lines.
                self.p(format_args!(", length {length}"));
                return Ok(());
            }
        }
        self.p(format_args!(", length {length}"));
        Ok(())
    }

    /// `get_upperlayer`: walks the quoted IPv6 packet in an ICMPv6 error to its TCP/UDP header.
    fn upper_layer(&self, ip6: usize) -> Result<Option<(u8, usize)>, Trunc> {
        if !self.avail(ip6 + 6, 1) {
            return Ok(None);
        }
        let mut nh = self.u8(ip6 + 6)?;
        let mut hlen = 40usize;
        let mut bp = ip6;
        while bp < self.snap {
            bp += hlen;
            match nh {
                proto::UDP | proto::TCP => {
                    return Ok(if self.avail(bp + 2, 2) {
                        Some((nh, bp))
                    } else {
                        None
                    });
                }
                proto::HOPOPTS | proto::DSTOPTS | proto::ROUTING => {
                    if !self.avail(bp + 1, 1) {
                        return Ok(None);
                    }
                    nh = self.u8(bp)?;
                    hlen = (usize::from(self.u8(bp + 1)?) + 1) << 3;
                }
                proto::FRAGMENT => {
                    if !self.avail(bp + 2, 2) {
                        return Ok(None);
                    }
                    if self.u16(bp + 2)? & 0xfff8 != 0 {
                        return Ok(None);
                    }
                    nh = self.u8(bp)?;
                    hlen = 8;
                }
                proto::AH => {
                    if !self.avail(bp + 1, 1) {
                        return Ok(None);
                    }
                    nh = self.u8(bp)?;
                    hlen = (usize::from(self.u8(bp + 1)?) + 2) << 2;
                }
                _ => return Ok(None),
            }
        }
        Ok(None)
    }
}

/// `icmp_tstamp_print`: milliseconds since midnight as `hh:mm:ss.mmm` (hours unbounded).
struct IcmpStamp(u32);

impl fmt::Display for IcmpStamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0 % 1000;
        let sec = self.0 / 1000;
        let (hrs, min, sec) = (sec / 3600, sec / 60 % 60, sec % 60);
        write!(f, "{hrs:02}:{min:02}:{sec:02}.{ms:03}")
    }
}

enum OptEnd {
    Done,
    Bad { any: bool },
    Trunc { any: bool },
}

mod tcp_flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const ACK: u8 = 0x10;
    pub const URG: u8 = 0x20;
}

/// tcpdump's `tcp_flag_values`, in its print order.
const TCP_FLAG_CHARS: [(u8, char); 8] = [
    (0x01, 'F'),
    (0x02, 'S'),
    (0x04, 'R'),
    (0x08, 'P'),
    (0x10, '.'),
    (0x20, 'U'),
    (0x40, 'E'),
    (0x80, 'W'),
];

fn tcp_option_name(opt: u8) -> Option<&'static str> {
    Some(match opt {
        0 => "eol",
        1 => "nop",
        2 => "mss",
        3 => "wscale",
        4 => "sackOK",
        5 => "sack",
        6 => "echo",
        7 => "echoreply",
        8 => "TS",
        11 => "cc",
        12 => "ccnew",
        13 => "",
        19 => "md5",
        20 => "scps",
        28 => "uto",
        29 => "tcp-ao",
        30 => "mptcp",
        34 => "tfo",
        254 => "exp",
        _ => return None,
    })
}

pub(crate) fn icmp6_type_name(ty: u8) -> Option<&'static str> {
    Some(match ty {
        1 => "destination unreachable",
        2 => "packet too big",
        3 => "time exceeded in-transit",
        4 => "parameter problem",
        128 => "echo request",
        129 => "echo reply",
        130 => "multicast listener query",
        131 => "multicast listener report",
        132 => "multicast listener done",
        133 => "router solicitation",
        134 => "router advertisement",
        135 => "neighbor solicitation",
        136 => "neighbor advertisement",
        137 => "redirect",
        138 => "router renumbering",
        141 => "inverse neighbor solicitation",
        142 => "inverse neighbor advertisement",
        143 => "multicast listener report v2",
        144 => "ha discovery request",
        145 => "ha discovery reply",
        146 => "mobile router solicitation",
        147 => "mobile router advertisement",
        139 => "who-are-you request",
        140 => "who-are-you reply",
        201 => "mtrace message",
        200 => "mtrace response",
        155 => "RPL",
        _ => return None,
    })
}
