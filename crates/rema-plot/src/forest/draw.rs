//! Drawing a laid-out forest plot, one function per element: the title, the
//! headers, the rows (study, pooled diamond, prediction bar, subgroup
//! heading, note), the reference line, the axis, the favours labels and the
//! footer.

use super::data::{effect_text, pi_text, weight_text, ForestRow, Pooled, Row};
use super::layout::{header_lines, Layout};
use crate::axis::{tick_label, Axis};
use crate::font::{self, text_width};
use crate::svg::{Anchor, Svg, Text};

/// The SVG document of a laid-out plot.
pub(super) fn draw(l: &Layout<'_>) -> String {
    let d = l.d;
    let title_text = d
        .title
        .clone()
        .unwrap_or_else(|| format!("Forest plot: {}", d.effect_header));
    let mut svg = Svg::new(l.total_w, l.total_h, &title_text);
    let head_top = draw_title(&mut svg, l);
    let rows_top = draw_headers(&mut svg, l, head_top);
    let (rows_bottom, note_spans) = draw_rows(&mut svg, l, rows_top);
    draw_reference_line(&mut svg, l, rows_top, rows_bottom, &note_spans);
    let y = draw_axis(&mut svg, l, rows_bottom);
    draw_favours(&mut svg, l, y);
    draw_footer(&mut svg, l, y + (l.favours_h + l.fs * 0.5));
    svg.finish()
}

/// The baseline that centres a text of `size` vertically on `cy`.
fn baseline(cy: f64, size: f64) -> f64 {
    cy + (font::ascent(size) - font::descent(size)) / 2.0
}

/// The title lines; returns the y where the headers start.
fn draw_title(svg: &mut Svg, l: &Layout<'_>) -> f64 {
    let mut y = l.pad;
    for t in &l.title_lines {
        y += l.title_size * 1.4;
        svg.text(
            &Text::new(l.pad, y - l.title_size * 0.4, t, l.title_size)
                .bold(true)
                .class("title"),
        );
    }
    y
}

/// The column headers, bottom-aligned, and the rule under them; returns the
/// y where the rows start.
fn draw_headers(svg: &mut Svg, l: &Layout<'_>, head_top: f64) -> f64 {
    let (d, c, fs) = (l.d, &l.cols, l.fs);
    let nhead = l.nhead;
    let head_line_y =
        |i: usize, n: usize| head_top + (nhead - n + i + 1) as f64 * l.line - fs * 0.45;
    let header = |svg: &mut Svg, x: f64, y: f64, text: &str, anchor: Anchor| {
        svg.text(
            &Text::new(x, y, text, fs)
                .bold(true)
                .anchor(anchor)
                .class("header"),
        );
    };
    header(
        svg,
        c.x_label,
        head_line_y(0, 1),
        &d.label_header,
        Anchor::Start,
    );
    for (j, h) in d.data_headers.iter().enumerate() {
        let ls = header_lines(h);
        for (i, t) in ls.iter().enumerate() {
            header(svg, c.x_data[j], head_line_y(i, ls.len()), t, Anchor::End);
        }
    }
    if c.has_weight {
        header(svg, c.x_weight, head_line_y(0, 1), "Weight", Anchor::End);
    }
    let eh = header_lines(&d.effect_header);
    for (i, t) in eh.iter().enumerate() {
        let y = head_line_y(i, eh.len());
        header(svg, c.x_effect, y, t, Anchor::End);
        let (shown, _) = font::truncate(t, fs, true, l.plot_w);
        header(
            svg,
            (l.plot_x0 + l.plot_x1) / 2.0,
            y,
            &shown,
            Anchor::Middle,
        );
    }
    let y = head_top + nhead as f64 * l.line + fs * 0.2;
    svg.line((l.pad, y), (l.total_w - l.pad, y), "#000", 1.0, "");
    y + fs * 0.3
}

/// Sizes of the study squares: the side of the heaviest study, of the
/// lightest, and the largest weight.
struct Squares {
    max_w: f64,
    max_side: f64,
    min_side: f64,
}

/// Every row from `top`; returns the y under the last row and the vertical
/// spans of the note lines (the reference line is broken around them).
fn draw_rows(svg: &mut Svg, l: &Layout<'_>, top: f64) -> (f64, Vec<(f64, f64)>) {
    let fs = l.fs;
    let squares = Squares {
        max_w: l
            .rows
            .iter()
            .filter_map(|r| match r {
                Row::Study(s) => s.weight.filter(|w| w.is_finite() && *w > 0.0),
                _ => None,
            })
            .fold(0.0, f64::max),
        max_side: (l.row_h * 0.8).min(fs * 1.6),
        min_side: 3.0,
    };
    let mut y = top;
    let mut note_spans: Vec<(f64, f64)> = Vec::new();
    for r in l.rows {
        let cy = y + l.row_h / 2.0;
        match r {
            Row::Spacer => {
                y += fs * 0.6;
            }
            Row::Note(s) => {
                let lines = l.note_lines(s);
                note_spans.push((y, y + lines.len() as f64 * l.line_small));
                y = draw_note(svg, l, y, &lines);
            }
            Row::Heading(name) => {
                draw_heading(svg, l, cy, name);
                y += l.row_h;
            }
            Row::Study(s) => {
                draw_study(svg, l, cy, s, &squares);
                y += l.row_h;
            }
            Row::Pooled(p) => {
                draw_pooled(svg, l, cy, p);
                y += l.row_h;
            }
            Row::Prediction(a, b) => {
                draw_prediction(svg, l, cy, *a, *b);
                y += l.row_h;
            }
        }
    }
    (y, note_spans)
}

/// The lines of a note row from `y`; returns the y under them.
fn draw_note(svg: &mut Svg, l: &Layout<'_>, mut y: f64, lines: &[String]) -> f64 {
    for t in lines {
        y += l.line_small;
        svg.text(&Text::new(l.cols.x_label, y - l.small * 0.45, t, l.small).class("note"));
    }
    y
}

/// A subgroup's name, across the whole width.
fn draw_heading(svg: &mut Svg, l: &Layout<'_>, cy: f64, name: &str) {
    let (shown, cut) = font::truncate(name, l.fs, true, l.span_w);
    svg.text(
        &Text::new(l.cols.x_label, baseline(cy, l.fs), &shown, l.fs)
            .bold(true)
            .class("subgroup-label")
            .title(cut.then_some(name)),
    );
}

/// A study: label, data, weight and effect texts, its CI and its square.
fn draw_study(svg: &mut Svg, l: &Layout<'_>, cy: f64, s: &ForestRow, sq: &Squares) {
    let (c, fs, axis) = (&l.cols, l.fs, &l.axis);
    let by = baseline(cy, fs);
    let (shown, cut) = font::truncate(&s.label, fs, false, c.w_label);
    svg.text(
        &Text::new(c.x_label, by, &shown, fs)
            .class("study-label")
            .title(cut.then_some(&s.label)),
    );
    for (j, cell) in s.data.iter().take(c.x_data.len()).enumerate() {
        svg.text(
            &Text::new(c.x_data[j], by, cell, fs)
                .anchor(Anchor::End)
                .class("data"),
        );
    }
    if let Some(w) = s.weight {
        svg.text(
            &Text::new(c.x_weight, by, &weight_text(w), fs)
                .anchor(Anchor::End)
                .class("weight"),
        );
    }
    let et = effect_text(s.estimate, s.ci_lower, s.ci_upper, l.d.options.digits);
    svg.text(
        &Text::new(c.x_effect, by, &et, fs)
            .anchor(Anchor::End)
            .class("effect"),
    );
    draw_ci(svg, axis, s.ci_lower, s.ci_upper, cy, "ci-line");
    if axis.plottable(s.estimate) && s.estimate >= axis.lo && s.estimate <= axis.hi {
        let side = match s.weight {
            Some(w) if sq.max_w > 0.0 && w.is_finite() && w > 0.0 => {
                (sq.max_side * (w / sq.max_w).sqrt()).max(sq.min_side)
            }
            _ => sq.max_side * 0.4,
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
}

/// A pooled estimate: bold label, weight and effect texts, and its diamond.
fn draw_pooled(svg: &mut Svg, l: &Layout<'_>, cy: f64, p: &Pooled) {
    let (c, fs, axis) = (&l.cols, l.fs, &l.axis);
    let by = baseline(cy, fs);
    svg.text(
        &Text::new(c.x_label, by, &p.label, fs)
            .bold(true)
            .class("pooled-label"),
    );
    if let Some(w) = p.weight {
        svg.text(
            &Text::new(c.x_weight, by, &weight_text(w), fs)
                .bold(true)
                .anchor(Anchor::End)
                .class("weight"),
        );
    }
    let et = effect_text(p.estimate, p.ci_lower, p.ci_upper, l.d.options.digits);
    svg.text(
        &Text::new(c.x_effect, by, &et, fs)
            .bold(true)
            .anchor(Anchor::End)
            .class("effect"),
    );
    if [p.estimate, p.ci_lower, p.ci_upper]
        .iter()
        .all(|v| axis.plottable(*v))
    {
        let h = (l.row_h * 0.35).min(fs * 0.6);
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
}

/// A prediction interval: its label, its text and its bar.
fn draw_prediction(svg: &mut Svg, l: &Layout<'_>, cy: f64, a: f64, b: f64) {
    let (c, fs, axis) = (&l.cols, l.fs, &l.axis);
    let by = baseline(cy, fs);
    svg.text(&Text::new(c.x_label, by, "Prediction interval", fs).class("pi-label"));
    svg.text(
        &Text::new(c.x_effect, by, &pi_text(a, b, l.d.options.digits), fs)
            .anchor(Anchor::End)
            .class("effect"),
    );
    if axis.plottable(a) && axis.plottable(b) {
        let x0 = axis.pos(axis.clamp(a));
        let x1 = axis.pos(axis.clamp(b));
        let h = (l.row_h * 0.25).min(fs * 0.4);
        svg.rect(
            x0,
            cy - h / 2.0,
            (x1 - x0).max(1.0),
            h,
            "class=\"pi-bar\" fill=\"#8c1c13\"",
        );
    }
}

/// The line of no effect from the first row to the axis, broken around the
/// note lines, which may cross the plot.
fn draw_reference_line(
    svg: &mut Svg,
    l: &Layout<'_>,
    rows_top: f64,
    rows_bottom: f64,
    note_spans: &[(f64, f64)],
) {
    let axis = &l.axis;
    let Some(r) =
        l.d.reference
            .filter(|r| axis.plottable(*r) && *r >= axis.lo && *r <= axis.hi)
    else {
        return;
    };
    let xr = axis.pos(r);
    let mut from = rows_top;
    for (a, b) in note_spans
        .iter()
        .chain(std::iter::once(&(rows_bottom + l.fs * 0.5, 0.0)))
    {
        if *a > from {
            svg.line((xr, from), (xr, *a), "#555", 1.0, " class=\"ref-line\"");
        }
        from = *b;
    }
}

/// The axis under the rows: its line, the ticks within the limits and as many
/// tick labels as fit without touching; returns the y under the labels.
fn draw_axis(svg: &mut Svg, l: &Layout<'_>, rows_bottom: f64) -> f64 {
    let (fs, axis) = (l.fs, &l.axis);
    let rw = |s: &str| text_width(s, fs, false);
    let y = rows_bottom + fs * 0.5;
    svg.line(
        (l.plot_x0, y),
        (l.plot_x1, y),
        "#000",
        1.0,
        " class=\"axis\"",
    );
    // Thin the labels until neighbours no longer touch.
    let labels_fit = |ts: &[f64]| {
        ts.windows(2).all(|w| {
            let (a, b) = (tick_label(w[0]), tick_label(w[1]));
            axis.pos(w[1]) - axis.pos(w[0]) >= (rw(&a) + rw(&b)) / 2.0 + fs * 0.5
        })
    };
    let mut labelled: Vec<f64> = l.ticks.clone();
    while labelled.len() > 2 && !labels_fit(&labelled) {
        labelled = labelled.iter().step_by(2).copied().collect();
    }
    let inside = |v: &&f64| **v >= axis.lo - 1e-12 && **v <= axis.hi + 1e-12;
    for t in l.ticks.iter().filter(inside) {
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
    y + (6.0 + l.line)
}

/// The favours labels under the axis, either side of the line of no effect.
fn draw_favours(svg: &mut Svg, l: &Layout<'_>, y: f64) {
    let Some((left, right)) = &l.d.favours else {
        return;
    };
    let (fs, pad, axis) = (l.fs, l.pad, &l.axis);
    let rw = |s: &str| text_width(s, fs, false);
    let xr =
        l.d.reference
            .filter(|r| axis.plottable(*r) && *r > axis.lo && *r < axis.hi)
            .map(|r| axis.pos(r))
            .unwrap_or((l.plot_x0 + l.plot_x1) / 2.0);
    let fy = y + font::ascent(fs) + fs * 0.1;
    // Keep the labels next to the line of no effect, but slide the split
    // point inwards when one label would run off the figure.
    let half = fs * 0.5;
    let (wl, wr) = (rw(left), rw(right));
    let xr = xr.min(l.total_w - pad - wr - half).max(pad + wl + half);
    let (lt, lcut) = font::truncate(left, fs, false, xr - half - pad);
    let (rt, rcut) = font::truncate(right, fs, false, l.total_w - pad - xr - half);
    svg.text(
        &Text::new(xr - fs * 0.5, fy, &lt, fs)
            .anchor(Anchor::End)
            .class("favours")
            .title(lcut.then_some(left)),
    );
    svg.text(
        &Text::new(xr + fs * 0.5, fy, &rt, fs)
            .class("favours")
            .title(rcut.then_some(right)),
    );
}

/// The footer lines from `y`.
fn draw_footer(svg: &mut Svg, l: &Layout<'_>, mut y: f64) {
    for t in &l.footer {
        y += l.line_small;
        svg.text(&Text::new(l.cols.x_label, y - l.small * 0.45, t, l.small).class("footer"));
    }
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
