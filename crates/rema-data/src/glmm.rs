//! `method = "GLMM"`: the binomial-normal model of logit proportions (metafor
//! `rma.glmm(measure = "PLO")`), fitted to the counts and reported in the
//! same [`Summary`] as an rma.uni fit, with what only the GLMM has in
//! [`GlmmDetails`].

use rema_core::fit::critical_value;
use rema_core::{effect_sizes, glmm_plo, EffectSizes, GlmmOptions, StudyData};

use crate::columns::{select_studies, StudyTable};
use crate::error::{DataError, Result};
use crate::result::{GlmmDetails, StudyEffect, Summary, Transformed};
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
    pub notes: Vec<String>,
}

/// Fits the GLMM of `a` (checked: measure PLO, test z) to `table`.
pub(crate) fn fit(table: &Table, a: &Analysis) -> Result<GlmmModel> {
    let measure = a.measure();
    let level = a.spec.level.percent();
    let spec = &a.spec;
    let (selected, st) = select_studies(
        table,
        measure,
        &a.spec.mods,
        spec.missing,
        spec.sheet.as_deref(),
    )?;
    let es = effect_sizes(measure, &st.data, &a.effect).map_err(|e| st.core_error(e))?;
    let (g, gopts) = glmm_fit(&st, &es, level)?;
    let mut notes = selected.notes;
    notes.extend(es.notes.iter().cloned());
    notes.extend(g.notes.iter().cloned());
    if a.spec.tau2_ci {
        notes.push(
            "tau2_ci: the Q-profile interval is defined for rma.uni methods, not for the GLMM"
                .to_string(),
        );
    }
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
        studies: st,
        notes,
    })
}

/// The GLMM of proportions: counts from the study table, the escalc logit
/// variances for I².
fn glmm_fit(
    st: &StudyTable,
    es: &EffectSizes,
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
    let f = glmm_plo(&xi, &ni, &es.vi, &opts).map_err(|e| st.core_error(e))?;
    Ok((f, opts))
}
