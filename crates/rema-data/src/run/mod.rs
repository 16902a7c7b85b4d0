//! Running a plan: every analysis on its studies, the results keyed by
//! analysis id, and a summary in the layout of a review's results table
//! (outcome, comparison, studies, n, effect and CI, p, I²).
//!
//! An analysis whose studies include per-study data of status `unknown` is
//! not run: it is listed under `not_run` with the reason, never filled with
//! invented numbers. So is an analysis that cannot be estimated from valid
//! data (too few studies, no convergence). Bad data or a bad plan is an error.

//!
//! - `source.rs`: the studies of each analysis (table or review, subset);
//! - `grade.rs`: a GRADE summary-of-findings row per analysis that asks for one;
//! - `summary.rs`: the summary table as Markdown and CSV;
//! - `write.rs`: the files of `rema run --out DIR`.

pub mod grade;
mod source;
mod summary;
mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::analyze::analyze;
use crate::bias::{bias_with, BiasResult};
use crate::columns::study_labels;
use crate::error::{DataError, Result};
use crate::plan::{Plan, PlanBias, PlannedAnalysis};
use crate::result::AnalysisResult;
use crate::review::{Review, Status};
use crate::table::Table;
use crate::{sha256_hex, VERSION};

use source::{column, data_source, filter_rows, load, review_table, subset, Loaded, Selection};
pub use summary::{
    common_level, effect_heading, level_label, meta_regression_cell, summary_csv, summary_markdown,
};
pub use write::write_outputs;

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
    /// The small-study tests of each analysis with `bias` (the JSON of
    /// `rema bias`), keyed by analysis id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bias: BTreeMap<String, BiasResult>,
    /// The GRADE summary-of-findings row of each analysis with `grade`
    /// that ran, keyed by analysis id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub grade: BTreeMap<String, grade::GradeRow>,
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
    /// The confidence level of the CI, in percent.
    #[serde(default = "default_level")]
    pub level: f64,
    pub estimate: Option<f64>,
    pub ci_lower: Option<f64>,
    pub ci_upper: Option<f64>,
    pub pval: Option<f64>,
    pub i2: Option<f64>,
    /// Why the analysis did not run; None when it did.
    pub not_run: Option<String>,
    /// The moderators of a meta-regression (then `estimate` and the CI are
    /// empty, since its intercept is not a pooled effect, and `pval` is the
    /// test of moderators').
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moderators: Vec<String>,
    /// The meta-regression's test of moderators, QM, and its df.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qm: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qm_df: Option<f64>,
}

fn default_level() -> f64 {
    crate::spec::Level::DEFAULT.percent()
}

/// The output of a plan run.
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub results: RunResults,
    /// The review, when the plan read one (written as `review.json`).
    pub review: Option<Review>,
    /// The plan as read (the report takes its `favours` labels).
    pub plan: Plan,
    /// The table each analysis that ran was computed from, keyed by id (the
    /// forest plots take their data columns from it).
    pub tables: BTreeMap<String, Table>,
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
    let (loaded, input_sha) = load(&plan, &base)?;
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
        bias: BTreeMap::new(),
        grade: BTreeMap::new(),
    };
    let mut tables = BTreeMap::new();
    for a in &plan.analyses {
        let prepared = match &loaded {
            Loaded::Table(t) => Selection {
                statuses: vec![Status::Reported; t.rows.len()],
                units: vec![None; t.rows.len()],
                table: t.clone(),
                outcome_label: a.outcome.clone().unwrap_or_default(),
                input_sha256: input_sha.clone(),
            },
            Loaded::Review(r) => review_table(r, a, &plan_name, &source_name, &input_sha)?,
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
        run_one(&mut out, &mut tables, a, &a.id, &prepared, &plan_name)?;
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
                    &mut tables,
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
        review: match loaded {
            Loaded::Review(r) => Some(r),
            Loaded::Table(_) => None,
        },
        plan,
        tables,
    })
}

/// Total sample size over the studies, from the measure's columns.
fn total_n(t: &Table, measure: rema_core::Measure) -> Option<f64> {
    let kind = measure.data_kind();
    use rema_core::DataKind as K;
    let sets: &[&[&str]] = match kind {
        K::TwoGroupBinary => &[&["ai", "bi", "ci", "di"], &["n1i", "n2i"]],
        K::TwoGroupContinuous => &[&["n1i", "n2i"]],
        K::PrePost
        | K::Proportion
        | K::Generic
        | K::Correlation
        | K::PartialCorrelation
        | K::SingleGroup => &[&["ni"]],
        // Person-time is not a number of participants.
        K::TwoGroupRate | K::Rate => &[],
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
    tables: &mut BTreeMap<String, Table>,
    a: &PlannedAnalysis,
    id: &str,
    p: &Selection,
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
        level: spec.level.percent(),
        estimate: None,
        ci_lower: None,
        ci_upper: None,
        pval: None,
        i2: None,
        not_run: None,
        moderators: Vec::new(),
        qm: None,
        qm_df: None,
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
            "per-study data not available (marked unknown in the data) for {} of {} studies: {}; rema does not invent them",
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
            if r.coefficients.is_some() {
                // A meta-regression: its intercept is the effect at zero of
                // every moderator, not a pooled effect.
                row.estimate = None;
                row.ci_lower = None;
                row.ci_upper = None;
                row.moderators = spec.mods.clone();
                row.qm = r.qm;
                row.qm_df = r.qm_df;
                row.pval = r.qm_pval;
            }
            // The small-study tests and the GRADE row belong to the
            // analysis as planned, not to its per-level analyses.
            if id == a.id {
                if let Some(opts) = a.bias.as_ref().and_then(PlanBias::options) {
                    let mut b = bias_with(&p.table, &spec, &opts, &p.input_sha256).map_err(
                        |e| match e {
                            DataError::Option { option, message } => DataError::Option {
                                option,
                                message: format!("{plan_name}: analysis `{id}`: bias: {message}"),
                            },
                            other => other,
                        },
                    )?;
                    b.provenance.input = p.table.source.clone();
                    if let Some(by) = &spec.by {
                        b.notes.push(format!(
                            "the small-study tests pool all {} studies in one model, without the subgroups of {by}",
                            r.k
                        ));
                    }
                    out.bias.insert(id.to_string(), b);
                }
                if let Some(g) = &a.grade {
                    out.grade.insert(
                        id.to_string(),
                        grade::grade_row(&r, &p.outcome_label, row.n, g),
                    );
                }
            }
            tables.insert(id.to_string(), p.table.clone());
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
