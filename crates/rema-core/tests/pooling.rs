//! Mantel–Haenszel and Peto pooling against R metafor 3.8 `rma.mh` and
//! `rma.peto` (tests/golden/pooling.json, from tests/golden/pooling.R): every
//! quantity they print (β̂, SE, z, p, CI on both scales, Q and its p, I², H²,
//! the CMH and Cochran tests, Breslow–Day and Tarone with their p-values),
//! the weights and the per-table effects, on dat.bcg, dat.nielweise2007,
//! dat.yusuf1985 (table 6) and constructed tables with double-zero,
//! all-events and one-zero-cell tables. Then bad input: an error, never a
//! panic.
//!
//! Tolerance: 1e-6 relative (closed form, as the workspace golden suites);
//! differences below 1e-10 count as zero.

use std::path::PathBuf;

use proptest::prelude::*;
use rema_core::effect::{AddTo, BinaryStudy};
use rema_core::pooling::ChiSquareTest;
use rema_core::{Error, Level, MantelHaenszel, Measure, Peto, Tables};
use serde_json::Value;

const CLOSED_FORM: f64 = 1e-6;
const ABS_FLOOR: f64 = 1e-10;

fn golden() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/pooling.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("pooling.json is JSON")
}

/// The golden cases.
fn cases(g: &Value) -> &[Value] {
    g["cases"].as_array().expect("cases")
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

/// Collects disagreements so that one run reports all of them, and the
/// largest relative error.
#[derive(Default)]
struct Checker {
    failures: Vec<String>,
    checked: usize,
    max_rel: f64,
}

impl Checker {
    fn close(&mut self, what: String, actual: f64, expected: &Value) {
        self.checked += 1;
        let Some(expected) = expected.as_f64() else {
            self.failures
                .push(format!("{what}: rema {actual:e}, metafor NA"));
            return;
        };
        let d = (actual - expected).abs();
        let rel = d / expected.abs().max(ABS_FLOOR);
        if !(d <= ABS_FLOOR || rel <= CLOSED_FORM) {
            self.failures
                .push(format!("{what}: rema {actual:e}, metafor {expected:e}"));
        } else if expected != 0.0 {
            self.max_rel = self.max_rel.max(d / expected.abs());
        }
    }

    fn all(&mut self, what: &str, actual: &[f64], expected: &Value) {
        let e = expected.as_array().expect("an array");
        if actual.len() != e.len() {
            self.failures.push(format!(
                "{what}: rema has {} values, metafor {}",
                actual.len(),
                e.len()
            ));
            return;
        }
        for (i, (a, x)) in actual.iter().zip(e).enumerate() {
            self.close(format!("{what}[{i}]"), *a, x);
        }
    }

    /// Fails listing every disagreement with `reference`.
    fn assert_agree(&self, reference: &str) {
        assert!(
            self.failures.is_empty(),
            "{} of {} values differ from {reference}:\n{}",
            self.failures.len(),
            self.checked,
            self.failures.join("\n")
        );
    }

    /// A test metafor may report as NA (`None` in rema).
    fn test(&mut self, what: &str, actual: Option<ChiSquareTest>, stat: &Value, pval: &Value) {
        match actual {
            Some(t) => {
                self.close(format!("{what} statistic"), t.statistic, stat);
                self.close(format!("{what} p"), t.pval, pval);
            }
            None => {
                self.checked += 1;
                if !pval.is_null() {
                    self.failures
                        .push(format!("{what}: rema None, metafor p = {pval}"));
                }
            }
        }
    }
}

fn tables(case: &Value) -> Tables {
    let (a, b, c, d) = (
        nums(&case["ai"]),
        nums(&case["bi"]),
        nums(&case["ci"]),
        nums(&case["di"]),
    );
    let t: Vec<BinaryStudy> = (0..a.len())
        .map(|i| BinaryStudy {
            ai: a[i],
            bi: b[i],
            ci: c[i],
            di: d[i],
        })
        .collect();
    Tables::new(&t).expect("the golden tables are valid")
}

fn to(case: &Value) -> AddTo {
    match case["to"].as_str().expect("to") {
        "only0" => AddTo::OnlyZero,
        "all" => AddTo::All,
        "if0all" => AddTo::IfAnyZero,
        "none" => AddTo::None,
        other => panic!("unknown to {other}"),
    }
}

#[test]
fn mantel_haenszel_and_peto_match_metafor() {
    let g = golden();
    assert_eq!(
        g["generator"]["metafor"], "3.8.1",
        "the golden values come from metafor 3.8.1"
    );
    let cases = cases(&g);
    assert!(cases.len() >= 20);
    let mut ck = Checker::default();
    for case in cases {
        let id = case["id"].as_str().expect("id");
        let e = &case["expected"];
        let t = tables(case);
        let level = Level::new(case["level"].as_f64().expect("level")).unwrap();
        let add = case["add"].as_f64().expect("add");
        let drop00 = case["drop00"].as_bool().expect("drop00");
        let c = |what: &str| format!("{id} {what}");
        let fit = match case["fn"].as_str() {
            Some("mh") => {
                let measure: Measure = case["measure"].as_str().unwrap().parse().unwrap();
                let fit = MantelHaenszel::new(measure)
                    .level(level)
                    .correct(case["correct"].as_bool().unwrap())
                    .continuity(add, to(case))
                    .drop00(drop00)
                    .fit(&t)
                    .unwrap_or_else(|err| panic!("{id}: {err}"));
                assert_eq!(
                    fit.odds_ratio_tests.is_some(),
                    measure == Measure::Or,
                    "{id}"
                );
                if let Some(or) = fit.odds_ratio_tests {
                    ck.test(&c("CO"), or.cochran, &e["CO"], &e["COp"]);
                    ck.test(&c("MH"), or.cmh, &e["MH"], &e["MHp"]);
                    ck.test(&c("BD"), or.breslow_day, &e["BD"], &e["BDp"]);
                    ck.test(&c("TA"), or.tarone, &e["TA"], &e["TAp"]);
                    assert_eq!(or.k_pos as u64, e["k_pos"].as_u64().unwrap(), "{id} k.pos");
                }
                fit
            }
            Some("peto") => {
                let fit = Peto::new()
                    .level(level)
                    .continuity(add, to(case))
                    .drop00(drop00)
                    .fit(&t)
                    .unwrap_or_else(|err| panic!("{id}: {err}"));
                assert_eq!(fit.k_pos as u64, e["k_pos"].as_u64().unwrap(), "{id} k.pos");
                fit
            }
            other => panic!("{id}: unknown fn {other:?}"),
        };
        let (pooled, het, transformed) = (fit.pooled, fit.heterogeneity, fit.transformed());
        assert_eq!(fit.k as u64, e["k"].as_u64().unwrap(), "{id} k");
        assert_eq!(het.k as u64, e["k_yi"].as_u64().unwrap(), "{id} k.yi");
        ck.close(c("beta"), pooled.estimate, &e["beta"]);
        ck.close(c("se"), pooled.se, &e["se"]);
        ck.close(c("zval"), pooled.zval, &e["zval"]);
        ck.close(c("pval"), pooled.pval, &e["pval"]);
        ck.close(c("ci.lb"), pooled.ci_lower, &e["ci_lb"]);
        ck.close(c("ci.ub"), pooled.ci_upper, &e["ci_ub"]);
        if case["measure"] != "RD" {
            ck.close(c("exp(beta)"), transformed.estimate, &e["exp_beta"]);
            ck.close(c("exp(ci.lb)"), transformed.ci_lower, &e["exp_ci_lb"]);
            ck.close(c("exp(ci.ub)"), transformed.ci_upper, &e["exp_ci_ub"]);
        } else {
            assert_eq!(transformed.estimate, pooled.estimate, "{id}");
        }
        ck.close(c("QE"), het.q, &e["QE"]);
        ck.close(c("QEp"), het.q_pval, &e["QEp"]);
        ck.close(c("I2"), het.i2, &e["I2"]);
        ck.close(c("H2"), het.h2, &e["H2"]);
        ck.all(&c("weights"), &fit.weights, &e["weights"]);
        ck.all(&c("yi"), &fit.yi, &e["yi"]);
        ck.all(&c("vi"), &fit.vi, &e["vi"]);
    }
    eprintln!(
        "{} values checked against metafor, max relative error {:e}",
        ck.checked, ck.max_rel
    );
    ck.assert_agree("metafor");
}

/// RevMan 5's "M-H, Random": DerSimonian–Laird τ² from the Q about the
/// Mantel–Haenszel estimate, then inverse-variance pooling, against the R
/// script's computation from that definition (metafor `rma(yi, vi, tau2)`
/// for the pooling step).
#[test]
fn mantel_haenszel_random_effects_match_the_revman_definition() {
    let g = golden();
    let mut ck = Checker::default();
    for case in cases(&g) {
        if case["fn"] != "mh" {
            continue;
        }
        let id = case["id"].as_str().expect("id");
        let e = &case["expected"];
        let measure: Measure = case["measure"].as_str().unwrap().parse().unwrap();
        let re = MantelHaenszel::new(measure)
            .level(Level::new(case["level"].as_f64().unwrap()).unwrap())
            .continuity(case["add"].as_f64().unwrap(), to(case))
            .drop00(case["drop00"].as_bool().unwrap())
            .fit(&tables(case))
            .and_then(|fit| fit.random_effects())
            .unwrap_or_else(|err| panic!("{id}: {err}"));
        let c = |what: &str| format!("{id} random {what}");
        ck.close(c("tau2"), re.tau2, &e["re_tau2"]);
        ck.close(c("beta"), re.pooled.estimate, &e["re_beta"]);
        ck.close(c("se"), re.pooled.se, &e["re_se"]);
        ck.close(c("zval"), re.pooled.zval, &e["re_zval"]);
        ck.close(c("pval"), re.pooled.pval, &e["re_pval"]);
        ck.close(c("ci.lb"), re.pooled.ci_lower, &e["re_ci_lb"]);
        ck.close(c("ci.ub"), re.pooled.ci_upper, &e["re_ci_ub"]);
        ck.all(&c("weights"), &re.weights, &e["re_weights"]);
        assert_eq!(re.summary().tau2, re.tau2, "{id}");
    }
    assert!(ck.checked > 100, "{} values", ck.checked);
    ck.assert_agree("the R script");
}

#[test]
fn double_zero_tables_are_named_in_the_notes() {
    // dat.nielweise2007: Yucel 2004 (the 15th trial) has no infections in either group.
    let g = golden();
    let case = cases(&g)
        .iter()
        .find(|c| c["id"] == "nielweise_mh_OR")
        .unwrap();
    let fit = MantelHaenszel::new(Measure::Or).fit(&tables(case)).unwrap();
    assert_eq!(fit.double_zero, vec![14]);
    assert!(!fit.in_q.contains(&14));
    assert!(
        fit.notes
            .iter()
            .any(|n| n.contains("table 15 ") && n.contains("double-zero")),
        "{:?}",
        fit.notes
    );
    assert!(
        fit.notes.iter().any(|n| n.starts_with("Q: 0.5 added")),
        "{:?}",
        fit.notes
    );
    let peto = Peto::new().fit(&tables(case)).unwrap();
    assert!(peto.notes.iter().any(|n| n.contains("table 15 ")));
}

fn t(ai: f64, bi: f64, ci: f64, di: f64) -> BinaryStudy {
    BinaryStudy { ai, bi, ci, di }
}

#[test]
fn bad_tables_are_errors() {
    assert_eq!(Tables::new(&[]).unwrap_err(), Error::NoStudies);
    for (bad, column) in [
        (t(-1.0, 5.0, 2.0, 3.0), "ai"),
        (t(1.0, f64::NAN, 2.0, 3.0), "bi"),
        (t(1.0, 5.0, f64::INFINITY, 3.0), "ci"),
        (t(1.0, 5.0, 2.0, -0.5), "di"),
        (t(0.0, 0.0, 2.0, 3.0), "n1i"),
        (t(1.0, 5.0, 0.0, 0.0), "n2i"),
    ] {
        let err = Tables::new(&[t(1.0, 2.0, 3.0, 4.0), bad]).unwrap_err();
        assert!(
            matches!(err, Error::InvalidValue { study: 1, column: c, .. } if c == column),
            "{err}"
        );
    }
}

#[test]
fn all_zero_tables_are_errors() {
    let zeros = Tables::new(&[t(0.0, 10.0, 0.0, 12.0), t(0.0, 5.0, 0.0, 5.0)]).unwrap();
    for m in [Measure::Or, Measure::Rr, Measure::Rd] {
        let err = MantelHaenszel::new(m).fit(&zeros).unwrap_err();
        assert!(matches!(err, Error::Undefined { .. }), "{m}: {err}");
    }
    assert!(matches!(
        Peto::new().fit(&zeros),
        Err(Error::Undefined { .. })
    ));
    // Events in group 2 only: the odds ratio and risk ratio are 0, the Peto
    // odds ratio and the risk difference exist.
    let one_arm = Tables::new(&[t(0.0, 10.0, 3.0, 9.0), t(0.0, 5.0, 1.0, 5.0)]).unwrap();
    assert!(MantelHaenszel::new(Measure::Or).fit(&one_arm).is_err());
    assert!(MantelHaenszel::new(Measure::Rr).fit(&one_arm).is_err());
    assert!(MantelHaenszel::new(Measure::Rd).fit(&one_arm).is_ok());
    assert!(Peto::new().fit(&one_arm).is_ok());
}

fn count() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => (0u32..40).prop_map(f64::from),
        1 => Just(0.0),
        1 => prop::num::f64::ANY,
    ]
}

proptest! {
    /// Any four numbers per table: an error or a fit whose printed numbers
    /// are not NaN, never a panic.
    #[test]
    fn any_counts_give_an_error_or_finite_numbers(
        cells in prop::collection::vec((count(), count(), count(), count()), 0..6),
        measure in prop_oneof![Just(Measure::Or), Just(Measure::Rr), Just(Measure::Rd)],
        correct in any::<bool>(),
        drop00 in any::<bool>(),
    ) {
        let raw: Vec<BinaryStudy> = cells.iter().map(|&(a, b, c, d)| t(a, b, c, d)).collect();
        let Ok(tables) = Tables::new(&raw) else { return Ok(()) };
        if let Ok(fit) = MantelHaenszel::new(measure).correct(correct).drop00(drop00).fit(&tables) {
            let p = fit.pooled;
            for x in [p.estimate, p.se, p.zval, p.pval, p.ci_lower, p.ci_upper] {
                prop_assert!(x.is_finite(), "{:?}", fit);
            }
            let h = fit.heterogeneity;
            for x in [h.q, h.q_pval, h.i2, h.h2] {
                prop_assert!(!x.is_nan(), "{:?}", fit);
            }
            prop_assert!(fit.weights.iter().all(|w| w.is_finite()));
            if let Some(or) = fit.odds_ratio_tests {
                for t in [or.cmh, or.cochran, or.breslow_day, or.tarone].into_iter().flatten() {
                    prop_assert!(t.statistic.is_finite() && !t.pval.is_nan(), "{:?}", fit);
                }
            }
        }
        if let Ok(fit) = Peto::new().drop00(drop00).fit(&tables) {
            let p = fit.pooled;
            for x in [p.estimate, p.se, p.zval, p.pval, p.ci_lower, p.ci_upper] {
                prop_assert!(x.is_finite(), "{:?}", fit);
            }
            prop_assert!(!fit.heterogeneity.q.is_nan() && !fit.heterogeneity.q_pval.is_nan());
        }
    }
}

/// Found by the property above: weights that underflow to 0/0 are an error,
/// not NaN in the result.
#[test]
fn weights_that_underflow_are_an_error() {
    let tables =
        Tables::new(&[t(0.0, 2.7673986182098887e-117, 2.4195986303350173e212, 0.0)]).unwrap();
    let e = MantelHaenszel::new(Measure::Rd).correct(false).fit(&tables);
    assert!(e.is_err(), "{e:?}");
}

/// RevMan 5.0.23's own results for the Mantel–Haenszel odds ratio of the
/// aspirin trials of Fleiss (1993), as stored in the file `Fleiss1993.rm5`
/// of the R package meta (`inst/extdata`): OR 0.8968655609, CI
/// 0.8405144009–0.9569947088, Chi² 9.946055983, I² 39.67458%. An external
/// reference beside metafor: RevMan computes the same Robins–Breslow–Greenland
/// interval and the same Q about the MH estimate.
#[test]
fn fleiss_1993_reproduces_revman() {
    // Deaths / patients, aspirin then placebo: MRC-1, CDP, MRC-2, GASP, PARIS, AMIS, ISIS-2.
    let trials = [
        (49.0, 615.0, 67.0, 624.0),
        (44.0, 758.0, 64.0, 771.0),
        (102.0, 832.0, 126.0, 850.0),
        (32.0, 317.0, 38.0, 309.0),
        (85.0, 810.0, 52.0, 406.0),
        (246.0, 2267.0, 219.0, 2257.0),
        (1570.0, 8587.0, 1720.0, 8600.0),
    ];
    let raw: Vec<BinaryStudy> = trials
        .iter()
        .map(|&(a, n1, c, n2)| t(a, n1 - a, c, n2 - c))
        .collect();
    let fit = MantelHaenszel::new(Measure::Or)
        .fit(&Tables::new(&raw).unwrap())
        .unwrap();
    let or = fit.transformed();
    // RevMan stores 10 significant digits.
    for (what, rema, revman) in [
        ("OR", or.estimate, 0.8968655609),
        ("CI lower", or.ci_lower, 0.8405144009),
        ("CI upper", or.ci_upper, 0.9569947088),
        ("Chi²", fit.heterogeneity.q, 9.946055983),
    ] {
        assert!(
            ((rema - revman) / revman).abs() < 1e-9,
            "{what}: rema {rema}, RevMan {revman}"
        );
    }
    assert!(
        (fit.heterogeneity.i2 - 39.67458).abs() < 5e-6,
        "I² {}",
        fit.heterogeneity.i2
    );
    assert_eq!(fit.heterogeneity.q_df, 6.0);
}

#[test]
fn summaries_carry_the_pooled_estimate_and_q() {
    let raw = [
        t(4.0, 119.0, 11.0, 128.0),
        t(6.0, 300.0, 29.0, 274.0),
        t(3.0, 228.0, 11.0, 209.0),
        t(0.0, 40.0, 0.0, 41.0),
    ];
    let tables = Tables::new(&raw).unwrap();
    let mh = MantelHaenszel::new(Measure::Or).fit(&tables).unwrap();
    let s = mh.summary();
    assert_eq!(
        (s.k, s.estimate, s.se),
        (4, mh.pooled.estimate, mh.pooled.se)
    );
    assert_eq!((s.stat, s.df, s.tau2), (mh.pooled.zval, None, 0.0));
    assert_eq!(
        (s.q, s.q_df, s.i2),
        (mh.heterogeneity.q, 2.0, mh.heterogeneity.i2)
    );
    let peto = Peto::new().fit(&tables).unwrap();
    let s = peto.summary();
    assert_eq!(
        (s.k, s.ci_lower, s.q_pval),
        (4, peto.pooled.ci_lower, peto.heterogeneity.q_pval)
    );
}
