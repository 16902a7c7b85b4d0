//! rema's conversions to mean and SD (rema_core::convert) against
//! tests/golden/conversions.json, made by tests/golden/conversions.R.
//!
//! metafor 3.8 has no conv.fivenum, so the reference is the papers' formulas
//! written independently in R (closed form: 1e-6 relative) and the worked
//! examples printed in the Cochrane Handbook and the d2 table (to their
//! printed precision, the tolerance stored with each case).

use std::path::Path;

use rema::core::convert::{ci, hozo2005, luo2018, paired, se, walter_yao2007, wan2014};
use serde_json::Value;

fn run(method: &str, x: &Value) -> f64 {
    let g = |k: &str| {
        x[k].as_f64()
            .unwrap_or_else(|| panic!("{method}: input {k}"))
    };
    let r = match method {
        "sd_from_se" => se::sd_from_se(g("se"), g("n")),
        "sd_from_ci" => ci::sd_from_ci(g("lower"), g("upper"), g("n"), g("level")).map(|c| c.sd),
        "mean_from_ci" => ci::mean_from_ci(g("lower"), g("upper")),
        "luo2018_mean_range" => luo2018::mean_from_range(g("min"), g("median"), g("max"), g("n")),
        "luo2018_mean_quartiles" => {
            luo2018::mean_from_quartiles(g("q1"), g("median"), g("q3"), g("n"))
        }
        "luo2018_mean_five" => {
            luo2018::mean_from_five(g("min"), g("q1"), g("median"), g("q3"), g("max"), g("n"))
        }
        "wan2014_sd_range" => wan2014::sd_from_range(g("min"), g("max"), g("n")),
        "wan2014_sd_quartiles" => wan2014::sd_from_quartiles(g("q1"), g("q3"), g("n")),
        "wan2014_sd_five" => wan2014::sd_from_five(g("min"), g("q1"), g("q3"), g("max"), g("n")),
        "hozo2005_mean" => hozo2005::mean(g("min"), g("median"), g("max"), g("n")),
        "hozo2005_sd" => hozo2005::sd(g("min"), g("median"), g("max"), g("n")),
        "walter_yao2007_sd_range" => walter_yao2007::sd_from_range(g("min"), g("max"), g("n")),
        "expected_range" => Ok(walter_yao2007::expected_range(g("n"))),
        "sd_change_from_p" => paired::sd_change_from_p(g("mean_change"), g("p"), g("n")),
        "sd_change_from_t" => paired::sd_change_from_t(g("mean_change"), g("t"), g("n")),
        "sd_from_two_group_p" => paired::sd_from_two_group_p(g("md"), g("p"), g("n1"), g("n2")),
        "implied_correlation" => {
            paired::implied_correlation(g("sd_pre"), g("sd_post"), g("sd_change"))
        }
        other => panic!("unknown golden method {other}"),
    };
    r.unwrap_or_else(|e| panic!("{method} {x}: {e}"))
}

#[test]
fn conversions_match_the_papers_formulas_and_worked_examples() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/conversions.json");
    let g: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = g["cases"].as_array().unwrap();
    assert!(cases.len() > 150, "only {} cases", cases.len());
    let mut worst = 0.0f64;
    let mut failures = Vec::new();
    for c in cases {
        let method = c["method"].as_str().unwrap();
        let expected = c["expected"].as_f64().unwrap();
        let tol = c["tol"].as_f64().unwrap();
        let actual = run(method, &c["inputs"]);
        let rel = (actual - expected).abs() / expected.abs().max(1e-10);
        if c["source"] == "formula" {
            worst = worst.max(rel);
        }
        if rel > tol {
            failures.push(format!(
                "{method} {} ({}): expected {expected}, rema {actual}, rel {rel:.2e} > {tol:.1e}",
                c["inputs"], c["source"]
            ));
        }
    }
    eprintln!("largest relative error against the R formulas: {worst:.2e}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn conversions_reject_bad_input_with_a_typed_error() {
    use rema::core::convert::ConvertError;
    assert!(matches!(
        se::sd_from_se(-1.0, 10.0),
        Err(ConvertError::InvalidInput { quantity: "se", .. })
    ));
    assert!(matches!(
        wan2014::sd_from_range(5.0, 1.0, 10.0),
        Err(ConvertError::Inconsistent { .. })
    ));
    assert!(matches!(
        wan2014::sd_from_quartiles(1.0, 5.0, 1.0),
        Err(ConvertError::InvalidInput { quantity: "n", .. })
    ));
    assert!(matches!(
        luo2018::mean_from_quartiles(3.0, 2.0, 5.0, 10.0),
        Err(ConvertError::Inconsistent { .. })
    ));
    assert!(matches!(
        paired::t_from_p(0.0, 10.0),
        Err(ConvertError::InvalidInput { quantity: "p", .. })
    ));
    assert!(matches!(
        ci::sd_from_ci(3.0, 3.0, 10.0, 95.0),
        Err(ConvertError::Inconsistent { .. })
    ));
    assert!(matches!(
        paired::implied_correlation(1.0, 1.0, 5.0),
        Err(ConvertError::Inconsistent { .. })
    ));
}
