//! `print-bootp.c`: BOOTP and DHCP on UDP 67 and 68, with the RFC 1048 options at -v.

use super::bootp_names::{
    agent_suboption, dhcp_message, hardware_type, netbios_node, overload, tag_name,
};
use super::{Printer, Trunc, R};

/// struct bootp field offsets.
mod at {
    pub const HTYPE: usize = 1;
    pub const HLEN: usize = 2;
    pub const HOPS: usize = 3;
    pub const XID: usize = 4;
    pub const SECS: usize = 8;
    pub const FLAGS: usize = 10;
    pub const CIADDR: usize = 12;
    pub const CHADDR: usize = 28;
    pub const SNAME: usize = 44;
    pub const FILE: usize = 108;
    pub const VEND: usize = 236;
}

const TAG_PAD: u8 = 0;
const TAG_END: u8 = 255;
/// RFC 1048's magic cookie, 99.130.83.99.
const VM_RFC1048: [u8; 4] = [99, 130, 83, 99];

impl Printer<'_> {
    /// `bootp_print`.
    pub(super) fn bootp(&mut self, bp: usize, length: u32) -> R {
        self.proto = "bootp";
        let op = self.u8(bp)?;
        match op {
            1 => self.ps("BOOTP/DHCP, Request"),
            2 => self.ps("BOOTP/DHCP, Reply"),
            _ => self.p(format_args!("BOOTP/DHCP, unknown (0x{op:02x})")),
        }
        let htype = self.u8(bp + at::HTYPE)?;
        let hlen = self.u8(bp + at::HLEN)?;
        let ether = htype == 1 && hlen == 6;
        if ether && op == 1 {
            let mac = self.mac(bp + at::CHADDR)?;
            self.p(format_args!(" from {mac}"));
        }
        self.p(format_args!(", length {length}"));
        if self.verbose == 0 {
            return Ok(());
        }
        if !self.avail(bp + at::SECS, 2) {
            self.trunc_here();
            return Ok(());
        }
        if htype != 1 {
            self.p(format_args!(", htype {htype}"));
        }
        if !ether {
            self.p(format_args!(", hlen {hlen}"));
        }
        let hops = self.u8(bp + at::HOPS)?;
        if hops != 0 {
            self.p(format_args!(", hops {hops}"));
        }
        let xid = self.u32(bp + at::XID)?;
        if xid != 0 {
            self.p(format_args!(", xid 0x{xid:x}"));
        }
        let secs = self.u16(bp + at::SECS)?;
        if secs != 0 {
            self.p(format_args!(", secs {secs}"));
        }
        let flags = self.u16(bp + at::FLAGS)?;
        let names = if flags & 0x8000 != 0 {
            "Broadcast"
        } else {
            "none"
        };
        self.p(format_args!(", Flags [{names}]"));
        if self.verbose > 1 {
            self.p(format_args!(" (0x{flags:04x})"));
        }
        for (i, label) in ["Client-IP", "Your-IP", "Server-IP", "Gateway-IP"]
            .iter()
            .enumerate()
        {
            let off = bp + at::CIADDR + 4 * i;
            if self.u32(off)? != 0 {
                let a = self.addr(off, 4)?;
                self.p(format_args!("\n\t  {label} {a}"));
            }
        }
        if ether {
            let mac = self.mac(bp + at::CHADDR)?;
            self.p(format_args!("\n\t  Client-Ethernet-Address {mac}"));
        }
        for (off, size, label) in [(at::SNAME, 64, "sname"), (at::FILE, 128, "file")] {
            if self.u8(bp + off)? != 0 {
                self.p(format_args!("\n\t  {label} \""));
                if !self.printztn(bp + off, size)? {
                    self.ps("\"");
                    self.trunc_here();
                    return Ok(());
                }
                self.ps("\"");
            }
        }
        let vend = bp + at::VEND;
        if !self.avail(vend, 4) {
            self.trunc_here();
            return Ok(());
        }
        let cookie = self.bytes(vend, 4)?;
        if cookie == VM_RFC1048 {
            self.rfc1048(vend)
        } else if cookie == b"CMU\0" {
            self.cmu(vend)
        } else {
            let ul = self.u32(vend)?;
            if ul != 0 {
                self.p(format_args!("\n\t  Vendor-#0x{ul:x}"));
            }
            Ok(())
        }
    }

    /// `cmu_print`: the CMU vendor area.
    fn cmu(&mut self, bp: usize) -> R {
        self.ps(" vend-cmu");
        if !self.avail(bp + 4, 4) {
            self.trunc_here();
            return Ok(());
        }
        // tcpdump reads the first byte of the 32-bit flags field.
        let flags = self.u8(bp + 4)?;
        if flags & !1 != 0 {
            self.p(format_args!(" F:0x{flags:x}"));
        }
        let sm = if flags & 1 != 0 { "SM" } else { "SM*" };
        for (off, label) in [
            (12, "DG"),
            (8, sm),
            (16, "NS1"),
            (20, "NS2"),
            (24, "IEN1"),
            (28, "IEN2"),
            (32, "TS1"),
            (36, "TS2"),
        ] {
            if !self.avail(bp + off, 4) {
                self.trunc_here();
                return Ok(());
            }
            if self.u32(bp + off)? != 0 {
                let a = self.addr(bp + off, 4)?;
                self.p(format_args!(" {label}:{a}"));
            }
        }
        Ok(())
    }

    fn mac(&self, off: usize) -> Result<String, Trunc> {
        let b = self.bytes(off, 6)?;
        Ok(b.iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(":"))
    }

    /// `nd_printztn`: a NUL-terminated string in a field of `n` bytes; `false` when it has no
    /// NUL there or the capture ends first.
    fn printztn(&mut self, mut s: usize, mut n: usize) -> Result<bool, Trunc> {
        loop {
            if n == 0 || s >= self.snap {
                return Ok(false);
            }
            let c = self.u8(s)?;
            s += 1;
            n -= 1;
            if c == 0 {
                return Ok(true);
            }
            self.print_char(c);
        }
    }

    /// `rfc1048_print`: the options after the magic cookie.
    fn rfc1048(&mut self, mut bp: usize) -> R {
        self.ps("\n\t  Vendor-rfc1048 Extensions");
        let cookie = self.u32(bp)?;
        self.p(format_args!("\n\t    Magic Cookie 0x{cookie:08x}"));
        bp += 4;
        while self.avail(bp, 1) {
            let tag = self.u8(bp)?;
            bp += 1;
            if tag == TAG_PAD && self.verbose < 3 {
                continue;
            }
            if tag == TAG_END && self.verbose < 3 {
                return Ok(());
            }
            let full = tag_name(tag).unwrap_or("?Unknown");
            let mut c = full.as_bytes()[0];
            let name = &full[1..];
            let mut len = if tag == TAG_PAD || tag == TAG_END {
                0usize
            } else {
                let l = usize::from(self.u8(bp)?);
                bp += 1;
                l
            };
            let colon = if len > 0 { ": " } else { "" };
            self.p(format_args!("\n\t    {name} ({tag}), length {len}{colon}"));
            if tag == TAG_PAD && self.verbose > 2 {
                let mut ntag = 1;
                while self.avail(bp, 1) && self.u8(bp)? == TAG_PAD {
                    bp += 1;
                    ntag += 1;
                }
                if ntag > 1 {
                    self.p(format_args!(", occurs {ntag}"));
                }
            }
            if !self.avail(bp, len) {
                self.trunc_here();
                return Ok(());
            }
            if tag == 53 && len == 1 {
                let m = self.u8(bp)?;
                match dhcp_message(m) {
                    Some(n) => self.ps(n),
                    None => self.p(format_args!("Unknown ({m})")),
                }
                bp += 1;
                continue;
            }
            if tag == 55 {
                for idx in 0..len {
                    let inner = self.u8(bp)?;
                    bp += 1;
                    let n = &tag_name(inner).unwrap_or("?Unknown")[1..];
                    self.ps(if idx % 4 == 0 { "\n\t      " } else { ", " });
                    self.p(format_args!("{n} ({inner})"));
                }
                continue;
            }
            if c == b'?' {
                c = if len & 1 != 0 {
                    b'b'
                } else if len & 2 != 0 {
                    b's'
                } else {
                    b'l'
                };
            }
            let mut first = true;
            match c {
                b'a' => {
                    self.ps("\"");
                    if !self.printn_str(bp, len)? {
                        self.ps("\"");
                        self.trunc_here();
                        return Ok(());
                    }
                    self.ps("\"");
                    bp += len;
                    len = 0;
                }
                b'i' | b'l' | b'L' => {
                    while len >= 4 {
                        if !first {
                            self.ps(",");
                        }
                        match c {
                            b'i' => {
                                let a = self.addr(bp, 4)?;
                                self.p(format_args!("{a}"));
                            }
                            b'L' => {
                                let v = self.u32(bp)? as i32;
                                self.p(format_args!("{v}"));
                            }
                            _ => {
                                let v = self.u32(bp)?;
                                self.p(format_args!("{v}"));
                            }
                        }
                        bp += 4;
                        len -= 4;
                        first = false;
                    }
                }
                b'p' => {
                    while len >= 8 {
                        if !first {
                            self.ps(",");
                        }
                        let (a, b) = (self.addr(bp, 4)?, self.addr(bp + 4, 4)?);
                        self.p(format_args!("({a}:{b})"));
                        bp += 8;
                        len -= 8;
                        first = false;
                    }
                }
                b's' => {
                    while len >= 2 {
                        if !first {
                            self.ps(",");
                        }
                        let v = self.u16(bp)?;
                        self.p(format_args!("{v}"));
                        bp += 2;
                        len -= 2;
                        first = false;
                    }
                }
                b'B' => {
                    while len > 0 {
                        if !first {
                            self.ps(",");
                        }
                        match self.u8(bp)? {
                            0 => self.ps("N"),
                            1 => self.ps("Y"),
                            v => self.p(format_args!("{v}?")),
                        }
                        bp += 1;
                        len -= 1;
                        first = false;
                    }
                }
                b'$' => {
                    let (next, left) = self.dhcp_special(tag, bp, len)?;
                    let Some(next) = next else {
                        self.trunc_here();
                        return Ok(());
                    };
                    bp = next;
                    len = left;
                }
                _ => {
                    while len > 0 {
                        if !first {
                            self.ps(if c == b'x' { ":" } else { "." });
                        }
                        let v = self.u8(bp)?;
                        if c == b'x' {
                            self.p(format_args!("{v:02x}"));
                        } else {
                            self.p(format_args!("{v}"));
                        }
                        bp += 1;
                        len -= 1;
                        first = false;
                    }
                }
            }
            if len > 0 {
                self.p(format_args!("\n\t  trailing data length {len}"));
                bp += len;
            }
        }
        Ok(())
    }

    /// `nd_printn` for option text; `false` when the capture ends first.
    fn printn_str(&mut self, mut cp: usize, mut n: usize) -> Result<bool, Trunc> {
        while n > 0 && cp < self.snap {
            n -= 1;
            let ch = self.u8(cp)?;
            cp += 1;
            self.print_char(ch);
        }
        Ok(n == 0)
    }

    /// The options `tag2str` marks `$`; returns the offset after what was read (`None`: the
    /// text ran past the capture) and the length left over.
    fn dhcp_special(
        &mut self,
        tag: u8,
        mut bp: usize,
        mut len: usize,
    ) -> Result<(Option<usize>, usize), Trunc> {
        match tag {
            46 | 52 => {
                if len < 1 {
                    self.ps("[ERROR: length < 1 bytes]");
                } else {
                    let v = self.u8(bp)?;
                    bp += 1;
                    len -= 1;
                    let n = if tag == 46 {
                        netbios_node(v)
                    } else {
                        overload(v)
                    };
                    self.ps(n.unwrap_or("#"));
                }
            }
            81 => {
                if len < 3 {
                    self.ps("[ERROR: length < 3 bytes]");
                    return Ok((Some(bp + len), 0));
                }
                let f = self.u8(bp)?;
                if f & 0xf0 != 0 {
                    self.p(format_args!(
                        "[ERROR: MBZ nibble 0x{:x} != 0] ",
                        (f & 0xf0) >> 4
                    ));
                }
                if f & 0x0f != 0 {
                    let flags: String = [(1, 'S'), (2, 'O'), (4, 'E'), (8, 'N')]
                        .iter()
                        .filter(|(b, _)| f & b != 0)
                        .map(|&(_, c)| c)
                        .collect();
                    self.p(format_args!("[{flags}] "));
                }
                bp += 1;
                let (r1, r2) = (self.u8(bp)?, self.u8(bp + 1)?);
                if r1 != 0 || r2 != 0 {
                    self.p(format_args!("{r1}/{r2} "));
                }
                bp += 2;
                self.ps("\"");
                if !self.printn_str(bp, len - 3)? {
                    self.ps("\"");
                    return Ok((None, 0));
                }
                self.ps("\"");
                return Ok((Some(bp + len - 3), 0));
            }
            61 => {
                if len < 1 {
                    self.ps("[ERROR: length < 1 bytes]");
                    return Ok((Some(bp), len));
                }
                let ty = self.u8(bp)?;
                bp += 1;
                len -= 1;
                if ty == 0 {
                    self.ps("\"");
                    if !self.printn_str(bp, len)? {
                        self.ps("\"");
                        return Ok((None, 0));
                    }
                    self.ps("\"");
                    return Ok((Some(bp + len), 0));
                }
                match hardware_type(ty) {
                    Some(n) => self.p(format_args!("{n} ")),
                    None => self.p(format_args!("hardware-type {ty}, ")),
                }
                let mut first = true;
                while len > 0 {
                    if !first {
                        self.ps(":");
                    }
                    let b = self.u8(bp)?;
                    self.p(format_args!("{b:02x}"));
                    bp += 1;
                    len -= 1;
                    first = false;
                }
            }
            82 => {
                while len >= 2 {
                    let sub = self.u8(bp)?;
                    let sublen = usize::from(self.u8(bp + 1)?);
                    bp += 2;
                    len -= 2;
                    let name = agent_suboption(sub).unwrap_or("Unknown");
                    if sublen > len {
                        self.p(format_args!(
                            "\n\t      {name} SubOption {sub}, length {sublen}: length goes past end of option"
                        ));
                        return Ok((Some(bp + len), 0));
                    }
                    self.p(format_args!(
                        "\n\t      {name} SubOption {sub}, length {sublen}: "
                    ));
                    match sub {
                        1 | 2 | 6 => {
                            if !self.printn_str(bp, sublen)? {
                                return Ok((None, 0));
                            }
                        }
                        _ => self.unknown_data(bp, sublen, "\n\t\t"),
                    }
                    len -= sublen;
                    bp += sublen;
                }
            }
            121 | 249 => {
                if len < 5 {
                    self.ps("[ERROR: length < 5 bytes]");
                    return Ok((Some(bp + len), 0));
                }
                let mut first = true;
                while len > 0 {
                    if !first {
                        self.ps(",");
                    }
                    let width = usize::from(self.u8(bp)?);
                    bp += 1;
                    len -= 1;
                    if width > 32 {
                        self.p(format_args!("[ERROR: Mask width ({width}) > 32]"));
                        return Ok((Some(bp + len), 0));
                    }
                    let octets = width.div_ceil(8);
                    if len < octets + 4 {
                        self.p(format_args!(
                            "[ERROR: Remaining length ({len}) < {} bytes]",
                            octets + 4
                        ));
                        return Ok((Some(bp + len), 0));
                    }
                    self.ps("(");
                    if width == 0 {
                        self.ps("default");
                    } else {
                        for i in 0..octets {
                            if i > 0 {
                                self.ps(".");
                            }
                            let o = self.u8(bp)?;
                            self.p(format_args!("{o}"));
                            bp += 1;
                        }
                        for _ in octets..4 {
                            self.ps(".0");
                        }
                        self.p(format_args!("/{width}"));
                    }
                    let gw = self.addr(bp, 4)?;
                    self.p(format_args!(":{gw})"));
                    bp += 4;
                    len -= octets + 4;
                    first = false;
                }
            }
            77 => {
                if len < 2 {
                    self.ps("[ERROR: length < 2 bytes]");
                    return Ok((Some(bp + len), 0));
                }
                let mut n = 1;
                while len > 0 {
                    let sublen = usize::from(self.u8(bp)?);
                    bp += 1;
                    len -= 1;
                    self.p(format_args!("\n\t      instance#{n}: "));
                    if sublen == 0 {
                        self.ps("[ERROR: suboption length must be non-zero]");
                        return Ok((Some(bp + len), 0));
                    }
                    if len < sublen {
                        self.ps("[ERROR: invalid option]");
                        return Ok((Some(bp + len), 0));
                    }
                    self.ps("\"");
                    if !self.printn_str(bp, sublen)? {
                        self.ps("\"");
                        return Ok((None, 0));
                    }
                    self.p(format_args!("\", length {sublen}"));
                    n += 1;
                    len -= sublen;
                    bp += sublen;
                }
            }
            _ => {
                self.p(format_args!("[unknown special tag {tag}, size {len}]"));
                return Ok((Some(bp + len), 0));
            }
        }
        Ok((Some(bp), len))
    }
}
