//! rma and rma_2x2 in DataFusion: the same bits at any partitioning, the
//! same rows as `rema batch` (whose numbers are checked against metafor in
//! rema-arrow's golden suite), and bad input reported, never a panic.

mod common;

use std::sync::Arc;

use common::{generic, rema_batch_csv, scratch, two_by_two, Long};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::Float64Type;
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use rema_arrow::output::OutputFormat;
use rema_core::batch::{pool_batch, BatchOptions, BatchRow};
use rema_core::{FitOptions, Measure, Method};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The context of a run at `parts` partitions; `skip_partial` makes
/// DataFusion skip the partial aggregation (convert_to_state) at once.
fn context(t: &Long, parts: usize, seed: u64, skip_partial: bool) -> SessionContext {
    let mut config = SessionConfig::new()
        .with_target_partitions(parts)
        .with_batch_size(64);
    if skip_partial {
        let o = config.options_mut();
        o.execution.skip_partial_aggregation_probe_rows_threshold = 1;
        o.execution.skip_partial_aggregation_probe_ratio_threshold = 0.0;
    }
    let ctx = SessionContext::new_with_config(config);
    rema_datafusion::register(&ctx);
    let table = MemTable::try_new(t.schema(), t.partitions(parts, seed)).unwrap();
    ctx.register_table("t", Arc::new(table)).unwrap();
    ctx
}

fn query(ctx: &SessionContext, sql: &str) -> Vec<RecordBatch> {
    runtime()
        .block_on(async { ctx.sql(sql).await?.collect().await })
        .unwrap()
}

/// The output as rema-sql writes it (CSV through rema-arrow's writer).
fn csv(batches: &[RecordBatch], dir: &std::path::Path, name: &str) -> String {
    let p = dir.join(name);
    rema_datafusion::output::write(batches, Some(&p), OutputFormat::Csv).unwrap();
    std::fs::read_to_string(p).unwrap()
}

/// Every f64 of every struct field, as bits, in row order.
fn bits(batches: &[RecordBatch]) -> Vec<u64> {
    let mut out = Vec::new();
    for b in batches {
        let s = b.column(1).as_struct();
        for r in 0..b.num_rows() {
            for c in s.columns() {
                if let Some(f) = c.as_primitive_opt::<Float64Type>() {
                    out.push(f.value(r).to_bits());
                }
            }
        }
    }
    out
}

const RMA: &str =
    "SELECT analysis_id, rma(yi, vi, 'REML', study) AS r FROM t GROUP BY analysis_id ORDER BY analysis_id";

#[test]
fn partitions_1_2_8_give_the_same_bits() {
    let t = generic(400, 7);
    let base = bits(&query(&context(&t, 1, 1, false), RMA));
    assert_eq!(base.len(), 400 * 13);
    for (parts, seed, skip) in [(2, 2, false), (8, 3, false), (8, 4, true), (2, 5, true)] {
        let got = bits(&query(&context(&t, parts, seed, skip), RMA));
        assert!(
            got == base,
            "{parts} partitions (skip partial: {skip}) differ from 1"
        );
    }
    // Without a study key the order is by (yi, vi): also canonical.
    let q = "SELECT analysis_id, rma(yi, vi, 'DL') AS r FROM t GROUP BY analysis_id ORDER BY analysis_id";
    let one = bits(&query(&context(&t, 1, 9, false), q));
    let eight = bits(&query(&context(&t, 8, 10, true), q));
    assert!(one == eight);
}

#[test]
fn rows_equal_pool_batch_bit_for_bit() {
    let t = generic(150, 11);
    for (method, name) in [
        (Method::Reml, "REML"),
        (Method::Dl, "DL"),
        (Method::Pm, "PM"),
        (Method::Fe, "FE"),
    ] {
        let q = format!(
            "SELECT analysis_id, rma(yi, vi, '{name}', study) AS r FROM t GROUP BY analysis_id ORDER BY analysis_id"
        );
        let got = query(&context(&t, 4, 12, false), &q);
        // Offsets of the groups (the table is grouped and study-sorted).
        let mut offsets = vec![0usize];
        for i in 1..t.len() {
            if t.analysis_id[i] != t.analysis_id[i - 1] {
                offsets.push(i);
            }
        }
        offsets.push(t.len());
        let opts = BatchOptions {
            fit: FitOptions::new(method),
            ..BatchOptions::default()
        };
        let mut rows = vec![BatchRow::default(); offsets.len() - 1];
        pool_batch(&offsets, &t.values[0].1, &t.values[1].1, &opts, &mut rows).unwrap();
        let want: Vec<u64> = rows
            .iter()
            .flat_map(|r| {
                [
                    r.estimate, r.se, r.ci_lower, r.ci_upper, r.stat, r.pval, r.tau2, r.i2, r.h2,
                    r.q, r.q_pval, r.pi_lower, r.pi_upper,
                ]
                .map(f64::to_bits)
            })
            .collect();
        assert!(bits(&got) == want, "{name}: rma differs from pool_batch");
    }
}

#[test]
fn output_equals_rema_batch_byte_for_byte() {
    let dir = scratch("vs-batch");
    let t = generic(120, 21);
    let file = dir.join("long.parquet");
    t.write(&file, OutputFormat::Parquet);
    let want = rema_batch_csv(&file, Measure::Gen, Method::Dl, &dir);
    let q = "SELECT analysis_id, rma(yi, vi, 'DL', study) FROM t GROUP BY analysis_id ORDER BY analysis_id";
    let got = csv(&query(&context(&t, 8, 22, false), q), &dir, "sql.csv");
    assert_eq!(got.lines().count(), 121);
    assert_eq!(got, want);

    let t = two_by_two(80, 23);
    let file = dir.join("tables.parquet");
    t.write(&file, OutputFormat::Parquet);
    for (m, measure) in [
        ("OR", Measure::Or),
        ("RR", Measure::Rr),
        ("RD", Measure::Rd),
    ] {
        let want = rema_batch_csv(&file, measure, Method::Reml, &dir);
        let q = format!(
            "SELECT analysis_id, rma_2x2(ai, bi, ci, di, '{m}', 'REML', study) FROM t \
             GROUP BY analysis_id ORDER BY analysis_id"
        );
        let got = csv(&query(&context(&t, 2, 24, true), &q), &dir, "sql2.csv");
        assert_eq!(got, want, "{m}");
    }
    // Some groups had zero cells: the continuity correction is in the notes.
    let got = csv(
        &query(
            &context(&t, 2, 25, false),
            "SELECT analysis_id, rma_2x2(ai, bi, ci, di, 'OR') FROM t GROUP BY analysis_id",
        ),
        &dir,
        "notes.csv",
    );
    assert!(got.contains("added to"), "{got}");
}

fn bad_table() -> Long {
    // Group 0: a null yi (NaN here is written as null below), group 1: vi = -1,
    // group 2: fine, group 3: only a null.
    Long {
        analysis_id: vec![0, 0, 0, 1, 1, 1, 2, 2, 3],
        study: vec![1, 2, 3, 1, 2, 3, 1, 2, 1],
        values: vec![
            (
                "yi".into(),
                vec![0.1, f64::NAN, 0.3, 0.2, 0.1, 0.4, 0.5, 0.6, f64::NAN],
            ),
            (
                "vi".into(),
                vec![0.01, 0.02, 0.03, 0.02, -1.0, 0.03, 0.05, 0.04, 0.1],
            ),
        ],
    }
}

#[test]
fn nulls_are_counted_and_bad_variances_fail_their_group_only() {
    let t = bad_table();
    let ctx = SessionContext::new();
    rema_datafusion::register(&ctx);
    // NaN yi as SQL NULL.
    let rows: Vec<usize> = (0..t.len()).collect();
    ctx.register_batch("raw", t.batch(&rows)).unwrap();
    let q = "SELECT analysis_id, rma(CASE WHEN isnan(yi) THEN NULL ELSE yi END, vi, 'DL', study) \
             FROM raw GROUP BY analysis_id ORDER BY analysis_id";
    let dir = scratch("bad");
    let out = csv(&query(&ctx, q), &dir, "bad.csv");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert!(
        lines[1].starts_with("0,2,")
            && lines[1].contains(",ok,")
            && lines[1].ends_with("dropped_missing=1"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("1,3,")
            && lines[2].contains("invalid_input")
            && lines[2].ends_with("nonpositive_vi=1"),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].starts_with("2,2,") && lines[3].contains(",ok,"),
        "{}",
        lines[3]
    );
    assert!(
        lines[4].starts_with("3,0,")
            && lines[4].contains("no_studies")
            && lines[4].ends_with("dropped_missing=1"),
        "{}",
        lines[4]
    );
}

#[test]
fn bad_tables_fail_their_group_with_rema_cores_message() {
    let t = Long {
        analysis_id: vec![0, 0, 1, 1],
        study: vec![1, 2, 1, 2],
        values: vec![
            ("ai".into(), vec![3.0, 4.0, -2.0, 5.0]),
            ("bi".into(), vec![10.0, 12.0, 10.0, 9.0]),
            ("ci".into(), vec![5.0, 6.0, 5.0, 4.0]),
            ("di".into(), vec![9.0, 11.0, 8.0, 9.0]),
        ],
    };
    let ctx = SessionContext::new();
    rema_datafusion::register(&ctx);
    ctx.register_batch("t", t.batch(&[0, 1, 2, 3])).unwrap();
    let out = query(
        &ctx,
        "SELECT analysis_id, rma_2x2(ai, bi, ci, di, 'OR', 'DL', study) AS r FROM t GROUP BY analysis_id ORDER BY analysis_id",
    );
    let s = out[0].column(1).as_struct();
    let status = s.column_by_name("status").unwrap().as_string::<i32>();
    let notes = s.column_by_name("notes").unwrap().as_string::<i32>();
    assert_eq!(status.value(0), "ok");
    assert_eq!(status.value(1), "invalid_input");
    assert!(
        notes.value(1).contains("study key 1") && notes.value(1).contains("ai"),
        "{}",
        notes.value(1)
    );
    let k = s.column_by_name("k").unwrap();
    assert!(!k.is_null(1));
}

#[test]
fn unknown_options_are_planning_errors_naming_the_argument() {
    let t = generic(3, 1);
    let ctx = context(&t, 1, 1, false);
    let run = |sql: &str| {
        runtime()
            .block_on(async { ctx.sql(sql).await?.collect().await })
            .unwrap_err()
            .to_string()
    };
    let e = run("SELECT rma(yi, vi, 'XYZ') FROM t GROUP BY analysis_id");
    assert!(e.contains("rma") && e.contains("XYZ"), "{e}");
    let e = run("SELECT rma(yi, vi, CAST(study AS VARCHAR)) FROM t GROUP BY analysis_id");
    assert!(e.contains("constant string"), "{e}");
    let e = run("SELECT rma(yi, vi, 'DL', study, study) FROM t GROUP BY analysis_id");
    assert!(e.contains("rma"), "{e}");
    let e = run("SELECT rma_2x2(yi, vi, yi, vi, 'SMD') FROM t GROUP BY analysis_id");
    assert!(e.contains("2x2"), "{e}");
}

#[test]
fn an_aggregate_without_group_by_pools_everything() {
    let t = generic(1, 3);
    let ctx = context(&t, 2, 4, false);
    let one = query(
        &ctx,
        "SELECT 0 AS analysis_id, rma(yi, vi, 'DL', study) AS r FROM t",
    );
    let grouped = query(
        &ctx,
        "SELECT analysis_id, rma(yi, vi, 'DL', study) AS r FROM t GROUP BY analysis_id",
    );
    assert_eq!(bits(&one), bits(&grouped));
}
