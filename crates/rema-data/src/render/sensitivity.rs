//! Text renderings of the optional sections of an analysis: leave-one-out,
//! influence, cumulative, and the GLMM's heterogeneity tests.

use std::fmt::Write;

use crate::result::AnalysisResult;
use crate::result::{CumulativeRow, LeaveOneOutRow};

fn num(x: f64, w: usize) -> String {
    if x.is_finite() {
        format!("{x:>w$.4}")
    } else {
        format!("{:>w$}", "NA")
    }
}

fn pv(p: f64) -> String {
    if !p.is_finite() {
        "      NA".to_string()
    } else if p < 1e-4 {
        "  <.0001".to_string()
    } else {
        format!("{p:>8.4}")
    }
}

fn label_width<'a>(labels: impl Iterator<Item = &'a str>) -> usize {
    labels
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 30)
}

fn table_rows<'a>(
    s: &mut String,
    head: &str,
    rows: impl Iterator<Item = (&'a str, &'a crate::result::SummaryFields)> + Clone,
) {
    let width = label_width(rows.clone().map(|r| r.0));
    let _ = writeln!(
        s,
        "{head:<width$} {:>4} {:>9} {:>9} {:>9} {:>9} {:>8} {:>9} {:>7} {:>9}",
        "k", "estimate", "se", "ci.lb", "ci.ub", "pval", "tau2", "I2", "Q"
    );
    for (label, f) in rows {
        let label: String = label.chars().take(width).collect();
        let _ = writeln!(
            s,
            "{label:<width$} {:>4} {} {} {} {} {} {} {} {}",
            f.k,
            num(f.estimate, 9),
            num(f.se, 9),
            num(f.ci_lower, 9),
            num(f.ci_upper, 9),
            pv(f.pval),
            num(f.tau2, 9),
            if f.i2.is_finite() {
                format!("{:>6.2}%", f.i2)
            } else {
                format!("{:>7}", "NA")
            },
            num(f.q, 9),
        );
    }
}

/// The optional sections present in `r`, each after a blank line.
pub(crate) fn sections(r: &AnalysisResult) -> String {
    let mut s = String::new();
    if let Some(rows) = &r.leave_one_out {
        let _ = writeln!(s, "\nLeave-one-out analysis ({} scale):", r.measure);
        table_rows(
            &mut s,
            "omitted",
            rows.iter()
                .map(|r: &LeaveOneOutRow| (r.omitted.as_str(), &r.fit)),
        );
    }
    if let Some(rows) = &r.influence {
        let _ = writeln!(
            s,
            "\nInfluence diagnostics (* = influential, metafor's rule):"
        );
        let width = label_width(rows.iter().map(|r| r.study.as_str()));
        let _ = writeln!(
            s,
            "{:<width$} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7} {:>7} {:>9}",
            "study",
            "rstudent",
            "dffits",
            "cook.d",
            "cov.r",
            "tau2.del",
            "QE.del",
            "hat",
            "weight",
            "dfbetas"
        );
        for i in rows {
            let label: String = i.study.chars().take(width).collect();
            let _ = writeln!(
                s,
                "{label:<width$} {} {} {} {} {} {} {:>7.4} {:>6.2}% {}{}",
                num(i.rstudent, 9),
                num(i.dffits, 9),
                num(i.cook_d, 9),
                num(i.cov_r, 9),
                num(i.tau2_del, 9),
                num(i.qe_del, 9),
                i.hat,
                i.weight,
                num(i.dfbetas, 9),
                if i.influential { " *" } else { "" }
            );
        }
    }
    if let Some(rows) = &r.cumulative {
        let _ = writeln!(
            s,
            "\nCumulative meta-analysis ({} scale; row = study added):",
            r.measure
        );
        table_rows(
            &mut s,
            "added",
            rows.iter()
                .map(|r: &CumulativeRow| (r.added.as_str(), &r.fit)),
        );
    }
    if let Some(g) = &r.glmm {
        let _ = writeln!(
            s,
            "\nBinomial-normal model (ML, {}-point adaptive Gauss-Hermite quadrature); log-likelihood {:.4}",
            g.n_agq, g.loglik
        );
        let _ = writeln!(s, "Tests for heterogeneity (df = {}):", g.qe_df);
        match (g.qe_wald, g.qe_wald_pval) {
            (Some(q), Some(p)) => {
                let _ = writeln!(s, "  Wald-type:         {q:.4}, p {}", pv(p).trim());
            }
            _ => {
                let _ = writeln!(s, "  Wald-type:         not defined (see notes)");
            }
        }
        if let (Some(q), Some(p)) = (g.qe_lrt, g.qe_lrt_pval) {
            let _ = writeln!(s, "  Likelihood ratio:  {q:.4}, p {}", pv(p).trim());
        }
    }
    s
}
