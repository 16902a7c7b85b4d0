//! The sensitivity sections of an analysis (`--leave-one-out`, `--influence`,
//! `--cumulative`) and the GLMM path (`--method GLMM`): rema-core's results
//! labelled with the studies of the input.

use rema_core::fit::critical_value;
use rema_core::transform::back_transform;
use rema_core::{
    cumulative, effect_sizes, glmm_plo, influence, leave_one_out, stable_order, Design, Fit,
    FitOptions, GlmmFit, GlmmOptions, Measure, PooledSummary, StudyData,
};
use serde::{Deserialize, Serialize};

use crate::analyze::VERSION;
use crate::columns::{parse_number, read_studies, StudyTable};
use crate::error::{DataError, Location, Result};
use crate::result::{AnalysisResult, Provenance, StudyEffect, Transformed};
use crate::spec::AnalysisSpec;
use crate::table::Table;

/// The fit without one study (metafor `leave1out`). Numbers are null where
/// the fit failed, and `error` says why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeaveOneOutRow {
    /// The omitted study.
    pub omitted: String,
    pub line: Option<u64>,
    #[serde(flatten)]
    pub fit: SummaryFields,
}

/// The pooled estimate and heterogeneity of a fit to a subset of the studies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SummaryFields {
    pub k: usize,
    pub estimate: f64,
    pub se: f64,
    /// z or t statistic.
    pub stat: f64,
    pub pval: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    pub tau2: f64,
    pub i2: f64,
    pub h2: f64,
    pub q: f64,
    pub q_pval: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl SummaryFields {
    fn from(k: usize, r: &std::result::Result<PooledSummary, rema_core::Error>) -> SummaryFields {
        match r {
            Ok(s) => SummaryFields {
                k: s.k,
                estimate: s.estimate,
                se: s.se,
                stat: s.stat,
                pval: s.pval,
                ci_lower: s.ci_lower,
                ci_upper: s.ci_upper,
                tau2: s.tau2,
                i2: s.i2,
                h2: s.h2,
                q: s.q,
                q_pval: s.q_pval,
                error: None,
            },
            Err(e) => SummaryFields {
                k,
                estimate: f64::NAN,
                se: f64::NAN,
                stat: f64::NAN,
                pval: f64::NAN,
                ci_lower: f64::NAN,
                ci_upper: f64::NAN,
                tau2: f64::NAN,
                i2: f64::NAN,
                h2: f64::NAN,
                q: f64::NAN,
                q_pval: f64::NAN,
                error: Some(e.to_string()),
            },
        }
    }
}

/// One step of a cumulative meta-analysis (metafor `cumul`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CumulativeRow {
    /// The study added at this step.
    pub added: String,
    pub line: Option<u64>,
    /// Its value of the `--order` column, as written in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_value: Option<String>,
    #[serde(flatten)]
    pub fit: SummaryFields,
}

/// metafor `influence()` for one study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InfluenceRow {
    pub study: String,
    pub line: Option<u64>,
    pub rstudent: f64,
    pub dffits: f64,
    pub cook_d: f64,
    pub cov_r: f64,
    pub tau2_del: f64,
    pub qe_del: f64,
    pub hat: f64,
    /// Weight in percent.
    pub weight: f64,
    /// DFBETAS of the intercept.
    pub dfbetas: f64,
    /// metafor's rule: |dffits| > 3√(p/(k−p)), or the χ²(1) cdf of cook_d > 0.5,
    /// or hat > 3p/k, or |dfbetas| > 1.
    pub influential: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What only the GLMM reports (metafor `rma.glmm`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GlmmDetails {
    /// Gauss–Hermite points of the adaptive quadrature (metafor `nAGQ`).
    pub n_agq: usize,
    /// Wald and likelihood-ratio tests of heterogeneity (QE.Wld, QE.LRT).
    pub qe_wald: Option<f64>,
    pub qe_wald_pval: Option<f64>,
    pub qe_lrt: Option<f64>,
    pub qe_lrt_pval: Option<f64>,
    pub qe_df: usize,
    /// The maximised log-likelihood (with the binomial constants).
    pub loglik: f64,
    /// Newton iterations.
    pub iterations: usize,
}

pub(crate) fn leave_one_out_rows(
    st: &StudyTable,
    yi: &[f64],
    vi: &[f64],
    opts: &FitOptions,
) -> Result<Vec<LeaveOneOutRow>> {
    let rows = leave_one_out(yi, vi, opts).map_err(|e| st.core_error(e))?;
    Ok(rows
        .iter()
        .map(|r| LeaveOneOutRow {
            omitted: st.labels[r.omitted].clone(),
            line: st.lines.get(r.omitted).copied(),
            fit: SummaryFields::from(yi.len() - 1, &r.fit),
        })
        .collect())
}

pub(crate) fn influence_rows(
    st: &StudyTable,
    yi: &[f64],
    vi: &[f64],
    f: &Fit,
) -> Result<Vec<InfluenceRow>> {
    let rows = influence(yi, vi, &Design::intercept(yi.len()), f).map_err(|e| st.core_error(e))?;
    Ok(rows
        .iter()
        .enumerate()
        .map(|(i, r)| InfluenceRow {
            study: st.labels[i].clone(),
            line: st.lines.get(i).copied(),
            rstudent: r.rstudent,
            dffits: r.dffits,
            cook_d: r.cook_d,
            cov_r: r.cov_r,
            tau2_del: r.tau2_del,
            qe_del: r.qe_del,
            hat: r.hat,
            weight: r.weight,
            dfbetas: r.dfbetas[0],
            influential: r.influential,
            error: r.error.as_ref().map(|e| e.to_string()),
        })
        .collect())
}

/// The cumulative analysis, ordered by `order_col` of `table` when given.
pub(crate) fn cumulative_rows(
    table: &Table,
    st: &StudyTable,
    yi: &[f64],
    vi: &[f64],
    order_col: Option<&str>,
    opts: &FitOptions,
    notes: &mut Vec<String>,
) -> Result<Vec<CumulativeRow>> {
    let k = yi.len();
    let (order, raw): (Vec<usize>, Option<Vec<String>>) = match order_col {
        None => ((0..k).collect(), None),
        Some(name) => {
            let c = table.column(name).ok_or_else(|| DataError::Invalid {
                at: Location {
                    file: Some(table.source.clone()),
                    line: Some(1),
                    column: Some(name.to_string()),
                    study: None,
                },
                message: format!(
                    "--order names a column that is not in the header; the columns are: {}",
                    table.headers.join(", ")
                ),
            })?;
            let raw: Vec<String> = table
                .rows
                .iter()
                .map(|r| r.cells[c].trim().to_string())
                .collect();
            let numeric: std::result::Result<Vec<f64>, DataError> = table
                .rows
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    parse_number(&r.cells[c], table.decimal_comma, || st.locate(i))
                        .map(|v| v.unwrap_or(f64::NAN))
                })
                .collect();
            let order = match numeric {
                Ok(keys) => {
                    if keys.iter().any(|x| x.is_nan()) {
                        notes.push(format!(
                            "--order {name}: studies without a value come last, as R's order()"
                        ));
                    }
                    stable_order(&keys)
                }
                Err(_) => {
                    notes.push(format!(
                        "--order {name}: the column is not numeric and is sorted as text (byte order), ties in input order"
                    ));
                    let mut idx: Vec<usize> = (0..k).collect();
                    idx.sort_by(|&a, &b| raw[a].cmp(&raw[b]));
                    idx
                }
            };
            (order, Some(raw))
        }
    };
    if opts.test == rema_core::Test::Knha {
        notes.push(
            "--cumulative: the first step (one study) uses the z test, as metafor".to_string(),
        );
    }
    let steps = cumulative(yi, vi, &order, opts).map_err(|e| st.core_error(e))?;
    Ok(steps
        .iter()
        .enumerate()
        .map(|(j, s)| CumulativeRow {
            added: st.labels[s.added].clone(),
            line: st.lines.get(s.added).copied(),
            order_value: raw.as_ref().map(|r| r[s.added].clone()),
            fit: SummaryFields::from(j + 1, &s.fit),
        })
        .collect())
}

/// The GLMM of proportions: counts from the study table, the escalc logit
/// variances for I².
pub(crate) fn glmm_fit(st: &StudyTable, vi: &[f64], level: f64) -> Result<(GlmmFit, GlmmOptions)> {
    let StudyData::Proportion(ps) = &st.data else {
        return Err(DataError::Option {
            message: "--method GLMM needs proportion data (columns xi, ni)".to_string(),
        });
    };
    let xi: Vec<f64> = ps.iter().map(|p| p.x).collect();
    let ni: Vec<f64> = ps.iter().map(|p| p.n).collect();
    let opts = GlmmOptions {
        level,
        ..GlmmOptions::default()
    };
    let f = glmm_plo(&xi, &ni, vi, &opts).map_err(|e| st.core_error(e))?;
    Ok((f, opts))
}

/// `--method GLMM`: the binomial-normal model of logit proportions (metafor
/// `rma.glmm(measure = "PLO")`), assembled into the same result as `rma()`.
pub(crate) fn analyze_glmm(
    table: &Table,
    spec: &AnalysisSpec,
    input_sha256: &str,
) -> Result<AnalysisResult> {
    let measure = spec.measure()?;
    if measure != Measure::Plo {
        return Err(DataError::Option {
            message: format!(
                "--method GLMM fits the binomial-normal model of logit proportions and needs --measure PLO, not {}",
                measure.name()
            ),
        });
    }
    if !spec.test.trim().eq_ignore_ascii_case("z") {
        return Err(DataError::Option {
            message: format!(
                "--method GLMM uses the Wald z test; --test {} is not available with it",
                spec.test
            ),
        });
    }
    if spec.leave_one_out || spec.influence || spec.cumulative {
        return Err(DataError::Option {
            message: "--leave-one-out, --influence and --cumulative are available for the rma.uni methods (FE, DL, REML, ...), not for --method GLMM".to_string(),
        });
    }
    if !(spec.level > 0.0 && spec.level < 100.0) {
        return Err(DataError::Option {
            message: format!(
                "level {} must lie strictly between 0 and 100, e.g. 95",
                spec.level
            ),
        });
    }
    let eff_opts = spec.effect_options()?;
    let st = read_studies(table, measure)?;
    let es = effect_sizes(measure, &st.data, &eff_opts).map_err(|e| st.core_error(e))?;
    let (g, gopts) = glmm_fit(&st, &es.vi, spec.level)?;
    let mut notes = es.notes.clone();
    notes.extend(g.notes.iter().cloned());
    if spec.tau2_ci {
        notes.push(
            "--tau2-ci: the Q-profile interval is defined for rma.uni methods, not for the GLMM"
                .to_string(),
        );
    }
    notes.push(
        "GLMM: study weights are not defined (metafor's weights() has none for rma.glmm); the weight column is empty".to_string(),
    );
    let e = g.estimate;
    let crit = critical_value(spec.level, None);
    let pse = (e.se * e.se + g.tau2).sqrt();
    let (pi_lower, pi_upper) = (e.estimate - crit * pse, e.estimate + crit * pse);
    let t = |x: f64| 100.0 * back_transform(measure.back_transform(), x, None);
    let z = crit;
    let studies = (0..g.k)
        .map(|i| {
            let se = es.vi[i].sqrt();
            StudyEffect {
                study: st.labels[i].clone(),
                line: st.lines.get(i).copied(),
                yi: es.yi[i],
                vi: es.vi[i],
                ci_lower: es.yi[i] - z * se,
                ci_upper: es.yi[i] + z * se,
                weight: f64::NAN,
                corrected: es.corrected.contains(&i),
            }
        })
        .collect();
    Ok(AnalysisResult {
        conversions: Vec::new(),
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
        bootstrap: None,
        measure: measure.name().to_string(),
        method: "GLMM".to_string(),
        test: "z".to_string(),
        level: spec.level,
        k: g.k,
        estimate: e.estimate,
        se: e.se,
        stat: e.stat,
        df: None,
        ci_lower: e.ci_lower,
        ci_upper: e.ci_upper,
        pval: e.pval,
        tau2: g.tau2,
        tau: g.tau2.sqrt(),
        i2: g.i2,
        h2: g.h2,
        q: g.qe_wald.unwrap_or(f64::NAN),
        q_df: g.qe_df as f64,
        q_pval: g.qe_wald_pval.unwrap_or(f64::NAN),
        pi_lower,
        pi_upper,
        tau2_ci_lower: None,
        tau2_ci_upper: None,
        i2_ci_lower: None,
        i2_ci_upper: None,
        h2_ci_lower: None,
        h2_ci_upper: None,
        tau2_iterations: None,
        transformed: Some(Transformed {
            scale: "proportion (%)".to_string(),
            estimate: t(e.estimate),
            ci_lower: t(e.ci_lower),
            ci_upper: t(e.ci_upper),
            pi_lower: t(pi_lower),
            pi_upper: t(pi_upper),
        }),
        studies,
        notes,
        provenance: Provenance {
            tool: "rema".to_string(),
            version: VERSION.to_string(),
            options: spec.clone(),
            input_sha256: input_sha256.to_string(),
            input: st.source.clone(),
        },
        leave_one_out: None,
        influence: None,
        cumulative: None,
        glmm: Some(GlmmDetails {
            n_agq: gopts.n_agq,
            qe_wald: g.qe_wald,
            qe_wald_pval: g.qe_wald_pval,
            qe_lrt: g.qe_lrt,
            qe_lrt_pval: g.qe_lrt_pval,
            qe_df: g.qe_df,
            loglik: g.loglik,
            iterations: g.iterations,
        }),
    })
}
