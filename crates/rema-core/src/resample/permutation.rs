//! Permutation tests of a meta-analytic model, as metafor 3.8
//! `permutest.rma.uni` (Follmann & Proschan 1999; Higgins & Thompson 2004),
//! plus a permutation test of the subgroup difference.
//!
//! - Intercept-only model: the signs of the effects are flipped at random
//!   (exactly: all 2^k sign vectors), the model is refitted with the same τ²
//!   estimator and test, and the p-value is the share of arrangements with
//!   |z*| ≥ |z| − comptol (comptol = √ε), the omnibus p the share with
//!   QM* ≥ QM − comptol.
//! - The statistic compared is the z (or t) statistic by default, or the
//!   coefficient itself ([`PermutationStat::Coef`], metafor
//!   `permutest(res, control = list(stat = "coef"))`): |β̂ⱼ*| ≥ |β̂ⱼ| − comptol.
//!   The omnibus p is that of QM either way, as metafor's.
//! - Nothing else is run: the resampling test of τ² = 0 is its own entry
//!   ([`super::heterogeneity::tau2_test`]), and the confidence intervals that
//!   invert this test are [`crate::RmaFit::permci`].
//! - Meta-regression: the rows of the model matrix are permuted among the
//!   studies (exactly: the k!/∏nⱼ! distinct arrangements of the distinct rows,
//!   each tie class j of size nⱼ), with the same p-values per coefficient.
//! - Random tests count the observed arrangement as the first of the
//!   `iterations`, as metafor does; a refit that fails is redrawn (random) or
//!   left out of the denominator (exact), as metafor's `na.rm = TRUE`.
//! - An exact test is run when asked for or when it needs no more
//!   arrangements than the iterations asked for (metafor's rule).
//! - Subgroups (beyond metafor): the subgroup labels are permuted among the
//!   studies (exactly: the multinomial number of distinct labellings), the
//!   subgroups refitted and Q_between recomputed; p is the share with
//!   Q_b* ≥ Q_b − comptol.

use super::refit::{self, CentredModerator, Route};
use super::rng::Stream;
use super::{Hooks, Iterations, COMPTOL, MAX_EXACT};
use crate::error::{Error, Result};
use crate::fit::{Fit, FitOptions};
use crate::linalg::Design;
use crate::subgroup::SubgroupDesign;
use crate::tau2::kernel::general::Workspace;
use crate::tau2::kernel::one_moderator::OneModerator;

/// The statistic a permutation test compares across arrangements (metafor
/// `permutest(res, control = list(stat = …))`); choose it with
/// [`crate::RmaFit::permutest_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PermutationStat {
    /// The z (or, under Knapp–Hartung, t) statistic β̂ⱼ / SE(β̂ⱼ) of each
    /// coefficient (metafor's default, `stat = "test"`).
    #[default]
    Test,
    /// The coefficient β̂ⱼ itself (metafor `stat = "coef"`; Follmann &
    /// Proschan 1999 permute the pooled estimate).
    Coef,
}

/// The tail of a permutation p-value (metafor `control$alternative`); the
/// one-sided tails serve the inversion of the test in
/// [`crate::RmaFit::permci`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alternative {
    /// |s*| ≥ |s| − comptol.
    TwoSided,
    /// s* ≥ s − comptol.
    Greater,
    /// s* ≤ s + comptol.
    Less,
}

/// What is compared per coefficient: the statistic and its tail, mapped so
/// that every comparison is `value* ≥ value − comptol` (the lower tail by
/// negation: s* ≤ s + comptol ⟺ −s* ≥ −s − comptol, exactly in floating
/// point).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Compare {
    pub stat: PermutationStat,
    pub alternative: Alternative,
}

impl Compare {
    /// metafor's default comparison: |z*| ≥ |z| − comptol.
    const DEFAULT: Compare = Compare {
        stat: PermutationStat::Test,
        alternative: Alternative::TwoSided,
    };

    /// The compared value of a coefficient with statistic `z`, estimate `b`.
    #[inline]
    fn value(self, z: f64, b: f64) -> f64 {
        let v = match self.stat {
            PermutationStat::Test => z,
            PermutationStat::Coef => b,
        };
        match self.alternative {
            Alternative::TwoSided => v.abs(),
            Alternative::Greater => v,
            Alternative::Less => -v,
        }
    }
}

/// Iterations and seed of a permutation test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PermutationOptions {
    /// How many arrangements to evaluate (metafor `iter`, or `exact = TRUE`).
    pub iterations: Iterations,
    /// The seed of a random test.
    pub seed: u64,
}

/// The result of a permutation test of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct PermutationTest {
    /// Permutation p-value of each coefficient (intercept first).
    pub pval: Vec<f64>,
    /// The statistic the coefficients' p-values compare.
    pub stat: PermutationStat,
    /// Permutation p-value of the omnibus test QM.
    pub qm_pval: f64,
    /// Arrangements evaluated (with the observed one for a random test).
    pub iterations: u64,
    /// True when every arrangement was enumerated (metafor `exact`).
    pub exact: bool,
    /// The seed.
    pub seed: u64,
    /// Refits that failed (left out of an exact test's denominator).
    pub failed: u64,
}

/// The result of a single-statistic permutation test (Q_between).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatisticTest {
    /// The permutation p-value.
    pub pval: f64,
    /// Arrangements evaluated (with the observed one for a random test).
    pub iterations: u64,
    /// True when every arrangement was enumerated.
    pub exact: bool,
    /// The seed.
    pub seed: u64,
    /// Refits that failed.
    pub failed: u64,
}

/// What is rearranged.
#[derive(Debug, Clone)]
pub(crate) enum Scheme {
    /// Signs of k effects.
    Signs { k: usize },
    /// A multiset of labels (tie classes), permuted among positions.
    Labels { labels: Vec<usize> },
}

/// One arrangement handed to the statistic.
pub(crate) enum Arrangement<'a> {
    Signs(&'a [f64]),
    Labels(&'a [usize]),
}

impl Scheme {
    fn k(&self) -> usize {
        match self {
            Scheme::Signs { k } => *k,
            Scheme::Labels { labels } => labels.len(),
        }
    }

    /// The number of distinct arrangements, `None` beyond u64.
    pub(crate) fn exact_count(&self) -> Option<u64> {
        match self {
            Scheme::Signs { k } => (*k < 64).then(|| 1u64 << k),
            Scheme::Labels { labels } => {
                let mut counts = std::collections::BTreeMap::new();
                for &l in labels {
                    *counts.entry(l).or_insert(0u64) += 1;
                }
                // Multinomial coefficient as a product of binomials.
                let mut total: u128 = 1;
                let mut n: u64 = 0;
                for &c in counts.values() {
                    for j in 1..=c {
                        n += 1;
                        total = total.checked_mul(u128::from(n))? / u128::from(j);
                    }
                }
                u64::try_from(total).ok()
            }
        }
    }
}

/// How many arrangements and whether exactly.
pub(crate) fn plan(scheme: &Scheme, it: Iterations) -> Result<(u64, bool)> {
    let exact_n = scheme.exact_count();
    match it {
        Iterations::Exact => match exact_n {
            Some(n) if n <= MAX_EXACT => Ok((n, true)),
            _ => Err(Error::InvalidOption {
                option: "permutations",
                message: format!(
                    "an exact test needs {} arrangements, more than the limit of {MAX_EXACT}; give a number of random permutations instead (`permutations`, e.g. 10000)",
                    exact_n.map_or("more than 1.8e19".to_string(), |n| n.to_string())
                ),
            }),
        },
        Iterations::Random(n) => {
            if n < 2 {
                return Err(Error::InvalidOption {
                    option: "permutations",
                    message: format!("{n} iterations; give at least 2 (metafor's minimum)"),
                });
            }
            match exact_n {
                Some(e) if e <= n => Ok((e, true)),
                _ => Ok((n, false)),
            }
        }
    }
}

/// Lexicographic next permutation; false when `v` was the last one.
fn next_permutation(v: &mut [usize]) -> bool {
    let n = v.len();
    if n < 2 {
        return false;
    }
    let mut i = n - 1;
    while i > 0 && v[i - 1] >= v[i] {
        i -= 1;
    }
    if i == 0 {
        return false;
    }
    let mut j = n - 1;
    while v[j] <= v[i - 1] {
        j -= 1;
    }
    v.swap(i - 1, j);
    v[i..].reverse();
    true
}

/// Writes into `out` the arrangement of rank `r` (0-based) in the
/// lexicographic order of the distinct permutations of the sorted multiset
/// `sorted` — the order [`next_permutation`] walks — so that a block of an
/// exact test starts where it should without enumerating what comes before.
/// `r` must be below the number of distinct permutations.
fn nth_permutation(sorted: &[usize], mut r: u64, out: &mut [usize]) {
    let mut classes: Vec<(usize, u64)> = Vec::new();
    for &l in sorted {
        match classes.last_mut() {
            Some((v, c)) if *v == l => *c += 1,
            _ => classes.push((l, 1)),
        }
    }
    // m = the number of distinct arrangements of what is left.
    let mut left = sorted.len() as u128;
    let mut m: u128 = 1;
    let mut n = 0u128;
    for &(_, c) in &classes {
        for j in 1..=u128::from(c) {
            n += 1;
            m = m * n / j;
        }
    }
    for slot in out.iter_mut() {
        for (v, c) in classes.iter_mut() {
            if *c == 0 {
                continue;
            }
            // Arrangements of the rest that start with v.
            let with_v = m * u128::from(*c) / left;
            if u128::from(r) < with_v {
                *slot = *v;
                *c -= 1;
                m = with_v;
                left -= 1;
                break;
            }
            r -= with_v as u64;
        }
    }
}

/// A worker's buffers, made once per rayon task.
struct Worker<S> {
    scratch: S,
    signs: Vec<f64>,
    labels: Vec<usize>,
    stats: Vec<f64>,
}

/// A block's counts.
struct Tally {
    counts: Vec<u64>,
    valid: u64,
    failed: u64,
}

impl Tally {
    fn add(&mut self, ok: bool, exact: bool, stats: &[f64], observed: &[f64]) {
        if ok {
            self.valid += 1;
            for ((c, s), o) in self.counts.iter_mut().zip(stats).zip(observed) {
                if *s >= o - COMPTOL {
                    *c += 1;
                }
            }
        } else if exact {
            self.failed += 1;
        }
    }
}

/// Evaluates `stat` on every arrangement and counts, per statistic, how
/// often it reaches the observed value (stat* ≥ observed − comptol).
/// Returns (counts, valid arrangements, failed refits).
#[allow(clippy::too_many_arguments)]
pub(crate) fn run<S, I, E>(
    scheme: &Scheme,
    n: u64,
    exact: bool,
    seed: u64,
    observed: &[f64],
    hooks: &Hooks,
    init: I,
    stat: E,
) -> Result<(Vec<u64>, u64, u64)>
where
    S: Send,
    I: Fn() -> S + Sync + Send,
    E: Fn(&Arrangement, &mut S, &mut [f64]) -> bool + Sync + Send,
{
    let m = observed.len();
    let k = scheme.k();
    let base_labels: Vec<usize> = match scheme {
        Scheme::Labels { labels } => {
            let mut l = labels.clone();
            l.sort_unstable();
            l
        }
        Scheme::Signs { .. } => Vec::new(),
    };
    // A random test counts the observed arrangement as its first.
    let start = u64::from(!exact);
    hooks.report(0, n)?;
    let blocks = super::par_blocks(
        start..n,
        n,
        hooks,
        || Worker {
            scratch: init(),
            signs: vec![1.0; k],
            labels: base_labels.clone(),
            stats: vec![0.0; m],
        },
        |w, range| {
            let mut t = Tally {
                counts: vec![0u64; m],
                valid: 0,
                failed: 0,
            };
            match (exact, scheme) {
                (true, Scheme::Signs { .. }) => {
                    for idx in range {
                        for (j, s) in w.signs.iter_mut().enumerate() {
                            *s = if (idx >> j) & 1 == 1 { -1.0 } else { 1.0 };
                        }
                        let ok = stat(&Arrangement::Signs(&w.signs), &mut w.scratch, &mut w.stats);
                        t.add(ok, exact, &w.stats, observed);
                    }
                }
                (true, Scheme::Labels { .. }) => {
                    // The block's first arrangement by rank, the rest in turn.
                    nth_permutation(&base_labels, range.start, &mut w.labels);
                    for _ in range {
                        let ok = stat(
                            &Arrangement::Labels(&w.labels),
                            &mut w.scratch,
                            &mut w.stats,
                        );
                        t.add(ok, exact, &w.stats, observed);
                        next_permutation(&mut w.labels);
                    }
                }
                (false, _) => {
                    for idx in range {
                        let mut rng = Stream::new(seed, idx);
                        let mut ok = false;
                        // A failed refit is redrawn from the same stream.
                        for _ in 0..100 {
                            ok = match scheme {
                                Scheme::Signs { .. } => {
                                    for s in w.signs.iter_mut() {
                                        *s = rng.sign();
                                    }
                                    stat(
                                        &Arrangement::Signs(&w.signs),
                                        &mut w.scratch,
                                        &mut w.stats,
                                    )
                                }
                                Scheme::Labels { .. } => {
                                    w.labels.copy_from_slice(&base_labels);
                                    rng.shuffle(&mut w.labels);
                                    stat(
                                        &Arrangement::Labels(&w.labels),
                                        &mut w.scratch,
                                        &mut w.stats,
                                    )
                                }
                            };
                            if ok {
                                break;
                            }
                            t.failed += 1;
                        }
                        t.add(ok, exact, &w.stats, observed);
                    }
                }
            }
            t
        },
    )?;
    let mut counts = vec![start; m];
    let (mut valid, mut failed) = (start, 0u64);
    for t in blocks {
        for (a, b) in counts.iter_mut().zip(t.counts) {
            *a += b;
        }
        valid += t.valid;
        failed += t.failed;
    }
    hooks.report(n, n)?;
    Ok((counts, valid, failed))
}

/// The statistics compared by metafor: of each coefficient its compared
/// value (by default |z| or |t|), then QM.
fn model_stats(f: &Fit, cmp: Compare, out: &mut [f64]) {
    let p = f.coefficients.len();
    for (o, c) in out.iter_mut().zip(&f.coefficients) {
        *o = cmp.value(c.stat, c.estimate);
    }
    out[p] = f.qm;
}

/// metafor `permutest(res, iter, exact)` of the model `observed`, fitted to
/// `yi`, `vi` with design `x` and options `opts`: the permutation p-value of
/// the z (or t) statistic of each coefficient and of QM
/// ([`PermutationStat::Test`]; [`crate::RmaFit::permutest_with`] chooses the
/// statistic).
pub fn permutest(
    yi: &[f64],
    vi: &[f64],
    x: &Design,
    opts: &FitOptions,
    observed: &Fit,
    perm: &PermutationOptions,
    hooks: &Hooks,
) -> Result<PermutationTest> {
    let model = Observed {
        yi,
        vi,
        x,
        opts,
        fit: observed,
    };
    permutest_by(model, perm, Compare::DEFAULT, hooks)
}

/// A fitted model as the permutation tests and [`super::permci`] refit it:
/// the studies, the design, the options and the observed fit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Observed<'a> {
    pub(crate) yi: &'a [f64],
    pub(crate) vi: &'a [f64],
    pub(crate) x: &'a Design,
    pub(crate) opts: &'a FitOptions,
    pub(crate) fit: &'a Fit,
}

/// metafor `permutest(res, iter, exact, control = list(stat = stat))`: as
/// [`permutest`], with the statistic `stat` compared per coefficient —
/// two-sided, |s*| ≥ |s| − comptol, s the z (or t) statistic or the
/// coefficient. The omnibus p-value compares QM in both cases. Reached through
/// [`crate::RmaFit::permutest_with`].
pub(crate) fn permutest_stat(
    model: Observed,
    perm: &PermutationOptions,
    stat: PermutationStat,
    hooks: &Hooks,
) -> Result<PermutationTest> {
    let cmp = Compare {
        stat,
        alternative: Alternative::TwoSided,
    };
    permutest_by(model, perm, cmp, hooks)
}

/// What the rows of `x` are rearranged as: sign flips for the
/// intercept-only model, else the tie classes of equal rows.
pub(crate) fn scheme_of(x: &Design) -> Scheme {
    let k = x.rows();
    if x.is_intercept_only() {
        Scheme::Signs { k }
    } else {
        // Tie classes of equal rows (−0 equal to 0, as `==`), numbered in
        // order of first appearance; a hash map keeps this linear in k.
        let mut seen: std::collections::HashMap<Vec<u64>, usize> =
            std::collections::HashMap::with_capacity(k);
        let labels = (0..k)
            .map(|i| {
                let key: Vec<u64> = x
                    .row(i)
                    .iter()
                    .map(|&v| if v == 0.0 { 0 } else { v.to_bits() })
                    .collect();
                let next = seen.len();
                *seen.entry(key).or_insert(next)
            })
            .collect();
        Scheme::Labels { labels }
    }
}

/// The permutation test with comparison `cmp`.
pub(crate) fn permutest_by(
    model: Observed,
    perm: &PermutationOptions,
    cmp: Compare,
    hooks: &Hooks,
) -> Result<PermutationTest> {
    let Observed {
        yi,
        vi,
        x,
        opts,
        fit: observed,
    } = model;
    let k = yi.len();
    let p = x.cols();
    let scheme = scheme_of(x);
    let (n, exact) = plan(&scheme, perm.iterations)?;
    let mut obs = vec![0.0; p + 1];
    model_stats(observed, cmp, &mut obs);
    // Representative rows of each tie class, by class label.
    let class_rows: Vec<Vec<f64>> = match &scheme {
        Scheme::Labels { labels } => {
            // Classes are numbered in order of first appearance.
            let mut rows: Vec<Vec<f64>> = Vec::new();
            for (i, &l) in labels.iter().enumerate() {
                if l == rows.len() {
                    rows.push(x.row(i).to_vec());
                }
            }
            rows
        }
        Scheme::Signs { .. } => Vec::new(),
    };
    // The kernel of the refits; with one moderator, the centred moderator
    // of each tie class and the per-study constant ln v, computed once.
    let route = Route::of(x, opts);
    let one_mod = if route == Route::OneModerator {
        CentredModerator::new(x, vi).map(|m| {
            let class_xc: Vec<f64> = class_rows.iter().map(|r| r[1] - m.c).collect();
            (m.c, class_xc, m.lnv)
        })
    } else {
        None
    };
    let (counts, valid, failed) = run(
        &scheme,
        n,
        exact,
        perm.seed,
        &obs,
        hooks,
        || (vec![0.0; k], x.clone(), vec![0.0; k], Workspace::new(k, p)),
        |arr, (y, xs, w, ws), out| {
            if let (Some((c, class_xc, lnv)), Arrangement::Labels(l)) = (&one_mod, arr) {
                // y is free here: it holds the permuted, centred moderator.
                for (xo, &cl) in y.iter_mut().zip(l.iter()) {
                    *xo = class_xc[cl];
                }
                let s = OneModerator {
                    y: yi,
                    v: vi,
                    x: y,
                    lnv,
                    c: *c,
                };
                return match refit::one_moderator(&s, opts, false) {
                    Ok(m) => {
                        out[0] = cmp.value(m.stat[0], m.beta[0]);
                        out[1] = cmp.value(m.stat[1], m.beta[1]);
                        out[2] = m.qm;
                        out.iter().all(|v| !v.is_nan())
                    }
                    Err(_) => false,
                };
            }
            let res = match arr {
                Arrangement::Signs(s) => {
                    for ((yo, yi), s) in y.iter_mut().zip(yi).zip(s.iter()) {
                        *yo = yi * s;
                    }
                    if route != Route::Fit && k >= 2 {
                        return match refit::intercept_only(y, vi, opts, w) {
                            Ok(f) => {
                                out[0] = cmp.value(f.stat, f.estimate);
                                out[1] = f.qm;
                                !(out[0].is_nan() || out[1].is_nan())
                            }
                            Err(_) => false,
                        };
                    }
                    refit::full(y, vi, x, opts)
                }
                Arrangement::Labels(l) => {
                    let data = xs.data_mut();
                    for (i, &c) in l.iter().enumerate() {
                        data[i * p..(i + 1) * p].copy_from_slice(&class_rows[c]);
                    }
                    if route != Route::Fit && k > p {
                        if refit::general(yi, vi, xs, opts, ws, false, out).is_err() {
                            return false;
                        }
                        if cmp != Compare::DEFAULT {
                            // `general` leaves |z| in `out` and β̂ in `ws`;
                            // z has the sign of β̂ (SE ≥ 0).
                            for (o, &b) in out.iter_mut().zip(ws.beta()) {
                                *o = cmp.value(o.copysign(b), b);
                            }
                        }
                        return out.iter().all(|v| !v.is_nan());
                    }
                    refit::full(yi, vi, xs, opts)
                }
            };
            match res {
                Ok(f) => {
                    model_stats(&f, cmp, out);
                    out.iter().all(|v| !v.is_nan())
                }
                Err(_) => false,
            }
        },
    )?;
    let share = |c: u64| {
        if valid == 0 {
            f64::NAN
        } else {
            (c as f64 / valid as f64).min(1.0)
        }
    };
    Ok(PermutationTest {
        pval: counts[..p].iter().map(|&c| share(c)).collect(),
        stat: cmp.stat,
        qm_pval: share(counts[p]),
        iterations: n,
        exact,
        seed: perm.seed,
        failed,
    })
}

/// Permutation test of the subgroup difference of `design` (whose observed
/// statistic is `q_between`): the subgroup labels are permuted among the
/// studies and Q_between recomputed.
pub fn permutest_subgroups(
    design: &SubgroupDesign<'_>,
    q_between: f64,
    perm: &PermutationOptions,
    hooks: &Hooks,
) -> Result<StatisticTest> {
    let scheme = Scheme::Labels {
        labels: design.groups.to_vec(),
    };
    let (n, exact) = plan(&scheme, perm.iterations)?;
    // A different stream family from the model test with the same seed.
    let seed = perm.seed ^ 0x5375_6267_726F_7570;
    let (counts, valid, failed) = run(
        &scheme,
        n,
        exact,
        seed,
        &[q_between],
        hooks,
        || (),
        |arr, _, out| {
            let Arrangement::Labels(l) = arr else {
                return false;
            };
            match (SubgroupDesign {
                groups: l,
                ..*design
            })
            .fit()
            {
                Ok(s) if s.q_between.is_finite() => {
                    out[0] = s.q_between;
                    true
                }
                _ => false,
            }
        },
    )?;
    Ok(StatisticTest {
        pval: if valid == 0 {
            f64::NAN
        } else {
            counts[0] as f64 / valid as f64
        },
        iterations: n,
        exact,
        seed: perm.seed,
        failed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multinomial_counts() {
        let s = Scheme::Labels {
            labels: vec![0, 0, 1, 1, 1, 2],
        };
        assert_eq!(s.exact_count(), Some(60)); // 6!/(2!3!1!)
        assert_eq!(Scheme::Signs { k: 6 }.exact_count(), Some(64));
    }

    /// The arrangement of rank r is the r-th that `next_permutation` walks
    /// to from the sorted labels, for every r, so blocks of an exact test
    /// can start anywhere.
    #[test]
    fn nth_permutation_is_the_enumeration_order() {
        for labels in [
            vec![0, 0, 1, 1, 1, 2],
            vec![0, 1, 2, 3, 4],
            vec![3, 3, 3, 3],
            vec![0, 0, 0, 0, 0, 1, 1, 1, 2, 2],
        ] {
            let total = Scheme::Labels {
                labels: labels.clone(),
            }
            .exact_count()
            .unwrap();
            let mut walk = labels.clone();
            let mut out = vec![usize::MAX; labels.len()];
            for r in 0..total {
                nth_permutation(&labels, r, &mut out);
                assert_eq!(out, walk, "rank {r} of {labels:?}");
                let more = next_permutation(&mut walk);
                assert_eq!(more, r + 1 < total, "rank {r} of {labels:?}");
            }
        }
    }

    #[test]
    fn next_permutation_enumerates_distinct_arrangements() {
        let mut v = vec![0, 0, 1, 1, 1, 2];
        let mut n = 1;
        while next_permutation(&mut v) {
            n += 1;
        }
        assert_eq!(n, 60);
    }

    #[test]
    fn too_many_exact_arrangements_is_an_error() {
        let e = plan(&Scheme::Signs { k: 40 }, Iterations::Exact);
        assert!(matches!(
            e,
            Err(Error::InvalidOption {
                option: "permutations",
                ..
            })
        ));
    }
}
