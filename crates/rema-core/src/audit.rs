//! Consistency audit of a printed pooled result (a "statcheck" for
//! meta-analyses): do the printed estimate, confidence interval and p-value
//! agree with each other, given how they were rounded?
//!
//! For a Wald-type result on the analysis scale (the log scale for ratio
//! measures), SE = (U − L)/(2·z_{1−α/2}) and z = θ̂/SE, p = 2(1 − Φ(|z|)).
//! Each printed number is an interval: a value printed with d decimals stands
//! for [x − ½·10^−d, x + ½·10^−d]. rema takes the smallest and largest |z| over
//! that box (|θ̂| as small or large as the rounding allows, SE likewise) and calls
//! the row consistent when the resulting range of p overlaps the range the
//! printed p stands for:
//! - `0.034` (3 decimals): [0.0335, 0.0345];
//! - `.001` and other values of one unit in their last decimal place (`.01`,
//!   `0.0001`): [0, 0.0015], because papers print the floor of their precision
//!   for smaller p-values (the seed paper prints `.001` for p ≈ 10⁻⁵⁰);
//! - `<.001`, `< 0.05`: [0, 0.001], [0, 0.05]; `>.05`: [0.05, 1];
//! - `NS`: [0.05, 1].
//!
//! For ratio measures the bounds of the printed interval are logged, so the
//! rounding box is transformed too. I² is checked against Q and df by
//! I² = 100·max(0, (Q − df)/Q) over the rounding boxes of Q and I².
//!
//! Nothing in metafor does this; the z-test arithmetic is that of
//! `metafor::rma` with `test = "z"`.

/// A number as printed, with the half-width of its rounding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Printed {
    /// The value as read.
    pub value: f64,
    /// Number of decimals printed.
    pub decimals: u32,
}

impl Printed {
    /// Parses `-1.16`, `0.003`, `47`, `.35`. `None` if it is not a number.
    ///
    /// ```
    /// use rema_core::audit::Printed;
    /// let p = Printed::parse("0.70").unwrap();
    /// assert_eq!((p.value, p.decimals), (0.7, 2));
    /// assert!((p.half_width() - 0.005).abs() < 1e-15);
    /// assert!((p.low() - 0.695).abs() < 1e-12 && (p.high() - 0.705).abs() < 1e-12);
    /// assert_eq!(Printed::parse("n/a"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Printed> {
        let t = s.trim();
        let value: f64 = t.parse().ok()?;
        if !value.is_finite() {
            return None;
        }
        let decimals = t
            .split_once('.')
            .map(|(_, d)| d.chars().take_while(|c| c.is_ascii_digit()).count() as u32)
            .unwrap_or(0);
        Some(Printed { value, decimals })
    }

    /// Half of one unit in the last printed decimal: the rounding error's bound.
    pub fn half_width(&self) -> f64 {
        0.5 * 10f64.powi(-(self.decimals as i32))
    }

    /// The smallest value that prints as this one.
    pub fn low(&self) -> f64 {
        self.value - self.half_width()
    }

    /// The largest value that prints as this one.
    pub fn high(&self) -> f64 {
        self.value + self.half_width()
    }
}

/// A p-value as printed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PrintedP {
    /// `p = 0.034` or `.034`.
    Exact(Printed),
    /// `p < 0.001`.
    LessThan(f64),
    /// `p > 0.05`.
    GreaterThan(f64),
    /// `NS`: not significant at 0.05.
    NotSignificant,
}

impl PrintedP {
    /// Parses `.03`, `0.030`, `<.001`, `< 0.05`, `p=.04`, `P = 0.04`, `>.05`, `NS`, `n.s.`.
    ///
    /// ```
    /// use rema_core::audit::PrintedP;
    /// assert_eq!(PrintedP::parse("p < .001"), Some(PrintedP::LessThan(0.001)));
    /// assert_eq!(PrintedP::parse("n.s."), Some(PrintedP::NotSignificant));
    /// let p = PrintedP::parse("0.034").unwrap();
    /// let (lo, hi) = p.range();
    /// assert!((lo - 0.0335).abs() < 1e-12 && (hi - 0.0345).abs() < 1e-12);
    /// assert_eq!(p.describe(), "0.034");
    /// // One unit in the last place stands for anything below it.
    /// assert_eq!(PrintedP::parse(".001").unwrap().range().0, 0.0);
    /// ```
    pub fn parse(s: &str) -> Option<PrintedP> {
        let t: String = s
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if matches!(t.as_str(), "ns" | "n.s." | "n.s") {
            return Some(PrintedP::NotSignificant);
        }
        let t = t.strip_prefix('p').unwrap_or(&t);
        if let Some(rest) = t
            .strip_prefix("<=")
            .or_else(|| t.strip_prefix('<'))
            .or_else(|| t.strip_prefix('≤'))
        {
            return rest
                .parse()
                .ok()
                .filter(|v: &f64| (0.0..=1.0).contains(v))
                .map(PrintedP::LessThan);
        }
        if let Some(rest) = t.strip_prefix(">=").or_else(|| t.strip_prefix('>')) {
            return rest
                .parse()
                .ok()
                .filter(|v: &f64| (0.0..=1.0).contains(v))
                .map(PrintedP::GreaterThan);
        }
        let t = t.strip_prefix('=').unwrap_or(t);
        Printed::parse(t)
            .filter(|p| (0.0..=1.0).contains(&p.value))
            .map(PrintedP::Exact)
    }

    /// The range of true p-values the printed form stands for.
    pub fn range(&self) -> (f64, f64) {
        match *self {
            PrintedP::Exact(p) => {
                let unit = 10f64.powi(-(p.decimals as i32));
                if p.decimals >= 2 && (p.value - unit).abs() < unit * 1e-9 {
                    (0.0, p.high())
                } else {
                    (p.low().max(0.0), p.high().min(1.0))
                }
            }
            PrintedP::LessThan(v) => (0.0, v),
            PrintedP::GreaterThan(v) => (v, 1.0),
            PrintedP::NotSignificant => (0.05, 1.0),
        }
    }

    /// The p-value as it was printed, normalised (`0.034`, `<0.001`, `NS`).
    pub fn describe(&self) -> String {
        match *self {
            PrintedP::Exact(p) => format!("{:.*}", p.decimals as usize, p.value),
            PrintedP::LessThan(v) => format!("<{v}"),
            PrintedP::GreaterThan(v) => format!(">{v}"),
            PrintedP::NotSignificant => "NS".to_string(),
        }
    }
}

/// The scale on which a measure's interval is symmetric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditScale {
    /// Differences, SMDs, proportions: the printed scale.
    Identity,
    /// Ratios (RR, OR, HR, IRR, ROM): the log scale.
    Log,
}

/// The audit of one printed result.
///
/// Produced by [`audit_result`] (see its example).
#[derive(Debug, Clone, PartialEq)]
pub struct Audit {
    /// The SE implied by the printed numbers taken at face value, on the
    /// analysis scale (log scale for ratios).
    pub implied_se: f64,
    /// The z statistic they imply.
    pub implied_z: f64,
    /// The two-sided p-value they imply.
    pub implied_p: f64,
    /// The range of p over the rounding box of the printed numbers.
    pub p_range: (f64, f64),
    /// Whether the printed p (if any) is attainable.
    pub consistent: bool,
    /// The verdict, in words.
    pub message: String,
}

/// Errors of the audit: printed numbers that cannot be audited.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AuditError {
    /// The estimate lies outside its interval.
    #[error("the interval ({lower}, {upper}) does not contain the estimate {estimate}; check the order of the bounds")]
    EstimateOutsideInterval {
        /// The printed estimate.
        estimate: f64,
        /// The printed lower bound.
        lower: f64,
        /// The printed upper bound.
        upper: f64,
    },
    /// A ratio with a bound at or below zero.
    #[error("a ratio measure needs positive estimate and bounds, got {estimate} ({lower}, {upper}); is the measure a ratio?")]
    NonPositiveRatio {
        /// The printed estimate.
        estimate: f64,
        /// The printed lower bound.
        lower: f64,
        /// The printed upper bound.
        upper: f64,
    },
    /// The confidence level is not strictly between 0 and 100.
    #[error("level {0} must lie strictly between 0 and 100")]
    Level(f64),
}

/// Audits an estimate with its `level`% interval (in percent, e.g. 95)
/// against a printed p-value.
///
/// ```
/// use rema_core::audit::{audit_result, AuditScale, Printed, PrintedP};
/// # fn main() -> Result<(), rema_core::audit::AuditError> {
/// let pr = |s| Printed::parse(s).unwrap();
/// // RR 0.49 (0.34 to 0.70): R: se <- (log(0.70) - log(0.34)) / (2 * qnorm(0.975));
/// // 2 * pnorm(-abs(log(0.49) / se)) = 0.000107839
/// let a = audit_result(AuditScale::Log, pr("0.49"), pr("0.34"), pr("0.70"), PrintedP::parse("<.001"), 95.0)?;
/// assert!((a.implied_se - 0.1842214253).abs() < 1e-9);
/// assert!((a.implied_p - 0.0001078389).abs() < 1e-9);
/// assert!(a.consistent);
/// // p = 0.04 cannot come from that interval.
/// let b = audit_result(AuditScale::Log, pr("0.49"), pr("0.34"), pr("0.70"), PrintedP::parse("0.04"), 95.0)?;
/// assert!(!b.consistent);
/// # Ok(())
/// # }
/// ```
pub fn audit_result(
    scale: AuditScale,
    estimate: Printed,
    lower: Printed,
    upper: Printed,
    p: Option<PrintedP>,
    level: f64,
) -> Result<Audit, AuditError> {
    if !(level > 0.0 && level < 100.0) {
        return Err(AuditError::Level(level));
    }
    let (e, l, u) = (estimate.value, lower.value, upper.value);
    if !(l <= e && e <= u) {
        return Err(AuditError::EstimateOutsideInterval {
            estimate: e,
            lower: l,
            upper: u,
        });
    }
    let tr = |x: f64| match scale {
        AuditScale::Identity => x,
        AuditScale::Log => x.ln(),
    };
    if scale == AuditScale::Log && !(l > 0.0) {
        return Err(AuditError::NonPositiveRatio {
            estimate: e,
            lower: l,
            upper: u,
        });
    }
    let crit = crate::dist::norm_quantile(1.0 - (1.0 - level / 100.0) / 2.0);
    let p_of = |z: f64| 2.0 * crate::dist::norm_sf(z.abs());

    let se = (tr(u) - tr(l)) / (2.0 * crit);
    let z = tr(e) / se;
    let implied_p = p_of(z);

    // The rounding box, on the analysis scale (a lower bound rounded to 0 of a
    // ratio stays positive).
    let pos = |x: f64| {
        if scale == AuditScale::Log {
            x.max(f64::MIN_POSITIVE)
        } else {
            x
        }
    };
    let (e_lo, e_hi) = (tr(pos(estimate.low())), tr(estimate.high()));
    let (l_lo, l_hi) = (tr(pos(lower.low())), tr(lower.high()));
    let (u_lo, u_hi) = (tr(pos(upper.low())), tr(upper.high()));
    let se_min = ((u_lo - l_hi) / (2.0 * crit)).max(f64::MIN_POSITIVE);
    let se_max = (u_hi - l_lo) / (2.0 * crit);
    let abs_min = if e_lo <= 0.0 && e_hi >= 0.0 {
        0.0
    } else {
        e_lo.abs().min(e_hi.abs())
    };
    let abs_max = e_lo.abs().max(e_hi.abs());
    let z_min = abs_min / se_max;
    let z_max = abs_max / se_min;
    let p_range = (p_of(z_max), p_of(z_min));

    let (consistent, message) = match p {
        None => (
            true,
            format!(
                "no p-value printed; the interval implies p = {}",
                fmt_p(implied_p)
            ),
        ),
        Some(pp) => {
            let (lo, hi) = pp.range();
            let ok = p_range.0 <= hi && lo <= p_range.1;
            let msg = if ok {
                format!(
                    "printed p {} agrees with the interval (implied p = {}, {} to {} within rounding)",
                    pp.describe(),
                    fmt_p(implied_p),
                    fmt_p(p_range.0),
                    fmt_p(p_range.1)
                )
            } else {
                let off = if p_range.0 > hi {
                    p_range.0 / hi.max(f64::MIN_POSITIVE)
                } else {
                    lo / p_range.1.max(f64::MIN_POSITIVE)
                };
                format!(
                    "printed p {} cannot come from the interval: it implies p = {} ({} to {} within rounding), {:.1} times {} than any p the printed value allows",
                    pp.describe(),
                    fmt_p(implied_p),
                    fmt_p(p_range.0),
                    fmt_p(p_range.1),
                    off,
                    if p_range.0 > hi { "larger" } else { "smaller" }
                )
            };
            (ok, msg)
        }
    };
    Ok(Audit {
        implied_se: se,
        implied_z: z,
        implied_p,
        p_range,
        consistent,
        message,
    })
}

/// Checks a printed I² against printed Q and df: I² = 100·max(0, (Q − df)/Q).
/// Returns the implied I² and whether it is attainable within rounding.
///
/// ```
/// use rema_core::audit::{audit_i2, Printed};
/// let pr = |s| Printed::parse(s).unwrap();
/// // dat.bcg: Q = 152.23 on 12 df, I² = 92.1% (metafor: 92.12); R: 100 * (152.23 - 12) / 152.23
/// let (implied, ok) = audit_i2(pr("92.1"), pr("152.23"), 12.0);
/// assert!((implied - 92.11719).abs() < 1e-5 && ok);
/// assert!(!audit_i2(pr("95.0"), pr("152.23"), 12.0).1);
/// ```
pub fn audit_i2(i2: Printed, q: Printed, df: f64) -> (f64, bool) {
    let f = |q: f64| {
        if q <= 0.0 {
            0.0
        } else {
            (100.0 * (q - df) / q).max(0.0)
        }
    };
    let implied = f(q.value);
    // f is increasing in Q.
    let (lo, hi) = (f(q.low().max(0.0)), f(q.high()));
    (implied, lo <= i2.high() && i2.low() <= hi)
}

fn fmt_p(p: f64) -> String {
    if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pr(s: &str) -> Printed {
        Printed::parse(s).unwrap()
    }

    #[test]
    fn parses_printed_p_values() {
        assert_eq!(PrintedP::parse("<.001"), Some(PrintedP::LessThan(0.001)));
        assert_eq!(PrintedP::parse("< 0.05"), Some(PrintedP::LessThan(0.05)));
        assert_eq!(PrintedP::parse("p=.04"), Some(PrintedP::Exact(pr(".04"))));
        assert_eq!(
            PrintedP::parse("P = 0.040"),
            Some(PrintedP::Exact(pr("0.040")))
        );
        assert_eq!(PrintedP::parse("NS"), Some(PrintedP::NotSignificant));
        assert_eq!(PrintedP::parse(">.05"), Some(PrintedP::GreaterThan(0.05)));
        assert_eq!(PrintedP::parse("abc"), None);
        assert_eq!(PrintedP::parse("1.5"), None);
    }

    #[test]
    fn printed_floor_value_stands_for_anything_below() {
        assert_eq!(PrintedP::parse(".001").unwrap().range(), (0.0, 0.0015));
        let (lo, hi) = PrintedP::parse(".035").unwrap().range();
        assert!((lo - 0.0345).abs() < 1e-12 && (hi - 0.0355).abs() < 1e-12);
    }

    /// The audit of a difference printed as estimate (lower, upper) at the
    /// 95% level, with the printed p-value `p`.
    fn identity_95([e, l, u]: [&str; 3], p: &str) -> Audit {
        audit_result(
            AuditScale::Identity,
            pr(e),
            pr(l),
            pr(u),
            PrintedP::parse(p),
            95.0,
        )
        .unwrap()
    }

    /// Seed paper, Table 3, Cobb angle basal-postoperative: SMD -0.69
    /// (-1.16, -0.20), printed p .001; the interval implies p ≈ .005.
    #[test]
    fn seed_paper_cobb_angle_p_is_inconsistent() {
        let a = identity_95(["-0.69", "-1.16", "-0.20"], ".001");
        assert!(!a.consistent, "{}", a.message);
        assert!((a.implied_p - 0.0049).abs() < 2e-4, "{}", a.implied_p);
    }

    /// Cobb angle at the end of follow-up: -0.39 (-0.84, 0.05), p .08. At face
    /// value the interval implies .086, which rounds to .09; within the rounding
    /// of the printed numbers .08 is attainable.
    #[test]
    fn rounding_is_taken_into_account() {
        let a = identity_95(["-0.39", "-0.84", "0.05"], ".08");
        assert!(a.implied_p > 0.085);
        assert!(a.consistent, "{}", a.message);
    }

    /// A ratio audited on the wrong scale gets the wrong verdict.
    #[test]
    fn ratio_measures_are_audited_on_the_log_scale() {
        // OR 2.00 (1.20, 3.33): log-symmetric, p = .0076.
        let (e, l, u) = (pr("2.00"), pr("1.20"), pr("3.33"));
        let log = audit_result(AuditScale::Log, e, l, u, PrintedP::parse(".008"), 95.0).unwrap();
        assert!(log.consistent, "{}", log.message);
        let wrong =
            audit_result(AuditScale::Identity, e, l, u, PrintedP::parse(".008"), 95.0).unwrap();
        assert!(!wrong.consistent, "{}", wrong.message);
    }

    #[test]
    fn estimate_outside_interval_is_an_error() {
        let err = audit_result(
            AuditScale::Identity,
            pr("3.0"),
            pr("1.0"),
            pr("2.0"),
            None,
            95.0,
        )
        .unwrap_err();
        assert!(matches!(err, AuditError::EstimateOutsideInterval { .. }));
    }

    #[test]
    fn i2_against_q_and_df() {
        // Q = 20 on 4 df gives I² = 80%.
        assert!(audit_i2(pr("80"), pr("20.0"), 4.0).1);
        assert!(!audit_i2(pr("60"), pr("20.0"), 4.0).1);
    }
}
