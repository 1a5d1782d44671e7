//! A classic BPF interpreter with the kernel's semantics for what rcvall generates: loads past
//! the captured bytes reject the packet, division by zero rejects, and the ancillary load of
//! SKF_AD_PKTTYPE returns the Linux packet type.

use crate::insn::*;

/// Runs `insns` (assumed valid, see [`crate::validate`]) and returns the BPF return value.
pub fn run(insns: &[Insn], packet: &[u8], wire_len: u32, pkttype: u32) -> u32 {
    let mut a: u32 = 0;
    let mut x: u32 = 0;
    let mut mem = [0u32; BPF_MEMWORDS as usize];
    let mut pc = 0usize;
    let load = |off: u64, n: u32| -> Option<u32> {
        let end = off.checked_add(u64::from(n))?;
        if end > packet.len() as u64 {
            return None;
        }
        let s = &packet[off as usize..end as usize];
        Some(s.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
    };
    while let Some(&i) = insns.get(pc) {
        pc += 1;
        match class(i.code) {
            BPF_LD => {
                a = match mode(i.code) {
                    BPF_IMM => i.k,
                    BPF_LEN => wire_len,
                    BPF_MEM => mem[(i.k % BPF_MEMWORDS) as usize],
                    BPF_ABS if i.k == SKF_AD_OFF + SKF_AD_PKTTYPE => pkttype,
                    // Other ancillary fields are not modelled: reject like a failed load.
                    BPF_ABS if i.k >= SKF_AD_OFF => return 0,
                    BPF_ABS => match load(u64::from(i.k), size_bytes(i.code)) {
                        Some(v) => v,
                        None => return 0,
                    },
                    BPF_IND => match load(u64::from(x) + u64::from(i.k), size_bytes(i.code)) {
                        Some(v) => v,
                        None => return 0,
                    },
                    _ => return 0,
                }
            }
            BPF_LDX => {
                x = match mode(i.code) {
                    BPF_IMM => i.k,
                    BPF_LEN => wire_len,
                    BPF_MEM => mem[(i.k % BPF_MEMWORDS) as usize],
                    BPF_MSH => match load(u64::from(i.k), 1) {
                        // IPv4 header length: 4 * (IHL nibble).
                        Some(v) => 4 * (v & 0xf),
                        None => return 0,
                    },
                    _ => return 0,
                }
            }
            BPF_ST => mem[(i.k % BPF_MEMWORDS) as usize] = a,
            BPF_STX => mem[(i.k % BPF_MEMWORDS) as usize] = x,
            BPF_ALU => {
                let v = if src(i.code) == BPF_X { x } else { i.k };
                a = match op(i.code) {
                    BPF_ADD => a.wrapping_add(v),
                    BPF_SUB => a.wrapping_sub(v),
                    BPF_MUL => a.wrapping_mul(v),
                    BPF_DIV => match a.checked_div(v) {
                        Some(r) => r,
                        None => return 0,
                    },
                    BPF_MOD => match a.checked_rem(v) {
                        Some(r) => r,
                        None => return 0,
                    },
                    BPF_AND => a & v,
                    BPF_OR => a | v,
                    BPF_XOR => a ^ v,
                    // The kernel masks the shift count to 5 bits, like x86.
                    BPF_LSH => a << (v & 31),
                    BPF_RSH => a >> (v & 31),
                    BPF_NEG => a.wrapping_neg(),
                    _ => return 0,
                }
            }
            BPF_JMP => {
                let v = if src(i.code) == BPF_X { x } else { i.k };
                let taken = match op(i.code) {
                    BPF_JA => {
                        pc += i.k as usize;
                        continue;
                    }
                    BPF_JEQ => a == v,
                    BPF_JGT => a > v,
                    BPF_JGE => a >= v,
                    BPF_JSET => a & v != 0,
                    _ => return 0,
                };
                pc += usize::from(if taken { i.jt } else { i.jf });
            }
            BPF_RET => {
                return if rval(i.code) == BPF_A { a } else { i.k };
            }
            BPF_MISC => {
                if op(i.code) == BPF_TXA {
                    a = x
                } else {
                    x = a
                }
            }
            _ => return 0,
        }
    }
    0
}
