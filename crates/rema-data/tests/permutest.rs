//! metafor's `permutest` through the whole analysis path (CSV text → spec →
//! result): the statistic (`permutation_stat`), the intervals that invert
//! the test (`permci`), against rema-core's goldens from R metafor 3.8-1
//! (crates/rema-core/tests/golden/permutest.{R,json}); and the test of
//! τ² = 0, which runs only when `tau2_test` asks for it.

use std::path::Path;

use rema_data::{analyze, AnalysisResult, AnalysisSpec, DataError, Table};
use serde_json::{json, Value};

/// The cases of rema-core's permutest goldens.
fn cases() -> Vec<Value> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../rema-core/tests/golden/permutest.json");
    let g: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    g["cases"].as_array().unwrap().clone()
}

/// A case's studies as a CSV file: `yi, vi` and, for a meta-regression, its
/// one moderator as column `mod`.
fn csv_of(case: &Value) -> String {
    let has_mod = !case["mods"].is_null();
    let mut s = String::from(if has_mod {
        "study,yi,vi,mod\n"
    } else {
        "study,yi,vi\n"
    });
    let yi = case["yi"].as_array().unwrap();
    for (i, y) in yi.iter().enumerate() {
        s += &format!("S{},{},{}", i + 1, y, case["vi"][i]);
        if has_mod {
            s += &format!(",{}", case["x"][i][1]);
        }
        s.push('\n');
    }
    s
}

fn run(csv: &str, spec: Value) -> Result<AnalysisResult, DataError> {
    let table = Table::from_str(csv, "data.csv")?;
    let spec: AnalysisSpec = serde_json::from_value(spec).unwrap();
    analyze(&table, &spec, "sha")
}

fn nums(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(a) => a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect(),
        x => vec![x.as_f64().unwrap_or(f64::NAN)],
    }
}

/// Exact p-values of both statistics and the permutation intervals of every
/// case with intervals in the goldens (Follmann & Proschan's example: the
/// coefficient statistic gives 10/256), to metafor's counts exactly and its
/// bounds at uniroot's tol = 1e-10 (see crates/rema-core/tests/permutest.rs).
#[test]
fn permutation_stat_and_permci_match_metafor_end_to_end() {
    let mut checked = 0;
    for case in &cases() {
        if case["permutest"]["coef"]["permci_tight"].is_null() {
            continue;
        }
        let csv = csv_of(case);
        for stat in ["test", "coef"] {
            let mut spec = json!({"measure": "GEN", "method": case["method"], "test": case["test"],
                "permutations": "exact", "permutation_stat": stat, "permci": true});
            if !case["mods"].is_null() {
                spec["mods"] = json!(["mod"]);
            }
            let r = run(&csv, spec).unwrap();
            let id = case["id"].as_str().unwrap();
            let want = &case["permutest"][stat];
            let p = r.permutation.as_ref().unwrap();
            assert_eq!((p.stat.as_str(), p.exact), (stat, true), "{id}");
            assert_eq!(p.iterations, case["iterations"].as_u64().unwrap(), "{id}");
            let valid = want["valid"].as_f64().unwrap();
            let pvals: Vec<f64> = match &r.coefficients {
                Some(cs) => cs.iter().map(|c| c.pval_perm.unwrap()).collect(),
                None => vec![r.pval_perm.unwrap()],
            };
            let counts: Vec<f64> = pvals.iter().map(|p| p * valid).collect();
            for (c, w) in counts.iter().zip(nums(&want["count"])) {
                assert!(
                    (c - w).abs() < 1e-9,
                    "{id} {stat}: counts {counts:?} vs {w}"
                );
            }
            assert!(
                (p.qm_pval * valid - want["qm_count"].as_f64().unwrap()).abs() < 1e-9,
                "{id} {stat}"
            );
            let ci = p.ci.as_ref().unwrap();
            assert_eq!(ci.level, 95.0);
            for (side, got) in [
                (
                    "lower",
                    ci.coefficients.iter().map(|c| c.lower).collect::<Vec<_>>(),
                ),
                ("upper", ci.coefficients.iter().map(|c| c.upper).collect()),
            ] {
                for (j, (b, w)) in got
                    .iter()
                    .zip(nums(&want["permci_tight"][side]))
                    .enumerate()
                {
                    if w.is_nan() {
                        assert!(b.is_none(), "{id} {stat} {side} {j}: {b:?}, metafor NA");
                        assert!(
                            r.notes.iter().any(|n| n.starts_with("permci: ")
                                && n.contains(&format!("no {side} bound of coefficient {j}:"))),
                            "{:?}",
                            r.notes
                        );
                    } else {
                        let b = b.unwrap();
                        assert!(
                            (b - w).abs() <= 1e-7 * w.abs().max(1e-3),
                            "{id} {stat} {side} {j}: {b} vs metafor {w}"
                        );
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 12, "{checked}");
}

/// Follmann & Proschan (1999), as metafor's test_misc_permutest.r: the
/// coefficient as the statistic gives p = 10/256, and the text output says
/// which statistic and shows the interval.
#[test]
fn follmann_proschan_coefficient_statistic_is_10_of_256() {
    let case = cases()
        .into_iter()
        .find(|c| c["id"] == "follmann_proschan_PETO_DL")
        .unwrap();
    let r = run(
        &csv_of(&case),
        json!({"measure": "GEN", "method": "DL", "permutations": "exact",
            "permutation_stat": "coef", "permci": true}),
    )
    .unwrap();
    assert_eq!(r.pval_perm, Some(10.0 / 256.0));
    let text = rema_data::render::text(&r);
    assert!(
        text.contains(
            "Permutation test (256 iterations, exact, seed 0; statistic: the coefficient):"
        ),
        "{text}"
    );
    assert!(text.contains("  pooled estimate: p-val 0.0391"), "{text}");
    assert!(
        text.contains("    intrcpt      [-0.3678, -0.0019]"),
        "{text}"
    );
}

const BCG: &str = "study,yi,vi,ablat\n\
1,-0.889311333920205,0.325584765003961,44\n\
2,-1.58538865720143,0.194581121398144,55\n\
3,-1.34807314829969,0.415367965367965,42\n\
4,-1.44155119002131,0.0200100319022476,52\n\
5,-0.217547322211296,0.0512101721696309,13\n\
6,-0.786115585818864,0.00690561845590876,44\n\
7,-1.62089822359839,0.223017247572315,19\n\
8,0.0119523335238405,0.00396157929781773,13\n\
9,-0.469417648738149,0.056434210463249,27\n\
10,-1.37134480347278,0.0730247936130289,42\n\
11,-0.339358828338391,0.0124122139715597,18\n\
12,0.445913400571379,0.532505845200153,33\n\
13,-0.0173139482168798,0.0714046596839863,33\n";

/// `permutations` runs metafor's permutest and nothing else; the test of
/// τ² = 0 is its own option, with its own part of the result.
#[test]
fn the_test_of_tau2_zero_runs_only_when_asked_for() {
    let r = run(
        BCG,
        json!({"measure": "GEN", "mods": ["ablat"], "permutations": 200, "seed": 5}),
    )
    .unwrap();
    assert!(r.permutation.is_some() && r.tau2_test.is_none());
    let v = serde_json::to_value(&r).unwrap();
    assert!(v.get("tau2_test").is_none(), "{v}");
    assert_eq!(v["permutation"]["stat"], "test");
    assert!(v["permutation"].get("ci").is_none());

    let r = run(
        BCG,
        json!({"measure": "GEN", "method": "DL", "tau2_test": 500, "seed": 1}),
    )
    .unwrap();
    assert!(r.permutation.is_none());
    let h = r.tau2_test.as_ref().unwrap();
    // dat.bcg's Q = 152.2 on 12 df: no null draw reaches the observed tau^2,
    // so p is the observed data's own share.
    assert_eq!((h.iterations, h.seed, h.pval), (500, 1, 1.0 / 500.0));
    assert_eq!(h.statistic, "tau2");
    assert!(rema_data::render::text(&r).contains(
        "Test of tau^2 = 0 (parametric resampling, 500 iterations, seed 1): p-val 0.0020"
    ));
}

/// The new options refuse what they cannot do, naming the option.
#[test]
fn resampling_options_refuse_what_they_cannot_do() {
    let option = |spec: Value| match run(BCG, spec) {
        Err(DataError::Option { option, message }) => (option, message),
        other => panic!("{other:?}"),
    };
    let (o, m) = option(json!({"measure": "GEN", "permci": true}));
    assert_eq!(o, "permci");
    assert_eq!(
        m,
        "`permci` inverts the permutation test; add `permutations`"
    );
    let (o, _) = option(json!({"measure": "GEN", "permutation_stat": "coef"}));
    assert_eq!(o, "permutation_stat");
    let (o, m) = option(json!({"measure": "GEN", "method": "FE", "tau2_test": 100}));
    assert_eq!(o, "tau2_test");
    assert!(m.contains("random-effects method"), "{m}");
    let (o, _) = option(json!({"measure": "GEN", "tau2_test": 1}));
    assert_eq!(o, "tau2_test");
    let e = serde_json::from_value::<AnalysisSpec>(
        json!({"measure": "GEN", "permutations": 10, "permutation_stat": "z"}),
    )
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("unknown permutation_stat `z`"), "{e}");
}
