//! The text of `rema bias`: the small-study methods, notes, provenance.

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
            let _ = writeln!(s, "Trim and fill (estimator {})", t.estimator);
            let _ = writeln!(
                s,
                "  estimated missing studies on the {} side: {} (SE = {:.4})",
                t.side, t.k0, t.se_k0
            );
            if let Some(p) = t.p_k0 {
                let _ = writeln!(s, "  test of k0 = 0: p {}", p_fmt(p));
            }
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
    extended(&mut s, r);
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

/// A t or z statistic with its degrees of freedom.
fn stat(z: Option<f64>, t: Option<f64>, df: Option<f64>) -> String {
    match (z, t, df) {
        (_, Some(t), Some(df)) => format!("t = {t:.4}, df = {df}"),
        (Some(z), _, _) => format!("z = {z:.4}"),
        _ => String::new(),
    }
}

/// The methods beyond the three classic tests.
fn extended(s: &mut String, r: &BiasResult) {
    let level = r.level;
    if let Some(g) = &r.regtest {
        let _ = writeln!(
            s,
            "\nRegression test (model: {}; predictor: {})",
            g.model, g.predictor
        );
        let _ = writeln!(
            s,
            "  test for asymmetry: {}, p {}",
            stat(g.z, g.t, g.df),
            p_fmt(g.pval)
        );
        if let (Some(e), Some(lo), Some(hi)) =
            (g.limit_estimate, g.limit_ci_lower, g.limit_ci_upper)
        {
            let _ = writeln!(
                s,
                "  limit estimate (as {} -> 0): {e:.4} ({level}% CI: {lo:.4}, {hi:.4})",
                g.predictor
            );
        }
    }
    if let Some(p) = &r.pet_peese {
        let _ = writeln!(s, "\nPET-PEESE (weighted least squares)");
        for (name, w) in [("PET", &p.pet), ("PEESE", &p.peese)] {
            let _ = writeln!(
                s,
                "  {name:<5} estimate: {:.4} (SE {:.4}; {level}% CI: {:.4}, {:.4}; t = {:.4}, df = {}, p {})",
                w.estimate,
                w.se,
                w.ci_lower,
                w.ci_upper,
                w.t,
                w.df,
                p_fmt(w.pval)
            );
        }
        let _ = writeln!(
            s,
            "  conditional estimate: {} {:.4} ({level}% CI: {:.4}, {:.4}); PET's one-tailed p {} vs alpha {}",
            p.chosen,
            p.estimate,
            p.ci_lower,
            p.ci_upper,
            p_fmt(p.pet_one_sided_pval),
            p.alpha
        );
    }
    if let Some(f) = &r.fsn {
        let n = |x: Option<f64>| x.map_or("infinite".to_string(), |x| format!("{x}"));
        let _ = writeln!(s, "\nFail-safe N (alpha = {})", f.alpha);
        let _ = writeln!(
            s,
            "  Rosenthal: {} (observed p {}{})",
            n(f.rosenthal.fsnum),
            f.rosenthal.pval.map_or(String::new(), p_fmt),
            if f.rosenthal_test == "Fisher" {
                ", Fisher's method"
            } else {
                ""
            }
        );
        let _ = writeln!(
            s,
            "  Orwin:     {} (mean effect {:.4}, target {:.4})",
            n(f.orwin.fsnum),
            f.orwin.meanes.unwrap_or(f64::NAN),
            f.orwin.target.unwrap_or(f64::NAN)
        );
        let _ = writeln!(
            s,
            "  Rosenberg: {} (observed p {})",
            n(f.rosenberg.fsnum),
            f.rosenberg.pval.map_or(String::new(), p_fmt)
        );
    }
    if let Some(t) = &r.tes {
        let _ = writeln!(
            s,
            "\nTest of excess significance (theta = {:.4}{})",
            t.theta,
            r.options
                .tes_tau2
                .map_or(String::new(), |t2| format!("; power with tau^2 = {t2}"))
        );
        let _ = writeln!(
            s,
            "  observed significant: {}, expected: {:.4}, O/E = {:.4}; {} test{}, p {}",
            t.observed,
            t.expected,
            t.ratio,
            t.test,
            t.x2.map_or(String::new(), |x| format!(" X^2 = {x:.4}")),
            p_fmt(t.pval)
        );
        let lim: Vec<String> = t
            .theta_lim
            .iter()
            .map(|l| l.map_or("none".to_string(), |v| format!("{v:.4}")))
            .collect();
        if !lim.is_empty() {
            let _ = writeln!(
                s,
                "  limit estimate (theta_lim, where p = {}): {}",
                r.options.tes_limit_alpha,
                lim.join(", ")
            );
        }
    }
    if let Some(m) = &r.selmodel {
        let _ = writeln!(
            s,
            "\nSelection model (type: {}; alternative: {}{}{})",
            m.kind,
            m.alternative,
            if m.steps.is_empty() {
                String::new()
            } else {
                format!("; steps: {:?}", m.steps)
            },
            match (&m.prec, m.scaleprec) {
                (Some(p), Some(false)) => format!("; precision: {p}, unscaled"),
                (Some(p), _) => format!("; precision: {p} / its largest value"),
                _ => String::new(),
            }
        );
        let _ = writeln!(
            s,
            "  adjusted estimate: {:.4} (SE {:.4}; {level}% CI: {:.4}, {:.4}; z = {:.4}, p {}); tau^2 = {:.4}",
            m.estimate,
            m.se,
            m.ci_lower,
            m.ci_upper,
            m.z,
            p_fmt(m.pval),
            m.tau2
        );
        for (j, d) in m.delta.iter().enumerate() {
            if d.fixed {
                let _ = writeln!(s, "  delta {}: {:.4} (fixed)", j + 1, d.estimate);
            } else {
                let _ = writeln!(
                    s,
                    "  delta {}: {:.4} (SE {}; p {})",
                    j + 1,
                    d.estimate,
                    d.se.map_or("-".to_string(), |v| format!("{v:.4}")),
                    d.pval.map_or("-".to_string(), p_fmt)
                );
            }
        }
        if !m.interval_counts.is_empty() {
            let _ = writeln!(s, "  studies per p-value interval: {:?}", m.interval_counts);
        }
        if m.lrt_df == 0 {
            let _ = writeln!(
                s,
                "  likelihood-ratio test of selection: none (every delta is fixed)"
            );
        } else {
            let _ = writeln!(
                s,
                "  likelihood-ratio test of selection: X^2 = {:.4}, df = {}, p {}",
                m.lrt,
                m.lrt_df,
                m.lrt_pval.map_or("-".to_string(), p_fmt)
            );
        }
    }
}
