//! The tokens of R's expression syntax that model formulas use: names
//! (plain or back-quoted), numbers, strings, the operators `~ + - * / ^ : |
//! =` and parentheses and commas. Each token records the character offset
//! (0-based, in characters, not bytes) where it starts.

use super::FormulaError;

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// A name: `ablat`, `pub.year`, `` `my column` ``.
    Name(String),
    /// A number, with its value.
    Num(f64),
    /// A string in double or single quotes, without them.
    Str(String),
    /// One of `~ + - * / ^ : | = ( ) ,`.
    Op(char),
    /// The end of the text.
    End,
}

impl Tok {
    /// How the token reads in an error message.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Name(n) => format!("the name `{n}`"),
            Tok::Num(_) => "a number".to_string(),
            Tok::Str(s) => format!("the string \"{s}\""),
            Tok::Op(c) => format!("'{c}'"),
            Tok::End => "the end of the formula".to_string(),
        }
    }
}

/// A token and the character offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub at: usize,
}

/// Whether `c` may start an R name.
fn name_start(c: char) -> bool {
    c.is_alphabetic() || c == '.'
}

/// Whether `c` may continue an R name.
fn name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '.' || c == '_'
}

/// Splits `text` into tokens, ending with [`Tok::End`].
pub(crate) fn lex(text: &str) -> Result<Vec<Token>, FormulaError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let (value, end) = number(&chars, i)?;
            out.push(Token {
                tok: Tok::Num(value),
                at,
            });
            i = end;
        } else if name_start(c) {
            let mut end = i;
            while end < chars.len() && name_char(chars[end]) {
                end += 1;
            }
            out.push(Token {
                tok: Tok::Name(chars[i..end].iter().collect()),
                at,
            });
            i = end;
        } else if c == '`' || c == '"' || c == '\'' {
            let (s, end) = quoted(&chars, i)?;
            let tok = if c == '`' {
                if s.is_empty() {
                    return Err(FormulaError::new(at, "a back-quoted name cannot be empty"));
                }
                Tok::Name(s)
            } else {
                Tok::Str(s)
            };
            out.push(Token { tok, at });
            i = end;
        } else if "~+-*/^:|=(),".contains(c) {
            out.push(Token {
                tok: Tok::Op(c),
                at,
            });
            i += 1;
        } else {
            return Err(FormulaError::new(
                at,
                format!("'{c}' is not part of a formula; formulas use names, numbers and ~ + - * / ^ : | ( )"),
            ));
        }
    }
    out.push(Token {
        tok: Tok::End,
        at: chars.len(),
    });
    Ok(out)
}

/// A decimal number starting at `i`: digits, an optional fraction and an
/// optional exponent; returns its value and the offset after it.
fn number(chars: &[char], i: usize) -> Result<(f64, usize), FormulaError> {
    let mut end = i;
    let digits = |end: &mut usize| {
        while *end < chars.len() && chars[*end].is_ascii_digit() {
            *end += 1;
        }
    };
    digits(&mut end);
    if end < chars.len() && chars[end] == '.' {
        end += 1;
        digits(&mut end);
    }
    if end < chars.len() && (chars[end] == 'e' || chars[end] == 'E') {
        let mut e = end + 1;
        if e < chars.len() && (chars[e] == '+' || chars[e] == '-') {
            e += 1;
        }
        if e < chars.len() && chars[e].is_ascii_digit() {
            end = e;
            digits(&mut end);
        } else {
            return Err(FormulaError::new(
                e,
                "expected the digits of the exponent after 'e'",
            ));
        }
    }
    let text: String = chars[i..end].iter().collect();
    let value: f64 = text
        .parse()
        .map_err(|_| FormulaError::new(i, format!("`{text}` is not a number")))?;
    if !value.is_finite() {
        return Err(FormulaError::new(i, format!("`{text}` is too large")));
    }
    if end < chars.len() && name_char(chars[end]) {
        return Err(FormulaError::new(
            end,
            format!("expected an operator or ')' after the number `{text}`"),
        ));
    }
    Ok((value, end))
}

/// The text between the quote at `i` and its closing quote (`\` escapes
/// the next character); returns it and the offset after the closing quote.
fn quoted(chars: &[char], i: usize) -> Result<(String, usize), FormulaError> {
    let q = chars[i];
    let mut s = String::new();
    let mut j = i + 1;
    while j < chars.len() {
        match chars[j] {
            '\\' if j + 1 < chars.len() => {
                s.push(chars[j + 1]);
                j += 2;
            }
            c if c == q => return Ok((s, j + 1)),
            c => {
                s.push(c);
                j += 1;
            }
        }
    }
    Err(FormulaError::new(
        i,
        format!("the quote {q} is not closed; add a closing {q}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Tok> {
        lex(text).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn names_numbers_strings_and_operators() {
        assert_eq!(
            toks("~ pub.year_2 + I(x^2.5e1) - `my col` 'a'"),
            [
                Tok::Op('~'),
                Tok::Name("pub.year_2".into()),
                Tok::Op('+'),
                Tok::Name("I".into()),
                Tok::Op('('),
                Tok::Name("x".into()),
                Tok::Op('^'),
                Tok::Num(25.0),
                Tok::Op(')'),
                Tok::Op('-'),
                Tok::Name("my col".into()),
                Tok::Str("a".into()),
                Tok::End,
            ]
        );
    }

    #[test]
    fn offsets_count_characters() {
        let t = lex("~ τ + b").unwrap();
        assert_eq!(t[3].at, 6);
        assert_eq!(t[4].at, 7);
    }

    #[test]
    fn bad_characters_and_open_quotes_are_located() {
        assert_eq!(lex("~ a $ b").unwrap_err().at, 4);
        assert_eq!(lex("~ relevel(a, ref = \"x)").unwrap_err().at, 19);
        assert_eq!(lex("~ 1e").unwrap_err().at, 4);
        assert_eq!(lex("~ 12abc").unwrap_err().at, 4);
    }
}
