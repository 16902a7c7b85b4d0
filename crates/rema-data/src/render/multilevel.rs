//! The text of a multilevel model's part (variance components, fit
//! statistics, BLUPs are in the JSON) and of the cluster-robust tests, in
//! the spirit of metafor's `print.rma.mv` and `print.robust.rma`.

use std::fmt::Write;

use super::p_fmt;

use crate::result::AnalysisResult;

/// A structured term as metafor prints it: the outer and inner factors,
/// the τ² (with the number of effects per level) and the ρ.
fn structure(s: &mut String, g: &crate::result::StructureResult, level: f64) {
    let _ = writeln!(
        s,
        "struct {}: outer factor {} (nlvls = {}), inner factor {} (nlvls = {})",
        g.var_struct, g.outer, g.n_outer, g.inner, g.n_inner
    );
    let ci = g.tau2.iter().any(|t| t.ci_lower.is_some());
    let b = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.4}"));
    let _ = write!(
        s,
        "{:<12} {:>9} {:>9} {:>7} {:>8}",
        "", "estim", "sqrt", "k.lvl", "I^2"
    );
    if ci {
        let _ = write!(s, " {:>21}", format!("{level}% CI (profile)"));
    }
    let _ = writeln!(s, "  level");
    let many = g.tau2.len() > 1;
    for (a, t) in g.tau2.iter().enumerate() {
        let name = if many {
            format!("tau^2.{}", a + 1)
        } else {
            "tau^2".to_string()
        };
        let _ = write!(
            s,
            "{:<12} {:>9.4} {:>9.4} {:>7} {:>7.2}%",
            name, t.tau2, t.tau, t.k, t.i2
        );
        if ci {
            let _ = write!(s, " [{:>9}, {:>9}]", b(t.ci_lower), b(t.ci_upper));
        }
        let _ = writeln!(s, "  {}", t.level.as_deref().unwrap_or("(all)"));
    }
    for r in &g.rho {
        let name = match &r.levels {
            Some(l) => format!("rho {}-{}", l[0], l[1]),
            None => "rho".to_string(),
        };
        let _ = write!(
            s,
            "{:<12} {:>9.4} {:>9} {:>7} {:>8}",
            name, r.rho, "", "", ""
        );
        if ci {
            let _ = write!(s, " [{:>9}, {:>9}]", b(r.ci_lower), b(r.ci_upper));
        }
        let _ = writeln!(s, "{}", if r.fixed { "  (fixed at 0)" } else { "" });
    }
}

/// The multilevel and robust parts, when the result has them.
pub(crate) fn sections(r: &AnalysisResult) -> String {
    let mut s = String::new();
    if let Some(m) = &r.multilevel {
        let _ = writeln!(
            s,
            "\nVariance Components ({}; {} independent blocks; sampling covariance: {}):",
            r.method, m.blocks, m.sampling_covariance
        );
        if !m.components.is_empty() {
            let ci = m.components.iter().any(|c| c.ci_lower.is_some());
            let _ = write!(
                s,
                "{:<12} {:>9} {:>9} {:>7} {:>8}",
                "", "estim", "sqrt", "nlvls", "I^2"
            );
            if ci {
                let _ = write!(s, " {:>21}", format!("{}% CI (profile)", r.level));
            }
            let _ = writeln!(s, "  factor");
            for (t, c) in m.components.iter().enumerate() {
                let _ = write!(
                    s,
                    "{:<12} {:>9.4} {:>9.4} {:>7} {:>7.2}%",
                    format!("sigma^2.{}", t + 1),
                    c.sigma2,
                    c.sigma,
                    c.n_levels,
                    c.i2
                );
                if ci {
                    let b = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.4}"));
                    let _ = write!(s, " [{:>9}, {:>9}]", b(c.ci_lower), b(c.ci_upper));
                }
                let _ = writeln!(s, "  {}", c.factor);
            }
        }
        if let Some(g) = &m.structure {
            structure(&mut s, g, r.level);
        }
        let _ = writeln!(
            s,
            "logLik {:.4}, deviance {:.4}, AIC {:.4}, BIC {:.4}, AICc {:.4}",
            m.loglik, m.deviance, m.aic, m.bic, m.aicc
        );
    }
    if let Some(rb) = &r.robust {
        let _ = writeln!(
            s,
            "\nCluster-robust tests ({}; {} clusters of `{}`):",
            rb.kind, rb.n_clusters, rb.cluster
        );
        let _ = writeln!(
            s,
            "{:<16} {:>10} {:>9} {:>9} {:>8} {:>8} {:>9} {:>9}",
            "", "estimate", "se", "tval", "df", "pval", "ci.lb", "ci.ub"
        );
        for c in &rb.coefficients {
            let _ = writeln!(
                s,
                "{:<16} {:>10.4} {:>9.4} {:>9.4} {:>8.2} {:>8} {:>9.4} {:>9.4}",
                c.name,
                c.estimate,
                c.se,
                c.tval,
                c.df,
                p_fmt(c.pval),
                c.ci_lower,
                c.ci_upper
            );
        }
        let _ = writeln!(
            s,
            "Test of the coefficients: F(df1 = {:.0}, df2 = {:.2}) = {:.4}, p-val {}",
            rb.qm_df1,
            rb.qm_df2,
            rb.qm,
            p_fmt(rb.qm_pval)
        );
    }
    s
}
