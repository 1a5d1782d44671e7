//! `print-udp.c` (without the application-layer dissectors).

use super::{proto, Printer, Trunc, R};

impl Printer<'_> {
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
    pub(super) fn udp(&mut self, bp: usize, mut length: u32, iph: usize, fragmented: bool) -> R {
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
        if self.verbose > 0 && !fragmented {
            self.udp_cksum(iph, bp, length)?;
        }
        if !self.quick && self.udp_app(bp + 8, length, sport, dport)? {
            return Ok(());
        }
        if ulen > length && !fragmented {
            self.p(format_args!("UDP, bad length {ulen} > {length}"));
        } else {
            self.p(format_args!("UDP, length {ulen}"));
        }
        Ok(())
    }

    /// The `-v` checksum note: IPv6 always (its UDP checksum is mandatory), IPv4 from `-vv`.
    fn udp_cksum(&mut self, iph: usize, bp: usize, length: u32) -> R {
        let v6 = self.u8(iph)? >> 4 == 6;
        let udp_sum = self.u16(bp + 6)?;
        if !v6 && self.verbose < 2 {
            return Ok(());
        }
        if !v6 && udp_sum == 0 {
            self.ps("[no cksum] ");
            return Ok(());
        }
        if !self.avail(bp + 8, length as usize) {
            return Ok(());
        }
        let sum = self.transport_cksum(iph, proto::UDP, bp, length + 8)?;
        if sum != 0 {
            let should = super::cksum_shouldbe(udp_sum, sum);
            self.p(format_args!(
                "[bad udp cksum 0x{udp_sum:04x} -> 0x{should:04x}!] "
            ));
        } else {
            self.ps("[udp sum ok] ");
        }
        Ok(())
    }

    /// The application-layer dissector tcpdump chooses by port; `false` when it is one this
    /// printer does not mirror, or none (the line then ends `UDP, length N`).
    fn udp_app(&mut self, cp: usize, length: u32, sport: u16, dport: u16) -> Result<bool, Trunc> {
        match UdpApp::choose(sport, dport) {
            Some(UdpApp::Domain) => self.domain(cp, length, false, false)?,
            Some(UdpApp::MulticastDomain) => self.domain(cp, length, false, true)?,
            Some(UdpApp::Tftp) => self.tftp(cp, length)?,
            Some(UdpApp::Bootp) => self.bootp(cp, length)?,
            Some(UdpApp::Rip) => self.rip(cp, length)?,
            Some(UdpApp::Ntp) => self.ntp(cp, length)?,
            Some(UdpApp::Dhcp6) => self.dhcp6(cp, length)?,
            Some(UdpApp::Syslog) => self.syslog(cp, length)?,
            Some(UdpApp::Vxlan) => self.vxlan(cp, length)?,
            Some(UdpApp::Geneve) => self.geneve(cp, length)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The dissectors `udp_print` hands a datagram to, in its order of precedence (the first whose
/// port matches wins, even when this printer does not mirror it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum UdpApp {
    Domain,
    MulticastDomain,
    Tftp,
    Bootp,
    Rip,
    Ntp,
    Dhcp6,
    Syslog,
    Vxlan,
    Geneve,
    /// One tcpdump decodes and this printer does not.
    Other,
}

impl UdpApp {
    pub(super) fn choose(sport: u16, dport: u16) -> Option<UdpApp> {
        let either = |p: u16| sport == p || dport == p;
        let any = |ports: &[u16]| ports.iter().any(|&p| either(p));
        Some(if either(53) {
            UdpApp::Domain
        } else if either(5353) {
            UdpApp::MulticastDomain
        } else if either(525) {
            UdpApp::Other
        } else if either(69) {
            UdpApp::Tftp
        } else if any(&[67, 68]) {
            UdpApp::Bootp
        } else if either(520) {
            UdpApp::Rip
        } else if any(&[654, 500, 4500, 7500, 8500, 161, 162]) {
            UdpApp::Other
        } else if either(123) {
            UdpApp::Ntp
        } else if any(&[88, 750, 1701, 137, 138, 2103, 2104, 521])
            || dport == 3456
            || (7000..=7009).contains(&sport)
            || (7000..=7009).contains(&dport)
        {
            UdpApp::Other
        } else if any(&[546, 547]) {
            UdpApp::Dhcp6
        } else if any(&[
            5359, 6696, 6697, 8231, 496, 1645, 1646, 1812, 1813, 1700, 3799, 921, 646, 698, 3503,
            701, 1589, 6343, 12223, 5060,
        ]) || matches!(dport, 4567 | 1985 | 3784 | 4784 | 6784 | 3785 | 12222)
            || sport == 49152
            || sport == 12222
        {
            UdpApp::Other
        } else if either(514) {
            UdpApp::Syslog
        } else if either(8472) {
            UdpApp::Other
        } else if either(4789) {
            UdpApp::Vxlan
        } else if either(6081) {
            UdpApp::Geneve
        } else if any(&[4342, 4790, 17754, 6635, 319, 320, 30490]) {
            UdpApp::Other
        } else {
            return None;
        })
    }
}

impl Printer<'_> {
    /// `syslog_print`: RFC 3164 messages, `<PRI>` first.
    fn syslog(&mut self, bp: usize, len: u32) -> R {
        self.proto = "syslog";
        if self.u8(bp)? != b'<' {
            self.ps(" (invalid)");
            return Ok(());
        }
        let mut off = 1usize;
        let mut pri = 0u16;
        // At most three digits, as tcpdump's SYSLOG_MAX_DIGITS.
        while off <= 3 {
            let c = self.u8(bp + off)?;
            if !c.is_ascii_digit() {
                break;
            }
            pri = pri * 10 + u16::from(c - b'0');
            off += 1;
        }
        if self.u8(bp + off)? != b'>' {
            self.ps(" (invalid)");
            return Ok(());
        }
        off += 1;
        let facility = (pri & 0x3f8) >> 3;
        let severity = pri & 7;
        const FACILITIES: [&str; 24] = [
            "kernel", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
            "authpriv", "ftp", "ntp", "security", "console", "cron", "local0", "local1", "local2",
            "local3", "local4", "local5", "local6", "local7",
        ];
        const SEVERITIES: [&str; 8] = [
            "emergency",
            "alert",
            "critical",
            "error",
            "warning",
            "notice",
            "info",
            "debug",
        ];
        let fac = FACILITIES
            .get(usize::from(facility))
            .map_or_else(|| format!("unknown ({facility})"), |s| (*s).to_owned());
        let sev = SEVERITIES[usize::from(severity)];
        if self.verbose < 1 {
            self.p(format_args!("SYSLOG {fac}.{sev}, length: {len}"));
            return Ok(());
        }
        self.p(format_args!(
            "SYSLOG, length: {len}\n\tFacility {fac} ({facility}), Severity {sev} ({severity})\n\tMsg: "
        ));
        let len = len as usize;
        // nd_printn without an end: a message longer than the capture is cut with the marker.
        for i in off..len {
            let c = self.u8(bp + i)?;
            self.print_char(c);
        }
        if self.verbose > 1 {
            self.unknown_data(bp, len, "\n\t");
        }
        Ok(())
    }
}
