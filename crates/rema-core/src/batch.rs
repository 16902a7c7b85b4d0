//! Many intercept-only meta-analyses at once, on plain slices: metafor's
//! `rma(yi, vi, method, test, level)` followed by `predict()`, once per
//! group of a long table.
//!
//! The studies of group g are `yi[offsets[g]..offsets[g + 1]]` and the same
//! range of `vi`. [`pool_batch`] writes one [`BatchRow`] per group: k, the
//! pooled estimate with its standard error, confidence interval and
//! p-value, τ², I², H², Cochran's Q with its p-value, the prediction
//! interval, whether the fit succeeded ([`BatchStatus`]) and a bit set of
//! notes ([`BatchNotes`]).
//!
//! Every row is what [`crate::fit`] gives for that group alone, bit for
//! bit: the τ² estimators run through the same intercept-only kernel
//! (`tau2::kernel::intercept`), whose sums are the general kernel's
//! operations in the same order; the Fisher-scoring fallback
//! ([`crate::Control::fallback`]) is the fit's, and Paule–Mandel starts its
//! root search from the fit's bracket, max(100, 10·mad(y)²). The formulas are
//! those of `fit.rs` (METHODS.md, "Batch pooling").
//!
//! No allocation per group: each worker thread keeps one scratch buffer of
//! the largest k it has seen and a cache of t quantiles by degrees of
//! freedom. Groups are cut into contiguous chunks pooled by rayon, each
//! group independently, so the output is the same at any thread count.

use rayon::prelude::*;

use crate::dist;
use crate::error::{Error, Result};
use crate::fit::{critical_value, s2w, FitOptions, PiDist, Test};
use crate::tau2::kernel::intercept::InterceptOnly;
use crate::tau2::kernel::{self, Failure, Kernel, Need, Note, Wls};
use crate::tau2::{Control, Method};

/// The options of a batch: those of the fit and the distribution of the
/// prediction interval's critical value (metafor's `predict()` uses the
/// test's; [`PiDist::T`] takes t(k − 1)).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BatchOptions {
    /// metafor's `method`, `test`, `level` and `control`.
    pub fit: FitOptions,
    /// The prediction interval's critical value.
    pub pi_dist: PiDist,
}

/// Whether a group's model was fitted, and if not why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum BatchStatus {
    /// Fitted; every column is set.
    #[default]
    Ok,
    /// The group has no studies.
    NoStudies,
    /// A non-finite effect or a variance that is not positive and finite
    /// (the caller's reader should have refused it, naming the row).
    InvalidInput,
    /// Too few studies for the test: Knapp–Hartung needs k ≥ 2.
    TooFewStudies,
    /// Fisher scoring did not converge (only with `Control::fallback` off)
    /// or the Paule–Mandel root search failed.
    NotConverged,
    /// The weighted sums were not finite (e.g. variances near 1e-300).
    NumericalFailure,
}

impl BatchStatus {
    /// A short name for output files: `ok`, `no_studies`, `invalid_input`,
    /// `too_few_studies`, `not_converged`, `numerical_failure`.
    pub fn name(self) -> &'static str {
        match self {
            BatchStatus::Ok => "ok",
            BatchStatus::NoStudies => "no_studies",
            BatchStatus::InvalidInput => "invalid_input",
            BatchStatus::TooFewStudies => "too_few_studies",
            BatchStatus::NotConverged => "not_converged",
            BatchStatus::NumericalFailure => "numerical_failure",
        }
    }
}

/// The notes of one group as a bit set: each bit is one of the notes that
/// [`crate::fit`] writes in words for the same data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct BatchNotes(pub u32);

impl BatchNotes {
    /// A closed-form τ² estimate was negative and was truncated at 0.
    pub const TAU2_TRUNCATED: u32 = 1;
    /// The likelihood at τ² = 0 was higher: τ² set to 0 (metafor `ll0check`).
    pub const LL0_CHECK: u32 = 1 << 1;
    /// Q(0) < k − 1: the Paule–Mandel estimate is 0.
    pub const PM_ZERO: u32 = 1 << 2;
    /// Fisher scoring converged only when retried with step halving.
    pub const RETRIED_STEP_HALVING: u32 = 1 << 3;
    /// Fisher scoring did not converge even with step halving: the
    /// DerSimonian–Laird estimate was used.
    pub const FELL_BACK_TO_DL: u32 = 1 << 4;
    /// One study: τ² cannot be estimated and is 0.
    pub const ONE_STUDY: u32 = 1 << 5;
    /// The largest variance is at least 10⁷ times the smallest.
    pub const VARIANCE_RATIO: u32 = 1 << 6;
    /// Knapp–Hartung with the common-effect model.
    pub const KNHA_WITH_FE: u32 = 1 << 7;
    /// `test = adhoc`: the Knapp–Hartung scale factor was truncated at 1.
    pub const ADHOC_TRUNCATED: u32 = 1 << 8;

    /// Every note with its short name, in bit order.
    pub const NAMES: [(u32, &'static str); 9] = [
        (BatchNotes::TAU2_TRUNCATED, "tau2_truncated"),
        (BatchNotes::LL0_CHECK, "ll0_check"),
        (BatchNotes::PM_ZERO, "pm_zero"),
        (BatchNotes::RETRIED_STEP_HALVING, "retried_step_halving"),
        (BatchNotes::FELL_BACK_TO_DL, "fell_back_to_dl"),
        (BatchNotes::ONE_STUDY, "one_study"),
        (BatchNotes::VARIANCE_RATIO, "variance_ratio"),
        (BatchNotes::KNHA_WITH_FE, "knha_with_fe"),
        (BatchNotes::ADHOC_TRUNCATED, "adhoc_truncated"),
    ];

    /// Whether note `bit` is set.
    pub fn has(self, bit: u32) -> bool {
        self.0 & bit != 0
    }

    /// The number of notes set.
    pub fn count(self) -> u32 {
        self.0.count_ones()
    }

    /// The short names of the notes set, in bit order.
    ///
    /// ```
    /// use rema_core::batch::BatchNotes;
    /// let n = BatchNotes(BatchNotes::TAU2_TRUNCATED | BatchNotes::ONE_STUDY);
    /// assert_eq!(n.names().collect::<Vec<_>>(), ["tau2_truncated", "one_study"]);
    /// ```
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        BatchNotes::NAMES
            .iter()
            .filter(move |(b, _)| self.has(*b))
            .map(|(_, n)| *n)
    }
}

/// One analysis of a batch: the columns of `rema batch`'s output. A group
/// whose status is not [`BatchStatus::Ok`] has NaN in every number but k.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BatchRow {
    /// The number of studies (metafor `k`).
    pub k: usize,
    /// The pooled estimate (metafor `b`).
    pub estimate: f64,
    /// Its standard error (`se`).
    pub se: f64,
    /// Confidence bounds (`ci.lb`, `ci.ub`).
    pub ci_lower: f64,
    /// See `ci_lower`.
    pub ci_upper: f64,
    /// The z (or t) statistic (`zval`).
    pub stat: f64,
    /// Its two-sided p-value (`pval`).
    pub pval: f64,
    /// τ² (`tau2`).
    pub tau2: f64,
    /// I² in percent (`I2`).
    pub i2: f64,
    /// H² (`H2`).
    pub h2: f64,
    /// Cochran's Q (`QE`).
    pub q: f64,
    /// Its χ²(k − 1) p-value (`QEp`).
    pub q_pval: f64,
    /// Prediction bounds (`predict()$pi.lb`, `pi.ub`).
    pub pi_lower: f64,
    /// See `pi_lower`.
    pub pi_upper: f64,
    /// Fisher-scoring iterations of ML, REML and EB (0 otherwise).
    pub iterations: u32,
    /// Whether the model was fitted.
    pub status: BatchStatus,
    /// The adjustments and caveats of the fit.
    pub notes: BatchNotes,
}

impl BatchRow {
    fn failed(k: usize, status: BatchStatus, notes: u32) -> BatchRow {
        BatchRow {
            k,
            estimate: f64::NAN,
            se: f64::NAN,
            ci_lower: f64::NAN,
            ci_upper: f64::NAN,
            stat: f64::NAN,
            pval: f64::NAN,
            tau2: f64::NAN,
            i2: f64::NAN,
            h2: f64::NAN,
            q: f64::NAN,
            q_pval: f64::NAN,
            pi_lower: f64::NAN,
            pi_upper: f64::NAN,
            iterations: 0,
            status,
            notes: BatchNotes(notes),
        }
    }
}

/// The groups per rayon task.
const CHUNK: usize = 2048;

/// Pools every group of a long table: group g has the studies
/// `offsets[g]..offsets[g + 1]` of `yi` and `vi`, and its row goes to
/// `out[g]` (`out.len()` is `offsets.len() - 1`). Runs on the current rayon
/// pool; the rows do not depend on the number of threads.
///
/// Errors only for the batch as a whole (options out of range, offsets that
/// are not increasing or overrun the data, an output of the wrong length);
/// a group that cannot be fitted gets its [`BatchStatus`].
///
/// ```
/// use rema_core::batch::{pool_batch, BatchOptions, BatchRow, BatchStatus};
/// use rema_core::{fit, FitOptions, Method};
/// # fn main() -> rema_core::Result<()> {
/// let yi = [0.1, 0.5, -0.2, 0.3, 1.0, 1.2, 0.9];
/// let vi = [0.02, 0.05, 0.03, 0.04, 0.1, 0.2, 0.1];
/// let offsets = [0, 4, 7];
/// let opts = BatchOptions { fit: FitOptions::new(Method::Dl), ..BatchOptions::default() };
/// let mut out = vec![BatchRow::default(); 2];
/// pool_batch(&offsets, &yi, &vi, &opts, &mut out)?;
/// let one = fit(&yi[4..], &vi[4..], &opts.fit)?;
/// assert_eq!(out[1].status, BatchStatus::Ok);
/// assert_eq!(out[1].estimate.to_bits(), one.estimate().estimate.to_bits());
/// assert_eq!(out[1].tau2.to_bits(), one.tau2.to_bits());
/// # Ok(())
/// # }
/// ```
pub fn pool_batch(
    offsets: &[usize],
    yi: &[f64],
    vi: &[f64],
    opts: &BatchOptions,
    out: &mut [BatchRow],
) -> Result<()> {
    check(offsets, yi, vi, opts, out)?;
    let shared = Shared::new(opts);
    out.par_chunks_mut(CHUNK)
        .enumerate()
        .for_each_init(Scratch::default, |scratch, (c, rows)| {
            let first = c * CHUNK;
            for (i, row) in rows.iter_mut().enumerate() {
                let (a, b) = (offsets[first + i], offsets[first + i + 1]);
                *row = pool_one(&yi[a..b], &vi[a..b], &shared, scratch);
            }
        });
    Ok(())
}

/// [`pool_batch`] on the calling thread only.
pub fn pool_batch_serial(
    offsets: &[usize],
    yi: &[f64],
    vi: &[f64],
    opts: &BatchOptions,
    out: &mut [BatchRow],
) -> Result<()> {
    check(offsets, yi, vi, opts, out)?;
    let shared = Shared::new(opts);
    let mut scratch = Scratch::default();
    for (g, row) in out.iter_mut().enumerate() {
        let (a, b) = (offsets[g], offsets[g + 1]);
        *row = pool_one(&yi[a..b], &vi[a..b], &shared, &mut scratch);
    }
    Ok(())
}

fn check(
    offsets: &[usize],
    yi: &[f64],
    vi: &[f64],
    opts: &BatchOptions,
    out: &[BatchRow],
) -> Result<()> {
    opts.fit.check()?;
    if yi.len() != vi.len() {
        return Err(Error::LengthMismatch {
            what: format!("{} effects but {} variances", yi.len(), vi.len()),
        });
    }
    let groups = offsets.len().saturating_sub(1);
    if out.len() != groups {
        return Err(Error::LengthMismatch {
            what: format!(
                "{groups} groups (offsets.len() - 1) but {} output rows",
                out.len()
            ),
        });
    }
    if offsets.windows(2).any(|w| w[0] > w[1]) || offsets.last().is_some_and(|&e| e > yi.len()) {
        return Err(Error::InvalidOption {
            option: "offsets",
            message: format!(
                "must be non-decreasing and end at most at the number of studies ({})",
                yi.len()
            ),
        });
    }
    Ok(())
}

/// What every group shares: the options and the z critical value.
struct Shared {
    opts: FitOptions,
    pi_dist: PiDist,
    /// The critical value of the z test (NaN for Knapp–Hartung).
    z_crit: f64,
}

impl Shared {
    fn new(o: &BatchOptions) -> Shared {
        Shared {
            opts: o.fit,
            pi_dist: o.pi_dist,
            z_crit: critical_value(o.fit.level, None),
        }
    }
}

/// A worker thread's scratch: the weights and the sorted copy of the
/// effects of Paule–Mandel's bracket (the largest k seen so far), and the t
/// critical values by degrees of freedom (NaN until needed).
#[derive(Default)]
struct Scratch {
    w: Vec<f64>,
    sorted: Vec<f64>,
    t_crit: Vec<f64>,
}

impl Scratch {
    fn t_crit(&mut self, level: f64, df: usize) -> f64 {
        if self.t_crit.len() <= df {
            self.t_crit.resize(df + 1, f64::NAN);
        }
        if self.t_crit[df].is_nan() {
            self.t_crit[df] = critical_value(level, Some(df as f64));
        }
        self.t_crit[df]
    }
}

/// The intercept-only kernel with the general fit's Paule–Mandel bracket.
struct BatchKernel<'a> {
    inner: InterceptOnly<'a>,
    sorted: &'a mut [f64],
}

impl Kernel for BatchKernel<'_> {
    type Extra = f64;

    fn p(&self) -> usize {
        1
    }

    fn y(&self) -> &[f64] {
        self.inner.y
    }

    #[inline]
    fn wls(&mut self, tau2: f64, need: Need) -> Option<Wls<f64>> {
        self.inner.wls(tau2, need)
    }

    fn hedges(&mut self) -> Option<(f64, f64)> {
        self.inner.hedges()
    }

    fn sum_log(&self, tau2: f64, exact: bool) -> f64 {
        self.inner.sum_log(tau2, exact)
    }

    /// max(100, 10·mad(y)²), as the general fit and metafor.
    fn pm_bracket(&mut self) -> f64 {
        let mad = crate::tau2::paule_mandel::mad_in(self.inner.y, self.sorted);
        (10.0 * mad.powi(2)).max(100.0)
    }
}

fn note_bit(n: Note) -> u32 {
    match n {
        Note::Truncated { .. } => BatchNotes::TAU2_TRUNCATED,
        Note::Ll0 { .. } => BatchNotes::LL0_CHECK,
        Note::PmZero => BatchNotes::PM_ZERO,
    }
}

fn failure_status(f: Failure) -> BatchStatus {
    match f {
        Failure::RankDeficient => BatchStatus::NumericalFailure,
        Failure::NotConverged { .. } | Failure::NoBracket { .. } | Failure::NoRoot => {
            BatchStatus::NotConverged
        }
    }
}

/// τ̂² with the general fit's fallback (`tau2::estimate`): metafor's remedy
/// (step halving, more iterations), then DL; the notes as bits.
fn estimate_tau2(
    method: Method,
    k: &mut BatchKernel,
    control: &Control,
    fe: &Wls<f64>,
) -> std::result::Result<(kernel::Estimate<f64>, u32), Failure> {
    match kernel::estimate(method, k, control, Some(fe)) {
        Ok(e) => return Ok((e, 0)),
        Err(Failure::NotConverged { .. }) if control.fallback => {}
        Err(f) => return Err(f),
    }
    let retry = Control {
        step_adj: control.step_adj / 2.0,
        max_iter: control.max_iter.saturating_mul(10),
        ..*control
    };
    match kernel::estimate(method, k, &retry, Some(fe)) {
        Ok(e) => Ok((e, BatchNotes::RETRIED_STEP_HALVING)),
        Err(Failure::NotConverged { .. }) => {
            let dl = kernel::estimate(Method::Dl, k, control, Some(fe))?;
            Ok((dl, BatchNotes::FELL_BACK_TO_DL))
        }
        Err(f) => Err(f),
    }
}

/// One group: `fit()` and `predict()` as `fit.rs` computes them.
fn pool_one(y: &[f64], v: &[f64], sh: &Shared, s: &mut Scratch) -> BatchRow {
    let k = y.len();
    let opts = &sh.opts;
    if k == 0 {
        return BatchRow::failed(0, BatchStatus::NoStudies, 0);
    }
    // One branch-free pass: every effect finite and every variance in
    // (0, ∞), and the variance range (plain comparisons, as no NaN is left
    // when the check passes).
    let mut valid = true;
    let mut vmax = f64::MIN;
    let mut vmin = f64::MAX;
    for (&yi, &vi) in y.iter().zip(v) {
        valid &= (yi.abs() < f64::INFINITY) & (vi > 0.0) & (vi < f64::INFINITY);
        vmax = if vi > vmax { vi } else { vmax };
        vmin = if vi < vmin { vi } else { vmin };
    }
    if !valid {
        return BatchRow::failed(k, BatchStatus::InvalidInput, 0);
    }
    if opts.test.uses_t() && k <= 1 {
        return BatchRow::failed(k, BatchStatus::TooFewStudies, 0);
    }
    let mut notes = 0u32;
    if vmax / vmin >= 1e7 {
        notes |= BatchNotes::VARIANCE_RATIO;
    }
    if s.w.len() < k {
        s.w.resize(k, 0.0);
        s.sorted.resize(k, 0.0);
    }
    let mut kern = BatchKernel {
        inner: InterceptOnly {
            y,
            v,
            w: &mut s.w[..k],
        },
        sorted: &mut s.sorted[..k],
    };
    let control = &opts.control;
    let method = opts.method;
    // The common-effect fit: Q, ṽ and the moment estimators read it.
    let mut need = kernel::need_at_zero(method, control, true).unwrap_or_default();
    need.tr_p = true;
    let Some(fe) = kern.wls(0.0, need) else {
        return BatchRow::failed(k, BatchStatus::NumericalFailure, notes);
    };
    let (tau2, iterations, at) = if k == 1 {
        if method.is_random() {
            notes |= BatchNotes::ONE_STUDY;
        }
        (0.0, 0, fe)
    } else {
        let (est, bits) = match estimate_tau2(method, &mut kern, control, &fe) {
            Ok(e) => e,
            Err(f) => return BatchRow::failed(k, failure_status(f), notes),
        };
        notes |= bits;
        if let Some(n) = est.note {
            notes |= note_bit(n);
        }
        let tau2 = est.tau2;
        let at = match est.at {
            Some(a) if a.tau2.to_bits() == tau2.to_bits() => a,
            _ if tau2 == 0.0 => fe,
            _ => match kern.wls(tau2, Need::NONE) {
                Some(a) => a,
                None => return BatchRow::failed(k, BatchStatus::NumericalFailure, notes),
            },
        };
        (tau2, est.iterations.unwrap_or(0) as u32, at)
    };
    let df_resid = (k - 1) as f64;
    let (s2w, crit) = match opts.test {
        Test::Z => (1.0, sh.z_crit),
        // metafor's test = "t": t quantiles on k - 1 df, no rescaling.
        Test::T => (1.0, s.t_crit(opts.level, k - 1)),
        Test::Knha | Test::Adhoc => {
            if !method.is_random() {
                notes |= BatchNotes::KNHA_WITH_FE;
            }
            if opts.test == Test::Adhoc && s2w(Test::Knha, at.rss, df_resid) < 1.0 {
                notes |= BatchNotes::ADHOC_TRUNCATED;
            }
            (
                s2w(opts.test, at.rss, df_resid),
                s.t_crit(opts.level, k - 1),
            )
        }
    };
    let b = at.extra;
    let vb = (1.0 / at.sw) * s2w;
    let se = vb.sqrt();
    let stat = b / se;
    let pval = if opts.test.uses_t() {
        2.0 * dist::t_sf(stat.abs(), df_resid)
    } else {
        2.0 * dist::norm_sf(stat.abs())
    };
    // Heterogeneity from the common-effect fit (0, 1, 0, 1 for one study).
    let (q, q_pval, i2, h2) = if k > 1 {
        let q = fe.rss.max(0.0);
        let vt = df_resid / fe.tr_p;
        let (i2, h2) = kernel::i2_h2(method.is_random(), tau2, q, df_resid, vt);
        (q, dist::chisq_sf(q, df_resid), i2, h2)
    } else {
        (0.0, 1.0, 0.0, 1.0)
    };
    // predict(): the same operations as `Fit::predict_with` at x0 = [1].
    let pred: f64 = [1.0f64].iter().zip([b]).map(|(x, c)| x * c).sum();
    let mut var = 0.0;
    var += 1.0 * vb * 1.0;
    let pi_crit = match sh.pi_dist {
        PiDist::Test => crit,
        PiDist::T => s.t_crit(opts.level, k.saturating_sub(1).max(1)),
    };
    let pse = (var + tau2).max(0.0).sqrt();
    BatchRow {
        k,
        estimate: b,
        se,
        ci_lower: b - crit * se,
        ci_upper: b + crit * se,
        stat,
        pval,
        tau2,
        i2,
        h2,
        q,
        q_pval,
        pi_lower: pred - pi_crit * pse,
        pi_upper: pred + pi_crit * pse,
        iterations,
        status: BatchStatus::Ok,
        notes: BatchNotes(notes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::fit;
    use crate::resample::rng::Stream;

    /// Random long tables: groups of 1 to 30 studies, some homogeneous
    /// (τ² truncated at 0), some with one huge variance.
    fn table(seed: u64, groups: usize) -> (Vec<usize>, Vec<f64>, Vec<f64>) {
        let mut r = Stream::new(seed, 0);
        let (mut offsets, mut y, mut v) = (vec![0], Vec::new(), Vec::new());
        for g in 0..groups {
            let k = 1 + r.below(30) as usize;
            let tau = if g % 3 == 0 { 0.0 } else { 0.4 * r.next_f64() };
            let mu = r.next_f64() - 0.5;
            for i in 0..k {
                let vi = if g % 17 == 0 && i == 0 {
                    1e6
                } else {
                    0.005 + 0.3 * r.next_f64()
                };
                y.push(mu + tau * (r.next_f64() - 0.5) * 3.0 + vi.sqrt() * (r.next_f64() - 0.5));
                v.push(vi);
            }
            offsets.push(y.len());
        }
        (offsets, y, v)
    }

    fn bits(x: f64) -> u64 {
        x.to_bits()
    }

    /// Every method and test, every group: the row is `fit()` and
    /// `prediction_with()` of that group, bit for bit, with as many notes.
    #[test]
    fn every_row_is_the_fit_of_its_group_bit_for_bit() {
        let (offsets, y, v) = table(7, 400);
        let mut checked = 0;
        for method in Method::ALL {
            for test in Test::ALL {
                for pi_dist in [PiDist::Test, PiDist::T] {
                    let opts = BatchOptions {
                        fit: FitOptions {
                            test,
                            level: 90.0,
                            ..FitOptions::new(method)
                        },
                        pi_dist,
                    };
                    let mut out = vec![BatchRow::default(); offsets.len() - 1];
                    pool_batch(&offsets, &y, &v, &opts, &mut out).unwrap();
                    for (g, row) in out.iter().enumerate() {
                        let (a, b) = (offsets[g], offsets[g + 1]);
                        let what = format!("{method} {test} {pi_dist:?} group {g}");
                        match fit(&y[a..b], &v[a..b], &opts.fit) {
                            Ok(f) => {
                                assert_eq!(row.status, BatchStatus::Ok, "{what}");
                                let c = f.estimate();
                                let p = f.prediction_with(pi_dist);
                                let pairs = [
                                    (row.estimate, c.estimate),
                                    (row.se, c.se),
                                    (row.stat, c.stat),
                                    (row.pval, c.pval),
                                    (row.ci_lower, c.ci_lower),
                                    (row.ci_upper, c.ci_upper),
                                    (row.tau2, f.tau2),
                                    (row.i2, f.i2),
                                    (row.h2, f.h2),
                                    (row.q, f.q),
                                    (row.q_pval, f.q_pval),
                                    (row.pi_lower, p.pi_lower),
                                    (row.pi_upper, p.pi_upper),
                                ];
                                for (i, (got, want)) in pairs.iter().enumerate() {
                                    assert_eq!(bits(*got), bits(*want), "{what} column {i}");
                                }
                                assert_eq!(row.k, f.k);
                                assert_eq!(row.notes.count() as usize, f.notes.len(), "{what}");
                                checked += 1;
                            }
                            Err(e) => {
                                assert_ne!(row.status, BatchStatus::Ok, "{what}: {e}");
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 20_000, "{checked}");
    }

    /// Rows do not depend on the number of threads.
    #[test]
    fn one_and_four_threads_give_the_same_bits() {
        let (offsets, y, v) = table(11, 9000);
        let opts = BatchOptions {
            fit: FitOptions::new(Method::Reml),
            ..BatchOptions::default()
        };
        let mut serial = vec![BatchRow::default(); offsets.len() - 1];
        pool_batch_serial(&offsets, &y, &v, &opts, &mut serial).unwrap();
        for threads in [1, 4] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut out = vec![BatchRow::default(); offsets.len() - 1];
            pool.install(|| pool_batch(&offsets, &y, &v, &opts, &mut out))
                .unwrap();
            for (a, b) in out.iter().zip(&serial) {
                assert_eq!(bits(a.estimate), bits(b.estimate));
                assert_eq!(bits(a.tau2), bits(b.tau2));
                assert_eq!(bits(a.pi_upper), bits(b.pi_upper));
            }
        }
    }

    /// Bad groups get a status, not an error or a panic; a bad batch is an error.
    #[test]
    fn bad_groups_get_a_status_and_bad_offsets_an_error() {
        let y = [0.1, f64::NAN, 0.3, 0.2, 0.4, 0.5];
        let v = [0.1, 0.1, 0.1, 0.0, 0.1, 0.1];
        let offsets = [0, 2, 2, 4, 5];
        let knha = BatchOptions {
            fit: FitOptions {
                test: Test::Knha,
                ..FitOptions::new(Method::Dl)
            },
            ..BatchOptions::default()
        };
        let mut out = vec![BatchRow::default(); 4];
        pool_batch(&offsets, &y, &v, &knha, &mut out).unwrap();
        let st: Vec<_> = out.iter().map(|r| r.status).collect();
        assert_eq!(
            st,
            [
                BatchStatus::InvalidInput,
                BatchStatus::NoStudies,
                BatchStatus::InvalidInput,
                BatchStatus::TooFewStudies
            ]
        );
        assert!(out[0].estimate.is_nan() && out[3].k == 1);
        let bad = pool_batch(&[0, 3, 2], &y, &v, &knha, &mut out[..2]);
        assert!(matches!(
            bad,
            Err(Error::InvalidOption {
                option: "offsets",
                ..
            })
        ));
        let short = pool_batch(&offsets, &y, &v, &knha, &mut out[..2]);
        assert!(matches!(short, Err(Error::LengthMismatch { .. })));
        let level = BatchOptions {
            fit: FitOptions {
                level: 100.0,
                ..knha.fit
            },
            ..knha
        };
        assert!(pool_batch(&offsets, &y, &v, &level, &mut out).is_err());
    }

    /// Without the fallback, a Fisher scoring that does not converge is the
    /// group's status, as `fit` gives an error.
    #[test]
    fn non_convergence_without_fallback_is_a_status() {
        let (offsets, y, v) = table(3, 200);
        let opts = BatchOptions {
            fit: FitOptions {
                control: Control {
                    max_iter: 1,
                    fallback: false,
                    ..Control::default()
                },
                ..FitOptions::new(Method::Reml)
            },
            ..BatchOptions::default()
        };
        let mut out = vec![BatchRow::default(); offsets.len() - 1];
        pool_batch(&offsets, &y, &v, &opts, &mut out).unwrap();
        let failed = out
            .iter()
            .filter(|r| r.status == BatchStatus::NotConverged)
            .count();
        assert!(failed > 10, "{failed}");
        let with_fallback = BatchOptions {
            fit: FitOptions {
                control: Control {
                    max_iter: 1,
                    ..Control::default()
                },
                ..opts.fit
            },
            ..opts
        };
        pool_batch(&offsets, &y, &v, &with_fallback, &mut out).unwrap();
        assert!(out.iter().all(|r| r.status == BatchStatus::Ok));
        assert!(out
            .iter()
            .any(|r| r.notes.has(BatchNotes::RETRIED_STEP_HALVING)
                || r.notes.has(BatchNotes::FELL_BACK_TO_DL)));
    }
}
