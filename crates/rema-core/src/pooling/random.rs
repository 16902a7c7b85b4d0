//! The random-effects analysis of a dichotomous outcome as RevMan 5
//! computes it after a Mantel–Haenszel fit ("M-H, Random"): DerSimonian and
//! Laird's (1986) estimator with the heterogeneity statistic Q taken about
//! the Mantel–Haenszel estimate (Deeks, Higgins & Altman, RevMan 5
//! statistical algorithms; R meta's `metabin(method = "MH", random = TRUE,
//! Q.Cochrane = TRUE)`), then inverse-variance pooling with τ² added.
//!
//! With yᵢ, vᵢ the per-table effects of the k_Q tables in Q (log odds
//! ratio, log risk ratio or risk difference, with the continuity
//! correction; double-zero tables left out), wᵢ = 1/vᵢ and β̂_MH the
//! Mantel–Haenszel estimate:
//!
//!   Q_MH = Σwᵢ(yᵢ − β̂_MH)²,
//!   τ̂² = max(0, (Q_MH − (k_Q − 1)) / (Σwᵢ − Σwᵢ²/Σwᵢ)),
//!   wᵢ* = 1/(vᵢ + τ̂²),  β̂_R = Σwᵢ*yᵢ/Σwᵢ*,  SE = 1/√Σwᵢ*,
//!
//! a z test and a Wald interval. Q_MH is the fit's Q (metafor `rma.mh`'s
//! `QE`); it differs from the Q of an inverse-variance fit, which is taken
//! about the inverse-variance estimate Σwᵢyᵢ/Σwᵢ (metafor `rma(method =
//! "DL")`, meta's default `Q.Cochrane = FALSE` elsewhere). I² is the fit's.

use super::{name_tables, Heterogeneity, Pooled, PoolingMethod, TablesFit, Transformed};
use crate::error::{Error, Result};
use crate::leave_one_out::PooledSummary;

/// A random-effects estimate of 2×2 tables (RevMan 5's "M-H, Random").
/// Made by [`TablesFit::random_effects`].
#[derive(Debug, Clone, PartialEq)]
pub struct RandomEffects {
    /// τ̂², DerSimonian–Laird from the Mantel–Haenszel Q.
    pub tau2: f64,
    /// The pooled estimate, its SE, z test and confidence interval.
    pub pooled: Pooled,
    /// Q about the Mantel–Haenszel estimate, I² and H² (the fit's).
    pub heterogeneity: Heterogeneity,
    /// The weight of each table in percent, 1/(vᵢ + τ̂²) of its sum; 0 for
    /// a table outside Q.
    pub weights: Vec<f64>,
    /// Every adjustment or caveat, in words.
    pub notes: Vec<String>,
    back: crate::measure::BackTransform,
    k: usize,
}

impl RandomEffects {
    /// The estimate on the reporting scale (the odds or risk ratio, or the
    /// risk difference).
    pub fn transformed(&self) -> Transformed {
        self.pooled.transformed(self.back)
    }

    /// The estimate in the shape of the other fits' summaries (k the number
    /// of tables).
    pub fn summary(&self) -> PooledSummary {
        PooledSummary {
            tau2: self.tau2,
            ..super::summary(self.k, &self.pooled, &self.heterogeneity)
        }
    }
}

impl TablesFit {
    /// RevMan 5's random-effects analysis after this Mantel–Haenszel fit:
    /// DerSimonian–Laird τ² from the Q about the Mantel–Haenszel estimate,
    /// then inverse-variance weights 1/(vᵢ + τ̂²) on the per-table effects.
    /// Peto's method has none (RevMan offers Peto as a fixed-effect method
    /// only): an error naming `method`.
    ///
    /// ```
    /// use rema_core::effect::BinaryStudy;
    /// use rema_core::{Error, MantelHaenszel, Measure, Peto, Tables};
    /// let t = |ai, bi, ci, di| BinaryStudy { ai, bi, ci, di };
    /// let tables = Tables::new(&[t(4.0, 119.0, 11.0, 128.0), t(6.0, 300.0, 29.0, 274.0), t(62.0, 13536.0, 248.0, 12619.0)])?;
    /// let fit = MantelHaenszel::new(Measure::Rr).fit(&tables)?;
    /// let re = fit.random_effects()?;
    /// assert!(re.tau2 >= 0.0 && re.pooled.se >= fit.pooled.se);
    /// assert!((re.weights.iter().sum::<f64>() - 100.0).abs() < 1e-9);
    /// assert!(matches!(Peto::new().fit(&tables)?.random_effects(), Err(Error::InvalidOption { option: "method", .. })));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn random_effects(&self) -> Result<RandomEffects> {
        if self.method != PoolingMethod::MantelHaenszel {
            return Err(Error::InvalidOption {
                option: "method",
                message: "Peto's method is a fixed-effect method (RevMan offers no random-effects Peto analysis); use the Mantel–Haenszel method (MH) or an inverse-variance τ² estimator such as DL".to_string(),
            });
        }
        let mut notes = Vec::new();
        let w: Vec<f64> = self.vi.iter().map(|v| 1.0 / v).collect();
        let sw: f64 = w.iter().sum();
        let sw2: f64 = w.iter().map(|w| w * w).sum();
        let h = self.heterogeneity;
        let tau2 = if self.in_q.len() < 2 {
            notes.push(format!(
                "τ² is 0: the random-effects analysis needs at least two tables in Q; there {} {}",
                if self.in_q.len() == 1 { "is" } else { "are" },
                self.in_q.len()
            ));
            0.0
        } else {
            let raw = (h.q - h.q_df) / (sw - sw2 / sw);
            if raw < 0.0 {
                notes.push("τ² truncated at 0 (Q below its degrees of freedom)".to_string());
            }
            raw.max(0.0)
        };
        if self.in_q.is_empty() {
            return Err(Error::Undefined {
                what: "the random-effects estimate",
                reason: format!(
                    "no table has a per-table effect; the double-zero tables are {}",
                    name_tables(&self.double_zero)
                ),
            });
        }
        let ws: Vec<f64> = self.vi.iter().map(|v| 1.0 / (v + tau2)).collect();
        let sws: f64 = ws.iter().sum();
        let estimate = ws.iter().zip(&self.yi).map(|(w, y)| w * y).sum::<f64>() / sws;
        let pooled = Pooled::wald(estimate, (1.0 / sws).sqrt(), self.level);
        let mut weights = vec![0.0; self.k];
        for (&i, w) in self.in_q.iter().zip(&ws) {
            weights[i] = w / sws * 100.0;
        }
        super::check_finite("the random-effects estimate", &pooled, &h)?;
        Ok(RandomEffects {
            tau2,
            pooled,
            heterogeneity: h,
            weights,
            notes,
            back: self.measure.back_transform(),
            k: self.k,
        })
    }
}
