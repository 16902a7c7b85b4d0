//! Regression tests for funnel-plot asymmetry, as metafor 3.8-1 `regtest`
//! (Egger et al. 1997, BMJ 315:629–634; Sterne & Egger 2005, in Rothstein
//! et al., *Publication Bias in Meta-Analysis*, ch. 6; Peters et al. 2006,
//! JAMA 295:676–680 for the inverse sample size).
//!
//! A predictor xᵢ of study precision is added to the intercept-only model,
//! yᵢ = β₀ + β₁xᵢ + εᵢ, and the test of asymmetry is the test of β₁ = 0.
//! The predictors are metafor's: `sei` √vᵢ (default, Egger's test), `vi` vᵢ,
//! `ni` nᵢ, `ninv` 1/nᵢ (Peters' test), `sqrtni` √nᵢ, `sqrtninv` 1/√nᵢ,
//! with nᵢ the total sample size of study i.
//!
//! - `model = "rma"` (default): the model is refitted with the predictor as a
//!   moderator, with the same τ² estimator, test and level (`rma(yi, vi,
//!   mods = ~ x)`): the z test of β₁ (t on k − 2 df under Knapp–Hartung).
//! - `model = "lm"`: weighted least squares with weights 1/vᵢ and the
//!   residual variance estimated, as R's `lm(yi ~ x, weights = 1/vi)`:
//!   se(β̂) = √(s² (X'WX)⁻¹), s² = Σwᵢeᵢ²/(k − 2), t tests on k − 2 df. This
//!   is the common-effect fit under the Knapp–Hartung test, which is how it
//!   is computed here.
//!
//! The limit estimate (metafor `est`, `ci.lb`, `ci.ub`) is β̂₀, the expected
//! effect of a study with xᵢ = 0, defined where x = 0 means infinite
//! precision: for `sei`, `vi`, `ninv` and `sqrtninv` (the PET and PEESE
//! estimates of Stanley & Doucouliagos 2014 for `sei` and `vi` under `lm`).
//! Its interval is the model's (under `lm`, β̂₀ ± t(k − 2) se).

use crate::error::{Error, Result};
use crate::fit::{fit_with_moderators, Coefficient, FitOptions, Test};
use crate::linalg::Design;
use crate::tau2::Method;

choice! {
    /// The predictor of a regression test (metafor `regtest(predictor = )`).
    Predictor, "predictor" {
        /// The standard error √vᵢ (Egger's test; metafor's default).
        Sei => "sei",
        /// The sampling variance vᵢ.
        Vi => "vi",
        /// The sample size nᵢ.
        Ni => "ni",
        /// The inverse sample size 1/nᵢ (Peters' test).
        Ninv => "ninv",
        /// The square root of the sample size √nᵢ.
        Sqrtni => "sqrtni",
        /// The inverse square root 1/√nᵢ.
        Sqrtninv => "sqrtninv",
    }
}

impl Predictor {
    /// True for the predictors that need the sample sizes.
    pub fn needs_ni(self) -> bool {
        matches!(
            self,
            Predictor::Ni | Predictor::Ninv | Predictor::Sqrtni | Predictor::Sqrtninv
        )
    }

    /// True when x = 0 means infinite precision, so that the intercept is a
    /// limit estimate (metafor reports `est` for these only).
    pub fn has_limit(self) -> bool {
        matches!(
            self,
            Predictor::Sei | Predictor::Vi | Predictor::Ninv | Predictor::Sqrtninv
        )
    }

    /// The value of the predictor for a study with variance `vi` and
    /// sample size `ni`.
    fn value(self, vi: f64, ni: f64) -> f64 {
        match self {
            Predictor::Sei => vi.sqrt(),
            Predictor::Vi => vi,
            Predictor::Ni => ni,
            Predictor::Ninv => 1.0 / ni,
            Predictor::Sqrtni => ni.sqrt(),
            Predictor::Sqrtninv => 1.0 / ni.sqrt(),
        }
    }
}

choice! {
    /// The model of a regression test (metafor `regtest(model = )`).
    RegModel, "model" {
        /// Weighted least squares with a multiplicative residual variance (`lm`).
        Lm => "lm",
        /// The meta-regression of the fitted model (`rma`, metafor's default).
        Rma => "rma",
    }
}

/// A regression test (metafor's `regtest()` object).
///
/// Produced by [`regtest()`] (see its example).
#[derive(Debug, Clone, PartialEq)]
pub struct Regtest {
    /// The model (metafor `model`).
    pub model: RegModel,
    /// The predictor (metafor `predictor`).
    pub predictor: Predictor,
    /// The test statistic of β₁ (metafor `zval`: z, or t under `lm` or
    /// Knapp–Hartung).
    pub stat: f64,
    /// Its two-sided p-value (metafor `pval`).
    pub pval: f64,
    /// t degrees of freedom (metafor `ddf`), `None` for the z test.
    pub df: Option<f64>,
    /// The predictor's coefficient β₁.
    pub slope: Coefficient,
    /// The intercept β₀, with its test and interval.
    pub intercept: Coefficient,
    /// The limit estimate (metafor `est`, `ci.lb`, `ci.ub`): the intercept
    /// where the predictor has one ([`Predictor::has_limit`]), else `None`.
    pub limit: Option<Coefficient>,
    /// τ̂² of the regression model under `rma`; `None` under `lm`.
    pub tau2: Option<f64>,
    /// The residual variance factor s² under `lm` (1 under `rma` with z).
    pub s2: f64,
    /// Caveats, in words.
    pub notes: Vec<String>,
}

/// The regression test of `predictor` under `model` on effects `yi` with
/// sampling variances `vi` and total sample sizes `ni` (needed by the
/// sample-size predictors), with the model's τ² estimator, test and level
/// (metafor `regtest(res, model, predictor)`).
///
/// ```
/// use rema_core::bias::{regtest, Predictor, RegModel};
/// use rema_core::{FitOptions, Method};
/// # fn main() -> rema_core::Result<()> {
/// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
/// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
/// // dat.bcg, log risk ratios; metafor 3.8-1: regtest(rma(yi, vi), model = "lm")
/// let r = regtest(&yi, &vi, None, &FitOptions::new(Method::Reml), RegModel::Lm, Predictor::Sei)?;
/// assert_eq!(r.df, Some(11.0));
/// assert!((r.stat - -1.4012820).abs() < 1e-6);
/// assert!((r.limit.unwrap().estimate - -0.1909286).abs() < 1e-6);
/// # Ok(())
/// # }
/// ```
pub fn regtest(
    yi: &[f64],
    vi: &[f64],
    ni: Option<&[f64]>,
    opts: &FitOptions,
    model: RegModel,
    predictor: Predictor,
) -> Result<Regtest> {
    let k = crate::fit::validate_at_least(yi, vi, 3, "the regression test")?;
    let ni = match (predictor.needs_ni(), ni) {
        (false, _) => None,
        (true, Some(n)) if n.len() == k => Some(n),
        (true, Some(n)) => {
            return Err(Error::LengthMismatch {
                what: format!("{k} studies but {} sample sizes", n.len()),
            })
        }
        (true, None) => {
            return Err(Error::InvalidOption {
                option: "predictor",
                message: format!(
                    "predictor `{predictor}` needs the studies' sample sizes, which this measure does not have; use predictor `sei` or `vi`"
                ),
            })
        }
    };
    let mut data = Vec::with_capacity(2 * k);
    for (i, v) in vi.iter().enumerate() {
        let n = ni.map_or(f64::NAN, |n| n[i]);
        if predictor.needs_ni() && !(n.is_finite() && n > 0.0) {
            return Err(Error::InvalidValue {
                study: i,
                column: "ni",
                value: n,
                allowed: "the sample size of a regression test on it must be positive",
            });
        }
        data.extend_from_slice(&[1.0, predictor.value(*v, n)]);
    }
    let x = Design::from_row_major(k, 2, data).expect("k rows of 2");
    let fit_opts = match model {
        RegModel::Rma => *opts,
        RegModel::Lm => FitOptions {
            method: Method::Fe,
            test: Test::Knha,
            level: opts.level,
            control: opts.control,
        },
    };
    let f = fit_with_moderators(yi, vi, &x, &fit_opts)?;
    let slope = f.coefficients[1];
    let intercept = f.coefficients[0];
    let notes = match model {
        RegModel::Rma => f.notes,
        RegModel::Lm => f
            .notes
            .into_iter()
            .filter(|n| !n.contains("Knapp"))
            .collect(),
    };
    Ok(Regtest {
        model,
        predictor,
        stat: slope.stat,
        pval: slope.pval,
        df: f.df,
        slope,
        intercept,
        limit: predictor.has_limit().then_some(intercept),
        tau2: (model == RegModel::Rma).then_some(f.tau2),
        s2: f.s2w,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const YI: [f64; 5] = [0.1, 0.3, 0.2, 0.6, 0.5];
    const VI: [f64; 5] = [0.01, 0.04, 0.02, 0.09, 0.05];

    #[test]
    fn sample_size_predictors_need_sample_sizes() {
        let err = regtest(
            &YI,
            &VI,
            None,
            &FitOptions::new(Method::Fe),
            RegModel::Rma,
            Predictor::Ninv,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidOption {
                option: "predictor",
                ..
            }
        ));
    }

    #[test]
    fn only_precision_predictors_have_a_limit_estimate() {
        let ni = [100.0, 30.0, 60.0, 12.0, 25.0];
        let opts = FitOptions::new(Method::Fe);
        for p in Predictor::ALL {
            let r = regtest(&YI, &VI, Some(&ni), &opts, RegModel::Lm, *p).unwrap();
            assert_eq!(r.limit.is_some(), p.has_limit(), "{p}");
            assert_eq!(r.df, Some(3.0));
            assert!(r.tau2.is_none());
        }
    }

    #[test]
    fn predictor_names_parse_case_insensitively() {
        assert_eq!("SqrtNinv".parse::<Predictor>(), Ok(Predictor::Sqrtninv));
        assert!("se".parse::<Predictor>().unwrap_err().contains("sei, vi"));
    }
}
