//! Estimators of the between-study variance τ², one module per estimator,
//! each as metafor 3.8 `rma.uni(method = ...)` defines it.
//!
//! All estimators work with a moderator matrix X (k × p; p = 1 for the
//! intercept-only model) and truncate τ² at zero. Each is written once,
//! against the weighted-least-squares `kernel`, so that the general fit and
//! every resampling refit run the same estimating equations.
//!
//! Adding an estimator: its module here (a function generic over
//! `K: kernel::Kernel`), its row in [`Method`] (the variant, a line of
//! `Method::TABLE`, an arm of `kernel::estimate`), and its reference values
//! in the R script of the heterogeneity goldens.

mod dersimonian_laird;
pub(crate) mod fisher_scoring;
mod hedges;
mod hunter_schmidt;
pub(crate) mod kernel;
pub(crate) mod paule_mandel;
mod sidik_jonkman;

use std::str::FromStr;

use crate::error::Result;
use crate::linalg::Design;

pub use paule_mandel::generalised_q;
pub(crate) use paule_mandel::solve_q as paule_mandel_solve;

/// How τ² is estimated (metafor's `method`). `Fe` fixes τ² = 0 (the
/// common-effect model).
///
/// ```
/// use rema_core::{fit, FitOptions, Method};
/// # fn main() -> rema_core::Result<()> {
/// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
/// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
/// // dat.bcg, log risk ratios; metafor 3.8-1: rma(yi, vi, method = m)$tau2 (PM with
/// // control = list(tol = 1e-12): metafor's default root tolerance gives 0.3180937)
/// let expected = [
///     (Method::Fe, 0.0), (Method::Dl, 0.3087602629), (Method::He, 0.3285638580),
///     (Method::Hs, 0.2283628637), (Method::Sj, 0.3455157016), (Method::Ml, 0.2800281710),
///     (Method::Reml, 0.3132433260), (Method::Eb, 0.3180685158), (Method::Pm, 0.3180684522),
/// ];
/// assert_eq!(expected.len(), Method::ALL.len());
/// for (m, tau2) in expected {
///     let f = fit(&yi, &vi, &FitOptions::new(m))?;
///     assert!((f.tau2 - tau2).abs() < 1e-5, "{m}: {} vs {tau2}", f.tau2);
/// }
/// # Ok(())
/// # }
/// ```
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
    /// Every method with metafor's name and a long name for reports: one
    /// row per method.
    const TABLE: &'static [(Method, &'static str, &'static str)] = &[
        (Method::Fe, "FE", "common-effect (inverse-variance) model"),
        (
            Method::Dl,
            "DL",
            "random-effects model, DerSimonian-Laird estimator of tau^2",
        ),
        (
            Method::He,
            "HE",
            "random-effects model, Hedges estimator of tau^2",
        ),
        (
            Method::Hs,
            "HS",
            "random-effects model, Hunter-Schmidt estimator of tau^2",
        ),
        (
            Method::Sj,
            "SJ",
            "random-effects model, Sidik-Jonkman estimator of tau^2",
        ),
        (
            Method::Ml,
            "ML",
            "random-effects model, maximum-likelihood estimator of tau^2",
        ),
        (
            Method::Reml,
            "REML",
            "random-effects model, restricted maximum-likelihood estimator of tau^2",
        ),
        (
            Method::Eb,
            "EB",
            "random-effects model, empirical Bayes estimator of tau^2",
        ),
        (
            Method::Pm,
            "PM",
            "random-effects model, Paule-Mandel estimator of tau^2",
        ),
    ];

    /// The number of methods.
    const COUNT: usize = Method::TABLE.len();

    /// Every method, in the order of `Method::TABLE`.
    pub const ALL: [Method; Method::COUNT] = {
        let mut all = [Method::Fe; Method::COUNT];
        let mut i = 0;
        while i < Method::COUNT {
            all[i] = Method::TABLE[i].0;
            i += 1;
        }
        all
    };

    fn row(self) -> &'static (Method, &'static str, &'static str) {
        Method::TABLE
            .iter()
            .find(|r| r.0 == self)
            .unwrap_or(&Method::TABLE[0])
    }

    /// metafor's name of the method; [`FromStr`] parses it back, ignoring case,
    /// and takes metafor's aliases `EE` and `CE` for `FE`.
    ///
    /// ```
    /// use rema_core::Method;
    /// assert_eq!(Method::Reml.name(), "REML");
    /// assert_eq!("reml".parse::<Method>(), Ok(Method::Reml));
    /// assert_eq!("EE".parse::<Method>(), Ok(Method::Fe));
    /// assert!("GENQ".parse::<Method>().unwrap_err().contains("expected one of FE, DL"));
    /// assert!(Method::ALL.iter().all(|m| m.name().parse::<Method>() == Ok(*m)));
    /// assert!(!Method::Fe.is_random() && Method::Dl.is_random());
    /// ```
    pub fn name(self) -> &'static str {
        self.row().1
    }

    /// True for every method but the common-effect model.
    pub fn is_random(self) -> bool {
        self != Method::Fe
    }

    /// A long name for reports.
    pub fn description(self) -> &'static str {
        self.row().2
    }
}

display_by_name!(Method);

impl FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Method, String> {
        let up = s.trim().to_ascii_uppercase();
        let up = if up == "EE" || up == "CE" {
            "FE".to_string()
        } else {
            up
        };
        crate::error::parse_choice(&Method::ALL, Method::name, &up, "method", s)
    }
}

/// Settings of the iterative estimators, with metafor's defaults (`rma()`'s
/// `control` list).
///
/// ```
/// use rema_core::{fit, Control, Error, FitOptions, Method};
/// # fn main() -> rema_core::Result<()> {
/// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
/// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
/// let c = Control::default();
/// assert_eq!((c.threshold, c.max_iter, c.step_adj), (1e-5, 100, 1.0));
/// // One Fisher-scoring step is not enough for REML on dat.bcg; without the
/// // fallback that is an error naming the option to raise.
/// let opts = FitOptions {
///     control: Control { max_iter: 1, fallback: false, ..Control::default() },
///     ..FitOptions::new(Method::Reml)
/// };
/// let err = fit(&yi, &vi, &opts).unwrap_err();
/// assert!(matches!(err, Error::NotConverged { method: "REML", .. }));
/// assert!(err.to_string().contains("max_iter"));
/// # Ok(())
/// # }
/// ```
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
    pub(crate) fn k(&self) -> usize {
        self.y.len()
    }
    pub(crate) fn p(&self) -> usize {
        self.x.cols()
    }
}

/// An estimate of τ², with how it was reached; made inside `fit()`,
/// whose [`crate::Fit`] carries its parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Tau2Estimate {
    /// The estimate, ≥ 0, on the squared analysis scale.
    pub tau2: f64,
    /// Iterations used by an iterative estimator.
    pub iterations: Option<usize>,
    /// Truncations, fallbacks and other caveats, in words.
    pub notes: Vec<String>,
}

/// Estimates τ² with `method` on the general kernel, with the fallback of
/// [`Control::fallback`] for a Fisher scoring that does not converge. The
/// caller guarantees k > p (and k ≥ 2).
pub(crate) fn estimate(
    method: Method,
    problem: &Problem,
    control: &Control,
) -> Result<Tau2Estimate> {
    let mut ws = kernel::general::Workspace::new(problem.k(), problem.p());
    let mut k = kernel::general::General::new(problem.y, problem.v, problem.x, &mut ws);
    let words = |e: kernel::Estimate<()>| Tau2Estimate {
        tau2: e.tau2,
        iterations: e.iterations,
        notes: e.note.map(kernel::Note::text).into_iter().collect(),
    };
    let first = match kernel::estimate(method, &mut k, control, None) {
        Ok(e) => return Ok(words(e)),
        Err(kernel::Failure::NotConverged {
            iterations, change, ..
        }) if control.fallback => format!(
            "{method} did not converge in {iterations} iterations (Fisher scoring; last change in tau^2 was {change:.3e})"
        ),
        Err(f) => return Err(f.into_error(method.name())),
    };
    // metafor's remedy, then DL.
    let retry = Control {
        step_adj: control.step_adj / 2.0,
        max_iter: control.max_iter.saturating_mul(10),
        ..*control
    };
    let (mut est, note) = match kernel::estimate(method, &mut k, &retry, None) {
        Ok(e) => (
            words(e),
            format!(
                "{first}; it converged when retried with step-halving (stepadj = {}, maxiter = {}), as metafor's help(rma) advises",
                retry.step_adj, retry.max_iter
            ),
        ),
        Err(kernel::Failure::NotConverged { change, .. }) => {
            let dl = kernel::estimate(Method::Dl, &mut k, control, None)
                .map_err(|f| f.into_error(Method::Dl.name()))?;
            (
                words(dl),
                format!(
                    "{first}; retried with step-halving (stepadj = {}, maxiter = {}) it did not converge either (Fisher scoring; last change in tau^2 was {change:.3e}); the DerSimonian-Laird estimate of tau^2 is used instead (fallback)",
                    retry.step_adj, retry.max_iter
                ),
            )
        }
        Err(f) => return Err(f.into_error(method.name())),
    };
    est.notes.insert(0, note);
    Ok(est)
}
