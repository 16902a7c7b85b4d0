//! Effect-size measures, named as in metafor's `escalc`.

use std::str::FromStr;

/// An effect-size measure. The names and conventions are metafor's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    /// Log risk ratio (two-group binary).
    Rr,
    /// Log odds ratio (two-group binary).
    Or,
    /// Risk difference (two-group binary).
    Rd,
    /// Arcsine square-root risk difference (two-group binary).
    As,
    /// Phi coefficient (two-group binary).
    Phi,
    /// Yule's Q (two-group binary).
    Yuq,
    /// Yule's Y (two-group binary).
    Yuy,
    /// Log odds ratio converted to an SMD by the normal distribution (Cox & Snell).
    Or2dn,
    /// Log odds ratio converted to an SMD by the logistic distribution.
    Or2dl,
    /// Raw mean difference (two-group continuous).
    Md,
    /// Standardised mean difference, Hedges' g (two-group continuous).
    Smd,
    /// Standardised mean difference with heteroscedastic SDs (two-group continuous).
    Smdh,
    /// Standardised mean difference by group 2's SD, Glass's Δ (two-group continuous).
    Smd1,
    /// Log ratio of means, the response ratio (two-group continuous).
    Rom,
    /// Log coefficient-of-variation ratio (two-group continuous).
    Cvr,
    /// Log variability ratio (two-group continuous).
    Vr,
    /// Raw mean (single group).
    Mn,
    /// Log mean (single group).
    Mnln,
    /// Log coefficient of variation (single group).
    Cvln,
    /// Log standard deviation (single group).
    Sdln,
    /// Standardised mean, the mean over the SD with Hedges' correction (single group).
    Smn,
    /// Raw mean change (single-group pre/post).
    Mc,
    /// Standardised mean change, change-score standardisation.
    Smcc,
    /// Standardised mean change, raw-score standardisation (by the pre SD).
    Smcr,
    /// Raw proportion.
    Pr,
    /// Log proportion.
    Pln,
    /// Logit proportion.
    Plo,
    /// Arcsine square-root proportion.
    Pas,
    /// Freeman–Tukey double arcsine proportion.
    Pft,
    /// Generic effect sizes given with their variances or standard errors.
    Gen,
    /// Raw correlation coefficient.
    Cor,
    /// Unbiased correlation coefficient (Olkin & Pratt).
    Ucor,
    /// Fisher's r-to-z transformed correlation.
    Zcor,
    /// Partial correlation from a regression's t statistic.
    Pcor,
    /// Fisher's z of a partial correlation.
    Zpcor,
    /// Semi-partial correlation from a regression's t statistic and R².
    Spcor,
    /// Log incidence rate ratio (two groups).
    Irr,
    /// Incidence rate difference (two groups).
    Ird,
    /// Square-root incidence rate difference (two groups).
    Irsd,
    /// Raw incidence rate (one group).
    Ir,
    /// Log incidence rate (one group).
    Irln,
    /// Square-root incidence rate (one group).
    Irs,
    /// Freeman–Tukey transformed incidence rate (one group).
    Irft,
}

/// The kind of raw data a measure is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataKind {
    /// Two-by-two tables (`effect::BinaryStudy`).
    TwoGroupBinary,
    /// Means, SDs and sizes of two groups (`effect::ContinuousStudy`).
    TwoGroupContinuous,
    /// One group measured twice (`effect::PrePostStudy`).
    PrePost,
    /// Events out of a total (`effect::ProportionStudy`).
    Proportion,
    /// Effect sizes with variances (`effect::GenericStudy`).
    Generic,
    /// Correlation coefficients with sample sizes (`effect::CorrelationStudy`).
    Correlation,
    /// A regression's t statistic, n, number of predictors and R²
    /// (`effect::PartialCorrelationStudy`).
    PartialCorrelation,
    /// Events and person-time of two groups (`effect::TwoRateStudy`).
    TwoGroupRate,
    /// Events and person-time of one group (`effect::RateStudy`).
    Rate,
    /// One group's mean, SD and size (`effect::SingleGroupStudy`).
    SingleGroup,
}

impl Measure {
    /// Every measure, in the order of metafor's documentation.
    pub const ALL: [Measure; 43] = [
        Measure::Rr,
        Measure::Or,
        Measure::Rd,
        Measure::As,
        Measure::Phi,
        Measure::Yuq,
        Measure::Yuy,
        Measure::Or2dn,
        Measure::Or2dl,
        Measure::Md,
        Measure::Smd,
        Measure::Smdh,
        Measure::Smd1,
        Measure::Rom,
        Measure::Cvr,
        Measure::Vr,
        Measure::Mn,
        Measure::Mnln,
        Measure::Cvln,
        Measure::Sdln,
        Measure::Smn,
        Measure::Mc,
        Measure::Smcc,
        Measure::Smcr,
        Measure::Pr,
        Measure::Pln,
        Measure::Plo,
        Measure::Pas,
        Measure::Pft,
        Measure::Cor,
        Measure::Ucor,
        Measure::Zcor,
        Measure::Pcor,
        Measure::Zpcor,
        Measure::Spcor,
        Measure::Irr,
        Measure::Ird,
        Measure::Irsd,
        Measure::Ir,
        Measure::Irln,
        Measure::Irs,
        Measure::Irft,
        Measure::Gen,
    ];

    /// metafor's name of the measure; [`FromStr`] parses it back, ignoring case.
    ///
    /// ```
    /// use rema_core::Measure;
    /// assert_eq!(Measure::Smd.name(), "SMD");
    /// assert_eq!("smd".parse::<Measure>(), Ok(Measure::Smd));
    /// assert!("HR".parse::<Measure>().unwrap_err().contains("expected one of RR, OR"));
    /// assert!(Measure::ALL.iter().all(|m| m.name().parse::<Measure>() == Ok(*m)));
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Measure::Rr => "RR",
            Measure::Or => "OR",
            Measure::Rd => "RD",
            Measure::As => "AS",
            Measure::Phi => "PHI",
            Measure::Yuq => "YUQ",
            Measure::Yuy => "YUY",
            Measure::Or2dn => "OR2DN",
            Measure::Or2dl => "OR2DL",
            Measure::Md => "MD",
            Measure::Smd => "SMD",
            Measure::Smdh => "SMDH",
            Measure::Smd1 => "SMD1",
            Measure::Rom => "ROM",
            Measure::Cvr => "CVR",
            Measure::Vr => "VR",
            Measure::Mn => "MN",
            Measure::Mnln => "MNLN",
            Measure::Cvln => "CVLN",
            Measure::Sdln => "SDLN",
            Measure::Smn => "SMN",
            Measure::Mc => "MC",
            Measure::Smcc => "SMCC",
            Measure::Smcr => "SMCR",
            Measure::Pr => "PR",
            Measure::Pln => "PLN",
            Measure::Plo => "PLO",
            Measure::Pas => "PAS",
            Measure::Pft => "PFT",
            Measure::Gen => "GEN",
            Measure::Cor => "COR",
            Measure::Ucor => "UCOR",
            Measure::Zcor => "ZCOR",
            Measure::Pcor => "PCOR",
            Measure::Zpcor => "ZPCOR",
            Measure::Spcor => "SPCOR",
            Measure::Irr => "IRR",
            Measure::Ird => "IRD",
            Measure::Irsd => "IRSD",
            Measure::Ir => "IR",
            Measure::Irln => "IRLN",
            Measure::Irs => "IRS",
            Measure::Irft => "IRFT",
        }
    }

    /// The kind of raw data the measure is computed from.
    ///
    /// ```
    /// use rema_core::{DataKind, Measure};
    /// assert_eq!(Measure::Or.data_kind(), DataKind::TwoGroupBinary);
    /// assert_eq!(Measure::Pft.data_kind(), DataKind::Proportion);
    /// ```
    pub fn data_kind(self) -> DataKind {
        match self {
            Measure::Rr
            | Measure::Or
            | Measure::Rd
            | Measure::As
            | Measure::Phi
            | Measure::Yuq
            | Measure::Yuy
            | Measure::Or2dn
            | Measure::Or2dl => DataKind::TwoGroupBinary,
            Measure::Md
            | Measure::Smd
            | Measure::Smdh
            | Measure::Smd1
            | Measure::Rom
            | Measure::Cvr
            | Measure::Vr => DataKind::TwoGroupContinuous,
            Measure::Mn | Measure::Mnln | Measure::Cvln | Measure::Sdln | Measure::Smn => {
                DataKind::SingleGroup
            }
            Measure::Mc | Measure::Smcc | Measure::Smcr => DataKind::PrePost,
            Measure::Pr | Measure::Pln | Measure::Plo | Measure::Pas | Measure::Pft => {
                DataKind::Proportion
            }
            Measure::Gen => DataKind::Generic,
            Measure::Cor | Measure::Ucor | Measure::Zcor => DataKind::Correlation,
            Measure::Pcor | Measure::Zpcor | Measure::Spcor => DataKind::PartialCorrelation,
            Measure::Irr | Measure::Ird | Measure::Irsd => DataKind::TwoGroupRate,
            Measure::Ir | Measure::Irln | Measure::Irs | Measure::Irft => DataKind::Rate,
        }
    }

    /// The continuity correction metafor adds by default (`add`): 0.5 for the
    /// measures that need it, 0 for AS, PHI, PAS, PFT, IRSD, IRS and IRFT, which are finite at
    /// zero (and for the measures of continuous data, which have no cells).
    ///
    /// ```
    /// use rema_core::{BackTransform, Measure};
    /// assert_eq!((Measure::Or.default_add(), Measure::Pft.default_add()), (0.5, 0.0));
    /// assert_eq!(Measure::Rr.back_transform(), BackTransform::Exp);
    /// assert_eq!(Measure::Plo.back_transform(), BackTransform::InverseLogit);
    /// assert!(Measure::Pft.is_proportion() && !Measure::Smd.is_proportion());
    /// ```
    pub fn default_add(self) -> f64 {
        match self {
            Measure::Rr
            | Measure::Or
            | Measure::Rd
            | Measure::Yuq
            | Measure::Yuy
            | Measure::Or2dn
            | Measure::Or2dl
            | Measure::Pr
            | Measure::Pln
            | Measure::Plo
            | Measure::Irr
            | Measure::Ird
            | Measure::Ir
            | Measure::Irln => 0.5,
            _ => 0.0,
        }
    }

    /// The scale on which results are reported back to a reader.
    pub fn back_transform(self) -> BackTransform {
        match self {
            Measure::Rr
            | Measure::Or
            | Measure::Pln
            | Measure::Rom
            | Measure::Cvr
            | Measure::Vr
            | Measure::Irr
            | Measure::Irln
            | Measure::Mnln
            | Measure::Cvln
            | Measure::Sdln => BackTransform::Exp,
            Measure::Pr => BackTransform::Identity,
            Measure::Plo => BackTransform::InverseLogit,
            Measure::Pas => BackTransform::InverseArcsine,
            Measure::Pft => BackTransform::InverseFreemanTukey,
            Measure::Zcor | Measure::Zpcor => BackTransform::InverseFisherZ,
            Measure::Irs => BackTransform::Square,
            _ => BackTransform::Identity,
        }
    }

    /// True for single proportions, reported in percent once back-transformed.
    pub fn is_proportion(self) -> bool {
        self.data_kind() == DataKind::Proportion
    }
}

/// How an analysis-scale value is mapped back to the scale a reader expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackTransform {
    /// None: the analysis scale is the reported scale (`MD`, `SMD`, `RD`, `PR`, `PHI`, ...).
    Identity,
    /// exp(x), for log ratios (`RR`, `OR`, `ROM`, `VR`, `CVR`), log proportions, rates,
    /// means, CVs and SDs (metafor `transf.exp.int`).
    Exp,
    /// 1/(1 + e⁻ˣ), for logits (metafor `transf.ilogit`).
    InverseLogit,
    /// sin²(x), for arcsine square roots (metafor `transf.iarcsin`).
    InverseArcsine,
    /// metafor's `transf.ipft.hm`: needs the harmonic mean of the sample sizes.
    InverseFreemanTukey,
    /// tanh(x), Fisher's z back to a correlation (metafor `transf.ztor`).
    InverseFisherZ,
    /// x², a square root back to a rate (metafor `transf.isqrt`).
    Square,
}

display_by_name!(Measure);

impl FromStr for Measure {
    type Err = String;
    fn from_str(s: &str) -> Result<Measure, String> {
        let up = s.trim().to_ascii_uppercase();
        crate::error::parse_choice(&Measure::ALL, Measure::name, &up, "measure", s)
    }
}
