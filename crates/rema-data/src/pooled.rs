//! `method = "MH"` and `"PETO"`: 2×2 tables pooled from their counts (metafor
//! `rma.mh`, `rma.peto`), with `random` RevMan 5's "M-H, Random", reported in
//! the same [`Summary`] as an rma.uni fit, with what only these methods have
//! in [`PoolingResult`].
//!
//! The per-study rows are the per-table effects behind Q (escalc's, or
//! Peto's (Oᵢ − Eᵢ)/Vᵢ) with their weights in the pooled estimate, as RevMan
//! reports them: the Mantel–Haenszel weights (metafor `weights()`) for M-H
//! fixed, Vᵢ for Peto, 1/(vᵢ + τ̂²) for M-H random, in percent.

use rema_core::effect::BinaryStudy;
use rema_core::fit::critical_value;
use rema_core::pooling::{ChiSquareTest, Pooling, TablesFit};
use rema_core::{EffectSizes, MantelHaenszel, Peto, PiDist, StudyData, Tables};

use crate::columns::{select_studies, StudyTable};
use crate::error::{DataError, Result};
use crate::result::{ChiSquare, PoolingResult, StudyEffect, Summary, SummaryFields, Transformed};
use crate::sections::intervals::study_effects;
use crate::spec::{Analysis, Model};
use crate::table::Table;

/// The pooled model's part of a result.
pub(crate) struct PooledModel {
    pub studies: StudyTable,
    pub summary: Summary,
    pub transformed: Option<Transformed>,
    pub study_effects: Vec<StudyEffect>,
    pub details: PoolingResult,
    pub notes: Vec<String>,
}

/// Pools the 2×2 tables of `table` by the method of `a` (checked: MH with
/// OR, RR or RD, PETO with OR; the z test; no rma.uni section).
pub(crate) fn fit(table: &Table, a: &Analysis) -> Result<PooledModel> {
    let measure = a.measure();
    let level = a.spec.level;
    let spec = &a.spec;
    let (selected, st) = select_studies(
        table,
        measure,
        &a.mods_columns(),
        spec.missing,
        spec.sheet.as_deref(),
    )?;
    let StudyData::Binary(counts) = &st.data else {
        return Err(DataError::option(
            "method",
            format!(
                "method {} needs 2x2 counts (columns ai, bi, ci, di or ai, n1i, ci, n2i)",
                a.spec.method
            ),
        ));
    };
    let tables = Tables::new(counts).map_err(|e| st.core_error(e))?;
    let core_level = rema_core::Level::new(level.percent()).map_err(|e| st.core_error(e))?;
    let add = a.effect.add.unwrap_or_else(|| measure.default_add());
    let fit_with = |drop00: bool| -> rema_core::Result<TablesFit> {
        fn options<M>(
            p: Pooling<M>,
            level: rema_core::Level,
            add: f64,
            a: &Analysis,
            drop00: bool,
        ) -> Pooling<M> {
            p.level(level).continuity(add, a.effect.to).drop00(drop00)
        }
        match a.spec.method {
            Model::Peto => options(Peto::new(), core_level, add, a, drop00).fit(&tables),
            _ => options(MantelHaenszel::new(measure), core_level, add, a, drop00).fit(&tables),
        }
    };
    let fit = fit_with(true).map_err(|e| st.core_error(e))?;
    let mut notes = selected.notes;
    notes.extend(fit.notes.iter().cloned());
    let random = if a.spec.random {
        Some(fit.random_effects().map_err(|e| st.core_error(e))?)
    } else {
        None
    };
    let pi_dist = a.spec.pi_dist.unwrap_or_default();
    let h = fit.heterogeneity;
    let (pooled, tau2, weights) = match &random {
        Some(re) => {
            notes.extend(re.notes.iter().cloned());
            (re.pooled, re.tau2, re.weights.clone())
        }
        None => (fit.pooled, 0.0, fit.weights.clone()),
    };
    let pi_crit = match pi_dist {
        PiDist::Test => critical_value(level.percent(), None),
        PiDist::T => critical_value(level.percent(), Some(h.q_df.max(1.0))),
    };
    let pse = (pooled.se * pooled.se + tau2).sqrt();
    let summary = Summary {
        k: fit.k,
        estimate: pooled.estimate,
        se: pooled.se,
        stat: pooled.zval,
        df: None,
        ci_lower: pooled.ci_lower,
        ci_upper: pooled.ci_upper,
        pval: pooled.pval,
        tau2,
        tau: tau2.sqrt(),
        i2: h.i2,
        h2: h.h2,
        q: h.q,
        q_df: h.q_df,
        q_pval: h.q_pval,
        pi_lower: pooled.estimate - pi_crit * pse,
        pi_upper: pooled.estimate + pi_crit * pse,
    };
    let es = per_table_effects(&fit, fit_with(false).ok().as_ref(), counts, add, a);
    if !fit.double_zero.is_empty() {
        notes.push(format!(
            "{} {}: no events, or only events, in both groups; not estimable as RevMan says, shown with the continuity correction, with weight {}",
            if fit.double_zero.len() == 1 { "study" } else { "studies" },
            fit.double_zero
                .iter()
                .map(|&i| st.labels[i].as_str())
                .collect::<Vec<_>>()
                .join(", "),
            if weights.iter().enumerate().any(|(i, w)| *w > 0.0 && fit.double_zero.contains(&i)) {
                "in the Mantel–Haenszel risk difference only"
            } else {
                "0"
            }
        ));
    }
    let details = PoolingResult {
        model: if random.is_some() { "random" } else { "fixed" }.to_string(),
        label: crate::describe::revman_label(
            a.spec.method,
            random.is_some(),
            a.spec.test,
            level.percent(),
        ),
        fixed: random
            .is_some()
            .then(|| SummaryFields::from(fit.k, &Ok(fit.summary()))),
        k_q: h.k,
        k_pos: fit.k_pos,
        double_zero: fit
            .double_zero
            .iter()
            .map(|&i| st.labels[i].clone())
            .collect(),
        cmh: fit.odds_ratio_tests.and_then(|t| t.cmh).map(chi_square),
        cochran: fit.odds_ratio_tests.and_then(|t| t.cochran).map(chi_square),
        breslow_day: fit
            .odds_ratio_tests
            .and_then(|t| t.breslow_day)
            .map(chi_square),
        tarone: fit.odds_ratio_tests.and_then(|t| t.tarone).map(chi_square),
    };
    Ok(PooledModel {
        transformed: Transformed::new(measure, None, &summary),
        summary,
        study_effects: study_effects(&st, &es, Some(&weights), level.percent()),
        details,
        studies: st,
        notes,
    })
}

fn chi_square(t: ChiSquareTest) -> ChiSquare {
    ChiSquare {
        statistic: t.statistic,
        df: t.df,
        pval: t.pval,
    }
}

/// Each table's effect: the fit's for the tables in Q, the fit with the
/// double-zero tables kept (`all`) for the others (NaN if it failed: a
/// double-zero table without a continuity correction), and which tables the
/// continuity correction reached.
fn per_table_effects(
    fit: &TablesFit,
    all: Option<&TablesFit>,
    counts: &[BinaryStudy],
    add: f64,
    a: &Analysis,
) -> EffectSizes {
    let mut yi = vec![f64::NAN; fit.k];
    let mut vi = vec![f64::NAN; fit.k];
    if let Some(all) = all {
        for (&i, (y, v)) in all.in_q.iter().zip(all.yi.iter().zip(&all.vi)) {
            (yi[i], vi[i]) = (*y, *v);
        }
    }
    for (&i, (y, v)) in fit.in_q.iter().zip(fit.yi.iter().zip(&fit.vi)) {
        (yi[i], vi[i]) = (*y, *v);
    }
    let has_zero = |s: &BinaryStudy| s.ai == 0.0 || s.bi == 0.0 || s.ci == 0.0 || s.di == 0.0;
    let any_zero = counts.iter().any(has_zero);
    EffectSizes {
        measure: fit.measure,
        yi,
        vi,
        ni: None,
        corrected: (0..fit.k)
            .filter(|&i| a.effect.to.applies(add, has_zero(&counts[i]), any_zero))
            .collect(),
        notes: Vec::new(),
    }
}
