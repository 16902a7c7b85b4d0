//! The risk-of-bias traffic-light figure: studies × domains, one coloured
//! circle with a symbol per judgement (colour is never the only cue), the
//! domains numbered D1… over the columns and named in a legend underneath,
//! and a legend of the judgements used. Also an HTML table of the same.

use std::fmt::Write;

use crate::font::{self, text_width};
use crate::svg::{escape, Anchor, Svg, Text};

/// One judgement: quality-checklist answers (yes/no/not reported) or
/// RoB 2 levels (low/some concerns/high).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Judgement {
    Yes,
    No,
    NotReported,
    Low,
    SomeConcerns,
    High,
    Unclear,
    NotApplicable,
}

impl Judgement {
    /// Parses `yes`, `no`, `not_reported` (or `not reported`, `nr`), `low`,
    /// `some_concerns`, `high`, `unclear`, `na`; case-insensitive.
    pub fn parse(s: &str) -> Option<Judgement> {
        let k = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Some(match k.as_str() {
            "yes" | "y" => Judgement::Yes,
            "no" | "n" => Judgement::No,
            "not_reported" | "nr" => Judgement::NotReported,
            "low" => Judgement::Low,
            "some_concerns" | "some" => Judgement::SomeConcerns,
            "high" => Judgement::High,
            "unclear" | "?" => Judgement::Unclear,
            "na" | "not_applicable" => Judgement::NotApplicable,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Judgement::Yes => "Yes",
            Judgement::No => "No",
            Judgement::NotReported => "Not reported",
            Judgement::Low => "Low risk",
            Judgement::SomeConcerns => "Some concerns",
            Judgement::High => "High risk",
            Judgement::Unclear => "Unclear",
            Judgement::NotApplicable => "Not applicable",
        }
    }

    /// Fill colour and symbol.
    pub fn style(self) -> (&'static str, &'static str) {
        match self {
            Judgement::Yes | Judgement::Low => ("#2e9e4f", "+"),
            Judgement::No | Judgement::High => ("#c62828", "\u{00d7}"),
            Judgement::SomeConcerns => ("#f2b705", "\u{2212}"),
            Judgement::NotReported | Judgement::Unclear => ("#9e9e9e", "?"),
            Judgement::NotApplicable => ("#ffffff", ""),
        }
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
pub fn risk_of_bias_svg(r: &RiskOfBias) -> String {
    let fs = 12.0;
    let pad = fs;
    let cell = 30.0;
    let radius = 11.0;
    let max_label = 220.0;
    let w_label = r
        .studies
        .iter()
        .map(|s| text_width(s, fs, false))
        .fold(text_width("Study", fs, true), f64::max)
        .min(max_label);
    let x_grid = pad + w_label + fs;
    let grid_w = cell * r.domains.len() as f64;
    let legend_entries: Vec<String> = r
        .domains
        .iter()
        .enumerate()
        .map(|(j, d)| format!("D{}: {}", j + 1, d))
        .collect();
    let mut used: Vec<Judgement> = Vec::new();
    for row in &r.judgements {
        for j in row.iter().flatten() {
            if !used.contains(j) {
                used.push(*j);
            }
        }
    }
    let key_w = |j: &Judgement| 2.0 * radius + 6.0 + text_width(j.label(), fs, false) + fs * 1.5;
    let min_w = used.iter().map(key_w).sum::<f64>();
    let total_w = (x_grid + grid_w + pad).max(360.0).max(min_w + 2.0 * pad);
    let span = total_w - 2.0 * pad;
    let line = fs * 1.45;
    let title_lines = r
        .title
        .as_deref()
        .map(|t| font::wrap(t, fs * 1.25, true, span))
        .unwrap_or_default();
    let domain_lines: Vec<String> = legend_entries
        .iter()
        .flat_map(|e| font::wrap(e, fs, false, span))
        .collect();
    // Judgement key rows.
    let mut key_rows: Vec<Vec<Judgement>> = vec![Vec::new()];
    let mut cur = 0.0;
    for j in &used {
        if cur + key_w(j) > span && !key_rows.last().is_some_and(Vec::is_empty) {
            key_rows.push(Vec::new());
            cur = 0.0;
        }
        if let Some(last) = key_rows.last_mut() {
            last.push(*j);
        }
        cur += key_w(j);
    }
    let top = pad + title_lines.len() as f64 * fs * 1.75;
    let header_h = line;
    let grid_top = top + header_h + 4.0;
    let grid_h = cell * r.studies.len() as f64;
    let total_h = grid_top
        + grid_h
        + fs
        + domain_lines.len() as f64 * line
        + fs * 0.5
        + key_rows.len() as f64 * (2.0 * radius + 6.0)
        + pad;
    let mut svg = Svg::new(
        total_w,
        total_h,
        r.title.as_deref().unwrap_or("Risk of bias"),
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
    let hb = top + header_h - fs * 0.35;
    svg.text(&Text::new(pad, hb, "Study", fs).bold(true).class("header"));
    for j in 0..r.domains.len() {
        let cx = x_grid + cell * (j as f64 + 0.5);
        let label = format!("D{}", j + 1);
        svg.text(
            &Text::new(cx, hb, &label, fs)
                .bold(true)
                .anchor(Anchor::Middle)
                .class("header"),
        );
    }
    let off = (font::ascent(fs) - font::descent(fs)) / 2.0;
    for (i, study) in r.studies.iter().enumerate() {
        let cy = grid_top + cell * (i as f64 + 0.5);
        if i % 2 == 0 {
            svg.rect(
                pad,
                cy - cell / 2.0,
                x_grid + grid_w - pad,
                cell,
                "fill=\"#f4f4f4\"",
            );
        }
        let (shown, cut) = font::truncate(study, fs, false, w_label);
        svg.text(
            &Text::new(pad, cy + off, &shown, fs)
                .class("study-label")
                .title(cut.then_some(study)),
        );
        for j in 0..r.domains.len() {
            let cx = x_grid + cell * (j as f64 + 0.5);
            match r.judgements.get(i).and_then(|row| row.get(j)).copied().flatten() {
                Some(jd) => draw_mark(&mut svg, cx, cy, radius, jd, &format!("{}: {}: {}", study, r.domains[j], jd.label())),
                None => svg.circle(cx, cy, radius, "class=\"judgement missing\" fill=\"none\" stroke=\"#bbb\" stroke-dasharray=\"2 2\""),
            }
        }
    }
    let mut y = grid_top + grid_h + fs;
    for l in &domain_lines {
        y += line;
        svg.text(&Text::new(pad, y - fs * 0.45, l, fs).class("domain-legend"));
    }
    y += fs * 0.5;
    for row in &key_rows {
        let mut x = pad;
        let cy = y + radius + 3.0;
        for j in row {
            draw_mark(&mut svg, x + radius, cy, radius, *j, j.label());
            svg.text(&Text::new(x + 2.0 * radius + 6.0, cy + off, j.label(), fs).class("key"));
            x += key_w(j);
        }
        y += 2.0 * radius + 6.0;
    }
    svg.finish()
}

fn draw_mark(svg: &mut Svg, cx: f64, cy: f64, r: f64, j: Judgement, title: &str) {
    let (fill, symbol) = j.style();
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
            match r
                .judgements
                .get(i)
                .and_then(|row| row.get(j))
                .copied()
                .flatten()
            {
                Some(jd) => {
                    let (fill, symbol) = jd.style();
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
