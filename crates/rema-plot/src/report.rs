//! The report: one self-contained HTML file (inline SVG, inline CSS, no
//! scripts, no external resources) that opens offline in any browser.
//!
//! Sections: the summary of results (Table 3-style), the figures, the study
//! characteristics, the risk of bias (figure and table), the methods
//! paragraph written from the options the analyses actually used, notes,
//! and provenance (tool version, options, input hashes).

use std::fmt::Write;

use rema_core::{AddTo, Method, Test};
use rema_data::describe::Prose;
use rema_data::spec::Model;
use rema_data::AnalysisResult;

use crate::writeup::cited;

/// `text (Author year)`, or `… (REML; Author year)` when the text ends in a
/// parenthesis.
fn with_cites(text: &str, c: &[crate::writeup::Cite]) -> String {
    match (text.strip_suffix(')'), cited(c)) {
        (_, x) if x.is_empty() => text.to_string(),
        (Some(head), x) => format!("{head}; {})", &x[2..x.len() - 1]),
        (None, x) => format!("{text}{x}"),
    }
}

/// True for the common-effect model (no τ², no prediction interval).
fn is_common_effect(r: &AnalysisResult) -> bool {
    let o = &r.provenance.options;
    o.method == Model::Rma(Method::Fe)
        || o.method == Model::Peto
        || (o.method == Model::MantelHaenszel && !o.random)
}

use crate::rob::{risk_of_bias_html, risk_of_bias_svg, RiskOfBias};
use crate::svg::{escape, num, pval};
use crate::table::{table_html, TableData};

/// A figure: an SVG document and its caption.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Anchor id (letters, digits, `-`).
    pub id: String,
    pub caption: String,
    pub svg: String,
}

/// One piece of a report section.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A paragraph of text.
    Paragraph(String),
    /// A table; its title is the caption.
    Table(TableData),
    /// A figure with its caption.
    Figure(Figure),
    /// Markup rema-plot built itself, every text in it already escaped
    /// (the summary-of-findings table with its spans and footnotes).
    Html(String),
}

/// A section of the report: a heading and its blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Anchor id (letters, digits, `-`).
    pub id: String,
    pub heading: String,
    pub blocks: Vec<Block>,
}

/// Analyses that did not run for one reason, one line each.
#[derive(Debug, Clone, PartialEq)]
pub struct NotRunGroup {
    pub reason: String,
    pub lines: Vec<String>,
}

/// Everything the report shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReportInput {
    pub title: String,
    pub summary: Option<TableData>,
    /// The analyses that could not run, grouped by reason.
    pub not_run: Vec<NotRunGroup>,
    /// The GRADE summary of findings (a table and its SVG), when the plan has one.
    pub findings: Option<Section>,
    /// One section per analysis that ran, after the summary.
    pub sections: Vec<Section>,
    /// The results paragraphs (see [`methods_paragraph`] for the methods).
    pub results: Vec<String>,
    pub figures: Vec<Figure>,
    pub characteristics: Option<TableData>,
    pub risk_of_bias: Option<RiskOfBias>,
    /// Paragraphs of the methods section (see [`methods_paragraph`]).
    pub methods: Vec<String>,
    pub notes: Vec<String>,
    /// The reference list of the methods used (see [`crate::writeup::references`]).
    pub references: Vec<String>,
    /// Key–value lines: tool, version, options, input hashes.
    pub provenance: Vec<(String, String)>,
}

const CSS: &str = "body{font-family:'DejaVu Sans',Verdana,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#111;line-height:1.45;font-size:16px}
h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}h3{font-size:1.05em;margin-top:1.5em}
.table-box{overflow-x:auto;max-width:100%;margin:1em 0}
table{border-collapse:collapse;font-size:.9em}th,td{border:1px solid #bbb;padding:.3em .5em;vertical-align:top;text-align:left;overflow-wrap:break-word;max-width:28em}
thead th{background:#e8eef5}caption{font-weight:bold;text-align:left;margin-bottom:.3em;caption-side:top}
figure{margin:1.5em 0;overflow-x:auto}figure svg{max-width:none;height:auto}figcaption{font-size:.9em;color:#333;margin-top:.4em}
ul.not-run li{margin:.2em 0}p.copy{background:#f6f8fa;border-left:3px solid #8aa;padding:.5em .8em}
.sof td.num{white-space:nowrap}.sof th[scope=row]{font-weight:bold;background:none}.sof span.grade{font-size:1.15em;letter-spacing:.05em;white-space:nowrap}
ol.footnotes,p.sof-note{font-size:.85em;color:#222}ol.footnotes li{margin:.15em 0}ol.references{font-size:.9em}ol.references li{margin:.25em 0}
@media (max-width:600px){body{margin:1em auto;padding:0 .6em;font-size:15px}body nav ul{columns:1}th,td{max-width:16em}dl.prov{grid-template-columns:1fr}}
@page{size:A4 landscape;margin:12mm}
@media print{body{max-width:none;margin:0;font-size:11pt}h2{break-before:auto}.sof,ol.footnotes{break-inside:avoid}nav{display:none}h2{break-after:avoid}figure,table,tr{break-inside:avoid}figure{overflow:visible}figure svg{max-width:100%}.table-box{overflow:visible}td,th{max-width:none}a{color:inherit;text-decoration:none}}
.mark{display:inline-block;width:1.3em;height:1.3em;border-radius:50%;color:#fff;text-align:center;font-weight:bold;line-height:1.3em}
dl.prov{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;font-size:.85em}dl.prov dt{font-weight:bold}dl.prov dd{margin:0;word-break:break-all}
nav ul{columns:2}";

fn anchor(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Strips anything before the `<svg` root (an XML declaration).
fn inline_svg(svg: &str) -> &str {
    svg.find("<svg").map(|i| &svg[i..]).unwrap_or(svg)
}

/// Renders the report as one HTML document: the contents, then each section
/// the input has.
///
/// ```
/// use rema_plot::{render_report, ReportInput};
///
/// let html = render_report(&ReportInput {
///     title: "BCG".into(),
///     methods: vec!["Effect sizes were computed as log risk ratios.".into()],
///     ..ReportInput::default()
/// });
/// assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<h1>BCG</h1>"));
/// ```
pub fn render_report(r: &ReportInput) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>{}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(&r.title),
        escape(&r.title)
    );
    contents(&mut h, r);
    if let Some(s) = &r.summary {
        table_section(&mut h, "summary", "Summary of results", s);
    }
    if !r.not_run.is_empty() {
        h.push_str("<section id=\"not-run\">\n<h2>Analyses not run</h2>\n");
        for g in &r.not_run {
            let _ = writeln!(h, "<h3>{}</h3>\n<ul class=\"not-run\">", escape(&g.reason));
            for l in &g.lines {
                let _ = writeln!(h, "<li>{}</li>", escape(l));
            }
            h.push_str("</ul>\n");
        }
        h.push_str("</section>\n");
    }
    if let Some(f) = &r.findings {
        section(&mut h, f);
    }
    for s in &r.sections {
        section(&mut h, s);
    }
    figures(&mut h, &r.figures);
    if let Some(c) = &r.characteristics {
        table_section(&mut h, "characteristics", "Study characteristics", c);
    }
    if let Some(rob) = &r.risk_of_bias {
        h.push_str("<section id=\"risk-of-bias\">\n<h2>Risk of bias</h2>\n<figure>\n");
        h.push_str(inline_svg(&risk_of_bias_svg(rob)));
        h.push_str("<figcaption>Judgements per study and domain.</figcaption>\n</figure>\n");
        h.push_str(&risk_of_bias_html(rob));
        h.push_str("</section>\n");
    }
    methods(&mut h, r);
    h.push_str(
        "</section>\n<section id=\"provenance\">\n<h2>Provenance</h2>\n<dl class=\"prov\">\n",
    );
    for (k, v) in &r.provenance {
        let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(v));
    }
    h.push_str("</dl>\n</section>\n</body>\n</html>\n");
    h
}

/// A section: its heading, then each block (tables in a scrolling box,
/// figures numbered by their caption only).
fn section(h: &mut String, s: &Section) {
    let _ = writeln!(
        h,
        "<section id=\"{}\">\n<h2>{}</h2>",
        anchor(&s.id),
        escape(&s.heading)
    );
    for b in &s.blocks {
        match b {
            Block::Paragraph(p) => {
                let _ = writeln!(h, "<p>{}</p>", escape(p));
            }
            Block::Table(t) => {
                h.push_str("<div class=\"table-box\">\n");
                h.push_str(&table_html(t));
                h.push_str("</div>\n");
            }
            Block::Html(m) => h.push_str(m),
            Block::Figure(f) => {
                let _ = write!(
                    h,
                    "<figure id=\"{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
                    anchor(&f.id),
                    inline_svg(&f.svg),
                    escape(&f.caption)
                );
            }
        }
    }
    h.push_str("</section>\n");
}

/// The table of contents: a link to each section the report has.
fn contents(h: &mut String, r: &ReportInput) {
    h.push_str("<nav><ul>\n");
    let mut toc = Vec::new();
    if r.summary.is_some() {
        toc.push(("summary", "Summary of results".to_string()));
    }
    if !r.not_run.is_empty() {
        toc.push(("not-run", "Analyses not run".to_string()));
    }
    let extra: Vec<(String, String)> = r
        .findings
        .iter()
        .chain(&r.sections)
        .map(|s| (anchor(&s.id), s.heading.clone()))
        .collect();
    for f in &r.figures {
        toc.push(("", f.caption.clone()));
    }
    if r.characteristics.is_some() {
        toc.push(("characteristics", "Study characteristics".to_string()));
    }
    if r.risk_of_bias.is_some() {
        toc.push(("risk-of-bias", "Risk of bias".to_string()));
    }
    toc.push(("methods", "Methods".to_string()));
    toc.push(("provenance", "Provenance".to_string()));
    for (id, label) in &extra {
        let _ = writeln!(h, "<li><a href=\"#{id}\">{}</a></li>", escape(label));
    }
    let mut fig = r.figures.iter();
    for (id, label) in &toc {
        let id = if id.is_empty() {
            fig.next().map(|f| anchor(&f.id)).unwrap_or_default()
        } else {
            id.to_string()
        };
        let _ = writeln!(h, "<li><a href=\"#{id}\">{}</a></li>", escape(label));
    }
    h.push_str("</ul></nav>\n");
}

/// A section holding one table.
fn table_section(h: &mut String, id: &str, heading: &str, t: &TableData) {
    let _ = writeln!(
        h,
        "<section id=\"{id}\">\n<h2>{heading}</h2>\n<div class=\"table-box\">"
    );
    h.push_str(&table_html(t));
    h.push_str("</div>\n</section>\n");
}

/// A section per figure, numbered.
fn figures(h: &mut String, figures: &[Figure]) {
    for (i, f) in figures.iter().enumerate() {
        let _ = write!(
            h,
            "<section id=\"{}\">\n<h2>{}</h2>\n<figure>\n{}\n<figcaption>Figure {}.</figcaption>\n</figure>\n</section>\n",
            anchor(&f.id),
            escape(&f.caption),
            inline_svg(&f.svg),
            i + 1
        );
    }
}

/// The methods paragraphs and the notes (the section stays open for the
/// provenance that follows).
fn methods(h: &mut String, r: &ReportInput) {
    h.push_str("<section id=\"methods\">\n<h2>Methods</h2>\n");
    for p in &r.methods {
        let _ = writeln!(h, "<p class=\"copy\">{}</p>", escape(p));
    }
    if !r.results.is_empty() {
        h.push_str("<h3 id=\"results-text\">Results</h3>\n");
        for p in &r.results {
            let _ = writeln!(h, "<p class=\"copy\">{}</p>", escape(p));
        }
    }
    if !r.references.is_empty() {
        h.push_str("<h3 id=\"references\">References</h3>\n<ol class=\"references\">\n");
        for x in &r.references {
            let _ = writeln!(h, "<li>{}</li>", escape(x));
        }
        h.push_str("</ol>\n");
    }
    if !r.notes.is_empty() {
        h.push_str("<h3>Notes</h3>\n<ul>\n");
        for n in &r.notes {
            let _ = writeln!(h, "<li>{}</li>", escape(n));
        }
        h.push_str("</ul>\n");
    }
}

/// The methods paragraph(s), one per distinct set of options, written from
/// what the analyses actually used: measure and conversion, continuity
/// correction, model and τ² estimator, test, confidence level, heterogeneity
/// statistics and intervals, resampling seeds, and the software version.
pub fn methods_paragraph(results: &[&AnalysisResult]) -> Vec<String> {
    let mut paras: Vec<String> = Vec::new();
    let mut seen: Vec<&rema_data::AnalysisSpec> = Vec::new();
    for r in results {
        let spec = &r.provenance.options;
        if seen.contains(&spec) {
            continue;
        }
        seen.push(spec);
        let same: Vec<&&AnalysisResult> = results
            .iter()
            .filter(|x| &x.provenance.options == spec)
            .collect();
        let mut p = String::new();
        let _ = write!(p, "Effect sizes were computed as {}", spec.measure.prose());
        // The measures metafor corrects by default (add = 0.5).
        let binary_or_prop = spec.measure.default_add() > 0.0;
        let to = match spec.to {
            AddTo::All => "all studies",
            AddTo::IfAnyZero => "all studies when any study had a zero cell",
            AddTo::None => "",
            AddTo::OnlyZero => "studies with a zero cell",
        };
        let corrected: usize = same
            .iter()
            .map(|x| x.studies.iter().filter(|s| s.corrected).count())
            .sum();
        let applied = match corrected {
            0 => " (no study needed it)".to_string(),
            1 => " (applied to 1 study)".to_string(),
            n => format!(" (applied to {n} studies)"),
        };
        match (spec.add, binary_or_prop, to.is_empty()) {
            (_, _, true) => p.push_str(", with no continuity correction."),
            (Some(a), _, false) if a > 0.0 => {
                let _ = write!(p, ", adding {} to the cells of {to}{applied}.", num(a, 2));
            }
            (None, true, false) => {
                let _ = write!(
                    p,
                    ", adding 0.5 to the cells of {to}, metafor's default{applied}."
                );
            }
            _ => p.push('.'),
        }
        if spec.method == Model::MantelHaenszel && !spec.random {
            p.push_str(" The 2×2 tables were pooled by the Mantel–Haenszel method (a common-effect model), with the heterogeneity statistic Q about the Mantel–Haenszel estimate.");
        } else if spec.method == Model::MantelHaenszel {
            p.push_str(" Studies were pooled with a random-effects model as RevMan 5 computes it: the between-study variance τ² estimated by the DerSimonian–Laird method (DerSimonian and Laird 1986) from the heterogeneity statistic about the Mantel–Haenszel estimate, then inverse-variance weights.");
        } else if spec.method == Model::Peto {
            p.push_str(" The 2×2 tables were pooled by Peto's one-step odds ratio (a common-effect model; Yusuf et al. 1985), with Peto's heterogeneity statistic.");
        } else if is_common_effect(r) {
            p.push_str(" Studies were pooled with a common-effect (inverse-variance) model.");
        } else {
            let _ = write!(
                p,
                " Studies were pooled with a random-effects model, the between-study variance τ² estimated by {}.",
                with_cites(
                    spec.method.prose(),
                    &crate::writeup::method_cites(spec.method)
                )
            );
        }
        let level = crate::axis::tick_label(r.level);
        if spec.test == Test::Knha {
            let _ = write!(
                p,
                " The pooled effect was tested, and its {level}% confidence interval built, with the Hartung–Knapp–Sidik–Jonkman method (t distribution with k − 1 degrees of freedom; Hartung and Knapp 2001; Sidik and Jonkman 2002)."
            );
        } else if spec.test == Test::Adhoc {
            let _ = write!(
                p,
                " The pooled effect was tested, and its {level}% confidence interval built, with the Hartung–Knapp–Sidik–Jonkman method with its variance factor truncated at 1 (t distribution with k − 1 degrees of freedom; Knapp and Hartung 2003)."
            );
        } else {
            let _ = write!(
                p,
                " The pooled effect was tested with a Wald z test, with {level}% confidence intervals."
            );
        }
        p.push_str(" Heterogeneity was quantified with Cochran's Q, I² and H² (Cochran 1954; Higgins and Thompson 2002)");
        if spec.tau2_ci {
            p.push_str(", with Q-profile confidence intervals for τ² and I² (Viechtbauer 2007)");
        }
        if !is_common_effect(r) {
            let _ = write!(p, "; {level}% prediction intervals are reported");
            if spec.pi_dist == Some(rema_core::PiDist::T) {
                p.push_str(", from the t distribution with k − 1 degrees of freedom");
            }
            p.push_str(" (Higgins et al. 2009)");
        }
        p.push('.');
        p.push_str(&crate::writeup::further_methods(r));
        let mut resampled = Vec::new();
        if let Some(x) = r.permutation.as_ref() {
            resampled.push(format!(
                "a permutation test ({} {}, seed {})",
                x.iterations,
                if x.exact {
                    "arrangements, exact"
                } else {
                    "permutations"
                },
                x.seed
            ));
        }
        if let Some(x) = r.tau2_test.as_ref() {
            resampled.push(format!(
                "a Monte Carlo test of τ² = 0 ({} draws, seed {})",
                x.iterations, x.seed
            ));
        }
        if let Some(x) = r.bootstrap.as_ref() {
            resampled.push(format!(
                "a {} bootstrap ({} replicates, seed {})",
                x.kind, x.replicates, x.seed
            ));
        }
        if resampled.is_empty() {
            p.push_str(
                " No resampling (bootstrap or permutation) was used, so no random seed was involved.",
            );
        } else {
            let mut c = Vec::new();
            if r.permutation.is_some() {
                c.push(crate::writeup::Cite::HigginsThompson2004);
            }
            if r.bootstrap.is_some() {
                c.push(crate::writeup::Cite::DavisonHinkley1997);
            }
            let _ = write!(p, " Resampling: {}{}.", resampled.join("; "), cited(&c));
        }
        let _ = write!(
            p,
            " Analyses were run with {} {} (numbers checked against R metafor 3.8-1; Viechtbauer 2010); {} used these options.",
            r.provenance.tool,
            r.provenance.version,
            if same.len() == 1 { "1 analysis".to_string() } else { format!("{} analyses", same.len()) }
        );
        let mut inputs: Vec<(&str, &str)> = Vec::new();
        for x in &same {
            let pair = (
                x.provenance.input.as_str(),
                x.provenance.input_sha256.as_str(),
            );
            if !inputs.contains(&pair) {
                inputs.push(pair);
            }
        }
        let inputs: Vec<String> = inputs
            .iter()
            .map(|(name, sha)| format!("{name} (SHA-256 {sha})"))
            .collect();
        let _ = write!(p, " Input: {}.", inputs.join("; "));
        paras.push(p);
    }
    paras
}

/// A Table 3-style summary: one row per analysis.
pub fn summary_table(results: &[(&str, &AnalysisResult)]) -> TableData {
    let headers = [
        "Outcome",
        "Measure",
        "k",
        "Estimate",
        "CI",
        "p",
        "I² (%)",
        "τ²",
        "Prediction interval",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let rows = results
        .iter()
        .map(|(name, r)| {
            let (est, lo, hi, pl, pu, scale) = match &r.transformed {
                Some(t) => (
                    t.estimate,
                    t.ci_lower,
                    t.ci_upper,
                    t.pi_lower,
                    t.pi_upper,
                    t.scale.clone(),
                ),
                None => (
                    r.estimate,
                    r.ci_lower,
                    r.ci_upper,
                    r.pi_lower,
                    r.pi_upper,
                    r.measure.clone(),
                ),
            };
            let level = crate::axis::tick_label(r.level);
            vec![
                name.to_string(),
                format!("{scale}, {}", r.method),
                r.k.to_string(),
                num(est, 2),
                format!("{level}% {} to {}", num(lo, 2), num(hi, 2)),
                pval(r.pval)
                    .trim_start_matches("p ")
                    .replace("= ", "")
                    .to_string(),
                num(r.i2, 0),
                if is_common_effect(r) {
                    "–".to_string()
                } else {
                    num(r.tau2, 4)
                },
                if is_common_effect(r) {
                    "–".to_string()
                } else {
                    format!("{} to {}", num(pl, 2), num(pu, 2))
                },
            ]
        })
        .collect();
    TableData::new(headers, rows)
}

/// Provenance lines for a set of analyses.
pub fn provenance_rows(results: &[(&str, &AnalysisResult)]) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    if let Some((_, r)) = results.first() {
        rows.push((
            "Tool".to_string(),
            format!("{} {}", r.provenance.tool, r.provenance.version),
        ));
    }
    for (name, r) in results {
        let o = &r.provenance.options;
        rows.push((
            format!("{name}: options"),
            format!(
                "measure={} method={} test={} level={} tau2_ci={} add={} to={}",
                o.measure,
                o.method,
                o.test,
                o.level,
                o.tau2_ci,
                o.add
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| "default".into()),
                rema_data::spec::to_name(o.to)
            ),
        ));
        rows.push((
            format!("{name}: input"),
            format!(
                "{} (SHA-256 {})",
                r.provenance.input, r.provenance.input_sha256
            ),
        ));
    }
    rows
}
