//! Model formulas as R writes them: the moderators of a meta-regression
//! (`~ ablat + factor(alloc) + I(year - 1960)`, metafor's `mods = ~ ...`)
//! and random-effects terms (`~ 1 | district/school`, `~ outcome | study`,
//! metafor's `random = ~ ...` of `rma.mv`).
//!
//! [`parse_mods`] reads a one-sided formula into a [`ModsFormula`]: whether
//! it has an intercept, its variables and its terms, by the rules of R's
//! `terms.formula` (module `terms`). A variable is a column (numeric when
//! every cell is a number, a factor otherwise), `factor(x)`,
//! `relevel(x, ref = "level")`, `I(arithmetic)` or a numeric function
//! (`log`, `sqrt`, `exp`, ...) of columns; it is named as R deparses it
//! (module `deparse`), which is how metafor names the model matrix's
//! columns. [`parse_random`] reads `~ inner | outer/.../innermost` into a
//! [`RandomFormula`].
//!
//! The grammar is R's (`?Syntax`, `?formula`); the lexer and parser keep the
//! character offset of every token, and every [`FormulaError`] says at
//! which character the formula is wrong and what was expected there. This
//! module reads text only: turning a formula into a design matrix is
//! `moderators`' work.

mod deparse;
mod lexer;
mod parser;
mod terms;

use std::fmt;

pub(crate) use deparse::r_number;
pub use parser::{Arg, Expr, ExprKind};

/// A formula that cannot be read: where (a character offset) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormulaError {
    /// 0-based offset, in characters, of the problem in the formula (the
    /// message shows it 1-based).
    pub at: usize,
    /// What is wrong and what was expected there.
    pub message: String,
}

impl FormulaError {
    /// An error at character offset `at` (0-based).
    pub fn new(at: usize, message: impl Into<String>) -> FormulaError {
        FormulaError {
            at,
            message: message.into(),
        }
    }
}

impl fmt::Display for FormulaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "formula: at character {}, {}", self.at + 1, self.message)
    }
}

impl std::error::Error for FormulaError {}

/// The moderators of a meta-regression as a model formula.
#[derive(Debug, Clone, PartialEq)]
pub struct ModsFormula {
    /// Whether the model has an intercept (not with `- 1` or `0 +`).
    pub intercept: bool,
    /// The variables, in the order they first appear.
    pub variables: Vec<Variable>,
    /// The terms, sorted by their number of variables (main effects,
    /// then two-way interactions, ...), in written order within a size.
    pub terms: Vec<Term>,
    /// Whether it was written as a formula (offsets in [`Variable::at`]
    /// then point into its text), not given as a list of columns.
    pub from_text: bool,
}

/// One term: a variable or an interaction of several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Indices into [`ModsFormula::variables`], ascending.
    pub variables: Vec<usize>,
    /// R's term label: the variables' labels joined by `:` (`ablat:year`).
    pub label: String,
}

/// One variable of a formula.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    /// Its text as R deparses it (`factor(alloc)`, `I(ablat^2)`); the
    /// names of its columns in the model matrix start with it.
    pub label: String,
    /// 0-based character offset in the formula.
    pub at: usize,
    /// What it is.
    pub kind: VarKind,
}

/// What a variable is.
#[derive(Debug, Clone, PartialEq)]
pub enum VarKind {
    /// A column as it is: numeric if every cell is a number, else a factor
    /// with its levels sorted as R's `factor()` sorts strings.
    Column(String),
    /// `factor(x)`: a factor even when every cell is a number (levels then
    /// sorted numerically).
    Factor(Box<VarKind>),
    /// `relevel(x, ref = ...)`: a factor with `reference` as its first level.
    Relevel {
        /// The factor.
        of: Box<VarKind>,
        /// The new reference level.
        reference: Reference,
        /// 0-based offset of the `ref` argument.
        at: usize,
    },
    /// `I(...)` or a numeric function of columns.
    Numeric(Arith),
}

/// The reference level of `relevel()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// By name: `ref = "random"`.
    Level(String),
    /// By 1-based position among the levels: `ref = 2`.
    Position(usize),
}

/// Arithmetic on numeric columns (inside `I()` or a numeric function).
#[derive(Debug, Clone, PartialEq)]
pub enum Arith {
    /// A number.
    Num(f64),
    /// A numeric column, and the 0-based offset where it is named.
    Column {
        /// The column's header.
        name: String,
        /// Where it is named in the formula.
        at: usize,
    },
    /// `-x`.
    Neg(Box<Arith>),
    /// `lhs op rhs` for `op` one of `+ - * / ^`.
    Binary {
        /// The operator.
        op: char,
        /// The left operand.
        lhs: Box<Arith>,
        /// The right operand.
        rhs: Box<Arith>,
    },
    /// `fun(arg)`.
    Call {
        /// The function.
        fun: NumFn,
        /// Its argument.
        arg: Box<Arith>,
    },
}

/// The numeric functions a formula may apply to columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumFn {
    /// Natural logarithm, `log(x)`.
    Log,
    /// `log2(x)`.
    Log2,
    /// `log10(x)`.
    Log10,
    /// `sqrt(x)`.
    Sqrt,
    /// `exp(x)`.
    Exp,
    /// `abs(x)`.
    Abs,
}

impl NumFn {
    /// The functions' names, for messages.
    pub const NAMES: &'static str = "log(), log2(), log10(), sqrt(), exp(), abs()";

    /// The function of R name `name`.
    pub fn from_name(name: &str) -> Option<NumFn> {
        Some(match name {
            "log" => NumFn::Log,
            "log2" => NumFn::Log2,
            "log10" => NumFn::Log10,
            "sqrt" => NumFn::Sqrt,
            "exp" => NumFn::Exp,
            "abs" => NumFn::Abs,
            _ => return None,
        })
    }

    /// The function applied to `x`.
    pub fn apply(self, x: f64) -> f64 {
        match self {
            NumFn::Log => x.ln(),
            NumFn::Log2 => x.log2(),
            NumFn::Log10 => x.log10(),
            NumFn::Sqrt => x.sqrt(),
            NumFn::Exp => x.exp(),
            NumFn::Abs => x.abs(),
        }
    }
}

impl Arith {
    /// The columns it reads, with where they are named.
    fn columns<'a>(&'a self, out: &mut Vec<(&'a str, usize)>) {
        match self {
            Arith::Num(_) => {}
            Arith::Column { name, at } => out.push((name, *at)),
            Arith::Neg(a) | Arith::Call { arg: a, .. } => a.columns(out),
            Arith::Binary { lhs, rhs, .. } => {
                lhs.columns(out);
                rhs.columns(out);
            }
        }
    }
}

impl VarKind {
    /// The columns it reads, with where they are named (`at` of the
    /// variable for a plain column).
    pub fn columns(&self, at: usize) -> Vec<(&str, usize)> {
        let mut out = Vec::new();
        self.collect(at, &mut out);
        out
    }

    fn collect<'a>(&'a self, at: usize, out: &mut Vec<(&'a str, usize)>) {
        match self {
            VarKind::Column(c) => out.push((c, at)),
            VarKind::Factor(k) | VarKind::Relevel { of: k, .. } => k.collect(at, out),
            VarKind::Numeric(a) => a.columns(out),
        }
    }
}

impl ModsFormula {
    /// The formula of a list of columns, as `mods = ~ a + b` (each column
    /// numeric or a factor by its content), named by the columns as given.
    ///
    /// ```
    /// use rema_data::formula::ModsFormula;
    /// let f = ModsFormula::from_columns(&["ablat".into(), "alloc".into()]);
    /// assert_eq!(f.to_string(), "~ ablat + alloc");
    /// ```
    pub fn from_columns(columns: &[String]) -> ModsFormula {
        let mut variables: Vec<Variable> = Vec::new();
        for c in columns {
            let c = c.trim();
            if !variables.iter().any(|v| v.label == c) {
                variables.push(Variable {
                    label: c.to_string(),
                    at: 0,
                    kind: VarKind::Column(c.to_string()),
                });
            }
        }
        let terms = variables
            .iter()
            .enumerate()
            .map(|(i, v)| Term {
                variables: vec![i],
                label: v.label.clone(),
            })
            .collect();
        ModsFormula {
            intercept: true,
            variables,
            terms,
            from_text: false,
        }
    }

    /// Every column the formula reads, each once, in order.
    ///
    /// ```
    /// let f = rema_data::formula::parse_mods("~ I(year - 1960) * factor(alloc) + log(ablat)").unwrap();
    /// assert_eq!(f.columns(), ["year", "alloc", "ablat"]);
    /// ```
    pub fn columns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for v in &self.variables {
            for (c, _) in v.kind.columns(v.at) {
                if !out.iter().any(|o| o == c) {
                    out.push(c.to_string());
                }
            }
        }
        out
    }
}

impl fmt::Display for ModsFormula {
    /// `~ a + b:c`, with `- 1` when the model has no intercept.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let labels: Vec<&str> = self.terms.iter().map(|t| t.label.as_str()).collect();
        match (labels.is_empty(), self.intercept) {
            (true, true) => f.write_str("~ 1"),
            (true, false) => f.write_str("~ 0"),
            (false, true) => write!(f, "~ {}", labels.join(" + ")),
            (false, false) => write!(f, "~ {} - 1", labels.join(" + ")),
        }
    }
}

/// Reads a moderators formula, `~ ablat + factor(alloc) - 1` (metafor's
/// `mods = ~ ...`), into its intercept, variables and terms.
///
/// ```
/// use rema_data::formula::parse_mods;
/// let f = parse_mods("~ ablat*year + relevel(factor(alloc), ref = 'random')").unwrap();
/// let labels: Vec<&str> = f.terms.iter().map(|t| t.label.as_str()).collect();
/// assert_eq!(
///     labels,
///     ["ablat", "year", "relevel(factor(alloc), ref = \"random\")", "ablat:year"]
/// );
/// assert!(f.intercept);
/// assert!(!parse_mods("~ 0 + factor(alloc)").unwrap().intercept);
///
/// let e = parse_mods("~ ablat + ").unwrap_err();
/// assert_eq!(
///     e.to_string(),
///     "formula: at character 11, expected a column name after '+', found the end of the formula"
/// );
/// ```
pub fn parse_mods(text: &str) -> Result<ModsFormula, FormulaError> {
    let rhs = parser::parse_rhs(text)?;
    let (intercept, variables, terms) = terms::terms(&rhs)?;
    Ok(ModsFormula {
        intercept,
        variables,
        terms,
        from_text: true,
    })
}

/// A random-effects formula, `~ inner | outer/.../innermost` (metafor's
/// `random = ~ 1 | study` of `rma.mv`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RandomFormula {
    /// What varies within a group: `1` (a random intercept) or a column
    /// (`~ outcome | study`, with a variance structure).
    pub inner: RandomInner,
    /// The grouping columns, nested outer to inner: `district/school` is
    /// `["district", "school"]`.
    pub groups: Vec<String>,
}

/// The left side of `|` in a random-effects formula.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RandomInner {
    /// `~ 1 | ...`.
    Intercept,
    /// `~ outcome | ...` (also written `factor(outcome)`).
    Column(String),
}

/// Reads a random-effects formula, `~ 1 | study`, `~ 1 | district/school`
/// or `~ outcome | study`.
///
/// ```
/// use rema_data::formula::{parse_random, RandomInner};
/// let r = parse_random("~ 1 | district/school").unwrap();
/// assert_eq!(r.inner, RandomInner::Intercept);
/// assert_eq!(r.groups, ["district", "school"]);
/// let r = parse_random("~ outcome | study").unwrap();
/// assert_eq!(r.inner, RandomInner::Column("outcome".into()));
/// assert_eq!(
///     parse_random("~ 1 | ").unwrap_err().to_string(),
///     "formula: at character 7, expected a column name after '|', found the end of the formula"
/// );
/// ```
pub fn parse_random(text: &str) -> Result<RandomFormula, FormulaError> {
    let rhs = parser::parse_rhs(text)?;
    let ExprKind::Binary {
        op: '|',
        lhs,
        rhs: outer,
    } = &rhs.kind
    else {
        return Err(FormulaError::new(
            rhs.at,
            "expected a random-effects formula such as ~ 1 | study (what varies, '|', then the grouping column)",
        ));
    };
    let inner = match &lhs.kind {
        ExprKind::Num(v) if *v == 1.0 => RandomInner::Intercept,
        ExprKind::Name(n) => RandomInner::Column(n.clone()),
        ExprKind::Call { fun, args }
            if (fun == "factor" || fun == "as.factor")
                && args.len() == 1
                && args[0].name.is_none()
                && matches!(args[0].value.kind, ExprKind::Name(_)) =>
        {
            let ExprKind::Name(n) = &args[0].value.kind else {
                unreachable!("matched above")
            };
            RandomInner::Column(n.clone())
        }
        _ => {
            return Err(FormulaError::new(
                lhs.at,
                "expected 1 or a column name before '|' (~ 1 | study, ~ outcome | study)",
            ))
        }
    };
    let mut groups = Vec::new();
    nesting(outer, &mut groups)?;
    Ok(RandomFormula { inner, groups })
}

/// The names of `a/b/c`, outer first.
fn nesting(e: &Expr, out: &mut Vec<String>) -> Result<(), FormulaError> {
    match &e.kind {
        ExprKind::Name(n) => {
            out.push(n.clone());
            Ok(())
        }
        ExprKind::Binary { op: '/', lhs, rhs } => {
            nesting(lhs, out)?;
            nesting(rhs, out)
        }
        _ => Err(FormulaError::new(
            e.at,
            "expected a grouping column after '|', or columns nested with '/' (district/school)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(text: &str) -> (bool, Vec<String>) {
        let f = parse_mods(text).unwrap();
        (f.intercept, f.terms.into_iter().map(|t| t.label).collect())
    }

    #[test]
    fn terms_expand_as_r_terms_formula() {
        assert_eq!(
            labels("~ ablat + factor(alloc) + I(year - 1960) + I(ablat^2) + a:b + a*b - 1"),
            (
                false,
                vec![
                    "ablat".into(),
                    "factor(alloc)".into(),
                    "I(year - 1960)".into(),
                    "I(ablat^2)".into(),
                    "a".into(),
                    "b".into(),
                    "a:b".into()
                ]
            )
        );
        assert_eq!(labels("~ b:a + a").1, ["a", "b:a"]);
        assert_eq!(
            labels("~ b:a + a + (a+b):(c+d)").1,
            ["a", "b:a", "a:c", "a:d", "b:c", "b:d"]
        );
        assert_eq!(
            labels("~ (a + b + c)^2").1,
            ["a", "b", "c", "a:b", "a:c", "b:c"]
        );
        assert_eq!(labels("~ a/b").1, ["a", "a:b"]);
        assert_eq!(labels("~ a*b - a").1, ["b", "a:b"]);
        assert_eq!(labels("~ -1 + a"), (false, vec!["a".into()]));
        assert!(!labels("~ 0 + a").0);
        assert!(labels("~ a + 1").0);
        assert_eq!(labels("~ a + a + a").1, ["a"]);
        assert!(parse_mods("~ (a+b+c+d+e+f+g+h+i+j+k+l)^12")
            .unwrap_err()
            .to_string()
            .contains("more than 1000 terms"));
        assert_eq!(
            labels("~ log(x) + sqrt(y) + exp(z)").1,
            ["log(x)", "sqrt(y)", "exp(z)"]
        );
    }

    #[test]
    fn display_and_columns() {
        let f = parse_mods("~ 0 + factor(alloc):ablat").unwrap();
        assert_eq!(f.to_string(), "~ factor(alloc):ablat - 1");
        assert_eq!(f.columns(), ["alloc", "ablat"]);
    }

    #[test]
    fn meaningless_formulas_are_located_errors() {
        let at = |s: &str| parse_mods(s).unwrap_err().at;
        assert_eq!(at("~ a + 2"), 6);
        assert_eq!(at("~ a + 'b'"), 6);
        assert_eq!(at("~ a + foo(b)"), 6);
        assert_eq!(at("~ a:(b - 1)"), 4);
        assert_eq!(at("~ a^x"), 4);
        assert_eq!(at("~ 1 | study"), 2);
        assert_eq!(at("~ I(a | b)"), 4);
        assert_eq!(at("~ relevel(a)"), 2);
        assert_eq!(at("~ relevel(a, ref = b)"), 19);
        assert_eq!(at("~ factor(a, b)"), 2);
        assert!(parse_mods("~ foo(b)")
            .unwrap_err()
            .to_string()
            .contains("unknown function `foo`"));
    }

    #[test]
    fn relevel_takes_a_name_or_a_position() {
        let f = parse_mods("~ relevel(alloc, 'random') + relevel(x = g, ref = 2)").unwrap();
        assert!(matches!(
            &f.variables[0].kind,
            VarKind::Relevel { reference: Reference::Level(l), .. } if l == "random"
        ));
        assert!(matches!(
            &f.variables[1].kind,
            VarKind::Relevel {
                reference: Reference::Position(2),
                ..
            }
        ));
    }

    #[test]
    fn random_formulas_name_inner_and_nested_groups() {
        let r = parse_random("~ 1 | a/b/c").unwrap();
        assert_eq!(r.groups, ["a", "b", "c"]);
        let r = parse_random("~ factor(outcome) | trial").unwrap();
        assert_eq!(r.inner, RandomInner::Column("outcome".into()));
        assert_eq!(parse_random("~ study").unwrap_err().at, 2);
        assert_eq!(parse_random("~ 2 | study").unwrap_err().at, 2);
        assert_eq!(parse_random("~ 1 | a + b").unwrap_err().at, 6);
    }
}
