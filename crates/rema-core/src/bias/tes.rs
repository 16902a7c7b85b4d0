//! The test of excess significance (Ioannidis & Trikalinos 2007, Clinical
//! Trials 4:245–253), as metafor 3.8-1 `tes(yi, vi, H0, alternative, alpha,
//! theta, test, tes.alternative, tes.alpha)`.
//!
//! Study i is significant when its z test of H₀ rejects at α:
//! zᵢ = (yᵢ − H₀)/√vᵢ with |zᵢ| ≥ z_{α/2} (`alternative = "two.sided"`),
//! zᵢ ≥ z_α (`"greater"`) or zᵢ ≤ −z_α (`"less"`); O is the number of
//! significant studies. Its power at the true effect θ (default the
//! common-effect estimate Σyᵢ/vᵢ / Σ1/vᵢ) is
//! powᵢ = 1 − Φ(c − δᵢ) + Φ(−c − δᵢ) (two-sided), 1 − Φ(c − δᵢ) (greater) or
//! Φ(c − δᵢ) (less), δᵢ = (θ − H₀)/√vᵢ, c the critical value; E = Σpowᵢ.
//!
//! O is compared with its distribution under the powers
//! (`tes.alternative`, default `"greater"`: more significant studies than
//! expected):
//! - `exact`: the Poisson-binomial distribution of O (metafor's sum over
//!   every subset of studies, here by the equivalent recursion); the
//!   two-sided p-value sums the probabilities not above P(O) + √ε;
//! - `binom`: R's `binom.test(O, k, E/k)`;
//! - `chi2`: R's `prop.test(O, k, E/k, correct = FALSE)`,
//!   X² = (O − E)²/(E(1 − E/k)).
//!
//! Unless given, the test is `exact` when the sum of the binomial
//! coefficients C(k, j) over the outcomes j it sums is at most 10⁶, else
//! `chi2`, as metafor.
//!
//! With a heterogeneity `tau2` > 0 (metafor `tes(tau2 = )`, which `tes(res)`
//! takes from the fitted model), each study's true effect is N(θ, τ²): its
//! power is the power above averaged over that distribution, which is
//! closed form, 1 − Φ((c − δᵢ)/sᵢ) + Φ((−c − δᵢ)/sᵢ) (two-sided; greater and
//! less alike) with sᵢ = √(1 + τ²/vᵢ); metafor integrates it numerically
//! over θ ± 5τ (`integrate`, relative tolerance ε^¼), which drops at most
//! 2(1 − Φ(5)) ≈ 6e-7 of the power. The default θ is then the
//! random-effects mean Σyᵢ/(vᵢ + τ²) / Σ1/(vᵢ + τ²).
//!
//! `theta.lim` (metafor's, found by default): the true effect at which the
//! test of O against E is just significant at `tes.alpha` (default 0.1),
//! the root of p(θ) − tes.alpha searched from H₀ towards θ, with the test
//! chosen above; none when p(H₀) is already on the far side of tes.alpha
//! (for `tes.alternative = "greater"`, p(H₀) ≥ tes.alpha; for `"less"`,
//! p(H₀) ≤ tes.alpha) or when no sign change is found. For `"two.sided"`
//! the limits are the `"greater"` and the `"less"` limits at tes.alpha/2.
//! metafor solves with `uniroot`'s default tolerance (ε^¼ ≈ 1.2e-4); rema
//! to machine precision.

use statrs::distribution::{Binomial, Discrete, DiscreteCDF};

use crate::roots::brent;

use super::selection::Alternative;
use crate::dist::{chisq_sf, norm_cdf, norm_quantile, norm_sf};
use crate::error::{Error, Result};

choice! {
    /// The test of O against E (metafor `tes(test = )`).
    TesTest, "test of excess significance" {
        /// The chi-square test (R `prop.test` without continuity correction).
        Chi2 => "chi2",
        /// The binomial test (R `binom.test`).
        Binom => "binom",
        /// The exact Poisson-binomial test.
        Exact => "exact",
    }
}

/// The options of [`tes`], with metafor's defaults from `Default`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TesOptions {
    /// The null value of each study's test (metafor `H0`, default 0).
    pub h0: f64,
    /// The alternative of each study's test (metafor `alternative`,
    /// default two-sided).
    pub alternative: Alternative,
    /// The level of each study's test (metafor `alpha`, default 0.05).
    pub alpha: f64,
    /// The true effect the powers are computed at (metafor `theta`);
    /// `None` for the common-effect estimate.
    pub theta: Option<f64>,
    /// The test of O against E (metafor `test`); `None` for metafor's choice.
    pub test: Option<TesTest>,
    /// The alternative of that test (metafor `tes.alternative`, default
    /// greater).
    pub tes_alternative: Alternative,
    /// The heterogeneity of the true effects the powers average over
    /// (metafor `tau2`, which `tes(res)` takes from the model); `None` or 0
    /// for powers at θ itself.
    pub tau2: Option<f64>,
    /// The level at which `theta_lim` makes the test just significant
    /// (metafor `tes.alpha`, default 0.1).
    pub limit_alpha: f64,
}

impl Default for TesOptions {
    fn default() -> TesOptions {
        TesOptions {
            h0: 0.0,
            alternative: Alternative::TwoSided,
            alpha: 0.05,
            theta: None,
            test: None,
            tes_alternative: Alternative::Greater,
            tau2: None,
            limit_alpha: 0.1,
        }
    }
}

/// The test of excess significance (metafor's `tes()` object).
///
/// Produced by [`tes()`] (see its example).
#[derive(Debug, Clone, PartialEq)]
pub struct Tes {
    /// The number of studies.
    pub k: usize,
    /// The observed number of significant studies (metafor `O`).
    pub observed: usize,
    /// The expected number (metafor `E`).
    pub expected: f64,
    /// O/E (metafor `OEratio`).
    pub ratio: f64,
    /// The test used (metafor `test`).
    pub test: TesTest,
    /// The chi-square statistic (metafor `X2`), `None` for the other tests.
    pub x2: Option<f64>,
    /// The p-value (metafor `pval`).
    pub pval: f64,
    /// The true effect the powers were computed at (metafor `theta`).
    pub theta: f64,
    /// Each study's power (metafor `power`).
    pub power: Vec<f64>,
    /// Each study's significance (metafor `sig`).
    pub significant: Vec<bool>,
    /// The true effects at which the test is just significant at
    /// `limit_alpha` (metafor `theta.lim`): one for `tes_alternative`
    /// greater or less, the lower and upper for two-sided; `None` where
    /// there is none.
    pub theta_lim: Vec<Option<f64>>,
}

/// The test of excess significance of effects `yi` with sampling variances
/// `vi` (metafor `tes(yi, vi, ...)`).
///
/// ```
/// use rema_core::bias::{tes, TesOptions};
/// # fn main() -> rema_core::Result<()> {
/// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
/// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
/// // dat.bcg, log risk ratios; metafor 3.8-1: tes(yi, vi)
/// let t = tes(&yi, &vi, &TesOptions::default())?;
/// assert_eq!((t.observed, t.test.name()), (8, "exact"));
/// assert!((t.expected - 6.092659090).abs() < 1e-8 && (t.pval - 0.1344085854).abs() < 1e-9);
/// # Ok(())
/// # }
/// ```
pub fn tes(yi: &[f64], vi: &[f64], opts: &TesOptions) -> Result<Tes> {
    let k = crate::fit::validate_at_least(yi, vi, 1, "the test of excess significance")?;
    for (option, v) in [
        ("tes_h0", opts.h0),
        ("tes_theta", opts.theta.unwrap_or(0.0)),
    ] {
        if !v.is_finite() {
            return Err(Error::InvalidOption {
                option,
                message: format!("{v} is not a finite number"),
            });
        }
    }
    if !(opts.alpha > 0.0 && opts.alpha < 1.0) {
        return Err(Error::InvalidOption {
            option: "tes_alpha",
            message: format!(
                "{} is not a level; give a value between 0 and 1, such as 0.05",
                opts.alpha
            ),
        });
    }
    if !(opts.limit_alpha > 0.0 && opts.limit_alpha < 1.0) {
        return Err(Error::InvalidOption {
            option: "tes_limit_alpha",
            message: format!(
                "{} is not a level; give a value between 0 and 1, such as 0.1",
                opts.limit_alpha
            ),
        });
    }
    let tau2 = match opts.tau2 {
        Some(t) if !(t.is_finite() && t >= 0.0) => {
            return Err(Error::InvalidOption {
                option: "tes_tau2",
                message: format!("{t} is not a variance; give a number >= 0"),
            })
        }
        Some(t) => t,
        None => 0.0,
    };
    let crit = match opts.alternative {
        Alternative::TwoSided => norm_quantile(1.0 - opts.alpha / 2.0),
        Alternative::Greater => norm_quantile(1.0 - opts.alpha),
        Alternative::Less => norm_quantile(opts.alpha),
    };
    let theta = opts.theta.unwrap_or_else(|| {
        let sw: f64 = vi.iter().map(|v| 1.0 / (v + tau2)).sum();
        yi.iter().zip(vi).map(|(y, v)| y / (v + tau2)).sum::<f64>() / sw
    });
    let powers = |theta: f64| -> Vec<f64> {
        vi.iter()
            .map(|v| {
                let delta = (theta - opts.h0) / v.sqrt();
                let s = (1.0 + tau2 / v).sqrt();
                match opts.alternative {
                    Alternative::TwoSided => {
                        norm_sf((crit - delta) / s) + norm_cdf((-crit - delta) / s)
                    }
                    Alternative::Greater => norm_sf((crit - delta) / s),
                    Alternative::Less => norm_cdf((crit - delta) / s),
                }
            })
            .collect()
    };
    let significant: Vec<bool> = yi
        .iter()
        .zip(vi)
        .map(|(y, v)| {
            let z = (y - opts.h0) / v.sqrt();
            match opts.alternative {
                Alternative::TwoSided => z.abs() >= crit,
                Alternative::Greater => z >= crit,
                Alternative::Less => z <= crit,
            }
        })
        .collect();
    let power = powers(theta);
    let expected: f64 = power.iter().sum();
    let observed = significant.iter().filter(|s| **s).count();
    let outcomes = match opts.tes_alternative {
        Alternative::TwoSided => 0..=k,
        Alternative::Greater => observed..=k,
        Alternative::Less => 0..=observed,
    };
    let test = opts.test.unwrap_or_else(|| {
        let total: f64 = outcomes.map(|j| binomial_coefficient(k, j)).sum();
        if total <= 1e6 {
            TesTest::Exact
        } else {
            TesTest::Chi2
        }
    });
    let (x2, pval) = o_against_e(test, observed, &power, opts.tes_alternative)?;
    // The θ where the p-value of `alternative` crosses `alpha`, searched
    // from H0 towards θ (metafor's .tes.lim with uniroot's extendInt).
    let limit = |alternative: Alternative, alpha: f64| -> Option<f64> {
        let f = |t: f64| {
            o_against_e(test, observed, &powers(t), alternative)
                .map(|(_, p)| p - alpha)
                .unwrap_or(f64::NAN)
        };
        let at_h0 = f(opts.h0);
        let beyond = match alternative {
            Alternative::Less => at_h0 <= 0.0,
            _ => at_h0 >= 0.0,
        };
        if beyond || at_h0.is_nan() {
            return None;
        }
        let dir = if theta >= opts.h0 { 1.0 } else { -1.0 };
        let mut b = theta;
        let mut step = (theta - opts.h0).abs().max(0.01 * b.abs().max(1e-4));
        for _ in 0..200 {
            let fb = f(b);
            if fb.is_nan() {
                return None;
            }
            if (fb > 0.0) != (at_h0 > 0.0) || fb == 0.0 {
                return brent(f, opts.h0, b);
            }
            b += dir * step;
            step *= 2.0;
            if !b.is_finite() {
                return None;
            }
        }
        None
    };
    let theta_lim = match opts.tes_alternative {
        Alternative::TwoSided => vec![
            limit(Alternative::Greater, opts.limit_alpha / 2.0),
            limit(Alternative::Less, opts.limit_alpha / 2.0),
        ],
        alt => vec![limit(alt, opts.limit_alpha)],
    };
    Ok(Tes {
        k,
        observed,
        expected,
        ratio: observed as f64 / expected,
        test,
        x2,
        pval,
        theta,
        power,
        significant,
        theta_lim,
    })
}

/// The test of `observed` significant studies against studies of powers
/// `power`: the chi-square statistic (for `chi2`) and the p-value.
fn o_against_e(
    test: TesTest,
    observed: usize,
    power: &[f64],
    alternative: Alternative,
) -> Result<(Option<f64>, f64)> {
    let k = power.len();
    let kf = k as f64;
    let expected: f64 = power.iter().sum();
    let p0 = expected / kf;
    Ok(match test {
        TesTest::Chi2 => {
            let x2 = (observed as f64 - expected).powi(2) / (kf * p0 * (1.0 - p0));
            let pval = match alternative {
                Alternative::TwoSided => chisq_sf(x2, 1.0),
                alt => {
                    let z = (observed as f64 / kf - p0).signum() * x2.sqrt();
                    let z = if observed as f64 / kf == p0 { 0.0 } else { z };
                    if alt == Alternative::Less {
                        norm_cdf(z)
                    } else {
                        norm_sf(z)
                    }
                }
            };
            (Some(x2), pval)
        }
        TesTest::Binom => (None, binom_test(observed, k, p0, alternative)?),
        TesTest::Exact => {
            let dist = poisson_binomial(power);
            let pval = match alternative {
                Alternative::TwoSided => {
                    let bound = dist[observed] + f64::EPSILON.sqrt();
                    dist.iter().filter(|p| **p <= bound).sum::<f64>()
                }
                Alternative::Greater => dist[observed..].iter().sum(),
                Alternative::Less => dist[..=observed].iter().sum(),
            };
            (None, pval.min(1.0))
        }
    })
}

/// C(n, j) as a float.
fn binomial_coefficient(n: usize, j: usize) -> f64 {
    let j = j.min(n - j);
    (0..j).fold(1.0, |c, i| c * (n - i) as f64 / (i + 1) as f64)
}

/// P(O = j), j = 0..=k, for independent Bernoulli trials with probabilities `p`.
fn poisson_binomial(p: &[f64]) -> Vec<f64> {
    let mut dist = vec![1.0];
    for &pi in p {
        let mut next = vec![0.0; dist.len() + 1];
        for (j, d) in dist.iter().enumerate() {
            next[j] += d * (1.0 - pi);
            next[j + 1] += d * pi;
        }
        dist = next;
    }
    dist
}

/// R's `binom.test(x, n, p, alternative)$p.value`.
fn binom_test(x: usize, n: usize, p: f64, alternative: Alternative) -> Result<f64> {
    let b = Binomial::new(p, n as u64).map_err(|_| Error::Undefined {
        what: "the binomial test of excess significance",
        reason: format!("the expected proportion of significant studies is {p}"),
    })?;
    let (xu, nu) = (x as u64, n as u64);
    let upper = |q: u64| if q == 0 { 1.0 } else { 1.0 - b.cdf(q - 1) };
    Ok(match alternative {
        Alternative::Less => b.cdf(xu),
        Alternative::Greater => upper(xu),
        Alternative::TwoSided => {
            let rel_err = 1.0 + 1e-7;
            let d = b.pmf(xu);
            let m = n as f64 * p;
            if x as f64 == m {
                1.0
            } else if (x as f64) < m {
                let y = (m.ceil() as u64..=nu)
                    .filter(|&i| b.pmf(i) <= d * rel_err)
                    .count() as u64;
                (b.cdf(xu) + if y == 0 { 0.0 } else { upper(nu - y + 1) }).min(1.0)
            } else {
                let y = (0..=m.floor() as u64)
                    .filter(|&i| b.pmf(i) <= d * rel_err)
                    .count() as u64;
                ((if y == 0 { 0.0 } else { b.cdf(y - 1) }) + upper(xu)).min(1.0)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_binomial_sums_to_one_and_matches_the_binomial() {
        let d = poisson_binomial(&[0.3; 4]);
        assert!((d.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        assert!((d[2] - 6.0 * 0.09 * 0.49).abs() < 1e-15);
    }

    #[test]
    fn binomial_two_sided_matches_r() {
        // R: binom.test(7, 10, 0.4)$p.value
        let p = binom_test(7, 10, 0.4, Alternative::TwoSided).unwrap();
        assert!((p - 0.1011192832).abs() < 1e-9, "{p}");
    }

    #[test]
    fn bad_alpha_names_the_option() {
        let opts = TesOptions {
            alpha: 1.5,
            ..TesOptions::default()
        };
        let err = tes(&[0.1], &[0.1], &opts).unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidOption {
                option: "tes_alpha",
                ..
            }
        ));
    }
}
