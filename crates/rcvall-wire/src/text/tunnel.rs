//! `print-gre.c`, `print-vxlan.c`, `print-geneve.c`, and what they carry: IP, IPv6, or an
//! Ethernet frame (`print-ether.c` without `-e`: the addresses are not shown) holding IP, IPv6
//! or ARP (`print-arp.c`).

use super::ethertype::ethertype_name;
use super::{Printer, Trunc, R};

const ETHERTYPE_IP: u16 = 0x0800;
const ETHERTYPE_ARP: u16 = 0x0806;
const ETHERTYPE_IPV6: u16 = 0x86dd;
/// Transparent Ethernet bridging: an Ethernet frame.
const ETHERTYPE_TEB: u16 = 0x6558;
const ETHERTYPE_MPLS: u16 = 0x8847;

impl Printer<'_> {
    /// `gre_print`.
    pub(super) fn gre(&mut self, bp: usize, length: u32) -> R {
        self.proto = "gre";
        if !self.avail(bp, 2) || length < 2 {
            self.trunc_here();
            return Ok(());
        }
        let vers = self.u16(bp)? & 7;
        self.p(format_args!("GREv{vers}"));
        match vers {
            0 => self.gre0(bp, length),
            1 => self.gre1(bp, length),
            _ => {
                self.ps(" ERROR: unknown-version");
                Ok(())
            }
        }
    }

    /// Takes `n` header bytes, or says the header is cut (`goto trunc`).
    fn gre_take(&mut self, bp: &mut usize, len: &mut u32, n: usize) -> Result<bool, Trunc> {
        if !self.avail(*bp, n) || (*len as usize) < n {
            self.trunc_here();
            return Ok(false);
        }
        Ok(true)
    }

    /// The next optional 32-bit field, the position past it; None (and the truncation mark)
    /// when it is not all there.
    fn gre_u32(&mut self, bp: &mut usize, len: &mut u32) -> Result<Option<u32>, Trunc> {
        if !self.gre_take(bp, len, 4)? {
            return Ok(None);
        }
        let value = self.u32(*bp)?;
        *bp += 4;
        *len -= 4;
        Ok(Some(value))
    }

    fn gre0(&mut self, mut bp: usize, length: u32) -> R {
        let mut len = length;
        let flags = self.u16(bp)?;
        if self.verbose > 0 {
            let names = gre_flag_names(flags);
            self.p(format_args!(", Flags [{names}]"));
        }
        len -= 2;
        bp += 2;
        if !self.gre_take(&mut bp, &mut len, 2)? {
            return Ok(());
        }
        let prot = self.u16(bp)?;
        len -= 2;
        bp += 2;
        if flags & 0xc000 != 0 {
            if !self.gre_take(&mut bp, &mut len, 2)? {
                return Ok(());
            }
            if self.verbose > 0 {
                let sum = self.u16(bp)?;
                self.p(format_args!(", sum 0x{sum:x}"));
            }
            bp += 2;
            len -= 2;
            if !self.gre_take(&mut bp, &mut len, 2)? {
                return Ok(());
            }
            let off = self.u16(bp)?;
            self.p(format_args!(", off 0x{off:x}"));
            bp += 2;
            len -= 2;
        }
        if flags & 0x2000 != 0 {
            let Some(key) = self.gre_u32(&mut bp, &mut len)? else {
                return Ok(());
            };
            self.p(format_args!(", key=0x{key:x}"));
        }
        if flags & 0x1000 != 0 {
            let Some(seq) = self.gre_u32(&mut bp, &mut len)? else {
                return Ok(());
            };
            self.p(format_args!(", seq {seq}"));
        }
        if flags & 0x4000 != 0 {
            loop {
                if !self.gre_take(&mut bp, &mut len, 4)? {
                    return Ok(());
                }
                let af = self.u16(bp)?;
                let sreoff = self.u8(bp + 2)?;
                let srelen = self.u8(bp + 3)?;
                bp += 4;
                len -= 4;
                if af == 0 && srelen == 0 {
                    break;
                }
                if !self.gre_sre(af, sreoff, srelen, bp, len)? || len < u32::from(srelen) {
                    self.trunc_here();
                    return Ok(());
                }
                bp += usize::from(srelen);
                len -= u32::from(srelen);
            }
        }
        self.p(format_args!(", length {length}"));
        self.ps(if self.verbose < 1 { ": " } else { "\n\t" });
        match prot {
            ETHERTYPE_IP => self.ip4(bp, len),
            ETHERTYPE_IPV6 => self.ip6(bp, len),
            ETHERTYPE_TEB => self.ether(bp, len),
            ETHERTYPE_MPLS => self.mpls(bp, len),
            // IPX, AppleTalk and OSI payloads are not decoded (a documented gap).
            _ => {
                self.p(format_args!("gre-proto-0x{prot:x}"));
                Ok(())
            }
        }
    }

    /// GRE version 1 (PPTP).
    fn gre1(&mut self, mut bp: usize, length: u32) -> R {
        let mut len = length;
        let flags = self.u16(bp)?;
        len -= 2;
        bp += 2;
        if self.verbose > 0 {
            let names = gre_flag_names(flags);
            self.p(format_args!(", Flags [{names}]"));
        }
        if !self.gre_take(&mut bp, &mut len, 2)? {
            return Ok(());
        }
        let prot = self.u16(bp)?;
        len -= 2;
        bp += 2;
        if flags & 0x2000 != 0 {
            let Some(k) = self.gre_u32(&mut bp, &mut len)? else {
                return Ok(());
            };
            self.p(format_args!(", call {}", k & 0xffff));
        }
        if flags & 0x1000 != 0 {
            let Some(seq) = self.gre_u32(&mut bp, &mut len)? else {
                return Ok(());
            };
            self.p(format_args!(", seq {seq}"));
        }
        if flags & 0x0080 != 0 {
            let Some(ack) = self.gre_u32(&mut bp, &mut len)? else {
                return Ok(());
            };
            self.p(format_args!(", ack {ack}"));
        }
        if flags & 0x1000 == 0 {
            self.ps(", no-payload");
        }
        self.p(format_args!(", length {length}"));
        if flags & 0x1000 == 0 {
            return Ok(());
        }
        self.ps(if self.verbose < 1 { ": " } else { "\n\t" });
        if prot != 0x880b {
            self.p(format_args!("gre-proto-0x{prot:x}"));
            return Ok(());
        }
        // PPP: tcpdump's ppp_print first needs the two-byte protocol field; the PPP bodies
        // themselves (LCP, IPCP, …) are not decoded (a documented gap).
        self.proto = "ppp";
        if len < 2 || !self.avail(bp, 2) {
            self.trunc_here();
        }
        Ok(())
    }

    /// `gre_sre_print`: a source route entry; `false` when it is cut short.
    fn gre_sre(
        &mut self,
        af: u16,
        sreoff: u8,
        srelen: u8,
        bp: usize,
        len: u32,
    ) -> Result<bool, Trunc> {
        let (name, unit) = match af {
            0x0800 => ("ip", 4u8),
            0xfffe => ("asn", 2u8),
            _ => {
                self.p(format_args!(", (rtaf=0x{af:x})"));
                return Ok(true);
            }
        };
        self.p(format_args!(", (rtaf={name}"));
        let ok = (|| {
            if sreoff % unit != 0 {
                self.p(format_args!(", badoffset={sreoff}"));
                return Ok(true);
            }
            if srelen % unit != 0 {
                self.p(format_args!(", badlength={srelen}"));
                return Ok(true);
            }
            if sreoff >= srelen {
                self.p(format_args!(", badoff/len={sreoff}/{srelen}"));
                return Ok(true);
            }
            let (mut at, mut left, mut len) = (0u8, srelen, len);
            while left != 0 {
                let p = bp + usize::from(at);
                if !self.avail(p, usize::from(unit)) || len < u32::from(unit) {
                    return Ok(false);
                }
                let mark = if at == sreoff { "*" } else { "" };
                if unit == 4 {
                    let a = self.addr(p, 4)?;
                    self.p(format_args!(" {mark}{a}"));
                } else {
                    let v = self.u16(p)?;
                    self.p(format_args!(" {mark}{v:x}"));
                }
                at += unit;
                left -= unit;
                len -= u32::from(unit);
            }
            Ok(true)
        })();
        self.ps(")");
        ok
    }

    /// `vxlan_print`.
    pub(super) fn vxlan(&mut self, bp: usize, len: u32) -> R {
        self.proto = "vxlan";
        self.ps("VXLAN");
        if len < 8 {
            self.ps(" (invalid)");
            return Ok(());
        }
        let flags = self.u8(bp)?;
        let names = if flags & 0x08 != 0 { "I" } else { "invalid" };
        self.p(format_args!(", flags [{names}] (0x{flags:02x}), "));
        let vni = u32::from(self.u16(bp + 4)?) << 8 | u32::from(self.u8(bp + 6)?);
        self.p(format_args!("vni {vni}\n"));
        self.bytes(bp + 7, 1)?;
        self.ether(bp + 8, len - 8)
    }

    /// `geneve_print`.
    pub(super) fn geneve(&mut self, mut bp: usize, mut len: u32) -> R {
        self.proto = "geneve";
        self.ps("Geneve");
        if len < 8 {
            self.p(format_args!(" [length {len} < 8] (invalid)"));
            return Ok(());
        }
        if !self.avail(bp, 8) {
            self.trunc_here();
            return Ok(());
        }
        let ver_opt = self.u8(bp)?;
        if ver_opt >> 6 != 0 {
            self.p(format_args!(" ERROR: unknown-version {}", ver_opt >> 6));
            return Ok(());
        }
        let flags = self.u8(bp + 1)?;
        let prot = self.u16(bp + 2)?;
        let vni = u32::from(self.u16(bp + 4)?) << 8 | u32::from(self.u8(bp + 6)?);
        let reserved = self.u8(bp + 7)?;
        bp += 8;
        len -= 8;
        let names: String = ["O", "C", "R1", "R2", "R3", "R4", "R5", "R6"]
            .iter()
            .enumerate()
            .filter(|(i, _)| flags & (0x80 >> i) != 0)
            .map(|(_, n)| *n)
            .collect();
        let names = if names.is_empty() {
            "none".to_owned()
        } else {
            names
        };
        self.p(format_args!(", Flags [{names}], vni 0x{vni:x}"));
        if reserved != 0 {
            self.p(format_args!(", rsvd 0x{reserved:x}"));
        }
        let opts_len = u32::from(ver_opt & 0x3f) * 4;
        if len < opts_len {
            self.p(format_args!(
                " truncated-geneve - {} bytes missing",
                opts_len - len
            ));
            return Ok(());
        }
        if !self.avail(bp, opts_len as usize) {
            self.trunc_here();
            return Ok(());
        }
        if opts_len > 0 {
            self.ps(", options [");
            if self.verbose > 0 {
                self.geneve_options(bp, opts_len)?;
            } else {
                self.p(format_args!("{opts_len} bytes"));
            }
            self.ps("]");
        }
        bp += opts_len as usize;
        len -= opts_len;
        self.ps(if self.verbose < 1 { ": " } else { "\n\t" });
        match prot {
            ETHERTYPE_IP => self.ip4(bp, len),
            ETHERTYPE_IPV6 => self.ip6(bp, len),
            ETHERTYPE_ARP => self.arp(bp, len),
            ETHERTYPE_TEB => self.ether(bp, len),
            // Other ethertypes tcpdump knows are not decoded (a documented gap).
            _ => {
                self.p(format_args!("geneve-proto-0x{prot:x}"));
                Ok(())
            }
        }
    }

    fn geneve_options(&mut self, mut bp: usize, mut len: u32) -> R {
        let mut sep = "";
        while len > 0 {
            self.ps(sep);
            sep = ", ";
            let class = self.u16(bp)?;
            let ty = self.u8(bp + 2)?;
            let opt_len = 4 + u32::from(self.u8(bp + 3)? & 0x1f) * 4;
            let class_name = match class {
                0x0100 => "Linux",
                0x0101 => "Open vSwitch",
                0x0102 => "Open Virtual Networking (OVN)",
                0x0103 => "In-band Network Telemetry (INT)",
                0x0104 => "VMware",
                0..=0xff => "Standard",
                0xfff0.. => "Experimental",
                _ => "Unknown",
            };
            let critical = if ty & 0x80 != 0 { "(C)" } else { "" };
            self.p(format_args!(
                "class {class_name} (0x{class:x}) type 0x{ty:x}{critical} len {opt_len}"
            ));
            if opt_len > len {
                self.ps(" [bad length]");
                return Ok(());
            }
            if self.verbose > 1 && opt_len > 4 {
                self.ps(" data");
                for i in (4..opt_len as usize).step_by(4) {
                    let v = self.u32(bp + i)?;
                    self.p(format_args!(" {v:08x}"));
                }
            }
            bp += opt_len as usize;
            len -= opt_len;
        }
        Ok(())
    }

    /// `mpls_print`: the label stack, then IPv4 or IPv6 as the labels or the first nibble say.
    fn mpls(&mut self, mut p: usize, mut length: u32) -> R {
        self.proto = "mpls";
        self.ps("MPLS");
        let mut depth = 0;
        let entry = loop {
            if length < 4 {
                self.ps(" (invalid)");
                self.bytes(p, length as usize)?;
                return Ok(());
            }
            let entry = self.u32(p)?;
            let label = entry >> 12;
            let lead = if depth > 0 && self.verbose > 0 {
                "\n\t"
            } else {
                " "
            };
            self.p(format_args!("{lead}(label {label}"));
            depth += 1;
            if self.verbose > 0 && label < 16 {
                let name = match label {
                    0 => "IPv4 explicit NULL",
                    1 => "router alert",
                    2 => "IPv6 explicit NULL",
                    3 => "implicit NULL",
                    _ => "rsvd",
                };
                self.p(format_args!(" ({name})"));
            }
            self.p(format_args!(", tc {}", (entry >> 9) & 7));
            if entry & 0x100 != 0 {
                self.ps(", [S]");
            }
            self.p(format_args!(", ttl {})", entry & 0xff));
            p += 4;
            length -= 4;
            if entry & 0x100 != 0 {
                break entry;
            }
        };
        let v4 = match entry >> 12 {
            0 | 3 => Some(true),
            2 => Some(false),
            _ => {
                if length < 1 {
                    return Ok(());
                }
                match self.u8(p)? {
                    0x45..=0x4f => Some(true),
                    0x60..=0x6f => Some(false),
                    // OSI is not decoded (a documented gap).
                    0x81..=0x83 => return Ok(()),
                    _ => None,
                }
            }
        };
        match v4 {
            None => self.default_print(p, length),
            Some(v4) => {
                self.ps(if self.verbose > 0 { "\n\t" } else { " " });
                if v4 {
                    self.ip4(p, length)
                } else {
                    self.ip6(p, length)
                }
            }
        }
    }

    /// `ether_print` without `-e`: the addresses stay hidden, VLAN tags are skipped.
    fn ether(&mut self, mut bp: usize, mut length: u32) -> R {
        self.proto = "ether";
        if !self.avail(bp, 14) || length < 14 {
            self.trunc_here();
            return Ok(());
        }
        let frame = bp;
        let frame_len = length;
        let mut ty = self.u16(bp + 12)?;
        bp += 14;
        length -= 14;
        while matches!(ty, 0x8100 | 0x88a8 | 0x9100) {
            if !self.avail(bp, 4) || length < 4 {
                self.trunc_here();
                return Ok(());
            }
            ty = self.u16(bp + 2)?;
            bp += 4;
            length -= 4;
        }
        match ty {
            ETHERTYPE_IP => self.ip4(bp, length),
            ETHERTYPE_IPV6 => self.ip6(bp, length),
            ETHERTYPE_ARP => self.arp(bp, length),
            // Unknown ethertypes: the addresses, then a dump. 802.3 frames (LLC) and ethertypes
            // tcpdump names but this printer does not decode are a documented gap.
            _ => {
                let mac = |b: &[u8]| {
                    b.iter()
                        .map(|x| format!("{x:02x}"))
                        .collect::<Vec<_>>()
                        .join(":")
                };
                let (dst, src) = (mac(self.bytes(frame, 6)?), mac(self.bytes(frame + 6, 6)?));
                self.p(format_args!("{src} > {dst}, "));
                match (ethertype_name(ty), self.quick) {
                    (Some(n), false) => self.p(format_args!("ethertype {n} (0x{ty:04x})")),
                    (None, false) => self.p(format_args!("ethertype Unknown (0x{ty:04x})")),
                    (Some(n), true) => self.ps(n),
                    (None, true) => self.p(format_args!("Unknown Ethertype (0x{ty:04x})")),
                }
                self.p(format_args!(", length {frame_len}: "));
                let captured = self.snap.saturating_sub(bp);
                self.default_print(bp, captured as u32)
            }
        }
    }

    /// `arp_print` for Ethernet/IPv4 requests and replies.
    fn arp(&mut self, bp: usize, length: u32) -> R {
        self.proto = "arp";
        if !self.avail(bp, 8) {
            self.trunc_here();
            return Ok(());
        }
        let (hrd, pro, hln, pln, op) = (
            self.u16(bp)?,
            self.u16(bp + 2)?,
            usize::from(self.u8(bp + 4)?),
            usize::from(self.u8(bp + 5)?),
            self.u16(bp + 6)?,
        );
        let (sha, spa, tha, tpa) = (
            bp + 8,
            bp + 8 + hln,
            bp + 8 + hln + pln,
            bp + 8 + 2 * hln + pln,
        );
        if !self.avail(tpa, pln) {
            self.trunc_here();
            return Ok(());
        }
        self.ps("ARP, ");
        // Trailer encapsulation (0x1000) carries IPv4 addresses too.
        let ip_like = pro == ETHERTYPE_IP || pro == 0x1000;
        if !ip_like || pln != 4 || hln == 0 || self.verbose > 0 {
            // ATM (RFC 2225) ARP has its own layout in tcpdump (atmarp_print): not decoded.
            let h = match hrd {
                1 => "Ethernet".to_owned(),
                6 => "TokenRing".to_owned(),
                7 => "ArcNet".to_owned(),
                15 => "FrameRelay".to_owned(),
                19 => "ATM".to_owned(),
                23 => "Strip".to_owned(),
                24 => "IEEE 1394".to_owned(),
                32 => "InfiniBand".to_owned(),
                _ => format!("Unknown Hardware ({hrd})"),
            };
            let p = ethertype_name(pro)
                .map_or_else(|| format!("Unknown Protocol (0x{pro:04x})"), str::to_owned);
            self.p(format_args!("{h} (len {hln}), {p} (len {pln})"));
            if self.verbose == 0 {
                self.p(format_args!(", length {length}"));
                return Ok(());
            }
        }
        let opname = match op {
            1 => "Request".to_owned(),
            2 => "Reply".to_owned(),
            3 => "Reverse Request".to_owned(),
            4 => "Reverse Reply".to_owned(),
            8 => "Inverse Request".to_owned(),
            9 => "Inverse Reply".to_owned(),
            10 => "NACK Reply".to_owned(),
            o => format!("Unknown ({o})"),
        };
        let sep = if self.verbose > 0 { ", " } else { "" };
        self.p(format_args!("{sep}{opname} "));
        let ip = |p: &Self, at: usize| -> Result<String, Trunc> {
            Ok(if !ip_like {
                "<wrong proto type>".to_owned()
            } else if pln != 4 {
                "<wrong len>".to_owned()
            } else {
                p.addr(at, 4)?.to_string()
            })
        };
        let mac = |p: &Self, at: usize| -> Result<String, Trunc> {
            let b = p.bytes(at, hln)?;
            Ok(b.iter()
                .map(|x| format!("{x:02x}"))
                .collect::<Vec<_>>()
                .join(":"))
        };
        match op {
            1 => {
                let t = ip(self, tpa)?;
                self.p(format_args!("who-has {t}"));
                if self.bytes(tha, hln)?.iter().any(|&b| b != 0) {
                    let m = mac(self, tha)?;
                    self.p(format_args!(" ({m})"));
                }
                let s = ip(self, spa)?;
                self.p(format_args!(" tell {s}"));
            }
            2 => {
                let (s, m) = (ip(self, spa)?, mac(self, sha)?);
                self.p(format_args!("{s} is-at {m}"));
            }
            3 | 8 => {
                let (t, s) = (mac(self, tha)?, mac(self, sha)?);
                self.p(format_args!("who-is {t} tell {s}"));
            }
            4 => {
                let (m, t) = (mac(self, tha)?, ip(self, tpa)?);
                self.p(format_args!("{m} at {t}"));
            }
            9 => {
                let (m, s) = (mac(self, sha)?, ip(self, spa)?);
                self.p(format_args!("{m} at {s}"));
            }
            _ => {
                let captured = self.snap.saturating_sub(bp);
                return self.default_print(bp, captured as u32);
            }
        }
        self.p(format_args!(", length {length}"));
        Ok(())
    }
}

/// `bittok2str(gre_flag_values, "none", flags)`.
fn gre_flag_names(flags: u16) -> String {
    let names: Vec<&str> = [
        (0x8000, "checksum present"),
        (0x4000, "routing present"),
        (0x2000, "key present"),
        (0x1000, "sequence# present"),
        (0x0800, "source routing present"),
        (0x0080, "ack present"),
    ]
    .iter()
    .filter(|(bit, _)| flags & bit != 0)
    .map(|&(_, n)| n)
    .collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}
