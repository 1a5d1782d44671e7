//! `print-http.c` and `txtproto_print`: the request or status line of HTTP on TCP 80 and 8080,
//! and at -v every text line of the message head.

use super::{Printer, Trunc, R};

/// tcpdump's `httpcmds`: the request methods it recognises.
const HTTP_METHODS: [&str; 38] = [
    "GET",
    "PUT",
    "COPY",
    "HEAD",
    "LOCK",
    "MOVE",
    "POLL",
    "POST",
    "BCOPY",
    "BMOVE",
    "MKCOL",
    "TRACE",
    "LABEL",
    "MERGE",
    "DELETE",
    "SEARCH",
    "UNLOCK",
    "REPORT",
    "UPDATE",
    "NOTIFY",
    "BDELETE",
    "CONNECT",
    "OPTIONS",
    "CHECKIN",
    "PROPFIND",
    "CHECKOUT",
    "CCM_POST",
    "SUBSCRIBE",
    "PROPPATCH",
    "BPROPFIND",
    "BPROPPATCH",
    "UNCHECKOUT",
    "MKACTIVITY",
    "MKWORKSPACE",
    "UNSUBSCRIBE",
    "RPC_CONNECT",
    "VERSION-CONTROL",
    "BASELINE-CONTROL",
];

/// tcpdump's token buffer: a longer word is not a token.
const MAX_TOKEN: usize = 128;

impl Printer<'_> {
    /// `http_print`.
    pub(super) fn http(&mut self, bp: usize, len: u32) -> R {
        self.proto = "http";
        let len = len as usize;
        let mut print_this = false;
        let mut token = Vec::new();
        let idx = self.fetch_token(bp, 0, len, &mut token)?;
        if idx != 0 {
            if HTTP_METHODS
                .iter()
                .any(|m| m.as_bytes().eq_ignore_ascii_case(&token))
            {
                print_this = true;
            }
            // A response: the second token is a three-digit status.
            let idx = self.fetch_token(bp, idx, len, &mut token)?;
            if idx != 0 && token.len() == 3 && token.iter().all(u8::is_ascii_digit) {
                print_this = true;
            }
        }
        self.ps("HTTP");
        if print_this {
            if self.verbose > 0 {
                self.p(format_args!(", length: {len}"));
                let mut idx = 0;
                while idx < len {
                    match self.txt_line("\n\t", bp, idx, len)? {
                        0 => break,
                        eol => idx = eol,
                    }
                }
            } else {
                self.txt_line(": ", bp, 0, len)?;
            }
        }
        Ok(())
    }

    /// `fetch_token`: the word at `idx` and the offset after the blanks that follow it; 0 when
    /// there is no printable token there.
    fn fetch_token(
        &self,
        bp: usize,
        mut idx: usize,
        len: usize,
        token: &mut Vec<u8>,
    ) -> Result<usize, Trunc> {
        token.clear();
        while idx < len {
            if !self.avail(bp + idx, 1) {
                return Ok(0);
            }
            let c = self.u8(bp + idx)?;
            if !c.is_ascii() {
                return Ok(0);
            }
            if matches!(c, b' ' | b'\t' | b'\r' | b'\n') {
                break;
            }
            if !(0x20..=0x7e).contains(&c) || token.len() + 2 > MAX_TOKEN + 1 {
                return Ok(0);
            }
            token.push(c);
            idx += 1;
        }
        if token.is_empty() {
            return Ok(0);
        }
        while idx < len {
            if !self.avail(bp + idx, 1) {
                break;
            }
            let c = self.u8(bp + idx)?;
            if c == b'\r' || c == b'\n' || !(0x20..=0x7e).contains(&c) || (c != b' ' && c != b'\t')
            {
                break;
            }
            idx += 1;
        }
        Ok(idx)
    }

    /// `print_txt_line`: the text line at `idx` after `prefix`; the offset after its end of
    /// line, or 0 when it is not text (or not complete, then marked truncated).
    fn txt_line(
        &mut self,
        prefix: &str,
        bp: usize,
        mut idx: usize,
        len: usize,
    ) -> Result<usize, Trunc> {
        let start = idx;
        while idx < len {
            let c = self.u8(bp + idx)?;
            if c == b'\n' {
                self.txt_out(prefix, bp + start, idx - start);
                return Ok(idx + 1);
            } else if c == b'\r' {
                if idx + 1 >= len {
                    return Ok(0);
                }
                if self.u8(bp + idx + 1)? == b'\n' {
                    self.txt_out(prefix, bp + start, idx - start);
                    return Ok(idx + 2);
                }
                return Ok(0);
            } else if !(0x20..=0x7e).contains(&c) && c != b'\t' {
                return Ok(0);
            }
            idx += 1;
        }
        self.txt_out(prefix, bp + start, idx - start);
        self.trunc_here();
        Ok(0)
    }

    fn txt_out(&mut self, prefix: &str, at: usize, n: usize) {
        self.ps(prefix);
        // Checked above: every byte is printable ASCII or a tab.
        for &b in &self.buf[at..at + n] {
            self.s.push(char::from(b));
        }
    }
}
