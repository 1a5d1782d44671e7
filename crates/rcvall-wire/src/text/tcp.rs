//! `print-tcp.c`: the TCP header and its options.

use std::collections::HashMap;

use super::{proto, Printer, Trunc, R};

/// One direction-independent connection key: tcpdump's `struct tha`/`tha6`, the side with the
/// lower port (or, on equal ports, the lower address) first.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
struct SeqKey {
    src: [u8; 16],
    dst: [u8; 16],
    v6: bool,
    ports: u32,
}

/// tcpdump's `tcp_seq_hash`: the initial sequence numbers of every connection seen, from which
/// it prints relative ones.
#[derive(Clone, Debug, Default)]
pub(crate) struct SeqTable(HashMap<SeqKey, (u32, u32)>);

/// tcpdump never forgets a connection; a long capture must not grow without bound, so past
/// this many connections new ones print absolute numbers (as `-S` would).
const SEQ_TABLE_LIMIT: usize = 1 << 20;

impl SeqTable {
    /// Returns `(seq, ack)` as tcpdump prints them, and the bases SACK blocks subtract
    /// (`thseq`, `thack`, `rev`).
    fn relative(
        &mut self,
        src: &[u8],
        dst: &[u8],
        (sport, dport): (u16, u16),
        (seq, ack): (u32, u32),
        syn: bool,
    ) -> ((u32, u32), (u32, u32, bool)) {
        let rev = sport > dport || (sport == dport && src > dst);
        let (lo, hi, ports) = if rev {
            (dst, src, u32::from(dport) << 16 | u32::from(sport))
        } else {
            (src, dst, u32::from(sport) << 16 | u32::from(dport))
        };
        let mut key = SeqKey {
            src: [0; 16],
            dst: [0; 16],
            v6: lo.len() == 16,
            ports,
        };
        key.src[..lo.len()].copy_from_slice(lo);
        key.dst[..hi.len()].copy_from_slice(hi);
        let full = self.0.len() >= SEQ_TABLE_LIMIT;
        let (printed, base) = match self.0.get_mut(&key) {
            Some(base) if !syn => {
                let printed = if rev {
                    (seq.wrapping_sub(base.1), ack.wrapping_sub(base.0))
                } else {
                    (seq.wrapping_sub(base.0), ack.wrapping_sub(base.1))
                };
                (printed, *base)
            }
            // A new connection, or a SYN restarting one: this packet sets the bases.
            entry => {
                let base = if rev {
                    (ack.wrapping_sub(1), seq)
                } else {
                    (seq, ack.wrapping_sub(1))
                };
                match entry {
                    Some(e) => *e = base,
                    None if !full => {
                        self.0.insert(key, base);
                    }
                    None => return ((seq, ack), (0, 0, rev)),
                }
                ((seq, ack), base)
            }
        };
        (printed, (base.0, base.1, rev))
    }
}

/// The dissectors `tcp_print` hands a segment's data to, in its order of precedence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TcpApp {
    Ssh,
    Http,
    Domain,
    /// One tcpdump decodes and this printer does not.
    Other,
}

impl TcpApp {
    pub(super) fn choose(sport: u16, dport: u16) -> Option<TcpApp> {
        let any = |ports: &[u16]| ports.iter().any(|&p| sport == p || dport == p);
        Some(if any(&[23, 25, 43, 179, 1723, 6379]) {
            TcpApp::Other
        } else if any(&[22]) {
            TcpApp::Ssh
        } else if any(&[139, 445, 10288, 6633, 6653, 21]) {
            TcpApp::Other
        } else if any(&[80, 8080]) {
            TcpApp::Http
        } else if any(&[554, 8554]) {
            TcpApp::Other
        } else if any(&[53]) {
            TcpApp::Domain
        } else if any(&[639, 323, 646, 2049]) {
            TcpApp::Other
        } else {
            return None;
        })
    }
}

impl Printer<'_> {
    /// `tcp_print`.
    pub(super) fn tcp(&mut self, bp: usize, length: u32, iph: usize, fragmented: bool) -> R {
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
        let mut seq = self.u32(bp + 4)?;
        let mut ack = self.u32(bp + 8)?;
        let win = self.u16(bp + 14)?;
        let urp = self.u16(bp + 18)?;
        if self.quick {
            self.p(format_args!("tcp {}", length.wrapping_sub(hlen)));
            if hlen > length {
                self.p(format_args!(
                    " [bad hdr length {hlen} - too long, > {length}]"
                ));
            }
            return Ok(());
        }
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
        let mut sack_base = 0;
        if flags & tcp_flags::ACK != 0 {
            if let Some(mut table) = self.seqs.take() {
                let (src, dst) = (src.0, dst.0);
                let syn = flags & tcp_flags::SYN != 0;
                let (printed, (thseq, thack, rev)) =
                    table.relative(src, dst, (sport, dport), (seq, ack), syn);
                (seq, ack) = printed;
                sack_base = if rev { thseq } else { thack };
                self.seqs = Some(table);
            }
        }
        if hlen > length {
            self.p(format_args!(
                " [bad hdr length {hlen} - too long, > {length}]"
            ));
            return Ok(());
        }
        if self.verbose > 0 && !fragmented && self.avail(bp, length as usize) {
            let sum = self.transport_cksum(iph, proto::TCP, bp, length)?;
            let tcp_sum = self.u16(bp + 16)?;
            self.p(format_args!(", cksum 0x{tcp_sum:04x}"));
            if sum != 0 {
                let should = super::cksum_shouldbe(tcp_sum, sum);
                self.p(format_args!(" (incorrect -> 0x{should:04x})"));
            } else {
                self.ps(" (correct)");
            }
        }
        let length = length - hlen;
        if self.verbose > 1
            || length > 0
            || flags & (tcp_flags::SYN | tcp_flags::FIN | tcp_flags::RST) != 0
        {
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
            match self.tcp_options(bp + 20, hlen - 20, sack_base, flags)? {
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
        let data = bp + hlen as usize;
        if flags & tcp_flags::RST != 0 && self.verbose > 0 {
            self.rst_data(data, length);
            return Ok(());
        }
        match TcpApp::choose(sport, dport) {
            Some(TcpApp::Http) => {
                self.ps(": ");
                self.http(data, length)?;
            }
            Some(TcpApp::Domain) => self.domain(data, length, true, false)?,
            Some(TcpApp::Ssh) => self.ssh(data, length)?,
            _ => {}
        }
        Ok(())
    }

    /// `print_tcp_rst_data`: the text a reset may carry (RFC 1122 4.2.2.12), at most 30 bytes.
    fn rst_data(&mut self, mut cp: usize, length: u32) {
        let all = self.avail(cp, length as usize);
        self.ps(if all { " [RST" } else { " [!RST" });
        let mut left = length;
        if left > 30 {
            left = 30;
            self.ps("+");
        }
        self.ps(" ");
        while left > 0 && cp < self.snap {
            let c = self.buf[cp];
            self.print_char(c);
            cp += 1;
            left -= 1;
        }
        self.ps("]");
    }

    fn tcp_options(
        &mut self,
        mut cp: usize,
        mut hlen: u32,
        sack_base: u32,
        flags: u8,
    ) -> Result<OptEnd, Trunc> {
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
                            let (s, e) = (s.wrapping_sub(sack_base), e.wrapping_sub(sack_base));
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
                30 => {
                    let d = len - 2;
                    lencheck!(d);
                    // tcpdump narrows the capture to the option while mptcp_print runs.
                    let saved = self.snap;
                    self.snap = self.snap.min(cp - 2 + len as usize);
                    let ok = self.mptcp(cp - 2, len, flags);
                    self.snap = saved;
                    if !ok? {
                        return Ok(OptEnd::Bad { any });
                    }
                    d
                }
                _ => {
                    // Unknown options print as hex, like tcpdump's default case.
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

impl Printer<'_> {
    /// `ssh_print`: the version banner that opens an SSH connection (RFC 4253 4.2), if the
    /// segment starts with one; nothing otherwise.
    fn ssh(&mut self, bp: usize, len: u32) -> R {
        self.proto = "ssh";
        for (i, &c) in b"SSH-".iter().enumerate() {
            if self.u8(bp + i)? != c {
                return Ok(());
            }
        }
        let len = len as usize;
        let mut idx = 4;
        while idx < len {
            let c = self.u8(bp + idx)?;
            if c == b'\n' {
                break;
            } else if c == b'\r' {
                if idx + 1 >= len || self.u8(bp + idx + 1)? != b'\n' {
                    return Ok(());
                }
                break;
            } else if !(0x20..=0x7e).contains(&c) {
                return Ok(());
            }
            idx += 1;
        }
        if idx >= len {
            return Ok(());
        }
        self.ps(": SSH: ");
        // Checked above: printable ASCII.
        for &b in &self.buf[bp..bp + idx] {
            self.s.push(char::from(b));
        }
        Ok(())
    }
}
