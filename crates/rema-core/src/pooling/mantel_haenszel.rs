//! The Mantel–Haenszel method for 2×2 tables, as metafor 3.8 `rma.mh`
//! (measures `"OR"`, `"RR"`, `"RD"`), with the counts pooled as they are.
//!
//! For table i with aᵢ, bᵢ events and non-events in group 1, cᵢ, dᵢ in
//! group 2, n₁ᵢ = aᵢ + bᵢ, n₂ᵢ = cᵢ + dᵢ, nᵢ = n₁ᵢ + n₂ᵢ:
//!
//! - odds ratio (Mantel & Haenszel 1959): Rᵢ = aᵢdᵢ/nᵢ, Sᵢ = bᵢcᵢ/nᵢ,
//!   ψ̂ = ΣRᵢ/ΣSᵢ = R/S; the variance of ln ψ̂ is Robins, Breslow & Greenland's
//!   (1986) with Pᵢ = (aᵢ + dᵢ)/nᵢ, Qᵢ = (bᵢ + cᵢ)/nᵢ:
//!   Var = ½[ΣPᵢRᵢ/R² + Σ(PᵢSᵢ + QᵢRᵢ)/(RS) + ΣQᵢSᵢ/S²];
//! - risk ratio: R = Σaᵢn₂ᵢ/nᵢ, S = Σcᵢn₁ᵢ/nᵢ, ln RR = ln(R/S), with
//!   Greenland & Robins' (1985) Var = Σ(n₁ᵢn₂ᵢ(aᵢ + cᵢ)/nᵢ² − aᵢcᵢ/nᵢ)/(RS);
//! - risk difference: W = Σn₁ᵢn₂ᵢ/nᵢ, RD = Σ(aᵢn₂ᵢ − cᵢn₁ᵢ)/nᵢ / W, with the
//!   variance of Greenland & Robins (1985) in the form of Sato, Greenland &
//!   Robins (1989) that metafor uses:
//!   Var = [RD·Σ(cᵢ(n₁ᵢ/nᵢ)² − aᵢ(n₂ᵢ/nᵢ)² + n₁ᵢn₂ᵢ(n₂ᵢ − n₁ᵢ)/(2nᵢ²))
//!   + Σ(aᵢ(n₂ᵢ − cᵢ) + cᵢ(n₁ᵢ − aᵢ))/(2nᵢ)] / W².
//!
//! The estimate is tested by z and given a Wald interval on the log scale
//! (the risk difference scale for RD). For the odds ratio the fit also has,
//! with mᵢ = aᵢ + cᵢ events and lᵢ = bᵢ + dᵢ non-events:
//!
//! - the Cochran–Mantel–Haenszel test (Mantel & Haenszel 1959), with
//!   metafor's continuity correction c = ½ (`correct = TRUE`) or c = 0:
//!   CMH = (|Σ(aᵢ − n₁ᵢmᵢ/nᵢ)| − c)² / Σ n₁ᵢn₂ᵢmᵢlᵢ/(nᵢ²(nᵢ − 1)), χ²(1); and
//!   Cochran's form (metafor `CO`), nᵢ in place of nᵢ − 1;
//! - the Breslow–Day test and Tarone's (1985) corrected form of it, of the
//!   homogeneity of the odds ratios: with Ãᵢ the root in (0, n₁ᵢ) of
//!   Ã(n₂ᵢ − mᵢ + Ã) = ψ̂(n₁ᵢ − Ã)(mᵢ − Ã) and
//!   Ṽᵢ = (1/Ãᵢ + 1/(n₁ᵢ − Ãᵢ) + 1/(mᵢ − Ãᵢ) + 1/(nᵢ − n₁ᵢ − mᵢ + Ãᵢ))⁻¹,
//!   BD = Σ(aᵢ − Ãᵢ)²/Ṽᵢ and TA = BD − (Σ(aᵢ − Ãᵢ))²/ΣṼᵢ, each χ²(k₊ − 1)
//!   over the k₊ tables with Ãᵢ > 0, mᵢ > 0 and lᵢ > 0.
//!
//! Q is metafor's: the inverse-variance statistic Σ(yᵢ − β̂)²/vᵢ about the
//! Mantel–Haenszel estimate, with yᵢ, vᵢ the per-table effects of `escalc`
//! (log odds ratio, log risk ratio or risk difference, with the continuity
//! correction `add` under the rule `to` and the double-zero tables left out
//! under `drop00`), on k_Q − 1 degrees of freedom; I² and H² follow from it
//! (see [`super::Heterogeneity`]). The weights are metafor's `weights()`:
//! Sᵢ = bᵢcᵢ/nᵢ (OR), cᵢn₁ᵢ/nᵢ (RR), n₁ᵢn₂ᵢ/nᵢ (RD), in percent of their sum.

use super::{check_finite, ChiSquareTest, CorrectionNote, Heterogeneity, MethodFit, Pooled};
use super::{name_tables, Pooling, PoolingMethod, TableEffects, Tables, TablesFit};
use crate::effect::{AddTo, BinaryStudy, EffectOptions, EffectSizes, StudyData};
use crate::error::{Error, Result};
use crate::measure::Measure;

/// The Mantel–Haenszel method for the odds ratio, risk ratio or risk
/// difference, with metafor `rma.mh`'s options and defaults: the 95% level,
/// the continuity-corrected CMH test (`correct = TRUE`) and, for the
/// per-table effects behind Q, `add = 1/2`, `to = "only0"`,
/// `drop00 = TRUE`.
///
/// ```
/// use rema_core::effect::{AddTo, BinaryStudy};
/// use rema_core::{Error, Level, MantelHaenszel, Measure, Tables};
/// let t = |ai, bi, ci, di| BinaryStudy { ai, bi, ci, di };
/// let tables = Tables::new(&[t(4.0, 119.0, 11.0, 128.0), t(6.0, 300.0, 29.0, 274.0), t(3.0, 228.0, 11.0, 209.0)])?;
/// let fit = MantelHaenszel::new(Measure::Rr)
///     .level(Level::new(90.0)?)
///     .continuity(0.5, AddTo::OnlyZero)
///     .fit(&tables)?;
/// assert_eq!(fit.heterogeneity.k, 3);
/// assert!(fit.pooled.ci_lower < fit.pooled.estimate && fit.pooled.estimate < fit.pooled.ci_upper);
/// assert!(fit.odds_ratio_tests.is_none()); // the CMH and Tarone tests are for the odds ratio
/// # Ok::<(), Error>(())
/// ```
pub type MantelHaenszel = Pooling<MhMethod>;

/// The Mantel–Haenszel method's own options: the measure and metafor's
/// `correct`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MhMethod {
    measure: Measure,
    correct: bool,
}

impl Pooling<MhMethod> {
    /// The method for `measure` (`Measure::Or`, `Rr` or `Rd`; any other is
    /// refused when fitted), with metafor's defaults.
    pub fn new(measure: Measure) -> MantelHaenszel {
        Pooling::with_defaults(MhMethod {
            measure,
            correct: true,
        })
    }

    /// Whether the CMH test subtracts ½ from |O − E| (metafor `correct`,
    /// default true).
    pub fn correct(self, correct: bool) -> MantelHaenszel {
        Pooling {
            method: MhMethod {
                correct,
                ..self.method
            },
            ..self
        }
    }

    /// Pools the tables (metafor `rma.mh(ai, bi, ci, di, measure, level,
    /// correct, add, to, drop00)`).
    ///
    /// An estimate that does not exist is an error: an odds ratio of 0 or
    /// ∞ (every aᵢdᵢ = 0, or every bᵢcᵢ = 0), a risk ratio without events in
    /// a group, or a standard error of 0.
    ///
    /// ```
    /// use rema_core::effect::BinaryStudy;
    /// use rema_core::{Error, MantelHaenszel, Measure, Tables};
    /// let t = |ai, bi, ci, di| BinaryStudy { ai, bi, ci, di };
    /// let tables = Tables::new(&[t(2.0, 98.0, 5.0, 95.0), t(0.0, 60.0, 0.0, 58.0), t(1.0, 49.0, 4.0, 46.0)])?;
    /// let fit = MantelHaenszel::new(Measure::Or).fit(&tables)?;
    /// assert_eq!(fit.double_zero, vec![1]); // no events in either group
    /// assert_eq!((fit.k, fit.heterogeneity.k), (3, 2));
    /// assert_eq!(fit.weights[1], 0.0);
    /// let tests = fit.odds_ratio_tests.unwrap();
    /// assert!(tests.cmh.unwrap().pval > 0.05 && tests.tarone.is_some());
    /// # Ok::<(), Error>(())
    /// ```
    pub fn fit(&self, tables: &Tables) -> Result<TablesFit> {
        let measure = self.method.measure;
        let t = tables.as_slice();
        let mut notes = Vec::new();
        let pool = match measure {
            Measure::Or => odds_ratio,
            Measure::Rr => risk_ratio,
            Measure::Rd => risk_difference,
            other => {
                return Err(Error::InvalidOption {
                    option: "measure",
                    message: format!(
                        "the Mantel–Haenszel method pools OR, RR or RD, not {other}; use inverse-variance pooling for it"
                    ),
                })
            }
        };
        let kept = self.kept(tables)?;
        let (double_zero, in_q) = (&kept.double_zero, &kept.in_q);
        if double_zero.len() == t.len() {
            return Err(Error::Undefined {
                what: "the Mantel–Haenszel estimate",
                reason: "every table has no events, or only events, in both groups (double-zero), so no table compares the groups; check the data".to_string(),
            });
        }
        let (estimate, se, weights, idle) = pool(t)?;
        if weights.iter().any(|w| !w.is_finite()) {
            return Err(Error::Undefined {
                what: "the Mantel–Haenszel weights",
                reason: "they are not finite numbers: the counts span too many orders of magnitude (a count near 0 beside one near 1e300); check the data".to_string(),
            });
        }
        if !(se.is_finite() && se > 0.0) {
            return Err(Error::Undefined {
                what: "the standard error of the Mantel–Haenszel estimate",
                reason: format!(
                    "it is {se}: no table has events in one group and non-events in the other; check the data"
                ),
            });
        }
        let pooled = Pooled::wald(estimate, se, self.level);
        if !double_zero.is_empty() {
            let in_sums = if idle == *double_zero {
                "adding nothing to the Mantel–Haenszel sums"
            } else {
                "kept in the Mantel–Haenszel sums, as in metafor"
            };
            let q = if self.drop00 {
                "left out of Q and its degrees of freedom (metafor drop00 = TRUE)"
            } else {
                "kept in Q with the continuity correction (drop00 = false)"
            };
            notes.push(format!(
                "double-zero (no events, or only events, in both groups), {q} and {in_sums}: {}",
                name_tables(double_zero)
            ));
        }
        if !idle.is_empty() && idle != *double_zero {
            notes.push(format!(
                "adding nothing to the Mantel–Haenszel sums (no events in either group): {}",
                name_tables(&idle)
            ));
        }
        let (yi, vi) = self.per_table(t, in_q, &mut notes)?;
        let q = yi
            .iter()
            .zip(&vi)
            .map(|(y, v)| (1.0 / v) * (y - estimate) * (y - estimate))
            .sum::<f64>()
            .max(0.0);
        let heterogeneity = Heterogeneity::new(q, in_q.len(), true);
        check_finite("the Mantel–Haenszel estimate", &pooled, &heterogeneity)?;
        let odds_ratio_tests = if measure == Measure::Or {
            let tests = odds_ratio_tests(t, estimate.exp(), self.method.correct);
            let left_out: Vec<usize> = (0..t.len())
                .filter(|i| !tests.used.contains(i) && !double_zero.contains(i))
                .collect();
            if !left_out.is_empty() {
                notes.push(format!(
                    "left out of the Breslow–Day and Tarone tests (no positive expected count Ãᵢ): {}",
                    name_tables(&left_out)
                ));
            }
            if tests.tests.cmh.is_none() || tests.tests.cochran.is_none() {
                notes.push(
                    "the Cochran–Mantel–Haenszel test is not computable for these tables (its variance is not positive)"
                        .to_string(),
                );
            }
            if tests.tests.k_pos > 1 && tests.tests.tarone.is_none() {
                notes.push(
                    "the Breslow–Day and Tarone tests are not computable for these tables"
                        .to_string(),
                );
            }
            if tests.tests.k_pos < 2 {
                notes.push(format!(
                    "the Breslow–Day and Tarone tests need at least two tables with events and non-events; there are {}",
                    tests.tests.k_pos
                ));
            }
            Some(tests.tests)
        } else {
            None
        };
        let fit = MethodFit {
            measure,
            pooled,
            heterogeneity,
            odds_ratio_tests,
            weights,
            effects: (yi, vi),
        };
        Ok(self.assemble(PoolingMethod::MantelHaenszel, t, kept, fit, notes))
    }
}

/// The escalc effects of the tables, as metafor computes them for Q.
impl TableEffects for MhMethod {
    fn effects(&self, tables: Vec<BinaryStudy>, add: f64, to: AddTo) -> Result<EffectSizes> {
        let options = EffectOptions {
            add: Some(add),
            to,
            ..EffectOptions::default()
        };
        crate::effect::compute(self.measure, &StudyData::Binary(tables), &options)
    }

    fn correction_note(&self) -> CorrectionNote {
        CorrectionNote {
            lead: "Q",
            effects: match self.measure {
                Measure::Or => "log odds ratios",
                Measure::Rr => "log risk ratios",
                _ => "risk differences",
            },
            uses: "the pooled estimate uses the counts as they are",
        }
    }
}

/// The tests of a Mantel–Haenszel odds ratio (metafor `CO`, `MH`, `BD`,
/// `TA` and their p-values).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OddsRatioTests {
    /// Cochran's test of ψ = 1 (metafor `CO`), χ²(1); `None` where its
    /// variance is not positive (metafor: "not computable").
    pub cochran: Option<ChiSquareTest>,
    /// The Cochran–Mantel–Haenszel test of ψ = 1 (metafor `MH`, printed as
    /// `CMH`), χ²(1); `None` where its variance is not positive.
    pub cmh: Option<ChiSquareTest>,
    /// Whether both were continuity-corrected (metafor `correct`).
    pub correct: bool,
    /// The Breslow–Day test of homogeneity (metafor `BD`), χ²(k₊ − 1);
    /// `None` with fewer than two tables in it (or a statistic that is not
    /// finite).
    pub breslow_day: Option<ChiSquareTest>,
    /// Tarone's test of homogeneity (metafor `TA`), χ²(k₊ − 1); `None` with
    /// fewer than two tables in it (or a statistic that is not finite).
    pub tarone: Option<ChiSquareTest>,
    /// The number of tables in the Breslow–Day and Tarone tests (metafor
    /// `k.pos`).
    pub k_pos: usize,
}

type Sums = (f64, f64, Vec<f64>, Vec<usize>);

fn percent(w: Vec<f64>) -> Vec<f64> {
    let total: f64 = w.iter().sum();
    w.into_iter().map(|x| x / total * 100.0).collect()
}

/// ln ψ̂, its RBG standard error, the weights and the tables outside R and S.
fn odds_ratio(t: &[BinaryStudy]) -> Result<Sums> {
    let (mut r, mut s) = (0.0, 0.0);
    let (mut pr, mut ps_qr, mut qs) = (0.0, 0.0, 0.0);
    let mut w = Vec::with_capacity(t.len());
    let mut idle = Vec::new();
    for (i, x) in t.iter().enumerate() {
        let n = x.ai + x.bi + x.ci + x.di;
        let p = x.ai / n + x.di / n;
        let q = x.bi / n + x.ci / n;
        let ri = (x.ai / n) * x.di;
        let si = (x.bi / n) * x.ci;
        r += ri;
        s += si;
        pr += p * ri;
        ps_qr += p * si + q * ri;
        qs += q * si;
        w.push(si);
        if ri == 0.0 && si == 0.0 {
            idle.push(i);
        }
    }
    if r == 0.0 || s == 0.0 {
        let (cells, value) = if r == 0.0 {
            ("aᵢdᵢ", if s == 0.0 { "undefined" } else { "0" })
        } else {
            ("bᵢcᵢ", "infinite")
        };
        return Err(Error::Undefined {
            what: "the Mantel–Haenszel odds ratio",
            reason: format!(
                "every table has {cells} = 0, so the pooled odds ratio is {value}; no continuity correction enters the Mantel–Haenszel sums: use inverse-variance pooling of the log odds ratios with a continuity correction (`add`), or Peto's method"
            ),
        });
    }
    let se = (0.5 * (pr / (r * r) + ps_qr / (r * s) + qs / (s * s))).sqrt();
    Ok(((r / s).ln(), se, percent(w), idle))
}

/// ln RR, its Greenland–Robins standard error, the weights and the tables
/// outside R and S.
fn risk_ratio(t: &[BinaryStudy]) -> Result<Sums> {
    let (mut r, mut s, mut v) = (0.0, 0.0, 0.0);
    let (mut sum_a, mut sum_c) = (0.0, 0.0);
    let mut w = Vec::with_capacity(t.len());
    let mut idle = Vec::new();
    for (i, x) in t.iter().enumerate() {
        let (n1, n2) = (x.ai + x.bi, x.ci + x.di);
        let n = x.ai + x.bi + x.ci + x.di;
        r += x.ai * (n2 / n);
        s += x.ci * (n1 / n);
        v += (n1 / n) * (n2 / n) * (x.ai + x.ci) - (x.ai / n) * x.ci;
        sum_a += x.ai;
        sum_c += x.ci;
        w.push((x.ci / n) * n1);
        if x.ai == 0.0 && x.ci == 0.0 {
            idle.push(i);
        }
    }
    if sum_a == 0.0 || sum_c == 0.0 {
        return Err(Error::Undefined {
            what: "the Mantel–Haenszel risk ratio",
            reason: format!(
                "group {} has no events in any table, so the pooled risk ratio is {}; no continuity correction enters the Mantel–Haenszel sums: pool the risk difference, or the log risk ratios by inverse variance with a continuity correction (`add`)",
                if sum_a == 0.0 { 1 } else { 2 },
                if sum_a == 0.0 && sum_c == 0.0 {
                    "undefined"
                } else if sum_a == 0.0 {
                    "0"
                } else {
                    "infinite"
                }
            ),
        });
    }
    let se = (v / (r * s)).sqrt();
    Ok(((r / s).ln(), se, percent(w), idle))
}

/// RD, its standard error and the weights (every table enters W).
fn risk_difference(t: &[BinaryStudy]) -> Result<Sums> {
    let (mut num, mut den) = (0.0, 0.0);
    for x in t {
        let (n1, n2) = (x.ai + x.bi, x.ci + x.di);
        let n = x.ai + x.bi + x.ci + x.di;
        num += x.ai * (n2 / n) - x.ci * (n1 / n);
        den += n1 * (n2 / n);
    }
    let rd = num / den;
    let (mut v1, mut v2) = (0.0, 0.0);
    let mut w = Vec::with_capacity(t.len());
    for x in t {
        let (n1, n2) = (x.ai + x.bi, x.ci + x.di);
        let n = x.ai + x.bi + x.ci + x.di;
        v1 += x.ci * (n1 / n) * (n1 / n) - x.ai * (n2 / n) * (n2 / n)
            + (n1 / n) * (n2 / n) * (n2 - n1) / 2.0;
        v2 += x.ai * (n2 - x.ci) / n + x.ci * (n1 - x.ai) / n;
        w.push((n1 / n) * n2);
    }
    let se = ((rd * v1 + v2 / 2.0) / (den * den)).sqrt();
    Ok((rd, se, percent(w), Vec::new()))
}

struct OrTests {
    tests: OddsRatioTests,
    /// The tables in the Breslow–Day and Tarone tests.
    used: Vec<usize>,
}

/// The CMH, Cochran, Breslow–Day and Tarone tests at ψ̂ = `psi`.
fn odds_ratio_tests(t: &[BinaryStudy], psi: f64, correct: bool) -> OrTests {
    let c = if correct { 0.5 } else { 0.0 };
    let (mut o_e, mut var_co, mut var_mh) = (0.0, 0.0, 0.0);
    for x in t {
        let (n1, n2) = (x.ai + x.bi, x.ci + x.di);
        let n = x.ai + x.bi + x.ci + x.di;
        let (m, l) = (x.ai + x.ci, x.bi + x.di);
        o_e += x.ai - (n1 / n) * m;
        var_co += (n1 / n) * (n2 / n) * (m * (l / n));
        var_mh += (n1 / n) * (n2 / n) * (m * (l / (n - 1.0)));
    }
    let dev = (o_e.abs() - c) * (o_e.abs() - c);
    let cochran = ChiSquareTest::finite(dev / var_co, 1.0);
    let cmh = ChiSquareTest::finite(dev / var_mh, 1.0);

    let (mut bd, mut sum_dev, mut sum_v) = (0.0, 0.0, 0.0);
    let mut used = Vec::new();
    for (i, x) in t.iter().enumerate() {
        let n1 = x.ai + x.bi;
        let n = x.ai + x.bi + x.ci + x.di;
        let n2 = x.ci + x.di;
        let (m, l) = (x.ai + x.ci, x.bi + x.di);
        let a = if psi == 1.0 {
            (n1 / n) * m
        } else {
            let aa = psi * (n1 + m) + (n2 - m);
            let b = (aa * aa - 4.0 * n1 * m * psi * (psi - 1.0)).sqrt();
            (aa - b) / (2.0 * (psi - 1.0))
        };
        if !(a > 0.0 && m > 0.0 && l > 0.0) {
            continue;
        }
        used.push(i);
        let (a12, a21) = (n1 - a, m - a);
        let a22 = a - n1 - m + n;
        let v = 1.0 / (1.0 / a + 1.0 / a12 + 1.0 / a21 + 1.0 / a22);
        bd += (x.ai - a) * (x.ai - a) / v;
        sum_dev += x.ai - a;
        sum_v += v;
    }
    let k_pos = used.len();
    let ta = (bd - sum_dev * sum_dev / sum_v).max(0.0);
    let bd = bd.max(0.0);
    let (breslow_day, tarone) = if k_pos > 1 {
        let df = (k_pos - 1) as f64;
        (ChiSquareTest::finite(bd, df), ChiSquareTest::finite(ta, df))
    } else {
        (None, None)
    };
    OrTests {
        tests: OddsRatioTests {
            cochran,
            cmh,
            correct,
            breslow_day,
            tarone,
            k_pos,
        },
        used,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::effect::AddTo;

    fn t(ai: f64, bi: f64, ci: f64, di: f64) -> BinaryStudy {
        BinaryStudy { ai, bi, ci, di }
    }

    #[test]
    fn one_table_gives_its_own_odds_ratio() {
        let tables = Tables::new(&[t(4.0, 119.0, 11.0, 128.0)]).unwrap();
        let fit = MantelHaenszel::new(Measure::Or).fit(&tables).unwrap();
        let or = (4.0 * 128.0) / (119.0 * 11.0_f64);
        assert!((fit.pooled.estimate - or.ln()).abs() < 1e-12);
        // Robins–Breslow–Greenland reduces to Woolf's variance for one table.
        let woolf = 1.0 / 4.0 + 1.0 / 119.0 + 1.0 / 11.0 + 1.0 / 128.0;
        assert!((fit.pooled.se * fit.pooled.se - woolf).abs() < 1e-12);
        // One table: Q is its own (rounding-sized) deviation, with p = 1.
        assert!(fit.heterogeneity.q < 1e-20);
        assert_eq!(
            (fit.heterogeneity.q_df, fit.heterogeneity.q_pval),
            (0.0, 1.0)
        );
    }

    #[test]
    fn other_measures_are_refused() {
        let tables = Tables::new(&[t(4.0, 119.0, 11.0, 128.0)]).unwrap();
        assert!(matches!(
            MantelHaenszel::new(Measure::Smd).fit(&tables),
            Err(Error::InvalidOption {
                option: "measure",
                ..
            })
        ));
    }

    #[test]
    fn odds_ratio_of_zero_is_an_error() {
        // Every a_i d_i = 0: no events in group 1.
        let tables = Tables::new(&[t(0.0, 10.0, 3.0, 7.0), t(0.0, 12.0, 2.0, 9.0)]).unwrap();
        let err = MantelHaenszel::new(Measure::Or).fit(&tables).unwrap_err();
        assert!(
            matches!(&err, Error::Undefined { reason, .. } if reason.contains("is 0")),
            "{err}"
        );
        let err = MantelHaenszel::new(Measure::Rr).fit(&tables).unwrap_err();
        assert!(
            matches!(&err, Error::Undefined { reason, .. } if reason.contains("group 1")),
            "{err}"
        );
        // The risk difference exists.
        let rd = MantelHaenszel::new(Measure::Rd).fit(&tables).unwrap();
        assert!(rd.pooled.estimate < 0.0 && rd.pooled.se > 0.0);
    }

    #[test]
    fn all_double_zero_tables_are_an_error_for_every_measure() {
        let tables = Tables::new(&[t(0.0, 10.0, 0.0, 7.0), t(5.0, 0.0, 6.0, 0.0)]).unwrap();
        for m in [Measure::Or, Measure::Rr, Measure::Rd] {
            assert!(
                matches!(
                    MantelHaenszel::new(m).fit(&tables),
                    Err(Error::Undefined { .. })
                ),
                "{m}"
            );
        }
    }

    #[test]
    fn a_bad_continuity_correction_is_refused() {
        let tables = Tables::new(&[t(4.0, 119.0, 11.0, 128.0)]).unwrap();
        for add in [-0.5, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                MantelHaenszel::new(Measure::Or)
                    .continuity(add, AddTo::OnlyZero)
                    .fit(&tables),
                Err(Error::InvalidOption { option: "add", .. })
            ));
        }
    }
}
