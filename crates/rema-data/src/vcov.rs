//! Known sampling covariances given as a long table (`rema analyze --vcov
//! FILE`; the spec's `vcov`): metafor's `rma.mv(yi, V)` with V built from
//! its entries.
//!
//! The table has the columns `row`, `col` and `cov` (also spelled `column`,
//! `covariance`), one line per entry. `row` and `col` are 1-based numbers of
//! the data's study rows, in the order of the data file (blank lines not
//! counted): row 1 is the first study line. Row numbers, not labels, because
//! labels may repeat (several effects per study, which is when a V is
//! needed) and a number refers to the same row when rows are omitted for
//! missing values. Each pair may be given once, or as (i, j) and (j, i)
//! with the same value; a diagonal entry (i, i), if given, must agree with
//! the row's sampling variance vi (to a relative 1e-6). Pairs not given
//! are 0.
//!
//! [`parse`] checks the table alone (numbers, duplicates, with the line of
//! each problem); [`covariances`] checks it against the data (an unknown
//! row, a diagonal that disagrees with vi) and gives rema-core's sparse
//! (i, j, cov) list over the rows kept. rema-core refuses a block of V that
//! is not positive definite, and the error names the block's rows.

use serde::{Deserialize, Serialize};

use crate::columns::parse_number;
use crate::error::{DataError, Location, Result};
use crate::table::Table;

/// One entry of the sampling covariance: rows `row` and `col` (1-based
/// study rows of the data) have sampling covariance `cov`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VcovEntry {
    pub row: usize,
    pub col: usize,
    pub cov: f64,
}

const ROW: [&str; 1] = ["row"];
const COL: [&str; 2] = ["col", "column"];
const COV: [&str; 2] = ["cov", "covariance"];

fn find(t: &Table, names: &[&str]) -> Option<usize> {
    names.iter().find_map(|n| {
        t.headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(n))
    })
}

/// Reads the long table of covariances (CSV text, `source` naming it in
/// messages). Every entry once: (i, j) and (j, i) with the same value are
/// one entry, with different values an error naming both lines.
///
/// ```
/// use rema_data::vcov::parse;
/// let v = parse("row,col,cov\n1,2,0.003\n2,1,0.003\n3,3,0.01\n", "v.csv").unwrap();
/// assert_eq!(v.len(), 2);
/// assert!(parse("row,col,cov\n1,2,0.003\n2,1,0.004\n", "v.csv").is_err());
/// ```
pub fn parse(text: &str, source: &str) -> Result<Vec<VcovEntry>> {
    let t = Table::from_str(text, source)?;
    let (Some(rc), Some(cc), Some(vc)) = (find(&t, &ROW), find(&t, &COL), find(&t, &COV)) else {
        return Err(DataError::Invalid {
            at: Location {
                file: Some(source.to_string()),
                line: Some(1),
                ..Location::default()
            },
            message: format!(
                "a covariance table needs the columns `row`, `col` and `cov` (one line per entry); the header has {}",
                t.headers.join(", ")
            ),
        });
    };
    let mut out: Vec<VcovEntry> = Vec::new();
    let mut seen: std::collections::HashMap<(usize, usize), (u64, f64)> =
        std::collections::HashMap::new();
    for r in &t.rows {
        let at = |c: usize| Location {
            file: Some(source.to_string()),
            line: Some(r.line),
            column: Some(t.headers[c].clone()),
            study: None,
        };
        let index = |c: usize| -> Result<usize> {
            let cell = r.cells[c].trim();
            match cell.parse::<usize>() {
                Ok(n) if n >= 1 => Ok(n),
                _ => Err(DataError::Invalid {
                    at: at(c),
                    message: format!(
                        "`{cell}` is not a row number; write the 1-based number of a study row of the data (1 is the first)"
                    ),
                }),
            }
        };
        let (i, j) = (index(rc)?, index(cc)?);
        let cov = parse_number(&r.cells[vc], t.decimal_comma, || at(vc))?
            .ok_or_else(|| DataError::Missing { at: at(vc) })?;
        let key = (i.min(j), i.max(j));
        match seen.get(&key) {
            Some(&(_, v)) if v == cov => continue,
            Some(&(line, v)) => {
                return Err(DataError::Invalid {
                    at: at(vc),
                    message: format!(
                        "the covariance of rows {} and {} is {cov} here but {v} on line {line}; V is symmetric, so give the pair once or twice with the same value",
                        key.0, key.1
                    ),
                });
            }
            None => {
                seen.insert(key, (r.line, cov));
                out.push(VcovEntry {
                    row: key.0,
                    col: key.1,
                    cov,
                });
            }
        }
    }
    Ok(out)
}

/// rema-core's (i, j, cov) of two effects (0-based, i < j).
type Covariance = (usize, usize, f64);

/// The entries as rema-core's (i, j, cov), i ≠ j, over the rows kept:
/// `kept_rows[e]` is the 1-based data row of effect e. Checks that every
/// row is a row of the data (`n_rows` of them) and that a diagonal entry
/// equals the effect's vi; an entry of a row left out (a missing value) is
/// dropped, and the count returned for the notes.
pub(crate) fn covariances(
    entries: &[VcovEntry],
    n_rows: usize,
    kept_rows: &[usize],
    vi: &[f64],
    labels: &[String],
) -> Result<(Vec<Covariance>, usize)> {
    let mut effect_of = vec![usize::MAX; n_rows + 1];
    for (e, &r) in kept_rows.iter().enumerate() {
        if r <= n_rows {
            effect_of[r] = e;
        }
    }
    let mut out = Vec::new();
    let mut dropped = 0;
    for v in entries {
        for r in [v.row, v.col] {
            if r == 0 || r > n_rows {
                return Err(DataError::option(
                    "vcov",
                    format!(
                        "the entry (row {}, col {}) names row {r}, but the data have {n_rows} study rows; rows are numbered from 1 in the order of the data file",
                        v.row, v.col
                    ),
                ));
            }
        }
        if !v.cov.is_finite() {
            return Err(DataError::option(
                "vcov",
                format!(
                    "the entry (row {}, col {}) is {}; write a finite covariance",
                    v.row, v.col, v.cov
                ),
            ));
        }
        let (i, j) = (effect_of[v.row], effect_of[v.col]);
        if i == usize::MAX || j == usize::MAX {
            dropped += 1;
            continue;
        }
        if i == j {
            let tol = 1e-6 * vi[i].abs();
            if (v.cov - vi[i]).abs() > tol {
                return Err(DataError::option(
                    "vcov",
                    format!(
                        "the entry (row {0}, col {0}) gives the sampling variance of row {0} (study `{1}`) as {2}, but its vi is {3}; leave the diagonal out of the table or make the two agree",
                        v.row, labels[i], v.cov, vi[i]
                    ),
                ));
            }
            continue;
        }
        out.push((i.min(j), i.max(j), v.cov));
    }
    Ok((out, dropped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_column_or_bad_row_is_located() {
        let e = parse("row,col\n1,2\n", "v.csv").unwrap_err().to_string();
        assert!(e.contains("v.csv") && e.contains("`cov`"), "{e}");
        let e = parse("row,col,cov\n1,x,0.1\n", "v.csv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("column `col`"), "{e}");
        let e = parse("row,col,cov\n0,1,0.1\n", "v.csv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a row number"), "{e}");
    }

    #[test]
    fn an_asymmetric_duplicate_names_both_lines() {
        let e = parse("row,col,cov\n1,2,0.1\n3,4,0\n2,1,0.2\n", "v.csv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 4") && e.contains("line 2"), "{e}");
    }

    #[test]
    fn rows_are_checked_against_the_data() {
        let entries = parse("row,col,cov\n1,3,0.01\n2,2,0.05\n", "v.csv").unwrap();
        let labels = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let (cov, dropped) =
            covariances(&entries, 3, &[1, 2, 3], &[0.1, 0.05, 0.1], &labels).unwrap();
        assert_eq!((cov, dropped), (vec![(0, 2, 0.01)], 0));
        // Row 3 omitted: its entry is dropped.
        let (cov, dropped) = covariances(&entries, 3, &[1, 2], &[0.1, 0.05], &labels).unwrap();
        assert_eq!((cov.len(), dropped), (0, 1));
        let e = covariances(&entries, 2, &[1, 2], &[0.1, 0.05], &labels).unwrap_err();
        assert!(e.to_string().contains("names row 3"), "{e}");
        let e = covariances(&entries, 3, &[1, 2, 3], &[0.1, 0.06, 0.1], &labels).unwrap_err();
        assert!(e.to_string().contains("study `b`"), "{e}");
    }
}
