//! Where everything of an x–y chart goes: the axes (nice ticks around the
//! data, never a tick interval beyond it), the panel inside the margins the
//! tick labels need, the point labels (beside their point, on the first
//! side where they overlap no other label or point and stay inside the panel, else
//! left out; the point keeps its name as a tooltip), and the legend rows.

use super::data::{Layer, ScatterData};
use crate::axis::{linear_ticks, log_ticks, tick_label, Axis};
use crate::font::{self, text_width};
use crate::svg::title_lines;

/// A point label placed in px: the text's start and baseline.
pub(super) struct Placed {
    pub(super) x: f64,
    pub(super) y: f64,
    pub(super) text: String,
}

/// The computed geometry of one chart.
pub(super) struct Layout<'a> {
    pub(super) d: &'a ScatterData,
    pub(super) fs: f64,
    pub(super) pad: f64,
    pub(super) line: f64,
    pub(super) xa: Axis,
    pub(super) ya: Axis,
    pub(super) x_ticks: Vec<f64>,
    pub(super) y_ticks: Vec<f64>,
    pub(super) title_lines: Vec<String>,
    pub(super) labels: Vec<Placed>,
    /// Indices of the layers with a legend entry, one list per row.
    pub(super) legend_rows: Vec<Vec<usize>>,
    pub(super) swatch: f64,
    pub(super) total_h: f64,
}

impl Layout<'_> {
    /// The text of a tick on the x axis (ratios for log ratios).
    pub(super) fn x_text(&self, t: f64) -> String {
        if self.d.x_ratio {
            let v = t.exp();
            let digits = 10 - v.abs().log10().ceil() as i32;
            let f = 10f64.powi(digits.clamp(0, 300));
            tick_label((v * f).round() / f)
        } else {
            tick_label(t)
        }
    }

    /// The width a legend entry takes, its gap included.
    pub(super) fn item_w(&self, text: &str) -> f64 {
        self.swatch + 4.0 + text_width(text, self.fs, false) + self.fs * 1.2
    }
}

/// Nice limits and ticks of values `v` (and `limits` when given).
fn ticks(
    v: impl Iterator<Item = f64>,
    limits: Option<(f64, f64)>,
    target: usize,
) -> (f64, f64, Vec<f64>) {
    if let Some((a, b)) = limits.filter(|(a, b)| a < b) {
        let (_, _, t) = linear_ticks(a, b, target);
        let t = t
            .into_iter()
            .filter(|x| *x >= a - 1e-12 && *x <= b + 1e-12)
            .collect();
        return (a, b, t);
    }
    let (lo, hi) = v
        .filter(|x| x.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
    if lo > hi {
        return linear_ticks(0.0, 1.0, target);
    }
    linear_ticks(lo, hi, target)
}

/// Limits and ticks of log ratios `v`: ratio ticks (1, 2, 5 × 10^k, or
/// powers of ten) on the log scale.
fn ratio_ticks(v: impl Iterator<Item = f64>, limits: Option<(f64, f64)>) -> (f64, f64, Vec<f64>) {
    let (lo, hi) = limits.filter(|(a, b)| a < b).unwrap_or_else(|| {
        v.filter(|x| x.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                (a.min(x), b.max(x))
            })
    });
    if lo > hi {
        return (-1.0, 1.0, vec![-1.0, 0.0, 1.0]);
    }
    let (a, b, t) = log_ticks(lo.exp(), hi.exp());
    (a.ln(), b.ln(), t.into_iter().map(f64::ln).collect())
}

/// Lays out the chart `d`.
pub(super) fn layout(d: &ScatterData) -> Layout<'_> {
    let fs = d.font_size;
    let pad = fs;
    let line = fs * 1.45;
    let pts: Vec<(f64, f64)> = d.layers.iter().flat_map(Layer::extent).collect();
    let xs = pts.iter().map(|p| p.0).chain(d.x_include.iter().copied());
    let (xlo, xhi, x_ticks) = if d.x_ratio {
        ratio_ticks(xs, d.x_limits)
    } else {
        ticks(xs, d.x_limits, 6)
    };
    let (ylo, yhi, y_ticks) = ticks(
        pts.iter().map(|p| p.1).chain(d.y_include.iter().copied()),
        d.y_limits,
        5,
    );
    let y_label_w = y_ticks
        .iter()
        .map(|t| text_width(&tick_label(*t), fs, false))
        .fold(0.0, f64::max);
    let title_lines = title_lines(d.title.as_deref(), fs, d.width - 2.0 * pad);
    let top = pad + title_lines.len() as f64 * fs * 1.75 + line + fs * 0.6;
    let left = pad + y_label_w + 8.0;
    let right = d.width - pad - fs * 1.5;
    let swatch = fs * 2.0;
    let legend_w = |t: &str| swatch + 4.0 + text_width(t, fs, false) + fs * 1.2;
    let legend_rows = legend_rows(d, d.width - 2.0 * pad, legend_w);
    let bottom_extra = 10.0 + line + line + legend_rows.len() as f64 * line + pad;
    let plot_bottom = (d.height - bottom_extra).max(top + 120.0);
    let xa = Axis {
        lo: xlo,
        hi: xhi,
        log: false,
        p0: left,
        p1: right,
    };
    let ya = Axis {
        lo: ylo,
        hi: yhi,
        log: false,
        p0: plot_bottom,
        p1: top,
    };
    let labels = place_labels(d, &xa, &ya, fs);
    Layout {
        d,
        fs,
        pad,
        line,
        xa,
        ya,
        x_ticks,
        y_ticks,
        title_lines,
        labels,
        legend_rows,
        swatch,
        total_h: plot_bottom + bottom_extra,
    }
}

/// The layers with a legend entry in rows no wider than `width`.
fn legend_rows(d: &ScatterData, width: f64, item_w: impl Fn(&str) -> f64) -> Vec<Vec<usize>> {
    let entries: Vec<(usize, f64)> = d
        .layers
        .iter()
        .enumerate()
        .filter_map(|(i, l)| l.legend_text().map(|t| (i, item_w(t))))
        .collect();
    let widths: Vec<f64> = entries.iter().map(|e| e.1).collect();
    crate::legend::rows(&widths, width)
        .into_iter()
        .map(|r| r.into_iter().map(|j| entries[j].0).collect())
        .collect()
}

/// Places every point label on the first side (right, left, above, below)
/// where its box overlaps no placed label, point or text of a `Texts`
/// layer and stays in the panel.
fn place_labels(d: &ScatterData, xa: &Axis, ya: &Axis, fs: f64) -> Vec<Placed> {
    let (asc, desc) = (font::ascent(fs), font::descent(fs));
    // Every point is an obstacle for every label.
    let discs: Vec<(f64, f64, f64, f64)> = d
        .layers
        .iter()
        .filter_map(|l| match l {
            Layer::Points { points, .. } => Some(points),
            _ => None,
        })
        .flatten()
        .filter(|p| p.x.is_finite() && p.y.is_finite())
        .map(|p| {
            let r = p.r.unwrap_or(d.point_radius);
            let (x, y) = (xa.pos(p.x), ya.pos(p.y));
            (x - r, y - r, x + r, y + r)
        })
        .collect();
    // Texts placed by their layer (an axis drawn inside the panel) are
    // obstacles too, with the geometry `draw` gives them.
    let mut boxes: Vec<(f64, f64, f64, f64)> = d
        .layers
        .iter()
        .filter_map(|l| match l {
            Layer::Texts { items, .. } => Some(items),
            _ => None,
        })
        .flatten()
        .filter(|(x, y, _)| x.is_finite() && y.is_finite())
        .map(|(x, y, text)| {
            let f = fs * 0.9;
            let (a, dsc) = (font::ascent(f), font::descent(f));
            let x0 = xa.pos(*x) + 3.0;
            let base = ya.pos(*y) + (font::ascent(fs) - font::descent(fs)) / 2.0;
            (x0, base - a, x0 + text_width(text, f, false), base + dsc)
        })
        .collect();
    let mut out = Vec::new();
    for layer in &d.layers {
        let Layer::Points { points, .. } = layer else {
            continue;
        };
        for p in points {
            let Some(text) = &p.label else {
                continue;
            };
            if !(p.x.is_finite() && p.y.is_finite()) {
                continue;
            }
            let (px, py) = (xa.pos(p.x), ya.pos(p.y));
            let r = p.r.unwrap_or(d.point_radius) + 2.0;
            let w = text_width(text, fs, false);
            let mid = py + (asc - desc) / 2.0;
            let candidates = [
                (px + r, mid),
                (px - r - w, mid),
                (px - w / 2.0, py - r - desc),
                (px - w / 2.0, py + r + asc),
            ];
            let inside = |b: &(f64, f64, f64, f64)| {
                b.0 >= xa.p0 && b.2 <= xa.p1 && b.1 >= ya.p1 && b.3 <= ya.p0
            };
            let free = |b: &(f64, f64, f64, f64)| {
                boxes
                    .iter()
                    .chain(&discs)
                    .all(|o| b.2 <= o.0 || o.2 <= b.0 || b.3 <= o.1 || o.3 <= b.1)
            };
            if let Some((x, y)) = candidates.into_iter().find(|(x, y)| {
                let b = (*x, y - asc, x + w, y + desc);
                inside(&b) && free(&b)
            }) {
                boxes.push((x, y - asc, x + w, y + desc));
                out.push(Placed {
                    x,
                    y,
                    text: text.clone(),
                });
            }
        }
    }
    out
}
