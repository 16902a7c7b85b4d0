//! One row of a GRADE summary of findings from an analysis that ran and the
//! plan's `[analysis.grade]` judgements.
//!
//! The arithmetic is the GRADE handbook's (Schünemann et al. 2013, section
//! 5.2.1, as GRADEpro GDT computes it), with the assumed control risk ACR:
//! - RR: risk with the intervention = ACR · RR;
//! - OR: risk with the intervention = OR · ACR / (1 − ACR + OR · ACR);
//! - RD: risk with the intervention = ACR + RD;
//! - the difference per 1,000 = 1,000 · (risk with − ACR), its CI from the
//!   relative effect's CI limits (each formula is monotone in the effect);
//! - a single-group proportion (PR, PLO, PAS, PFT, PLN): the pooled
//!   proportion per 1,000, with no control risk.
//!
//! Certainty starts high (randomised trials) or low (observational studies)
//! and goes down one level per `serious` and two per `very serious` rating
//! (GRADE handbook 5.1–5.2), to very low at most. rema never rates a domain:
//! it suggests the inconsistency and imprecision ratings from the numbers and
//! says which rule it used.
//!
//! - Inconsistency (GRADE guidelines 7, Guyatt et al. 2011b; the I² bands of
//!   the Cochrane Handbook 10.10.2): serious when I² ≥ 50% and the
//!   prediction interval includes no effect, very serious when I² ≥ 75% and
//!   it does; not serious otherwise.
//! - Imprecision (GRADE guidelines 6, Guyatt et al. 2011a): the optimal
//!   information size (OIS) is the total sample size of one adequately
//!   powered trial (two-sided α = 0.05, power 80%): for a binary outcome
//!   2 · (z₀.₉₇₅ + z₀.₈)² · (p₀(1 − p₀) + p₁(1 − p₁)) / (p₀ − p₁)², with
//!   p₀ the control risk and p₁ = p₀ (1 − RRR) (RRR 25% unless the plan gives
//!   `ois_rrr`); for a continuous outcome the handbook's rule of thumb, 400
//!   participants. Serious when the CI includes no effect or the participants
//!   fall short of the OIS, very serious when both.

use serde::{Deserialize, Serialize};

use rema_core::{DataKind, Measure};

use crate::plan::{GradePlan, Judgement, Rating, Start};
use crate::result::AnalysisResult;

/// An effect with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Interval {
    pub estimate: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
}

/// A rating rema suggests, with the rule that gave it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Suggestion {
    /// `not serious`, `serious` or `very serious`.
    pub rating: String,
    /// The rule and the numbers it was applied to.
    pub rule: String,
}

/// One certainty domain of a row: the plan's judgement (if given) and
/// rema's suggestion (inconsistency and imprecision only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Domain {
    /// `risk of bias`, `inconsistency`, `indirectness`, `imprecision`,
    /// `publication bias`.
    pub domain: String,
    /// The plan's rating; absent when the plan does not judge this domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggested: Option<Suggestion>,
}

/// One outcome of the summary of findings (`results.json` `grade`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GradeRow {
    pub outcome: String,
    pub measure: String,
    /// The confidence level of every interval, in percent.
    pub level: f64,
    pub studies: usize,
    /// Participants over the studies, when the data give them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participants: Option<f64>,
    /// `randomised trials` or `observational studies` (the plan's `start`).
    pub design: String,
    /// The relative effect (RR, OR) or the difference on the measure's own
    /// scale (RD, MD, SMD, ...), on the reported scale.
    pub effect: Interval,
    /// The assumed risk without the intervention, per 1,000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_per_1000: Option<f64>,
    /// The corresponding risk with the intervention, per 1,000 (or the
    /// pooled proportion of a single-group outcome).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intervention_per_1000: Option<Interval>,
    /// The difference per 1,000 (intervention − control; negative is fewer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difference_per_1000: Option<Interval>,
    /// The optimal information size (participants), when a rule applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ois: Option<f64>,
    pub domains: Vec<Domain>,
    /// `high`, `moderate`, `low` or `very low`; absent until the plan rates
    /// all five domains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certainty: Option<String>,
    pub notes: Vec<String>,
}

/// The risk with the intervention for a control risk `acr` and an effect
/// `x` on the reported scale of `measure` (RR, OR, RD); `None` for any other
/// measure.
///
/// ```
/// use rema_core::Measure;
/// use rema_data::run::grade::corresponding_risk;
/// assert_eq!(corresponding_risk(Measure::Rr, 0.1, 0.5), Some(0.05));
/// let or = corresponding_risk(Measure::Or, 0.1, 0.5).unwrap();
/// assert!((or - 0.05 / 0.95).abs() < 1e-15);
/// assert_eq!(corresponding_risk(Measure::Md, 0.1, 0.5), None);
/// ```
pub fn corresponding_risk(measure: Measure, acr: f64, x: f64) -> Option<f64> {
    match measure {
        Measure::Rr => Some(acr * x),
        Measure::Or => Some(x * acr / (1.0 - acr + x * acr)),
        Measure::Rd => Some(acr + x),
        _ => None,
    }
}

/// The optimal information size of a binary outcome: the total sample size
/// of a two-arm trial detecting a relative risk reduction `rrr` from the
/// control risk `p0` (two-sided α = 0.05, power 80%).
///
/// ```
/// // R: z <- qnorm(0.975) + qnorm(0.8); 2 * z^2 * (0.1 * 0.9 + 0.075 * 0.925) / 0.025^2
/// let n = rema_data::run::grade::optimal_information_size(0.1, 0.25);
/// assert!((n - 4002.928665).abs() < 1e-6);
/// ```
pub fn optimal_information_size(p0: f64, rrr: f64) -> f64 {
    let z = rema_core::dist::norm_quantile(0.975) + rema_core::dist::norm_quantile(0.8);
    let p1 = p0 * (1.0 - rrr);
    2.0 * z * z * (p0 * (1.0 - p0) + p1 * (1.0 - p1)) / ((p0 - p1) * (p0 - p1))
}

/// The participants rule of thumb for a continuous outcome (GRADE guidelines 6).
pub const CONTINUOUS_OIS: f64 = 400.0;

/// The RRR of the optimal information size when the plan gives none.
pub const DEFAULT_RRR: f64 = 0.25;

fn is_continuous(m: Measure) -> bool {
    matches!(
        m.data_kind(),
        DataKind::TwoGroupContinuous | DataKind::PrePost | DataKind::SingleGroup
    )
}

/// The effect, CI and PI on the reported scale, and the value of no effect.
fn reported(r: &AnalysisResult, measure: Measure) -> (Interval, (f64, f64), Option<f64>) {
    let (e, pi) = match &r.transformed {
        Some(t) => (
            Interval {
                estimate: t.estimate,
                ci_lower: t.ci_lower,
                ci_upper: t.ci_upper,
            },
            (t.pi_lower, t.pi_upper),
        ),
        None => (
            Interval {
                estimate: r.estimate,
                ci_lower: r.ci_lower,
                ci_upper: r.ci_upper,
            },
            (r.pi_lower, r.pi_upper),
        ),
    };
    let null = if measure.is_proportion() {
        None
    } else if measure.back_transform() == rema_core::BackTransform::Exp {
        Some(1.0)
    } else {
        Some(0.0)
    };
    (e, pi, null)
}

/// True for the common-effect models (no τ², no prediction interval).
fn is_common_effect(r: &AnalysisResult) -> bool {
    use crate::spec::Model;
    let o = &r.provenance.options;
    o.method == Model::Rma(rema_core::Method::Fe)
        || o.method == Model::Peto
        || (o.method == Model::MantelHaenszel && !o.random)
}

fn includes(lo: f64, hi: f64, x: f64) -> bool {
    lo <= x && x <= hi
}

/// The summary-of-findings row of analysis `r` (its outcome `outcome`, `n`
/// participants) with the plan's judgements `g`.
pub fn grade_row(r: &AnalysisResult, outcome: &str, n: Option<f64>, g: &GradePlan) -> GradeRow {
    let measure: Measure = r.measure.parse().unwrap_or(Measure::Gen);
    let (effect, (pi_lo, pi_hi), null) = reported(r, measure);
    let mut notes = Vec::new();
    let level = crate::run::level_label(r.level);
    let mut row = GradeRow {
        outcome: g.outcome.clone().unwrap_or_else(|| outcome.to_string()),
        measure: r.measure.clone(),
        level: r.level,
        studies: r.k,
        participants: n,
        design: match g.start {
            Start::High => "randomised trials",
            Start::Low => "observational studies",
        }
        .to_string(),
        effect,
        control_per_1000: None,
        intervention_per_1000: None,
        difference_per_1000: None,
        ois: None,
        domains: Vec::new(),
        certainty: None,
        notes: Vec::new(),
    };
    if measure.is_proportion() {
        let p = |x: f64| x / 100.0 * 1000.0;
        row.intervention_per_1000 = Some(Interval {
            estimate: p(effect.estimate),
            ci_lower: p(effect.ci_lower),
            ci_upper: p(effect.ci_upper),
        });
        if g.control_risk.is_some() {
            notes.push("control_risk is not used: a single-group proportion has no comparator, so the table gives the pooled proportion per 1,000".to_string());
        }
    } else if let Some(acr) = g.control_risk {
        match corresponding_risk(measure, acr, effect.estimate) {
            Some(risk) => {
                let at = |x: f64| corresponding_risk(measure, acr, x).unwrap_or(f64::NAN);
                let (lo, hi) = (at(effect.ci_lower), at(effect.ci_upper));
                row.control_per_1000 = Some(1000.0 * acr);
                row.intervention_per_1000 = Some(Interval {
                    estimate: 1000.0 * risk,
                    ci_lower: 1000.0 * lo,
                    ci_upper: 1000.0 * hi,
                });
                row.difference_per_1000 = Some(Interval {
                    estimate: 1000.0 * (risk - acr),
                    ci_lower: 1000.0 * (lo - acr),
                    ci_upper: 1000.0 * (hi - acr),
                });
            }
            None => notes.push(format!(
                "control_risk is not used: absolute effects per 1,000 are computed for RR, OR and RD, and this analysis is {}",
                r.measure
            )),
        }
    } else if matches!(measure, Measure::Rr | Measure::Or | Measure::Rd) {
        notes.push(
            "no absolute effects: give grade.control_risk (the assumed risk without the intervention) to have them"
                .to_string(),
        );
    }

    // Inconsistency: I² and the prediction interval.
    let common = is_common_effect(r) || !pi_lo.is_finite() || !pi_hi.is_finite();
    let inconsistency = match null {
        _ if r.k < 2 => None,
        None => Some(Suggestion {
            rating: if r.i2 >= 75.0 {
                "very serious"
            } else if r.i2 >= 50.0 {
                "serious"
            } else {
                "not serious"
            }
            .to_string(),
            rule: format!(
                "I² = {:.0}% (Cochrane Handbook 10.10.2 bands: serious from 50%, very serious from 75%; a single-group proportion has no line of no effect for the prediction interval)",
                r.i2
            ),
        }),
        Some(null) => {
            let pi_includes = !common && includes(pi_lo, pi_hi, null);
            let rating = if r.i2 >= 75.0 && pi_includes {
                "very serious"
            } else if r.i2 >= 50.0 && pi_includes {
                "serious"
            } else {
                "not serious"
            };
            Some(Suggestion {
                rating: rating.to_string(),
                rule: format!(
                    "I² = {:.0}% and the {level}% prediction interval {} no effect ({}); rule: serious when I² ≥ 50% and the prediction interval includes no effect, very serious when I² ≥ 75% and it does (GRADE guidelines 7)",
                    r.i2,
                    if common { "is not estimated for a common-effect model, so it says nothing about" } else if pi_includes { "includes" } else { "excludes" },
                    if common { "none".to_string() } else { format!("{} to {}", fmt(pi_lo), fmt(pi_hi)) },
                ),
            })
        }
    };

    // Imprecision: the CI and the optimal information size.
    let ois = if measure.is_proportion() {
        None
    } else if is_continuous(measure) {
        Some(CONTINUOUS_OIS)
    } else if let (Some(acr), true) = (
        g.control_risk,
        matches!(measure, Measure::Rr | Measure::Or | Measure::Rd),
    ) {
        Some(optimal_information_size(
            acr,
            g.ois_rrr.unwrap_or(DEFAULT_RRR),
        ))
    } else {
        None
    };
    row.ois = ois;
    let imprecision = null.map(|null| {
        let ci_includes = includes(effect.ci_lower, effect.ci_upper, null);
        let short = match (ois, n) {
            (Some(o), Some(n)) => Some(n < o),
            _ => None,
        };
        let rating = match (ci_includes, short) {
            (true, Some(true)) => "very serious",
            (true, _) | (false, Some(true)) => "serious",
            _ => "not serious",
        };
        let ois_text = match (ois, n) {
            (Some(o), Some(n)) if is_continuous(measure) => format!(
                "{n:.0} participants against the rule-of-thumb optimal information size of {o:.0} for a continuous outcome"
            ),
            (Some(o), Some(n)) => format!(
                "{n:.0} participants against an optimal information size of {o:.0} (control risk {:.0} per 1,000, relative risk reduction {:.0}%, α 0.05, power 80%)",
                1000.0 * g.control_risk.unwrap_or(f64::NAN),
                100.0 * g.ois_rrr.unwrap_or(DEFAULT_RRR)
            ),
            (Some(o), None) => format!("the participants are not known, so the optimal information size ({o:.0}) was not compared"),
            (None, _) => "no optimal information size (it needs grade.control_risk for a binary outcome)".to_string(),
        };
        Suggestion {
            rating: rating.to_string(),
            rule: format!(
                "the {level}% CI {} {} ({} to {}); {ois_text}; rule: serious when the CI includes no effect or the participants fall short of the optimal information size, very serious when both (GRADE guidelines 6)",
                if ci_includes { "includes" } else { "excludes" },
                fmt(null),
                fmt(effect.ci_lower),
                fmt(effect.ci_upper),
            ),
        }
    });

    let domain = |name: &str, j: &Option<Judgement>, s: Option<Suggestion>| Domain {
        domain: name.to_string(),
        rating: j.as_ref().map(|j| j.rating.name().to_string()),
        reason: j.as_ref().map(|j| j.reason.clone()).unwrap_or_default(),
        suggested: s,
    };
    row.domains = vec![
        domain("risk of bias", &g.risk_of_bias, None),
        domain("inconsistency", &g.inconsistency, inconsistency),
        domain("indirectness", &g.indirectness, None),
        domain("imprecision", &g.imprecision, imprecision),
        domain("publication bias", &g.publication_bias, None),
    ];
    let judged: Vec<Option<Rating>> = [
        &g.risk_of_bias,
        &g.inconsistency,
        &g.indirectness,
        &g.imprecision,
        &g.publication_bias,
    ]
    .iter()
    .map(|j| j.as_ref().map(|j| j.rating))
    .collect();
    if judged.iter().all(Option::is_some) {
        let start: i32 = match g.start {
            Start::High => 4,
            Start::Low => 2,
        };
        let down: i32 = judged
            .iter()
            .flatten()
            .map(|r| i32::from(r.downgrade()))
            .sum();
        row.certainty = Some(
            match (start - down).max(1) {
                4 => "high",
                3 => "moderate",
                2 => "low",
                _ => "very low",
            }
            .to_string(),
        );
    } else {
        let missing: Vec<&str> = row
            .domains
            .iter()
            .filter(|d| d.rating.is_none())
            .map(|d| d.domain.as_str())
            .collect();
        notes.push(format!(
            "certainty not rated: the plan does not judge {}; rema suggests but never decides a rating",
            missing.join(", ")
        ));
    }
    row.notes = notes;
    row
}

fn fmt(x: f64) -> String {
    let s = format!("{x:.2}");
    if s == "-0.00" {
        "0.00".to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corresponding_risks_follow_the_handbook() {
        // An RR of 1 or an OR of 1 leaves the risk as it is; RD adds.
        assert_eq!(corresponding_risk(Measure::Rr, 0.2, 1.0), Some(0.2));
        assert!((corresponding_risk(Measure::Or, 0.2, 1.0).unwrap() - 0.2).abs() < 1e-15);
        assert!((corresponding_risk(Measure::Rd, 0.2, -0.05).unwrap() - 0.15).abs() < 1e-15);
        assert_eq!(corresponding_risk(Measure::Smd, 0.2, 0.5), None);
    }

    #[test]
    fn ratings_parse_in_grades_words() {
        assert_eq!("Very serious".parse::<Rating>(), Ok(Rating::VerySerious));
        assert_eq!("undetected".parse::<Rating>(), Ok(Rating::NotSerious));
        assert_eq!("strongly_suspected".parse::<Rating>(), Ok(Rating::Serious));
        assert!("bad".parse::<Rating>().unwrap_err().contains("not serious"));
    }
}
