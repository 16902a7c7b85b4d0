//! Pooling of 2×2 tables from their counts, as metafor's `rma.mh` and
//! `rma.peto`: the common-effect methods that RevMan offers for a
//! dichotomous outcome beside inverse-variance weighting.
//!
//! - [`MantelHaenszel`]: the Mantel–Haenszel odds ratio, risk ratio and risk
//!   difference (Mantel & Haenszel 1959; Greenland & Robins 1985; Robins,
//!   Breslow & Greenland 1986), with the Cochran–Mantel–Haenszel test, the
//!   Breslow–Day and Tarone tests of homogeneity of the odds ratio (Tarone
//!   1985) and the inverse-variance Q about the pooled estimate;
//! - [`Peto`]: Peto's one-step odds ratio, Σ(O − E)/ΣV (Yusuf et al. 1985),
//!   with Peto's heterogeneity statistic.
//!
//! The tables are checked once ([`Tables::new`]); the counts are pooled as
//! they are, without a continuity correction. A table with no events in
//! either group, or with only events, is "double-zero": it carries no
//! information about an odds or risk ratio and metafor's `drop00` (the
//! default) leaves it out of Q and its degrees of freedom; the fits name such
//! tables in their notes and in `double_zero`.
//!
//! ```
//! use rema_core::effect::BinaryStudy;
//! use rema_core::{Error, Level, MantelHaenszel, Measure, Peto, Tables};
//! let t = |ai, bi, ci, di| BinaryStudy { ai, bi, ci, di };
//! let tables = Tables::new(&[t(4.0, 119.0, 11.0, 128.0), t(6.0, 300.0, 29.0, 274.0), t(3.0, 228.0, 11.0, 209.0)])?;
//! let mh = MantelHaenszel::new(Measure::Or).level(Level::new(95.0)?).fit(&tables)?;
//! let peto = Peto::new().fit(&tables)?;
//! assert!(mh.pooled.estimate < 0.0 && peto.pooled.estimate < 0.0);
//! assert!(mh.transformed().estimate < 1.0); // the odds ratio itself
//! # Ok::<(), Error>(())
//! ```

mod mantel_haenszel;
mod peto;
mod random;

pub use mantel_haenszel::{MantelHaenszel, MhMethod, OddsRatioTests};
pub use peto::{Peto, PetoMethod};
pub use random::RandomEffects;

use crate::dist;
use crate::effect::{AddTo, BinaryStudy, EffectSizes};
use crate::error::{Error, Result};
use crate::fit::critical_value;
use crate::leave_one_out::PooledSummary;
use crate::measure::{BackTransform, Measure};
use crate::model::Level;
use crate::tau2::kernel::i2_h2;
use crate::transform::back_transform;

/// The 2×2 tables of k ≥ 1 studies, checked once: every count finite and
/// ≥ 0, and at least one participant in each group. An error names the
/// table by its 0-based position and the column.
///
/// ```
/// use rema_core::effect::BinaryStudy;
/// use rema_core::{Error, Tables};
/// let ok = Tables::new(&[BinaryStudy { ai: 4.0, bi: 119.0, ci: 11.0, di: 128.0 }])?;
/// assert_eq!(ok.len(), 1);
/// let bad = Tables::new(&[BinaryStudy { ai: -1.0, bi: 119.0, ci: 11.0, di: 128.0 }]);
/// assert!(matches!(bad, Err(Error::InvalidValue { study: 0, column: "ai", .. })));
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Tables {
    tables: Vec<BinaryStudy>,
}

impl Tables {
    /// Checks and keeps the tables: `ai` events and `bi` non-events in
    /// group 1, `ci` and `di` in group 2.
    pub fn new(tables: &[BinaryStudy]) -> Result<Tables> {
        if tables.is_empty() {
            return Err(Error::NoStudies);
        }
        for (i, s) in tables.iter().enumerate() {
            crate::effect::check_table(i, s)?;
        }
        Ok(Tables {
            tables: tables.to_vec(),
        })
    }

    /// The tables, in input order.
    pub fn as_slice(&self) -> &[BinaryStudy] {
        &self.tables
    }

    /// The number of tables k (at least 1).
    pub fn len(&self) -> usize {
        self.tables.len()
    }

    /// Always false: `Tables` holds at least one table.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// The 0-based positions of the double-zero tables: no events in either
    /// group (aᵢ = cᵢ = 0) or only events (bᵢ = dᵢ = 0), metafor's `drop00`
    /// rule.
    ///
    /// ```
    /// use rema_core::effect::BinaryStudy;
    /// use rema_core::{Error, Tables};
    /// let t = |ai, bi, ci, di| BinaryStudy { ai, bi, ci, di };
    /// let tables = Tables::new(&[t(1.0, 9.0, 2.0, 8.0), t(0.0, 10.0, 0.0, 12.0), t(5.0, 0.0, 6.0, 0.0)])?;
    /// assert_eq!(tables.double_zero(), vec![1, 2]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn double_zero(&self) -> Vec<usize> {
        (0..self.len())
            .filter(|&i| self.is_double_zero(i))
            .collect()
    }

    fn is_double_zero(&self, i: usize) -> bool {
        let s = &self.tables[i];
        (s.ai == 0.0 && s.ci == 0.0) || (s.bi == 0.0 && s.di == 0.0)
    }
}

/// A pooling method of 2×2 tables with the options every such method takes
/// (metafor's `level`, `add`, `to` and `drop00`); `M` holds the method and
/// its own options. Used through [`MantelHaenszel`] and [`Peto`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pooling<M> {
    method: M,
    level: Level,
    add: f64,
    to: AddTo,
    drop00: bool,
}

/// The double-zero tables and the tables with a per-table effect.
struct Kept {
    double_zero: Vec<usize>,
    in_q: Vec<usize>,
}

impl<M> Pooling<M> {
    /// `method` with metafor's defaults: the 95% level, `add = 1/2`,
    /// `to = "only0"`, `drop00 = TRUE`.
    fn with_defaults(method: M) -> Pooling<M> {
        Pooling {
            method,
            level: Level::default(),
            add: 0.5,
            to: AddTo::OnlyZero,
            drop00: true,
        }
    }

    /// The confidence level (metafor `level`).
    pub fn level(self, level: Level) -> Pooling<M> {
        Pooling { level, ..self }
    }

    /// The continuity correction of the per-table effects (metafor's `yi`
    /// and `vi`, behind the Mantel–Haenszel Q): `add` (metafor `add`,
    /// default ½; a finite number ≥ 0, checked when fitted) added to each
    /// cell of the tables chosen by `to` (metafor `to`, default only those
    /// with a zero cell). The pooled estimate never uses it, nor does Peto's Q.
    pub fn continuity(self, add: f64, to: AddTo) -> Pooling<M> {
        Pooling { add, to, ..self }
    }

    /// Whether double-zero tables are left out of the per-table effects and
    /// of Q's degrees of freedom (metafor `drop00`, default true). They stay
    /// in the pooled sums, where they add nothing or (Mantel–Haenszel risk
    /// difference) their weight, as metafor's.
    pub fn drop00(self, drop00: bool) -> Pooling<M> {
        Pooling { drop00, ..self }
    }

    /// Checks `add` and finds the double-zero tables and those kept for the
    /// per-table effects.
    fn kept(&self, tables: &Tables) -> Result<Kept> {
        check_add(self.add)?;
        let double_zero = tables.double_zero();
        let in_q = if self.drop00 {
            (0..tables.len())
                .filter(|i| !double_zero.contains(i))
                .collect()
        } else {
            (0..tables.len()).collect()
        };
        Ok(Kept { double_zero, in_q })
    }

    /// The fit from what `method` pooled and the parts every method shares.
    fn assemble(
        &self,
        method: PoolingMethod,
        t: &[BinaryStudy],
        kept: Kept,
        fit: MethodFit,
        notes: Vec<String>,
    ) -> TablesFit {
        let (yi, vi) = fit.effects;
        TablesFit {
            method,
            measure: fit.measure,
            level: self.level,
            k: t.len(),
            k_pos: informative(t),
            pooled: fit.pooled,
            heterogeneity: fit.heterogeneity,
            odds_ratio_tests: fit.odds_ratio_tests,
            weights: fit.weights,
            in_q: kept.in_q,
            yi,
            vi,
            double_zero: kept.double_zero,
            notes,
        }
    }

    /// The per-table effects of the tables `in_q` (metafor `res$yi`,
    /// `res$vi`), by the method's own formula with the continuity
    /// correction; a note names the tables it was added to.
    fn per_table(
        &self,
        t: &[BinaryStudy],
        in_q: &[usize],
        notes: &mut Vec<String>,
    ) -> Result<(Vec<f64>, Vec<f64>)>
    where
        M: TableEffects,
    {
        if in_q.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let subset = in_q.iter().map(|&i| t[i]).collect();
        let es = self
            .method
            .effects(subset, self.add, self.to)
            .map_err(|e| match e {
                Error::NonFiniteEffect {
                    study,
                    measure,
                    reason,
                } => Error::NonFiniteEffect {
                    study: in_q[study],
                    measure,
                    reason,
                },
                Error::InvalidVariance { study, value } => Error::InvalidVariance {
                    study: in_q[study],
                    value,
                },
                other => other,
            })?;
        if !es.corrected.is_empty() {
            let corrected: Vec<usize> = es.corrected.iter().map(|&j| in_q[j]).collect();
            let CorrectionNote {
                lead,
                effects,
                uses,
            } = self.method.correction_note();
            notes.push(format!(
                "{lead}: {} added to each cell for the {effects} (metafor add = {}, to = \"{}\"; {uses}): {}",
                self.add,
                self.add,
                self.to.name(),
                name_tables(&corrected)
            ));
        }
        Ok((es.yi, es.vi))
    }
}

/// A method's per-table effects (metafor `escalc`'s `yi` and `vi` beside
/// the pooled fit).
trait TableEffects {
    /// The effects of `tables` with `add` added to the cells of those chosen
    /// by `to`; positions in errors and in `corrected` are in `tables`.
    fn effects(&self, tables: Vec<BinaryStudy>, add: f64, to: AddTo) -> Result<EffectSizes>;

    /// The words of the note on the continuity correction.
    fn correction_note(&self) -> CorrectionNote;
}

/// The words of the note on the continuity correction of the per-table
/// effects: what they are behind (`lead`, "Q"), what they are (`effects`,
/// "log odds ratios") and what ignores the correction (`uses`).
struct CorrectionNote {
    lead: &'static str,
    effects: &'static str,
    uses: &'static str,
}

/// What one method pooled; [`Pooling::assemble`] adds the rest of a
/// [`TablesFit`].
struct MethodFit {
    measure: Measure,
    pooled: Pooled,
    heterogeneity: Heterogeneity,
    odds_ratio_tests: Option<OddsRatioTests>,
    weights: Vec<f64>,
    /// The per-table effects of the tables in Q, and their variances.
    effects: (Vec<f64>, Vec<f64>),
}

/// Which method pooled a [`TablesFit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolingMethod {
    /// Mantel–Haenszel (metafor `rma.mh`).
    MantelHaenszel,
    /// Peto's one-step odds ratio (metafor `rma.peto`).
    Peto,
}

/// A pooled fit of 2×2 tables (metafor's `rma.mh` or `rma.peto` object).
/// Made by [`MantelHaenszel::fit`] or [`Peto::fit`].
#[derive(Debug, Clone, PartialEq)]
pub struct TablesFit {
    /// The method.
    pub method: PoolingMethod,
    /// The measure: OR or RR (pooled on the log scale) or RD; OR for Peto.
    pub measure: Measure,
    /// The confidence level of `pooled`.
    pub level: Level,
    /// The number of tables (metafor `k`).
    pub k: usize,
    /// The number of tables with events and non-events, Vᵢ > 0 in Peto's
    /// method (metafor `rma.peto`'s `k.pos`).
    pub k_pos: usize,
    /// The pooled estimate, its SE, z test and confidence interval.
    pub pooled: Pooled,
    /// Q about the pooled estimate (inverse-variance for Mantel–Haenszel,
    /// Peto's for Peto), I² and H².
    pub heterogeneity: Heterogeneity,
    /// For a Mantel–Haenszel odds ratio, the CMH, Breslow–Day and Tarone tests.
    pub odds_ratio_tests: Option<OddsRatioTests>,
    /// The weight of each table in percent (metafor `weights(res)`); 0 for a
    /// table outside the weights' sum.
    pub weights: Vec<f64>,
    /// The tables with a per-table effect (0-based, the tables in Q for
    /// Mantel–Haenszel).
    pub in_q: Vec<usize>,
    /// The per-table effects of the tables in `in_q` (metafor `res$yi`).
    pub yi: Vec<f64>,
    /// Their sampling variances (metafor `res$vi`).
    pub vi: Vec<f64>,
    /// The double-zero tables (0-based): no events, or only events, in both
    /// groups.
    pub double_zero: Vec<usize>,
    /// Every adjustment or caveat, in words.
    pub notes: Vec<String>,
}

/// A Mantel–Haenszel fit: a [`TablesFit`].
pub type MhFit = TablesFit;
/// A Peto fit: a [`TablesFit`].
pub type PetoFit = TablesFit;

impl TablesFit {
    /// The pooled estimate on the reporting scale: the odds or risk ratio
    /// (metafor's "Model Results (OR scale)"), or the risk difference.
    ///
    /// ```
    /// use rema_core::effect::BinaryStudy;
    /// use rema_core::{Error, MantelHaenszel, Measure, Peto, Tables};
    /// let tables = Tables::new(&[BinaryStudy { ai: 4.0, bi: 119.0, ci: 11.0, di: 128.0 }])?;
    /// let fit = MantelHaenszel::new(Measure::Or).fit(&tables)?;
    /// assert!((fit.transformed().estimate - (4.0 * 128.0) / (119.0 * 11.0)).abs() < 1e-12);
    /// let peto = Peto::new().fit(&tables)?;
    /// assert!((peto.transformed().estimate - peto.pooled.estimate.exp()).abs() < 1e-15);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn transformed(&self) -> Transformed {
        self.pooled.transformed(self.measure.back_transform())
    }

    /// The fit in the shape of the inverse-variance fits' summaries (τ² = 0,
    /// k the number of tables).
    pub fn summary(&self) -> PooledSummary {
        summary(self.k, &self.pooled, &self.heterogeneity)
    }
}

/// The number of tables with events and non-events (a positive
/// hypergeometric variance).
fn informative(t: &[BinaryStudy]) -> usize {
    t.iter()
        .filter(|x| peto::observed_expected(x).1 > 0.0)
        .count()
}

/// A pooled estimate on the analysis scale (the log scale for ratios) with
/// its Wald z test and confidence interval: z = β̂/SE, p = 2(1 − Φ(|z|)),
/// β̂ ± z_{1−α/2}·SE.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pooled {
    /// β̂ (metafor `beta`).
    pub estimate: f64,
    /// Its standard error (metafor `se`).
    pub se: f64,
    /// z = β̂/SE (metafor `zval`).
    pub zval: f64,
    /// The two-sided p-value (metafor `pval`).
    pub pval: f64,
    /// The lower bound of the confidence interval at the fit's level (metafor `ci.lb`).
    pub ci_lower: f64,
    /// The upper bound (metafor `ci.ub`).
    pub ci_upper: f64,
}

impl Pooled {
    fn wald(estimate: f64, se: f64, level: Level) -> Pooled {
        let zval = estimate / se;
        let crit = critical_value(level.percent(), None);
        Pooled {
            estimate,
            se,
            zval,
            pval: 2.0 * dist::norm_sf(zval.abs()),
            ci_lower: estimate - crit * se,
            ci_upper: estimate + crit * se,
        }
    }

    fn transformed(&self, kind: BackTransform) -> Transformed {
        let t = |x: f64| back_transform(kind, x, None);
        Transformed {
            estimate: t(self.estimate),
            ci_lower: t(self.ci_lower),
            ci_upper: t(self.ci_upper),
        }
    }
}

/// A pooled estimate on the reporting scale: the odds or risk ratio itself
/// (exp of the log-scale values), or the risk difference unchanged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transformed {
    /// The estimate on the reporting scale.
    pub estimate: f64,
    /// The lower confidence bound on the reporting scale.
    pub ci_lower: f64,
    /// The upper confidence bound on the reporting scale.
    pub ci_upper: f64,
}

/// A χ² test: the statistic, its degrees of freedom and upper-tail p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChiSquareTest {
    /// The χ² statistic.
    pub statistic: f64,
    /// Its degrees of freedom.
    pub df: f64,
    /// Its upper-tail p-value.
    pub pval: f64,
}

impl ChiSquareTest {
    /// The test of `statistic` on `df` degrees of freedom, if the statistic
    /// is finite and not negative.
    fn finite(statistic: f64, df: f64) -> Option<ChiSquareTest> {
        (statistic.is_finite() && statistic >= 0.0).then(|| ChiSquareTest {
            statistic,
            df,
            pval: dist::chisq_sf(statistic, df),
        })
    }
}

/// The heterogeneity statistics of a pooled estimate: Q on k_Q − 1 degrees
/// of freedom (k_Q the tables kept for Q), I² = max(0, 100(Q − df)/Q) and
/// H² = Q/df (Higgins & Thompson 2002, as metafor for a common-effect
/// model). With fewer than two tables in Q, Q = 0, p = 1, I² = 0 and
/// H² = 1, as metafor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Heterogeneity {
    /// The number of tables in Q (metafor `k.yi`).
    pub k: usize,
    /// Q (metafor `QE`).
    pub q: f64,
    /// The degrees of freedom of Q, k − 1.
    pub q_df: f64,
    /// The p-value of Q (metafor `QEp`).
    pub q_pval: f64,
    /// I² in percent (metafor `I2`).
    pub i2: f64,
    /// H² (metafor `H2`).
    pub h2: f64,
}

impl Heterogeneity {
    /// Q = `q` over `k` tables, or metafor's values for k < 2 when `enough`
    /// is false.
    fn new(q: f64, k: usize, enough: bool) -> Heterogeneity {
        let q_df = k.saturating_sub(1) as f64;
        if enough && k > 1 {
            let (i2, h2) = i2_h2(false, 0.0, q, q_df, f64::NAN);
            Heterogeneity {
                k,
                q,
                q_df,
                q_pval: dist::chisq_sf(q, q_df),
                i2,
                h2,
            }
        } else {
            Heterogeneity {
                k,
                q,
                q_df,
                q_pval: 1.0,
                i2: 0.0,
                h2: 1.0,
            }
        }
    }
}

/// The summary of a pooled estimate in the shape of the other fits (τ² = 0,
/// a z test).
fn summary(k: usize, p: &Pooled, h: &Heterogeneity) -> PooledSummary {
    PooledSummary {
        k,
        estimate: p.estimate,
        se: p.se,
        stat: p.zval,
        df: None,
        pval: p.pval,
        ci_lower: p.ci_lower,
        ci_upper: p.ci_upper,
        tau2: 0.0,
        i2: h.i2,
        h2: h.h2,
        q: h.q,
        q_df: h.q_df,
        q_pval: h.q_pval,
    }
}

/// An error unless the pooled estimate, its interval and Q are finite
/// (counts near the limits of floating point can overflow the sums).
fn check_finite(what: &'static str, p: &Pooled, h: &Heterogeneity) -> Result<()> {
    let values = [p.estimate, p.se, p.ci_lower, p.ci_upper, h.q];
    if values.iter().all(|x| x.is_finite()) && !p.pval.is_nan() && !h.q_pval.is_nan() {
        Ok(())
    } else {
        Err(Error::Undefined {
            what,
            reason: format!(
                "the estimate {}, its SE {} or Q {} is not finite: the counts are too large or too small to pool in floating point; check the data",
                p.estimate, p.se, h.q
            ),
        })
    }
}

/// "tables 3, 7 and 9" (1-based, in input order), for notes.
fn name_tables(idx: &[usize]) -> String {
    let n: Vec<String> = idx.iter().map(|i| (i + 1).to_string()).collect();
    let list = match n.len() {
        0 => String::new(),
        1 => n[0].clone(),
        _ => format!("{} and {}", n[..n.len() - 1].join(", "), n[n.len() - 1]),
    };
    format!(
        "{} {list} (1-based, in input order)",
        if idx.len() == 1 { "table" } else { "tables" }
    )
}

/// Checks metafor's `add` (the continuity correction of the per-table
/// effects behind Q).
fn check_add(add: f64) -> Result<()> {
    if add.is_finite() && add >= 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidOption {
            option: "add",
            message: format!("{add} must be a finite number >= 0"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_named_in_notes() {
        assert_eq!(name_tables(&[2]), "table 3 (1-based, in input order)");
        assert_eq!(
            name_tables(&[0, 4, 9]),
            "tables 1, 5 and 10 (1-based, in input order)"
        );
    }

    /// Without a continuity correction, a per-table effect that is not
    /// finite (a zero cell behind Mantel–Haenszel's Q, a double-zero table
    /// kept for Peto's) is an error naming the table.
    #[test]
    fn per_table_effects_without_correction_name_the_zero_table() {
        let t = |ai, bi, ci, di| BinaryStudy { ai, bi, ci, di };
        let zero_cell =
            Tables::new(&[t(4.0, 119.0, 11.0, 128.0), t(0.0, 50.0, 3.0, 47.0)]).unwrap();
        let double_zero =
            Tables::new(&[t(4.0, 119.0, 11.0, 128.0), t(0.0, 10.0, 0.0, 9.0)]).unwrap();
        let fits = [
            MantelHaenszel::new(Measure::Or)
                .continuity(0.5, AddTo::None)
                .fit(&zero_cell),
            Peto::new()
                .drop00(false)
                .continuity(0.5, AddTo::None)
                .fit(&double_zero),
        ];
        for fit in fits {
            let err = fit.unwrap_err();
            assert!(
                matches!(err, Error::NonFiniteEffect { study: 1, .. }),
                "{err}"
            );
        }
        assert!(Peto::new().drop00(false).fit(&double_zero).is_ok());
    }

    #[test]
    fn an_empty_group_is_refused() {
        let t = BinaryStudy {
            ai: 0.0,
            bi: 0.0,
            ci: 3.0,
            di: 4.0,
        };
        assert!(matches!(
            Tables::new(&[t]),
            Err(Error::InvalidValue {
                study: 0,
                column: "n1i",
                ..
            })
        ));
    }
}
