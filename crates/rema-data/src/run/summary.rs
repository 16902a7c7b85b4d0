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

/// A confidence level in percent as people write it: `95`, `90`, `99.5`.
///
/// ```
/// assert_eq!(rema_data::run::level_label(90.0), "90");
/// assert_eq!(rema_data::run::level_label(99.5), "99.5");
/// ```
pub fn level_label(level: f64) -> String {
    let s = format!("{level:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The heading of the effect column of a summary, naming the analyses'
/// confidence level: `effect (90% CI)`, or `effect (CI)` when the rows have
/// different levels (each cell then names its own).
pub fn effect_heading(rows: &[SummaryRow], effect: &str) -> String {
    match common_level(rows) {
        Some(l) => format!("{effect} ({}% CI)", level_label(l)),
        None => format!("{effect} (CI)"),
    }
}

/// The level every row shares; `None` when they differ. A summary with no
/// rows has metafor's default, 95%.
pub fn common_level(rows: &[SummaryRow]) -> Option<f64> {
    let first = rows
        .first()
        .map_or(crate::spec::Level::DEFAULT.percent(), |r| r.level);
    rows.iter().all(|r| r.level == first).then_some(first)
}

/// The effect cell of a meta-regression: what it is and its test of
/// moderators (its intercept is not a pooled effect).
///
/// ```
/// let mut row: rema_data::run::SummaryRow = serde_json::from_str(r#"{"id":"a","outcome":"","comparison":"",
///   "measure":"RR","method":"REML","studies":[],"n":null,"unit":null,"scale":"RR","estimate":null,
///   "ci_lower":null,"ci_upper":null,"pval":0.0001,"i2":64.0,"not_run":null,"moderators":["ablat"],"qm":16.36,"qm_df":1.0}"#).unwrap();
/// assert_eq!(rema_data::run::meta_regression_cell(&row), "meta-regression on ablat: QM = 16.36 (df = 1)");
/// ```
pub fn meta_regression_cell(row: &SummaryRow) -> String {
    format!(
        "meta-regression on {}: QM = {} (df = {})",
        row.moderators.join(", "),
        row.qm.map(fmt2).unwrap_or_else(|| "NA".to_string()),
        row.qm_df
            .map(|d| format!("{d}"))
            .unwrap_or_else(|| "NA".to_string())
    )
}

/// The summary as a Markdown table.
pub fn summary_markdown(r: &RunResults) -> String {
    let mut s = String::new();
    if let Some(t) = &r.title {
        s.push_str(&format!("# {t}\n\n"));
    }
    let mixed = common_level(&r.summary).is_none();
    s.push_str(&format!(
        "| id | outcome | comparison | studies | n | {} | p | I² |\n",
        effect_heading(&r.summary, "effect")
    ));
    s.push_str("|---|---|---|---|---|---|---|---|\n");
    for row in &r.summary {
        let (effect, p, i2) = match &row.not_run {
            Some(reason) => (format!("not run: {reason}"), String::new(), String::new()),
            None if !row.moderators.is_empty() => (
                meta_regression_cell(row),
                row.pval.map(fmt_p).unwrap_or_default(),
                row.i2
                    .map(|x| format!("{x:.0}% residual"))
                    .unwrap_or_default(),
            ),
            None => (
                format!(
                    "{} {} ({}{}, {})",
                    row.scale,
                    fmt2(row.estimate.unwrap_or(f64::NAN)),
                    if mixed {
                        format!("{}%: ", level_label(row.level))
                    } else {
                        String::new()
                    },
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
    w.write_record(CSV_COLUMNS.iter().map(|(name, _)| name))
        .expect("writing to memory");
    for row in &r.summary {
        w.write_record(CSV_COLUMNS.iter().map(|(_, value)| value(row)))
            .expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("flush to memory")).expect("csv writes UTF-8")
}

/// The columns of [`summary_csv`]: the header and the cell of a row.
#[allow(clippy::type_complexity)]
const CSV_COLUMNS: [(&str, fn(&SummaryRow) -> String); 20] = [
    ("id", |r| r.id.clone()),
    ("outcome", |r| r.outcome.clone()),
    ("comparison", |r| r.comparison.clone()),
    ("measure", |r| r.measure.clone()),
    ("method", |r| r.method.clone()),
    ("k", |r| r.studies.len().to_string()),
    ("studies", |r| r.studies.join(";")),
    ("n", |r| opt(r.n)),
    ("unit", |r| r.unit.clone().unwrap_or_default()),
    ("scale", |r| r.scale.clone()),
    ("level", |r| r.level.to_string()),
    ("estimate", |r| opt(r.estimate)),
    ("ci_lower", |r| opt(r.ci_lower)),
    ("ci_upper", |r| opt(r.ci_upper)),
    ("pval", |r| opt(r.pval)),
    ("i2", |r| opt(r.i2)),
    ("not_run", |r| r.not_run.clone().unwrap_or_default()),
    ("moderators", |r| r.moderators.join(";")),
    ("qm", |r| opt(r.qm)),
    ("qm_df", |r| opt(r.qm_df)),
];

/// A number at full precision, or an empty cell.
fn opt(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}
