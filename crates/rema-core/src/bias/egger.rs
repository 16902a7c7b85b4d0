//! Egger's regression test for funnel-plot asymmetry, as metafor 3.8
//! `regtest(model = "rma", predictor = "sei")`, its default.
//!
//! The model is refitted with the standard error √vᵢ as a moderator,
//! yᵢ = β₀ + β₁√vᵢ + uᵢ + εᵢ, with the same τ² estimator, test and level;
//! the test of asymmetry is the z (or Knapp–Hartung t) test of β₁ = 0. The
//! intercept β₀ is the "limit estimate" as the standard error goes to zero
//! (Egger et al. 1997, BMJ 315:629–634; the mixed-effects version of
//! Sterne & Egger 2005, in Rothstein et al., *Publication Bias in
//! Meta-Analysis*, ch. 6).

use crate::error::{Error, Result};
use crate::fit::{fit_with_moderators, Coefficient, FitOptions};
use crate::linalg::Design;

/// The result of Egger's test.
#[derive(Debug, Clone, PartialEq)]
pub struct EggerTest {
    /// z statistic of the standard-error coefficient (t under Knapp–Hartung).
    pub stat: f64,
    pub pval: f64,
    /// t degrees of freedom (k − 2), `None` for z.
    pub df: Option<f64>,
    /// The standard-error coefficient β₁.
    pub slope: Coefficient,
    /// The intercept β₀: the estimate for a study of infinite precision.
    pub limit: Coefficient,
    pub tau2: f64,
    pub notes: Vec<String>,
}

/// Egger's test on effects `yi` with sampling variances `vi`.
pub fn egger(yi: &[f64], vi: &[f64], opts: &FitOptions) -> Result<EggerTest> {
    crate::fit::validate(yi, vi)?;
    let k = yi.len();
    if k < 3 {
        return Err(Error::TooFewStudies {
            k,
            needed: 3,
            what: "Egger's regression test",
        });
    }
    let mut data = Vec::with_capacity(2 * k);
    for v in vi {
        data.extend_from_slice(&[1.0, v.sqrt()]);
    }
    let x = Design::from_row_major(k, 2, data).expect("k rows of 2");
    let f = fit_with_moderators(yi, vi, &x, opts)?;
    let slope = f.coefficients[1];
    Ok(EggerTest {
        stat: slope.stat,
        pval: slope.pval,
        df: f.df,
        slope,
        limit: f.coefficients[0],
        tau2: f.tau2,
        notes: f.notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Method;

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
