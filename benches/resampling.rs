//! Criterion benchmarks of the resampling loops: the permutation test
//! (intercept-only sign flips, and row permutations of one moderator) and the
//! bootstrap (nonparametric and parametric, intercept-only; nonparametric
//! with one moderator), with DL and REML at k = 7, 50
//! and 1,000. Throughput is reported in iterations (refits) per second.
//!
//! Run: `cargo bench --bench resampling` (RAYON_NUM_THREADS=1 for the
//! single-thread cost per iteration).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rema::core::resample::bootstrap::{bootstrap, BootstrapOptions, BootstrapType};
use rema::core::resample::bootstrap_mods::bootstrap_moderators;
use rema::core::resample::permutation::{permutest, PermutationOptions};
use rema::core::resample::{Hooks, Iterations};
use rema::core::{fit_with_moderators, Design, FitOptions, Method};

// The synthetic studies that `cargo xtask bench-compare` times as well.
use rema_golden::synthetic::studies;

fn iterations_for(k: usize) -> u64 {
    if k >= 1000 {
        64
    } else {
        512
    }
}

fn permutation(c: &mut Criterion) {
    let mut group = c.benchmark_group("permutation");
    group.sample_size(10);
    for method in [Method::Dl, Method::Reml] {
        for k in [7usize, 50, 1000] {
            let (yi, vi, xi) = studies(k, 42);
            let opts = FitOptions::new(method);
            let n = iterations_for(k);
            for (label, x) in [
                ("intercept", Design::intercept(k)),
                (
                    "one_moderator",
                    Design::from_row_major(k, 2, xi.iter().flat_map(|&x| [1.0, x]).collect())
                        .expect("design"),
                ),
            ] {
                let obs = fit_with_moderators(&yi, &vi, &x, &opts).expect("fit");
                let perm = PermutationOptions {
                    iterations: Iterations::Random(n),
                    seed: 1,
                };
                // At k = 7 the intercept-only test is exact (2^7 = 128 <= 512
                // sign flips), as metafor would run it: count what is run.
                let ran = permutest(&yi, &vi, &x, &opts, &obs, &perm, &Hooks::default())
                    .expect("permutest")
                    .iterations;
                group.throughput(Throughput::Elements(ran));
                group.bench_with_input(
                    BenchmarkId::new(format!("{}/{label}", method.name()), k),
                    &k,
                    |b, _| {
                        b.iter(|| {
                            permutest(
                                black_box(&yi),
                                black_box(&vi),
                                &x,
                                &opts,
                                &obs,
                                &perm,
                                &Hooks::default(),
                            )
                            .expect("permutest")
                        })
                    },
                );
            }
        }
    }
    group.finish();
}

fn bootstrap_bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("bootstrap");
    group.sample_size(10);
    for method in [Method::Dl, Method::Reml] {
        for k in [7usize, 50, 1000] {
            let (yi, vi, xi) = studies(k, 42);
            let opts = FitOptions::new(method);
            let obs = fit_with_moderators(&yi, &vi, &Design::intercept(k), &opts).expect("fit");
            let n = iterations_for(k);
            group.throughput(Throughput::Elements(n));
            // One moderator: case resampling of the meta-regression.
            let x = Design::from_row_major(k, 2, xi.iter().flat_map(|&x| [1.0, x]).collect())
                .expect("design");
            let obs_mod = fit_with_moderators(&yi, &vi, &x, &opts).expect("fit");
            let b = BootstrapOptions {
                replicates: n,
                seed: 1,
                kind: BootstrapType::Nonparametric,
            };
            group.bench_with_input(
                BenchmarkId::new(format!("{}/one_moderator", method.name()), k),
                &k,
                |bch, _| {
                    bch.iter(|| {
                        bootstrap_moderators(
                            black_box(&yi),
                            black_box(&vi),
                            &x,
                            &opts,
                            &obs_mod,
                            &b,
                            &Hooks::default(),
                        )
                        .expect("bootstrap")
                    })
                },
            );
            for kind in [BootstrapType::Nonparametric, BootstrapType::Parametric] {
                let b = BootstrapOptions {
                    replicates: n,
                    seed: 1,
                    kind,
                };
                group.bench_with_input(
                    BenchmarkId::new(format!("{}/{}", method.name(), kind.name()), k),
                    &k,
                    |bch, _| {
                        bch.iter(|| {
                            bootstrap(
                                black_box(&yi),
                                black_box(&vi),
                                &opts,
                                &obs,
                                &b,
                                &Hooks::default(),
                            )
                            .expect("bootstrap")
                        })
                    },
                );
            }
        }
    }
    group.finish();
}

criterion_group!(benches, permutation, bootstrap_bench);
criterion_main!(benches);
