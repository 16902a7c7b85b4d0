//! Tables (study characteristics, the summary of results) as SVG and HTML.
//! In the SVG each column is as wide as its widest cell up to
//! [`TableData::max_col_width`]; longer cells wrap and rows grow to fit.

use std::fmt::Write;

use crate::font::{self, text_width};
use crate::svg::{draw_title_lines, escape, title_lines, Svg, Text};

/// A table: headers and rows of text.
#[derive(Debug, Clone, PartialEq)]
pub struct TableData {
    pub title: Option<String>,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Columns wider than this (px at 12 px text) wrap. Default 200.
    pub max_col_width: f64,
}

impl TableData {
    /// A table without a title, columns wrapping past 200 px.
    pub fn new(headers: Vec<String>, rows: Vec<Vec<String>>) -> TableData {
        TableData {
            title: None,
            headers,
            rows,
            max_col_width: 200.0,
        }
    }
}

/// Draws the table as an SVG document: a shaded header row, then the rows
/// with every other one striped.
///
/// ```
/// use rema_plot::{table_svg, TableData};
///
/// let t = TableData::new(vec!["Study".into(), "Year".into()], vec![vec!["Smith".into(), "2001".into()]]);
/// assert!(table_svg(&t).contains(">Smith</text>"));
/// ```
pub fn table_svg(t: &TableData) -> String {
    table_svg_with_notes(t, &[])
}

/// [`table_svg`] with footnotes under the table, each wrapped to the
/// table's width (the summary of findings' downgrade reasons and rules).
pub(crate) fn table_svg_with_notes(t: &TableData, notes: &[String]) -> String {
    let fs = 12.0;
    let pad = fs;
    let widths = column_widths(t, fs);
    let total_w = pad * 2.0 + widths.iter().map(|w| w + 2.0 * CPAD).sum::<f64>();
    let wrapped = |text: &str, j: usize, bold: bool| font::wrap(text, fs, bold, widths[j]);
    let ncol = t.headers.len();
    let head: Vec<Vec<String>> = (0..ncol).map(|j| wrapped(&t.headers[j], j, true)).collect();
    let body: Vec<Vec<Vec<String>>> = t
        .rows
        .iter()
        .map(|r| (0..ncol).map(|j| wrapped(&cell(r, j), j, false)).collect())
        .collect();
    let line = fs * 1.35;
    let height_of = |cells: &Vec<Vec<String>>| {
        cells.iter().map(Vec::len).max().unwrap_or(1).max(1) as f64 * line + 2.0 * CPAD
    };
    let title_lines = title_lines(t.title.as_deref(), fs, total_w - 2.0 * pad);
    let top = pad + title_lines.len() as f64 * fs * 1.75;
    let head_h = height_of(&head);
    let note_fs = fs * 0.9;
    let note_lines: Vec<String> = notes
        .iter()
        .flat_map(|n| font::wrap(n, note_fs, false, (total_w - 2.0 * pad).max(200.0)))
        .collect();
    let notes_h = if note_lines.is_empty() {
        0.0
    } else {
        fs * 0.6 + note_lines.len() as f64 * note_fs * 1.35
    };
    let total_h = top + head_h + body.iter().map(height_of).sum::<f64>() + notes_h + pad;
    let mut svg = Svg::new(total_w, total_h, t.title.as_deref().unwrap_or("Table"));
    draw_title_lines(&mut svg, &title_lines, pad, fs);
    let xs: Vec<f64> = widths
        .iter()
        .scan(pad, |x, w| {
            let here = *x;
            *x += w + 2.0 * CPAD;
            Some(here)
        })
        .collect();
    let draw_row = |svg: &mut Svg, cells: &Vec<Vec<String>>, y: f64, bold: bool, class: &str| {
        for (j, lines) in cells.iter().enumerate() {
            for (i, l) in lines.iter().enumerate() {
                let by = y + CPAD + (i as f64 + 1.0) * line - fs * 0.4;
                svg.text(&Text::new(xs[j] + CPAD, by, l, fs).bold(bold).class(class));
            }
        }
    };
    let mut y = top;
    svg.rect(pad, y, total_w - 2.0 * pad, head_h, "fill=\"#e8eef5\"");
    draw_row(&mut svg, &head, y, true, "header");
    y += head_h;
    svg.line((pad, y), (total_w - pad, y), "#000", 1.0, "");
    for (i, cells) in body.iter().enumerate() {
        let h = height_of(cells);
        if i % 2 == 1 {
            svg.rect(pad, y, total_w - 2.0 * pad, h, "fill=\"#f6f6f6\"");
        }
        draw_row(&mut svg, cells, y, false, "cell");
        y += h;
    }
    svg.line((pad, y), (total_w - pad, y), "#000", 1.0, "");
    y += fs * 0.6;
    for l in &note_lines {
        y += note_fs * 1.35;
        svg.text(&Text::new(pad, y - note_fs * 0.35, l, note_fs).class("note"));
    }
    svg.finish()
}

/// Padding inside a cell.
const CPAD: f64 = 6.0;

/// Cell `j` of row `r` (empty past its end).
fn cell(r: &[String], j: usize) -> String {
    r.get(j).cloned().unwrap_or_default()
}

/// Each column as wide as its widest cell, at most
/// [`TableData::max_col_width`], but never narrower than the longest word of
/// its header.
fn column_widths(t: &TableData, fs: f64) -> Vec<f64> {
    (0..t.headers.len())
        .map(|j| {
            let head = t.headers[j]
                .split(' ')
                .map(|w| text_width(w, fs, true))
                .fold(0.0, f64::max);
            let full = t
                .rows
                .iter()
                .map(|r| text_width(&cell(r, j), fs, false))
                .chain(std::iter::once(text_width(&t.headers[j], fs, true)))
                .fold(0.0, f64::max);
            full.min(t.max_col_width).max(head.min(t.max_col_width))
        })
        .collect()
}

/// The table as HTML.
pub fn table_html(t: &TableData) -> String {
    let mut h = String::from("<table>\n");
    if let Some(c) = &t.title {
        let _ = writeln!(h, "<caption>{}</caption>", escape(c));
    }
    h.push_str("<thead><tr>");
    for c in &t.headers {
        let _ = write!(h, "<th scope=\"col\">{}</th>", escape(c));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for r in &t.rows {
        h.push_str("<tr>");
        for j in 0..t.headers.len() {
            let _ = write!(
                h,
                "<td>{}</td>",
                escape(r.get(j).map(String::as_str).unwrap_or(""))
            );
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n");
    h
}

/// The table as a Markdown (GitHub) table; `|` in cells is escaped.
pub fn table_markdown(t: &TableData) -> String {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = String::new();
    if let Some(c) = &t.title {
        out += &format!("**{}**\n\n", cell(c));
    }
    out += &format!(
        "| {} |\n",
        t.headers
            .iter()
            .map(|h| cell(h))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    out += &format!("|{}\n", "---|".repeat(t.headers.len()));
    for r in &t.rows {
        let cells: Vec<String> = (0..t.headers.len())
            .map(|j| cell(r.get(j).map(String::as_str).unwrap_or("")))
            .collect();
        out += &format!("| {} |\n", cells.join(" | "));
    }
    out
}

/// The table as CSV (RFC 4180 quoting).
pub fn table_csv(t: &TableData) -> String {
    let q = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut out = t.headers.iter().map(|h| q(h)).collect::<Vec<_>>().join(",") + "\n";
    for r in &t.rows {
        out += &r.iter().map(|c| q(c)).collect::<Vec<_>>().join(",");
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> TableData {
        TableData::new(
            vec!["Study".into(), "Note".into()],
            vec![vec!["A, 2001".into(), "x | y".into()], vec!["B".into()]],
        )
    }

    #[test]
    fn markdown_and_csv_quote_what_needs_quoting() {
        let md = table_markdown(&t());
        assert_eq!(
            md,
            "| Study | Note |\n|---|---|\n| A, 2001 | x \\| y |\n| B |  |\n"
        );
        assert_eq!(table_csv(&t()), "Study,Note\n\"A, 2001\",x | y\nB\n");
    }

    #[test]
    fn html_escapes_cells() {
        let mut x = t();
        x.rows[0][1] = "<b>".into();
        assert!(table_html(&x).contains("<td>&lt;b&gt;</td>"));
    }
}
