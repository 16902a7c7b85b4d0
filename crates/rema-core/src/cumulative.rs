//! Cumulative meta-analysis, as metafor 3.8 `cumul.rma.uni`.
//!
//! The studies are put in the given order (metafor: `order(order)`, ascending
//! and stable, so tied keys keep their input order) and the intercept-only
//! model is fitted to the first 1, 2, …, k of them with the same τ²
//! estimator, test, level and control settings (Lau et al. 1992,
//! "Cumulative meta-analysis of therapeutic trials for myocardial infarction",
//! NEJM 327:248–254). As metafor's `rma()`, the first step (one study) uses the
//! z test when the Knapp–Hartung test was asked for. A step whose fit fails
//! keeps the error where metafor reports `NA`.

use crate::error::{Error, Result};
use crate::fit::{fit, FitOptions};
use crate::leave_one_out::PooledSummary;

/// The fit to the first studies in the order: one row of metafor's `cumul()`.
///
/// Produced by [`cumulative()`] (see its example).
#[derive(Debug, Clone, PartialEq)]
pub struct CumulativeStep {
    /// 0-based index (in the input) of the study added at this step.
    pub added: usize,
    /// The fit to the studies added so far, or why it failed.
    pub fit: std::result::Result<PooledSummary, Error>,
}

/// The stable ascending order of `keys` (R's `order()`); NaN keys go last,
/// as R's `na.last = TRUE`.
///
/// ```
/// use rema_core::stable_order;
/// // R: order(c(1980, 1948, NA, 1948))
/// assert_eq!(stable_order(&[1980.0, 1948.0, f64::NAN, 1948.0]), vec![1, 3, 0, 2]);
/// ```
pub fn stable_order(keys: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..keys.len()).collect();
    idx.sort_by(|&a, &b| {
        let (x, y) = (keys[a], keys[b]);
        match (x.is_nan(), y.is_nan()) {
            (true, true) => std::cmp::Ordering::Equal,
            (true, false) => std::cmp::Ordering::Greater,
            (false, true) => std::cmp::Ordering::Less,
            (false, false) => x.partial_cmp(&y).expect("not NaN"),
        }
    });
    idx
}

/// Cumulative fits over the studies in `order`, a permutation of 0..k
/// (metafor `cumul(res, order = ...)`; [`stable_order`] turns a sort key into
/// the permutation).
///
/// ```
/// use rema_core::{cumulative, stable_order, FitOptions, Method};
/// # fn main() -> rema_core::Result<()> {
/// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
/// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
/// // dat.bcg by publication year; metafor 3.8-1: cumul(rma(yi, vi), order = dat$year)
/// let year = [1948., 1949., 1960., 1977., 1973., 1953., 1973., 1980., 1968., 1961., 1974., 1969., 1976.];
/// let steps = cumulative(&yi, &vi, &stable_order(&year), &FitOptions::new(Method::Reml))?;
/// let est: Vec<f64> = steps.iter().map(|s| s.fit.as_ref().unwrap().estimate).collect();
/// assert!((est[2] - -0.9720796).abs() < 1e-6);
/// assert!((est[12] - -0.7145323).abs() < 1e-6); // all 13 studies: the full fit
/// assert_eq!(steps[0].added, 0);
/// # Ok(())
/// # }
/// ```
pub fn cumulative(
    yi: &[f64],
    vi: &[f64],
    order: &[usize],
    opts: &FitOptions,
) -> Result<Vec<CumulativeStep>> {
    crate::fit::validate(yi, vi)?;
    let k = yi.len();
    let mut seen = vec![false; k];
    if order.len() != k
        || order
            .iter()
            .any(|&i| i >= k || std::mem::replace(&mut seen[i], true))
    {
        return Err(Error::InvalidOption {
            option: "order",
            message: format!("the order must be a permutation of the {k} studies"),
        });
    }
    let mut y = Vec::with_capacity(k);
    let mut v = Vec::with_capacity(k);
    let single = crate::leave_one_out::single_study_options(opts, 1);
    Ok(order
        .iter()
        .map(|&i| {
            y.push(yi[i]);
            v.push(vi[i]);
            let o = if y.len() == 1 { &single } else { opts };
            CumulativeStep {
                added: i,
                fit: fit(&y, &v, o).map(|f| PooledSummary::from_fit(&f)),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Method;

    #[test]
    fn order_is_stable_and_puts_nan_last() {
        assert_eq!(
            stable_order(&[3.0, 1.0, f64::NAN, 1.0, 2.0]),
            vec![1, 3, 4, 0, 2]
        );
    }

    #[test]
    fn order_must_be_a_permutation() {
        let opts = FitOptions::new(Method::Dl);
        let err = cumulative(&[0.1, 0.2], &[0.1, 0.1], &[0, 0], &opts).unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidOption {
                option: "order",
                ..
            }
        ));
        let err = cumulative(&[0.1, 0.2], &[0.1, 0.1], &[0], &opts).unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidOption {
                option: "order",
                ..
            }
        ));
    }

    #[test]
    fn last_step_is_the_full_fit() {
        let yi = [0.1, 0.5, -0.2];
        let vi = [0.02, 0.05, 0.03];
        let opts = FitOptions::new(Method::Dl);
        let c = cumulative(&yi, &vi, &[2, 0, 1], &opts).unwrap();
        assert_eq!(c[0].added, 2);
        assert_eq!(c[0].fit.clone().unwrap().k, 1);
        let full = fit(&yi, &vi, &opts).unwrap();
        assert!((c[2].fit.clone().unwrap().estimate - full.estimate().estimate).abs() < 1e-15);
    }
}
