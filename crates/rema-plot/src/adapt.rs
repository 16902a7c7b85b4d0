//! From rema-data's [`AnalysisResult`] to the plots' inputs.
//!
//! Per-study effects and CIs are mapped to the display scale: exp for
//! ratio measures (log axis), back-transformed and ×100 for proportions
//! (percent axis; Freeman–Tukey studies at their own n, recovered exactly
//! from vᵢ = 1/(4nᵢ + 2)), unchanged otherwise. The pooled estimate, CI and
//! PI come from the result's own `transformed` block when it has one.
//!
//! An analysis with subgroups (`--by`) becomes one [`ForestGroup`] per level,
//! with its subtotal diamond, prediction interval, heterogeneity and test, and
//! the test for subgroup differences.
//!
//! [`review`] does the same for a systematic review (selection flow, risk of
//! bias, characteristics), and [`run`] for the output of a plan run (its
//! figures and the input of the HTML report), so that every face of rema
//! draws them alike.

use rema_data::bias::TrimFillResult;
use rema_data::{AnalysisResult, SubgroupResult, Summary, Transformed};

use crate::forest::{
    EffectTest, ForestData, ForestGroup, ForestRow, Heterogeneity, Pooled, Scale, SubgroupTest,
};
use crate::funnel::FunnelData;

pub use crate::display::DisplayTransform;

mod data_columns;
pub mod diagnostic;
pub mod review;
pub mod run;
pub mod sections;

fn is_common_effect(r: &AnalysisResult) -> bool {
    matches!(r.method.as_str(), "FE" | "EE" | "CE")
        || r.pooling.as_ref().is_some_and(|p| p.model == "fixed")
}

/// The method as RevMan labels it ("M-H, Fixed, 95% CI", "IV, Random, 95%
/// CI", ...), from the options recorded in the result.
///
/// ```
/// use rema_data::{analyze, AnalysisSpec, Table};
/// let t = Table::from_str("study,ai,bi,ci,di\nA,4,119,11,128\nB,6,300,29,274\n", "t.csv").unwrap();
/// let spec: AnalysisSpec = serde_json::from_str(r#"{"measure": "OR", "method": "MH"}"#).unwrap();
/// assert_eq!(rema_plot::adapt::method_label(&analyze(&t, &spec, "0").unwrap()), "M-H, Fixed, 95% CI");
/// ```
pub fn method_label(r: &AnalysisResult) -> String {
    let o = &r.provenance.options;
    rema_data::describe::revman_label(o.method, o.random, o.test, r.level)
}

/// The test of the pooled effect, as printed in the footer.
pub fn effect_test(r: &AnalysisResult) -> EffectTest {
    EffectTest {
        statistic: if r.df.is_some() { "t" } else { "z" }.to_string(),
        value: r.stat,
        df: r.df,
        pval: r.pval,
    }
}

/// Heterogeneity of the whole analysis.
pub fn heterogeneity(r: &AnalysisResult) -> Heterogeneity {
    Heterogeneity {
        tau2: (!is_common_effect(r)).then_some(r.tau2),
        q: r.q,
        df: r.q_df,
        pval: r.q_pval,
        i2: r.i2,
    }
}

/// The diamond of the fit `s` of analysis `r` (the whole, or a subgroup),
/// with its prediction interval under a random-effects model of two or more
/// studies, drawn on the scale of its back-transformation `tr` where the
/// analysis has one (e.g. a Freeman–Tukey proportion).
fn pooled(
    t: &DisplayTransform,
    r: &AnalysisResult,
    label: &str,
    s: &Summary,
    weight: f64,
    tr: Option<&Transformed>,
) -> Pooled {
    let pi = (!is_common_effect(r) && s.k >= 2).then_some((s.pi_lower, s.pi_upper));
    let mut p = t.pooled(label, s.estimate, s.ci_lower, s.ci_upper, Some(weight), pi);
    if let Some(tr) = tr {
        p.estimate = tr.estimate;
        p.ci_lower = tr.ci_lower;
        p.ci_upper = tr.ci_upper;
        if p.prediction.is_some() && tr.pi_lower.is_finite() && tr.pi_upper.is_finite() {
            p.prediction = Some((tr.pi_lower, tr.pi_upper));
        }
    }
    p
}

impl From<&AnalysisResult> for ForestData {
    fn from(r: &AnalysisResult) -> ForestData {
        let t = DisplayTransform::for_result(r);
        let mut d = ForestData::new(t.scale());
        let level = crate::axis::tick_label(r.level);
        d.effect_header = format!("{}\n{}", t.effect_name(), method_label(r));
        d.rows = r.studies.iter().map(|s| t.row(s)).collect();
        let label = format!("Total ({level}% CI)");
        d.overall = Some(pooled(&t, r, &label, r, 100.0, r.transformed.as_ref()));
        d.footer.heterogeneity = (r.k >= 2).then(|| heterogeneity(r));
        d.footer.overall_test = Some(effect_test(r));
        if let Some(subgroups) = r.subgroups.as_ref().filter(|s| !s.is_empty()) {
            let rows = std::mem::take(&mut d.rows);
            d.subgroups = subgroups
                .iter()
                .map(|sg| subgroup_block(&t, r, sg, &rows))
                .collect();
            if let (Some(q), Some(df), Some(pval)) = (r.q_between, r.q_between_df, r.q_between_pval)
            {
                d.footer.subgroup_test = Some(SubgroupTest { q, df, pval });
            }
        }
        d
    }
}

/// The block of subgroup `sg`: its studies (taken from `rows` by label), its
/// subtotal diamond and prediction interval, heterogeneity and test.
fn subgroup_block(
    t: &DisplayTransform,
    r: &AnalysisResult,
    sg: &SubgroupResult,
    rows: &[ForestRow],
) -> ForestGroup {
    let level = crate::axis::tick_label(r.level);
    let rows: Vec<ForestRow> = rows
        .iter()
        .filter(|row| sg.studies.contains(&row.label))
        .cloned()
        .collect();
    let weight: f64 = rows.iter().filter_map(|row| row.weight).sum();
    let label = format!("Subtotal ({level}% CI)");
    let subtotal = pooled(t, r, &label, sg, weight, sg.transformed.as_ref());
    ForestGroup {
        name: sg.level.clone(),
        rows,
        subtotal: Some(subtotal),
        heterogeneity: (sg.k >= 2).then(|| Heterogeneity {
            tau2: (!is_common_effect(r)).then_some(sg.tau2),
            q: sg.q,
            df: sg.q_df,
            pval: sg.q_pval,
            i2: sg.i2,
        }),
        test: Some(EffectTest {
            statistic: if sg.df.is_some() { "t" } else { "z" }.to_string(),
            value: sg.stat,
            df: sg.df,
            pval: sg.pval,
        }),
    }
}

/// Splits study rows into subgroups by `level_of(study label)`, in order of
/// first appearance, without subtotals: a convenience for callers that fit
/// each level themselves and then fill `subtotal`, `heterogeneity`, `test`.
pub fn group_rows(rows: Vec<ForestRow>, level_of: impl Fn(&str) -> String) -> Vec<ForestGroup> {
    let mut groups: Vec<ForestGroup> = Vec::new();
    for row in rows {
        let level = level_of(&row.label);
        match groups.iter_mut().find(|g| g.name == level) {
            Some(g) => g.rows.push(row),
            None => groups.push(ForestGroup {
                name: level,
                rows: vec![row],
                subtotal: None,
                heterogeneity: None,
                test: None,
            }),
        }
    }
    groups
}

impl From<&AnalysisResult> for FunnelData {
    /// Effects on the analysis scale, standard errors √vᵢ. `filled` and
    /// `adjusted_estimate` stay empty: a trim-and-fill result (rema-data's
    /// `bias`) fills them with its imputed studies as `(yi, √vi)` and its
    /// adjusted estimate.
    fn from(r: &AnalysisResult) -> FunnelData {
        let mut f = FunnelData::new(
            r.studies.iter().map(|s| s.yi).collect(),
            r.studies.iter().map(|s| s.vi.sqrt()).collect(),
            r.estimate,
        );
        (f.ratio, f.x_label) = effect_axis(r);
        f
    }
}

/// How a figure on the analysis scale draws the effects of `r`: whether
/// they are log ratios (tick labels exp(x)), and the axis label (the
/// funnel and GOSH plots' x axis).
pub fn effect_axis(r: &AnalysisResult) -> (bool, String) {
    let t = DisplayTransform::for_result(r);
    let label = match t.scale() {
        Scale::Log => format!("{} (log scale)", t.effect_name()),
        Scale::Percent => format!("{} on the analysis scale", r.measure),
        Scale::Linear => t.effect_name().to_string(),
    };
    (t.scale() == Scale::Log, label)
}

impl FunnelData {
    /// Adds trim-and-fill's result: the imputed studies, drawn hollow at
    /// `(yi, √vi)`, and the adjusted estimate, drawn dashed.
    pub fn add_trimfill(&mut self, tf: &TrimFillResult) {
        self.filled = tf.filled.iter().map(|s| (s.yi, s.vi.sqrt())).collect();
        self.adjusted_estimate = Some(tf.estimate);
    }
}
