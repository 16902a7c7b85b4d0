//! What a GOSH plot shows: the subsets' (estimate, I²) binned on a grid,
//! all together and per study, and which study to highlight.

/// Cells across the estimate axis.
pub const X_BINS: usize = 120;
/// Cells up the I² axis (0 to 100 %).
pub const Y_BINS: usize = 80;

/// The fits of a GOSH run binned as they arrive: one count grid for all
/// subsets and one per study (the subsets that contain it), over a fixed
/// estimate range (for an intercept-only model every subset's estimate lies
/// between the smallest and the largest effect) and I² from 0 to 100.
#[derive(Debug, Clone, PartialEq)]
pub struct GoshBins {
    /// The estimate range on the analysis scale.
    pub range: (f64, f64),
    /// Counts of all subsets, row-major (`Y_BINS` rows of `X_BINS`).
    pub all: Vec<u32>,
    /// Counts of the subsets that contain each study.
    pub with: Vec<Vec<u32>>,
    /// Subsets binned.
    pub count: u64,
}

impl GoshBins {
    /// Empty grids for `k` studies over the estimate range `range`.
    pub fn new(k: usize, range: (f64, f64)) -> GoshBins {
        let (a, b) = range;
        let range = if a < b && a.is_finite() && b.is_finite() {
            range
        } else {
            (a - 0.5, a + 0.5)
        };
        GoshBins {
            range,
            all: vec![0; X_BINS * Y_BINS],
            with: vec![Vec::new(); k],
            count: 0,
        }
    }

    fn cell(&self, estimate: f64, i2: f64) -> Option<usize> {
        if !(estimate.is_finite() && i2.is_finite()) {
            return None;
        }
        let (a, b) = self.range;
        let fx = ((estimate - a) / (b - a)).clamp(0.0, 1.0);
        let fy = (i2 / 100.0).clamp(0.0, 1.0);
        let ix = ((fx * X_BINS as f64) as usize).min(X_BINS - 1);
        let iy = ((fy * Y_BINS as f64) as usize).min(Y_BINS - 1);
        Some(iy * X_BINS + ix)
    }

    /// Adds one subset's fit, with its studies (0-based); a fit that failed
    /// (NaN) is not drawn.
    pub fn add(&mut self, estimate: f64, i2: f64, members: &[usize]) {
        let Some(c) = self.cell(estimate, i2) else {
            return;
        };
        self.count += 1;
        self.all[c] += 1;
        for &j in members {
            if let Some(g) = self.with.get_mut(j) {
                if g.is_empty() {
                    g.resize(X_BINS * Y_BINS, 0);
                }
                g[c] += 1;
            }
        }
    }
}

/// Everything a GOSH plot shows.
#[derive(Debug, Clone, PartialEq)]
pub struct GoshData {
    pub title: Option<String>,
    pub bins: GoshBins,
    /// The studies' labels, in study order.
    pub labels: Vec<String>,
    /// The study whose subsets are drawn in the second colour.
    pub highlight: Option<usize>,
    /// Estimates are log ratios: tick labels show exp(x).
    pub ratio: bool,
    /// x-axis label, e.g. `Risk ratio (log scale)`.
    pub x_label: String,
    pub width: f64,
    pub height: f64,
    pub font_size: f64,
}

impl GoshData {
    /// A GOSH plot of `bins` with the studies' `labels`, nothing highlighted.
    pub fn new(bins: GoshBins, labels: Vec<String>) -> GoshData {
        GoshData {
            title: None,
            bins,
            labels,
            highlight: None,
            ratio: false,
            x_label: "Estimate".to_string(),
            width: 560.0,
            height: 440.0,
            font_size: 12.0,
        }
    }
}
