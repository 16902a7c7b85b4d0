//! The profile log-likelihood of τ² (metafor `profile.rma.uni`): the
//! model's log-likelihood with τ² held at each value of a grid, the
//! coefficients at their weighted least-squares estimate there. REML fits
//! profile the restricted log-likelihood,
//! −½(k − p)ln 2π + ½ln|X'X| − ½Σln(vᵢ + τ²) − ½ln|X'WX| − ½ y'Py,
//! every other method the likelihood, −½k ln 2π − ½Σln(vᵢ + τ²) − ½ y'Py
//! (metafor's `logLik(res)`, whose `REML` argument defaults to
//! `method == "REML"`). The (restricted) log-likelihood is the τ² kernel's
//! (`tau2::kernel::log_likelihood`), the one the estimators maximise.

use crate::error::{Error, Result};
use crate::linalg::{weighted_crossprod, Design};
use crate::tau2::kernel::general::{General, Workspace};
use crate::tau2::kernel::{log_likelihood, Kernel, Need};
use crate::tau2::Method;

/// The log-likelihood of the model of `yi`, `vi`, `x` under `method` at each
/// τ² of `tau2` (each ≥ 0 and finite); NaN where X'WX is not positive
/// definite. Called by [`crate::RmaFit::profile_tau2`].
pub fn profile_tau2(
    yi: &[f64],
    vi: &[f64],
    x: &Design,
    method: Method,
    tau2: &[f64],
) -> Result<Vec<f64>> {
    if let Some(t) = tau2.iter().find(|t| !(t.is_finite() && **t >= 0.0)) {
        return Err(Error::InvalidOption {
            option: "tau2",
            message: format!("{t} is not a variance: give values >= 0"),
        });
    }
    let lik = if method == Method::Reml {
        Method::Reml
    } else {
        Method::Ml
    };
    let (k, p) = (yi.len(), x.cols());
    let constant = if lik == Method::Reml {
        let ones = vec![1.0; k];
        0.5 * weighted_crossprod(x, &ones)
            .log_det()
            .ok_or(Error::RankDeficient)?
    } else {
        0.0
    };
    let mut ws = Workspace::new(k, p);
    let mut kern = General::new(yi, vi, x, &mut ws);
    Ok(tau2
        .iter()
        .map(|&t| match kern.wls(t, Need::likelihood(lik)) {
            Some(f) => constant + log_likelihood(lik, k, p, &f, kern.sum_log(t, true)),
            None => f64::NAN,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testdata::{BCG_VI as VI, BCG_YI as YI};

    /// metafor 3.8-1 on dat.bcg (escalc "RR"):
    /// logLik(rma(yi, vi, tau2 = t, method = m)), and with mods = ~ ablat.
    #[test]
    fn profile_is_metafors_log_likelihood() {
        let grid = [0.0, 0.1, 0.3132433260, 1.0];
        let x = Design::intercept(13);
        let reml = [
            -71.228640819794,
            -14.738310458802,
            -12.202371415494,
            -14.238010632782,
        ];
        let ml = [
            -70.223569904431,
            -14.793245956620,
            -12.687771749885,
            -15.218742481845,
        ];
        for (method, want) in [(Method::Reml, reml), (Method::Ml, ml), (Method::Dl, ml)] {
            let got = profile_tau2(&YI, &VI, &x, method, &grid).unwrap();
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() < 1e-6 * w.abs(), "{method}: {g} vs {w}");
            }
        }
        let ablat = [
            44., 55., 42., 52., 13., 44., 19., 13., 27., 42., 18., 33., 33.,
        ];
        let x =
            Design::from_row_major(13, 2, ablat.iter().flat_map(|a| [1.0, *a]).collect()).unwrap();
        let got = profile_tau2(&YI, &VI, &x, Method::Reml, &[0.0, 0.1, 1.0]).unwrap();
        for (g, w) in got
            .iter()
            .zip([-11.579353799977, -8.123731311234, -12.444371991424])
        {
            assert!((g - w).abs() < 1e-6 * w.abs(), "mods: {g} vs {w}");
        }
        assert!(matches!(
            profile_tau2(&YI, &VI, &Design::intercept(13), Method::Reml, &[-1.0]),
            Err(Error::InvalidOption { option: "tau2", .. })
        ));
    }
}
