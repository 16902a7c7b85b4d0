//! The GOSH plot as layers of the shared x–y chart: the subsets without the
//! highlighted study and those with it, each a layer of cells whose opacity
//! grows with the log of the count (so that a few subsets still show beside
//! a dense cluster), on axes fitted to the occupied cells.

use super::data::{GoshData, X_BINS, Y_BINS};
use crate::scatter::{Cell, Layer, ScatterData};

const WITHOUT: &str = "#2b6cb0";
const WITH: &str = "#d9480f";

/// The cells of a count grid, opacity ∝ ln(1 + count) / ln(1 + max).
fn cells(d: &GoshData, counts: &[u32], max: u32) -> Vec<Cell> {
    let (a, b) = d.bins.range;
    let (dx, dy) = ((b - a) / X_BINS as f64, 100.0 / Y_BINS as f64);
    let scale = (1.0 + f64::from(max)).ln();
    counts
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(i, c)| {
            let (ix, iy) = ((i % X_BINS) as f64, (i / X_BINS) as f64);
            Cell {
                x0: a + ix * dx,
                x1: a + (ix + 1.0) * dx,
                y0: iy * dy,
                y1: (iy + 1.0) * dy,
                opacity: 0.15 + 0.85 * (1.0 + f64::from(*c)).ln() / scale,
            }
        })
        .collect()
}

/// The chart of a GOSH plot.
pub(super) fn chart(d: &GoshData) -> ScatterData {
    let mut s = ScatterData::new(&d.x_label, "I² (%)");
    s.title = d.title.clone();
    s.x_ratio = d.ratio;
    s.width = d.width;
    s.height = d.height;
    s.font_size = d.font_size;
    s.y_limits = Some((0.0, 100.0));
    let bins = &d.bins;
    let with = d
        .highlight
        .and_then(|j| bins.with.get(j).map(|g| (j, g)))
        .filter(|(_, g)| !g.is_empty());
    let without: Vec<u32> = match with {
        Some((_, g)) => bins.all.iter().zip(g).map(|(a, w)| a - w).collect(),
        None => bins.all.clone(),
    };
    let max = bins.all.iter().copied().max().unwrap_or(0).max(1);
    let n_without: u64 = without.iter().map(|c| u64::from(*c)).sum();
    let label = |j: usize| {
        d.labels
            .get(j)
            .cloned()
            .unwrap_or_else(|| format!("study {}", j + 1))
    };
    let without_text = match with {
        Some((j, _)) => format!("subsets without {} ({n_without})", label(j)),
        None => format!("subsets ({n_without})"),
    };
    s.layers.push(
        Layer::Cells {
            class: "gosh-without",
            cells: cells(d, &without, max),
            fill: WITHOUT.to_string(),
            legend: None,
        }
        .legend(&without_text),
    );
    if let Some((j, g)) = with {
        let n: u64 = g.iter().map(|c| u64::from(*c)).sum();
        s.layers.push(
            Layer::Cells {
                class: "gosh-with",
                cells: cells(d, g, max),
                fill: WITH.to_string(),
                legend: None,
            }
            .legend(&format!("subsets with {} ({n})", label(j))),
        );
    }
    s
}
