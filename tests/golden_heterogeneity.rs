//! Subgroups, meta-regression and exact permutation tests against R metafor
//! 3.8 (tests/golden/{moderators,subgroups,permutest}.json, made by the R
//! scripts of the same name). Every number goes through rema-data's
//! `analyze`, from the CSV file, as `rema analyze` computes it.
//!
//! Tolerances (rema::golden::Kind): 1e-6 relative for closed-form quantities
//! (FE, DL, HE, HS, SJ), 1e-4 for iterative ones (ML, REML, EB, PM).
//! Exact permutation p-values are ratios of counts: they must equal
//! metafor's to 1e-12.

use std::path::Path;

use rema::data::{analyze, AnalysisResult, AnalysisSpec, Table};
use rema::golden::{Comparison, Kind};
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn load(name: &str) -> Value {
    let path = root().join("tests/golden").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("golden file")).expect("json")
}

fn run(csv: &str, spec: &AnalysisSpec) -> AnalysisResult {
    let table = Table::read_path(&root().join(csv)).expect("csv");
    analyze(&table, spec, "test").unwrap_or_else(|e| panic!("{csv} {spec:?}: {e}"))
}

fn kind_of(method: &str) -> Kind {
    match method {
        "ML" | "REML" | "EB" | "PM" => Kind::Iterative,
        _ => Kind::ClosedForm,
    }
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .map(|a| a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect())
        .unwrap_or_else(|| v.as_f64().into_iter().collect())
}

struct Checker {
    all: Vec<Comparison>,
}

impl Checker {
    fn cmp(&mut self, case: &str, quantity: &str, kind: Kind, expected: f64, actual: f64) {
        self.all.push(Comparison {
            case: case.to_string(),
            quantity: quantity.to_string(),
            kind,
            expected,
            actual,
        });
    }

    fn finish(self, min: usize) {
        assert!(self.all.len() >= min, "only {} comparisons", self.all.len());
        let failures: Vec<_> = self.all.iter().filter(|c| !c.passes()).collect();
        for f in failures.iter().take(40) {
            eprintln!(
                "{} {}: metafor {} rema {} (rel {:.2e}, {:?})",
                f.case,
                f.quantity,
                f.expected,
                f.actual,
                f.rel_error(),
                f.kind
            );
        }
        let worst = self
            .all
            .iter()
            .map(Comparison::rel_error)
            .fold(0.0, f64::max);
        eprintln!(
            "{} comparisons, largest relative error {worst:.2e}",
            self.all.len()
        );
        assert!(
            failures.is_empty(),
            "{} of {} fail",
            failures.len(),
            self.all.len()
        );
    }
}

#[test]
fn meta_regression_matches_metafor() {
    let g = load("moderators.json");
    let mut c = Checker { all: Vec::new() };
    for case in g["cases"].as_array().unwrap() {
        let mods: Vec<String> = case["mods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap().to_string())
            .collect();
        for f in case["fits"].as_array().unwrap() {
            let method = f["method"].as_str().unwrap();
            let test = f["test"].as_str().unwrap();
            let mut spec = AnalysisSpec::new(case["measure"].as_str().unwrap().parse().unwrap());
            spec.method = method.parse().unwrap();
            spec.test = test.parse().unwrap();
            spec.mods = mods.clone();
            let r = run(case["csv"].as_str().unwrap(), &spec);
            let name = format!("{} {method} {test}", case["id"].as_str().unwrap());
            let kind = kind_of(method);
            let coefs = r.coefficients.as_ref().expect("coefficients");
            let names: Vec<&str> = f["names"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            let ours: Vec<&str> = coefs.iter().map(|c| c.name.as_str()).collect();
            assert_eq!(ours, names, "{name}: coefficient names");
            for (j, co) in coefs.iter().enumerate() {
                let stat = if test == "z" { co.zval } else { co.tval }.expect("statistic");
                assert!(
                    (test == "z") == co.zval.is_some() && (test == "knha") == co.tval.is_some()
                );
                for (q, actual) in [
                    ("estimate", co.estimate),
                    ("se", co.se),
                    ("stat", stat),
                    ("pval", co.pval),
                    ("ci_lower", co.ci_lower),
                    ("ci_upper", co.ci_upper),
                ] {
                    c.cmp(
                        &name,
                        &format!("{}.{q}", co.name),
                        kind,
                        nums(&f[q])[j],
                        actual,
                    );
                }
            }
            for (q, actual) in [
                ("qm", r.qm.unwrap()),
                ("qm_pval", r.qm_pval.unwrap()),
                ("tau2", r.tau2),
                ("i2", r.i2),
                ("h2", r.h2),
                ("r2", r.r2.unwrap_or(f64::NAN)),
            ] {
                c.cmp(&name, q, kind, f[q].as_f64().unwrap(), actual);
            }
            // QE does not depend on tau^2.
            c.cmp(
                &name,
                "qe",
                Kind::ClosedForm,
                f["qe"].as_f64().unwrap(),
                r.qe.unwrap(),
            );
            c.cmp(
                &name,
                "qe_pval",
                Kind::ClosedForm,
                f["qe_pval"].as_f64().unwrap(),
                r.qe_pval.unwrap(),
            );
        }
    }
    c.finish(500);
}

#[test]
fn subgroups_match_metafor() {
    let g = load("subgroups.json");
    let csv = g["csv"].as_str().unwrap();
    let mut c = Checker { all: Vec::new() };
    for f in g["fits"].as_array().unwrap() {
        let method = f["method"].as_str().unwrap();
        let test = f["test"].as_str().unwrap();
        let kind = kind_of(method);
        for common in [false, true] {
            let mut spec = AnalysisSpec::new(g["measure"].as_str().unwrap().parse().unwrap());
            spec.method = method.parse().unwrap();
            spec.test = test.parse().unwrap();
            spec.by = Some(g["by"].as_str().unwrap().to_string());
            spec.tau2_common = common;
            let r = run(csv, &spec);
            let ex = if common { &f["common"] } else { &f["separate"] };
            let name = format!("alloc {method} {test} common={common}");
            let sg = r.subgroups.as_ref().expect("subgroups");
            let levels = ex["levels"].as_array().unwrap();
            assert_eq!(sg.len(), levels.len());
            for (s, e) in sg.iter().zip(levels) {
                assert_eq!(s.level, e["level"].as_str().unwrap(), "{name}: level order");
                assert_eq!(s.k as u64, e["k"].as_u64().unwrap());
                let pairs = [
                    ("estimate", s.estimate),
                    ("se", s.se),
                    ("stat", s.stat),
                    ("pval", s.pval),
                    ("ci_lower", s.ci_lower),
                    ("ci_upper", s.ci_upper),
                    ("tau2", s.tau2),
                    ("i2", s.i2),
                    ("h2", s.h2),
                    ("pi_lower", s.pi_lower),
                    ("pi_upper", s.pi_upper),
                ];
                for (q, actual) in pairs {
                    if let Some(x) = e.get(q).and_then(Value::as_f64) {
                        c.cmp(&name, &format!("{}.{q}", s.level), kind, x, actual);
                    }
                }
                c.cmp(
                    &name,
                    &format!("{}.q", s.level),
                    Kind::ClosedForm,
                    e["q"].as_f64().unwrap(),
                    s.q,
                );
                c.cmp(
                    &name,
                    &format!("{}.q_pval", s.level),
                    Kind::ClosedForm,
                    e["q_pval"].as_f64().unwrap(),
                    s.q_pval,
                );
            }
            c.cmp(
                &name,
                "q_between",
                kind,
                ex["q_between"].as_f64().unwrap(),
                r.q_between.unwrap(),
            );
            c.cmp(
                &name,
                "q_between_pval",
                kind,
                ex["q_between_pval"].as_f64().unwrap(),
                r.q_between_pval.unwrap(),
            );
            if common {
                c.cmp(
                    &name,
                    "tau2_common",
                    kind,
                    ex["tau2"].as_f64().unwrap(),
                    r.tau2_common.unwrap(),
                );
                // Under z, Q_between of the common-tau^2 estimates is the QM test of ~ factor(alloc).
                if test == "z" {
                    c.cmp(
                        &name,
                        "q_between = QM(~factor)",
                        kind,
                        ex["qm_factor"].as_f64().unwrap(),
                        r.q_between.unwrap(),
                    );
                }
            } else {
                assert_eq!(r.q_between_df, Some(ex["q_between_df"].as_f64().unwrap()));
            }
        }
    }
    c.finish(1000);
}

#[test]
fn exact_permutation_p_values_equal_metafor() {
    let g = load("permutest.json");
    let mut n = 0;
    for case in g["cases"].as_array().unwrap() {
        let mods: Vec<String> = case["mods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap().to_string())
            .collect();
        for f in case["fits"].as_array().unwrap() {
            let method = f["method"].as_str().unwrap();
            let test = f["test"].as_str().unwrap();
            let mut spec = AnalysisSpec::new(case["measure"].as_str().unwrap().parse().unwrap());
            spec.method = method.parse().unwrap();
            spec.test = test.parse().unwrap();
            spec.mods = mods.clone();
            spec.permutations = Some(rema::data::Permutations::Exact);
            spec.seed = Some(1);
            let r = run(case["csv"].as_str().unwrap(), &spec);
            let name = format!("{} {method} {test}", case["id"].as_str().unwrap());
            let p = r.permutation.as_ref().expect("permutation");
            assert!(p.exact, "{name}");
            assert_eq!(p.iterations, f["iterations"].as_u64().unwrap(), "{name}");
            let expected = nums(&f["pval"]);
            let ours: Vec<f64> = match &r.coefficients {
                Some(cs) => cs.iter().map(|c| c.pval_perm.unwrap()).collect(),
                None => vec![r.pval_perm.unwrap()],
            };
            assert_eq!(ours.len(), expected.len(), "{name}");
            for (o, e) in ours.iter().zip(&expected) {
                assert!(
                    (o - e).abs() < 1e-12,
                    "{name}: pval_perm {o} vs metafor {e}"
                );
                n += 1;
            }
            let e = f["qm_pval"].as_f64().unwrap();
            assert!(
                (p.qm_pval - e).abs() < 1e-12,
                "{name}: QM p {} vs metafor {e}",
                p.qm_pval
            );
            n += 1;
        }
    }
    assert!(n >= 96, "{n} comparisons");
}
