//! The simulated pseudo-confidence envelope of a normal Q–Q plot of the
//! residuals of an intercept-only model, as metafor 3.8-1
//! `qqnorm.rma.uni(res, envelope = TRUE, level, bonferroni, reps, smooth,
//! bass)` draws it (Wang & Bushman 1998, Psychological Methods 3:46–54).
//!
//! Each of `reps` replicates draws z ~ N(0, I_k) and forms the residuals
//! e = (I − H)z of the model's hat matrix H = 1wᵀ/Σw (wᵢ = 1/(vᵢ + τ²), the
//! intercept-only model's `hatvalues(res, type = "matrix")`), sorted. For
//! each order statistic i the envelope is its empirical α/2 and 1 − α/2
//! quantiles over the replicates (R's `quantile` type 7), α = 1 − level/100,
//! or α/(2k) and 1 − α/(2k) with `bonferroni`; they are drawn against the
//! normal quantiles Φ⁻¹((i − a)/(k + 1 − 2a)) (R's `ppoints`, a = 3/8 for
//! k ≤ 10, else 1/2), and with `smooth` passed through Friedman's super
//! smoother with `bass` (R `supsmu`, see [`crate::supsmu`]).
//!
//! Replicate j draws from the stream (seed, j) of [`super::rng`], so the
//! envelope depends on the seed and the number of replicates only, never on
//! threads. metafor draws with R's generator, so the two agree in
//! distribution, not draw for draw.

use super::rng::Stream;
use crate::dist::norm_quantile;
use crate::error::{Error, Result};

/// The options of the envelope (metafor's arguments of `qqnorm.rma.uni`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QqEnvelopeOptions {
    /// The level in percent (metafor `level`, the model's, usually 95).
    pub level: f64,
    /// The number of simulated residual vectors (metafor `reps`, 1000).
    pub reps: usize,
    /// Bonferroni-corrected bounds (metafor `bonferroni`, false).
    pub bonferroni: bool,
    /// Smooth the bounds with the super smoother (metafor `smooth`, true).
    pub smooth: bool,
    /// The smoother's bass control (metafor `bass`, 0).
    pub bass: f64,
    /// The seed of the replicates.
    pub seed: u64,
}

impl Default for QqEnvelopeOptions {
    fn default() -> QqEnvelopeOptions {
        QqEnvelopeOptions {
            level: 95.0,
            reps: 1000,
            bonferroni: false,
            smooth: true,
            bass: 0.0,
            seed: 1,
        }
    }
}

/// The envelope: its bounds at each normal quantile.
#[derive(Debug, Clone, PartialEq)]
pub struct QqEnvelope {
    /// The normal quantiles of the k order statistics (R `qnorm(ppoints(k))`).
    pub x: Vec<f64>,
    /// The lower bound at each (smoothed when asked).
    pub lower: Vec<f64>,
    /// The upper bound at each.
    pub upper: Vec<f64>,
    /// The options it was computed with.
    pub options: QqEnvelopeOptions,
}

/// The envelope of the Q–Q plot of an intercept-only model with weights
/// `weights` (1/(vᵢ + τ²)).
///
/// ```
/// use rema_core::resample::qq_envelope::{qq_envelope, QqEnvelopeOptions};
/// let w = [10.0, 4.0, 25.0, 8.0, 12.0, 5.0, 30.0];
/// let opts = QqEnvelopeOptions { reps: 2000, seed: 7, ..QqEnvelopeOptions::default() };
/// let e = qq_envelope(&w, &opts).unwrap();
/// assert_eq!(e.x.len(), 7);
/// assert!(e.lower.iter().zip(&e.upper).all(|(l, u)| l < u));
/// assert_eq!(e, qq_envelope(&w, &opts).unwrap()); // the seed fixes it
/// ```
pub fn qq_envelope(weights: &[f64], opts: &QqEnvelopeOptions) -> Result<QqEnvelope> {
    let k = weights.len();
    if k < 2 {
        return Err(Error::TooFewStudies {
            k,
            needed: 2,
            what: "a Q-Q envelope",
        });
    }
    if let Some(i) = weights.iter().position(|w| !(w.is_finite() && *w > 0.0)) {
        return Err(Error::InvalidValue {
            study: i,
            column: "weight",
            value: weights[i],
            allowed: "a study's weight in the Q-Q envelope must be positive and finite",
        });
    }
    if !(opts.level > 0.0 && opts.level < 100.0) {
        return Err(Error::InvalidOption {
            option: "level",
            message: format!(
                "{} is not a level in percent; give a value between 0 and 100, such as 95",
                opts.level
            ),
        });
    }
    if opts.reps < 2 {
        return Err(Error::InvalidOption {
            option: "reps",
            message: format!(
                "{} replicates cannot give quantiles; give at least 2 (metafor's default is 1000)",
                opts.reps
            ),
        });
    }
    if opts.smooth && k < 5 {
        return Err(Error::InvalidOption {
            option: "smooth",
            message: format!("the super smoother needs at least 5 studies, not {k}; draw the envelope unsmoothed"),
        });
    }
    let sw: f64 = weights.iter().sum();
    let reps = opts.reps;
    // rows[i][j]: the i-th smallest residual of replicate j.
    let mut rows = vec![vec![0.0; reps]; k];
    let mut e = vec![0.0; k];
    for j in 0..reps {
        let mut s = Stream::new(opts.seed, j as u64);
        for v in e.iter_mut() {
            *v = s.normal();
        }
        let mean = e.iter().zip(weights).map(|(z, w)| w * z).sum::<f64>() / sw;
        for v in e.iter_mut() {
            *v -= mean;
        }
        e.sort_by(f64::total_cmp);
        for (row, v) in rows.iter_mut().zip(&e) {
            row[j] = *v;
        }
    }
    let alpha = 1.0 - opts.level / 100.0;
    let p = if opts.bonferroni {
        alpha / 2.0 / k as f64
    } else {
        alpha / 2.0
    };
    let mut lower = Vec::with_capacity(k);
    let mut upper = Vec::with_capacity(k);
    for row in &mut rows {
        row.sort_by(f64::total_cmp);
        lower.push(quantile7(row, p));
        upper.push(quantile7(row, 1.0 - p));
    }
    let a = if k <= 10 { 3.0 / 8.0 } else { 0.5 };
    let x: Vec<f64> = (1..=k)
        .map(|i| norm_quantile((i as f64 - a) / (k as f64 + 1.0 - 2.0 * a)))
        .collect();
    if opts.smooth {
        lower = crate::supsmu::supsmu(&x, &lower, opts.bass)?;
        upper = crate::supsmu::supsmu(&x, &upper, opts.bass)?;
    }
    Ok(QqEnvelope {
        x,
        lower,
        upper,
        options: *opts,
    })
}

/// R's `quantile(x, p, type = 7)` of sorted `x`: x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]),
/// h = 1 + (n − 1)p (1-based).
fn quantile7(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    let index = 1.0 + (n - 1) as f64 * p;
    let lo = index.floor();
    let hi = index.ceil();
    let q = sorted[lo as usize - 1];
    let h = index - lo;
    let xh = sorted[hi as usize - 1];
    if index > lo && xh != q {
        (1.0 - h) * q + h * xh
    } else {
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile7_matches_r() {
        // R: quantile(c(1, 2, 4, 8), c(0.1, 0.5, 0.975)) = 1.3, 3.0, 7.7
        let x = [1.0, 2.0, 4.0, 8.0];
        for (p, q) in [(0.1, 1.3), (0.5, 3.0), (0.975, 7.7)] {
            assert!((quantile7(&x, p) - q).abs() < 1e-12, "{p}");
        }
    }

    #[test]
    fn bad_options_are_refused_by_name() {
        let w = [1.0, 2.0, 3.0];
        let o = QqEnvelopeOptions::default();
        assert!(matches!(
            qq_envelope(&w, &o),
            Err(Error::InvalidOption {
                option: "smooth",
                ..
            })
        ));
        let o = QqEnvelopeOptions {
            smooth: false,
            reps: 1,
            ..o
        };
        assert!(matches!(
            qq_envelope(&w, &o),
            Err(Error::InvalidOption { option: "reps", .. })
        ));
        let o = QqEnvelopeOptions { reps: 10, ..o };
        assert!(matches!(
            qq_envelope(&[1.0, -1.0], &o),
            Err(Error::InvalidValue { study: 1, .. })
        ));
    }

    #[test]
    fn bonferroni_widens_the_envelope() {
        let w = [10.0, 4.0, 25.0, 8.0, 12.0, 5.0];
        let o = QqEnvelopeOptions {
            reps: 4000,
            smooth: false,
            ..QqEnvelopeOptions::default()
        };
        let plain = qq_envelope(&w, &o).unwrap();
        let bonf = qq_envelope(
            &w,
            &QqEnvelopeOptions {
                bonferroni: true,
                ..o
            },
        )
        .unwrap();
        for i in 0..w.len() {
            assert!(bonf.lower[i] < plain.lower[i] && bonf.upper[i] > plain.upper[i]);
        }
    }
}
