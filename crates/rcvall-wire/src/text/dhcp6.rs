//! `print-dhcp6.c`: DHCPv6 on UDP 546 and 547, with the common options at -v.

use super::{Printer, Trunc, R};

impl Printer<'_> {
    /// `dhcp6_print`.
    pub(super) fn dhcp6(&mut self, cp: usize, length: u32) -> R {
        self.proto = "dhcp6";
        self.ps("dhcp6");
        let ep = self.snap.min(cp + length as usize);
        if !self.avail(cp, 4) {
            self.trunc_here();
            return Ok(());
        }
        let msgtype = self.u8(cp)?;
        let name = match msgtype {
            1 => "solicit".to_owned(),
            2 => "advertise".to_owned(),
            3 => "request".to_owned(),
            4 => "confirm".to_owned(),
            5 => "renew".to_owned(),
            6 => "rebind".to_owned(),
            7 => "reply".to_owned(),
            8 => "release".to_owned(),
            9 => "decline".to_owned(),
            10 => "reconfigure".to_owned(),
            11 => "inf-req".to_owned(),
            12 => "relay-fwd".to_owned(),
            13 => "relay-reply".to_owned(),
            14 => "leasequery".to_owned(),
            15 => "leasequery-reply".to_owned(),
            t => format!("msgtype-{t}"),
        };
        if self.verbose == 0 {
            self.p(format_args!(" {name}"));
            return Ok(());
        }
        self.p(format_args!(" {name} ("));
        if msgtype != 12 && msgtype != 13 {
            let xid = self.u32(cp)? & 0x00ff_ffff;
            self.p(format_args!("xid={xid:x}"));
            self.dhcp6_options(cp + 4, ep)?;
        } else {
            let link = self.addr(cp + 2, 16)?;
            self.p(format_args!("linkaddr={link}"));
            let peer = self.addr(cp + 18, 16)?;
            self.p(format_args!(" peeraddr={peer}"));
            self.dhcp6_options(cp + 34, ep)?;
        }
        self.ps(")");
        Ok(())
    }

    /// `dhcp6opt_print`: the options from `cp` to `ep`; a cut option prints the marker and
    /// ends this list only (the caller goes on).
    fn dhcp6_options(&mut self, mut cp: usize, ep: usize) -> R {
        while cp < ep {
            if ep < cp + 4 || !self.avail(cp, 4) {
                self.trunc_here();
                return Ok(());
            }
            let optlen = usize::from(self.u16(cp + 2)?);
            if ep < cp + 4 + optlen {
                self.trunc_here();
                return Ok(());
            }
            let opttype = self.u16(cp)?;
            self.p(format_args!(" ({}", OptName(opttype)));
            if !self.avail(cp + 4, optlen) {
                self.trunc_here();
                return Ok(());
            }
            let tp = cp + 4;
            let bad = |p: &mut Self| p.ps(" ?)");
            match opttype {
                1 | 2 => {
                    if optlen < 2 {
                        bad(self);
                    } else {
                        match self.u16(tp)? {
                            1 if optlen >= 8 => {
                                let (ht, time) = (self.u16(tp + 2)?, self.u32(tp + 4)?);
                                self.p(format_args!(" hwaddr/time type {ht} time {time} "));
                                self.hex_bytes(tp + 8, optlen - 8)?;
                                self.ps(")");
                            }
                            2 if optlen >= 10 => {
                                self.ps(" vid ");
                                self.hex_bytes(tp + 2, 8)?;
                                self.ps(")");
                            }
                            3 if optlen >= 4 => {
                                let ht = self.u16(tp + 2)?;
                                self.p(format_args!(" hwaddr type {ht} "));
                                self.hex_bytes(tp + 4, optlen - 4)?;
                                self.ps(")");
                            }
                            1..=3 => bad(self),
                            t => self.p(format_args!(" type {t})")),
                        }
                    }
                }
                5 => {
                    if optlen < 24 {
                        bad(self);
                    } else {
                        let a = self.addr(tp, 16)?;
                        let (pl, vl) = (self.u32(tp + 16)?, self.u32(tp + 20)?);
                        self.p(format_args!(" {a} pltime:{pl} vltime:{vl}"));
                        if optlen > 24 {
                            self.dhcp6_options(tp + 24, tp + optlen)?;
                        }
                        self.ps(")");
                    }
                }
                6 | 43 => {
                    if optlen % 2 != 0 {
                        bad(self);
                    } else {
                        for i in (0..optlen).step_by(2) {
                            let o = self.u16(tp + i)?;
                            self.p(format_args!(" {}", OptName(o)));
                        }
                        self.ps(")");
                    }
                }
                7 => {
                    if optlen != 1 {
                        bad(self);
                    } else {
                        let v = self.u8(tp)?;
                        self.p(format_args!(" {v})"));
                    }
                }
                8 => {
                    if optlen != 2 {
                        bad(self);
                    } else {
                        let v = self.u16(tp)?;
                        self.p(format_args!(" {v})"));
                    }
                }
                14 | 20 => self.ps(")"),
                9 => {
                    self.ps(" (");
                    // The nested message is printed with the capture end narrowed to it.
                    let saved = self.snap;
                    self.snap = self.snap.min(tp + optlen);
                    let r = self.dhcp6(tp, optlen as u32);
                    self.snap = saved;
                    r?;
                    self.proto = "dhcp6";
                    self.ps(")");
                }
                18 | 38 => {
                    self.ps(" ");
                    self.hex_bytes(tp, optlen.min(10))?;
                    self.ps("...)");
                }
                19 => {
                    if optlen != 1 {
                        bad(self);
                    } else {
                        match self.u8(tp)? {
                            5 => self.ps(" for renew)"),
                            11 => self.ps(" for inf-req)"),
                            t => self.p(format_args!(" for ???({t:02x}))")),
                        }
                    }
                }
                22 | 23 | 31 | 27 | 28 | 34 | 40 | 48 => {
                    if optlen % 16 != 0 {
                        bad(self);
                    } else {
                        for i in (0..optlen).step_by(16) {
                            let a = self.addr(tp + i, 16)?;
                            self.p(format_args!(" {a}"));
                        }
                        self.ps(")");
                    }
                }
                21 | 24 => {
                    let end = tp + optlen;
                    let mut t = tp;
                    while t < end {
                        self.ps(" ");
                        match self.fqdn_print(t, end)? {
                            Some(next) => t = next,
                            None => {
                                self.trunc_here();
                                return Ok(());
                            }
                        }
                    }
                    self.ps(")");
                }
                13 => {
                    if optlen < 2 {
                        bad(self);
                    } else {
                        let code = self.u16(tp)?;
                        let name = match code {
                            0 => "Success".to_owned(),
                            1 => "UnspecFail".to_owned(),
                            2 => "NoAddrsAvail".to_owned(),
                            3 => "NoBinding".to_owned(),
                            4 => "NotOnLink".to_owned(),
                            5 => "UseMulticast".to_owned(),
                            6 => "NoPrefixAvail".to_owned(),
                            7 => "UnknownQueryType".to_owned(),
                            8 => "MalformedQuery".to_owned(),
                            9 => "NotConfigured".to_owned(),
                            10 => "NotAllowed".to_owned(),
                            256.. => "INVALID code".to_owned(),
                            c => format!("code{c}"),
                        };
                        self.p(format_args!(" {name})"));
                    }
                }
                3 | 25 => {
                    if optlen < 12 {
                        bad(self);
                    } else {
                        let (iaid, t1, t2) = (self.u32(tp)?, self.u32(tp + 4)?, self.u32(tp + 8)?);
                        self.p(format_args!(" IAID:{iaid} T1:{t1} T2:{t2}"));
                        if optlen > 12 {
                            self.dhcp6_options(tp + 12, tp + optlen)?;
                        }
                        self.ps(")");
                    }
                }
                4 => {
                    if optlen < 4 {
                        bad(self);
                    } else {
                        let iaid = self.u32(tp)?;
                        self.p(format_args!(" IAID:{iaid}"));
                        if optlen > 4 {
                            self.dhcp6_options(tp + 4, tp + optlen)?;
                        }
                        self.ps(")");
                    }
                }
                26 => {
                    if optlen < 25 {
                        bad(self);
                    } else {
                        let (a, plen) = (self.addr(tp + 9, 16)?, self.u8(tp + 8)?);
                        let (pl, vl) = (self.u32(tp)?, self.u32(tp + 4)?);
                        self.p(format_args!(" {a}/{plen} pltime:{pl} vltime:{vl}"));
                        if optlen > 25 {
                            self.dhcp6_options(tp + 25, tp + optlen)?;
                        }
                        self.ps(")");
                    }
                }
                32 | 46 => {
                    if optlen != 4 {
                        bad(self);
                    } else {
                        let v = self.u32(tp)?;
                        self.p(format_args!(" {v})"));
                    }
                }
                37 => {
                    if optlen < 4 {
                        bad(self);
                    } else {
                        let v = self.u32(tp)?;
                        self.p(format_args!(" {v} "));
                        self.hex_bytes(tp + 4, optlen.min(14) - 4)?;
                        self.ps("...)");
                    }
                }
                44 => {
                    if optlen < 17 {
                        bad(self);
                    } else {
                        match self.u8(tp)? {
                            1 => self.ps(" by-address"),
                            2 => self.ps(" by-clientID"),
                            t => self.p(format_args!(" type_{t}")),
                        }
                        let a = self.addr(tp + 1, 16)?;
                        self.p(format_args!(" {a}"));
                        if optlen > 17 {
                            self.dhcp6_options(tp + 17, tp + optlen)?;
                        }
                        self.ps(")");
                    }
                }
                45 => {
                    if optlen > 0 {
                        self.dhcp6_options(tp, tp + optlen)?;
                    }
                    self.ps(")");
                }
                47 => {
                    if optlen < 16 {
                        bad(self);
                    } else {
                        let a = self.addr(tp, 16)?;
                        self.p(format_args!(" {a} "));
                        self.hex_bytes(tp + 16, optlen.min(26) - 16)?;
                        self.ps("...)");
                    }
                }
                41 | 42 | 112 => {
                    if optlen < 5 {
                        bad(self);
                    } else {
                        self.ps(" ");
                        for i in 0..optlen {
                            let c = self.u8(tp + i)?;
                            if c == 0 {
                                break;
                            }
                            self.print_char(c);
                        }
                        self.ps(")");
                    }
                }
                // Authentication, NTP-server and AFTR-name bodies are not decoded (a
                // documented gap): the option name only.
                _ => self.ps(")"),
            }
            cp += 4 + optlen;
        }
        Ok(())
    }

    fn hex_bytes(&mut self, at: usize, n: usize) -> Result<(), Trunc> {
        for i in 0..n {
            let b = self.u8(at + i)?;
            self.p(format_args!("{b:02x}"));
        }
        Ok(())
    }
}

/// `dh6opt_str`, `opt_%u` for the others.
struct OptName(u16);

impl core::fmt::Display for OptName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let name = match self.0 {
            1 => "client-ID",
            2 => "server-ID",
            3 => "IA_NA",
            4 => "IA_TA",
            5 => "IA_ADDR",
            6 => "option-request",
            7 => "preference",
            8 => "elapsed-time",
            9 => "relay-message",
            11 => "authentication",
            12 => "server-unicast",
            13 => "status-code",
            14 => "rapid-commit",
            15 => "user-class",
            16 => "vendor-class",
            17 => "vendor-specific-info",
            18 => "interface-ID",
            19 => "reconfigure-message",
            20 => "reconfigure-accept",
            21 => "SIP-servers-domain",
            22 => "SIP-servers-address",
            23 => "DNS-server",
            24 => "DNS-search-list",
            25 => "IA_PD",
            26 => "IA_PD-prefix",
            31 => "SNTP-servers",
            32 => "lifetime",
            27 => "NIS-server",
            28 => "NIS+-server",
            29 => "NIS-domain-name",
            30 => "NIS+-domain-name",
            33 => "BCMCS-domain-name",
            34 => "BCMCS-server",
            36 => "Geoconf-Civic",
            37 => "Remote-ID",
            38 => "Subscriber-ID",
            39 => "Client-FQDN",
            40 => "PANA-agent",
            41 => "POSIX-timezone",
            42 => "POSIX-tz-database",
            43 => "Echo-request-option",
            44 => "Lease-query",
            45 => "LQ-client-data",
            46 => "Clt-time",
            47 => "LQ-relay-data",
            48 => "LQ-client-link",
            56 => "NTP-server",
            64 => "AFTR-Name",
            112 => "MUD-URL",
            o => return write!(f, "opt_{o}"),
        };
        f.write_str(name)
    }
}
