//! The golden suites: rema against R metafor (and the papers' formulas), one
//! test per reference file in tests/golden/, each made by the R script of the
//! same name and run by rema-golden's runner under its named tolerances
//! (crates/rema-golden/src/tolerance.rs). `cargo xtask goldens --check` runs
//! the same suites and prints the largest error per tolerance class.
//!
//! Each test also asserts the number of checks, so that a regenerated file
//! that lost cases fails.

use rema_golden::{runner, workspace_root, Entry};

fn suite(name: &str, at_least: usize) {
    let report = rema_golden::check(&workspace_root(), name).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("{}", report.summary());
    assert!(
        report.checks() >= at_least,
        "{name}: only {} checks",
        report.checks()
    );
}

/// rma() on metafor's textbook datasets and edge cases, every method × test.
#[test]
fn core() {
    suite("core", 22_264);
}

/// leave1out(), influence() and cumul(), and their meta-regression refits.
#[test]
fn influence() {
    suite("influence", 13_896);
}

/// regtest(), ranktest() and trimfill().
#[test]
fn bias() {
    suite("bias", 440);
}

/// rma.glmm(measure = "PLO").
#[test]
fn glmm() {
    suite("glmm", 190);
}

/// rma(mods = ~ formula), with fitstats(), se.tau2, confint(type = "PL"),
/// predict(newmods), fitted(), rstandard() and blup().
#[test]
fn formula() {
    suite("formula", 2_196);
}

/// rma.mv with nested random intercepts, confint, ranef, rstandard, and
/// robust() with metafor's CR1 and clubSandwich's CR2.
#[test]
fn mv() {
    suite("mv", 16_370);
}

/// anova(full, reduced) of rma.uni and rma.mv fits (`rema compare`),
/// test = "t" of rma.mv and rma.uni, predict.rma.mv(newmods =).
#[test]
fn mv_more() {
    suite("mv_more", 400);
}

/// The cluster wild bootstrap of rma.mv moderators against an R
/// implementation of Joshi et al. (2022), by distribution at three seeds.
#[test]
fn wild() {
    suite("wild", 100);
}

/// rma(mods = ...).
#[test]
fn moderators() {
    suite("moderators", 1_296);
}

/// Subgroups with separate and common tau^2.
#[test]
fn subgroups() {
    suite("subgroups", 1_767);
}

/// permutest(exact = TRUE).
#[test]
fn permutest() {
    suite("permutest", 172);
}

/// The bootstrap against boot, by distribution.
#[test]
fn bootstrap() {
    suite("bootstrap", 116);
}

/// The bootstrap of a meta-regression against boot, by distribution.
#[test]
fn bootstrap_mods() {
    suite("bootstrap_mods", 150);
}

/// The conversions to mean and SD against the papers' formulas and printed examples.
#[test]
fn conversions() {
    suite("conversions", 234);
}

/// `rema run` on the shipped plans (in process; crates/rema-cli/tests/run.rs
/// runs the binary on the same cases).
#[test]
fn plans() {
    suite("plans", 120);
}

/// The bootstrap of a meta-regression reports the intercept's distribution
/// as the pooled estimate's, identically.
#[test]
fn moderator_bootstrap_estimate_is_the_intercept() {
    let root = workspace_root();
    let suite = runner::load(&root, "bootstrap_mods").unwrap();
    assert_eq!(suite.cases.len(), 4);
    for case in &suite.cases {
        let doc = rema_golden::entry::document(&root, Entry::Analyze, case).unwrap();
        let b = &doc["bootstrap"];
        let intercept = &b["coefficients"][0];
        assert_eq!(intercept["name"], "intrcpt", "{}", case.id);
        let estimate = b["estimate"].as_object().expect("bootstrap.estimate");
        assert!(estimate.len() >= 6);
        for (k, v) in estimate {
            assert_eq!(&intercept[k], v, "{}: bootstrap.estimate.{k}", case.id);
        }
    }
}

#[test]
fn conversions_reject_bad_input_with_a_typed_error() {
    use rema::core::convert::{ci, luo2018, paired, se, wan2014, ConvertError};
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
