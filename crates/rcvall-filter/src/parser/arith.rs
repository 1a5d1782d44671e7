//! Arithmetic and relations: `arth relop arth` of libpcap's grammar.

use super::{pname, Parser, MAX_OPERANDS, UNSUPPORTED};
use crate::ast::{ArOp, Arith, Expr, Prim, Proto, RelOp};
use crate::codegen::constant;
use crate::lexer::Tok;
use crate::names;
use crate::FilterError;

impl Parser {
    /// `proto [ index [: size] ]` after the protocol name.
    fn load(&mut self, proto: Proto) -> Result<Arith, FilterError> {
        self.expect_op("[")?;
        let index = self.arith()?;
        let mut size = 1;
        if self.is_op(":") {
            self.bump();
            let spos = self.pos();
            size = self.num()?;
            if !matches!(size, 1 | 2 | 4) {
                return Err(self.sem(spos, "data size must be 1, 2, or 4".into()));
            }
        }
        self.expect_op("]")?;
        Ok(Arith::Load {
            proto,
            index: Box::new(index),
            size,
        })
    }

    /// `byte N op M`: the packet byte N compared with M. libpcap 1.10 compiles the `&` and `|`
    /// forms without loading the byte (they test a zero accumulator), so those are refused
    /// rather than given a meaning libpcap does not have.
    pub(super) fn byte(&mut self) -> Result<Expr, FilterError> {
        self.bump();
        let n = self.num()?;
        let pos = self.pos();
        let op = match self.peek() {
            Tok::Op("=" | "==") => RelOp::Eq,
            Tok::Op("<") => RelOp::Lt,
            Tok::Op(">") => RelOp::Gt,
            Tok::Op("&" | "|") => {
                return Err(FilterError::Unsupported {
                    pos,
                    what: "'byte N & M' / 'byte N | M' (libpcap ignores the byte there; write 'ip[N] & M != 0')".into(),
                })
            }
            _ => return Err(self.err("'=', '<', '>', '&' or '|'")),
        };
        self.bump();
        let m = self.num()?;
        let load = Arith::Load {
            proto: Proto::Link,
            index: Box::new(Arith::Num(n)),
            size: 1,
        };
        Ok(Expr::Prim(Prim::Rel(op, load, Arith::Num(m))))
    }

    pub(super) fn relation(&mut self) -> Result<Expr, FilterError> {
        self.operands = 0;
        let lhs = self.arith()?;
        let op = match self.peek() {
            Tok::Op("=" | "==") => RelOp::Eq,
            Tok::Op("!=") => RelOp::Ne,
            Tok::Op("<") => RelOp::Lt,
            Tok::Op("<=") => RelOp::Le,
            Tok::Op(">") => RelOp::Gt,
            Tok::Op(">=") => RelOp::Ge,
            _ => return Err(self.err("a comparison (=, !=, <, <=, >, >=)")),
        };
        self.bump();
        let rhs = self.arith()?;
        Ok(Expr::Prim(Prim::Rel(op, lhs, rhs)))
    }

    /// Binary operators by precedence (yacc `%left`), lowest first. `^` and `%` have no
    /// declared precedence in libpcap's grammar, so yacc shifts on them: they bind their
    /// left operand tightly and take the whole rest of the expression as right operand.
    fn arith(&mut self) -> Result<Arith, FilterError> {
        self.arith_prec(0)
    }

    fn binop(&self) -> Option<(ArOp, u8)> {
        Some(match self.peek() {
            Tok::Op("|") => (ArOp::Or, 1),
            Tok::Op("&") => (ArOp::And, 2),
            Tok::Op("<<") => (ArOp::Shl, 3),
            Tok::Op(">>") => (ArOp::Shr, 3),
            Tok::Op("+") => (ArOp::Add, 4),
            Tok::Op("-") => (ArOp::Sub, 4),
            Tok::Op("*") => (ArOp::Mul, 5),
            Tok::Op("/") => (ArOp::Div, 5),
            _ => return None,
        })
    }

    /// Builds `l op r`, refusing what libpcap refuses: a constant zero divisor, a constant
    /// shift of more than 31 bits.
    fn bin(&self, pos: usize, op: ArOp, l: Arith, r: Arith) -> Result<Arith, FilterError> {
        let msg = match (op, constant(&r)) {
            (ArOp::Div, Some(0)) => Some("division by zero"),
            (ArOp::Mod, Some(0)) => Some("modulus by zero"),
            (ArOp::Shl | ArOp::Shr, Some(k)) if k > 31 => Some("shift by more than 31 bits"),
            _ => None,
        };
        if let Some(m) = msg {
            return Err(FilterError::Semantic { pos, msg: m.into() });
        }
        Ok(Arith::Bin(op, Box::new(l), Box::new(r)))
    }

    fn arith_prec(&mut self, min: u8) -> Result<Arith, FilterError> {
        let mut lhs = self.operand()?;
        while let Some((op, prec)) = self.binop() {
            if prec < min {
                break;
            }
            let pos = self.pos();
            self.bump();
            let rhs = self.arith_prec(prec + 1)?;
            lhs = self.bin(pos, op, lhs, rhs)?;
        }
        Ok(lhs)
    }

    fn operand(&mut self) -> Result<Arith, FilterError> {
        self.count()?;
        self.operands += 1;
        if self.operands > MAX_OPERANDS {
            return Err(FilterError::TooComplex(format!(
                "more than {MAX_OPERANDS} operands in one comparison"
            )));
        }
        if self.is_op("-") {
            self.bump();
            return Ok(Arith::Neg(Box::new(self.nest(|p| p.operand())?)));
        }
        let p = self.nest(|p| p.primary())?;
        let op = match self.peek() {
            Tok::Op("^") => ArOp::Xor,
            Tok::Op("%") => ArOp::Mod,
            _ => return Ok(p),
        };
        let pos = self.pos();
        self.bump();
        let rhs = self.nest(|p| p.arith())?;
        self.bin(pos, op, p, rhs)
    }

    fn primary(&mut self) -> Result<Arith, FilterError> {
        match self.peek().clone() {
            Tok::Num(n) => {
                self.bump();
                Ok(Arith::Num(n))
            }
            Tok::Op("(") => {
                self.bump();
                let a = self.arith()?;
                self.expect_op(")")?;
                Ok(a)
            }
            Tok::Ident(w, false) if w == "len" => {
                self.bump();
                Ok(Arith::Len)
            }
            Tok::Ident(w, false) if names::field(&w).is_some() => {
                self.bump();
                Ok(Arith::Num(names::field(&w).unwrap_or(0)))
            }
            Tok::Ident(w, false) if pname(&w).is_some() => {
                let proto = pname(&w).unwrap_or(Proto::Ip);
                self.bump();
                self.load(proto)
            }
            Tok::Ident(w, false)
                if (w == "link" || w == "ether") && matches!(self.peek_at(1), Tok::Op("[")) =>
            {
                self.bump();
                self.load(Proto::Link)
            }
            Tok::Ident(w, false) if UNSUPPORTED.contains(&w.as_str()) => Err(self.unsupported()),
            _ => Err(self.err("a number, 'len', or a byte access like 'ip[0]'")),
        }
    }
}
