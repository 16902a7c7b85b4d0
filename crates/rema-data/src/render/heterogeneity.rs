//! Text rendering of meta-regression, subgroups, permutation tests and the
//! bootstrap (appended to the summary of `summary.rs`).

use std::fmt::Write;

use super::p_fmt;

use crate::result::{AnalysisResult, BootStatResult};

/// The extra sections, empty when none was asked for.
pub(crate) fn sections(r: &AnalysisResult) -> String {
    let mut s = String::new();
    if let Some(cs) = &r.coefficients {
        let stat = if r.df.is_some() { "tval" } else { "zval" };
        if r.method == "GLMM" {
            // metafor's rma.glmm defines no pseudo R^2.
            let _ = writeln!(s, "\nMeta-regression (binomial-normal model):");
        } else if r.multilevel.is_some() {
            // metafor's rma.mv defines no pseudo R^2 either.
            let _ = writeln!(s, "\nMeta-regression (multilevel model):");
        } else {
            let _ = writeln!(
                s,
                "\nMeta-regression (R^2 = {}%):",
                r.r2.map_or("NA".to_string(), |x| format!("{x:.2}"))
            );
        }
        if let (Some(qm), Some(p)) = (r.qm, r.qm_pval) {
            let _ = writeln!(
                s,
                "Test of moderators (df = {}): QM = {qm:.4}, p-val {}",
                r.qm_df.unwrap_or(f64::NAN),
                p_fmt(p)
            );
        }
        let w = cs.iter().map(|c| c.name.len()).max().unwrap_or(7).max(7);
        let perm = cs.iter().any(|c| c.pval_perm.is_some());
        let _ = writeln!(
            s,
            "{:<w$} {:>10} {:>9} {:>9} {:>8} {:>9} {:>9}{}",
            "",
            "estimate",
            "se",
            stat,
            "pval",
            "ci.lb",
            "ci.ub",
            if perm { "  pval.perm" } else { "" }
        );
        for c in cs {
            let st = c.zval.or(c.tval).unwrap_or(f64::NAN);
            let _ = writeln!(
                s,
                "{:<w$} {:>10.4} {:>9.4} {:>9.4} {:>8} {:>9.4} {:>9.4}{}",
                c.name,
                c.estimate,
                c.se,
                st,
                p_fmt(c.pval),
                c.ci_lower,
                c.ci_upper,
                c.pval_perm
                    .map(|p| format!(" {:>10}", p_fmt(p)))
                    .unwrap_or_default()
            );
        }
    }
    if let Some(sg) = &r.subgroups {
        let _ = writeln!(
            s,
            "\nSubgroups{}:",
            r.tau2_common
                .map(|t| format!(" (common tau^2 = {t:.4})"))
                .unwrap_or_default()
        );
        let w = sg.iter().map(|g| g.level.len()).max().unwrap_or(5).max(5);
        let _ = writeln!(
            s,
            "{:<w$} {:>3} {:>10} {:>21} {:>8} {:>8} {:>7}",
            "level",
            "k",
            "estimate",
            format!("{}% CI", r.level),
            "pval",
            "tau^2",
            "I^2"
        );
        for g in sg {
            let _ = writeln!(
                s,
                "{:<w$} {:>3} {:>10.4} [{:>9.4}, {:>9.4}] {:>8} {:>8.4} {:>6.2}%",
                g.level,
                g.k,
                g.estimate,
                g.ci_lower,
                g.ci_upper,
                p_fmt(g.pval),
                g.tau2,
                g.i2
            );
        }
        if let (Some(q), Some(df), Some(p)) = (r.q_between, r.q_between_df, r.q_between_pval) {
            let _ = writeln!(
                s,
                "Test for subgroup differences: Q_between(df = {df}) = {q:.4}, p-val {}",
                p_fmt(p)
            );
        }
    }
    if let Some(p) = &r.permutation {
        let _ = writeln!(
            s,
            "\nPermutation test ({} iterations, {}, seed {}{}):",
            p.iterations,
            if p.exact { "exact" } else { "random" },
            p.seed,
            if p.stat == "coef" {
                "; statistic: the coefficient"
            } else {
                ""
            }
        );
        if let Some(pp) = r.pval_perm {
            let _ = writeln!(s, "  pooled estimate: p-val {}", p_fmt(pp));
        }
        let _ = writeln!(s, "  omnibus test QM: p-val {}", p_fmt(p.qm_pval));
        if let Some(q) = &p.q_between {
            let _ = writeln!(
                s,
                "  subgroup difference Q_between: p-val {} ({} iterations, {})",
                p_fmt(q.pval),
                q.iterations,
                if q.exact { "exact" } else { "random" }
            );
        }
        if let Some(ci) = &p.ci {
            let _ = writeln!(
                s,
                "  {}% CIs inverting the test ({} tests):",
                ci.level, ci.evaluations
            );
            let bound = |b: Option<f64>| b.map_or_else(|| "NA".to_string(), |v| format!("{v:.4}"));
            for c in &ci.coefficients {
                let _ = writeln!(
                    s,
                    "    {:<12} [{}, {}]",
                    c.name,
                    bound(c.lower),
                    bound(c.upper)
                );
            }
        }
    }
    if let Some(h) = &r.tau2_test {
        let _ = writeln!(
            s,
            "\nTest of tau^2 = 0 (parametric resampling, {} iterations, seed {}): p-val {}",
            h.iterations,
            h.seed,
            p_fmt(h.pval)
        );
    }
    if let Some(b) = &r.bootstrap {
        let _ = writeln!(
            s,
            "\nBootstrap ({} {} replicates, seed {}; {}% intervals):",
            b.replicates, b.kind, b.seed, b.level
        );
        let _ = writeln!(
            s,
            "{:<9} {:>10} {:>9} {:>23} {:>23}",
            "", "observed", "boot SE", "percentile", "BCa"
        );
        let row = |name: &str, x: &BootStatResult| {
            format!(
                "{name:<9} {:>10.4} {:>9.4} [{:>9.4}, {:>9.4}] {}",
                x.observed,
                x.se,
                x.percentile.lower,
                x.percentile.upper,
                x.bca
                    .as_ref()
                    .map(|c| format!("[{:>9.4}, {:>9.4}]", c.lower, c.upper))
                    .unwrap_or_else(|| format!("{:>23}", "-"))
            )
        };
        if let Some(cs) = &b.coefficients {
            for c in cs {
                let _ = writeln!(s, "{}", row(&c.name, &c.stat));
            }
        } else {
            let _ = writeln!(s, "{}", row("estimate", &b.estimate));
        }
        for (n, x) in [("tau^2", &b.tau2), ("I^2", &b.i2), ("H^2", &b.h2)] {
            let _ = writeln!(s, "{}", row(n, x));
        }
    }
    s
}
