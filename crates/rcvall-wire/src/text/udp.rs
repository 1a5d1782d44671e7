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

    /// The application-layer dissectors chosen by port; `false` when none applies.
    fn udp_app(
        &mut self,
        _cp: usize,
        _length: u32,
        _sport: u16,
        _dport: u16,
    ) -> Result<bool, Trunc> {
        Ok(false)
    }
}
