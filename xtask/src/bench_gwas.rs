//! `cargo xtask bench-gwas`: `rema gwas` against METAL on the synthetic GWAS
//! of docs/PERFORMANCE.md (the generator of the scale measurements,
//! `gen_gwas.py`, ported to Rust: the same distributions, its own random
//! stream), side by side in one run.
//!
//! ```text
//! cargo xtask bench-gwas [--cohorts 20] [--snps 1000000] [--dir DIR] [--keep]
//!                        [--metal BIN | --metal-src DIR] [--repeats 1]
//! cargo xtask gwas-data DIR [--cohorts C] [--snps M]   # the data only
//! ```
//!
//! METAL is built from a checkout of statgen/METAL (`--metal-src`, built with
//! cmake into DIR/build when cmake is on the PATH; METAL is never vendored)
//! or taken as a binary (`--metal`); without either only rema runs. rema is
//! `target/release/rema` (`cargo build --release -p rema-cli` first). Each
//! run is timed with `/usr/bin/time -v` (wall and peak RSS), inputs in the
//! page cache (a warm-up read first). METAL runs `ANALYZE HETEROGENEITY`
//! (FE + Q, two passes); rema the same script with `--random DL` (and REML
//! separately) on 1 and 2 threads, `--palindromic keep` (METAL's rule) so
//! that every column can be compared: the comparison counts markers whose
//! shared columns differ from METAL's by more than its printed precision.

use std::collections::HashMap;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use rema::data::gwas::analysis::format_g;

/// splitmix64: seeds and the stream of each cohort.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    fn int(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
    /// Box–Muller (one value per call; simple, not fast).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

const BASES: [char; 4] = ['A', 'C', 'G', 'T'];

fn complement(b: char) -> char {
    match b {
        'A' => 'T',
        'C' => 'G',
        'G' => 'C',
        _ => 'A',
    }
}

/// Writes `cohorts` files of `snps` markers (`cohort01.txt`, ...) as the
/// scale measurements' generator: 2% missing per cohort, 50% allele swaps,
/// 10% strand flips of non-palindromic SNPs, lower case in odd cohorts;
/// 99.9% null, 0.1% β ~ N(0, 0.05), 1% heterogeneous (τ = 0.03).
pub(crate) fn generate(dir: &Path, cohorts: usize, snps: usize, seed: u64) -> Result<Vec<PathBuf>> {
    fs::create_dir_all(dir)?;
    let mut rng = Rng(seed);
    let mut i1 = Vec::with_capacity(snps);
    let mut i2 = Vec::with_capacity(snps);
    let mut f = Vec::with_capacity(snps);
    let mut beta = Vec::with_capacity(snps);
    let mut tau = Vec::with_capacity(snps);
    for _ in 0..snps {
        let a = rng.int(0, 4) as usize;
        i1.push(a);
        i2.push((a + rng.int(1, 4) as usize) % 4);
        f.push(0.01 + 0.49 * rng.uniform());
        beta.push(if rng.uniform() < 0.001 {
            0.05 * rng.normal()
        } else {
            0.0
        });
        tau.push(if rng.uniform() < 0.01 { 0.03 } else { 0.0 });
    }
    let paths: Vec<PathBuf> = (0..cohorts)
        .map(|c| dir.join(format!("cohort{:02}.txt", c + 1)))
        .collect();
    paths
        .par_iter()
        .enumerate()
        .try_for_each(|(c, path)| -> Result<()> {
            let mut rng = Rng(seed ^ (0x5851_f42d_4c95_7f2d_u64.wrapping_mul(c as u64 + 1)));
            let n = rng.int(2000, 50000) as f64;
            let lower = (c + 1) % 2 == 1;
            let mut out = BufWriter::with_capacity(1 << 20, fs::File::create(path)?);
            writeln!(out, "MARKER\tALLELE1\tALLELE2\tFREQ\tEFFECT\tSTDERR")?;
            for s in 0..snps {
                let keep = rng.uniform() >= 0.02;
                let se = 1.0 / (2.0 * n * f[s] * (1.0 - f[s])).sqrt();
                let b = beta[s] + tau[s] * rng.normal() + se * rng.normal();
                let fr = (f[s] + 0.01 * rng.normal()).clamp(0.001, 0.999);
                let swap = rng.uniform() < 0.5;
                let palindromic = i1[s] + i2[s] == 3;
                let strand = rng.uniform() < 0.1 && !palindromic;
                if !keep {
                    continue;
                }
                let (mut a1, mut a2) = (BASES[i1[s]], BASES[i2[s]]);
                let (mut eff, mut freq) = (b, fr);
                if swap {
                    std::mem::swap(&mut a1, &mut a2);
                    eff = -eff;
                    freq = 1.0 - freq;
                }
                if strand {
                    a1 = complement(a1);
                    a2 = complement(a2);
                }
                if lower {
                    a1 = a1.to_ascii_lowercase();
                    a2 = a2.to_ascii_lowercase();
                }
                writeln!(
                    out,
                    "rs{}\t{a1}\t{a2}\t{}\t{}\t{}",
                    s + 1,
                    format_g(freq, 6),
                    format_g(eff, 6),
                    format_g(se, 6)
                )?;
            }
            out.flush()?;
            Ok(())
        })?;
    Ok(paths)
}

fn metal_script(files: &[PathBuf], out_prefix: &Path, het: bool) -> String {
    let mut s = String::from(
        "SCHEME STDERR\nMARKER MARKER\nALLELE ALLELE1 ALLELE2\nEFFECT EFFECT\nSTDERR STDERR\nFREQLABEL FREQ\nSEPARATOR TAB\n",
    );
    for f in files {
        s.push_str(&format!("PROCESS {}\n", f.display()));
    }
    s.push_str(&format!("OUTFILE {} .tbl\n", out_prefix.display()));
    s.push_str(if het {
        "ANALYZE HETEROGENEITY\n"
    } else {
        "ANALYZE\n"
    });
    s.push_str("QUIT\n");
    s
}

/// Wall seconds and peak RSS (MB) of one command, from `/usr/bin/time -v`.
fn timed(program: &Path, args: &[&str], log: &Path) -> Result<(f64, f64)> {
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(program)
        .args(args)
        .output()
        .with_context(|| format!("running {} under /usr/bin/time", program.display()))?;
    fs::write(log, [&out.stdout[..], &out.stderr[..]].concat())?;
    if !out.status.success() {
        bail!("{} failed; see {}", program.display(), log.display());
    }
    let text = String::from_utf8_lossy(&out.stderr);
    let mut wall = f64::NAN;
    let mut rss = f64::NAN;
    for line in text.lines() {
        let line = line.trim();
        if let Some(v) = line.strip_prefix("Elapsed (wall clock) time (h:mm:ss or m:ss): ") {
            let parts: Vec<f64> = v.split(':').filter_map(|p| p.parse().ok()).collect();
            wall = parts.iter().fold(0.0, |acc, p| acc * 60.0 + p);
        }
        if let Some(v) = line.strip_prefix("Maximum resident set size (kbytes): ") {
            rss = v.parse::<f64>().unwrap_or(f64::NAN) / 1024.0;
        }
    }
    Ok((wall, rss))
}

fn build_metal(src: &Path) -> Result<PathBuf> {
    let bin = src.join("build/metal/metal");
    if bin.exists() {
        return Ok(bin);
    }
    if Command::new("cmake").arg("--version").output().is_err() {
        bail!("cmake is not on the PATH; install it (apt-get install cmake) or pass --metal BIN");
    }
    let build = src.join("build");
    fs::create_dir_all(&build)?;
    let ok = Command::new("cmake")
        .args(["-DCMAKE_BUILD_TYPE=Release", ".."])
        .current_dir(&build)
        .status()?
        .success()
        && Command::new("make")
            .args(["-j2", "metal"])
            .current_dir(&build)
            .status()?
            .success();
    if !ok || !bin.exists() {
        bail!("building METAL in {} failed", build.display());
    }
    Ok(bin)
}

/// A table's header and its rows by marker.
type Table = (Vec<String>, HashMap<String, Vec<String>>);

/// Reads a METAL-format table into marker → fields.
fn read_table(path: &Path) -> Result<Table> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap_or("")
        .split('\t')
        .map(String::from)
        .collect();
    let rows = lines
        .map(|l| {
            let f: Vec<String> = l.split('\t').map(String::from).collect();
            (f[0].clone(), f)
        })
        .collect();
    Ok((header, rows))
}

/// Counts markers whose shared columns differ from METAL's beyond one unit of
/// its last printed digit (and the largest difference per column).
pub(crate) fn compare_tables(metal: &Path, rema: &Path) -> Result<String> {
    let (mh, m) = read_table(metal)?;
    let (rh, r) = read_table(rema)?;
    let mut report = format!("markers: METAL {}, rema {}\n", m.len(), r.len());
    let missing = m.keys().filter(|k| !r.contains_key(*k)).count();
    report.push_str(&format!(
        "markers in METAL's table but not rema's: {missing}\n"
    ));
    for (ci, name) in mh.iter().enumerate().skip(1) {
        let Some(ri) = rh.iter().position(|h| h == name) else {
            continue;
        };
        let (mut max, mut over, mut text_diff) = (0.0f64, 0usize, 0usize);
        for (k, mrow) in &m {
            let Some(rrow) = r.get(k) else { continue };
            let (a, b) = (&mrow[ci], &rrow[ri]);
            if a == b {
                continue;
            }
            match (a.parse::<f64>(), b.parse::<f64>()) {
                (Ok(x), Ok(y)) => {
                    // One unit of the last printed digit of METAL's value.
                    let unit = match a.split_once('.') {
                        Some((_, frac)) if !a.contains('e') => 10f64.powi(-(frac.len() as i32)),
                        _ => x.abs() * 1e-3,
                    };
                    let d = (x - y).abs();
                    max = max.max(d);
                    if d > unit * 1.0000001 {
                        over += 1;
                    }
                }
                _ => text_diff += 1,
            }
        }
        report.push_str(&format!(
            "  {name}: largest difference {max:.3e}, {over} beyond one printed unit, {text_diff} different text\n"
        ));
    }
    Ok(report)
}

pub(crate) fn bench_gwas(root: &Path, args: &[String]) -> Result<()> {
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
    };
    let cohorts: usize = value("--cohorts").map_or(Ok(20), |v| v.parse())?;
    let snps: usize = value("--snps").map_or(Ok(1_000_000), |v| v.parse())?;
    let repeats: usize = value("--repeats").map_or(Ok(1), |v| v.parse())?;
    let dir = value("--dir").map_or_else(
        || std::env::temp_dir().join("rema-bench-gwas"),
        PathBuf::from,
    );
    let keep = args.iter().any(|a| a == "--keep");
    let rema_bin = root.join("target/release/rema");
    if !rema_bin.exists() {
        bail!(
            "{} is missing: run `cargo build --release -p rema-cli` first",
            rema_bin.display()
        );
    }
    let data = dir.join(format!("c{cohorts}_m{snps}"));
    let files: Vec<PathBuf> = (0..cohorts)
        .map(|c| data.join(format!("cohort{:02}.txt", c + 1)))
        .collect();
    if files.iter().all(|f| f.exists()) {
        println!("using the data in {}", data.display());
    } else {
        let t0 = std::time::Instant::now();
        generate(&data, cohorts, snps, 20261201)?;
        println!(
            "generated {cohorts} × {snps} in {:.1} s into {}",
            t0.elapsed().as_secs_f64(),
            data.display()
        );
    }
    let bytes: u64 = files
        .iter()
        .map(|f| fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    println!("input: {:.1} MB", bytes as f64 / 1e6);
    // Warm the page cache.
    for f in &files {
        let _ = fs::read(f)?;
    }
    let metal = match (value("--metal"), value("--metal-src")) {
        (Some(bin), _) => Some(PathBuf::from(bin)),
        (None, Some(src)) => Some(build_metal(Path::new(src))?),
        (None, None) => {
            println!("no --metal or --metal-src: METAL is not run");
            None
        }
    };
    let out = dir.join("out");
    fs::create_dir_all(&out)?;
    let script = out.join("het.metal");
    fs::write(&script, metal_script(&files, &out.join("metal_het"), true))?;
    let script_fe = out.join("fe.metal");
    fs::write(
        &script_fe,
        metal_script(&files, &out.join("metal_fe"), false),
    )?;
    let mut rows: Vec<(String, f64, f64)> = Vec::new();
    let mut median = |label: &str, program: &Path, a: &[&str], log: &Path| -> Result<(f64, f64)> {
        let mut walls = Vec::new();
        let mut rss = 0.0f64;
        for _ in 0..repeats {
            let (w, r) = timed(program, a, log)?;
            walls.push(w);
            rss = rss.max(r);
        }
        let w = crate::bench_compare::median(walls);
        println!("{label:<44} {w:>8.2} s {rss:>8.0} MB");
        rows.push((label.to_string(), w, rss));
        Ok((w, rss))
    };
    let mut metal_het = None;
    if let Some(bin) = &metal {
        let s_fe = script_fe.display().to_string();
        let s_het = script.display().to_string();
        median("METAL FE", bin, &[&s_fe], &out.join("metal_fe.log"))?;
        metal_het = Some(median(
            "METAL FE + HETEROGENEITY",
            bin,
            &[&s_het],
            &out.join("metal_het.log"),
        )?);
    }
    let rema_script = out.join("rema.metal");
    fs::write(
        &rema_script,
        metal_script(&files, &out.join("rema_het"), true),
    )?;
    let rs = rema_script.display().to_string();
    let mut rema_runs = Vec::new();
    for (label, threads, random) in [
        ("rema FE + HET + DL, 1 thread", "1", "DL"),
        ("rema FE + HET + DL, 2 threads", "2", "DL"),
        ("rema FE + HET + DL + REML, 1 thread", "1", "DL,REML"),
        ("rema FE + HET + DL + REML, 2 threads", "2", "DL,REML"),
    ] {
        let a = [
            "gwas",
            "--script",
            &rs,
            "--random",
            random,
            "--palindromic",
            "keep",
            "--threads",
            threads,
        ];
        let r = median(
            label,
            &rema_bin,
            &a,
            &out.join(format!("rema_{threads}_{random}.log")),
        )?;
        let table = out.join("rema_het1.tbl");
        let copy = out.join(format!("rema_{threads}_{}.tbl", random.replace(',', "_")));
        fs::rename(&table, &copy)?;
        rema_runs.push((label, r, copy));
    }
    // Bit-identical output at 1 and 2 threads.
    let same = |a: &Path, b: &Path| -> Result<bool> { Ok(fs::read(a)? == fs::read(b)?) };
    println!(
        "1 vs 2 threads identical: DL {}, DL+REML {}",
        same(&rema_runs[0].2, &rema_runs[1].2)?,
        same(&rema_runs[2].2, &rema_runs[3].2)?
    );
    if let Some((mw, mrss)) = metal_het {
        for (label, (w, rss), _) in &rema_runs {
            println!(
                "{label}: {:.1}× METAL HET's speed, {:.2}× its memory",
                mw / w,
                rss / mrss
            );
        }
        println!(
            "{}",
            compare_tables(&out.join("metal_het1.tbl"), &rema_runs[0].2)?
        );
    }
    if !keep {
        fs::remove_dir_all(&out)?;
    }
    Ok(())
}

/// `cargo xtask gwas-data DIR [--cohorts C] [--snps M]`.
pub(crate) fn gwas_data(args: &[String]) -> Result<()> {
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
    };
    let Some(dir) = args.first() else {
        bail!("usage: cargo xtask gwas-data DIR [--cohorts C] [--snps M] [--seed S]");
    };
    let cohorts: usize = value("--cohorts").map_or(Ok(20), |v| v.parse())?;
    let snps: usize = value("--snps").map_or(Ok(1_000_000), |v| v.parse())?;
    let seed: u64 = value("--seed").map_or(Ok(20261201), |v| v.parse())?;
    generate(Path::new(dir), cohorts, snps, seed)?;
    Ok(())
}
