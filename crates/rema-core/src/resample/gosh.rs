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

mod moment;

use super::refit;
use super::rng::Stream;
use super::{par_blocks_into, Blocks, Hooks};
use crate::error::{Error, Result};
use crate::fit::FitOptions;
use crate::linalg::Design;
use crate::tau2::kernel::general::{General, Workspace};
use crate::tau2::kernel::intercept::InterceptOnly;
use crate::tau2::Method;

/// Subsets fitted per wave: the most rows held at once.
pub const WAVE: u64 = 1 << 17;

/// Subsets per block. Fixed, not cut to the thread count, because each
/// block also sums its rows for the study summary ([`Gosh::studies`]) and
/// the blocks' sums are then added in block order: the same blocks at any
/// thread count give the same sums.
const BLOCK: u64 = 1024;

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
        Subsets::at_most_for(count, seed, k, 1)
    }

    /// [`Subsets::at_most`] for a model with `p` coefficients, whose
    /// subsets hold at least p studies (metafor counts Σ_{m=p}^{k} C(k, m)).
    pub fn at_most_for(count: u64, seed: u64, k: usize, p: usize) -> Subsets {
        let all = Subsets::All { max_size: None };
        match all.count_from(k, p) {
            Ok(n) if n <= count => all,
            _ => Subsets::Random { count, seed },
        }
    }

    /// metafor's default: `at_most(10^6, ..)`.
    pub fn metafor_default(k: usize, seed: u64) -> Subsets {
        Subsets::at_most(1_000_000, seed, k)
    }

    /// metafor's default for a model with `p` coefficients.
    pub fn metafor_default_for(k: usize, p: usize, seed: u64) -> Subsets {
        Subsets::at_most_for(1_000_000, seed, k, p)
    }

    /// The number of subsets fitted for k studies; an error naming
    /// `subsets` or `max_size` when it is 0 or above [`MAX_SUBSETS`].
    pub fn count(self, k: usize) -> Result<u64> {
        self.count_from(k, 1)
    }

    /// The number of subsets fitted for k studies and a model with `p`
    /// coefficients (subsets of at least p studies, as metafor).
    pub fn count_from(self, k: usize, p: usize) -> Result<u64> {
        let p = p.max(1);
        match self {
            Subsets::All { max_size } => {
                let top = max_size.unwrap_or(k).min(k);
                if top < p {
                    return Err(Error::InvalidOption {
                        option: "max_size",
                        message: if p == 1 {
                            "the largest subset must hold at least 1 study".to_string()
                        } else {
                            format!("the largest subset must hold at least {p} studies, one per coefficient of the model")
                        },
                    });
                }
                let mut total: u64 = 0;
                for m in p..=top {
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
    p: usize,
    fits: Vec<SubsetFit>,
    /// p coefficients a row with moderators; empty without.
    coefs: Vec<f64>,
    members: Vec<u64>,
    part: Tally,
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

    /// The coefficients of row `row` (intercept first, as the design's
    /// columns); for the model without moderators the estimate alone. NaN
    /// where the fit failed.
    pub fn coefficients(&self, row: usize) -> &[f64] {
        if self.coefs.is_empty() {
            std::slice::from_ref(&self.fits[row].estimate)
        } else {
            &self.coefs[row * self.p..(row + 1) * self.p]
        }
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
    /// The number of coefficients p (1 without moderators).
    pub p: usize,
    /// The subsets fitted.
    pub subsets: Subsets,
    /// Their number.
    pub count: u64,
    /// Fits that failed (their rows are NaN), besides the rank-deficient
    /// subsets: no convergence, or (random effects) a subset of p studies.
    pub failed: u64,
    /// Subsets whose design is rank deficient (their rows are NaN).
    pub rank_deficient: u64,
    /// One entry per study.
    pub studies: Vec<StudySeparation>,
    /// The study with the largest distance, if any distance is defined.
    pub most_influential: Option<usize>,
    /// What the run did that a reader should know, in words.
    pub notes: Vec<String>,
}

/// Sums over the fitted subsets of a block, or of the run so far: their
/// number, Σ estimate, Σ estimate², Σ I², Σ (I²)², and per study the number,
/// Σ estimate and Σ I² of those that contain it. A block's overall sums are
/// taken in four interleaved row lanes (rows r ≡ t mod 4), the lanes then
/// added ((t₀ + t₁) + (t₂ + t₃)); its per-study sums (k ≤ 64) through tables
/// indexed by each nibble of the members; the run adds the blocks' sums in
/// block order.
#[derive(Debug, Clone, Default)]
struct Tally {
    n: u64,
    failed: u64,
    sum: [f64; 4],
    with_n: Vec<u64>,
    with_e: Vec<f64>,
    with_i: Vec<f64>,
}

/// Row lanes of a block's sums.
const ROW_LANES: usize = 4;

/// `x` where `on` is all ones, −0.0 (which adds nothing) where it is zero.
#[inline(always)]
fn pick(x: f64, on: u64) -> f64 {
    const NEG0: u64 = 0x8000_0000_0000_0000;
    f64::from_bits(((x.to_bits() ^ NEG0) & on) ^ NEG0)
}

/// The four lanes of a sum, added.
#[inline(always)]
fn fold(a: [f64; ROW_LANES]) -> f64 {
    (a[0] + a[1]) + (a[2] + a[3])
}

impl Tally {
    fn new(k: usize) -> Tally {
        Tally {
            n: 0,
            failed: 0,
            sum: [0.0; 4],
            with_n: vec![0; k],
            with_e: vec![0.0; k],
            with_i: vec![0.0; k],
        }
    }

    /// The sums of one block's rows (`words` words of members a row).
    fn of_block(k: usize, words: usize, fits: &[SubsetFit], members: &[u64]) -> Tally {
        let mut t = Tally::new(k);
        let zero: f64 = std::iter::empty::<f64>().sum();
        let rows = fits.len().div_ceil(ROW_LANES) * ROW_LANES;
        // The block as columns padded to whole lanes; a failed fit and the
        // padding have no members and add −0.0.
        let mut e = vec![zero; rows];
        let mut i2 = vec![zero; rows];
        let mut fitted = vec![0u64; rows];
        for (r, f) in fits.iter().enumerate() {
            if f.is_fitted() {
                (e[r], i2[r], fitted[r]) = (f.estimate, f.i2, u64::MAX);
            } else {
                t.failed += 1;
            }
        }
        t.n = fits.len() as u64 - t.failed;
        let mut acc = [[zero; ROW_LANES]; 4];
        for r in (0..rows).step_by(ROW_LANES) {
            for l in 0..ROW_LANES {
                let (x, y, on) = (e[r + l], i2[r + l], fitted[r + l]);
                acc[0][l] += pick(x, on);
                acc[1][l] += pick(x * x, on);
                acc[2][l] += pick(y, on);
                acc[3][l] += pick(y * y, on);
            }
        }
        t.sum = acc.map(fold);
        if words == 1 {
            // Up to 64 studies: each nibble of a row's members indexes a
            // table of 16 sums (four copies, row r in copy r mod 4, so
            // that consecutive rows add to different cells); study 4q + b
            // is then the sum of the cells of nibble q with bit b set.
            const COPIES: usize = 4;
            let nibbles = k.div_ceil(4);
            let cells = nibbles * 16 * COPIES;
            let (mut te, mut ti, mut tn) =
                (vec![zero; cells], vec![zero; cells], vec![0u64; cells]);
            for (r, (f, &m)) in fits.iter().zip(members).enumerate() {
                if !f.is_fitted() {
                    continue;
                }
                let c = r % COPIES;
                for q in 0..nibbles {
                    let at = ((q * 16 + ((m >> (4 * q)) & 15) as usize) * COPIES) + c;
                    te[at] += f.estimate;
                    ti[at] += f.i2;
                    tn[at] += 1;
                }
            }
            for j in 0..k {
                let (q, b) = (j / 4, j % 4);
                let (mut se, mut si, mut sn) = (zero, zero, 0u64);
                for v in (0..16usize).filter(|v| v >> b & 1 == 1) {
                    for c in 0..COPIES {
                        let at = (q * 16 + v) * COPIES + c;
                        se += te[at];
                        si += ti[at];
                        sn += tn[at];
                    }
                }
                t.with_e[j] = se;
                t.with_i[j] = si;
                t.with_n[j] = sn;
            }
        } else {
            // More than 64 studies: row by row, member by member.
            for (r, f) in fits.iter().enumerate() {
                if !f.is_fitted() {
                    continue;
                }
                let row = &members[r * words..(r + 1) * words];
                for (wi, &w) in row.iter().enumerate() {
                    let mut w = w;
                    while w != 0 {
                        let j = wi * 64 + w.trailing_zeros() as usize;
                        w &= w - 1;
                        t.with_n[j] += 1;
                        t.with_e[j] += f.estimate;
                        t.with_i[j] += f.i2;
                    }
                }
            }
        }
        t
    }

    /// Adds a block's sums.
    fn add(&mut self, b: &Tally) {
        self.n += b.n;
        self.failed += b.failed;
        for (s, x) in self.sum.iter_mut().zip(b.sum) {
            *s += x;
        }
        for j in 0..self.with_n.len() {
            self.with_n[j] += b.with_n[j];
            self.with_e[j] += b.with_e[j];
            self.with_i[j] += b.with_i[j];
        }
    }

    fn separation(&self) -> Vec<StudySeparation> {
        let n = self.n as f64;
        let sd = |s: f64, s2: f64| ((s2 - s * s / n) / (n - 1.0)).max(0.0).sqrt();
        let (sd_e, sd_i) = (sd(self.sum[0], self.sum[1]), sd(self.sum[2], self.sum[3]));
        let scaled = |d: f64, s: f64| if s > 0.0 { d / s } else { 0.0 };
        (0..self.with_n.len())
            .map(|j| {
                let (w, o) = (self.with_n[j], self.n - self.with_n[j]);
                let (se, si) = (self.with_e[j], self.with_i[j]);
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
fn locate(k: usize, smallest: usize, mut index: u64) -> (usize, u64) {
    let mut m = smallest;
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
    smallest: usize,
    words: usize,
    range: std::ops::Range<u64>,
    comb: &mut Vec<usize>,
    members: &mut [u64],
) {
    match subsets {
        Subsets::All { .. } if words == 1 => {
            // Up to 64 studies: the next subset of m in colexicographic
            // order is the next larger number with m bits set (Gosper's
            // hack), after the last one the m + 1 lowest bits.
            let (mut m, rank) = locate(k, smallest, range.start);
            unrank(m, rank, comb);
            let mut x: u64 = comb.iter().map(|&j| 1u64 << j).sum();
            for row in members.iter_mut() {
                *row = x;
                let c = x & x.wrapping_neg();
                let r = x.wrapping_add(c);
                if r == 0 || (k < 64 && r >> k != 0) {
                    m = (m + 1).min(k);
                    x = u64::MAX >> (64 - m);
                } else {
                    x = r | (((x ^ r) >> 2) >> c.trailing_zeros());
                }
            }
        }
        Subsets::All { .. } => {
            let (mut m, rank) = locate(k, smallest, range.start);
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
                    if row.iter().map(|w| w.count_ones() as usize).sum::<usize>() >= smallest {
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
    run(yi, vi, None, opts, subsets, hooks, sink)
}

/// [`gosh`] for the mixed-effects model with design `x` (k × p, p ≥ 2;
/// metafor `gosh()` of `rma(yi, vi, mods = ...)`): every subset of at least
/// p studies (Σ_{m=p}^{k} C(k, m) of them, as metafor) or `count` random
/// subsets redrawn while they hold fewer than p studies. Each row has τ̂²,
/// Q, I², H² and every coefficient ([`Block::coefficients`]);
/// [`SubsetFit::estimate`] is coefficient `focus`, which the study summary
/// follows. A subset whose design is rank deficient (a moderator constant,
/// or a combination of others, among its studies: modified Gram–Schmidt,
/// a residual below 1e-7 of the column's norm, the tolerance of R's `qr`)
/// is kept with NaN values, as metafor's `gosh()` keeps a fit with a
/// dropped coefficient as `NA`; so is a subset of exactly p studies under a
/// random-effects model (k − p = 0: rma() stops) and a fit that fails. The
/// counts are in [`Gosh::rank_deficient`], [`Gosh::failed`] and the notes.
///
/// ```
/// use rema_core::resample::{gosh::{gosh_with_moderators, Subsets}, Hooks};
/// use rema_core::{Design, FitOptions, Method};
/// # fn main() -> rema_core::Result<()> {
/// let (yi, vi) = ([0.1, 0.5, -0.2, 0.3], [0.02, 0.05, 0.03, 0.04]);
/// let x = Design::from_row_major(4, 2, vec![1., 1., 1., 2., 1., 2., 1., 3.]).unwrap();
/// let mut slopes = Vec::new();
/// let run = gosh_with_moderators(&yi, &vi, &x, &FitOptions::new(Method::Fe),
///     Subsets::All { max_size: None }, 1, &Hooks::default(),
///     &mut |b| { (0..b.fits().len()).for_each(|i| slopes.push(b.coefficients(i)[1])); Ok(()) })?;
/// // The 6 pairs, 4 triples and the whole set; studies 2 and 3 share x = 2.
/// assert_eq!((run.count, run.rank_deficient), (11, 1));
/// assert!(slopes[2].is_nan()); // row 3 is studies 2 and 3
/// # Ok(())
/// # }
/// ```
#[allow(clippy::too_many_arguments)]
pub fn gosh_with_moderators(
    yi: &[f64],
    vi: &[f64],
    x: &Design,
    opts: &FitOptions,
    subsets: Subsets,
    focus: usize,
    hooks: &Hooks,
    sink: &mut dyn FnMut(&Block) -> Result<()>,
) -> Result<Gosh> {
    let p = x.cols();
    if x.rows() != yi.len() {
        return Err(Error::LengthMismatch {
            what: format!("{} studies but {} rows of moderators", yi.len(), x.rows()),
        });
    }
    if focus >= p {
        return Err(Error::InvalidOption {
            option: "focus",
            message: format!(
                "coefficient {focus} of a model with {p}: give 0 to {}",
                p - 1
            ),
        });
    }
    if x.is_intercept_only() {
        return gosh(yi, vi, opts, subsets, hooks, sink);
    }
    x.check_finite()?;
    run(yi, vi, Some((x, focus)), opts, subsets, hooks, sink)
}

/// One thread's scratch for the general fits.
struct Worker {
    y: Vec<f64>,
    v: Vec<f64>,
    w: Vec<f64>,
    comb: Vec<usize>,
    idx: Vec<usize>,
    basis: Vec<f64>,
    ws: Option<Workspace>,
}

/// Why a row of a run with moderators has no fit.
#[derive(Debug, Clone, Copy, Default)]
struct Missing {
    rank_deficient: u64,
    too_few: u64,
}

/// True when a column of `x` is (numerically) a linear combination of the
/// columns before it: modified Gram–Schmidt in column order, a residual at
/// most 1e-7 of the column's norm counting as zero (as rema-data's check of
/// the whole design, the tolerance of R's `qr`). `basis` is scratch.
fn rank_deficient(x: &Design, basis: &mut Vec<f64>) -> bool {
    let (k, p) = (x.rows(), x.cols());
    basis.clear();
    basis.resize(k * p, 0.0);
    for j in 0..p {
        let (done, rest) = basis.split_at_mut(j * k);
        let r = &mut rest[..k];
        for (i, ri) in r.iter_mut().enumerate() {
            *ri = x.row(i)[j];
        }
        let norm = r.iter().map(|v| v * v).sum::<f64>().sqrt();
        for q in done.chunks(k) {
            let dot: f64 = r.iter().zip(q).map(|(a, b)| a * b).sum();
            for (a, qv) in r.iter_mut().zip(q) {
                *a -= dot * qv;
            }
        }
        let rn = r.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm == 0.0 || rn <= 1e-7 * norm {
            return true;
        }
        r.iter_mut().for_each(|a| *a /= rn);
    }
    false
}

/// Fits the mixed-effects model with design `x` to the subsets in `members`
/// (`words` words a row), through the general kernel as
/// `fit_with_moderators` (bit for bit), the p coefficients of row i into
/// `coefs[i·p..]`, coefficient `focus` as the row's estimate.
#[allow(clippy::too_many_arguments)]
fn fit_rows_mods(
    yi: &[f64],
    vi: &[f64],
    x: &Design,
    focus: usize,
    opts: &FitOptions,
    words: usize,
    members: &[u64],
    s: &mut Worker,
    coefs: &mut [f64],
    missing: &mut Missing,
) -> Vec<SubsetFit> {
    let p = x.cols();
    let ws = s.ws.get_or_insert_with(|| Workspace::new(yi.len(), p));
    members
        .chunks(words)
        .zip(coefs.chunks_mut(p))
        .map(|(row, c)| {
            s.idx.clear();
            for (i, &w) in row.iter().enumerate() {
                let mut w = w;
                while w != 0 {
                    s.idx.push(i * 64 + w.trailing_zeros() as usize);
                    w &= w - 1;
                }
            }
            let m = s.idx.len();
            let failed = SubsetFit {
                k: m,
                estimate: f64::NAN,
                q: f64::NAN,
                i2: f64::NAN,
                h2: f64::NAN,
                tau2: f64::NAN,
            };
            c.iter_mut().for_each(|b| *b = f64::NAN);
            let xs = x.select_rows(&s.idx);
            if rank_deficient(&xs, &mut s.basis) {
                missing.rank_deficient += 1;
                return failed;
            }
            if opts.method.is_random() && m <= p {
                missing.too_few += 1;
                return failed;
            }
            s.y.clear();
            s.v.clear();
            s.y.extend(s.idx.iter().map(|&j| yi[j]));
            s.v.extend(s.idx.iter().map(|&j| vi[j]));
            let mut kern = General::new(&s.y, &s.v, &xs, ws);
            let Ok(r) = refit::refit(&mut kern, opts, true) else {
                return failed;
            };
            if !kern.solve_at(r.tau2) {
                return failed;
            }
            c.copy_from_slice(kern.beta());
            // k = p: no residual degrees of freedom, Q = 0, I² = 0, H² = 1
            // (fit_with_moderators, metafor).
            let (q, i2, h2) = if m > p {
                (r.q, r.i2, r.h2)
            } else {
                (0.0, 0.0, 1.0)
            };
            SubsetFit {
                k: m,
                estimate: c[focus],
                q,
                i2,
                h2,
                tau2: r.tau2,
            }
        })
        .collect()
}

/// A run with or without a design (and the coefficient it follows).
fn run(
    yi: &[f64],
    vi: &[f64],
    mods: Option<(&Design, usize)>,
    opts: &FitOptions,
    subsets: Subsets,
    hooks: &Hooks,
    sink: &mut dyn FnMut(&Block) -> Result<()>,
) -> Result<Gosh> {
    let k = yi.len();
    let p = mods.map_or(1, |(x, _)| x.cols());
    let needed = if mods.is_some() { p + 1 } else { 2 };
    if k < needed || vi.len() != k {
        return Err(Error::TooFewStudies {
            what: "GOSH",
            needed,
            k,
        });
    }
    let total = subsets.count_from(k, p)?;
    let words = k.div_ceil(64);
    let moments = match mods {
        None => moment::Moments::new(yi, vi, opts.method),
        Some(_) => None,
    };
    let mut tally = Tally::new(k);
    let mut missing = Missing::default();
    let mut start = 0;
    while start < total {
        let end = (start + WAVE).min(total);
        let plan = Blocks::of_size(start..end, BLOCK);
        let blocks = par_blocks_into(
            &plan,
            total,
            hooks,
            vec![(); plan.count],
            || Worker {
                y: Vec::with_capacity(k),
                v: Vec::with_capacity(k),
                w: vec![0.0; k],
                comb: Vec::with_capacity(k),
                idx: Vec::with_capacity(k),
                basis: Vec::new(),
                ws: None,
            },
            |s, r, ()| {
                let rows = (r.end - r.start) as usize;
                let mut members = vec![0u64; rows * words];
                draw_members(subsets, k, p, words, r.clone(), &mut s.comb, &mut members);
                let mut miss = Missing::default();
                let (fits, coefs) = match (mods, &moments) {
                    (Some((x, focus)), _) => {
                        let mut coefs = vec![0.0; rows * p];
                        let fits = fit_rows_mods(
                            yi, vi, x, focus, opts, words, &members, s, &mut coefs, &mut miss,
                        );
                        (fits, coefs)
                    }
                    (None, Some(mo)) => (mo.fit(&members), Vec::new()),
                    (None, None) => (fit_rows(yi, vi, opts, words, &members, s), Vec::new()),
                };
                let part = Tally::of_block(k, words, &fits, &members);
                (
                    Block {
                        first: r.start,
                        words,
                        p,
                        fits,
                        coefs,
                        members,
                        part,
                    },
                    miss,
                )
            },
        )?;
        for (b, miss) in &blocks {
            tally.add(&b.part);
            missing.rank_deficient += miss.rank_deficient;
            missing.too_few += miss.too_few;
            sink(b)?;
        }
        start = end;
    }
    let failed = tally.failed - missing.rank_deficient;
    let not_converged = failed - missing.too_few;
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
    if missing.rank_deficient > 0 {
        notes.push(format!(
            "{} of {total} subsets have a rank-deficient design (a moderator constant, or a combination of others, among their studies); their rows are empty and they are left out of the figure, as metafor's gosh() leaves a fit with a dropped coefficient NA",
            missing.rank_deficient
        ));
    }
    if missing.too_few > 0 {
        notes.push(format!(
            "{} of {total} subsets hold exactly {p} studies, one per coefficient: the {} model cannot estimate tau^2 from them (k - p = 0), so their rows are empty, as metafor's gosh() leaves them NA",
            missing.too_few, opts.method
        ));
    }
    if not_converged > 0 {
        notes.push(format!(
            "the {} fit failed for {not_converged} of {total} subsets (Fisher scoring did not converge); their rows are empty and they are left out of the figure, as metafor's gosh() leaves them NA",
            opts.method
        ));
    }
    if let Subsets::Random { seed, .. } = subsets {
        notes.push(if p == 1 {
            format!("{total} subsets drawn at random (seed {seed}), each study in a subset with probability 1/2")
        } else {
            format!("{total} subsets drawn at random (seed {seed}), each study in a subset with probability 1/2, redrawn while a subset holds fewer than {p} studies")
        });
    }
    Ok(Gosh {
        method: opts.method,
        k,
        p,
        subsets,
        count: total,
        failed,
        rank_deficient: missing.rank_deficient,
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
        draw_members(s, k, 1, 2, 0..50, &mut comb, &mut members);
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
