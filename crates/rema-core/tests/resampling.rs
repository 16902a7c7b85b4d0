//! Resampling runs: identical at 1 and 2 threads for the same seed, stopped
//! by the cancellation flag, and reporting progress.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use common::{ablat, ALLOC, VI, YI};
use rema_core::resample::bootstrap::{bootstrap, BootstrapOptions, BootstrapType};
use rema_core::resample::heterogeneity::tau2_test;
use rema_core::resample::permutation::{permutest, permutest_subgroups, PermutationOptions};
use rema_core::resample::{Hooks, Iterations};
use rema_core::subgroup::SubgroupDesign;
use rema_core::{fit, fit_with_moderators, Design, Error, FitOptions, Method, Test};

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

/// Debug strings show every bit of every f64 that matters (shortest
/// round-trip representation), so equal strings mean identical results.
fn all_runs(method: Method) -> String {
    let opts = FitOptions {
        method,
        test: Test::Knha,
        ..FitOptions::default()
    };
    let hooks = Hooks::default();
    let x = ablat();
    let me = fit_with_moderators(&YI, &VI, &x, &opts).unwrap();
    let re = fit(&YI, &VI, &opts).unwrap();
    let perm = PermutationOptions {
        iterations: Iterations::Random(3000),
        seed: 42,
    };
    let a = permutest(&YI, &VI, &x, &opts, &me, &perm, &hooks).unwrap();
    let b = permutest(&YI, &VI, &Design::intercept(13), &opts, &re, &perm, &hooks).unwrap();
    let design = SubgroupDesign {
        yi: &YI,
        vi: &VI,
        groups: &ALLOC,
        levels: 3,
        opts: &opts,
        common_tau2: false,
    };
    let s = design.fit().unwrap();
    let c = permutest_subgroups(&design, s.q_between, &perm, &hooks).unwrap();
    let d = tau2_test(&YI, &VI, &x, &opts, &me, 2000, 42, &hooks).unwrap();
    let e = bootstrap(
        &YI,
        &VI,
        &opts,
        &re,
        &BootstrapOptions {
            replicates: 2500,
            seed: 42,
            kind: BootstrapType::Nonparametric,
        },
        &hooks,
    )
    .unwrap();
    let f = bootstrap(
        &YI,
        &VI,
        &opts,
        &re,
        &BootstrapOptions {
            replicates: 1500,
            seed: 7,
            kind: BootstrapType::Parametric,
        },
        &hooks,
    )
    .unwrap();
    format!("{a:?}\n{b:?}\n{c:?}\n{d:?}\n{e:?}\n{f:?}")
}

#[test]
fn seeded_runs_are_identical_at_one_and_two_threads() {
    for method in [Method::Dl, Method::Reml] {
        let one = in_pool(1, || all_runs(method));
        let two = in_pool(2, || all_runs(method));
        assert_eq!(one, two, "{method}");
        // And a different seed gives a different bootstrap.
        assert!(one.contains("seed: 42"));
    }
}

#[test]
fn cancellation_stops_a_run_and_progress_is_reported() {
    let opts = FitOptions::new(Method::Dl);
    let re = fit(&YI, &VI, &opts).unwrap();
    let last = AtomicU64::new(0);
    let progress = |done: u64, _total: u64| last.store(done, Ordering::Relaxed);
    let cancel = AtomicBool::new(false);
    let b = BootstrapOptions {
        replicates: 3000,
        seed: 1,
        kind: BootstrapType::Nonparametric,
    };
    let hooks = Hooks {
        progress: Some(&progress),
        cancel: Some(&cancel),
    };
    bootstrap(&YI, &VI, &opts, &re, &b, &hooks).unwrap();
    assert_eq!(last.load(Ordering::Relaxed), 3000);
    cancel.store(true, Ordering::Relaxed);
    let e = bootstrap(&YI, &VI, &opts, &re, &b, &hooks);
    assert!(
        matches!(
            e,
            Err(Error::Cancelled {
                done: 0,
                total: 3000
            })
        ),
        "{e:?}"
    );
}

/// On two threads progress only grows, ends at the total (the bootstrap's
/// jackknife refits are not counted), and a flag set part-way stops the
/// run with the count done so far.
#[test]
fn progress_grows_and_a_flag_stops_a_parallel_run_part_way() {
    let opts = FitOptions::new(Method::Reml);
    let re = fit_with_moderators(&YI, &VI, &ablat(), &opts).unwrap();
    let b = BootstrapOptions {
        replicates: 20_000,
        seed: 4,
        kind: BootstrapType::Nonparametric,
    };
    // The run on two threads, with the given hooks.
    let run = |hooks: &Hooks| {
        in_pool(2, || {
            rema_core::resample::bootstrap_mods::bootstrap_moderators(
                &YI,
                &VI,
                &ablat(),
                &opts,
                &re,
                &b,
                hooks,
            )
        })
    };
    let seen = std::sync::Mutex::new(Vec::new());
    let progress = |done: u64, total: u64| seen.lock().unwrap().push((done, total));
    let hooks = Hooks {
        progress: Some(&progress),
        cancel: None,
    };
    run(&hooks).unwrap();
    let seen = seen.into_inner().unwrap();
    assert!(seen.len() > 10, "{} reports", seen.len());
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "{seen:?}");
    assert!(seen.iter().all(|&(d, t)| t == 20_000 && d <= t));
    assert_eq!(seen.last(), Some(&(20_000, 20_000)));

    // Stop once a quarter is done.
    let cancel = AtomicBool::new(false);
    let stop_at = |done: u64, total: u64| {
        if done >= total / 4 {
            cancel.store(true, Ordering::Relaxed);
        }
    };
    let hooks = Hooks {
        progress: Some(&stop_at),
        cancel: Some(&cancel),
    };
    let e = run(&hooks);
    match e {
        Err(Error::Cancelled { done, total }) => {
            assert_eq!(total, 20_000);
            assert!((5_000..20_000).contains(&done), "{done}");
        }
        other => panic!("expected a cancelled run, got {other:?}"),
    }
}

#[test]
fn a_random_test_becomes_exact_when_enumeration_is_cheaper() {
    // k = 6 studies: 2^6 = 64 sign flips <= 1000 iterations, as metafor.
    let (y, v) = (&YI[..6], &VI[..6]);
    let opts = FitOptions::new(Method::Reml);
    let re = fit(y, v, &opts).unwrap();
    let t = permutest(
        y,
        v,
        &Design::intercept(6),
        &opts,
        &re,
        &PermutationOptions {
            iterations: Iterations::Random(1000),
            seed: 3,
        },
        &Hooks::default(),
    )
    .unwrap();
    assert!(t.exact);
    assert_eq!(t.iterations, 64);
    // Every p-value of an exact sign-flip test is a multiple of 1/64.
    assert_eq!((t.pval[0] * 64.0).fract(), 0.0);
}

/// The cluster wild bootstrap of a multilevel model gives the same p-values
/// at one and three threads (each replicate draws from its own stream), and
/// another seed gives other draws.
#[test]
fn wild_bootstrap_is_identical_at_any_thread_count() {
    use rema_core::mv::{rma_mv, MvData, MvOptions, RandomTerm};
    use rema_core::robust::RobustType;
    let k = 40;
    let yi: Vec<f64> = (0..k).map(|i| 0.1 * ((i * 7 % 11) as f64) - 0.3).collect();
    let vi: Vec<f64> = (0..k).map(|i| 0.02 + 0.01 * ((i % 3) as f64)).collect();
    let x: Vec<f64> = (0..k).flat_map(|i| [1.0, (i % 4) as f64]).collect();
    let labels: Vec<String> = (0..k).map(|i| format!("s{}", i / 4)).collect();
    let data = MvData::new(
        &yi,
        &vi,
        Design::from_row_major(k, 2, x).unwrap(),
        vec![RandomTerm::from_labels("study", &labels)],
    )
    .unwrap();
    let fit = rma_mv(&data, &MvOptions::default()).unwrap();
    let cluster: Vec<usize> = (0..k).map(|i| i / 4).collect();
    let run = |threads: usize, seed: u64| {
        in_pool(threads, || {
            fit.wild_bootstrap(
                &cluster,
                RobustType::Cr2,
                &[1],
                199,
                seed,
                &Hooks::default(),
            )
            .unwrap()
        })
    };
    let one = run(1, 11);
    assert_eq!(one, run(3, 11));
    assert_eq!((one.iterations, one.seed), (199, 11));
    assert!(one.pval > 0.0 && one.pval < 1.0);
    assert_ne!(format!("{one:?}"), format!("{:?}", run(1, 12)));
}
