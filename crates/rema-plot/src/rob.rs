//! The risk-of-bias traffic-light figure: studies × domains, one coloured
//! circle with a symbol per judgement (colour is never the only cue), the
//! domains numbered D1… over the columns and named in a legend underneath,
//! and a legend of the judgements used. Also an HTML table of the same.

use std::fmt::Write;

use crate::font::{self, text_width};
use crate::svg::{draw_title_lines, escape, title_lines, Anchor, Svg, Text};

pub use rema_data::review::Judgement;

/// A judgement's fill colour and symbol: green `+` for yes and low risk, red
/// `×` for no and high risk, amber `−` for some concerns, grey `?` for not
/// reported and unclear, white and empty for not applicable.
pub fn judgement_style(j: Judgement) -> (&'static str, &'static str) {
    match j {
        Judgement::Yes | Judgement::Low => ("#2e9e4f", "+"),
        Judgement::No | Judgement::High => ("#c62828", "\u{00d7}"),
        Judgement::SomeConcerns => ("#f2b705", "\u{2212}"),
        Judgement::NotReported | Judgement::Unclear => ("#9e9e9e", "?"),
        Judgement::NotApplicable => ("#ffffff", ""),
    }
}

/// Judgements per study and domain.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskOfBias {
    pub title: Option<String>,
    pub studies: Vec<String>,
    pub domains: Vec<String>,
    /// `judgements[study][domain]`; None where missing.
    pub judgements: Vec<Vec<Option<Judgement>>>,
}

/// Draws the traffic-light figure as an SVG document.
///
/// ```
/// use rema_plot::{risk_of_bias_svg, Judgement, RiskOfBias};
///
/// let r = RiskOfBias {
///     title: None,
///     studies: vec!["Smith 2001".into(), "Jones 2003".into()],
///     domains: vec!["Blinding".into()],
///     judgements: vec![vec![Judgement::parse("low")], vec![None]],
/// };
/// let svg = risk_of_bias_svg(&r);
/// assert!(svg.contains("data-judgement=\"Low risk\""));
/// ```
pub fn risk_of_bias_svg(r: &RiskOfBias) -> String {
    let l = layout(r);
    let mut svg = Svg::new(
        l.total_w,
        l.total_h,
        r.title.as_deref().unwrap_or("Risk of bias"),
    );
    draw_title_lines(&mut svg, &l.title_lines, l.pad, l.fs);
    draw_header(&mut svg, &l);
    draw_grid(&mut svg, &l);
    draw_legends(&mut svg, &l);
    svg.finish()
}

/// Circle size of the traffic lights and the grid's cells.
const CELL: f64 = 30.0;
const RADIUS: f64 = 11.0;

/// The computed geometry of one traffic-light figure.
struct Layout<'a> {
    r: &'a RiskOfBias,
    fs: f64,
    pad: f64,
    line: f64,
    w_label: f64,
    x_grid: f64,
    grid_w: f64,
    title_lines: Vec<String>,
    /// `D1: name`, … wrapped.
    domain_lines: Vec<String>,
    /// The judgements used, in rows of the key.
    key_rows: Vec<Vec<Judgement>>,
    top: f64,
    header_h: f64,
    grid_top: f64,
    grid_h: f64,
    total_w: f64,
    total_h: f64,
}

/// The width of a key entry, its gap included.
fn key_w(j: Judgement, fs: f64) -> f64 {
    2.0 * RADIUS + 6.0 + text_width(j.label(), fs, false) + fs * 1.5
}

fn layout(r: &RiskOfBias) -> Layout<'_> {
    let fs = 12.0;
    let pad = fs;
    let max_label = 220.0;
    let w_label = r
        .studies
        .iter()
        .map(|s| text_width(s, fs, false))
        .fold(text_width("Study", fs, true), f64::max)
        .min(max_label);
    let x_grid = pad + w_label + fs;
    let grid_w = CELL * r.domains.len() as f64;
    let mut used: Vec<Judgement> = Vec::new();
    for row in &r.judgements {
        for j in row.iter().flatten() {
            if !used.contains(j) {
                used.push(*j);
            }
        }
    }
    let min_w = used.iter().map(|j| key_w(*j, fs)).sum::<f64>();
    let total_w = (x_grid + grid_w + pad).max(360.0).max(min_w + 2.0 * pad);
    let span = total_w - 2.0 * pad;
    let line = fs * 1.45;
    let title_lines = title_lines(r.title.as_deref(), fs, span);
    let domain_lines: Vec<String> = r
        .domains
        .iter()
        .enumerate()
        .map(|(j, d)| format!("D{}: {}", j + 1, d))
        .flat_map(|e| font::wrap(&e, fs, false, span))
        .collect();
    let key_rows = key_rows(&used, span, fs);
    let top = pad + title_lines.len() as f64 * fs * 1.75;
    let header_h = line;
    let grid_top = top + header_h + 4.0;
    let grid_h = CELL * r.studies.len() as f64;
    let total_h = grid_top
        + grid_h
        + fs
        + domain_lines.len() as f64 * line
        + fs * 0.5
        + key_rows.len() as f64 * (2.0 * RADIUS + 6.0)
        + pad;
    Layout {
        r,
        fs,
        pad,
        line,
        w_label,
        x_grid,
        grid_w,
        title_lines,
        domain_lines,
        key_rows,
        top,
        header_h,
        grid_top,
        grid_h,
        total_w,
        total_h,
    }
}

/// The judgements of the key in rows no wider than `span`.
fn key_rows(used: &[Judgement], span: f64, fs: f64) -> Vec<Vec<Judgement>> {
    let mut key_rows: Vec<Vec<Judgement>> = vec![Vec::new()];
    let mut cur = 0.0;
    for j in used {
        if cur + key_w(*j, fs) > span && !key_rows.last().is_some_and(Vec::is_empty) {
            key_rows.push(Vec::new());
            cur = 0.0;
        }
        if let Some(last) = key_rows.last_mut() {
            last.push(*j);
        }
        cur += key_w(*j, fs);
    }
    key_rows
}

/// The x of the centre of domain `j`'s column.
fn column_x(l: &Layout<'_>, j: usize) -> f64 {
    l.x_grid + CELL * (j as f64 + 0.5)
}

/// `Study` over the labels and `D1`, `D2`, … over the columns.
fn draw_header(svg: &mut Svg, l: &Layout<'_>) {
    let fs = l.fs;
    let hb = l.top + l.header_h - fs * 0.35;
    svg.text(&Text::new(l.pad, hb, "Study", fs).bold(true).class("header"));
    for j in 0..l.r.domains.len() {
        let label = format!("D{}", j + 1);
        svg.text(
            &Text::new(column_x(l, j), hb, &label, fs)
                .bold(true)
                .anchor(Anchor::Middle)
                .class("header"),
        );
    }
}

/// One row per study: a stripe on every other row, the label, and a mark per
/// domain (a dashed circle where the judgement is missing).
fn draw_grid(svg: &mut Svg, l: &Layout<'_>) {
    let (r, fs) = (l.r, l.fs);
    let off = (font::ascent(fs) - font::descent(fs)) / 2.0;
    for (i, study) in r.studies.iter().enumerate() {
        let cy = l.grid_top + CELL * (i as f64 + 0.5);
        if i % 2 == 0 {
            svg.rect(
                l.pad,
                cy - CELL / 2.0,
                l.x_grid + l.grid_w - l.pad,
                CELL,
                "fill=\"#f4f4f4\"",
            );
        }
        let (shown, cut) = font::truncate(study, fs, false, l.w_label);
        svg.text(
            &Text::new(l.pad, cy + off, &shown, fs)
                .class("study-label")
                .title(cut.then_some(study)),
        );
        for j in 0..r.domains.len() {
            let cx = column_x(l, j);
            match judgement(r, i, j) {
                Some(jd) => {
                    let title = format!("{}: {}: {}", study, r.domains[j], jd.label());
                    draw_mark(svg, cx, cy, RADIUS, jd, &title);
                }
                None => svg.circle(
                    cx,
                    cy,
                    RADIUS,
                    "class=\"judgement missing\" fill=\"none\" stroke=\"#bbb\" stroke-dasharray=\"2 2\"",
                ),
            }
        }
    }
}

/// Study `i`'s judgement in domain `j`, if any.
fn judgement(r: &RiskOfBias, i: usize, j: usize) -> Option<Judgement> {
    r.judgements
        .get(i)
        .and_then(|row| row.get(j))
        .copied()
        .flatten()
}

/// The names of the domains and the key of the judgements used.
fn draw_legends(svg: &mut Svg, l: &Layout<'_>) {
    let fs = l.fs;
    let off = (font::ascent(fs) - font::descent(fs)) / 2.0;
    let mut y = l.grid_top + l.grid_h + fs;
    for t in &l.domain_lines {
        y += l.line;
        svg.text(&Text::new(l.pad, y - fs * 0.45, t, fs).class("domain-legend"));
    }
    y += fs * 0.5;
    for row in &l.key_rows {
        let mut x = l.pad;
        let cy = y + RADIUS + 3.0;
        for j in row {
            draw_mark(svg, x + RADIUS, cy, RADIUS, *j, j.label());
            svg.text(&Text::new(x + 2.0 * RADIUS + 6.0, cy + off, j.label(), fs).class("key"));
            x += key_w(*j, fs);
        }
        y += 2.0 * RADIUS + 6.0;
    }
}

fn draw_mark(svg: &mut Svg, cx: f64, cy: f64, r: f64, j: Judgement, title: &str) {
    let (fill, symbol) = judgement_style(j);
    svg.raw(&format!(
        "<g class=\"judgement\" data-judgement=\"{}\"><title>{}</title>\n",
        escape(j.label()),
        escape(title)
    ));
    svg.circle(
        cx,
        cy,
        r,
        &format!("fill=\"{fill}\" stroke=\"#333\" stroke-width=\"0.8\""),
    );
    let size = r * 1.5;
    let off = (font::ascent(size) - font::descent(size)) / 2.0;
    let colour = if j == Judgement::NotApplicable {
        "#000"
    } else {
        "#fff"
    };
    svg.text(
        &Text::new(cx, cy + off, symbol, size)
            .bold(true)
            .anchor(Anchor::Middle)
            .class("symbol")
            .fill(colour),
    );
    svg.raw("</g>\n");
}

/// The judgements as an HTML table (symbols and words, coloured cells).
pub fn risk_of_bias_html(r: &RiskOfBias) -> String {
    let mut h = String::from("<table class=\"rob\">\n<thead><tr><th>Study</th>");
    for d in &r.domains {
        let _ = write!(h, "<th>{}</th>", escape(d));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for (i, s) in r.studies.iter().enumerate() {
        let _ = write!(h, "<tr><th scope=\"row\">{}</th>", escape(s));
        for j in 0..r.domains.len() {
            match judgement(r, i, j) {
                Some(jd) => {
                    let (fill, symbol) = judgement_style(jd);
                    let _ = write!(
                        h,
                        "<td style=\"background:{fill}22\"><span class=\"mark\" style=\"background:{fill}\">{}</span> {}</td>",
                        escape(symbol),
                        escape(jd.label())
                    );
                }
                None => h.push_str("<td>missing</td>"),
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n");
    h
}
