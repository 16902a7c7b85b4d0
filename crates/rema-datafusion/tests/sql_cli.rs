//! The rema-sql binary on a Parquet file: the rows `rema batch` writes.

mod common;

use std::process::Command;

use common::{generic, rema_batch_csv, scratch};
use rema_arrow::output::OutputFormat;
use rema_core::{Measure, Method};

fn rema_sql(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rema-sql"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_query_over_a_parquet_file_writes_rema_batchs_csv() {
    let dir = scratch("cli");
    let file = dir.join("long.parquet");
    let t = generic(60, 5);
    t.write(&file, OutputFormat::Parquet);
    let want = rema_batch_csv(&file, Measure::Gen, Method::Reml, &dir);
    let q = format!(
        "SELECT analysis_id, rma(yi, vi, 'REML', study) FROM '{}' GROUP BY analysis_id ORDER BY analysis_id",
        file.display()
    );
    for parts in ["1", "3"] {
        let out = rema_sql(&["--partitions", parts, &q]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            want,
            "{parts} partitions"
        );
    }
    // --table and Parquet output: read back by the CSV path of a second query.
    let pq = dir.join("pooled.parquet");
    let out = rema_sql(&[
        "--table",
        &format!("t={}", file.display()),
        "-o",
        pq.to_str().unwrap(),
        "SELECT analysis_id, rma(yi, vi, 'REML', study) FROM t GROUP BY analysis_id ORDER BY analysis_id",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let back = rema_sql(&[&format!(
        "SELECT * FROM '{}' ORDER BY analysis_id",
        pq.display()
    )]);
    assert!(
        back.status.success(),
        "{}",
        String::from_utf8_lossy(&back.stderr)
    );
    assert_eq!(String::from_utf8(back.stdout).unwrap(), want);
}

#[test]
fn errors_name_what_to_fix_and_exit_non_zero() {
    let dir = scratch("cli-err");
    let file = dir.join("long.parquet");
    generic(3, 5).write(&file, OutputFormat::Parquet);
    let q = format!(
        "SELECT rma(yi, vi, 'REMLX') FROM '{}' GROUP BY analysis_id",
        file.display()
    );
    let out = rema_sql(&[&q]);
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("REMLX") && e.contains("method"), "{e}");
    let out = rema_sql(&["--table", "nameonly", "SELECT 1"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("NAME=PATH"));
}
