//! `print-ip.c`: the IPv4 header.

use super::{proto, Printer, Trunc, R};

impl Printer<'_> {
    /// `ip_print`: `b` is the offset of the IPv4 header in `buf`.
    pub(super) fn ip4(&mut self, b: usize, length: u32) -> R {
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
}
