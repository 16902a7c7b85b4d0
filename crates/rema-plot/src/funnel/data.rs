//! What a funnel plot shows: effects on the analysis scale with their
//! standard errors, and the contour levels.

/// Everything a funnel plot shows. Effects are on the analysis scale.
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelData {
    pub title: Option<String>,
    pub yi: Vec<f64>,
    pub sei: Vec<f64>,
    /// The pooled estimate (vertical line; centre of the pseudo-CI contours).
    pub estimate: f64,
    /// Studies imputed by trim-and-fill, `(yi, sei)`, drawn hollow.
    pub filled: Vec<(f64, f64)>,
    /// The estimate after filling, drawn dashed.
    pub adjusted_estimate: Option<f64>,
    /// Centre the pseudo-CI contours on `adjusted_estimate` (when there is
    /// one) instead of the pooled estimate.
    pub contours_on_adjusted: bool,
    /// Contour levels in percent, e.g. `[90, 95, 99]`.
    pub contours: Vec<f64>,
    /// None: pseudo-CI lines around `estimate`; Some(c): shaded significance
    /// contours around the null value c (Peters et al. 2008).
    pub contour_center: Option<f64>,
    /// Effects are log ratios: tick labels show exp(x).
    pub ratio: bool,
    /// x-axis label, e.g. `Risk ratio (log scale)`.
    pub x_label: String,
    pub width: f64,
    pub height: f64,
    pub font_size: f64,
}

impl FunnelData {
    /// A funnel of the studies' effects `yi` and standard errors `sei`
    /// around the pooled `estimate`, with 90/95/99% pseudo-CI contours.
    pub fn new(yi: Vec<f64>, sei: Vec<f64>, estimate: f64) -> FunnelData {
        FunnelData {
            title: None,
            yi,
            sei,
            estimate,
            filled: Vec::new(),
            adjusted_estimate: None,
            contours_on_adjusted: false,
            contours: vec![90.0, 95.0, 99.0],
            contour_center: None,
            ratio: false,
            x_label: "Effect".to_string(),
            width: 560.0,
            height: 440.0,
            font_size: 12.0,
        }
    }
}

/// z = Φ⁻¹(1 − (1 − level/100)/2).
pub fn contour_z(level: f64) -> f64 {
    rema_core::fit::critical_value(level, None)
}
