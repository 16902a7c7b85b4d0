//! `rema batch` end to end: every row equals `rema analyze` on its group
//! alone, bit for bit (CSV and Parquet, yi/vi, yi/sei and raw 2x2 counts);
//! the same output at 1 and 2 threads; located errors for bad input.

mod common;

use std::collections::HashMap;
use std::process::Command;

use common::{rema, root, scratch, stderr, write_file};
use serde_json::value::RawValue;
use serde_json::Value;

/// A deterministic pseudo-random stream (splitmix64), enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A long table of `groups` analyses (2 to 12 studies) with columns
/// `snp, study, yi, <var>`; every 7th group homogeneous.
fn long_table(groups: usize, var: &str, seed: u64) -> String {
    let mut r = Rng(seed);
    let mut s = format!("snp,study,yi,{var}\n");
    for g in 0..groups {
        let k = 2 + (r.next() * 11.0) as usize;
        let tau = if g % 7 == 0 { 0.0 } else { 0.5 * r.next() };
        for i in 0..k {
            let v = 0.01 + 0.3 * r.next();
            let y = 0.2 + tau * (r.next() - 0.5) + v.sqrt() * (r.next() - 0.5);
            let col = if var == "sei" { v.sqrt() } else { v };
            s.push_str(&format!("rs{g:04},s{i},{y},{col}\n"));
        }
    }
    s
}

/// The CSV output as rows of cells by column name.
fn read_csv(text: &str) -> Vec<HashMap<String, String>> {
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(str::to_string))
                .collect()
        })
        .collect()
}

fn ok_stdout(out: &std::process::Output) -> String {
    assert!(out.status.success(), "{}", stderr(out));
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Each group through `rema analyze --format json`, compared bit for bit
/// with its batch row.
fn check_against_analyze(
    dir: &std::path::Path,
    table: &str,
    rows: &[HashMap<String, String>],
    measure: &str,
    extra: &[&str],
    groups: &[usize],
) {
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    let mut by_group: HashMap<String, Vec<&str>> = HashMap::new();
    for l in lines {
        by_group
            .entry(l.split(',').next().unwrap().to_string())
            .or_default()
            .push(l);
    }
    for &g in groups {
        let row = &rows[g];
        let key = &row["snp"];
        let body = format!("{header}\n{}\n", by_group[key].join("\n"));
        let f = write_file(dir, &format!("{key}.csv"), &body);
        let mut args = vec![
            "analyze",
            f.as_str(),
            "--measure",
            measure,
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        // Top-level fields as their text: serde_json's default float parser
        // may be one ulp off, Rust's `parse` is correctly rounded.
        let text = ok_stdout(&rema(&args));
        let raw: HashMap<String, Box<RawValue>> = serde_json::from_str(&text).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        for (col, field) in [
            ("estimate", "estimate"),
            ("se", "se"),
            ("zval", "stat"),
            ("pval", "pval"),
            ("ci_lower", "ci_lower"),
            ("ci_upper", "ci_upper"),
            ("tau2", "tau2"),
            ("i2", "i2"),
            ("h2", "h2"),
            ("q", "q"),
            ("q_pval", "q_pval"),
            ("pi_lower", "pi_lower"),
            ("pi_upper", "pi_upper"),
        ] {
            let want: f64 = raw[field]
                .get()
                .parse()
                .unwrap_or_else(|_| panic!("{key} {field}: {v}"));
            let got: f64 = row[col].parse().unwrap();
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "{key} {extra:?} {col}: {got} vs {want}"
            );
        }
        assert_eq!(row["k"], v["k"].to_string(), "{key}");
        assert_eq!(row["status"], "ok");
    }
}

#[test]
fn every_row_equals_rema_analyze_on_its_group() {
    let dir = scratch("batch-vs-analyze");
    for (var, method, extra) in [
        ("vi", "REML", vec![]),
        ("vi", "DL", vec!["--test", "knha"]),
        ("sei", "PM", vec!["--pi-dist", "t", "--level", "90"]),
        ("vi", "FE", vec![]),
        ("vi", "EB", vec!["--test", "adhoc"]),
    ] {
        let table = long_table(60, var, 3);
        let f = write_file(&dir, &format!("long_{var}.csv"), &table);
        let mut args = vec!["batch", f.as_str(), "--group", "snp", "--method", method];
        args.extend_from_slice(&extra);
        let rows = read_csv(&ok_stdout(&rema(&args)));
        assert_eq!(rows.len(), 60);
        let mut analyze_extra = vec!["--method", method];
        analyze_extra.extend_from_slice(&extra);
        check_against_analyze(
            &dir,
            &table,
            &rows,
            "GEN",
            &analyze_extra,
            &[0, 1, 7, 20, 59],
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn raw_counts_go_through_escalc_as_in_rema_analyze() {
    let dir = scratch("batch-raw");
    let mut r = Rng(5);
    let mut table = "snp,study,ai,bi,ci,di\n".to_string();
    for g in 0..12 {
        for i in 0..(3 + g % 4) {
            let n = 20 + (r.next() * 80.0) as u32;
            let a = (r.next() * 0.3 * f64::from(n)) as u32;
            let c = if i == 0 {
                0
            } else {
                (r.next() * 0.4 * f64::from(n)) as u32
            };
            table.push_str(&format!("g{g:02},s{i},{a},{},{c},{}\n", n - a, n - c));
        }
    }
    let f = write_file(&dir, "raw.csv", &table);
    let out = rema(&[
        "batch",
        &f,
        "--group",
        "snp",
        "--measure",
        "OR",
        "--method",
        "DL",
    ]);
    let rows = read_csv(&ok_stdout(&out));
    assert_eq!(rows.len(), 12);
    assert!(rows[0]["notes"].contains("added"), "{:?}", rows[0]);
    check_against_analyze(&dir, &table, &rows, "OR", &["--method", "DL"], &[0, 5, 11]);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn parquet_and_csv_outputs_agree_and_threads_do_not_matter() {
    let dir = scratch("batch-threads");
    let table = long_table(3000, "vi", 9);
    let f = write_file(&dir, "long.csv", &table);
    let run = |threads: &str, extra: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_rema"));
        c.args(["batch", &f, "--group", "snp", "--method", "REML"])
            .args(extra)
            .env("RAYON_NUM_THREADS", threads)
            .current_dir(root());
        c.output().unwrap()
    };
    let one = ok_stdout(&run("1", &[]));
    let two = ok_stdout(&run("2", &[]));
    assert_eq!(one, two);
    assert_eq!(one.lines().count(), 3001);
    // Parquet output, then Parquet input: the same rows again.
    let pq = dir.join("out.parquet");
    ok_stdout(&run("2", &["--output", pq.to_str().unwrap()]));
    assert!(std::fs::metadata(&pq).unwrap().len() > 1000);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_input_is_located_or_counted() {
    let dir = scratch("batch-bad");
    let run = |name: &str, body: &str, extra: &[&str]| {
        let f = write_file(&dir, name, body);
        let mut args = vec!["batch", f.as_str(), "--group", "g"];
        args.extend_from_slice(extra);
        rema(&args)
    };
    // A value that is not a number: file, row, column and group.
    let out = run("nan.csv", "g,yi,vi\na,0.1,0.1\na,abc,0.2\n", &[]);
    assert_eq!(out.status.code(), Some(3));
    let e = stderr(&out);
    assert!(
        e.contains("nan.csv, row 3, column `yi`, group g=a") && e.contains("`abc`"),
        "{e}"
    );
    // A standard error <= 0.
    let out = run("se.csv", "g,yi,sei\na,0.1,0.1\nb,0.2,0\n", &[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("row 3, column `sei`, group g=b"),
        "{}",
        stderr(&out)
    );
    // A missing column.
    let out = run("nocol.csv", "g,yi\na,0.1\n", &[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("no column `vi`"), "{}", stderr(&out));
    // A group seen again after another: refused with advice.
    let out = run(
        "ungrouped.csv",
        "g,yi,vi\na,0.1,0.1\nb,0.2,0.1\na,0.3,0.1\n",
        &[],
    );
    assert_eq!(out.status.code(), Some(3));
    let e = stderr(&out);
    assert!(
        e.contains("row 4") && e.contains("group g=a") && e.contains("sort"),
        "{e}"
    );
    // A missing value: the row is left out and counted in the notes.
    let out = run(
        "missing.csv",
        "g,yi,vi\na,0.1,0.1\na,,0.1\na,0.3,0.2\n",
        &["--method", "DL"],
    );
    let rows = read_csv(&ok_stdout(&out));
    assert_eq!(rows[0]["k"], "2");
    assert!(
        rows[0]["notes"].contains("dropped_missing=1"),
        "{:?}",
        rows[0]
    );
    // One study with knha: a status, not an error.
    let out = run(
        "one.csv",
        "g,yi,vi\na,0.1,0.1\nb,0.2,0.1\nb,0.3,0.1\n",
        &["--test", "knha"],
    );
    let rows = read_csv(&ok_stdout(&out));
    assert_eq!(rows[0]["status"], "too_few_studies");
    assert_eq!(rows[1]["status"], "ok");
    // Options that do not apply are refused, not ignored.
    let out = run("add.csv", "g,yi,vi\na,0.1,0.1\n", &["--add", "0.5"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run("mh.csv", "g,yi,vi\na,0.1,0.1\n", &["--method", "MH"]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn gosh_writes_its_table_as_parquet_with_the_csv_numbers() {
    let dir = scratch("gosh-parquet");
    let run = |format: &str, out: &std::path::Path| {
        let o = out.to_str().unwrap();
        rema(&[
            "gosh",
            "examples/bcg/bcg.csv",
            "-m",
            "RR",
            "--method",
            "DL",
            "--format",
            format,
            "--out",
            o,
        ])
    };
    let (csv_dir, pq_dir) = (dir.join("csv"), dir.join("pq"));
    assert!(run("csv", &csv_dir).status.success());
    let out = run("parquet", &pq_dir);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!pq_dir.join("gosh.csv").exists());
    let csv = std::fs::read_to_string(csv_dir.join("gosh.csv")).unwrap();
    let rows = read_csv(&csv);
    let mut r = rema_arrow::input::open(
        &pq_dir.join("gosh.parquet"),
        &["subset".to_string()],
        &["estimate".to_string(), "tau2".to_string()],
    )
    .unwrap();
    let mut n = 0;
    while let Some(c) = r.next_chunk().unwrap() {
        for i in 0..c.len() {
            let row = &rows[n];
            assert_eq!(c.keys[0].get(i).to_string(), row["subset"]);
            let est = c.values[0][i].unwrap();
            assert_eq!(
                est.to_bits(),
                row["estimate"].parse::<f64>().unwrap().to_bits()
            );
            n += 1;
        }
    }
    assert_eq!(n, 8191);
    std::fs::remove_dir_all(&dir).ok();
}
