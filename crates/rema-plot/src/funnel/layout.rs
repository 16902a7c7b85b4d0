//! Where everything of a funnel plot goes: the contour levels in order, the
//! axes (standard error from 0 at the top, effects wide enough for the
//! outermost contour), the legend items and their rows, and the heights.

use super::data::{contour_z, FunnelData};
use crate::axis::{linear_ticks, log_ticks, tick_label, Axis};
use crate::font::text_width;
use crate::svg::{num, title_lines};

/// The computed geometry of one funnel plot.
pub(super) struct Layout<'a> {
    pub(super) d: &'a FunnelData,
    pub(super) fs: f64,
    pub(super) pad: f64,
    pub(super) line: f64,
    /// Contour levels in (0, 100), ascending.
    pub(super) levels: Vec<f64>,
    /// The x of the contours' apex: the null value or the estimate.
    pub(super) center: f64,
    /// The largest standard error on the axis.
    pub(super) se_hi: f64,
    pub(super) y_ticks: Vec<f64>,
    pub(super) y_labels: Vec<String>,
    pub(super) x_ticks: Vec<f64>,
    pub(super) xa: Axis,
    pub(super) ya: Axis,
    pub(super) title_lines: Vec<String>,
    /// The plot panel: top, left, right and bottom edges.
    pub(super) top: f64,
    pub(super) left: f64,
    pub(super) right: f64,
    pub(super) plot_bottom: f64,
    pub(super) total_h: f64,
    pub(super) legend: Vec<LegendItem>,
    /// Indices into `legend`, one list per legend row.
    pub(super) legend_rows: Vec<Vec<usize>>,
    /// Width of a legend swatch.
    pub(super) swatch: f64,
    /// Radius of a study's point.
    pub(super) r: f64,
}

/// One entry of the legend.
pub(super) struct LegendItem {
    pub(super) text: String,
    pub(super) kind: LegendKind,
}

/// What a legend entry's swatch shows.
#[derive(Clone, Copy)]
pub(super) enum LegendKind {
    /// A pseudo-CI line, with the dash pattern of this index.
    Line(usize),
    /// A significance band, in the shade of this index.
    Shade(usize),
    /// A study.
    Point,
    /// A study filled in by trim-and-fill.
    Hollow,
    /// The pooled estimate's line (solid).
    Estimate,
    /// The estimate after trim-and-fill (dashed).
    Adjusted,
}

impl Layout<'_> {
    /// The width a legend entry takes, its gap included.
    pub(super) fn item_w(&self, text: &str) -> f64 {
        item_w(text, self.fs, self.swatch)
    }

    /// The text of a tick on the effect axis (ratios for log ratios).
    pub(super) fn x_label_of(&self, t: f64) -> String {
        if self.d.ratio {
            tick_label(clean_exp(t))
        } else {
            tick_label(t)
        }
    }
}

fn item_w(text: &str, fs: f64, swatch: f64) -> f64 {
    swatch + 4.0 + text_width(text, fs, false) + fs * 1.2
}

/// Lays out the funnel plot of `d`.
pub(super) fn layout(d: &FunnelData) -> Layout<'_> {
    let fs = d.font_size;
    let pad = fs;
    let line = fs * 1.45;
    let mut levels: Vec<f64> = d
        .contours
        .iter()
        .copied()
        .filter(|l| *l > 0.0 && *l < 100.0)
        .collect();
    levels.sort_by(f64::total_cmp);
    let all_se = d
        .sei
        .iter()
        .chain(d.filled.iter().map(|(_, s)| s))
        .copied()
        .filter(|s| s.is_finite() && *s >= 0.0);
    let se_max = all_se.fold(0.0, f64::max);
    let se_max = if se_max > 0.0 { se_max } else { 1.0 };
    // The axis ends at the first tick at or above the largest SE.
    let (_, se_hi, y_ticks) = linear_ticks(0.0, se_max, 4);
    let center = match (d.contour_center, d.adjusted_estimate) {
        (Some(c), _) => c,
        (None, Some(a)) if d.contours_on_adjusted && a.is_finite() => a,
        _ => d.estimate,
    };
    let (xlo, xhi, x_ticks) = effect_range(d, &levels, center, se_hi);

    let y_labels: Vec<String> = y_ticks.iter().map(|t| tick_label(*t)).collect();
    let y_label_w = y_labels
        .iter()
        .map(|l| text_width(l, fs, false))
        .fold(0.0, f64::max);
    let title_lines = title_lines(d.title.as_deref(), fs, d.width - 2.0 * pad);
    let top = pad + title_lines.len() as f64 * fs * 1.75 + line + fs * 0.6; // y-axis label line
    let left = pad + y_label_w + 8.0;
    let right = d.width - pad - fs * 1.5;
    let legend = legend(d, &levels);
    let swatch = fs * 2.0;
    let widths: Vec<f64> = legend.iter().map(|l| item_w(&l.text, fs, swatch)).collect();
    let legend_rows = crate::legend::rows(&widths, d.width - 2.0 * pad);
    let bottom_extra = 10.0 + line + line + legend_rows.len() as f64 * line + pad;
    let plot_bottom = (d.height - bottom_extra).max(top + 120.0);
    let total_h = plot_bottom + bottom_extra;
    Layout {
        d,
        fs,
        pad,
        line,
        levels,
        center,
        se_hi,
        y_ticks,
        y_labels,
        x_ticks,
        xa: Axis {
            lo: xlo,
            hi: xhi,
            log: false,
            p0: left,
            p1: right,
        },
        ya: Axis {
            lo: 0.0,
            hi: se_hi,
            log: false,
            p0: top,
            p1: plot_bottom,
        },
        title_lines,
        top,
        left,
        right,
        plot_bottom,
        total_h,
        legend,
        legend_rows,
        swatch,
        r: fs * 0.32,
    }
}

/// The limits and ticks of the effect axis: every study, the estimate and
/// the outermost contour at the largest standard error.
fn effect_range(d: &FunnelData, levels: &[f64], center: f64, se_hi: f64) -> (f64, f64, Vec<f64>) {
    let zmax = levels.last().map(|l| contour_z(*l)).unwrap_or(1.96);
    let mut xs: Vec<f64> =
        d.yi.iter()
            .chain(d.filled.iter().map(|(y, _)| y))
            .copied()
            .filter(|v| v.is_finite())
            .collect();
    xs.extend([center - zmax * se_hi, center + zmax * se_hi, d.estimate]);
    let xmin = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let xmax = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if d.ratio {
        let (a, b, t) = log_ticks(xmin.exp(), xmax.exp());
        (
            a.ln(),
            b.ln(),
            t.into_iter().map(f64::ln).collect::<Vec<_>>(),
        )
    } else {
        linear_ticks(xmin, xmax, 6)
    }
}

/// The legend: one entry per contour level, then the studies and, when
/// there are any, the filled-in studies.
fn legend(d: &FunnelData, levels: &[f64]) -> Vec<LegendItem> {
    let ci_text = |l: f64| format!("{}% pseudo-CI", tick_label(l));
    let mut legend: Vec<LegendItem> = Vec::new();
    for (i, l) in levels.iter().enumerate() {
        let p = |l: f64| num(1.0 - l / 100.0, 2);
        let item = if d.contour_center.is_some() {
            let text = match levels.get(i + 1) {
                Some(next) => format!("{} < p < {}", p(*next), p(*l)),
                None => format!("p < {}", p(*l)),
            };
            LegendItem {
                text,
                kind: LegendKind::Shade(i + 1),
            }
        } else {
            let text = ci_text(*l);
            // Levels with the same label share the first one's dashes.
            let j = levels.iter().position(|m| ci_text(*m) == text).unwrap_or(0);
            LegendItem {
                text,
                kind: LegendKind::Line(j),
            }
        };
        legend.push(item);
    }
    legend.push(LegendItem {
        text: "studies".to_string(),
        kind: LegendKind::Point,
    });
    if !d.filled.is_empty() {
        legend.push(LegendItem {
            text: "filled (trim and fill)".to_string(),
            kind: LegendKind::Hollow,
        });
    }
    if d.adjusted_estimate.is_some_and(f64::is_finite) {
        legend.push(LegendItem {
            text: "estimate".to_string(),
            kind: LegendKind::Estimate,
        });
        legend.push(LegendItem {
            text: "adjusted estimate (trim and fill)".to_string(),
            kind: LegendKind::Adjusted,
        });
    }
    legend
}

/// exp(t) rounded to ten significant digits, so that tick labels of log
/// ratios read 0.5, not 0.49999999999.
fn clean_exp(t: f64) -> f64 {
    let v = t.exp();
    let digits = 10 - v.abs().log10().ceil() as i32;
    let f = 10f64.powi(digits.clamp(0, 300));
    (v * f).round() / f
}
