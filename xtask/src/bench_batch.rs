//! `cargo xtask bench-batch [--analyses N] [--skip-pymare] [--skip-1e7]`:
//! many meta-analyses at once, rema against PyMARE, side by side on the
//! same data.
//!
//! 1. Generates N analyses (default 10^6) × 10 studies as PyMARE's
//!    benchmark of the issue does: vᵢ ~ U(0.01, 0.2), yᵢ = 0.3 + N(0, vᵢ +
//!    0.05), from a fixed seed. Writes them as raw little-endian f64 files
//!    (`y.f64`, `v.f64`, analysis-major) for PyMARE and as a Parquet long
//!    table (`snp` i64, `study` i64, `yi`, `vi`) for `rema batch`.
//! 2. PyMARE 0.0.13 (installed with pip into a virtualenv under the bench
//!    folder when `python3 -m venv` works; skipped with a message
//!    otherwise): `DerSimonianLaird().fit` and
//!    `VarianceBasedLikelihoodEstimator(method="REML").fit` on the (K, D)
//!    arrays, fit time only (median of 3), OPENBLAS_NUM_THREADS=1, peak RSS.
//! 3. rema-core's batch API (`rema_core::batch::pool_batch`) on the same
//!    slices in memory, DL and REML, on 1 and 2 threads (median of 5).
//! 4. `rema batch` (release binary) end to end from the Parquet file to a
//!    Parquet output, DL and REML, 1 and 2 threads: wall time and peak RSS
//!    (`/usr/bin/time -v`).
//! 5. 10^7 analyses × 10 studies through the batch API, generated and pooled
//!    in blocks of 10^6 (memory flat), DL and REML on 1 thread: the pooling
//!    time summed over the blocks.
//! 6. The agreement with PyMARE: the largest relative difference of the
//!    estimates and the largest absolute difference of τ².
//!
//! It measures an optimised build: from a debug build it re-runs itself
//! with `cargo run --release` (and builds `rema` with `cargo build
//! --release -p rema-cli`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use rema::core::batch::{pool_batch, BatchOptions, BatchRow};
use rema::core::{FitOptions, Method};
use rema_arrow::output::{create, Column, OutputFormat};

use crate::bench_compare::{median, pool};

const K: usize = 10;

/// A splitmix64 stream with Box–Muller normals.
struct Gen(u64);

impl Gen {
    fn u(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (a, b) = (self.u().max(1e-300), self.u());
        (-2.0 * a.ln()).sqrt() * (2.0 * std::f64::consts::PI * b).cos()
    }
}

/// `d` analyses × K studies, analysis-major.
fn generate(d: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut g = Gen(seed);
    let mut y = Vec::with_capacity(d * K);
    let mut v = Vec::with_capacity(d * K);
    for _ in 0..d * K {
        let vi = 0.01 + 0.19 * g.u();
        y.push(0.3 + (vi + 0.05).sqrt() * g.normal());
        v.push(vi);
    }
    (y, v)
}

fn write_f64(path: &Path, x: &[f64]) -> Result<()> {
    let bytes: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

fn read_f64(path: &Path) -> Result<Vec<f64>> {
    let b = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(b.chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect())
}

fn write_parquet(path: &Path, y: &[f64], v: &[f64]) -> Result<()> {
    let mut w = create(Some(path), OutputFormat::Parquet)?;
    let names: Vec<String> = ["snp", "study", "yi", "vi"].map(String::from).to_vec();
    let block = 1 << 20;
    for start in (0..y.len()).step_by(block) {
        let end = (start + block).min(y.len());
        w.write(
            &names,
            &[
                Column::I64((start..end).map(|i| (i / K) as i64).collect()),
                Column::I64((start..end).map(|i| (i % K) as i64).collect()),
                Column::F64(y[start..end].to_vec()),
                Column::F64(v[start..end].to_vec()),
            ],
        )?;
    }
    w.finish()?;
    Ok(())
}

fn options(method: Method) -> BatchOptions {
    BatchOptions {
        fit: FitOptions::new(method),
        ..BatchOptions::default()
    }
}

/// Seconds of one `pool_batch` over the data on `threads` threads.
fn pool_once(y: &[f64], v: &[f64], method: Method, threads: usize) -> Result<(f64, Vec<BatchRow>)> {
    let d = y.len() / K;
    let offsets: Vec<usize> = (0..=d).map(|g| g * K).collect();
    let mut out = vec![BatchRow::default(); d];
    let p = pool(threads)?;
    let t0 = Instant::now();
    p.install(|| pool_batch(&offsets, y, v, &options(method), &mut out))?;
    Ok((t0.elapsed().as_secs_f64(), out))
}

const PYMARE: &str = r#"
import json, resource, sys, time
import numpy as np
from pymare.estimators import DerSimonianLaird, VarianceBasedLikelihoodEstimator
d, k, method, outdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
y = np.fromfile(outdir + "/y.f64", dtype="<f8").reshape(d, k).T.copy()
v = np.fromfile(outdir + "/v.f64", dtype="<f8").reshape(d, k).T.copy()
X = np.ones((k, 1))
times = []
for _ in range(3):
    est = DerSimonianLaird() if method == "DL" else VarianceBasedLikelihoodEstimator(method="REML")
    t0 = time.perf_counter()
    est.fit(y=y, v=v, X=X)
    times.append(time.perf_counter() - t0)
p = est.params_
np.asarray(p["fe_params"], dtype="<f8").reshape(-1).tofile(outdir + "/pymare_" + method + "_est.f64")
np.asarray(p["tau2"], dtype="<f8").reshape(-1).tofile(outdir + "/pymare_" + method + "_tau2.f64")
import pymare
print(json.dumps({"times": times, "version": pymare.__version__,
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"#;

/// The virtualenv's python with PyMARE, installing it when needed; `None`
/// (with the reason printed) when Python or pip is not available.
fn pymare_python(dir: &Path) -> Option<PathBuf> {
    let venv = dir.join("venv");
    let py = venv.join("bin/python");
    let ok = |p: &Path| {
        Command::new(p)
            .args(["-c", "import pymare"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if py.exists() && ok(&py) {
        return Some(py);
    }
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        println!("PyMARE skipped: `python3 -m venv` is not available (Debian: apt-get install python3-venv)");
        return None;
    }
    let installed = Command::new(&py)
        .args(["-m", "pip", "install", "--quiet", "pymare"])
        .status()
        .is_ok_and(|s| s.success());
    if !installed || !ok(&py) {
        println!(
            "PyMARE skipped: `pip install pymare` failed in {}",
            venv.display()
        );
        return None;
    }
    Some(py)
}

/// PyMARE's fit seconds (median of 3), peak RSS in MB, version.
fn run_pymare(py: &Path, dir: &Path, d: usize, method: &str) -> Result<(f64, f64, String)> {
    let script = dir.join("pymare_bench.py");
    std::fs::write(&script, PYMARE)?;
    let out = Command::new(py)
        .arg(&script)
        .args([d.to_string(), K.to_string(), method.to_string()])
        .arg(dir)
        .env("OPENBLAS_NUM_THREADS", "1")
        .env("OMP_NUM_THREADS", "1")
        .env("MKL_NUM_THREADS", "1")
        .output()
        .context("running PyMARE")?;
    if !out.status.success() {
        bail!("PyMARE failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let times: Vec<f64> = v["times"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x.as_f64()).collect())
        .unwrap_or_default();
    Ok((
        median(times),
        v["maxrss_kb"].as_f64().unwrap_or(f64::NAN) / 1024.0,
        v["version"].as_str().unwrap_or("?").to_string(),
    ))
}

/// Wall seconds and peak RSS (MB) of `rema batch` on the Parquet file.
fn run_cli(
    rema: &Path,
    input: &Path,
    out: &Path,
    method: &str,
    threads: usize,
) -> Result<(f64, f64)> {
    let time = Path::new("/usr/bin/time");
    let mut c = if time.exists() {
        let mut c = Command::new(time);
        c.arg("-v").arg(rema);
        c
    } else {
        Command::new(rema)
    };
    c.args(["batch"])
        .arg(input)
        .args(["--group", "snp", "--method", method, "--output"])
        .arg(out)
        .env("RAYON_NUM_THREADS", threads.to_string());
    let t0 = Instant::now();
    let o = c.output().context("running rema batch")?;
    let secs = t0.elapsed().as_secs_f64();
    if !o.status.success() {
        bail!("rema batch failed: {}", String::from_utf8_lossy(&o.stderr));
    }
    let err = String::from_utf8_lossy(&o.stderr);
    let rss = err
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|s| s.trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0);
    Ok((secs, rss))
}

pub fn bench_batch(root: &Path, args: &[String]) -> Result<()> {
    if cfg!(debug_assertions) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(&cargo)
            .args(["run", "--quiet", "--release", "--package", "xtask", "--"])
            .arg("bench-batch")
            .args(args)
            .current_dir(root)
            .status()
            .context("re-running bench-batch with cargo run --release")?;
        if !status.success() {
            bail!("bench-batch (release) failed");
        }
        return Ok(());
    }
    let flag = |name: &str| args.iter().any(|a| a == name);
    let d: usize = args
        .iter()
        .position(|a| a == "--analyses")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.parse())
        .transpose()
        .context("--analyses N")?
        .unwrap_or(1_000_000);
    let dir = root.join("target/bench-batch");
    std::fs::create_dir_all(&dir)?;
    println!(
        "bench-batch: {d} analyses x {K} studies; data in {}",
        dir.display()
    );
    let (y, v) = generate(d, 42);
    write_f64(&dir.join("y.f64"), &y)?;
    write_f64(&dir.join("v.f64"), &v)?;
    let parquet = dir.join("long.parquet");
    write_parquet(&parquet, &y, &v)?;

    // PyMARE.
    let mut pymare: Vec<(Method, f64, f64)> = Vec::new();
    if !flag("--skip-pymare") {
        if let Some(py) = pymare_python(&dir) {
            for m in [Method::Dl, Method::Reml] {
                match run_pymare(&py, &dir, d, m.name()) {
                    Ok((s, rss, ver)) => {
                        println!(
                            "PyMARE {ver} {:<4}: fit {s:.3} s (median of 3), peak RSS {rss:.0} MB",
                            m.name()
                        );
                        pymare.push((m, s, rss));
                    }
                    Err(e) => println!("PyMARE {}: {e}", m.name()),
                }
            }
        }
    }

    // rema-core's batch API in memory.
    println!("\nrema_core::batch::pool_batch in memory (median of 5):");
    println!(
        "{:<5} {:>10} {:>10} {:>12} {:>12}",
        "tau2", "1 thread", "2 threads", "vs PyMARE 1", "ns/study 1"
    );
    for m in [Method::Dl, Method::Reml] {
        let mut per = Vec::new();
        let mut rows = Vec::new();
        for threads in [1, 2] {
            let mut t = Vec::new();
            for _ in 0..5 {
                let (s, r) = pool_once(&y, &v, m, threads)?;
                t.push(s);
                rows = r;
            }
            per.push(median(t));
        }
        let ratio = pymare
            .iter()
            .find(|p| p.0 == m)
            .map_or("-".to_string(), |p| format!("{:.1}x", p.1 / per[0]));
        println!(
            "{:<5} {:>9.4}s {:>9.4}s {:>12} {:>12.2}",
            m.name(),
            per[0],
            per[1],
            ratio,
            per[0] * 1e9 / (d * K) as f64
        );
        // Agreement with PyMARE.
        let est = dir.join(format!("pymare_{}_est.f64", m.name()));
        let tau = dir.join(format!("pymare_{}_tau2.f64", m.name()));
        if pymare.iter().any(|p| p.0 == m) && est.exists() {
            let (pe, pt) = (read_f64(&est)?, read_f64(&tau)?);
            let mut de: f64 = 0.0;
            let mut dt: f64 = 0.0;
            let mut big = 0;
            for (i, r) in rows.iter().enumerate().take(pe.len().min(pt.len())) {
                de = de.max((r.estimate - pe[i]).abs() / pe[i].abs().max(1e-12));
                let t = (r.tau2 - pt[i]).abs();
                dt = dt.max(t);
                if t > 1e-4 {
                    big += 1;
                }
            }
            println!(
                "      agreement with PyMARE: estimates {de:.1e} relative (largest), tau2 {dt:.1e} absolute (largest); {big} analyses differ in tau2 by more than 1e-4"
            );
        }
    }

    // The CLI end to end.
    let rema = root.join("target/release/rema");
    let built = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--quiet", "--release", "-p", "rema-cli"])
        .current_dir(root)
        .status()
        .is_ok_and(|s| s.success());
    if built && rema.exists() {
        println!(
            "\nrema batch long.parquet --group snp -o out.parquet (wall, peak RSS; median of 3):"
        );
        for m in ["DL", "REML"] {
            for threads in [1, 2] {
                let mut t = Vec::new();
                let mut rss = 0.0f64;
                for _ in 0..3 {
                    let (s, r) = run_cli(&rema, &parquet, &dir.join("out.parquet"), m, threads)?;
                    t.push(s);
                    rss = rss.max(r);
                }
                println!(
                    "{m:<5} {threads} thread(s): {:.3} s, {rss:.0} MB",
                    median(t)
                );
            }
        }
    } else {
        println!("rema batch skipped: `cargo build --release -p rema-cli` failed");
    }

    // 10^7 analyses in blocks of 10^6.
    if !flag("--skip-1e7") {
        println!("\n10^7 analyses x {K} studies, pooled in blocks of 10^6 (pooling time summed):");
        for m in [Method::Dl, Method::Reml] {
            for threads in [1, 2] {
                let mut total = 0.0;
                for b in 0..10u64 {
                    let (yb, vb) = generate(1_000_000, 1000 + b);
                    total += pool_once(&yb, &vb, m, threads)?.0;
                }
                println!("{:<5} {threads} thread(s): {total:.3} s", m.name());
            }
        }
    }
    Ok(())
}
