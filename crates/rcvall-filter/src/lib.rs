//! tcpdump filter expressions compiled to classic BPF for raw IP (LINKTYPE_RAW: the packet starts
//! at the IPv4 or IPv6 header), in pure Rust: parser, code generator, jump optimiser, validator,
//! interpreter and `tcpdump -d`/`-dd`/`-ddd` style listings.
//!
//! ```
//! use rcvall_filter::{compile, CompileOptions};
//! let prog = compile("tcp port 443 and not host 198.18.0.7", &CompileOptions::default()).unwrap();
//! assert!(prog.insns().len() < 64);
//! ```
//!
//! # Meaning
//! The generated programs select the packets libpcap's programs select at LINKTYPE_RAW (the
//! differential test in `tests/` runs tcpdump as the oracle), including libpcap's quirks:
//! * IPv4 port and transport-header tests match only first fragments;
//! * IPv6 port tests assume the transport header right after the fixed 40-byte header, while
//!   `tcp`/`udp`/`sctp`/`icmp6`/`ip6 proto N` also look through one fragment header;
//! * `tcp[...]`, `udp[...]`, `sctp[...]`, `icmp[...]`, `igmp[...]` are IPv4-only and
//!   first-fragment-only, `icmp6[...]` is relative to byte 40;
//! * in `a OP b` only the left operand's protocol test is kept (libpcap's gen_arth does this);
//! * `ip broadcast` uses an unknown netmask (destination all-zeros or all-ones), as tcpdump
//!   does when reading a file;
//! * a load past the captured bytes rejects the packet, whatever the rest of the expression says;
//!   tests run left to right with short-circuit, exactly as written.
//!
//! # Deliberate deviations
//! * libpcap's optimiser treats loads as free of side effects, so on truncated packets it
//!   sometimes skips or reorders a load that the unoptimised program would have failed on
//!   (`tcpdump` and `tcpdump -O` then disagree). rcvall's optimiser never changes which loads
//!   run before a decision, so such packets get the unoptimised libpcap result.
//! * `inbound`/`outbound` (which libpcap refuses at this link type) load the kernel's packet type
//!   (SKF_AD_OFF + SKF_AD_PKTTYPE): outbound is PACKET_OUTGOING, inbound everything else.
//! * Offsets of 2^31 and more are rejected explicitly (libpcap rejects them as out of bounds, the
//!   kernel would read them as its negative SKF_* extension offsets), and a variable shift by
//!   32 or more yields 0 as in libpcap (the kernel would shift modulo 32).
//! * No name resolution: host names, and port names other than `domain`, are refused
//!   (numeric addresses and ports only); protocol names come from a built-in table.
//! * Link-layer primitives (ether host, arp, vlan, ...), `gateway` and `protochain` are refused
//!   with [`FilterError::Unsupported`]; `link[...]`, `ether[...]` and `byte N =|<|> M` are byte
//!   accesses from offset 0 (the IP header at this link type), as in libpcap, but `byte N & M`
//!   and `byte N | M` are refused: libpcap 1.10 compiles them without loading the byte.
#![forbid(unsafe_code)]

mod ast;
mod codegen;
mod disasm;
pub mod insn;
mod interp;
mod lexer;
mod names;
mod optimize;
mod parser;
mod validate;

pub use ast::{Addr, ArOp, Arith, Dir, Expr, Prim, Proto, RelOp};
pub use insn::Insn;
pub use parser::parse;
pub use validate::{validate, ValidateError};

use thiserror::Error;

/// A compiled, validated filter program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    insns: Vec<Insn>,
}

impl Program {
    /// Wraps instructions after validating them.
    pub fn from_insns(insns: Vec<Insn>) -> Result<Program, ValidateError> {
        validate(&insns)?;
        Ok(Program { insns })
    }

    pub fn insns(&self) -> &[Insn] {
        &self.insns
    }

    /// Runs the program (the interpreter) over a packet that starts at the IP header; `wire_len`
    /// is the original length (for `len`), `pkttype` the Linux PACKET_* value (0 host,
    /// 1 broadcast, 2 multicast, 3 otherhost, 4 outgoing) used by inbound/outbound. Returns the
    /// BPF return value (0 = reject).
    pub fn run(&self, packet: &[u8], wire_len: u32, pkttype: u32) -> u32 {
        interp::run(&self.insns, packet, wire_len, pkttype)
    }

    /// The program in `tcpdump -d` format: `(000) ldb      [0]` etc.
    pub fn disassemble(&self) -> String {
        disasm::disassemble(&self.insns)
    }

    /// The program as a C array initialiser, as `tcpdump -dd` prints it.
    pub fn to_c_array(&self) -> String {
        disasm::c_array(&self.insns)
    }

    /// The program as decimal numbers, as `tcpdump -ddd` prints it (the format
    /// `iptables -m bpf --bytecode` and `tc` take, with newlines for commas).
    pub fn to_decimal(&self) -> String {
        disasm::decimal(&self.insns)
    }
}

/// Compilation settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompileOptions {
    /// Value returned on accept (bytes of the packet to keep), like libpcap's 262144 default.
    pub snaplen: u32,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions { snaplen: 262_144 }
    }
}

/// Why an expression did not compile.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FilterError {
    #[error("syntax error at offset {pos}: expected {expected}, found {found}")]
    Parse {
        pos: usize,
        expected: String,
        found: String,
    },
    #[error("at offset {pos}: {msg}")]
    Semantic { pos: usize, msg: String },
    #[error("at offset {pos}: {what} is not supported by rcvall's IP-layer filter compiler")]
    Unsupported { pos: usize, what: String },
    #[error("expression too complex: {0}")]
    TooComplex(String),
    #[error("generated program is invalid: {0}")]
    Invalid(#[from] ValidateError),
}

/// Compiles a pcap-filter expression to an optimised classic BPF program for LINKTYPE_RAW.
/// An empty (or all-whitespace) expression accepts every packet.
pub fn compile(expr: &str, opts: &CompileOptions) -> Result<Program, FilterError> {
    let ast = parse(expr)?;
    let mut cfg = codegen::lower(ast.as_ref())?;
    optimize::optimize(&mut cfg);
    let insns = optimize::linearize(&cfg, opts.snaplen);
    validate(&insns)?;
    Ok(Program { insns })
}

/// Compiles without the jump optimiser (straight translation of the expression's structure);
/// useful to compare against `tcpdump -O`.
pub fn compile_unoptimized(expr: &str, opts: &CompileOptions) -> Result<Program, FilterError> {
    let ast = parse(expr)?;
    let cfg = codegen::lower(ast.as_ref())?;
    let insns = optimize::linearize(&cfg, opts.snaplen);
    validate(&insns)?;
    Ok(Program { insns })
}
