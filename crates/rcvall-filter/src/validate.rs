//! The checks the kernel's classic BPF verifier (sk_chk_filter) makes, plus "no backward jumps"
//! which holds by construction in classic BPF and is rechecked here.

use crate::insn::*;
use thiserror::Error;

/// Why a program was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValidateError {
    #[error("empty program")]
    Empty,
    #[error("program has {0} instructions; the kernel accepts at most {BPF_MAXINSNS}")]
    TooLong(usize),
    #[error("instruction {pc}: unknown opcode {code:#06x}")]
    BadOpcode { pc: usize, code: u16 },
    #[error("instruction {pc}: jump target outside the program")]
    JumpOutOfRange { pc: usize },
    #[error("instruction {pc}: scratch memory index {k} out of range (0..16)")]
    BadMemIndex { pc: usize, k: u32 },
    #[error("instruction {pc}: scratch memory M[{k}] read before it is written on some path")]
    UninitMem { pc: usize, k: u32 },
    #[error("instruction {pc}: division by constant zero")]
    DivByZero { pc: usize },
    #[error("instruction {pc}: shift by {k} (must be < 32)")]
    BadShift { pc: usize, k: u32 },
    #[error("the last instruction is not a return, so a path can fall off the end")]
    NoFinalReturn,
}

fn known(code: u16) -> bool {
    // Classic BPF opcodes fit in 8 bits (class, size/op, mode/source).
    if u8::try_from(code).is_err() {
        return false;
    }
    match class(code) {
        BPF_LD => {
            let m = mode(code);
            (matches!(m, BPF_ABS | BPF_IND) && size(code) != BPF_DW)
                || (matches!(m, BPF_IMM | BPF_MEM | BPF_LEN) && size(code) == BPF_W)
        }
        BPF_LDX => {
            let m = mode(code);
            (matches!(m, BPF_IMM | BPF_MEM | BPF_LEN) && size(code) == BPF_W)
                || (m == BPF_MSH && size(code) == BPF_B)
        }
        BPF_ST | BPF_STX => without_class(code) == 0,
        BPF_ALU => {
            let o = op(code);
            matches!(
                o,
                BPF_ADD
                    | BPF_SUB
                    | BPF_MUL
                    | BPF_DIV
                    | BPF_MOD
                    | BPF_AND
                    | BPF_OR
                    | BPF_XOR
                    | BPF_LSH
                    | BPF_RSH
                    | BPF_NEG
            ) && (o != BPF_NEG || src(code) == 0)
        }
        BPF_JMP => {
            matches!(op(code), BPF_JA | BPF_JEQ | BPF_JGT | BPF_JGE | BPF_JSET)
                && (op(code) != BPF_JA || src(code) == 0)
        }
        // The kernel knows ret #k and ret a only.
        BPF_RET => matches!(without_class(code), BPF_K | BPF_A),
        BPF_MISC => matches!(without_class(code), BPF_TAX | BPF_TXA),
        _ => false,
    }
}

/// Checks a program the way the kernel would before attaching it.
pub fn validate(insns: &[Insn]) -> Result<(), ValidateError> {
    let n = insns.len();
    if n == 0 {
        return Err(ValidateError::Empty);
    }
    if n > BPF_MAXINSNS {
        return Err(ValidateError::TooLong(n));
    }
    for (pc, i) in insns.iter().enumerate() {
        if !known(i.code) {
            return Err(ValidateError::BadOpcode { pc, code: i.code });
        }
        let c = class(i.code);
        let uses_mem = (matches!(c, BPF_LD | BPF_LDX) && mode(i.code) == BPF_MEM)
            || matches!(c, BPF_ST | BPF_STX);
        if uses_mem && i.k >= BPF_MEMWORDS {
            return Err(ValidateError::BadMemIndex { pc, k: i.k });
        }
        if c == BPF_ALU && src(i.code) == BPF_K {
            if matches!(op(i.code), BPF_DIV | BPF_MOD) && i.k == 0 {
                return Err(ValidateError::DivByZero { pc });
            }
            if matches!(op(i.code), BPF_LSH | BPF_RSH) && i.k >= 32 {
                return Err(ValidateError::BadShift { pc, k: i.k });
            }
        }
        if c == BPF_JMP {
            let rest = (n - pc - 1) as u64;
            let bad = if op(i.code) == BPF_JA {
                u64::from(i.k) >= rest
            } else {
                u64::from(i.jt) >= rest || u64::from(i.jf) >= rest
            };
            if bad {
                return Err(ValidateError::JumpOutOfRange { pc });
            }
        }
    }
    if class(insns[n - 1].code) != BPF_RET {
        return Err(ValidateError::NoFinalReturn);
    }
    // Every path ends in ret: jumps only go forward and in range, and the last instruction is
    // a ret, so any path reaches a ret. Check scratch memory is written before read on every
    // path (forward dataflow of the set of written words; meet = intersection).
    let mut written: Vec<Option<u16>> = vec![None; n];
    written[0] = Some(0);
    for pc in 0..n {
        let Some(mut w) = written[pc] else { continue };
        let i = insns[pc];
        let c = class(i.code);
        if matches!(c, BPF_LD | BPF_LDX) && mode(i.code) == BPF_MEM && w & (1 << i.k) == 0 {
            return Err(ValidateError::UninitMem { pc, k: i.k });
        }
        if matches!(c, BPF_ST | BPF_STX) {
            w |= 1 << i.k;
        }
        let mut flow = |t: usize| {
            written[t] = Some(written[t].map_or(w, |o| o & w));
        };
        match c {
            BPF_RET => {}
            BPF_JMP if op(i.code) == BPF_JA => flow(pc + 1 + i.k as usize),
            BPF_JMP => {
                flow(pc + 1 + usize::from(i.jt));
                flow(pc + 1 + usize::from(i.jf));
            }
            _ => flow(pc + 1),
        }
    }
    Ok(())
}
