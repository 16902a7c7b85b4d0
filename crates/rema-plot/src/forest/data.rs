//! What a forest plot shows: the input types (values on the display scale),
//! the texts of the footer lines, and the plot's rows in drawing order.

use crate::axis::tick_label;
use crate::svg::{num, pval};

/// How the effect axis is drawn. Values in [`ForestData`] are always on the
/// display scale (ratios, not log ratios; percentages, not proportions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    /// Mean differences, SMDs, risk differences, generic effects.
    #[default]
    Linear,
    /// Ratio measures (RR, OR): positions linear in ln(value), no effect at 1.
    Log,
    /// Proportions in percent: a linear axis from 0 to 100 at most.
    Percent,
}

/// One study.
#[derive(Debug, Clone, PartialEq)]
pub struct ForestRow {
    pub label: String,
    /// The study's line in the input file, which finds its data columns
    /// (labels may repeat); `None` for a row not read from a file.
    pub line: Option<u64>,
    /// Text for the data columns (e.g. `"4/123"`, `"12.1 (3.2)"`), one per
    /// [`ForestData::data_headers`].
    pub data: Vec<String>,
    pub estimate: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    /// Weight in percent of the analysis the study belongs to.
    pub weight: Option<f64>,
}

/// A pooled estimate drawn as a diamond.
#[derive(Debug, Clone, PartialEq)]
pub struct Pooled {
    /// e.g. `Total (95% CI)`, `Subtotal (95% CI)`.
    pub label: String,
    pub estimate: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    /// Total weight in percent, shown in the weight column.
    pub weight: Option<f64>,
    /// The prediction interval, drawn as a bar on its own row.
    pub prediction: Option<(f64, f64)>,
}

/// Heterogeneity statistics for a footer or subgroup line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Heterogeneity {
    /// None under the common-effect model.
    pub tau2: Option<f64>,
    pub q: f64,
    pub df: f64,
    pub pval: f64,
    /// In percent.
    pub i2: f64,
}

/// A test of a pooled effect: `z = -3.97 (p < 0.001)` or `t(12) = ...`.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectTest {
    /// `z` or `t`.
    pub statistic: String,
    pub value: f64,
    pub df: Option<f64>,
    pub pval: f64,
}

/// The test for subgroup differences (Q between subgroups).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SubgroupTest {
    pub q: f64,
    pub df: f64,
    pub pval: f64,
}

/// The lines under a forest plot, each left out when `None`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Footer {
    /// Heterogeneity of all studies.
    pub heterogeneity: Option<Heterogeneity>,
    /// The test for the overall effect.
    pub overall_test: Option<EffectTest>,
    /// The test for subgroup differences.
    pub subgroup_test: Option<SubgroupTest>,
}

/// A block of studies with its own subtotal.
///
/// `From<&AnalysisResult>` fills the groups from an analysis run with `--by`
/// (its `subgroups`, each with its studies, subtotal, heterogeneity and test)
/// and the test for subgroup differences from `q_between`.
#[derive(Debug, Clone, PartialEq)]
pub struct ForestGroup {
    pub name: String,
    pub rows: Vec<ForestRow>,
    pub subtotal: Option<Pooled>,
    pub heterogeneity: Option<Heterogeneity>,
    pub test: Option<EffectTest>,
}

/// Layout options.
#[derive(Debug, Clone, PartialEq)]
pub struct ForestOptions {
    /// Total width in px; the plot panel takes what the text columns leave
    /// (at least 160 px). Default: a 320 px panel.
    pub width: Option<f64>,
    /// Total height in px: rows are spread to fill it, never squeezed below
    /// the height of a line of text.
    pub height: Option<f64>,
    pub font_size: f64,
    /// Decimals of effects and CIs.
    pub digits: usize,
    /// Study labels wider than this are cut with an ellipsis.
    pub max_label_width: f64,
    /// Axis limits (display scale); CIs beyond them end in arrows.
    pub xlim: Option<(f64, f64)>,
}

impl Default for ForestOptions {
    fn default() -> Self {
        ForestOptions {
            width: None,
            height: None,
            font_size: 12.0,
            digits: 2,
            max_label_width: 240.0,
            xlim: None,
        }
    }
}

/// Everything a forest plot shows. Values are on the display scale.
#[derive(Debug, Clone, PartialEq)]
pub struct ForestData {
    pub title: Option<String>,
    /// Header of the label column, e.g. `Study`.
    pub label_header: String,
    /// Headers of the data columns; `\n` splits a header over two lines.
    pub data_headers: Vec<String>,
    /// Header of the effect column and of the plot, e.g. `Risk ratio [95% CI]`.
    pub effect_header: String,
    pub scale: Scale,
    /// Studies outside any subgroup (drawn first).
    pub rows: Vec<ForestRow>,
    pub subgroups: Vec<ForestGroup>,
    pub overall: Option<Pooled>,
    /// The lines under the plot.
    pub footer: Footer,
    /// Where the line of no effect goes (1 for ratios, 0 for differences).
    pub reference: Option<f64>,
    /// Labels under the axis, left and right of the reference line, e.g.
    /// `("Favours BKP", "Favours control")`.
    pub favours: Option<(String, String)>,
    pub options: ForestOptions,
}

impl ForestData {
    /// An empty plot with the given scale and default headers.
    pub fn new(scale: Scale) -> ForestData {
        ForestData {
            title: None,
            label_header: "Study".to_string(),
            data_headers: Vec::new(),
            effect_header: "Estimate [95% CI]".to_string(),
            scale,
            rows: Vec::new(),
            subgroups: Vec::new(),
            overall: None,
            footer: Footer::default(),
            reference: match scale {
                Scale::Linear => Some(0.0),
                Scale::Log => Some(1.0),
                Scale::Percent => None,
            },
            favours: None,
            options: ForestOptions::default(),
        }
    }

    /// Number of study rows over all blocks.
    pub fn study_count(&self) -> usize {
        self.rows.len() + self.subgroups.iter().map(|g| g.rows.len()).sum::<usize>()
    }
}

/// The footer or subgroup line for heterogeneity.
pub fn heterogeneity_text(h: &Heterogeneity) -> String {
    let tau = h
        .tau2
        .map(|t| {
            format!(
                "τ² = {}; ",
                num(t, if t != 0.0 && t.abs() < 0.01 { 4 } else { 2 })
            )
        })
        .unwrap_or_default();
    format!(
        "Heterogeneity: {tau}Q = {}, df = {} ({}); I² = {}%",
        num(h.q, 2),
        tick_label(h.df),
        pval(h.pval),
        num(h.i2, 0)
    )
}

/// The line for a test of an effect.
pub fn effect_test_text(prefix: &str, t: &EffectTest) -> String {
    let stat = match t.df {
        Some(df) => format!(
            "{}({}) = {}",
            t.statistic,
            tick_label((df * 100.0).round() / 100.0),
            num(t.value, 2)
        ),
        None => format!("{} = {}", t.statistic, num(t.value, 2)),
    };
    format!("{prefix}: {stat} ({})", pval(t.pval))
}

/// The line for the test of subgroup differences.
pub fn subgroup_test_text(t: &SubgroupTest) -> String {
    format!(
        "Test for subgroup differences: Q = {}, df = {} ({})",
        num(t.q, 2),
        tick_label(t.df),
        pval(t.pval)
    )
}

/// One row of the plot, in drawing order.
pub(super) enum Row<'a> {
    Heading(&'a str),
    Study(&'a ForestRow),
    Pooled(&'a Pooled),
    Prediction(f64, f64),
    /// A small-font line spanning the figure (heterogeneity, tests).
    Note(String),
    Spacer,
}

impl Row<'_> {
    /// Whether the row is drawn at the shared row height (rows with
    /// graphics); notes and spacers have a fixed height.
    pub(super) fn is_unit(&self) -> bool {
        !matches!(self, Row::Note(_) | Row::Spacer)
    }
}

/// The rows in drawing order: ungrouped studies, then each subgroup (heading,
/// studies, subtotal, its prediction interval and notes), then the total.
pub(super) fn rows(d: &ForestData) -> Vec<Row<'_>> {
    let mut rows: Vec<Row<'_>> = Vec::new();
    for r in &d.rows {
        rows.push(Row::Study(r));
    }
    for g in &d.subgroups {
        if !rows.is_empty() {
            rows.push(Row::Spacer);
        }
        rows.push(Row::Heading(&g.name));
        for r in &g.rows {
            rows.push(Row::Study(r));
        }
        push_pooled(&mut rows, g.subtotal.as_ref());
        if let Some(h) = &g.heterogeneity {
            rows.push(Row::Note(heterogeneity_text(h)));
        }
        if let Some(t) = &g.test {
            rows.push(Row::Note(effect_test_text("Test for overall effect", t)));
        }
    }
    if let Some(p) = &d.overall {
        rows.push(Row::Spacer);
        push_pooled(&mut rows, Some(p));
    }
    rows
}

/// A pooled estimate's diamond row and, when it has one, its prediction row.
fn push_pooled<'a>(rows: &mut Vec<Row<'a>>, p: Option<&'a Pooled>) {
    if let Some(p) = p {
        rows.push(Row::Pooled(p));
        if let Some((a, b)) = p.prediction {
            rows.push(Row::Prediction(a, b));
        }
    }
}

/// `est [lo, hi]` with `digits` decimals.
pub(super) fn effect_text(est: f64, lo: f64, hi: f64, digits: usize) -> String {
    format!(
        "{} [{}, {}]",
        num(est, digits),
        num(lo, digits),
        num(hi, digits)
    )
}

/// The text of a prediction interval, `[lo, hi]`.
pub(super) fn pi_text(a: f64, b: f64, digits: usize) -> String {
    format!("[{}, {}]", num(a, digits), num(b, digits))
}

/// A weight in percent, one decimal.
pub(super) fn weight_text(w: f64) -> String {
    format!("{}%", num(w, 1))
}
