//! The bundled font and text measurement.
//!
//! Every figure is laid out with the metrics of DejaVu Sans (regular and
//! bold), which is bundled in `fonts/` (Bitstream Vera licence, see
//! `fonts/LICENSE-DejaVu.txt`) and is the only font the PNG renderer loads,
//! so the widths used for layout are the widths drawn. Widths are the sum of
//! the glyphs' horizontal advances (kerning only ever narrows DejaVu text, so
//! this is an upper bound of what resvg draws).

use std::sync::OnceLock;

use ttf_parser::Face;

/// DejaVu Sans, regular.
pub const REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
/// DejaVu Sans, bold.
pub const BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");
/// The family name of the bundled font.
pub const FAMILY: &str = "DejaVu Sans";
/// The `font-family` written into the SVGs: the bundled font first; browsers
/// without it fall back to Verdana (about as wide) or a narrower sans-serif.
pub const FONT_STACK: &str = "DejaVu Sans, Verdana, sans-serif";

struct Metrics {
    units_per_em: f64,
    ascender: f64,
    descender: f64,
    /// Advances of U+0000..U+0250, in font units, for speed.
    latin: Vec<u16>,
    face: Face<'static>,
}

fn metrics(bold: bool) -> &'static Metrics {
    static REG: OnceLock<Metrics> = OnceLock::new();
    static BLD: OnceLock<Metrics> = OnceLock::new();
    let (cell, data) = if bold { (&BLD, BOLD) } else { (&REG, REGULAR) };
    cell.get_or_init(|| {
        // The bundled font is a fixed, valid file: parsing it cannot fail.
        let face = Face::parse(data, 0).expect("bundled DejaVu Sans parses");
        let upem = f64::from(face.units_per_em());
        let fallback = advance_of(&face, '?').unwrap_or((upem * 0.6) as u16);
        let latin = (0u32..0x250)
            .map(|c| {
                char::from_u32(c)
                    .and_then(|ch| advance_of(&face, ch))
                    .unwrap_or(fallback)
            })
            .collect();
        Metrics {
            units_per_em: upem,
            ascender: f64::from(face.ascender()),
            descender: f64::from(face.descender()),
            latin,
            face,
        }
    })
}

fn advance_of(face: &Face<'_>, c: char) -> Option<u16> {
    face.glyph_index(c).and_then(|g| face.glyph_hor_advance(g))
}

/// Width of `text` set in the bundled font at `size` px.
pub fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    let m = metrics(bold);
    let units: f64 = text
        .chars()
        .map(|c| {
            let i = c as usize;
            if i < m.latin.len() {
                f64::from(m.latin[i])
            } else {
                f64::from(advance_of(&m.face, c).unwrap_or(m.latin['?' as usize]))
            }
        })
        .sum();
    units * size / m.units_per_em
}

/// Height above the baseline of the font's tallest glyphs at `size` px.
pub fn ascent(size: f64) -> f64 {
    let m = metrics(false);
    m.ascender * size / m.units_per_em
}

/// Depth below the baseline (positive) at `size` px.
pub fn descent(size: f64) -> f64 {
    let m = metrics(false);
    -m.descender * size / m.units_per_em
}

/// `text` cut to fit `max_width`, ending in an ellipsis when cut.
/// Returns the text and whether it was cut.
pub fn truncate(text: &str, size: f64, bold: bool, max_width: f64) -> (String, bool) {
    if text_width(text, size, bold) <= max_width {
        return (text.to_string(), false);
    }
    let ell = '\u{2026}';
    let budget = max_width - text_width("\u{2026}", size, bold);
    let mut out = String::new();
    let mut w = 0.0;
    for c in text.chars() {
        let cw = text_width(c.encode_utf8(&mut [0; 4]), size, bold);
        if w + cw > budget {
            break;
        }
        w += cw;
        out.push(c);
    }
    let trimmed = out.trim_end().to_string();
    (format!("{trimmed}{ell}"), true)
}

/// `text` broken into lines no wider than `max_width`, at spaces (and after
/// `;` or `,`). A single word wider than the line is truncated with an
/// ellipsis. Explicit newlines are kept.
pub fn wrap(text: &str, size: f64, bold: bool, max_width: f64) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split(' ').filter(|w| !w.is_empty()) {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if text_width(&candidate, size, bold) <= max_width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            line = truncate(word, size, bold, max_width).0;
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_scale_with_size_and_weight() {
        let w12 = text_width("Aronson 1948", 12.0, false);
        assert!(w12 > 60.0 && w12 < 100.0, "{w12}");
        assert!((text_width("Aronson 1948", 24.0, false) - 2.0 * w12).abs() < 1e-9);
        assert!(text_width("Aronson 1948", 12.0, true) > w12);
        assert_eq!(text_width("", 12.0, false), 0.0);
        // Characters beyond Latin are measured too (τ, ², ≥).
        assert!(text_width("τ² ≥", 12.0, false) > 0.0);
    }

    #[test]
    fn truncation_fits_and_shows_an_ellipsis() {
        let long = "A very long study label that will not fit in the column at all";
        let (t, cut) = truncate(long, 12.0, false, 120.0);
        assert!(cut);
        assert!(t.ends_with('\u{2026}'));
        assert!(text_width(&t, 12.0, false) <= 120.0);
        assert_eq!(
            truncate("short", 12.0, false, 120.0),
            ("short".to_string(), false)
        );
    }

    #[test]
    fn wrapping_keeps_every_word_within_the_width() {
        let text = "Heterogeneity: tau2 = 0.31; Q = 152.23, df = 12 (p < 0.001); I2 = 92%";
        let lines = wrap(text, 12.0, false, 150.0);
        assert!(lines.len() > 1);
        for l in &lines {
            assert!(text_width(l, 12.0, false) <= 150.0, "{l}");
        }
        assert_eq!(lines.join(" "), text);
    }
}
