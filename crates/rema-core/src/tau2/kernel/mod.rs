//! The weighted-least-squares kernel that every τ² estimator is written
//! against, and its three forms.
//!
//! An estimator asks a [`Kernel`] for the weighted least-squares fit of the
//! effects at a given τ² (weights wᵢ = 1/(vᵢ + τ²)) and reads from it what
//! its estimating equation needs: the residual sum of squares y'Py, y'PPy,
//! Σw, Σw², tr P, tr PP, ln|X'WX| ([`Wls`]). The estimators, the Fisher
//! scoring loop, the likelihood check at τ² = 0, the log-likelihood and
//! I²/H² are written once, generic over the kernel, and monomorphised for
//! each; the kernels differ only in how they form the fit:
//!
//! - [`intercept::InterceptOnly`]: the intercept-only model, from fused
//!   scalar sums (Σw, Σwy, Σw², Σw³, then Σwe², Σw²e²) in two passes;
//! - [`one_moderator::OneModerator`]: one moderator (p = 2), the 2 × 2
//!   system solved by its adjugate on the centred moderator, in one pass;
//! - [`general::General`]: any design, X'WX in a reused workspace and the
//!   Cholesky of `linalg` in place. The general fit uses it.
//!
//! `InterceptOnly` and `General` give the general fit's numbers bit for bit
//! (the same operations in the same order), `OneModerator` to rounding
//! (1e-9); the tests of `resample::refit` check both.

pub(crate) mod general;
pub(crate) mod intercept;
pub(crate) mod one_moderator;

use super::{Control, Method};
use crate::error::Error;

/// What a fit at τ² must include beyond β̂ and the residual sum of squares.
/// Quantities not asked for are left NaN (a kernel may fill them anyway when
/// they cost nothing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Need {
    /// Σwᵢ.
    pub sw: bool,
    /// Σwᵢ² and y'PPy = Σwᵢ²eᵢ².
    pub sw2: bool,
    /// tr P.
    pub tr_p: bool,
    /// tr PP (and y'PPy).
    pub tr_pp: bool,
    /// ln|X'WX|.
    pub log_det: bool,
}

impl Need {
    /// β̂ and the residual sum of squares only.
    pub(crate) const NONE: Need = Need {
        sw: false,
        sw2: false,
        tr_p: false,
        tr_pp: false,
        log_det: false,
    };

    /// The union of two needs.
    pub(crate) fn or(self, o: Need) -> Need {
        Need {
            sw: self.sw || o.sw,
            sw2: self.sw2 || o.sw2,
            tr_p: self.tr_p || o.tr_p,
            tr_pp: self.tr_pp || o.tr_pp,
            log_det: self.log_det || o.log_det,
        }
    }

    /// What one Fisher-scoring step of `method` reads.
    pub(crate) fn scoring(method: Method) -> Need {
        match method {
            Method::Ml => Need {
                sw: true,
                sw2: true,
                ..Need::NONE
            },
            Method::Reml => Need {
                tr_p: true,
                tr_pp: true,
                ..Need::NONE
            },
            _ => Need {
                sw: true,
                ..Need::NONE
            },
        }
    }

    /// What the (restricted) log-likelihood of `method` reads.
    pub(crate) fn likelihood(method: Method) -> Need {
        Need {
            log_det: method == Method::Reml,
            ..Need::NONE
        }
    }
}

/// A weighted least-squares fit of the effects at one τ², as the estimators
/// read it; `extra` is what the kernel keeps for the model's coefficients.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wls<E> {
    pub tau2: f64,
    /// y'Py = Σwᵢeᵢ² (the RSS; Cochran's Q at τ² = 0).
    pub rss: f64,
    /// y'PPy = Σwᵢ²eᵢ².
    pub ypp: f64,
    pub sw: f64,
    pub sw2: f64,
    pub tr_p: f64,
    pub tr_pp: f64,
    /// ln|X'WX|.
    pub log_det: f64,
    pub extra: E,
}

/// Weighted least squares over one data set, at any τ².
pub(crate) trait Kernel {
    /// What the kernel keeps of a fit for the coefficients.
    type Extra: Copy;
    /// The number of coefficients p.
    fn p(&self) -> usize;
    /// The effects.
    fn y(&self) -> &[f64];
    /// The fit at `tau2` with at least what `need` asks for; `None` when
    /// X'WX is not (numerically) positive definite or β̂ is not finite.
    fn wls(&mut self, tau2: f64, need: Need) -> Option<Wls<Self::Extra>>;
    /// The ordinary least-squares RSS e'e and tr(PV) = Σvᵢ − tr((X'X)⁻¹X'VX)
    /// of the Hedges estimator.
    fn hedges(&mut self) -> Option<(f64, f64)>;
    /// Σ ln(vᵢ + τ²); `exact` asks for the term-by-term sum where the kernel
    /// otherwise takes a faster one.
    fn sum_log(&self, tau2: f64, exact: bool) -> f64;
    /// The first upper end of the Paule–Mandel root search.
    fn pm_bracket(&mut self) -> f64;

    /// The number of studies k.
    fn k(&self) -> usize {
        self.y().len()
    }

    /// Degrees of freedom k − p.
    fn df(&self) -> f64 {
        (self.k() - self.p()) as f64
    }
}

/// Why a τ² estimate (or a refit) failed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Failure {
    /// X'WX not positive definite, or β̂ not finite.
    RankDeficient,
    /// Fisher scoring did not converge in `iterations` steps.
    NotConverged {
        method: Method,
        iterations: usize,
        change: f64,
    },
    /// No τ² below 1e32 solves the Q equation (after `widenings` widenings).
    NoBracket { widenings: usize },
    /// Brent's search did not converge.
    NoRoot,
}

impl Failure {
    /// The error of the general fit.
    pub(crate) fn into_error(self, what: &'static str) -> Error {
        match self {
            Failure::RankDeficient => Error::RankDeficient,
            Failure::NotConverged {
                method,
                iterations,
                change,
            } => Error::NotConverged {
                method: method.name(),
                iterations,
                detail: format!("Fisher scoring; last change in tau^2 was {change:.3e}"),
            },
            Failure::NoBracket { widenings } => Error::NotConverged {
                method: what,
                iterations: widenings,
                detail: "no tau^2 below 1e32 solves the Q equation".to_string(),
            },
            Failure::NoRoot => Error::NotConverged {
                method: what,
                iterations: 200,
                detail: "Brent root search".to_string(),
            },
        }
    }
}

/// An adjustment worth a note in the general fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Note {
    /// A closed-form estimate `raw` below 0 was truncated at 0.
    Truncated { method: Method, raw: f64 },
    /// The likelihood check set τ² (`tau2`) to 0.
    Ll0 { method: Method, tau2: f64 },
    /// Q(0) < k − p: the Paule–Mandel estimate is 0.
    PmZero,
}

impl Note {
    /// The note in words.
    pub(crate) fn text(self) -> String {
        match self {
            Note::Truncated { method, raw } => format!(
                "the {method} estimate of tau^2 ({raw:.6}) was negative and was truncated at 0"
            ),
            Note::Ll0 { method, tau2 } => format!(
                "Fisher scoring stopped at tau^2 = {tau2:.6}, but the {method} likelihood is higher at tau^2 = 0; tau^2 set to 0 (metafor ll0check)"
            ),
            Note::PmZero => "Q(0) is below k - p, so the PM estimate of tau^2 is 0".to_string(),
        }
    }
}

/// An estimate of τ² from a kernel.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Estimate<E> {
    pub tau2: f64,
    /// Fisher-scoring iterations.
    pub iterations: Option<usize>,
    pub note: Option<Note>,
    /// The fit at `tau2` when the estimator formed it (the likelihood check
    /// does), so that a refit need not form it again.
    pub at: Option<Wls<E>>,
}

impl<E> Estimate<E> {
    /// A closed-form estimate: `raw` truncated at 0, with a note if it was negative.
    pub(crate) fn closed_form(method: Method, raw: f64) -> Estimate<E> {
        Estimate {
            tau2: raw.max(0.0),
            iterations: None,
            note: (raw < 0.0).then_some(Note::Truncated { method, raw }),
            at: None,
        }
    }
}

/// What the common-effect fit (τ² = 0) must include for `method` and the
/// likelihood check of `control`, and I² when `heterogeneity`.
pub(crate) fn need_at_zero(method: Method, control: &Control, heterogeneity: bool) -> Option<Need> {
    let ll0 = control.ll0_check
        && control.tau2_init.is_none()
        && matches!(method, Method::Ml | Method::Reml);
    let mut need = match method {
        Method::Dl => Need {
            tr_p: true,
            ..Need::NONE
        },
        Method::Hs => Need {
            sw: true,
            ..Need::NONE
        },
        _ => Need::NONE,
    };
    if ll0 {
        need = need.or(Need::likelihood(method));
    }
    if heterogeneity {
        need.tr_p = true;
    }
    (heterogeneity || ll0 || matches!(method, Method::Dl | Method::Hs)).then_some(need)
}

/// The common-effect fit `fe` if formed, else formed now with `need`.
pub(crate) fn at_zero<K: Kernel>(
    k: &mut K,
    fe: Option<&Wls<K::Extra>>,
    need: Need,
) -> Result<Wls<K::Extra>, Failure> {
    match fe {
        Some(f) => Ok(*f),
        None => k.wls(0.0, need).ok_or(Failure::RankDeficient),
    }
}

/// Estimates τ² with `method` through the kernel `k`. `fe` is the
/// common-effect fit when the caller has formed it (with at least
/// [`need_at_zero`]). Non-convergence is a [`Failure`]: the general fit's
/// fallback (`Control::fallback`) is applied by `tau2::estimate`.
#[inline]
pub(crate) fn estimate<K: Kernel>(
    method: Method,
    k: &mut K,
    control: &Control,
    fe: Option<&Wls<K::Extra>>,
) -> Result<Estimate<K::Extra>, Failure> {
    match method {
        Method::Fe => Ok(Estimate {
            tau2: 0.0,
            iterations: None,
            note: None,
            at: None,
        }),
        Method::He => Ok(Estimate::closed_form(method, super::hedges::raw(k)?)),
        // The moment estimators of the common-effect fit.
        Method::Dl | Method::Hs => {
            let need = need_at_zero(method, control, false).unwrap_or_default();
            let fe = at_zero(k, fe, need)?;
            let raw = if method == Method::Dl {
                super::dersimonian_laird::raw(k, &fe)
            } else {
                super::hunter_schmidt::raw(k, &fe)
            };
            Ok(Estimate::closed_form(method, raw))
        }
        Method::Sj => super::sidik_jonkman::estimate(k, control),
        Method::Ml | Method::Reml | Method::Eb => {
            super::fisher_scoring::estimate(method, k, control, fe)
        }
        Method::Pm => super::paule_mandel::estimate(k),
    }
}

/// The ML or REML log-likelihood from the fit `f` and Σ ln(vᵢ + τ²) `slog`
/// (without REML's constant ½ln|X'X|).
#[inline]
pub(crate) fn log_likelihood<E>(method: Method, k: usize, p: usize, f: &Wls<E>, slog: f64) -> f64 {
    let two_pi = (2.0 * std::f64::consts::PI).ln();
    match method {
        Method::Reml => -0.5 * (k - p) as f64 * two_pi - 0.5 * slog - 0.5 * f.log_det - 0.5 * f.rss,
        _ => -0.5 * k as f64 * two_pi - 0.5 * slog - 0.5 * f.rss,
    }
}

/// metafor's `ll0check` after Fisher scoring stopped at `tau2`: true when
/// the likelihood at τ² = 0 (`at0`) is higher than at `tau2` (`at`) by more
/// than ε^¼. Only decided for τ² above the convergence threshold (below it
/// the check cannot change the estimate). Σ ln(vᵢ + τ²) is first taken the
/// kernel's fast way; when that puts the difference within 1e-9 of the
/// cut-off it is taken term by term, so the decision is the exact one.
pub(crate) fn likelihood_prefers_zero<K: Kernel>(
    method: Method,
    k: &K,
    control: &Control,
    at0: &Wls<K::Extra>,
    at: &Wls<K::Extra>,
) -> bool {
    let tau2 = at.tau2;
    if !(tau2 > control.threshold) {
        return false;
    }
    let cut = f64::EPSILON.powf(0.25);
    let (n, p) = (k.k(), k.p());
    let ll = |exact: bool| {
        (
            log_likelihood(method, n, p, at0, k.sum_log(0.0, exact)),
            log_likelihood(method, n, p, at, k.sum_log(tau2, exact)),
        )
    };
    let (ll0, ll1) = ll(false);
    let diff = ll0 - ll1;
    if (diff - cut).abs() > 1e-9 * (1.0 + ll0.abs() + ll1.abs()) {
        diff > cut
    } else {
        let (ll0, ll1) = ll(true);
        ll0 - ll1 > cut
    }
}

/// I² (percent) and H² of a model with τ̂² = `tau2`, Cochran's Q = `q` on
/// `df` degrees of freedom and typical within-study variance `vt`
/// (Higgins & Thompson 2002, as metafor): for a random-effects model
/// I² = 100·τ̂²/(ṽ + τ̂²), H² = τ̂²/ṽ + 1; for the common-effect model
/// I² = max(0, 100(Q − df)/Q), H² = Q/df.
#[inline]
pub(crate) fn i2_h2(random: bool, tau2: f64, q: f64, df: f64, vt: f64) -> (f64, f64) {
    if random {
        (100.0 * tau2 / (vt + tau2), tau2 / vt + 1.0)
    } else {
        ((100.0 * (q - df) / q).max(0.0), q / df)
    }
}
