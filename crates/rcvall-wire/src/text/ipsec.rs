//! `print-ah.c` and `print-esp.c`.

use super::{Printer, Trunc, R};

impl Printer<'_> {
    /// `ah_print`; returns the header length.
    pub(super) fn ah(&mut self, bp: usize) -> Result<usize, Trunc> {
        self.proto = "ah";
        self.ps("AH");
        let ah_len = self.u8(bp + 1)?;
        let hdr_len = (usize::from(ah_len) + 2) * 4;
        self.ps("(");
        if self.verbose > 0 {
            self.p(format_args!("length={ah_len}({hdr_len}-bytes),"));
        }
        let reserved = self.u16(bp + 2)?;
        if reserved != 0 {
            self.p(format_args!("reserved=0x{reserved:x}[MustBeZero],"));
        }
        let spi = self.u32(bp + 4)?;
        self.p(format_args!("spi=0x{spi:08x},"));
        let seq = self.u32(bp + 8)?;
        self.p(format_args!("seq=0x{seq:x},"));
        self.ps("icv=0x");
        for i in 12..hdr_len {
            let x = self.u8(bp + i)?;
            self.p(format_args!("{x:02x}"));
        }
        self.ps("): ");
        Ok(hdr_len)
    }

    /// `esp_print` without decryption.
    pub(super) fn esp(&mut self, bp: usize, length: u32) -> R {
        self.proto = "esp";
        // tcpdump wants at least one byte past the 8-byte ESP header.
        if !self.avail(bp, 9) {
            self.trunc_here();
            return Ok(());
        }
        let spi = self.u32(bp)?;
        self.p(format_args!("ESP(spi=0x{spi:08x}"));
        let seq = self.u32(bp + 4)?;
        self.p(format_args!(",seq=0x{seq:x}), length {length}"));
        Ok(())
    }
}
