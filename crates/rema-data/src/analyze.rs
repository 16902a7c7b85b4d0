//! One analysis from a table, the top of the pipeline: check the options,
//! prepare the studies and the main fit once, build each section from them,
//! and assemble the [`AnalysisResult`] once.
//!
//! ```text
//! AnalysisSpec ─check─► Analysis ─prepare─► Prepared ─► intervals, sensitivity,
//!                                                       heterogeneity, resampling ─► AnalysisResult
//!                              ├─ (random_terms) multilevel::fit ────────────────► AnalysisResult
//!                              ├─ (method GLMM) glmm::fit ───────────────────────► AnalysisResult
//!                              └─ (method MH, PETO) pooled::fit ─────────────────► AnalysisResult
//! ```

use rema_core::resample::Hooks;

use crate::error::Result;
use crate::prepare::prepare;
use crate::result::{AnalysisResult, Provenance};
use crate::sections::heterogeneity::Subgroups;
use crate::sections::{heterogeneity, intervals, resampling, robust, sensitivity};
use crate::spec::{Analysis, AnalysisSpec, Model};
use crate::table::Table;

/// Runs `spec` on `table`. `input_sha256` is the hash of the bytes the table
/// was read from.
///
/// ```
/// use rema_data::{analyze, AnalysisSpec, Table};
/// let table = Table::from_str("study,yi,vi\nA,0.1,0.02\nB,0.3,0.03\nC,0.2,0.01\n", "x.csv").unwrap();
/// let spec: AnalysisSpec = serde_json::from_str(r#"{"measure": "GEN", "method": "DL"}"#).unwrap();
/// let r = analyze(&table, &spec, "0").unwrap();
/// assert_eq!(r.summary.k, 3);
/// ```
pub fn analyze(table: &Table, spec: &AnalysisSpec, input_sha256: &str) -> Result<AnalysisResult> {
    analyze_with(table, spec, input_sha256, &Hooks::default())
}

/// [`analyze`] with progress and cancellation hooks for the resampling runs.
pub fn analyze_with(
    table: &Table,
    spec: &AnalysisSpec,
    input_sha256: &str,
    hooks: &Hooks,
) -> Result<AnalysisResult> {
    let a = spec.check()?;
    let mut r = match (a.fit_options(), a.spec.method) {
        (Some(_), _) if !a.spec.random_terms.is_empty() => {
            analyze_multilevel(table, &a, input_sha256)
        }
        (Some(opts), _) => analyze_rma(table, &a, opts, input_sha256, hooks),
        (None, Model::Glmm) => analyze_glmm(table, &a, input_sha256),
        (None, _) => analyze_tables(table, &a, input_sha256),
    }?;
    r.notes.splice(0..0, a.notes.iter().cloned());
    Ok(r)
}

fn analyze_rma(
    table: &Table,
    a: &Analysis,
    opts: rema_core::FitOptions,
    input_sha256: &str,
    hooks: &Hooks,
) -> Result<AnalysisResult> {
    let p = prepare(table, a, opts)?;
    let iv = intervals::build(&p, a)?;
    let sens = sensitivity::build(&p, a)?;
    let het = heterogeneity::build(&p, a)?;
    let q_between = het.subgroups.as_ref().map(|s| s.q_between);
    let res = resampling::build(&p, a, q_between, hooks)?;
    let fitted = crate::sections::model::build(&p, a)?;
    let robust = robust::build(&p, a)?;

    let mut notes = p.notes.clone();
    notes.extend(iv.notes);
    notes.extend(sens.notes);
    notes.extend(het.notes);
    notes.extend(res.notes);
    notes.extend(fitted.notes);
    let (moderators, subgroups) = (het.moderators, het.subgroups);
    let pval_perm = match (&moderators, &res.model_pvals) {
        (None, Some(pv)) => pv.first().copied(),
        _ => None,
    };
    let coefficients = moderators.as_ref().map(|m| {
        let mut cs = m.coefficients.clone();
        if let Some(pv) = &res.model_pvals {
            for (c, v) in cs.iter_mut().zip(pv) {
                c.pval_perm = Some(*v);
            }
        }
        cs
    });
    let head = Head {
        measure: a.measure().name().to_string(),
        method: opts.method.name().to_string(),
        test: opts.test.name().to_string(),
        level: opts.level,
    };
    let provenance = Provenance::new(&a.spec, input_sha256, &p.studies.source);
    Ok(AnalysisResult {
        tau2_ci_lower: iv.tau2_ci.tau2[0],
        tau2_ci_upper: iv.tau2_ci.tau2[1],
        i2_ci_lower: iv.tau2_ci.i2[0],
        i2_ci_upper: iv.tau2_ci.i2[1],
        h2_ci_lower: iv.tau2_ci.h2[0],
        h2_ci_upper: iv.tau2_ci.h2[1],
        tau2_iterations: p.fit.tau2_iterations,
        transformed: iv.transformed,
        coefficients,
        qm: moderators.as_ref().map(|m| m.qm),
        qm_df: moderators.as_ref().map(|m| m.qm_df),
        qm_pval: moderators.as_ref().map(|m| m.qm_pval),
        qe: moderators.as_ref().map(|m| m.qe),
        qe_pval: moderators.as_ref().map(|m| m.qe_pval),
        r2: moderators.as_ref().and_then(|m| m.r2),
        pval_perm,
        permutation: res.permutation,
        tau2_test: res.tau2_test,
        bootstrap: res.bootstrap,
        conversions: p.conversions,
        leave_one_out: sens.leave_one_out,
        influence: sens.influence,
        cumulative: sens.cumulative,
        model: Some(fitted.model),
        robust,
        ..with_subgroups(
            subgroups,
            base(head, iv.summary, iv.studies, notes, provenance),
        )
    })
}

fn analyze_multilevel(table: &Table, a: &Analysis, input_sha256: &str) -> Result<AnalysisResult> {
    let m = crate::multilevel::fit(table, a)?;
    let head = Head {
        measure: a.measure().name().to_string(),
        method: m.method.name().to_string(),
        test: a.spec.test.name().to_string(),
        level: a.spec.level.percent(),
    };
    let provenance = Provenance::new(&a.spec, input_sha256, &m.studies.source);
    let mods = m.moderators.as_ref();
    Ok(AnalysisResult {
        transformed: m.transformed,
        coefficients: mods.map(|x| x.coefficients.clone()),
        qm: mods.map(|x| x.qm),
        qm_df: mods.map(|x| x.qm_df),
        qm_pval: mods.map(|x| x.qm_pval),
        qe: mods.map(|_| m.summary.q),
        qe_pval: mods.map(|_| m.summary.q_pval),
        tau2_iterations: Some(m.details.iterations),
        multilevel: Some(m.details),
        robust: m.robust,
        conversions: m.conversions,
        ..base(head, m.summary, m.study_effects, m.notes, provenance)
    })
}

fn analyze_glmm(table: &Table, a: &Analysis, input_sha256: &str) -> Result<AnalysisResult> {
    let g = crate::glmm::fit(table, a)?;
    let head = Head {
        measure: a.measure().name().to_string(),
        method: "GLMM".to_string(),
        test: "z".to_string(),
        level: a.spec.level.percent(),
    };
    let provenance = Provenance::new(&a.spec, input_sha256, &g.studies.source);
    let m = g.moderators.as_ref();
    let qe = m.map(|_| (g.summary.q, g.summary.q_pval));
    Ok(AnalysisResult {
        transformed: g.transformed,
        coefficients: m.map(|m| m.coefficients.clone()),
        qm: m.and_then(|m| m.qm),
        qm_df: m.map(|m| m.qm_df),
        qm_pval: m.and_then(|m| m.qm_pval),
        qe: qe.map(|q| q.0),
        qe_pval: qe.map(|q| q.1),
        glmm: Some(g.details),
        ..base(head, g.summary, g.study_effects, g.notes, provenance)
    })
}

fn analyze_tables(table: &Table, a: &Analysis, input_sha256: &str) -> Result<AnalysisResult> {
    let m = crate::pooled::fit(table, a)?;
    let head = Head {
        measure: a.measure().name().to_string(),
        method: a.spec.method.name().to_string(),
        test: "z".to_string(),
        level: a.spec.level.percent(),
    };
    let provenance = Provenance::new(&a.spec, input_sha256, &m.studies.source);
    Ok(AnalysisResult {
        transformed: m.transformed,
        pooling: Some(m.details),
        leave_one_out: m.leave_one_out,
        cumulative: m.cumulative,
        ..with_subgroups(
            m.subgroups,
            base(head, m.summary, m.study_effects, m.notes, provenance),
        )
    })
}

/// `r` with the subgroup part: each level's fit and the test for subgroup
/// differences (and the shared τ² of `tau2_common`).
fn with_subgroups(s: Option<Subgroups>, r: AnalysisResult) -> AnalysisResult {
    AnalysisResult {
        q_between: s.as_ref().map(|s| s.q_between),
        q_between_df: s.as_ref().map(|s| s.q_between_df),
        q_between_pval: s.as_ref().map(|s| s.q_between_pval),
        tau2_common: s.as_ref().and_then(|s| s.tau2_common),
        subgroups: s.map(|s| s.levels),
        ..r
    }
}

/// What names the model of a result.
struct Head {
    measure: String,
    method: String,
    test: String,
    level: f64,
}

/// A result with its summary, studies, notes and provenance, and no section.
fn base(
    head: Head,
    summary: crate::result::Summary,
    studies: Vec<crate::result::StudyEffect>,
    notes: Vec<String>,
    provenance: Provenance,
) -> AnalysisResult {
    AnalysisResult {
        measure: head.measure,
        method: head.method,
        test: head.test,
        level: head.level,
        summary,
        tau2_ci_lower: None,
        tau2_ci_upper: None,
        i2_ci_lower: None,
        i2_ci_upper: None,
        h2_ci_lower: None,
        h2_ci_upper: None,
        tau2_iterations: None,
        transformed: None,
        studies,
        coefficients: None,
        qm: None,
        qm_df: None,
        qm_pval: None,
        qe: None,
        qe_pval: None,
        r2: None,
        pval_perm: None,
        subgroups: None,
        q_between: None,
        q_between_df: None,
        q_between_pval: None,
        tau2_common: None,
        permutation: None,
        tau2_test: None,
        bootstrap: None,
        notes,
        conversions: Vec::new(),
        provenance,
        leave_one_out: None,
        influence: None,
        cumulative: None,
        glmm: None,
        pooling: None,
        model: None,
        multilevel: None,
        robust: None,
    }
}
