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

/// One cell of the grid timed: a method, k synthetic studies (seed 42),
/// their one-moderator design and the iterations to run.
struct Cell {
    method: Method,
    k: usize,
    yi: Vec<f64>,
    vi: Vec<f64>,
    one_moderator: Design,
    opts: FitOptions,
    n: u64,
}

/// DL and REML at k = 7, 50 and 1,000.
fn grid() -> impl Iterator<Item = Cell> {
    [Method::Dl, Method::Reml].into_iter().flat_map(|method| {
        [7usize, 50, 1000].into_iter().map(move |k| {
            let (yi, vi, xi) = studies(k, 42);
            let one_moderator =
                Design::from_row_major(k, 2, xi.iter().flat_map(|&x| [1.0, x]).collect())
                    .expect("design");
            Cell {
                method,
                k,
                yi,
                vi,
                one_moderator,
                opts: FitOptions::new(method),
                n: iterations_for(k),
            }
        })
    })
}

fn permutation(c: &mut Criterion) {
    let mut group = c.benchmark_group("permutation");
    group.sample_size(10);
    for cell in grid() {
        for (label, x) in [
            ("intercept", Design::intercept(cell.k)),
            ("one_moderator", cell.one_moderator),
        ] {
            let obs = fit_with_moderators(&cell.yi, &cell.vi, &x, &cell.opts).expect("fit");
            let perm = PermutationOptions {
                iterations: Iterations::Random(cell.n),
                seed: 1,
            };
            let run = || {
                permutest(
                    black_box(&cell.yi),
                    black_box(&cell.vi),
                    &x,
                    &cell.opts,
                    &obs,
                    &perm,
                    &Hooks::default(),
                )
                .expect("permutest")
            };
            // At k = 7 the intercept-only test is exact (2^7 = 128 <= 512
            // sign flips), as metafor would run it: count what is run.
            group.throughput(Throughput::Elements(run().iterations));
            let id = BenchmarkId::new(format!("{}/{label}", cell.method.name()), cell.k);
            group.bench_function(id, |b| b.iter(&run));
        }
    }
    group.finish();
}

fn bootstrap_bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("bootstrap");
    group.sample_size(10);
    for cell in grid() {
        let obs = fit_with_moderators(&cell.yi, &cell.vi, &Design::intercept(cell.k), &cell.opts)
            .expect("fit");
        group.throughput(Throughput::Elements(cell.n));
        // One moderator: case resampling of the meta-regression.
        let obs_mod =
            fit_with_moderators(&cell.yi, &cell.vi, &cell.one_moderator, &cell.opts).expect("fit");
        let b = BootstrapOptions {
            replicates: cell.n,
            seed: 1,
            kind: BootstrapType::Nonparametric,
        };
        let id = BenchmarkId::new(format!("{}/one_moderator", cell.method.name()), cell.k);
        group.bench_function(id, |bch| {
            bch.iter(|| {
                let (y, v) = (black_box(&cell.yi), black_box(&cell.vi));
                bootstrap_moderators(
                    y,
                    v,
                    &cell.one_moderator,
                    &cell.opts,
                    &obs_mod,
                    &b,
                    &Hooks::default(),
                )
                .expect("bootstrap")
            })
        });
        for kind in [BootstrapType::Nonparametric, BootstrapType::Parametric] {
            let b = BootstrapOptions {
                replicates: cell.n,
                seed: 1,
                kind,
            };
            let id = BenchmarkId::new(format!("{}/{}", cell.method.name(), kind.name()), cell.k);
            group.bench_function(id, |bch| {
                bch.iter(|| {
                    let (y, v) = (black_box(&cell.yi), black_box(&cell.vi));
                    bootstrap(y, v, &cell.opts, &obs, &b, &Hooks::default()).expect("bootstrap")
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, permutation, bootstrap_bench);
criterion_main!(benches);
