//! Tokenizer for the pcap-filter language, following libpcap's scanner where it matters
//! (identifiers may contain `-`, `.` and `_`, so `10-20` is one token as `portrange` expects).

use crate::FilterError;
use std::net::Ipv6Addr;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A number (decimal, 0x hex, or leading-0 octal).
    Num(u32),
    /// A dotted IPv4 address with 1 to 4 parts: value and number of bits given.
    Hid(u32, u32),
    /// An IPv6 address.
    Hid6(Ipv6Addr),
    /// A word: keyword or name (`escaped` when written with a leading backslash).
    Ident(String, bool),
    /// Punctuation and operators.
    Op(&'static str),
    Eof,
}

impl Tok {
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Num(n) => format!("number {n}"),
            Tok::Hid(..) => "IPv4 address".to_string(),
            Tok::Hid6(a) => format!("IPv6 address {a}"),
            Tok::Ident(s, _) => format!("'{s}'"),
            Tok::Op(o) => format!("'{o}'"),
            Tok::Eof => "end of expression".to_string(),
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub tok: Tok,
    pub pos: usize,
}

const OPS: &[&str] = &[
    "&&", "||", "<<", ">>", "<=", ">=", "==", "!=", "(", ")", "[", "]", ":", "!", "&", "|", "^",
    "+", "-", "*", "/", "%", "=", "<", ">",
];

pub(crate) fn lex(src: &str) -> Result<Vec<Token>, FilterError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        // IPv6 addresses: a maximal run of hex digits, ':' and '.' containing a ':'.
        if c.is_ascii_hexdigit() || c == b':' {
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_hexdigit() || b[j] == b':' || b[j] == b'.') {
                j += 1;
            }
            let run = &src[i..j];
            let ends_word = j >= b.len() || !(b[j].is_ascii_alphanumeric() || b[j] == b'_');
            if run.contains(':') && ends_word {
                if let Ok(a) = run.parse::<Ipv6Addr>() {
                    out.push(Token {
                        tok: Tok::Hid6(a),
                        pos: i,
                    });
                    i = j;
                    continue;
                }
            }
        }
        if c.is_ascii_alphanumeric() || c == b'\\' {
            let escaped = c == b'\\';
            let start = if escaped { i + 1 } else { i };
            let mut j = start;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b"-_.".contains(&b[j])) {
                j += 1;
            }
            // libpcap's ID pattern cannot end with '-' or '_'.
            while j > start && (b[j - 1] == b'-' || b[j - 1] == b'_') {
                j -= 1;
            }
            if j == start {
                return Err(FilterError::Parse {
                    pos: i,
                    expected: "a name after '\\'".into(),
                    found: "nothing".into(),
                });
            }
            let word = &src[start..j];
            let tok = if escaped {
                Tok::Ident(word.to_string(), true)
            } else {
                classify(word, i)?
            };
            out.push(Token { tok, pos: i });
            i = j;
            continue;
        }
        if let Some(op) = OPS.iter().find(|o| src[i..].starts_with(**o)) {
            out.push(Token {
                tok: Tok::Op(op),
                pos: i,
            });
            i += op.len();
            continue;
        }
        let ch = src[i..].chars().next().unwrap_or('?');
        return Err(FilterError::Parse {
            pos: i,
            expected: "a primitive, number, address or operator".into(),
            found: format!("'{ch}'"),
        });
    }
    out.push(Token {
        tok: Tok::Eof,
        pos: src.len(),
    });
    Ok(out)
}

fn classify(word: &str, pos: usize) -> Result<Tok, FilterError> {
    if word.as_bytes()[0].is_ascii_digit() {
        if let Some(n) = parse_num(word) {
            return n.map_err(|_| FilterError::Parse {
                pos,
                expected: "a number that fits in 32 bits".into(),
                found: word.to_string(),
            });
        }
        if word.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
            let parts: Vec<&str> = word.split('.').collect();
            let ok = parts.len() <= 4 && parts.iter().all(|p| !p.is_empty());
            let mut v: u32 = 0;
            if ok {
                for p in &parts {
                    let n = p.parse::<u32>().ok().filter(|n| *n <= 255).ok_or_else(|| {
                        FilterError::Parse {
                            pos,
                            expected: "IPv4 address parts of 0..255".into(),
                            found: word.to_string(),
                        }
                    })?;
                    v = (v << 8) | n;
                }
                return Ok(Tok::Hid(v, 8 * parts.len() as u32));
            }
        }
    }
    Ok(Tok::Ident(word.to_string(), false))
}

/// Parses a number like C's strtoul with base 0; `None` when `word` is not a number at all.
fn parse_num(word: &str) -> Option<Result<Tok, ()>> {
    let (digits, radix) = if let Some(h) = word.strip_prefix("0x").or(word.strip_prefix("0X")) {
        (h, 16)
    } else if word.len() > 1 && word.starts_with('0') {
        (&word[1..], 8)
    } else {
        (word, 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    Some(
        u32::from_str_radix(digits, radix)
            .map(Tok::Num)
            .map_err(|_| ()),
    )
}
