//! From a table of strings to the validated study data of one measure.
//!
//! Column names are metafor's (`ai, bi, ci, di`, `m1i, sd1i, n1i, ...`,
//! `xi, ni`, `yi, vi`/`sei`), plus `m_pre, sd_pre, m_post, sd_post, ni, ri`
//! for pre/post data. An optional `study` column labels the rows; labels
//! need not be unique (rows have their own identity, their line). Every other
//! column is a study characteristic (moderators, subgroups), even one named
//! like another measure's input (a moderator `xi` next to `yi, vi`), and a
//! note says which columns were used when such columns are present.
//!
//! The measure decides the columns: with `RR` the counts `ai, bi, ci, di`
//! are used and the `yi, vi` of metafor's `escalc()` output are study
//! characteristics; with `GEN` it is the other way round. Only two complete
//! column sets of the same measure that disagree (`vi` and `sei` with
//! `vi != sei^2`, or `n1i != ai + bi`) are refused as ambiguous.
//!
//! [`select`] runs first: it leaves out the studies that lack a value the
//! analysis needs (metafor's default `na.action`, with a note), or refuses
//! with every missing cell listed (`missing = "fail"`).

use rema_core::effect::{
    BinaryStudy, ContinuousStudy, CorrelationStudy, GenericStudy, PartialCorrelationStudy,
    PrePostStudy, ProportionStudy, RateStudy, SingleGroupStudy, TwoRateStudy,
};
use std::fmt;
use std::str::FromStr;

use rema_core::{DataKind, Measure, StudyData};

use crate::error::{DataError, Location, MissingCells, Result};
use crate::table::Table;

/// Names of the column that labels studies, in order of preference.
pub const LABEL_COLUMNS: [&str; 4] = ["study", "study_id", "slab", "id"];

/// Study data read from a table, with a label and source line per study.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyTable {
    pub source: String,
    /// The label of each study; labels may repeat.
    pub labels: Vec<String>,
    /// The line of each study in the source: its identity.
    pub lines: Vec<u64>,
    /// The columns the data were read from (e.g. `yi, sei`).
    pub columns: Vec<&'static str>,
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
        at.column = match &e {
            E::InvalidValue { column, .. } => Some(column.to_string()),
            _ if study.is_none() => None,
            // Effects and variances given as they are come from one column;
            // computed ones from every column of the measure.
            E::InvalidEffect { .. } if matches!(self.data, StudyData::Generic(_)) => {
                self.columns.first().map(|c| c.to_string())
            }
            E::InvalidVariance { .. } if matches!(self.data, StudyData::Generic(_)) => {
                self.columns.get(1).map(|c| c.to_string())
            }
            _ => Some(self.columns.join(", ")),
        };
        DataError::Core { at, source: e }
    }
}

/// The column sets accepted for a kind of data; the first complete set wins.
pub fn column_sets(kind: DataKind) -> &'static [&'static [&'static str]] {
    match kind {
        DataKind::TwoGroupBinary => &[&["ai", "bi", "ci", "di"], &["ai", "n1i", "ci", "n2i"]],
        DataKind::TwoGroupContinuous => &[&["m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"]],
        DataKind::PrePost => &[
            &["m_pre", "sd_pre", "m_post", "sd_post", "ni", "ri"],
            &["m1i", "m2i", "sd1i", "sd2i", "ni", "ri"],
        ],
        DataKind::Proportion => &[&["xi", "ni"]],
        DataKind::Generic => &[&["yi", "vi"], &["yi", "sei"]],
        DataKind::Correlation => &[&["ri", "ni"]],
        DataKind::PartialCorrelation => &[&["ti", "ni", "mi", "r2i"], &["ti", "ni", "mi"]],
        DataKind::TwoGroupRate => &[&["x1i", "t1i", "x2i", "t2i"]],
        DataKind::Rate => &[&["xi", "ti"]],
        DataKind::SingleGroup => &[&["mi", "sdi", "ni"]],
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
        DataKind::Correlation,
        DataKind::PartialCorrelation,
        DataKind::TwoGroupRate,
        DataKind::Rate,
        DataKind::SingleGroup,
    ];
    let mut v: Vec<&str> = kinds
        .iter()
        .flat_map(|k| column_sets(*k).iter().flat_map(|s| s.iter().copied()))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// What to do with a study that lacks a value the analysis needs (metafor's
/// `na.action`): leave it out with a note (`omit`, the default, as metafor's
/// `na.omit`), or refuse the data, listing every missing cell (`fail`).
///
/// ```
/// use rema_data::columns::MissingAction;
/// assert_eq!("fail".parse::<MissingAction>().unwrap(), MissingAction::Fail);
/// assert_eq!(MissingAction::default().to_string(), "omit");
/// assert!("drop".parse::<MissingAction>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingAction {
    /// Leave the study out of every fit, and say so in the notes.
    #[default]
    Omit,
    /// Refuse the data, naming every missing cell.
    Fail,
}

impl fmt::Display for MissingAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MissingAction::Omit => "omit",
            MissingAction::Fail => "fail",
        })
    }
}

impl FromStr for MissingAction {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<MissingAction, String> {
        match s.trim() {
            "omit" => Ok(MissingAction::Omit),
            "fail" => Ok(MissingAction::Fail),
            other => Err(format!(
                "missing `{other}`: write omit (leave out studies with a missing value) or fail (refuse them)"
            )),
        }
    }
}

/// The rows an analysis uses, and the notes about the columns and rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Selected {
    /// The table without the rows that lack a needed value.
    pub table: Table,
    /// Which columns were used (when the table holds other columns named
    /// like inputs), and which studies were left out for missing values.
    pub notes: Vec<String>,
}

/// Chooses the rows of `table` for `measure` and the columns `extra` (the
/// moderators and the grouping column): a row with a blank or `NA` cell in
/// one of the measure's columns or in `extra` is left out with a note
/// ([`MissingAction::Omit`]), or every such cell is listed in one error
/// ([`MissingAction::Fail`]). Columns of `extra` that the header lacks are
/// left for the moderators' own error.
///
/// ```
/// use rema_data::columns::{select, MissingAction};
/// use rema_data::Table;
/// let t = Table::from_str("study,yi,vi,x\nA,0.1,0.02,1\nB,0.3,NA,2\nC,0.2,0.01,\n", "t.csv").unwrap();
/// let s = select(&t, rema_core::Measure::Gen, &[], MissingAction::Omit).unwrap();
/// assert_eq!(s.table.rows.len(), 2);
/// assert_eq!(s.notes[0], "Studies with NAs omitted from model fitting: `B` (line 3: vi)");
/// let e = select(&t, rema_core::Measure::Gen, &["x".to_string()], MissingAction::Fail).unwrap_err();
/// assert!(e.to_string().contains("line 3, column `vi`, study `B`; line 4, column `x`, study `C`"));
/// ```
pub fn select(
    table: &Table,
    measure: Measure,
    extra: &[String],
    action: MissingAction,
) -> Result<Selected> {
    let set = column_set(table, measure)?;
    let mut notes = Vec::new();
    if let Some(note) = columns_note(table, measure, set) {
        notes.push(note);
    }
    let mut needed: Vec<(usize, &str)> = set
        .iter()
        .filter(|c| !optional(measure, c))
        .filter_map(|c| table.column(c).map(|i| (i, *c)))
        .collect();
    for name in extra {
        let name = name.trim();
        if let Some(i) = table.column(name) {
            if !needed.iter().any(|(j, _)| *j == i) {
                needed.push((i, name));
            }
        }
    }
    let labels = study_labels(table);
    let mut missing: Vec<(usize, Vec<&str>)> = Vec::new();
    for (r, row) in table.rows.iter().enumerate() {
        let gaps: Vec<&str> = needed
            .iter()
            .filter(|(c, _)| {
                let cell = row.cells.get(*c).map(|s| s.trim()).unwrap_or("");
                cell.is_empty() || cell == "NA"
            })
            .map(|(_, name)| *name)
            .collect();
        if !gaps.is_empty() {
            missing.push((r, gaps));
        }
    }
    if missing.is_empty() {
        return Ok(Selected {
            table: table.clone(),
            notes,
        });
    }
    if action == MissingAction::Fail || missing.len() == table.rows.len() {
        let cells = missing
            .iter()
            .flat_map(|(r, gaps)| {
                let (line, study) = (table.rows[*r].line, &labels[*r]);
                gaps.iter().map(move |c| Location {
                    file: None,
                    line: Some(line),
                    column: Some(c.to_string()),
                    study: Some(study.clone()),
                })
            })
            .collect();
        return Err(DataError::MissingValues {
            file: table.source.clone(),
            cells: MissingCells(cells),
            every_study: missing.len() == table.rows.len(),
        });
    }
    let left_out: Vec<String> = missing
        .iter()
        .map(|(r, gaps)| {
            format!(
                "`{}` (line {}: {})",
                labels[*r],
                table.rows[*r].line,
                gaps.join(", ")
            )
        })
        .collect();
    notes.push(format!(
        "Studies with NAs omitted from model fitting: {}",
        left_out.join(", ")
    ));
    let mut kept = table.clone();
    // Unlabelled rows are `Study i` by their place in the file: keep the
    // places of the studies that remain.
    if !LABEL_COLUMNS.iter().any(|c| table.column(c).is_some()) {
        kept.headers.push(LABEL_COLUMNS[0].to_string());
        for (row, label) in kept.rows.iter_mut().zip(&labels) {
            row.cells.push(label.clone());
        }
    }
    let mut gap = missing.iter().map(|(r, _)| *r).peekable();
    let mut r = 0;
    kept.rows.retain(|_| {
        let drop = gap.peek() == Some(&r);
        if drop {
            gap.next();
        }
        r += 1;
        !drop
    });
    Ok(Selected { table: kept, notes })
}

/// What every analysis does first: checks the `sheet` option against the
/// table ([`crate::xlsx::check_sheet`]), chooses the rows ([`select`]) and
/// reads their studies ([`read_studies`]).
pub fn select_studies(
    table: &Table,
    measure: Measure,
    extra: &[String],
    missing: MissingAction,
    sheet: Option<&str>,
) -> Result<(Selected, StudyTable)> {
    crate::xlsx::check_sheet(table, sheet)?;
    let selected = select(table, measure, extra, missing)?;
    let studies = read_studies(&selected.table, measure)?;
    Ok((selected, studies))
}

/// The note naming the columns used, when the table also holds columns
/// named like other inputs (another measure's, or conversion columns that
/// this measure does not convert); `None` otherwise.
fn columns_note(table: &Table, measure: Measure, set: &[&str]) -> Option<String> {
    let converted = match measure.data_kind() {
        DataKind::TwoGroupContinuous => conversion_columns_of(&["1i", "2i"], false),
        DataKind::PrePost if set[0] == "m_pre" => conversion_columns_of(&["_pre", "_post"], true),
        DataKind::PrePost => conversion_columns_of(&["1i", "2i"], true),
        _ => Vec::new(),
    };
    let conversion = conversion_columns();
    let named_like_inputs = all_data_columns();
    let others: Vec<&str> = table
        .headers
        .iter()
        .map(String::as_str)
        .filter(|h| !set.contains(h) && !converted.iter().any(|c| c == h))
        .filter(|h| named_like_inputs.contains(h) || conversion.iter().any(|c| c == h))
        .collect();
    if others.is_empty() {
        return None;
    }
    Some(format!(
        "measure {} used columns {}; other columns are study characteristics, not effect data: {}",
        measure.name(),
        set.join(", "),
        others.join(", ")
    ))
}

/// Columns that hold reported summaries to convert into means and SDs, of
/// any arm (`se1i`, `median_pre`, `q1_2i`, ..., `p_change`, `t_change`).
pub fn conversion_columns() -> Vec<String> {
    conversion_columns_of(&["1i", "2i", "_pre", "_post"], true)
}

/// The conversion columns of the arms named by `suffixes`, with the paired
/// test's `p_change`, `t_change` when `paired`.
fn conversion_columns_of(suffixes: &[&str], paired: bool) -> Vec<String> {
    let mut v = Vec::new();
    for s in suffixes {
        let q = if s.starts_with('_') {
            s.to_string()
        } else {
            format!("_{s}")
        };
        v.extend([
            format!("se{s}"),
            format!("lower{s}"),
            format!("upper{s}"),
            format!("median{s}"),
            format!("q1{q}"),
            format!("q3{q}"),
            format!("min{s}"),
            format!("max{s}"),
        ]);
    }
    if paired {
        v.extend(["p_change".to_string(), "t_change".to_string()]);
    }
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
    let labels = study_labels(table);
    let lines: Vec<u64> = table.rows.iter().map(|r| r.line).collect();
    let data = study_data(table, measure, set, &labels)?;
    // A second complete set of the same measure must say the same.
    let sets = column_sets(measure.data_kind());
    for other in sets
        .iter()
        .copied()
        .filter(|o| !std::ptr::eq(*o, set) && o.iter().all(|c| table.column(c).is_some()))
    {
        let differs = match study_data(table, measure, other, &labels) {
            Ok(d) => first_difference(&data, &d),
            Err(_) => Some(0),
        };
        if let Some(r) = differs {
            return Err(DataError::AmbiguousColumns {
                at: Location {
                    file: Some(table.source.clone()),
                    line: lines.get(r).copied(),
                    column: None,
                    study: labels.get(r).cloned(),
                },
                measure: measure.name().to_string(),
                first: set.join(", "),
                second: other.join(", "),
            });
        }
    }
    Ok(StudyTable {
        source: table.source.clone(),
        labels,
        lines,
        columns: set.to_vec(),
        data,
    })
}

/// The first complete column set of the measure.
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
    Ok(set)
}

/// The label of each row: its label column, or `Study i`. Labels may repeat
/// (two reports by the same first author); rows are told apart by their line.
pub(crate) fn study_labels(table: &Table) -> Vec<String> {
    let label_col = LABEL_COLUMNS.iter().find_map(|c| table.column(c));
    table
        .rows
        .iter()
        .enumerate()
        .map(|(i, row)| match label_col {
            Some(c) if !row.cells[c].trim().is_empty() => row.cells[c].trim().to_string(),
            _ => format!("Study {}", i + 1),
        })
        .collect()
}

/// The studies of `measure` read from the columns of `set`.
fn study_data(
    table: &Table,
    measure: Measure,
    set: &[&str],
    labels: &[String],
) -> Result<StudyData> {
    let values = values(table, measure, set, labels)?;
    let locate = |r: usize, column: &str| Location {
        file: Some(table.source.clone()),
        line: table.rows.get(r).map(|row| row.line),
        column: Some(column.to_string()),
        study: labels.get(r).cloned(),
    };
    match measure.data_kind() {
        DataKind::TwoGroupBinary => binary(set, &values, locate),
        DataKind::TwoGroupContinuous => Ok(continuous(&values)),
        DataKind::PrePost => Ok(pre_post(set, &values)),
        DataKind::Proportion => Ok(proportion(&values)),
        DataKind::Generic => generic(set, &values, locate),
        DataKind::Correlation => Ok(correlation(&values)),
        DataKind::PartialCorrelation => Ok(StudyData::PartialCorrelation(
            values
                .iter()
                .map(|v| PartialCorrelationStudy {
                    t: v[0],
                    n: v[1],
                    m: v[2],
                    r2: v.get(3).copied(),
                })
                .collect(),
        )),
        DataKind::TwoGroupRate => Ok(StudyData::TwoRate(
            values
                .iter()
                .map(|v| TwoRateStudy {
                    x1: v[0],
                    t1: v[1],
                    x2: v[2],
                    t2: v[3],
                })
                .collect(),
        )),
        DataKind::Rate => Ok(StudyData::Rate(
            values
                .iter()
                .map(|v| RateStudy { x: v[0], t: v[1] })
                .collect(),
        )),
        DataKind::SingleGroup => Ok(StudyData::SingleGroup(
            values
                .iter()
                .map(|v| SingleGroupStudy {
                    mean: finite(v[0]),
                    sd: v[1],
                    n: v[2],
                })
                .collect(),
        )),
    }
}

/// The first study on which two readings of the same rows differ (variances
/// from `vi` and from `sei^2` within 1e-6 relative, everything else exactly).
fn first_difference(a: &StudyData, b: &StudyData) -> Option<usize> {
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-6 * x.abs().max(y.abs());
    match (a, b) {
        (StudyData::Generic(a), StudyData::Generic(b)) => a
            .iter()
            .zip(b)
            .position(|(x, y)| x.yi != y.yi || !close(x.vi, y.vi)),
        (StudyData::Binary(a), StudyData::Binary(b)) => a.iter().zip(b).position(|(x, y)| x != y),
        (StudyData::PrePost(a), StudyData::PrePost(b)) => a.iter().zip(b).position(|(x, y)| x != y),
        // The set with R² is the set without it plus r2i: the same data.
        (StudyData::PartialCorrelation(a), StudyData::PartialCorrelation(b)) => a
            .iter()
            .zip(b)
            .position(|(x, y)| (x.t, x.n, x.m) != (y.t, y.n, y.m)),
        _ => (a != b).then_some(0),
    }
}

/// Whether `measure` can do without the value of column `name` (SMCR without
/// the post SD, SDLN without the mean): a blank cell there is no gap.
fn optional(measure: Measure, name: &str) -> bool {
    match measure {
        Measure::Smcr => name == "sd_post" || name == "sd2i",
        Measure::Sdln => name == "mi",
        _ => false,
    }
}

/// The numbers of the columns of `set`, row by row (NaN for a blank cell the
/// measure does not need, see [`optional`]).
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
                None if optional(measure, name) => vals.push(f64::NAN),
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

fn correlation(values: &[Vec<f64>]) -> StudyData {
    StudyData::Correlation(
        values
            .iter()
            .map(|v| CorrelationStudy { ri: v[0], ni: v[1] })
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
