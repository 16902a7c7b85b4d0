//! Methods MH and PETO end to end (CSV text → spec → result JSON) against R
//! metafor 3.8.1's `rma.mh` and `rma.peto` (rema-core's
//! tests/golden/pooling.json, written by tests/golden/pooling.R), and
//! `random` against RevMan 5's "M-H, Random" as that script computes it from
//! its definition; then the options refused with these methods, and the
//! presets.
//!
//! Tolerance: 1e-6 relative (closed form); differences below 1e-10 count as
//! zero.

use std::path::PathBuf;

use rema_core::{Measure, PiDist, Test};
use rema_data::spec::{Model, Preset};
use rema_data::{analyze, AnalysisResult, AnalysisSpec, DataError, Table};
use serde_json::Value;

const CLOSED_FORM: f64 = 1e-6;
const ABS_FLOOR: f64 = 1e-10;

fn golden() -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rema-core/tests/golden/pooling.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn csv(case: &Value) -> Table {
    let col = |c: &str| case[c].as_array().unwrap().clone();
    let (a, b, c, d) = (col("ai"), col("bi"), col("ci"), col("di"));
    let mut text = "study,ai,bi,ci,di\n".to_string();
    for i in 0..a.len() {
        text += &format!("s{},{},{},{},{}\n", i + 1, a[i], b[i], c[i], d[i]);
    }
    Table::from_str(&text, "tables.csv").unwrap()
}

fn close(failures: &mut Vec<String>, what: String, actual: f64, expected: &Value) {
    let e = expected.as_f64().unwrap_or(f64::NAN);
    let d = (actual - e).abs();
    if !(d <= ABS_FLOOR || d / e.abs() <= CLOSED_FORM) {
        failures.push(format!("{what}: rema {actual:e}, reference {e:e}"));
    }
}

/// The spec a golden case runs with, `random` or not.
fn spec(case: &Value, random: bool) -> AnalysisSpec {
    let measure: Measure = case["measure"].as_str().unwrap().parse().unwrap();
    let mut s: AnalysisSpec = serde_json::from_value(serde_json::json!({
        "measure": measure.name(),
        "method": if case["fn"] == "peto" { "PETO" } else { "MH" },
        "level": case["level"],
        "add": case["add"],
        "to": case["to"],
        "random": random,
    }))
    .unwrap();
    s.random = random;
    s
}

#[test]
fn mh_and_peto_results_match_metafor() {
    let g = golden();
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in g["cases"].as_array().unwrap() {
        // The analyses keep metafor's defaults for `correct` and `drop00`.
        if case["drop00"] == false || case["correct"] == false {
            continue;
        }
        let id = case["id"].as_str().unwrap();
        let e = &case["expected"];
        let r =
            analyze(&csv(case), &spec(case, false), "0").unwrap_or_else(|e| panic!("{id}: {e}"));
        let j = serde_json::to_value(&r).unwrap();
        assert_eq!(
            j["method"],
            if case["fn"] == "peto" { "PETO" } else { "MH" }
        );
        assert_eq!(j["k"].as_u64(), e["k"].as_u64(), "{id}");
        assert_eq!(j["tau2"], 0.0, "{id}");
        for (key, want) in [
            ("estimate", "beta"),
            ("se", "se"),
            ("stat", "zval"),
            ("pval", "pval"),
            ("ci_lower", "ci_lb"),
            ("ci_upper", "ci_ub"),
            ("q", "QE"),
            ("q_pval", "QEp"),
            ("i2", "I2"),
            ("h2", "H2"),
        ] {
            close(
                &mut failures,
                format!("{id} {key}"),
                j[key].as_f64().unwrap(),
                &e[want],
            );
        }
        if case["measure"] != "RD" {
            let t = &j["transformed"];
            close(
                &mut failures,
                format!("{id} OR/RR"),
                t["estimate"].as_f64().unwrap(),
                &e["exp_beta"],
            );
            close(
                &mut failures,
                format!("{id} OR/RR lb"),
                t["ci_lower"].as_f64().unwrap(),
                &e["exp_ci_lb"],
            );
            close(
                &mut failures,
                format!("{id} OR/RR ub"),
                t["ci_upper"].as_f64().unwrap(),
                &e["exp_ci_ub"],
            );
        } else {
            assert!(j["transformed"].is_null(), "{id}");
        }
        let weights: Vec<f64> = r.studies.iter().map(|s| s.weight).collect();
        for (i, w) in weights.iter().enumerate() {
            close(
                &mut failures,
                format!("{id} weight[{i}]"),
                *w,
                &e["weights"][i],
            );
        }
        let p = &j["pooling"];
        assert_eq!(p["model"], "fixed", "{id}");
        if case["measure"] == "OR" && case["fn"] == "mh" {
            for (key, want, want_p) in [
                ("cmh", "MH", "MHp"),
                ("cochran", "CO", "COp"),
                ("breslow_day", "BD", "BDp"),
                ("tarone", "TA", "TAp"),
            ] {
                match p[key]["statistic"].as_f64() {
                    Some(x) => {
                        close(&mut failures, format!("{id} {key}"), x, &e[want]);
                        let pval = p[key]["pval"].as_f64().unwrap();
                        close(&mut failures, format!("{id} {key} p"), pval, &e[want_p]);
                    }
                    // metafor: NA (not computable)
                    None => assert!(e[want_p].is_null(), "{id} {key}"),
                }
            }
        } else {
            assert!(p["cmh"].is_null() && p["tarone"].is_null(), "{id}");
        }
        checked += 1;
    }
    assert!(checked >= 15, "{checked} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn mh_random_matches_the_revman_definition() {
    let g = golden();
    let mut failures = Vec::new();
    for case in g["cases"].as_array().unwrap() {
        if case["fn"] != "mh" || case["drop00"] == false || case["correct"] == false {
            continue;
        }
        let id = case["id"].as_str().unwrap();
        let e = &case["expected"];
        let r = analyze(&csv(case), &spec(case, true), "0").unwrap_or_else(|e| panic!("{id}: {e}"));
        for (what, actual, want) in [
            ("tau2", r.tau2, "re_tau2"),
            ("estimate", r.estimate, "re_beta"),
            ("se", r.se, "re_se"),
            ("stat", r.stat, "re_zval"),
            ("pval", r.pval, "re_pval"),
            ("ci_lower", r.ci_lower, "re_ci_lb"),
            ("ci_upper", r.ci_upper, "re_ci_ub"),
            // Q and I² stay those about the MH estimate.
            ("q", r.q, "QE"),
            ("i2", r.i2, "I2"),
        ] {
            close(
                &mut failures,
                format!("{id} random {what}"),
                actual,
                &e[want],
            );
        }
        for (i, s) in r.studies.iter().enumerate() {
            close(
                &mut failures,
                format!("{id} random weight[{i}]"),
                s.weight,
                &e["re_weights"][i],
            );
        }
        let p = r.pooling.as_ref().unwrap();
        assert_eq!(
            (p.model.as_str(), p.label.as_str()),
            ("random", "M-H, Random, 95% CI"),
            "{id}"
        );
        let fixed = p.fixed.as_ref().unwrap();
        close(
            &mut failures,
            format!("{id} fixed estimate"),
            fixed.estimate,
            &e["beta"],
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// RevMan 5.0.23's stored per-study weights of Fleiss (1993) in
/// `Fleiss1993.rm5` (R package meta, inst/extdata): "M-H, Fixed" weights
/// are the Mantel–Haenszel weights.
#[test]
fn fleiss_1993_weights_are_revmans() {
    let text = "study,ai,n1i,ci,n2i\nMRC-1,49,615,67,624\nCDP,44,758,64,771\nMRC-2,102,832,126,850\nGASP,32,317,38,309\nPARIS,85,810,52,406\nAMIS,246,2267,219,2257\nISIS-2,1570,8587,1720,8600\n";
    let r = analyze(
        &Table::from_str(text, "fleiss1993.csv").unwrap(),
        &AnalysisSpec {
            method: Model::MantelHaenszel,
            ..AnalysisSpec::new(Measure::Or)
        },
        "0",
    )
    .unwrap();
    // WEIGHT of MRC-1, CDP and MRC-2 as RevMan stored them.
    for (i, revman) in [3.176490004091248, 3.1016891143394365, 5.675380442715663]
        .into_iter()
        .enumerate()
    {
        assert!(
            ((r.studies[i].weight - revman) / revman).abs() < 1e-9,
            "{}: {}",
            r.studies[i].study,
            r.studies[i].weight
        );
    }
    let t = r.transformed.as_ref().unwrap();
    assert!(((t.estimate - 0.8968655609130709) / 0.8968655609130709).abs() < 1e-12);
    assert_eq!(r.pooling.as_ref().unwrap().label, "M-H, Fixed, 95% CI");
}

fn tables_csv() -> Table {
    Table::from_str(
        "study,ai,bi,ci,di\nA,4,119,11,128\nB,6,300,29,274\nC,3,228,11,209\nD,62,13536,248,12619\n",
        "t.csv",
    )
    .unwrap()
}

fn refused(edit: impl FnOnce(&mut AnalysisSpec), option: &str) -> String {
    let mut s = AnalysisSpec::new(Measure::Or);
    s.method = Model::MantelHaenszel;
    edit(&mut s);
    match analyze(&tables_csv(), &s, "0") {
        Err(DataError::Option { option: o, message }) => {
            assert_eq!(o, option, "{message}");
            message
        }
        other => panic!("{option}: {other:?}"),
    }
}

#[test]
fn options_that_do_not_apply_are_refused_with_a_reason() {
    let m = refused(|s| s.measure = Measure::Smd, "measure");
    assert!(m.contains("takes measure OR, RR, RD, not SMD"), "{m}");
    let m = refused(
        |s| {
            s.method = Model::Peto;
            s.measure = Measure::Rr
        },
        "measure",
    );
    assert!(
        m.contains("method PETO") && m.contains("takes measure OR,"),
        "{m}"
    );
    let m = refused(|s| s.test = Test::Knha, "test");
    assert!(m.contains("method MH uses the Wald z test"), "{m}");
    refused(|s| s.mods = vec!["x".into()], "mods");
    refused(|s| s.influence = true, "influence");
    refused(
        |s| {
            s.by = Some("g".into());
            s.tau2_common = true
        },
        "tau2_common",
    );
    refused(
        |s| s.permutations = Some(rema_data::spec::Permutations::Random(100)),
        "permutations",
    );
    refused(|s| s.tau2_ci = true, "tau2_ci");
    let m = refused(
        |s| {
            s.method = Model::Peto;
            s.random = true
        },
        "random",
    );
    assert!(m.contains("fixed-effect method"), "{m}");
    let m = refused(
        |s| {
            s.method = "FE".parse().unwrap();
            s.random = true
        },
        "random",
    );
    assert!(m.contains("common-effect model"), "{m}");
}

fn with_preset(json: &str) -> AnalysisResult {
    let spec: AnalysisSpec = serde_json::from_str(json).unwrap();
    analyze(&tables_csv(), &spec, "0").unwrap()
}

#[test]
fn presets_set_method_test_and_prediction_interval_and_say_so() {
    let r = with_preset(r#"{"measure": "OR", "preset": "revman5"}"#);
    assert_eq!((r.method.as_str(), r.tau2), ("MH", 0.0));
    assert!(
        r.notes[0]
            .starts_with("preset revman5 (RevMan 5's defaults): method MH, test z, pi_dist test"),
        "{:?}",
        r.notes
    );
    let r = with_preset(r#"{"measure": "OR", "preset": "revman5", "random": true}"#);
    assert_eq!(r.pooling.as_ref().unwrap().label, "M-H, Random, 95% CI");
    let r = with_preset(r#"{"measure": "OR", "preset": "cochrane"}"#);
    assert_eq!((r.method.as_str(), r.test.as_str()), ("REML", "z"));
    assert_eq!(r.provenance.options.pi_dist, Some(PiDist::T));
    // pi_dist t: t(k - 1) = t(3) quantiles around the REML estimate.
    let crit = (r.pi_upper - r.estimate) / (r.se * r.se + r.tau2).sqrt();
    assert!((crit - 3.182446305284263).abs() < 1e-9, "{crit}"); // R: qt(0.975, 3)
                                                                // An explicit option overrides the preset, and a note says so.
    let r =
        with_preset(r#"{"measure": "OR", "preset": "revman5", "method": "REML", "test": "knha"}"#);
    assert_eq!((r.method.as_str(), r.test.as_str()), ("REML", "knha"));
    assert!(
        r.notes.iter().any(
            |n| n == "preset revman5: method REML, given explicitly, overrides the preset's MH"
        ),
        "{:?}",
        r.notes
    );
    // The spec written into the provenance reads back to the same analysis.
    let back: AnalysisSpec =
        serde_json::from_value(serde_json::to_value(&r.provenance.options).unwrap()).unwrap();
    assert_eq!(back, r.provenance.options);
    let r = with_preset(r#"{"measure": "OR", "preset": "metafor"}"#);
    assert_eq!(r.method, "REML");
    assert_eq!("REVMAN5".parse::<Preset>(), Ok(Preset::Revman5));
}

/// A plan's analysis reads `preset` as a JSON spec does: the preset fills
/// only what the analysis leaves out.
#[test]
fn plans_take_presets() {
    let p = rema_data::Plan::from_toml(
        "[data]\ntable = \"t.csv\"\n[[analysis]]\nid = \"a\"\nmeasure = \"OR\"\npreset = \"revman5\"\nrandom = true\n[[analysis]]\nid = \"b\"\nmeasure = \"OR\"\npreset = \"cochrane\"\ntest = \"adhoc\"\n",
        "p.toml",
    )
    .unwrap();
    let (a, b) = (p.analyses[0].spec(), p.analyses[1].spec());
    assert_eq!((a.method, a.random), (Model::MantelHaenszel, true));
    assert_eq!(
        (b.method.name(), b.test, b.pi_dist),
        ("REML", Test::Adhoc, Some(PiDist::T))
    );
}
