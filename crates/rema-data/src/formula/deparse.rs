//! Expressions back to text as R's `deparse` writes them, which is how R
//! and metafor name a formula's terms and the columns of its model matrix:
//! `I(year - 1960)`, `I(ablat^2)`, `relevel(factor(alloc), ref = "random")`.
//! Binary `+ - * |` get a space on each side, `/`, `^` and `:` none; numbers
//! have at most 15 significant digits, fixed or scientific notation
//! whichever is shorter (`1960`, `0.5`, `1e+05`, `1e-04`).

use super::parser::{Expr, ExprKind};

/// The text of `e` as R deparses it.
pub(crate) fn deparse(e: &Expr) -> String {
    let mut s = String::new();
    write(e, &mut s);
    s
}

fn write(e: &Expr, s: &mut String) {
    match &e.kind {
        ExprKind::Num(v) => s.push_str(&r_number(*v)),
        ExprKind::Name(n) => s.push_str(&r_name(n)),
        ExprKind::Str(t) => {
            s.push('"');
            for c in t.chars() {
                if c == '"' || c == '\\' {
                    s.push('\\');
                }
                s.push(c);
            }
            s.push('"');
        }
        ExprKind::Call { fun, args } => {
            s.push_str(&r_name(fun));
            s.push('(');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                if let Some(n) = &a.name {
                    s.push_str(&r_name(n));
                    s.push_str(" = ");
                }
                write(&a.value, s);
            }
            s.push(')');
        }
        ExprKind::Unary { op, expr } => {
            s.push(*op);
            write(expr, s);
        }
        ExprKind::Binary { op, lhs, rhs } => {
            write(lhs, s);
            match op {
                '^' | ':' | '/' => s.push(*op),
                _ => {
                    s.push(' ');
                    s.push(*op);
                    s.push(' ');
                }
            }
            write(rhs, s);
        }
        ExprKind::Paren(inner) => {
            s.push('(');
            write(inner, s);
            s.push(')');
        }
    }
}

/// Whether `n` is a syntactic R name (else R writes it in back quotes).
fn syntactic(n: &str) -> bool {
    let mut chars = n.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let second_digit = n.chars().nth(1).is_some_and(|c| c.is_ascii_digit());
    (first.is_alphabetic() || (first == '.' && !second_digit))
        && chars.all(|c| c.is_alphanumeric() || c == '.' || c == '_')
}

/// A name as R deparses it.
pub(crate) fn r_name(n: &str) -> String {
    if syntactic(n) {
        n.to_string()
    } else {
        format!("`{}`", n.replace('\\', "\\\\").replace('`', "\\`"))
    }
}

/// A number as R prints it with 15 significant digits: fixed notation
/// unless scientific is shorter.
pub(crate) fn r_number(v: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let s = format!("{v:.14e}");
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mant = if mant.contains('.') {
        mant.trim_end_matches('0').trim_end_matches('.')
    } else {
        mant
    };
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let sci = format!(
        "{mant}e{}{:02}",
        if exp < 0 { '-' } else { '+' },
        exp.unsigned_abs()
    );
    let n = digits.len();
    let mut fixed = String::new();
    if neg {
        fixed.push('-');
    }
    if exp >= 0 {
        let int = exp as usize + 1;
        if n <= int {
            fixed.push_str(&digits);
            fixed.push_str(&"0".repeat(int - n));
        } else {
            fixed.push_str(&digits[..int]);
            fixed.push('.');
            fixed.push_str(&digits[int..]);
        }
    } else {
        fixed.push_str("0.");
        fixed.push_str(&"0".repeat(exp.unsigned_abs() as usize - 1));
        fixed.push_str(&digits);
    }
    if fixed.len() <= sci.len() {
        fixed
    } else {
        sci
    }
}

#[cfg(test)]
mod tests {
    use super::super::parser::parse_rhs;
    use super::*;

    #[test]
    fn numbers_print_as_r_prints_them() {
        let cases = [
            (1960.0, "1960"),
            (0.5, "0.5"),
            (-2.25, "-2.25"),
            (1e5, "1e+05"),
            (123456.0, "123456"),
            (1e-4, "1e-04"),
            (0.001, "0.001"),
            (1.0 / 3.0, "0.333333333333333"),
            (1e300, "1e+300"),
        ];
        for (v, s) in cases {
            assert_eq!(r_number(v), s, "{v}");
        }
    }

    #[test]
    fn expressions_deparse_with_r_spacing() {
        let d = |s: &str| deparse(&parse_rhs(s).unwrap());
        assert_eq!(d("~I(year-1960)"), "I(year - 1960)");
        assert_eq!(d("~ I( ablat ^ 2 )"), "I(ablat^2)");
        assert_eq!(
            d("~relevel(factor(alloc),ref='random')"),
            "relevel(factor(alloc), ref = \"random\")"
        );
        assert_eq!(d("~ a:b"), "a:b");
        assert_eq!(d("~ I(-x/1e5)"), "I(-x/1e+05)");
        assert_eq!(d("~ `my col`"), "`my col`");
        assert_eq!(
            d("~ I(a*b/c-d^2+(e|f)- -3)"),
            "I(a * b/c - d^2 + (e | f) - -3)"
        );
    }
}
