//! The abstract syntax tree produced by the parser.

use std::net::Ipv6Addr;

/// A boolean filter expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Prim(Prim),
}

/// Protocol qualifier of a primitive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Default,
    /// `link[...]` / `ether[...]` / `byte`: the link-layer header, which at LINKTYPE_RAW is the
    /// IP header itself, with no protocol test.
    Link,
    Ip,
    Ip6,
    Tcp,
    Udp,
    Sctp,
    Icmp,
    Icmp6,
    Igmp,
}

/// Direction qualifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    Src,
    Dst,
    SrcOrDst,
    SrcAndDst,
}

/// An address with its mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Addr {
    V4 { addr: u32, mask: u32 },
    V6 { addr: Ipv6Addr, mask: Ipv6Addr },
}

/// Comparison operator of a relation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Binary arithmetic operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    And,
    Or,
    Xor,
    Shl,
    Shr,
}

/// An arithmetic expression (32-bit unsigned, as in BPF).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arith {
    Num(u32),
    Len,
    /// `proto[index:size]`.
    Load {
        proto: Proto,
        index: Box<Arith>,
        size: u32,
    },
    Bin(ArOp, Box<Arith>, Box<Arith>),
    Neg(Box<Arith>),
}

/// A primitive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Prim {
    /// `ip`, `ip6`, `tcp`, `udp`, `sctp`, `icmp`, `icmp6`, `igmp` on their own.
    Proto(Proto),
    /// `[ip|ip6] proto N`.
    ProtoNum(Proto, u32),
    /// `[ip|ip6] [dir] host|net ADDR`.
    Host { proto: Proto, dir: Dir, addr: Addr },
    /// `[tcp|udp|sctp] [dir] port|portrange LO[-HI]`.
    Port {
        proto: Proto,
        dir: Dir,
        lo: u16,
        hi: u16,
    },
    /// `ip multicast`, `ip6 multicast`.
    Multicast(Proto),
    /// `ip broadcast` (with an unknown netmask: destination all-zeros or all-ones).
    Broadcast,
    /// `arith relop arith`, also `less`, `greater`.
    Rel(RelOp, Arith, Arith),
    /// `inbound` (false) / `outbound` (true).
    Outbound(bool),
}
