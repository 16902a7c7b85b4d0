//! Resampling: the permutation test of the model (metafor `permutest`, with
//! the statistic `permutation_stat` and, with `permci`, the intervals that
//! invert it), the permutation test of the subgroup difference, the Monte
//! Carlo test of τ² = 0 (`tau2_test`, only when asked for), and the
//! bootstrap of the summary (or of every meta-regression coefficient).

use rema_core::resample::bootstrap::{bootstrap, BootInterval, BootSummary};
use rema_core::resample::bootstrap_mods::{bootstrap_moderators, ModeratorBootstrap};
use rema_core::resample::heterogeneity::tau2_test;
use rema_core::resample::permutation::{permutest_subgroups, PermutationOptions};
use rema_core::resample::Hooks;
use rema_core::subgroup::SubgroupDesign;
use rema_core::{PermutationCi, Resampling as Run, Rma, RmaFit, Studies};

use crate::error::{DataError, Result};
use crate::prepare::Prepared;
use crate::result::{
    BootCoefficientResult, BootIntervalResult, BootStatResult, BootstrapResult,
    HeterogeneityTestResult, PermutationCiResult, PermutationCiRow, PermutationResult,
    StatisticTestResult,
};
use crate::spec::{permutation_stat_name, Analysis};

/// The resampling section.
pub(crate) struct Resampling {
    pub permutation: Option<PermutationResult>,
    /// Permutation p-values of the coefficients, intercept first.
    pub model_pvals: Option<Vec<f64>>,
    pub tau2_test: Option<HeterogeneityTestResult>,
    pub bootstrap: Option<BootstrapResult>,
    pub notes: Vec<String>,
}

/// `q_between` is the observed subgroup statistic, when the analysis has `by`.
pub(crate) fn build(
    p: &Prepared,
    a: &Analysis,
    q_between: Option<f64>,
    hooks: &Hooks,
) -> Result<Resampling> {
    let err = |e| p.studies.core_error(e);
    let (es, x, opts, main) = (&p.es, &p.design, &p.opts, &p.fit);
    let seed = a.seed;
    let mut notes = Vec::new();
    let mut permutation = None;
    let mut model_pvals = None;
    if let Some(it) = a.permutations {
        let popts = PermutationOptions {
            iterations: it,
            seed,
        };
        let q_between = match (&p.grouping, q_between) {
            (Some(g), Some(observed)) => {
                let design = SubgroupDesign {
                    yi: &es.yi,
                    vi: &es.vi,
                    groups: &g.groups,
                    levels: g.levels.len(),
                    opts,
                    common_tau2: a.spec.tau2_common,
                };
                let t = permutest_subgroups(&design, observed, &popts, hooks).map_err(err)?;
                Some(StatisticTestResult {
                    pval: t.pval,
                    iterations: t.iterations,
                    exact: t.exact,
                    seed: t.seed,
                    failed: t.failed,
                })
            }
            _ => None,
        };
        let model = model(p)?;
        let run = Run::from(popts);
        let stat = a.spec.permutation_stat;
        let t = model.permutest_with(&run, stat, hooks).map_err(err)?;
        model_pvals = Some(t.pval.clone());
        if t.failed > 0 {
            notes.push(format!(
                "permutation test: {} refits failed ({})",
                t.failed,
                if t.exact {
                    "left out of the denominator, as metafor"
                } else {
                    "redrawn, as metafor"
                }
            ));
        }
        let ci = if a.spec.permci {
            let ci = model.permci(&run, stat, hooks).map_err(err)?;
            notes.extend(ci.notes.iter().map(|n| format!("permci: {n}")));
            Some(ci_result(&ci, coefficient_names(p)))
        } else {
            None
        };
        permutation = Some(PermutationResult {
            qm_pval: t.qm_pval,
            iterations: t.iterations,
            exact: t.exact,
            seed,
            failed: t.failed,
            stat: permutation_stat_name(stat).to_string(),
            q_between,
            ci,
        });
    }

    let tau2_test = match a.spec.tau2_test {
        None => None,
        Some(n) => {
            let (k, cols) = (es.yi.len(), x.cols());
            if k <= cols + 1 {
                return Err(DataError::option(
                    "tau2_test",
                    format!(
                        "the test of tau^2 = 0 needs more studies than coefficients + 1 (k = {k}, {cols} coefficients)"
                    ),
                ));
            }
            let h = tau2_test(&es.yi, &es.vi, x, opts, main, n, seed, hooks).map_err(err)?;
            if h.failed > 0 {
                notes.push(format!(
                    "tau2_test: {} refits failed (left out of the denominator)",
                    h.failed
                ));
            }
            Some(HeterogeneityTestResult {
                statistic: "tau2".to_string(),
                observed: h.tau2,
                pval: h.pval,
                iterations: h.iterations,
                seed: h.seed,
                failed: h.failed,
            })
        }
    };

    let bootstrap = match &a.bootstrap {
        None => None,
        Some(bopts) => {
            let b = match &p.mods {
                Some(_) => bootstrap_moderators(&es.yi, &es.vi, x, opts, main, bopts, hooks),
                None => bootstrap(&es.yi, &es.vi, opts, main, bopts, hooks)
                    .map(ModeratorBootstrap::from),
            }
            .map_err(err)?;
            notes.extend(b.notes.iter().cloned());
            Some(BootstrapResult {
                replicates: b.replicates,
                seed: b.seed,
                kind: b.kind.name().to_string(),
                level: b.level,
                failed: b.failed,
                estimate: boot_stat(&b.coefficients[0]),
                tau2: boot_stat(&b.tau2),
                i2: boot_stat(&b.i2),
                h2: boot_stat(&b.h2),
                coefficients: p.mods.as_ref().map(|m| {
                    m.names
                        .iter()
                        .zip(&b.coefficients)
                        .map(|(name, s)| BootCoefficientResult {
                            name: name.clone(),
                            stat: boot_stat(s),
                        })
                        .collect()
                }),
            })
        }
    };
    Ok(Resampling {
        permutation,
        model_pvals,
        tau2_test,
        bootstrap,
        notes,
    })
}

/// The main model as rema-core's [`RmaFit`], whose follow-ups choose the
/// permutation statistic and invert the test.
fn model(p: &Prepared) -> Result<RmaFit> {
    let err = |e| p.studies.core_error(e);
    let studies = Studies::new(&p.es.yi, &p.es.vi).map_err(err)?;
    Rma::with_options(p.opts)
        .fit_mods(&studies, &p.design)
        .map_err(err)
}

/// The coefficients' names, intercept first (`intrcpt` alone without
/// moderators, as metafor).
fn coefficient_names(p: &Prepared) -> Vec<String> {
    match &p.mods {
        Some(m) => m.names.clone(),
        None => vec!["intrcpt".to_string()],
    }
}

fn ci_result(ci: &PermutationCi, names: Vec<String>) -> PermutationCiResult {
    PermutationCiResult {
        level: ci.level,
        evaluations: ci.evaluations,
        coefficients: names
            .into_iter()
            .zip(ci.lower.iter().zip(&ci.upper))
            .map(|(name, (lower, upper))| PermutationCiRow {
                name,
                lower: *lower,
                upper: *upper,
            })
            .collect(),
    }
}

fn interval(i: &BootInterval) -> BootIntervalResult {
    BootIntervalResult {
        lower: i.lower,
        upper: i.upper,
        mcse_lower: i.mcse_lower,
        mcse_upper: i.mcse_upper,
    }
}

fn boot_stat(s: &BootSummary) -> BootStatResult {
    BootStatResult {
        observed: s.observed,
        replicates: s.replicates,
        mean: s.mean,
        bias: s.bias,
        se: s.se,
        mcse_mean: s.mcse_mean,
        percentile: interval(&s.percentile),
        bca: s.bca.as_ref().map(interval),
    }
}
