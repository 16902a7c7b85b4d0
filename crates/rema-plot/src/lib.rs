//! rema-plot: rema's figures and report.
//!
//! Plain input types in, SVG text out: the forest plot ([`forest_svg`]), the
//! funnel plot ([`funnel_svg`]), the PRISMA 2020 selection flow
//! ([`flow_svg`]), the risk-of-bias traffic lights ([`risk_of_bias_svg`]) and
//! tables ([`table_svg`], [`table_html`]), the GRADE summary of findings
//! ([`sof_html`], [`sof_svg`]); [`svg_to_png`] rasterises any of
//! them with resvg and the bundled DejaVu Sans; [`render_report`] puts them
//! into one self-contained HTML file. [`adapt`] builds the inputs from
//! rema-data's types: an `AnalysisResult` ([`ForestData`], [`FunnelData`]),
//! a `Review` ([`adapt::review`]) and a plan run's output, whose figures and
//! report [`adapt::run::run_report`] assembles for the CLI or any other face.
//!
//! Each figure is a module of three parts: `data` (the input types), `layout`
//! (where everything goes, from the font's metrics) and `draw` (one function
//! per element), so that `forest_svg(d)` is `draw(&layout(d, &rows(d)))`.
//!
//! Layout is computed from the bundled font's metrics ([`font`]), so texts
//! never overlap, whatever the number of studies.

pub mod adapt;
pub mod axis;
pub mod diagnostic;
pub mod display;
pub mod flow;
pub mod font;
pub mod forest;
pub mod funnel;
pub mod gosh;
pub mod legend;
pub mod png;
pub mod report;
pub mod rob;
pub mod scatter;
pub mod sof;
pub mod svg;
pub mod table;
pub mod writeup;

pub use display::DisplayTransform;
pub use flow::{flow_svg, FlowCount, FlowCounts};
pub use forest::{
    forest_svg, EffectTest, Footer, ForestData, ForestGroup, ForestOptions, ForestRow,
    Heterogeneity, Pooled, Scale, SubgroupTest,
};
pub use funnel::{funnel_svg, FunnelData};
pub use gosh::{gosh_svg, GoshBins, GoshData};
pub use png::{svg_to_png, PlotError};
pub use report::{
    methods_paragraph, provenance_rows, render_report, summary_table, Block, Figure, NotRunGroup,
    ReportInput, Section,
};
pub use rob::{judgement_style, risk_of_bias_html, risk_of_bias_svg, Judgement, RiskOfBias};
pub use scatter::{scatter_svg, ScatterData};
pub use sof::{sof_html, sof_svg};
pub use table::{table_csv, table_html, table_markdown, table_svg, TableData};
