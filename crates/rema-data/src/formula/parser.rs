//! R's expression grammar, as far as model formulas use it, parsed by
//! precedence climbing into an [`Expr`] tree.
//!
//! Precedence, loosest first, as R's `?Syntax`: `~`, `|`, binary `+ -`
//! (left), `* /` (left), `:` (left), unary `- +`, `^` (right), then calls
//! `f(...)` and parentheses. `=` names an argument of a call
//! (`relevel(alloc, ref = "random")`).

use super::lexer::{lex, Tok, Token};
use super::FormulaError;

/// One node of a parsed formula, with the character offset (0-based) where
/// its text starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What the node is.
    pub kind: ExprKind,
    /// 0-based character offset of the node in the formula.
    pub at: usize,
}

/// The kinds of [`Expr`].
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A number: `1960`, `0.5`.
    Num(f64),
    /// A name: a column, or `ablat` in `I(ablat^2)`.
    Name(String),
    /// A quoted string (an argument such as `ref = "random"`).
    Str(String),
    /// `fun(args)`.
    Call {
        /// The function's name.
        fun: String,
        /// The arguments in order.
        args: Vec<Arg>,
    },
    /// Unary `-x` or `+x`.
    Unary {
        /// `-` or `+`.
        op: char,
        /// The operand.
        expr: Box<Expr>,
    },
    /// `lhs op rhs` for `op` one of `~ | + - * / : ^`.
    Binary {
        /// The operator.
        op: char,
        /// The left operand.
        lhs: Box<Expr>,
        /// The right operand.
        rhs: Box<Expr>,
    },
    /// `(expr)`.
    Paren(Box<Expr>),
}

/// An argument of a call, `value` or `name = value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    /// The argument's name, when given.
    pub name: Option<String>,
    /// Its value.
    pub value: Expr,
}

/// Binding powers (left, right) of the binary operators.
fn infix(op: char) -> Option<(u8, u8)> {
    Some(match op {
        '|' => (2, 3),
        '+' | '-' => (4, 5),
        '*' | '/' => (6, 7),
        ':' => (8, 9),
        '^' => (13, 12),
        _ => return None,
    })
}

/// The binding power of unary `-` and `+` (tighter than `:`, looser than `^`).
const UNARY: u8 = 10;

/// How deep the tree may be (operators in a chain count one level each),
/// so that walking it cannot exhaust the stack.
const MAX_DEPTH: usize = 500;

fn too_deep(at: usize) -> FormulaError {
    FormulaError::new(
        at,
        format!("the formula has more than {MAX_DEPTH} levels of operators and parentheses"),
    )
}

struct Parser {
    toks: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.toks[self.pos]
    }

    fn next(&mut self) -> Token {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    /// An expression whose operators bind tighter than `min`; `after`
    /// names what came before, for the error when no operand follows.
    fn expr(&mut self, min: u8, after: &str, depth: usize) -> Result<Expr, FormulaError> {
        if depth > MAX_DEPTH {
            return Err(too_deep(self.peek().at));
        }
        let mut lhs = self.operand(after, depth)?;
        let mut chain = depth;
        loop {
            let t = self.peek().clone();
            let Tok::Op(op) = t.tok else { break };
            let Some((l, r)) = infix(op) else { break };
            if l < min {
                break;
            }
            chain += 1;
            if chain > MAX_DEPTH {
                return Err(too_deep(t.at));
            }
            self.next();
            let rhs = self.expr(r, &format!("'{op}'"), chain)?;
            let at = lhs.at;
            lhs = Expr {
                kind: ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                at,
            };
        }
        Ok(lhs)
    }

    /// A name, number, string, call, parenthesised expression or unary
    /// minus/plus.
    fn operand(&mut self, after: &str, depth: usize) -> Result<Expr, FormulaError> {
        let t = self.next();
        let kind = match t.tok {
            Tok::Num(v) => ExprKind::Num(v),
            Tok::Str(s) => ExprKind::Str(s),
            Tok::Name(n) => {
                if self.peek().tok == Tok::Op('(') {
                    self.next();
                    let args = self.args(&n, depth)?;
                    ExprKind::Call { fun: n, args }
                } else {
                    ExprKind::Name(n)
                }
            }
            Tok::Op('(') => {
                let inner = self.expr(0, "'('", depth + 1)?;
                self.expect(')', "to close the '('")?;
                ExprKind::Paren(Box::new(inner))
            }
            Tok::Op(op @ ('-' | '+')) => {
                let e = self.expr(UNARY, &format!("'{op}'"), depth + 1)?;
                ExprKind::Unary {
                    op,
                    expr: Box::new(e),
                }
            }
            other => {
                return Err(FormulaError::new(
                    t.at,
                    format!(
                        "expected a column name after {after}, found {}",
                        other.describe()
                    ),
                ))
            }
        };
        Ok(Expr { kind, at: t.at })
    }

    /// The arguments of `fun(`, through the closing `)`.
    fn args(&mut self, fun: &str, depth: usize) -> Result<Vec<Arg>, FormulaError> {
        let mut args = Vec::new();
        if self.peek().tok == Tok::Op(')') {
            self.next();
            return Ok(args);
        }
        loop {
            let name = match (
                &self.peek().tok,
                &self.toks.get(self.pos + 1).map(|t| &t.tok),
            ) {
                (Tok::Name(n), Some(Tok::Op('='))) => {
                    let n = n.clone();
                    self.next();
                    self.next();
                    Some(n)
                }
                _ => None,
            };
            let after = match &name {
                Some(n) => format!("'{n} ='"),
                None if args.is_empty() => format!("'{fun}('"),
                None => "','".to_string(),
            };
            let value = self.expr(0, &after, depth + 1)?;
            args.push(Arg { name, value });
            let t = self.next();
            match t.tok {
                Tok::Op(',') => continue,
                Tok::Op(')') => return Ok(args),
                other => {
                    return Err(FormulaError::new(
                        t.at,
                        format!(
                            "expected ',' or ')' in the arguments of {fun}(), found {}",
                            other.describe()
                        ),
                    ))
                }
            }
        }
    }

    fn expect(&mut self, c: char, why: &str) -> Result<(), FormulaError> {
        let t = self.next();
        if t.tok == Tok::Op(c) {
            Ok(())
        } else {
            Err(FormulaError::new(
                t.at,
                format!("expected '{c}' {why}, found {}", t.tok.describe()),
            ))
        }
    }
}

/// Parses a one-sided formula `~ rhs` into its right-hand side.
pub(crate) fn parse_rhs(text: &str) -> Result<Expr, FormulaError> {
    let toks = lex(text)?;
    let mut p = Parser { toks, pos: 0 };
    let t = p.next();
    if t.tok != Tok::Op('~') {
        return Err(FormulaError::new(
            t.at,
            format!(
                "expected '~' at the start of the formula, found {}",
                t.tok.describe()
            ),
        ));
    }
    let rhs = p.expr(0, "'~'", 0)?;
    let t = p.next();
    match t.tok {
        Tok::End => Ok(rhs),
        Tok::Op(')') => Err(FormulaError::new(
            t.at,
            "this ')' has no matching '('; remove it",
        )),
        other => Err(FormulaError::new(
            t.at,
            format!(
                "expected an operator (+ - * / : ^) or the end of the formula, found {}",
                other.describe()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree as a fully parenthesised string.
    fn show(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Num(v) => v.to_string(),
            ExprKind::Name(n) => n.clone(),
            ExprKind::Str(s) => format!("{s:?}"),
            ExprKind::Call { fun, args } => {
                let a: Vec<String> = args
                    .iter()
                    .map(|a| match &a.name {
                        Some(n) => format!("{n}={}", show(&a.value)),
                        None => show(&a.value),
                    })
                    .collect();
                format!("{fun}({})", a.join(","))
            }
            ExprKind::Unary { op, expr } => format!("[{op}{}]", show(expr)),
            ExprKind::Binary { op, lhs, rhs } => format!("[{} {op} {}]", show(lhs), show(rhs)),
            ExprKind::Paren(e) => format!("({})", show(e)),
        }
    }

    #[test]
    fn precedence_follows_r() {
        let p = |s: &str| show(&parse_rhs(s).unwrap());
        assert_eq!(p("~ a + b:c * d - 1"), "[[a + [[b : c] * d]] - 1]");
        assert_eq!(p("~ -x^2"), "[-[x ^ 2]]");
        assert_eq!(p("~ a^b^c"), "[a ^ [b ^ c]]");
        assert_eq!(p("~ 1 | district/school"), "[1 | [district / school]]");
        assert_eq!(
            p("~ relevel(factor(alloc), ref = 'random')"),
            "relevel(factor(alloc),ref=\"random\")"
        );
        assert_eq!(p("~ I((year - 1960)/10)"), "I([([year - 1960]) / 10])");
    }

    #[test]
    fn errors_say_what_was_expected_where() {
        let e = parse_rhs("~ ablat + ").unwrap_err();
        assert_eq!(e.at, 10);
        assert_eq!(
            e.to_string(),
            "formula: at character 11, expected a column name after '+', found the end of the formula"
        );
        assert_eq!(parse_rhs("ablat").unwrap_err().at, 0);
        assert_eq!(parse_rhs("~ (a + b").unwrap_err().at, 8);
        assert_eq!(parse_rhs("~ a b").unwrap_err().at, 4);
        assert_eq!(parse_rhs("~ a)").unwrap_err().at, 3);
        assert_eq!(parse_rhs("~ f(a b)").unwrap_err().at, 6);
        assert_eq!(parse_rhs("~ f(a,)").unwrap_err().at, 6);
        assert_eq!(parse_rhs("~ a ~ b").unwrap_err().at, 4);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = format!("~ {}a{}", "(".repeat(5000), ")".repeat(5000));
        assert!(parse_rhs(&text).is_err());
        let chain = format!("~ a{}", " + a".repeat(5000));
        assert!(parse_rhs(&chain).is_err());
        assert!(parse_rhs(&format!("~ a{}", " + a".repeat(400))).is_ok());
    }
}
