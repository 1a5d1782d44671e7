//! One-line text output that matches `tcpdump -n -S` (tcpdump 4.99) for raw IP packets.
//!
//! The printer deliberately mirrors the control flow of tcpdump's `print-*.c` files, one module
//! per protocol as tcpdump has one file per protocol, because the quirks are the contract: which
//! fields appear on a truncated packet, where the ` [|proto]` marker goes, the odd spacing in a
//! few messages. Each module owns its truncation checks; this one holds the shared byte reader
//! and the demultiplexer, which only chooses the module. Bytes are read through one bounds
//! checked accessor, so no input can make it panic.
//!
//! [`TextPrinter`] keeps what tcpdump keeps between packets (the connection table behind
//! relative TCP sequence numbers, the reference time of `-ttt`); [`format_line`] is the
//! stateless form (`-S`, one packet).

use core::fmt::{self, Write};

use crate::addr::AddrFmt;
use crate::time::{Clock, Precision, TimeFormat, TimeStyle};
use crate::tz::TimeZone;
use crate::Direction;

mod bootp;
mod bootp_names;
mod dhcp6;
mod domain;
mod domain_names;
mod dump;
mod ethertype;
mod http;
mod icmp;
mod icmp6;
mod igmp;
mod ip;
mod ip6;
mod ipsec;
mod mptcp;
mod ntp;
mod sctp;
mod small;
mod tcp;
mod tunnel;
mod udp;

/// IP protocol numbers used by the printer.
pub(crate) mod proto {
    pub const HOPOPTS: u8 = 0;
    pub const ICMP: u8 = 1;
    pub const IGMP: u8 = 2;
    pub const IPV4: u8 = 4;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    pub const DCCP: u8 = 33;
    pub const IPV6: u8 = 41;
    pub const ROUTING: u8 = 43;
    pub const FRAGMENT: u8 = 44;
    pub const GRE: u8 = 47;
    pub const ESP: u8 = 50;
    pub const AH: u8 = 51;
    pub const ICMPV6: u8 = 58;
    pub const NONE: u8 = 59;
    pub const DSTOPTS: u8 = 60;
    pub const ND: u8 = 77;
    pub const VRRP: u8 = 112;
    pub const SCTP: u8 = 132;
}

/// Which dump follows the line (tcpdump's `-x`, `-X`, `-A`); [`TextOptions::dump_link_layer`]
/// makes them the doubled forms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Dump {
    #[default]
    None,
    /// `-x`: hex, 16 bytes a line.
    Hex,
    /// `-X`: hex and ASCII.
    HexAscii,
    /// `-A`: ASCII.
    Ascii,
}

/// What tcpdump's flags choose about the text output.
#[derive(Clone, Debug)]
pub struct TextOptions {
    /// `-t` … `-ttttt`.
    pub time: TimeFormat,
    /// `--time-stamp-precision`.
    pub precision: Precision,
    /// The zone of the time of day (tcpdump: the local zone).
    pub zone: TimeZone,
    /// `-v` count.
    pub verbose: u8,
    /// `-q`: quick (less protocol detail).
    pub quick: bool,
    /// `-S`: absolute TCP sequence numbers.
    pub absolute_seq: bool,
    /// `-x`/`-X`/`-A`.
    pub dump: Dump,
    /// `-xx`/`-XX`/`-AA`: the dump starts at the link-layer header, when
    /// [`TextPrinter::write_frame`] is given one.
    pub dump_link_layer: bool,
}

impl Default for TextOptions {
    /// `TZ=UTC tcpdump -n`.
    fn default() -> Self {
        TextOptions {
            time: TimeFormat::TimeOfDay,
            precision: Precision::Micro,
            zone: TimeZone::UTC,
            verbose: 0,
            quick: false,
            absolute_seq: false,
            dump: Dump::None,
            dump_link_layer: false,
        }
    }
}

/// tcpdump's text output over a sequence of packets.
#[derive(Debug)]
pub struct TextPrinter {
    options: TextOptions,
    clock: Clock,
    tcp: tcp::SeqTable,
}

impl TextPrinter {
    /// A printer that has seen no packet yet.
    pub fn new(options: TextOptions) -> TextPrinter {
        let clock = Clock::new(options.time, options.precision, options.zone.clone());
        TextPrinter {
            options,
            clock,
            tcp: tcp::SeqTable::default(),
        }
    }

    /// Writes what tcpdump prints for one raw IP packet, without the final newline: one line,
    /// or several with `-v` on some protocols and with a dump.
    ///
    /// `ip` is the captured bytes (starting at the IP header), `original_len` the length on the
    /// wire (pcap's `len`; tcpdump uses it to report `truncated-ip - N bytes missing!`).
    /// `direction` prints tcpdump's Linux cooked-capture word (`In`/`Out`), preceded by
    /// `ifname` padded like `tcpdump -i any` does when given.
    pub fn write_packet(
        &mut self,
        out: &mut impl Write,
        ts_ns: u64,
        direction: Option<Direction>,
        ifname: Option<&str>,
        ip: &[u8],
        original_len: u32,
    ) -> fmt::Result {
        self.write_frame(out, ts_ns, direction, ifname, ip, 0, original_len)
    }

    /// [`write_packet`](Self::write_packet) for a frame whose IP header starts at `ip_offset`
    /// (after a link-layer header, as in a file read back): the line is about the IP packet,
    /// the `-xx`/`-XX`/`-AA` dumps start at the frame's first byte, as tcpdump's do.
    /// `original_len` is the IP packet's length on the wire.
    #[allow(clippy::too_many_arguments)] // write_packet's arguments and the offset
    pub fn write_frame(
        &mut self,
        out: &mut impl Write,
        ts_ns: u64,
        direction: Option<Direction>,
        ifname: Option<&str>,
        frame: &[u8],
        ip_offset: usize,
        original_len: u32,
    ) -> fmt::Result {
        let ip = frame.get(ip_offset..).unwrap_or(&[]);
        self.clock.write(out, ts_ns)?;
        if let Some(name) = ifname {
            write!(out, "{name:<5} ")?;
        }
        if let Some(d) = direction {
            write!(out, "{:<3} ", crate::tcpdump_direction_word(d))?;
        } else if ifname.is_some() {
            out.write_str("?   ")?;
        }
        let mut p = Printer {
            buf: ip,
            snap: ip.len(),
            proto: "raw",
            s: String::new(),
            verbose: self.options.verbose,
            quick: self.options.quick,
            seqs: (!self.options.absolute_seq).then(|| core::mem::take(&mut self.tcp)),
        };
        if p.ip_n(original_len).is_err() {
            let proto = p.proto;
            let _ = write!(p.s, " [|{proto}]");
        }
        if let Some(seqs) = p.seqs.take() {
            self.tcp = seqs;
        }
        out.write_str(&p.s)?;
        let dumped = if self.options.dump_link_layer {
            frame
        } else {
            ip
        };
        dump::write(out, self.options.dump, dumped)
    }
}

/// Writes one tcpdump-style line for a raw IP packet, without a trailing newline: the stateless
/// form of [`TextPrinter`], as `tcpdump -n -S` prints a lone packet.
pub fn format_line(
    out: &mut impl Write,
    ts_ns: u64,
    direction: Option<Direction>,
    ifname: Option<&str>,
    ip: &[u8],
    original_len: u32,
    style: TimeStyle,
) -> fmt::Result {
    TextPrinter::new(TextOptions {
        time: style.format,
        precision: style.precision,
        zone: TimeZone::fixed(style.utc_offset_secs),
        absolute_seq: true,
        ..TextOptions::default()
    })
    .write_packet(out, ts_ns, direction, ifname, ip, original_len)
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
    /// `-v` count.
    verbose: u8,
    /// `-q`.
    quick: bool,
    /// The connections relative sequence numbers count from; `None` with `-S`.
    seqs: Option<tcp::SeqTable>,
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
                proto::ESP => self.esp(bp, length)?,
                proto::TCP => self.tcp(bp, length, iph, fragmented)?,
                proto::UDP => self.udp(bp, length, iph, fragmented)?,
                proto::ICMP => {
                    if ver == 4 {
                        self.icmp(bp, length, fragmented)?;
                    } else {
                        self.ps("[ICMP requires IPv4] (invalid)");
                    }
                }
                proto::ICMPV6 => {
                    if ver == 6 {
                        self.icmp6(bp, length, iph, fragmented)?;
                    } else {
                        self.ps("[ICMPv6 requires IPv6] (invalid)");
                    }
                }
                proto::IGMP => {
                    if ver == 4 {
                        self.igmp(bp, length)?;
                    } else {
                        self.ps("[IGMP requires IPv4] (invalid)");
                    }
                }
                proto::GRE => self.gre(bp, length)?,
                proto::SCTP => self.sctp(bp, iph, length)?,
                proto::VRRP => self.vrrp(bp, length, iph, ver)?,
                proto::ND => self.p(format_args!(" nd {length}")),
                proto::IPV4 => self.ip4(bp, length)?,
                proto::IPV6 => self.ip6(bp, length)?,
                proto::NONE => self.ps("no next header"),
                _ => self.p(format_args!(" ip-proto-{nh} {length}")),
            }
            return Ok(());
        }
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

    /// `fn_print_char`: a byte as `cat -v` shows it (`M-` for the high bit, `^` for controls).
    fn print_char(&mut self, mut c: u8) {
        if c >= 0x80 {
            c &= 0x7f;
            self.ps("M-");
        }
        if !(0x20..=0x7e).contains(&c) {
            c ^= 0x40;
            self.ps("^");
        }
        self.s.push(char::from(c));
    }

    /// `ND_DEFAULTPRINT`: a hex and ASCII dump of `len` bytes at `off`, then the truncation
    /// marker when the capture holds fewer.
    fn default_print(&mut self, off: usize, len: u32) -> R {
        let have = self.snap.saturating_sub(off);
        let n = (len as usize).min(have);
        let _ = dump::write(
            &mut self.s,
            Dump::HexAscii,
            &self.buf[off.min(self.buf.len())..][..n],
        );
        if (len as usize) > have {
            return Err(Trunc);
        }
        Ok(())
    }

    /// `print_unknown_data`: a hex dump of what is captured of `len` bytes at `off`.
    fn unknown_data(&mut self, off: usize, len: usize, indent: &str) {
        if off > self.snap {
            self.p(format_args!(
                "{indent}Dissector error: print_unknown_data called with pointer past end of packet"
            ));
            return;
        }
        let len = len.min(self.snap - off);
        let _ = dump::hex_with(&mut self.s, indent, &self.buf[off..off + len]);
    }

    /// `ip6_finddst`: the offset of the address the IPv6 pseudo-header uses, the last one of a
    /// routing header (RFC 8200 8.1) or else the header's destination.
    fn ip6_final_dst(&self, iph: usize) -> Result<usize, Trunc> {
        let mut dst = iph + 24;
        let mut cp = iph;
        let mut advance = 40usize;
        let mut nh = self.u8(iph + 6)?;
        while cp < self.snap {
            cp += advance;
            match nh {
                proto::HOPOPTS | proto::DSTOPTS | 62 | 135 => {
                    advance = (usize::from(self.u8(cp + 1)?) + 1) << 3;
                    nh = self.u8(cp)?;
                }
                proto::FRAGMENT => {
                    advance = 8;
                    nh = self.u8(cp)?;
                }
                proto::ROUTING => {
                    if !self.avail(cp, 4) {
                        break;
                    }
                    let len = usize::from(self.u8(cp + 1)?);
                    match self.u8(cp + 2)? {
                        0 | 2 if len % 2 == 0 => {
                            for i in 0..len / 2 {
                                let at = cp + 8 + 16 * i;
                                if !self.avail(at, 16) {
                                    break;
                                }
                                dst = at;
                            }
                        }
                        4 if len % 2 == 0 && self.avail(cp + 8, 16) => dst = cp + 8,
                        _ => {}
                    }
                    break;
                }
                _ => break,
            }
        }
        Ok(dst)
    }

    /// `in_cksum` over the pseudo-header of the IP header at `iph` and `length` bytes at `bp`
    /// (all captured): 0 when the checksum is right.
    fn transport_cksum(&self, iph: usize, nh: u8, bp: usize, length: u32) -> Result<u16, Trunc> {
        let mut sum = 0u32;
        if self.u8(iph)? >> 4 == 6 {
            sum = ones_sum(self.bytes(iph + 8, 16)?, sum);
            sum = ones_sum(self.bytes(self.ip6_final_dst(iph)?, 16)?, sum);
            sum = ones_sum(&length.to_be_bytes(), sum);
        } else {
            sum = ones_sum(self.bytes(iph + 12, 8)?, sum);
            sum = ones_sum(&(length as u16).to_be_bytes(), sum);
        }
        sum = ones_sum(&[0, nh], sum);
        Ok(fold(ones_sum(self.bytes(bp, length as usize)?, sum)))
    }
}

/// Ones-complement sum of big-endian 16-bit words (an odd last byte padded with zero), carried
/// into 32 bits; `fold` finishes it.
pub(crate) fn ones_sum(data: &[u8], mut sum: u32) -> u32 {
    let mut words = data.chunks_exact(2);
    for w in &mut words {
        sum += u32::from(u16::from_be_bytes([w[0], w[1]]));
        sum = (sum & 0xffff) + (sum >> 16);
    }
    if let [b] = words.remainder() {
        sum += u32::from(*b) << 8;
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum
}

/// The complemented, folded sum: 0 when data holding its own checksum is intact.
pub(crate) fn fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// tcpdump's `in_cksum_shouldbe`: the checksum field value that would have been right.
pub(crate) fn cksum_shouldbe(field: u16, computed: u16) -> u16 {
    let mut s = u32::from(field) + u32::from(computed);
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    s as u16
}
