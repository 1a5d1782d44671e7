//! `print-domain.c`: DNS and mDNS messages (UDP 53 and 5353, TCP 53).
//!
//! tcpdump's helpers return NULL where the message stops making sense (`goto trunc`: the
//! ` [|domain]` marker, then nothing more) and longjmp where a field is not captured; here
//! `Ok(None)` is the first and `Err(Trunc)` the second.

use super::domain_names::{algorithm_name, edns_option_name, ClassName, Rcode, TypeName, NS_OPS};
use super::{Printer, Trunc, R};

type Next = Result<Option<usize>, Trunc>;

const T_A: u16 = 1;
const T_OPT: u16 = 41;
const C_IN: u16 = 1;
/// mDNS: the top bit of a question's class asks for a unicast answer, of an answer's class
/// says to flush the cache.
const C_TOP_BIT: u16 = 0x8000;
const MAXCDNAME: u32 = 255;

impl Printer<'_> {
    /// `domain_print`: `bp` is the message (after TCP's length prefix is checked).
    pub(super) fn domain(
        &mut self,
        mut bp: usize,
        mut length: u32,
        over_tcp: bool,
        mdns: bool,
    ) -> R {
        self.proto = "domain";
        if over_tcp {
            if length < 2 {
                self.p(format_args!(
                    " [DNS over TCP: length {length} < 2] (invalid)"
                ));
                return Ok(());
            }
            length -= 2;
            let prefix = self.u16(bp)?;
            if u32::from(prefix) != length {
                self.p(format_args!(
                    " [prefix length({prefix}) != length({length})] (invalid)"
                ));
                return Ok(());
            }
            bp += 2;
            self.ps(" ");
        }
        if length < 12 {
            self.p(format_args!("domain [length {length} < 12] (invalid)"));
            return Ok(());
        }
        if !self.avail(bp, 12) {
            self.trunc_here();
            return Ok(());
        }
        let flags = self.u16(bp + 2)?;
        let qd = u32::from(self.u16(bp + 4)?);
        let mut an = u32::from(self.u16(bp + 6)?);
        let mut ns = u32::from(self.u16(bp + 8)?);
        let mut ar = u32::from(self.u16(bp + 10)?);
        let rcode = self.extended_rcode(bp, flags, qd, an, ns, ar)?;
        let id = self.u16(bp)?;
        let opcode = usize::from((flags >> 11) & 0xf);
        let first = bp + 12;
        let done = if flags & 0x8000 != 0 {
            self.p(format_args!(
                "{id}{}{}{}{}{}{}",
                NS_OPS[opcode],
                Rcode(rcode),
                if flags & 0x0400 != 0 { "*" } else { "" },
                if flags & 0x0080 != 0 { "" } else { "-" },
                if flags & 0x0200 != 0 { "|" } else { "" },
                if flags & 0x0020 != 0 { "$" } else { "" },
            ));
            if qd != 1 {
                self.p(format_args!(" [{qd}q]"));
            }
            let mut cp = first;
            let mut ok = true;
            for i in 0..qd {
                if i != 0 {
                    self.ps(",");
                }
                let next = if self.verbose > 1 {
                    self.ps(" q:");
                    self.ns_qprint(cp, bp, mdns)?
                } else {
                    self.ns_nskip(cp)?.map(|c| c + 4)
                };
                match next {
                    Some(c) => cp = c,
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            ok && {
                self.p(format_args!(" {an}/{ns}/{ar}"));
                self.records(&mut cp, bp, mdns, &mut an, "")?
                    && (self.verbose < 2
                        || self.records(&mut cp, bp, mdns, &mut ns, " ns:")?
                            && self.records(&mut cp, bp, mdns, &mut ar, " ar:")?)
            }
        } else {
            self.p(format_args!(
                "{id}{}{}{}",
                NS_OPS[opcode],
                if flags & 0x0100 != 0 { "+" } else { "" },
                if flags & 0x0010 != 0 { "%" } else { "" },
            ));
            if flags & 0x6cf != 0 {
                self.p(format_args!(" [b2&3=0x{flags:x}]"));
            }
            if opcode == 1 {
                if qd != 0 {
                    self.p(format_args!(" [{qd}q]"));
                }
                if an != 1 {
                    self.p(format_args!(" [{an}a]"));
                }
            } else {
                if an != 0 {
                    self.p(format_args!(" [{an}a]"));
                }
                if qd != 1 {
                    self.p(format_args!(" [{qd}q]"));
                }
            }
            if ns != 0 {
                self.p(format_args!(" [{ns}n]"));
            }
            if ar != 0 {
                self.p(format_args!(" [{ar}au]"));
            }
            let mut cp = first;
            let mut qd = qd;
            let mut ok = true;
            let mut first_question = true;
            // The first question prints even past the capture end; later ones only before it.
            while qd > 0 && (first_question || cp < self.snap) {
                first_question = false;
                match self.ns_qprint(cp, bp, mdns)? {
                    Some(c) => cp = c,
                    None => {
                        ok = false;
                        break;
                    }
                }
                qd -= 1;
            }
            ok && qd == 0
                && (self.verbose < 2
                    || self.records(&mut cp, bp, mdns, &mut an, "")?
                        && self.records(&mut cp, bp, mdns, &mut ns, " ns:")?
                        && self.records(&mut cp, bp, mdns, &mut ar, " ar:")?)
        };
        if done {
            self.p(format_args!(" ({length})"));
        } else {
            self.trunc_here();
        }
        Ok(())
    }

    /// One section of resource records, comma separated after `label`; `false` means
    /// tcpdump's `goto trunc`. The answer section prints its first record even past the
    /// capture end (tcpdump's loop tests the end only before the later ones).
    fn records(
        &mut self,
        cp: &mut usize,
        bp: usize,
        mdns: bool,
        count: &mut u32,
        label: &str,
    ) -> Result<bool, Trunc> {
        if *count == 0 {
            return Ok(true);
        }
        if !label.is_empty() {
            if *cp >= self.snap {
                return Ok(false);
            }
            self.ps(label);
        }
        let mut first = true;
        while *count > 0 && (first || *cp < self.snap) {
            if !first {
                self.ps(",");
            }
            first = false;
            match self.ns_rprint(*cp, bp, mdns)? {
                Some(next) => *cp = next,
                None => return Ok(false),
            }
            *count -= 1;
        }
        Ok(*count == 0)
    }

    /// The rcode, with the high bits an OPT record in the additional section carries.
    fn extended_rcode(
        &mut self,
        bp: usize,
        flags: u16,
        qd: u32,
        an: u32,
        ns: u32,
        ar: u32,
    ) -> Result<u16, Trunc> {
        let mut rcode = flags & 0xf;
        let mut cp = bp + 12;
        for _ in 0..qd {
            let Some(c) = self.ns_nskip(cp)? else {
                return Ok(rcode);
            };
            cp = c + 4;
            if cp >= self.snap {
                return Ok(rcode);
            }
        }
        for _ in 0..an.saturating_add(ns) {
            let Some(c) = self.ns_nskip(cp)? else {
                return Ok(rcode);
            };
            cp = c + 8;
            if cp + 2 > self.snap {
                return Ok(rcode);
            }
            cp += 2 + usize::from(self.u16(cp)?);
            if cp >= self.snap {
                return Ok(rcode);
            }
        }
        for _ in 0..ar {
            let Some(c) = self.ns_nskip(cp)? else {
                return Ok(rcode);
            };
            cp = c;
            if cp + 2 > self.snap {
                return Ok(rcode);
            }
            let ty = self.u16(cp)?;
            cp += 4;
            if cp + 1 > self.snap {
                return Ok(rcode);
            }
            if ty == T_OPT {
                rcode |= u16::from(self.u8(cp)?) << 4;
                return Ok(rcode);
            }
            cp += 4;
            if cp + 2 > self.snap {
                return Ok(rcode);
            }
            cp += 2 + usize::from(self.u16(cp)?);
            if cp >= self.snap {
                return Ok(rcode);
            }
        }
        Ok(rcode)
    }

    /// `ns_nskip`: the offset after a name, without printing it.
    fn ns_nskip(&self, mut cp: usize) -> Next {
        if !self.avail(cp, 1) {
            return Ok(None);
        }
        let mut i = self.u8(cp)?;
        cp += 1;
        while i != 0 {
            match i & 0xc0 {
                0xc0 => return Ok(Some(cp + 1)),
                0x40 => {
                    if i & 0x3f != 1 || !self.avail(cp, 1) {
                        return Ok(None);
                    }
                    let mut bitlen = usize::from(self.u8(cp)?);
                    if bitlen == 0 {
                        bitlen = 256;
                    }
                    cp += 1 + bitlen.div_ceil(8);
                }
                0x80 => return Ok(None),
                _ => cp += usize::from(i),
            }
            if !self.avail(cp, 1) {
                return Ok(None);
            }
            i = self.u8(cp)?;
            cp += 1;
        }
        Ok(Some(cp))
    }

    /// `labellen`: the length of the label at `cp`, or `None` (after a note) when unusable.
    fn labellen(&mut self, cp: usize) -> Result<Option<usize>, Trunc> {
        if !self.avail(cp, 1) {
            return Ok(None);
        }
        let i = self.u8(cp)?;
        match i & 0xc0 {
            0x40 => {
                let elt = i & 0x3f;
                if elt != 1 {
                    self.p(format_args!("<ELT {elt}>"));
                    return Ok(None);
                }
                if !self.avail(cp + 1, 1) {
                    return Ok(None);
                }
                let mut bitlen = usize::from(self.u8(cp + 1)?);
                if bitlen == 0 {
                    bitlen = 256;
                }
                Ok(Some(bitlen.div_ceil(8) + 1))
            }
            0x80 => {
                self.ps("<BAD LABEL TYPE>");
                Ok(None)
            }
            _ => Ok(Some(usize::from(i))),
        }
    }

    /// `blabel_print`: an RFC 2673 bit-string label.
    fn blabel_print(&mut self, cp: usize) -> Next {
        if !self.avail(cp, 1) {
            return Ok(None);
        }
        let mut bitlen = u32::from(self.u8(cp)?);
        if bitlen == 0 {
            bitlen = 256;
        }
        let slen = (bitlen as usize).div_ceil(4);
        let lim = cp + 1 + slen;
        self.ps("\\[x");
        let mut bitp = cp + 1;
        let mut b = bitlen;
        while bitp < lim && b > 7 {
            let x = self.u8(bitp)?;
            self.p(format_args!("{x:02x}"));
            b -= 8;
            bitp += 1;
        }
        if b > 4 {
            let tc = self.u8(bitp)?;
            self.p(format_args!("{:02x}", tc & (0xffu8 << (8 - b))));
        } else if b > 0 {
            let tc = self.u8(bitp)?;
            self.p(format_args!(
                "{:1x}",
                ((tc >> 4) & 0x0f) & (0x0f << (4 - b))
            ));
        }
        self.p(format_args!("/{bitlen}]"));
        Ok(Some(lim))
    }

    /// `fqdn_print`: a possibly compressed name; returns the offset after it where it started.
    pub(super) fn fqdn_print(&mut self, mut cp: usize, bp: usize) -> Next {
        let Some(mut l) = self.labellen(cp)? else {
            return Ok(None);
        };
        if !self.avail(cp, 1) {
            return Ok(None);
        }
        let mut max_offset = cp.wrapping_sub(bp);
        let mut i = self.u8(cp)?;
        cp += 1;
        let mut compress = false;
        // tcpdump's `rp` starts NULL: a pointer the capture cuts before its second byte
        // leaves it so, and the name counts as truncated.
        let mut rp = None;
        if i & 0xc0 != 0xc0 {
            rp = Some(cp + l);
        }
        if i == 0 {
            self.ps(".");
            return Ok(rp);
        }
        let mut name_chars = 0u32;
        while i != 0 && cp < self.snap {
            match i & 0xc0 {
                0xc0 => {
                    if !compress {
                        rp = Some(cp + 1);
                        compress = true;
                    }
                    if !self.avail(cp, 1) {
                        return Ok(None);
                    }
                    let offset = ((usize::from(i) << 8) | usize::from(self.u8(cp)?)) & 0x3fff;
                    // Pointers must go backwards, as BIND requires: no loops.
                    if offset >= max_offset {
                        self.ps("<BAD PTR>");
                        return Ok(None);
                    }
                    max_offset = offset;
                    cp = bp + offset;
                    if !self.avail(cp, 1) {
                        return Ok(None);
                    }
                    i = self.u8(cp)?;
                    let Some(len) = self.labellen(cp)? else {
                        return Ok(None);
                    };
                    l = len;
                    cp += 1;
                    continue;
                }
                0x40 => {
                    let elt = i & 0x3f;
                    if elt != 1 {
                        self.p(format_args!("<ELT {elt}>"));
                        return Ok(None);
                    }
                    if self.blabel_print(cp)?.is_none() {
                        return Ok(None);
                    }
                }
                0x80 => {
                    self.ps("<BAD LABEL TYPE>");
                    return Ok(None);
                }
                _ => {
                    let l32 = l as u32;
                    let n = if name_chars + l32 <= MAXCDNAME {
                        Some(l)
                    } else if name_chars < MAXCDNAME {
                        Some((MAXCDNAME - name_chars) as usize)
                    } else {
                        None
                    };
                    if let Some(n) = n {
                        if !self.printn(cp, n)? {
                            return Ok(None);
                        }
                    }
                    name_chars += l32;
                }
            }
            cp += l;
            if name_chars <= MAXCDNAME {
                self.ps(".");
            }
            name_chars += 1;
            if !self.avail(cp, 1) {
                return Ok(None);
            }
            i = self.u8(cp)?;
            let Some(len) = self.labellen(cp)? else {
                return Ok(None);
            };
            l = len;
            cp += 1;
            if !compress {
                rp = rp.map(|r| r + l + 1);
            }
        }
        if name_chars > MAXCDNAME {
            self.ps("<DOMAIN NAME TOO LONG>");
        }
        Ok(rp)
    }

    /// `nd_printn`: `n` bytes as `cat -v` shows them; `false` when the capture ends first.
    fn printn(&mut self, mut cp: usize, mut n: usize) -> Result<bool, Trunc> {
        while n > 0 && cp < self.snap {
            n -= 1;
            let c = self.u8(cp)?;
            cp += 1;
            self.print_char(c);
        }
        Ok(n == 0)
    }

    /// `ns_qprint`: ` TYPE[ CLASS][ (QU)]? name`.
    fn ns_qprint(&mut self, cp: usize, bp: usize, mdns: bool) -> Next {
        let Some(after) = self.ns_nskip(cp)? else {
            return Ok(None);
        };
        if !self.avail(after, 4) {
            return Ok(None);
        }
        let ty = self.u16(after)?;
        self.p(format_args!(" {}", TypeName(ty)));
        let raw = self.u16(after + 2)?;
        let class = if mdns { raw & !C_TOP_BIT } else { raw };
        if class != C_IN {
            self.p(format_args!(" {}", ClassName(class)));
        }
        if mdns {
            self.ps(if raw & C_TOP_BIT != 0 {
                " (QU)"
            } else {
                " (QM)"
            });
        }
        self.ps("? ");
        Ok(self.fqdn_print(cp, bp)?.map(|c| c + 4))
    }

    /// `ns_rprint`: one resource record.
    fn ns_rprint(&mut self, cp: usize, bp: usize, mdns: bool) -> Next {
        let cp = if self.verbose > 0 {
            self.ps(" ");
            match self.fqdn_print(cp, bp)? {
                Some(c) => Some(c),
                None => return Ok(None),
            }
        } else {
            self.ns_nskip(cp)?
        };
        let Some(mut cp) = cp.filter(|&c| self.avail(c, 10)) else {
            return Ok(Some(self.snap));
        };
        let typ = self.u16(cp)?;
        let raw = self.u16(cp + 2)?;
        cp += 4;
        let class = if mdns { raw & !C_TOP_BIT } else { raw };
        if class != C_IN && typ != T_OPT {
            self.p(format_args!(" {}", ClassName(class)));
        }
        if mdns && raw & C_TOP_BIT != 0 {
            self.ps(" (Cache flush)");
        }
        let mut opt_flags = 0;
        if typ == T_OPT {
            opt_flags = self.u16(cp + 2)?;
        } else if self.verbose > 2 {
            let ttl = self.u32(cp)?;
            self.ps(" [");
            self.relts(ttl);
            self.ps("]");
        }
        cp += 4;
        let len = usize::from(self.u16(cp)?);
        cp += 2;
        let rp = cp + len;
        self.p(format_args!(" {}", TypeName(typ)));
        if rp > self.snap {
            return Ok(None);
        }
        match typ {
            T_A => {
                if !self.avail(cp, 4) {
                    return Ok(None);
                }
                let a = self.addr(cp, 4)?;
                self.p(format_args!(" {a}"));
            }
            // NS, CNAME, PTR, DNAME
            2 | 5 | 12 | 39 => {
                self.ps(" ");
                if self.fqdn_print(cp, bp)?.is_none() {
                    return Ok(None);
                }
            }
            6 => {
                if self.verbose == 0 {
                    return Ok(Some(rp));
                }
                self.ps(" ");
                let Some(c) = self.fqdn_print(cp, bp)? else {
                    return Ok(None);
                };
                self.ps(" ");
                let Some(c) = self.fqdn_print(c, bp)? else {
                    return Ok(None);
                };
                if !self.avail(c, 20) {
                    return Ok(None);
                }
                for k in 0..5 {
                    let v = self.u32(c + 4 * k)?;
                    self.p(format_args!(" {v}"));
                }
            }
            15 => {
                self.ps(" ");
                if !self.avail(cp, 2) {
                    return Ok(None);
                }
                if self.fqdn_print(cp + 2, bp)?.is_none() {
                    return Ok(None);
                }
                let pref = self.u16(cp)?;
                self.p(format_args!(" {pref}"));
            }
            16 => {
                let mut c = cp;
                while c < rp {
                    self.ps(" \"");
                    if !self.avail(c, 1) {
                        return Ok(None);
                    }
                    let n = usize::from(self.u8(c)?);
                    if !self.printn(c + 1, n)? {
                        return Ok(None);
                    }
                    c += 1 + n;
                    self.ps("\"");
                }
            }
            33 => {
                self.ps(" ");
                if !self.avail(cp, 6) {
                    return Ok(None);
                }
                if self.fqdn_print(cp + 6, bp)?.is_none() {
                    return Ok(None);
                }
                let (port, prio, weight) = (self.u16(cp + 4)?, self.u16(cp)?, self.u16(cp + 2)?);
                self.p(format_args!(":{port} {prio} {weight}"));
            }
            28 => {
                if !self.avail(cp, 16) {
                    return Ok(None);
                }
                let a = self.addr(cp, 16)?;
                self.p(format_args!(" {a}"));
            }
            38 => {
                if !self.avail(cp, 1) {
                    return Ok(None);
                }
                let pbit = usize::from(self.u8(cp)?);
                let pbyte = (pbit & !7) / 8;
                if pbit > 128 {
                    self.p(format_args!(" {pbit}(bad plen)"));
                    return Ok(Some(rp));
                } else if pbit < 128 {
                    let mut a = [0u8; 16];
                    a[pbyte..].copy_from_slice(self.bytes(cp + 1, 16 - pbyte)?);
                    self.p(format_args!(" {pbit} {}", crate::addr::AddrFmt(&a)));
                }
                if pbit > 0 {
                    self.ps(" ");
                    if self.fqdn_print(cp + 1 + 16 - pbyte, bp)?.is_none() {
                        return Ok(None);
                    }
                }
            }
            256 => {
                if !self.avail(cp, len) {
                    return Ok(None);
                }
                let (prio, weight) = (self.u16(cp)?, self.u16(cp + 2)?);
                self.p(format_args!(" {prio} {weight} "));
                if !self.printn(cp + 4, len.wrapping_sub(4))? {
                    return Ok(None);
                }
            }
            T_OPT => {
                self.p(format_args!(" UDPsize={class}"));
                if opt_flags & 0x8000 != 0 {
                    self.ps(" DO");
                }
                if cp < rp {
                    self.ps(" [");
                    let mut c = cp;
                    while c < rp {
                        let Some(next) = self.edns_option(c)? else {
                            return Ok(None);
                        };
                        c = next;
                        if c < rp {
                            self.ps(",");
                        }
                    }
                    self.ps("]");
                }
            }
            // UNSPECA: one long string.
            104 if !self.avail(cp, len) || !self.printn(cp, len)? => return Ok(None),
            250 => {
                if self.verbose == 0 {
                    return Ok(Some(rp));
                }
                self.ps(" ");
                let Some(mut c) = self.fqdn_print(cp, bp)? else {
                    return Ok(None);
                };
                c += 6;
                for (k, name) in ["fudge", "maclen", "origid", "error", "otherlen"]
                    .into_iter()
                    .enumerate()
                {
                    if !self.avail(c, 2) {
                        return Ok(None);
                    }
                    let v = self.u16(c)?;
                    self.p(format_args!(" {name}={v}"));
                    c += 2 + if k == 1 { usize::from(v) } else { 0 };
                }
            }
            _ => {}
        }
        Ok(Some(rp))
    }

    /// `unsigned_relts_print`: seconds as `1w2d3h4m5s`.
    pub(super) fn relts(&mut self, mut secs: u32) {
        if secs == 0 {
            self.ps("0s");
            return;
        }
        for (unit, name) in [
            (31_536_000, "y"),
            (604_800, "w"),
            (86_400, "d"),
            (3600, "h"),
            (60, "m"),
            (1, "s"),
        ] {
            if secs >= unit {
                self.p(format_args!("{}{name}", secs / unit));
                secs %= unit;
            }
        }
    }

    /// `eopt_print`: one EDNS option of an OPT record.
    fn edns_option(&mut self, mut cp: usize) -> Next {
        if !self.avail(cp, 2) {
            return Ok(None);
        }
        let opt = self.u16(cp)?;
        cp += 2;
        match edns_option_name(opt) {
            Some(n) => self.ps(n),
            None => self.p(format_args!("Opt{opt}")),
        }
        if !self.avail(cp, 2) {
            return Ok(None);
        }
        let len = usize::from(self.u16(cp)?);
        cp += 2;
        if !self.avail(cp, len) {
            return Ok(None);
        }
        if len == 0 {
            return Ok(Some(cp));
        }
        self.ps(" ");
        let data = self.bytes(cp, len)?;
        match opt {
            8 => self.edns_client_subnet(data),
            10 => {
                if len < 8 || (len > 8 && len < 16) || len > 40 {
                    self.ps(" (invalid)");
                } else {
                    for (i, b) in data.iter().enumerate() {
                        if i == 8 {
                            self.ps(" ");
                        }
                        self.p(format_args!("{b:02x}"));
                    }
                }
            }
            11 => {
                if len != 2 {
                    self.ps(" (invalid)");
                } else {
                    let v = u16::from_be_bytes([data[0], data[1]]);
                    self.p(format_args!("{:.1} sec", f64::from(v) / 10.0));
                }
            }
            9 => {
                if len != 4 {
                    self.ps(" (invalid)");
                } else {
                    let v = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
                    self.p(format_args!("{v} sec"));
                }
            }
            12 => self.p(format_args!("({len})")),
            14 => {
                if len % 2 != 0 {
                    self.ps(" (invalid)");
                } else {
                    for (i, w) in data.chunks(2).enumerate() {
                        if i > 0 {
                            self.ps(" ");
                        }
                        self.p(format_args!("{}", u16::from_be_bytes([w[0], w[1]])));
                    }
                }
            }
            5..=7 => {
                for (i, &alg) in data.iter().enumerate() {
                    if i > 0 {
                        self.ps(" ");
                    }
                    match algorithm_name(opt, alg) {
                        Some(n) => self.ps(n),
                        None => self.p(format_args!("Alg_{alg}")),
                    }
                }
            }
            13 => {
                // tcpdump passes the option's end as the message start: no pointer can work.
                let _ = self.fqdn_print(cp, cp + len)?;
            }
            _ => {
                for b in data {
                    self.p(format_args!("{b:02x}"));
                }
            }
        }
        Ok(Some(cp + len))
    }

    /// `print_eopt_ecs`: `address/source/scope`.
    fn edns_client_subnet(&mut self, data: &[u8]) {
        if data.len() < 4 {
            self.ps(" (invalid)");
            return;
        }
        let family = u16::from_be_bytes([data[0], data[1]]);
        let (src, scope) = (u32::from(data[2]), u32::from(data[3]));
        let bits = match family {
            1 => 32,
            2 => 128,
            _ => {
                self.ps(" (invalid)");
                return;
            }
        };
        let addr_len = data.len() - 4;
        if addr_len > bits as usize / 8
            || src > bits
            || scope > bits
            || (src as usize).div_ceil(8) != addr_len
        {
            self.ps(" (invalid)");
            return;
        }
        let mut padded = [0u8; 16];
        padded[..addr_len].copy_from_slice(&data[4..]);
        let a = crate::addr::AddrFmt(&padded[..bits as usize / 8]);
        self.p(format_args!("{a}/{src}/{scope}"));
    }
}
