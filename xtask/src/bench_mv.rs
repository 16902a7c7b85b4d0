//! The multilevel workload of `cargo xtask bench-compare` (`--mv-only`):
//! rema's three-level `rma.mv` (REML, `random = ~ 1 | cluster/es`, 5 effects
//! per cluster) against metafor's `rma.mv`, dense and with `sparse = TRUE`,
//! at k = 1,000 and k = 10,000 effects on the same generated data
//! (`rema_golden::synthetic::three_level`).
//!
//! rema: the median of repeated fits in-process (building `MvData`, which
//! finds the blocks, and fitting), one thread. metafor
//! (`xtask/bench/mv_timing.R`): one dense fit and 3 sparse fits at
//! k = 1,000; at k = 10,000 one sparse fit and no dense fit (the dense
//! 10,000 × 10,000 marginal covariance is 800 MB and each REML iteration an
//! O(k³) solve: hours on this machine). The estimates are printed side by
//! side as a check that both fitted the same model.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use rema::core::mv::{rma_mv, MvData, MvOptions, RandomTerm};
use rema::core::Design;
use rema_golden::synthetic::three_level;

use crate::bench_compare::{median, pool, run_r};

fn write_csv(path: &Path, cluster: &[usize], yi: &[f64], vi: &[f64]) -> Result<()> {
    let mut s = String::with_capacity(yi.len() * 48);
    s.push_str("study,cluster,es,yi,vi\n");
    for i in 0..yi.len() {
        let _ = writeln!(
            s,
            "s{},c{},{},{:?},{:?}",
            i + 1,
            cluster[i],
            i + 1,
            yi[i],
            vi[i]
        );
    }
    std::fs::write(path, s).with_context(|| format!("writing {}", path.display()))
}

/// One rema fit: seconds, σ², β.
fn fit(cluster: &[usize], yi: &[f64], vi: &[f64]) -> Result<(f64, Vec<f64>, f64)> {
    let t0 = Instant::now();
    let c: Vec<String> = cluster.iter().map(|c| format!("c{c}")).collect();
    let e: Vec<String> = (0..yi.len())
        .map(|i| format!("c{}/{}", cluster[i], i + 1))
        .collect();
    let terms = vec![
        RandomTerm::from_labels("cluster", &c),
        RandomTerm::from_labels("cluster/es", &e),
    ];
    let data = MvData::new(yi, vi, Design::intercept(yi.len()), terms)?;
    let f = rma_mv(&data, &MvOptions::default())?;
    let secs = t0.elapsed().as_secs_f64();
    let s2 = f.components.iter().map(|c| c.sigma2).collect();
    Ok((secs, s2, f.coefficients[0].estimate))
}

fn fmt_s(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.2} s")
    } else {
        format!("{:.2} ms", s * 1e3)
    }
}

/// Runs the workload and prints a table; `r` says whether Rscript runs.
pub(crate) fn mv(root: &Path, dir: &Path, r: bool, quick: bool) -> Result<()> {
    println!(
        "\nthree-level rma.mv (REML, random = ~ 1 | cluster/es, 5 effects per cluster), one thread"
    );
    println!(
        "{:>7} {:>12} {:>14} {:>14} {:>10} {:>10}  estimates (rema | metafor)",
        "k", "rema", "metafor dense", "metafor sparse", "× dense", "× sparse"
    );
    let one = pool(1)?;
    for &k in &[1000usize, 10_000] {
        let (cluster, yi, vi) = three_level(k, 5, 2024);
        let csv = dir.join(format!("mv_k{k}.csv"));
        write_csv(&csv, &cluster, &yi, &vi)?;
        let repeats = match (quick, k) {
            (true, _) => 5,
            (false, 1000) => 41,
            (false, _) => 11,
        };
        let mut times = Vec::new();
        let mut est = (Vec::new(), 0.0);
        for _ in 0..repeats {
            let (t, s2, b) = one.install(|| fit(&cluster, &yi, &vi))?;
            times.push(t);
            est = (s2, b);
        }
        let rema_s = median(times);
        let (dense, sparse, r_est) = if r {
            let (dn, sn) = if k <= 1000 { ("1", "3") } else { ("0", "1") };
            match run_r(root, "mv_timing.R", &csv, &[dn, sn]) {
                Ok(v) => {
                    let times = |key: &str| -> Option<f64> {
                        let a: Vec<f64> = v[key]
                            .as_array()?
                            .iter()
                            .filter_map(|x| x.as_f64())
                            .collect();
                        (!a.is_empty()).then(|| median(a))
                    };
                    let s2: Vec<f64> = v["sigma2"]
                        .as_array()
                        .map(|a| a.iter().filter_map(|x| x.as_f64()).collect())
                        .unwrap_or_default();
                    let b = v["beta"][0].as_f64().unwrap_or(f64::NAN);
                    (times("dense_s"), times("sparse_s"), Some((s2, b)))
                }
                Err(e) => {
                    println!("metafor failed at k = {k}: {e}");
                    (None, None, None)
                }
            }
        } else {
            (None, None, None)
        };
        let show = |t: Option<f64>| t.map_or("—".to_string(), fmt_s);
        let ratio = |t: Option<f64>| t.map_or("—".to_string(), |t| format!("{:.0}×", t / rema_s));
        let est_text = |s2: &[f64], b: f64| {
            format!(
                "σ² {} β {b:.5}",
                s2.iter()
                    .map(|s| format!("{s:.5}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        println!(
            "{k:>7} {:>12} {:>14} {:>14} {:>10} {:>10}  {} | {}",
            fmt_s(rema_s),
            show(dense),
            show(sparse),
            ratio(dense),
            ratio(sparse),
            est_text(&est.0, est.1),
            r_est.map_or("—".to_string(), |(s2, b)| est_text(&s2, b)),
        );
    }
    if r {
        println!("metafor dense at k = 10,000 skipped: its 10,000 × 10,000 marginal covariance is 800 MB and each REML iteration an O(k³) solve");
    }
    Ok(())
}
