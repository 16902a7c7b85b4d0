//! What an x–y chart shows: its layers, in drawing order, on the data
//! scale, and its axis labels.

/// One point: its position, its radius in px, a label drawn beside it, and
/// a name shown as its tooltip (the study, also when the label is left out).
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    /// Radius in px; `None` takes the chart's default.
    pub r: Option<f64>,
    pub label: Option<String>,
    pub name: Option<String>,
}

impl Point {
    /// A point at (x, y) with the default radius and no label.
    pub fn new(x: f64, y: f64) -> Point {
        Point {
            x,
            y,
            r: None,
            label: None,
            name: None,
        }
    }

    /// With a label drawn beside it (and the same text as its tooltip).
    pub fn label(mut self, text: &str) -> Point {
        self.label = Some(text.to_string());
        self.name = Some(text.to_string());
        self
    }

    /// With a tooltip only.
    pub fn name(mut self, text: &str) -> Point {
        self.name = Some(text.to_string());
        self
    }

    /// With radius `r` px.
    pub fn radius(mut self, r: f64) -> Point {
        self.r = Some(r);
        self
    }
}

/// A rectangle of a density layer, in data units, with its opacity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    pub x0: f64,
    pub x1: f64,
    pub y0: f64,
    pub y1: f64,
    pub opacity: f64,
}

/// One layer of the chart. `legend` is its entry in the legend, if any.
#[derive(Debug, Clone, PartialEq)]
pub enum Layer {
    /// Points, filled with `fill` (`"none"` for hollow).
    Points {
        class: &'static str,
        fill: String,
        stroke: String,
        points: Vec<Point>,
        legend: Option<String>,
    },
    /// A polyline.
    Line {
        class: &'static str,
        points: Vec<(f64, f64)>,
        stroke: String,
        dash: Option<&'static str>,
        legend: Option<String>,
    },
    /// The area between two polylines over the same x values.
    Band {
        class: &'static str,
        lower: Vec<(f64, f64)>,
        upper: Vec<(f64, f64)>,
        fill: String,
        legend: Option<String>,
    },
    /// Density cells in one colour.
    Cells {
        class: &'static str,
        cells: Vec<Cell>,
        fill: String,
        legend: Option<String>,
    },
    /// Texts at fixed data positions, each starting just right of its
    /// point and centred on it vertically (R's `text(pos = 4)`), such as the
    /// tick labels of an axis drawn inside the panel.
    Texts {
        class: &'static str,
        items: Vec<(f64, f64, String)>,
        legend: Option<String>,
    },
}

impl Layer {
    /// Filled points of colour `fill`, without a legend entry.
    pub fn points(class: &'static str, fill: &str, points: Vec<Point>) -> Layer {
        Layer::Points {
            class,
            fill: fill.to_string(),
            stroke: "none".to_string(),
            points,
            legend: None,
        }
    }

    /// A solid or dashed line, without a legend entry.
    pub fn line(
        class: &'static str,
        stroke: &str,
        dash: Option<&'static str>,
        points: Vec<(f64, f64)>,
    ) -> Layer {
        Layer::Line {
            class,
            points,
            stroke: stroke.to_string(),
            dash,
            legend: None,
        }
    }

    /// The layer with a legend entry.
    pub fn legend(mut self, text: &str) -> Layer {
        let t = Some(text.to_string());
        match &mut self {
            Layer::Points { legend, .. }
            | Layer::Line { legend, .. }
            | Layer::Band { legend, .. }
            | Layer::Cells { legend, .. }
            | Layer::Texts { legend, .. } => *legend = t,
        }
        self
    }

    /// Every (x, y) the layer must show.
    pub(super) fn extent(&self) -> Vec<(f64, f64)> {
        match self {
            Layer::Points { points, .. } => points.iter().map(|p| (p.x, p.y)).collect(),
            Layer::Line { points, .. } => points.clone(),
            Layer::Band { lower, upper, .. } => lower.iter().chain(upper).copied().collect(),
            Layer::Cells { cells, .. } => cells
                .iter()
                .flat_map(|c| [(c.x0, c.y0), (c.x1, c.y1)])
                .collect(),
            Layer::Texts { items, .. } => items.iter().map(|(x, y, _)| (*x, *y)).collect(),
        }
    }

    pub(super) fn legend_text(&self) -> Option<&str> {
        match self {
            Layer::Points { legend, .. }
            | Layer::Line { legend, .. }
            | Layer::Band { legend, .. }
            | Layer::Cells { legend, .. }
            | Layer::Texts { legend, .. } => legend.as_deref(),
        }
    }
}

/// Everything an x–y chart shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ScatterData {
    pub title: Option<String>,
    pub x_label: String,
    pub y_label: String,
    /// x values are log ratios: tick labels show exp(x).
    pub x_ratio: bool,
    /// Axis limits; `None` fits the data (and `x_include`/`y_include`).
    pub x_limits: Option<(f64, f64)>,
    pub y_limits: Option<(f64, f64)>,
    /// Values the axes must include besides the layers (e.g. 0).
    pub x_include: Vec<f64>,
    pub y_include: Vec<f64>,
    pub layers: Vec<Layer>,
    /// Default radius of a point in px.
    pub point_radius: f64,
    pub width: f64,
    pub height: f64,
    pub font_size: f64,
}

impl ScatterData {
    /// An empty chart with these axis labels.
    pub fn new(x_label: &str, y_label: &str) -> ScatterData {
        ScatterData {
            title: None,
            x_label: x_label.to_string(),
            y_label: y_label.to_string(),
            x_ratio: false,
            x_limits: None,
            y_limits: None,
            x_include: Vec::new(),
            y_include: Vec::new(),
            layers: Vec::new(),
            point_radius: 3.8,
            width: 560.0,
            height: 440.0,
            font_size: 12.0,
        }
    }
}
