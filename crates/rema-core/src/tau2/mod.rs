//! Estimators of the between-study variance τ², one module per estimator,
//! each as metafor 3.8 `rma.uni(method = ...)` defines it.
//!
//! All estimators work with a moderator matrix X (k × p; p = 1 for the
//! intercept-only model) and truncate τ² at zero.

mod dersimonian_laird;
pub(crate) mod fisher_scoring;
mod hedges;
mod hunter_schmidt;
pub(crate) mod paule_mandel;
mod sidik_jonkman;

use std::fmt;
use std::str::FromStr;

use crate::error::Result;
use crate::linalg::Design;

pub use paule_mandel::generalised_q;
pub(crate) use paule_mandel::solve_q as paule_mandel_solve;

/// How τ² is estimated. `Fe` fixes τ² = 0 (the common-effect model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Common (fixed) effect, inverse variance: τ² = 0.
    Fe,
    /// DerSimonian & Laird (1986) method of moments.
    Dl,
    /// Hedges (1983) / Hedges & Olkin, the unweighted method of moments.
    He,
    /// Hunter & Schmidt (2004).
    Hs,
    /// Sidik & Jonkman (2005).
    Sj,
    /// Maximum likelihood.
    Ml,
    /// Restricted maximum likelihood.
    Reml,
    /// Empirical Bayes (Morris 1983; Berkey et al. 1995).
    Eb,
    /// Paule & Mandel (1982).
    Pm,
}

impl Method {
    pub const ALL: [Method; 9] = [
        Method::Fe,
        Method::Dl,
        Method::He,
        Method::Hs,
        Method::Sj,
        Method::Ml,
        Method::Reml,
        Method::Eb,
        Method::Pm,
    ];

    /// metafor's name of the method.
    pub fn name(self) -> &'static str {
        match self {
            Method::Fe => "FE",
            Method::Dl => "DL",
            Method::He => "HE",
            Method::Hs => "HS",
            Method::Sj => "SJ",
            Method::Ml => "ML",
            Method::Reml => "REML",
            Method::Eb => "EB",
            Method::Pm => "PM",
        }
    }

    /// True for every method but the common-effect model.
    pub fn is_random(self) -> bool {
        self != Method::Fe
    }

    /// A long name for reports.
    pub fn description(self) -> &'static str {
        match self {
            Method::Fe => "common-effect (inverse-variance) model",
            Method::Dl => "random-effects model, DerSimonian-Laird estimator of tau^2",
            Method::He => "random-effects model, Hedges estimator of tau^2",
            Method::Hs => "random-effects model, Hunter-Schmidt estimator of tau^2",
            Method::Sj => "random-effects model, Sidik-Jonkman estimator of tau^2",
            Method::Ml => "random-effects model, maximum-likelihood estimator of tau^2",
            Method::Reml => {
                "random-effects model, restricted maximum-likelihood estimator of tau^2"
            }
            Method::Eb => "random-effects model, empirical Bayes estimator of tau^2",
            Method::Pm => "random-effects model, Paule-Mandel estimator of tau^2",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Method, String> {
        let up = s.trim().to_ascii_uppercase();
        let up = if up == "EE" || up == "CE" {
            "FE".to_string()
        } else {
            up
        };
        Method::ALL
            .iter()
            .copied()
            .find(|m| m.name() == up)
            .ok_or_else(|| {
                let names: Vec<_> = Method::ALL.iter().map(|m| m.name()).collect();
                format!("unknown method `{s}`; expected one of {}", names.join(", "))
            })
    }
}

/// Settings of the iterative estimators, with metafor's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Control {
    /// Convergence threshold on the change in τ² (metafor `threshold`, 1e-5).
    pub threshold: f64,
    /// Maximum number of Fisher-scoring iterations (metafor `maxiter`, 100).
    pub max_iter: usize,
    /// Step length multiplier of Fisher scoring (metafor `stepadj`, 1).
    pub step_adj: f64,
    /// Starting value of τ² for ML, REML, EB (default: the HE estimate) and SJ
    /// (default: the variance of the effects).
    pub tau2_init: Option<f64>,
    /// For ML and REML, compare the likelihood at τ² = 0 with that at the
    /// estimate and take 0 if it is higher (metafor `ll0check`).
    pub ll0_check: bool,
    /// When Fisher scoring (ML, REML, EB) does not converge: retry with
    /// metafor's remedy (`stepadj` halved, `maxiter` × 10) and, if that fails
    /// too, take the DerSimonian-Laird estimate; each step is noted. `false`
    /// makes non-convergence an error, as in metafor.
    pub fallback: bool,
}

impl Default for Control {
    fn default() -> Control {
        Control {
            threshold: 1e-5,
            max_iter: 100,
            step_adj: 1.0,
            tau2_init: None,
            ll0_check: true,
            fallback: true,
        }
    }
}

/// The data of one model fit: effects, sampling variances, moderators.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Problem<'a> {
    pub y: &'a [f64],
    pub v: &'a [f64],
    pub x: &'a Design,
}

impl Problem<'_> {
    pub fn k(&self) -> usize {
        self.y.len()
    }
    pub fn p(&self) -> usize {
        self.x.cols()
    }
    /// Degrees of freedom k − p.
    pub fn df(&self) -> f64 {
        (self.k() - self.p()) as f64
    }
}

/// An estimate of τ², with how it was reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Tau2Estimate {
    pub tau2: f64,
    /// Iterations used by an iterative estimator.
    pub iterations: Option<usize>,
    pub notes: Vec<String>,
}

impl Tau2Estimate {
    fn closed_form(raw: f64, method: Method) -> Tau2Estimate {
        let mut notes = Vec::new();
        if raw < 0.0 {
            notes.push(format!(
                "the {method} estimate of tau^2 ({raw:.6}) was negative and was truncated at 0"
            ));
        }
        Tau2Estimate {
            tau2: raw.max(0.0),
            iterations: None,
            notes,
        }
    }
}

/// Estimates τ² with `method`. The caller guarantees k > p (and k ≥ 2).
pub(crate) fn estimate(
    method: Method,
    problem: &Problem,
    control: &Control,
) -> Result<Tau2Estimate> {
    match method {
        Method::Fe => Ok(Tau2Estimate {
            tau2: 0.0,
            iterations: None,
            notes: Vec::new(),
        }),
        Method::Dl => dersimonian_laird::estimate(problem),
        Method::He => hedges::estimate(problem),
        Method::Hs => hunter_schmidt::estimate(problem),
        Method::Sj => sidik_jonkman::estimate(problem, control),
        Method::Ml | Method::Reml | Method::Eb => {
            fisher_scoring::estimate_with_fallback(method, problem, control)
        }
        Method::Pm => paule_mandel::estimate(problem),
    }
}
