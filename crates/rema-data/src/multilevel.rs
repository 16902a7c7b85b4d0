//! `random_terms`: the multilevel model (metafor `rma.mv` with random
//! intercepts), fitted to the effect sizes of the table, reported in the
//! same [`Summary`] as an rma.uni fit (the intercept's row with moderators;
//! τ² the sum of the components, I² the multilevel I² of all levels), the
//! coefficients and QM as an rma.uni meta-regression, and what only the
//! multilevel model has in [`MultilevelResult`].
//!
//! A term `~ 1 | a/b/c` is metafor's nested terms `a`, `a/b` and `a/b/c`,
//! a level of `a/b` being the pair of cells. With `cluster` and `rho`, the
//! sampling covariance of two effects in one cluster is ρ√(vᵢvⱼ) (metafor
//! `vcalc(vi, cluster, rho)`, clubSandwich `impute_covariance_matrix`).

use rema_core::fit::critical_value;
use rema_core::mv::{rma_mv, MvData, MvFit, MvMethod, MvOptions, MvTest, RandomTerm};
use rema_core::resample::Hooks;
use rema_core::robust::RobustType;
use rema_core::{effect_sizes, Design, EffectSizes, Method, PiDist};

use crate::columns::StudyTable;
use crate::error::{DataError, Result};
use crate::formula::{parse_random, RandomInner};
use crate::result::{
    BlupRow, CoefficientResult, ComponentResult, MultilevelResult, NewmodsPrediction, ResidualRow,
    RobustResult, StudyEffect, Summary, Transformed, WildBootstrapResult,
};
use crate::sections::heterogeneity::intercept_note;
use crate::sections::intervals::study_effects;
use crate::sections::robust::{cluster_ids, coefficient_names, column_levels};
use crate::spec::{Analysis, Model};
use crate::table::Table;

/// The multilevel model's part of a result.
pub(crate) struct MultilevelModel {
    pub studies: StudyTable,
    pub summary: Summary,
    pub transformed: Option<Transformed>,
    pub study_effects: Vec<StudyEffect>,
    pub details: MultilevelResult,
    /// The coefficients, QM and QE, with `mods`.
    pub moderators: Option<MultilevelModerators>,
    pub robust: Option<RobustResult>,
    pub method: MvMethod,
    /// The values estimated by conversions.
    pub conversions: Vec<crate::convert::Conversion>,
    pub notes: Vec<String>,
}

/// The meta-regression part of a multilevel model with moderators.
pub(crate) struct MultilevelModerators {
    pub coefficients: Vec<CoefficientResult>,
    pub qm: f64,
    pub qm_df: f64,
    pub qm_pval: f64,
}

/// The grouping columns of a random-effects formula `~ 1 | a/b`: `a`, `b`
/// (read by [`parse_random`]; only random intercepts are fitted).
fn formula_groups(text: &str) -> Result<Vec<String>> {
    let f = parse_random(text)
        .map_err(|e| DataError::option("random_terms", format!("random term `{text}`: {e}")))?;
    match f.inner {
        RandomInner::Intercept => Ok(f.groups),
        RandomInner::Column(c) => Err(DataError::option(
            "random_terms",
            format!("random term `{text}`: only random intercepts (`~ 1 | ...`) are fitted, not `~ {c} | ...` with a variance structure"),
        )),
    }
}

/// Every column the random terms group by, in order, each once.
pub(crate) fn grouping_columns(a: &Analysis) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for f in &a.spec.random_terms {
        for g in formula_groups(f)? {
            if !out.contains(&g) {
                out.push(g);
            }
        }
    }
    Ok(out)
}

/// The random terms: for each formula `~ 1 | a/b`, the terms `a` and `a/b`.
fn random_terms(a: &Analysis, table: &Table, st: &StudyTable) -> Result<Vec<RandomTerm>> {
    let mut terms: Vec<RandomTerm> = Vec::new();
    for f in &a.spec.random_terms {
        let groups = formula_groups(f)?;
        let mut labels: Vec<String> = vec![String::new(); table.rows.len()];
        for (depth, g) in groups.iter().enumerate() {
            let cells = column_levels(table, st, g, "random_terms")?;
            for (l, c) in labels.iter_mut().zip(cells) {
                if depth > 0 {
                    l.push('/');
                }
                l.push_str(&c);
            }
            let name = groups[..=depth].join("/");
            if terms.iter().any(|t| t.name() == name) {
                return Err(DataError::option(
                    "random_terms",
                    format!("the random term `~ 1 | {name}` is given twice; give each term once"),
                ));
            }
            terms.push(RandomTerm::from_labels(&name, &labels));
        }
    }
    Ok(terms)
}

/// Fits the multilevel model of `a` (checked: REML or ML, z or t test) to `table`.
pub(crate) fn fit(table: &Table, a: &Analysis) -> Result<MultilevelModel> {
    let measure = a.measure();
    let spec = &a.spec;
    let level = spec.level.percent();
    let method = match spec.method {
        Model::Rma(Method::Ml) => MvMethod::Ml,
        _ => MvMethod::Reml,
    };
    let conv = crate::convert::apply(table, measure, &a.conversion)?;
    let (selected, st) = a.select_studies_with(&conv.table, &grouping_columns(a)?)?;
    let table = &selected.table;
    let es = effect_sizes(measure, &st.data, &a.effect).map_err(|e| st.core_error(e))?;
    let mods = a
        .mods
        .as_ref()
        .map(|f| crate::moderators::design(table, &st, f))
        .transpose()?;
    let k = es.yi.len();
    let x = mods
        .as_ref()
        .map_or_else(|| Design::intercept(k), |m| m.design.clone());
    let terms = random_terms(a, table, &st)?;
    let mut notes = selected.notes;
    notes.extend(conv.notes.iter().cloned());
    notes.extend(es.notes.iter().cloned());
    let mut data = MvData::new(&es.yi, &es.vi, x, terms).map_err(|e| st.core_error(e))?;
    let sampling = match (&spec.cluster, spec.rho) {
        (Some(column), Some(rho)) => {
            let cov = constructed_covariances(table, &st, &es, column, rho)?;
            notes.push(format!(
                "sampling covariance constructed: effects with the same `{column}` have correlated sampling errors, cov = {rho}·√(vi·vj) ({} pairs; metafor vcalc, clubSandwich impute_covariance_matrix)",
                cov.len()
            ));
            data = data.with_covariances(&cov).map_err(|e| st.core_error(e))?;
            format!("cluster {column}, rho {rho}")
        }
        _ => "diagonal".to_string(),
    };
    let test = match spec.test {
        rema_core::Test::T => MvTest::T,
        _ => MvTest::Z,
    };
    let opts = MvOptions {
        method,
        test,
        level,
        ..MvOptions::default()
    };
    let f = rma_mv(&data, &opts).map_err(|e| st.core_error(e))?;
    if let Some(m) = &mods {
        notes.push(intercept_note(&m.names));
    }
    notes.extend(f.notes.iter().cloned());
    let cis = if spec.tau2_ci {
        let cis = f.confint().map_err(|e| st.core_error(e))?;
        notes.extend(cis.iter().flat_map(|c| c.notes.iter().cloned()));
        Some(cis)
    } else {
        None
    };
    let names = coefficient_names(mods.as_ref().map(|m| m.names.as_slice()));
    let robust = match spec.robust.as_deref() {
        Some(column) => {
            let labels = column_levels(table, &st, column, "robust")?;
            let r = f
                .robust(
                    &cluster_ids(&labels),
                    spec.robust_type.unwrap_or(RobustType::Cr2),
                )
                .map_err(|e| st.core_error(e))?;
            notes.extend(r.notes.iter().cloned());
            let mut result = RobustResult::new(&r, column, &names);
            if let Some(n) = spec.wild_bootstrap {
                let kind = spec.robust_type.unwrap_or(RobustType::Cr2);
                let tests = wild_bootstraps(&f, &cluster_ids(&labels), kind, &names, n, a.seed)
                    .map_err(|e| st.core_error(e))?;
                notes.push(format!(
                    "cluster wild bootstrap: {n} replicates (seed {}), Rademacher weights by the {} clusters of `{column}`, the null model refitted without the tested coefficients, naive F with the {} covariance (Joshi, Pustejovsky & Beretvas 2022; wildmeta Wald_test_cwb)",
                    a.seed,
                    r.n_clusters,
                    kind.name()
                ));
                let failed: usize = tests.iter().map(|t| t.not_converged).sum();
                if failed > 0 {
                    notes.push(format!(
                        "cluster wild bootstrap: {failed} refits did not converge and kept their last iterate"
                    ));
                }
                result.wild_bootstrap = Some(tests);
            }
            Some(result)
        }
        None => None,
    };
    let summary = summary(&f, level, spec.pi_dist.unwrap_or_default());
    let mut details = details(&f, &st, cis.as_deref(), sampling);
    if let (Some(n), Some(formula), Some(m)) = (&a.newmods, &a.mods, &mods) {
        details.newmods = Some(predictions(&f, table, &st, formula, &m.names, n)?);
    }
    Ok(MultilevelModel {
        transformed: Transformed::new(measure, None, &summary),
        summary,
        study_effects: study_effects(&st, &es, None, level),
        details,
        moderators: mods.map(|_| MultilevelModerators {
            coefficients: names
                .iter()
                .zip(&f.coefficients)
                .map(|(name, c)| CoefficientResult::new(name.clone(), c, test == MvTest::T))
                .collect(),
            qm: f.qm,
            qm_df: f.qm_df.0,
            qm_pval: f.qm_pval,
        }),
        robust,
        method,
        conversions: conv.conversions,
        studies: st,
        notes,
    })
}

/// The cluster wild bootstrap tests: of every coefficient but the
/// intercept together (the omnibus test of the moderators), then of each
/// coefficient alone.
fn wild_bootstraps(
    f: &MvFit,
    cluster: &[usize],
    kind: RobustType,
    names: &[String],
    iterations: u64,
    seed: u64,
) -> rema_core::Result<Vec<WildBootstrapResult>> {
    let iterations = usize::try_from(iterations).unwrap_or(usize::MAX);
    let mut hypotheses = vec![("moderators".to_string(), f.qm_coefficients.clone())];
    hypotheses.extend(names.iter().enumerate().map(|(j, n)| (n.clone(), vec![j])));
    hypotheses
        .into_iter()
        .map(|(hypothesis, btt)| {
            let w = f.wild_bootstrap(cluster, kind, &btt, iterations, seed, &Hooks::default())?;
            Ok(WildBootstrapResult {
                hypothesis,
                coefficients: btt.iter().map(|&j| names[j].clone()).collect(),
                stat: w.stat,
                pval: w.pval,
                mcse_pval: w.mcse,
                iterations: w.iterations,
                seed: w.seed,
                not_converged: w.not_converged,
            })
        })
        .collect()
}

/// ρ√(vᵢvⱼ) for every pair of effects with the same level of `column`.
fn constructed_covariances(
    table: &Table,
    st: &StudyTable,
    es: &EffectSizes,
    column: &str,
    rho: f64,
) -> Result<Vec<(usize, usize, f64)>> {
    let ids = cluster_ids(&column_levels(table, st, column, "cluster")?);
    let mut members: Vec<Vec<usize>> = Vec::new();
    for (i, &c) in ids.iter().enumerate() {
        if c == members.len() {
            members.push(Vec::new());
        }
        members[c].push(i);
    }
    let mut cov = Vec::new();
    for m in &members {
        for (a, &i) in m.iter().enumerate() {
            for &j in &m[a + 1..] {
                cov.push((i, j, rho * (es.vi[i] * es.vi[j]).sqrt()));
            }
        }
    }
    Ok(cov)
}

/// The summary: the first coefficient, τ² the sum of the components, QE as
/// Q, the prediction interval β̂ ± c√(SE² + Σσ²) (metafor `predict.rma.mv`)
/// with c the z quantile, or t(k − p)'s with `pi_dist = t` or under the t
/// test (metafor `predict.rma.mv` with `test = "t"`).
fn summary(f: &MvFit, level: f64, pi_dist: PiDist) -> Summary {
    let e = f.coefficients[0];
    let total: f64 = f.components.iter().map(|c| c.sigma2).sum();
    let t = pi_dist == PiDist::T || f.options.test == MvTest::T;
    let crit = critical_value(level, t.then_some((f.k - f.p) as f64));
    let pse = (e.se * e.se + total).sqrt();
    Summary {
        k: f.k,
        estimate: e.estimate,
        se: e.se,
        stat: e.stat,
        df: f.df,
        ci_lower: e.ci_lower,
        ci_upper: e.ci_upper,
        pval: e.pval,
        tau2: total,
        tau: total.sqrt(),
        i2: f.i2_total,
        h2: (total + f.vt) / f.vt,
        q: f.qe,
        q_df: (f.k - f.p) as f64,
        q_pval: f.qe_pval,
        pi_lower: e.estimate - crit * pse,
        pi_upper: e.estimate + crit * pse,
    }
}

fn details(
    f: &MvFit,
    st: &StudyTable,
    cis: Option<&[rema_core::mv::ComponentCi]>,
    sampling: String,
) -> MultilevelResult {
    let components = f
        .components
        .iter()
        .enumerate()
        .map(|(t, c)| ComponentResult {
            factor: c.factor.clone(),
            sigma2: c.sigma2,
            sigma: c.sigma2.sqrt(),
            n_levels: c.n_levels,
            i2: c.i2,
            ci_lower: cis.and_then(|v| v[t].lower),
            ci_upper: cis.and_then(|v| v[t].upper),
        })
        .collect();
    let ranef = f
        .components
        .iter()
        .zip(f.ranef())
        .flat_map(|(c, rows)| {
            rows.into_iter().map(move |b| BlupRow {
                factor: c.factor.clone(),
                level: b.level,
                pred: b.pred,
                se: b.se,
                pi_lower: b.pi_lower,
                pi_upper: b.pi_upper,
            })
        })
        .collect();
    let residuals = f
        .rstandard()
        .into_iter()
        .zip(&st.labels)
        .map(|(r, study)| ResidualRow {
            study: study.clone(),
            fitted: r.fitted,
            resid: r.resid,
            se: r.se,
            z: r.z,
        })
        .collect();
    MultilevelResult {
        components,
        loglik: f.stats.loglik,
        deviance: f.stats.deviance,
        aic: f.stats.aic,
        bic: f.stats.bic,
        aicc: f.stats.aicc,
        vt: f.vt,
        blocks: f.data().n_blocks(),
        iterations: f.iterations,
        sampling_covariance: sampling,
        ranef,
        residuals,
        newmods: None,
    }
}

/// The predictions at `newmods` (metafor `predict.rma.mv(res, newmods =)`),
/// the values coded through the moderators' formula as the studies are.
fn predictions(
    f: &MvFit,
    table: &Table,
    st: &StudyTable,
    formula: &crate::formula::ModsFormula,
    names: &[String],
    n: &crate::spec::NewMods,
) -> Result<Vec<NewmodsPrediction>> {
    crate::sections::model::newmods_rows(table, st, formula, names, n)?
        .into_iter()
        .map(|(at, x)| {
            let p = f.predict(&x).map_err(|e| st.core_error(e))?;
            Ok(NewmodsPrediction {
                at,
                x,
                pred: p.pred,
                se: p.se,
                ci_lower: p.ci_lower,
                ci_upper: p.ci_upper,
                pi_lower: p.pi_lower,
                pi_upper: p.pi_upper,
            })
        })
        .collect()
}
