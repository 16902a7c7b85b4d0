//! Text renderings of results, as `rema analyze` and `rema bias` print them
//! (in the spirit of metafor's print methods), shared by every face so the
//! server can answer text too.
//!
//! - `summary.rs`: the model, heterogeneity, the studies; the CSV line;
//! - `csv.rs`: the CSV table of a result with sections;
//! - `multilevel.rs`: a multilevel model's components, the cluster-robust tests;
//! - `heterogeneity.rs`: meta-regression, subgroups, permutation tests, bootstrap;
//! - `sensitivity.rs`: leave-one-out, influence, cumulative;
//! - `bias.rs`: the small-study tests.

mod bias;
mod csv;
mod heterogeneity;
mod model;
mod multilevel;
mod sensitivity;
mod summary;

use crate::bias::BiasResult;
use crate::result::AnalysisResult;

/// The text of `rema analyze`: the summary, then every section the result has.
///
/// ```
/// use rema_data::{analyze, AnalysisSpec, Table};
/// let t = Table::from_str("study,yi,vi\nA,0.1,0.02\nB,0.3,0.03\n", "x.csv").unwrap();
/// let r = analyze(&t, &AnalysisSpec::new(rema_core::Measure::Gen), "0").unwrap();
/// assert!(rema_data::render::text(&r).contains("k = 2"));
/// ```
pub fn text(r: &AnalysisResult) -> String {
    summary::summary(r)
        + &multilevel::sections(r)
        + &heterogeneity::sections(r)
        + &model::section(r)
        + &sensitivity::sections(r)
        + &summary::footer(r)
}

pub use self::csv::csv;

/// The text of `rema bias`.
pub fn bias_text(r: &BiasResult) -> String {
    bias::text(r)
}

/// The scale of the per-study values and the pooled estimate: `log RR`,
/// `log ROM`, `logit proportion`, ... for the measures analysed on a
/// transformed scale (those rema back-transforms), the measure's name
/// otherwise.
fn analysis_scale(measure: &str) -> String {
    use rema_core::Measure;
    match measure.parse::<Measure>() {
        Ok(Measure::Pln) => "log proportion".to_string(),
        Ok(Measure::Plo) => "logit proportion".to_string(),
        Ok(Measure::Pas) => "arcsine square-root proportion".to_string(),
        Ok(Measure::Pft) => "Freeman-Tukey double-arcsine proportion".to_string(),
        Ok(m) if m.back_transform() == rema_core::BackTransform::Exp => format!("log {measure}"),
        _ => measure.to_string(),
    }
}

/// A p-value as metafor prints it: 4 decimals, `<.0001` below.
fn p_fmt(p: f64) -> String {
    if p < 1e-4 {
        "<.0001".to_string()
    } else {
        format!("{p:.4}")
    }
}
