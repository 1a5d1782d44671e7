//! Lowers the AST to a control-flow graph of test blocks for LINKTYPE_RAW (offset 0 is the first
//! byte of the IPv4 or IPv6 header). The order of tests mirrors libpcap's gencode.c, because an
//! out-of-bounds load rejects the whole packet: which loads run before a decision is part of
//! the filter's meaning on truncated packets.

use crate::ast::{Addr, ArOp, Arith, Dir, Expr, Prim, Proto, RelOp};
use crate::insn::*;
use crate::FilterError;

/// A test: straight-line statements computing A (and maybe X), then one conditional jump.
/// Statements always start from scratch (they never read registers set by an earlier test),
/// so two tests with equal statements see equal values.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Leaf {
    pub stmts: Vec<Insn>,
    /// BPF_JMP | op | src.
    pub jcode: u16,
    pub k: u32,
}

/// Boolean structure over tests.
#[derive(Clone, Debug)]
pub(crate) enum B {
    Leaf(Leaf),
    /// Conjunction, evaluated left to right (kept flat so long chains do not recurse).
    And(Vec<B>),
    /// Disjunction, evaluated left to right.
    Or(Vec<B>),
    Not(Box<B>),
    Const(bool),
    /// Rejects the packet outright (an out-of-bounds load), whatever encloses it.
    Abort,
    /// Rejects the packet outright if the test is true, else continues; only ever followed by
    /// more of an `And`, never negated on its own.
    Guard(Leaf),
}

/// Largest packet offset a generated load may use. libpcap's interpreter rejects any load past
/// the captured bytes, but the kernel reads offsets >= 2^31 as negative, i.e. as its
/// SKF_AD_OFF/SKF_NET_OFF/SKF_LL_OFF extensions; so larger offsets are turned into an explicit
/// reject (packets are never this long) and the kernel behaves like libpcap.
const MAX_OFFSET: u32 = 0x7fff_0000;

fn and(a: B, b: B) -> B {
    join(a, b, true)
}
fn or(a: B, b: B) -> B {
    join(a, b, false)
}
/// `a AND b` (`conjunction`) or `a OR b`, kept flat: the identity (true for AND, false for OR)
/// disappears and nested chains of the same operator are spliced in order.
fn join(a: B, b: B, conjunction: bool) -> B {
    let members = |x: B| match x {
        B::And(v) if conjunction => v,
        B::Or(v) if !conjunction => v,
        x => vec![x],
    };
    match (a, b) {
        (B::Const(c), x) | (x, B::Const(c)) if c == conjunction => x,
        (a, b) => {
            let mut v = members(a);
            v.extend(members(b));
            if conjunction {
                B::And(v)
            } else {
                B::Or(v)
            }
        }
    }
}
fn not(a: B) -> B {
    match a {
        B::Const(c) => B::Const(!c),
        B::Not(x) => *x,
        x => B::Not(Box::new(x)),
    }
}
/// `A + c == k` is `A == k - c` (and likewise for `-` and `^`): equality survives the wrap.
fn fold_eq(mut stmts: Vec<Insn>, jop: u16, mut k: u32) -> (Vec<Insn>, u32) {
    while jop == BPF_JEQ && stmts.len() > 1 {
        let Some(last) = stmts.last() else { break };
        if class(last.code) != BPF_ALU || src(last.code) != BPF_K {
            break;
        }
        k = match op(last.code) {
            BPF_ADD => k.wrapping_sub(last.k),
            BPF_SUB => k.wrapping_add(last.k),
            BPF_XOR => k ^ last.k,
            _ => break,
        };
        stmts.pop();
    }
    (stmts, k)
}

/// `test`, preceded by the offset guards; an always-failing load aborts.
fn guarded(guards: Vec<Leaf>, always_oob: bool, test: B) -> B {
    if always_oob {
        return B::Abort;
    }
    guards
        .into_iter()
        .rev()
        .fold(test, |acc, g| and(B::Guard(g), acc))
}

fn or_all(v: Vec<B>) -> B {
    v.into_iter().reduce(or).unwrap_or(B::Const(false))
}

fn leaf(stmts: Vec<Insn>, jop: u16, k: u32) -> B {
    B::Leaf(Leaf {
        stmts,
        jcode: BPF_JMP | jop | BPF_K,
        k,
    })
}
fn ld_abs(sz: u16, off: u32) -> Insn {
    Insn::stmt(BPF_LD | sz | BPF_ABS, off)
}
fn cmp(sz: u16, off: u32, v: u32) -> B {
    leaf(vec![ld_abs(sz, off)], BPF_JEQ, v)
}
fn mcmp(sz: u16, off: u32, v: u32, mask: u32) -> B {
    if mask == u32::MAX {
        return cmp(sz, off, v);
    }
    if mask == 0 {
        // libpcap's optimiser turns `and #0` into `ld #0` and drops the load: always true.
        return B::Const(true);
    }
    leaf(
        vec![ld_abs(sz, off), Insn::stmt(BPF_ALU | BPF_AND | BPF_K, mask)],
        BPF_JEQ,
        v,
    )
}

/// Header field offsets and values, relative to the start of the IP header.
mod field {
    /// Version (high nibble) and, in IPv4, header length (low nibble).
    pub const VERSION: u32 = 0;
    pub const VERSION_MASK: u32 = 0xf0;
    pub const IPV4_VERSION: u32 = 0x40;
    pub const IPV6_VERSION: u32 = 0x60;
    /// IPv4 flags and fragment offset; the offset is the low 13 bits.
    pub const IPV4_FRAG: u32 = 6;
    pub const IPV4_FRAG_OFFSET_MASK: u32 = 0x1fff;
    pub const IPV4_PROTO: u32 = 9;
    pub const IPV4_SRC: u32 = 12;
    pub const IPV4_DST: u32 = 16;
    /// First byte of 224.0.0.0/4 (class D).
    pub const IPV4_MULTICAST_FIRST: u32 = 0xe0;
    pub const IPV6_NEXT_HEADER: u32 = 6;
    pub const IPV6_SRC: u32 = 8;
    pub const IPV6_DST: u32 = 24;
    /// First byte of ff00::/8.
    pub const IPV6_MULTICAST_FIRST: u32 = 0xff;
    /// Offset of the first byte after the fixed IPv6 header.
    pub const IP6_HLEN: u32 = 40;
    /// Source and destination ports in TCP, UDP and SCTP headers.
    pub const SRC_PORT: u32 = 0;
    pub const DST_PORT: u32 = 2;
}
use field::*;
const IPPROTO_ICMP: u32 = 1;
const IPPROTO_IGMP: u32 = 2;
const IPPROTO_TCP: u32 = 6;
const IPPROTO_UDP: u32 = 17;
const IPPROTO_FRAGMENT: u32 = 44;
const IPPROTO_ICMPV6: u32 = 58;
const IPPROTO_SCTP: u32 = 132;

fn ver4() -> B {
    mcmp(BPF_B, VERSION, IPV4_VERSION, VERSION_MASK)
}
fn ver6() -> B {
    mcmp(BPF_B, VERSION, IPV6_VERSION, VERSION_MASK)
}
/// Not a non-first fragment (fragment offset zero).
fn first_frag() -> B {
    not(leaf(
        vec![ld_abs(BPF_H, IPV4_FRAG)],
        BPF_JSET,
        IPV4_FRAG_OFFSET_MASK,
    ))
}
fn ip4proto(p: u32) -> B {
    and(ver4(), cmp(BPF_B, IPV4_PROTO, p))
}
/// IPv6 next header, also looking through one fragment header (as libpcap does).
fn ip6proto(p: u32) -> B {
    let frag = and(
        cmp(BPF_B, IPV6_NEXT_HEADER, IPPROTO_FRAGMENT),
        cmp(BPF_B, IP6_HLEN, p),
    );
    and(ver6(), or(cmp(BPF_B, IPV6_NEXT_HEADER, p), frag))
}
fn proto_any(p: u32) -> B {
    or(ip4proto(p), ip6proto(p))
}

fn proto_abbrev(p: Proto) -> B {
    match p {
        Proto::Default | Proto::Link => B::Const(true),
        Proto::Ip => ver4(),
        Proto::Ip6 => ver6(),
        Proto::Tcp => proto_any(IPPROTO_TCP),
        Proto::Udp => proto_any(IPPROTO_UDP),
        Proto::Sctp => proto_any(IPPROTO_SCTP),
        Proto::Icmp => ip4proto(IPPROTO_ICMP),
        Proto::Igmp => ip4proto(IPPROTO_IGMP),
        Proto::Icmp6 => ip6proto(IPPROTO_ICMPV6),
    }
}

fn dir_combine(dir: Dir, src: B, dst: B) -> B {
    match dir {
        Dir::Src => src,
        Dir::Dst => dst,
        Dir::SrcOrDst => or(src, dst),
        Dir::SrcAndDst => and(src, dst),
    }
}

fn port_test(pre: &[Insn], off: u32, ind: bool, lo: u16, hi: u16) -> B {
    let mode = if ind { BPF_IND } else { BPF_ABS };
    let mut stmts = pre.to_vec();
    stmts.push(Insn::stmt(BPF_LD | BPF_H | mode, off));
    if lo == hi {
        leaf(stmts, BPF_JEQ, lo.into())
    } else {
        and(
            leaf(stmts.clone(), BPF_JGE, lo.into()),
            not(leaf(stmts, BPF_JGT, hi.into())),
        )
    }
}

fn port(proto: Proto, dir: Dir, lo: u16, hi: u16) -> B {
    let protos: Vec<u32> = match proto {
        Proto::Tcp => vec![IPPROTO_TCP],
        Proto::Udp => vec![IPPROTO_UDP],
        Proto::Sctp => vec![IPPROTO_SCTP],
        _ => vec![IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP],
    };
    // IPv6: the transport header is assumed right after the fixed header (as in libpcap).
    let v6 = protos.iter().map(|&p| {
        let d = dir_combine(
            dir,
            port_test(&[], IP6_HLEN + SRC_PORT, false, lo, hi),
            port_test(&[], IP6_HLEN + DST_PORT, false, lo, hi),
        );
        and(cmp(BPF_B, IPV6_NEXT_HEADER, p), d)
    });
    let v6 = and(ver6(), or_all(v6.collect()));
    let msh = [Insn::stmt(BPF_LDX | BPF_B | BPF_MSH, 0)];
    let v4 = protos.iter().map(|&p| {
        let d = dir_combine(
            dir,
            port_test(&msh, SRC_PORT, true, lo, hi),
            port_test(&msh, DST_PORT, true, lo, hi),
        );
        and(and(cmp(BPF_B, IPV4_PROTO, p), first_frag()), d)
    });
    let v4 = and(ver4(), or_all(v4.collect()));
    or(v6, v4)
}

fn host(dir: Dir, addr: Addr) -> B {
    match addr {
        Addr::V4 { addr, mask } => {
            let side = |off| and(ver4(), mcmp(BPF_W, off, addr, mask));
            dir_combine(dir, side(IPV4_SRC), side(IPV4_DST))
        }
        Addr::V6 { addr, mask } => {
            let a = addr.octets();
            let m = mask.octets();
            let word = |b: &[u8; 16], i: usize| {
                u32::from_be_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]])
            };
            let side = |off: u32| {
                let words = (0..4).rev().fold(B::Const(true), |acc, i| {
                    and(
                        mcmp(BPF_W, off + 4 * i as u32, word(&a, i), word(&m, i)),
                        acc,
                    )
                });
                and(ver6(), words)
            };
            dir_combine(dir, side(IPV6_SRC), side(IPV6_DST))
        }
    }
}

/// Code for an arithmetic expression: statements leaving the value in A, plus the protocol
/// checks that must hold before they run.
struct Val {
    stmts: Vec<Insn>,
    checks: B,
    /// Tests to run first that reject the packet when a computed offset is out of range.
    guards: Vec<Leaf>,
    /// A constant offset is out of range: the computation always fails.
    always_oob: bool,
}

impl Val {
    fn plain(stmts: Vec<Insn>) -> Val {
        Val {
            stmts,
            checks: B::Const(true),
            guards: Vec::new(),
            always_oob: false,
        }
    }
}

struct Gen {
    max_mem: u32,
}

fn alu_code(op: ArOp) -> u16 {
    match op {
        ArOp::Add => BPF_ADD,
        ArOp::Sub => BPF_SUB,
        ArOp::Mul => BPF_MUL,
        ArOp::Div => BPF_DIV,
        ArOp::Mod => BPF_MOD,
        ArOp::And => BPF_AND,
        ArOp::Or => BPF_OR,
        ArOp::Xor => BPF_XOR,
        ArOp::Shl => BPF_LSH,
        ArOp::Shr => BPF_RSH,
    }
}

fn fold(op: ArOp, a: u32, b: u32) -> Option<u32> {
    Some(match op {
        ArOp::Add => a.wrapping_add(b),
        ArOp::Sub => a.wrapping_sub(b),
        ArOp::Mul => a.wrapping_mul(b),
        ArOp::Div => a.checked_div(b)?,
        ArOp::Mod => a.checked_rem(b)?,
        ArOp::And => a & b,
        ArOp::Or => a | b,
        ArOp::Xor => a ^ b,
        ArOp::Shl => a.checked_shl(b)?,
        ArOp::Shr => a.checked_shr(b)?,
    })
}

/// Constant value of an arithmetic expression without loads.
pub(crate) fn constant(a: &Arith) -> Option<u32> {
    match a {
        Arith::Num(n) => Some(*n),
        Arith::Bin(op, l, r) => fold(*op, constant(l)?, constant(r)?),
        Arith::Neg(x) => Some(constant(x)?.wrapping_neg()),
        _ => None,
    }
}

/// An upper bound of an arithmetic expression's value (u32 arithmetic, so any operation that
/// may wrap gives `u32::MAX`).
fn max_value(a: &Arith) -> u32 {
    const ANY: u64 = u32::MAX as u64;
    fn go(a: &Arith) -> u64 {
        match a {
            Arith::Num(n) => u64::from(*n),
            Arith::Len | Arith::Neg(_) => ANY,
            Arith::Load { size, .. } => (1u64 << (8 * size)) - 1,
            Arith::Bin(op, l, r) => {
                let (x, y) = (go(l), go(r));
                let v = match op {
                    ArOp::Add => x + y,
                    ArOp::Mul => x.saturating_mul(y),
                    ArOp::And => x.min(y),
                    ArOp::Or | ArOp::Xor => {
                        let m = x.max(y);
                        if m == 0 {
                            0
                        } else {
                            (1u64 << (64 - m.leading_zeros())) - 1
                        }
                    }
                    ArOp::Div => x,
                    ArOp::Mod => x.min(y.saturating_sub(1)),
                    ArOp::Shr => match constant(r) {
                        Some(k) if k < 32 => x >> k,
                        _ => x,
                    },
                    ArOp::Shl => match constant(r) {
                        Some(k) if k < 32 => x << k,
                        _ => ANY,
                    },
                    ArOp::Sub => ANY,
                };
                v.min(ANY)
            }
        }
    }
    go(a) as u32
}

fn uses_x(stmts: &[Insn]) -> bool {
    stmts
        .iter()
        .any(|i| matches!(class(i.code), BPF_LDX | BPF_MISC) || mode(i.code) == BPF_IND)
        || stmts
            .iter()
            .any(|i| class(i.code) == BPF_ALU && src(i.code) == BPF_X)
}

impl Gen {
    fn mem(&mut self, depth: u32) -> Result<u32, FilterError> {
        if depth >= BPF_MEMWORDS {
            return Err(FilterError::TooComplex(
                "arithmetic needs more than 16 scratch words".into(),
            ));
        }
        self.max_mem = self.max_mem.max(depth + 1);
        Ok(depth)
    }

    fn arith(&mut self, a: &Arith, depth: u32) -> Result<Val, FilterError> {
        if let Some(k) = constant(a) {
            return Ok(Val::plain(vec![Insn::stmt(BPF_LD | BPF_IMM, k)]));
        }
        match a {
            Arith::Num(k) => Ok(Val::plain(vec![Insn::stmt(BPF_LD | BPF_IMM, *k)])),
            Arith::Len => Ok(Val::plain(vec![Insn::stmt(BPF_LD | BPF_W | BPF_LEN, 0)])),
            Arith::Neg(x) => {
                let mut v = self.arith(x, depth)?;
                v.stmts.push(Insn::stmt(BPF_ALU | BPF_NEG, 0));
                Ok(v)
            }
            Arith::Bin(op, l, r) => {
                let code = alu_code(*op);
                if let Some(k) = constant(r) {
                    match op {
                        ArOp::Div if k == 0 => {
                            return Err(FilterError::Semantic {
                                pos: 0,
                                msg: "division by zero".into(),
                            })
                        }
                        ArOp::Mod if k == 0 => {
                            return Err(FilterError::Semantic {
                                pos: 0,
                                msg: "modulus by zero".into(),
                            })
                        }
                        ArOp::Shl | ArOp::Shr if k > 31 => {
                            return Err(FilterError::Semantic {
                                pos: 0,
                                msg: "shift by more than 31 bits".into(),
                            })
                        }
                        _ => {}
                    }
                    let mut v = self.arith(l, depth)?;
                    v.stmts.push(Insn::stmt(BPF_ALU | code | BPF_K, k));
                    return Ok(v);
                }
                let lv = self.arith(l, depth + 1)?;
                let rv = self.arith(r, depth + 1)?;
                let mut stmts = rv.stmts;
                if uses_x(&lv.stmts) {
                    let m = self.mem(depth)?;
                    stmts.push(Insn::stmt(BPF_ST, m));
                    stmts.extend(lv.stmts);
                    stmts.push(Insn::stmt(BPF_LDX | BPF_W | BPF_MEM, m));
                } else {
                    stmts.push(Insn::stmt(BPF_MISC | BPF_TAX, 0));
                    stmts.extend(lv.stmts);
                }
                if matches!(op, ArOp::Shl | ArOp::Shr) && max_value(r) > 31 {
                    // libpcap yields 0 for a shift by 32 or more; the kernel (like x86) uses
                    // the count modulo 32. AND the result with ((X >> 5) == 0 ? ~0 : 0),
                    // computed without branches, so both agree.
                    let (mv, mm) = (self.mem(depth)?, self.mem(depth + 1)?);
                    stmts.extend([
                        Insn::stmt(BPF_ST, mv),
                        Insn::stmt(BPF_MISC | BPF_TXA, 0),
                        Insn::stmt(BPF_ALU | BPF_RSH | BPF_K, 5),
                        Insn::stmt(BPF_ALU | BPF_NEG, 0),
                        Insn::stmt(BPF_ALU | BPF_RSH | BPF_K, 31),
                        Insn::stmt(BPF_ALU | BPF_SUB | BPF_K, 1),
                        Insn::stmt(BPF_ST, mm),
                        Insn::stmt(BPF_LD | BPF_MEM, mv),
                        Insn::stmt(BPF_ALU | code | BPF_X, 0),
                        Insn::stmt(BPF_LDX | BPF_W | BPF_MEM, mm),
                        Insn::stmt(BPF_ALU | BPF_AND | BPF_X, 0),
                    ]);
                } else {
                    stmts.push(Insn::stmt(BPF_ALU | code | BPF_X, 0));
                }
                // libpcap keeps only the left operand's protocol checks (gen_arth drops the
                // right one's); kept for compatibility, see the crate docs.
                let mut guards = lv.guards;
                guards.extend(rv.guards);
                Ok(Val {
                    stmts,
                    checks: lv.checks,
                    guards,
                    always_oob: lv.always_oob || rv.always_oob,
                })
            }
            Arith::Load { proto, index, size } => {
                let sz = match size {
                    1 => BPF_B,
                    2 => BPF_H,
                    _ => BPF_W,
                };
                let idx = self.arith(index, depth)?;
                let kidx = constant(index);
                let base = if *proto == Proto::Icmp6 { IP6_HLEN } else { 0 };
                let transport4 = matches!(
                    proto,
                    Proto::Tcp | Proto::Udp | Proto::Sctp | Proto::Icmp | Proto::Igmp
                );
                let mut stmts = Vec::new();
                let mut guards = idx.guards;
                let mut always_oob = idx.always_oob;
                match (transport4, kidx) {
                    (false, Some(k)) => {
                        always_oob |= k >= MAX_OFFSET - base;
                        stmts.push(ld_abs(sz, base.wrapping_add(k)));
                    }
                    (false, None) if max_value(index) < MAX_OFFSET - base => {
                        stmts.extend(idx.stmts);
                        stmts.push(Insn::stmt(BPF_MISC | BPF_TAX, 0));
                        stmts.push(Insn::stmt(BPF_LD | sz | BPF_IND, base));
                    }
                    (false, None) => {
                        guards.push(Leaf {
                            stmts: idx.stmts.clone(),
                            jcode: BPF_JMP | BPF_JGE | BPF_K,
                            k: MAX_OFFSET,
                        });
                        stmts.extend(idx.stmts);
                        stmts.push(Insn::stmt(BPF_MISC | BPF_TAX, 0));
                        stmts.push(Insn::stmt(BPF_LD | sz | BPF_IND, base));
                    }
                    (true, Some(k)) => {
                        // The IPv4 header is at most 60 bytes long.
                        always_oob |= k >= MAX_OFFSET - 60;
                        stmts.push(Insn::stmt(BPF_LDX | BPF_B | BPF_MSH, 0));
                        stmts.push(Insn::stmt(BPF_LD | sz | BPF_IND, k));
                    }
                    (true, None) => {
                        stmts.extend(idx.stmts);
                        stmts.push(Insn::stmt(BPF_LDX | BPF_B | BPF_MSH, 0));
                        stmts.push(Insn::stmt(BPF_ALU | BPF_ADD | BPF_X, 0));
                        if max_value(index) >= MAX_OFFSET - 60 {
                            guards.push(Leaf {
                                stmts: stmts.clone(),
                                jcode: BPF_JMP | BPF_JGE | BPF_K,
                                k: MAX_OFFSET,
                            });
                        }
                        stmts.push(Insn::stmt(BPF_MISC | BPF_TAX, 0));
                        stmts.push(Insn::stmt(BPF_LD | sz | BPF_IND, 0));
                    }
                }
                let checks = match proto {
                    Proto::Ip | Proto::Ip6 | Proto::Link => and(idx.checks, proto_abbrev(*proto)),
                    Proto::Icmp6 => and(
                        idx.checks,
                        and(ver6(), cmp(BPF_B, IPV6_NEXT_HEADER, IPPROTO_ICMPV6)),
                    ),
                    p => and(ver4(), and(idx.checks, and(proto_abbrev(*p), first_frag()))),
                };
                Ok(Val {
                    stmts,
                    checks,
                    guards,
                    always_oob,
                })
            }
        }
    }

    fn relation(&mut self, op: RelOp, l: &Arith, r: &Arith) -> Result<B, FilterError> {
        // Constant on the left: mirror the comparison so the constant becomes the operand.
        if constant(l).is_some() && constant(r).is_none() {
            let m = match op {
                RelOp::Lt => RelOp::Gt,
                RelOp::Le => RelOp::Ge,
                RelOp::Gt => RelOp::Lt,
                RelOp::Ge => RelOp::Le,
                o => o,
            };
            return self.relation_checked(m, r, l, true);
        }
        self.relation_checked(op, l, r, false)
    }

    fn relation_checked(
        &mut self,
        op: RelOp,
        l: &Arith,
        r: &Arith,
        swapped: bool,
    ) -> Result<B, FilterError> {
        let (jop, negate) = match op {
            RelOp::Eq => (BPF_JEQ, false),
            RelOp::Ne => (BPF_JEQ, true),
            RelOp::Gt => (BPF_JGT, false),
            RelOp::Ge => (BPF_JGE, false),
            RelOp::Lt => (BPF_JGE, true),
            RelOp::Le => (BPF_JGT, true),
        };
        let test;
        let lchecks;
        let rchecks;
        let mut guards;
        let oob;
        if let Some(k) = constant(r) {
            // `(e & mask) == 0` / `!= 0` is a single jset.
            if let (BPF_JEQ, 0, Arith::Bin(ArOp::And, e, m)) = (jop, k, l) {
                if let Some(mk) = constant(m) {
                    let v = self.arith(e, 0)?;
                    let t = leaf(v.stmts, BPF_JSET, mk);
                    let t = if negate { t } else { not(t) };
                    return Ok(and(v.checks, guarded(v.guards, v.always_oob, t)));
                }
            }
            let v = self.arith(l, 0)?;
            lchecks = v.checks;
            rchecks = B::Const(true);
            guards = v.guards;
            oob = v.always_oob;
            let (stmts, k) = fold_eq(v.stmts, jop, k);
            test = leaf(stmts, jop, k);
        } else {
            let lv = self.arith(l, 1)?;
            let rv = self.arith(r, 1)?;
            let mut stmts = rv.stmts;
            if uses_x(&lv.stmts) {
                let m = self.mem(0)?;
                stmts.push(Insn::stmt(BPF_ST, m));
                stmts.extend(lv.stmts);
                stmts.push(Insn::stmt(BPF_LDX | BPF_W | BPF_MEM, m));
            } else {
                stmts.push(Insn::stmt(BPF_MISC | BPF_TAX, 0));
                stmts.extend(lv.stmts);
            }
            lchecks = lv.checks;
            rchecks = rv.checks;
            guards = rv.guards;
            guards.extend(lv.guards);
            oob = lv.always_oob || rv.always_oob;
            test = B::Leaf(Leaf {
                stmts,
                jcode: BPF_JMP | jop | BPF_X,
                k: 0,
            });
        }
        let test = if negate { not(test) } else { test };
        let test = guarded(guards, oob, test);
        // libpcap ANDs the checks of the textual left side first.
        let checks = if swapped {
            and(rchecks, lchecks)
        } else {
            and(lchecks, rchecks)
        };
        Ok(and(checks, test))
    }

    fn prim(&mut self, p: &Prim) -> Result<B, FilterError> {
        Ok(match p {
            Prim::Proto(p) => proto_abbrev(*p),
            Prim::ProtoNum(Proto::Ip, n) => ip4proto(*n),
            Prim::ProtoNum(Proto::Ip6, n) => ip6proto(*n),
            Prim::ProtoNum(_, n) => proto_any(*n),
            Prim::Host { dir, addr, .. } => host(*dir, *addr),
            Prim::Port { proto, dir, lo, hi } => port(*proto, *dir, *lo, *hi),
            Prim::Multicast(Proto::Ip6) => and(ver6(), cmp(BPF_B, IPV6_DST, IPV6_MULTICAST_FIRST)),
            Prim::Multicast(_) => and(
                ver4(),
                leaf(vec![ld_abs(BPF_B, IPV4_DST)], BPF_JGE, IPV4_MULTICAST_FIRST),
            ),
            Prim::Broadcast => and(
                ver4(),
                or(cmp(BPF_W, IPV4_DST, 0), cmp(BPF_W, IPV4_DST, u32::MAX)),
            ),
            Prim::Rel(op, l, r) => self.relation(*op, l, r)?,
            Prim::Outbound(out) => {
                let t = leaf(
                    vec![ld_abs(BPF_W, SKF_AD_OFF + SKF_AD_PKTTYPE)],
                    BPF_JEQ,
                    PACKET_OUTGOING,
                );
                if *out {
                    t
                } else {
                    not(t)
                }
            }
        })
    }

    pub(crate) fn expr(&mut self, e: &Expr) -> Result<B, FilterError> {
        Ok(match e {
            Expr::And(..) | Expr::Or(..) => {
                // Walk the left spine iteratively: `a or b or c ...` parses left-deep.
                let is_and = matches!(e, Expr::And(..));
                let mut rights = Vec::new();
                let mut cur = e;
                while let (Expr::And(l, r), true) | (Expr::Or(l, r), false) = (cur, is_and) {
                    rights.push(r.as_ref());
                    cur = l.as_ref();
                }
                let mut acc = self.expr(cur)?;
                for r in rights.into_iter().rev() {
                    let rb = self.expr(r)?;
                    acc = if is_and { and(acc, rb) } else { or(acc, rb) };
                }
                acc
            }
            Expr::Not(a) => not(self.expr(a)?),
            Expr::Prim(p) => self.prim(p)?,
        })
    }
}

/// Where a branch goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Tgt {
    Blk(usize),
    Accept,
    Reject,
}

#[derive(Clone, Debug)]
pub(crate) struct Block {
    pub leaf: Leaf,
    pub jt: Tgt,
    pub jf: Tgt,
}

/// Blocks only jump to blocks with smaller indices, so descending index order is topological.
#[derive(Clone, Debug)]
pub(crate) struct Cfg {
    pub blocks: Vec<Block>,
    pub entry: Tgt,
}

fn build(b: &B, t: Tgt, f: Tgt, blocks: &mut Vec<Block>) -> Tgt {
    match b {
        B::Const(true) => t,
        B::Const(false) => f,
        B::Not(x) => build(x, f, t, blocks),
        B::And(v) => v.iter().rev().fold(t, |next, x| build(x, next, f, blocks)),
        B::Or(v) => v.iter().rev().fold(f, |next, x| build(x, t, next, blocks)),
        B::Leaf(l) => {
            blocks.push(Block {
                leaf: l.clone(),
                jt: t,
                jf: f,
            });
            Tgt::Blk(blocks.len() - 1)
        }
        B::Abort => Tgt::Reject,
        B::Guard(l) => {
            blocks.push(Block {
                leaf: l.clone(),
                jt: Tgt::Reject,
                jf: t,
            });
            Tgt::Blk(blocks.len() - 1)
        }
    }
}

/// Lowers an expression (None = accept everything) to a CFG.
pub(crate) fn lower(e: Option<&Expr>) -> Result<Cfg, FilterError> {
    let b = match e {
        None => B::Const(true),
        Some(e) => Gen { max_mem: 0 }.expr(e)?,
    };
    let mut blocks = Vec::new();
    let entry = build(&b, Tgt::Accept, Tgt::Reject, &mut blocks);
    Ok(Cfg { blocks, entry })
}
