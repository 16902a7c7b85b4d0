//! Explaining heterogeneity: the meta-regression of the main fit (`mods`,
//! metafor `rma(mods = ~ ...)`) and the subgroup analysis (`by`).

use rema_core::subgroup::subgroups;
use rema_core::{fit, Fit, FitOptions};

use crate::error::{DataError, Result};
use crate::prepare::Prepared;
use crate::result::{CoefficientResult, SubgroupResult, Summary, Transformed};
use crate::spec::Analysis;

/// The meta-regression part of the result.
pub(crate) struct Moderators {
    /// The coefficients, intercept first (`pval_perm` unset).
    pub coefficients: Vec<CoefficientResult>,
    pub qm: f64,
    pub qm_df: f64,
    pub qm_pval: f64,
    pub qe: f64,
    pub qe_pval: f64,
    pub r2: Option<f64>,
}

/// The subgroup part of the result.
pub(crate) struct Subgroups {
    pub levels: Vec<SubgroupResult>,
    pub q_between: f64,
    pub q_between_df: f64,
    pub q_between_pval: f64,
    pub tau2_common: Option<f64>,
}

/// The heterogeneity section.
pub(crate) struct Heterogeneity {
    pub moderators: Option<Moderators>,
    pub subgroups: Option<Subgroups>,
    pub notes: Vec<String>,
}

/// The note of a meta-regression (coefficient names, intercept first): its
/// summary is the intercept's.
pub(crate) fn intercept_note(names: &[String]) -> String {
    if names.first().map(String::as_str) != Some("intrcpt") {
        return format!(
            "meta-regression without intercept on {}: the pooled estimate, CI and prediction interval are those of the first coefficient, `{}`; QM tests every coefficient; tau^2, I^2, H^2 and Q are residual",
            names.join(", "),
            names.first().map(String::as_str).unwrap_or("")
        );
    }
    format!(
        "meta-regression on {}: the pooled estimate, CI and prediction interval are those of the intercept (all moderators at 0); tau^2, I^2, H^2 and Q are residual",
        names[1..].join(", ")
    )
}

pub(crate) fn build(p: &Prepared, a: &Analysis) -> Result<Heterogeneity> {
    let mut notes = Vec::new();
    let moderators = match &p.mods {
        Some(m) => {
            let main = &p.fit;
            let opts = p.opts;
            notes.push(intercept_note(&m.names));
            Some(Moderators {
                coefficients: CoefficientResult::of_fit(&m.names, main),
                qm: main.qm,
                qm_df: main.qm_df.0,
                qm_pval: main.qm_pval,
                qe: main.q,
                qe_pval: main.q_pval,
                // metafor computes R^2 only for a model with an intercept.
                r2: if p.design.has_intercept() {
                    pseudo_r2(&p.es.yi, &p.es.vi, main, &opts)
                        .map_err(|e| p.studies.core_error(e))?
                } else {
                    None
                },
            })
        }
        None => None,
    };
    let subgroups = match &p.grouping {
        Some(g) => {
            if let Some(m) = &p.mods {
                return Err(DataError::option(
                    "by",
                    format!(
                        "by fits each subgroup without moderators; it is not available with mods ({}); to compare subgroups within a meta-regression, add the column to mods",
                        m.names[1..].join(", ")
                    ),
                ));
            }
            let es = &p.es;
            let sg = subgroups(
                &es.yi,
                &es.vi,
                &g.groups,
                g.levels.len(),
                &p.opts,
                a.spec.tau2_common,
            )
            .map_err(|e| p.studies.core_error(e))?;
            let levels = g
                .levels
                .iter()
                .zip(&sg.fits)
                .zip(&sg.members)
                .map(|((level, f), idx)| {
                    let ni: Option<Vec<f64>> =
                        es.ni.as_ref().map(|n| idx.iter().map(|&i| n[i]).collect());
                    subgroup_result(level, f, idx, p, a, ni.as_deref())
                })
                .collect();
            Some(Subgroups {
                levels,
                q_between: sg.q_between,
                q_between_df: sg.q_between_df,
                q_between_pval: sg.q_between_pval,
                tau2_common: sg.tau2_common,
            })
        }
        None => None,
    };
    Ok(Heterogeneity {
        moderators,
        subgroups,
        notes,
    })
}

fn subgroup_result(
    level: &str,
    f: &Fit,
    idx: &[usize],
    p: &Prepared,
    a: &Analysis,
    ni: Option<&[f64]>,
) -> SubgroupResult {
    let summary = Summary::of_fit_with(f, a.spec.pi_dist.unwrap_or_default());
    SubgroupResult {
        level: level.to_string(),
        transformed: Transformed::new(a.measure(), ni, &summary),
        summary,
        tau2_iterations: f.tau2_iterations,
        studies: idx.iter().map(|&i| p.studies.labels[i].clone()).collect(),
        notes: f.notes.clone(),
    }
}

/// metafor's pseudo R²: for random-effects methods
/// max(0, 100·(τ²_RE − τ²_ME)/τ²_RE) with τ²_RE from the intercept-only fit
/// by the same method (0 when τ²_RE = 0); for the common-effect model
/// max(0, 100·adjusted R²) of the weighted regression, i.e.
/// 1 − (QE/(k − p))/(Q₀/(k − 1)).
fn pseudo_r2(
    yi: &[f64],
    vi: &[f64],
    me: &Fit,
    opts: &FitOptions,
) -> rema_core::Result<Option<f64>> {
    let re = fit(yi, vi, opts)?;
    let k = yi.len() as f64;
    if opts.method.is_random() {
        if re.tau2 == 0.0 {
            return Ok(Some(0.0));
        }
        Ok(Some((100.0 * (re.tau2 - me.tau2) / re.tau2).max(0.0)))
    } else {
        if re.q == 0.0 {
            return Ok(Some(0.0));
        }
        let adj = 1.0 - (me.q / (k - me.p as f64)) / (re.q / (k - 1.0));
        Ok(Some((100.0 * adj).max(0.0)))
    }
}
