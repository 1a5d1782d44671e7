//! Recursive-descent parser for the pcap-filter language (libpcap's grammar.y, including the
//! "implicit primitive" shorthand where `port 53 or 80` reuses the qualifiers of `port 53`).

use crate::ast::{Addr, Arith, Dir, Expr, Prim, Proto, RelOp};
use crate::lexer::{lex, Tok, Token};
use crate::names;
use crate::FilterError;
use std::net::Ipv6Addr;

mod arith;

/// The qualifiers in force for an `id` (libpcap's `struct qual`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Qual {
    proto: Proto,
    dir: Dir,
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Default,
    Host,
    Net,
    Port,
    PortRange,
    Proto,
}

/// Parses a filter expression; `Ok(None)` for an empty expression.
pub fn parse(src: &str) -> Result<Option<Expr>, FilterError> {
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        i: 0,
        nodes: 0,
        depth: 0,
        operands: 0,
    };
    if p.peek() == &Tok::Eof {
        return Ok(None);
    }
    let (e, _) = p.expr(None)?;
    if p.peek() != &Tok::Eof {
        return Err(p.err("'and', 'or' or the end of the expression"));
    }
    Ok(Some(e))
}

struct Parser {
    toks: Vec<Token>,
    i: usize,
    /// Primitives and operands seen, to bound the tree the later passes recurse over.
    nodes: usize,
    /// Current nesting of `not`, parentheses and unary minus.
    depth: usize,
    /// Operands in the current relation.
    operands: usize,
}

/// Upper bound on the operands of one relation (the code generator recurses over them).
const MAX_OPERANDS: usize = 256;

/// Upper bound on primitives/operands: each costs at least one instruction, and the kernel
/// accepts 4096, so this refuses only expressions that could never be attached.
const MAX_NODES: usize = 2048;
/// Upper bound on nesting, keeping recursion shallow.
const MAX_DEPTH: usize = 100;

fn pname(word: &str) -> Option<Proto> {
    Some(match word {
        "ip" => Proto::Ip,
        "ip6" => Proto::Ip6,
        "tcp" => Proto::Tcp,
        "udp" => Proto::Udp,
        "sctp" => Proto::Sctp,
        "icmp" => Proto::Icmp,
        "icmp6" => Proto::Icmp6,
        "igmp" => Proto::Igmp,
        _ => return None,
    })
}

/// Keywords of libpcap that this compiler does not implement (link layers other than raw IP,
/// and primitives that need name resolution or loops).
const UNSUPPORTED: &[&str] = &[
    "ether",
    "fddi",
    "tr",
    "wlan",
    "link",
    "ppp",
    "slip",
    "arp",
    "rarp",
    "decnet",
    "atalk",
    "aarp",
    "lat",
    "sca",
    "moprc",
    "mopdl",
    "iso",
    "esis",
    "isis",
    "clnp",
    "stp",
    "ipx",
    "netbeui",
    "vlan",
    "mpls",
    "pppoed",
    "pppoes",
    "geneve",
    "llc",
    "gateway",
    "protochain",
    "ah",
    "esp",
    "pim",
    "vrrp",
    "carp",
    "igrp",
    "radio",
    "type",
    "subtype",
    "dir",
    "ifname",
    "on",
    "rnr",
    "rulenum",
    "reason",
    "rset",
    "ruleset",
    "srnr",
    "subrulenum",
    "action",
    "lane",
    "addr1",
    "addr2",
    "addr3",
    "addr4",
    "ra",
    "ta",
    "atm",
    "vpi",
    "vci",
    "iih",
    "lsp",
    "snp",
    "csnp",
    "psnp",
    "l1",
    "l2",
    "ifindex",
    "metac",
    "bcc",
    "sc",
    "ilmic",
    "oamf4ec",
    "oamf4sc",
    "oam",
    "oamf4",
    "connectmsg",
    "metaconnect",
    "fisu",
    "lssu",
    "msu",
    "sio",
    "opc",
    "dpc",
    "sls",
    "hfisu",
    "hlssu",
    "hmsu",
    "hsio",
    "hopc",
    "hdpc",
    "hsls",
];

const KEYWORDS: &[&str] = &[
    "ip",
    "ip6",
    "tcp",
    "udp",
    "sctp",
    "icmp",
    "icmp6",
    "igmp",
    "src",
    "dst",
    "host",
    "net",
    "mask",
    "port",
    "portrange",
    "proto",
    "and",
    "or",
    "not",
    "less",
    "greater",
    "len",
    "inbound",
    "outbound",
    "multicast",
    "broadcast",
];

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.i].tok
    }
    fn peek_at(&self, n: usize) -> &Tok {
        &self.toks[(self.i + n).min(self.toks.len() - 1)].tok
    }
    fn pos(&self) -> usize {
        self.toks[self.i].pos
    }
    fn bump(&mut self) -> Tok {
        let t = self.toks[self.i].tok.clone();
        if self.i + 1 < self.toks.len() {
            self.i += 1;
        }
        t
    }
    fn err(&self, expected: &str) -> FilterError {
        FilterError::Parse {
            pos: self.pos(),
            expected: expected.to_string(),
            found: self.peek().describe(),
        }
    }
    fn sem(&self, pos: usize, msg: String) -> FilterError {
        FilterError::Semantic { pos, msg }
    }
    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Tok::Ident(s, false) if s == w)
    }
    fn word_at(&self, n: usize) -> Option<&str> {
        match self.peek_at(n) {
            Tok::Ident(s, false) => Some(s.as_str()),
            _ => None,
        }
    }
    fn is_op(&self, o: &str) -> bool {
        matches!(self.peek(), Tok::Op(x) if *x == o)
    }
    fn expect_op(&mut self, o: &str) -> Result<(), FilterError> {
        if self.is_op(o) {
            self.bump();
            Ok(())
        } else {
            Err(self.err(&format!("'{o}'")))
        }
    }
    fn is_and(&self) -> bool {
        self.is_word("and") || self.is_op("&&")
    }
    fn is_or(&self) -> bool {
        self.is_word("or") || self.is_op("||")
    }
    fn is_not(&self) -> bool {
        self.is_word("not") || self.is_op("!")
    }

    /// expr: term | expr (and|or) (term | id)   — `and` and `or` have equal precedence.
    /// `ctx` is the qualifier in force before the expression (libpcap's `$<blk>0.q`): a
    /// parenthesised expression takes it, so `port 80 and (tcp) and 443` means port 443.
    fn expr(&mut self, ctx: Option<Qual>) -> Result<(Expr, Option<Qual>), FilterError> {
        let (mut e, mut q) = self.term(ctx)?;
        loop {
            let and = if self.is_and() {
                true
            } else if self.is_or() {
                false
            } else {
                break;
            };
            self.bump();
            let mut rhs = None;
            let mut id_err = None;
            if let Some(qq) = q {
                let save = (self.i, self.nodes, self.depth);
                match self.id(qq) {
                    Ok(r) => rhs = Some((r, Some(qq))),
                    Err(er) => {
                        id_err = Some((self.pos(), er));
                        (self.i, self.nodes, self.depth) = save;
                    }
                }
            }
            let (r, rq) = match rhs {
                Some(x) => x,
                None => match self.term(q) {
                    Ok(x) => x,
                    Err(te) => {
                        return Err(match id_err {
                            Some((p, ie)) if p > self.pos() => ie,
                            _ => te,
                        })
                    }
                },
            };
            e = if and {
                Expr::And(Box::new(e), Box::new(r))
            } else {
                Expr::Or(Box::new(e), Box::new(r))
            };
            q = rq;
        }
        Ok((e, q))
    }

    fn count(&mut self) -> Result<(), FilterError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(FilterError::TooComplex(format!(
                "more than {MAX_NODES} primitives or operands"
            )));
        }
        Ok(())
    }

    fn nest<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, FilterError>,
    ) -> Result<T, FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError::TooComplex(format!(
                "nesting deeper than {MAX_DEPTH}"
            )));
        }
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn term(&mut self, ctx: Option<Qual>) -> Result<(Expr, Option<Qual>), FilterError> {
        self.count()?;
        if self.is_not() {
            self.bump();
            let (e, q) = self.nest(|p| p.term(ctx))?;
            return Ok((Expr::Not(Box::new(e)), q));
        }
        self.nest(|p| p.rterm(ctx))
    }

    fn rterm(&mut self, ctx: Option<Qual>) -> Result<(Expr, Option<Qual>), FilterError> {
        let pos = self.pos();
        match self.peek().clone() {
            Tok::Op("(") => {
                let save = (self.i, self.nodes, self.depth);
                if let Ok(rel) = self.relation() {
                    return Ok((rel, None));
                }
                (self.i, self.nodes, self.depth) = save;
                self.bump();
                let (e, _) = self.expr(ctx)?;
                self.expect_op(")")?;
                Ok((e, ctx))
            }
            Tok::Num(_) | Tok::Op("-") => Ok((self.relation()?, None)),
            Tok::Ident(w, false) => {
                if let Some(p) = pname(&w) {
                    match self.word_at(1) {
                        _ if matches!(self.peek_at(1), Tok::Op("[")) => {
                            Ok((self.relation()?, None))
                        }
                        Some("src" | "dst" | "host" | "net" | "port" | "portrange" | "proto") => {
                            self.bump();
                            self.head(p)
                        }
                        Some("gateway" | "protochain") => {
                            self.bump();
                            Err(self.unsupported())
                        }
                        Some("multicast") => {
                            self.bump();
                            self.bump();
                            match p {
                                Proto::Ip | Proto::Ip6 => Ok((Expr::Prim(Prim::Multicast(p)), None)),
                                _ => Err(self.sem(pos, format!("'{w} multicast' is not supported; use 'ip multicast' or 'ip6 multicast'"))),
                            }
                        }
                        Some("broadcast") => {
                            self.bump();
                            self.bump();
                            match p {
                                Proto::Ip => Ok((Expr::Prim(Prim::Broadcast), None)),
                                _ => Err(self.sem(
                                    pos,
                                    "only 'ip broadcast' is supported at the IP layer".into(),
                                )),
                            }
                        }
                        _ => {
                            self.bump();
                            Ok((Expr::Prim(Prim::Proto(p)), None))
                        }
                    }
                } else {
                    match w.as_str() {
                        "src" | "dst" | "host" | "net" | "port" | "portrange" | "proto" => {
                            self.head(Proto::Default)
                        }
                        "len" => Ok((self.relation()?, None)),
                        "less" | "greater" => {
                            self.bump();
                            let n = self.num()?;
                            let op = if w == "less" { RelOp::Le } else { RelOp::Ge };
                            Ok((Expr::Prim(Prim::Rel(op, Arith::Len, Arith::Num(n))), None))
                        }
                        "inbound" | "outbound" => {
                            self.bump();
                            Ok((Expr::Prim(Prim::Outbound(w == "outbound")), None))
                        }
                        "multicast" | "broadcast" => Err(self.sem(
                            pos,
                            format!(
                                "link-layer '{w}' does not exist at the IP layer; use 'ip {w}'"
                            ),
                        )),
                        "link" | "ether" if matches!(self.peek_at(1), Tok::Op("[")) => {
                            Ok((self.relation()?, None))
                        }
                        "byte" => Ok((self.byte()?, None)),
                        _ if UNSUPPORTED.contains(&w.as_str()) => Err(self.unsupported()),
                        _ if names::field(&w).is_some() => Ok((self.relation()?, None)),
                        _ => {
                            Err(self.err("a primitive (ip, tcp, host, port, ...) or an expression"))
                        }
                    }
                }
            }
            _ => Err(self.err("a primitive (ip, tcp, host, port, ...) or an expression")),
        }
    }

    fn unsupported(&self) -> FilterError {
        FilterError::Unsupported {
            pos: self.pos(),
            what: self.peek().describe(),
        }
    }

    /// head id: `[pname] [dir] [type]` followed by an id.
    fn head(&mut self, proto: Proto) -> Result<(Expr, Option<Qual>), FilterError> {
        let mut dir = None;
        if let Some(d @ ("src" | "dst")) = self.word_at(0) {
            let first = d == "src";
            self.bump();
            let mut dq = if first { Dir::Src } else { Dir::Dst };
            if let (Some(c @ ("or" | "and")), Some(d2 @ ("src" | "dst"))) =
                (self.word_at(0), self.word_at(1))
            {
                if (d2 == "src") != first {
                    dq = if c == "or" {
                        Dir::SrcOrDst
                    } else {
                        Dir::SrcAndDst
                    };
                    self.bump();
                    self.bump();
                }
            } else if matches!(self.peek(), Tok::Op("||" | "&&")) {
                if let Some(d2 @ ("src" | "dst")) = self.word_at(1) {
                    if (d2 == "src") != first {
                        dq = if self.is_op("||") {
                            Dir::SrcOrDst
                        } else {
                            Dir::SrcAndDst
                        };
                        self.bump();
                        self.bump();
                    }
                }
            }
            dir = Some(dq);
        }
        let kind = match self.word_at(0) {
            Some("host") => Some(Kind::Host),
            Some("net") => Some(Kind::Net),
            Some("port") => Some(Kind::Port),
            Some("portrange") => Some(Kind::PortRange),
            Some("proto") if dir.is_none() => Some(Kind::Proto),
            Some("gateway" | "protochain") => return Err(self.unsupported()),
            _ => None,
        };
        if kind.is_some() {
            self.bump();
        } else if dir.is_none() {
            return Err(self.err("'src', 'dst', 'host', 'net', 'port', 'portrange' or 'proto'"));
        }
        let q = Qual {
            proto,
            dir: dir.unwrap_or(Dir::SrcOrDst),
            kind: kind.unwrap_or(Kind::Default),
        };
        let e = self.id(q)?;
        Ok((e, Some(q)))
    }

    /// id: NUM | address[/len | mask address] | name | not id | ( id (and|or) id ... )
    fn id(&mut self, q: Qual) -> Result<Expr, FilterError> {
        self.count()?;
        if self.is_not() {
            self.bump();
            return Ok(Expr::Not(Box::new(self.nest(|p| p.id(q))?)));
        }
        let pos = self.pos();
        match self.peek().clone() {
            Tok::Op("(") => self.nest(|p| p.id_group(q)),
            Tok::Num(n) => {
                self.bump();
                self.ncode_num(pos, n, q)
            }
            Tok::Hid(v, bits) => {
                self.bump();
                self.ncode_v4(pos, v, bits, q)
            }
            Tok::Hid6(a) => {
                self.bump();
                self.ncode_v6(pos, a, q)
            }
            Tok::Ident(w, escaped) => {
                if !escaped && KEYWORDS.contains(&w.as_str()) {
                    return Err(self.err("a number, address or name"));
                }
                if let Some(n) = names::field(&w) {
                    self.bump();
                    return self.ncode_num(pos, n, q);
                }
                self.bump();
                self.scode(pos, &w, q)
            }
            _ => Err(self.err("a number, address or name")),
        }
    }

    /// `( id (and|or) id ... )`
    fn id_group(&mut self, q: Qual) -> Result<Expr, FilterError> {
        self.bump();
        let mut e = self.id(q)?;
        loop {
            let and = if self.is_and() {
                true
            } else if self.is_or() {
                false
            } else {
                break;
            };
            self.bump();
            let r = self.id(q)?;
            e = if and {
                Expr::And(Box::new(e), Box::new(r))
            } else {
                Expr::Or(Box::new(e), Box::new(r))
            };
        }
        self.expect_op(")")?;
        Ok(e)
    }

    fn check_port_proto(&self, pos: usize, q: Qual) -> Result<(), FilterError> {
        match q.proto {
            Proto::Default | Proto::Tcp | Proto::Udp | Proto::Sctp => Ok(()),
            p => Err(self.sem(pos, format!("illegal qualifier of 'port': {p:?}"))),
        }
    }

    fn port_prim(&self, pos: usize, q: Qual, lo: u32, hi: u32) -> Result<Expr, FilterError> {
        self.check_port_proto(pos, q)?;
        for v in [lo, hi] {
            if v > 65535 {
                return Err(self.sem(pos, format!("illegal port number {v} > 65535")));
            }
        }
        let (lo, hi) = if lo > hi { (hi, lo) } else { (lo, hi) };
        Ok(Expr::Prim(Prim::Port {
            proto: q.proto,
            dir: q.dir,
            lo: lo as u16,
            hi: hi as u16,
        }))
    }

    fn ncode_num(&self, pos: usize, n: u32, q: Qual) -> Result<Expr, FilterError> {
        match q.kind {
            Kind::Port | Kind::PortRange => self.port_prim(pos, q, n, n),
            Kind::Proto => self.proto_prim(pos, q, n),
            Kind::Net => {
                // Promote a short network number: `net 10` is 10.0.0.0/8.
                let (mut v, mut mask) = (n, u32::MAX);
                while v != 0 && v & 0xff00_0000 == 0 {
                    v <<= 8;
                    mask <<= 8;
                }
                self.host_prim(pos, q, Addr::V4 { addr: v, mask })
            }
            Kind::Host | Kind::Default => self.host_prim(
                pos,
                q,
                Addr::V4 {
                    addr: n,
                    mask: u32::MAX,
                },
            ),
        }
    }

    fn proto_prim(&self, pos: usize, q: Qual, n: u32) -> Result<Expr, FilterError> {
        match q.proto {
            Proto::Default | Proto::Ip | Proto::Ip6 => Ok(Expr::Prim(Prim::ProtoNum(q.proto, n))),
            p => Err(self.sem(pos, format!("'proto' qualifier cannot follow {p:?}"))),
        }
    }

    fn host_prim(&self, pos: usize, q: Qual, addr: Addr) -> Result<Expr, FilterError> {
        match (q.proto, addr) {
            (Proto::Default | Proto::Ip, Addr::V4 { .. })
            | (Proto::Default | Proto::Ip6, Addr::V6 { .. }) => Ok(Expr::Prim(Prim::Host {
                proto: q.proto,
                dir: q.dir,
                addr,
            })),
            (Proto::Ip6, Addr::V4 { .. }) => {
                Err(self.sem(pos, "'ip6' qualifier applied to an IPv4 address".into()))
            }
            (Proto::Ip, Addr::V6 { .. }) => {
                Err(self.sem(pos, "'ip' qualifier applied to an IPv6 address".into()))
            }
            (p, _) => Err(self.sem(pos, format!("{p:?} qualifier applied to a host or net"))),
        }
    }

    fn v4_kind_check(&self, pos: usize, q: Qual) -> Result<(), FilterError> {
        match q.kind {
            Kind::Port => Err(self.sem(pos, "'port' modifier applied to ip host".into())),
            Kind::PortRange => Err(self.sem(pos, "'portrange' modifier applied to ip host".into())),
            Kind::Proto => Err(self.sem(pos, "'proto' modifier applied to ip host".into())),
            _ => Ok(()),
        }
    }

    fn ncode_v4(&mut self, pos: usize, v: u32, bits: u32, q: Qual) -> Result<Expr, FilterError> {
        self.v4_kind_check(pos, q)?;
        let shift = |x: u32| if bits >= 32 { x } else { x << (32 - bits) };
        let addr = shift(v);
        let mut mask = shift(u32::MAX);
        let explicit = if self.is_op("/") {
            self.bump();
            let npos = self.pos();
            let len = self.num()?;
            if len > 32 {
                return Err(self.sem(npos, format!("mask length must be <= 32, not {len}")));
            }
            mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            true
        } else if self.is_word("mask") {
            self.bump();
            match self.bump() {
                Tok::Hid(m, mbits) => mask = if mbits >= 32 { m } else { m << (32 - mbits) },
                _ => {
                    self.i -= 1;
                    return Err(self.err("a dotted netmask after 'mask'"));
                }
            }
            true
        } else {
            false
        };
        if explicit {
            if q.kind == Kind::Host {
                return Err(self.sem(pos, "mask syntax is for networks only".into()));
            }
            if addr & !mask != 0 {
                return Err(self.sem(pos, "non-network bits set in the address".into()));
            }
        }
        self.host_prim(pos, q, Addr::V4 { addr, mask })
    }

    fn ncode_v6(&mut self, pos: usize, a: Ipv6Addr, q: Qual) -> Result<Expr, FilterError> {
        self.v4_kind_check(pos, q)?;
        let mut len = 128;
        if self.is_op("/") {
            self.bump();
            let npos = self.pos();
            len = self.num()?;
            if len > 128 {
                return Err(self.sem(npos, format!("mask length must be <= 128, not {len}")));
            }
            if q.kind == Kind::Host && len != 128 {
                return Err(self.sem(pos, "mask syntax is for networks only".into()));
            }
        }
        let m: u128 = if len == 0 {
            0
        } else {
            u128::MAX << (128 - len)
        };
        let av = u128::from(a);
        if av & !m != 0 {
            return Err(self.sem(pos, "non-network bits set in the address".into()));
        }
        self.host_prim(
            pos,
            q,
            Addr::V6 {
                addr: a,
                mask: Ipv6Addr::from(m),
            },
        )
    }

    fn scode(&self, pos: usize, w: &str, q: Qual) -> Result<Expr, FilterError> {
        match q.kind {
            Kind::Port => match names::port(w) {
                Some(p) => self.port_prim(pos, q, p, p),
                None => Err(self.sem(pos, format!("unknown port name '{w}'"))),
            },
            Kind::PortRange => {
                let (a, b) = w.split_once('-').unwrap_or((w, w));
                let parse = |s: &str| s.parse::<u32>().ok().or_else(|| names::port(s));
                match (parse(a), parse(b)) {
                    (Some(lo), Some(hi)) => self.port_prim(pos, q, lo, hi),
                    _ => Err(self.sem(pos, format!("bad port range '{w}' (expected LO-HI)"))),
                }
            }
            Kind::Proto => match names::protocol(w) {
                Some(n) => self.proto_prim(pos, q, n),
                None => Err(self.sem(pos, format!("unknown protocol name '{w}'"))),
            },
            _ => Err(FilterError::Unsupported {
                pos,
                what: format!(
                    "host name '{w}' (name resolution is not done; use a numeric address)"
                ),
            }),
        }
    }

    fn num(&mut self) -> Result<u32, FilterError> {
        match self.peek().clone() {
            Tok::Num(n) => {
                self.bump();
                Ok(n)
            }
            Tok::Ident(w, _) if names::field(&w).is_some() => {
                self.bump();
                Ok(names::field(&w).unwrap_or(0))
            }
            _ => Err(self.err("a number")),
        }
    }
}
