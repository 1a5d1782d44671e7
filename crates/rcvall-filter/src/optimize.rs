//! Jump optimiser and linearisation.
//!
//! Every transformation here preserves the exact meaning of the program, including which packet
//! loads run (an out-of-bounds load rejects the packet): a test is skipped only when an earlier
//! test on every path to it already computed the same value successfully and decided it.

use crate::codegen::{Block, Cfg, Leaf, Tgt};
use crate::insn::*;
use std::collections::HashMap;

/// What a taken branch tells about the value a leaf's statements compute.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Fact {
    key: usize,
    jcode: u16,
    k: u32,
    outcome: bool,
}

/// Interval [lo, hi] of A implied by `A op k == outcome`.
fn interval(jop: u16, k: u32, outcome: bool) -> Option<(u32, u32)> {
    match (jop, outcome) {
        (BPF_JEQ, true) => Some((k, k)),
        (BPF_JGT, true) => k.checked_add(1).map(|lo| (lo, u32::MAX)),
        (BPF_JGT, false) => Some((0, k)),
        (BPF_JGE, true) => Some((k, u32::MAX)),
        (BPF_JGE, false) => k.checked_sub(1).map(|hi| (0, hi)),
        _ => None,
    }
}

/// Decides `A cop ck` from one fact about A, if possible.
fn implied(f: &Fact, cop: u16, ck: u32) -> Option<bool> {
    let fop = op(f.jcode);
    if fop == cop && f.k == ck {
        return Some(f.outcome);
    }
    if let Some((lo, hi)) = interval(fop, f.k, f.outcome) {
        return match cop {
            BPF_JEQ if ck < lo || ck > hi => Some(false),
            BPF_JEQ if lo == hi => Some(ck == lo),
            BPF_JGT if lo > ck => Some(true),
            BPF_JGT if hi <= ck => Some(false),
            BPF_JGE if lo >= ck => Some(true),
            BPF_JGE if hi < ck => Some(false),
            BPF_JSET if lo == hi => Some(lo & ck != 0),
            _ => None,
        };
    }
    match (fop, f.outcome, cop) {
        // A != k decides only A == k, handled above.
        (BPF_JSET, false, BPF_JSET) if ck & !f.k == 0 => Some(false),
        (BPF_JSET, true, BPF_JSET) if f.k & !ck == 0 => Some(true),
        _ => None,
    }
}

struct Keys(HashMap<Vec<Insn>, usize>);
impl Keys {
    fn key(&mut self, l: &Leaf) -> usize {
        let n = self.0.len();
        *self.0.entry(l.stmts.clone()).or_insert(n)
    }
}

fn decide(facts: &[Fact], key: usize, l: &Leaf) -> Option<bool> {
    for f in facts.iter().filter(|f| f.key == key) {
        if src(l.jcode) == BPF_X || src(f.jcode) == BPF_X {
            if f.jcode == l.jcode && f.k == l.k {
                return Some(f.outcome);
            }
            continue;
        }
        if let Some(r) = implied(f, op(l.jcode), l.k) {
            return Some(r);
        }
    }
    None
}

fn succ(b: &Block, outcome: bool) -> Tgt {
    if outcome {
        b.jt
    } else {
        b.jf
    }
}

/// Redirects each edge past tests whose outcome is known on that edge.
fn thread(cfg: &mut Cfg, keys: &mut Keys) {
    let n = cfg.blocks.len();
    let bkeys: Vec<usize> = cfg.blocks.iter().map(|b| keys.key(&b.leaf)).collect();
    let mut in_facts: Vec<Option<Vec<Fact>>> = vec![None; n];
    // The entry is reached with nothing known.
    let entry = match cfg.entry {
        Tgt::Blk(e) => e,
        _ => return,
    };
    in_facts[entry] = Some(Vec::new());
    for b in (0..n).rev() {
        let Some(facts) = in_facts[b].clone() else {
            continue;
        };
        for outcome in [true, false] {
            let mut f = facts.clone();
            let blk = &cfg.blocks[b];
            f.push(Fact {
                key: bkeys[b],
                jcode: blk.leaf.jcode,
                k: blk.leaf.k,
                outcome,
            });
            let mut t = succ(blk, outcome);
            while let Tgt::Blk(c) = t {
                match decide(&f, bkeys[c], &cfg.blocks[c].leaf) {
                    Some(r) => {
                        let cl = &cfg.blocks[c].leaf;
                        f.push(Fact {
                            key: bkeys[c],
                            jcode: cl.jcode,
                            k: cl.k,
                            outcome: r,
                        });
                        t = succ(&cfg.blocks[c], r);
                    }
                    None => break,
                }
            }
            if outcome {
                cfg.blocks[b].jt = t;
            } else {
                cfg.blocks[b].jf = t;
            }
            if let Tgt::Blk(c) = t {
                in_facts[c] = Some(match in_facts[c].take() {
                    None => f,
                    Some(old) => old.into_iter().filter(|x| f.contains(x)).collect(),
                });
            }
        }
    }
}

/// A test whose statements cannot fail (no packet loads, no division) and whose branches meet
/// is a no-op.
fn cannot_fail(l: &Leaf) -> bool {
    l.stmts.iter().all(|i| {
        let c = class(i.code);
        let load =
            (c == BPF_LD || c == BPF_LDX) && matches!(mode(i.code), BPF_ABS | BPF_IND | BPF_MSH);
        let anc = c == BPF_LD && mode(i.code) == BPF_ABS && i.k >= SKF_AD_OFF;
        let div = c == BPF_ALU && matches!(op(i.code), BPF_DIV | BPF_MOD) && src(i.code) == BPF_X;
        (!load || anc) && !div
    })
}

/// Merges identical blocks, drops no-op tests and unreachable blocks; renumbers.
fn dedupe(cfg: &mut Cfg) {
    let n = cfg.blocks.len();
    let mut canon: Vec<Tgt> = Vec::with_capacity(n);
    let mut seen: HashMap<(Leaf, Tgt, Tgt), usize> = HashMap::new();
    let map = |t: Tgt, canon: &Vec<Tgt>| match t {
        Tgt::Blk(i) => canon[i],
        x => x,
    };
    for i in 0..n {
        let b = &cfg.blocks[i];
        let (jt, jf) = (map(b.jt, &canon), map(b.jf, &canon));
        // A failing load rejects the packet, so a test whose branches both reject is a no-op
        // too.
        if jt == jf && (jt == Tgt::Reject || cannot_fail(&b.leaf)) {
            canon.push(jt);
            continue;
        }
        let key = (b.leaf.clone(), jt, jf);
        match seen.get(&key) {
            Some(&j) => canon.push(Tgt::Blk(j)),
            None => {
                seen.insert(key, i);
                canon.push(Tgt::Blk(i));
            }
        }
        cfg.blocks[i].jt = jt;
        cfg.blocks[i].jf = jf;
    }
    cfg.entry = map(cfg.entry, &canon);
    // Keep reachable blocks only, preserving order.
    let mut live = vec![false; n];
    if let Tgt::Blk(e) = cfg.entry {
        live[e] = true;
    }
    for i in (0..n).rev() {
        if live[i] {
            for t in [cfg.blocks[i].jt, cfg.blocks[i].jf] {
                if let Tgt::Blk(j) = t {
                    live[j] = true;
                }
            }
        }
    }
    let mut newidx = vec![usize::MAX; n];
    let mut blocks = Vec::new();
    for i in 0..n {
        if live[i] {
            newidx[i] = blocks.len();
            blocks.push(cfg.blocks[i].clone());
        }
    }
    let re = |t: Tgt| match t {
        Tgt::Blk(i) => Tgt::Blk(newidx[i]),
        x => x,
    };
    for b in &mut blocks {
        b.jt = re(b.jt);
        b.jf = re(b.jf);
    }
    cfg.entry = re(cfg.entry);
    cfg.blocks = blocks;
}

/// Runs the jump optimiser to a fixed point.
pub(crate) fn optimize(cfg: &mut Cfg) {
    let mut keys = Keys(HashMap::new());
    dedupe(cfg);
    for _ in 0..8 {
        let before = cfg.blocks.len();
        thread(cfg, &mut keys);
        dedupe(cfg);
        if cfg.blocks.len() == before {
            break;
        }
    }
}

/// Symbolic value of a register (value numbering), used to drop reloads of values that are
/// already in place on every path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum VKey {
    Imm(u32),
    Len,
    Abs(u16, u32),
    Ind(u16, u32, u32),
    Msh(u32),
    AluK(u16, u32, u32),
    AluX(u16, u32, u32),
    Neg(u32),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct RegState {
    a: Option<u32>,
    x: Option<u32>,
    m: [Option<u32>; BPF_MEMWORDS as usize],
}

impl RegState {
    fn unknown() -> Self {
        RegState {
            a: None,
            x: None,
            m: [None; BPF_MEMWORDS as usize],
        }
    }
    fn meet(&self, o: &RegState) -> RegState {
        let f = |a: Option<u32>, b: Option<u32>| if a == b { a } else { None };
        let mut m = self.m;
        for (i, v) in m.iter_mut().enumerate() {
            *v = f(*v, o.m[i]);
        }
        RegState {
            a: f(self.a, o.a),
            x: f(self.x, o.x),
            m,
        }
    }
}

struct Numbering(HashMap<VKey, u32>);
impl Numbering {
    fn get(&mut self, k: VKey) -> u32 {
        let n = self.0.len() as u32;
        *self.0.entry(k).or_insert(n)
    }
}

/// Simulates `stmts` from `st`, returning the statements that are not redundant.
fn elide(stmts: &[Insn], st: &mut RegState, num: &mut Numbering) -> Vec<Insn> {
    let mut out = Vec::new();
    for &i in stmts {
        let c = class(i.code);
        let keep = match c {
            BPF_LD => {
                let v = match mode(i.code) {
                    BPF_IMM => Some(num.get(VKey::Imm(i.k))),
                    BPF_LEN => Some(num.get(VKey::Len)),
                    BPF_ABS => Some(num.get(VKey::Abs(size(i.code), i.k))),
                    BPF_IND => st.x.map(|x| num.get(VKey::Ind(size(i.code), i.k, x))),
                    BPF_MEM => st.m[(i.k % BPF_MEMWORDS) as usize],
                    _ => None,
                };
                let redundant = v.is_some() && v == st.a;
                st.a = v;
                !redundant
            }
            BPF_LDX => {
                let v = match mode(i.code) {
                    BPF_IMM => Some(num.get(VKey::Imm(i.k))),
                    BPF_LEN => Some(num.get(VKey::Len)),
                    BPF_MSH => Some(num.get(VKey::Msh(i.k))),
                    BPF_MEM => st.m[(i.k % BPF_MEMWORDS) as usize],
                    _ => None,
                };
                let redundant = v.is_some() && v == st.x;
                st.x = v;
                !redundant
            }
            BPF_ST => {
                let slot = (i.k % BPF_MEMWORDS) as usize;
                let redundant = st.a.is_some() && st.m[slot] == st.a;
                st.m[slot] = st.a;
                !redundant
            }
            BPF_ALU => {
                let o = op(i.code);
                st.a = match (st.a, o, src(i.code)) {
                    (Some(a), BPF_NEG, _) => Some(num.get(VKey::Neg(a))),
                    (Some(a), _, BPF_K) => Some(num.get(VKey::AluK(o, a, i.k))),
                    (Some(a), _, _) => st.x.map(|x| num.get(VKey::AluX(o, a, x))),
                    _ => None,
                };
                true
            }
            BPF_MISC => {
                if op(i.code) == BPF_TXA {
                    let redundant = st.x.is_some() && st.a == st.x;
                    st.a = st.x;
                    !redundant
                } else {
                    let redundant = st.a.is_some() && st.a == st.x;
                    st.x = st.a;
                    !redundant
                }
            }
            _ => true,
        };
        if keep {
            out.push(i);
        }
    }
    out
}

/// Lays the blocks out as a program: statement elision, fall-through jumps, shared `ret`s, and
/// `ja` trampolines where a conditional jump would exceed 255 instructions.
pub(crate) fn linearize(cfg: &Cfg, accept: u32) -> Vec<Insn> {
    let ret = |k| Insn::stmt(BPF_RET | BPF_K, k);
    let entry = match cfg.entry {
        Tgt::Accept => return vec![ret(accept)],
        Tgt::Reject => return vec![ret(0)],
        Tgt::Blk(e) => e,
    };
    let n = cfg.blocks.len();
    // Register elision, in topological (descending) order.
    let mut num = Numbering(HashMap::new());
    let mut ins: Vec<Option<RegState>> = vec![None; n];
    ins[entry] = Some(RegState::unknown());
    let mut body: Vec<Vec<Insn>> = vec![Vec::new(); n];
    for b in (0..n).rev() {
        let Some(mut st) = ins[b].clone() else {
            continue;
        };
        body[b] = elide(&cfg.blocks[b].leaf.stmts, &mut st, &mut num);
        for t in [cfg.blocks[b].jt, cfg.blocks[b].jf] {
            if let Tgt::Blk(c) = t {
                ins[c] = Some(match &ins[c] {
                    None => st.clone(),
                    Some(o) => o.meet(&st),
                });
            }
        }
    }
    // Tail merging: blocks whose emitted code and targets are identical are one block (the
    // concrete executions are unchanged, so the register facts used above stay valid). The
    // smallest index represents its class, keeping every jump forward.
    let mut canon: Vec<usize> = (0..n).collect();
    let mut seen: HashMap<(Vec<Insn>, u16, u32, Tgt, Tgt), usize> = HashMap::new();
    let mut targets: Vec<(Tgt, Tgt)> = cfg.blocks.iter().map(|b| (b.jt, b.jf)).collect();
    for b in 0..n {
        if ins[b].is_none() {
            continue;
        }
        let c = |t: Tgt| match t {
            Tgt::Blk(i) => Tgt::Blk(canon[i]),
            x => x,
        };
        targets[b] = (c(targets[b].0), c(targets[b].1));
        let l = &cfg.blocks[b].leaf;
        let key = (body[b].clone(), l.jcode, l.k, targets[b].0, targets[b].1);
        canon[b] = *seen.entry(key).or_insert(b);
    }
    let order: Vec<usize> = (0..n)
        .rev()
        .filter(|&b| ins[b].is_some() && canon[b] == b)
        .collect();
    // tramp[b] = (true-edge needs ja, false-edge needs ja)
    let mut tramp = vec![(false, false); n];
    loop {
        let mut start = vec![0usize; n];
        let mut pos = 0;
        for &b in &order {
            start[b] = pos;
            pos += body[b].len() + 1 + tramp[b].0 as usize + tramp[b].1 as usize;
        }
        let uses = |r: Tgt| {
            order
                .iter()
                .any(|&b| targets[b].0 == r || targets[b].1 == r)
        };
        let (uses_accept, uses_reject) = (uses(Tgt::Accept), uses(Tgt::Reject));
        let accept_at = pos;
        let reject_at = pos + uses_accept as usize;
        let addr = |t: Tgt| match t {
            Tgt::Blk(c) => start[c],
            Tgt::Accept => accept_at,
            Tgt::Reject => reject_at,
        };
        let mut changed = false;
        let mut prog = Vec::with_capacity(pos + 2);
        for &b in &order {
            prog.extend_from_slice(&body[b]);
            let jpc = prog.len();
            let blk = &cfg.blocks[b];
            let after = jpc + 1;
            let (tt, tf) = tramp[b];
            let t_ja = after;
            let f_ja = after + tt as usize;
            let dt = if tt {
                t_ja - after
            } else {
                addr(targets[b].0) - after
            };
            let df = if tf {
                f_ja - after
            } else {
                addr(targets[b].1) - after
            };
            if dt > 255 && !tt {
                tramp[b].0 = true;
                changed = true;
            }
            if df > 255 && !tf {
                tramp[b].1 = true;
                changed = true;
            }
            prog.push(Insn::jump(
                blk.leaf.jcode,
                blk.leaf.k,
                dt.min(255) as u8,
                df.min(255) as u8,
            ));
            if tt {
                prog.push(Insn::stmt(
                    BPF_JMP | BPF_JA,
                    (addr(targets[b].0) - (t_ja + 1)) as u32,
                ));
            }
            if tf {
                prog.push(Insn::stmt(
                    BPF_JMP | BPF_JA,
                    (addr(targets[b].1) - (f_ja + 1)) as u32,
                ));
            }
        }
        if changed {
            continue;
        }
        if uses_accept {
            prog.push(ret(accept));
        }
        if uses_reject {
            prog.push(ret(0));
        }
        return prog;
    }
}
