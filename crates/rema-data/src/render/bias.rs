//! The text of `rema bias`: the three small-study tests, notes, provenance.

use std::fmt::Write;

use crate::bias::BiasResult;

fn p_fmt(p: f64) -> String {
    if p < 1e-4 {
        "< .0001".to_string()
    } else {
        format!("= {p:.4}")
    }
}

/// A readable summary in the spirit of metafor's print methods.
pub(crate) fn text(r: &BiasResult) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Small-study effects (k = {}; measure: {}; method: {}; test: {})\n",
        r.k, r.measure, r.method, r.test
    );
    match &r.egger {
        Some(e) => {
            let _ = writeln!(
                s,
                "Regression test for funnel plot asymmetry (Egger; predictor: standard error)"
            );
            let stat = match (e.z, e.t, e.df) {
                (_, Some(t), Some(df)) => format!("t = {t:.4}, df = {df}"),
                (Some(z), _, _) => format!("z = {z:.4}"),
                _ => String::new(),
            };
            let _ = writeln!(s, "  test for asymmetry: {stat}, p {}", p_fmt(e.pval));
            let _ = writeln!(
                s,
                "  limit estimate (as sei -> 0): {:.4} ({}% CI: {:.4}, {:.4})\n",
                e.limit_estimate, r.level, e.limit_ci_lower, e.limit_ci_upper
            );
        }
        None => {
            let _ = writeln!(s, "Egger's test: not computed (see notes)\n");
        }
    }
    match &r.begg {
        Some(b) => {
            let _ = writeln!(s, "Rank correlation test for funnel plot asymmetry (Begg)");
            let _ = writeln!(
                s,
                "  Kendall's tau = {:.4}, p {} ({})\n",
                b.tau,
                p_fmt(b.pval),
                if b.exact {
                    "exact"
                } else {
                    "normal approximation, ties"
                }
            );
        }
        None => {
            let _ = writeln!(s, "Rank correlation test: not computed (see notes)\n");
        }
    }
    match &r.trimfill {
        Some(t) => {
            // The filled model is metafor's trimfill() refit: z test, 95%.
            let _ = writeln!(s, "Trim and fill (estimator L0)");
            let _ = writeln!(
                s,
                "  estimated missing studies on the {} side: {} (SE = {:.4})",
                t.side, t.k0, t.se_k0
            );
            let _ = writeln!(
                s,
                "  filled estimate: {:.4} (SE {:.4}; 95% CI: {:.4}, {:.4}; p {}); tau^2 = {:.4}, I^2 = {:.2}%",
                t.estimate,
                t.se,
                t.ci_lower,
                t.ci_upper,
                p_fmt(t.pval),
                t.tau2,
                t.i2
            );
            for f in &t.filled {
                let _ = writeln!(
                    s,
                    "  filled: yi = {:.4}, vi = {:.4} (mirrors {})",
                    f.yi, f.vi, f.mirror_of
                );
            }
        }
        None => {
            let _ = writeln!(s, "Trim and fill: not computed (see notes)");
        }
    }
    if !r.notes.is_empty() {
        let _ = writeln!(s, "\nNotes:");
        for n in &r.notes {
            let _ = writeln!(s, "  - {n}");
        }
    }
    let _ = writeln!(
        s,
        "\n{} {}; input {} (sha256 {})",
        r.provenance.tool,
        r.provenance.version,
        r.provenance.input,
        &r.provenance.input_sha256[..16.min(r.provenance.input_sha256.len())]
    );
    s
}
