//! The fitted-model API against R metafor 3.8 (tests/golden/model.json, from
//! tests/golden/model.R): predictions at new moderator values, fitted values,
//! influence diagnostics and leave-one-out refits of meta-regressions on
//! dat.bcg; then the methods against the free functions they wrap.
//!
//! Tolerances (as the workspace golden suites): 1e-6 relative for closed-form
//! fits (FE, DL), 1e-4 for iterative ones (REML); differences below 1e-10
//! count as zero.

mod common;

use common::{ablat, num, nums, rows, Case, ABLAT, ALLOC, VI, YI};
use rema_core::resample::bootstrap::{bootstrap, BootstrapOptions, BootstrapType};
use rema_core::resample::bootstrap_mods::bootstrap_moderators;
use rema_core::resample::heterogeneity::tau2_test;
use rema_core::resample::permutation::{permutest, permutest_subgroups, PermutationOptions};
use rema_core::resample::{Hooks, Iterations};
use rema_core::subgroup::{subgroups, SubgroupDesign};
use rema_core::{
    cumulative, egger, fit, fit_with_moderators, influence, leave_one_out, q_profile,
    rank_correlation, trim_and_fill, BackTransform, Design, Error, FitOptions, Level, Method,
    PooledSummary, Resampling, Rma, RmaFit, Studies, Test,
};
use serde_json::Value;

const ABS_FLOOR: f64 = 1e-10;

/// Collects disagreements so that one run reports all of them.
struct Checker {
    tol: f64,
    failures: Vec<String>,
    checked: usize,
}

impl Checker {
    fn close(&mut self, what: &str, actual: f64, expected: f64) {
        self.checked += 1;
        let d = (actual - expected).abs();
        let ok = if expected.is_nan() {
            actual.is_nan()
        } else {
            d <= ABS_FLOOR || d / expected.abs().max(ABS_FLOOR) <= self.tol
        };
        if !ok {
            self.failures
                .push(format!("{what}: rema {actual:e}, metafor {expected:e}"));
        }
    }
}

fn cases() -> Vec<Case> {
    common::cases("model", |c| {
        // A level of 90 is given as the proportion 0.9, as metafor reads it.
        let level = num(&c["level"]);
        Level::new(if level == 90.0 { 0.9 } else { level }).unwrap()
    })
}

fn checker(case: &Case) -> Checker {
    let tol = match case.fit.options().method {
        Method::Fe | Method::Dl => 1e-6,
        _ => 1e-4,
    };
    Checker {
        tol,
        failures: Vec::new(),
        checked: 0,
    }
}

fn finish(all: Vec<Checker>, at_least: usize) {
    let checked: usize = all.iter().map(|c| c.checked).sum();
    let failures: Vec<String> = all.into_iter().flat_map(|c| c.failures).collect();
    assert!(
        failures.is_empty(),
        "{} of {checked} disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked >= at_least, "only {checked} comparisons");
}

/// Runs `check` on every golden case with the case's checker, then asserts
/// that nothing disagreed and that at least `at_least` values were compared.
fn check_every_case(at_least: usize, check: impl Fn(&Case, &mut Checker)) {
    let mut all = Vec::new();
    for case in cases() {
        let mut c = checker(&case);
        check(&case, &mut c);
        all.push(c);
    }
    finish(all, at_least);
}

#[test]
fn fits_match_metafor() {
    check_every_case(6 * 7, |case, c| {
        let f = case.fit.fit();
        let g = &case.g["fit"];
        for (j, (b, se)) in nums(&g["beta"]).iter().zip(nums(&g["se"])).enumerate() {
            c.close(
                &format!("{} beta[{j}]", case.id),
                f.coefficients[j].estimate,
                *b,
            );
            c.close(&format!("{} se[{j}]", case.id), f.coefficients[j].se, se);
        }
        c.close(&format!("{} tau2", case.id), f.tau2, num(&g["tau2"]));
        c.close(&format!("{} QM", case.id), f.qm, num(&g["qm"]));
        c.close(&format!("{} QE", case.id), f.q, num(&g["qe"]));
    });
}

fn check_prediction(c: &mut Checker, what: &str, g: &Value, i: usize, p: [f64; 6]) {
    let names = ["pred", "se", "ci_lower", "ci_upper", "pi_lower", "pi_upper"];
    for (name, actual) in names.iter().zip(p) {
        match g.get(*name).and_then(Value::as_array) {
            // metafor gives no prediction interval for the common-effect
            // model: there it is the confidence interval (tau^2 = 0).
            Some(v) if v.is_empty() => {
                let ci = if *name == "pi_lower" { p[2] } else { p[3] };
                assert_eq!(actual, ci, "{what}[{i}].{name}");
            }
            Some(v) => c.close(&format!("{what}[{i}].{name}"), actual, num(&v[i])),
            None => {}
        }
    }
}

#[test]
fn predictions_at_new_moderator_values_match_metafor() {
    // 6 cases × 3 new rows × (6 + 5) values and 13 × 6 fitted values each,
    // less the prediction intervals metafor leaves out for the FE model.
    check_every_case(6 * (3 * 11 + 13 * 6) - (3 * 4 + 13 * 2), |case, c| {
        for (i, x0) in rows(&case.g["newmods"]).iter().enumerate() {
            // The moderator values alone: the intercept is added.
            let p = case.fit.predict_new(x0).unwrap();
            let what = format!("{} predict_new", case.id);
            let g = &case.g["predict_new"];
            let a = [p.pred, p.se, p.ci_lower, p.ci_upper, p.pi_lower, p.pi_upper];
            check_prediction(c, &what, g, i, a);
            // A full row of the model matrix gives the same prediction.
            let full: Vec<f64> = std::iter::once(1.0).chain(x0.iter().copied()).collect();
            assert_eq!(case.fit.predict_new(&full).unwrap(), p, "{what}");
            let t = p.back_transform(BackTransform::Exp, None);
            let what = format!("{} predict_new(transf = exp)", case.id);
            let g = &case.g["predict_new_exp"];
            let a = [
                t.pred,
                f64::NAN,
                t.ci_lower,
                t.ci_upper,
                t.pi_lower,
                t.pi_upper,
            ];
            check_prediction(c, &what, g, i, a);
        }
        let fitted = case.fit.predict();
        assert_eq!(fitted.len(), case.fit.studies().len());
        for (i, p) in fitted.iter().enumerate() {
            let what = format!("{} predict", case.id);
            let a = [p.pred, p.se, p.ci_lower, p.ci_upper, p.pi_lower, p.pi_upper];
            check_prediction(c, &what, &case.g["fitted"], i, a);
        }
    });
}

#[test]
fn influence_of_a_meta_regression_matches_metafor() {
    check_every_case(6 * 13 * 10, |case, c| {
        let inf = case.fit.influence().unwrap();
        let g = &case.g["influence"];
        let dfbetas = rows(&g["dfbetas"]);
        for (i, s) in inf.iter().enumerate() {
            let id = &case.id;
            // metafor's name, the key in model.json, rema's value.
            let stats = [
                ("rstudent", "rstudent", s.rstudent),
                ("dffits", "dffits", s.dffits),
                ("cook.d", "cook_d", s.cook_d),
                ("cov.r", "cov_r", s.cov_r),
                ("tau2.del", "tau2_del", s.tau2_del),
                ("QE.del", "qe_del", s.qe_del),
                ("hat", "hat", s.hat),
                ("weight", "weight", s.weight),
            ];
            for (name, key, value) in stats {
                c.close(&format!("{id} {name}[{i}]"), value, num(&g[key][i]));
            }
            for (j, d) in dfbetas[i].iter().enumerate() {
                c.close(&format!("{id} dfbetas[{i}][{j}]"), s.dfbetas[j], *d);
            }
            assert_eq!(
                s.influential,
                g["influential"][i].as_bool().unwrap(),
                "{id} influential[{i}]"
            );
        }
    });
}

#[test]
fn leave_one_out_of_a_meta_regression_matches_metafor() {
    check_every_case(6 * 13 * 19, |case, c| {
        let loo = case.fit.leave_one_out().unwrap();
        let g = &case.g["leave1out"];
        for (i, l) in loo.iter().enumerate() {
            assert_eq!(l.omitted, i);
            let id = format!("{} without study {i}", case.id);
            if g["beta"][i].is_null() {
                assert!(l.fit.is_err(), "{id}: metafor's refit failed");
                continue;
            }
            let f = l.fit.as_ref().unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(f.k, case.fit.studies().len() - 1);
            for (name, pick) in [
                (
                    "beta",
                    (|c| c.estimate) as fn(&rema_core::Coefficient) -> f64,
                ),
                ("se", |c| c.se),
                ("stat", |c| c.stat),
                ("pval", |c| c.pval),
                ("ci_lower", |c| c.ci_lower),
                ("ci_upper", |c| c.ci_upper),
            ] {
                for (j, e) in nums(&g[name][i]).iter().enumerate() {
                    c.close(&format!("{id} {name}[{j}]"), pick(&f.coefficients[j]), *e);
                }
            }
            for (name, actual) in [
                ("tau2", f.tau2),
                ("q", f.q),
                ("q_pval", f.q_pval),
                ("i2", f.i2),
                ("h2", f.h2),
                ("qm", f.qm),
                ("qm_pval", f.qm_pval),
            ] {
                c.close(&format!("{id} {name}"), actual, num(&g[name][i]));
            }
        }
    });
}

// The methods against the free functions they wrap, on dat.bcg.

fn opts(method: Method) -> FitOptions {
    FitOptions {
        method,
        test: Test::Knha,
        ..FitOptions::default()
    }
}

fn model(method: Method, x: Option<&Design>) -> RmaFit {
    let studies = Studies::new(&YI, &VI).unwrap();
    let rma = Rma::new(method).test(Test::Knha);
    match x {
        Some(x) => rma.fit_mods(&studies, x).unwrap(),
        None => rma.fit(&studies).unwrap(),
    }
}

#[test]
fn the_model_is_the_free_fit() {
    for m in [Method::Dl, Method::Reml, Method::Pm] {
        assert_eq!(*model(m, None).fit(), fit(&YI, &VI, &opts(m)).unwrap());
        let x = ablat();
        assert_eq!(
            *model(m, Some(&x)).fit(),
            fit_with_moderators(&YI, &VI, &x, &opts(m)).unwrap()
        );
    }
}

#[test]
fn follow_ups_equal_the_free_functions() {
    let hooks = Hooks::default();
    for m in [Method::Fe, Method::Dl, Method::Reml] {
        let o = opts(m);
        let int = model(m, None);
        let x1 = Design::intercept(13);
        let free = fit(&YI, &VI, &o).unwrap();
        assert_eq!(int.confint(), q_profile(&YI, &VI, &x1, &free));
        assert_eq!(int.influence(), influence(&YI, &VI, &x1, &free));
        let order: Vec<usize> = (0..13).rev().collect();
        assert_eq!(int.cumulative(&order), cumulative(&YI, &VI, &order, &o));
        assert_eq!(int.egger(), egger(&YI, &VI, &o));
        assert_eq!(int.rank_correlation(), rank_correlation(&YI, &VI));
        assert_eq!(int.trim_and_fill(None), trim_and_fill(&YI, &VI, &o, None));
        // Leave-one-out of the intercept-only model: the free function's rows.
        let rows = leave_one_out(&YI, &VI, &o).unwrap();
        for (a, b) in int.leave_one_out().unwrap().iter().zip(&rows) {
            assert_eq!(a.omitted, b.omitted);
            assert_eq!(a.fit.clone().map(|f| PooledSummary::from_fit(&f)), b.fit);
        }
        let x = ablat();
        let mods = model(m, Some(&x));
        let free = fit_with_moderators(&YI, &VI, &x, &o).unwrap();
        assert_eq!(mods.confint(), q_profile(&YI, &VI, &x, &free));
        assert_eq!(mods.influence(), influence(&YI, &VI, &x, &free));
        // Seeded resampling: the same bits as the free functions.
        let perm = PermutationOptions {
            iterations: Iterations::Random(300),
            seed: 42,
        };
        let run = Resampling::random(300).seed(42);
        assert_eq!(
            mods.permutest(&run, &hooks),
            permutest(&YI, &VI, &x, &o, &free, &perm, &hooks)
        );
        for common in [false, true] {
            let sg = int.subgroups(&ALLOC, 3, common).unwrap();
            assert_eq!(sg, subgroups(&YI, &VI, &ALLOC, 3, &o, common).unwrap());
            assert_eq!(
                int.permutest_subgroups(&sg, &run, &hooks),
                permutest_subgroups(
                    &SubgroupDesign {
                        yi: &YI,
                        vi: &VI,
                        groups: &ALLOC,
                        levels: 3,
                        opts: &o,
                        common_tau2: common
                    },
                    sg.q_between,
                    &perm,
                    &hooks
                )
            );
        }
        if m.is_random() {
            assert_eq!(
                mods.tau2_test(&run, &hooks),
                tau2_test(&YI, &VI, &x, &o, &free, 300, 42, &hooks)
            );
        }
        for kind in [BootstrapType::Nonparametric, BootstrapType::Parametric] {
            let b = BootstrapOptions {
                replicates: 200,
                seed: 7,
                kind,
            };
            let run = Resampling::bootstrap(200, kind).seed(7);
            assert_eq!(
                mods.bootstrap(&run, &hooks),
                bootstrap_moderators(&YI, &VI, &x, &o, &free, &b, &hooks)
            );
            let one = bootstrap(&YI, &VI, &o, int.fit(), &b, &hooks).unwrap();
            let via = int.bootstrap(&run, &hooks).unwrap();
            assert_eq!(via.coefficients, vec![one.estimate]);
            assert_eq!((via.tau2, via.i2, via.h2), (one.tau2, one.i2, one.h2));
            assert_eq!((via.replicates, via.failed, via.seed), (200, one.failed, 7));
            assert_eq!(via.notes, one.notes);
        }
    }
}

#[test]
fn moderated_leave_one_out_refits_with_the_moderators() {
    let x = ablat();
    let m = model(Method::Reml, Some(&x));
    for l in m.leave_one_out().unwrap() {
        let keep: Vec<usize> = (0..13).filter(|&j| j != l.omitted).collect();
        let y: Vec<f64> = keep.iter().map(|&j| YI[j]).collect();
        let v: Vec<f64> = keep.iter().map(|&j| VI[j]).collect();
        let direct = fit_with_moderators(&y, &v, &x.select_rows(&keep), &opts(Method::Reml));
        assert_eq!(l.fit, direct);
        assert_eq!(l.fit.unwrap().coefficients.len(), 2);
    }
}

#[test]
fn a_refit_without_a_dummy_level_keeps_its_error() {
    // Study 0 is the only one with the dummy set: without it the dummy is
    // constant (all zero) and the model matrix is rank deficient.
    let data: Vec<f64> = (0..13)
        .flat_map(|i| [1.0, if i == 0 { 1.0 } else { 0.0 }])
        .collect();
    let x = Design::from_row_major(13, 2, data).unwrap();
    let m = model(Method::Dl, Some(&x));
    let loo = m.leave_one_out().unwrap();
    assert_eq!(loo[0].fit, Err(Error::RankDeficient));
    assert!(loo[1..].iter().all(|l| l.fit.is_ok()));
}

#[test]
fn what_metafor_refuses_for_a_meta_regression_is_refused() {
    let m = model(Method::Reml, Some(&ablat()));
    let order: Vec<usize> = (0..13).collect();
    for e in [
        m.cumulative(&order).unwrap_err(),
        m.trim_and_fill(None).unwrap_err(),
        m.rank_correlation().unwrap_err(),
        m.egger().unwrap_err(),
        m.subgroups(&ALLOC, 3, false).unwrap_err(),
    ] {
        assert!(
            matches!(e, Error::InvalidOption { option: "mods", .. }),
            "{e}"
        );
    }
    let int = model(Method::Reml, None);
    assert!(matches!(
        int.predict_new(&[1.0]),
        Err(Error::InvalidOption {
            option: "newmods",
            ..
        })
    ));
}

#[test]
fn bad_new_moderator_values_name_the_option() {
    let m = model(Method::Dl, Some(&ablat()));
    for bad in [&[][..], &[1.0, 2.0, 3.0], &[f64::NAN]] {
        assert!(
            matches!(
                m.predict_new(bad),
                Err(Error::InvalidOption {
                    option: "newmods",
                    ..
                })
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn a_non_finite_moderator_names_the_study() {
    let studies = Studies::new(&YI, &VI).unwrap();
    let mut data: Vec<f64> = ABLAT.iter().flat_map(|&a| [1.0, a]).collect();
    data[2 * 4 + 1] = f64::INFINITY;
    let x = Design::from_row_major(13, 2, data).unwrap();
    let e = Rma::new(Method::Dl).fit_mods(&studies, &x).unwrap_err();
    assert!(matches!(
        e,
        Error::InvalidValue {
            study: 4,
            column: "mods",
            ..
        }
    ));
}

#[test]
fn the_wrong_resampling_kind_is_refused() {
    let m = model(Method::Dl, None);
    let hooks = Hooks::default();
    assert!(m
        .permutest(&Resampling::nonparametric(100), &hooks)
        .is_err());
    assert!(m.bootstrap(&Resampling::random(100), &hooks).is_err());
    assert!(m.tau2_test(&Resampling::exact(), &hooks).is_err());
}
