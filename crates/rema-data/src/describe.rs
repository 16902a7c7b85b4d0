//! Words for the choices of an analysis, for the methods paragraph of a
//! report: the τ² estimator and the effect-size measure as a sentence names
//! them (rema-core's `name()` is metafor's short name).

use rema_core::{Measure, Method, Test};

use crate::spec::Model;

/// A phrase naming a choice inside a sentence.
pub trait Prose {
    /// E.g. "restricted maximum likelihood (REML)",
    /// "log risk ratios from the 2×2 tables".
    fn prose(self) -> &'static str;
}

impl Prose for Method {
    /// How τ² was estimated ("... τ² estimated by {prose}").
    fn prose(self) -> &'static str {
        match self {
            Method::Fe => "none (the common-effect model)",
            Method::Dl => "the DerSimonian–Laird estimator",
            Method::He => "the Hedges (variance component) estimator",
            Method::Hs => "the Hunter–Schmidt estimator",
            Method::Sj => "the Sidik–Jonkman estimator",
            Method::Ml => "maximum likelihood",
            Method::Reml => "restricted maximum likelihood (REML)",
            Method::Eb => "the empirical Bayes estimator",
            Method::Pm => "the Paule–Mandel estimator",
        }
    }
}

impl Prose for Model {
    /// The estimator of τ², or the GLMM's maximum likelihood.
    fn prose(self) -> &'static str {
        match self {
            Model::Rma(m) => m.prose(),
            Model::Glmm => {
                "maximum likelihood of the binomial-normal model (GLMM, adaptive Gauss–Hermite quadrature)"
            }
            Model::MantelHaenszel => {
                "the DerSimonian–Laird estimator from the heterogeneity statistic about the Mantel–Haenszel estimate (RevMan 5)"
            }
            Model::Peto => "none (Peto's fixed-effect method)",
        }
    }
}

impl Prose for Measure {
    /// What the effect sizes are ("effect sizes were computed as {prose}").
    fn prose(self) -> &'static str {
        match self {
            Measure::Rr => "log risk ratios from the 2×2 tables",
            Measure::Or => "log odds ratios from the 2×2 tables",
            Measure::Rd => "risk differences from the 2×2 tables",
            Measure::As => "arcsine square-root risk differences from the 2×2 tables",
            Measure::Phi => "phi coefficients from the 2×2 tables",
            Measure::Yuq => "Yule's Q from the 2×2 tables",
            Measure::Yuy => "Yule's Y from the 2×2 tables",
            Measure::Or2dn => {
                "log odds ratios converted to standardised mean differences (normal distribution, divided by 1.65)"
            }
            Measure::Or2dl => {
                "log odds ratios converted to standardised mean differences (logistic distribution, times √3/π)"
            }
            Measure::Md => "raw mean differences",
            Measure::Smd => "standardised mean differences (Hedges' g, bias-corrected)",
            Measure::Smdh => {
                "standardised mean differences with heteroscedastic SDs (Bonett, bias-corrected)"
            }
            Measure::Smd1 => "standardised mean differences by the second group's SD (Glass's Δ, bias-corrected)",
            Measure::Rom => "log ratios of means (response ratios)",
            Measure::Cvr => "log coefficient-of-variation ratios",
            Measure::Vr => "log variability ratios (ratios of SDs)",
            Measure::Mn => "raw means of single groups",
            Measure::Mnln => "log means of single groups",
            Measure::Cvln => "log coefficients of variation of single groups (bias-corrected)",
            Measure::Sdln => "log standard deviations of single groups (bias-corrected)",
            Measure::Smn => "standardised means of single groups (mean over SD, bias-corrected)",
            Measure::Mc => "raw mean changes from pre/post means with the pre/post correlation",
            Measure::Smcc => "standardised mean changes (change-score standardisation)",
            Measure::Smcr => {
                "standardised mean changes (raw-score standardisation by the pre-treatment SD)"
            }
            Measure::Pr => "raw proportions",
            Measure::Pln => "log proportions",
            Measure::Plo => "logit proportions",
            Measure::Pas => "arcsine square-root proportions",
            Measure::Pft => "Freeman–Tukey double-arcsine proportions",
            Measure::Gen => "the effect sizes and variances given in the input",
            Measure::Cor => "raw correlation coefficients",
            Measure::Ucor => "unbiased correlation coefficients (Olkin & Pratt)",
            Measure::Zcor => "Fisher's r-to-z transformed correlation coefficients",
            Measure::Pcor => "partial correlations from the regressions' t statistics",
            Measure::Zpcor => "Fisher's z of partial correlations from the regressions' t statistics",
            Measure::Spcor => "semi-partial correlations from the regressions' t statistics and R²",
            Measure::Irr => "log incidence rate ratios from events and person-time",
            Measure::Ird => "incidence rate differences from events and person-time",
            Measure::Irsd => "square-root incidence rate differences from events and person-time",
            Measure::Ir => "incidence rates (events per unit of person-time)",
            Measure::Irln => "log incidence rates",
            Measure::Irs => "square-root incidence rates",
            Measure::Irft => "Freeman–Tukey transformed incidence rates",
        }
    }
}

/// The method as RevMan's forest plots label it: "M-H, Fixed, 95% CI",
/// "M-H, Random, 95% CI", "Peto, Fixed, 95% CI", "IV, Fixed, 95% CI" (the
/// common-effect model), "IV, Random, 95% CI" (any τ² estimator), with
/// ", HKSJ" (or ", HKSJ truncated") for the Knapp–Hartung tests; the GLMM is
/// "GLMM, Random". `random` is the MH analysis's `random`.
///
/// ```
/// use rema_core::Test;
/// use rema_data::describe::revman_label;
/// use rema_data::spec::Model;
/// assert_eq!(revman_label(Model::MantelHaenszel, true, Test::Z, 95.0), "M-H, Random, 95% CI");
/// assert_eq!(revman_label(Model::Peto, false, Test::Z, 95.0), "Peto, Fixed, 95% CI");
/// assert_eq!(revman_label("REML".parse().unwrap(), false, Test::Knha, 90.0), "IV, Random, HKSJ, 90% CI");
/// ```
pub fn revman_label(method: Model, random: bool, test: Test, level: f64) -> String {
    let (name, model) = match method {
        Model::MantelHaenszel => ("M-H", if random { "Random" } else { "Fixed" }),
        Model::Peto => ("Peto", "Fixed"),
        Model::Rma(Method::Fe) => ("IV", "Fixed"),
        Model::Rma(_) => ("IV", "Random"),
        Model::Glmm => ("GLMM", "Random"),
    };
    let test = match test {
        Test::Z => "",
        Test::Knha => ", HKSJ",
        Test::T => ", t",
        Test::Adhoc => ", HKSJ truncated",
    };
    format!("{name}, {model}{test}, {level}% CI")
}
