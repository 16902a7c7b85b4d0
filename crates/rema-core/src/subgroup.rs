//! Subgroup analysis and the test for subgroup differences, as RevMan and
//! R meta compute it, checked against metafor.
//!
//! - Separate τ² (the default): each level is fitted on its own, as
//!   `rma(yi, vi, subset = g == level, method, test)`.
//! - Common τ²: one mixed-effects model with the grouping factor as the only
//!   moderator and no intercept, `rma(yi, vi, mods = ~ factor(g) - 1, method,
//!   test)`; the level estimates are its coefficients (under Knapp–Hartung,
//!   with that model's s² and k − G degrees of freedom). Within-level Q, I²
//!   and H² use the level's studies with the common τ².
//!
//! Test for subgroup differences (Borenstein et al. 2009, ch. 19; RevMan;
//! meta's `Q.b`): the level estimates θ̂_g with standard errors s_g are pooled
//! by the common-effect model, Q_b = Σ (θ̂_g − θ̄)²/s_g², θ̄ = Σ(θ̂_g/s_g²)/Σ(1/s_g²),
//! χ² on G − 1 df: metafor `rma(estimates, sei = ses, method = "FE")$QE`.

use crate::error::{Error, Result};
use crate::fit::{fit, fit_with_moderators, Coefficient, Fit, FitOptions};
use crate::linalg::{Design, SymMatrix};
use crate::tau2::Method;

/// What a subgroup analysis fits: the studies' effects and sampling
/// variances, each study's level (0-based, of `levels`), the options of
/// every fit and whether the levels share one τ² (the arguments of
/// [`subgroups()`]).
///
/// ```
/// use rema_core::subgroup::SubgroupDesign;
/// use rema_core::{FitOptions, Method};
/// let opts = FitOptions::new(Method::Dl);
/// let (yi, vi) = ([0.1, 0.2, 0.6, 0.7], [0.01, 0.02, 0.01, 0.02]);
/// let d = SubgroupDesign { yi: &yi, vi: &vi, groups: &[0, 0, 1, 1], levels: 2, opts: &opts, common_tau2: false };
/// assert!(d.fit()?.q_between > 0.0);
/// # Ok::<(), rema_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SubgroupDesign<'a> {
    /// The effect sizes.
    pub yi: &'a [f64],
    /// Their sampling variances.
    pub vi: &'a [f64],
    /// Each study's level, 0-based.
    pub groups: &'a [usize],
    /// The number of levels.
    pub levels: usize,
    /// The options of every fit.
    pub opts: &'a FitOptions,
    /// Whether the levels share one τ².
    pub common_tau2: bool,
}

impl SubgroupDesign<'_> {
    /// [`subgroups()`] of the design.
    pub fn fit(&self) -> Result<Subgroups> {
        subgroups(
            self.yi,
            self.vi,
            self.groups,
            self.levels,
            self.opts,
            self.common_tau2,
        )
    }
}

/// One fit per level plus the test for subgroup differences.
///
/// Produced by [`subgroups()`] (see its example).
#[derive(Debug, Clone, PartialEq)]
pub struct Subgroups {
    /// The fit of each level, in level order.
    pub fits: Vec<Fit>,
    /// The studies of each level (positions in the input).
    pub members: Vec<Vec<usize>>,
    /// The test for subgroup differences: Cochran's Q of the levels'
    /// estimates (metafor `rma(estimates, sei = ses, method = "FE")$QE`).
    pub q_between: f64,
    /// Its degrees of freedom, levels − 1.
    pub q_between_df: f64,
    /// Its χ² p-value.
    pub q_between_pval: f64,
    /// The common τ² (with `common_tau2`).
    pub tau2_common: Option<f64>,
}

/// Cochran's Q of estimates with standard errors, pooled by inverse variance:
/// (Q, df, p-value).
///
/// ```
/// use rema_core::subgroup::q_between;
/// // R: rma(c(0.1, 0.5), sei = c(0.2, 0.3), method = "FE")[c("QE", "QEp")]
/// let (q, df, p) = q_between(&[0.1, 0.5], &[0.2, 0.3]);
/// assert!((q - 1.2307692308).abs() < 1e-9 && df == 1.0 && (p - 0.2672574932).abs() < 1e-9);
/// ```
pub fn q_between(estimates: &[f64], ses: &[f64]) -> (f64, f64, f64) {
    let w: Vec<f64> = ses.iter().map(|s| 1.0 / (s * s)).collect();
    let sw: f64 = w.iter().sum();
    let mean = w.iter().zip(estimates).map(|(w, y)| w * y).sum::<f64>() / sw;
    let q: f64 = w
        .iter()
        .zip(estimates)
        .map(|(w, y)| w * (y - mean) * (y - mean))
        .sum();
    let df = estimates.len().saturating_sub(1) as f64;
    let p = crate::dist::chisq_sf(q, df);
    (q, df, p)
}

/// Splits study positions by level; `groups[i]` is the level of study i in
/// `0..levels` (labels outside the range are left out).
///
/// ```
/// use rema_core::subgroup::members;
/// assert_eq!(members(&[1, 0, 1, 2], 2), vec![vec![1], vec![0, 2]]);
/// ```
pub fn members(groups: &[usize], levels: usize) -> Vec<Vec<usize>> {
    let mut m = vec![Vec::new(); levels];
    for (i, &g) in groups.iter().enumerate() {
        if g < levels {
            m[g].push(i);
        }
    }
    m
}

/// Fits every level of `groups` (level indices `0..levels`, each non-empty)
/// and tests for subgroup differences. With `common_tau2`, the levels share
/// the τ² of the model with one indicator per level (metafor
/// `rma(yi, vi, mods = ~ factor(g) - 1)`); otherwise each level has its own.
///
/// ```
/// use rema_core::{subgroup::subgroups, FitOptions, Method};
/// # fn main() -> rema_core::Result<()> {
/// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
/// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
/// // dat.bcg by allocation: 0 alternate, 1 random, 2 systematic. metafor 3.8-1:
/// // rma(yi, vi, subset = alloc == a, method = "DL") per level, then
/// // rma(estimates, sei = ses, method = "FE")$QE
/// let alloc = [1, 1, 1, 1, 0, 0, 1, 1, 1, 2, 2, 2, 2];
/// let s = subgroups(&yi, &vi, &alloc, 3, &FitOptions::new(Method::Dl), false)?;
/// assert_eq!(s.members[0], vec![4, 5]);
/// assert!((s.fits[1].estimate().estimate - -1.0041614).abs() < 1e-6);
/// assert!((s.fits[2].tau2 - 0.2849707).abs() < 1e-6);
/// assert!((s.q_between - 1.5367689).abs() < 1e-6 && s.q_between_df == 2.0);
/// # Ok(())
/// # }
/// ```
pub fn subgroups(
    yi: &[f64],
    vi: &[f64],
    groups: &[usize],
    levels: usize,
    opts: &FitOptions,
    common_tau2: bool,
) -> Result<Subgroups> {
    if groups.len() != yi.len() {
        return Err(Error::LengthMismatch {
            what: format!("{} studies but {} subgroup labels", yi.len(), groups.len()),
        });
    }
    if let Some((i, &g)) = groups.iter().enumerate().find(|(_, &g)| g >= levels) {
        return Err(Error::InvalidOption {
            option: "by",
            message: format!(
                "study {i} has subgroup level {g}, but the levels are 0..{levels}; number the levels from 0"
            ),
        });
    }
    let members = members(groups, levels);
    if levels < 2 || members.iter().any(|m| m.is_empty()) {
        return Err(Error::InvalidOption {
            option: "by",
            message: "a subgroup analysis needs at least two non-empty levels".to_string(),
        });
    }
    let pick = |idx: &[usize], v: &[f64]| idx.iter().map(|&i| v[i]).collect::<Vec<f64>>();
    let (fits, tau2_common) = if common_tau2 {
        let k = yi.len();
        let mut data = vec![0.0; k * levels];
        for (i, &g) in groups.iter().enumerate() {
            data[i * levels + g] = 1.0;
        }
        let x = Design::from_row_major(k, levels, data).ok_or(Error::RankDeficient)?;
        let model = fit_with_moderators(yi, vi, &x, opts)?;
        let mut fits = Vec::with_capacity(levels);
        for (g, idx) in members.iter().enumerate() {
            fits.push(level_with_common_tau2(
                &pick(idx, yi),
                &pick(idx, vi),
                &model,
                g,
                opts,
            )?);
        }
        (fits, Some(model.tau2))
    } else {
        let mut fits = Vec::with_capacity(levels);
        for idx in &members {
            fits.push(fit(&pick(idx, yi), &pick(idx, vi), opts)?);
        }
        (fits, None)
    };
    let est: Vec<f64> = fits.iter().map(|f| f.estimate().estimate).collect();
    let se: Vec<f64> = fits.iter().map(|f| f.estimate().se).collect();
    let (q, df, p) = q_between(&est, &se);
    Ok(Subgroups {
        fits,
        members,
        q_between: q,
        q_between_df: df,
        q_between_pval: p,
        tau2_common,
    })
}

/// The fit of one level under the common τ² of `model` (coefficient `g`).
fn level_with_common_tau2(
    y: &[f64],
    v: &[f64],
    model: &Fit,
    g: usize,
    opts: &FitOptions,
) -> Result<Fit> {
    let tau2 = model.tau2;
    // Q, its df and ṽ of the level do not depend on τ²: take them from the
    // level's common-effect fit.
    let fe = fit(
        y,
        v,
        &FitOptions {
            method: Method::Fe,
            test: crate::fit::Test::Z,
            ..*opts
        },
    )?;
    let c: Coefficient = model.coefficients[g];
    let w: Vec<f64> = v.iter().map(|v| 1.0 / (v + tau2)).collect();
    let sw: f64 = w.iter().sum();
    let k = y.len();
    let (i2, h2) = if k > 1 && opts.method.is_random() {
        (100.0 * tau2 / (fe.vt + tau2), tau2 / fe.vt + 1.0)
    } else {
        (fe.i2, fe.h2)
    };
    let mut vb = SymMatrix::zeros(1);
    vb.set(0, 0, c.se * c.se);
    let mut notes = vec![format!(
        "tau^2 = {tau2:.6} is common to all subgroups (estimated from the model with the subgroup as moderator)"
    )];
    notes.extend(fe.notes.iter().cloned());
    Ok(Fit {
        k,
        p: 1,
        options: *opts,
        coefficients: vec![c],
        vb,
        df: model.df,
        tau2,
        tau2_iterations: model.tau2_iterations,
        q: fe.q,
        q_df: fe.q_df,
        q_pval: fe.q_pval,
        i2,
        h2,
        vt: fe.vt,
        qm: (c.estimate / c.se).powi(2),
        qm_df: (1.0, model.df),
        qm_pval: c.pval,
        s2w: model.s2w,
        weights: w.iter().map(|w| 100.0 * w / sw).collect(),
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_between_of_equal_estimates_is_zero() {
        let (q, df, p) = q_between(&[0.3, 0.3, 0.3], &[0.1, 0.2, 0.3]);
        assert!(q.abs() < 1e-15);
        assert_eq!(df, 2.0);
        assert!((p - 1.0).abs() < 1e-12);
    }

    /// Three studies grouped by `groups` into `levels` levels.
    fn three_studies(groups: [usize; 3], levels: usize, common: bool) -> Result<Subgroups> {
        let (yi, vi) = ([0.1, 0.2, 0.3], [0.1, 0.1, 0.1]);
        subgroups(&yi, &vi, &groups, levels, &FitOptions::default(), common)
    }

    #[test]
    fn a_level_out_of_range_is_an_error() {
        for common in [false, true] {
            let e = three_studies([0, 1, 2], 2, common);
            assert!(matches!(e, Err(Error::InvalidOption { option: "by", .. })));
        }
    }

    #[test]
    fn one_level_is_an_error() {
        let e = three_studies([0, 0, 0], 1, false);
        assert!(matches!(e, Err(Error::InvalidOption { option: "by", .. })));
    }
}
