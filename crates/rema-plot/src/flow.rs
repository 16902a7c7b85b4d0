//! The selection flow as a PRISMA 2020-style diagram (Page et al. 2021,
//! BMJ 372:n71, "flow diagram for new systematic reviews which included
//! searches of databases and registers only").
//!
//! The main column runs identification → screening → eligibility →
//! inclusion; each stage's exclusions sit in a box to its right. Only the
//! stages with a count are drawn; counts are never derived here, so the
//! diagram shows what the review reports. Box text is wrapped with the
//! bundled font's metrics and box heights follow the text.

use crate::font::{self, text_width};
use crate::svg::{Anchor, Svg, Text};

/// A count with an optional note (sources, definitions).
#[derive(Debug, Clone, PartialEq)]
pub struct FlowCount {
    pub n: u64,
    pub note: Option<String>,
}

impl FlowCount {
    pub fn new(n: u64) -> FlowCount {
        FlowCount { n, note: None }
    }
    pub fn with_note(n: u64, note: &str) -> FlowCount {
        FlowCount {
            n,
            note: Some(note.to_string()),
        }
    }
}

/// The PRISMA 2020 boxes. Each is drawn only when present.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FlowCounts {
    /// Records identified from databases and registers.
    pub identified: Option<FlowCount>,
    /// Records identified from other sources (hand searching, citations).
    pub other_sources: Option<FlowCount>,
    /// Records removed before screening (duplicates).
    pub duplicates_removed: Option<FlowCount>,
    pub screened: Option<FlowCount>,
    /// Records excluded on title and abstract.
    pub excluded: Option<FlowCount>,
    /// Reports (full texts) assessed for eligibility.
    pub assessed: Option<FlowCount>,
    /// Reports excluded at full text, with reasons.
    pub excluded_reasons: Vec<(String, u64)>,
    /// Studies included in the review.
    pub included: Option<FlowCount>,
    /// Labels overriding the default box titles, by box key
    /// (`identified`, `screened`, `assessed`, `included`, ...).
    pub labels: Vec<(String, String)>,
}

impl FlowCounts {
    fn label<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or(default)
    }
}

struct Boxed {
    lines: Vec<(String, bool)>,
    height: f64,
    class: &'static str,
}

/// Draws the flow diagram as an SVG document.
pub fn flow_svg(c: &FlowCounts, title: Option<&str>) -> String {
    let fs = 12.0;
    let small = 11.0;
    let pad = fs;
    let line = fs * 1.35;
    let main_w = 300.0;
    let side_w = 270.0;
    let hgap = 50.0;
    let vgap = 34.0;
    let inner = 10.0;
    let phase_w = text_width("Identification", fs, true) + 2.0 * inner;
    let x_main = pad + phase_w + 14.0;
    let x_side = x_main + main_w + hgap;
    let total_w = x_side + side_w + pad;

    let make = |title: &str, n: u64, note: Option<&str>, w: f64, class: &'static str| {
        let mut lines: Vec<(String, bool)> = font::wrap(
            &format!("{title} (n\u{a0}=\u{a0}{n})"),
            fs,
            false,
            w - 2.0 * inner,
        )
        .into_iter()
        .map(|l| (l, false))
        .collect();
        if let Some(note) = note.filter(|s| !s.trim().is_empty()) {
            lines.extend(
                font::wrap(note, small, false, w - 2.0 * inner)
                    .into_iter()
                    .map(|l| (l, true)),
            );
        }
        let h: f64 = lines
            .iter()
            .map(|(_, s)| if *s { small * 1.35 } else { line })
            .sum::<f64>()
            + 2.0 * inner
            - 4.0;
        Boxed {
            lines,
            height: h,
            class,
        }
    };
    let from = |fc: &Option<FlowCount>, key: &str, default: &str, w: f64, class: &'static str| {
        fc.as_ref()
            .map(|f| make(c.label(key, default), f.n, f.note.as_deref(), w, class))
    };

    // Stages: (phase, main box, side box).
    let mut ident_main = from(
        &c.identified,
        "identified",
        "Records identified from databases and registers",
        main_w,
        "box-identified",
    );
    if let (Some(b), Some(o)) = (ident_main.as_mut(), c.other_sources.as_ref()) {
        let extra = font::wrap(
            &format!(
                "{} (n\u{a0}=\u{a0}{})",
                c.label("other_sources", "Records from other sources"),
                o.n
            ),
            fs,
            false,
            main_w - 2.0 * inner,
        );
        for l in extra {
            b.lines.push((l, false));
            b.height += line;
        }
    }
    let stages: Vec<(&str, Option<Boxed>, Option<Boxed>)> = vec![
        (
            "Identification",
            ident_main,
            from(
                &c.duplicates_removed,
                "duplicates_removed",
                "Duplicate records removed before screening",
                side_w,
                "box-duplicates",
            ),
        ),
        (
            "Screening",
            from(
                &c.screened,
                "screened",
                "Records screened",
                main_w,
                "box-screened",
            ),
            from(
                &c.excluded,
                "excluded",
                "Records excluded",
                side_w,
                "box-excluded",
            ),
        ),
        (
            "Screening",
            from(
                &c.assessed,
                "assessed",
                "Reports assessed for eligibility",
                main_w,
                "box-assessed",
            ),
            if c.excluded_reasons.is_empty() {
                None
            } else {
                let total: u64 = c.excluded_reasons.iter().map(|(_, n)| n).sum();
                let mut b = make(
                    c.label("excluded_reasons", "Reports excluded"),
                    total,
                    None,
                    side_w,
                    "box-excluded-reasons",
                );
                for (reason, n) in &c.excluded_reasons {
                    for l in font::wrap(
                        &format!("{reason} (n\u{a0}=\u{a0}{n})"),
                        small,
                        false,
                        side_w - 2.0 * inner - 8.0,
                    ) {
                        b.lines.push((format!("  {l}"), true));
                        b.height += small * 1.35;
                    }
                }
                Some(b)
            },
        ),
        (
            "Included",
            from(
                &c.included,
                "included",
                "Studies included in review",
                main_w,
                "box-included",
            ),
            None,
        ),
    ];
    let stages: Vec<_> = stages
        .into_iter()
        .filter(|(_, m, s)| m.is_some() || s.is_some())
        .collect();

    let title_lines = title
        .map(|t| font::wrap(t, fs * 1.25, true, total_w - 2.0 * pad))
        .unwrap_or_default();
    let top = pad + title_lines.len() as f64 * fs * 1.75;
    let heights: Vec<f64> = stages
        .iter()
        .map(|(_, m, s)| {
            m.as_ref()
                .map(|b| b.height)
                .unwrap_or(0.0)
                .max(s.as_ref().map(|b| b.height).unwrap_or(0.0))
        })
        .collect();
    let total_h =
        top + heights.iter().sum::<f64>() + vgap * stages.len().saturating_sub(1) as f64 + pad;
    let mut svg = Svg::new(
        total_w,
        total_h,
        title.unwrap_or("Selection flow (PRISMA 2020)"),
    );
    svg.raw("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#000\"/></marker></defs>\n");
    let mut y = pad;
    for l in &title_lines {
        y += fs * 1.75;
        svg.text(
            &Text::new(pad, y - fs * 0.5, l, fs * 1.25)
                .bold(true)
                .class("title"),
        );
    }

    let mut y = top;
    let mut prev_main_bottom: Option<f64> = None;
    // Phase bands: consecutive stages with the same phase share one band.
    let mut bands: Vec<(&str, f64, f64)> = Vec::new();
    for ((phase, main, side), h) in stages.iter().zip(&heights) {
        match bands.last_mut() {
            Some((p, _, end)) if p == phase => *end = y + h,
            _ => bands.push((phase, y, y + h)),
        }
        let draw_box = |svg: &mut Svg, b: &Boxed, x: f64, w: f64| {
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
            let mut ty = y + inner - 2.0;
            for (l, is_small) in &b.lines {
                let size = if *is_small { small } else { fs };
                ty += if *is_small { small * 1.35 } else { line };
                svg.text(&Text::new(x + inner, ty - size * 0.35, l, size).class("box-text"));
            }
        };
        if let Some(b) = main {
            draw_box(&mut svg, b, x_main, main_w);
            if let Some(pb) = prev_main_bottom {
                svg.line(
                    (x_main + main_w / 2.0, pb),
                    (x_main + main_w / 2.0, y),
                    "#000",
                    1.2,
                    " class=\"flow-arrow\" marker-end=\"url(#arrow)\"",
                );
            }
            prev_main_bottom = Some(y + b.height);
        }
        if let Some(s) = side {
            draw_box(&mut svg, s, x_side, side_w);
            if main.is_some() {
                let ya = y + s.height.min(main.as_ref().map(|m| m.height).unwrap_or(0.0)) / 2.0;
                svg.line(
                    (x_main + main_w, ya),
                    (x_side, ya),
                    "#000",
                    1.2,
                    " class=\"flow-arrow\" marker-end=\"url(#arrow)\"",
                );
            }
        }
        y += h + vgap;
    }
    for (phase, y0, y1) in bands {
        svg.rect(
            pad,
            y0,
            phase_w,
            y1 - y0,
            "class=\"phase\" fill=\"#dbe7f3\" stroke=\"#7a99bd\" stroke-width=\"1\"",
        );
        svg.text(
            &Text::new(pad + phase_w / 2.0, (y0 + y1) / 2.0 + fs * 0.35, phase, fs)
                .bold(true)
                .anchor(Anchor::Middle)
                .class("phase-label"),
        );
    }
    svg.finish()
}
