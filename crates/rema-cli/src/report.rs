//! The figures and the HTML report of `rema run`: glue from rema-data's plan
//! output and review to rema-plot's figures and report.

use std::path::{Path, PathBuf};

use rema_data::review::{Judgement as ReviewJudgement, PrismaBox, Review};
use rema_data::run::RunOutput;
use rema_data::AnalysisResult;
use rema_plot::{
    flow_svg, forest_svg, methods_paragraph, provenance_rows, render_report, risk_of_bias_svg,
    svg_to_png, Figure, FlowCount, FlowCounts, ForestData, Judgement, ReportInput, RiskOfBias,
    TableData,
};

use crate::exit::{CliError, DATA, INTERNAL};

/// A file name for an analysis id (`leak_all`, `rr:alloc=random`).
fn file_stem(id: &str) -> String {
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

fn write(path: &Path, bytes: &[u8]) -> Result<PathBuf, CliError> {
    std::fs::write(path, bytes).map_err(|e| CliError {
        message: format!("{}: cannot write: {e}", path.display()),
        code: DATA,
    })?;
    Ok(path.to_path_buf())
}

/// Writes `name.svg` and `name.png` into `dir`.
fn write_figure(
    dir: &Path,
    name: &str,
    svg: &str,
    written: &mut Vec<PathBuf>,
) -> Result<(), CliError> {
    written.push(write(&dir.join(format!("{name}.svg")), svg.as_bytes())?);
    let png = svg_to_png(svg, 2.0).map_err(|e| CliError {
        message: format!("rendering {name}.png: {e}"),
        code: INTERNAL,
    })?;
    written.push(write(&dir.join(format!("{name}.png")), &png)?);
    Ok(())
}

/// The PRISMA 2020 boxes given in the review's flow (steps without a `box`
/// are left out: no count is worked out).
pub fn flow_counts(review: &Review) -> Option<FlowCounts> {
    let mut c = FlowCounts::default();
    let mut any = false;
    for step in &review.flow {
        let (Some(b), Some(n)) = (step.prisma_box, step.count) else {
            continue;
        };
        any = true;
        let count = match &step.note {
            Some(note) => FlowCount::with_note(n, note),
            None => FlowCount::new(n),
        };
        match b {
            PrismaBox::RecordsIdentified => c.identified = Some(count),
            PrismaBox::OtherSourcesIdentified => c.other_sources = Some(count),
            PrismaBox::DuplicatesRemoved => c.duplicates_removed = Some(count),
            PrismaBox::RecordsScreened => c.screened = Some(count),
            PrismaBox::RecordsExcluded => c.excluded = Some(count),
            PrismaBox::ReportsAssessed | PrismaBox::ReportsSought => c.assessed = Some(count),
            PrismaBox::ReportsExcluded
            | PrismaBox::ReportsNotRetrieved
            | PrismaBox::RecordsRemovedOther => {
                // The box's title is the step; the reason line is its note.
                let reason = step.note.clone().unwrap_or_else(|| step.step.clone());
                c.excluded_reasons.push((reason, n));
            }
            PrismaBox::StudiesIncluded | PrismaBox::ReportsIncluded => c.included = Some(count),
        }
        c.labels
            .push((box_key(b).to_string(), capitalise(&step.step)));
    }
    any.then_some(c)
}

/// rema-plot's key of the box a PRISMA box is drawn in.
fn box_key(b: PrismaBox) -> &'static str {
    match b {
        PrismaBox::RecordsIdentified => "identified",
        PrismaBox::OtherSourcesIdentified => "other_sources",
        PrismaBox::DuplicatesRemoved => "duplicates_removed",
        PrismaBox::RecordsScreened => "screened",
        PrismaBox::RecordsExcluded => "excluded",
        PrismaBox::ReportsAssessed | PrismaBox::ReportsSought => "assessed",
        PrismaBox::ReportsExcluded
        | PrismaBox::ReportsNotRetrieved
        | PrismaBox::RecordsRemovedOther => "excluded_reasons",
        PrismaBox::StudiesIncluded | PrismaBox::ReportsIncluded => "included",
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn humanise(s: &str) -> String {
    capitalise(
        &s.replace("pct", "%")
            .replace("followup", "follow-up")
            .replace('_', " "),
    )
}

fn label_of(review: &Review, id: &str) -> String {
    review
        .studies
        .iter()
        .find(|s| s.id == id)
        .map(|s| s.label.clone())
        .unwrap_or_else(|| id.to_string())
}

/// The traffic-light data of the review's risk-of-bias judgements.
pub fn risk_of_bias(review: &Review) -> Option<RiskOfBias> {
    let rob = &review.risk_of_bias;
    if rob.judgements.is_empty() {
        return None;
    }
    let mut studies: Vec<String> = Vec::new();
    for j in &rob.judgements {
        if !studies.contains(&j.study) {
            studies.push(j.study.clone());
        }
    }
    let judgements = studies
        .iter()
        .map(|s| {
            rob.domains
                .iter()
                .map(|d| {
                    rob.judgements
                        .iter()
                        .find(|j| &j.study == s && &j.domain == d)
                        .map(|j| match j.judgement {
                            ReviewJudgement::Yes => Judgement::Yes,
                            ReviewJudgement::No => Judgement::No,
                            ReviewJudgement::NotReported => Judgement::NotReported,
                            ReviewJudgement::Low => Judgement::Low,
                            ReviewJudgement::SomeConcerns => Judgement::SomeConcerns,
                            ReviewJudgement::High => Judgement::High,
                        })
                })
                .collect()
        })
        .collect();
    Some(RiskOfBias {
        title: Some("Risk of bias".to_string()),
        studies: studies.iter().map(|s| label_of(review, s)).collect(),
        domains: rob.domains.iter().map(|d| humanise(d)).collect(),
        judgements,
    })
}

/// The table of study characteristics.
pub fn characteristics(review: &Review) -> Option<TableData> {
    if review.studies.is_empty() {
        return None;
    }
    let mut keys: Vec<&String> = Vec::new();
    for s in &review.studies {
        for k in s.characteristics.keys() {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    let mut headers = vec![
        "Study".to_string(),
        "Year".to_string(),
        "Design".to_string(),
        "Etiology".to_string(),
    ];
    headers.extend(keys.iter().map(|k| humanise(k)));
    let rows = review
        .studies
        .iter()
        .map(|s| {
            let mut row = vec![
                s.label.clone(),
                s.year.map(|y| y.to_string()).unwrap_or_default(),
                s.design.clone().unwrap_or_default(),
                s.etiology.clone().unwrap_or_default(),
            ];
            row.extend(
                keys.iter()
                    .map(|k| s.characteristics.get(*k).cloned().unwrap_or_default()),
            );
            row
        })
        .collect();
    let mut t = TableData::new(headers, rows);
    t.title = Some("Characteristics of the included studies".to_string());
    Some(t)
}

/// The summary table in the layout of a review's results table, with the
/// analyses that could not run and why.
fn summary(out: &RunOutput) -> TableData {
    let fmt = |v: Option<f64>, d: usize| v.map(|x| format!("{x:.d$}")).unwrap_or_default();
    let rows = out
        .results
        .summary
        .iter()
        .map(|r| {
            let effect = match (r.estimate, r.ci_lower, r.ci_upper) {
                (Some(e), Some(l), Some(u)) => format!("{e:.2} ({l:.2}, {u:.2})"),
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
                format!("{} ({})", r.studies.len(), r.studies.join(", ")),
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
            "Effect (95% CI)",
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

/// Writes the figures (SVG and PNG) and `report.html` into `dir`.
pub fn write_report(out: &RunOutput, dir: &Path) -> Result<Vec<PathBuf>, CliError> {
    let fig_dir = dir.join("figures");
    std::fs::create_dir_all(&fig_dir).map_err(|e| CliError {
        message: format!("{}: cannot create: {e}", fig_dir.display()),
        code: DATA,
    })?;
    let mut written = Vec::new();
    let mut figures = Vec::new();
    let ran: Vec<(&str, &AnalysisResult)> = out
        .results
        .order
        .iter()
        .filter_map(|id| out.results.results.get(id).map(|r| (id.as_str(), r)))
        .collect();

    if let Some(review) = &out.review {
        if let Some(flow) = flow_counts(review) {
            let svg = flow_svg(&flow, Some("Selection of studies (PRISMA 2020)"));
            write_figure(&fig_dir, "flow", &svg, &mut written)?;
            figures.push(Figure {
                id: "flow".into(),
                caption: "Selection of studies".into(),
                svg,
            });
        }
    }
    for (id, result) in &ran {
        let mut d = ForestData::from(*result);
        let outcome = out
            .results
            .summary
            .iter()
            .find(|s| s.id == *id)
            .map(|s| s.outcome.clone())
            .unwrap_or_default();
        d.title = Some(if outcome.is_empty() {
            id.to_string()
        } else {
            format!("{outcome} ({id})")
        });
        let svg = forest_svg(&d);
        let stem = format!("forest_{}", file_stem(id));
        write_figure(&fig_dir, &stem, &svg, &mut written)?;
        figures.push(Figure {
            id: stem,
            caption: format!("Forest plot of {id}"),
            svg,
        });
    }
    let rob = out.review.as_ref().and_then(risk_of_bias);
    if let Some(r) = &rob {
        write_figure(&fig_dir, "risk_of_bias", &risk_of_bias_svg(r), &mut written)?;
    }

    let results: Vec<&AnalysisResult> = ran.iter().map(|(_, r)| *r).collect();
    let mut provenance = vec![
        ("plan".to_string(), out.results.plan.clone()),
        ("plan sha256".to_string(), out.results.plan_sha256.clone()),
    ];
    provenance.extend(provenance_rows(&ran));
    let input = ReportInput {
        title: out
            .results
            .title
            .clone()
            .unwrap_or_else(|| format!("rema report: {}", out.results.plan)),
        summary: Some(summary(out)),
        figures,
        characteristics: out.review.as_ref().and_then(characteristics),
        risk_of_bias: rob,
        methods: methods_paragraph(&results),
        notes: out
            .results
            .not_run
            .iter()
            .map(|(id, why)| format!("{id} was not run: {why}"))
            .collect(),
        provenance,
    };
    written.push(write(
        &dir.join("report.html"),
        render_report(&input).as_bytes(),
    )?);
    Ok(written)
}
