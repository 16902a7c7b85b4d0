//! Property tests over random valid and invalid data: the invariants a
//! statistician relies on, and "an error, never a panic" for bad input.

use proptest::prelude::*;
use rema_core::effect::{BinaryStudy, ProportionStudy};
use rema_core::{effect_sizes, fit, EffectOptions, FitOptions, Measure, Method, StudyData, Test};

fn studies(max_k: usize) -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (2..max_k).prop_flat_map(|k| {
        (
            prop::collection::vec(-3.0..3.0f64, k),
            prop::collection::vec(0.001..2.0f64, k),
        )
    })
}

fn method() -> impl Strategy<Value = Method> {
    prop::sample::select(Method::ALL.to_vec())
}

fn test_kind() -> impl Strategy<Value = Test> {
    prop::sample::select(vec![Test::Z, Test::Knha])
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn results_do_not_depend_on_row_order((yi, vi) in studies(30), m in method(), t in test_kind(), seed in any::<u64>()) {
        let opts = FitOptions { method: m, test: t, ..FitOptions::default() };
        let a = fit(&yi, &vi, &opts);
        // A deterministic shuffle from the seed.
        let mut idx: Vec<usize> = (0..yi.len()).collect();
        let mut s = seed;
        for i in (1..idx.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            idx.swap(i, (s >> 33) as usize % (i + 1));
        }
        let y2: Vec<f64> = idx.iter().map(|&i| yi[i]).collect();
        let v2: Vec<f64> = idx.iter().map(|&i| vi[i]).collect();
        let b = fit(&y2, &v2, &opts);
        match (a, b) {
            (Ok(a), Ok(b)) => {
                // Iterative estimators stop at |Δτ²| ≤ 1e-5, so order can move the last digits.
                let tol = if matches!(m, Method::Ml | Method::Reml | Method::Eb) { 1e-4 } else { 1e-9 };
                prop_assert!(close(a.tau2, b.tau2, tol), "tau2 {} vs {}", a.tau2, b.tau2);
                prop_assert!(close(a.estimate().estimate, b.estimate().estimate, tol));
                prop_assert!(close(a.q, b.q, 1e-9));
            }
            (Err(a), Err(b)) => prop_assert_eq!(std::mem::discriminant(&a), std::mem::discriminant(&b)),
            (a, b) => prop_assert!(false, "one order fits, the other fails: {:?} / {:?}", a.is_ok(), b.is_ok()),
        }
    }

    #[test]
    fn shifting_every_effect_shifts_the_estimate_and_leaves_tau2((yi, vi) in studies(30), m in method(), shift in -5.0..5.0f64) {
        let opts = FitOptions::new(m);
        if let (Ok(a), Ok(b)) = (fit(&yi, &vi, &opts), fit(&yi.iter().map(|y| y + shift).collect::<Vec<_>>(), &vi, &opts)) {
            let tol = if matches!(m, Method::Ml | Method::Reml | Method::Eb) { 1e-4 } else { 1e-8 };
            prop_assert!(close(a.tau2, b.tau2, tol), "{m}: tau2 {} vs {}", a.tau2, b.tau2);
            prop_assert!(close(a.estimate().estimate + shift, b.estimate().estimate, tol));
        }
    }

    #[test]
    fn random_effects_equal_common_effect_when_tau2_is_zero((yi, vi) in studies(30), m in method()) {
        // Fisher scoring may legitimately fail to converge on random data (an
        // error that says so); those cases say nothing about this property.
        let re = fit(&yi, &vi, &FitOptions::new(m));
        prop_assume!(re.is_ok());
        let re = re.unwrap();
        if re.tau2 == 0.0 {
            let fe = fit(&yi, &vi, &FitOptions::new(Method::Fe)).unwrap();
            prop_assert!(close(re.estimate().estimate, fe.estimate().estimate, 1e-12));
            prop_assert!(close(re.estimate().se, fe.estimate().se, 1e-12));
        }
    }

    #[test]
    fn i2_lies_in_0_100_and_the_ci_contains_the_estimate((yi, vi) in studies(40), m in method(), t in test_kind()) {
        let r = fit(&yi, &vi, &FitOptions { method: m, test: t, ..FitOptions::default() });
        prop_assume!(r.is_ok());
        let r = r.unwrap();
        prop_assert!((0.0..=100.0).contains(&r.i2), "I2 {}", r.i2);
        // Under the common-effect model H² = Q/df (metafor), which may be below 1.
        prop_assert!(r.h2 >= 1.0 - 1e-12 || m == Method::Fe);
        prop_assert!(r.tau2 >= 0.0);
        let e = r.estimate();
        prop_assert!(e.ci_lower <= e.estimate && e.estimate <= e.ci_upper);
        let p = r.prediction();
        prop_assert!(p.pi_lower <= p.ci_lower + 1e-12 && p.ci_upper <= p.pi_upper + 1e-12);
    }

    #[test]
    fn no_nan_without_a_note((yi, vi) in studies(20), m in method(), t in test_kind()) {
        let r = fit(&yi, &vi, &FitOptions { method: m, test: t, ..FitOptions::default() });
        prop_assume!(r.is_ok());
        let r = r.unwrap();
        let e = r.estimate();
        let all = [e.estimate, e.se, e.pval, e.ci_lower, e.ci_upper, r.tau2, r.i2, r.h2, r.q, r.q_pval];
        prop_assert!(all.iter().all(|x| x.is_finite()) || !r.notes.is_empty(), "{all:?}");
    }

    /// Any floats at all, NaN and infinities included: an error or a result, never a panic.
    #[test]
    fn raw_floats_never_panic(yi in prop::collection::vec(prop::num::f64::ANY, 0..8), vi in prop::collection::vec(prop::num::f64::ANY, 0..8), m in method(), t in test_kind()) {
        let _ = fit(&yi, &vi, &FitOptions { method: m, test: t, ..FitOptions::default() });
    }

    #[test]
    fn raw_counts_never_panic(cells in prop::collection::vec((-5.0..50.0f64, -5.0..50.0f64, -5.0..50.0f64, -5.0..50.0f64), 0..6), add in prop::option::of(-1.0..2.0f64)) {
        let data = StudyData::Binary(cells.iter().map(|&(ai, bi, ci, di)| BinaryStudy { ai, bi, ci, di }).collect());
        for m in [Measure::Rr, Measure::Or, Measure::Rd] {
            if let Ok(es) = effect_sizes(m, &data, &EffectOptions { add, ..EffectOptions::default() }) {
                prop_assert!(es.yi.iter().chain(&es.vi).all(|x| x.is_finite()));
                let _ = fit(&es.yi, &es.vi, &FitOptions::default());
            }
        }
        let props = StudyData::Proportion(cells.iter().map(|&(x, n, _, _)| ProportionStudy { x, n }).collect());
        for m in [Measure::Pr, Measure::Pln, Measure::Plo, Measure::Pas, Measure::Pft] {
            let _ = effect_sizes(m, &props, &EffectOptions { add, ..EffectOptions::default() });
        }
    }
}
