//! The GOSH workloads of `cargo xtask bench-compare`: rema's
//! `resample::gosh` against metafor's `gosh()` on every subset of k = 10
//! generated studies (FE, DL and REML, per subset, one and two threads), and all
//! 2^20 − 1 subsets of k = 20 by REML (wall time, one and two threads, with
//! the outputs checked bit-identical). rema's sink folds every fit into a
//! checksum, so nothing is stored and nothing is optimised away.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use rema::core::resample::gosh::{Block, Subsets};
use rema::core::resample::Hooks;
use rema::core::{Method, Rma, Studies};
use rema_golden::synthetic::studies;

use crate::bench_compare::{median, pool, run_r, write_csv};

/// One rema sample: seconds per run, subsets, failed fits, and a checksum
/// of the bits. The clock runs inside the pool (entering a pool from
/// outside wakes a worker, tens of µs that a program pays once, not per
/// run), over as many back-to-back runs as fill `min_secs`.
fn run(
    yi: &[f64],
    vi: &[f64],
    method: Method,
    threads: usize,
    min_secs: f64,
) -> Result<(f64, u64, u64, u64)> {
    let fit = Rma::new(method).fit(&Studies::new(yi, vi)?)?;
    let pool = pool(threads)?;
    pool.install(|| {
        let t0 = Instant::now();
        let mut runs = 0u32;
        loop {
            let mut sum: u64 = 0;
            let g = fit.gosh(
                Subsets::All { max_size: None },
                &Hooks::default(),
                &mut |b: &Block| {
                    for f in b.fits() {
                        sum = sum
                            .rotate_left(5)
                            .wrapping_add(f.estimate.to_bits() ^ f.tau2.to_bits() ^ f.i2.to_bits());
                    }
                    Ok(())
                },
            )?;
            runs += 1;
            let secs = t0.elapsed().as_secs_f64();
            if secs >= min_secs {
                return Ok((secs / f64::from(runs), g.count, g.failed, sum));
            }
        }
    })
}

/// The median seconds per run of `repeats` samples and the checksum of the
/// last.
fn timed(
    yi: &[f64],
    vi: &[f64],
    method: Method,
    threads: usize,
    repeats: usize,
    min_secs: f64,
) -> Result<(f64, u64, u64, u64)> {
    let mut secs = Vec::new();
    let mut last = (0.0, 0, 0, 0);
    for _ in 0..repeats {
        last = run(yi, vi, method, threads, min_secs)?;
        secs.push(last.0);
    }
    Ok((median(secs), last.1, last.2, last.3))
}

/// Prints the GOSH comparison; `with_r` runs metafor too.
pub(crate) fn gosh(root: &Path, dir: &Path, with_r: bool, quick: bool) -> Result<()> {
    println!("\nGOSH: every subset (metafor gosh(); rema resample::gosh, the fits folded into a checksum).");
    println!(
        "{:>3} {:<5} {:>9} {:>14} {:>14} {:>9} {:>14} {:>8} {:>9}",
        "k",
        "tau2",
        "subsets",
        "metafor/subset",
        "rema 1 thr",
        "ratio",
        "rema 2 thr",
        "speedup",
        "identical"
    );
    let (yi, vi, xi) = studies(10, 17);
    let csv = dir.join("gosh_k10.csv");
    write_csv(&csv, &yi, &vi, &xi)?;
    let repeats = if quick { 3 } else { 11 };
    for method in [Method::Fe, Method::Dl, Method::Reml] {
        // metafor's median of 5 runs (3 for REML, 2.5 s a run).
        let r_repeats = match (quick, method) {
            (true, _) => "1",
            (false, Method::Reml) => "3",
            (false, _) => "5",
        };
        let r_ms = if with_r {
            match run_r(root, "gosh_timing.R", &csv, &[method.name(), r_repeats]) {
                Ok(v) => v["per_subset_ms"].as_f64(),
                Err(e) => {
                    println!("metafor gosh k=10 {}: {e:#}", method.name());
                    None
                }
            }
        } else {
            None
        };
        let one = timed(&yi, &vi, method, 1, repeats, 0.02)?;
        let two = timed(&yi, &vi, method, 2, repeats, 0.02)?;
        let per = |s: f64| s / one.1 as f64;
        println!(
            "{:>3} {:<5} {:>9} {:>14} {:>11.3} µs {:>9} {:>11.3} µs {:>7.2}x {:>9}",
            10,
            method.name(),
            one.1,
            r_ms.map_or("-".to_string(), |m| format!("{m:.3} ms")),
            per(one.0) * 1e6,
            r_ms.map_or("-".to_string(), |m| format!(
                "{:.0}x",
                m * 1e-3 / per(one.0)
            )),
            per(two.0) * 1e6,
            one.0 / two.0,
            if one.3 == two.3 { "yes" } else { "NO" }
        );
        anyhow::ensure!(
            one.3 == two.3,
            "GOSH output differs between 1 and 2 threads"
        );
    }
    let (yi, vi, _) = studies(20, 23);
    let reps = if quick { 1 } else { 3 };
    let one = timed(&yi, &vi, Method::Reml, 1, reps, 0.0)?;
    let two = timed(&yi, &vi, Method::Reml, 2, reps, 0.0)?;
    println!(
        "\nk = 20, REML, all {} subsets ({} fits failed): {:.2} s on one thread, {:.2} s on two ({:.2}x; median of {reps}); identical: {}",
        one.1,
        one.2,
        one.0,
        two.0,
        one.0 / two.0,
        if one.3 == two.3 { "yes" } else { "NO" }
    );
    anyhow::ensure!(
        one.3 == two.3,
        "GOSH output differs between 1 and 2 threads"
    );
    Ok(())
}
