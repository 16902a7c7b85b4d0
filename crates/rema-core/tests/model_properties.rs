//! Property tests of the fitted model over random studies and random model
//! matrices (small integer moderators, so that ties, constant columns and
//! rank-deficient refits happen): every method gives a value or an error,
//! never a panic, and the methods agree with each other.

use proptest::prelude::*;
use rema_core::resample::Hooks;
use rema_core::{Design, Method, Resampling, Rma, Studies, Test};

fn case() -> impl Strategy<Value = (Vec<f64>, Vec<f64>, usize, Vec<f64>)> {
    (2usize..10, 1usize..4).prop_flat_map(|(k, p)| {
        (
            prop::collection::vec(-3.0..3.0f64, k),
            prop::collection::vec(0.001..2.0f64, k),
            Just(p),
            prop::collection::vec(0u8..4, k * (p - 1))
                .prop_map(|v| v.into_iter().map(f64::from).collect()),
        )
    })
}

fn design(k: usize, p: usize, mods: &[f64]) -> Design {
    let mut data = Vec::with_capacity(k * p);
    for i in 0..k {
        data.push(1.0);
        data.extend_from_slice(&mods[i * (p - 1)..(i + 1) * (p - 1)]);
    }
    Design::from_row_major(k, p, data).expect("k rows of p")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]

    #[test]
    fn every_follow_up_is_a_value_or_an_error(
        (yi, vi, p, mods) in case(),
        m in prop::sample::select(Method::ALL.to_vec()),
        t in prop::sample::select(vec![Test::Z, Test::Knha]),
    ) {
        let k = yi.len();
        let studies = Studies::new(&yi, &vi).unwrap();
        let x = design(k, p, &mods);
        let Ok(fit) = Rma::new(m).test(t).fit_mods(&studies, &x) else {
            return Ok(());
        };
        let fitted = fit.predict();
        if fit.is_intercept_only() {
            prop_assert_eq!(fitted.len(), 1);
            prop_assert!(fit.predict_new(&[1.0]).is_err());
        } else {
            prop_assert_eq!(fitted.len(), k);
            for (i, f) in fitted.iter().enumerate() {
                prop_assert_eq!(fit.predict_new(x.row(i)).unwrap(), *f);
                prop_assert_eq!(fit.predict_new(&x.row(i)[1..]).unwrap(), *f);
            }
        }
        let _ = fit.confint();
        if let Ok(inf) = fit.influence() {
            prop_assert_eq!(inf.len(), k);
        }
        if let Ok(loo) = fit.leave_one_out() {
            prop_assert_eq!(loo.len(), k);
            for (i, l) in loo.iter().enumerate() {
                prop_assert_eq!(l.omitted, i);
                if let Ok(f) = &l.fit {
                    prop_assert_eq!((f.k, f.p), (k - 1, p));
                }
            }
        }
        let order: Vec<usize> = (0..k).rev().collect();
        prop_assert_eq!(fit.cumulative(&order).is_ok(), fit.is_intercept_only());
        let _ = (fit.egger(), fit.rank_correlation(), fit.trim_and_fill(None));
        let hooks = Hooks::default();
        let _ = fit.permutest(&Resampling::random(20).seed(1), &hooks);
        let _ = fit.bootstrap(&Resampling::nonparametric(20).seed(2), &hooks);
        let _ = fit.bootstrap(&Resampling::parametric(20).seed(3), &hooks);
        let _ = fit.tau2_test(&Resampling::random(20).seed(4), &hooks);
    }
}
