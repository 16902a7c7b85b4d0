//! The METAL golden suite: `tests/golden/gwas/` holds three generated cohort
//! files in three formats (`make_fixtures.py`), four METAL scripts, and
//! METAL's own tables and printed logs for them (`run_metal.sh`, statgen/METAL
//! ab5d191, "2020-05-05"). rema runs the same scripts (with
//! `--palindromic keep`, METAL's rule for A/T and C/G SNPs) and must give
//! the same markers, alleles, directions and degrees of freedom, every number
//! within one unit of METAL's last printed digit (tolerance: METAL's print
//! precision), and the same counts of dropped rows and the same λ.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rema_data::gwas::{parse_script, Drop, Gwas, GwasLog, Palindromic};

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/gwas")
}

fn table(text: &str) -> (Vec<String>, HashMap<String, Vec<String>>) {
    let mut lines = text.lines();
    let header = lines
        .next()
        .unwrap()
        .split('\t')
        .map(String::from)
        .collect();
    let rows = lines
        .map(|l| {
            let f: Vec<String> = l.split('\t').map(String::from).collect();
            (f[0].clone(), f)
        })
        .collect();
    (header, rows)
}

/// One unit of the last digit METAL printed in `s` (`%.Nf`, `%.4g`, or
/// its `m.mme-N` form of tiny p-values).
fn unit(s: &str) -> f64 {
    if let Some((mantissa, exp)) = s.split_once('e') {
        let decimals = mantissa.split_once('.').map_or(0, |(_, d)| d.len()) as i32;
        10f64.powi(exp.parse::<i32>().unwrap() - decimals)
    } else {
        let decimals = s.split_once('.').map_or(0, |(_, d)| d.len()) as i32;
        10f64.powi(-decimals)
    }
}

fn run(script: &str) -> (String, GwasLog) {
    let dir = suite();
    let text = std::fs::read_to_string(dir.join(script)).unwrap();
    let mut jobs = parse_script(&text, script, &dir).unwrap();
    assert_eq!(jobs.len(), 1);
    let mut job = jobs.remove(0);
    job.config.palindromic = Palindromic::Keep;
    let g = Gwas::read(job.config).unwrap();
    let mut out = Vec::new();
    let log = g.write(&mut out).unwrap();
    (String::from_utf8(out).unwrap(), log)
}

/// What METAL's printed log says about each file: rows with an invalid SE,
/// wrong field counts, duplicates, bad alleles, and λ.
#[derive(Debug, Default)]
struct MetalFile {
    invalid: u64,
    field_count: u64,
    duplicates: u64,
    bad_alleles: u64,
    lambda: Option<f64>,
}

fn metal_log(name: &str) -> Vec<MetalFile> {
    let text = std::fs::read_to_string(suite().join("metal").join(name)).unwrap();
    let mut files: Vec<MetalFile> = Vec::new();
    let number = |l: &str, before: &str| -> u64 {
        let i = l.find(before).unwrap();
        l[..i].split_whitespace().last().unwrap().parse().unwrap()
    };
    for l in text.lines() {
        // The heterogeneity pass re-reads the files.
        if l.contains("Running second pass") {
            break;
        }
        if l.starts_with("## Processing file") {
            files.push(MetalFile::default());
        }
        let Some(f) = files.last_mut() else { continue };
        if l.contains("Invalid standard error for marker")
            || l.contains("Invalid pvalue for marker")
        {
            f.invalid += 1;
        } else if l.contains("other markers also ignored") {
            f.invalid += number(l, " other markers");
        } else if l.contains("input lines were skipped") {
            f.field_count += number(l, " input lines");
        } else if l.contains("duplicated in input") {
            f.duplicates += 1;
        } else if l.contains("rows with duplicate marker names") {
            f.duplicates += number(l, " rows with");
        } else if l.contains("Bad alleles for marker") {
            f.bad_alleles += 1;
        } else if l.contains("Allele names don't match") {
            f.bad_alleles += number(l, " additional");
        } else if let Some(rest) = l.strip_prefix("## Genomic control parameter is ") {
            f.lambda = Some(rest.split(',').next().unwrap().parse().unwrap());
        }
    }
    files
}

fn compare(script: &str, metal_table: &str, metal_stdout: &str) {
    let (ours, log) = run(script);
    let metal = std::fs::read_to_string(suite().join("metal").join(metal_table)).unwrap();
    let (mh, m) = table(&metal);
    let (rh, r) = table(&ours);
    assert_eq!(rh, mh, "{script}: METAL's columns in METAL's order");
    assert_eq!(r.len(), m.len(), "{script}: the same markers");
    let (mut exact, mut total) = (0usize, 0usize);
    for (marker, mrow) in &m {
        let rrow = r
            .get(marker)
            .unwrap_or_else(|| panic!("{script}: {marker} missing"));
        for (c, name) in mh.iter().enumerate() {
            let (a, b) = (&mrow[c], &rrow[c]);
            total += 1;
            if a == b {
                exact += 1;
                continue;
            }
            match name.as_str() {
                "MarkerName" | "Allele1" | "Allele2" | "Direction" | "HetDf" => {
                    panic!("{script} {marker} {name}: METAL {a}, rema {b}")
                }
                _ => {
                    let (x, y): (f64, f64) = (a.parse().unwrap(), b.parse().unwrap());
                    assert!(
                        (x - y).abs() <= unit(a) * (1.0 + 1e-9),
                        "{script} {marker} {name}: METAL {a}, rema {b}"
                    );
                }
            }
        }
    }
    // Ties at the last digit aside, the text is the same.
    assert!(
        exact as f64 >= 0.995 * total as f64,
        "{script}: {exact} of {total} fields identical"
    );
    let files = metal_log(metal_stdout);
    assert_eq!(files.len(), log.cohorts.len());
    for (i, (f, c)) in files.iter().zip(&log.cohorts).enumerate() {
        let invalid = c.count(Drop::InvalidStderr)
            + c.count(Drop::MissingValue)
            + c.count(Drop::InvalidPvalue);
        assert_eq!(invalid, f.invalid, "{script} file {}: invalid rows", i + 1);
        assert_eq!(
            c.count(Drop::FieldCount),
            f.field_count,
            "{script} file {}",
            i + 1
        );
        assert_eq!(
            c.count(Drop::Duplicate),
            f.duplicates,
            "{script} file {}",
            i + 1
        );
        assert_eq!(
            c.count(Drop::BadAlleles),
            f.bad_alleles,
            "{script} file {}",
            i + 1
        );
        if let Some(l) = f.lambda {
            assert_eq!(
                format!("{:.3}", c.lambda.unwrap()),
                format!("{l:.3}"),
                "{script} file {}",
                i + 1
            );
        }
    }
}

#[test]
fn inverse_variance_with_heterogeneity_matches_metal() {
    compare("stderr_het.metal", "stderr_het1.tbl", "stderr_het.log");
}

#[test]
fn inverse_variance_fixed_effect_matches_metal() {
    compare("stderr_fe.metal", "stderr_fe1.tbl", "stderr_fe.log");
}

#[test]
fn genomic_control_matches_metal() {
    compare("stderr_gc.metal", "stderr_gc1.tbl", "stderr_gc.log");
}

#[test]
fn sample_size_scheme_matches_metal() {
    compare("samplesize.metal", "samplesize1.tbl", "samplesize.log");
}
