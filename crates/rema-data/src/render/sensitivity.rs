//! Text renderings of the optional sections of an analysis: leave-one-out,
//! influence, cumulative, and the GLMM's heterogeneity tests.

use std::fmt::Write;

use super::analysis_scale;
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
    coefficients: Option<&[String]>,
) {
    if let Some(names) = coefficients {
        return moderated_rows(s, head, rows, names);
    }
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
            i2(f.i2),
            num(f.q, 9),
        );
    }
}

fn i2(x: f64) -> String {
    if x.is_finite() {
        format!("{x:>6.2}%")
    } else {
        format!("{:>7}", "NA")
    }
}

/// The refits of a meta-regression: every coefficient's estimate, the
/// residual tau2, I2 and QE, and the p-value of QM; a failed refit's reason
/// after its row.
fn moderated_rows<'a>(
    s: &mut String,
    head: &str,
    rows: impl Iterator<Item = (&'a str, &'a crate::result::SummaryFields)> + Clone,
    names: &[String],
) {
    let width = label_width(rows.clone().map(|r| r.0));
    let cw: Vec<usize> = names.iter().map(|n| n.chars().count().max(9)).collect();
    let mut line = format!("{head:<width$} {:>4}", "k");
    for (n, w) in names.iter().zip(&cw) {
        let _ = write!(line, " {n:>w$}");
    }
    let _ = writeln!(
        s,
        "{line} {:>9} {:>7} {:>9} {:>8}",
        "tau2", "I2", "QE", "QM pval"
    );
    for (label, f) in rows {
        let label: String = label.chars().take(width).collect();
        let mut line = format!("{label:<width$} {:>4}", f.k);
        for (j, w) in cw.iter().enumerate() {
            let b = f
                .coefficients
                .as_ref()
                .and_then(|c| c.get(j))
                .map_or(f64::NAN, |c| c.estimate);
            let _ = write!(line, " {}", num(b, *w));
        }
        let _ = write!(
            line,
            " {} {} {} {}",
            num(f.tau2, 9),
            i2(f.i2),
            num(f.q, 9),
            pv(f.qm_pval.unwrap_or(f64::NAN))
        );
        if let Some(e) = &f.error {
            let _ = write!(line, "  ({e})");
        }
        let _ = writeln!(s, "{line}");
    }
}

/// The optional sections present in `r`, each after a blank line.
pub(crate) fn sections(r: &AnalysisResult) -> String {
    let mut s = String::new();
    let names: Option<Vec<String>> = r
        .coefficients
        .as_ref()
        .map(|cs| cs.iter().map(|c| c.name.clone()).collect());
    let scale = analysis_scale(&r.measure);
    if let Some(rows) = &r.leave_one_out {
        let _ = writeln!(
            s,
            "\nLeave-one-out analysis ({scale}{}):",
            if names.is_some() {
                "; the meta-regression without each study"
            } else {
                ""
            }
        );
        table_rows(
            &mut s,
            "omitted",
            rows.iter()
                .map(|r: &LeaveOneOutRow| (r.omitted.as_str(), &r.fit)),
            names.as_deref(),
        );
    }
    if let Some(rows) = &r.influence {
        let _ = writeln!(
            s,
            "\nInfluence diagnostics (* = influential, metafor's rule):"
        );
        let width = label_width(rows.iter().map(|r| r.study.as_str()));
        // One DFBETAS column per coefficient with moderators.
        let dfb: Vec<String> = match &names {
            Some(n) if rows.iter().any(|i| i.dfbetas_all.is_some()) => {
                n.iter().map(|n| format!("dfb.{n}")).collect()
            }
            _ => vec!["dfbetas".to_string()],
        };
        let mut head = format!(
            "{:<width$} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7} {:>7}",
            "study", "rstudent", "dffits", "cook.d", "cov.r", "tau2.del", "QE.del", "hat", "weight"
        );
        for d in &dfb {
            let _ = write!(head, " {d:>9}");
        }
        let _ = writeln!(s, "{head}");
        for i in rows {
            let label: String = i.study.chars().take(width).collect();
            let mut line = format!(
                "{label:<width$} {} {} {} {} {} {} {:>7.4} {:>6.2}%",
                num(i.rstudent, 9),
                num(i.dffits, 9),
                num(i.cook_d, 9),
                num(i.cov_r, 9),
                num(i.tau2_del, 9),
                num(i.qe_del, 9),
                i.hat,
                i.weight,
            );
            let all = i.dfbetas_all.clone().unwrap_or_else(|| vec![i.dfbetas]);
            for (j, d) in dfb.iter().enumerate() {
                let w = d.chars().count().max(9);
                let _ = write!(line, " {}", num(all.get(j).copied().unwrap_or(f64::NAN), w));
            }
            if i.influential {
                line.push_str(" *");
            }
            let _ = writeln!(s, "{line}");
        }
    }
    if let Some(rows) = &r.cumulative {
        let _ = writeln!(
            s,
            "\nCumulative {} ({scale}; row = study added):",
            if names.is_some() {
                "meta-regression"
            } else {
                "meta-analysis"
            }
        );
        table_rows(
            &mut s,
            "added",
            rows.iter()
                .map(|r: &CumulativeRow| (r.added.as_str(), &r.fit)),
            names.as_deref(),
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
