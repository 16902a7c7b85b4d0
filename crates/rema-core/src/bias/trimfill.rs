//! Duval and Tweedie's trim-and-fill method with the L0, R0 or Q0 estimator,
//! as metafor 3.8 `trimfill.rma.uni(estimator = )` (Duval & Tweedie 2000,
//! Biometrics 56:455–463; JASA 95:89–98; Duval 2005, in Rothstein et al.,
//! *Publication Bias in Meta-Analysis*, ch. 8).
//!
//! - Side: unless given, Egger's model yᵢ = β₀ + β₁√vᵢ is fitted with the same
//!   τ² estimator (z test); β̂₁ < 0 means the missing studies are on the right,
//!   otherwise on the left. For the right side the effects are negated, so the
//!   studies are always filled on the left.
//! - Iteration: the effects are sorted; the k − k₀ smallest are pooled (β̂),
//!   the centred effects yᵢ − β̂ of all k studies are ranked by absolute value
//!   (ties by position), and with S_r the sum of the ranks of the positive ones,
//!   the estimator is
//!   - L0: L₀ = (4S_r − k(k + 1))/(2k − 1), with standard error
//!     4√Var(S_r)/(2k − 1),
//!     Var(S_r) = (k(k+1)(2k+1) + 10k₀³ + 27k₀² + 17k₀ − 18kk₀² − 18kk₀ + 6k²k₀)/24
//!     at the unrounded k₀;
//!   - R0: R₀ = k − r* − 1, r* the largest rank of a negative centred
//!     effect (so γ* = k − r* is the rightmost run of positive ones), with
//!     standard error √(2 max(0, R₀) + 2) and P(k₀ ≥ R₀ | no missing
//!     studies) = 0.5^(R₀+1) (metafor `p.k0`);
//!   - Q0: Q₀ = k − ½ − √(2k² − 4S_r + ¼), with standard error
//!     2√Var(S_r)/√((k − ½)² − Q₀(2k − Q₀ − 1));
//!
//!   k₀ = max(0, round(estimate)) (R's round half to even), until k₀ repeats
//!   (at most 100 iterations).
//! - Fill: the k₀ most extreme studies are mirrored about the last trimmed
//!   estimate, y = 2β̂ − yᵢ with the same vᵢ, and the model is refitted to the
//!   k + k₀ studies with the same estimator.
//!
//! As metafor, the side model, the trimmed fits and the filled fit use the z
//! test at the 95% level and the default control settings whatever the
//! original model's test and level; with k₀ = 0 the result is the original model.

use crate::error::{Error, Result};
use crate::fit::{fit, fit_with_moderators, Fit, FitOptions, Test};
use crate::linalg::Design;
use crate::tau2::Control;

/// The side of the funnel plot where studies are missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Missing on the left (small effects): metafor `side = "left"`.
    Left,
    /// Missing on the right (large effects): metafor `side = "right"`.
    Right,
}

impl Side {
    /// metafor's name of the side (`"left"`, `"right"`).
    pub fn name(self) -> &'static str {
        match self {
            Side::Left => "left",
            Side::Right => "right",
        }
    }
}

display_by_name!(Side);

impl std::str::FromStr for Side {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Side, String> {
        [Side::Left, Side::Right]
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown side `{s}`; expected one of left, right"))
    }
}

choice! {
    /// The estimator of the number of missing studies (metafor
    /// `trimfill(estimator = )`).
    Estimator, "estimator" {
        /// Duval and Tweedie's L₀ (metafor's default).
        L0 => "L0",
        /// Duval and Tweedie's R₀, from the rightmost run of ranks.
        R0 => "R0",
        /// Duval's Q₀.
        Q0 => "Q0",
    }
}

/// One filled (imputed) study.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FilledStudy {
    /// The observed study it mirrors (0-based index in the input).
    pub mirror_of: usize,
    /// The imputed effect, 2β̂ − yᵢ of the mirrored study (analysis scale).
    pub yi: f64,
    /// Its sampling variance, that of the mirrored study.
    pub vi: f64,
}

/// The trim-and-fill result (metafor's `trimfill()` object).
///
/// Produced by [`trim_and_fill`] (see its example).
#[derive(Debug, Clone, PartialEq)]
pub struct TrimFill {
    /// Estimated number of missing studies (metafor `k0`).
    pub k0: usize,
    /// Its standard error (of the last iteration, as metafor `se.k0`).
    pub se_k0: f64,
    /// The side the studies were filled on (metafor `side`).
    pub side: Side,
    /// The estimator of k₀ (metafor `k0.est`).
    pub estimator: Estimator,
    /// For R0, the probability of an estimate of at least k₀ when no studies
    /// are missing (metafor `p.k0`); `None` for L0 and Q0.
    pub p_k0: Option<f64>,
    /// The filled studies, in metafor's order.
    pub filled: Vec<FilledStudy>,
    /// The model refitted to the observed and filled studies (the original
    /// model when k₀ = 0).
    pub fit: Fit,
    /// Iterations of the estimator until k₀ repeated.
    pub iterations: usize,
    /// Caveats, in words.
    pub notes: Vec<String>,
}

const MAX_ITER: usize = 100;

/// Trim and fill with the L0 estimator. `side` is chosen as metafor does
/// when `None`.
///
/// ```
/// use rema_core::{trim_and_fill, FitOptions, Method, Side};
/// # fn main() -> rema_core::Result<()> {
/// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
/// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
/// // dat.bcg, log risk ratios; metafor 3.8-1: trimfill(rma(yi, vi))
/// let tf = trim_and_fill(&yi, &vi, &FitOptions::new(Method::Reml), None)?;
/// assert_eq!((tf.k0, tf.side), (1, Side::Right));
/// assert!((tf.se_k0 - 2.4527986).abs() < 1e-6);
/// assert!((tf.filled[0].yi - 0.3104030).abs() < 1e-6);
/// assert!((tf.fit.estimate().estimate - -0.6570828).abs() < 1e-6);
/// assert!((tf.fit.tau2 - 0.3312880).abs() < 1e-6);
/// # Ok(())
/// # }
/// ```
pub fn trim_and_fill(
    yi: &[f64],
    vi: &[f64],
    opts: &FitOptions,
    side: Option<Side>,
) -> Result<TrimFill> {
    trim_and_fill_with(yi, vi, opts, side, Estimator::L0)
}

/// Trim and fill with `estimator` (metafor `trimfill(res, side, estimator)`);
/// `side` is chosen as metafor does when `None`.
///
/// ```
/// use rema_core::bias::{trim_and_fill_with, Estimator};
/// use rema_core::{FitOptions, Method, Side};
/// # fn main() -> rema_core::Result<()> {
/// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
/// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
/// // dat.bcg, log risk ratios; metafor 3.8-1: trimfill(rma(yi, vi), estimator = "R0")
/// let tf = trim_and_fill_with(&yi, &vi, &FitOptions::new(Method::Reml), None, Estimator::R0)?;
/// assert_eq!((tf.k0, tf.side), (0, Side::Right));
/// assert_eq!(tf.p_k0, Some(0.5));
/// # Ok(())
/// # }
/// ```
pub fn trim_and_fill_with(
    yi: &[f64],
    vi: &[f64],
    opts: &FitOptions,
    side: Option<Side>,
    estimator: Estimator,
) -> Result<TrimFill> {
    let k = crate::fit::validate_at_least(yi, vi, 3, "trim and fill")?;
    let inner = FitOptions {
        method: opts.method,
        test: Test::Z,
        level: 95.0,
        control: Control::default(),
    };
    let side = match side {
        Some(s) => s,
        None => {
            let mut data = Vec::with_capacity(2 * k);
            for v in vi {
                data.extend_from_slice(&[1.0, v.sqrt()]);
            }
            let x = Design::from_row_major(k, 2, data).expect("k rows of 2");
            let f = fit_with_moderators(yi, vi, &x, &inner)?;
            if f.coefficients[1].estimate < 0.0 {
                Side::Right
            } else {
                Side::Left
            }
        }
    };
    let flip = if side == Side::Right { -1.0 } else { 1.0 };
    // Sort the (flipped) effects ascending, stably.
    let mut ix: Vec<usize> = (0..k).collect();
    ix.sort_by(|&a, &b| {
        (flip * yi[a])
            .partial_cmp(&(flip * yi[b]))
            .expect("finite effects")
    });
    let y: Vec<f64> = ix.iter().map(|&i| flip * yi[i]).collect();
    let v: Vec<f64> = ix.iter().map(|&i| vi[i]).collect();
    let kf = k as f64;

    let mut k0_prev: i64 = -1;
    let mut k0: i64 = 0;
    let mut se_k0 = 0.0;
    let mut beta = 0.0;
    let mut iterations = 0;
    while k0 != k0_prev {
        k0_prev = k0;
        iterations += 1;
        if iterations > MAX_ITER {
            return Err(Error::NotConverged {
                method: "trim-and-fill",
                iterations: MAX_ITER,
                detail: "the number of missing studies kept changing".to_string(),
            });
        }
        let kt = k - k0 as usize;
        beta = fit(&y[..kt], &v[..kt], &inner)?.estimate().estimate;
        let centred: Vec<f64> = y.iter().map(|y| y - beta).collect();
        // rank(abs(.), ties.method = "first").
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_by(|&a, &b| {
            centred[a]
                .abs()
                .partial_cmp(&centred[b].abs())
                .expect("finite")
        });
        let mut rank = vec![0.0; k];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = (r + 1) as f64;
        }
        let sr: f64 = (0..k).filter(|&i| centred[i] > 0.0).map(|i| rank[i]).sum();
        let var_sr = |k0: f64| {
            (kf * (kf + 1.0) * (2.0 * kf + 1.0) + 10.0 * k0.powi(3) + 27.0 * k0 * k0 + 17.0 * k0
                - 18.0 * kf * k0 * k0
                - 18.0 * kf * k0
                + 6.0 * kf * kf * k0)
                / 24.0
        };
        let (est, se) = match estimator {
            Estimator::L0 => {
                let l0 = (4.0 * sr - kf * (kf + 1.0)) / (2.0 * kf - 1.0);
                (l0, 4.0 * var_sr(l0).sqrt() / (2.0 * kf - 1.0))
            }
            Estimator::R0 => {
                let largest_negative = (0..k)
                    .filter(|&i| centred[i] < 0.0)
                    .map(|i| rank[i])
                    .fold(f64::NEG_INFINITY, f64::max);
                let r0 = kf - largest_negative - 1.0;
                (r0, (2.0 * r0.max(0.0) + 2.0).sqrt())
            }
            Estimator::Q0 => {
                let q0 = kf - 0.5 - (2.0 * kf * kf - 4.0 * sr + 0.25).sqrt();
                let d = ((kf - 0.5).powi(2) - q0 * (2.0 * kf - q0 - 1.0)).sqrt();
                (q0, 2.0 * var_sr(q0).sqrt() / d)
            }
        };
        if !est.is_finite() || est.round_ties_even() >= kf {
            return Err(Error::Undefined {
                what: "the trim-and-fill estimate of the number of missing studies",
                reason: format!(
                    "the {estimator} estimator gives {est} for {k} studies (every centred effect is on one side); try estimator L0 or another side"
                ),
            });
        }
        se_k0 = if se.is_nan() { se } else { se.max(0.0) };
        k0 = est.round_ties_even().max(0.0) as i64;
    }
    let k0 = k0 as usize;
    let p_k0 = (estimator == Estimator::R0).then(|| 0.5f64.powi(k0 as i32 + 1));
    let mut notes = Vec::new();
    if k0 == 0 {
        return Ok(TrimFill {
            k0,
            se_k0,
            side,
            estimator,
            p_k0,
            filled: Vec::new(),
            fit: fit(yi, vi, opts)?,
            iterations,
            notes,
        });
    }
    // Mirror the k0 largest (flipped) effects about the trimmed estimate.
    let filled: Vec<FilledStudy> = (k - k0..k)
        .map(|j| FilledStudy {
            mirror_of: ix[j],
            yi: flip * (2.0 * beta - y[j]),
            vi: v[j],
        })
        .collect();
    let mut yf = yi.to_vec();
    let mut vf = vi.to_vec();
    yf.extend(filled.iter().map(|f| f.yi));
    vf.extend(filled.iter().map(|f| f.vi));
    let f = fit(&yf, &vf, &inner)?;
    if opts.test != Test::Z || opts.level != 95.0 {
        notes.push(
            "trim and fill: the filled model uses the z test at the 95% level, as metafor's trimfill()"
                .to_string(),
        );
    }
    notes.push(format!(
        "trim and fill: {k0} studies imputed on the {side} side (estimator {estimator})"
    ));
    Ok(TrimFill {
        k0,
        se_k0,
        side,
        estimator,
        p_k0,
        filled,
        fit: f,
        iterations,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Method;

    #[test]
    fn symmetric_funnel_fills_nothing() {
        let yi = [-0.2, 0.2, -0.1, 0.1, 0.0];
        let vi = [0.04, 0.04, 0.01, 0.01, 0.02];
        let tf = trim_and_fill(&yi, &vi, &FitOptions::new(Method::Fe), None).unwrap();
        assert_eq!(tf.k0, 0);
        assert!(tf.filled.is_empty());
    }

    #[test]
    fn filled_studies_mirror_about_the_trimmed_estimate() {
        // Small studies only on the right: missing ones on the left.
        let yi = [0.0, 0.05, -0.05, 0.4, 0.5, 0.6, 0.7];
        let vi = [0.001, 0.001, 0.001, 0.05, 0.06, 0.08, 0.1];
        let tf = trim_and_fill(&yi, &vi, &FitOptions::new(Method::Fe), None).unwrap();
        assert_eq!(tf.side, Side::Left);
        assert!(tf.k0 > 0);
        for f in &tf.filled {
            assert!(f.yi < 0.0);
            assert_eq!(f.vi, vi[f.mirror_of]);
        }
        assert_eq!(tf.fit.k, 7 + tf.k0);
    }
}
