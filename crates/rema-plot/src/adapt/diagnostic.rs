//! The diagnostic plots' inputs from an `AnalysisResult` (and, for the
//! L'Abbé and bubble plots, the table it was analysed from): the studies'
//! effects, the fit, and the sections the analysis was asked for
//! (`leave_one_out` for the Baujat plot and the leave-one-out forest,
//! `influence` for the Q–Q plot, `cumulative` for the cumulative forest).
//! Each returns an error in words when the result lacks what the plot needs.

use rema_core::{DataKind, Measure, Method, Rma, Studies};
use rema_data::result::SummaryFields;
use rema_data::{AnalysisResult, Table};

use super::DisplayTransform;
use crate::diagnostic::baujat::BaujatData;
use crate::diagnostic::bubble::{BubbleData, Fitted};
use crate::diagnostic::labbe::{LabbeData, PooledEffect};
use crate::diagnostic::profile::ProfileData;
use crate::diagnostic::qq::QqData;
use crate::diagnostic::radial::RadialData;
use crate::diagnostic::FittedStudies;
use crate::forest::{ForestData, ForestRow};

fn labels(r: &AnalysisResult) -> Vec<String> {
    r.studies.iter().map(|s| s.study.clone()).collect()
}

/// The studies and the fit of `r`.
fn fitted(r: &AnalysisResult) -> FittedStudies {
    FittedStudies {
        labels: labels(r),
        yi: r.studies.iter().map(|s| s.yi).collect(),
        vi: r.studies.iter().map(|s| s.vi).collect(),
        estimate: r.estimate,
        tau2: r.tau2,
    }
}

fn is_common_effect(r: &AnalysisResult) -> bool {
    r.method == Method::Fe.name()
}

/// The Baujat plot; needs the `leave_one_out` section.
pub fn baujat(r: &AnalysisResult) -> Result<BaujatData, String> {
    let loo = r
        .leave_one_out
        .as_ref()
        .ok_or("the Baujat plot needs the leave-one-out fits (`leave_one_out`)")?;
    Ok(BaujatData {
        title: None,
        studies: fitted(r),
        common_effect: is_common_effect(r),
        loo_estimate: loo.iter().map(|l| l.fit.estimate).collect(),
        loo_se: loo.iter().map(|l| l.fit.se).collect(),
    })
}

/// The radial (Galbraith) plot.
pub fn radial(r: &AnalysisResult) -> RadialData {
    RadialData {
        title: None,
        studies: fitted(r),
        level: r.level,
        ci: (r.ci_lower, r.ci_upper),
    }
}

/// The Q–Q plot of the studentized deleted residuals; needs `influence`.
pub fn qq(r: &AnalysisResult) -> Result<QqData, String> {
    let inf = r
        .influence
        .as_ref()
        .ok_or("the Q-Q plot needs the influence diagnostics (`influence`)")?;
    Ok(QqData {
        title: None,
        labels: inf.iter().map(|i| i.study.clone()).collect(),
        residuals: inf.iter().map(|i| i.rstudent).collect(),
        envelope: None,
    })
}

/// The simulated envelope of the Q–Q plot of `r` (metafor `qqnorm(res,
/// envelope = TRUE, reps, level, bonferroni, smooth)`): rema-core's
/// `qq_envelope` on the weights 1/(vᵢ + τ²) of the intercept-only model, at
/// the result's level; `opts.level` is replaced by it.
pub fn qq_envelope(
    r: &AnalysisResult,
    opts: &rema_core::resample::qq_envelope::QqEnvelopeOptions,
) -> Result<crate::diagnostic::qq::Envelope, String> {
    let weights: Vec<f64> = r.studies.iter().map(|s| 1.0 / (s.vi + r.tau2)).collect();
    let opts = rema_core::resample::qq_envelope::QqEnvelopeOptions {
        level: r.level,
        ..*opts
    };
    let e = rema_core::resample::qq_envelope::qq_envelope(&weights, &opts)
        .map_err(|e| format!("the Q-Q envelope: {e}"))?;
    Ok(crate::diagnostic::qq::Envelope {
        x: e.x,
        lower: e.lower,
        upper: e.upper,
        level: r.level,
        bonferroni: opts.bonferroni,
        reps: opts.reps,
        seed: opts.seed,
    })
}

/// The τ² profile plot of the model of `r` (without moderators): the
/// log-likelihood of rema-core's `RmaFit::profile_tau2` at 101 values from 0
/// to twice τ̂² (or to the variance of the effects when τ̂² is 0), as
/// metafor's `profile(res)` spans its grid.
pub fn profile(r: &AnalysisResult) -> Result<ProfileData, String> {
    let method: Method = r.method.parse().map_err(|_| {
        format!(
            "the profile plot refits rma.uni; method {} is not one",
            r.method
        )
    })?;
    let yi: Vec<f64> = r.studies.iter().map(|s| s.yi).collect();
    let vi: Vec<f64> = r.studies.iter().map(|s| s.vi).collect();
    let studies = Studies::new(&yi, &vi).map_err(|e| e.to_string())?;
    let fit = Rma::new(method).fit(&studies).map_err(|e| e.to_string())?;
    let mean = yi.iter().sum::<f64>() / yi.len() as f64;
    let var = yi.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / (yi.len() as f64 - 1.0).max(1.0);
    let top = if r.tau2 > 0.0 {
        2.0 * r.tau2
    } else {
        var.max(1e-4)
    };
    let grid: Vec<f64> = (0..=100).map(|i| top * f64::from(i) / 100.0).collect();
    let ll = fit.profile_tau2(&grid).map_err(|e| e.to_string())?;
    Ok(ProfileData {
        title: None,
        points: grid.into_iter().zip(ll).collect(),
        estimate: r.tau2,
        restricted: method == Method::Reml,
    })
}

/// A numeric cell of the study at `line` in column `name`.
fn cell(table: &Table, line: Option<u64>, name: &str) -> Option<f64> {
    let j = table.column(name)?;
    let row = table.rows.iter().find(|row| Some(row.line) == line)?;
    let s = row.cells.get(j)?.trim();
    let s = if table.decimal_comma {
        s.replace(',', ".")
    } else {
        s.to_string()
    };
    s.parse().ok()
}

/// The L'Abbé plot of 2 × 2 data (measures RR, OR, RD; columns ai, ci and
/// bi, di or n1i, n2i).
pub fn labbe(table: &Table, r: &AnalysisResult) -> Result<LabbeData, String> {
    let measure: Measure = r.measure.parse()?;
    if measure.data_kind() != DataKind::TwoGroupBinary {
        return Err(format!(
            "the L'Abbé plot needs 2x2 data (a two-group binary measure such as RR, OR or RD), not {}",
            r.measure
        ));
    }
    let risk = |line: Option<u64>, e: &str, other: &str, n: &str| -> Option<f64> {
        let events = cell(table, line, e)?;
        let total = cell(table, line, n).or_else(|| Some(events + cell(table, line, other)?))?;
        Some(events / total)
    };
    let mut treatment = Vec::new();
    let mut control = Vec::new();
    for s in &r.studies {
        let (Some(t), Some(c)) = (
            risk(s.line, "ai", "bi", "n1i"),
            risk(s.line, "ci", "di", "n2i"),
        ) else {
            return Err(format!(
                "study {}: the L'Abbé plot needs its counts ai, ci and bi, di (or n1i, n2i)",
                s.study
            ));
        };
        treatment.push(t);
        control.push(c);
    }
    let pooled = match measure {
        Measure::Rr => Some(PooledEffect::RiskRatio(r.estimate.exp())),
        Measure::Or => Some(PooledEffect::OddsRatio(r.estimate.exp())),
        Measure::Rd => Some(PooledEffect::RiskDifference(r.estimate)),
        _ => None,
    };
    Ok(LabbeData {
        title: None,
        labels: labels(r),
        control,
        treatment,
        weight: r.studies.iter().map(|s| s.weight).collect(),
        pooled,
    })
}

/// The bubble plot of the meta-regression of `r` on its one moderator
/// column `moderator`: the fitted line and its CI at 60 points across the
/// moderator's range, from the model refitted with the analysis's method
/// and test (metafor `regplot`).
pub fn bubble(table: &Table, r: &AnalysisResult, moderator: &str) -> Result<BubbleData, String> {
    let method: Method = r.method.parse().map_err(|_| {
        format!(
            "the bubble plot refits rma.uni; method {} is not one",
            r.method
        )
    })?;
    let x: Vec<f64> = r
        .studies
        .iter()
        .map(|s| {
            cell(table, s.line, moderator).ok_or_else(|| {
                format!(
                    "study {}: the moderator `{moderator}` is not a number",
                    s.study
                )
            })
        })
        .collect::<Result<_, _>>()?;
    let yi: Vec<f64> = r.studies.iter().map(|s| s.yi).collect();
    let vi: Vec<f64> = r.studies.iter().map(|s| s.vi).collect();
    let test = r.test.parse().map_err(|e: String| e)?;
    let rows: Vec<f64> = x.iter().flat_map(|x| [1.0, *x]).collect();
    let design = rema_core::Design::from_row_major(x.len(), 2, rows)
        .ok_or("the moderator and the studies differ in number")?;
    let studies = Studies::new(&yi, &vi).map_err(|e| e.to_string())?;
    let level = rema_core::Level::new(r.level).map_err(|e| e.to_string())?;
    let fit = Rma::new(method)
        .test(test)
        .level(level)
        .fit_mods(&studies, &design)
        .map_err(|e| e.to_string())?;
    let lo = x.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let line = (0..60)
        .map(|i| lo + (hi - lo) * f64::from(i) / 59.0)
        .map(|x0| {
            fit.predict_new(&[x0]).map(|p| Fitted {
                x: x0,
                pred: p.pred,
                ci_lower: p.ci_lower,
                ci_upper: p.ci_upper,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let weight: Vec<f64> = fit.fit().weights.clone();
    let (_, y_label) = super::effect_axis(r);
    Ok(BubbleData {
        title: None,
        labels: labels(r),
        x,
        yi,
        weight,
        line,
        level: r.level,
        x_label: moderator.to_string(),
        y_label: y_label.replace(" (log scale)", " (log)"),
    })
}

/// A forest of refits: one row per leave-one-out or cumulative step.
fn refit_forest(
    r: &AnalysisResult,
    rows: Vec<(String, Option<u64>, &SummaryFields)>,
    header: &str,
) -> ForestData {
    let t = DisplayTransform::for_result(r);
    let mut d = ForestData::new(t.scale());
    d.effect_header = format!("{}\n{header}", t.effect_name());
    d.rows = rows
        .into_iter()
        .map(|(label, line, f)| ForestRow {
            label,
            line,
            data: vec![format!("{}", f.k), format!("{:.0}%", f.i2)],
            estimate: t.apply(f.estimate),
            ci_lower: t.apply(f.ci_lower),
            ci_upper: t.apply(f.ci_upper),
            weight: None,
        })
        .collect();
    d.data_headers = vec!["k".to_string(), "I²".to_string()];
    let level = crate::axis::tick_label(r.level);
    d.overall = Some(t.pooled(
        &format!("All studies ({level}% CI)"),
        r.estimate,
        r.ci_lower,
        r.ci_upper,
        None,
        None,
    ));
    d
}

/// Which refits a forest of refits shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refits {
    /// metafor `forest(leave1out(res))`: the `leave_one_out` section.
    LeaveOneOut,
    /// metafor `forest(cumul(res))`: the `cumulative` section.
    Cumulative,
}

/// The forest plot of the leave-one-out or cumulative refits of `r`; an
/// error naming the section when the analysis did not ask for it.
pub fn refits_forest(r: &AnalysisResult, which: Refits) -> Result<ForestData, String> {
    let missing = |s: &str| {
        format!(
            "the {s} forest needs the {s} fits (`{}`)",
            s.replace('-', "_")
        )
    };
    let (rows, header) = match which {
        Refits::LeaveOneOut => (
            r.leave_one_out
                .as_ref()
                .ok_or_else(|| missing("leave-one-out"))?
                .iter()
                .map(|l| (format!("Omitting {}", l.omitted), l.line, &l.fit))
                .collect(),
            "leaving one study out",
        ),
        Refits::Cumulative => (
            r.cumulative
                .as_ref()
                .ok_or_else(|| missing("cumulative"))?
                .iter()
                .map(|s| (format!("+ {}", s.added), s.line, &s.fit))
                .collect(),
            "cumulative",
        ),
    };
    Ok(refit_forest(r, rows, header))
}
