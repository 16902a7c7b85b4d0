//! rema against R metafor 3.8 on metafor's textbook datasets and edge cases
//! (tests/golden/core.json, made by tests/golden/core.R).
//!
//! Tolerances (rema::golden::Kind): 1e-6 relative for closed-form quantities,
//! 1e-4 for iterative ones (ML, REML, EB, PM and the Q-profile intervals).

use std::path::Path;

#[test]
fn every_golden_value_matches_metafor() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let comparisons = rema::golden::run_core(root).expect("golden suite runs");
    assert!(
        comparisons.len() > 5000,
        "only {} comparisons",
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
        "{} of {} comparisons fail",
        failures.len(),
        comparisons.len()
    );
}
