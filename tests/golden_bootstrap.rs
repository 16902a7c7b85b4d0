//! The bootstrap against metafor's documented recipe with R's boot package
//! (tests/golden/bootstrap.json, R = 10,000 replicates, made by
//! tests/golden/bootstrap.R), compared by distribution since the random
//! numbers differ across languages.
//!
//! Tolerance: rema runs 4,000 replicates; every percentile and BCa bound and
//! the bootstrap mean must agree within 4·√(MCSE_rema² + MCSE_R²) + 1e-9 (the
//! Monte Carlo SEs each side reports), and the bootstrap SD within 10%.

use std::path::Path;

use rema::data::{analyze, AnalysisSpec, BootIntervalResult, BootStatResult, Table};
use serde_json::Value;

fn close(
    what: &str,
    ours: f64,
    ours_mcse: f64,
    theirs: f64,
    theirs_mcse: f64,
    failures: &mut Vec<String>,
) {
    let tol = 4.0 * (ours_mcse.powi(2) + theirs_mcse.powi(2)).sqrt() + 1e-9;
    let ok = (ours - theirs).abs() <= tol;
    eprintln!(
        "{what}: rema {ours:.5} boot {theirs:.5} (|diff| {:.5}, tol {tol:.5}){}",
        (ours - theirs).abs(),
        if ok { "" } else { "  FAIL" }
    );
    if !ok {
        failures.push(what.to_string());
    }
}

fn interval(what: &str, ours: &BootIntervalResult, theirs: &Value, failures: &mut Vec<String>) {
    let f = |k: &str| theirs[k].as_f64().unwrap();
    close(
        &format!("{what}.lower"),
        ours.lower,
        ours.mcse_lower,
        f("lower"),
        f("mcse_lower"),
        failures,
    );
    close(
        &format!("{what}.upper"),
        ours.upper,
        ours.mcse_upper,
        f("upper"),
        f("mcse_upper"),
        failures,
    );
}

fn stat(what: &str, ours: &BootStatResult, theirs: &Value, failures: &mut Vec<String>) {
    let r_se = theirs["se"].as_f64().unwrap();
    let r_n = theirs["replicates"].as_f64().unwrap();
    assert!(
        (ours.observed - theirs["observed"].as_f64().unwrap()).abs()
            < 1e-4 * ours.observed.abs().max(1e-6)
    );
    close(
        &format!("{what}.mean"),
        ours.mean,
        ours.mcse_mean,
        theirs["mean"].as_f64().unwrap(),
        r_se / r_n.sqrt(),
        failures,
    );
    let rel = (ours.se - r_se).abs() / r_se.max(1e-12);
    eprintln!(
        "{what}.se: rema {:.5} boot {r_se:.5} (rel {rel:.3})",
        ours.se
    );
    if rel > 0.10 {
        failures.push(format!("{what}.se"));
    }
    interval(
        &format!("{what}.percentile"),
        &ours.percentile,
        &theirs["percentile"],
        failures,
    );
    match (&ours.bca, theirs.get("bca")) {
        (Some(o), Some(t)) if !t.is_null() => interval(&format!("{what}.bca"), o, t, failures),
        (None, None) => {}
        (None, Some(t)) if t.is_null() => {}
        (o, t) => failures.push(format!("{what}.bca presence: rema {o:?}, boot {t:?}")),
    }
}

#[test]
fn bootstrap_agrees_with_boot_by_distribution() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let g: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("tests/golden/bootstrap.json")).unwrap(),
    )
    .unwrap();
    let table = Table::read_path(&root.join(g["csv"].as_str().unwrap())).unwrap();
    let mut failures = Vec::new();
    for case in g["cases"].as_array().unwrap() {
        let method = case["method"].as_str().unwrap();
        let kind = case["type"].as_str().unwrap();
        let mut spec = AnalysisSpec::new(g["measure"].as_str().unwrap().parse().unwrap());
        spec.method = method.parse().unwrap();
        spec.bootstrap = Some(4000);
        spec.bootstrap_type = kind.parse().unwrap();
        spec.seed = Some(2026);
        let r = analyze(&table, &spec, "test").unwrap();
        let b = r.bootstrap.as_ref().unwrap();
        assert_eq!((b.replicates, b.seed, b.kind.as_str()), (4000, 2026, kind));
        for (name, ours) in [
            ("estimate", &b.estimate),
            ("tau2", &b.tau2),
            ("i2", &b.i2),
            ("h2", &b.h2),
        ] {
            stat(
                &format!("{method} {kind} {name}"),
                ours,
                &case[name],
                &mut failures,
            );
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
}

/// The bootstrap of a meta-regression (`--mods ablat`) against
/// tests/golden/bootstrap_mods.json (tests/golden/bootstrap_mods.R: boot over
/// rma(yi, vi, mods = ~ ablat), R = 10,000), with the same tolerance as the
/// intercept-only cases above, for both coefficients, tau^2, I^2 and H^2.
#[test]
fn moderator_bootstrap_agrees_with_boot_by_distribution() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let g: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("tests/golden/bootstrap_mods.json")).unwrap(),
    )
    .unwrap();
    let table = Table::read_path(&root.join(g["csv"].as_str().unwrap())).unwrap();
    let mut failures = Vec::new();
    for case in g["cases"].as_array().unwrap() {
        let method = case["method"].as_str().unwrap();
        let kind = case["type"].as_str().unwrap();
        let mut spec = AnalysisSpec::new(g["measure"].as_str().unwrap().parse().unwrap());
        spec.method = method.parse().unwrap();
        spec.mods = vec![g["mods"].as_str().unwrap().to_string()];
        spec.bootstrap = Some(4000);
        spec.bootstrap_type = kind.parse().unwrap();
        spec.seed = Some(2026);
        let r = analyze(&table, &spec, "test").unwrap();
        let b = r.bootstrap.as_ref().unwrap();
        assert_eq!((b.replicates, b.seed, b.kind.as_str()), (4000, 2026, kind));
        let cs = b.coefficients.as_ref().unwrap();
        assert_eq!(cs[0].name, "intrcpt");
        assert_eq!(cs[1].name, "ablat");
        assert_eq!(b.estimate, cs[0].stat);
        for (name, ours) in [
            ("intrcpt", &cs[0].stat),
            ("ablat", &cs[1].stat),
            ("tau2", &b.tau2),
            ("i2", &b.i2),
            ("h2", &b.h2),
        ] {
            stat(
                &format!("{method} {kind} {name}"),
                ours,
                &case[name],
                &mut failures,
            );
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
}
