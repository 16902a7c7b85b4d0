//! Where everything of the flow diagram goes: the fixed geometry (a phase
//! band, the main column, the side column), each box's wrapped lines and
//! height, and the stages that have a box.

use super::data::{FlowCount, FlowCounts};
use crate::font::{self, text_width};
use crate::svg::title_lines;

/// The fixed geometry of the diagram.
pub(super) struct Geometry {
    pub(super) fs: f64,
    /// Size of the notes.
    pub(super) small: f64,
    pub(super) pad: f64,
    pub(super) line: f64,
    pub(super) main_w: f64,
    pub(super) side_w: f64,
    pub(super) vgap: f64,
    /// Padding inside a box.
    pub(super) inner: f64,
    pub(super) phase_w: f64,
    pub(super) x_main: f64,
    pub(super) x_side: f64,
    pub(super) total_w: f64,
}

impl Geometry {
    fn new() -> Geometry {
        let fs = 12.0;
        let pad = fs;
        let main_w = 300.0;
        let side_w = 270.0;
        let hgap = 50.0;
        let inner = 10.0;
        let phase_w = text_width("Identification", fs, true) + 2.0 * inner;
        let x_main = pad + phase_w + 14.0;
        let x_side = x_main + main_w + hgap;
        Geometry {
            fs,
            small: 11.0,
            pad,
            line: fs * 1.35,
            main_w,
            side_w,
            vgap: 34.0,
            inner,
            phase_w,
            x_main,
            x_side,
            total_w: x_side + side_w + pad,
        }
    }

    /// The height of a line of body text or (`small`) of a note.
    pub(super) fn line_h(&self, small: bool) -> f64 {
        if small {
            self.small * 1.35
        } else {
            self.line
        }
    }
}

/// A box: its lines (text, whether in the small size), height and class.
pub(super) struct Boxed {
    pub(super) lines: Vec<(String, bool)>,
    pub(super) height: f64,
    pub(super) class: &'static str,
}

/// One row of the diagram: its phase, the main box and the exclusions box
/// to its right, and the height of the taller.
pub(super) struct Stage {
    pub(super) phase: &'static str,
    pub(super) main: Option<Boxed>,
    pub(super) side: Option<Boxed>,
    pub(super) height: f64,
}

/// The computed geometry of one diagram.
pub(super) struct Layout {
    pub(super) g: Geometry,
    /// The stages with at least one box.
    pub(super) stages: Vec<Stage>,
    pub(super) title_lines: Vec<String>,
    /// Where the first stage starts.
    pub(super) top: f64,
    pub(super) total_h: f64,
}

/// Lays out the diagram of `c` under `title`.
pub(super) fn layout(c: &FlowCounts, title: Option<&str>) -> Layout {
    let g = Geometry::new();
    let stages: Vec<Stage> = stages(&g, c)
        .into_iter()
        .filter(|s| s.main.is_some() || s.side.is_some())
        .collect();
    let title_lines = title_lines(title, g.fs, g.total_w - 2.0 * g.pad);
    let top = g.pad + title_lines.len() as f64 * g.fs * 1.75;
    let total_h = top
        + stages.iter().map(|s| s.height).sum::<f64>()
        + g.vgap * stages.len().saturating_sub(1) as f64
        + g.pad;
    Layout {
        g,
        stages,
        title_lines,
        top,
        total_h,
    }
}

/// A box of width `w` titled `title (n = n)`, with its note under it.
fn text_box(
    g: &Geometry,
    title: &str,
    n: u64,
    note: Option<&str>,
    w: f64,
    class: &'static str,
) -> Boxed {
    let mut lines: Vec<(String, bool)> = font::wrap(
        &format!("{title} (n\u{a0}=\u{a0}{n})"),
        g.fs,
        false,
        w - 2.0 * g.inner,
    )
    .into_iter()
    .map(|l| (l, false))
    .collect();
    if let Some(note) = note.filter(|s| !s.trim().is_empty()) {
        lines.extend(
            font::wrap(note, g.small, false, w - 2.0 * g.inner)
                .into_iter()
                .map(|l| (l, true)),
        );
    }
    let h: f64 = lines.iter().map(|(_, s)| g.line_h(*s)).sum::<f64>() + 2.0 * g.inner - 4.0;
    Boxed {
        lines,
        height: h,
        class,
    }
}

/// The box of a count, titled by its label (or `default`), when present.
fn count_box(
    g: &Geometry,
    c: &FlowCounts,
    fc: &Option<FlowCount>,
    (key, default): (&str, &str),
    w: f64,
    class: &'static str,
) -> Option<Boxed> {
    fc.as_ref()
        .map(|f| text_box(g, c.label(key, default), f.n, f.note.as_deref(), w, class))
}

/// The records identified, with the records from other sources added as
/// lines of the same box.
fn identification_box(g: &Geometry, c: &FlowCounts) -> Option<Boxed> {
    let mut b = count_box(
        g,
        c,
        &c.identified,
        (
            "identified",
            "Records identified from databases and registers",
        ),
        g.main_w,
        "box-identified",
    );
    if let (Some(b), Some(o)) = (b.as_mut(), c.other_sources.as_ref()) {
        let extra = font::wrap(
            &format!(
                "{} (n\u{a0}=\u{a0}{})",
                c.label("other_sources", "Records from other sources"),
                o.n
            ),
            g.fs,
            false,
            g.main_w - 2.0 * g.inner,
        );
        for l in extra {
            b.lines.push((l, false));
            b.height += g.line;
        }
    }
    b
}

/// The reports excluded at full text: their total, then one small line per
/// reason.
fn reasons_box(g: &Geometry, c: &FlowCounts) -> Option<Boxed> {
    if c.excluded_reasons.is_empty() {
        return None;
    }
    let total: u64 = c.excluded_reasons.iter().map(|(_, n)| n).sum();
    let mut b = text_box(
        g,
        c.label("excluded_reasons", "Reports excluded"),
        total,
        None,
        g.side_w,
        "box-excluded-reasons",
    );
    for (reason, n) in &c.excluded_reasons {
        for l in font::wrap(
            &format!("{reason} (n\u{a0}=\u{a0}{n})"),
            g.small,
            false,
            g.side_w - 2.0 * g.inner - 8.0,
        ) {
            b.lines.push((format!("  {l}"), true));
            b.height += g.small * 1.35;
        }
    }
    Some(b)
}

/// Every stage: (phase, main box, side box), boxes where counts are given.
fn stages(g: &Geometry, c: &FlowCounts) -> Vec<Stage> {
    let (main_w, side_w) = (g.main_w, g.side_w);
    let stage = |phase: &'static str, main: Option<Boxed>, side: Option<Boxed>| {
        let height = main
            .as_ref()
            .map(|b| b.height)
            .unwrap_or(0.0)
            .max(side.as_ref().map(|b| b.height).unwrap_or(0.0));
        Stage {
            phase,
            main,
            side,
            height,
        }
    };
    vec![
        stage(
            "Identification",
            identification_box(g, c),
            count_box(
                g,
                c,
                &c.duplicates_removed,
                (
                    "duplicates_removed",
                    "Duplicate records removed before screening",
                ),
                side_w,
                "box-duplicates",
            ),
        ),
        stage(
            "Screening",
            count_box(
                g,
                c,
                &c.screened,
                ("screened", "Records screened"),
                main_w,
                "box-screened",
            ),
            count_box(
                g,
                c,
                &c.excluded,
                ("excluded", "Records excluded"),
                side_w,
                "box-excluded",
            ),
        ),
        stage(
            "Screening",
            count_box(
                g,
                c,
                &c.assessed,
                ("assessed", "Reports assessed for eligibility"),
                main_w,
                "box-assessed",
            ),
            reasons_box(g, c),
        ),
        stage(
            "Included",
            count_box(
                g,
                c,
                &c.included,
                ("included", "Studies included in review"),
                main_w,
                "box-included",
            ),
            None,
        ),
    ]
}
