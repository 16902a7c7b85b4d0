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
//!
//! A term `~ inner | outer` is metafor's multivariate term with the
//! variance structure `struct` (CS when absent, as metafor): at most one,
//! with any number of intercept terms. `vcov` gives the sampling
//! covariances entry by entry instead ([`crate::vcov`]).

use rema_core::fit::critical_value;
use rema_core::mv::{
    rma_mv, MvData, MvFit, MvMethod, MvOptions, MvTest, RandomTerm, StructTerm, VarStruct,
};
use rema_core::resample::Hooks;
use rema_core::robust::RobustType;
use rema_core::{effect_sizes, Design, EffectSizes, Method, PiDist};

use crate::columns::StudyTable;
use crate::error::{DataError, Result};
use crate::formula::{parse_random, RandomInner};
use crate::result::{
    BlupRow, CoefficientResult, ComponentResult, MultilevelResult, NewmodsPrediction, ResidualRow,
    RobustResult, StructRhoRow, StructTau2Row, StructureResult, StudyEffect, Summary, Transformed,
    WildBootstrapResult,
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

/// A random-effects formula read: `~ 1 | a/b` (intercepts, `inner` None)
/// or `~ inner | outer` (a structured term).
struct Formula {
    inner: Option<String>,
    groups: Vec<String>,
}

/// Reads a random-effects formula `~ 1 | a/b` or `~ inner | outer` (by
/// [`parse_random`]); a structured term has one outer column.
fn read_formula(text: &str) -> Result<Formula> {
    let f = parse_random(text)
        .map_err(|e| DataError::option("random_terms", format!("random term `{text}`: {e}")))?;
    match f.inner {
        RandomInner::Intercept => Ok(Formula {
            inner: None,
            groups: f.groups,
        }),
        RandomInner::Column(c) => {
            if f.groups.len() != 1 {
                return Err(DataError::option(
                    "random_terms",
                    format!("random term `{text}`: a term `~ {c} | outer` with a variance structure has one outer column, not the nested `{}`; give the nesting as its own `~ 1 | ...` term", f.groups.join("/")),
                ));
            }
            Ok(Formula {
                inner: Some(c),
                groups: f.groups,
            })
        }
    }
}

/// Every column the random terms group by (inner columns too), in order,
/// each once.
pub(crate) fn grouping_columns(a: &Analysis) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for f in &a.spec.random_terms {
        let f = read_formula(f)?;
        for g in f.inner.into_iter().chain(f.groups) {
            if !out.contains(&g) {
                out.push(g);
            }
        }
    }
    Ok(out)
}

/// The random terms: for each formula `~ 1 | a/b`, the terms `a` and `a/b`;
/// the one `~ inner | outer` term with its structure (`struct`, CS when
/// absent, with a note).
fn random_terms(
    a: &Analysis,
    table: &Table,
    st: &StudyTable,
    notes: &mut Vec<String>,
) -> Result<(Vec<RandomTerm>, Option<StructTerm>)> {
    let mut terms: Vec<RandomTerm> = Vec::new();
    let mut structured: Option<StructTerm> = None;
    for text in &a.spec.random_terms {
        let f = read_formula(text)?;
        if let Some(inner) = &f.inner {
            if structured.is_some() {
                return Err(DataError::option(
                    "random_terms",
                    format!("random term `{text}`: only one term `~ inner | outer` with a variance structure is fitted; give the others as `~ 1 | ...` terms"),
                ));
            }
            let outer = &f.groups[0];
            let var_struct = match a.spec.var_struct {
                Some(s) => s,
                None => {
                    notes.push(format!(
                        "struct CS (metafor's default) for `~ {inner} | {outer}`: one tau2 and one rho; choose another with struct"
                    ));
                    VarStruct::Cs
                }
            };
            let inner_cells = column_levels(table, st, inner, "random_terms")?;
            let outer_cells = column_levels(table, st, outer, "random_terms")?;
            structured = Some(
                StructTerm::new(var_struct, inner, &inner_cells, outer, &outer_cells)
                    .map_err(|e| st.core_error(e))?,
            );
            continue;
        }
        let groups = f.groups;
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
    if structured.is_none() {
        if let Some(s) = a.spec.var_struct {
            return Err(DataError::option(
                "struct",
                format!("struct {s} is the variance structure of a random term `~ inner | outer`, and random_terms has none; add one (e.g. \"~ outcome | study\") or leave out struct"),
            ));
        }
    }
    Ok((terms, structured))
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
    let mut notes = selected.notes;
    notes.extend(conv.notes.iter().cloned());
    notes.extend(es.notes.iter().cloned());
    let (terms, structured) = random_terms(a, table, &st, &mut notes)?;
    let mut data = match structured {
        Some(g) => MvData::multivariate(&es.yi, &es.vi, x, terms, g),
        None => MvData::new(&es.yi, &es.vi, x, terms),
    }
    .map_err(|e| st.core_error(e))?;
    let sampling = match (&spec.cluster, spec.rho) {
        _ if !spec.vcov.is_empty() => {
            // The data row (1-based) of every effect kept, by its line.
            let row_of_line: std::collections::HashMap<u64, usize> = conv
                .table
                .rows
                .iter()
                .enumerate()
                .map(|(r, row)| (row.line, r + 1))
                .collect();
            let kept: Vec<usize> = st
                .lines
                .iter()
                .map(|l| row_of_line.get(l).copied().unwrap_or(0))
                .collect();
            let (cov, dropped) = crate::vcov::covariances(
                &spec.vcov,
                conv.table.rows.len(),
                &kept,
                &es.vi,
                &st.labels,
            )?;
            notes.push(format!(
                "sampling covariance given by vcov: {} entries, rows numbered 1, 2, ... in the order of the data's study rows; pairs not given are 0; the variances are the vi",
                spec.vcov.len()
            ));
            if dropped > 0 {
                notes.push(format!(
                    "{dropped} vcov entries name a row left out of the analysis and are not used"
                ));
            }
            data = data.with_covariances(&cov).map_err(|e| st.core_error(e))?;
            format!("vcov ({} entries)", spec.vcov.len())
        }
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
        let g = f.confint_structure().map_err(|e| st.core_error(e))?;
        notes.extend(g.iter().flat_map(|c| c.notes.iter().cloned()));
        Some((cis, g))
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
    let mut details = details(
        &f,
        &st,
        cis.as_ref().map(|c| (c.0.as_slice(), c.1.as_slice())),
        sampling,
    );
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

/// The summary: the first coefficient, τ² the sum of the components (and
/// the structured term's first τ², [`MvFit::total_variance`]), QE as
/// Q, the prediction interval β̂ ± c√(SE² + Σσ²) (metafor `predict.rma.mv`)
/// with c the z quantile, or t(k − p)'s with `pi_dist = t` or under the t
/// test (metafor `predict.rma.mv` with `test = "t"`).
fn summary(f: &MvFit, level: f64, pi_dist: PiDist) -> Summary {
    let e = f.coefficients[0];
    let total = f.total_variance();
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
    cis: Option<(&[rema_core::mv::ComponentCi], &[rema_core::mv::ComponentCi])>,
    sampling: String,
) -> MultilevelResult {
    let structure = f.structure.as_ref().map(|g| {
        let ci = |k: usize| cis.and_then(|c| c.1.get(k));
        StructureResult {
            var_struct: g.structure.name().to_string(),
            inner: g.inner.clone(),
            outer: g.outer.clone(),
            n_inner: g.n_inner,
            n_outer: g.n_outer,
            tau2: g
                .tau2
                .iter()
                .enumerate()
                .map(|(k, t)| StructTau2Row {
                    level: t.level.clone(),
                    tau2: t.tau2,
                    tau: t.tau2.sqrt(),
                    k: t.k,
                    i2: t.i2,
                    ci_lower: ci(k).and_then(|c| c.lower),
                    ci_upper: ci(k).and_then(|c| c.upper),
                })
                .collect(),
            rho: g
                .rho
                .iter()
                .enumerate()
                .map(|(r, p)| {
                    let k = g.tau2.len() + r;
                    StructRhoRow {
                        levels: p.levels.clone().map(|(a, b)| vec![a, b]),
                        rho: p.rho,
                        fixed: p.fixed,
                        ci_lower: ci(k).and_then(|c| c.lower),
                        ci_upper: ci(k).and_then(|c| c.upper),
                    }
                })
                .collect(),
        }
    });
    let cis = cis.map(|c| c.0);
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
        .chain(f.structure.iter().flat_map(|g| {
            let factor = format!("{} | {}", g.inner, g.outer);
            f.ranef_structure().into_iter().map(move |b| BlupRow {
                factor: factor.clone(),
                level: b.level,
                pred: b.pred,
                se: b.se,
                pi_lower: b.pi_lower,
                pi_upper: b.pi_upper,
            })
        }))
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
        structure,
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
