//! The RevMan-style forest plot.
//!
//! Left: study labels, optional data columns, weight (%) and the effect with
//! its confidence interval as text. Right: one square per study, its area
//! proportional to the study's weight, with the CI as a line (an arrow where
//! the CI leaves the axis); a diamond per pooled estimate spanning its CI;
//! the prediction interval as a bar; a reference line at no effect; the axis
//! (logarithmic for ratios) and the "favours" labels; footer lines with
//! heterogeneity (τ², Q, df, p, I²), the test for the overall effect and the
//! test for subgroup differences.
//!
//! Every text is measured with the bundled font ([`crate::font`]): columns
//! are as wide as their widest cell, study labels longer than
//! [`ForestOptions::max_label_width`] are cut with an ellipsis (the full label
//! stays in a `<title>`), and footer lines wrap, so no two texts overlap at
//! any number of studies.

mod data;
mod draw;
mod layout;

pub use data::{
    effect_test_text, heterogeneity_text, subgroup_test_text, EffectTest, Footer, ForestData,
    ForestGroup, ForestOptions, ForestRow, Heterogeneity, Pooled, Scale, SubgroupTest,
};

/// Draws the forest plot as an SVG document: the rows in drawing order
/// ([`ForestData`]'s studies, subgroups and pooled estimates), laid out with
/// the bundled font's metrics, then drawn element by element.
///
/// ```
/// use rema_plot::{forest_svg, ForestData, ForestRow, Scale};
///
/// let mut d = ForestData::new(Scale::Log);
/// d.rows.push(ForestRow {
///     label: "Aronson 1948".into(),
///     line: None,
///     data: vec![],
///     estimate: 0.41,
///     ci_lower: 0.13,
///     ci_upper: 1.26,
///     weight: Some(100.0),
/// });
/// let svg = forest_svg(&d);
/// assert!(svg.starts_with("<svg") && svg.contains(">Aronson 1948</text>"));
/// ```
pub fn forest_svg(d: &ForestData) -> String {
    let rows = data::rows(d);
    draw::draw(&layout::layout(d, &rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &str, e: f64, l: f64, u: f64) -> ForestRow {
        ForestRow {
            label: label.into(),
            line: None,
            data: vec![],
            estimate: e,
            ci_lower: l,
            ci_upper: u,
            weight: Some(50.0),
        }
    }

    /// Regression guard: degenerate input draws a figure, never panics.
    #[test]
    fn degenerate_input_still_draws() {
        let empty = forest_svg(&ForestData::new(Scale::Log));
        assert!(empty.starts_with("<svg"));
        let mut d = ForestData::new(Scale::Log);
        d.rows = vec![
            row("zero ratio", 0.0, 0.0, 1.0),
            row("not a number", f64::NAN, f64::NAN, f64::NAN),
            row("infinite CI", 2.0, 0.5, f64::INFINITY),
            row("", 1.0, 1.0, 1.0),
        ];
        let svg = forest_svg(&d);
        assert!(svg.contains(">NA [NA, NA]</text>"));
        // One square for each plottable estimate (2.0 and 1.0).
        assert_eq!(svg.matches("study-square").count(), 2);
        let mut p = ForestData::new(Scale::Percent);
        p.rows = vec![row("only study", 5.0, -1.0, 12.0)];
        assert!(forest_svg(&p).contains("class=\"arrow\""));
    }

    #[test]
    fn footer_lines_read_as_revman_prints_them() {
        let h = Heterogeneity {
            tau2: Some(0.3132),
            q: 152.233,
            df: 12.0,
            pval: 1e-20,
            i2: 92.22,
        };
        assert_eq!(
            heterogeneity_text(&h),
            "Heterogeneity: τ² = 0.31; Q = 152.23, df = 12 (p < 0.001); I² = 92%"
        );
        let t = EffectTest {
            statistic: "t".into(),
            value: -2.5,
            df: Some(12.0),
            pval: 0.028,
        };
        assert_eq!(
            effect_test_text("Test for overall effect", &t),
            "Test for overall effect: t(12) = -2.50 (p = 0.028)"
        );
    }
}
