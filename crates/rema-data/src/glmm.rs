//! `method = "GLMM"`: the binomial-normal model of logit proportions (metafor
//! `rma.glmm(measure = "PLO")`, with `mods` its meta-regression
//! `rma.glmm(measure = "PLO", mods = ~ X)`), fitted to the counts and
//! reported in the same [`Summary`] as an rma.uni fit (the intercept's with
//! moderators, as rma.uni's), the coefficients and QM as an rma.uni
//! meta-regression, and what only the GLMM has in [`GlmmDetails`].

use rema_core::fit::critical_value;
use rema_core::{effect_sizes, glmm_plo_mods, Design, EffectSizes, GlmmOptions, StudyData};

use crate::columns::{select_studies, StudyTable};
use crate::error::{DataError, Result};
use crate::moderators::ModeratorDesign;
use crate::result::{CoefficientResult, GlmmDetails, StudyEffect, Summary, Transformed};
use crate::sections::heterogeneity::intercept_note;
use crate::sections::intervals::study_effects;
use crate::spec::Analysis;
use crate::table::Table;

/// The GLMM's part of a result.
pub(crate) struct GlmmModel {
    pub studies: StudyTable,
    pub summary: Summary,
    pub transformed: Option<Transformed>,
    pub study_effects: Vec<StudyEffect>,
    pub details: GlmmDetails,
    /// The meta-regression, with `mods`.
    pub moderators: Option<GlmmModerators>,
    pub notes: Vec<String>,
}

/// The meta-regression part of a GLMM with moderators.
pub(crate) struct GlmmModerators {
    /// The coefficients, intercept first.
    pub coefficients: Vec<CoefficientResult>,
    /// The Wald test of the moderators (`None` when their covariance is
    /// singular, with a note).
    pub qm: Option<f64>,
    pub qm_df: f64,
    pub qm_pval: Option<f64>,
}

/// Fits the GLMM of `a` (checked: measure PLO, test z) to `table`.
pub(crate) fn fit(table: &Table, a: &Analysis) -> Result<GlmmModel> {
    let measure = a.measure();
    let level = a.spec.level.percent();
    let spec = &a.spec;
    let (selected, st) = select_studies(
        table,
        measure,
        &a.mods_columns(),
        spec.missing,
        spec.sheet.as_deref(),
    )?;
    let es = effect_sizes(measure, &st.data, &a.effect).map_err(|e| st.core_error(e))?;
    if a.mods.as_ref().is_some_and(|f| !f.intercept) {
        return Err(DataError::option(
            "mods",
            "method GLMM fits its moderators with an intercept; write the formula without - 1 or 0 +".to_string(),
        ));
    }
    let mods = a
        .mods
        .as_ref()
        .map(|f| crate::moderators::design(&selected.table, &st, f))
        .transpose()?;
    let (g, gopts) = glmm_fit(&st, &es, mods.as_ref(), level)?;
    let mut notes = selected.notes;
    notes.extend(es.notes.iter().cloned());
    if let Some(m) = &mods {
        notes.push(intercept_note(&m.names));
    }
    notes.extend(g.notes.iter().cloned());
    notes.push(
        "GLMM: study weights are not defined (metafor's weights() has none for rma.glmm); the weight column is empty".to_string(),
    );
    let e = g.estimate;
    let crit = critical_value(level, None);
    let pse = (e.se * e.se + g.tau2).sqrt();
    let summary = Summary {
        k: g.k,
        estimate: e.estimate,
        se: e.se,
        stat: e.stat,
        df: None,
        ci_lower: e.ci_lower,
        ci_upper: e.ci_upper,
        pval: e.pval,
        tau2: g.tau2,
        tau: g.tau2.sqrt(),
        i2: g.i2,
        h2: g.h2,
        q: g.qe_wald.unwrap_or(f64::NAN),
        q_df: g.qe_df as f64,
        q_pval: g.qe_wald_pval.unwrap_or(f64::NAN),
        pi_lower: e.estimate - crit * pse,
        pi_upper: e.estimate + crit * pse,
    };
    Ok(GlmmModel {
        transformed: Transformed::new(measure, None, &summary),
        summary,
        study_effects: study_effects(&st, &es, None, level),
        details: GlmmDetails {
            n_agq: gopts.n_agq,
            qe_wald: g.qe_wald,
            qe_wald_pval: g.qe_wald_pval,
            qe_lrt: g.qe_lrt,
            qe_lrt_pval: g.qe_lrt_pval,
            qe_df: g.qe_df,
            loglik: g.loglik,
            iterations: g.iterations,
        },
        moderators: mods.map(|m| GlmmModerators {
            coefficients: m
                .names
                .iter()
                .zip(&g.coefficients)
                .map(|(name, c)| CoefficientResult::new(name.clone(), c, false))
                .collect(),
            qm: g.qm,
            qm_df: g.qm_df as f64,
            qm_pval: g.qm_pval,
        }),
        studies: st,
        notes,
    })
}

/// The GLMM of proportions: counts from the study table, the escalc logit
/// variances for I², the moderators' design when there are any.
fn glmm_fit(
    st: &StudyTable,
    es: &EffectSizes,
    mods: Option<&ModeratorDesign>,
    level: f64,
) -> Result<(rema_core::GlmmFit, GlmmOptions)> {
    let StudyData::Proportion(ps) = &st.data else {
        return Err(DataError::option(
            "method",
            "method GLMM needs proportion data (columns xi, ni)".to_string(),
        ));
    };
    let xi: Vec<f64> = ps.iter().map(|p| p.x).collect();
    let ni: Vec<f64> = ps.iter().map(|p| p.n).collect();
    let opts = GlmmOptions {
        level,
        ..GlmmOptions::default()
    };
    let x = mods.map_or_else(|| Design::intercept(xi.len()), |m| m.design.clone());
    let f = glmm_plo_mods(&xi, &ni, &es.vi, &x, &opts).map_err(|e| st.core_error(e))?;
    Ok((f, opts))
}
