//! Leave-one-out sensitivity analysis, as metafor 3.8 `leave1out.rma.uni`.
//!
//! For each study i, the model is refitted to the other k − 1 studies with
//! the same τ² estimator, test, level and control settings, and the pooled
//! estimate, its inference and the heterogeneity statistics (τ̂², I², H², Q)
//! are reported (Viechtbauer & Cheung 2010, "Outlier and influence
//! diagnostics for meta-analysis", Research Synthesis Methods 1:112–125).
//! Where metafor's refit fails and it reports `NA`, rema keeps the error. As
//! metafor's `rma()`, a refit to a single study (k = 2) uses the z test when
//! the Knapp–Hartung test was asked for.

use crate::error::{Error, Result};
use crate::fit::{fit, Fit, FitOptions};

/// The pooled estimate and the heterogeneity of one fit to a subset of the
/// studies: one row of metafor's `leave1out()` or `cumul()`.
///
/// Produced by [`leave_one_out()`] and `cumulative()` (see their examples),
/// or from a fit with [`PooledSummary::from_fit`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PooledSummary {
    /// Number of studies in the fit (metafor `k`).
    pub k: usize,
    /// The pooled estimate, on the analysis scale (metafor `estimate`).
    pub estimate: f64,
    /// Its standard error (metafor `se`).
    pub se: f64,
    /// z or t statistic (metafor `zval`, or `tval` under Knapp–Hartung).
    pub stat: f64,
    /// t degrees of freedom (Knapp–Hartung), `None` for z.
    pub df: Option<f64>,
    /// Two-sided p-value (metafor `pval`).
    pub pval: f64,
    /// Lower confidence bound (metafor `ci.lb`).
    pub ci_lower: f64,
    /// Upper confidence bound (metafor `ci.ub`).
    pub ci_upper: f64,
    /// τ̂² (metafor `tau2`).
    pub tau2: f64,
    /// I² in percent (metafor `I2`).
    pub i2: f64,
    /// H² (metafor `H2`).
    pub h2: f64,
    /// Cochran's Q (metafor `Q`).
    pub q: f64,
    /// Its degrees of freedom, k − 1.
    pub q_df: f64,
    /// Its p-value (metafor `Qp`).
    pub q_pval: f64,
}

impl PooledSummary {
    /// The summary of an intercept-only fit.
    ///
    /// ```
    /// use rema_core::{fit, FitOptions, Method, PooledSummary};
    /// # fn main() -> rema_core::Result<()> {
    /// let f = fit(&[0.1, 0.5, -0.2], &[0.02, 0.05, 0.03], &FitOptions::new(Method::Dl))?;
    /// let s = PooledSummary::from_fit(&f);
    /// assert_eq!((s.k, s.estimate, s.tau2), (3, f.estimate().estimate, f.tau2));
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_fit(f: &Fit) -> PooledSummary {
        let e = f.estimate();
        PooledSummary {
            k: f.k,
            estimate: e.estimate,
            se: e.se,
            stat: e.stat,
            df: f.df,
            pval: e.pval,
            ci_lower: e.ci_lower,
            ci_upper: e.ci_upper,
            tau2: f.tau2,
            i2: f.i2,
            h2: f.h2,
            q: f.q,
            q_df: f.q_df,
            q_pval: f.q_pval,
        }
    }
}

/// metafor's `rma()` switches to the z test for a single study ("Setting
/// argument test = \"z\" since k = 1"); refits to one study do the same.
pub(crate) fn single_study_options(opts: &FitOptions, k: usize) -> FitOptions {
    if k == 1 {
        FitOptions {
            test: crate::fit::Test::Z,
            ..*opts
        }
    } else {
        *opts
    }
}

/// The fit without one study; produced by [`leave_one_out()`] (see its example).
#[derive(Debug, Clone, PartialEq)]
pub struct LeaveOneOut {
    /// 0-based index of the omitted study.
    pub omitted: usize,
    /// The fit to the other studies, or why it failed (metafor reports `NA`).
    pub fit: std::result::Result<PooledSummary, Error>,
}

/// The full fit without one study, for a model with or without moderators
/// ([`crate::RmaFit::leave_one_out`]).
#[derive(Debug, Clone, PartialEq)]
pub struct LeaveOneOutFit {
    /// 0-based index of the omitted study.
    pub omitted: usize,
    /// The model refitted to the other studies, or why the refit failed
    /// (metafor reports `NA`).
    pub fit: std::result::Result<Fit, Error>,
}

/// Fits the intercept-only model k times, each time without one study.
///
/// Needs at least two studies (metafor: "Stopped because k = 1").
///
/// ```
/// use rema_core::{leave_one_out, FitOptions, Method};
/// # fn main() -> rema_core::Result<()> {
/// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
/// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
/// // dat.bcg, log risk ratios; metafor 3.8-1: leave1out(rma(yi, vi, method = "DL"))
/// let l = leave_one_out(&yi, &vi, &FitOptions::new(Method::Dl))?;
/// assert_eq!(l.len(), 13);
/// let without_first = l[0].fit.as_ref().unwrap();
/// assert_eq!((l[0].omitted, without_first.k), (0, 12));
/// assert!((without_first.estimate - -0.7051252).abs() < 1e-6);
/// assert!((without_first.tau2 - 0.3121715).abs() < 1e-6);
/// assert!((without_first.i2 - 92.74323).abs() < 1e-4);
/// # Ok(())
/// # }
/// ```
pub fn leave_one_out(yi: &[f64], vi: &[f64], opts: &FitOptions) -> Result<Vec<LeaveOneOut>> {
    let k = crate::fit::validate_at_least(yi, vi, 2, "leave-one-out analysis")?;
    let mut y = Vec::with_capacity(k - 1);
    let mut v = Vec::with_capacity(k - 1);
    let opts = &single_study_options(opts, k - 1);
    Ok((0..k)
        .map(|i| {
            y.clear();
            v.clear();
            for j in (0..k).filter(|&j| j != i) {
                y.push(yi[j]);
                v.push(vi[j]);
            }
            LeaveOneOut {
                omitted: i,
                fit: fit(&y, &v, opts).map(|f| PooledSummary::from_fit(&f)),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Method;

    #[test]
    fn one_study_is_too_few() {
        let err = leave_one_out(&[0.1], &[0.01], &FitOptions::new(Method::Dl)).unwrap_err();
        let too_few = Error::TooFewStudies {
            k: 1,
            needed: 2,
            what: "leave-one-out analysis",
        };
        assert_eq!(err, too_few);
    }

    #[test]
    fn omitting_a_study_equals_fitting_without_it() {
        let yi = [0.1, 0.5, -0.2, 0.3];
        let vi = [0.02, 0.05, 0.03, 0.04];
        let opts = FitOptions::new(Method::Reml);
        let l = leave_one_out(&yi, &vi, &opts).unwrap();
        let direct = fit(&[0.1, -0.2, 0.3], &[0.02, 0.03, 0.04], &opts).unwrap();
        let s = l[1].fit.clone().unwrap();
        assert_eq!(l[1].omitted, 1);
        assert_eq!(s.estimate, direct.estimate().estimate);
        assert_eq!(s.tau2, direct.tau2);
        assert_eq!(s.k, 3);
    }
}
