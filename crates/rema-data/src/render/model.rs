//! Text of the fitted model's extras: fit statistics as metafor prints
//! them, the SE and profile-likelihood CI of tau^2, and the predictions at
//! `newmods`.

use std::fmt::Write;

use crate::result::AnalysisResult;

/// The block, empty for the GLMM and the pooling methods.
pub(crate) fn section(r: &AnalysisResult) -> String {
    let mut s = String::new();
    let Some(m) = &r.model else {
        return s;
    };
    if let Some(f) = &m.fit_stats {
        let _ = writeln!(
            s,
            "\nFit statistics ({}, {} parameters): logLik {:.4}, deviance {:.4}, AIC {:.4}, BIC {:.4}, AICc {:.4}",
            f.likelihood, f.parameters, f.log_lik, f.deviance, f.aic, f.bic, f.aicc
        );
    }
    match (m.se_tau2, &m.tau2_pl) {
        (Some(se), Some(ci)) => {
            let _ = writeln!(
                s,
                "tau^2 SE {se:.4}; profile-likelihood {}% CI [{:.4}, {:.4}]",
                r.level, ci.tau2_lower, ci.tau2_upper
            );
        }
        (Some(se), None) => {
            let _ = writeln!(s, "tau^2 SE {se:.4}");
        }
        _ => {}
    }
    if let Some(preds) = &m.newmods {
        let _ = writeln!(s, "\nPredicted at newmods:");
        let w = preds.iter().map(|p| p.at.len()).max().unwrap_or(0).max(2);
        let _ = writeln!(
            s,
            "{:w$}  {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "at", "pred", "se", "ci.lb", "ci.ub", "pi.lb", "pi.ub"
        );
        for p in preds {
            let _ = writeln!(
                s,
                "{:w$}  {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>9.4}",
                p.at, p.pred, p.se, p.ci_lower, p.ci_upper, p.pi_lower, p.pi_upper
            );
        }
    }
    s
}
