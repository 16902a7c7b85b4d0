//! Deterministic synthetic studies for the benchmarks (`benches/resampling.rs`)
//! and `cargo xtask bench-compare`, so that both time the same data.

use rema_core::resample::rng::splitmix64;

/// `k` studies from SplitMix64 seeded with `seed`: `vi` in [0.01, 0.2], a
/// moderator `xi` in [10, 60], and `yi = −0.5 + 0.01·x + u + e` with
/// `u ~ U(−0.4, 0.4)` and `e ~ U(−½, ½)·√vi`. Returns `(yi, vi, xi)`.
///
/// ```
/// let (yi, vi, xi) = rema_golden::synthetic::studies(5, 42);
/// assert_eq!((yi.len(), vi.len(), xi.len()), (5, 5, 5));
/// assert_eq!(rema_golden::synthetic::studies(5, 42).0, yi);
/// assert!(vi.iter().all(|v| (0.01..=0.2).contains(v)));
/// ```
pub fn studies(k: usize, seed: u64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut s = seed;
    let mut next = || splitmix64(&mut s) as f64 / u64::MAX as f64;
    let vi: Vec<f64> = (0..k).map(|_| 0.01 + 0.19 * next()).collect();
    let xi: Vec<f64> = (0..k).map(|_| 10.0 + 50.0 * next()).collect();
    let yi = vi
        .iter()
        .zip(&xi)
        .map(|(v, x)| -0.5 + 0.01 * x + (next() - 0.5) * 0.8 + (next() - 0.5) * v.sqrt())
        .collect();
    (yi, vi, xi)
}
