//! `print-ascii.c`: the `-x`, `-X` and `-A` dumps that follow a packet's line.

use core::fmt::{self, Write};

use super::Dump;

/// tcpdump's `ND_ASCII_ISGRAPH`: printable and not a space.
fn is_graph(b: u8) -> bool {
    (0x21..=0x7e).contains(&b)
}

pub(super) fn write(out: &mut impl Write, dump: Dump, data: &[u8]) -> fmt::Result {
    match dump {
        Dump::None => Ok(()),
        Dump::Hex => hex(out, data),
        Dump::HexAscii => hex_ascii(out, data),
        Dump::Ascii => ascii(out, data),
    }
}

fn hex(out: &mut impl Write, data: &[u8]) -> fmt::Result {
    hex_with(out, "\n\t", data)
}

/// `hex_print`: eight groups of two bytes a line, an odd last byte alone, each line opened by
/// `indent`.
pub(super) fn hex_with(out: &mut impl Write, indent: &str, data: &[u8]) -> fmt::Result {
    for (n, line) in data.chunks(16).enumerate() {
        write!(out, "{indent}0x{:04x}: ", n * 16)?;
        for pair in line.chunks(2) {
            match *pair {
                [a, b] => write!(out, " {a:02x}{b:02x}")?,
                [a] => write!(out, " {a:02x}")?,
                _ => {}
            }
        }
    }
    Ok(())
}

/// `hex_and_ascii_print`: the hex column padded to 40 characters, two spaces, the bytes.
fn hex_ascii(out: &mut impl Write, data: &[u8]) -> fmt::Result {
    for (n, line) in data.chunks(16).enumerate() {
        let mut hex = String::with_capacity(40);
        for pair in line.chunks(2) {
            match *pair {
                [a, b] => write!(hex, " {a:02x}{b:02x}")?,
                [a] => write!(hex, " {a:02x}")?,
                _ => {}
            }
        }
        write!(out, "\n\t0x{:04x}: {hex:<40}  ", n * 16)?;
        for &b in line {
            out.write_char(if is_graph(b) { char::from(b) } else { '.' })?;
        }
    }
    Ok(())
}

/// `ascii_print`: text as is (tabs, spaces, newlines kept), a CR dropped before a newline or
/// before the last byte, anything else unprintable as `.`.
fn ascii(out: &mut impl Write, data: &[u8]) -> fmt::Result {
    out.write_char('\n')?;
    for (i, &b) in data.iter().enumerate() {
        let left = data.len() - i - 1;
        if b == b'\r' {
            if left > 1 && data[i + 1] != b'\n' {
                out.write_char('.')?;
            }
        } else if is_graph(b) || matches!(b, b'\t' | b' ' | b'\n') {
            out.write_char(char::from(b))?;
        } else {
            out.write_char('.')?;
        }
    }
    Ok(())
}
