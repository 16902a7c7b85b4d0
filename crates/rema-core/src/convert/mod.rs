//! Conversions of reported summaries to a mean and a standard deviation.
//!
//! Real reports rarely give a mean and an SD. These functions estimate them
//! from what was reported, one module per method with its formula and source:
//!
//! | reported | module | default |
//! |---|---|---|
//! | SE of a mean | [`se`] | SD = SE·√n |
//! | CI of a mean | [`ci`] | Cochrane Handbook 6.5.2.2 (t quantile for n < 60) |
//! | median and quartiles | [`luo2018`] (mean), [`wan2014`] (SD) | |
//! | median and range | [`luo2018`] (mean), [`wan2014`] (SD) | [`hozo2005`] also |
//! | range only | [`wan2014`] | [`walter_yao2007`] also |
//! | p or t of a paired test | [`paired`] (RevMan calculator) | |
//!
//! metafor 3.8 has no such conversions (its `conv.fivenum` arrived in 4.0);
//! the golden values in `tests/golden/conversions.json` come from the papers'
//! formulas written independently in R (`tests/golden/conversions.R`) and from
//! the worked examples of the Cochrane Handbook and of the papers' tables.
//!
//! All functions are pure and total: invalid input is a [`ConvertError`].

pub mod ci;
pub mod hozo2005;
pub mod luo2018;
pub mod paired;
pub mod se;
pub mod walter_yao2007;
pub mod wan2014;

/// A reported summary that cannot be converted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConvertError {
    /// One input value is outside its allowed range.
    #[error("`{quantity}` is {value}: {allowed}")]
    InvalidInput {
        /// The input's name (`n`, `q1`, `p`, ...).
        quantity: &'static str,
        /// The offending value.
        value: f64,
        /// What the input allows, in words.
        allowed: &'static str,
    },
    /// The inputs are inconsistent with each other (e.g. q1 > median).
    #[error("{message}")]
    Inconsistent {
        /// Which inputs disagree, and how.
        message: String,
    },
}

/// The result of every conversion.
pub type Result<T, E = ConvertError> = std::result::Result<T, E>;

/// How a mean is estimated from a median with a range or quartiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MeanMethod {
    /// Luo et al. (2018), the default.
    #[default]
    Luo2018,
    /// Hozo et al. (2005), median and range only.
    Hozo2005,
}

/// How an SD is estimated from a range (with or without the median).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SdRangeMethod {
    /// Wan et al. (2014), the default.
    #[default]
    Wan2014,
    /// Hozo et al. (2005); needs the median.
    Hozo2005,
    /// Walter & Yao (2007): the range over the expected range of n normals.
    WalterYao2007,
}

choice_names!(
    MeanMethod,
    "mean conversion",
    /// The method's name, as the module that implements it (`luo2018`, `hozo2005`).
    ///
    /// ```
    /// use rema_core::convert::MeanMethod;
    /// assert_eq!(MeanMethod::default().name(), "luo2018");
    /// assert_eq!("hozo2005".parse::<MeanMethod>(), Ok(MeanMethod::Hozo2005));
    /// ```
    {
        Luo2018 => "luo2018" | "luo",
        Hozo2005 => "hozo2005" | "hozo",
    }
);

choice_names!(
    SdRangeMethod,
    "SD-from-range conversion",
    /// The method's name, as the module that implements it (`wan2014`,
    /// `hozo2005`, `walter_yao2007`).
    ///
    /// ```
    /// use rema_core::convert::SdRangeMethod;
    /// assert_eq!(SdRangeMethod::default().name(), "wan2014");
    /// assert_eq!("walter_yao2007".parse::<SdRangeMethod>(), Ok(SdRangeMethod::WalterYao2007));
    /// ```
    {
        Wan2014 => "wan2014" | "wan",
        Hozo2005 => "hozo2005" | "hozo",
        WalterYao2007 => "walter_yao2007" | "walter2007" | "walter_yao",
    }
);

pub(crate) fn check(
    quantity: &'static str,
    value: f64,
    ok: bool,
    allowed: &'static str,
) -> Result<()> {
    crate::error::ensure_valid(value, ok, || ConvertError::InvalidInput {
        quantity,
        value,
        allowed,
    })
}

pub(crate) fn check_n(n: f64, min: f64) -> Result<()> {
    check(
        "n",
        n,
        n >= min,
        if min > 1.0 {
            "the sample size must be at least 2 to estimate an SD"
        } else {
            "the sample size must be at least 1"
        },
    )
}

pub(crate) fn ordered(names: &[&str], values: &[f64]) -> Result<()> {
    for (i, v) in values.iter().enumerate() {
        if !v.is_finite() {
            return Err(ConvertError::InvalidInput {
                quantity: "summary",
                value: *v,
                allowed: "every summary value must be a finite number",
            });
        }
        if i > 0 && values[i - 1] > *v {
            return Err(ConvertError::Inconsistent {
                message: format!(
                    "{} = {} exceeds {} = {}; the summaries must satisfy {}",
                    names[i - 1],
                    values[i - 1],
                    names[i],
                    v,
                    names.join(" <= ")
                ),
            });
        }
    }
    Ok(())
}

/// The standard normal quantile function Φ⁻¹ (R `qnorm`).
///
/// ```
/// assert!((rema_core::convert::qnorm(0.975) - 1.95996398454005).abs() < 1e-12); // R: qnorm(0.975)
/// ```
pub fn qnorm(p: f64) -> f64 {
    crate::dist::norm_quantile(p)
}

/// The standard normal distribution function Φ (R `pnorm`).
///
/// ```
/// assert!((rema_core::convert::pnorm(-1.0) - 0.158655253931457).abs() < 1e-10); // R: pnorm(-1)
/// ```
pub fn pnorm(x: f64) -> f64 {
    crate::dist::norm_cdf(x)
}

/// The t quantile with `df` degrees of freedom (R `qt`).
///
/// ```
/// assert!((rema_core::convert::qt(0.975, 24.0) - 2.06389856163).abs() < 1e-10); // R: qt(0.975, 24)
/// ```
pub fn qt(p: f64, df: f64) -> f64 {
    crate::dist::t_quantile(p, df)
}
