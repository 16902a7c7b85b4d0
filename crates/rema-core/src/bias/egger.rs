//! Egger's regression test for funnel-plot asymmetry, as metafor 3.8
//! `regtest(model = "rma", predictor = "sei")`, its default: the
//! [`regtest`](super::regtest) of that model and predictor.
//!
//! The model is refitted with the standard error √vᵢ as a moderator,
//! yᵢ = β₀ + β₁√vᵢ + uᵢ + εᵢ, with the same τ² estimator, test and level;
//! the test of asymmetry is the z (or Knapp–Hartung t) test of β₁ = 0. The
//! intercept β₀ is the "limit estimate" as the standard error goes to zero
//! (Egger et al. 1997, BMJ 315:629–634; the mixed-effects version of
//! Sterne & Egger 2005, in Rothstein et al., *Publication Bias in
//! Meta-Analysis*, ch. 6).

use super::regtest::{regtest, Predictor, RegModel};
use crate::error::Result;
use crate::fit::{Coefficient, FitOptions};

/// The result of Egger's test (metafor's `regtest()` object).
///
/// Produced by [`egger()`] (see its example).
#[derive(Debug, Clone, PartialEq)]
pub struct EggerTest {
    /// z statistic of the standard-error coefficient (t under Knapp–Hartung).
    pub stat: f64,
    /// Its two-sided p-value (metafor `pval`).
    pub pval: f64,
    /// t degrees of freedom (k − 2), `None` for z.
    pub df: Option<f64>,
    /// The standard-error coefficient β₁.
    pub slope: Coefficient,
    /// The intercept β₀: the estimate for a study of infinite precision.
    pub limit: Coefficient,
    /// τ̂² of the regression model (metafor `regtest(...)$fit$tau2`).
    pub tau2: f64,
    /// Caveats, in words.
    pub notes: Vec<String>,
}

/// Egger's test on effects `yi` with sampling variances `vi`, with the
/// model's τ² estimator, test and level (metafor `regtest(res)`).
///
/// ```
/// use rema_core::{egger, FitOptions, Method};
/// # fn main() -> rema_core::Result<()> {
/// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
/// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
/// // dat.bcg, log risk ratios; metafor 3.8-1: regtest(rma(yi, vi))
/// let e = egger(&yi, &vi, &FitOptions::new(Method::Reml))?;
/// assert!((e.stat - -0.8033291).abs() < 1e-6 && (e.pval - 0.4217845).abs() < 1e-6);
/// assert!((e.slope.estimate - -0.7632400).abs() < 1e-6);
/// assert!((e.limit.estimate - -0.5104319).abs() < 1e-6); // metafor `est`
/// assert!((e.tau2 - 0.3082492).abs() < 1e-6);
/// # Ok(())
/// # }
/// ```
pub fn egger(yi: &[f64], vi: &[f64], opts: &FitOptions) -> Result<EggerTest> {
    crate::fit::validate_at_least(yi, vi, 3, "Egger's regression test")?;
    let r = regtest(yi, vi, None, opts, RegModel::Rma, Predictor::Sei)?;
    Ok(EggerTest {
        stat: r.stat,
        pval: r.pval,
        df: r.df,
        slope: r.slope,
        limit: r.intercept,
        tau2: r.tau2.unwrap_or(0.0),
        notes: r.notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Error, Method};

    #[test]
    fn equal_variances_leave_no_slope_to_estimate() {
        let err = egger(
            &[0.1, 0.2, 0.3],
            &[0.1, 0.1, 0.1],
            &FitOptions::new(Method::Fe),
        )
        .unwrap_err();
        assert_eq!(err, Error::RankDeficient);
    }

    #[test]
    fn two_studies_are_too_few() {
        let err = egger(&[0.1, 0.2], &[0.1, 0.2], &FitOptions::new(Method::Fe)).unwrap_err();
        assert!(matches!(err, Error::TooFewStudies { needed: 3, .. }));
    }
}
