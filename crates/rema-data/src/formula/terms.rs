//! From a parsed right-hand side to the terms of a model, by the rules of
//! R's `terms.formula` (Chambers & Hastie 1992, *Statistical Models in S*,
//! ch. 2): `a + b` joins terms, `a - b` removes b's terms (`- 1` the
//! intercept), `0 +` removes the intercept, `a:b` is the interaction,
//! `a * b` is `a + b + a:b`, `a / b` is `a + a:b`, `(a + b)^2` every
//! product of at most two. Each term is a set of variables, written in the
//! order the variables first appear; terms are sorted by their number of
//! variables, keeping the written order within one size.

use std::collections::HashSet;

use super::deparse::deparse;
use super::parser::{Expr, ExprKind};
use super::{Arith, FormulaError, NumFn, Reference, Term, VarKind, Variable};

/// A term to add or to remove, as variable indices in ascending order
/// (empty: the intercept).
enum Item {
    Add(Vec<usize>),
    Remove(Vec<usize>),
}

/// The intercept, the variables and the terms of `rhs`.
pub(crate) fn terms(rhs: &Expr) -> Result<(bool, Vec<Variable>, Vec<Term>), FormulaError> {
    let mut vars = Vec::new();
    let items = expand(rhs, &mut vars)?;
    let mut intercept = true;
    let mut kept: Vec<Vec<usize>> = Vec::new();
    for item in items {
        match item {
            Item::Add(t) if t.is_empty() => intercept = true,
            Item::Remove(t) if t.is_empty() => intercept = false,
            Item::Add(t) => {
                if !kept.contains(&t) {
                    kept.push(t);
                }
            }
            Item::Remove(t) => kept.retain(|k| *k != t),
        }
        if kept.len() > MAX_TERMS {
            return Err(FormulaError::new(
                rhs.at,
                format!("the formula has more than {MAX_TERMS} terms"),
            ));
        }
    }
    kept.sort_by_key(Vec::len);
    let terms = kept
        .into_iter()
        .map(|variables| Term {
            label: variables
                .iter()
                .map(|&v| vars[v].label.as_str())
                .collect::<Vec<_>>()
                .join(":"),
            variables,
        })
        .collect();
    Ok((intercept, vars, terms))
}

fn negate(items: Vec<Item>) -> Vec<Item> {
    items
        .into_iter()
        .map(|i| match i {
            Item::Add(t) => Item::Remove(t),
            Item::Remove(t) => Item::Add(t),
        })
        .collect()
}

/// The added terms of `e`; a removal inside an interaction is an error.
fn adds(e: &Expr, vars: &mut Vec<Variable>, op: char) -> Result<Vec<Vec<usize>>, FormulaError> {
    expand(e, vars)?
        .into_iter()
        .map(|i| match i {
            Item::Add(t) => Ok(t),
            Item::Remove(_) => Err(FormulaError::new(
                e.at,
                format!("a term removed with '-' or 0 cannot be part of '{op}'; remove terms at the top level of the formula"),
            )),
        })
        .collect()
}

/// The most terms a formula may expand to (`(a + b + ...)^n` grows fast).
const MAX_TERMS: usize = 1000;

/// Every union of a term of `a` with a term of `b`, `a`'s terms outer.
fn interact(
    a: &[Vec<usize>],
    b: &[Vec<usize>],
    at: usize,
) -> Result<Vec<Vec<usize>>, FormulaError> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for x in a {
        for y in b {
            let mut t: Vec<usize> = x.iter().chain(y).copied().collect();
            t.sort_unstable();
            t.dedup();
            if seen.insert(t.clone()) {
                out.push(t);
                if out.len() > MAX_TERMS {
                    return Err(FormulaError::new(
                        at,
                        format!("the formula expands to more than {MAX_TERMS} terms"),
                    ));
                }
            }
        }
    }
    Ok(out)
}

fn add_all(ts: Vec<Vec<usize>>) -> Vec<Item> {
    ts.into_iter().map(Item::Add).collect()
}

/// `a + b + a:b` of two lists of terms.
fn cross(
    a: Vec<Vec<usize>>,
    b: Vec<Vec<usize>>,
    at: usize,
) -> Result<Vec<Vec<usize>>, FormulaError> {
    let ab = interact(&a, &b, at)?;
    Ok(union(a, b.into_iter().chain(ab)))
}

/// `a` followed by the terms of `b` it lacks.
fn union(a: Vec<Vec<usize>>, b: impl IntoIterator<Item = Vec<usize>>) -> Vec<Vec<usize>> {
    let mut seen: HashSet<Vec<usize>> = a.iter().cloned().collect();
    let mut out = a;
    for t in b {
        if seen.insert(t.clone()) {
            out.push(t);
        }
    }
    out
}

fn expand(e: &Expr, vars: &mut Vec<Variable>) -> Result<Vec<Item>, FormulaError> {
    Ok(match &e.kind {
        ExprKind::Num(v) if *v == 1.0 => vec![Item::Add(Vec::new())],
        ExprKind::Num(v) if *v == 0.0 => vec![Item::Remove(Vec::new())],
        ExprKind::Num(_) => {
            return Err(FormulaError::new(
                e.at,
                "only 0 and 1 stand alone in a formula (no intercept, intercept); for arithmetic write I(...)",
            ))
        }
        ExprKind::Str(_) => {
            return Err(FormulaError::new(
                e.at,
                "a string belongs in a function's argument (relevel(alloc, ref = \"random\")); for a column name write it without quotes, or in back quotes",
            ))
        }
        ExprKind::Paren(inner) => expand(inner, vars)?,
        ExprKind::Unary { op: '-', expr } => negate(expand(expr, vars)?),
        ExprKind::Unary { expr, .. } => expand(expr, vars)?,
        ExprKind::Binary { op: '+', lhs, rhs } => {
            let mut l = expand(lhs, vars)?;
            l.extend(expand(rhs, vars)?);
            l
        }
        ExprKind::Binary { op: '-', lhs, rhs } => {
            let mut l = expand(lhs, vars)?;
            l.extend(negate(expand(rhs, vars)?));
            l
        }
        ExprKind::Binary { op: ':', lhs, rhs } => {
            let a = adds(lhs, vars, ':')?;
            let b = adds(rhs, vars, ':')?;
            add_all(interact(&a, &b, e.at)?)
        }
        ExprKind::Binary { op: '*', lhs, rhs } => {
            let a = adds(lhs, vars, '*')?;
            let b = adds(rhs, vars, '*')?;
            add_all(cross(a, b, e.at)?)
        }
        ExprKind::Binary { op: '/', lhs, rhs } => {
            let a = adds(lhs, vars, '/')?;
            let b = adds(rhs, vars, '/')?;
            let mut all: Vec<usize> = a.iter().flatten().copied().collect();
            all.sort_unstable();
            all.dedup();
            let nested = interact(&[all], &b, e.at)?;
            add_all(union(a, nested))
        }
        ExprKind::Binary { op: '^', lhs, rhs } => {
            let n = match rhs.kind {
                ExprKind::Num(v) if (1.0..=64.0).contains(&v) && v.fract() == 0.0 => v as usize,
                _ => {
                    return Err(FormulaError::new(
                        rhs.at,
                        "expected a whole number from 1 to 64 after '^' (the order of the interactions); for a power write I(x^2)",
                    ))
                }
            };
            let a = adds(lhs, vars, '^')?;
            let mut out = a.clone();
            for _ in 1..n {
                out = cross(out, a.clone(), e.at)?;
            }
            add_all(out)
        }
        ExprKind::Binary { op, .. } => {
            return Err(FormulaError::new(
                e.at,
                format!("'{op}' has no meaning in a moderators formula; '|' belongs in a random-effects formula (~ 1 | study)"),
            ))
        }
        ExprKind::Name(_) | ExprKind::Call { .. } => {
            let v = variable(e)?;
            let i = match vars.iter().position(|x| x.label == v.label) {
                Some(i) => i,
                None => {
                    vars.push(v);
                    vars.len() - 1
                }
            };
            vec![Item::Add(vec![i])]
        }
    })
}

/// The one argument of `fun(x)` (unnamed or named `x`).
fn single_arg<'e>(
    e: &'e Expr,
    fun: &str,
    args: &'e [super::parser::Arg],
) -> Result<&'e Expr, FormulaError> {
    match args {
        [a] if a.name.is_none() || a.name.as_deref() == Some("x") => Ok(&a.value),
        _ => Err(FormulaError::new(
            e.at,
            format!("{fun}() takes one argument, the column (as {fun}(x))"),
        )),
    }
}

/// A variable of the model: a column, `factor()`, `relevel()`, `I()`, or
/// a numeric function of columns.
fn variable(e: &Expr) -> Result<Variable, FormulaError> {
    Ok(Variable {
        label: deparse(e),
        at: e.at,
        kind: var_kind(e)?,
    })
}

fn var_kind(e: &Expr) -> Result<VarKind, FormulaError> {
    match &e.kind {
        ExprKind::Name(n) => Ok(VarKind::Column(n.clone())),
        ExprKind::Paren(inner) => var_kind(inner),
        ExprKind::Call { fun, args } => match fun.as_str() {
            "factor" | "as.factor" => Ok(VarKind::Factor(Box::new(var_kind(single_arg(
                e, fun, args,
            )?)?))),
            "relevel" => relevel(e, args),
            "I" => Ok(VarKind::Numeric(arith(single_arg(e, fun, args)?)?)),
            _ => match NumFn::from_name(fun) {
                Some(f) => Ok(VarKind::Numeric(Arith::Call {
                    fun: f,
                    arg: Box::new(arith(single_arg(e, fun, args)?)?),
                })),
                None => Err(unknown_function(e.at, fun)),
            },
        },
        _ => Err(FormulaError::new(
            e.at,
            "expected a column name, factor(), relevel(), I() or a function such as log()",
        )),
    }
}

fn unknown_function(at: usize, fun: &str) -> FormulaError {
    FormulaError::new(
        at,
        format!(
            "unknown function `{fun}`; formulas know factor(), as.factor(), relevel(), I() and {}",
            NumFn::NAMES
        ),
    )
}

/// `relevel(x, ref = "level")` or `relevel(x, "level")`; `ref` may also
/// be a level's position.
fn relevel(e: &Expr, args: &[super::parser::Arg]) -> Result<VarKind, FormulaError> {
    let mut x = None;
    let mut reference = None;
    for a in args {
        let slot = match a.name.as_deref() {
            Some("x") => &mut x,
            Some("ref") => &mut reference,
            None if x.is_none() => &mut x,
            None if reference.is_none() => &mut reference,
            _ => {
                return Err(FormulaError::new(
                    a.value.at,
                    "relevel() takes the column and ref, as relevel(alloc, ref = \"random\")",
                ))
            }
        };
        if slot.is_some() {
            return Err(FormulaError::new(
                a.value.at,
                "relevel() is given this argument twice",
            ));
        }
        *slot = Some(&a.value);
    }
    let (Some(x), Some(r)) = (x, reference) else {
        return Err(FormulaError::new(
            e.at,
            "relevel() needs the column and the reference level, as relevel(alloc, ref = \"random\")",
        ));
    };
    let reference = match &r.kind {
        ExprKind::Str(s) => Reference::Level(s.clone()),
        ExprKind::Num(v) if *v >= 1.0 && v.fract() == 0.0 && *v <= 1e9 => {
            Reference::Position(*v as usize)
        }
        _ => return Err(FormulaError::new(
            r.at,
            "expected the reference level in quotes (ref = \"random\") or its position (ref = 2)",
        )),
    };
    Ok(VarKind::Relevel {
        of: Box::new(var_kind(x)?),
        reference,
        at: r.at,
    })
}

/// Arithmetic on numeric columns inside `I()` or a numeric function.
fn arith(e: &Expr) -> Result<Arith, FormulaError> {
    Ok(match &e.kind {
        ExprKind::Num(v) => Arith::Num(*v),
        ExprKind::Name(n) => Arith::Column {
            name: n.clone(),
            at: e.at,
        },
        ExprKind::Paren(inner) => arith(inner)?,
        ExprKind::Unary { op: '-', expr } => Arith::Neg(Box::new(arith(expr)?)),
        ExprKind::Unary { expr, .. } => arith(expr)?,
        ExprKind::Binary { op, lhs, rhs } if "+-*/^".contains(*op) => Arith::Binary {
            op: *op,
            lhs: Box::new(arith(lhs)?),
            rhs: Box::new(arith(rhs)?),
        },
        ExprKind::Call { fun, args } => match NumFn::from_name(fun) {
            Some(f) => Arith::Call {
                fun: f,
                arg: Box::new(arith(single_arg(e, fun, args)?)?),
            },
            None => return Err(unknown_function(e.at, fun)),
        },
        ExprKind::Binary { op, .. } => {
            return Err(FormulaError::new(
                e.at,
                format!("'{op}' is not arithmetic; inside I() use + - * / ^ and numeric functions"),
            ))
        }
        ExprKind::Str(_) => {
            return Err(FormulaError::new(
                e.at,
                "a string cannot enter arithmetic; write a number or a numeric column",
            ))
        }
    })
}
