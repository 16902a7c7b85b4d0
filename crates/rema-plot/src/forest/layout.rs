//! Where everything of a forest plot goes: the text columns (as wide as their
//! widest cell), the plot panel and its axis, the wrapped title and footer
//! lines, and the row height (spread out to fill a requested height, never
//! squeezed below a line of text).

use super::data::{
    effect_test_text, effect_text, heterogeneity_text, pi_text, subgroup_test_text, ForestData,
    Row, Scale,
};
use crate::axis::{linear_ticks, log_ticks, Axis};
use crate::font::{self, text_width};

/// The computed geometry of one forest plot.
pub(super) struct Layout<'a> {
    pub(super) d: &'a ForestData,
    pub(super) rows: &'a [Row<'a>],
    /// Font sizes: the body, the notes and footer, the title.
    pub(super) fs: f64,
    pub(super) small: f64,
    pub(super) title_size: f64,
    /// Margin around the figure.
    pub(super) pad: f64,
    /// Line heights of body and small text.
    pub(super) line: f64,
    pub(super) line_small: f64,
    pub(super) cols: Columns,
    /// Left and right ends of the plot panel.
    pub(super) plot_x0: f64,
    pub(super) plot_x1: f64,
    pub(super) plot_w: f64,
    pub(super) total_w: f64,
    pub(super) total_h: f64,
    /// Width available to texts spanning the figure.
    pub(super) span_w: f64,
    pub(super) axis: Axis,
    /// Candidate ticks (some may fall just outside the limits).
    pub(super) ticks: Vec<f64>,
    pub(super) title_lines: Vec<String>,
    pub(super) footer: Vec<String>,
    /// Lines of the tallest header.
    pub(super) nhead: usize,
    /// Height of a row with graphics (study, pooled, heading, prediction).
    pub(super) row_h: f64,
    /// Height of the favours line (0 without one).
    pub(super) favours_h: f64,
}

/// The text columns: widths and right edges (the label column is left-aligned
/// at `x_label`, every other column right-aligned at its edge).
pub(super) struct Columns {
    pub(super) x_label: f64,
    pub(super) w_label: f64,
    pub(super) x_data: Vec<f64>,
    pub(super) has_weight: bool,
    pub(super) x_weight: f64,
    pub(super) x_effect: f64,
}

/// The lines of a header; `\n` splits it.
pub(super) fn header_lines(h: &str) -> Vec<String> {
    h.split('\n').map(str::to_string).collect()
}

impl Layout<'_> {
    /// A note or footer text wrapped to the figure's width.
    pub(super) fn note_lines(&self, s: &str) -> Vec<String> {
        font::wrap(s, self.small, false, self.span_w)
    }
}

/// Lays out the plot of `d`, whose rows are `rows`.
pub(super) fn layout<'a>(d: &'a ForestData, rows: &'a [Row<'a>]) -> Layout<'a> {
    let o = &d.options;
    let fs = o.font_size;
    let small = fs * 0.9;
    let pad = fs;
    let gap = fs * 1.2;
    let cols = columns(d, rows, fs, gap, pad);
    let plot_x0 = cols.x_effect + gap * 1.5;
    // Half of the widest tick label may stick out on the right.
    let tick_margin = fs * 2.0;
    let plot_w = match o.width {
        Some(w) => (w - plot_x0 - pad - tick_margin).max(160.0),
        None => 320.0,
    };
    let plot_x1 = plot_x0 + plot_w;
    let total_w = plot_x1 + tick_margin + pad;
    let span_w = total_w - 2.0 * pad;

    let (lo, hi, ticks) = axis_limits(d);
    let axis = Axis {
        lo,
        hi,
        log: d.scale == Scale::Log,
        p0: plot_x0,
        p1: plot_x1,
    };

    let line_small = small * 1.45;
    let line = fs * 1.45;
    let title_size = fs * 1.25;
    let title_lines: Vec<String> = d
        .title
        .as_deref()
        .map(|t| font::wrap(t, title_size, true, span_w))
        .unwrap_or_default();
    let mut l = Layout {
        d,
        rows,
        fs,
        small,
        title_size,
        pad,
        line,
        line_small,
        cols,
        plot_x0,
        plot_x1,
        plot_w,
        total_w,
        total_h: 0.0,
        span_w,
        axis,
        ticks,
        title_lines,
        footer: Vec::new(),
        nhead: header_count(d),
        row_h: 0.0,
        favours_h: if d.favours.is_some() { line } else { 0.0 },
    };
    l.footer = footer(&l);
    (l.row_h, l.total_h) = heights(&l);
    l
}

/// The widths of the text columns and their right edges.
fn columns(d: &ForestData, rows: &[Row<'_>], fs: f64, gap: f64, pad: f64) -> Columns {
    let o = &d.options;
    let digits = o.digits;
    let ncol = d.data_headers.len();
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
    for r in rows {
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
                w_effect = w_effect.max(rw(&pi_text(*a, *b, digits)));
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
    Columns {
        x_label,
        w_label,
        x_data,
        has_weight,
        x_weight,
        x_effect: x,
    }
}

/// The number of lines of the tallest header.
fn header_count(d: &ForestData) -> usize {
    d.data_headers
        .iter()
        .chain(std::iter::once(&d.effect_header))
        .map(|h| h.split('\n').count())
        .max()
        .unwrap_or(1)
}

/// The footer lines: heterogeneity, the test for the overall effect and the
/// test for subgroup differences, each wrapped.
fn footer(l: &Layout<'_>) -> Vec<String> {
    let d = l.d;
    let mut footer: Vec<String> = Vec::new();
    if let Some(h) = &d.footer.heterogeneity {
        footer.extend(l.note_lines(&heterogeneity_text(h)));
    }
    if let Some(t) = &d.footer.overall_test {
        footer.extend(l.note_lines(&effect_test_text("Test for overall effect", t)));
    }
    if let Some(t) = &d.footer.subgroup_test {
        footer.extend(l.note_lines(&subgroup_test_text(t)));
    }
    footer
}

/// The height of a row with graphics and the figure's height: rows with
/// graphics share what a requested height leaves; the rest is fixed.
fn heights(l: &Layout<'_>) -> (f64, f64) {
    let (fs, pad, line, line_small) = (l.fs, l.pad, l.line, l.line_small);
    let min_row_h = fs * 1.7;
    let unit_rows = l.rows.iter().filter(|r| r.is_unit()).count();
    let fixed_rows: f64 = l
        .rows
        .iter()
        .map(|r| match r {
            Row::Note(s) => l.note_lines(s).len() as f64 * line_small,
            Row::Spacer => fs * 0.6,
            _ => 0.0,
        })
        .sum();
    let top =
        pad + l.title_lines.len() as f64 * l.title_size * 1.4 + l.nhead as f64 * line + fs * 0.5;
    let bottom =
        fs * 0.5 + 6.0 + line + l.favours_h + fs * 0.5 + l.footer.len() as f64 * line_small + pad;
    let natural = top + fixed_rows + unit_rows as f64 * min_row_h + bottom;
    let row_h = match l.d.options.height {
        Some(h) if h > natural && unit_rows > 0 => min_row_h + (h - natural) / unit_rows as f64,
        _ => min_row_h,
    };
    (row_h, natural + (row_h - min_row_h) * unit_rows as f64)
}

/// The axis limits: all estimates and pooled CIs, and the study CIs unless
/// they would stretch the axis to more than three times that core range
/// (then they end in arrows).
fn axis_limits(d: &ForestData) -> (f64, f64, Vec<f64>) {
    let log = d.scale == Scale::Log;
    let t = |v: f64| if log { v.ln() } else { v };
    let u = |v: f64| if log { v.exp() } else { v };
    if let Some((a, b)) = d.options.xlim {
        let (a, b) = (u(t(a)), u(t(b)));
        let ticks = if log {
            log_ticks(a, b).2
        } else {
            linear_ticks(a, b, 5).2
        };
        let ticks = ticks.into_iter().filter(|v| *v >= a && *v <= b).collect();
        return (a, b, ticks);
    }
    let (mut lo, mut hi) = data_limits(d, log);
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

/// The limits the data ask for, on the axis's own scale (ln for a log axis):
/// the core values (estimates, pooled CIs, the reference) widened by the
/// study CIs and prediction intervals, but by no more than the core's range
/// either side.
fn data_limits(d: &ForestData, log: bool) -> (f64, f64) {
    let ok = |v: f64| v.is_finite() && (!log || v > 0.0);
    let t = |v: f64| if log { v.ln() } else { v };
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
    if core.is_empty() {
        return if log {
            (0.1f64.ln(), 10f64.ln())
        } else {
            (-1.0, 1.0)
        };
    }
    let cmin = core.iter().copied().fold(f64::INFINITY, f64::min);
    let cmax = core.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let fmin = full.iter().copied().fold(f64::INFINITY, f64::min);
    let fmax = full.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let cw = (cmax - cmin).max(if log { 0.5 } else { 1e-9 });
    (fmin.max(cmin - cw), fmax.min(cmax + cw))
}
