//! Recomputes every outcome of a RevMan 5 file with its own settings and
//! compares each figure with the one RevMan stored, as `cargo xtask verify`
//! does for the seed paper.
//!
//! The settings map onto rema's analyses as RevMan 5 defines them: `MH` →
//! method MH (with `random` for "M-H, Random"), `PETO` → method PETO, `IV`
//! → FE, or DL with `RANDOM="YES"`; the level is `CI_TOTAL`. Dichotomous
//! rows become `ai, n1i, ci, n2i` (events and non-events swapped with
//! `SWAP_EVENTS`), continuous rows `m1i, sd1i, n1i, m2i, sd2i, n2i`, generic
//! inverse-variance rows `yi, sei`, and O − E rows Peto's yᵢ = (O − E)/V with
//! vᵢ = 1/V. An SMD is RevMan's own (Hedges' g with its approximate
//! correction and variance, pooled as `yi, vi`; docs/METHODS.md). RevMan
//! stores ratios on the ratio scale, |Z|, I² in percent and weights in
//! percent, and so are they compared. With subgroups, each subgroup's
//! stored totals are compared with its own analysis, and the outcome's test
//! for subgroup differences (`Q`, `P_Q`, `I2_Q`) with the analysis `by`
//! subgroup.

use serde::Serialize;
use serde_json::Value;

use super::map::OutcomeAnalysis;
use super::{Outcome, PoolMethod, Rm5, Row, Stored};
use crate::{analyze, AnalysisSpec, Table};

/// Relative difference within which a figure counts as reproduced (RevMan
/// writes every figure at full double precision, and all of these are closed
/// forms).
const TOLERANCE: f64 = 1e-6;
/// Differences below this count as zero (figures that are 0 in RevMan).
const ABS_FLOOR: f64 = 1e-10;

/// The verdict on an outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "verdict", content = "reason")]
pub enum Verdict {
    /// Every stored figure is reproduced within 1e-6 relative.
    Reproduced,
    /// At least one figure differs.
    Different,
    /// RevMan stored no results for the outcome (it leaves them empty until
    /// the analysis is computed in RevMan).
    NothingStored,
    /// rema cannot compute the outcome as RevMan set it up, and says why.
    NotComputed(String),
}

/// One figure compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// Which figure (`OR`, `CI_START`, `CHI2`, `WEIGHT ISIS-2`, ...).
    pub what: String,
    /// RevMan's value.
    pub revman: f64,
    /// rema's value.
    pub rema: f64,
}

impl Check {
    /// |rema − RevMan| / |RevMan| (the absolute difference where RevMan's is 0).
    pub fn relative_difference(&self) -> f64 {
        let d = (self.rema - self.revman).abs();
        if self.revman == 0.0 {
            d
        } else {
            d / self.revman.abs()
        }
    }

    /// Whether the figure is reproduced.
    pub fn agrees(&self) -> bool {
        let d = (self.rema - self.revman).abs();
        d <= ABS_FLOOR || self.relative_difference() <= TOLERANCE
    }
}

/// The comparison of one outcome (or one subgroup of it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeReport {
    /// `CMP-001.01`, or `CMP-001.01 / subgroup name`.
    pub id: String,
    /// The comparison's and outcome's names.
    pub name: String,
    /// RevMan's settings in its own words ("M-H, Fixed, 95% CI", ...).
    pub settings: String,
    /// The figures compared.
    pub checks: Vec<Check>,
    /// The verdict.
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// Recomputes each outcome of `review` (and each subgroup with stored
/// results) and compares it with RevMan's figures.
///
/// ```
/// use rema_data::rm5::{reproduce, Rm5, Verdict};
/// let xml = r#"<COCHRANE_REVIEW><ANALYSES_AND_DATA><COMPARISON ID="CMP-001" NO="1"><NAME>A vs B</NAME>
/// <DICH_OUTCOME ID="CMP-001.01" EFFECT_MEASURE="RR" METHOD="MH" RANDOM="NO" CI_TOTAL="95"
///   EFFECT_SIZE="0.75" CI_START="0.40776688033863706" CI_END="1.37946465768103121">
/// <NAME>Death</NAME>
/// <DICH_DATA STUDY_ID="S1" EVENTS_1="15" TOTAL_1="100" EVENTS_2="20" TOTAL_2="100" WEIGHT="100.0"/>
/// </DICH_OUTCOME></COMPARISON></ANALYSES_AND_DATA></COCHRANE_REVIEW>"#;
/// let review = Rm5::parse(xml.as_bytes(), "one.rm5").unwrap();
/// // CI from metafor 3.8-1: rma.mh(ai = 15, n1i = 100, ci = 20, n2i = 100, measure = "RR")
/// let report = reproduce(&review);
/// assert_eq!(report[0].verdict, Verdict::Reproduced, "{:?}", report[0].checks);
/// assert_eq!(report[0].settings, "M-H, Fixed, 95% CI");
/// assert_eq!(report[0].checks.len(), 4); // RR, CI_START, CI_END, WEIGHT S1
/// ```
pub fn reproduce(review: &Rm5) -> Vec<OutcomeReport> {
    let mut reports = Vec::new();
    for comparison in &review.comparisons {
        for outcome in &comparison.outcomes {
            let name = format!("{}: {}", comparison.name, outcome.name);
            let rows: Vec<&Row> = outcome.rows.iter().collect();
            reports.push(one(
                review,
                outcome,
                Part {
                    id: outcome.id.clone(),
                    name: name.clone(),
                    rows: &rows,
                    stored: &outcome.stored,
                    weights: true,
                },
            ));
            for (sub, stored) in &outcome.subgroups {
                let rows: Vec<&Row> = outcome
                    .rows
                    .iter()
                    .filter(|r| r.subgroup.as_deref() == Some(sub))
                    .collect();
                // RevMan's study weights are shares of the whole outcome,
                // checked with it; a subgroup's own analysis is checked here.
                reports.push(one(
                    review,
                    outcome,
                    Part {
                        id: format!("{} / {sub}", outcome.id),
                        name: format!("{name} / {sub}"),
                        rows: &rows,
                        stored,
                        weights: false,
                    },
                ));
            }
        }
    }
    reports
}

/// RevMan's label of an outcome's method ("M-H, Random, 95% CI").
fn settings_label(o: &Outcome) -> String {
    let method = match o.settings.method {
        PoolMethod::MantelHaenszel => "M-H",
        PoolMethod::InverseVariance => "IV",
        PoolMethod::Peto => "Peto",
    };
    let model = if o.settings.random { "Random" } else { "Fixed" };
    format!("{method}, {model}, {}% CI", o.settings.level)
}

/// An outcome, or one subgroup of it, to recompute.
struct Part<'a> {
    id: String,
    name: String,
    rows: &'a [&'a Row],
    stored: &'a Stored,
    /// Whether the rows' stored weights belong to this analysis.
    weights: bool,
}

fn one(review: &Rm5, outcome: &Outcome, part: Part) -> OutcomeReport {
    let Part {
        id,
        name,
        rows,
        stored,
        weights: check_weights,
    } = part;
    let settings = settings_label(outcome);
    let report = |checks: Vec<Check>, verdict: Verdict| OutcomeReport {
        id: id.clone(),
        name: name.clone(),
        settings: settings.clone(),
        checks,
        verdict,
    };
    if stored.effect.is_none() {
        return report(Vec::new(), Verdict::NothingStored);
    }
    let (table, spec, ratio) = match setup(review, outcome, rows, false) {
        Ok(s) => s,
        Err(why) => return report(Vec::new(), Verdict::NotComputed(why)),
    };
    let result = match analyze(&table, &spec, "") {
        Ok(r) => r,
        Err(e) => return report(Vec::new(), Verdict::NotComputed(e.to_string())),
    };
    let j = serde_json::to_value(&result).unwrap_or(Value::Null);
    let num = |p: &str| j.pointer(p).and_then(Value::as_f64);
    let scale = |x: f64| if ratio { x.exp() } else { x };
    let mut checks = Vec::new();
    let mut add = |what: &str, revman: Option<f64>, rema: Option<f64>| {
        if let (Some(revman), Some(rema)) = (revman, rema) {
            checks.push(Check {
                what: what.to_string(),
                revman,
                rema,
            });
        }
    };
    let effect = outcome.settings.effect_measure.clone();
    add(&effect, stored.effect, num("/estimate").map(scale));
    add("CI_START", stored.ci_start, num("/ci_lower").map(scale));
    add("CI_END", stored.ci_end, num("/ci_upper").map(scale));
    let z = match (num("/estimate"), num("/se")) {
        (Some(b), Some(se)) if se > 0.0 => Some((b / se).abs()),
        _ => None,
    };
    add("Z", stored.z, z);
    add("P_Z", stored.p_z, num("/pval"));
    add("CHI2", stored.chi2, num("/q"));
    add(
        "DF",
        stored.df.filter(|_| stored.chi2.is_some()),
        num("/k").map(|k| k - 1.0),
    );
    add("P_CHI2", stored.p_chi2, num("/q_pval"));
    add("I2", stored.i2, num("/i2"));
    if outcome.settings.random {
        add("TAU2", stored.tau2, num("/tau2"));
    }
    let weights: Vec<f64> = j
        .pointer("/studies")
        .and_then(Value::as_array)
        .map(|s| s.iter().filter_map(|r| r["weight"].as_f64()).collect())
        .unwrap_or_default();
    let weighted = rows.iter().filter(|_| check_weights);
    for (row, w) in weighted.zip(weights.iter().copied().chain(std::iter::repeat(f64::NAN))) {
        add(
            &format!("WEIGHT {}", review.study_name(&row.study)),
            row.weight,
            Some(w),
        );
    }
    // The test for subgroup differences of the whole outcome.
    if check_weights && !outcome.subgroups.is_empty() && stored.q_subgroups.is_some() {
        match subgroup_test(review, outcome, rows) {
            Ok((q, p, i2)) => {
                add("Q SUBGROUPS", stored.q_subgroups, Some(q));
                add("P_Q SUBGROUPS", stored.p_q_subgroups, Some(p));
                add("I2_Q SUBGROUPS", stored.i2_subgroups, Some(i2));
            }
            Err(why) => return report(checks, Verdict::NotComputed(why)),
        }
    }
    let verdict = if checks.iter().all(Check::agrees) {
        Verdict::Reproduced
    } else {
        Verdict::Different
    };
    report(checks, verdict)
}

/// The table, the spec (by the `subgroup` column when `by_subgroup`), and
/// whether RevMan reports the effect on the ratio scale; or why the outcome
/// cannot be computed.
fn setup(
    review: &Rm5,
    o: &Outcome,
    rows: &[&Row],
    by_subgroup: bool,
) -> Result<(Table, AnalysisSpec, bool), String> {
    let a = OutcomeAnalysis::revman(o)?;
    let table = Table::from_str(
        &a.csv_with(review, rows, by_subgroup),
        &format!("{} outcome {}", review.source, o.id),
    )
    .map_err(|e| e.to_string())?;
    Ok((
        table,
        a.spec_by(by_subgroup.then_some("subgroup"))?,
        a.ratio,
    ))
}

/// RevMan's test for subgroup differences of an outcome: the analysis by
/// subgroup's Q between the subgroup estimates, its p-value, and its I²,
/// max(0, (Q − df)/Q) in percent.
fn subgroup_test(review: &Rm5, o: &Outcome, rows: &[&Row]) -> Result<(f64, f64, f64), String> {
    let (table, spec, _) = setup(review, o, rows, true)?;
    let r = analyze(&table, &spec, "").map_err(|e| e.to_string())?;
    match (r.q_between, r.q_between_df, r.q_between_pval) {
        (Some(q), Some(df), Some(p)) => {
            let i2 = if q > df { 100.0 * (q - df) / q } else { 0.0 };
            Ok((q, p, i2))
        }
        _ => Err("the analysis by subgroup has no test for subgroup differences".to_string()),
    }
}
