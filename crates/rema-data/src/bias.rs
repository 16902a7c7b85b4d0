//! `rema bias`: the small-study-effect tests of one table (Egger's regression
//! test, Begg's rank correlation, trim and fill), as metafor's `regtest`,
//! `ranktest` and `trimfill` on the `rma()` model of the same options.
//! The JSON schema is in docs/SCHEMA.md.

use rema_core::{effect_sizes, egger, rank_correlation, trim_and_fill};
use serde::{Deserialize, Serialize};

use crate::columns::select_studies;
use crate::error::{DataError, Result};
use crate::result::Provenance;
use crate::spec::AnalysisSpec;
use crate::table::Table;

/// The three tests. A test that cannot be computed from the data is null,
/// and a note says why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BiasResult {
    pub measure: String,
    pub method: String,
    pub test: String,
    pub level: f64,
    pub k: usize,
    pub egger: Option<EggerResult>,
    pub begg: Option<BeggResult>,
    pub trimfill: Option<TrimFillResult>,
    pub notes: Vec<String>,
    pub provenance: Provenance,
}

/// Egger's regression test (metafor `regtest`, model "rma", predictor "sei").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EggerResult {
    /// z statistic of the standard-error coefficient (z test).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub z: Option<f64>,
    /// t statistic and its degrees of freedom (Knapp-Hartung test).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub df: Option<f64>,
    pub pval: f64,
    /// The slope on the standard error.
    pub slope: f64,
    pub slope_se: f64,
    /// The intercept: the estimate at standard error 0, with its CI.
    pub limit_estimate: f64,
    pub limit_ci_lower: f64,
    pub limit_ci_upper: f64,
    pub tau2: f64,
}

/// Begg and Mazumdar's rank correlation (metafor `ranktest`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BeggResult {
    /// Kendall's tau_b.
    pub tau: f64,
    pub pval: f64,
    /// True for the exact p-value (no ties), false for the normal approximation.
    pub exact: bool,
}

/// Trim and fill (metafor `trimfill`, estimator L0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrimFillResult {
    pub k0: usize,
    pub se_k0: f64,
    /// `left` or `right`: where studies are missing.
    pub side: String,
    /// The model refitted to the observed and filled studies.
    pub estimate: f64,
    pub se: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    pub pval: f64,
    pub tau2: f64,
    pub i2: f64,
    pub q: f64,
    /// The imputed studies, for a funnel plot.
    pub filled: Vec<FilledStudy>,
}

/// One imputed study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FilledStudy {
    /// The observed study it mirrors.
    pub mirror_of: String,
    pub yi: f64,
    pub vi: f64,
}

/// Runs the three tests on `table` with the measure, method, test, level and
/// continuity correction of `spec`.
pub fn bias(table: &Table, spec: &AnalysisSpec, input_sha256: &str) -> Result<BiasResult> {
    let measure = spec.measure;
    let fit_opts = spec.rma_options("the small-study tests")?;
    if !spec.mods.is_empty() {
        return Err(DataError::option(
            "mods",
            "the small-study tests take no moderators; leave out mods".to_string(),
        ));
    }
    if !spec.random_terms.is_empty() || spec.robust.is_some() {
        let option = if spec.robust.is_some() {
            "robust"
        } else {
            "random_terms"
        };
        return Err(DataError::option(
            option,
            format!("the small-study tests refit rma.uni models without moderators or clusters; leave out {option}"),
        ));
    }
    let eff_opts = spec.effect_options()?;
    let (selected, st) = select_studies(table, measure, &[], spec.missing, spec.sheet.as_deref())?;
    let es = effect_sizes(measure, &st.data, &eff_opts).map_err(|e| st.core_error(e))?;
    let mut notes = selected.notes;
    notes.extend(es.notes.iter().cloned());
    let mut first_error = None;
    let mut keep = |name: &str, e: rema_core::Error, notes: &mut Vec<String>| {
        notes.push(format!("{name}: not computed: {e}"));
        if first_error.is_none() {
            first_error = Some(e);
        }
    };

    let egger_res = match egger(&es.yi, &es.vi, &fit_opts) {
        Ok(e) => {
            notes.extend(e.notes.iter().map(|n| format!("Egger's test: {n}")));
            let knha = e.df.is_some();
            Some(EggerResult {
                z: (!knha).then_some(e.stat),
                t: knha.then_some(e.stat),
                df: e.df,
                pval: e.pval,
                slope: e.slope.estimate,
                slope_se: e.slope.se,
                limit_estimate: e.limit.estimate,
                limit_ci_lower: e.limit.ci_lower,
                limit_ci_upper: e.limit.ci_upper,
                tau2: e.tau2,
            })
        }
        Err(e) => {
            keep("Egger's test", e, &mut notes);
            None
        }
    };
    let begg_res = match rank_correlation(&es.yi, &es.vi) {
        Ok(r) => {
            notes.extend(r.notes.iter().map(|n| format!("rank correlation: {n}")));
            Some(BeggResult {
                tau: r.tau,
                pval: r.pval,
                exact: r.exact,
            })
        }
        Err(e) => {
            keep("rank correlation", e, &mut notes);
            None
        }
    };
    let tf_res = match trim_and_fill(&es.yi, &es.vi, &fit_opts, None) {
        Ok(tf) => {
            notes.extend(tf.notes.iter().cloned());
            notes.extend(tf.fit.notes.iter().map(|n| format!("trim and fill: {n}")));
            let e = tf.fit.estimate();
            Some(TrimFillResult {
                k0: tf.k0,
                se_k0: tf.se_k0,
                side: tf.side.name().to_string(),
                estimate: e.estimate,
                se: e.se,
                ci_lower: e.ci_lower,
                ci_upper: e.ci_upper,
                pval: e.pval,
                tau2: tf.fit.tau2,
                i2: tf.fit.i2,
                q: tf.fit.q,
                filled: tf
                    .filled
                    .iter()
                    .map(|f| FilledStudy {
                        mirror_of: st.labels[f.mirror_of].clone(),
                        yi: f.yi,
                        vi: f.vi,
                    })
                    .collect(),
            })
        }
        Err(e) => {
            keep("trim and fill", e, &mut notes);
            None
        }
    };
    if egger_res.is_none() && begg_res.is_none() && tf_res.is_none() {
        if let Some(e) = first_error {
            return Err(st.core_error(e));
        }
    }
    Ok(BiasResult {
        measure: measure.name().to_string(),
        method: fit_opts.method.name().to_string(),
        test: fit_opts.test.name().to_string(),
        level: fit_opts.level,
        k: es.yi.len(),
        egger: egger_res,
        begg: begg_res,
        trimfill: tf_res,
        notes,
        provenance: Provenance::new(spec, input_sha256, &st.source),
    })
}
