//! Drawing a laid-out x–y chart, one function per element: the title, the
//! layers, the frame and the axes, the point labels and the legend.

use std::fmt::Write;

use super::data::Layer;
use super::layout::Layout;
use crate::axis::tick_label;
use crate::font::{self, text_width};
use crate::svg::{draw_title_lines, escape, Anchor, Svg, Text};

/// The SVG document of a laid-out chart.
pub(super) fn draw(l: &Layout<'_>) -> String {
    let d = l.d;
    let title = d.title.as_deref().unwrap_or(&d.y_label);
    let mut svg = Svg::new(d.width, l.total_h, title);
    draw_title_lines(&mut svg, &l.title_lines, l.pad, l.fs);
    svg.text(&Text::new(l.pad, l.ya.p1 - l.fs * 1.1, &d.y_label, l.fs).class("axis-label"));
    svg.raw(&format!(
        "<clipPath id=\"panel\"><rect x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{:.2}\"/></clipPath>\n<g clip-path=\"url(#panel)\">\n",
        l.xa.p0,
        l.ya.p1,
        l.xa.p1 - l.xa.p0,
        l.ya.p0 - l.ya.p1
    ));
    for layer in &d.layers {
        draw_layer(&mut svg, l, layer);
    }
    svg.raw("</g>\n");
    draw_frame_and_axes(&mut svg, l);
    for p in &l.labels {
        svg.text(&Text::new(p.x, p.y, &p.text, l.fs).class("point-label"));
    }
    let ty = l.ya.p0 + 10.0 + font::ascent(l.fs);
    draw_legend(&mut svg, l, ty + l.line * 2.0);
    svg.finish()
}

fn polyline(l: &Layout<'_>, pts: &[(f64, f64)]) -> String {
    pts.iter()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(x, y)| format!("{:.2},{:.2}", l.xa.pos(*x), l.ya.pos(*y)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One layer, inside the panel's clip.
fn draw_layer(svg: &mut Svg, l: &Layout<'_>, layer: &Layer) {
    match layer {
        Layer::Texts { class, items, .. } => {
            let mid = (font::ascent(l.fs) - font::descent(l.fs)) / 2.0;
            for (x, y, text) in items
                .iter()
                .filter(|(x, y, _)| x.is_finite() && y.is_finite())
            {
                svg.text(
                    &Text::new(l.xa.pos(*x) + 3.0, l.ya.pos(*y) + mid, text, l.fs * 0.9)
                        .class(class),
                );
            }
        }
        Layer::Cells {
            class, cells, fill, ..
        } => {
            let mut s = String::new();
            for c in cells {
                let (x0, x1) = (l.xa.pos(c.x0), l.xa.pos(c.x1));
                let (y0, y1) = (l.ya.pos(c.y1), l.ya.pos(c.y0));
                let _ = writeln!(
                    s,
                    "<rect class=\"{class}\" x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{:.2}\" fill=\"{fill}\" fill-opacity=\"{:.3}\"/>",
                    x0.min(x1),
                    y0.min(y1),
                    (x1 - x0).abs(),
                    (y1 - y0).abs(),
                    c.opacity
                );
            }
            svg.raw(&s);
        }
        Layer::Band {
            class,
            lower,
            upper,
            fill,
            ..
        } => {
            let mut pts: Vec<(f64, f64)> = lower.clone();
            pts.extend(upper.iter().rev());
            svg.raw(&format!(
                "<polygon class=\"{class}\" points=\"{}\" fill=\"{fill}\" fill-opacity=\"0.35\" stroke=\"none\"/>\n",
                polyline(l, &pts)
            ));
        }
        Layer::Line {
            class,
            points,
            stroke,
            dash,
            ..
        } => {
            let dash = dash
                .map(|d| format!(" stroke-dasharray=\"{d}\""))
                .unwrap_or_default();
            svg.raw(&format!(
                "<polyline class=\"{class}\" points=\"{}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"1.2\"{dash}/>\n",
                polyline(l, points)
            ));
        }
        Layer::Points {
            class,
            fill,
            stroke,
            points,
            ..
        } => {
            let mut s = String::new();
            for p in points.iter().filter(|p| p.x.is_finite() && p.y.is_finite()) {
                let r = p.r.unwrap_or(l.d.point_radius);
                let tip = p
                    .name
                    .as_deref()
                    .map(|n| format!("<title>{}</title>", escape(n)))
                    .unwrap_or_default();
                let _ = writeln!(
                    s,
                    "<circle class=\"{class}\" cx=\"{:.2}\" cy=\"{:.2}\" r=\"{:.2}\" fill=\"{fill}\" fill-opacity=\"{}\" stroke=\"{stroke}\">{tip}</circle>",
                    l.xa.pos(p.x),
                    l.ya.pos(p.y),
                    r,
                    if p.r.is_some() { "0.6" } else { "1" }
                );
            }
            svg.raw(&s);
        }
    }
}

/// The frame, the ticks with as many labels as fit, and the x-axis label.
fn draw_frame_and_axes(svg: &mut Svg, l: &Layout<'_>) {
    let (fs, xa, ya) = (l.fs, &l.xa, &l.ya);
    svg.rect(
        xa.p0,
        ya.p1,
        xa.p1 - xa.p0,
        ya.p0 - ya.p1,
        "fill=\"none\" stroke=\"#000\" stroke-width=\"1\"",
    );
    let mid = (font::ascent(fs) - font::descent(fs)) / 2.0;
    let mut y_labelled = l.y_ticks.clone();
    while y_labelled.len() > 2
        && y_labelled
            .windows(2)
            .any(|w| (ya.pos(w[0]) - ya.pos(w[1])).abs() < fs * 1.2)
    {
        y_labelled = y_labelled.iter().step_by(2).copied().collect();
    }
    for t in &l.y_ticks {
        let yy = ya.pos(*t);
        svg.line(
            (xa.p0 - 4.0, yy),
            (xa.p0, yy),
            "#000",
            1.0,
            " class=\"tick\"",
        );
    }
    for t in &y_labelled {
        svg.text(
            &Text::new(xa.p0 - 6.0, ya.pos(*t) + mid, &tick_label(*t), fs)
                .anchor(Anchor::End)
                .class("tick-label"),
        );
    }
    let x_labelled = crate::axis::labelled_ticks(
        &l.x_ticks,
        |t| xa.pos(t),
        |t| text_width(&l.x_text(t), fs, false),
        fs * 0.5,
    );
    for t in &l.x_ticks {
        let xx = xa.pos(*t);
        svg.line(
            (xx, ya.p0),
            (xx, ya.p0 + 4.0),
            "#000",
            1.0,
            " class=\"tick\"",
        );
    }
    let ty = ya.p0 + 10.0 + font::ascent(fs);
    for t in &x_labelled {
        svg.text(
            &Text::new(xa.pos(*t), ty, &l.x_text(*t), fs)
                .anchor(Anchor::Middle)
                .class("tick-label"),
        );
    }
    svg.text(
        &Text::new((xa.p0 + xa.p1) / 2.0, ty + l.line, &l.d.x_label, fs)
            .anchor(Anchor::Middle)
            .class("axis-label"),
    );
}

/// The legend rows from the baseline `ly`.
fn draw_legend(svg: &mut Svg, l: &Layout<'_>, mut ly: f64) {
    let (fs, sw) = (l.fs, l.swatch);
    for row in &l.legend_rows {
        let mut lx = l.pad;
        for &i in row {
            let layer = &l.d.layers[i];
            let Some(text) = layer.legend_text() else {
                continue;
            };
            let cy = ly - (font::ascent(fs) - font::descent(fs)) / 2.0;
            match layer {
                Layer::Points { fill, stroke, .. } => svg.circle(
                    lx + sw / 2.0,
                    cy,
                    l.d.point_radius,
                    &format!("fill=\"{fill}\" stroke=\"{stroke}\""),
                ),
                Layer::Line { stroke, dash, .. } => {
                    let dash = dash
                        .map(|d| format!(" stroke-dasharray=\"{d}\""))
                        .unwrap_or_default();
                    svg.line((lx, cy), (lx + sw, cy), stroke, 1.2, &dash);
                }
                Layer::Band { fill, .. } | Layer::Cells { fill, .. } => svg.rect(
                    lx,
                    cy - fs * 0.4,
                    sw,
                    fs * 0.8,
                    &format!("fill=\"{fill}\" fill-opacity=\"0.6\""),
                ),
                Layer::Texts { .. } => {}
            }
            svg.text(&Text::new(lx + sw + 4.0, ly, text, fs).class("legend"));
            lx += l.item_w(text);
        }
        ly += l.line;
    }
}
