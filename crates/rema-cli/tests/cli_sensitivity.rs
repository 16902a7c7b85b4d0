//! End-to-end tests of `rema analyze --leave-one-out --influence --cumulative`,
//! `rema analyze --method GLMM` and `rema bias`: their JSON against metafor's
//! golden values (tests/golden/{influence,bias,glmm}.json), exit codes and messages.

mod common;

use common::*;

fn rtol(method: &str) -> f64 {
    if matches!(method, "ML" | "REML" | "EB" | "PM") {
        1e-4
    } else {
        1e-6
    }
}

/// Every case of influence.json through the binary: the three sections of
/// the JSON match metafor's leave1out(), influence() and cumul(order = COL).
#[test]
fn sensitivity_sections_match_metafor() {
    let g = golden("influence.json");
    let mut checked = 0;
    for case in g["cases"].as_array().unwrap() {
        let (csv, measure, method, test, order) = (
            case["csv"].as_str().unwrap(),
            case["measure"].as_str().unwrap(),
            case["method"].as_str().unwrap(),
            case["test"].as_str().unwrap(),
            case["order"].as_str().unwrap(),
        );
        let r = model_json(
            "analyze",
            csv,
            [measure, method, test],
            &[
                "--leave-one-out",
                "--influence",
                "--cumulative",
                "--order",
                order,
            ],
        );
        let tol = rtol(method);
        let id = format!("{csv} {measure} {method} {test}");
        for (section, ours, keys) in [
            (
                "leave1out",
                "leave_one_out",
                &[
                    "estimate", "se", "ci_lower", "ci_upper", "pval", "tau2", "i2", "h2", "q",
                    "q_pval",
                ][..],
            ),
            (
                "influence",
                "influence",
                &[
                    "rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "qe_del", "hat", "weight",
                    "dfbetas",
                ][..],
            ),
            (
                "cumulative",
                "cumulative",
                &[
                    "estimate", "se", "ci_lower", "ci_upper", "pval", "tau2", "i2", "h2", "q",
                    "q_pval",
                ][..],
            ),
        ] {
            let rows = r[ours]
                .as_array()
                .unwrap_or_else(|| panic!("{id}: no {ours}"));
            for key in keys {
                let ex = case[section][key].as_array().unwrap();
                assert_eq!(ex.len(), rows.len(), "{id} {ours}");
                for (i, (e, row)) in ex.iter().zip(rows).enumerate() {
                    let (a, b) = (row[key].as_f64().unwrap(), e.as_f64().unwrap());
                    assert!(
                        close(a, b, tol),
                        "{id} {ours}[{i}].{key}: rema {a} metafor {b}"
                    );
                    checked += 1;
                }
            }
        }
        // Influential flags and the order of the cumulative steps.
        let flags = each(&r["influence"], |x| x["influential"].as_bool().unwrap());
        let ex = each(&case["influence"]["influential"], |x| x.as_bool().unwrap());
        assert_eq!(flags, ex, "{id}");
        let studies = each(&r["studies"], |s| s["study"].as_str().unwrap());
        let added = each(&r["cumulative"], |s| s["added"].as_str().unwrap());
        let expected = each(&case["cumulative"]["order"], |o| {
            studies[o.as_u64().unwrap() as usize]
        });
        assert_eq!(added, expected, "{id}");
    }
    assert!(checked > 2000, "only {checked} values");
}

#[test]
fn bias_json_matches_metafor() {
    let g = golden("bias.json");
    let mut checked = 0;
    for case in g["cases"].as_array().unwrap() {
        let (csv, measure, method, test) = (
            case["csv"].as_str().unwrap(),
            case["measure"].as_str().unwrap(),
            case["method"].as_str().unwrap(),
            case["test"].as_str().unwrap(),
        );
        let r = model_json("bias", csv, [measure, method, test], &[]);
        let tol = rtol(method);
        let id = format!("{csv} {measure} {method} {test}");
        let stat_key = if test == "knha" { "t" } else { "z" };
        for (ours, theirs) in [
            (stat_key, "stat"),
            ("pval", "pval"),
            ("limit_estimate", "limit_estimate"),
        ] {
            let (a, b) = (
                r["egger"][ours].as_f64().unwrap(),
                case["egger"][theirs].as_f64().unwrap(),
            );
            assert!(close(a, b, tol), "{id} egger.{ours}: rema {a} metafor {b}");
            checked += 1;
        }
        for key in ["tau", "pval"] {
            let (a, b) = (
                r["begg"][key].as_f64().unwrap(),
                case["begg"][key].as_f64().unwrap(),
            );
            assert!(close(a, b, 1e-6), "{id} begg.{key}: rema {a} metafor {b}");
            checked += 1;
        }
        let tf = &r["trimfill"];
        assert_eq!(tf["k0"], case["trimfill"]["k0"], "{id}");
        assert_eq!(tf["side"], case["trimfill"]["side"], "{id}");
        for key in ["estimate", "ci_lower", "ci_upper", "se_k0"] {
            let (a, b) = (
                tf[key].as_f64().unwrap(),
                case["trimfill"][key].as_f64().unwrap(),
            );
            assert!(
                close(a, b, tol),
                "{id} trimfill.{key}: rema {a} metafor {b}"
            );
            checked += 1;
        }
        let fy = each(&tf["filled"], |f| f["yi"].as_f64().unwrap());
        // jsonlite writes an empty vector as {}.
        let ey: Vec<f64> = case["trimfill"]["filled_yi"]
            .as_array()
            .map(|a| a.iter().map(|f| f.as_f64().unwrap()).collect())
            .unwrap_or_default();
        assert_eq!(fy.len(), ey.len(), "{id}");
        for (a, b) in fy.iter().zip(&ey) {
            assert!(close(*a, *b, tol), "{id} filled yi: rema {a} metafor {b}");
        }
    }
    assert!(checked > 100, "only {checked} values");
}

#[test]
fn glmm_json_matches_metafor_and_zero_events_fail_cleanly() {
    let g = golden("glmm.json");
    for case in g["cases"].as_array().unwrap() {
        let csv = case["csv"].as_str().unwrap();
        let level = case["level"].as_f64().unwrap().to_string();
        let out = analyze(
            csv,
            "PLO",
            &["--method", "GLMM", "--level", &level, "--format", "json"],
        );
        let Some(ex) = case.get("expected") else {
            // metafor cannot fit the model: rema says why, with exit code 4.
            assert_eq!(out.status.code(), Some(4), "{csv}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                err.contains("no finite maximum-likelihood estimate")
                    || err.contains("needs at least 2 studies"),
                "{err}"
            );
            continue;
        };
        let r = json(&out);
        // Iterative tolerance; absolute 1e-4 SE units for values near 0 (see
        // src/golden_sensitivity.rs: lme4's SE carries ~1e-4 error, which the
        // p-value magnifies, so z is compared rather than p).
        let se = ex["se"].as_f64().unwrap();
        for key in [
            "estimate", "se", "stat", "tau2", "i2", "h2", "pi_lower", "pi_upper",
        ] {
            let (a, b) = (r[key].as_f64().unwrap(), ex[key].as_f64().unwrap());
            assert!(
                close(a, b, 1e-4) || (a - b).abs() < 1e-4 * se,
                "{csv} {key}: rema {a} metafor {b}"
            );
        }
        for key in ["estimate", "pi_lower", "pi_upper"] {
            let (a, b) = (
                r["transformed"][key].as_f64().unwrap(),
                ex["transformed"][key].as_f64().unwrap(),
            );
            assert!(
                close(a, b, 1e-4),
                "{csv} transformed.{key}: rema {a} metafor {b}"
            );
        }
        let (a, b) = (
            r["glmm"]["qe_lrt"].as_f64().unwrap(),
            ex["qe_lrt"].as_f64().unwrap(),
        );
        assert!(close(a, b, 1e-6), "{csv} qe_lrt: rema {a} metafor {b}");
        assert_eq!(r["method"], "GLMM");
        assert_eq!(r["provenance"]["options"]["method"], "GLMM");
    }
}

#[test]
fn glmm_with_another_measure_or_test_is_a_usage_error() {
    let pritz = "tests/golden/data/glmm_pritz1997.csv";
    for (measure, extra) in [
        ("PR", &[][..]),
        ("PLO", &["--test", "knha"][..]),
        ("PLO", &["--leave-one-out"][..]),
    ] {
        let mut args = vec!["analyze", pritz, "--measure", measure, "--method", "GLMM"];
        args.extend_from_slice(extra);
        let out = rema(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("GLMM"),
            "{args:?}"
        );
    }
}

#[test]
fn order_needs_cumulative_and_an_existing_column() {
    let out = analyze("tests/golden/data/bcg_year.csv", "RR", &["--order", "year"]);
    assert_eq!(out.status.code(), Some(2));
    let out = analyze(
        "tests/golden/data/bcg_year.csv",
        "RR",
        &["--cumulative", "--order", "decade"],
    );
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("decade") && err.contains("year"), "{err}");
}

#[test]
fn sections_are_absent_unless_asked_for() {
    let r = json(&analyze(
        "tests/golden/data/bcg_year.csv",
        "RR",
        &["--format", "json"],
    ));
    for key in ["leave_one_out", "influence", "cumulative", "glmm"] {
        assert!(r.get(key).is_none(), "{key}");
    }
    assert!(r["provenance"]["options"].get("leave_one_out").is_none());
}

#[test]
fn bias_with_too_few_studies_exits_4() {
    let out = rema(&["bias", "tests/golden/data/edge_k2.csv", "--measure", "RR"]);
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn text_output_shows_the_sections() {
    let out = analyze(
        "tests/golden/data/bcg_year.csv",
        "RR",
        &[
            "--leave-one-out",
            "--influence",
            "--cumulative",
            "--order",
            "year",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for head in [
        "Leave-one-out analysis",
        "Influence diagnostics",
        "Cumulative meta-analysis",
    ] {
        assert!(text.contains(head), "{head}");
    }
    let out = rema(&["bias", "tests/golden/data/bcg_year.csv", "--measure", "RR"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Kendall's tau = 0.0256"), "{text}");
}
