//! Outlier and influence diagnostics, as metafor 3.8 `influence.rma.uni`
//! (Viechtbauer & Cheung 2010, Research Synthesis Methods 1:112–125).
//!
//! With the full fit (β̂, Var(β̂), τ̂², wᵢ = 1/(vᵢ + τ̂²), A = (X'WX)⁻¹) and,
//! for each study i, the fit without it (β̂₍ᵢ₎, Var₍ᵢ₎, τ̂²₍ᵢ₎, s²₍ᵢ₎ the
//! Knapp–Hartung factor, 1 under z), all with the same estimator, test and
//! level:
//! - hat value hᵢ = wᵢ·xᵢ'Axᵢ (`hatvalues()`, set to 1 above 1 − 10ε);
//! - externally studentised residual (`rstudent()`):
//!   (yᵢ − xᵢ'β̂₍ᵢ₎)/√(s²₍ᵢ₎(vᵢ + τ̂²₍ᵢ₎) + xᵢ'Var₍ᵢ₎xᵢ);
//! - DFFITS: (xᵢ'β̂ − xᵢ'β̂₍ᵢ₎)/√(s²₍ᵢ₎·hᵢ·(τ̂²₍ᵢ₎ + vᵢ));
//! - DFBETAS: (β̂ − β̂₍ᵢ₎)/√(s²₍ᵢ₎·diag((X'W₍ᵢ₎X)⁻¹)), W₍ᵢ₎ = diag(1/(vⱼ + τ̂²₍ᵢ₎)) over all k studies;
//! - Cook's distance: (β̂ − β̂₍ᵢ₎)'Var(β̂)⁻¹(β̂ − β̂₍ᵢ₎) over all p coefficients,
//!   the intercept included (metafor's `influence()` default, `btt = 1:p`);
//! - COVRATIO: det Var₍ᵢ₎ / det Var over the same coefficients;
//! - τ̂²₍ᵢ₎ and the residual heterogeneity Q₍ᵢ₎ without the study;
//! - the weight in percent.
//!
//! A study is flagged influential (metafor's rule) when |DFFITS| > 3√(p/(k − p)),
//! or the χ²(p) cdf of Cook's distance exceeds 0.5, or hᵢ > 3p/k, or any
//! |DFBETAS| > 1.
//!
//! With moderators, each refit without study i uses the rows X₍₋ᵢ₎ of the
//! model matrix (metafor: `rma(yi, vi, mods = X, intercept = FALSE, subset = -i)`);
//! a refit whose model matrix is no longer of full rank gives NaN, as metafor's `NA`.

use crate::error::{Error, Result};
use crate::fit::{fit_with_moderators, Fit, FitOptions};
use crate::linalg::{weighted_crossprod, Design, SymMatrix};

/// The diagnostics of one study, the columns of metafor's
/// `influence(res)$inf` and `$dfbs`. Values are NaN where the fit without the
/// study failed (metafor's `NA`).
///
/// Produced by [`influence()`] (see its example).
#[derive(Debug, Clone, PartialEq)]
pub struct StudyInfluence {
    /// Externally studentised residual (`rstudent`).
    pub rstudent: f64,
    /// DFFITS (`dffits`).
    pub dffits: f64,
    /// Cook's distance (`cook.d`).
    pub cook_d: f64,
    /// Covariance ratio (`cov.r`).
    pub cov_r: f64,
    /// τ̂² without the study (`tau2.del`).
    pub tau2_del: f64,
    /// Residual heterogeneity Q without the study (`QE.del`).
    pub qe_del: f64,
    /// Hat value, the study's leverage (`hat`).
    pub hat: f64,
    /// Weight in percent.
    pub weight: f64,
    /// DFBETAS, one per coefficient.
    pub dfbetas: Vec<f64>,
    /// metafor's influential flag.
    pub influential: bool,
    /// Why the fit without the study failed, if it did.
    pub error: Option<Error>,
}

fn quad(x: &[f64], m: &SymMatrix) -> f64 {
    let mut s = 0.0;
    for (i, xi) in x.iter().enumerate() {
        for (j, xj) in x.iter().enumerate() {
            s += xi * m.get(i, j) * xj;
        }
    }
    s
}

fn sub_matrix(m: &SymMatrix, idx: &[usize]) -> SymMatrix {
    let mut s = SymMatrix::zeros(idx.len());
    for (a, &i) in idx.iter().enumerate() {
        for (b, &j) in idx.iter().enumerate() {
            s.set(a, b, m.get(i, j));
        }
    }
    s
}

/// The diagnostics of every study for the model `full`, fitted to `yi`, `vi`
/// with design `x` (use [`Design::intercept`] for the intercept-only model).
///
/// ```
/// use rema_core::{fit, influence, Design, FitOptions, Method};
/// # fn main() -> rema_core::Result<()> {
/// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
/// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
/// // dat.bcg, log risk ratios; metafor 3.8-1: influence(rma(yi, vi))$inf[1, ]
/// let full = fit(&yi, &vi, &FitOptions::new(Method::Reml))?;
/// let inf = influence(&yi, &vi, &Design::intercept(13), &full)?;
/// let first = &inf[0];
/// assert!((first.rstudent - -0.2181425).abs() < 1e-6);
/// assert!((first.cook_d - 0.0017165).abs() < 1e-6);
/// assert!((first.tau2_del - 0.3361567).abs() < 1e-6);
/// assert!((first.hat - 0.0505948).abs() < 1e-6 && (first.weight - 5.059483).abs() < 1e-5);
/// assert!((first.dfbetas[0] - -0.0402659).abs() < 1e-6);
/// // No study of dat.bcg is flagged by metafor's rule.
/// assert!(inf.iter().all(|s| !s.influential));
/// # Ok(())
/// # }
/// ```
pub fn influence(yi: &[f64], vi: &[f64], x: &Design, full: &Fit) -> Result<Vec<StudyInfluence>> {
    let k = yi.len();
    if k < 2 {
        return Err(Error::TooFewStudies {
            k,
            needed: 2,
            what: "influence diagnostics",
        });
    }
    if vi.len() != k || x.rows() != k || full.k != k || full.p != x.cols() {
        return Err(Error::LengthMismatch {
            what: format!(
                "{k} effects, {} variances, {} design rows and a fit to {} studies",
                vi.len(),
                x.rows(),
                full.k
            ),
        });
    }
    let p = x.cols();
    let opts: FitOptions = crate::leave_one_out::single_study_options(&full.options, k - 1);
    let beta: Vec<f64> = full.coefficients.iter().map(|c| c.estimate).collect();
    // Every coefficient, the intercept included: metafor's influence() sets
    // btt with int.incl = FALSE (unlike the omnibus test of the fit).
    let btt: Vec<usize> = (0..p).collect();
    let m = btt.len();
    let vb_btt = sub_matrix(&full.vb, &btt);
    let svb = vb_btt.cholesky_inverse().ok_or(Error::RankDeficient)?;
    let logdet_full = vb_btt.log_det().ok_or(Error::RankDeficient)?;

    // Hat values from the unscaled A = (X'WX)⁻¹ of the full fit.
    let w: Vec<f64> = vi.iter().map(|v| 1.0 / (v + full.tau2)).collect();
    let a = weighted_crossprod(x, &w)
        .cholesky_inverse()
        .ok_or(Error::RankDeficient)?;
    let hat: Vec<f64> = (0..k)
        .map(|i| {
            let h = w[i] * quad(x.row(i), &a);
            if h > 1.0 - 10.0 * f64::EPSILON {
                1.0
            } else {
                h
            }
        })
        .collect();
    let dffits_cut = 3.0 * (p as f64 / (k as f64 - p as f64)).sqrt();

    let mut out = Vec::with_capacity(k);
    let mut y = Vec::with_capacity(k - 1);
    let mut v = Vec::with_capacity(k - 1);
    for i in 0..k {
        y.clear();
        v.clear();
        let keep: Vec<usize> = (0..k).filter(|&j| j != i).collect();
        for &j in &keep {
            y.push(yi[j]);
            v.push(vi[j]);
        }
        let xd = x.select_rows(&keep);
        let nan_row = |error: Error| StudyInfluence {
            rstudent: f64::NAN,
            dffits: f64::NAN,
            cook_d: f64::NAN,
            cov_r: f64::NAN,
            tau2_del: f64::NAN,
            qe_del: f64::NAN,
            hat: hat[i],
            weight: full.weights[i],
            dfbetas: vec![f64::NAN; p],
            influential: hat[i] > 3.0 * p as f64 / k as f64,
            error: Some(error),
        };
        let del = match fit_with_moderators(&y, &v, &xd, &opts) {
            Ok(f) => f,
            Err(e) => {
                out.push(nan_row(e));
                continue;
            }
        };
        let bdel: Vec<f64> = del.coefficients.iter().map(|c| c.estimate).collect();
        let xi = x.row(i);
        let pred_full: f64 = xi.iter().zip(&beta).map(|(a, b)| a * b).sum();
        let delpred: f64 = xi.iter().zip(&bdel).map(|(a, b)| a * b).sum();
        let vdelpred = quad(xi, &del.vb);
        let s2w = del.s2w;
        let tau2_del = del.tau2;
        let dffits = (pred_full - delpred) / (s2w * hat[i] * (tau2_del + vi[i])).sqrt();
        let wdel: Vec<f64> = vi.iter().map(|v| 1.0 / (v + tau2_del)).collect();
        let dfbetas: Vec<f64> = match weighted_crossprod(x, &wdel).cholesky_inverse() {
            Some(vbd) => (0..p)
                .map(|j| (beta[j] - bdel[j]) / (s2w * vbd.get(j, j)).sqrt())
                .collect(),
            None => vec![f64::NAN; p],
        };
        let dfb: Vec<f64> = btt.iter().map(|&j| beta[j] - bdel[j]).collect();
        let cook_d = quad(&dfb, &svb);
        let cov_r = sub_matrix(&del.vb, &btt)
            .log_det()
            .map(|ld| (ld - logdet_full).exp())
            .unwrap_or(f64::NAN);
        let mut resid = yi[i] - delpred;
        if resid.abs() < 100.0 * f64::EPSILON {
            resid = 0.0;
        }
        let seresid = (vi[i] * s2w + vdelpred + tau2_del * s2w).sqrt();
        let rstudent = resid / seresid;
        let influential = dffits.abs() > dffits_cut
            || crate::dist::chisq_cdf(cook_d, m as f64) > 0.5
            || hat[i] > 3.0 * p as f64 / k as f64
            || dfbetas.iter().any(|d| d.abs() > 1.0);
        out.push(StudyInfluence {
            rstudent,
            dffits,
            cook_d,
            cov_r,
            tau2_del,
            qe_del: del.q,
            hat: hat[i],
            weight: full.weights[i],
            dfbetas,
            influential,
            error: None,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::fit;
    use crate::Method;

    #[test]
    fn one_study_is_too_few() {
        let f = fit(&[0.1], &[0.01], &FitOptions::new(Method::Fe)).unwrap();
        let err = influence(&[0.1], &[0.01], &Design::intercept(1), &f).unwrap_err();
        assert!(matches!(err, Error::TooFewStudies { k: 1, .. }));
    }

    #[test]
    fn hat_values_sum_to_p_and_an_outlier_is_flagged() {
        let yi = [0.1, 0.12, 0.09, 0.11, 1.5];
        let vi = [0.01, 0.012, 0.011, 0.01, 0.01];
        let f = fit(&yi, &vi, &FitOptions::new(Method::Fe)).unwrap();
        let inf = influence(&yi, &vi, &Design::intercept(5), &f).unwrap();
        let sum: f64 = inf.iter().map(|s| s.hat).sum();
        assert!((sum - 1.0).abs() < 1e-12);
        assert!(inf[4].influential);
        // metafor flags every study here (FE with an outlier): see the goldens.
        assert!(inf[4].rstudent > 10.0);
    }
}
