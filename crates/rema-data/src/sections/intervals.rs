//! The summary of the main fit, back-transformed, with the Q-profile
//! confidence intervals of τ², I² and H² (`tau2_ci`, metafor `confint`) and
//! each study's effect with its confidence interval and weight.

use rema_core::fit::critical_value;
use rema_core::{q_profile, EffectSizes};

use crate::columns::StudyTable;
use crate::error::Result;
use crate::prepare::Prepared;
use crate::result::{StudyEffect, Summary, Transformed};
use crate::spec::Analysis;

/// The Q-profile bounds of τ², I² and H².
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct HeterogeneityCi {
    pub tau2: [Option<f64>; 2],
    pub i2: [Option<f64>; 2],
    pub h2: [Option<f64>; 2],
}

/// The intervals section.
pub(crate) struct Intervals {
    pub summary: Summary,
    pub transformed: Option<Transformed>,
    pub tau2_ci: HeterogeneityCi,
    pub studies: Vec<StudyEffect>,
    pub notes: Vec<String>,
}

pub(crate) fn build(p: &Prepared, a: &Analysis) -> Result<Intervals> {
    let f = &p.fit;
    let mut notes = Vec::new();
    let mut ci = HeterogeneityCi::default();
    if a.spec.tau2_ci {
        if !p.opts.method.is_random() {
            notes.push(
                "tau2_ci: no confidence interval for tau^2 under the common-effect model"
                    .to_string(),
            );
        } else if f.k < 2 {
            notes.push(
                "tau2_ci: a confidence interval for tau^2 needs at least 2 studies".to_string(),
            );
        } else {
            let q =
                q_profile(&p.es.yi, &p.es.vi, &p.design, f).map_err(|e| p.studies.core_error(e))?;
            notes.extend(q.notes.iter().cloned());
            ci = HeterogeneityCi {
                tau2: [Some(q.tau2_lower), Some(q.tau2_upper)],
                i2: [Some(q.i2_lower), Some(q.i2_upper)],
                h2: [Some(q.h2_lower), Some(q.h2_upper)],
            };
        }
    }
    let summary = Summary::of_fit_with(f, a.spec.pi_dist.unwrap_or_default());
    Ok(Intervals {
        transformed: Transformed::new(a.measure(), p.es.ni.as_deref(), &summary),
        summary,
        tau2_ci: ci,
        studies: study_effects(&p.studies, &p.es, Some(&f.weights), p.opts.level),
        notes,
    })
}

/// Each study's effect, its `level`% confidence interval and its weight in
/// percent (NaN without `weights`, as for the GLMM).
pub(crate) fn study_effects(
    st: &StudyTable,
    es: &EffectSizes,
    weights: Option<&[f64]>,
    level: f64,
) -> Vec<StudyEffect> {
    let z = critical_value(level, None);
    (0..es.yi.len())
        .map(|i| {
            let se = es.vi[i].sqrt();
            StudyEffect {
                study: st.labels[i].clone(),
                line: st.lines.get(i).copied(),
                yi: es.yi[i],
                vi: es.vi[i],
                ci_lower: es.yi[i] - z * se,
                ci_upper: es.yi[i] + z * se,
                weight: weights.and_then(|w| w.get(i).copied()).unwrap_or(f64::NAN),
                corrected: es.corrected.contains(&i),
            }
        })
        .collect()
}
