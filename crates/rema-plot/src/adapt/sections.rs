//! The report's section of one analysis, from what the analysis produced:
//! its forest plot (with the data columns and "favours" labels of `rema
//! forest`), the subgroups and the test for subgroup differences (with its
//! I², as RevMan prints it), the meta-regression and its bubble plot, the
//! multilevel components and cluster-robust tests, the sensitivity analyses
//! (leave-one-out with its forest, influence, cumulative), the resampling
//! results with their seeds, and the small-study tests with the funnel plot.
//! Every caption names the confidence level.

use rema_data::bias::BiasResult;
use rema_data::{AnalysisResult, Table};

use super::diagnostic::{bubble, refits_forest, Refits};
use super::DisplayTransform;
use crate::forest::{forest_svg, ForestData};
use crate::funnel::{funnel_svg, FunnelData};
use crate::report::{Block, Figure};
use crate::scatter::scatter_svg;
use crate::svg::num;
use crate::table::TableData;

/// The font size of the report's forest plots: their smallest text (the
/// footer, 0.9 of it) is then 12 px, 9 pt, at the page's width.
pub const REPORT_FONT: f64 = 13.5;

/// What the section of one analysis is drawn from.
pub struct AnalysisInput<'a> {
    pub id: &'a str,
    pub title: String,
    pub result: &'a AnalysisResult,
    pub table: Option<&'a Table>,
    pub favours: Option<(String, String)>,
    pub bias: Option<&'a BiasResult>,
    /// Study id to the name the review gives it (labels by name throughout).
    pub names: &'a dyn Fn(&str) -> String,
}

fn p_text(p: f64) -> String {
    if !p.is_finite() {
        "NA".to_string()
    } else if p < 0.001 {
        "<0.001".to_string()
    } else {
        format!("{p:.3}")
    }
}

fn lvl(x: f64) -> String {
    crate::axis::tick_label(x)
}

/// An estimate with its CI, as the report's tables print it: `e [lo, hi]`
/// on the display scale (`t`), two decimals.
fn estimate_ci(t: &DisplayTransform, e: f64, lo: f64, hi: f64) -> String {
    format!(
        "{} [{}, {}]",
        num(t.apply(e), 2),
        num(t.apply(lo), 2),
        num(t.apply(hi), 2)
    )
}

/// The leave-one-out or cumulative forest plot at the report's size, its
/// rows labelled by study name after `prefix` (`Omitting `, `+ `).
fn refits_figure(a: &AnalysisInput, kind: Refits, prefix: &str) -> Option<ForestData> {
    let mut d = refits_forest(a.result, kind).ok()?;
    for row in &mut d.rows {
        if let Some(s) = row.label.strip_prefix(prefix) {
            row.label = format!("{prefix}{}", (a.names)(s));
        }
    }
    d.options.font_size = REPORT_FONT;
    d.favours = a.favours.clone();
    Some(d)
}

fn table(caption: String, headers: &[&str], rows: Vec<Vec<String>>) -> Block {
    let mut t = TableData::new(headers.iter().map(|s| s.to_string()).collect(), rows);
    t.title = Some(caption);
    Block::Table(t)
}

fn relabel(d: &mut ForestData, names: &dyn Fn(&str) -> String) {
    for r in d
        .rows
        .iter_mut()
        .chain(d.subgroups.iter_mut().flat_map(|g| g.rows.iter_mut()))
    {
        r.label = names(&r.label);
    }
}

/// The forest plot of an analysis as `rema forest` draws it.
pub fn forest(a: &AnalysisInput) -> ForestData {
    let mut d = ForestData::from(a.result);
    if let Some(t) = a.table {
        d.add_data_columns(t, a.result);
    }
    relabel(&mut d, a.names);
    d.favours = a.favours.clone();
    d.options.font_size = REPORT_FONT;
    d
}

/// The blocks of the section of one analysis, and its figures as files
/// (`stem`, svg).
pub fn analysis_blocks(a: &AnalysisInput) -> (Vec<Block>, Vec<(String, String)>) {
    let r = a.result;
    let t = DisplayTransform::for_result(r);
    let level = lvl(r.level);
    let stem = file_stem(a.id);
    let mut blocks = Vec::new();
    let mut files = Vec::new();
    let mut fig = |blocks: &mut Vec<Block>, name: String, caption: String, svg: String| {
        files.push((name.clone(), svg.clone()));
        blocks.push(Block::Figure(Figure {
            id: name,
            caption,
            svg,
        }));
    };
    let forest_caption = format!(
        "Forest plot: {} and {level}% CI per study, weights, and the pooled estimate{}.",
        t.effect_name(),
        if r.subgroups.is_some() {
            " per subgroup and overall"
        } else {
            ""
        }
    );
    fig(
        &mut blocks,
        format!("forest_{stem}"),
        forest_caption,
        forest_svg(&forest(a)),
    );

    if let Some(groups) = &r.subgroups {
        let rows = groups
            .iter()
            .map(|g| {
                let s = &g.summary;
                let (e, lo, hi) = match &g.transformed {
                    Some(x) => (x.estimate, x.ci_lower, x.ci_upper),
                    None => (s.estimate, s.ci_lower, s.ci_upper),
                };
                vec![
                    g.level.clone(),
                    s.k.to_string(),
                    format!("{} [{}, {}]", num(e, 2), num(lo, 2), num(hi, 2)),
                    p_text(s.pval),
                    num(s.tau2, 4),
                    num(s.i2, 0),
                ]
            })
            .collect();
        blocks.push(table(
            format!("Subgroups: pooled {} with {level}% CI.", t.effect_name()),
            &["Subgroup", "k", "Estimate [CI]", "p", "τ²", "I² (%)"],
            rows,
        ));
        if let (Some(q), Some(df), Some(p)) = (r.q_between, r.q_between_df, r.q_between_pval) {
            let i2 = if q > 0.0 {
                (100.0 * (q - df) / q).max(0.0)
            } else {
                0.0
            };
            let perm = r
                .permutation
                .as_ref()
                .and_then(|x| x.q_between.as_ref())
                .map(|x| {
                    format!(
                        "; permutation p = {} ({} {}, seed {})",
                        p_text(x.pval),
                        x.iterations,
                        if x.exact {
                            "arrangements, exact"
                        } else {
                            "permutations"
                        },
                        x.seed
                    )
                })
                .unwrap_or_default();
            blocks.push(Block::Paragraph(format!(
                "Test for subgroup differences: Q = {}, df = {} (p = {}), I² = {}%{perm}.",
                num(q, 2),
                num(df, 0),
                p_text(p),
                num(i2, 0)
            )));
        }
    }

    if let Some(coefs) = &r.coefficients {
        let stat = if coefs.iter().any(|c| c.tval.is_some()) {
            "t"
        } else {
            "z"
        };
        let perm = coefs.iter().any(|c| c.pval_perm.is_some());
        let mut headers = vec![
            "Coefficient",
            "Estimate",
            "SE",
            stat,
            "p",
            "CI lower",
            "CI upper",
        ];
        if perm {
            headers.push("Permutation p");
        }
        let rows = coefs
            .iter()
            .map(|c| {
                let mut v = vec![
                    c.name.clone(),
                    num(c.estimate, 4),
                    num(c.se, 4),
                    num(c.tval.or(c.zval).unwrap_or(f64::NAN), 2),
                    p_text(c.pval),
                    num(c.ci_lower, 4),
                    num(c.ci_upper, 4),
                ];
                if perm {
                    v.push(c.pval_perm.map(p_text).unwrap_or_default());
                }
                v
            })
            .collect();
        blocks.push(table(
            format!(
                "Meta-regression coefficients on the {} scale, {level}% CI.",
                match r.measure.parse::<rema_core::Measure>() {
                    Ok(m) if m.back_transform() == rema_core::BackTransform::Exp =>
                        format!("log {}", r.measure),
                    _ => r.measure.clone(),
                }
            ),
            &headers,
            rows,
        ));
        let mut s = Vec::new();
        if let (Some(qm), Some(p)) = (r.qm, r.qm_pval) {
            s.push(format!(
                "Test of moderators: QM = {} (df = {}), p = {}",
                num(qm, 2),
                num(r.qm_df.unwrap_or(f64::NAN), 0),
                p_text(p)
            ));
        }
        if let (Some(qe), Some(p)) = (r.qe, r.qe_pval) {
            s.push(format!(
                "residual heterogeneity QE = {} (p = {}), τ² = {}, I² = {}%",
                num(qe, 2),
                p_text(p),
                num(r.tau2, 4),
                num(r.i2, 0)
            ));
        }
        if let Some(r2) = r.r2 {
            s.push(format!("R² = {}%", num(r2, 0)));
        }
        if !s.is_empty() {
            blocks.push(Block::Paragraph(format!("{}.", s.join("; "))));
        }
        let mods = &r.provenance.options.mods;
        if let (Some(tab), [m]) = (a.table, mods.as_slice()) {
            if !rema_data::spec::is_formula(m) {
                if let Ok(b) = bubble(tab, r, m) {
                    let mut c = b.chart();
                    c.font_size = REPORT_FONT;
                    fig(
                        &mut blocks,
                        format!("bubble_{stem}"),
                        format!("Bubble plot: each study's {} against {m}, sized by its weight, with the fitted line and its {level}% confidence band.", r.measure),
                        scatter_svg(&c),
                    );
                }
            }
        }
    }

    if let Some(ml) = &r.multilevel {
        let rows = ml
            .components
            .iter()
            .map(|c| {
                vec![
                    c.factor.clone(),
                    c.n_levels.to_string(),
                    num(c.sigma2, 4),
                    num(c.sigma, 4),
                    num(c.i2, 1),
                    match (c.ci_lower, c.ci_upper) {
                        (Some(l), Some(u)) => format!("{} to {}", num(l, 4), num(u, 4)),
                        _ => "not computed".to_string(),
                    },
                ]
            })
            .collect();
        blocks.push(table(
            format!("Variance components of the multilevel model ({level}% profile-likelihood CI where computed)."),
            &["Factor", "Levels", "σ²", "σ", "I² (%)", "CI of σ²"],
            rows,
        ));
        blocks.push(Block::Paragraph(format!(
            "Log-likelihood {}, deviance {}, AIC {}, BIC {}; sampling covariance: {}.",
            num(ml.loglik, 2),
            num(ml.deviance, 2),
            num(ml.aic, 2),
            num(ml.bic, 2),
            ml.sampling_covariance
        )));
    }
    if let Some(rb) = &r.robust {
        let rows = rb
            .coefficients
            .iter()
            .map(|c| {
                vec![
                    c.name.clone(),
                    num(c.estimate, 4),
                    num(c.se, 4),
                    num(c.tval, 2),
                    num(c.df, 1),
                    p_text(c.pval),
                    format!("{} to {}", num(c.ci_lower, 4), num(c.ci_upper, 4)),
                ]
            })
            .collect();
        blocks.push(table(
            format!(
                "Cluster-robust tests ({}, {} clusters of {}), {level}% CI.",
                rb.kind, rb.n_clusters, rb.cluster
            ),
            &["Coefficient", "Estimate", "SE", "t", "df", "p", "CI"],
            rows,
        ));
    }

    if let Some(loo) = &r.leave_one_out {
        let rows = loo
            .iter()
            .map(|l| {
                let f = &l.fit;
                vec![
                    (a.names)(&l.omitted),
                    estimate_ci(&t, f.estimate, f.ci_lower, f.ci_upper),
                    p_text(f.pval),
                    num(f.tau2, 4),
                    num(f.i2, 0),
                    l.fit.error.clone().unwrap_or_default(),
                ]
            })
            .collect();
        blocks.push(table(
            format!(
                "Leave-one-out sensitivity analysis: the pooled {} and {level}% CI without each study.",
                t.effect_name()
            ),
            &["Omitted", "Estimate [CI]", "p", "τ²", "I² (%)", "Note"],
            rows,
        ));
        if let Some(d) = refits_figure(a, Refits::LeaveOneOut, "Omitting ") {
            fig(
                &mut blocks,
                format!("loo_{stem}"),
                format!(
                    "Leave-one-out forest plot: the pooled {} and {level}% CI with each study left out.",
                    t.effect_name()
                ),
                forest_svg(&d),
            );
        }
    }
    if let Some(inf) = &r.influence {
        let rows = inf
            .iter()
            .map(|i| {
                vec![
                    (a.names)(&i.study),
                    num(i.rstudent, 2),
                    num(i.dffits, 2),
                    num(i.cook_d, 2),
                    num(i.cov_r, 2),
                    num(i.hat, 3),
                    num(i.weight, 1),
                    if i.influential { "yes" } else { "" }.to_string(),
                ]
            })
            .collect();
        blocks.push(table(
            "Influence diagnostics (metafor influence(); influential by metafor's rules)."
                .to_string(),
            &[
                "Study",
                "rstudent",
                "DFFITS",
                "Cook's D",
                "COVRATIO",
                "hat",
                "weight (%)",
                "Influential",
            ],
            rows,
        ));
    }
    if let Some(cum) = &r.cumulative {
        let rows = cum
            .iter()
            .map(|c| {
                let f = &c.fit;
                vec![
                    format!("+ {}", (a.names)(&c.added)),
                    c.order_value.clone().unwrap_or_default(),
                    f.k.to_string(),
                    estimate_ci(&t, f.estimate, f.ci_lower, f.ci_upper),
                    p_text(f.pval),
                    num(f.i2, 0),
                ]
            })
            .collect();
        blocks.push(table(
            format!(
                "Cumulative meta-analysis: the pooled {} and {level}% CI as each study is added.",
                t.effect_name()
            ),
            &["Added", "Order", "k", "Estimate [CI]", "p", "I² (%)"],
            rows,
        ));
        if let Some(d) = refits_figure(a, Refits::Cumulative, "+ ") {
            fig(
                &mut blocks,
                format!("cumulative_{stem}"),
                format!("Cumulative forest plot, {level}% CI."),
                forest_svg(&d),
            );
        }
    }

    let mut resampling = Vec::new();
    if let Some(p) = &r.permutation {
        resampling.push(vec![
            format!("Permutation test ({} statistic)", p.stat),
            format!("{}{}", p.iterations, if p.exact { " (exact)" } else { "" }),
            p.seed.to_string(),
            format!("p = {}", p_text(p.qm_pval)),
            p.failed.to_string(),
        ]);
        if let Some(ci) = &p.ci {
            for c in &ci.coefficients {
                resampling.push(vec![
                    format!("Permutation {}% CI of {}", lvl(ci.level), c.name),
                    p.iterations.to_string(),
                    p.seed.to_string(),
                    format!(
                        "{} to {}",
                        c.lower.map(|x| num(x, 4)).unwrap_or("NA".into()),
                        c.upper.map(|x| num(x, 4)).unwrap_or("NA".into())
                    ),
                    String::new(),
                ]);
            }
        }
    }
    if let Some(h) = &r.tau2_test {
        resampling.push(vec![
            format!("Monte Carlo test of τ² = 0 ({})", h.statistic),
            h.iterations.to_string(),
            h.seed.to_string(),
            format!("observed {}, p = {}", num(h.observed, 2), p_text(h.pval)),
            h.failed.to_string(),
        ]);
    }
    if let Some(b) = &r.bootstrap {
        let bl = lvl(b.level);
        let mut add = |name: &str, s: &rema_data::result::BootStatResult, tr: bool| {
            let f = |x: f64| if tr { num(t.apply(x), 3) } else { num(x, 3) };
            resampling.push(vec![
                format!("Bootstrap ({}) {name}", b.kind),
                b.replicates.to_string(),
                b.seed.to_string(),
                format!(
                    "{}; percentile {bl}% CI {} to {}{}",
                    f(s.observed),
                    f(s.percentile.lower),
                    f(s.percentile.upper),
                    s.bca
                        .as_ref()
                        .map(|c| format!("; BCa {} to {}", f(c.lower), f(c.upper)))
                        .unwrap_or_default()
                ),
                b.failed.to_string(),
            ]);
        };
        match &b.coefficients {
            Some(cs) => {
                for c in cs {
                    add(&c.name, &c.stat, false);
                }
            }
            None => add("estimate", &b.estimate, true),
        }
        add("τ²", &b.tau2, false);
        add("I² (%)", &b.i2, false);
    }
    if !resampling.is_empty() {
        blocks.push(table(
            "Resampling: iterations, seeds (the same numbers at any thread count) and results."
                .to_string(),
            &["Method", "Iterations", "Seed", "Result", "Failed refits"],
            resampling,
        ));
    }

    if let Some(b) = a.bias {
        blocks.extend(bias_blocks(r, b, &t));
        let mut f = FunnelData::from(r);
        if let Some(tf) = &b.trimfill {
            f.add_trimfill(tf);
        }
        f.font_size = REPORT_FONT;
        fig(
            &mut blocks,
            format!("funnel_{stem}"),
            format!(
                "Funnel plot: each study's {} against its standard error, with the {} pseudo-confidence regions{}.",
                r.measure,
                f.contours.iter().map(|c| format!("{}%", lvl(*c))).collect::<Vec<_>>().join(", "),
                if b.trimfill.as_ref().is_some_and(|t| t.k0 > 0) { " and the studies trim and fill imputes (hollow)" } else { "" }
            ),
            funnel_svg(&f),
        );
    }
    (blocks, files)
}

/// The small-study tests as one table, and their notes.
fn bias_blocks(r: &AnalysisResult, b: &BiasResult, t: &DisplayTransform) -> Vec<Block> {
    let level = lvl(b.level);
    let e = |x: f64, lo: f64, hi: f64| estimate_ci(t, x, lo, hi);
    let mut rows = Vec::new();
    if let Some(g) = &b.egger {
        rows.push(vec![
            "Egger's regression test (metafor regtest)".to_string(),
            format!(
                "z = {}, p = {}",
                g.z.map(|z| num(z, 2)).unwrap_or("NA".into()),
                p_text(g.pval)
            ),
            format!(
                "limit estimate {}",
                e(g.limit_estimate, g.limit_ci_lower, g.limit_ci_upper)
            ),
        ]);
    }
    if let Some(g) = &b.regtest {
        rows.push(vec![
            format!(
                "Regression test ({}, {})",
                b.options.predictor.name(),
                b.options.model.name()
            ),
            format!("p = {}", p_text(g.pval)),
            String::new(),
        ]);
    }
    if let Some(g) = &b.begg {
        rows.push(vec![
            format!(
                "Begg's rank correlation{}",
                if g.exact { " (exact p)" } else { "" }
            ),
            format!("Kendall's τ = {}, p = {}", num(g.tau, 3), p_text(g.pval)),
            String::new(),
        ]);
    }
    if let Some(g) = &b.trimfill {
        rows.push(vec![
            format!("Trim and fill ({}, {} side)", g.estimator, g.side),
            format!("{} studies imputed", g.k0),
            format!("adjusted {}", e(g.estimate, g.ci_lower, g.ci_upper)),
        ]);
    }
    if let Some(g) = &b.pet_peese {
        rows.push(vec![
            "PET-PEESE".to_string(),
            format!(
                "PET one-sided p = {}; {} chosen",
                p_text(g.pet_one_sided_pval),
                g.chosen
            ),
            format!("estimate {}", e(g.estimate, g.ci_lower, g.ci_upper)),
        ]);
    }
    if let Some(g) = &b.fsn {
        rows.push(vec![
            "Fail-safe N (Rosenthal)".to_string(),
            g.rosenthal.fsnum.map(|x| num(x, 0)).unwrap_or("NA".into()),
            String::new(),
        ]);
    }
    if let Some(g) = &b.tes {
        rows.push(vec![
            "Test of excess significance".to_string(),
            format!(
                "observed {} vs expected {} significant, p = {}",
                g.observed,
                num(g.expected, 1),
                p_text(g.pval)
            ),
            String::new(),
        ]);
    }
    if let Some(g) = &b.selmodel {
        rows.push(vec![
            format!("Selection model ({})", g.kind),
            format!(
                "LRT = {} (df {}), p = {}",
                num(g.lrt, 2),
                g.lrt_df,
                g.lrt_pval.map_or("-".to_string(), p_text)
            ),
            format!("adjusted {}", e(g.estimate, g.ci_lower, g.ci_upper)),
        ]);
    }
    let mut t = TableData::new(
        vec![
            "Method".to_string(),
            "Test".to_string(),
            format!("Adjusted {} [{level}% CI]", r.measure),
        ],
        rows,
    );
    t.title = Some(format!(
        "Small-study effects on the {} studies (metafor 3.8-1's functions), {level}% CI.",
        b.k
    ));
    let mut out = vec![Block::Table(t)];
    if !b.notes.is_empty() {
        out.push(Block::Paragraph(b.notes.join(" ")));
    }
    out
}

/// A file name for an analysis id (`leak_all`, `rr:alloc=random`): letters,
/// digits, `-` and `_` kept, anything else `_`.
pub fn file_stem(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
