//! SVG → PNG with resvg, using only the bundled DejaVu Sans: system fonts are
//! never loaded (resvg is built without its `system-fonts` feature), so a
//! PNG looks the same on a machine with no fonts installed.

use std::sync::{Arc, OnceLock};

use resvg::{tiny_skia, usvg};

use crate::font::{BOLD, FAMILY, REGULAR};

/// Why a PNG could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The SVG did not parse (a bug in a figure, or a hand-made SVG).
    #[error("the SVG could not be read: {0}")]
    Svg(String),
    /// The image would be empty or too large to allocate.
    #[error("cannot make a {width} x {height} px image; use a smaller --scale or figure")]
    Size { width: u32, height: u32 },
    #[error("PNG encoding failed: {0}")]
    Encode(String),
}

fn fontdb() -> Arc<usvg::fontdb::Database> {
    static DB: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(REGULAR.to_vec());
        db.load_font_data(BOLD.to_vec());
        db.set_sans_serif_family(FAMILY);
        db.set_serif_family(FAMILY);
        db.set_monospace_family(FAMILY);
        Arc::new(db)
    })
    .clone()
}

/// Rasterises `svg` at `scale` (1.0 = one pixel per SVG unit; 2.0 for
/// print-quality figures) on a white background.
pub fn svg_to_png(svg: &str, scale: f32) -> Result<Vec<u8>, PlotError> {
    let opt = usvg::Options {
        font_family: FAMILY.to_string(),
        fontdb: fontdb(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &opt).map_err(|e| PlotError::Svg(e.to_string()))?;
    let size = tree.size();
    let scale = if scale.is_finite() && scale > 0.0 {
        scale
    } else {
        1.0
    };
    let width = (size.width() * scale).ceil() as u32;
    let height = (size.height() * scale).ceil() as u32;
    if u64::from(width) * u64::from(height) > 400_000_000 {
        return Err(PlotError::Size { width, height });
    }
    let mut pixmap =
        tiny_skia::Pixmap::new(width, height).ok_or(PlotError::Size { width, height })?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| PlotError::Encode(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_renders_with_the_bundled_font() {
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"120\" height=\"30\"><text x=\"5\" y=\"20\" font-family=\"DejaVu Sans\" font-size=\"14\">Aronson</text></svg>";
        let png = svg_to_png(svg, 1.0).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        // Some pixels are dark: the text was drawn (no font means no glyphs).
        let blank = svg_to_png(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"120\" height=\"30\"/>",
            1.0,
        )
        .unwrap();
        assert_ne!(png, blank);
        let tree = usvg::Tree::from_str(
            svg,
            &usvg::Options {
                fontdb: fontdb(),
                ..usvg::Options::default()
            },
        )
        .unwrap();
        assert!(tree.root().has_children(), "text became paths");
    }

    #[test]
    fn bad_svg_is_an_error() {
        assert!(matches!(svg_to_png("<svg", 1.0), Err(PlotError::Svg(_))));
    }
}
