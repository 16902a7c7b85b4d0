//! What the likelihood says about a fitted rma.uni model: the fit
//! statistics of metafor's `fitstats()` (log-likelihood, deviance, AIC, BIC,
//! AICc), the standard error of τ² (metafor's `se.tau2`), and the
//! profile-likelihood interval of τ² (metafor `confint(res, type = "PL")`).
//!
//! **Log-likelihoods** (metafor 3.8-1 `rma.uni`, Viechtbauer 2005), with
//! wᵢ = 1/(vᵢ + τ̂²), β̂ the weighted least-squares fit and
//! RSS = Σ wᵢ(yᵢ − xᵢ'β̂)²:
//! ML: ℓ = −½k·ln 2π − ½Σln(vᵢ + τ̂²) − ½RSS;
//! REML: ℓ = −½(k − p)·ln 2π + ½ln|X'X| − ½Σln(vᵢ + τ̂²) − ½ln|X'WX| − ½RSS.
//! Deviance: ML −2(ℓ − Σ ln φ(0; vᵢ)) = −2ℓ − Σ ln(2πvᵢ) (0 when k = p);
//! REML −2ℓ. With q parameters (p, plus 1 for τ² unless the model is the
//! common-effect one) and n = k (ML) or k − p (REML): AIC = −2ℓ + 2q,
//! BIC = −2ℓ + q·ln n, AICc = −2ℓ + 2q·max(n, q + 2)/(max(n, q + 2) − q − 1).
//! metafor's `fitstats(res)` shows the REML column for REML fits and the ML
//! column for every other method; [`RmaFit::fit_stats`] does the same and
//! [`RmaFit::fit_stats_of`] gives either.
//!
//! **SE of τ²**, per estimator as metafor computes `se.tau2`, with
//! P = W − WX(X'WX)⁻¹X'W and V = diag(vᵢ): ML √(2/Σwᵢ²) and REML
//! √(2/tr PP) at τ̂² (the inverse Fisher information); EB and PM
//! √(2k²/(k − p))/Σwᵢ at τ̂²; DL √((2(k − p) + 4τ̂² tr P + 2τ̂⁴ tr PP))/tr P
//! and HS the same over Σwᵢ, with wᵢ = 1/vᵢ; HE
//! √(2 tr(PVPV) + 4τ̂² tr(PV) + 2τ̂⁴(k − p))/(k − p) with P the unweighted
//! projection; SJ τ̂₀²√(2 tr(PVPV) + 4τ̂² tr(PVP) + 2τ̂⁴ tr PP)/(k − p), wᵢ =
//! 1/(vᵢ + τ̂₀²). Every trace is taken from p × p cross products
//! (X'diag(c)X), never a k × k matrix.
//!
//! **Profile-likelihood interval** (Hardy & Thompson 1996): the τ² where
//! −2(ℓ(τ²) − ℓ(τ̂²)) = χ²₁;₁₋α, ℓ the REML log-likelihood for REML fits and
//! the ML one otherwise, β profiled out; searched in [0, τ̂²] and
//! [τ̂², max(100, 10τ̂²)] as metafor (a bound at the edge of its interval when
//! the statistic does not reach χ² there, with a note), by Brent's method
//! to near machine precision (metafor's default tolerance is 1.2e-4).

use crate::confint::HeterogeneityCi;
use crate::dist;
use crate::error::{Error, Result};
use crate::linalg::{weighted_crossprod, Design, SymMatrix};
use crate::roots::brent;
use crate::tau2::Method;

use super::RmaFit;

/// metafor's `fitstats()` of a model: one column, ML or REML.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitStats {
    /// Whether these are the REML statistics (else ML).
    pub reml: bool,
    /// The log-likelihood (`logLik`).
    pub log_lik: f64,
    /// The deviance (`deviance`).
    pub deviance: f64,
    /// Akaike's information criterion (`AIC`).
    pub aic: f64,
    /// The Bayesian information criterion (`BIC`).
    pub bic: f64,
    /// AIC corrected for small samples (`AICc`).
    pub aicc: f64,
    /// The number of parameters counted: p, plus 1 for τ² unless the model
    /// is the common-effect one (metafor `parms`).
    pub parameters: usize,
}

/// RSS, Σ ln(vᵢ + τ²) and ln|X'WX| of the weighted fit at τ².
struct AtTau2 {
    rss: f64,
    slog: f64,
    log_det: f64,
}

/// A·B of two p × p matrices.
fn mul(a: &SymMatrix, b: &SymMatrix) -> Vec<f64> {
    let n = a.dim();
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for k in 0..n {
            let aik = a.get(i, k);
            for j in 0..n {
                out[i * n + j] += aik * b.get(k, j);
            }
        }
    }
    out
}

/// tr(M·N) of two n × n row-major matrices.
fn trace_mn(m: &[f64], nn: &[f64], n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..n {
            s += m[i * n + j] * nn[j * n + i];
        }
    }
    s
}

fn wls_at(y: &[f64], v: &[f64], x: &Design, tau2: f64) -> Option<AtTau2> {
    let p = x.cols();
    let w: Vec<f64> = v.iter().map(|v| 1.0 / (v + tau2)).collect();
    let xwx = weighted_crossprod(x, &w);
    let inv = xwx.cholesky_inverse()?;
    let log_det = xwx.log_det()?;
    let mut xwy = vec![0.0; p];
    for (i, (&wi, &yi)) in w.iter().zip(y).enumerate() {
        for (a, xa) in x.row(i).iter().enumerate() {
            xwy[a] += wi * xa * yi;
        }
    }
    let beta: Vec<f64> = (0..p)
        .map(|a| (0..p).map(|b| inv.get(a, b) * xwy[b]).sum())
        .collect();
    let mut rss = 0.0;
    for (i, (&wi, &yi)) in w.iter().zip(y).enumerate() {
        let fitted: f64 = x.row(i).iter().zip(&beta).map(|(a, b)| a * b).sum();
        rss += wi * (yi - fitted) * (yi - fitted);
    }
    let slog = v.iter().map(|v| (v + tau2).ln()).sum();
    Some(AtTau2 { rss, slog, log_det })
}

/// The traces of P = W − WX(X'WX)⁻¹X'W (W = diag(w)) with V = diag(v)
/// that the SEs of τ² use, from p × p cross products.
struct Traces {
    tr_p: f64,
    tr_pp: f64,
    tr_pv: f64,
    tr_pvpv: f64,
    tr_pvp: f64,
}

fn traces(x: &Design, w: &[f64], v: &[f64]) -> Option<Traces> {
    let xc = |c: &dyn Fn(usize) -> f64| -> SymMatrix {
        let c: Vec<f64> = (0..w.len()).map(c).collect();
        weighted_crossprod(x, &c)
    };
    let n = x.cols();
    let a = xc(&|i| w[i]).cholesky_inverse()?;
    let b2 = xc(&|i| w[i] * w[i]);
    let b3 = xc(&|i| w[i] * w[i] * w[i]);
    // D = WV; G = WX A X'.
    let m = xc(&|i| w[i] * w[i] * v[i]);
    let wd2 = xc(&|i| w[i] * (w[i] * v[i]).powi(2));
    let w3v = xc(&|i| w[i].powi(3) * v[i]);
    let ab2 = mul(&a, &b2);
    let am = mul(&a, &m);
    let sum = |f: &dyn Fn(usize) -> f64| (0..w.len()).map(f).sum::<f64>();
    Some(Traces {
        tr_p: sum(&|i| w[i]) - a.trace_product(&b2),
        tr_pp: sum(&|i| w[i] * w[i]) - 2.0 * a.trace_product(&b3) + trace_mn(&ab2, &ab2, n),
        tr_pv: sum(&|i| w[i] * v[i]) - a.trace_product(&m),
        tr_pvpv: sum(&|i| (w[i] * v[i]).powi(2)) - 2.0 * a.trace_product(&wd2)
            + trace_mn(&am, &am, n),
        tr_pvp: sum(&|i| v[i] * w[i] * w[i]) - 2.0 * a.trace_product(&w3v) + trace_mn(&ab2, &am, n),
    })
}

impl RmaFit {
    /// ℓ(τ²) with β profiled out: REML or ML.
    fn log_lik_at(&self, tau2: f64, reml: bool) -> Option<f64> {
        let (k, p) = (self.fit.k as f64, self.fit.p as f64);
        let at = wls_at(self.yi(), self.vi(), &self.x, tau2)?;
        let two_pi = (2.0 * std::f64::consts::PI).ln();
        Some(if reml {
            let ones = vec![1.0; self.fit.k];
            let log_det_xx = weighted_crossprod(&self.x, &ones).log_det()?;
            -0.5 * (k - p) * two_pi + 0.5 * log_det_xx
                - 0.5 * at.slog
                - 0.5 * at.log_det
                - 0.5 * at.rss
        } else {
            -0.5 * k * two_pi - 0.5 * at.slog - 0.5 * at.rss
        })
    }

    /// metafor `fitstats(res)`: the REML statistics for a REML fit, the ML
    /// ones for every other method (as metafor prints them).
    ///
    /// ```
    /// use rema_core::{Error, Method, Rma, Studies};
    /// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
    /// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
    /// // dat.bcg; metafor 3.8-1: fitstats(rma(yi, vi))
    /// let fit = Rma::new(Method::Reml).fit(&Studies::new(&yi, &vi)?)?;
    /// let s = fit.fit_stats()?;
    /// assert!(s.reml && s.parameters == 2);
    /// assert!((s.log_lik - -12.20237142).abs() < 1e-7 && (s.aic - 28.40474283).abs() < 1e-7);
    /// assert!((s.bic - 29.37455613).abs() < 1e-7 && (s.aicc - 29.73807616).abs() < 1e-7);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn fit_stats(&self) -> Result<FitStats> {
        self.fit_stats_of(self.fit.options.method == Method::Reml)
    }

    /// The ML (`reml = false`) or REML column of metafor's `fit.stats`.
    pub fn fit_stats_of(&self, reml: bool) -> Result<FitStats> {
        let (k, p) = (self.fit.k, self.fit.p);
        if reml && k <= p {
            return Err(Error::TooFewStudies {
                k,
                needed: p + 1,
                what: "the REML log-likelihood (it has k - p degrees of freedom)",
            });
        }
        let ll = self
            .log_lik_at(self.fit.tau2, reml)
            .ok_or(Error::RankDeficient)?;
        let q = p + usize::from(self.fit.options.method.is_random());
        let n = if reml { (k - p) as f64 } else { k as f64 };
        let deviance = if reml {
            -2.0 * ll
        } else if k > p {
            let sat: f64 = self
                .vi()
                .iter()
                .map(|v| -0.5 * (2.0 * std::f64::consts::PI * v).ln())
                .sum();
            -2.0 * (ll - sat)
        } else {
            0.0
        };
        let qf = q as f64;
        let m = n.max(qf + 2.0);
        Ok(FitStats {
            reml,
            log_lik: ll,
            deviance,
            aic: -2.0 * ll + 2.0 * qf,
            bic: -2.0 * ll + qf * n.ln(),
            aicc: -2.0 * ll + 2.0 * qf * m / (m - qf - 1.0),
            parameters: q,
        })
    }

    /// metafor's `se.tau2`: the standard error of τ̂² by the formula of the
    /// fit's estimator (see the module's documentation); `None` for the
    /// common-effect model, which has no τ², and when k ≤ p.
    ///
    /// ```
    /// use rema_core::{Error, Method, Rma, Studies};
    /// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
    /// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
    /// // dat.bcg; metafor 3.8-1: rma(yi, vi)$se.tau2
    /// let fit = Rma::new(Method::Reml).fit(&Studies::new(&yi, &vi)?)?;
    /// assert!((fit.se_tau2().unwrap() - 0.1664257831).abs() < 1e-9);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn se_tau2(&self) -> Option<f64> {
        let (k, p) = (self.fit.k, self.fit.p);
        if k <= p || !self.fit.options.method.is_random() {
            return None;
        }
        let (v, x) = (self.vi(), &self.x);
        let tau2 = self.fit.tau2.max(0.0);
        let df = (k - p) as f64;
        let at = |t: f64| -> Vec<f64> { v.iter().map(|v| 1.0 / (v + t)).collect() };
        let se = match self.fit.options.method {
            Method::Fe => return None,
            Method::Ml => (2.0 / at(tau2).iter().map(|w| w * w).sum::<f64>()).sqrt(),
            Method::Reml => (2.0 / traces(x, &at(tau2), v)?.tr_pp).sqrt(),
            Method::Eb | Method::Pm => {
                let sw: f64 = at(tau2).iter().sum();
                (2.0 * (k * k) as f64 / df).sqrt() / sw
            }
            Method::Dl | Method::Hs => {
                let w = at(0.0);
                let t = traces(x, &w, v)?;
                let num = 2.0 * df + 4.0 * tau2 * t.tr_p + 2.0 * tau2 * tau2 * t.tr_pp;
                let den = if self.fit.options.method == Method::Dl {
                    t.tr_p
                } else {
                    w.iter().sum()
                };
                num.sqrt() / den
            }
            Method::He => {
                let t = traces(x, &vec![1.0; k], v)?;
                (2.0 * t.tr_pvpv + 4.0 * tau2 * t.tr_pv + 2.0 * tau2 * tau2 * df).sqrt() / df
            }
            Method::Sj => {
                let y = self.yi();
                let tau0 = self.fit.options.control.tau2_init.unwrap_or_else(|| {
                    let mean = y.iter().sum::<f64>() / k as f64;
                    y.iter().map(|y| (y - mean) * (y - mean)).sum::<f64>() / k as f64
                });
                if tau0 <= 0.0 {
                    return None;
                }
                let t = traces(x, &at(tau0), v)?;
                tau0 * (2.0 * t.tr_pvpv + 4.0 * tau2 * t.tr_pvp + 2.0 * tau2 * tau2 * t.tr_pp)
                    .sqrt()
                    / df
            }
        };
        se.is_finite().then_some(se)
    }

    /// metafor `confint(res, type = "PL")`: the profile-likelihood interval
    /// of τ² (REML likelihood for REML fits, ML otherwise), with I² and H²
    /// mapped from its bounds as the Q-profile interval maps them.
    ///
    /// ```
    /// use rema_core::{Error, Method, Rma, Studies};
    /// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
    /// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
    /// // dat.bcg; metafor 3.8-1: confint(rma(yi, vi), type = "PL", control = list(tol = 1e-12))
    /// let fit = Rma::new(Method::Reml).fit(&Studies::new(&yi, &vi)?)?;
    /// let ci = fit.profile_ci()?;
    /// let close = |a: f64, b: f64| ((a - b) / b).abs() < 1e-6;
    /// assert!(close(ci.tau2_lower, 0.1152661057) && close(ci.tau2_upper, 0.9646953265));
    /// assert!(close(ci.i2_lower, 81.3524628011) && close(ci.h2_upper, 37.5121810759));
    /// assert!(Rma::new(Method::Fe).fit(&Studies::new(&yi, &vi)?)?.profile_ci().is_err());
    /// # Ok::<(), Error>(())
    /// ```
    pub fn profile_ci(&self) -> Result<HeterogeneityCi> {
        let (k, p) = (self.fit.k, self.fit.p);
        let method = self.fit.options.method;
        if !method.is_random() {
            return Err(Error::InvalidOption {
                option: "method",
                message: "the profile-likelihood interval of tau^2 needs a random-effects model; the common-effect model (FE) has no tau^2".to_string(),
            });
        }
        if k <= p {
            return Err(Error::TooFewStudies {
                k,
                needed: p + 1,
                what: "the profile-likelihood interval of tau^2",
            });
        }
        let reml = method == Method::Reml;
        let tau2 = self.fit.tau2;
        let ll_hat = self.log_lik_at(tau2, reml).ok_or(Error::RankDeficient)?;
        let alpha = 1.0 - self.fit.options.level / 100.0;
        let crit = dist::chisq_quantile(1.0 - alpha, 1.0);
        let f = |t: f64| match self.log_lik_at(t, reml) {
            Some(ll) => -2.0 * (ll - ll_hat) - crit,
            None => f64::NAN,
        };
        let (lo, hi) = (tau2.min(0.0), 100f64.max(10.0 * tau2));
        let mut notes = Vec::new();
        let side = |edge: f64, from: f64, to: f64, which: &str, notes: &mut Vec<String>| {
            let fe = f(edge);
            if fe.is_nan() {
                notes.push(format!(
                    "the profile-likelihood {which} bound of tau^2 could not be evaluated"
                ));
                return f64::NAN;
            }
            if fe < 0.0 {
                if edge > 0.0 {
                    notes.push(format!(
                        "the profile-likelihood {which} bound of tau^2 lies beyond the searched interval; it is shown as {edge}"
                    ));
                }
                return edge;
            }
            brent(&f, from, to).unwrap_or_else(|| {
                notes.push(format!(
                    "the profile-likelihood {which} bound of tau^2 was not found"
                ));
                f64::NAN
            })
        };
        let lower = side(lo, lo, tau2, "lower", &mut notes);
        let upper = side(hi, tau2, hi, "upper", &mut notes);
        let vt = self.fit.vt;
        Ok(HeterogeneityCi {
            tau2_lower: lower,
            tau2_upper: upper,
            i2_lower: 100.0 * lower / (vt + lower),
            i2_upper: 100.0 * upper / (vt + upper),
            h2_lower: lower / vt + 1.0,
            h2_upper: upper / vt + 1.0,
            notes,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::{Design, Method, Rma, Studies};

    use crate::testdata::{BCG_VI as VI, BCG_YI as YI};
    const ABLAT: [f64; 13] = [
        44., 55., 42., 52., 13., 44., 19., 13., 27., 42., 18., 33., 33.,
    ];

    /// metafor 3.8-1: rma(yi, vi, mods = ~ ablat, method = m)$se.tau2 on dat.bcg.
    #[test]
    fn se_tau2_of_every_estimator_matches_metafor() {
        let x =
            Design::from_row_major(13, 2, ABLAT.iter().flat_map(|&a| [1.0, a]).collect()).unwrap();
        let studies = Studies::new(&YI, &VI).unwrap();
        let expected = [
            (Method::Dl, 0.0548251479),
            (Method::He, 0.1707119646),
            (Method::Hs, 0.0162884568),
            (Method::Sj, 0.1195337806),
            (Method::Ml, 0.0280185410),
            (Method::Eb, 0.0974997709),
            (Method::Pm, 0.0974982219),
        ];
        for (m, se) in expected {
            let fit = Rma::new(m).fit_mods(&studies, &x).unwrap();
            let got = fit.se_tau2().unwrap();
            // Closed form 1e-6; the iterative estimators 1e-4 (metafor's
            // PM stops at uniroot's default tolerance).
            let tol = if matches!(m, Method::Ml | Method::Eb | Method::Pm) {
                1e-4
            } else {
                1e-6
            };
            assert!(((got - se) / se).abs() < tol, "{m}: {got} vs {se}");
        }
        assert_eq!(
            Rma::new(Method::Fe)
                .fit_mods(&studies, &x)
                .unwrap()
                .se_tau2(),
            None
        );
    }
}
