//! Text and CSV renderings of an analysis result.

use std::fmt::Write;

use super::{analysis_scale, p_fmt};

use crate::result::AnalysisResult;

/// Which digits to trust against metafor: `what` (e.g. "the tau^2 CI
/// bounds are") are exact roots, where metafor's `uniroot` stops at its
/// default tolerance.
fn tolerance_note(what: &str) -> String {
    format!(
        "  Note: {what} exact roots; metafor's defaults (uniroot tol = 1.2e-4 on the tau^2\n  scale) agree with them to about 3 significant digits (to 1.2e-4 absolute near 0)."
    )
}

/// A summary in the spirit of metafor's `print.rma`.
pub(crate) fn summary(r: &AnalysisResult) -> String {
    let mut s = String::new();
    let pooled_model = r.pooling.as_ref().map(|p| p.model.as_str());
    let common = r.method == "FE" || pooled_model == Some("fixed");
    let model = match (r.method.as_str(), pooled_model) {
        ("MH", Some("random")) => "Random-Effects Model, Mantel-Haenszel (RevMan 5)".to_string(),
        ("MH", _) => "Mantel-Haenszel Common-Effect Model".to_string(),
        ("PETO", _) => "Peto Common-Effect Model".to_string(),
        _ if common => "Common-Effect Model".to_string(),
        _ if r.multilevel.is_some() => "Multilevel Random-Effects Model".to_string(),
        _ => "Random-Effects Model".to_string(),
    };
    let est = match (r.method.as_str(), common) {
        (_, true) => String::new(),
        ("MH", false) => "; tau^2 estimator: DL about the MH estimate".to_string(),
        (m, false) if r.multilevel.is_some() => {
            format!("; method: {m}; tau^2 is the sum of the variance components")
        }
        (m, false) => format!("; tau^2 estimator: {m}"),
    };
    let _ = writeln!(s, "{model} (k = {}{est}; measure: {})\n", r.k, r.measure);
    if !common {
        let ci = ci_text(r.tau2_ci_lower, r.tau2_ci_upper, r.level, 4);
        let _ = writeln!(
            s,
            "tau^2 (estimated amount of total heterogeneity): {:.4}{ci}",
            r.tau2
        );
        let _ = writeln!(
            s,
            "tau (square root of estimated tau^2 value):      {:.4}",
            r.tau
        );
        let exact = match (r.method == "PM", r.tau2_ci_lower.is_some()) {
            (true, true) => Some("the PM estimate and the tau^2 CI bounds are"),
            (true, false) => Some("the PM estimate is"),
            (false, true) => Some("the tau^2 CI bounds are"),
            (false, false) => None,
        };
        if let Some(what) = exact {
            let _ = writeln!(s, "{}", tolerance_note(what));
        }
    }
    let i2ci = ci_text(r.i2_ci_lower, r.i2_ci_upper, r.level, 2);
    let _ = writeln!(
        s,
        "I^2 (total heterogeneity / total variability):   {:.2}%{i2ci}",
        r.i2
    );
    let _ = writeln!(
        s,
        "H^2 (total variability / sampling variability):  {:.2}\n",
        r.h2
    );
    let _ = writeln!(s, "Test for Heterogeneity:");
    let _ = writeln!(
        s,
        "Q(df = {}) = {:.4}, p-val {}\n",
        r.q_df,
        r.q,
        if r.q_pval < 1e-4 {
            "< .0001".into()
        } else {
            format!("= {:.4}", r.q_pval)
        }
    );
    let _ = writeln!(s, "Model Results:\n");
    let stat = if r.df.is_some() { "tval" } else { "zval" };
    let df = r.df.map(|d| format!("  (df = {d})")).unwrap_or_default();
    let _ = writeln!(
        s,
        "{:>10} {:>9} {:>9} {:>8} {:>9} {:>9}",
        "estimate", "se", stat, "pval", "ci.lb", "ci.ub"
    );
    let _ = writeln!(
        s,
        "{:>10.4} {:>9.4} {:>9.4} {:>8} {:>9.4} {:>9.4}{df}\n",
        r.estimate,
        r.se,
        r.stat,
        p_fmt(r.pval),
        r.ci_lower,
        r.ci_upper
    );
    let _ = writeln!(
        s,
        "Prediction interval ({}%): [{:.4}, {:.4}]",
        r.level, r.pi_lower, r.pi_upper
    );
    if let Some(p) = &r.pooling {
        pooling(&mut s, p);
    }
    if let Some(t) = &r.transformed {
        let _ = writeln!(
            s,
            "Back-transformed ({}): {:.4} [{:.4}, {:.4}]; prediction interval [{:.4}, {:.4}]",
            t.scale, t.estimate, t.ci_lower, t.ci_upper, t.pi_lower, t.pi_upper
        );
    }
    let width = r
        .studies
        .iter()
        .map(|st| st.study.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 40);
    let _ = writeln!(s, "\nStudies ({}):", analysis_scale(&r.measure));
    let _ = writeln!(
        s,
        "{:<width$} {:>10} {:>21} {:>8}",
        "study",
        "yi",
        format!("{}% CI", r.level),
        "weight"
    );
    for st in &r.studies {
        let label: String = st.study.chars().take(width).collect();
        let flag = if st.corrected { " *" } else { "" };
        let _ = writeln!(
            s,
            "{label:<width$} {:>10.4} [{:>9.4}, {:>9.4}] {:>8}{flag}",
            st.yi,
            st.ci_lower,
            st.ci_upper,
            if st.weight.is_finite() {
                format!("{:.2}%", st.weight)
            } else {
                "-".to_string()
            }
        );
    }
    s
}

/// The notes and the provenance line that close the text, after every
/// section.
pub(crate) fn footer(r: &AnalysisResult) -> String {
    let mut s = String::new();
    if !r.notes.is_empty() {
        let _ = writeln!(s, "\nNotes:");
        for n in &r.notes {
            let _ = writeln!(s, "  - {n}");
        }
    }
    s + &format!(
        "\n{} {}; input {} (sha256 {})\n",
        r.provenance.tool,
        r.provenance.version,
        r.provenance.input,
        &r.provenance.input_sha256[..16.min(r.provenance.input_sha256.len())]
    )
}

/// The method's label and the tests only a pooling of 2×2 tables has.
fn pooling(s: &mut String, p: &crate::result::PoolingResult) {
    let _ = writeln!(s, "Method: {}", p.label);
    if let Some(f) = &p.fixed {
        let _ = writeln!(
            s,
            "Common-effect (M-H) estimate: {:.4} (se {:.4}), CI [{:.4}, {:.4}], p-val {}",
            f.estimate,
            f.se,
            f.ci_lower,
            f.ci_upper,
            p_fmt(f.pval)
        );
    }
    for (name, t) in [
        ("Cochran-Mantel-Haenszel Test", &p.cmh),
        ("Cochran's Test", &p.cochran),
        ("Breslow-Day Test for Heterogeneity", &p.breslow_day),
        ("Tarone's Test for Heterogeneity", &p.tarone),
    ] {
        if let Some(t) = t {
            let _ = writeln!(
                s,
                "{name}: X^2(df = {}) = {:.4}, p-val {}",
                t.df,
                t.statistic,
                p_fmt(t.pval)
            );
        }
    }
}

/// " (95% CI: l, u)" with `digits` decimals when both bounds exist, else
/// nothing.
fn ci_text(lower: Option<f64>, upper: Option<f64>, level: f64, digits: usize) -> String {
    match (lower, upper) {
        (Some(l), Some(u)) => format!(" ({level}% CI: {l:.digits$}, {u:.digits$})"),
        _ => String::new(),
    }
}

/// One header line and one data line.
pub(crate) fn csv_line(r: &AnalysisResult) -> String {
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let columns = [
        ("measure", r.measure.clone()),
        ("method", r.method.clone()),
        ("test", r.test.clone()),
        ("level", r.level.to_string()),
        ("k", r.k.to_string()),
        ("estimate", r.estimate.to_string()),
        ("se", r.se.to_string()),
        ("stat", r.stat.to_string()),
        ("df", opt(r.df)),
        ("ci_lower", r.ci_lower.to_string()),
        ("ci_upper", r.ci_upper.to_string()),
        ("pval", r.pval.to_string()),
        ("tau2", r.tau2.to_string()),
        ("i2", r.i2.to_string()),
        ("h2", r.h2.to_string()),
        ("q", r.q.to_string()),
        ("q_df", r.q_df.to_string()),
        ("q_pval", r.q_pval.to_string()),
        ("pi_lower", r.pi_lower.to_string()),
        ("pi_upper", r.pi_upper.to_string()),
        ("tau2_ci_lower", opt(r.tau2_ci_lower)),
        ("tau2_ci_upper", opt(r.tau2_ci_upper)),
        ("i2_ci_lower", opt(r.i2_ci_lower)),
        ("i2_ci_upper", opt(r.i2_ci_upper)),
    ];
    let (header, row): (Vec<&str>, Vec<String>) = columns.into_iter().unzip();
    format!("{}\n{}\n", header.join(","), row.join(","))
}
