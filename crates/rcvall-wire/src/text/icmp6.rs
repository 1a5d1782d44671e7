//! `print-icmp6.c`.

use super::{proto, Printer, Trunc, R};

impl Printer<'_> {
    /// `icmp6_print`.
    pub(super) fn icmp6(&mut self, bp: usize, length: u32, iph: usize, fragmented: bool) -> R {
        self.proto = "icmp6";
        if length == 0 {
            self.ps("ICMP6, length 0 (invalid)");
            return Ok(());
        }
        if self.verbose > 0 && !fragmented && self.avail(bp, length as usize) {
            let field = self.u16(bp + 2)?;
            let sum = self.transport_cksum(iph, proto::ICMPV6, bp, length)?;
            if sum != 0 {
                let should = super::cksum_shouldbe(field, sum);
                self.p(format_args!(
                    "[bad icmp6 cksum 0x{field:04x} -> 0x{should:04x}!] "
                ));
            } else {
                self.ps("[icmp6 sum ok] ");
            }
        }
        let ty = self.u8(bp)?;
        match icmp6_type_name(ty) {
            Some(n) => self.p(format_args!("ICMP6, {n}")),
            None => self.p(format_args!("ICMP6, unknown icmp6 type ({ty})")),
        }
        // tcpdump prints these types' length early at -v, and no length at the end.
        if self.verbose > 0 && matches!(ty, 133..=137 | 145 | 147) {
            self.p(format_args!(", length {length}"));
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
                    _ => {
                        if self.verbose <= 1 {
                            self.unknown_data(bp, length as usize, "\n\t");
                            return Ok(());
                        }
                    }
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
                    self.ps(" v2");
                    self.mldv2_query(bp, length as usize)?;
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
            141 | 142 => {}
            133 => {
                if self.verbose > 0 && !self.nd_options(bp + 8, length as i64 - 8)? {
                    self.trunc_here();
                    return Ok(());
                }
            }
            134 => {
                if self.verbose > 0 {
                    let hlim = self.u8(bp + 4)?;
                    let flags = self.u8(bp + 5)?;
                    let names = bit_names(
                        u32::from(flags),
                        &[
                            (0x80, "managed"),
                            (0x40, "other stateful"),
                            (0x20, "home agent"),
                            (0x02, "ipv6 only"),
                        ],
                    );
                    let pref = rtpref(flags);
                    let lifetime = self.u16(bp + 6)?;
                    let reachable = self.u32(bp + 8)?;
                    let retrans = self.u32(bp + 12)?;
                    self.p(format_args!(
                        "\n\thop limit {hlim}, Flags [{names}], pref {pref}, router lifetime \
                         {lifetime}s, reachable time {reachable}ms, retrans timer {retrans}ms"
                    ));
                    if !self.nd_options(bp + 16, length as i64 - 16)? {
                        self.trunc_here();
                        return Ok(());
                    }
                }
            }
            135 => {
                let a = self.addr(bp + 8, 16)?;
                self.p(format_args!(", who has {a}"));
                if self.verbose > 0 && !self.nd_options(bp + 24, length as i64 - 24)? {
                    self.trunc_here();
                    return Ok(());
                }
            }
            136 => {
                let a = self.addr(bp + 8, 16)?;
                self.p(format_args!(", tgt is {a}"));
                if self.verbose > 0 {
                    let flags = self.u32(bp + 4)?;
                    let names = bit_names(
                        flags,
                        &[
                            (0x8000_0000, "router"),
                            (0x4000_0000, "solicited"),
                            (0x2000_0000, "override"),
                        ],
                    );
                    self.p(format_args!(", Flags [{names}]"));
                    if !self.nd_options(bp + 24, length as i64 - 24)? {
                        self.trunc_here();
                        return Ok(());
                    }
                }
            }
            137 => {
                // struct nd_redirect: target at 8, destination at 24; tcpdump prints dst first.
                let d = self.addr(bp + 24, 16)?;
                self.p(format_args!(", {d}"));
                let t = self.addr(bp + 8, 16)?;
                self.p(format_args!(" to {t}"));
                if self.verbose > 0 && !self.nd_options(bp + 40, length as i64 - 40)? {
                    self.trunc_here();
                    return Ok(());
                }
            }
            143 => {
                if length < 8 {
                    self.p(format_args!(" [invalid len {length}]"));
                } else {
                    let n = self.u16(bp + 6)?;
                    self.p(format_args!(", {n} group record(s)"));
                    if self.verbose > 0 {
                        self.mldv2_records(bp, length as usize, n)?;
                    }
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
                self.p(format_args!(", length {length}"));
                if self.verbose <= 1 {
                    self.unknown_data(bp, length as usize, "\n\t");
                }
                return Ok(());
            }
        }
        if self.verbose == 0 {
            self.p(format_args!(", length {length}"));
        }
        Ok(())
    }

    /// `mldv2_query_print`.
    fn mldv2_query(&mut self, bp: usize, len: usize) -> R {
        if len < 28 {
            self.p(format_args!(" [invalid len {len}]"));
            return Ok(());
        }
        let mrc = u32::from(self.u16(bp + 4)?);
        let mrt = if mrc < 32768 {
            mrc
        } else {
            ((mrc & 0x0fff) | 0x1000) << (((mrc & 0x7000) >> 12) + 3)
        };
        if self.verbose > 0 {
            self.p(format_args!(" [max resp delay={mrt}]"));
        }
        let g = self.addr(bp + 8, 16)?;
        self.p(format_args!(" [gaddr {g}"));
        if self.verbose > 0 {
            let b24 = self.u8(bp + 24)?;
            if b24 & 0x08 != 0 {
                self.ps(" sflag");
            }
            if b24 & 0x07 != 0 {
                self.p(format_args!(" robustness={}", b24 & 7));
            }
            let q = u32::from(self.u8(bp + 25)?);
            let qqi = if q < 128 {
                q
            } else {
                ((q & 0x0f) | 0x10) << (((q & 0x70) >> 4) + 3)
            };
            self.p(format_args!(" qqi={qqi}"));
        }
        let nsrcs = usize::from(self.u16(bp + 26)?);
        if nsrcs > 0 {
            if len < 28 + nsrcs * 16 {
                self.ps(" [invalid number of sources]");
            } else if self.verbose > 1 {
                self.ps(" {");
                for i in 0..nsrcs {
                    let s = self.addr(bp + 28 + 16 * i, 16)?;
                    self.p(format_args!(" {s}"));
                }
                self.ps(" }");
            } else {
                self.p(format_args!(", {nsrcs} source(s)"));
            }
        }
        self.ps("]");
        Ok(())
    }

    /// The group records of an MLDv2 report (`mldv2_report_print` at -v).
    fn mldv2_records(&mut self, bp: usize, len: usize, groups: u16) -> R {
        let mut group = 8usize;
        for _ in 0..groups {
            if len < group + 20 {
                self.ps(" [invalid number of groups]");
                return Ok(());
            }
            let a = self.addr(bp + group + 4, 16)?;
            self.p(format_args!(" [gaddr {a}"));
            let ty = self.u8(bp + group)?;
            let name = ["is_in", "is_ex", "to_in", "to_ex", "allow", "block"];
            match ty.checked_sub(1).and_then(|i| name.get(usize::from(i))) {
                Some(n) => self.p(format_args!(" {n}")),
                None => self.p(format_args!("  [v2-report-#{ty}]")),
            }
            let nsrcs = usize::from(self.u16(bp + group + 2)?);
            if len < group + 20 + nsrcs * 16 {
                self.p(format_args!(" [invalid number of sources {nsrcs}]"));
                return Ok(());
            }
            if self.verbose == 1 {
                self.p(format_args!(", {nsrcs} source(s)"));
            } else {
                self.ps(" {");
                for j in 0..nsrcs {
                    let s = self.addr(bp + group + 20 + 16 * j, 16)?;
                    self.p(format_args!(" {s}"));
                }
                self.ps(" }");
            }
            group += 20 + nsrcs * 16;
            self.ps("]");
        }
        Ok(())
    }

    /// `icmp6_opt_print`: the neighbour-discovery options at -v; `false` when one is cut short.
    fn nd_options(&mut self, mut cp: usize, mut resid: i64) -> Result<bool, Trunc> {
        let options_start = cp;
        while cp < self.snap {
            if !self.avail(cp + 1, 1) {
                return Ok(false);
            }
            if resid <= 0 {
                return Ok(true);
            }
            let ty = self.u8(cp)?;
            let units = usize::from(self.u8(cp + 1)?);
            let len = units << 3;
            if units == 0 || cp + len > self.snap {
                return Ok(false);
            }
            let name = nd_option_name(ty).unwrap_or("unknown");
            self.p(format_args!(
                "\n\t  {name} option ({ty}), length {len} ({units}): "
            ));
            match ty {
                1 | 2 => {
                    for i in 0..len - 2 {
                        let b = self.u8(cp + 2 + i)?;
                        if i > 0 {
                            self.ps(":");
                        }
                        self.p(format_args!("{b:02x}"));
                    }
                }
                3 => {
                    let prefix = self.addr(cp + 16, 16)?;
                    let plen = self.u8(cp + 2)?;
                    let bad = if units != 4 { "badlen" } else { "" };
                    let flags = bit_names(
                        u32::from(self.u8(cp + 3)?),
                        &[(0x80, "onlink"), (0x40, "auto"), (0x20, "router")],
                    );
                    let valid = Lifetime(self.u32(cp + 4)?);
                    self.p(format_args!(
                        "{prefix}/{plen}{bad}, Flags [{flags}], valid time {valid}"
                    ));
                    let preferred = Lifetime(self.u32(cp + 8)?);
                    self.p(format_args!(", pref. time {preferred}"));
                }
                // tcpdump dumps from the start of all the options here, not of this one.
                4 => self.unknown_data(options_start, len, "\n\t    "),
                5 => {
                    let mtu = self.u32(cp + 4)?;
                    let bad = if units != 1 { "bad option length" } else { "" };
                    self.p(format_args!(" {mtu}{bad}"));
                }
                25 => {
                    let lifetime = self.u32(cp + 4)?;
                    self.p(format_args!(" lifetime {lifetime}s,"));
                    for i in 0..(units - 1) / 2 {
                        let a = self.addr(cp + 8 + 16 * i, 16)?;
                        self.p(format_args!(" addr: {a}"));
                    }
                }
                7 => {
                    let ms = self.u32(cp + 4)?;
                    self.p(format_args!(" {ms}ms"));
                }
                8 => {
                    let (pref, life) = (self.u16(cp + 4)?, self.u16(cp + 6)?);
                    self.p(format_args!(" preference {pref}, lifetime {life}"));
                }
                24 => {
                    self.bytes(cp + 4, 4)?;
                    let mut prefix = [0u8; 16];
                    match units {
                        1 => {}
                        2 => prefix[..8].copy_from_slice(self.bytes(cp + 8, 8)?),
                        3 => prefix.copy_from_slice(self.bytes(cp + 8, 16)?),
                        _ => return Ok(false),
                    }
                    let plen = self.u8(cp + 2)?;
                    let pref = rtpref(self.u8(cp + 3)?);
                    let life = Lifetime(self.u32(cp + 4)?);
                    self.p(format_args!(
                        " {}/{plen}, pref={pref}, lifetime={life}",
                        crate::addr::AddrFmt(&prefix)
                    ));
                }
                31 => {
                    let lifetime = self.u32(cp + 4)?;
                    self.p(format_args!(" lifetime {lifetime}s, domain(s):"));
                    // tcpdump hands fqdn_print the options' start as the message start.
                    let mut domp = cp + 8;
                    while domp < cp + len && self.u8(domp)? != 0 {
                        self.ps(" ");
                        match self.fqdn_print(domp, options_start)? {
                            Some(next) => domp = next,
                            None => return Ok(false),
                        }
                    }
                }
                _ => {
                    // Unknown options: a hex dump.
                    if self.verbose <= 1 {
                        self.unknown_data(cp + 2, len - 2, "\n\t  ");
                        return Ok(true);
                    }
                }
            }
            if self.verbose > 1 {
                self.unknown_data(cp + 2, len - 2, "\n\t    ");
            }
            cp += len;
            resid -= len as i64;
        }
        Ok(true)
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

/// `bittok2str`: the names of the set bits joined by ", ", or `none`.
fn bit_names(v: u32, names: &[(u32, &'static str)]) -> String {
    let set: Vec<&str> = names
        .iter()
        .filter(|(bit, _)| v & bit != 0)
        .map(|&(_, n)| n)
        .collect();
    if set.is_empty() {
        "none".to_owned()
    } else {
        set.join(", ")
    }
}

/// `get_rtpref`: the router preference bits of a flags byte.
fn rtpref(flags: u8) -> &'static str {
    ["medium", "high", "rsv", "low"][usize::from((flags & 0x18) >> 3)]
}

/// `get_lifetime`: seconds, or `infinity` for all ones.
struct Lifetime(u32);

impl core::fmt::Display for Lifetime {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.0 == u32::MAX {
            f.write_str("infinity")
        } else {
            write!(f, "{}s", self.0)
        }
    }
}

/// tcpdump's `icmp6_opt_values`.
fn nd_option_name(ty: u8) -> Option<&'static str> {
    Some(match ty {
        1 => "source link-address",
        2 => "destination link-address",
        3 => "prefix info",
        4 => "redirected header",
        5 => "mtu",
        25 => "rdnss",
        31 => "dnssl",
        7 => "advertisement interval",
        8 => "homeagent information",
        24 => "route info",
        _ => return None,
    })
}
