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

/// A three-level data set of `k` effects in clusters of `per_cluster`
/// (the last one shorter), for the multilevel benchmark: `vi` in
/// [0.01, 0.1], `yi = 0.2 + u_c + u_e + e` with cluster effects
/// `u_c ~ N(0, 0.05)`, effect-level `u_e ~ N(0, 0.03)` and
/// `e ~ N(0, vi)`, drawn from rema's stream (`seed`, 0). Returns
/// `(cluster, yi, vi)`, clusters numbered from 0.
///
/// ```
/// let (c, yi, vi) = rema_golden::synthetic::three_level(12, 5, 7);
/// assert_eq!((c.len(), yi.len(), vi.len()), (12, 12, 12));
/// assert_eq!((c[4], c[5], c[11]), (0, 1, 2));
/// assert_eq!(rema_golden::synthetic::three_level(12, 5, 7).1, yi);
/// ```
pub fn three_level(k: usize, per_cluster: usize, seed: u64) -> (Vec<usize>, Vec<f64>, Vec<f64>) {
    let mut s = rema_core::resample::rng::Stream::new(seed, 0);
    let cluster: Vec<usize> = (0..k).map(|i| i / per_cluster.max(1)).collect();
    let n_clusters = cluster.last().map_or(0, |c| c + 1);
    let u: Vec<f64> = (0..n_clusters)
        .map(|_| 0.05f64.sqrt() * s.normal())
        .collect();
    let vi: Vec<f64> = (0..k).map(|_| 0.01 + 0.09 * s.next_f64()).collect();
    let yi = (0..k)
        .map(|i| 0.2 + u[cluster[i]] + 0.03f64.sqrt() * s.normal() + vi[i].sqrt() * s.normal())
        .collect();
    (cluster, yi, vi)
}
