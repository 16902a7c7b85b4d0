//! What the fitted model adds to an rma.uni analysis, from rema-core's
//! [`RmaFit`]: fit statistics (metafor `fitstats`), the SE of τ²
//! (`se.tau2`), the profile-likelihood interval of τ² (`confint(type =
//! "PL")`), `vcov`, predictions at `newmods` (`predict(res, newmods)`),
//! and per study the fitted value, `rstandard` and `blup`.
//!
//! `newmods` values are cells of new rows: they go through the same
//! formula as the studies (appended to the table), so `~ I(ablat^2) +
//! factor(alloc)` takes `ablat=10,30; alloc=random`; a value that changes
//! the design (a level the studies lack) is an error.

use rema_core::{Rma, RmaFit, Studies};

use crate::error::{DataError, Result};
use crate::prepare::Prepared;
use crate::result::{FitStatsResult, ModelResult, NewmodsPrediction, ProfileCiResult, StudyFitRow};
use crate::spec::{Analysis, NewMods};
use crate::table::{Row, Table};

/// The model part and its notes.
pub(crate) struct ModelPart {
    pub model: ModelResult,
    pub notes: Vec<String>,
}

pub(crate) fn build(p: &Prepared, a: &Analysis) -> Result<ModelPart> {
    let err = |e| p.studies.core_error(e);
    let studies = Studies::new(&p.es.yi, &p.es.vi).map_err(err)?;
    let fit = Rma::with_options(p.opts)
        .fit_mods(&studies, &p.design)
        .map_err(err)?;
    let mut notes = Vec::new();
    let stats = |s: rema_core::FitStats| FitStatsResult {
        likelihood: if s.reml { "REML" } else { "ML" }.to_string(),
        log_lik: s.log_lik,
        deviance: s.deviance,
        aic: s.aic,
        bic: s.bic,
        aicc: s.aicc,
        parameters: s.parameters,
    };
    let fit_stats = fit.fit_stats().ok().map(stats);
    let fit_stats_reml = (p.opts.method == rema_core::Method::Fe)
        .then(|| fit.fit_stats_of(true).ok().map(stats))
        .flatten();
    let (k, pcols) = (p.design.rows(), p.design.cols());
    let tau2_pl = match fit.profile_ci() {
        Ok(ci) if p.opts.method.is_random() && k > pcols => {
            notes.extend(ci.notes.iter().cloned());
            let b = [
                ci.tau2_lower,
                ci.tau2_upper,
                ci.i2_lower,
                ci.i2_upper,
                ci.h2_lower,
                ci.h2_upper,
            ];
            b.iter().all(|v| v.is_finite()).then_some(ProfileCiResult {
                tau2_lower: b[0],
                tau2_upper: b[1],
                i2_lower: b[2],
                i2_upper: b[3],
                h2_lower: b[4],
                h2_upper: b[5],
            })
        }
        _ => None,
    };
    let vb = fit.vcov();
    let vcov = (0..pcols)
        .map(|i| (0..pcols).map(|j| vb.get(i, j)).collect())
        .collect();
    let newmods = match &a.newmods {
        Some(n) => Some(predictions(p, a, &fit, n)?),
        None => None,
    };
    let fitted = fit.fitted();
    let rstandard = fit.rstandard();
    let blup = fit.blup();
    let rows = (0..k)
        .map(|i| StudyFitRow {
            study: p.studies.labels[i].clone(),
            line: p.studies.lines.get(i).copied(),
            fitted: fitted[i],
            resid: rstandard[i].resid,
            resid_se: (rstandard[i].se > 0.0).then_some(rstandard[i].se),
            resid_z: (rstandard[i].se > 0.0 && rstandard[i].z.is_finite())
                .then_some(rstandard[i].z),
            blup: blup[i].pred,
            blup_se: blup[i].se,
            blup_pi_lower: blup[i].pi_lower,
            blup_pi_upper: blup[i].pi_upper,
        })
        .collect();
    Ok(ModelPart {
        model: ModelResult {
            fit_stats,
            fit_stats_reml,
            se_tau2: fit.se_tau2(),
            tau2_pl,
            vcov,
            newmods,
            studies: rows,
        },
        notes,
    })
}

/// The predictions at `newmods` ([`newmods_rows`], then rema-core's
/// `predict_new`).
fn predictions(
    p: &Prepared,
    a: &Analysis,
    fit: &RmaFit,
    n: &NewMods,
) -> Result<Vec<NewmodsPrediction>> {
    let (Some(f), Some(m)) = (&a.mods, &p.mods) else {
        return Err(DataError::option(
            "newmods",
            "`newmods` gives moderator values to predict at; add `mods`".to_string(),
        ));
    };
    newmods_rows(&p.table, &p.studies, f, &m.names, n)?
        .into_iter()
        .map(|(at, x)| {
            let pr = fit.predict_new(&x).map_err(|e| p.studies.core_error(e))?;
            Ok(NewmodsPrediction {
                at,
                x,
                pred: pr.pred,
                se: pr.se,
                ci_lower: pr.ci_lower,
                ci_upper: pr.ci_upper,
                pi_lower: pr.pi_lower,
                pi_upper: pr.pi_upper,
            })
        })
        .collect()
}

/// The rows of the model matrix at `newmods`, each with its values as text
/// (`ablat=10, alloc=random`): through the formula `f`, on `table` with
/// the new rows appended, so that they are coded as the studies are; an
/// error when they would change the columns `names`. Shared by rma.uni
/// and the multilevel model.
pub(crate) fn newmods_rows(
    table: &Table,
    studies: &crate::columns::StudyTable,
    f: &crate::formula::ModsFormula,
    names: &[String],
    n: &NewMods,
) -> Result<Vec<(String, Vec<f64>)>> {
    let k = table.rows.len();
    let mut t = Table {
        source: table.source.clone(),
        headers: table.headers.clone(),
        rows: table.rows.clone(),
        decimal_comma: table.decimal_comma,
    };
    for j in 0..n.n {
        let mut cells = vec![String::new(); t.headers.len()];
        for (c, values) in &n.columns {
            if let Some(i) = t.column(c) {
                cells[i] = values[j].clone();
            }
        }
        t.rows.push(Row { line: 0, cells });
    }
    let d = crate::moderators::design(&t, studies, f)?;
    if d.names != names {
        return Err(DataError::option(
            "newmods",
            format!(
                "newmods: the values change the model matrix (its columns would be {} instead of {}); give levels the studies have",
                d.names.join(", "),
                names.join(", ")
            ),
        ));
    }
    Ok((0..n.n)
        .map(|j| {
            let at = n
                .columns
                .iter()
                .map(|(c, v)| format!("{c}={}", v[j]))
                .collect::<Vec<_>>()
                .join(", ");
            (at, d.design.row(k + j).to_vec())
        })
        .collect())
}
