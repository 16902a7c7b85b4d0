//! The truncated Knapp–Hartung test (`Test::Adhoc`, metafor 4's
//! `test = "adhoc"`) and the prediction interval with t(k − p) quantiles
//! under the z test (`PiDist::T`) against tests/golden/intervals.json, which
//! tests/golden/intervals.R computes from their definitions on top of R
//! metafor 3.8.1's `rma(test = "knha")` (its `s2w`) and `predict(rma())`.
//!
//! Tolerance: 1e-4 relative (τ² is iterative for REML); differences
//! below 1e-10 count as zero.

use std::path::PathBuf;

use rema_core::{fit_with_moderators, Design, FitOptions, Method, PiDist, Test};
use serde_json::Value;

const ITERATIVE: f64 = 1e-4;
const ABS_FLOOR: f64 = 1e-10;

fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

fn check(failures: &mut Vec<String>, what: String, actual: f64, expected: &Value) {
    let e = expected.as_f64().expect("a number");
    let d = (actual - e).abs();
    if !(d <= ABS_FLOOR || d / e.abs() <= ITERATIVE) {
        failures.push(format!("{what}: rema {actual:e}, reference {e:e}"));
    }
}

#[test]
fn adhoc_test_and_t_prediction_interval_match_their_definitions() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/intervals.json");
    let g: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(g["generator"]["metafor"], "3.8.1");
    let mut failures = Vec::new();
    let mut truncated = 0;
    for case in g["cases"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let (yi, vi) = (nums(&case["yi"]), nums(&case["vi"]));
        let x = nums(&case["x"]);
        let design = if x.is_empty() {
            Design::intercept(yi.len())
        } else {
            Design::from_row_major(yi.len(), 2, x.iter().flat_map(|&a| [1.0, a]).collect()).unwrap()
        };
        let method: Method = case["method"].as_str().unwrap().parse().unwrap();
        let opts = FitOptions {
            level: case["level"].as_f64().unwrap(),
            ..FitOptions::new(method)
        };
        let e = &case["expected"];
        let adhoc = fit_with_moderators(
            &yi,
            &vi,
            &design,
            &FitOptions {
                test: Test::Adhoc,
                ..opts
            },
        )
        .unwrap();
        let a = &e["adhoc"];
        for (j, c) in adhoc.coefficients.iter().enumerate() {
            let c_ = |w: &str| format!("{id} adhoc {w}[{j}]");
            check(&mut failures, c_("beta"), c.estimate, &a["beta"][j]);
            check(&mut failures, c_("se"), c.se, &a["se"][j]);
            check(&mut failures, c_("tval"), c.stat, &a["tval"][j]);
            check(&mut failures, c_("pval"), c.pval, &a["pval"][j]);
            check(&mut failures, c_("ci.lb"), c.ci_lower, &a["ci_lb"][j]);
            check(&mut failures, c_("ci.ub"), c.ci_upper, &a["ci_ub"][j]);
        }
        let pa = adhoc.prediction();
        check(
            &mut failures,
            format!("{id} adhoc pi.lb"),
            pa.pi_lower,
            &a["pi_lb"],
        );
        check(
            &mut failures,
            format!("{id} adhoc pi.ub"),
            pa.pi_upper,
            &a["pi_ub"],
        );
        if e["s2w_knha"].as_f64().unwrap() < 0.9 {
            truncated += 1;
            assert_eq!(adhoc.s2w, 1.0, "{id}");
            assert!(
                adhoc.notes.iter().any(|n| n.contains("truncated at 1")),
                "{id}"
            );
        }
        let z = fit_with_moderators(&yi, &vi, &design, &opts).unwrap();
        let p = z.prediction_with(PiDist::T);
        let t = &e["pi_t"];
        check(&mut failures, format!("{id} tau2"), z.tau2, &e["tau2"]);
        check(&mut failures, format!("{id} pred"), p.pred, &t["pred"]);
        check(
            &mut failures,
            format!("{id} ci.lb"),
            p.ci_lower,
            &t["ci_lb"],
        );
        check(
            &mut failures,
            format!("{id} ci.ub"),
            p.ci_upper,
            &t["ci_ub"],
        );
        check(
            &mut failures,
            format!("{id} pi_t.lb"),
            p.pi_lower,
            &t["pi_lb"],
        );
        check(
            &mut failures,
            format!("{id} pi_t.ub"),
            p.pi_upper,
            &t["pi_ub"],
        );
    }
    assert!(truncated >= 2, "the truncation binds in {truncated} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
