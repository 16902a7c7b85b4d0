//! Running a plan: every analysis on its studies, the results keyed by
//! analysis id, and a summary in the layout of a review's results table
//! (outcome, comparison, studies, n, effect and CI, p, I²).
//!
//! An analysis whose studies include per-study data of status `unknown` is
//! not run: it is listed under `not_run` with the reason, never filled with
//! invented numbers. So is an analysis that cannot be estimated from valid
//! data (too few studies, no convergence). Bad data or a bad plan is an error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::analyze::analyze;
use crate::error::{DataError, Result};
use crate::plan::{Plan, PlannedAnalysis, Source};
use crate::result::AnalysisResult;
use crate::review::{Review, Status};
use crate::table::{Row, Table};
use crate::{sha256_hex, VERSION};

/// `DIR/results.json` of `rema run` (docs/SCHEMA.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunResults {
    pub tool: String,
    pub version: String,
    pub plan: String,
    pub plan_sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Every analysis id (subgroup analyses as `id:column=level`) in plan order.
    pub order: Vec<String>,
    /// The result of each analysis that ran: the JSON of `rema analyze`.
    pub results: BTreeMap<String, AnalysisResult>,
    /// Each analysis that did not run, with the reason.
    pub not_run: BTreeMap<String, String>,
    pub summary: Vec<SummaryRow>,
}

/// One line of the summary table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SummaryRow {
    pub id: String,
    pub outcome: String,
    pub comparison: String,
    pub measure: String,
    pub method: String,
    /// The studies pooled (or that would have been).
    pub studies: Vec<String>,
    /// Total participants (or units: levels, eyes, ...) over the studies.
    pub n: Option<f64>,
    pub unit: Option<String>,
    /// The scale of estimate and CI: the measure, or e.g. `proportion (%)`.
    pub scale: String,
    pub estimate: Option<f64>,
    pub ci_lower: Option<f64>,
    pub ci_upper: Option<f64>,
    pub pval: Option<f64>,
    pub i2: Option<f64>,
    /// Why the analysis did not run; None when it did.
    pub not_run: Option<String>,
}

/// The output of a plan run.
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub results: RunResults,
    /// The review, when the plan read one (written as `review.json`).
    pub review: Option<Review>,
}

/// One table to analyse, with what the summary needs about it.
struct Prepared {
    table: Table,
    statuses: Vec<Status>,
    units: Vec<Option<String>>,
    outcome_label: String,
    input_sha256: String,
}

/// Runs the plan at `path`.
pub fn run_plan(path: &Path) -> Result<RunOutput> {
    let (plan, bytes) = Plan::read_path(path)?;
    let plan_name = path.display().to_string();
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let base = if base.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        base
    };
    let (base_table, review, input_sha) = load(&plan, &base)?;
    let source_name = data_source(&plan, &plan_name);

    let mut out = RunResults {
        tool: "rema".to_string(),
        version: VERSION.to_string(),
        plan: plan_name.clone(),
        plan_sha256: sha256_hex(&bytes),
        title: plan.title.clone(),
        order: Vec::new(),
        results: BTreeMap::new(),
        not_run: BTreeMap::new(),
        summary: Vec::new(),
    };
    for a in &plan.analyses {
        let prepared = match (&base_table, &review) {
            (Some(t), _) => Prepared {
                statuses: vec![Status::Reported; t.rows.len()],
                units: vec![None; t.rows.len()],
                table: t.clone(),
                outcome_label: a.outcome.clone().unwrap_or_default(),
                input_sha256: input_sha.clone(),
            },
            (None, Some(r)) => review_table(r, a, &plan_name, &source_name, &input_sha)?,
            (None, None) => unreachable!("load returns a table or a review"),
        };
        let prepared = subset(prepared, a, &plan_name)?;
        // Check the subgroup column before anything runs.
        let subgroup_col = match &a.subgroup {
            Some(col) => Some((
                col,
                column(&prepared.table, col, a, "subgroup", &plan_name)?,
            )),
            None => None,
        };
        run_one(&mut out, a, &a.id, &prepared, &plan_name)?;
        if let Some((col, c)) = subgroup_col {
            let mut levels: Vec<String> = Vec::new();
            for row in &prepared.table.rows {
                let v = row.cells[c].trim().to_string();
                if !levels.contains(&v) {
                    levels.push(v);
                }
            }
            for level in levels {
                let keep: Vec<bool> = prepared
                    .table
                    .rows
                    .iter()
                    .map(|r| r.cells[c].trim() == level)
                    .collect();
                let sub = filter_rows(&prepared, &keep);
                run_one(
                    &mut out,
                    a,
                    &format!("{}:{col}={level}", a.id),
                    &sub,
                    &plan_name,
                )?;
            }
        }
    }
    Ok(RunOutput {
        results: out,
        review,
    })
}

fn load(plan: &Plan, base: &Path) -> Result<(Option<Table>, Option<Review>, String)> {
    let read = |p: &str| {
        let path = base.join(p);
        std::fs::read(&path).map_err(|source| DataError::Io {
            path: path.display().to_string(),
            source,
        })
    };
    Ok(match plan.source() {
        Source::Table(p) => {
            let bytes = read(&p)?;
            let name = base.join(&p).display().to_string();
            (
                Some(Table::from_bytes(&bytes, &name)?),
                None,
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
                None,
                Some(Review::from_json(text, &name)?),
                sha256_hex(&bytes),
            )
        }
        Source::ReviewCsv(files) => {
            let bytes = read(files.data.as_deref().expect("checked by Plan"))?;
            (
                None,
                Some(Review::read_csv(&files, base)?),
                sha256_hex(&bytes),
            )
        }
    })
}

fn data_source(plan: &Plan, plan_name: &str) -> String {
    let base = Path::new(plan_name).parent().unwrap_or(Path::new(""));
    match plan.source() {
        Source::Table(p) | Source::ReviewJson(p) => base.join(p).display().to_string(),
        Source::ReviewCsv(f) => base.join(f.data.unwrap_or_default()).display().to_string(),
    }
}

/// The rows of the review for one analysis, as a table with the analysis
/// columns, the study characteristics and `timepoint`, `status`, `unit`.
fn review_table(
    review: &Review,
    a: &PlannedAnalysis,
    plan_name: &str,
    source_name: &str,
    input_sha: &str,
) -> Result<Prepared> {
    let outcome = a.outcome.as_deref().expect("checked by Plan");
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
    Ok(Prepared {
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

fn column(
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

fn filter_rows(p: &Prepared, keep: &[bool]) -> Prepared {
    Prepared {
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

fn subset(p: Prepared, a: &PlannedAnalysis, plan_name: &str) -> Result<Prepared> {
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

fn study_labels(t: &Table) -> Vec<String> {
    let c = crate::columns::LABEL_COLUMNS
        .iter()
        .find_map(|c| t.column(c));
    t.rows
        .iter()
        .enumerate()
        .map(|(i, r)| match c {
            Some(c) if !r.cells[c].trim().is_empty() => r.cells[c].trim().to_string(),
            _ => format!("Study {}", i + 1),
        })
        .collect()
}

/// Total sample size over the studies, from the measure's columns.
fn total_n(t: &Table, measure: rema_core::Measure) -> Option<f64> {
    let kind = measure.data_kind();
    use rema_core::DataKind as K;
    let sets: &[&[&str]] = match kind {
        K::TwoGroupBinary => &[&["ai", "bi", "ci", "di"], &["n1i", "n2i"]],
        K::TwoGroupContinuous => &[&["n1i", "n2i"]],
        K::PrePost | K::Proportion | K::Generic => &[&["ni"]],
    };
    let set = sets
        .iter()
        .find(|s| s.iter().all(|c| t.column(c).is_some()))?;
    let mut total = 0.0;
    for row in &t.rows {
        for c in set.iter() {
            total += row.cells[t.column(c)?].trim().parse::<f64>().ok()?;
        }
    }
    Some(total)
}

fn run_one(
    out: &mut RunResults,
    a: &PlannedAnalysis,
    id: &str,
    p: &Prepared,
    plan_name: &str,
) -> Result<()> {
    out.order.push(id.to_string());
    let mut spec = a.spec();
    // The analysis over all levels carries the subgroup analysis (`by`):
    // per-level fits and the test for subgroup differences; each level's own
    // analysis (`id:column=level`) is a plain fit.
    if id == a.id {
        if a.subgroup.is_some() {
            spec.by = a.subgroup.clone();
        }
    } else {
        spec.by = None;
    }
    let studies = study_labels(&p.table);
    let unit = {
        let mut u: Vec<&String> = p.units.iter().flatten().collect();
        u.dedup();
        (u.len() == 1).then(|| u[0].clone())
    };
    let comparison = a.comparison.clone().unwrap_or_else(|| {
        let mut parts = Vec::new();
        let tps = a.timepoints();
        if !tps.is_empty() {
            parts.push(tps.join(" / "));
        }
        for (c, v) in &a.subset {
            let vals: Vec<String> = v.values().iter().map(|s| s.text()).collect();
            parts.push(format!("{c}: {}", vals.join(", ")));
        }
        if let Some((_, level)) = id.strip_prefix(&a.id).and_then(|r| r.split_once('=')) {
            parts.push(format!("{}: {level}", a.subgroup.as_deref().unwrap_or("")));
        }
        parts.join("; ")
    });
    let mut row = SummaryRow {
        id: id.to_string(),
        outcome: p.outcome_label.clone(),
        comparison,
        measure: spec.measure.name().to_string(),
        method: spec.method.name().to_string(),
        studies: studies.clone(),
        n: total_n(&p.table, spec.measure),
        unit,
        scale: spec.measure.name().to_string(),
        estimate: None,
        ci_lower: None,
        ci_upper: None,
        pval: None,
        i2: None,
        not_run: None,
    };
    let unknown: Vec<&str> = studies
        .iter()
        .zip(&p.statuses)
        .filter(|(_, s)| **s == Status::Unknown)
        .map(|(l, _)| l.as_str())
        .collect();
    let reason = if p.table.rows.is_empty() {
        Some("no study has data for this outcome, timepoint and subset".to_string())
    } else if !unknown.is_empty() {
        Some(format!(
            "per-study data unknown (status `unknown`) for {} of {} studies: {}; rema does not invent them",
            unknown.len(),
            studies.len(),
            unknown.join(", ")
        ))
    } else {
        None
    };
    if let Some(reason) = reason {
        out.not_run.insert(id.to_string(), reason.clone());
        row.not_run = Some(reason);
        row.n = None;
        out.summary.push(row);
        return Ok(());
    }
    match analyze(&p.table, &spec, &p.input_sha256) {
        Ok(mut r) => {
            r.provenance.input = p.table.source.clone();
            for st in &mut r.studies {
                // Rows of a JSON review have no line.
                st.line = st.line.filter(|&l| l > 0);
            }
            match &r.transformed {
                Some(t) => {
                    row.scale = t.scale.clone();
                    row.estimate = Some(t.estimate);
                    row.ci_lower = Some(t.ci_lower);
                    row.ci_upper = Some(t.ci_upper);
                }
                None => {
                    row.estimate = Some(r.estimate);
                    row.ci_lower = Some(r.ci_lower);
                    row.ci_upper = Some(r.ci_upper);
                }
            }
            row.pval = Some(r.pval);
            row.i2 = Some(r.i2);
            out.results.insert(id.to_string(), r);
        }
        Err(DataError::Core {
            source:
                e @ (rema_core::Error::NotConverged { .. }
                | rema_core::Error::TooFewStudies { .. }
                | rema_core::Error::RankDeficient),
            ..
        }) => {
            let reason = format!("cannot be estimated: {e}");
            out.not_run.insert(id.to_string(), reason.clone());
            row.not_run = Some(reason);
        }
        Err(DataError::Option { option, message }) => {
            return Err(DataError::Option {
                option,
                message: format!("{plan_name}: analysis `{id}`: {message}"),
            })
        }
        Err(e) => return Err(e),
    }
    out.summary.push(row);
    Ok(())
}

fn fmt2(x: f64) -> String {
    format!("{x:.2}")
}

fn fmt_p(p: f64) -> String {
    if p < 0.001 {
        "<.001".to_string()
    } else {
        let s = format!("{p:.3}");
        s.strip_prefix('0').map(str::to_string).unwrap_or(s)
    }
}

fn fmt_n(row: &SummaryRow) -> String {
    match (row.n, &row.unit) {
        (Some(n), Some(u)) => format!("{n} {u}"),
        (Some(n), None) => format!("{n}"),
        _ => String::new(),
    }
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The summary as a Markdown table.
pub fn summary_markdown(r: &RunResults) -> String {
    let mut s = String::new();
    if let Some(t) = &r.title {
        s.push_str(&format!("# {t}\n\n"));
    }
    s.push_str("| id | outcome | comparison | studies | n | effect (95% CI) | p | I² |\n");
    s.push_str("|---|---|---|---|---|---|---|---|\n");
    for row in &r.summary {
        let (effect, p, i2) = match &row.not_run {
            Some(reason) => (format!("not run: {reason}"), String::new(), String::new()),
            None => (
                format!(
                    "{} {} ({}, {})",
                    row.scale,
                    fmt2(row.estimate.unwrap_or(f64::NAN)),
                    fmt2(row.ci_lower.unwrap_or(f64::NAN)),
                    fmt2(row.ci_upper.unwrap_or(f64::NAN))
                ),
                row.pval.map(fmt_p).unwrap_or_default(),
                row.i2.map(|x| format!("{x:.0}%")).unwrap_or_default(),
            ),
        };
        s.push_str(&format!(
            "| {} | {} | {} | {} ({}) | {} | {} | {} | {} |\n",
            md_escape(&row.id),
            md_escape(&row.outcome),
            md_escape(&row.comparison),
            row.studies.len(),
            md_escape(&row.studies.join(", ")),
            fmt_n(row),
            md_escape(&effect),
            p,
            i2
        ));
    }
    s.push_str(&format!(
        "\n{} {}; plan {} (sha256 {})\n",
        r.tool,
        r.version,
        r.plan,
        &r.plan_sha256[..16.min(r.plan_sha256.len())]
    ));
    s
}

/// The summary as CSV, full precision.
pub fn summary_csv(r: &RunResults) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    w.write_record([
        "id",
        "outcome",
        "comparison",
        "measure",
        "method",
        "k",
        "studies",
        "n",
        "unit",
        "scale",
        "estimate",
        "ci_lower",
        "ci_upper",
        "pval",
        "i2",
        "not_run",
    ])
    .expect("writing to memory");
    for row in &r.summary {
        w.write_record([
            row.id.clone(),
            row.outcome.clone(),
            row.comparison.clone(),
            row.measure.clone(),
            row.method.clone(),
            row.studies.len().to_string(),
            row.studies.join(";"),
            opt(row.n),
            row.unit.clone().unwrap_or_default(),
            row.scale.clone(),
            opt(row.estimate),
            opt(row.ci_lower),
            opt(row.ci_upper),
            opt(row.pval),
            opt(row.i2),
            row.not_run.clone().unwrap_or_default(),
        ])
        .expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("flush to memory")).expect("csv writes UTF-8")
}

/// Writes `results.json`, `summary.md`, `summary.csv` and (for a review)
/// `review.json` into `dir`, creating it. Returns the paths written.
pub fn write_outputs(out: &RunOutput, dir: &Path) -> Result<Vec<PathBuf>> {
    let io = |path: &Path| {
        let p = path.display().to_string();
        move |source| DataError::Io { path: p, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut files = vec![
        (
            dir.join("results.json"),
            serde_json::to_string_pretty(&out.results).expect("results serialise") + "\n",
        ),
        (dir.join("summary.md"), summary_markdown(&out.results)),
        (dir.join("summary.csv"), summary_csv(&out.results)),
    ];
    if let Some(r) = &out.review {
        files.push((dir.join("review.json"), r.to_json()));
    }
    let mut written = Vec::new();
    for (path, text) in files {
        std::fs::write(&path, text).map_err(io(&path))?;
        written.push(path);
    }
    Ok(written)
}
