//! Where a plan's analysis gets its studies: the flat table or the review
//! (one row per study for the outcome and timepoints), then the subset.

use std::path::Path;

use crate::error::{read_file, DataError, Result};
use crate::plan::{Plan, PlannedAnalysis, Source};
use crate::review::{Review, Status};
use crate::sha256_hex;
use crate::table::{Row, Table};

/// One table to analyse, with what the summary needs about it.
pub(super) struct Selection {
    pub table: Table,
    pub statuses: Vec<Status>,
    pub units: Vec<Option<String>>,
    pub outcome_label: String,
    pub input_sha256: String,
}

/// The studies a plan names: one flat table, or a review.
pub(super) enum Loaded {
    Table(Table),
    Review(Review),
}

/// Reads the plan's data, with the SHA-256 of the data file.
pub(super) fn load(plan: &Plan, base: &Path) -> Result<(Loaded, String)> {
    let read = |p: &str| read_file(&base.join(p));
    Ok(match plan.source() {
        Source::Table(p) => {
            let bytes = read(&p)?;
            let name = base.join(&p).display().to_string();
            let sheet = table_sheet(plan, &name)?;
            (
                Loaded::Table(crate::xlsx::read_any(&bytes, &name, sheet)?),
                sha256_hex(&bytes),
            )
        }
        Source::ReviewJson(p) => {
            let bytes = read(&p)?;
            let name = base.join(&p).display().to_string();
            let text = std::str::from_utf8(&bytes).map_err(|_| DataError::NotUtf8 {
                file: name.clone(),
                line: 1,
            })?;
            (
                Loaded::Review(Review::from_json(text, &name)?),
                sha256_hex(&bytes),
            )
        }
        Source::ReviewCsv(files) => {
            let data = files.data.as_deref().ok_or_else(|| DataError::Plan {
                file: base.display().to_string(),
                message: "[data] with a review's CSV files needs at least `studies` and `data`"
                    .to_string(),
            })?;
            let bytes = read(data)?;
            (
                Loaded::Review(Review::read_csv(&files, base)?),
                sha256_hex(&bytes),
            )
        }
    })
}

/// The workbook sheet the plan's analyses name (`sheet`): a plan reads its
/// table once, so its analyses name one sheet or none.
fn table_sheet<'p>(plan: &'p Plan, table: &str) -> Result<Option<&'p str>> {
    let mut sheets: Vec<&str> = plan
        .analyses
        .iter()
        .filter_map(|a| a.spec.sheet.as_deref())
        .collect();
    sheets.sort_unstable();
    sheets.dedup();
    match sheets.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        _ => Err(DataError::Plan {
            file: table.to_string(),
            message: format!(
                "the analyses name the sheets {}; a plan reads one table, so name one sheet (or write one plan per sheet)",
                sheets.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
            ),
        }),
    }
}

pub(super) fn data_source(plan: &Plan, plan_name: &str) -> String {
    let base = Path::new(plan_name).parent().unwrap_or(Path::new(""));
    match plan.source() {
        Source::Table(p) | Source::ReviewJson(p) => base.join(p).display().to_string(),
        Source::ReviewCsv(f) => base.join(f.data.unwrap_or_default()).display().to_string(),
    }
}

/// The rows of the review for one analysis, as a table with the analysis
/// columns, the study characteristics and `timepoint`, `status`, `unit`.
pub(super) fn review_table(
    review: &Review,
    a: &PlannedAnalysis,
    plan_name: &str,
    source_name: &str,
    input_sha: &str,
) -> Result<Selection> {
    let outcome = a.outcome.as_deref().ok_or_else(|| DataError::Plan {
        file: plan_name.to_string(),
        message: format!(
            "analysis `{}` names no outcome; with a review every analysis needs `outcome`",
            a.id
        ),
    })?;
    let known_outcome = if review.outcomes.is_empty() {
        review.data.iter().any(|d| d.outcome == outcome)
    } else {
        review.outcomes.iter().any(|o| o.id == outcome)
    };
    if !known_outcome {
        return Err(DataError::UnknownOutcome {
            file: plan_name.to_string(),
            analysis: a.id.clone(),
            what: "outcome",
            name: outcome.to_string(),
            known: review.outcome_ids(),
        });
    }
    let o = review.outcomes.iter().find(|o| o.id == outcome);
    let wanted = a.timepoints();
    let mut known_tps: Vec<String> = o.map(|o| o.timepoints.clone()).unwrap_or_default();
    for d in review.data.iter().filter(|d| d.outcome == outcome) {
        if let Some(tp) = &d.timepoint {
            if !known_tps.contains(tp) {
                known_tps.push(tp.clone());
            }
        }
    }
    for tp in &wanted {
        if !known_tps.contains(tp) {
            return Err(DataError::UnknownOutcome {
                file: plan_name.to_string(),
                analysis: a.id.clone(),
                what: "timepoint",
                name: tp.clone(),
                known: known_tps.join(", "),
            });
        }
    }
    let rows: Vec<_> = review
        .data
        .iter()
        .filter(|d| d.outcome == outcome)
        .filter(|d| wanted.is_empty() || d.timepoint.as_ref().is_some_and(|tp| wanted.contains(tp)))
        .collect();
    // One row per study: several timepoints for one study are ambiguous.
    for (i, d) in rows.iter().enumerate() {
        if let Some(prev) = rows[..i].iter().find(|p| p.study == d.study) {
            return Err(DataError::Plan {
                file: plan_name.to_string(),
                message: format!(
                    "analysis `{}`: study `{}` has data at timepoints `{}` and `{}`; list one timepoint per study",
                    a.id,
                    d.study,
                    prev.timepoint.as_deref().unwrap_or(""),
                    d.timepoint.as_deref().unwrap_or("")
                ),
            });
        }
    }
    let mut values: Vec<String> = Vec::new();
    for d in &rows {
        for (k, v) in &d.values {
            if v.is_some() && !values.contains(k) {
                values.push(k.clone());
            }
        }
    }
    let mut chars: Vec<String> = vec![
        "label".into(),
        "year".into(),
        "design".into(),
        "etiology".into(),
    ];
    for s in &review.studies {
        for k in s.characteristics.keys() {
            if !chars.contains(k) && !values.contains(k) {
                chars.push(k.clone());
            }
        }
    }
    let mut headers = vec!["study".to_string()];
    headers.extend(values.iter().cloned());
    headers.extend(chars.iter().cloned());
    headers.extend(["timepoint".into(), "status".into(), "unit".into()]);
    let mut table_rows = Vec::new();
    for d in &rows {
        let s = review.study(&d.study).expect("validated review");
        let mut cells = vec![d.study.clone()];
        for k in &values {
            cells.push(
                d.values
                    .get(k)
                    .copied()
                    .flatten()
                    .map(|v| format!("{v:e}"))
                    .unwrap_or_default(),
            );
        }
        for k in &chars {
            cells.push(match k.as_str() {
                "label" => s.label.clone(),
                "year" => s.year.map(|y| y.to_string()).unwrap_or_default(),
                "design" => s.design.clone().unwrap_or_default(),
                "etiology" => s.etiology.clone().unwrap_or_default(),
                other => s.characteristics.get(other).cloned().unwrap_or_default(),
            });
        }
        cells.push(d.timepoint.clone().unwrap_or_default());
        cells.push(d.status.name().to_string());
        cells.push(d.unit.clone().unwrap_or_default());
        table_rows.push(Row {
            line: d.line.unwrap_or(0),
            cells,
        });
    }
    Ok(Selection {
        statuses: rows.iter().map(|d| d.status).collect(),
        units: rows.iter().map(|d| d.unit.clone()).collect(),
        table: Table {
            source: format!("{source_name} (outcome `{outcome}`)"),
            headers,
            rows: table_rows,
            decimal_comma: false,
        },
        outcome_label: o
            .map(|o| o.label.clone())
            .unwrap_or_else(|| outcome.to_string()),
        input_sha256: input_sha.to_string(),
    })
}

pub(super) fn column(
    t: &Table,
    name: &str,
    a: &PlannedAnalysis,
    field: &'static str,
    plan_name: &str,
) -> Result<usize> {
    t.column(name).ok_or_else(|| DataError::UnknownPlanColumn {
        file: plan_name.to_string(),
        analysis: a.id.clone(),
        field,
        column: name.to_string(),
        known: t.headers.join(", "),
    })
}

fn pick<T: Clone>(v: &[T], keep: &[bool]) -> Vec<T> {
    v.iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(x, _)| x.clone())
        .collect()
}

pub(super) fn filter_rows(p: &Selection, keep: &[bool]) -> Selection {
    Selection {
        table: Table {
            rows: pick(&p.table.rows, keep),
            ..p.table.clone()
        },
        statuses: pick(&p.statuses, keep),
        units: pick(&p.units, keep),
        outcome_label: p.outcome_label.clone(),
        input_sha256: p.input_sha256.clone(),
    }
}

pub(super) fn subset(p: Selection, a: &PlannedAnalysis, plan_name: &str) -> Result<Selection> {
    if a.subset.is_empty() {
        return Ok(p);
    }
    let mut keep = vec![true; p.table.rows.len()];
    for (col, want) in &a.subset {
        let c = column(&p.table, col, a, "subset", plan_name)?;
        for (k, row) in keep.iter_mut().zip(&p.table.rows) {
            *k = *k && want.matches(&row.cells[c]);
        }
    }
    let mut q = filter_rows(&p, &keep);
    let cond: Vec<String> = a
        .subset
        .iter()
        .map(|(c, v)| {
            let vals: Vec<String> = v.values().iter().map(|s| s.text()).collect();
            format!("{c} = {}", vals.join("|"))
        })
        .collect();
    q.table.source = format!("{} [subset {}]", p.table.source, cond.join(", "));
    Ok(q)
}
