//! Classic BPF instruction encoding (the kernel's `struct sock_filter`) and opcode names.

/// One classic BPF instruction, same layout/meaning as the kernel's `struct sock_filter`
/// (`repr(C)`, 8 bytes), so a slice of them can be handed to SO_ATTACH_FILTER as is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(C)]
pub struct Insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

const _: () = assert!(std::mem::size_of::<Insn>() == 8 && std::mem::align_of::<Insn>() == 4);

impl Insn {
    /// A non-jump statement.
    pub const fn stmt(code: u16, k: u32) -> Insn {
        Insn {
            code,
            jt: 0,
            jf: 0,
            k,
        }
    }
    /// A conditional jump.
    pub const fn jump(code: u16, k: u32, jt: u8, jf: u8) -> Insn {
        Insn { code, jt, jf, k }
    }
}

// Instruction classes.
pub const BPF_LD: u16 = 0x00;
pub const BPF_LDX: u16 = 0x01;
pub const BPF_ST: u16 = 0x02;
pub const BPF_STX: u16 = 0x03;
pub const BPF_ALU: u16 = 0x04;
pub const BPF_JMP: u16 = 0x05;
pub const BPF_RET: u16 = 0x06;
pub const BPF_MISC: u16 = 0x07;

// Load sizes.
pub const BPF_W: u16 = 0x00;
pub const BPF_H: u16 = 0x08;
pub const BPF_B: u16 = 0x10;

// Load modes.
pub const BPF_IMM: u16 = 0x00;
pub const BPF_ABS: u16 = 0x20;
pub const BPF_IND: u16 = 0x40;
pub const BPF_MEM: u16 = 0x60;
pub const BPF_LEN: u16 = 0x80;
pub const BPF_MSH: u16 = 0xa0;

// ALU operations.
pub const BPF_ADD: u16 = 0x00;
pub const BPF_SUB: u16 = 0x10;
pub const BPF_MUL: u16 = 0x20;
pub const BPF_DIV: u16 = 0x30;
pub const BPF_OR: u16 = 0x40;
pub const BPF_AND: u16 = 0x50;
pub const BPF_LSH: u16 = 0x60;
pub const BPF_RSH: u16 = 0x70;
pub const BPF_NEG: u16 = 0x80;
pub const BPF_MOD: u16 = 0x90;
pub const BPF_XOR: u16 = 0xa0;

// Jump operations.
pub const BPF_JA: u16 = 0x00;
pub const BPF_JEQ: u16 = 0x10;
pub const BPF_JGT: u16 = 0x20;
pub const BPF_JGE: u16 = 0x30;
pub const BPF_JSET: u16 = 0x40;

// Operand sources.
pub const BPF_K: u16 = 0x00;
pub const BPF_X: u16 = 0x08;
/// Return-value source: the accumulator (BPF_RET | BPF_A).
pub const BPF_A: u16 = 0x10;

// Misc operations.
pub const BPF_TAX: u16 = 0x00;
pub const BPF_TXA: u16 = 0x80;

/// Number of scratch memory words (BPF_MEMWORDS).
pub const BPF_MEMWORDS: u32 = 16;
/// Kernel limit on classic BPF program length (BPF_MAXINSNS).
pub const BPF_MAXINSNS: usize = 4096;

/// Base of the kernel's ancillary-data load offsets (SKF_AD_OFF = -4096).
pub const SKF_AD_OFF: u32 = (-4096i32) as u32;
/// Ancillary offset of the packet type (skb->pkt_type).
pub const SKF_AD_PKTTYPE: u32 = 4;
/// Linux PACKET_OUTGOING: the packet was sent by this host.
pub const PACKET_OUTGOING: u32 = 4;

/// The 64-bit size of eBPF, invalid in classic BPF.
pub const BPF_DW: u16 = 0x18;

const CLASS_MASK: u16 = 0x07;
const SIZE_MASK: u16 = 0x18;
const RVAL_MASK: u16 = 0x18;

/// Class of an opcode.
pub const fn class(code: u16) -> u16 {
    code & CLASS_MASK
}
/// The opcode without its class bits.
pub const fn without_class(code: u16) -> u16 {
    code & !CLASS_MASK
}
/// Size field of a load opcode.
pub const fn size(code: u16) -> u16 {
    code & SIZE_MASK
}
/// Return-value source of a `ret` (BPF_K or BPF_A).
pub const fn rval(code: u16) -> u16 {
    code & RVAL_MASK
}
/// Mode field of a load opcode.
pub const fn mode(code: u16) -> u16 {
    code & 0xe0
}
/// Operation field of an ALU or jump opcode.
pub const fn op(code: u16) -> u16 {
    code & 0xf0
}
/// Source field of an ALU or jump opcode.
pub const fn src(code: u16) -> u16 {
    code & 0x08
}
/// Byte width of a load size.
pub const fn size_bytes(code: u16) -> u32 {
    match size(code) {
        BPF_B => 1,
        BPF_H => 2,
        _ => 4,
    }
}
