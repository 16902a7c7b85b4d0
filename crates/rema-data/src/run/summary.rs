//! The summary of a plan run, as a Markdown table and as CSV.

use super::{RunResults, SummaryRow};

fn fmt2(x: f64) -> String {
    format!("{x:.2}")
}

fn fmt_p(p: f64) -> String {
    if p < 0.001 {
        "<.001".to_string()
    } else {
        let s = format!("{p:.3}");
        s.strip_prefix('0').map(str::to_string).unwrap_or(s)
    }
}

fn fmt_n(row: &SummaryRow) -> String {
    match (row.n, &row.unit) {
        (Some(n), Some(u)) => format!("{n} {u}"),
        (Some(n), None) => format!("{n}"),
        _ => String::new(),
    }
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The summary as a Markdown table.
pub fn summary_markdown(r: &RunResults) -> String {
    let mut s = String::new();
    if let Some(t) = &r.title {
        s.push_str(&format!("# {t}\n\n"));
    }
    s.push_str("| id | outcome | comparison | studies | n | effect (95% CI) | p | I² |\n");
    s.push_str("|---|---|---|---|---|---|---|---|\n");
    for row in &r.summary {
        let (effect, p, i2) = match &row.not_run {
            Some(reason) => (format!("not run: {reason}"), String::new(), String::new()),
            None => (
                format!(
                    "{} {} ({}, {})",
                    row.scale,
                    fmt2(row.estimate.unwrap_or(f64::NAN)),
                    fmt2(row.ci_lower.unwrap_or(f64::NAN)),
                    fmt2(row.ci_upper.unwrap_or(f64::NAN))
                ),
                row.pval.map(fmt_p).unwrap_or_default(),
                row.i2.map(|x| format!("{x:.0}%")).unwrap_or_default(),
            ),
        };
        s.push_str(&format!(
            "| {} | {} | {} | {} ({}) | {} | {} | {} | {} |\n",
            md_escape(&row.id),
            md_escape(&row.outcome),
            md_escape(&row.comparison),
            row.studies.len(),
            md_escape(&row.studies.join(", ")),
            fmt_n(row),
            md_escape(&effect),
            p,
            i2
        ));
    }
    s.push_str(&format!(
        "\n{} {}; plan {} (sha256 {})\n",
        r.tool,
        r.version,
        r.plan,
        &r.plan_sha256[..16.min(r.plan_sha256.len())]
    ));
    s
}

/// The summary as CSV, full precision.
pub fn summary_csv(r: &RunResults) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    w.write_record([
        "id",
        "outcome",
        "comparison",
        "measure",
        "method",
        "k",
        "studies",
        "n",
        "unit",
        "scale",
        "estimate",
        "ci_lower",
        "ci_upper",
        "pval",
        "i2",
        "not_run",
    ])
    .expect("writing to memory");
    for row in &r.summary {
        w.write_record([
            row.id.clone(),
            row.outcome.clone(),
            row.comparison.clone(),
            row.measure.clone(),
            row.method.clone(),
            row.studies.len().to_string(),
            row.studies.join(";"),
            opt(row.n),
            row.unit.clone().unwrap_or_default(),
            row.scale.clone(),
            opt(row.estimate),
            opt(row.ci_lower),
            opt(row.ci_upper),
            opt(row.pval),
            opt(row.i2),
            row.not_run.clone().unwrap_or_default(),
        ])
        .expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("flush to memory")).expect("csv writes UTF-8")
}
