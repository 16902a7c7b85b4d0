//! From a table of strings to the validated study data of one measure.
//!
//! Column names are metafor's (`ai, bi, ci, di`, `m1i, sd1i, n1i, ...`,
//! `xi, ni`, `yi, vi`/`sei`), plus `m_pre, sd_pre, m_post, sd_post, ni, ri`
//! for pre/post data. An optional `study` column labels the rows. Other
//! columns are kept as study characteristics (moderators, subgroups).

use rema_core::effect::{
    BinaryStudy, ContinuousStudy, GenericStudy, PrePostStudy, ProportionStudy,
};
use rema_core::{DataKind, Measure, StudyData};

use crate::error::{DataError, Location, Result};
use crate::table::Table;

/// Names of the column that labels studies, in order of preference.
pub const LABEL_COLUMNS: [&str; 4] = ["study", "study_id", "slab", "id"];

/// Study data read from a table, with a label and source line per study.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyTable {
    pub source: String,
    pub labels: Vec<String>,
    pub lines: Vec<u64>,
    pub data: StudyData,
}

impl StudyTable {
    /// Where study `i` (0-based, as rema-core counts) is in the input.
    pub fn locate(&self, i: usize) -> Location {
        Location {
            file: Some(self.source.clone()),
            line: self.lines.get(i).copied(),
            column: None,
            study: self.labels.get(i).cloned(),
        }
    }

    /// Wraps a rema-core error with the file, line and study it concerns.
    pub fn core_error(&self, e: rema_core::Error) -> DataError {
        use rema_core::Error as E;
        let study = match &e {
            E::InvalidValue { study, .. }
            | E::NonFiniteEffect { study, .. }
            | E::InvalidVariance { study, .. }
            | E::InvalidEffect { study, .. } => Some(*study),
            _ => None,
        };
        let mut at = study.map(|i| self.locate(i)).unwrap_or(Location {
            file: Some(self.source.clone()),
            ..Location::default()
        });
        if let E::InvalidValue { column, .. } = &e {
            at.column = Some(column.to_string());
        }
        DataError::Core { at, source: e }
    }
}

/// The column sets accepted for a kind of data; the first complete set wins.
fn column_sets(kind: DataKind) -> &'static [&'static [&'static str]] {
    match kind {
        DataKind::TwoGroupBinary => &[&["ai", "bi", "ci", "di"], &["ai", "n1i", "ci", "n2i"]],
        DataKind::TwoGroupContinuous => &[&["m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"]],
        DataKind::PrePost => &[
            &["m_pre", "sd_pre", "m_post", "sd_post", "ni", "ri"],
            &["m1i", "m2i", "sd1i", "sd2i", "ni", "ri"],
        ],
        DataKind::Proportion => &[&["xi", "ni"]],
        DataKind::Generic => &[&["yi", "vi"], &["yi", "sei"]],
    }
}

/// All effect-data column names rema knows, of any measure.
fn all_data_columns() -> Vec<&'static str> {
    let kinds = [
        DataKind::TwoGroupBinary,
        DataKind::TwoGroupContinuous,
        DataKind::PrePost,
        DataKind::Proportion,
        DataKind::Generic,
    ];
    let mut v: Vec<&str> = kinds
        .iter()
        .flat_map(|k| column_sets(*k).iter().flat_map(|s| s.iter().copied()))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Parses one numeric cell.
pub fn parse_number(
    cell: &str,
    decimal_comma: bool,
    at: impl FnOnce() -> Location,
) -> Result<Option<f64>> {
    let s = cell.trim();
    if s.is_empty() || s == "NA" {
        return Ok(None);
    }
    let owned;
    let s = if decimal_comma && s.matches(',').count() == 1 && !s.contains('.') {
        owned = s.replace(',', ".");
        owned.as_str()
    } else {
        s
    };
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        Ok(_) => Err(DataError::NotFinite {
            at: at(),
            value: cell.to_string(),
        }),
        Err(_) => Err(DataError::NotANumber {
            at: at(),
            value: cell.to_string(),
        }),
    }
}

/// Reads the studies of `measure` from `table`.
///
/// Every effect-data column of another measure that is present is an error
/// (a mismatch between the file and the measure is the likeliest mistake);
/// other columns are left for moderators.
pub fn read_studies(table: &Table, measure: Measure) -> Result<StudyTable> {
    let set = column_set(table, measure)?;
    let labels = study_labels(table)?;
    let values = values(table, measure, set, &labels)?;
    let lines: Vec<u64> = table.rows.iter().map(|r| r.line).collect();
    let locate = |r: usize, column: &str| Location {
        file: Some(table.source.clone()),
        line: lines.get(r).copied(),
        column: Some(column.to_string()),
        study: labels.get(r).cloned(),
    };
    let data = match measure.data_kind() {
        DataKind::TwoGroupBinary => binary(set, &values, locate)?,
        DataKind::TwoGroupContinuous => continuous(&values),
        DataKind::PrePost => pre_post(set, &values),
        DataKind::Proportion => proportion(&values),
        DataKind::Generic => generic(set, &values, locate)?,
    };
    Ok(StudyTable {
        source: table.source.clone(),
        labels,
        lines,
        data,
    })
}

/// The first complete column set of the measure, after refusing the data
/// columns of other measures.
fn column_set(table: &Table, measure: Measure) -> Result<&'static [&'static str]> {
    let sets = column_sets(measure.data_kind());
    let Some(set) = sets
        .iter()
        .copied()
        .find(|set| set.iter().all(|c| table.column(c).is_some()))
    else {
        let missing_of = |set: &[&str]| set.iter().filter(|c| table.column(c).is_none()).count();
        let best = sets
            .iter()
            .min_by_key(|set| missing_of(set))
            .copied()
            .unwrap_or(&[]);
        let missing: Vec<_> = best
            .iter()
            .filter(|c| table.column(c).is_none())
            .map(|c| format!("`{c}`"))
            .collect();
        let alternatives: Vec<String> = sets.iter().map(|s| s.join(", ")).collect();
        return Err(DataError::MissingColumns {
            file: table.source.clone(),
            measure: measure.name().to_string(),
            missing: missing.join(", "),
            hint: format!(
                "{} needs the columns {}",
                measure.name(),
                alternatives.join(" or ")
            ),
        });
    };
    let used: Vec<&str> = sets.iter().flat_map(|s| s.iter().copied()).collect();
    for h in &table.headers {
        if all_data_columns().contains(&h.as_str()) && !used.contains(&h.as_str()) {
            return Err(DataError::UnknownColumn {
                file: table.source.clone(),
                column: h.clone(),
                measure: measure.name().to_string(),
                expected: set.join(", "),
            });
        }
    }
    Ok(set)
}

/// The label of each row (its label column, or `Study i`), unique.
fn study_labels(table: &Table) -> Result<Vec<String>> {
    let label_col = LABEL_COLUMNS.iter().find_map(|c| table.column(c));
    let mut labels = Vec::with_capacity(table.rows.len());
    let mut seen: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    for (i, row) in table.rows.iter().enumerate() {
        let label = match label_col {
            Some(c) if !row.cells[c].trim().is_empty() => row.cells[c].trim().to_string(),
            _ => format!("Study {}", i + 1),
        };
        if let Some(&first) = seen.get(&label) {
            return Err(DataError::DuplicateStudy {
                file: table.source.clone(),
                study: label,
                first,
                second: row.line,
            });
        }
        seen.insert(label.clone(), row.line);
        labels.push(label);
    }
    Ok(labels)
}

/// The numbers of the columns of `set`, row by row (NaN for a blank SD that
/// SMCR does not need).
fn values(
    table: &Table,
    measure: Measure,
    set: &[&str],
    labels: &[String],
) -> Result<Vec<Vec<f64>>> {
    let idx: Vec<usize> = set.iter().filter_map(|c| table.column(c)).collect();
    let mut values: Vec<Vec<f64>> = Vec::with_capacity(table.rows.len());
    for (r, row) in table.rows.iter().enumerate() {
        let mut vals = Vec::with_capacity(idx.len());
        for (&c, &name) in idx.iter().zip(set.iter()) {
            let at = || Location {
                file: Some(table.source.clone()),
                line: Some(row.line),
                column: Some(name.to_string()),
                study: Some(labels[r].clone()),
            };
            let v = parse_number(&row.cells[c], table.decimal_comma, at)?;
            match v {
                Some(v) => vals.push(v),
                None if measure == Measure::Smcr && (name == "sd_post" || name == "sd2i") => {
                    vals.push(f64::NAN)
                }
                None => return Err(DataError::Missing { at: at() }),
            }
        }
        values.push(vals);
    }
    Ok(values)
}

/// 2×2 tables from `ai, bi, ci, di`, or from `ai, n1i, ci, n2i` (events
/// checked against the totals).
fn binary(
    set: &[&str],
    values: &[Vec<f64>],
    locate: impl Fn(usize, &str) -> Location,
) -> Result<StudyData> {
    if set[1] == "bi" {
        return Ok(StudyData::Binary(
            values
                .iter()
                .map(|v| BinaryStudy {
                    ai: v[0],
                    bi: v[1],
                    ci: v[2],
                    di: v[3],
                })
                .collect(),
        ));
    }
    for (r, v) in values.iter().enumerate() {
        for (events, total, col) in [(v[0], v[1], "ai"), (v[2], v[3], "ci")] {
            if events > total {
                return Err(DataError::Invalid {
                    at: locate(r, col),
                    message: format!(
                        "{events} events exceed the group size {total}; events must be at most the total"
                    ),
                });
            }
        }
    }
    Ok(StudyData::Binary(
        values
            .iter()
            .map(|v| BinaryStudy {
                ai: v[0],
                bi: v[1] - v[0],
                ci: v[2],
                di: v[3] - v[2],
            })
            .collect(),
    ))
}

/// Two groups' means, SDs and sizes.
fn continuous(values: &[Vec<f64>]) -> StudyData {
    StudyData::Continuous(
        values
            .iter()
            .map(|v| ContinuousStudy {
                m1: v[0],
                sd1: v[1],
                n1: v[2],
                m2: v[3],
                sd2: v[4],
                n2: v[5],
            })
            .collect(),
    )
}

/// Pre/post summaries, in rema's column names (`m_pre, sd_pre, m_post,
/// sd_post`) or metafor's (`m1i` = post, `m2i` = pre).
fn pre_post(set: &[&str], values: &[Vec<f64>]) -> StudyData {
    let rema_names = set[1] == "sd_pre";
    StudyData::PrePost(
        values
            .iter()
            .map(|v| {
                if rema_names {
                    PrePostStudy {
                        m1: v[2],
                        m2: v[0],
                        sd1: v[1],
                        sd2: finite(v[3]),
                        n: v[4],
                        r: v[5],
                    }
                } else {
                    PrePostStudy {
                        m1: v[0],
                        m2: v[1],
                        sd1: v[2],
                        sd2: finite(v[3]),
                        n: v[4],
                        r: v[5],
                    }
                }
            })
            .collect(),
    )
}

/// Events and totals of single groups.
fn proportion(values: &[Vec<f64>]) -> StudyData {
    StudyData::Proportion(
        values
            .iter()
            .map(|v| ProportionStudy { x: v[0], n: v[1] })
            .collect(),
    )
}

/// Effect sizes with variances, or with standard errors (checked > 0).
fn generic(
    set: &[&str],
    values: &[Vec<f64>],
    locate: impl Fn(usize, &str) -> Location,
) -> Result<StudyData> {
    if set[1] == "vi" {
        return Ok(StudyData::Generic(
            values
                .iter()
                .map(|v| GenericStudy { yi: v[0], vi: v[1] })
                .collect(),
        ));
    }
    for (r, v) in values.iter().enumerate() {
        if v[1] <= 0.0 {
            return Err(DataError::Invalid {
                at: locate(r, "sei"),
                message: format!("standard error {} must be > 0", v[1]),
            });
        }
    }
    Ok(StudyData::Generic(
        values
            .iter()
            .map(|v| GenericStudy {
                yi: v[0],
                vi: v[1] * v[1],
            })
            .collect(),
    ))
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}
