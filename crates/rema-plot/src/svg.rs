//! A small SVG writer: every element the figures use, with text escaped and
//! numbers written with two decimals.
//!
//! Every `<text>` carries its own `x`, `y`, `font-size`, `text-anchor` and
//! `font-weight`, so a reader (or a test) can recover each text's box from
//! the bundled font's metrics.

use std::fmt::Write;

use crate::font::{self, FONT_STACK};

/// Horizontal alignment of a text at its `x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    fn name(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// Escapes `&`, `<`, `>`, `"` and `'` for XML text and attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

fn n(x: f64) -> String {
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// A text to draw.
#[derive(Debug, Clone)]
pub struct Text<'a> {
    pub x: f64,
    pub y: f64,
    pub text: &'a str,
    pub size: f64,
    pub anchor: Anchor,
    pub bold: bool,
    pub class: &'a str,
    /// Full text shown as a tooltip, e.g. when `text` was truncated.
    pub title: Option<&'a str>,
    pub fill: &'a str,
}

impl<'a> Text<'a> {
    pub fn new(x: f64, y: f64, text: &'a str, size: f64) -> Text<'a> {
        Text {
            x,
            y,
            text,
            size,
            anchor: Anchor::Start,
            bold: false,
            class: "",
            title: None,
            fill: "#000",
        }
    }
    pub fn anchor(mut self, a: Anchor) -> Self {
        self.anchor = a;
        self
    }
    pub fn bold(mut self, b: bool) -> Self {
        self.bold = b;
        self
    }
    pub fn class(mut self, c: &'a str) -> Self {
        self.class = c;
        self
    }
    pub fn title(mut self, t: Option<&'a str>) -> Self {
        self.title = t;
        self
    }
    pub fn fill(mut self, f: &'a str) -> Self {
        self.fill = f;
        self
    }
    /// The text's box (x0, y0, x1, y1) from the bundled font's metrics.
    pub fn bbox(&self) -> (f64, f64, f64, f64) {
        let w = font::text_width(self.text, self.size, self.bold);
        let x0 = match self.anchor {
            Anchor::Start => self.x,
            Anchor::Middle => self.x - w / 2.0,
            Anchor::End => self.x - w,
        };
        (
            x0,
            self.y - font::ascent(self.size),
            x0 + w,
            self.y + font::descent(self.size),
        )
    }
}

/// An SVG document being written.
pub struct Svg {
    body: String,
    width: f64,
    height: f64,
    title: String,
}

impl Svg {
    pub fn new(width: f64, height: f64, title: &str) -> Svg {
        Svg {
            body: String::new(),
            width,
            height,
            title: title.to_string(),
        }
    }

    pub fn text(&mut self, t: &Text<'_>) {
        if t.text.is_empty() {
            return;
        }
        let class = if t.class.is_empty() {
            String::new()
        } else {
            format!(" class=\"{}\"", t.class)
        };
        let weight = if t.bold { "bold" } else { "normal" };
        let open = t
            .title
            .map(|full| format!("<g><title>{}</title>", escape(full)));
        if let Some(o) = &open {
            self.body.push_str(o);
        }
        let _ = writeln!(
            self.body,
            "<text{class} x=\"{}\" y=\"{}\" font-size=\"{}\" font-weight=\"{weight}\" text-anchor=\"{}\" fill=\"{}\">{}</text>",
            n(t.x),
            n(t.y),
            n(t.size),
            t.anchor.name(),
            t.fill,
            escape(t.text)
        );
        if open.is_some() {
            self.body.push_str("</g>\n");
        }
    }

    pub fn line(
        &mut self,
        (x1, y1): (f64, f64),
        (x2, y2): (f64, f64),
        stroke: &str,
        width: f64,
        extra: &str,
    ) {
        let _ = writeln!(
            self.body,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{stroke}\" stroke-width=\"{}\"{extra}/>",
            n(x1),
            n(y1),
            n(x2),
            n(y2),
            n(width)
        );
    }

    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, attrs: &str) {
        let _ = writeln!(
            self.body,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" {attrs}/>",
            n(x),
            n(y),
            n(w),
            n(h)
        );
    }

    pub fn polygon(&mut self, points: &[(f64, f64)], attrs: &str) {
        let pts: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{},{}", n(*x), n(*y)))
            .collect();
        let _ = writeln!(self.body, "<polygon points=\"{}\" {attrs}/>", pts.join(" "));
    }

    pub fn circle(&mut self, cx: f64, cy: f64, r: f64, attrs: &str) {
        let _ = writeln!(
            self.body,
            "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" {attrs}/>",
            n(cx),
            n(cy),
            n(r)
        );
    }

    pub fn raw(&mut self, s: &str) {
        self.body.push_str(s);
    }

    pub fn finish(self) -> String {
        let w = n(self.width.ceil());
        let h = n(self.height.ceil());
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"{FONT_STACK}\" role=\"img\">\n<title>{}</title>\n<rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>\n{}</svg>\n",
            escape(&self.title),
            self.body
        )
    }
}

/// A figure's title wrapped to `width`: bold, 1.25 × the body size `fs`
/// (no lines without a title).
pub fn title_lines(title: Option<&str>, fs: f64, width: f64) -> Vec<String> {
    title
        .map(|t| font::wrap(t, fs * 1.25, true, width))
        .unwrap_or_default()
}

/// Draws title lines (see [`title_lines`]) at the left margin `pad`, one
/// every 1.75 × `fs` from the top margin; returns the y under the last.
pub fn draw_title_lines(svg: &mut Svg, lines: &[String], pad: f64, fs: f64) -> f64 {
    let mut y = pad;
    for l in lines {
        y += fs * 1.75;
        svg.text(
            &Text::new(pad, y - fs * 0.5, l, fs * 1.25)
                .bold(true)
                .class("title"),
        );
    }
    y
}

/// A number with `digits` decimals; `NA` when not finite; never `-0.00`.
pub fn num(x: f64, digits: usize) -> String {
    if !x.is_finite() {
        return "NA".to_string();
    }
    let s = format!("{x:.digits$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// A p-value as `p = 0.123` or `p < 0.001`.
pub fn pval(p: f64) -> String {
    if !p.is_finite() {
        "p = NA".to_string()
    } else if p < 0.001 {
        "p < 0.001".to_string()
    } else {
        format!("p = {}", num(p, 3))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }

    #[test]
    fn numbers_have_no_negative_zero() {
        assert_eq!(num(-0.0001, 2), "0.00");
        assert_eq!(num(-0.5, 2), "-0.50");
        assert_eq!(num(f64::NAN, 2), "NA");
        assert_eq!(pval(0.0001), "p < 0.001");
        assert_eq!(pval(0.0412), "p = 0.041");
    }
}
