//! Criterion benchmarks of a single model fit (the baseline of every
//! resampling loop): DL and REML at k = 7, 50 and 1,000.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rema::core::{fit, FitOptions, Method};

/// Deterministic pseudo-random studies: effects around -0.5 with
/// heterogeneity, variances between 0.01 and 0.2 (a SplitMix64 stream, so the
/// data are the same on every machine).
pub fn studies(k: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut s = seed;
    let mut next = || {
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    let vi: Vec<f64> = (0..k).map(|_| 0.01 + 0.19 * next()).collect();
    let yi = vi
        .iter()
        .map(|v| -0.5 + (next() - 0.5) * 0.8 + (next() - 0.5) * v.sqrt())
        .collect();
    (yi, vi)
}

fn single_fit(c: &mut Criterion) {
    let mut group = c.benchmark_group("single_fit");
    for method in [Method::Dl, Method::Reml] {
        for k in [7usize, 50, 1000] {
            let (yi, vi) = studies(k, 42);
            let opts = FitOptions::new(method);
            group.throughput(Throughput::Elements(1));
            group.bench_with_input(BenchmarkId::new(method.name(), k), &k, |b, _| {
                b.iter(|| fit(black_box(&yi), black_box(&vi), &opts).expect("fit"))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, single_fit);
criterion_main!(benches);
