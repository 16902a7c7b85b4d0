//! Paule–Mandel estimator (Paule & Mandel 1982; DerSimonian & Kacker 2007):
//! τ̂² solves the generalised Q equation
//!
//! Q(τ²) = Σ wᵢ(τ²) eᵢ(τ²)² = k − p,  wᵢ(τ²) = 1/(vᵢ + τ²),
//!
//! where eᵢ(τ²) are the weighted least-squares residuals; τ̂² = 0 when
//! Q(0) < k − p. Q is decreasing in τ², so the root is unique.
//!
//! Matches metafor `rma.uni(method = "PM")`. metafor finds the root with
//! `uniroot(tol = .Machine$double.eps^0.25)` on [0, max(100, 10·mad(y)²)];
//! rema solves to near machine precision and widens the bracket when needed,
//! so it agrees with metafor run at a tight `control = list(tol = ...)`.

use super::kernel::general::{General, Workspace};
use super::kernel::{Estimate, Failure, Kernel, Need, Note};
use super::Problem;
use crate::error::Result;
use crate::linalg::Design;
use crate::roots::brent;

/// The generalised Q statistic Q(τ²) = Σ wᵢ eᵢ² with wᵢ = 1/(vᵢ + τ²)
/// (metafor's internal `.QE.func`).
///
/// ```
/// use rema_core::{fit, tau2::generalised_q, Design, FitOptions, Method};
/// # fn main() -> rema_core::Result<()> {
/// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
/// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
/// let x = Design::intercept(13);
/// // At τ² = 0 it is Cochran's Q (metafor: rma(yi, vi)$QE = 152.2330081) ...
/// assert!((generalised_q(&yi, &vi, &x, 0.0) - 152.2330081).abs() < 1e-6);
/// // ... and the Paule-Mandel τ² solves Q(τ²) = k - 1.
/// let pm = fit(&yi, &vi, &FitOptions::new(Method::Pm))?;
/// assert!((generalised_q(&yi, &vi, &x, pm.tau2) - 12.0).abs() < 1e-3);
/// # Ok(())
/// # }
/// ```
pub fn generalised_q(y: &[f64], v: &[f64], x: &Design, tau2: f64) -> f64 {
    let mut ws = Workspace::new(y.len(), x.cols());
    General::new(y, v, x, &mut ws)
        .wls(tau2, Need::NONE)
        .map_or(f64::NAN, |f| f.rss)
}

/// Why [`decreasing_root`] found no root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RootFailure {
    /// q stays positive up to 1e32 (or hi overflowed).
    NoBracket { widenings: usize },
    /// Brent's search did not converge (or q was not finite at the ends).
    NoConvergence,
}

/// The root τ² ≥ 0 of a decreasing q: `Ok(None)` when q(0) < 0 already
/// (the solution is truncated at 0); otherwise the bracket [0, `hi`] is
/// widened ×10 until q(hi) ≤ 0 (at most 30 times) and the root found by
/// Brent's method to near machine precision.
pub(crate) fn decreasing_root(
    mut q: impl FnMut(f64) -> f64,
    mut hi: f64,
) -> std::result::Result<Option<f64>, RootFailure> {
    if q(0.0) < 0.0 {
        return Ok(None);
    }
    let mut widenings = 0;
    while q(hi) > 0.0 {
        hi *= 10.0;
        widenings += 1;
        if widenings > 30 || !hi.is_finite() {
            return Err(RootFailure::NoBracket { widenings });
        }
    }
    brent(q, 0.0, hi)
        .map(Some)
        .ok_or(RootFailure::NoConvergence)
}

/// The τ² ≥ 0 with Q(τ²) = `target` through the kernel `k`, from the
/// kernel's first bracket; `Ok(None)` when Q(0) is already below the target.
fn root<K: Kernel>(k: &mut K, target: f64) -> std::result::Result<Option<f64>, Failure> {
    let hi = k.pm_bracket();
    let q = |t: f64| k.wls(t, Need::NONE).map_or(f64::NAN, |f| f.rss) - target;
    decreasing_root(q, hi).map_err(|e| match e {
        RootFailure::NoBracket { widenings } => Failure::NoBracket { widenings },
        RootFailure::NoConvergence => Failure::NoRoot,
    })
}

/// Solves Q(τ²) = target for τ² ≥ 0 on the general kernel. `Ok(None)` when
/// Q(0) is already below the target (the solution is truncated at 0).
pub(crate) fn solve_q(pr: &Problem, target: f64, what: &'static str) -> Result<Option<f64>> {
    let mut ws = Workspace::new(pr.k(), pr.p());
    let mut k = General::new(pr.y, pr.v, pr.x, &mut ws);
    root(&mut k, target).map_err(|f| f.into_error(what))
}

pub(super) fn estimate<K: Kernel>(k: &mut K) -> std::result::Result<Estimate<K::Extra>, Failure> {
    let target = k.df();
    let tau2 = root(k, target)?;
    Ok(Estimate {
        tau2: tau2.unwrap_or(0.0),
        iterations: None,
        note: tau2.is_none().then_some(Note::PmZero),
        at: None,
    })
}

/// R's `mad()`: 1.4826 × the median absolute deviation from the median.
pub(crate) fn mad(y: &[f64]) -> f64 {
    let mut s = vec![0.0; y.len()];
    mad_in(y, &mut s)
}

/// [`mad`] with `scratch` (length k) for the sorted values: no allocation.
pub(crate) fn mad_in(y: &[f64], scratch: &mut [f64]) -> f64 {
    fn median(v: &mut [f64]) -> f64 {
        v.sort_by(|a, b| a.total_cmp(b));
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            0.5 * (v[n / 2 - 1] + v[n / 2])
        }
    }
    let s = &mut scratch[..y.len()];
    s.copy_from_slice(y);
    let m = median(s);
    for (d, y) in s.iter_mut().zip(y) {
        *d = (y - m).abs();
    }
    1.4826 * median(s)
}
