//! From the output of a plan run (rema-data's [`RunOutput`]) to its figures
//! and its report: the selection flow, a forest plot per analysis that ran,
//! the risk of bias, the summary table and the [`ReportInput`] of the HTML
//! report. The caller writes them (the CLI into `figures/` and
//! `report.html`).

use rema_data::run::RunOutput;
use rema_data::AnalysisResult;

use super::review::{characteristics, flow_counts, risk_of_bias};
pub use super::sections::file_stem;
use super::sections::{analysis_blocks, AnalysisInput};
use crate::flow::flow_svg;
use crate::forest::ForestData;
use crate::report::{
    methods_paragraph, provenance_rows, Block, Figure, NotRunGroup, ReportInput, Section,
};
use crate::rob::risk_of_bias_svg;
use crate::table::TableData;

/// One figure of a run, to be written as `<stem>.svg` (and `.png`).
#[derive(Debug, Clone, PartialEq)]
pub struct FigureFile {
    /// The file name without extension: `flow`, `forest_<id>`, `risk_of_bias`.
    pub stem: String,
    /// The SVG document.
    pub svg: String,
}

/// The figures of a run in the order they are written, and the report.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    /// The flow, the forest plots and the risk of bias, when there are any.
    pub figures: Vec<FigureFile>,
    /// What [`render_report`](crate::render_report) turns into `report.html`.
    pub report: ReportInput,
}

/// The figures and the report of a run: the selection flow (when the review
/// gives PRISMA boxes), a forest plot per analysis that ran, in plan order,
/// titled by its outcome, and the risk of bias (when judged); the report
/// shows the summary, these figures, the characteristics, the risk of bias,
/// the methods, the analyses that did not run and the provenance.
///
/// ```no_run
/// use rema_plot::adapt::run::run_report;
///
/// let out = rema_data::run_plan(std::path::Path::new("examples/bcg/bcg.toml")).unwrap();
/// let run = run_report(&out);
/// assert_eq!(run.figures[0].stem, "forest_rr_reml");
/// let html = rema_plot::render_report(&run.report);
/// # let _ = html;
/// ```
pub fn run_report(out: &RunOutput) -> RunReport {
    let ran: Vec<(&str, &AnalysisResult)> = out
        .results
        .order
        .iter()
        .filter_map(|id| out.results.results.get(id).map(|r| (id.as_str(), r)))
        .collect();
    let mut files = Vec::new();
    let mut figures = Vec::new();
    let mut add = |stem: String, caption: Option<String>, svg: String| {
        if let Some(caption) = caption {
            figures.push(Figure {
                id: stem.clone(),
                caption,
                svg: svg.clone(),
            });
        }
        files.push(FigureFile { stem, svg });
    };
    if let Some(flow) = out.review.as_ref().and_then(flow_counts) {
        let svg = flow_svg(&flow, Some("Selection of studies (PRISMA 2020)"));
        add("flow".into(), Some("Selection of studies".into()), svg);
    }
    let names = |id: &str| -> String {
        out.review
            .as_ref()
            .and_then(|r| r.study(id))
            .map(|s| s.label.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let mut sections = Vec::new();
    for (id, result) in &ran {
        let planned = out.plan.analyses.iter().find(|a| a.id == *id);
        let input = AnalysisInput {
            id,
            title: run_forest(out, id, result).title.unwrap_or_default(),
            result,
            table: out.tables.get(*id),
            favours: planned
                .and_then(|a| a.favours.clone())
                .map(|[l, r]| (format!("Favours {l}"), format!("Favours {r}"))),
            bias: out.results.bias.get(*id),
            names: &names,
        };
        let (blocks, fig_files) = analysis_blocks(&input);
        for (stem, svg) in fig_files {
            add(stem, None, svg);
        }
        sections.push(Section {
            id: format!("analysis-{}", file_stem(id)),
            heading: format!(
                "{} ({}% CI)",
                input.title,
                crate::axis::tick_label(result.level)
            ),
            blocks,
        });
    }
    let findings = findings(out);
    if let Some((_, svg)) = &findings {
        add("summary_of_findings".into(), None, svg.clone());
    }
    let rob = out.review.as_ref().and_then(risk_of_bias);
    if let Some(r) = &rob {
        add("risk_of_bias".into(), None, risk_of_bias_svg(r));
    }
    let report = ReportInput {
        title: out
            .results
            .title
            .clone()
            .unwrap_or_else(|| format!("rema report: {}", out.results.plan)),
        summary: Some(summary(out)),
        not_run: not_run_groups(out),
        findings: findings.map(|(s, _)| s),
        sections,
        results: ran
            .iter()
            .map(|(id, r)| {
                let name = run_forest(out, id, r).title.unwrap_or_default();
                crate::writeup::results_paragraph(&name, r, out.results.bias.get(*id))
            })
            .collect(),
        figures,
        characteristics: out.review.as_ref().and_then(characteristics),
        risk_of_bias: rob,
        methods: {
            let mut m = methods_paragraph(&ran.iter().map(|(_, r)| *r).collect::<Vec<_>>());
            for (id, r) in &ran {
                if let Some(b) = out.results.bias.get(*id) {
                    let name = run_forest(out, id, r).title.unwrap_or_default();
                    m.push(crate::writeup::bias_methods(&name, b));
                }
            }
            m
        },
        notes: Vec::new(),
        references: crate::writeup::references(
            &ran.iter()
                .map(|(id, r)| (*r, out.results.bias.get(*id)))
                .collect::<Vec<_>>(),
            !out.results.grade.is_empty(),
        ),
        provenance: provenance(out, &ran),
    };
    RunReport {
        figures: files,
        report,
    }
}

/// The GRADE summary of findings of the analyses with `grade` that ran, in
/// plan order: the report's section (the HTML table and its footnotes) and
/// the same table as SVG (`figures/summary_of_findings.svg`).
fn findings(out: &RunOutput) -> Option<(Section, String)> {
    let rows: Vec<&rema_data::run::grade::GradeRow> = out
        .results
        .order
        .iter()
        .filter_map(|id| out.results.grade.get(id))
        .collect();
    if rows.is_empty() {
        return None;
    }
    let title = match &out.results.title {
        Some(t) => format!("Summary of findings: {t}"),
        None => "Summary of findings".to_string(),
    };
    let intro = "The certainty of the evidence is the plan's: it starts high for randomised trials (low for observational studies) and goes down one level per serious and two per very serious rating. rema computes the relative and absolute effects, the participants and the optimal information size, and suggests the inconsistency and imprecision ratings by the rules in the footnotes (GRADE handbook, Schünemann et al. 2013, 5.2; GRADE guidelines 6 and 7, Guyatt et al. 2011, J Clin Epidemiol 64:1283–1293 and 1294–1302); it never decides a rating.";
    Some((
        Section {
            id: "summary-of-findings".to_string(),
            heading: "Summary of findings (GRADE)".to_string(),
            blocks: vec![
                Block::Html(crate::sof::sof_html(&rows, &title)),
                Block::Paragraph(intro.to_string()),
            ],
        },
        crate::sof::sof_svg(&rows, &title),
    ))
}

/// The analyses that did not run, one line each, grouped by the reason
/// (its words before the first colon), with no literal backticks.
fn not_run_groups(out: &RunOutput) -> Vec<NotRunGroup> {
    let mut groups: Vec<NotRunGroup> = Vec::new();
    for row in &out.results.summary {
        let Some(why) = &row.not_run else { continue };
        let why = why.replace('`', "");
        let (reason, detail) = match why.split_once(" for ") {
            Some((r, d)) if r.starts_with("per-study data") => (r.to_string(), d.to_string()),
            _ => match why.split_once(": ") {
                Some((r, d)) => (r.to_string(), d.to_string()),
                None => (why.clone(), String::new()),
            },
        };
        let mut reason = reason;
        if let Some(c) = reason.get(..1) {
            reason = c.to_uppercase() + &reason[1..];
        }
        let line = format!(
            "{} ({}{}){}",
            row.id,
            row.outcome,
            if row.comparison.is_empty() {
                String::new()
            } else {
                format!(", {}", row.comparison)
            },
            if detail.is_empty() {
                String::new()
            } else {
                format!(": {detail}")
            }
        );
        match groups.iter_mut().find(|g| g.reason == reason) {
            Some(g) => g.lines.push(line),
            None => groups.push(NotRunGroup {
                reason,
                lines: vec![line],
            }),
        }
    }
    groups
}

/// The forest plot of analysis `id`, titled `outcome (id)`.
fn run_forest(out: &RunOutput, id: &str, result: &AnalysisResult) -> ForestData {
    let mut d = ForestData::from(result);
    let outcome = out
        .results
        .summary
        .iter()
        .find(|s| s.id == id)
        .map(|s| s.outcome.clone())
        .unwrap_or_default();
    d.title = Some(if outcome.is_empty() {
        id.to_string()
    } else {
        format!("{outcome} ({id})")
    });
    d
}

/// The plan and its hash, then each analysis's options and input.
fn provenance(out: &RunOutput, ran: &[(&str, &AnalysisResult)]) -> Vec<(String, String)> {
    let mut provenance = vec![
        ("plan".to_string(), out.results.plan.clone()),
        ("plan sha256".to_string(), out.results.plan_sha256.clone()),
    ];
    provenance.extend(provenance_rows(ran));
    provenance
}

/// The summary table in the layout of a review's results table, with the
/// analyses that could not run and why.
pub fn summary(out: &RunOutput) -> TableData {
    let fmt = |v: Option<f64>, d: usize| v.map(|x| format!("{x:.d$}")).unwrap_or_default();
    let mixed = rema_data::run::common_level(&out.results.summary).is_none();
    // Study labels by the names the review gives them.
    let name = |id: &str| -> String {
        out.review
            .as_ref()
            .and_then(|r| r.study(id))
            .map(|s| s.label.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let rows = out
        .results
        .summary
        .iter()
        .map(|r| {
            let effect = match (r.estimate, r.ci_lower, r.ci_upper) {
                (Some(e), Some(l), Some(u)) if mixed => format!(
                    "{e:.2} ({}%: {l:.2}, {u:.2})",
                    rema_data::run::level_label(r.level)
                ),
                (Some(e), Some(l), Some(u)) => format!("{e:.2} ({l:.2}, {u:.2})"),
                _ if !r.moderators.is_empty() && r.not_run.is_none() => {
                    rema_data::run::meta_regression_cell(r)
                }
                _ => r
                    .not_run
                    .clone()
                    .map(|w| format!("not run: {w}"))
                    .unwrap_or_default(),
            };
            vec![
                r.id.clone(),
                r.outcome.clone(),
                r.comparison.clone(),
                format!(
                    "{} ({})",
                    r.studies.len(),
                    r.studies
                        .iter()
                        .map(|s| name(s))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                match (&r.n, &r.unit) {
                    (Some(n), Some(u)) => format!("{n} {u}"),
                    (Some(n), None) => n.to_string(),
                    _ => String::new(),
                },
                format!("{} {}", r.scale, r.method),
                effect,
                r.pval
                    .map(|p| {
                        if p < 0.001 {
                            "<.001".to_string()
                        } else {
                            format!("{p:.3}")
                        }
                    })
                    .unwrap_or_default(),
                fmt(r.i2, 0),
            ]
        })
        .collect();
    let mut t = TableData::new(
        [
            "Analysis",
            "Outcome",
            "Comparison",
            "Studies",
            "n",
            "Scale, method",
            &rema_data::run::effect_heading(&out.results.summary, "Effect"),
            "p",
            "I² (%)",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    );
    t.title = Some("Summary of the analyses".to_string());
    t
}

#[cfg(test)]
mod tests {
    use super::file_stem;

    #[test]
    fn file_stems_keep_only_safe_characters() {
        assert_eq!(file_stem("rr_reml:alloc=random"), "rr_reml_alloc_random");
        assert_eq!(file_stem("leak-all"), "leak-all");
    }
}
