//! The GRADE summary-of-findings table, laid out as the GRADE handbook
//! (Schünemann et al. 2013, section 5.2) and GRADEpro GDT lay it out: one
//! row per outcome with the number of participants (studies), the certainty
//! of the evidence (⊕⊕⊕◯ with the downgrade reasons as lettered
//! footnotes), the relative effect with its CI, and the anticipated absolute
//! effects per 1,000 (the risk with the control, the risk difference with
//! the intervention and its CI). The numbers are rema-data's
//! ([`GradeRow`], `rema_data::run::grade`): this module only lays them out,
//! as HTML ([`sof_html`]) and as SVG ([`sof_svg`], which `svg_to_png`
//! rasterises with the bundled font).
//!
//! rema's suggested inconsistency and imprecision ratings are footnotes
//! too, each with the rule it applied; they are labelled suggestions, never
//! judgements: only the plan's ratings count towards the certainty.
//!
//! Absolute effects per 1,000 are whole numbers, or one decimal when every
//! number of the row is under 10 per 1,000 (rare outcomes, where whole
//! numbers would hide the effect).

use std::fmt::Write;

use rema_data::run::grade::{GradeRow, Interval};

use crate::svg::{escape, num};
use crate::table::{table_svg_with_notes, TableData};

/// The GRADE symbols of a certainty (`high` … `very low`): four ⊕ (U+2295)
/// or ◯ (U+25EF) and the word; `None` when the plan did not rate all five
/// domains.
///
/// ```
/// assert_eq!(rema_plot::sof::certainty_marks("moderate"), Some(("⊕⊕⊕◯", "Moderate")));
/// assert_eq!(rema_plot::sof::certainty_marks("very low"), Some(("⊕◯◯◯", "Very low")));
/// ```
pub fn certainty_marks(certainty: &str) -> Option<(&'static str, &'static str)> {
    match certainty {
        "high" => Some(("⊕⊕⊕⊕", "High")),
        "moderate" => Some(("⊕⊕⊕◯", "Moderate")),
        "low" => Some(("⊕⊕◯◯", "Low")),
        "very low" => Some(("⊕◯◯◯", "Very low")),
        _ => None,
    }
}

/// Footnote letters: a … z, then aa, ab, ….
fn letter(i: usize) -> String {
    let a = |k: usize| char::from(b'a' + (k % 26) as u8);
    if i < 26 {
        a(i).to_string()
    } else {
        format!("{}{}", a(i / 26 - 1), a(i))
    }
}

/// Thousands separated by commas (357,347).
fn thousands(x: f64) -> String {
    let s = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if x < 0.0 && out != "0" {
        format!("-{out}")
    } else {
        out
    }
}

/// The level of a CI as the tables print it (`95`).
fn lvl(x: f64) -> String {
    crate::axis::tick_label(x)
}

/// `x per 1,000` digits: one decimal when every number is under 10.
fn digits(values: &[f64]) -> usize {
    if values.iter().all(|v| v.abs() < 9.95) {
        1
    } else {
        0
    }
}

/// `5 fewer` / `3 more` per 1,000.
fn more_fewer(x: f64, d: usize) -> String {
    let m = num(x.abs(), d);
    if x < 0.0 {
        format!("{m} fewer")
    } else {
        format!("{m} more")
    }
}

/// One row's cells, in plain text, with the footnote letters of each.
struct Line {
    outcome: String,
    participants: String,
    marks: Option<(&'static str, &'static str)>,
    certainty_notes: Vec<String>,
    relative: String,
    control: String,
    difference: String,
    difference_notes: Vec<String>,
}

/// The rows and their footnotes.
struct Layout {
    level: Option<f64>,
    lines: Vec<Line>,
    footnotes: Vec<String>,
}

fn relative(r: &GradeRow, level_in_cell: bool) -> String {
    let e = &r.effect;
    let ci = if level_in_cell {
        format!("{}% CI ", lvl(r.level))
    } else {
        String::new()
    };
    match r.measure.as_str() {
        "RR" | "OR" => format!(
            "{} {} ({ci}{} to {})",
            r.measure,
            num(e.estimate, 2),
            num(e.ci_lower, 2),
            num(e.ci_upper, 2)
        ),
        _ => "–".to_string(),
    }
}

fn absolute(r: &GradeRow, level_in_cell: bool) -> (String, String) {
    let ci = if level_in_cell {
        format!("{}% CI ", lvl(r.level))
    } else {
        String::new()
    };
    let sorted = |i: &Interval| (i.ci_lower.min(i.ci_upper), i.ci_lower.max(i.ci_upper));
    match (
        r.control_per_1000,
        &r.intervention_per_1000,
        &r.difference_per_1000,
    ) {
        (Some(c), Some(_), Some(d)) => {
            let (lo, hi) = sorted(d);
            let dg = digits(&[c, d.estimate, lo, hi]);
            (
                format!("{} per 1,000", num(c, dg)),
                format!(
                    "{} per 1,000 ({ci}from {} to {})",
                    more_fewer(d.estimate, dg),
                    more_fewer(lo, dg),
                    more_fewer(hi, dg)
                ),
            )
        }
        (None, Some(p), _) => {
            let (lo, hi) = sorted(p);
            let dg = digits(&[p.estimate, lo, hi]);
            (
                "–".to_string(),
                format!(
                    "{} per 1,000 ({ci}{} to {}), the pooled proportion",
                    num(p.estimate, dg),
                    num(lo, dg),
                    num(hi, dg)
                ),
            )
        }
        _ if matches!(r.measure.as_str(), "RR" | "OR" | "RD") => {
            ("–".to_string(), "not computed".to_string())
        }
        _ => {
            let e = &r.effect;
            (
                "–".to_string(),
                format!(
                    "{} {} ({ci}{} to {})",
                    r.measure,
                    num(e.estimate, 2),
                    num(e.ci_lower, 2),
                    num(e.ci_upper, 2)
                ),
            )
        }
    }
}

fn layout(rows: &[&GradeRow]) -> Layout {
    let level = rows
        .first()
        .map(|r| r.level)
        .filter(|l| rows.iter().all(|r| r.level == *l));
    let mut footnotes: Vec<String> = Vec::new();
    let mut note = |text: String| -> String {
        let i = footnotes
            .iter()
            .position(|f| *f == text)
            .unwrap_or_else(|| {
                footnotes.push(text);
                footnotes.len() - 1
            });
        letter(i)
    };
    let lines = rows
        .iter()
        .map(|r| {
            let mut certainty_notes = Vec::new();
            for d in &r.domains {
                if let Some(rating) = d.rating.as_deref().filter(|x| *x != "not serious") {
                    let levels = if rating == "very serious" {
                        "two levels"
                    } else {
                        "one level"
                    };
                    let why = if d.reason.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", d.reason)
                    };
                    certainty_notes.push(note(format!(
                        "Downgraded {levels} for {} ({rating}){why}.",
                        d.domain
                    )));
                }
            }
            for d in &r.domains {
                if let Some(s) = &d.suggested {
                    certainty_notes.push(note(format!(
                        "{}: rema suggests {} (a suggestion, not a judgement; the plan rates {}). {}.",
                        capital(&d.domain),
                        s.rating,
                        d.rating.as_deref().unwrap_or("nothing"),
                        capital(&s.rule)
                    )));
                }
            }
            let mut difference_notes = Vec::new();
            for n in &r.notes {
                let letter = note(format!("{}.", capital(n)));
                if n.starts_with("certainty") {
                    certainty_notes.push(letter);
                } else {
                    difference_notes.push(letter);
                }
            }
            let (control, difference) = absolute(r, level.is_none());
            Line {
                outcome: r.outcome.clone(),
                participants: format!(
                    "{} ({} {})",
                    r.participants.map(thousands).unwrap_or("–".to_string()),
                    r.studies,
                    match (r.design.as_str(), r.studies) {
                        ("randomised trials", 1) => "RCT",
                        ("randomised trials", _) => "RCTs",
                        (_, 1) => "observational study",
                        _ => "observational studies",
                    }
                ),
                marks: r.certainty.as_deref().and_then(certainty_marks),
                certainty_notes,
                relative: relative(r, level.is_none()),
                control,
                difference,
                difference_notes,
            }
        })
        .collect();
    Layout {
        level,
        lines,
        footnotes,
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// The lines under the table: what the absolute effects are based on, the
/// abbreviations and the GRADE Working Group's grades of evidence.
fn explanations(level: Option<f64>) -> Vec<String> {
    let ci = match level {
        Some(l) => format!("{}% CI", lvl(l)),
        None => "CI".to_string(),
    };
    vec![
        format!("* The risk with the intervention (and its {ci}) is based on the assumed risk with the control and the relative effect of the intervention (and its {ci})."),
        "CI: confidence interval; RR: risk ratio; OR: odds ratio; RCT: randomised controlled trial.".to_string(),
        "GRADE Working Group grades of evidence. High certainty (⊕⊕⊕⊕): we are very confident that the true effect lies close to that of the estimate. Moderate (⊕⊕⊕◯): the true effect is likely to be close to the estimate, but may be substantially different. Low (⊕⊕◯◯): the true effect may be substantially different from the estimate. Very low (⊕◯◯◯): the true effect is likely to be substantially different from the estimate.".to_string(),
    ]
}

fn headers(level: Option<f64>) -> [String; 6] {
    let ci = match level {
        Some(l) => format!(" ({}% CI)", lvl(l)),
        None => String::new(),
    };
    [
        "Outcomes".to_string(),
        "№ of participants (studies)".to_string(),
        "Certainty of the evidence (GRADE)".to_string(),
        format!("Relative effect{ci}"),
        "Risk with control*".to_string(),
        format!("Risk difference with intervention{ci}"),
    ]
}

/// The summary-of-findings table as HTML: the table (class `sof`), its
/// lettered footnotes (`ol.footnotes`) and the explanations, ready to sit
/// in a report section. `title` is the caption.
///
/// ```
/// # use rema_data::run::grade::{GradeRow, Interval};
/// let row = GradeRow {
///     outcome: "Death".into(), measure: "RR".into(), level: 95.0, studies: 3,
///     participants: Some(1200.0), design: "randomised trials".into(),
///     effect: Interval { estimate: 0.5, ci_lower: 0.25, ci_upper: 1.0 },
///     control_per_1000: Some(100.0),
///     intervention_per_1000: Some(Interval { estimate: 50.0, ci_lower: 25.0, ci_upper: 100.0 }),
///     difference_per_1000: Some(Interval { estimate: -50.0, ci_lower: -75.0, ci_upper: 0.0 }),
///     ois: None, domains: vec![], certainty: Some("low".into()), notes: vec![],
/// };
/// let html = rema_plot::sof::sof_html(&[&row], "Summary of findings");
/// assert!(html.contains("⊕⊕◯◯") && html.contains("50 fewer per 1,000 (from 75 fewer to 0 more)"));
/// assert!(html.contains("1,200 (3 RCTs)") && html.contains("RR 0.50 (0.25 to 1.00)"));
/// ```
pub fn sof_html(rows: &[&GradeRow], title: &str) -> String {
    let l = layout(rows);
    let hd = headers(l.level);
    let mut h = String::from("<div class=\"table-box\">\n<table class=\"sof\">\n");
    let _ = writeln!(h, "<caption>{}</caption>", escape(title));
    let ci = match l.level {
        Some(x) => format!(" ({}% CI)", lvl(x)),
        None => String::new(),
    };
    let _ = writeln!(
        h,
        "<thead><tr><th scope=\"col\" rowspan=\"2\">{}</th><th scope=\"col\" rowspan=\"2\">{}</th><th scope=\"col\" rowspan=\"2\">{}</th><th scope=\"col\" rowspan=\"2\">{}</th><th scope=\"colgroup\" colspan=\"2\">Anticipated absolute effects{}</th></tr>\n<tr><th scope=\"col\">{}</th><th scope=\"col\">Risk difference with intervention</th></tr></thead>",
        escape(&hd[0]),
        escape(&hd[1]),
        escape(&hd[2]),
        escape(&hd[3]),
        escape(&ci),
        escape(&hd[4]),
    );
    h.push_str("<tbody>\n");
    let sup = |letters: &[String]| -> String {
        if letters.is_empty() {
            String::new()
        } else {
            let links: Vec<String> = letters
                .iter()
                .map(|x| format!("<a href=\"#sof-note-{x}\">{x}</a>"))
                .collect();
            format!("<sup>{}</sup>", links.join(","))
        }
    };
    for line in &l.lines {
        let certainty = match line.marks {
            Some((marks, word)) => {
                format!("<span class=\"grade\" aria-hidden=\"true\">{marks}</span> {word}")
            }
            None => "not rated".to_string(),
        };
        let _ = writeln!(
            h,
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td>{}{}</td><td>{}</td><td>{}</td><td>{}{}</td></tr>",
            escape(&line.outcome),
            escape(&line.participants),
            certainty,
            sup(&line.certainty_notes),
            escape(&line.relative),
            escape(&line.control),
            escape(&line.difference),
            sup(&line.difference_notes),
        );
    }
    h.push_str("</tbody>\n</table>\n</div>\n");
    if !l.footnotes.is_empty() {
        h.push_str("<ol class=\"footnotes\" type=\"a\">\n");
        for (i, f) in l.footnotes.iter().enumerate() {
            let _ = writeln!(h, "<li id=\"sof-note-{}\">{}</li>", letter(i), escape(f));
        }
        h.push_str("</ol>\n");
    }
    for e in explanations(l.level) {
        let _ = writeln!(h, "<p class=\"sof-note\">{}</p>", escape(&e));
    }
    h
}

/// The summary-of-findings table as an SVG document: the same cells as
/// [`sof_html`] (the footnote letters in brackets), then the footnotes and
/// the explanations.
pub fn sof_svg(rows: &[&GradeRow], title: &str) -> String {
    let l = layout(rows);
    let tag = |letters: &[String]| {
        if letters.is_empty() {
            String::new()
        } else {
            format!(" ({})", letters.join(","))
        }
    };
    let body = l
        .lines
        .iter()
        .map(|line| {
            vec![
                line.outcome.clone(),
                line.participants.clone(),
                match line.marks {
                    Some((marks, word)) => format!("{marks} {word}{}", tag(&line.certainty_notes)),
                    None => format!("not rated{}", tag(&line.certainty_notes)),
                },
                line.relative.clone(),
                line.control.clone(),
                format!("{}{}", line.difference, tag(&line.difference_notes)),
            ]
        })
        .collect();
    let mut t = TableData::new(headers(l.level).to_vec(), body);
    t.title = Some(title.to_string());
    t.max_col_width = 230.0;
    let mut notes: Vec<String> = l
        .footnotes
        .iter()
        .enumerate()
        .map(|(i, f)| format!("({}) {f}", letter(i)))
        .collect();
    notes.extend(explanations(l.level));
    table_svg_with_notes(&t, &notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rema_data::run::grade::{Domain, Suggestion};

    fn row() -> GradeRow {
        GradeRow {
            outcome: "Tuberculosis".into(),
            measure: "RR".into(),
            level: 95.0,
            studies: 13,
            participants: Some(357_347.0),
            design: "randomised trials".into(),
            effect: Interval {
                estimate: 0.489,
                ci_lower: 0.344,
                ci_upper: 0.696,
            },
            control_per_1000: Some(9.0),
            intervention_per_1000: Some(Interval {
                estimate: 4.4,
                ci_lower: 3.1,
                ci_upper: 6.26,
            }),
            difference_per_1000: Some(Interval {
                estimate: -4.6,
                ci_lower: -5.9,
                ci_upper: -2.74,
            }),
            ois: Some(30_000.0),
            domains: vec![
                Domain {
                    domain: "risk of bias".into(),
                    rating: Some("serious".into()),
                    reason: "alternation".into(),
                    suggested: None,
                },
                Domain {
                    domain: "inconsistency".into(),
                    rating: Some("very serious".into()),
                    reason: String::new(),
                    suggested: Some(Suggestion {
                        rating: "very serious".into(),
                        rule: "I² = 92% and …".into(),
                    }),
                },
            ],
            certainty: Some("very low".into()),
            notes: vec![],
        }
    }

    #[test]
    fn the_table_has_the_handbooks_columns_and_footnotes() {
        let r = row();
        let html = sof_html(&[&r], "SoF");
        assert!(html.contains("357,347 (13 RCTs)"), "{html}");
        assert!(html.contains("⊕◯◯◯</span> Very low"));
        assert!(html.contains("9.0 per 1,000"), "rare outcome: one decimal");
        assert!(html.contains("4.6 fewer per 1,000 (from 5.9 fewer to 2.7 fewer)"));
        assert!(html.contains("Downgraded one level for risk of bias (serious): alternation."));
        assert!(html.contains("Downgraded two levels for inconsistency (very serious)."));
        assert!(html.contains("Inconsistency: rema suggests very serious"));
        assert!(html.contains("<sup><a href=\"#sof-note-a\">a</a>,<a href=\"#sof-note-b\">b</a>,<a href=\"#sof-note-c\">c</a></sup>"));
        assert!(html.contains("Anticipated absolute effects (95% CI)"));
        let svg = sof_svg(&[&r], "SoF");
        assert!(svg.contains("⊕◯◯◯ Very low (a,b,c)"), "{svg}");
        assert!(svg.contains("(a) Downgraded one level"));
    }

    #[test]
    fn unrated_rows_and_mixed_levels_say_so() {
        let mut a = row();
        a.certainty = None;
        a.notes = vec!["certainty not rated: the plan does not judge imprecision".into()];
        let mut b = row();
        b.level = 90.0;
        b.measure = "MD".into();
        b.control_per_1000 = None;
        b.intervention_per_1000 = None;
        b.difference_per_1000 = None;
        let html = sof_html(&[&a, &b], "SoF");
        assert!(html.contains("not rated<sup>"));
        assert!(html.contains("Certainty not rated: the plan does not judge imprecision."));
        assert!(
            html.contains("RR 0.49 (95% CI 0.34 to 0.70)"),
            "levels in the cells"
        );
        assert!(html.contains("MD 0.49 (90% CI 0.34 to 0.70)"));
        assert!(!html.contains("Anticipated absolute effects ("));
    }

    #[test]
    fn letters_and_thousands() {
        assert_eq!(letter(0), "a");
        assert_eq!(letter(25), "z");
        assert_eq!(letter(26), "aa");
        assert_eq!(thousands(357_347.0), "357,347");
        assert_eq!(thousands(400.0), "400");
        assert_eq!(more_fewer(-0.04, 1), "0.0 fewer");
    }

    #[test]
    fn the_bundled_font_draws_the_grade_symbols() {
        let face = ttf_parser::Face::parse(crate::font::REGULAR, 0).unwrap();
        for c in ['⊕', '◯', '№'] {
            assert!(face.glyph_index(c).is_some(), "DejaVu Sans lacks {c}");
        }
    }
}
