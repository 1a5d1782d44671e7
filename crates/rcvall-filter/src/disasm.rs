//! `tcpdump -d` style listing (libpcap's bpf_image).

use crate::insn::*;

fn image(n: usize, i: &Insn) -> String {
    let c = class(i.code);
    let sz = match size(i.code) {
        BPF_B => "b",
        BPF_H => "h",
        _ => "",
    };
    let (opname, operand): (String, String) = match c {
        BPF_LD => (
            format!("ld{sz}"),
            match mode(i.code) {
                BPF_IMM => format!("#{:#x}", i.k),
                BPF_LEN => "#pktlen".into(),
                BPF_MEM => format!("M[{}]", i.k),
                BPF_ABS if i.k == SKF_AD_OFF + SKF_AD_PKTTYPE => "#type".into(),
                BPF_ABS => format!("[{}]", i.k),
                BPF_IND => format!("[x + {}]", i.k),
                _ => format!("unimp {:#x}", i.code),
            },
        ),
        BPF_LDX => (
            format!("ldx{sz}"),
            match mode(i.code) {
                BPF_IMM => format!("#{:#x}", i.k),
                BPF_LEN => "#pktlen".into(),
                BPF_MEM => format!("M[{}]", i.k),
                BPF_MSH => format!("4*([{}]&0xf)", i.k),
                _ => format!("unimp {:#x}", i.code),
            },
        ),
        BPF_ST => ("st".into(), format!("M[{}]", i.k)),
        BPF_STX => ("stx".into(), format!("M[{}]", i.k)),
        BPF_RET if rval(i.code) == BPF_A => ("ret".into(), String::new()),
        BPF_RET => ("ret".into(), format!("#{}", i.k)),
        BPF_MISC if op(i.code) == BPF_TXA => ("txa".into(), String::new()),
        BPF_MISC => ("tax".into(), String::new()),
        BPF_ALU => {
            let name = match op(i.code) {
                BPF_ADD => "add",
                BPF_SUB => "sub",
                BPF_MUL => "mul",
                BPF_DIV => "div",
                BPF_MOD => "mod",
                BPF_AND => "and",
                BPF_OR => "or",
                BPF_XOR => "xor",
                BPF_LSH => "lsh",
                BPF_RSH => "rsh",
                BPF_NEG => "neg",
                _ => "unimp",
            };
            let operand = if op(i.code) == BPF_NEG {
                String::new()
            } else if src(i.code) == BPF_X {
                "x".into()
            } else if matches!(op(i.code), BPF_AND | BPF_OR | BPF_XOR) {
                format!("#{:#x}", i.k)
            } else {
                format!("#{}", i.k)
            };
            (name.into(), operand)
        }
        BPF_JMP => {
            let name = match op(i.code) {
                BPF_JA => "ja",
                BPF_JEQ => "jeq",
                BPF_JGT => "jgt",
                BPF_JGE => "jge",
                BPF_JSET => "jset",
                _ => "unimp",
            };
            if op(i.code) == BPF_JA {
                return format!("({n:03}) {:<8} {}", name, n + 1 + i.k as usize);
            }
            let operand = if src(i.code) == BPF_X {
                "x".to_string()
            } else {
                format!("#{:#x}", i.k)
            };
            return format!(
                "({n:03}) {:<8} {:<16} jt {}\tjf {}",
                name,
                operand,
                n + 1 + usize::from(i.jt),
                n + 1 + usize::from(i.jf)
            );
        }
        _ => ("unimp".into(), format!("{:#x}", i.code)),
    };
    format!("({n:03}) {opname:<8} {operand}")
}

/// One line per instruction, as `tcpdump -d` prints them.
pub fn disassemble(insns: &[Insn]) -> String {
    insns
        .iter()
        .enumerate()
        .map(|(n, i)| image(n, i) + "\n")
        .collect()
}

/// `tcpdump -dd` format: a C array initialiser, one `{ code, jt, jf, k },` per line.
pub fn c_array(insns: &[Insn]) -> String {
    insns
        .iter()
        .map(|i| format!("{{ {:#x}, {}, {}, {:#010x} }},\n", i.code, i.jt, i.jf, i.k))
        .collect()
}

/// `tcpdump -ddd` format: the instruction count, then `code jt jf k` in decimal.
pub fn decimal(insns: &[Insn]) -> String {
    let mut s = format!("{}\n", insns.len());
    for i in insns {
        s += &format!("{} {} {} {}\n", i.code, i.jt, i.jf, i.k);
    }
    s
}
