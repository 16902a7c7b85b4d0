//! Peto's one-step odds ratio, as metafor 3.8 `rma.peto` (Yusuf, Peto,
//! Lewis, Collins & Sleight 1985), with the counts pooled as they are.
//!
//! For table i with mᵢ = aᵢ + cᵢ events, lᵢ = bᵢ + dᵢ non-events, group
//! sizes n₁ᵢ, n₂ᵢ and nᵢ = n₁ᵢ + n₂ᵢ, the observed minus expected events of
//! group 1 and their hypergeometric variance are
//!
//!   Oᵢ − Eᵢ = aᵢ − mᵢn₁ᵢ/nᵢ,  Vᵢ = mᵢlᵢ(n₁ᵢ/nᵢ)(n₂ᵢ/nᵢ)/(nᵢ − 1),
//!
//! and the pooled log odds ratio is β̂ = Σ(Oᵢ − Eᵢ)/ΣVᵢ with SE = 1/√ΣVᵢ,
//! a z test and a Wald interval. Peto's heterogeneity statistic is
//!
//!   Q = Σ(Oᵢ − Eᵢ)²/Vᵢ − (Σ(Oᵢ − Eᵢ))²/ΣVᵢ
//!
//! over the tables with Vᵢ > 0 (truncated at 0), on k_Q − 1 degrees of
//! freedom, k_Q the tables with a per-table effect (double-zero tables are
//! left out under `drop00`, the default); with fewer than two tables with
//! Vᵢ > 0, p = 1, I² = 0 and H² = 1, as metafor. A double-zero table has
//! Vᵢ = 0 and adds nothing. The weights are Vᵢ/ΣVᵢ in percent (metafor
//! `weights()`).
//!
//! The per-table effects (metafor `escalc(measure = "PETO")`, `res$yi`,
//! `res$vi`) are (Oᵢ − Eᵢ)/Vᵢ and 1/Vᵢ computed from the cells with the
//! continuity correction `add` under the rule `to`; they are reported for
//! the tables in Q and enter nothing else.

use super::{check_finite, name_tables, CorrectionNote, MethodFit, Pooling, PoolingMethod};
use super::{Heterogeneity, Pooled, TableEffects, Tables, TablesFit};
use crate::effect::{AddTo, BinaryStudy, EffectSizes};
use crate::error::{Error, Result};
use crate::measure::Measure;

/// Peto's method, with metafor `rma.peto`'s options and defaults: the 95%
/// level and, for the per-table effects, `add = 1/2`, `to = "only0"`,
/// `drop00 = TRUE`.
///
/// ```
/// use rema_core::effect::BinaryStudy;
/// use rema_core::{Error, Level, Peto, Tables};
/// let t = |ai, bi, ci, di| BinaryStudy { ai, bi, ci, di };
/// let tables = Tables::new(&[t(4.0, 119.0, 11.0, 128.0), t(6.0, 300.0, 29.0, 274.0), t(0.0, 50.0, 0.0, 48.0)])?;
/// let fit = Peto::new().level(Level::new(90.0)?).fit(&tables)?;
/// assert_eq!((fit.k, fit.heterogeneity.k, fit.k_pos), (3, 2, 2));
/// assert_eq!(fit.weights[2], 0.0); // the double-zero table adds nothing
/// assert!(fit.transformed().estimate < 1.0);
/// # Ok::<(), Error>(())
/// ```
pub type Peto = Pooling<PetoMethod>;

/// Peto's method, which has no options of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PetoMethod;

impl Default for Pooling<PetoMethod> {
    fn default() -> Peto {
        Peto::new()
    }
}

impl Pooling<PetoMethod> {
    /// The method with metafor's defaults.
    pub fn new() -> Peto {
        Pooling::with_defaults(PetoMethod)
    }

    /// Pools the tables (metafor `rma.peto(ai, bi, ci, di, level, add, to,
    /// drop00)`). Tables none of which has both events and non-events
    /// (ΣVᵢ = 0) are an error.
    ///
    /// ```
    /// use rema_core::effect::BinaryStudy;
    /// use rema_core::{Error, Peto, Tables};
    /// let t = |ai, bi, ci, di| BinaryStudy { ai, bi, ci, di };
    /// let tables = Tables::new(&[t(0.0, 116.0, 3.0, 114.0), t(1.0, 43.0, 3.0, 32.0)])?;
    /// let fit = Peto::new().fit(&tables)?;
    /// assert!(fit.pooled.estimate < 0.0 && fit.yi.iter().all(|y| y.is_finite()));
    /// let none = Tables::new(&[t(0.0, 10.0, 0.0, 12.0)])?;
    /// assert!(matches!(Peto::new().fit(&none), Err(Error::Undefined { .. })));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn fit(&self, tables: &Tables) -> Result<TablesFit> {
        let kept = self.kept(tables)?;
        let t = tables.as_slice();
        let (o_e, v): (Vec<f64>, Vec<f64>) = t.iter().map(observed_expected).unzip();
        let sum_v: f64 = v.iter().sum();
        if !(sum_v > 0.0) {
            return Err(Error::Undefined {
                what: "Peto's odds ratio",
                reason: "no table has both events and non-events (every hypergeometric variance Vᵢ is 0), so there is nothing to pool; check the data".to_string(),
            });
        }
        let sum_o_e: f64 = o_e.iter().sum();
        let estimate = sum_o_e / sum_v;
        let pooled = Pooled::wald(estimate, (1.0 / sum_v).sqrt(), self.level);
        let k_pos = v.iter().filter(|&&x| x > 0.0).count();
        let q = (o_e
            .iter()
            .zip(&v)
            .filter(|(_, &vi)| vi > 0.0)
            .map(|(d, vi)| d * d / vi)
            .sum::<f64>()
            - sum_o_e * sum_o_e / sum_v)
            .max(0.0);
        let heterogeneity = Heterogeneity::new(q, kept.in_q.len(), k_pos > 1);
        check_finite("Peto's odds ratio", &pooled, &heterogeneity)?;
        let mut notes = Vec::new();
        if !kept.double_zero.is_empty() {
            notes.push(format!(
                "double-zero (no events, or only events, in both groups), adding nothing (Vᵢ = 0){}: {}",
                if self.drop00 {
                    " and left out of Q's degrees of freedom (metafor drop00 = TRUE)"
                } else {
                    " but counted in Q's degrees of freedom (drop00 = false), as in metafor"
                },
                name_tables(&kept.double_zero)
            ));
        }
        if k_pos < 2 {
            notes.push(format!(
                "Q needs at least two tables with events and non-events; there {} {k_pos}: Q's p-value is 1, I² 0 and H² 1, as in metafor",
                if k_pos == 1 { "is" } else { "are" }
            ));
        }
        let fit = MethodFit {
            measure: Measure::Or,
            pooled,
            heterogeneity,
            odds_ratio_tests: None,
            weights: v.iter().map(|x| x / sum_v * 100.0).collect(),
            effects: self.per_table(t, &kept.in_q, &mut notes)?,
        };
        Ok(self.assemble(PoolingMethod::Peto, t, kept, fit, notes))
    }
}

/// escalc's Peto log odds ratios, with the continuity correction.
impl TableEffects for PetoMethod {
    fn effects(&self, tables: Vec<BinaryStudy>, add: f64, to: AddTo) -> Result<EffectSizes> {
        let has_zero = |s: &BinaryStudy| s.ai == 0.0 || s.bi == 0.0 || s.ci == 0.0 || s.di == 0.0;
        let (added, corrected) = crate::effect::continuity(&tables, add, to, has_zero);
        let mut yi = Vec::with_capacity(tables.len());
        let mut vi = Vec::with_capacity(tables.len());
        for (j, (s, a)) in tables.iter().zip(&added).enumerate() {
            let c = BinaryStudy {
                ai: s.ai + a,
                bi: s.bi + a,
                ci: s.ci + a,
                di: s.di + a,
            };
            let (d, v) = observed_expected(&c);
            let (y, var) = (d / v, 1.0 / v);
            if !(y.is_finite() && var.is_finite()) {
                return Err(Error::NonFiniteEffect {
                    study: j,
                    measure: "PETO",
                    reason: "a double-zero table without a continuity correction; keep drop00 or give `add` > 0",
                });
            }
            yi.push(y);
            vi.push(var);
        }
        Ok(EffectSizes {
            measure: Measure::Or,
            yi,
            vi,
            ni: None,
            corrected,
            notes: Vec::new(),
        })
    }

    fn correction_note(&self) -> CorrectionNote {
        CorrectionNote {
            lead: "the per-table effects",
            effects: "Peto log odds ratios",
            uses: "the pooled estimate and Q use the counts as they are",
        }
    }
}

/// Oᵢ − Eᵢ and Vᵢ of one table, in metafor's order of operations.
pub(super) fn observed_expected(x: &BinaryStudy) -> (f64, f64) {
    let (n1, n2) = (x.ai + x.bi, x.ci + x.di);
    let n = x.ai + x.bi + x.ci + x.di;
    let (m, l) = (x.ai + x.ci, x.bi + x.di);
    let e = m * n1 / n;
    let v = m * l * (n1 / n) * (n2 / n) / (n - 1.0);
    (x.ai - e, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_table_has_no_heterogeneity() {
        let tables = Tables::new(&[BinaryStudy {
            ai: 4.0,
            bi: 119.0,
            ci: 11.0,
            di: 128.0,
        }])
        .unwrap();
        let fit = Peto::new().fit(&tables).unwrap();
        assert_eq!(fit.heterogeneity.q, 0.0);
        assert_eq!(
            (
                fit.heterogeneity.q_pval,
                fit.heterogeneity.i2,
                fit.heterogeneity.h2
            ),
            (1.0, 0.0, 1.0)
        );
        assert!((fit.yi[0] - fit.pooled.estimate).abs() < 1e-12);
    }
}
