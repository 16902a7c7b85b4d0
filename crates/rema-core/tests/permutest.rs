//! The permutation test with either statistic (metafor `permutest(res,
//! control = list(stat = "test" | "coef"))`) and its inversion into
//! confidence intervals (`permutest(res, permci = TRUE)`) against R metafor
//! 3.8.1 (tests/golden/permutest.json, from tests/golden/permutest.R).
//!
//! Tolerances:
//! - exact p-values are counts over the enumeration: the count (p × the
//!   number of arrangements whose refit succeeded, which both leave the
//!   others out) must be equal, and the p-value equal to 1e-15;
//! - random tests cannot share R's generator, so a seeded random p-value is
//!   compared with the exact one within 4 Monte Carlo standard errors,
//!   4·√(p(1 − p)/N) + 1/N;
//! - permutation CI bounds: metafor searches with `uniroot(tol =
//!   .Machine$double.eps^0.25)`, an absolute tolerance of 1.2e-4 on the
//!   coefficient's scale, so its default bounds are compared at 2.5e-4
//!   absolute (the tolerance on either side of the jump of the p-value).
//!   With `tol = 1e-10, maxiter = 1000`, metafor takes the same root-search
//!   steps as rema (same algorithm and tolerance, same p-values as counts),
//!   and those bounds are compared at 1e-7 relative (they agree to about
//!   1e-13; a margin is left because a jump moves with the last bits of the
//!   refits, which differ between R and rema). metafor's NA is rema's None.

mod common;

use common::{nums, Case};
use rema_core::resample::Hooks;
use rema_core::{Error, Level, Method, PermutationStat, Resampling, Rma, Studies};

/// The cases of permutest.json, each fit's coefficients checked against
/// metafor's.
fn cases() -> Vec<Case> {
    let cases = common::cases("permutest", |_| Level::default());
    for c in &cases {
        for (b, r) in c
            .fit
            .fit()
            .coefficients
            .iter()
            .zip(nums(&c.g["fit"]["beta"]))
        {
            assert!(
                (b.estimate - r).abs() <= 1e-6 * r.abs().max(1e-3),
                "{}: beta {} vs metafor {r}",
                c.id,
                b.estimate
            );
        }
    }
    cases
}

const STATS: [(PermutationStat, &str); 2] = [
    (PermutationStat::Test, "test"),
    (PermutationStat::Coef, "coef"),
];

/// Exact p-values of both statistics equal metafor's counts, among them
/// Follmann & Proschan's (1999) 10/256 for the pooled Peto log odds ratio
/// (metafor's tests/testthat/test_misc_permutest.r) and metafor's published
/// 0.0625 and (1, 0.0028) for dat.hine1989.
#[test]
fn exact_p_values_equal_metafors_counts() {
    let hooks = Hooks::default();
    let mut checked = 0;
    for c in cases() {
        let n = c.g["iterations"].as_u64().unwrap();
        for (stat, name) in STATS {
            let t = c
                .fit
                .permutest_with(&Resampling::exact(), stat, &hooks)
                .unwrap();
            let r = &c.g["permutest"][name];
            assert!(t.exact && t.iterations == n, "{} {name}: {t:?}", c.id);
            // metafor leaves a refit that fails out of the denominator, as rema.
            let valid = (n - t.failed) as f64;
            assert_eq!(valid, r["valid"].as_f64().unwrap(), "{} {name}", c.id);
            let counts: Vec<f64> = t.pval.iter().map(|p| (p * valid).round()).collect();
            assert_eq!(counts, nums(&r["count"]), "{} {name}: p {:?}", c.id, t.pval);
            for (a, b) in t.pval.iter().zip(nums(&r["pval"])) {
                assert!((a - b).abs() <= 1e-15, "{} {name}: p {a} vs {b}", c.id);
            }
            assert_eq!(
                (t.qm_pval * valid).round(),
                r["qm_count"].as_f64().unwrap(),
                "{} {name}: QM p {}",
                c.id,
                t.qm_pval
            );
            checked += 1;
        }
    }
    assert!(checked >= 16, "{checked}");
}

/// The published values of metafor's test suite, as literals.
#[test]
fn metafors_published_examples() {
    let hooks = Hooks::default();
    let cs = cases();
    let by = |id: &str| &cs.iter().find(|c| c.id == id).unwrap().fit;
    let fp = by("follmann_proschan_PETO_DL")
        .permutest_with(&Resampling::exact(), PermutationStat::Coef, &hooks)
        .unwrap();
    assert_eq!((fp.pval[0], fp.iterations), (10.0 / 256.0, 256));
    let hine = by("hine1989_RD_REML")
        .permutest(&Resampling::exact(), &hooks)
        .unwrap();
    assert_eq!(hine.pval[0], 0.0625);
    let m = by("hine1989_RD_REML_mod")
        .permutest(&Resampling::exact(), &hooks)
        .unwrap();
    assert_eq!(m.pval[0], 1.0);
    assert!((m.pval[1] - 0.0028).abs() < 5e-5, "{:?}", m.pval);
    let ci = by("follmann_proschan_PETO_DL")
        .permci(&Resampling::exact(), PermutationStat::Coef, &hooks)
        .unwrap();
    // metafor's test: ci.lb -0.3677, ci.ub -0.0020 (to its printed digits).
    assert!((ci.lower[0].unwrap() + 0.3677).abs() < 1e-4, "{ci:?}");
    assert!((ci.upper[0].unwrap() + 0.0020).abs() < 1e-4, "{ci:?}");
}

/// A seeded random test of either statistic, with fewer permutations than
/// the exact test needs, is within Monte Carlo error of metafor's exact
/// p-value.
#[test]
fn random_p_values_are_within_monte_carlo_error_of_the_exact_ones() {
    let hooks = Hooks::default();
    let mut checked = 0;
    for c in cases() {
        let Some(n) = c.g["mc_iterations"].as_u64() else {
            continue;
        };
        assert!(c.g["iterations"].as_u64().unwrap() > n, "{}", c.id);
        for (stat, name) in STATS {
            let run = Resampling::random(n).seed(20261201);
            let t = c.fit.permutest_with(&run, stat, &hooks).unwrap();
            assert!(!t.exact && t.iterations == n);
            let exact = nums(&c.g["permutest"][name]["pval"]);
            let exact_qm = c.g["permutest"][name]["qm_pval"].as_f64().unwrap();
            for (a, e) in t
                .pval
                .iter()
                .chain([&t.qm_pval])
                .zip(exact.iter().chain([&exact_qm]))
            {
                let tol = 4.0 * (e * (1.0 - e) / n as f64).sqrt() + 1.0 / n as f64;
                assert!(
                    (a - e).abs() <= tol,
                    "{} {name}: {a} vs exact {e} (tol {tol})",
                    c.id
                );
                checked += 1;
            }
            // Deterministic: the same seed gives the same p-values.
            assert_eq!(t, c.fit.permutest_with(&run, stat, &hooks).unwrap());
        }
    }
    assert!(checked >= 5, "{checked}");
}

/// Permutation CIs with exact enumeration against metafor's, at its default
/// uniroot tolerance and at tol = 1e-10 (see the module's tolerances).
#[test]
fn exact_permutation_cis_match_metafor() {
    let hooks = Hooks::default();
    let mut checked = 0;
    for c in cases()
        .iter()
        .filter(|c| !c.g["permutest"]["coef"]["permci_tight"].is_null())
    {
        for (stat, name) in STATS {
            let ci = c.fit.permci(&Resampling::exact(), stat, &hooks).unwrap();
            assert!(ci.exact, "{} {name}: {ci:?}", c.id);
            let r = &c.g["permutest"][name];
            for (bounds, side) in [(&ci.lower, "lower"), (&ci.upper, "upper")] {
                let tight = nums(&r["permci_tight"][side]);
                let default = nums(&r["permci_default"][side]);
                for (j, b) in bounds.iter().enumerate() {
                    // metafor's NA (its uniroot found no sign change) is
                    // rema's None, with a note saying why.
                    if tight[j].is_nan() {
                        assert!(default[j].is_nan(), "{} {name} {side} {j}", c.id);
                        assert!(b.is_none(), "{} {name} {side} {j}: {b:?}, metafor NA", c.id);
                        let what = format!("no {side} bound of coefficient {j}:");
                        assert!(ci.notes.iter().any(|n| n.contains(&what)), "{:?}", ci.notes);
                        checked += 1;
                        continue;
                    }
                    let b = b.unwrap_or_else(|| panic!("{} {name} {side} {j}: none", c.id));
                    assert!(
                        (b - tight[j]).abs() <= 1e-7 * tight[j].abs().max(1e-3),
                        "{} {name} {side} {j}: {b} vs metafor (tol 1e-10) {}",
                        c.id,
                        tight[j]
                    );
                    assert!(
                        (b - default[j]).abs() <= 2.5e-4,
                        "{} {name} {side} {j}: {b} vs metafor (default tol) {}",
                        c.id,
                        default[j]
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 8, "{checked}");
}

/// The same seed gives the same random-test bounds, and each bound is where
/// the one-sided p-value crosses α/2: the model shifted just inside the
/// bound is not rejected by the two-sided test at α.
#[test]
fn random_permutation_cis_are_deterministic() {
    let hooks = Hooks::default();
    let cs = cases();
    let fit = &cs.iter().find(|c| c.id == "bcg10_DL").unwrap().fit;
    let run = Resampling::random(400).seed(5);
    let a = fit.permci(&run, PermutationStat::Test, &hooks).unwrap();
    let b = fit.permci(&run, PermutationStat::Test, &hooks).unwrap();
    assert_eq!(a, b);
    assert!(!a.exact && a.iterations == 400 && a.seed == 5);
    let beta = fit.fit().coefficients[0].estimate;
    let (lo, hi) = (a.lower[0].unwrap(), a.upper[0].unwrap());
    assert!(lo < beta && beta < hi, "{a:?}");
    // Close to the Wald interval of this homogeneous-enough data set.
    let c = &fit.fit().coefficients[0];
    assert!((lo - c.ci_lower).abs() < 0.5 * (c.ci_upper - c.ci_lower));
}

/// Too few arrangements to reject at the level is an error naming the
/// option; a bootstrap run is refused.
#[test]
fn permci_refuses_what_cannot_reject() {
    let hooks = Hooks::default();
    let s = Studies::new(&[0.1, 0.4, 0.2, 0.3], &[0.02, 0.05, 0.03, 0.04]).unwrap();
    let fit = Rma::new(Method::Dl).fit(&s).unwrap();
    let e = fit.permci(&Resampling::exact(), PermutationStat::Coef, &hooks);
    assert!(
        matches!(&e, Err(Error::InvalidOption { option: "permutations", message }) if message.contains("16 arrangements")),
        "{e:?}"
    );
    let e = fit.permci(&Resampling::random(10), PermutationStat::Coef, &hooks);
    assert!(
        matches!(
            e,
            Err(Error::InvalidOption {
                option: "permutations",
                ..
            })
        ),
        "{e:?}"
    );
    let e = fit.permci(
        &Resampling::nonparametric(100),
        PermutationStat::Coef,
        &hooks,
    );
    assert!(
        matches!(
            e,
            Err(Error::InvalidOption {
                option: "resampling",
                ..
            })
        ),
        "{e:?}"
    );
}

/// The default statistic is the test statistic, and choosing it gives the
/// same result as `permutest`, bit for bit, random and exact.
#[test]
fn permutest_is_the_test_statistic() {
    let hooks = Hooks::default();
    for c in cases() {
        for run in [Resampling::random(200).seed(3), Resampling::exact()] {
            let a = c.fit.permutest(&run, &hooks).unwrap();
            let b = c
                .fit
                .permutest_with(&run, PermutationStat::Test, &hooks)
                .unwrap();
            assert_eq!(a, b, "{}", c.id);
            assert_eq!(PermutationStat::default(), PermutationStat::Test);
        }
    }
}

/// All five effects positive: with the coefficient as the statistic, only the
/// two sign vectors ±(1, …, 1) reach |β̂|, so the exact p-value is 2/32.
#[test]
fn coefficient_statistic_counts_the_extreme_sign_vectors() {
    let studies =
        Studies::new(&[0.1, 0.5, 0.2, 0.3, 0.4], &[0.02, 0.05, 0.03, 0.04, 0.02]).unwrap();
    let fit = Rma::new(Method::Dl).fit(&studies).unwrap();
    let t = fit
        .permutest_with(
            &Resampling::exact(),
            PermutationStat::Coef,
            &Hooks::default(),
        )
        .unwrap();
    assert_eq!((t.pval[0], t.stat), (2.0 / 32.0, PermutationStat::Coef));
}
