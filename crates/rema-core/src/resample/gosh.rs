//! GOSH, the graphical display of study heterogeneity (Olkin, Dahabreh &
//! Trikalinos 2012): the model fitted to every subset of the studies, or to a
//! random sample of subsets, as metafor 3.8 `gosh()` fits it.
//!
//! Each subset of at least one study is refitted with the model's options
//! through the intercept-only τ² kernel (`tau2::kernel`, the estimating
//! equations of the general fit, bit for bit), giving the estimate, Cochran's
//! Q, I², H² and τ̂² (metafor's `res` columns `estimate`, `QE`, `I2`, `H2`,
//! `tau2`). A subset of one study has, as in metafor, Q = 0, I² = 0, H² = 1 and
//! τ̂² = 0. A subset whose fit fails (Fisher scoring that does not converge)
//! is kept with NaN values and counted, as metafor keeps it with `NA`: no
//! fallback estimator stands in for it.
//!
//! Which subsets ([`Subsets`]):
//! - every subset of at most `max_size` studies, in metafor's order (by
//!   size, then by the binary number whose bit j is study j: the
//!   colexicographic order of the combinations), so row i is metafor's row i;
//! - or `count` subsets drawn at random, each study in with probability ½,
//!   redrawn when empty: metafor's draw of a size with probability
//!   ∝ C(k, m) and then m studies, written as k fair bits. Subset i draws
//!   from its own stream ([`super::rng::Stream::new`]`(seed, i)`).
//!
//! The run is parallel in blocks (`par_blocks`) and streamed: the subsets
//! are fitted in waves of [`WAVE`], and each wave's blocks are handed to the
//! caller's sink in index order, so memory stays bounded and the output is
//! the same at any thread count.
//!
//! Which studies drive the clusters: Olkin et al. colour the subsets that
//! contain a study suspected of driving a cluster. rema ranks each study by
//! the standardised distance between the mean (estimate, I²) of the fitted
//! subsets that contain it and of those that do not,
//! dⱼ = √(((ē₁ⱼ − ē₀ⱼ)/s_e)² + ((Ī₁ⱼ − Ī₀ⱼ)/s_I)²) with s_e, s_I the standard
//! deviations over all fitted subsets, and names the largest
//! ([`Gosh::most_influential`]). The sums are taken in index order.

use super::refit;
use super::rng::Stream;
use super::{par_blocks, Hooks};
use crate::error::{Error, Result};
use crate::fit::FitOptions;
use crate::tau2::kernel::intercept::InterceptOnly;
use crate::tau2::Method;

/// Subsets fitted per wave: the most rows held at once.
pub const WAVE: u64 = 1 << 17;

/// The most subsets one run fits (2⁴⁰, about 1.1 × 10¹²).
pub const MAX_SUBSETS: u64 = 1 << 40;

/// Which subsets of the studies a GOSH run fits.
///
/// ```
/// use rema_core::resample::gosh::Subsets;
/// // metafor's default: every subset while there are at most 10^6 of them.
/// assert_eq!(Subsets::metafor_default(13, 1), Subsets::All { max_size: None });
/// assert_eq!(Subsets::metafor_default(25, 1), Subsets::Random { count: 1_000_000, seed: 1 });
/// assert_eq!(Subsets::All { max_size: None }.count(13).unwrap(), 8191);
/// assert_eq!(Subsets::All { max_size: Some(2) }.count(13).unwrap(), 13 + 78);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subsets {
    /// Every subset of one to `max_size` studies (`None`: up to all k).
    All {
        /// The largest subset fitted.
        max_size: Option<usize>,
    },
    /// `count` subsets drawn at random with the stream of `seed`.
    Random {
        /// How many subsets.
        count: u64,
        /// The seed of the draws.
        seed: u64,
    },
}

impl Subsets {
    /// metafor's `gosh(subsets = count)`: every subset when there are at
    /// most `count` of them, else `count` random subsets.
    pub fn at_most(count: u64, seed: u64, k: usize) -> Subsets {
        let all = Subsets::All { max_size: None };
        match all.count(k) {
            Ok(n) if n <= count => all,
            _ => Subsets::Random { count, seed },
        }
    }

    /// metafor's default: `at_most(10^6, ..)`.
    pub fn metafor_default(k: usize, seed: u64) -> Subsets {
        Subsets::at_most(1_000_000, seed, k)
    }

    /// The number of subsets fitted for k studies; an error naming
    /// `subsets` or `max_size` when it is 0 or above [`MAX_SUBSETS`].
    pub fn count(self, k: usize) -> Result<u64> {
        match self {
            Subsets::All { max_size } => {
                let top = max_size.unwrap_or(k).min(k);
                if top == 0 {
                    return Err(Error::InvalidOption {
                        option: "max_size",
                        message: "the largest subset must hold at least 1 study".to_string(),
                    });
                }
                let mut total: u64 = 0;
                for m in 1..=top {
                    total = binomial(k, m)
                        .and_then(|c| total.checked_add(c))
                        .filter(|t| *t <= MAX_SUBSETS)
                        .ok_or_else(|| Error::InvalidOption {
                            option: "subsets",
                            message: format!(
                                "every subset of up to {top} of {k} studies is more than {MAX_SUBSETS} fits; give a number of random subsets or a smaller `max_size`"
                            ),
                        })?;
                }
                Ok(total)
            }
            Subsets::Random { count, .. } => {
                if count == 0 || count > MAX_SUBSETS {
                    Err(Error::InvalidOption {
                        option: "subsets",
                        message: format!(
                            "{count} random subsets: give between 1 and {MAX_SUBSETS}"
                        ),
                    })
                } else {
                    Ok(count)
                }
            }
        }
    }
}

/// C(n, m), or `None` when above u64.
fn binomial(n: usize, m: usize) -> Option<u64> {
    if m > n {
        return Some(0);
    }
    let m = m.min(n - m);
    let mut c: u128 = 1;
    for i in 0..m {
        c = c * (n - i) as u128 / (i + 1) as u128;
        if c > u64::MAX as u128 {
            return None;
        }
    }
    Some(c as u64)
}

/// The fit to one subset (metafor `gosh()$res`); every value NaN when the
/// fit failed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SubsetFit {
    /// The number of studies in the subset.
    pub k: usize,
    /// The pooled estimate (analysis scale).
    pub estimate: f64,
    /// Cochran's Q.
    pub q: f64,
    /// I² (percent).
    pub i2: f64,
    /// H².
    pub h2: f64,
    /// τ̂².
    pub tau2: f64,
}

impl SubsetFit {
    /// False when the subset's fit failed (its values are NaN).
    pub fn is_fitted(&self) -> bool {
        !self.estimate.is_nan()
    }
}

/// Consecutive subsets of a run and their fits: rows `first ..
/// first + fits().len()`.
#[derive(Debug, Clone)]
pub struct Block {
    first: u64,
    words: usize,
    fits: Vec<SubsetFit>,
    members: Vec<u64>,
}

impl Block {
    /// The index of the block's first subset in the run.
    pub fn first(&self) -> u64 {
        self.first
    }

    /// The fits, in index order.
    pub fn fits(&self) -> &[SubsetFit] {
        &self.fits
    }

    /// True when study `study` (0-based) is in the subset of row `row` of
    /// this block.
    pub fn contains(&self, row: usize, study: usize) -> bool {
        let w = self.members[row * self.words + study / 64];
        w >> (study % 64) & 1 == 1
    }

    /// The studies (0-based, ascending) in the subset of row `row`.
    pub fn members(&self, row: usize) -> impl Iterator<Item = usize> + '_ {
        let words = &self.members[row * self.words..(row + 1) * self.words];
        words.iter().enumerate().flat_map(|(i, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                (w != 0).then(|| {
                    let b = w.trailing_zeros() as usize;
                    w &= w - 1;
                    i * 64 + b
                })
            })
        })
    }
}

/// How the subsets with a study differ from those without it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StudySeparation {
    /// Fitted subsets that contain the study.
    pub with: u64,
    /// Their mean estimate and mean I².
    pub with_mean: (f64, f64),
    /// Fitted subsets without the study.
    pub without: u64,
    /// Their mean estimate and mean I².
    pub without_mean: (f64, f64),
    /// dⱼ, the standardised distance between the two means (NaN when one
    /// side is empty).
    pub distance: f64,
}

/// A GOSH run: what was fitted, and how each study separates the subsets.
/// Made by [`gosh`] (see its example).
#[derive(Debug, Clone, PartialEq)]
pub struct Gosh {
    /// The τ² estimator.
    pub method: Method,
    /// The number of studies k.
    pub k: usize,
    /// The subsets fitted.
    pub subsets: Subsets,
    /// Their number.
    pub count: u64,
    /// Fits that failed (their rows are NaN).
    pub failed: u64,
    /// One entry per study.
    pub studies: Vec<StudySeparation>,
    /// The study with the largest distance, if any distance is defined.
    pub most_influential: Option<usize>,
    /// What the run did that a reader should know, in words.
    pub notes: Vec<String>,
}

/// Running sums of the fitted subsets, in index order.
struct Tally {
    n: u64,
    sum: [f64; 4],
    with_n: Vec<u64>,
    with_sum: Vec<[f64; 2]>,
}

impl Tally {
    fn new(k: usize) -> Tally {
        Tally {
            n: 0,
            sum: [0.0; 4],
            with_n: vec![0; k],
            with_sum: vec![[0.0; 2]; k],
        }
    }

    fn add(&mut self, b: &Block) -> u64 {
        let mut failed = 0;
        for (row, f) in b.fits.iter().enumerate() {
            if !f.is_fitted() {
                failed += 1;
                continue;
            }
            self.n += 1;
            self.sum[0] += f.estimate;
            self.sum[1] += f.estimate * f.estimate;
            self.sum[2] += f.i2;
            self.sum[3] += f.i2 * f.i2;
            for j in b.members(row) {
                self.with_n[j] += 1;
                self.with_sum[j][0] += f.estimate;
                self.with_sum[j][1] += f.i2;
            }
        }
        failed
    }

    fn separation(&self) -> Vec<StudySeparation> {
        let n = self.n as f64;
        let sd = |s: f64, s2: f64| ((s2 - s * s / n) / (n - 1.0)).max(0.0).sqrt();
        let (sd_e, sd_i) = (sd(self.sum[0], self.sum[1]), sd(self.sum[2], self.sum[3]));
        let scaled = |d: f64, s: f64| if s > 0.0 { d / s } else { 0.0 };
        (0..self.with_n.len())
            .map(|j| {
                let (w, o) = (self.with_n[j], self.n - self.with_n[j]);
                let [se, si] = self.with_sum[j];
                let with_mean = (se / w as f64, si / w as f64);
                let without_mean = ((self.sum[0] - se) / o as f64, (self.sum[2] - si) / o as f64);
                let distance = if w > 0 && o > 0 {
                    scaled(with_mean.0 - without_mean.0, sd_e)
                        .hypot(scaled(with_mean.1 - without_mean.1, sd_i))
                } else {
                    f64::NAN
                };
                StudySeparation {
                    with: w,
                    with_mean,
                    without: o,
                    without_mean,
                    distance,
                }
            })
            .collect()
    }
}

/// Where subset i of an exhaustive run starts: its size and its rank among
/// the subsets of that size.
fn locate(k: usize, mut index: u64) -> (usize, u64) {
    let mut m = 1;
    while let Some(c) = binomial(k, m).filter(|c| index >= *c && m < k) {
        index -= c;
        m += 1;
    }
    (m, index)
}

/// The combination of rank `rank` in colexicographic order, ascending.
fn unrank(m: usize, mut rank: u64, c: &mut Vec<usize>) {
    c.clear();
    c.resize(m, 0);
    for i in (1..=m).rev() {
        // The largest x with C(x, i) ≤ rank.
        let mut x = i - 1;
        while binomial(x + 1, i).is_some_and(|b| b <= rank) {
            x += 1;
        }
        rank -= binomial(x, i).unwrap_or(0);
        c[i - 1] = x;
    }
}

/// The next combination of the same size in colexicographic order; false
/// after the last.
fn next_combination(c: &mut [usize], k: usize) -> bool {
    let m = c.len();
    for i in 0..m {
        let limit = if i + 1 < m { c[i + 1] } else { k };
        if c[i] + 1 < limit {
            c[i] += 1;
            for (j, x) in c[..i].iter_mut().enumerate() {
                *x = j;
            }
            return true;
        }
    }
    false
}

/// One thread's scratch.
struct Worker {
    y: Vec<f64>,
    v: Vec<f64>,
    w: Vec<f64>,
    comb: Vec<usize>,
}

/// Fits the model to the subsets in `members` (`words` words a row).
fn fit_rows(
    yi: &[f64],
    vi: &[f64],
    opts: &FitOptions,
    words: usize,
    members: &[u64],
    s: &mut Worker,
) -> Vec<SubsetFit> {
    members
        .chunks(words)
        .map(|row| {
            s.y.clear();
            s.v.clear();
            for (i, &w) in row.iter().enumerate() {
                let mut w = w;
                while w != 0 {
                    let j = i * 64 + w.trailing_zeros() as usize;
                    w &= w - 1;
                    s.y.push(yi[j]);
                    s.v.push(vi[j]);
                }
            }
            let k = s.y.len();
            if k == 1 {
                return SubsetFit {
                    k,
                    estimate: s.y[0],
                    q: 0.0,
                    i2: 0.0,
                    h2: 1.0,
                    tau2: 0.0,
                };
            }
            let mut kern = InterceptOnly {
                y: &s.y,
                v: &s.v,
                w: &mut s.w[..k],
            };
            match refit::refit(&mut kern, opts, true) {
                Ok(r) => SubsetFit {
                    k,
                    estimate: r.at.extra,
                    q: r.q,
                    i2: r.i2,
                    h2: r.h2,
                    tau2: r.tau2,
                },
                Err(_) => SubsetFit {
                    k,
                    estimate: f64::NAN,
                    q: f64::NAN,
                    i2: f64::NAN,
                    h2: f64::NAN,
                    tau2: f64::NAN,
                },
            }
        })
        .collect()
}

/// Writes the subsets `range` of the run into `members`.
fn draw_members(
    subsets: Subsets,
    k: usize,
    words: usize,
    range: std::ops::Range<u64>,
    comb: &mut Vec<usize>,
    members: &mut [u64],
) {
    match subsets {
        Subsets::All { .. } => {
            let (mut m, rank) = locate(k, range.start);
            unrank(m, rank, comb);
            for row in members.chunks_mut(words) {
                for &j in comb.iter() {
                    row[j / 64] |= 1 << (j % 64);
                }
                if !next_combination(comb, k) {
                    m += 1;
                    comb.clear();
                    comb.extend(0..m.min(k));
                }
            }
        }
        Subsets::Random { seed, .. } => {
            let top = k % 64;
            for (i, row) in range.zip(members.chunks_mut(words)) {
                let mut s = Stream::new(seed, i);
                loop {
                    for (wi, w) in row.iter_mut().enumerate() {
                        let bits = s.next_u64();
                        *w = if wi + 1 == words && top != 0 {
                            bits & ((1 << top) - 1)
                        } else {
                            bits
                        };
                    }
                    if row.iter().any(|w| *w != 0) {
                        break;
                    }
                }
            }
        }
    }
}

/// Fits the intercept-only model of `yi`, `vi` with `opts` to each subset of
/// `subsets` (metafor `gosh()`), handing the fits to `sink` block by block in
/// index order, and returns the run's summary. k ≥ 2 and valid data are the
/// caller's ([`crate::RmaFit::gosh`] checks them). Progress and
/// cancellation go through `hooks`; an error from `sink` stops the run.
///
/// ```
/// use rema_core::resample::{gosh::{gosh, Subsets}, Hooks};
/// use rema_core::{FitOptions, Method};
/// # fn main() -> rema_core::Result<()> {
/// let (yi, vi) = ([0.1, 0.5, -0.2, 0.3], [0.02, 0.05, 0.03, 0.04]);
/// let mut rows = Vec::new();
/// let run = gosh(&yi, &vi, &FitOptions::new(Method::Dl), Subsets::All { max_size: None },
///     &Hooks::default(), &mut |b| { rows.extend_from_slice(b.fits()); Ok(()) })?;
/// assert_eq!((run.count, rows.len()), (15, 15));
/// // Row 0 is study 1 alone; the last row is the whole data set.
/// assert_eq!((rows[0].k, rows[0].estimate, rows[0].q), (1, 0.1, 0.0));
/// assert_eq!(rows[14].k, 4);
/// # Ok(())
/// # }
/// ```
pub fn gosh(
    yi: &[f64],
    vi: &[f64],
    opts: &FitOptions,
    subsets: Subsets,
    hooks: &Hooks,
    sink: &mut dyn FnMut(&Block) -> Result<()>,
) -> Result<Gosh> {
    let k = yi.len();
    if k < 2 || vi.len() != k {
        return Err(Error::TooFewStudies {
            what: "GOSH",
            needed: 2,
            k,
        });
    }
    let total = subsets.count(k)?;
    let words = k.div_ceil(64);
    let mut tally = Tally::new(k);
    let mut failed = 0;
    let mut start = 0;
    while start < total {
        let end = (start + WAVE).min(total);
        let blocks = par_blocks(
            start..end,
            total,
            hooks,
            || Worker {
                y: Vec::with_capacity(k),
                v: Vec::with_capacity(k),
                w: vec![0.0; k],
                comb: Vec::with_capacity(k),
            },
            |s, r| {
                let mut members = vec![0u64; (r.end - r.start) as usize * words];
                draw_members(subsets, k, words, r.clone(), &mut s.comb, &mut members);
                let fits = fit_rows(yi, vi, opts, words, &members, s);
                Block {
                    first: r.start,
                    words,
                    fits,
                    members,
                }
            },
        )?;
        for b in &blocks {
            failed += tally.add(b);
            sink(b)?;
        }
        start = end;
    }
    let studies = tally.separation();
    let most_influential = studies
        .iter()
        .enumerate()
        .filter(|(_, s)| s.distance.is_finite())
        .fold(None::<(usize, f64)>, |best, (j, s)| match best {
            Some((_, d)) if d >= s.distance => best,
            _ => Some((j, s.distance)),
        })
        .map(|(j, _)| j);
    let mut notes = Vec::new();
    if failed > 0 {
        notes.push(format!(
            "the {} fit failed for {failed} of {total} subsets (Fisher scoring did not converge); their rows are empty and they are left out of the figure, as metafor's gosh() leaves them NA",
            opts.method
        ));
    }
    if let Subsets::Random { seed, .. } = subsets {
        notes.push(format!(
            "{total} subsets drawn at random (seed {seed}), each study in a subset with probability 1/2"
        ));
    }
    Ok(Gosh {
        method: opts.method,
        k,
        subsets,
        count: total,
        failed,
        studies,
        most_influential,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exhaustive_order_is_metafors() {
        // By size, then by the binary number of the members.
        let k = 5;
        let n = Subsets::All { max_size: None }.count(k).unwrap();
        let mut comb = Vec::new();
        let mut members = vec![0u64; n as usize];
        draw_members(
            Subsets::All { max_size: None },
            k,
            1,
            0..n,
            &mut comb,
            &mut members,
        );
        let mut expected: Vec<u64> = (1..32u64).collect();
        expected.sort_by_key(|m| (m.count_ones(), *m));
        assert_eq!(members, expected);
        // A block that starts mid-run unranks its first subset.
        for start in 0..n {
            let mut part = vec![0u64; (n - start) as usize];
            draw_members(
                Subsets::All { max_size: None },
                k,
                1,
                start..n,
                &mut comb,
                &mut part,
            );
            assert_eq!(part, expected[start as usize..]);
        }
    }

    #[test]
    fn counts_refuse_what_cannot_run() {
        assert!(matches!(
            Subsets::All { max_size: None }.count(64),
            Err(Error::InvalidOption {
                option: "subsets",
                ..
            })
        ));
        assert!(matches!(
            Subsets::All { max_size: Some(0) }.count(5),
            Err(Error::InvalidOption {
                option: "max_size",
                ..
            })
        ));
        assert_eq!(Subsets::All { max_size: Some(2) }.count(100).unwrap(), 5050);
        assert!(Subsets::Random { count: 0, seed: 1 }.count(5).is_err());
    }

    #[test]
    fn random_subsets_span_more_than_64_studies() {
        let k = 70;
        let mut members = vec![0u64; 2 * 50];
        let mut comb = Vec::new();
        let s = Subsets::Random { count: 50, seed: 3 };
        draw_members(s, k, 2, 0..50, &mut comb, &mut members);
        for row in members.chunks(2) {
            assert!(row[1] >> 6 == 0 && (row[0] != 0 || row[1] != 0));
        }
        assert!(members.chunks(2).any(|r| r[1] != 0));
    }
}

#[cfg(test)]
mod threads {
    use super::*;

    /// A row: its index, its members' words, the bits of its five values.
    type Row = (u64, Vec<u64>, [u64; 5]);

    /// Every row and the summary, run on a pool of `threads`.
    fn run_on(threads: usize, subsets: Subsets) -> (Vec<Row>, Gosh) {
        let k = 14;
        let yi: Vec<f64> = (0..k).map(|i| ((i * 7 % 5) as f64 - 2.0) / 3.0).collect();
        let vi: Vec<f64> = (0..k).map(|i| 0.03 + (i % 4) as f64 / 20.0).collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut rows = Vec::new();
        let g = pool
            .install(|| {
                gosh(
                    &yi,
                    &vi,
                    &FitOptions::new(Method::Reml),
                    subsets,
                    &Hooks::default(),
                    &mut |b| {
                        for (i, f) in b.fits().iter().enumerate() {
                            let bits = [f.estimate, f.q, f.i2, f.h2, f.tau2].map(f64::to_bits);
                            let m = b.members[i * b.words..(i + 1) * b.words].to_vec();
                            rows.push((b.first() + i as u64, m, bits));
                        }
                        Ok(())
                    },
                )
            })
            .unwrap();
        (rows, g)
    }

    #[test]
    fn bit_identical_at_any_thread_count() {
        for subsets in [
            Subsets::All { max_size: None },
            Subsets::Random {
                count: 3000,
                seed: 5,
            },
        ] {
            let (one, g1) = run_on(1, subsets);
            let (three, g3) = run_on(3, subsets);
            assert_eq!(one, three);
            assert_eq!(g1, g3);
            assert!(one.windows(2).all(|w| w[1].0 == w[0].0 + 1));
        }
    }
}
