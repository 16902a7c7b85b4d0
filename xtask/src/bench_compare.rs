//! `cargo xtask bench-compare`: rema's resampling against R metafor, side by
//! side, on the same generated data, from one run.
//!
//! 1. Generates k studies with one numeric moderator `x` (k = 7, 50, 1000)
//!    and writes them as CSV (`yi,vi,x`) to a temporary directory.
//! 2. When `Rscript` is found, runs `xtask/bench/metafor_timing.R` on each
//!    file for DL and REML: `permutest(rma(yi, vi, mods = ~ x), iter = N)`
//!    and `boot()` over `rma(..., data = d[i, ])`, median of 3 repeats (at
//!    k = 1000 only with `--r-large`: metafor takes minutes there).
//! 3. Runs rema's permutation test and nonparametric bootstrap of the same
//!    model on the same data in-process, on one thread (the per-iteration
//!    comparison) and on two (the parallel speed-up, with the outputs checked
//!    bit-identical): batches of back-to-back calls alternate between the
//!    two pools in ABBA order for a fixed time; medians, and the median of
//!    the per-pair ratios.
//! 4. Pools 100,000 generated studies by REML end to end from CSV.
//! 5. GOSH (`bench_gosh.rs`): every subset of k = 10 by DL and REML against
//!    metafor's `gosh()`, and all 2^20 − 1 subsets of k = 20 by REML.
//! 6. Three-level `rma.mv` (`bench_mv.rs`) at k = 1,000 and 10,000 against
//!    metafor's dense and sparse fits.
//!
//! `--gosh-only` and `--mv-only` run one workload alone.
//!
//! It measures an optimised build: run from a debug build, it re-runs
//! itself with `cargo run --release`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use rema::core::resample::bootstrap::{BootstrapOptions, BootstrapType};
use rema::core::resample::bootstrap_mods::bootstrap_moderators;
use rema::core::resample::permutation::{permutest, PermutationOptions};
use rema::core::resample::{Hooks, Iterations};
use rema::core::{fit_with_moderators, Design, FitOptions, Method};
use rema_golden::synthetic::studies;
use serde_json::Value;

pub(crate) fn write_csv(path: &Path, yi: &[f64], vi: &[f64], xi: &[f64]) -> Result<()> {
    let mut s = String::with_capacity(yi.len() * 64);
    s.push_str("study,yi,vi,x\n");
    for (i, ((y, v), x)) in yi.iter().zip(vi).zip(xi).enumerate() {
        // {:?} prints the shortest string that reads back to the same f64.
        let _ = writeln!(s, "s{},{y:?},{v:?},{x:?}", i + 1);
    }
    std::fs::write(path, s).with_context(|| format!("writing {}", path.display()))
}

pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

pub(crate) fn pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("building a thread pool")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Workload {
    Permutation,
    Bootstrap,
}

struct Data {
    yi: Vec<f64>,
    vi: Vec<f64>,
    x: Design,
}

impl Data {
    fn new(k: usize) -> Data {
        let (yi, vi, xi) = studies(k, 42);
        let x = Design::from_row_major(k, 2, xi.iter().flat_map(|&x| [1.0, x]).collect())
            .expect("k × 2 design");
        Data { yi, vi, x }
    }
}

/// Runs a workload once with `n` iterations; returns the iterations run and
/// a fingerprint of the output (for the bit-identity check).
fn run_once(d: &Data, method: Method, w: Workload, n: u64, seed: u64) -> (u64, String) {
    let opts = FitOptions::new(method);
    let obs = fit_with_moderators(&d.yi, &d.vi, &d.x, &opts).expect("observed fit");
    match w {
        Workload::Permutation => {
            let perm = PermutationOptions {
                iterations: Iterations::Random(n),
                seed,
            };
            let t = permutest(&d.yi, &d.vi, &d.x, &opts, &obs, &perm, &Hooks::default())
                .expect("permutest");
            (t.iterations, format!("{t:?}"))
        }
        Workload::Bootstrap => {
            let b = BootstrapOptions {
                replicates: n,
                seed,
                kind: BootstrapType::Nonparametric,
            };
            let r = bootstrap_moderators(&d.yi, &d.vi, &d.x, &opts, &obs, &b, &Hooks::default())
                .expect("bootstrap");
            (r.replicates, format!("{r:?}"))
        }
    }
}

/// Iterations per call: the 10,000 of a typical permutation test or
/// bootstrap (1,000 at k = 1000, where a call already takes 0.01–0.4 s), so
/// that the per-call set-up (the observed fit, the summaries) is the share
/// it is in use.
fn iterations_for(k: usize) -> u64 {
    match k {
        0..=100 => 10_000,
        _ => 1000,
    }
}

struct RemaFigures {
    one: f64,
    two: f64,
    /// Median of the paired one-thread / two-thread ratios.
    speedup: f64,
    /// Pairs of calls measured.
    pairs: usize,
    identical: bool,
}

fn rema_figures(d: &Data, method: Method, w: Workload, budget: Duration) -> Result<RemaFigures> {
    let n = iterations_for(d.yi.len());
    let (p1, p2) = (pool(1)?, pool(2)?);
    // Seconds per iteration over a batch of back-to-back calls (at least
    // 0.25 s), as a grid of analyses runs. The batch's first call is not
    // timed: it wakes the pool's threads, lets the other pool's idle worker
    // (which yields for a while before it sleeps, sharing a core) fall
    // asleep, and brings the cores up from idle, which on this VM takes
    // milliseconds.
    let batch = |p: &rayon::ThreadPool| {
        p.install(|| {
            run_once(d, method, w, n, 7);
            let t0 = Instant::now();
            let mut iters = 0u64;
            while t0.elapsed() < Duration::from_millis(250) {
                iters += run_once(d, method, w, n, 7).0;
            }
            t0.elapsed().as_secs_f64() / iters as f64
        })
    };
    // One- and two-thread batches alternate in ABBA order, so that a slow
    // spell of this shared machine falls on both members of a pair; the
    // speed-up is the median of the per-pair ratios.
    let (mut one, mut two, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
    let t0 = Instant::now();
    let mut i = 0;
    while t0.elapsed() < budget || i < 5 {
        let (a, b) = if i % 2 == 0 {
            let a = batch(&p1);
            (a, batch(&p2))
        } else {
            let b = batch(&p2);
            (batch(&p1), b)
        };
        one.push(a);
        two.push(b);
        ratio.push(a / b);
        i += 1;
    }
    let a = p1.install(|| run_once(d, method, w, n, 7).1);
    let b = p2.install(|| run_once(d, method, w, n, 7).1);
    Ok(RemaFigures {
        one: median(one),
        two: median(two),
        speedup: median(ratio),
        pairs: i,
        identical: a == b,
    })
}

pub(crate) fn rscript() -> Option<PathBuf> {
    let ok = Command::new("Rscript")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    ok.then(|| PathBuf::from("Rscript"))
}

/// metafor's (permutest, boot) seconds per iteration, or an error.
fn metafor(root: &Path, csv: &Path, method: Method, iter: u64, repeats: usize) -> Result<Value> {
    let (iter, repeats) = (iter.to_string(), repeats.to_string());
    let args = [method.name(), iter.as_str(), "1", repeats.as_str()];
    run_r(root, "metafor_timing.R", csv, &args)
}

/// Runs `xtask/bench/<script>` on `csv` with `args` and returns the last
/// JSON object it prints.
pub(crate) fn run_r(root: &Path, script: &str, csv: &Path, args: &[&str]) -> Result<Value> {
    let out = Command::new("Rscript")
        .arg(root.join("xtask/bench").join(script))
        .arg(csv)
        .args(args)
        .output()
        .context("running Rscript")?;
    if !out.status.success() {
        bail!("{script} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .with_context(|| format!("no JSON from {script}"))?;
    Ok(serde_json::from_str(line)?)
}

fn us(s: f64) -> String {
    let u = s * 1e6;
    if u >= 100.0 {
        format!("{u:.0} µs")
    } else if u >= 10.0 {
        format!("{u:.1} µs")
    } else {
        format!("{u:.2} µs")
    }
}

/// The CPU model and the number of CPUs.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let n = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {n} CPUs")
}

pub fn bench_compare(root: &Path, args: &[String]) -> Result<()> {
    if cfg!(debug_assertions) {
        // Timings of a debug build mean nothing: re-run optimised.
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["run", "--quiet", "--release", "--package", "xtask", "--"])
            .arg("bench-compare")
            .args(args)
            .current_dir(root)
            .status()
            .context("re-running bench-compare with cargo run --release")?;
        if !status.success() {
            bail!("bench-compare (release) failed");
        }
        return Ok(());
    }
    let quick = args.iter().any(|a| a == "--quick");
    let budget = Duration::from_secs_f64(if quick { 2.0 } else { 6.0 });
    let dir = std::env::temp_dir().join(format!("rema-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    println!(
        "rema {} bench-compare — {}; {}",
        env!("CARGO_PKG_VERSION"),
        machine(),
        dir.display()
    );
    let r = if args.iter().any(|a| a == "--no-r") {
        None
    } else {
        rscript()
    };
    if r.is_none() {
        println!("Rscript not found: rema's figures only (install R with metafor, boot and jsonlite for the comparison)");
    }
    if args.iter().any(|a| a == "--mv-only") {
        crate::bench_mv::mv(root, &dir, r.is_some(), quick)?;
        let _ = std::fs::remove_dir_all(&dir);
        return Ok(());
    }
    if args.iter().any(|a| a == "--gosh-only") {
        crate::bench_gosh::gosh(root, &dir, r.is_some(), quick)?;
        crate::bench_mv::mv(root, &dir, r.is_some(), quick)?;
        let _ = std::fs::remove_dir_all(&dir);
        return Ok(());
    }
    let methods = [Method::Dl, Method::Reml];
    let ks = [7usize, 50, 1000];
    let mut table = Vec::new();
    for &k in &ks {
        let d = Data::new(k);
        let csv = dir.join(format!("k{k}.csv"));
        let x: Vec<f64> = (0..k).map(|i| d.x.row(i)[1]).collect();
        write_csv(&csv, &d.yi, &d.vi, &x)?;
        for method in methods {
            // metafor at k = 1000 takes minutes (REML permutest: about
            // 0.1 s per iteration on 2 shared cores); only with --r-large.
            let r_large = args.iter().any(|a| a == "--r-large");
            let r_fig = if r.is_some() && (k <= 100 || r_large) {
                // metafor costs ms per iteration at k = 50 (more at 1000).
                let iter = match k {
                    0..=100 => 200,
                    _ => 20,
                };
                match metafor(root, &csv, method, iter, if k > 100 { 1 } else { 3 }) {
                    Ok(v) => Some((
                        v["permutest_ms"].as_f64().unwrap_or(f64::NAN) / 1e3,
                        v["boot_ms"].as_f64().unwrap_or(f64::NAN) / 1e3,
                    )),
                    Err(e) => {
                        println!("metafor k={k} {}: {e:#}", method.name());
                        None
                    }
                }
            } else {
                None
            };
            for (wi, w) in [Workload::Permutation, Workload::Bootstrap]
                .into_iter()
                .enumerate()
            {
                let f = rema_figures(&d, method, w, budget)?;
                let m = r_fig.map(|(p, b)| if wi == 0 { p } else { b });
                table.push((k, method, w, f, m));
            }
        }
    }
    println!(
        "\nPer iteration, one moderator (yi ~ 1 + x). rema: calls of 10,000 iterations (1,000 at k = 1000), one- and two-thread batches of back-to-back calls (0.25 s, first call untimed) alternating (ABBA) for {:.0} s per workload (at least 5 pairs); medians of the batches, speed-up = median of the per-pair ratios. metafor: median of 3 (1 at k = 1000).\n",
        budget.as_secs_f64()
    );
    println!(
        "{:>5} {:<5} {:<12} {:>12} {:>12} {:>9} {:>12} {:>8} {:>6} {:>9}",
        "k",
        "tau2",
        "workload",
        "metafor",
        "rema 1 thr",
        "ratio",
        "rema 2 thr",
        "speedup",
        "pairs",
        "identical"
    );
    let mut below = Vec::new();
    for (k, method, w, f, m) in &table {
        let ratio = m.map(|m| m / f.one);
        if *k == 50 {
            if let Some(r) = ratio {
                if r < 1000.0 {
                    below.push(format!("{} {:?} {r:.0}x", method.name(), w));
                }
            }
        }
        println!(
            "{:>5} {:<5} {:<12} {:>12} {:>12} {:>9} {:>12} {:>7.2}x {:>6} {:>9}",
            k,
            method.name(),
            match w {
                Workload::Permutation => "permutation",
                Workload::Bootstrap => "bootstrap",
            },
            m.map_or("-".to_string(), |m| format!("{:.3} ms", m * 1e3)),
            us(f.one),
            ratio.map_or("-".to_string(), |r| format!("{r:.0}x")),
            us(f.two),
            f.speedup,
            f.pairs,
            if f.identical { "yes" } else { "NO" }
        );
    }
    // Scaling: cost per iteration over k.
    println!("\nScaling in k (rema, one thread, µs per iteration / k = ns per study):");
    for method in methods {
        for w in [Workload::Permutation, Workload::Bootstrap] {
            let mut line = format!("  {:<5} {:<12}", method.name(), format!("{w:?}"));
            for (k, _, _, f, _) in table
                .iter()
                .filter(|(_, m, ww, _, _)| *m == method && *ww == w)
            {
                let _ = write!(line, "  k={k}: {:.1} ns/study", f.one * 1e9 / *k as f64);
            }
            println!("{line}");
        }
    }

    // 100,000 studies by REML, end to end from CSV (in-process).
    let big_k = 100_000;
    let (yi, vi, xi) = studies(big_k, 9);
    let big = dir.join("big.csv");
    write_csv(&big, &yi, &vi, &xi)?;
    let mut times = Vec::new();
    for _ in 0..3 {
        let t0 = Instant::now();
        let table = rema::data::Table::read_path(&big).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut spec = rema::data::AnalysisSpec::new(rema::core::Measure::Gen);
        spec.method = rema::data::Model::default();
        let r = rema::data::analyze(&table, &spec, "bench").map_err(|e| anyhow::anyhow!("{e}"))?;
        std::hint::black_box(&r);
        times.push(t0.elapsed().as_secs_f64());
    }
    println!(
        "\n100,000 studies, REML, read CSV + pool + result (in-process): median {:.3} s of 3\n  (the binary: time rema analyze {} --measure GEN --method REML)",
        median(times),
        big.display()
    );

    crate::bench_gosh::gosh(root, &dir, r.is_some(), quick)?;

    let slowest = table
        .iter()
        .filter(|t| t.0 == 50)
        .map(|t| t.3.speedup)
        .fold(f64::INFINITY, f64::min);
    println!("\nSmallest 2-thread speed-up at k = 50: {slowest:.2}x");
    let par_bad: Vec<_> = table.iter().filter(|t| !t.3.identical).collect();
    if !par_bad.is_empty() {
        bail!("outputs differ between 1 and 2 threads");
    }
    if r.is_some() {
        if below.is_empty() {
            println!("\nEvery ratio at k = 50 is at least 1000x.");
        } else {
            println!("\nBelow 1000x at k = 50: {}", below.join(", "));
        }
    }
    if !args.iter().any(|a| a == "--keep") {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

/// `cargo xtask bench-loop <permutation|bootstrap> <DL|REML> <iterations> [k] [threads]`:
/// one workload once (on one thread unless told), for a profiler
/// (`valgrind --tool=callgrind target/release/xtask bench-loop permutation REML 2000`).
pub fn bench_loop(args: &[String]) -> Result<()> {
    let w = match args.first().map(String::as_str) {
        Some("permutation") => Workload::Permutation,
        Some("bootstrap") => Workload::Bootstrap,
        _ => {
            bail!("usage: bench-loop <permutation|bootstrap> <DL|REML> <iterations> [k] [threads]")
        }
    };
    let method: Method = args
        .get(1)
        .map_or("REML", String::as_str)
        .parse()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let n: u64 = args.get(2).map_or(Ok(2000), |s| s.parse())?;
    let k: usize = args.get(3).map_or(Ok(50), |s| s.parse())?;
    let d = Data::new(k);
    let t0 = Instant::now();
    let threads: usize = args.get(4).map_or(Ok(1), |s| s.parse())?;
    let (ran, _) = pool(threads)?.install(|| run_once(&d, method, w, n, 7));
    println!(
        "{w:?} {} k={k}, {threads} thread(s): {ran} iterations, {} per iteration",
        method.name(),
        us(t0.elapsed().as_secs_f64() / ran as f64)
    );
    Ok(())
}
