//! A million-group query: `SELECT g, rma(yi, vi, 'DL', study) ... GROUP BY g`
//! over 10^6 analyses of 10 studies (10^7 rows, in memory), at 1 and 2
//! partitions, DL and REML. Run with
//! `cargo bench -p rema-datafusion --bench million` (a benchmark, not a test).

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};

const GROUPS: usize = 1_000_000;
const K: usize = 10;

/// 10^7 rows in batches of 8192, dealt round-robin into `parts` partitions,
/// in group order (as a long table sorted by analysis is stored).
fn table(parts: usize) -> (Arc<Schema>, Vec<Vec<RecordBatch>>) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("g", DataType::Int64, false),
        Field::new("study", DataType::Int64, false),
        Field::new("yi", DataType::Float64, false),
        Field::new("vi", DataType::Float64, false),
    ]));
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut unif = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let rows = GROUPS * K;
    let mut out = vec![Vec::new(); parts];
    let mut start = 0;
    let mut b = 0;
    while start < rows {
        let end = (start + 8192).min(rows);
        let g: Vec<i64> = (start..end).map(|r| (r / K) as i64).collect();
        let s: Vec<i64> = (start..end).map(|r| (r % K) as i64).collect();
        let vi: Vec<f64> = (start..end).map(|_| 0.01 + 0.2 * unif()).collect();
        let yi: Vec<f64> = vi
            .iter()
            .map(|v| 0.3 + (unif() - 0.5) * 2.0 * v.sqrt())
            .collect();
        let cols: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(g)),
            Arc::new(Int64Array::from(s)),
            Arc::new(Float64Array::from(yi)),
            Arc::new(Float64Array::from(vi)),
        ];
        out[b % parts].push(RecordBatch::try_new(schema.clone(), cols).unwrap());
        b += 1;
        start = end;
    }
    (schema, out)
}

fn million(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("million_groups");
    group.sample_size(10);
    for parts in [1, 2] {
        let (schema, data) = table(parts);
        let ctx =
            SessionContext::new_with_config(SessionConfig::new().with_target_partitions(parts));
        rema_datafusion::register(&ctx);
        ctx.register_table("t", Arc::new(MemTable::try_new(schema, data).unwrap()))
            .unwrap();
        for method in ["DL", "REML"] {
            let q = format!("SELECT g, rma(yi, vi, '{method}', study) AS r FROM t GROUP BY g");
            group.bench_function(format!("{method}_partitions_{parts}"), |b| {
                b.iter(|| {
                    let n: usize = rt
                        .block_on(async { ctx.sql(&q).await?.collect().await })
                        .unwrap()
                        .iter()
                        .map(|b| b.num_rows())
                        .sum();
                    assert_eq!(n, GROUPS);
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, million);
criterion_main!(benches);
