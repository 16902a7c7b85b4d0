//! Subgroups, meta-regression, permutation tests and the bootstrap, added to
//! an [`AnalysisResult`] when the spec asks for them.

use rema_core::resample::bootstrap::{bootstrap, BootInterval, BootSummary, BootstrapOptions};
use rema_core::resample::bootstrap_mods::bootstrap_moderators;
use rema_core::resample::heterogeneity::tau2_test;
use rema_core::resample::permutation::{permutest, permutest_subgroups, PermutationOptions};
use rema_core::resample::{Hooks, Iterations};
use rema_core::subgroup::subgroups;
use rema_core::{
    effect_sizes, fit, fit_with_moderators, Design, EffectOptions, Fit, FitOptions, Test,
};

use crate::analyze::transformed;
use crate::columns::StudyTable;
use crate::error::Result;
use crate::moderators::{Grouping, ModeratorDesign};
use crate::result::{
    AnalysisResult, BootCoefficientResult, BootIntervalResult, BootStatResult, BootstrapResult,
    CoefficientResult, HeterogeneityTestResult, PermutationResult, StatisticTestResult,
    SubgroupResult,
};
use crate::spec::AnalysisSpec;

/// The seed used when none is given (the CLI draws one and records it).
pub const DEFAULT_SEED: u64 = 0;

pub(crate) struct Inputs<'a> {
    pub st: &'a StudyTable,
    pub spec: &'a AnalysisSpec,
    pub fit_opts: FitOptions,
    pub eff_opts: EffectOptions,
    pub mods: Option<&'a ModeratorDesign>,
    pub grouping: Option<&'a Grouping>,
}

pub(crate) fn extend(r: &mut AnalysisResult, inp: &Inputs, hooks: &Hooks) -> Result<()> {
    let st = inp.st;
    let spec = inp.spec;
    let opts = inp.fit_opts;
    let err = |e| st.core_error(e);
    let perm = spec.permutation_iterations()?;
    if perm.is_none() && spec.bootstrap.is_none() && inp.mods.is_none() && inp.grouping.is_none() {
        return Ok(());
    }
    let measure = spec.measure()?;
    let es = effect_sizes(measure, &st.data, &inp.eff_opts).map_err(err)?;
    let k = es.yi.len();
    let x = inp
        .mods
        .map(|m| m.design.clone())
        .unwrap_or_else(|| Design::intercept(k));
    let main = fit_with_moderators(&es.yi, &es.vi, &x, &opts).map_err(err)?;
    let seed = spec.seed.unwrap_or(DEFAULT_SEED);

    // Meta-regression.
    if let Some(m) = inp.mods {
        r.coefficients = Some(
            m.names
                .iter()
                .zip(&main.coefficients)
                .map(|(name, c)| CoefficientResult {
                    name: name.clone(),
                    estimate: c.estimate,
                    se: c.se,
                    zval: (opts.test == Test::Z).then_some(c.stat),
                    tval: (opts.test == Test::Knha).then_some(c.stat),
                    pval: c.pval,
                    ci_lower: c.ci_lower,
                    ci_upper: c.ci_upper,
                    pval_perm: None,
                })
                .collect(),
        );
        r.qm = Some(main.qm);
        r.qm_df = Some(main.qm_df.0);
        r.qm_pval = Some(main.qm_pval);
        r.qe = Some(main.q);
        r.qe_pval = Some(main.q_pval);
        r.r2 = pseudo_r2(&es.yi, &es.vi, &main, &opts).map_err(err)?;
        r.notes.push(format!(
            "meta-regression on {}: the pooled estimate, CI and prediction interval are those of the intercept (all moderators at 0); tau^2, I^2, H^2 and Q are residual",
            m.names[1..].join(", ")
        ));
    }

    // Subgroups.
    if let Some(g) = inp.grouping {
        let sg = subgroups(
            &es.yi,
            &es.vi,
            &g.groups,
            g.levels.len(),
            &opts,
            spec.tau2_common,
        )
        .map_err(err)?;
        let mut out = Vec::with_capacity(g.levels.len());
        for ((level, f), idx) in g.levels.iter().zip(&sg.fits).zip(&sg.members) {
            let ni: Option<Vec<f64>> = es.ni.as_ref().map(|n| idx.iter().map(|&i| n[i]).collect());
            out.push(subgroup_result(level, f, idx, st, measure, ni.as_deref()));
        }
        r.subgroups = Some(out);
        r.q_between = Some(sg.q_between);
        r.q_between_df = Some(sg.q_between_df);
        r.q_between_pval = Some(sg.q_between_pval);
        r.tau2_common = sg.tau2_common;
        if let Some(it) = perm {
            let t = permutest_subgroups(
                &es.yi,
                &es.vi,
                &g.groups,
                g.levels.len(),
                &opts,
                spec.tau2_common,
                sg.q_between,
                &PermutationOptions {
                    iterations: it,
                    seed,
                },
                hooks,
            )
            .map_err(err)?;
            r.permutation
                .get_or_insert_with(|| empty_perm(seed))
                .q_between = Some(StatisticTestResult {
                pval: t.pval,
                iterations: t.iterations,
                exact: t.exact,
                seed: t.seed,
                failed: t.failed,
            });
        }
    }

    // Permutation test of the model (metafor permutest) and of tau^2 = 0.
    if let Some(it) = perm {
        let t = permutest(
            &es.yi,
            &es.vi,
            &x,
            &opts,
            &main,
            &PermutationOptions {
                iterations: it,
                seed,
            },
            hooks,
        )
        .map_err(err)?;
        if let Some(cs) = r.coefficients.as_mut() {
            for (c, p) in cs.iter_mut().zip(&t.pval) {
                c.pval_perm = Some(*p);
            }
        } else {
            r.pval_perm = t.pval.first().copied();
        }
        let q_between = r.permutation.take().and_then(|p| p.q_between);
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
            let h = tau2_test(&es.yi, &es.vi, &x, &opts, &main, n, seed, hooks).map_err(err)?;
            pr.heterogeneity = Some(HeterogeneityTestResult {
                statistic: "tau2".to_string(),
                observed: h.tau2,
                pval: h.pval,
                iterations: h.iterations,
                seed: h.seed,
                failed: h.failed,
            });
        } else {
            r.notes.push(
                "--permutations: no test of tau^2 = 0 (it needs a random-effects method and k > p + 1)"
                    .to_string(),
            );
        }
        if t.failed > 0 {
            r.notes.push(format!(
                "permutation test: {} refits failed ({})",
                t.failed,
                if t.exact {
                    "left out of the denominator, as metafor"
                } else {
                    "redrawn, as metafor"
                }
            ));
        }
        r.permutation = Some(pr);
    }

    // Bootstrap.
    if let Some(n) = spec.bootstrap {
        let bopts = BootstrapOptions {
            replicates: n,
            seed,
            kind: spec.bootstrap_kind()?,
        };
        if let Some(m) = inp.mods {
            let b = bootstrap_moderators(&es.yi, &es.vi, &x, &opts, &main, &bopts, hooks)
                .map_err(err)?;
            r.notes.extend(b.notes.iter().cloned());
            r.bootstrap = Some(BootstrapResult {
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
            });
        } else {
            let b = bootstrap(&es.yi, &es.vi, &opts, &main, &bopts, hooks).map_err(err)?;
            r.notes.extend(b.notes.iter().cloned());
            r.bootstrap = Some(BootstrapResult {
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
            });
        }
    }
    Ok(())
}

fn empty_perm(seed: u64) -> PermutationResult {
    PermutationResult {
        qm_pval: f64::NAN,
        iterations: 0,
        exact: false,
        seed,
        failed: 0,
        q_between: None,
        heterogeneity: None,
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

fn subgroup_result(
    level: &str,
    f: &Fit,
    idx: &[usize],
    st: &StudyTable,
    measure: rema_core::Measure,
    ni: Option<&[f64]>,
) -> SubgroupResult {
    let e = f.estimate();
    let pred = f.prediction();
    SubgroupResult {
        level: level.to_string(),
        k: f.k,
        estimate: e.estimate,
        se: e.se,
        stat: e.stat,
        df: f.df,
        ci_lower: e.ci_lower,
        ci_upper: e.ci_upper,
        pval: e.pval,
        tau2: f.tau2,
        tau: f.tau2.sqrt(),
        i2: f.i2,
        h2: f.h2,
        q: f.q,
        q_df: f.q_df,
        q_pval: f.q_pval,
        pi_lower: pred.pi_lower,
        pi_upper: pred.pi_upper,
        tau2_iterations: f.tau2_iterations,
        transformed: transformed(measure, ni, e, &pred),
        studies: idx.iter().map(|&i| st.labels[i].clone()).collect(),
        notes: f.notes.clone(),
    }
}
