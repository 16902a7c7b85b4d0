//! Edge cases of the core: errors are variants, never panics; degenerate
//! data give finite numbers with notes.

use rema_core::effect::{BinaryStudy, GenericStudy, ProportionStudy};
use rema_core::{
    effect_sizes, fit, Control, EffectOptions, Error, FitOptions, Measure, Method, StudyData, Test,
};

fn opts(method: Method) -> FitOptions {
    FitOptions::new(method)
}

/// dat.bcg's log risk ratios and variances, rounded: data on which the
/// iterative estimators need several steps.
const BCG_YI: [f64; 13] = [
    -0.89, -1.59, -1.35, -1.44, -0.22, -0.79, -1.62, 0.01, -0.47, -1.37, -0.34, 0.45, -0.02,
];
const BCG_VI: [f64; 13] = [
    0.33, 0.19, 0.42, 0.02, 0.05, 0.01, 0.22, 0.004, 0.06, 0.07, 0.01, 0.53, 0.07,
];

#[test]
fn zero_variance_is_an_error_naming_the_study() {
    let err = fit(&[0.1, 0.2], &[0.01, 0.0], &opts(Method::Dl)).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidVariance {
            study: 1,
            value: 0.0
        }
    );
}

#[test]
fn negative_variance_is_an_error() {
    let err = fit(&[0.1, 0.2], &[-0.01, 0.1], &opts(Method::Reml)).unwrap_err();
    assert!(matches!(err, Error::InvalidVariance { study: 0, .. }));
}

#[test]
fn non_finite_effect_is_an_error() {
    let err = fit(&[f64::NAN, 0.2], &[0.01, 0.1], &opts(Method::Reml)).unwrap_err();
    assert!(matches!(err, Error::InvalidEffect { study: 0, .. }));
}

#[test]
fn no_studies_is_an_error() {
    assert_eq!(
        fit(&[], &[], &opts(Method::Reml)).unwrap_err(),
        Error::NoStudies
    );
}

#[test]
fn one_study_gives_its_own_effect_with_a_note() {
    let r = fit(&[0.3], &[0.04], &opts(Method::Reml)).unwrap();
    assert_eq!(r.tau2, 0.0);
    assert!((r.estimate().estimate - 0.3).abs() < 1e-15);
    assert!((r.estimate().se - 0.2).abs() < 1e-15);
    assert!(r.notes.iter().any(|n| n.contains("only one study")));
}

#[test]
fn knapp_hartung_needs_two_studies() {
    let o = FitOptions {
        test: Test::Knha,
        ..opts(Method::Dl)
    };
    assert!(matches!(
        fit(&[0.3], &[0.04], &o).unwrap_err(),
        Error::TooFewStudies {
            k: 1,
            needed: 2,
            ..
        }
    ));
}

#[test]
fn identical_effects_give_zero_tau2_for_every_estimator() {
    for m in Method::ALL {
        let r = fit(&[0.4, 0.4, 0.4], &[0.01, 0.02, 0.03], &opts(m)).unwrap();
        assert_eq!(r.tau2, 0.0, "{m}");
        assert!(r.i2.is_finite() && r.h2.is_finite(), "{m}");
    }
}

#[test]
fn non_convergence_is_reported_not_hidden() {
    let (yi, vi) = (BCG_YI, BCG_VI);
    let o = FitOptions {
        control: Control {
            max_iter: 1,
            threshold: 1e-14,
            fallback: false,
            ..Control::default()
        },
        ..opts(Method::Reml)
    };
    let err = fit(&yi, &vi, &o).unwrap_err();
    assert!(
        matches!(err, Error::NotConverged { method: "REML", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("did not converge"));
}

#[test]
fn non_convergence_falls_back_to_step_halving_with_a_note() {
    let (yi, vi) = (BCG_YI, BCG_VI);
    // Two iterations are too few at stepadj 1; twenty at stepadj 0.5 suffice.
    let o = FitOptions {
        control: Control {
            max_iter: 2,
            ..Control::default()
        },
        ..opts(Method::Reml)
    };
    let r = fit(&yi, &vi, &o).unwrap();
    let full = fit(&yi, &vi, &opts(Method::Reml)).unwrap();
    assert!(
        (r.tau2 - full.tau2).abs() < 1e-4,
        "{} vs {}",
        r.tau2,
        full.tau2
    );
    assert!(
        r.notes.iter().any(|n| n.contains("REML did not converge")
            && n.contains(
                "converged when retried with step-halving (stepadj = 0.5, maxiter = 20)"
            )),
        "{:?}",
        r.notes
    );
}

#[test]
fn non_convergence_of_the_retry_falls_back_to_dl_with_a_note() {
    let (yi, vi) = (BCG_YI, BCG_VI);
    for m in [Method::Ml, Method::Reml, Method::Eb] {
        let o = FitOptions {
            control: Control {
                max_iter: 1,
                threshold: 1e-300,
                ..Control::default()
            },
            ..opts(m)
        };
        let r = fit(&yi, &vi, &o).unwrap();
        let dl = fit(&yi, &vi, &opts(Method::Dl)).unwrap();
        assert_eq!(r.tau2, dl.tau2, "{m}");
        assert!(
            r.estimate().estimate.is_finite() && r.estimate().se.is_finite(),
            "{m}"
        );
        assert!(
            r.notes
                .iter()
                .any(|n| n.contains(&format!("{m} did not converge"))
                    && n.contains("the DerSimonian-Laird estimate of tau^2 is used instead")),
            "{m}: {:?}",
            r.notes
        );
    }
}

#[test]
fn extreme_variance_ratio_is_noted() {
    let r = fit(
        &[0.1, 0.12, 0.5, -0.3],
        &[1e-8, 1e-2, 1.0, 1e4],
        &opts(Method::Reml),
    )
    .unwrap();
    assert!(r.estimate().estimate.is_finite());
    assert!(r.notes.iter().any(|n| n.contains("numerically unstable")));
}

#[test]
fn zero_events_in_one_arm_get_the_correction_and_a_note() {
    let data = StudyData::Binary(vec![
        BinaryStudy {
            ai: 0.0,
            bi: 20.0,
            ci: 3.0,
            di: 17.0,
        },
        BinaryStudy {
            ai: 2.0,
            bi: 18.0,
            ci: 5.0,
            di: 15.0,
        },
    ]);
    let es = effect_sizes(Measure::Rr, &data, &EffectOptions::default()).unwrap();
    assert_eq!(es.corrected, vec![0]);
    // log((0.5/21)/(3.5/21)) with 0.5 added to each cell.
    assert!((es.yi[0] - (0.5f64 / 3.5).ln()).abs() < 1e-12);
    assert!(es.notes[0].contains("0.5 added"));
}

#[test]
fn zero_events_without_correction_is_a_clear_error() {
    let data = StudyData::Binary(vec![BinaryStudy {
        ai: 0.0,
        bi: 20.0,
        ci: 3.0,
        di: 17.0,
    }]);
    let o = EffectOptions {
        add: Some(0.0),
        ..EffectOptions::default()
    };
    let err = effect_sizes(Measure::Rr, &data, &o).unwrap_err();
    assert!(
        matches!(err, Error::NonFiniteEffect { study: 0, .. }),
        "{err}"
    );
}

#[test]
fn events_above_total_are_rejected() {
    let data = StudyData::Proportion(vec![ProportionStudy { x: 12.0, n: 10.0 }]);
    let err = effect_sizes(Measure::Pr, &data, &EffectOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidValue {
                study: 0,
                column: "xi",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn wrong_data_for_measure_is_an_option_error() {
    let data = StudyData::Generic(vec![GenericStudy { yi: 0.1, vi: 0.1 }]);
    assert!(matches!(
        effect_sizes(Measure::Rr, &data, &EffectOptions::default()),
        Err(Error::InvalidOption { .. })
    ));
}

/// Regression (found by the raw-floats property test): overflowing data made
/// the t statistic NaN, and statrs's t distribution panics on NaN. Every
/// probability now goes through `rema_core::dist`, which is total.
#[test]
fn overflowing_data_never_reach_a_panicking_distribution() {
    let cases: [(&[f64], &[f64]); 3] = [
        (&[1e308, -1e308, 1e308], &[1e-300, 1e-300, 1e-300]),
        (&[1e308, 1e308], &[f64::MIN_POSITIVE, 1e300]),
        (&[-1.7e308, 1.7e308, 0.0], &[1e-320, 1e-320, 1e-320]),
    ];
    for (yi, vi) in cases {
        for m in Method::ALL {
            for t in [Test::Z, Test::Knha] {
                let _ = fit(
                    yi,
                    vi,
                    &FitOptions {
                        method: m,
                        test: t,
                        ..FitOptions::default()
                    },
                );
            }
        }
    }
}

/// Regression (fuzz target `estimators`): a test statistic so small that its
/// square is subnormal made statrs' χ² tail panic.
#[test]
fn subnormal_chi_square_statistic_does_not_panic() {
    let yi = [5.573587777438182e-223];
    let vi = [7.802133696584988e-122];
    for m in Method::ALL {
        let r = fit(&yi, &vi, &opts(m)).unwrap();
        assert_eq!(r.estimate().pval, 1.0, "{m}");
    }
    assert_eq!(rema_core::dist::chisq_sf(5e-324, 1.0), 1.0);
    assert_eq!(
        rema_core::dist::chisq_cdf(5e-324, 1.0).min(1e-100),
        rema_core::dist::chisq_cdf(5e-324, 1.0)
    );
}

/// Regression (fuzz target `estimators`): a Fisher-scoring step of -inf was
/// halved for ever while it kept tau^2 negative.
#[test]
fn infinite_negative_fisher_step_does_not_hang() {
    let yi = [8.006986627763368e-308, 2.2766220293680423e130];
    let vi = [7.346955619397389e-305, 2.03e-322];
    for m in [Method::Ml, Method::Reml, Method::Eb] {
        // An error or numbers; the point is that it returns.
        let _ = fit(&yi, &vi, &opts(m));
    }
}
