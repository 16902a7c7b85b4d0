//! rema against R metafor 3.8 for leave-one-out, influence, cumulative,
//! regtest/ranktest/trimfill and rma.glmm (tests/golden/{influence,bias,glmm}.json,
//! made by the R scripts of the same names).
//!
//! Tolerances (rema::golden::Kind): 1e-6 relative for closed-form quantities,
//! 1e-4 for iterative ones (ML, REML, EB, PM fits and the GLMM).

use std::path::Path;

use rema::golden::Comparison;

fn check(name: &str, comparisons: Result<Vec<Comparison>, String>, at_least: usize) {
    let comparisons = comparisons.unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        comparisons.len() >= at_least,
        "{name}: only {} comparisons",
        comparisons.len()
    );
    let failures: Vec<_> = comparisons.iter().filter(|c| !c.passes()).collect();
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
    assert!(
        failures.is_empty(),
        "{name}: {} of {} comparisons fail",
        failures.len(),
        comparisons.len()
    );
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn leave_one_out_influence_and_cumulative_match_metafor() {
    check(
        "influence.json",
        rema::golden_sensitivity::run_influence(root()),
        2000,
    );
}

#[test]
fn regtest_ranktest_and_trimfill_match_metafor() {
    check("bias.json", rema::golden_sensitivity::run_bias(root()), 150);
}

#[test]
fn glmm_matches_metafor() {
    check("glmm.json", rema::golden_sensitivity::run_glmm(root()), 50);
}
