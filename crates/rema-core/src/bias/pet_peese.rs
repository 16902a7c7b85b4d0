//! PET-PEESE (Stanley & Doucouliagos 2014, Research Synthesis Methods
//! 5:60–78): meta-regression approximations of the effect corrected for
//! small-study effects, by weighted least squares (weights 1/vᵢ, the
//! residual variance estimated), as metafor 3.8-1 `regtest(model = "lm")`.
//!
//! - PET (precision-effect test): yᵢ = β₀ + β₁√vᵢ + εᵢ; its intercept is
//!   the PET estimate (`regtest(model = "lm", predictor = "sei")$est`).
//! - PEESE (precision-effect estimate with standard error):
//!   yᵢ = β₀ + β₁vᵢ + εᵢ; its intercept is the PEESE estimate
//!   (`regtest(model = "lm", predictor = "vi")$est`).
//! - The conditional estimate: PEESE when PET's test of H₀: β₀ = 0 rejects,
//!   else PET. The rule follows Stanley & Doucouliagos (2014, section 4): PET
//!   is used as a test of whether there is a genuine effect, one-tailed at
//!   5% in the direction of the PET estimate (equivalently PET's two-sided
//!   t-test p-value below 0.10); `alpha` sets the one-tailed level.
//!
//! All t tests are on k − 2 degrees of freedom and the intervals at the
//! given level.

use super::regtest::{regtest, Predictor, RegModel, Regtest};
use crate::error::{Error, Result};
use crate::fit::FitOptions;

/// Which estimate the conditional rule chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Chosen {
    /// PET's intercept did not differ from zero: the PET estimate.
    Pet,
    /// PET's intercept differed from zero: the PEESE estimate.
    Peese,
}

impl Chosen {
    /// `"PET"` or `"PEESE"`.
    pub fn name(self) -> &'static str {
        match self {
            Chosen::Pet => "PET",
            Chosen::Peese => "PEESE",
        }
    }
}

display_by_name!(Chosen);

/// The PET, PEESE and conditional PET-PEESE estimates.
///
/// Produced by [`pet_peese`] (see its example).
#[derive(Debug, Clone, PartialEq)]
pub struct PetPeese {
    /// The PET regression (predictor `sei`, model `lm`).
    pub pet: Regtest,
    /// The PEESE regression (predictor `vi`, model `lm`).
    pub peese: Regtest,
    /// The one-tailed level of PET's test of β₀ = 0.
    pub alpha: f64,
    /// PET's one-tailed p-value in the direction of its estimate (half its
    /// two-sided p-value).
    pub pet_one_sided_pval: f64,
    /// The estimate the conditional rule chose.
    pub chosen: Chosen,
}

impl PetPeese {
    /// The conditional estimate's regression (PET or PEESE).
    pub fn conditional(&self) -> &Regtest {
        match self.chosen {
            Chosen::Pet => &self.pet,
            Chosen::Peese => &self.peese,
        }
    }
}

/// PET, PEESE and the conditional estimate on effects `yi` with sampling
/// variances `vi`, at the level of `opts` (its τ² estimator and test are not
/// used: both regressions are weighted least squares), with PET's
/// one-tailed test at `alpha` (0.05 in Stanley & Doucouliagos 2014).
///
/// ```
/// use rema_core::bias::pet_peese;
/// use rema_core::{FitOptions, Method};
/// # fn main() -> rema_core::Result<()> {
/// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
/// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
/// // dat.bcg, log risk ratios; metafor 3.8-1: regtest(yi, vi, model = "lm")$est
/// let pp = pet_peese(&yi, &vi, &FitOptions::new(Method::Reml), 0.05)?;
/// assert!((pp.pet.limit.unwrap().estimate - -0.1909286).abs() < 1e-6);
/// assert_eq!(pp.chosen.name(), "PET");
/// # Ok(())
/// # }
/// ```
pub fn pet_peese(yi: &[f64], vi: &[f64], opts: &FitOptions, alpha: f64) -> Result<PetPeese> {
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(Error::InvalidOption {
            option: "petpeese_alpha",
            message: format!("{alpha} is not a level; give a value between 0 and 1, such as 0.05"),
        });
    }
    let pet = regtest(yi, vi, None, opts, RegModel::Lm, Predictor::Sei)?;
    let peese = regtest(yi, vi, None, opts, RegModel::Lm, Predictor::Vi)?;
    let one_sided = pet.intercept.pval / 2.0;
    let chosen = if one_sided < alpha {
        Chosen::Peese
    } else {
        Chosen::Pet
    };
    Ok(PetPeese {
        pet,
        peese,
        alpha,
        pet_one_sided_pval: one_sided,
        chosen,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Method;

    #[test]
    fn a_clear_effect_chooses_peese() {
        let yi = [0.50, 0.55, 0.48, 0.62, 0.70, 0.58, 0.66];
        let vi = [0.001, 0.002, 0.001, 0.01, 0.02, 0.005, 0.015];
        let pp = pet_peese(&yi, &vi, &FitOptions::new(Method::Fe), 0.05).unwrap();
        assert_eq!(pp.chosen, Chosen::Peese);
        assert_eq!(pp.conditional(), &pp.peese);
    }

    #[test]
    fn alpha_must_be_a_level() {
        let err = pet_peese(
            &[0.1, 0.2, 0.3],
            &[0.1, 0.2, 0.3],
            &FitOptions::default(),
            5.0,
        );
        assert!(matches!(
            err,
            Err(Error::InvalidOption {
                option: "petpeese_alpha",
                ..
            })
        ));
    }
}
