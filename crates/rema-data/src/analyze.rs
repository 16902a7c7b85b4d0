//! One analysis from a table: effect sizes, the model fit, intervals and
//! back-transformation, assembled into an [`AnalysisResult`].

use rema_core::resample::Hooks;
use rema_core::transform::back_transform;
use rema_core::{effect_sizes, fit_with_moderators, q_profile, BackTransform, Design};
use sha2::{Digest, Sha256};

use crate::columns::{read_studies, StudyTable};
use crate::error::Result;
use crate::result::{AnalysisResult, Provenance, StudyEffect, Transformed};
use crate::sensitivity::{cumulative_rows, influence_rows, leave_one_out_rows};
use crate::spec::AnalysisSpec;
use crate::table::Table;

/// The version of rema that produced a result.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Hex SHA-256 of the input bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `spec` on `table`. `input_sha256` is the hash of the bytes the table
/// was read from.
pub fn analyze(table: &Table, spec: &AnalysisSpec, input_sha256: &str) -> Result<AnalysisResult> {
    analyze_with(table, spec, input_sha256, &Hooks::default())
}

/// [`analyze`] with progress and cancellation hooks for the resampling runs.
pub fn analyze_with(
    table: &Table,
    spec: &AnalysisSpec,
    input_sha256: &str,
    hooks: &Hooks,
) -> Result<AnalysisResult> {
    let measure = spec.measure()?;
    if spec.is_glmm() {
        return crate::sensitivity::analyze_glmm(table, spec, input_sha256);
    }
    let fit_opts = spec.fit_options()?;
    let eff_opts = spec.effect_options()?;
    spec.permutation_iterations()?;
    spec.bootstrap_kind()?;
    let conv = crate::convert::apply(table, measure, &spec.conversion_options()?)?;
    let table = &conv.table;
    let studies = read_studies(table, measure)?;
    let mods = if spec.mods.is_empty() {
        None
    } else {
        Some(crate::moderators::design(table, &studies, &spec.mods)?)
    };
    let grouping = spec
        .by
        .as_deref()
        .map(|c| crate::moderators::grouping(table, &studies, c))
        .transpose()?;
    let mut result = analyze_studies(
        table,
        &studies,
        spec,
        input_sha256,
        fit_opts,
        eff_opts,
        mods.as_ref().map(|m| &m.design),
    )?;
    result.notes.splice(0..0, conv.notes);
    result.conversions = conv.conversions;
    crate::extended::extend(
        &mut result,
        &crate::extended::Inputs {
            st: &studies,
            spec,
            fit_opts,
            eff_opts,
            mods: mods.as_ref(),
            grouping: grouping.as_ref(),
        },
        hooks,
    )?;
    Ok(result)
}

fn analyze_studies(
    table: &Table,
    st: &StudyTable,
    spec: &AnalysisSpec,
    input_sha256: &str,
    fit_opts: rema_core::FitOptions,
    eff_opts: rema_core::EffectOptions,
    design: Option<&Design>,
) -> Result<AnalysisResult> {
    let measure = spec.measure()?;
    let es = effect_sizes(measure, &st.data, &eff_opts).map_err(|e| st.core_error(e))?;
    let x = design
        .cloned()
        .unwrap_or_else(|| Design::intercept(es.yi.len()));
    let f = fit_with_moderators(&es.yi, &es.vi, &x, &fit_opts).map_err(|e| st.core_error(e))?;
    let est = f.estimate();
    let pred = f.prediction();
    let mut notes = es.notes.clone();
    notes.extend(f.notes.iter().cloned());

    let mut result_ci = [None; 6];
    if spec.tau2_ci {
        if !fit_opts.method.is_random() {
            notes.push(
                "--tau2-ci: no confidence interval for tau^2 under the common-effect model"
                    .to_string(),
            );
        } else if f.k < 2 {
            notes.push(
                "--tau2-ci: a confidence interval for tau^2 needs at least 2 studies".to_string(),
            );
        } else {
            let ci = q_profile(&es.yi, &es.vi, &x, &f).map_err(|e| st.core_error(e))?;
            notes.extend(ci.notes.iter().cloned());
            result_ci = [
                Some(ci.tau2_lower),
                Some(ci.tau2_upper),
                Some(ci.i2_lower),
                Some(ci.i2_upper),
                Some(ci.h2_lower),
                Some(ci.h2_upper),
            ];
        }
    }

    let transformed = transformed(measure, es.ni.as_deref(), est, &pred);

    let leave_one_out = spec
        .leave_one_out
        .then(|| leave_one_out_rows(st, &es.yi, &es.vi, &fit_opts))
        .transpose()?;
    let influence = spec
        .influence
        .then(|| influence_rows(st, &es.yi, &es.vi, &f))
        .transpose()?;
    if spec.order.is_some() && !spec.cumulative {
        return Err(crate::error::DataError::Option {
            message: "--order sets the order of --cumulative; add --cumulative".to_string(),
        });
    }
    let cumulative = spec
        .cumulative
        .then(|| {
            cumulative_rows(
                table,
                st,
                &es.yi,
                &es.vi,
                spec.order.as_deref(),
                &fit_opts,
                &mut notes,
            )
        })
        .transpose()?;

    let z = rema_core::fit::critical_value(fit_opts.level, None);
    let studies = (0..f.k)
        .map(|i| {
            let se = es.vi[i].sqrt();
            StudyEffect {
                study: st.labels[i].clone(),
                line: st.lines.get(i).copied(),
                yi: es.yi[i],
                vi: es.vi[i],
                ci_lower: es.yi[i] - z * se,
                ci_upper: es.yi[i] + z * se,
                weight: f.weights[i],
                corrected: es.corrected.contains(&i),
            }
        })
        .collect();

    Ok(AnalysisResult {
        measure: measure.name().to_string(),
        method: fit_opts.method.name().to_string(),
        test: fit_opts.test.name().to_string(),
        level: fit_opts.level,
        k: f.k,
        estimate: est.estimate,
        se: est.se,
        stat: est.stat,
        df: f.df,
        ci_lower: est.ci_lower,
        ci_upper: est.ci_upper,
        pval: est.pval,
        tau2: f.tau2,
        tau: f.tau2.sqrt(),
        i2: f.i2,
        h2: f.h2,
        q: f.q,
        q_df: f.q_df,
        q_pval: f.q_pval,
        pi_lower: pred.pi_lower,
        pi_upper: pred.pi_upper,
        tau2_ci_lower: result_ci[0],
        tau2_ci_upper: result_ci[1],
        i2_ci_lower: result_ci[2],
        i2_ci_upper: result_ci[3],
        h2_ci_lower: result_ci[4],
        h2_ci_upper: result_ci[5],
        tau2_iterations: f.tau2_iterations,
        transformed,
        studies,
        coefficients: None,
        qm: None,
        qm_df: None,
        qm_pval: None,
        qe: None,
        qe_pval: None,
        r2: None,
        pval_perm: None,
        subgroups: None,
        q_between: None,
        q_between_df: None,
        q_between_pval: None,
        tau2_common: None,
        permutation: None,
        bootstrap: None,
        notes,
        conversions: Vec::new(),
        provenance: Provenance {
            tool: "rema".to_string(),
            version: VERSION.to_string(),
            options: spec.clone(),
            input_sha256: input_sha256.to_string(),
            input: st.source.clone(),
        },
        leave_one_out,
        influence,
        cumulative,
        glmm: None,
    })
}

/// The summary back-transformed, for ratio and proportion measures.
pub(crate) fn transformed(
    measure: rema_core::Measure,
    ni: Option<&[f64]>,
    est: &rema_core::Coefficient,
    pred: &rema_core::Prediction,
) -> Option<Transformed> {
    let kind = measure.back_transform();
    (kind != BackTransform::Identity || measure.is_proportion()).then(|| {
        let scale = if measure.is_proportion() { 100.0 } else { 1.0 };
        let t = |x: f64| scale * back_transform(kind, x, ni);
        Transformed {
            scale: if measure.is_proportion() {
                "proportion (%)".to_string()
            } else {
                measure.name().to_string()
            },
            estimate: t(est.estimate),
            ci_lower: t(est.ci_lower),
            ci_upper: t(est.ci_upper),
            pi_lower: t(pred.pi_lower),
            pi_upper: t(pred.pi_upper),
        }
    })
}
