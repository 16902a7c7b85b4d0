//! The funnel plot: each study's effect (x, analysis scale) against its
//! standard error (y, 0 at the top), with pseudo-confidence contours.
//!
//! Contours, for each level L (e.g. 90, 95, 99 %) with z = Φ⁻¹(1 − (1 − L/100)/2):
//! the lines x = c ± z·SE, from SE = 0 to the largest SE, with c the pooled
//! estimate (Sterne & Egger 2001; metafor `funnel(level = ...)`), or, with
//! [`FunnelData::contour_center`] set to the null value, the
//! contour-enhanced funnel of Peters et al. (2008; metafor
//! `funnel(level = c(90, 95, 99), refline = 0, shade = ...)`), whose shaded
//! bands mark where a study's own test would reach p < 0.10, 0.05, 0.01.
//! Studies filled in by trim-and-fill are drawn hollow.

use crate::axis::{linear_ticks, log_ticks, tick_label, Axis};
use crate::font::{self, text_width};
use crate::svg::{num, Anchor, Svg, Text};

/// Everything a funnel plot shows. Effects are on the analysis scale.
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelData {
    pub title: Option<String>,
    pub yi: Vec<f64>,
    pub sei: Vec<f64>,
    /// The pooled estimate (vertical line; centre of the pseudo-CI contours).
    pub estimate: f64,
    /// Studies imputed by trim-and-fill, `(yi, sei)`, drawn hollow.
    pub filled: Vec<(f64, f64)>,
    /// The estimate after filling, drawn dashed.
    pub adjusted_estimate: Option<f64>,
    /// Contour levels in percent, e.g. `[90, 95, 99]`.
    pub contours: Vec<f64>,
    /// None: pseudo-CI lines around `estimate`; Some(c): shaded significance
    /// contours around the null value c (Peters et al. 2008).
    pub contour_center: Option<f64>,
    /// Effects are log ratios: tick labels show exp(x).
    pub ratio: bool,
    /// x-axis label, e.g. `Risk ratio (log scale)`.
    pub x_label: String,
    pub width: f64,
    pub height: f64,
    pub font_size: f64,
}

impl FunnelData {
    pub fn new(yi: Vec<f64>, sei: Vec<f64>, estimate: f64) -> FunnelData {
        FunnelData {
            title: None,
            yi,
            sei,
            estimate,
            filled: Vec::new(),
            adjusted_estimate: None,
            contours: vec![90.0, 95.0, 99.0],
            contour_center: None,
            ratio: false,
            x_label: "Effect".to_string(),
            width: 560.0,
            height: 440.0,
            font_size: 12.0,
        }
    }
}

/// z = Φ⁻¹(1 − (1 − level/100)/2).
pub fn contour_z(level: f64) -> f64 {
    rema_core::fit::critical_value(level, None)
}

const SHADES: [&str; 4] = ["#ffffff", "#e6e6e6", "#c8c8c8", "#a8a8a8"];
const DASHES: [&str; 4] = ["", "6 3", "2 2", "8 3 2 3"];

/// Draws the funnel plot as an SVG document.
pub fn funnel_svg(d: &FunnelData) -> String {
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
    let (_, se_hi, y_ticks) = linear_ticks(0.0, se_max * 1.05, 4);
    let center = d.contour_center.unwrap_or(d.estimate);
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
    let (xlo, xhi, x_ticks) = if d.ratio {
        let (a, b, t) = log_ticks(xmin.exp(), xmax.exp());
        (
            a.ln(),
            b.ln(),
            t.into_iter().map(f64::ln).collect::<Vec<_>>(),
        )
    } else {
        linear_ticks(xmin, xmax, 6)
    };

    // Layout.
    let y_labels: Vec<String> = y_ticks.iter().map(|t| tick_label(*t)).collect();
    let y_label_w = y_labels
        .iter()
        .map(|l| text_width(l, fs, false))
        .fold(0.0, f64::max);
    let title_lines = d
        .title
        .as_deref()
        .map(|t| font::wrap(t, fs * 1.25, true, d.width - 2.0 * pad))
        .unwrap_or_default();
    let top = pad + title_lines.len() as f64 * fs * 1.75 + line + fs * 0.6; // y-axis label line
    let left = pad + y_label_w + 8.0;
    let right = d.width - pad - fs * 1.5;
    // Legend items.
    let mut legend: Vec<(String, &str)> = Vec::new();
    for (i, l) in levels.iter().enumerate() {
        let kind = if d.contour_center.is_some() {
            "shade"
        } else {
            "line"
        };
        let p = |l: f64| num(1.0 - l / 100.0, 2);
        let text = if d.contour_center.is_some() {
            match levels.get(i + 1) {
                Some(next) => format!("{} < p < {}", p(*next), p(*l)),
                None => format!("p < {}", p(*l)),
            }
        } else {
            format!("{}% pseudo-CI", tick_label(*l))
        };
        legend.push((text, kind));
    }
    legend.push(("studies".to_string(), "point"));
    if !d.filled.is_empty() {
        legend.push(("filled (trim and fill)".to_string(), "hollow"));
    }
    let swatch = fs * 2.0;
    let item_w = |t: &str| swatch + 4.0 + text_width(t, fs, false) + fs * 1.2;
    let mut legend_rows: Vec<Vec<usize>> = vec![Vec::new()];
    let mut xcur = 0.0;
    for (i, (t, _)) in legend.iter().enumerate() {
        let w = item_w(t);
        if xcur + w > d.width - 2.0 * pad && !legend_rows.last().is_some_and(|r| r.is_empty()) {
            legend_rows.push(Vec::new());
            xcur = 0.0;
        }
        if let Some(r) = legend_rows.last_mut() {
            r.push(i);
        }
        xcur += w;
    }
    let bottom_extra = 10.0 + line + line + legend_rows.len() as f64 * line + pad;
    let plot_bottom = (d.height - bottom_extra).max(top + 120.0);
    let total_h = plot_bottom + bottom_extra;
    let xa = Axis {
        lo: xlo,
        hi: xhi,
        log: false,
        p0: left,
        p1: right,
    };
    let ya = Axis {
        lo: 0.0,
        hi: se_hi,
        log: false,
        p0: top,
        p1: plot_bottom,
    };

    let mut svg = Svg::new(
        d.width,
        total_h,
        d.title.as_deref().unwrap_or("Funnel plot"),
    );
    let mut y = pad;
    for l in &title_lines {
        y += fs * 1.75;
        svg.text(
            &Text::new(pad, y - fs * 0.5, l, fs * 1.25)
                .bold(true)
                .class("title"),
        );
    }
    svg.text(&Text::new(pad, top - fs * 1.1, "Standard error", fs).class("axis-label"));

    // Contours: shaded bands around the null, or lines around the estimate.
    if d.contour_center.is_some() {
        // Darkest (smallest p) outermost: draw the whole panel in the darkest
        // shade, then successively lighter triangles inwards.
        let n = levels.len();
        svg.rect(
            left,
            top,
            right - left,
            plot_bottom - top,
            &format!(
                "class=\"contour\" fill=\"{}\"",
                SHADES[n.min(SHADES.len() - 1)]
            ),
        );
        for (i, l) in levels.iter().rev().enumerate() {
            let z = contour_z(*l);
            let shade = SHADES[(n - 1 - i).min(SHADES.len() - 1)];
            svg.polygon(
                &triangle(&xa, &ya, center, z, se_hi),
                &format!("class=\"contour\" fill=\"{shade}\""),
            );
        }
    } else {
        for (i, l) in levels.iter().enumerate() {
            let z = contour_z(*l);
            let dash = DASHES[i.min(DASHES.len() - 1)];
            let dash_attr = if dash.is_empty() {
                String::new()
            } else {
                format!(" stroke-dasharray=\"{dash}\"")
            };
            let tri = triangle(&xa, &ya, center, z, se_hi);
            svg.raw(&format!(
                "<polyline class=\"contour\" points=\"{:.2},{:.2} {:.2},{:.2} {:.2},{:.2}\" fill=\"none\" stroke=\"#666\" stroke-width=\"1\"{dash_attr}/>\n",
                tri[1].0, tri[1].1, tri[0].0, tri[0].1, tri[2].0, tri[2].1
            ));
        }
    }
    // Frame and axes.
    svg.rect(
        left,
        top,
        right - left,
        plot_bottom - top,
        "fill=\"none\" stroke=\"#000\" stroke-width=\"1\"",
    );
    for (t, l) in y_ticks.iter().zip(&y_labels) {
        let yy = ya.pos(*t);
        svg.line((left - 4.0, yy), (left, yy), "#000", 1.0, " class=\"tick\"");
        svg.text(
            &Text::new(
                left - 6.0,
                yy + (font::ascent(fs) - font::descent(fs)) / 2.0,
                l,
                fs,
            )
            .anchor(Anchor::End)
            .class("tick-label"),
        );
    }
    let x_label_of = |t: f64| {
        if d.ratio {
            tick_label(clean_exp(t))
        } else {
            tick_label(t)
        }
    };
    let mut labelled: Vec<f64> = x_ticks.clone();
    let fits = |ts: &[f64]| {
        ts.windows(2).all(|w| {
            xa.pos(w[1]) - xa.pos(w[0])
                >= (text_width(&x_label_of(w[0]), fs, false)
                    + text_width(&x_label_of(w[1]), fs, false))
                    / 2.0
                    + fs * 0.5
        })
    };
    while labelled.len() > 2 && !fits(&labelled) {
        labelled = labelled.iter().step_by(2).copied().collect();
    }
    for t in &x_ticks {
        let xx = xa.pos(*t);
        svg.line(
            (xx, plot_bottom),
            (xx, plot_bottom + 4.0),
            "#000",
            1.0,
            " class=\"tick\"",
        );
    }
    let ty = plot_bottom + 10.0 + font::ascent(fs);
    for t in &labelled {
        svg.text(
            &Text::new(xa.pos(*t), ty, &x_label_of(*t), fs)
                .anchor(Anchor::Middle)
                .class("tick-label"),
        );
    }
    svg.text(
        &Text::new((left + right) / 2.0, ty + line, &d.x_label, fs)
            .anchor(Anchor::Middle)
            .class("axis-label"),
    );
    // Estimate lines.
    if d.estimate.is_finite() {
        let xe = xa.pos(d.estimate);
        svg.line(
            (xe, top),
            (xe, plot_bottom),
            "#000",
            1.0,
            " class=\"estimate-line\"",
        );
    }
    if let Some(a) = d.adjusted_estimate.filter(|a| a.is_finite()) {
        let xe = xa.pos(a);
        svg.line(
            (xe, top),
            (xe, plot_bottom),
            "#000",
            1.0,
            " class=\"adjusted-line\" stroke-dasharray=\"4 3\"",
        );
    }
    // Points.
    let r = fs * 0.32;
    for (yi, se) in d.yi.iter().zip(&d.sei) {
        if yi.is_finite() && se.is_finite() {
            svg.circle(
                xa.pos(*yi),
                ya.pos(*se),
                r,
                "class=\"study-point\" fill=\"#000\"",
            );
        }
    }
    for (yi, se) in &d.filled {
        if yi.is_finite() && se.is_finite() {
            svg.circle(
                xa.pos(*yi),
                ya.pos(*se),
                r,
                "class=\"filled-point\" fill=\"#fff\" stroke=\"#000\" stroke-width=\"1\"",
            );
        }
    }
    // Legend.
    let mut ly = ty + line * 2.0;
    for row in &legend_rows {
        let mut lx = pad;
        for &i in row {
            let (text, kind) = &legend[i];
            let cy = ly - (font::ascent(fs) - font::descent(fs)) / 2.0;
            match *kind {
                "line" => {
                    let j = levels
                        .iter()
                        .position(|l| format!("{}% pseudo-CI", tick_label(*l)) == *text)
                        .unwrap_or(0);
                    let dash = DASHES[j.min(DASHES.len() - 1)];
                    let extra = if dash.is_empty() {
                        String::new()
                    } else {
                        format!(" stroke-dasharray=\"{dash}\"")
                    };
                    svg.line((lx, cy), (lx + swatch, cy), "#666", 1.0, &extra);
                }
                "shade" => {
                    let j = legend
                        .iter()
                        .take(i + 1)
                        .filter(|(_, k)| *k == "shade")
                        .count();
                    let shade = SHADES[j.min(SHADES.len() - 1)];
                    svg.rect(
                        lx,
                        cy - fs * 0.4,
                        swatch,
                        fs * 0.8,
                        &format!("fill=\"{shade}\" stroke=\"#888\""),
                    );
                }
                "point" => svg.circle(lx + swatch / 2.0, cy, r, "fill=\"#000\""),
                _ => svg.circle(lx + swatch / 2.0, cy, r, "fill=\"#fff\" stroke=\"#000\""),
            }
            svg.text(&Text::new(lx + swatch + 4.0, ly, text, fs).class("legend"));
            lx += item_w(text);
        }
        ly += line;
    }
    svg.finish()
}

fn clean_exp(t: f64) -> f64 {
    let v = t.exp();
    let digits = 10 - v.abs().log10().ceil() as i32;
    let f = 10f64.powi(digits.clamp(0, 300));
    (v * f).round() / f
}

fn triangle(xa: &Axis, ya: &Axis, c: f64, z: f64, se: f64) -> [(f64, f64); 3] {
    let clip = |x: f64| xa.pos(x.clamp(xa.lo, xa.hi));
    [
        (xa.pos(c), ya.pos(0.0)),
        (clip(c - z * se), ya.pos(se)),
        (clip(c + z * se), ya.pos(se)),
    ]
}
