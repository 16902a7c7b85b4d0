//! The RevMan-style forest plot.
//!
//! Left: study labels, optional data columns, weight (%) and the effect with
//! its confidence interval as text. Right: one square per study, its area
//! proportional to the study's weight, with the CI as a line (an arrow where
//! the CI leaves the axis); a diamond per pooled estimate spanning its CI;
//! the prediction interval as a bar; a reference line at no effect; the axis
//! (logarithmic for ratios) and the "favours" labels; footer lines with
//! heterogeneity (τ², Q, df, p, I²), the test for the overall effect and the
//! test for subgroup differences.
//!
//! Every text is measured with the bundled font ([`crate::font`]): columns
//! are as wide as their widest cell, study labels longer than
//! [`ForestOptions::max_label_width`] are cut with an ellipsis (the full label
//! stays in a `<title>`), and footer lines wrap, so no two texts overlap at
//! any number of studies.

use crate::axis::{linear_ticks, log_ticks, tick_label, Axis};
use crate::font::{self, text_width};
use crate::svg::{num, pval, Anchor, Svg, Text};

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
    /// Footer: heterogeneity of all studies.
    pub heterogeneity: Option<Heterogeneity>,
    /// Footer: test for the overall effect.
    pub overall_test: Option<EffectTest>,
    /// Footer: test for subgroup differences.
    pub subgroup_test: Option<SubgroupTest>,
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
            heterogeneity: None,
            overall_test: None,
            subgroup_test: None,
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

enum Row<'a> {
    Heading(&'a str),
    Study(&'a ForestRow),
    Pooled(&'a Pooled),
    Prediction(f64, f64),
    /// A small-font line spanning the figure (heterogeneity, tests).
    Note(String),
    Spacer,
}

fn effect_text(est: f64, lo: f64, hi: f64, digits: usize) -> String {
    format!(
        "{} [{}, {}]",
        num(est, digits),
        num(lo, digits),
        num(hi, digits)
    )
}

fn weight_text(w: f64) -> String {
    format!("{}%", num(w, 1))
}

/// The axis limits: all estimates and pooled CIs, and the study CIs unless
/// they would stretch the axis to more than three times that core range
/// (then they end in arrows).
fn axis_limits(d: &ForestData) -> (f64, f64, Vec<f64>) {
    let log = d.scale == Scale::Log;
    let ok = |v: f64| v.is_finite() && (!log || v > 0.0);
    let t = |v: f64| if log { v.ln() } else { v };
    let u = |v: f64| if log { v.exp() } else { v };
    let mut core: Vec<f64> = Vec::new();
    let mut full: Vec<f64> = Vec::new();
    let studies = d
        .rows
        .iter()
        .chain(d.subgroups.iter().flat_map(|g| g.rows.iter()));
    for r in studies {
        core.push(r.estimate);
        full.extend([r.ci_lower, r.ci_upper]);
    }
    let pooled = d
        .overall
        .iter()
        .chain(d.subgroups.iter().filter_map(|g| g.subtotal.as_ref()));
    for p in pooled {
        core.extend([p.estimate, p.ci_lower, p.ci_upper]);
        if let Some((a, b)) = p.prediction {
            full.extend([a, b]);
        }
    }
    if let Some(r) = d.reference {
        core.push(r);
    }
    let core: Vec<f64> = core.into_iter().filter(|v| ok(*v)).map(t).collect();
    let full: Vec<f64> = full
        .into_iter()
        .filter(|v| ok(*v))
        .map(t)
        .chain(core.iter().copied())
        .collect();
    let (mut lo, mut hi) = if let Some((a, b)) = d.options.xlim {
        (t(a), t(b))
    } else if core.is_empty() {
        if log {
            (0.1f64.ln(), 10f64.ln())
        } else {
            (-1.0, 1.0)
        }
    } else {
        let cmin = core.iter().copied().fold(f64::INFINITY, f64::min);
        let cmax = core.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let fmin = full.iter().copied().fold(f64::INFINITY, f64::min);
        let fmax = full.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let cw = (cmax - cmin).max(if log { 0.5 } else { 1e-9 });
        (fmin.max(cmin - cw), fmax.min(cmax + cw))
    };
    if d.options.xlim.is_some() {
        let (a, b) = (u(lo), u(hi));
        let ticks = if log {
            log_ticks(a, b).2
        } else {
            linear_ticks(a, b, 5).2
        };
        let ticks = ticks.into_iter().filter(|v| *v >= a && *v <= b).collect();
        return (a, b, ticks);
    }
    if d.scale == Scale::Percent {
        lo = lo.max(0.0);
        hi = hi.min(100.0);
    }
    if log {
        log_ticks(u(lo), u(hi))
    } else {
        let (a, b, ticks) = linear_ticks(lo, hi, 5);
        if d.scale == Scale::Percent {
            let ticks: Vec<f64> = ticks
                .into_iter()
                .filter(|v| (0.0..=100.0).contains(v))
                .collect();
            (a.max(0.0), b.min(100.0), ticks)
        } else {
            (a, b, ticks)
        }
    }
}

/// Draws the forest plot as an SVG document.
pub fn forest_svg(d: &ForestData) -> String {
    let o = &d.options;
    let fs = o.font_size;
    let small = fs * 0.9;
    let pad = fs;
    let gap = fs * 1.2;
    let digits = o.digits;

    // Rows in order.
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
        if let Some(p) = &g.subtotal {
            rows.push(Row::Pooled(p));
            if let Some((a, b)) = p.prediction {
                rows.push(Row::Prediction(a, b));
            }
        }
        if let Some(h) = &g.heterogeneity {
            rows.push(Row::Note(heterogeneity_text(h)));
        }
        if let Some(t) = &g.test {
            rows.push(Row::Note(effect_test_text("Test for overall effect", t)));
        }
    }
    if let Some(p) = &d.overall {
        rows.push(Row::Spacer);
        rows.push(Row::Pooled(p));
        if let Some((a, b)) = p.prediction {
            rows.push(Row::Prediction(a, b));
        }
    }

    // Column widths.
    let ncol = d.data_headers.len();
    let header_lines = |h: &str| h.split('\n').map(str::to_string).collect::<Vec<_>>();
    let bw = |s: &str| text_width(s, fs, true);
    let rw = |s: &str| text_width(s, fs, false);
    let mut w_label = bw(&d.label_header);
    let mut w_data: Vec<f64> = d
        .data_headers
        .iter()
        .map(|h| header_lines(h).iter().map(|l| bw(l)).fold(0.0, f64::max))
        .collect();
    let has_weight = rows.iter().any(|r| match r {
        Row::Study(s) => s.weight.is_some(),
        Row::Pooled(p) => p.weight.is_some(),
        _ => false,
    });
    let w_weight = if has_weight {
        bw("Weight").max(bw("100.0%"))
    } else {
        0.0
    };
    let mut w_effect = header_lines(&d.effect_header)
        .iter()
        .map(|l| bw(l))
        .fold(0.0, f64::max);
    let pi_text = |a: f64, b: f64| format!("[{}, {}]", num(a, digits), num(b, digits));
    for r in &rows {
        match r {
            Row::Study(s) => {
                w_label = w_label.max(rw(&s.label).min(o.max_label_width));
                for (j, c) in s.data.iter().take(ncol).enumerate() {
                    w_data[j] = w_data[j].max(rw(c));
                }
                w_effect =
                    w_effect.max(rw(&effect_text(s.estimate, s.ci_lower, s.ci_upper, digits)));
            }
            Row::Pooled(p) => {
                w_label = w_label.max(bw(&p.label));
                w_effect =
                    w_effect.max(bw(&effect_text(p.estimate, p.ci_lower, p.ci_upper, digits)));
            }
            Row::Prediction(a, b) => {
                w_label = w_label.max(rw("Prediction interval"));
                w_effect = w_effect.max(rw(&pi_text(*a, *b)));
            }
            _ => {}
        }
    }
    // Column right edges.
    let x_label = pad;
    let mut x = x_label + w_label;
    let mut x_data = Vec::with_capacity(ncol);
    for w in &w_data {
        x += gap + w;
        x_data.push(x);
    }
    let x_weight = if has_weight {
        x += gap + w_weight;
        x
    } else {
        x
    };
    x += gap + w_effect;
    let x_effect = x;
    let plot_x0 = x + gap * 1.5;
    // Half of the widest tick label may stick out on the right.
    let tick_margin = fs * 2.0;
    let plot_w = match o.width {
        Some(w) => (w - plot_x0 - pad - tick_margin).max(160.0),
        None => 320.0,
    };
    let plot_x1 = plot_x0 + plot_w;
    let total_w = plot_x1 + tick_margin + pad;
    let span_w = total_w - 2.0 * pad;

    let (lo, hi, mut ticks) = axis_limits(d);
    let axis = Axis {
        lo,
        hi,
        log: d.scale == Scale::Log,
        p0: plot_x0,
        p1: plot_x1,
    };

    // Wrapped note rows and title.
    let line_small = small * 1.45;
    let line = fs * 1.45;
    let title_size = fs * 1.25;
    let title_lines: Vec<String> = d
        .title
        .as_deref()
        .map(|t| font::wrap(t, title_size, true, span_w))
        .unwrap_or_default();
    let note_lines = |s: &str| font::wrap(s, small, false, span_w);
    let mut footer: Vec<String> = Vec::new();
    if let Some(h) = &d.heterogeneity {
        footer.extend(note_lines(&heterogeneity_text(h)));
    }
    if let Some(t) = &d.overall_test {
        footer.extend(note_lines(&effect_test_text("Test for overall effect", t)));
    }
    if let Some(t) = &d.subgroup_test {
        footer.extend(note_lines(&subgroup_test_text(t)));
    }
    let nhead = d
        .data_headers
        .iter()
        .chain(std::iter::once(&d.effect_header))
        .map(|h| h.split('\n').count())
        .max()
        .unwrap_or(1);

    // Heights: rows with graphics share `row_h`; the rest is fixed.
    let min_row_h = fs * 1.7;
    let unit_rows = rows
        .iter()
        .filter(|r| !matches!(r, Row::Note(_) | Row::Spacer))
        .count();
    let fixed_rows: f64 = rows
        .iter()
        .map(|r| match r {
            Row::Note(s) => note_lines(s).len() as f64 * line_small,
            Row::Spacer => fs * 0.6,
            _ => 0.0,
        })
        .sum();
    let top = pad + title_lines.len() as f64 * title_size * 1.4 + nhead as f64 * line + fs * 0.5;
    let favours_h = if d.favours.is_some() { line } else { 0.0 };
    let bottom =
        fs * 0.5 + 6.0 + line + favours_h + fs * 0.5 + footer.len() as f64 * line_small + pad;
    let natural = top + fixed_rows + unit_rows as f64 * min_row_h + bottom;
    let row_h = match o.height {
        Some(h) if h > natural && unit_rows > 0 => min_row_h + (h - natural) / unit_rows as f64,
        _ => min_row_h,
    };
    let total_h = natural + (row_h - min_row_h) * unit_rows as f64;

    let title_text = d
        .title
        .clone()
        .unwrap_or_else(|| format!("Forest plot: {}", d.effect_header));
    let mut svg = Svg::new(total_w, total_h, &title_text);
    let baseline = |cy: f64, size: f64| cy + (font::ascent(size) - font::descent(size)) / 2.0;

    // Title.
    let mut y = pad;
    for l in &title_lines {
        y += title_size * 1.4;
        svg.text(
            &Text::new(pad, y - title_size * 0.4, l, title_size)
                .bold(true)
                .class("title"),
        );
    }
    // Headers, bottom-aligned.
    let head_top = y;
    let head_line_y = |i: usize, n: usize| head_top + (nhead - n + i + 1) as f64 * line - fs * 0.45;
    svg.text(
        &Text::new(x_label, head_line_y(0, 1), &d.label_header, fs)
            .bold(true)
            .class("header"),
    );
    for (j, h) in d.data_headers.iter().enumerate() {
        let ls = header_lines(h);
        for (i, l) in ls.iter().enumerate() {
            svg.text(
                &Text::new(x_data[j], head_line_y(i, ls.len()), l, fs)
                    .bold(true)
                    .anchor(Anchor::End)
                    .class("header"),
            );
        }
    }
    if has_weight {
        svg.text(
            &Text::new(x_weight, head_line_y(0, 1), "Weight", fs)
                .bold(true)
                .anchor(Anchor::End)
                .class("header"),
        );
    }
    let eh = header_lines(&d.effect_header);
    for (i, l) in eh.iter().enumerate() {
        svg.text(
            &Text::new(x_effect, head_line_y(i, eh.len()), l, fs)
                .bold(true)
                .anchor(Anchor::End)
                .class("header"),
        );
        let (shown, _) = font::truncate(l, fs, true, plot_w);
        svg.text(
            &Text::new(
                (plot_x0 + plot_x1) / 2.0,
                head_line_y(i, eh.len()),
                &shown,
                fs,
            )
            .bold(true)
            .anchor(Anchor::Middle)
            .class("header"),
        );
    }
    y = head_top + nhead as f64 * line + fs * 0.2;
    svg.line((pad, y), (total_w - pad, y), "#000", 1.0, "");
    y += fs * 0.3;
    let rows_top = y;

    // Rows.
    let max_w = rows
        .iter()
        .filter_map(|r| match r {
            Row::Study(s) => s.weight.filter(|w| w.is_finite() && *w > 0.0),
            _ => None,
        })
        .fold(0.0, f64::max);
    let max_side = (row_h * 0.8).min(fs * 1.6);
    let min_side = 3.0;
    let mut note_spans: Vec<(f64, f64)> = Vec::new();
    for r in &rows {
        match r {
            Row::Spacer => {
                y += fs * 0.6;
            }
            Row::Note(s) => {
                let n = note_lines(s).len() as f64;
                note_spans.push((y, y + n * line_small));
                for l in note_lines(s) {
                    y += line_small;
                    svg.text(&Text::new(x_label, y - small * 0.45, &l, small).class("note"));
                }
            }
            Row::Heading(name) => {
                let cy = y + row_h / 2.0;
                let (shown, cut) = font::truncate(name, fs, true, span_w);
                svg.text(
                    &Text::new(x_label, baseline(cy, fs), &shown, fs)
                        .bold(true)
                        .class("subgroup-label")
                        .title(cut.then_some(name)),
                );
                y += row_h;
            }
            Row::Study(s) => {
                let cy = y + row_h / 2.0;
                let by = baseline(cy, fs);
                let (shown, cut) = font::truncate(&s.label, fs, false, w_label);
                svg.text(
                    &Text::new(x_label, by, &shown, fs)
                        .class("study-label")
                        .title(cut.then_some(&s.label)),
                );
                for (j, c) in s.data.iter().take(ncol).enumerate() {
                    svg.text(
                        &Text::new(x_data[j], by, c, fs)
                            .anchor(Anchor::End)
                            .class("data"),
                    );
                }
                if let Some(w) = s.weight {
                    svg.text(
                        &Text::new(x_weight, by, &weight_text(w), fs)
                            .anchor(Anchor::End)
                            .class("weight"),
                    );
                }
                let et = effect_text(s.estimate, s.ci_lower, s.ci_upper, digits);
                svg.text(
                    &Text::new(x_effect, by, &et, fs)
                        .anchor(Anchor::End)
                        .class("effect"),
                );
                draw_ci(&mut svg, &axis, s.ci_lower, s.ci_upper, cy, "ci-line");
                if axis.plottable(s.estimate) && s.estimate >= lo && s.estimate <= hi {
                    let side = match s.weight {
                        Some(w) if max_w > 0.0 && w.is_finite() && w > 0.0 => {
                            (max_side * (w / max_w).sqrt()).max(min_side)
                        }
                        _ => max_side * 0.4,
                    };
                    let cx = axis.pos(s.estimate);
                    svg.rect(
                        cx - side / 2.0,
                        cy - side / 2.0,
                        side,
                        side,
                        "class=\"study-square\" fill=\"#1f3b73\"",
                    );
                }
                y += row_h;
            }
            Row::Pooled(p) => {
                let cy = y + row_h / 2.0;
                let by = baseline(cy, fs);
                svg.text(
                    &Text::new(x_label, by, &p.label, fs)
                        .bold(true)
                        .class("pooled-label"),
                );
                if let Some(w) = p.weight {
                    svg.text(
                        &Text::new(x_weight, by, &weight_text(w), fs)
                            .bold(true)
                            .anchor(Anchor::End)
                            .class("weight"),
                    );
                }
                let et = effect_text(p.estimate, p.ci_lower, p.ci_upper, digits);
                svg.text(
                    &Text::new(x_effect, by, &et, fs)
                        .bold(true)
                        .anchor(Anchor::End)
                        .class("effect"),
                );
                if [p.estimate, p.ci_lower, p.ci_upper]
                    .iter()
                    .all(|v| axis.plottable(*v))
                {
                    let h = (row_h * 0.35).min(fs * 0.6);
                    let px = |v: f64| axis.pos(axis.clamp(v));
                    svg.polygon(
                        &[
                            (px(p.ci_lower), cy),
                            (px(p.estimate), cy - h),
                            (px(p.ci_upper), cy),
                            (px(p.estimate), cy + h),
                        ],
                        "class=\"diamond\" fill=\"#000\"",
                    );
                }
                y += row_h;
            }
            Row::Prediction(a, b) => {
                let cy = y + row_h / 2.0;
                let by = baseline(cy, fs);
                svg.text(&Text::new(x_label, by, "Prediction interval", fs).class("pi-label"));
                svg.text(
                    &Text::new(x_effect, by, &pi_text(*a, *b), fs)
                        .anchor(Anchor::End)
                        .class("effect"),
                );
                if axis.plottable(*a) && axis.plottable(*b) {
                    let x0 = axis.pos(axis.clamp(*a));
                    let x1 = axis.pos(axis.clamp(*b));
                    let h = (row_h * 0.25).min(fs * 0.4);
                    svg.rect(
                        x0,
                        cy - h / 2.0,
                        (x1 - x0).max(1.0),
                        h,
                        "class=\"pi-bar\" fill=\"#8c1c13\"",
                    );
                }
                y += row_h;
            }
        }
    }
    let rows_bottom = y;

    // Reference line.
    if let Some(r) = d
        .reference
        .filter(|r| axis.plottable(*r) && *r >= lo && *r <= hi)
    {
        // Broken around the note lines, which may cross the plot.
        let xr = axis.pos(r);
        let mut from = rows_top;
        for (a, b) in note_spans
            .iter()
            .chain(std::iter::once(&(rows_bottom + fs * 0.5, 0.0)))
        {
            if *a > from {
                svg.line((xr, from), (xr, *a), "#555", 1.0, " class=\"ref-line\"");
            }
            from = *b;
        }
    }

    // Axis.
    y = rows_bottom + fs * 0.5;
    svg.line((plot_x0, y), (plot_x1, y), "#000", 1.0, " class=\"axis\"");
    // Thin the labels until neighbours no longer touch.
    let labels_fit = |ts: &[f64]| {
        ts.windows(2).all(|w| {
            let (a, b) = (tick_label(w[0]), tick_label(w[1]));
            axis.pos(w[1]) - axis.pos(w[0]) >= (rw(&a) + rw(&b)) / 2.0 + fs * 0.5
        })
    };
    let mut labelled: Vec<f64> = ticks.clone();
    while labelled.len() > 2 && !labels_fit(&labelled) {
        labelled = labelled.iter().step_by(2).copied().collect();
    }
    ticks.retain(|v| *v >= lo - 1e-12 && *v <= hi + 1e-12);
    for t in &ticks {
        let xt = axis.pos(*t);
        svg.line((xt, y), (xt, y + 5.0), "#000", 1.0, " class=\"tick\"");
    }
    let ty = y + 6.0 + font::ascent(fs);
    for t in &labelled {
        let label = tick_label(*t);
        svg.text(
            &Text::new(axis.pos(*t), ty, &label, fs)
                .anchor(Anchor::Middle)
                .class("tick-label"),
        );
    }
    y += 6.0 + line;
    // Favours labels.
    if let Some((left, right)) = &d.favours {
        let xr = d
            .reference
            .filter(|r| axis.plottable(*r) && *r > lo && *r < hi)
            .map(|r| axis.pos(r))
            .unwrap_or((plot_x0 + plot_x1) / 2.0);
        let fy = y + font::ascent(fs) + fs * 0.1;
        // Keep the labels next to the line of no effect, but slide the split
        // point inwards when one label would run off the figure.
        let half = fs * 0.5;
        let (wl, wr) = (rw(left), rw(right));
        let xr = xr.min(total_w - pad - wr - half).max(pad + wl + half);
        let (l, lcut) = font::truncate(left, fs, false, xr - half - pad);
        let (r, rcut) = font::truncate(right, fs, false, total_w - pad - xr - half);
        svg.text(
            &Text::new(xr - fs * 0.5, fy, &l, fs)
                .anchor(Anchor::End)
                .class("favours")
                .title(lcut.then_some(left)),
        );
        svg.text(
            &Text::new(xr + fs * 0.5, fy, &r, fs)
                .class("favours")
                .title(rcut.then_some(right)),
        );
    }
    y += favours_h + fs * 0.5;
    for l in &footer {
        y += line_small;
        svg.text(&Text::new(x_label, y - small * 0.45, l, small).class("footer"));
    }
    svg.finish()
}

/// A CI line, clipped to the axis with an arrowhead where it leaves it.
fn draw_ci(svg: &mut Svg, axis: &Axis, lo: f64, hi: f64, cy: f64, class: &str) {
    if !(axis.plottable(lo) && axis.plottable(hi)) || hi < axis.lo || lo > axis.hi {
        return;
    }
    let x0 = axis.pos(axis.clamp(lo));
    let x1 = axis.pos(axis.clamp(hi));
    svg.line(
        (x0, cy),
        (x1, cy),
        "#000",
        1.0,
        &format!(" class=\"{class}\""),
    );
    let a = 5.0;
    if lo < axis.lo {
        svg.polygon(
            &[(x0, cy), (x0 + a, cy - a * 0.6), (x0 + a, cy + a * 0.6)],
            "class=\"arrow\" fill=\"#000\"",
        );
    }
    if hi > axis.hi {
        svg.polygon(
            &[(x1, cy), (x1 - a, cy - a * 0.6), (x1 - a, cy + a * 0.6)],
            "class=\"arrow\" fill=\"#000\"",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &str, e: f64, l: f64, u: f64) -> ForestRow {
        ForestRow {
            label: label.into(),
            data: vec![],
            estimate: e,
            ci_lower: l,
            ci_upper: u,
            weight: Some(50.0),
        }
    }

    /// Regression guard: degenerate input draws a figure, never panics.
    #[test]
    fn degenerate_input_still_draws() {
        let empty = forest_svg(&ForestData::new(Scale::Log));
        assert!(empty.starts_with("<svg"));
        let mut d = ForestData::new(Scale::Log);
        d.rows = vec![
            row("zero ratio", 0.0, 0.0, 1.0),
            row("not a number", f64::NAN, f64::NAN, f64::NAN),
            row("infinite CI", 2.0, 0.5, f64::INFINITY),
            row("", 1.0, 1.0, 1.0),
        ];
        let svg = forest_svg(&d);
        assert!(svg.contains(">NA [NA, NA]</text>"));
        // One square for each plottable estimate (2.0 and 1.0).
        assert_eq!(svg.matches("study-square").count(), 2);
        let mut p = ForestData::new(Scale::Percent);
        p.rows = vec![row("only study", 5.0, -1.0, 12.0)];
        assert!(forest_svg(&p).contains("class=\"arrow\""));
    }

    #[test]
    fn footer_lines_read_as_revman_prints_them() {
        let h = Heterogeneity {
            tau2: Some(0.3132),
            q: 152.233,
            df: 12.0,
            pval: 1e-20,
            i2: 92.22,
        };
        assert_eq!(
            heterogeneity_text(&h),
            "Heterogeneity: τ² = 0.31; Q = 152.23, df = 12 (p < 0.001); I² = 92%"
        );
        let t = EffectTest {
            statistic: "t".into(),
            value: -2.5,
            df: Some(12.0),
            pval: 0.028,
        };
        assert_eq!(
            effect_test_text("Test for overall effect", &t),
            "Test for overall effect: t(12) = -2.50 (p = 0.028)"
        );
    }
}
