//! Drawing a laid-out flow diagram: the arrow marker, the title, each
//! stage's boxes and arrows, and the phase bands on the left.

use super::layout::{Boxed, Geometry, Layout};
use crate::svg::{draw_title_lines, Anchor, Svg, Text};

const ARROW_MARKER: &str = "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#000\"/></marker></defs>\n";

/// The SVG document of a laid-out diagram.
pub(super) fn draw(l: &Layout, title: Option<&str>) -> String {
    let g = &l.g;
    let mut svg = Svg::new(
        g.total_w,
        l.total_h,
        title.unwrap_or("Selection flow (PRISMA 2020)"),
    );
    svg.raw(ARROW_MARKER);
    draw_title_lines(&mut svg, &l.title_lines, g.pad, g.fs);
    let bands = draw_stages(&mut svg, l);
    for (phase, y0, y1) in bands {
        draw_phase(&mut svg, g, phase, y0, y1);
    }
    svg.finish()
}

/// Every stage's boxes and arrows, top to bottom; returns the phase bands
/// (consecutive stages with the same phase share one band).
fn draw_stages(svg: &mut Svg, l: &Layout) -> Vec<(&'static str, f64, f64)> {
    let g = &l.g;
    let mut y = l.top;
    let mut prev_main_bottom: Option<f64> = None;
    let mut bands: Vec<(&'static str, f64, f64)> = Vec::new();
    for s in &l.stages {
        match bands.last_mut() {
            Some((p, _, end)) if *p == s.phase => *end = y + s.height,
            _ => bands.push((s.phase, y, y + s.height)),
        }
        if let Some(b) = &s.main {
            draw_box(svg, g, b, g.x_main, y, g.main_w);
            if let Some(pb) = prev_main_bottom {
                let x = g.x_main + g.main_w / 2.0;
                draw_arrow(svg, (x, pb), (x, y));
            }
            prev_main_bottom = Some(y + b.height);
        }
        if let Some(side) = &s.side {
            draw_box(svg, g, side, g.x_side, y, g.side_w);
            if s.main.is_some() {
                let ya = y + side
                    .height
                    .min(s.main.as_ref().map(|m| m.height).unwrap_or(0.0))
                    / 2.0;
                draw_arrow(svg, (g.x_main + g.main_w, ya), (g.x_side, ya));
            }
        }
        y += s.height + g.vgap;
    }
    bands
}

/// A box at (`x`, `y`) of width `w` with its lines.
fn draw_box(svg: &mut Svg, g: &Geometry, b: &Boxed, x: f64, y: f64, w: f64) {
    svg.rect(
        x,
        y,
        w,
        b.height,
        &format!(
            "class=\"{}\" fill=\"#fff\" stroke=\"#000\" stroke-width=\"1\"",
            b.class
        ),
    );
    let mut ty = y + g.inner - 2.0;
    for (t, is_small) in &b.lines {
        let size = if *is_small { g.small } else { g.fs };
        ty += g.line_h(*is_small);
        svg.text(&Text::new(x + g.inner, ty - size * 0.35, t, size).class("box-text"));
    }
}

/// An arrow from `from` to `to`.
fn draw_arrow(svg: &mut Svg, from: (f64, f64), to: (f64, f64)) {
    svg.line(
        from,
        to,
        "#000",
        1.2,
        " class=\"flow-arrow\" marker-end=\"url(#arrow)\"",
    );
}

/// A phase band from `y0` to `y1` with its name.
fn draw_phase(svg: &mut Svg, g: &Geometry, phase: &str, y0: f64, y1: f64) {
    svg.rect(
        g.pad,
        y0,
        g.phase_w,
        y1 - y0,
        "class=\"phase\" fill=\"#dbe7f3\" stroke=\"#7a99bd\" stroke-width=\"1\"",
    );
    svg.text(
        &Text::new(
            g.pad + g.phase_w / 2.0,
            (y0 + y1) / 2.0 + g.fs * 0.35,
            phase,
            g.fs,
        )
        .bold(true)
        .anchor(Anchor::Middle)
        .class("phase-label"),
    );
}
