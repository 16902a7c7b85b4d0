//! Resampling: the permutation tests of the model (metafor `permutest`), of
//! the subgroup difference and of τ² = 0, and the bootstrap of the summary
//! (or of every meta-regression coefficient).

use rema_core::resample::bootstrap::{bootstrap, BootInterval, BootSummary};
use rema_core::resample::bootstrap_mods::bootstrap_moderators;
use rema_core::resample::heterogeneity::tau2_test;
use rema_core::resample::permutation::{permutest, permutest_subgroups, PermutationOptions};
use rema_core::resample::{Hooks, Iterations};

use crate::error::Result;
use crate::prepare::Prepared;
use crate::result::{
    BootCoefficientResult, BootIntervalResult, BootStatResult, BootstrapResult,
    HeterogeneityTestResult, PermutationResult, StatisticTestResult,
};
use crate::spec::Analysis;

/// The resampling section.
pub(crate) struct Resampling {
    pub permutation: Option<PermutationResult>,
    /// Permutation p-values of the coefficients, intercept first.
    pub model_pvals: Option<Vec<f64>>,
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
    let k = es.yi.len();
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
                let t = permutest_subgroups(
                    &es.yi,
                    &es.vi,
                    &g.groups,
                    g.levels.len(),
                    opts,
                    a.spec.tau2_common,
                    observed,
                    &popts,
                    hooks,
                )
                .map_err(err)?;
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
        let t = permutest(&es.yi, &es.vi, x, opts, main, &popts, hooks).map_err(err)?;
        model_pvals = Some(t.pval.clone());
        let mut pr = PermutationResult {
            qm_pval: t.qm_pval,
            iterations: t.iterations,
            exact: t.exact,
            seed,
            failed: t.failed,
            q_between,
            heterogeneity: None,
        };
        if opts.method.is_random() && k > x.cols() + 1 {
            let n = match it {
                Iterations::Random(n) => n,
                Iterations::Exact => t.iterations.max(2),
            };
            let h = tau2_test(&es.yi, &es.vi, x, opts, main, n, seed, hooks).map_err(err)?;
            pr.heterogeneity = Some(HeterogeneityTestResult {
                statistic: "tau2".to_string(),
                observed: h.tau2,
                pval: h.pval,
                iterations: h.iterations,
                seed: h.seed,
                failed: h.failed,
            });
        } else {
            notes.push(
                "permutations: no test of tau^2 = 0 (it needs a random-effects method and k > p + 1)"
                    .to_string(),
            );
        }
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
        permutation = Some(pr);
    }

    let bootstrap = match (&a.bootstrap, &p.mods) {
        (None, _) => None,
        (Some(bopts), Some(m)) => {
            let b =
                bootstrap_moderators(&es.yi, &es.vi, x, opts, main, bopts, hooks).map_err(err)?;
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
                coefficients: Some(
                    m.names
                        .iter()
                        .zip(&b.coefficients)
                        .map(|(name, s)| BootCoefficientResult {
                            name: name.clone(),
                            stat: boot_stat(s),
                        })
                        .collect(),
                ),
            })
        }
        (Some(bopts), None) => {
            let b = bootstrap(&es.yi, &es.vi, opts, main, bopts, hooks).map_err(err)?;
            notes.extend(b.notes.iter().cloned());
            Some(BootstrapResult {
                replicates: b.replicates,
                seed: b.seed,
                kind: b.kind.name().to_string(),
                level: b.level,
                failed: b.failed,
                estimate: boot_stat(&b.estimate),
                tau2: boot_stat(&b.tau2),
                i2: boot_stat(&b.i2),
                h2: boot_stat(&b.h2),
                coefficients: None,
            })
        }
    };
    Ok(Resampling {
        permutation,
        model_pvals,
        bootstrap,
        notes,
    })
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
