//! `method = "MH"` and `"PETO"`: 2×2 tables pooled from their counts (metafor
//! `rma.mh`, `rma.peto`), with `random` RevMan 5's "M-H, Random", reported in
//! the same [`Summary`] as an rma.uni fit, with what only these methods have
//! in [`PoolingResult`].
//!
//! The per-study rows are the per-table effects behind Q (escalc's, or
//! Peto's (Oᵢ − Eᵢ)/Vᵢ) with their weights in the pooled estimate, as RevMan
//! reports them: the Mantel–Haenszel weights (metafor `weights()`) for M-H
//! fixed, Vᵢ for Peto, 1/(vᵢ + τ̂²) for M-H random, in percent.
//!
//! Every subset of the tables is pooled by the same method and options
//! ([`Pool::model`]): the subgroups of `by` (RevMan: the method within each
//! subgroup, and the test for subgroup differences as the inverse-variance
//! Q between the subgroup estimates, χ² on m − 1 df, with its I²), the
//! leave-one-out refits (metafor `leave1out(rma.mh(...))`) and the
//! cumulative steps (metafor `cumul(rma.mh(...))`).

use rema_core::effect::BinaryStudy;
use rema_core::fit::critical_value;
use rema_core::pooling::{ChiSquareTest, Pooling, RandomEffects, TablesFit};
use rema_core::subgroup::{members, q_between};
use rema_core::{EffectSizes, MantelHaenszel, Peto, PiDist, PooledSummary, StudyData, Tables};

use crate::columns::StudyTable;
use crate::error::{DataError, Location, Result};
use crate::result::{
    ChiSquare, CumulativeRow, LeaveOneOutRow, PoolingResult, StudyEffect, SubgroupResult, Summary,
    SummaryFields, Transformed,
};
use crate::sections::heterogeneity::Subgroups;
use crate::sections::intervals::study_effects;
use crate::sections::sensitivity::{cumulative_order, labelled_steps};
use crate::spec::{Analysis, Model};
use crate::table::Table;

/// The pooled model's part of a result.
pub(crate) struct PooledModel {
    pub studies: StudyTable,
    pub summary: Summary,
    pub transformed: Option<Transformed>,
    pub study_effects: Vec<StudyEffect>,
    pub details: PoolingResult,
    /// The subgroups of `by`, each pooled by the method (no shared τ²).
    pub subgroups: Option<Subgroups>,
    pub leave_one_out: Option<Vec<LeaveOneOutRow>>,
    pub cumulative: Option<Vec<CumulativeRow>>,
    pub notes: Vec<String>,
}

/// The method and options every pooled fit of an analysis shares.
struct Pool<'a> {
    a: &'a Analysis,
    level: rema_core::Level,
    add: f64,
}

/// One pooled fit of a set of tables: the method's fit, RevMan's random
/// effects with `random`, and the summary of the one reported.
struct PooledFit {
    fit: TablesFit,
    random: Option<RandomEffects>,
    summary: Summary,
}

impl PooledFit {
    /// The summary of the reported model in the shape of the refits' rows.
    fn pooled_summary(&self) -> PooledSummary {
        match &self.random {
            Some(re) => re.summary(),
            None => self.fit.summary(),
        }
    }

    /// The weights of the reported model, in percent.
    fn weights(&self) -> &[f64] {
        match &self.random {
            Some(re) => &re.weights,
            None => &self.fit.weights,
        }
    }
}

impl Pool<'_> {
    /// The method's fit of `tables`, double-zero tables left out of Q
    /// (`drop00`) or kept.
    fn tables_fit(&self, tables: &Tables, drop00: bool) -> rema_core::Result<TablesFit> {
        fn options<M>(p: Pooling<M>, pool: &Pool<'_>, drop00: bool) -> Pooling<M> {
            p.level(pool.level)
                .continuity(pool.add, pool.a.effect.to)
                .drop00(drop00)
        }
        match self.a.spec.method {
            Model::Peto => options(Peto::new(), self, drop00).fit(tables),
            _ => options(MantelHaenszel::new(self.a.measure()), self, drop00).fit(tables),
        }
    }

    /// The tables pooled by the method (and RevMan's random effects with
    /// `random`), with the summary: z test, Q, I², and the prediction
    /// interval from `pi_dist`.
    fn model(&self, tables: &Tables) -> rema_core::Result<PooledFit> {
        let fit = self.tables_fit(tables, true)?;
        let random = if self.a.spec.random {
            Some(fit.random_effects()?)
        } else {
            None
        };
        let h = fit.heterogeneity;
        let (pooled, tau2) = match &random {
            Some(re) => (re.pooled, re.tau2),
            None => (fit.pooled, 0.0),
        };
        let percent = self.a.spec.level.percent();
        let pi_crit = match self.a.spec.pi_dist.unwrap_or_default() {
            PiDist::Test => critical_value(percent, None),
            PiDist::T => critical_value(percent, Some(h.q_df.max(1.0))),
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
        Ok(PooledFit {
            fit,
            random,
            summary,
        })
    }

    /// [`Pool::model`] of the tables at `idx` (checked already, as part of
    /// all the tables).
    fn model_of(&self, counts: &[BinaryStudy], idx: &[usize]) -> rema_core::Result<PooledFit> {
        let subset: Vec<BinaryStudy> = idx.iter().map(|&i| counts[i]).collect();
        self.model(&Tables::new(&subset)?)
    }
}

/// Pools the 2×2 tables of `table` by the method of `a` (checked: MH with
/// OR, RR or RD, PETO with OR; the z test; no rma.uni section), and its
/// subgroups, leave-one-out and cumulative refits when asked for.
pub(crate) fn fit(table: &Table, a: &Analysis) -> Result<PooledModel> {
    let measure = a.measure();
    let level = a.spec.level;
    let (selected, st) = a.select_studies(table)?;
    let spec = &a.spec;
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
    let pool = Pool {
        a,
        level: rema_core::Level::new(level.percent()).map_err(|e| st.core_error(e))?,
        add: a.effect.add.unwrap_or_else(|| measure.default_add()),
    };
    let main = pool.model(&tables).map_err(|e| st.core_error(e))?;
    let fit = &main.fit;
    let mut notes = selected.notes.clone();
    notes.extend(fit.notes.iter().cloned());
    if let Some(re) = &main.random {
        notes.extend(re.notes.iter().cloned());
    }
    let weights = main.weights().to_vec();
    let es = per_table_effects(
        fit,
        pool.tables_fit(&tables, false).ok().as_ref(),
        counts,
        pool.add,
        a,
    );
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
    let subgroups = spec
        .by
        .as_deref()
        .map(|column| subgroups(&pool, &selected.table, &st, counts, column))
        .transpose()?;
    if subgroups.is_some() {
        notes.push(format!(
            "by: each subgroup is pooled by method {} as the whole; the test for subgroup differences is the inverse-variance Q between the subgroup estimates and their SEs (RevMan 5), with I^2 in pooling.i2_between",
            spec.method
        ));
    }
    let k = fit.k;
    let row_of = |r: rema_core::Result<PooledFit>, k: usize| {
        SummaryFields::from(k, &r.map(|m| m.pooled_summary()))
    };
    let leave_one_out: Option<Vec<LeaveOneOutRow>> = spec.leave_one_out.then(|| {
        (0..k)
            .map(|omitted| {
                let idx: Vec<usize> = (0..k).filter(|&i| i != omitted).collect();
                LeaveOneOutRow {
                    omitted: st.labels[omitted].clone(),
                    line: st.lines.get(omitted).copied(),
                    fit: row_of(pool.model_of(counts, &idx), k - 1),
                }
            })
            .collect()
    });
    let cumulative = if spec.cumulative {
        let (order, raw) =
            cumulative_order(&selected.table, &st, spec.order.as_deref(), &mut notes)?;
        let fits = (1..=k)
            .map(|j| row_of(pool.model_of(counts, &order[..j]), j))
            .collect();
        Some(labelled_steps(&st, &order, raw.as_deref(), fits))
    } else {
        None
    };
    let refits = leave_one_out
        .iter()
        .flatten()
        .map(|r: &LeaveOneOutRow| &r.fit);
    let steps = cumulative.iter().flatten().map(|r: &CumulativeRow| &r.fit);
    let failed = refits.chain(steps).filter(|f| f.error.is_some()).count();
    if failed > 0 {
        notes.push(format!(
            "{failed} leave-one-out or cumulative refit{} could not be pooled and {} no numbers (see {} error)",
            if failed == 1 { "" } else { "s" },
            if failed == 1 { "has" } else { "have" },
            if failed == 1 { "its" } else { "their" },
        ));
    }
    let h = fit.heterogeneity;
    let details = PoolingResult {
        model: if main.random.is_some() {
            "random"
        } else {
            "fixed"
        }
        .to_string(),
        label: crate::describe::revman_label(
            a.spec.method,
            main.random.is_some(),
            a.spec.test,
            level.percent(),
        ),
        fixed: main
            .random
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
        i2_between: subgroups
            .as_ref()
            .map(|s| i2_of(s.q_between, s.q_between_df)),
    };
    Ok(PooledModel {
        transformed: Transformed::new(measure, None, &main.summary),
        study_effects: study_effects(&st, &es, Some(&weights), level.percent()),
        summary: main.summary,
        details,
        subgroups,
        leave_one_out,
        cumulative,
        studies: st,
        notes,
    })
}

/// Each level of `column` pooled by the method, and RevMan's test for
/// subgroup differences: the inverse-variance Q between the subgroup
/// estimates with their SEs, on m − 1 df.
fn subgroups(
    pool: &Pool<'_>,
    table: &Table,
    st: &StudyTable,
    counts: &[BinaryStudy],
    column: &str,
) -> Result<Subgroups> {
    let g = crate::moderators::grouping(table, st, column)?;
    let measure = pool.a.measure();
    let mut levels = Vec::with_capacity(g.levels.len());
    let (mut est, mut se) = (Vec::new(), Vec::new());
    for (level, idx) in g.levels.iter().zip(members(&g.groups, g.levels.len())) {
        let m = pool.model_of(counts, &idx).map_err(|e| DataError::Invalid {
            at: Location {
                file: Some(st.source.clone()),
                column: Some(column.to_string()),
                ..Location::default()
            },
            message: format!(
                "subgroup `{level}` (studies {}) cannot be pooled by method {}: {e} (tables are counted within the subgroup)",
                idx.iter()
                    .map(|&i| st.labels[i].as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                pool.a.spec.method
            ),
        })?;
        est.push(m.summary.estimate);
        se.push(m.summary.se);
        let mut notes = m.fit.notes.clone();
        if let Some(re) = &m.random {
            notes.extend(re.notes.iter().cloned());
        }
        levels.push(SubgroupResult {
            level: level.clone(),
            transformed: Transformed::new(measure, None, &m.summary),
            summary: m.summary,
            tau2_iterations: None,
            studies: idx.iter().map(|&i| st.labels[i].clone()).collect(),
            notes,
        });
    }
    let (q, df, p) = q_between(&est, &se);
    Ok(Subgroups {
        levels,
        q_between: q,
        q_between_df: df,
        q_between_pval: p,
        tau2_common: None,
    })
}

/// RevMan's I² of a Q on `df` degrees of freedom: max(0, (Q − df)/Q), in
/// percent (0 when Q is 0).
fn i2_of(q: f64, df: f64) -> f64 {
    if q > df {
        100.0 * (q - df) / q
    } else {
        0.0
    }
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
