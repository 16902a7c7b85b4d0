//! Drawing a laid-out funnel plot, one function per element: the title, the
//! contours, the frame and the axes, the estimate lines, the points and the
//! legend.

use super::data::contour_z;
use super::layout::{Layout, LegendKind};
use crate::axis::Axis;
use crate::font::{self, text_width};
use crate::svg::{draw_title_lines, Anchor, Svg, Text};

const SHADES: [&str; 4] = ["#ffffff", "#e6e6e6", "#c8c8c8", "#a8a8a8"];
const DASHES: [&str; 4] = ["", "6 3", "2 2", "8 3 2 3"];

/// The SVG document of a laid-out funnel plot.
pub(super) fn draw(l: &Layout<'_>) -> String {
    let d = l.d;
    let mut svg = Svg::new(
        d.width,
        l.total_h,
        d.title.as_deref().unwrap_or("Funnel plot"),
    );
    draw_title_lines(&mut svg, &l.title_lines, l.pad, l.fs);
    svg.text(&Text::new(l.pad, l.top - l.fs * 1.1, "Standard error", l.fs).class("axis-label"));
    if d.contour_center.is_some() {
        draw_shaded_contours(&mut svg, l);
    } else {
        draw_contour_lines(&mut svg, l);
    }
    draw_frame_and_se_axis(&mut svg, l);
    let ty = draw_effect_axis(&mut svg, l);
    draw_estimate_lines(&mut svg, l);
    draw_points(&mut svg, l);
    draw_legend(&mut svg, l, ty + l.line * 2.0);
    svg.finish()
}

/// The `stroke-dasharray` attribute of dash pattern `i` (none for the first).
fn dash_attr(i: usize) -> String {
    let dash = DASHES[i.min(DASHES.len() - 1)];
    if dash.is_empty() {
        String::new()
    } else {
        format!(" stroke-dasharray=\"{dash}\"")
    }
}

/// Significance bands around the null: the darkest shade (smallest p)
/// outermost. The whole panel is drawn in the darkest shade, then
/// successively lighter triangles inwards.
fn draw_shaded_contours(svg: &mut Svg, l: &Layout<'_>) {
    let n = l.levels.len();
    svg.rect(
        l.left,
        l.top,
        l.right - l.left,
        l.plot_bottom - l.top,
        &format!(
            "class=\"contour\" fill=\"{}\"",
            SHADES[n.min(SHADES.len() - 1)]
        ),
    );
    for (i, level) in l.levels.iter().rev().enumerate() {
        let z = contour_z(*level);
        let shade = SHADES[(n - 1 - i).min(SHADES.len() - 1)];
        svg.polygon(
            &triangle(&l.xa, &l.ya, l.center, z, l.se_hi),
            &format!("class=\"contour\" fill=\"{shade}\""),
        );
    }
}

/// Pseudo-confidence lines around the estimate, one dash pattern per level.
fn draw_contour_lines(svg: &mut Svg, l: &Layout<'_>) {
    for (i, level) in l.levels.iter().enumerate() {
        let z = contour_z(*level);
        let dash_attr = dash_attr(i);
        let tri = triangle(&l.xa, &l.ya, l.center, z, l.se_hi);
        svg.raw(&format!(
            "<polyline class=\"contour\" points=\"{:.2},{:.2} {:.2},{:.2} {:.2},{:.2}\" fill=\"none\" stroke=\"#666\" stroke-width=\"1\"{dash_attr}/>\n",
            tri[1].0, tri[1].1, tri[0].0, tri[0].1, tri[2].0, tri[2].1
        ));
    }
}

/// The frame of the panel and the standard-error axis on its left.
fn draw_frame_and_se_axis(svg: &mut Svg, l: &Layout<'_>) {
    let fs = l.fs;
    svg.rect(
        l.left,
        l.top,
        l.right - l.left,
        l.plot_bottom - l.top,
        "fill=\"none\" stroke=\"#000\" stroke-width=\"1\"",
    );
    for (t, label) in l.y_ticks.iter().zip(&l.y_labels) {
        let yy = l.ya.pos(*t);
        svg.line(
            (l.left - 4.0, yy),
            (l.left, yy),
            "#000",
            1.0,
            " class=\"tick\"",
        );
        svg.text(
            &Text::new(
                l.left - 6.0,
                yy + (font::ascent(fs) - font::descent(fs)) / 2.0,
                label,
                fs,
            )
            .anchor(Anchor::End)
            .class("tick-label"),
        );
    }
}

/// The effect axis under the panel: ticks, as many labels as fit without
/// touching, and the axis label; returns the baseline of the tick labels.
fn draw_effect_axis(svg: &mut Svg, l: &Layout<'_>) -> f64 {
    let (fs, xa) = (l.fs, &l.xa);
    let labelled = crate::axis::labelled_ticks(
        &l.x_ticks,
        |t| xa.pos(t),
        |t| text_width(&l.x_label_of(t), fs, false),
        fs * 0.5,
    );
    for t in &l.x_ticks {
        let xx = xa.pos(*t);
        svg.line(
            (xx, l.plot_bottom),
            (xx, l.plot_bottom + 4.0),
            "#000",
            1.0,
            " class=\"tick\"",
        );
    }
    let ty = l.plot_bottom + 10.0 + font::ascent(fs);
    for t in &labelled {
        svg.text(
            &Text::new(xa.pos(*t), ty, &l.x_label_of(*t), fs)
                .anchor(Anchor::Middle)
                .class("tick-label"),
        );
    }
    svg.text(
        &Text::new((l.left + l.right) / 2.0, ty + l.line, &l.d.x_label, fs)
            .anchor(Anchor::Middle)
            .class("axis-label"),
    );
    ty
}

/// The pooled estimate (solid) and the estimate after filling (dashed).
fn draw_estimate_lines(svg: &mut Svg, l: &Layout<'_>) {
    let d = l.d;
    let vertical = |svg: &mut Svg, x: f64, attrs: &str| {
        let xe = l.xa.pos(x);
        svg.line((xe, l.top), (xe, l.plot_bottom), "#000", 1.0, attrs);
    };
    if d.estimate.is_finite() {
        vertical(svg, d.estimate, " class=\"estimate-line\"");
    }
    if let Some(a) = d.adjusted_estimate.filter(|a| a.is_finite()) {
        vertical(svg, a, " class=\"adjusted-line\" stroke-dasharray=\"4 3\"");
    }
}

/// The studies (filled) and the studies filled in by trim-and-fill (hollow).
fn draw_points(svg: &mut Svg, l: &Layout<'_>) {
    let d = l.d;
    let points = d.yi.iter().copied().zip(d.sei.iter().copied());
    let studies = points.map(|p| (p, "class=\"study-point\" fill=\"#000\""));
    let filled = d.filled.iter().map(|p| {
        (
            *p,
            "class=\"filled-point\" fill=\"#fff\" stroke=\"#000\" stroke-width=\"1\"",
        )
    });
    for ((yi, se), attrs) in studies.chain(filled) {
        if yi.is_finite() && se.is_finite() {
            svg.circle(l.xa.pos(yi), l.ya.pos(se), l.r, attrs);
        }
    }
}

/// The legend rows from the baseline `ly`.
fn draw_legend(svg: &mut Svg, l: &Layout<'_>, mut ly: f64) {
    let (fs, swatch, r) = (l.fs, l.swatch, l.r);
    for row in &l.legend_rows {
        let mut lx = l.pad;
        for &i in row {
            let item = &l.legend[i];
            let cy = ly - (font::ascent(fs) - font::descent(fs)) / 2.0;
            match item.kind {
                LegendKind::Line(j) => {
                    svg.line((lx, cy), (lx + swatch, cy), "#666", 1.0, &dash_attr(j));
                }
                LegendKind::Shade(j) => {
                    let shade = SHADES[j.min(SHADES.len() - 1)];
                    svg.rect(
                        lx,
                        cy - fs * 0.4,
                        swatch,
                        fs * 0.8,
                        &format!("fill=\"{shade}\" stroke=\"#888\""),
                    );
                }
                LegendKind::Point => svg.circle(lx + swatch / 2.0, cy, r, "fill=\"#000\""),
                LegendKind::Hollow => {
                    svg.circle(lx + swatch / 2.0, cy, r, "fill=\"#fff\" stroke=\"#000\"")
                }
                LegendKind::Estimate => svg.line((lx, cy), (lx + swatch, cy), "#000", 1.0, ""),
                LegendKind::Adjusted => svg.line(
                    (lx, cy),
                    (lx + swatch, cy),
                    "#000",
                    1.0,
                    " stroke-dasharray=\"4 3\"",
                ),
            }
            svg.text(&Text::new(lx + swatch + 4.0, ly, &item.text, fs).class("legend"));
            lx += l.item_w(&item.text);
        }
        ly += l.line;
    }
}

/// The apex at `c` (SE 0) and the two corners at `c ± z·se`, clipped to the
/// effect axis.
fn triangle(xa: &Axis, ya: &Axis, c: f64, z: f64, se: f64) -> [(f64, f64); 3] {
    let clip = |x: f64| xa.pos(x.clamp(xa.lo, xa.hi));
    [
        (xa.pos(c), ya.pos(0.0)),
        (clip(c - z * se), ya.pos(se)),
        (clip(c + z * se), ya.pos(se)),
    ]
}
