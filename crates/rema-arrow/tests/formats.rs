//! The same long table as CSV, gzip CSV, TSV, Parquet and Arrow IPC gives
//! the same analyses, bit for bit (integer keys of a Parquet or Arrow file
//! stay integers), and so do the same rows as record batches in memory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{Float64Array, Int64Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use rema_arrow::batch::{output_schema, run, run_batches, BatchSpec};
use rema_arrow::output::{create, Column, OutputFormat, RecordBatches, TableWriter};
use rema_core::batch::BatchOptions;
use rema_core::{EffectOptions, FitOptions, Measure, Method};

#[derive(Default)]
struct Capture(Vec<Vec<Column>>);

impl TableWriter for &mut Capture {
    fn write(&mut self, _: &[String], columns: &[Column]) -> rema_arrow::Result<()> {
        self.0.push(columns.to_vec());
        Ok(())
    }
    fn finish(self: Box<Self>) -> rema_arrow::Result<()> {
        Ok(())
    }
}

fn spec() -> BatchSpec {
    BatchSpec {
        groups: vec!["group".to_string()],
        measure: Measure::Gen,
        effect: EffectOptions::default(),
        options: BatchOptions {
            fit: FitOptions::new(Method::Reml),
            ..BatchOptions::default()
        },
    }
}

fn analyses(path: &Path) -> Vec<Vec<Column>> {
    let mut c = Capture::default();
    let mut w = &mut c;
    run(path, &spec(), &mut w, &mut |_, _| {}).unwrap();
    c.0
}

#[test]
fn every_format_gives_the_same_bits() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let csv_path = root.join("tests/data/batch/long.csv");
    let text = std::fs::read_to_string(&csv_path).unwrap();
    let dir: PathBuf =
        std::env::temp_dir().join(format!("rema-arrow-formats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (mut g, mut y, mut v) = (Vec::new(), Vec::new(), Vec::new());
    for l in text.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        g.push(f[0][1..].parse::<i64>().unwrap());
        y.push(f[2].parse::<f64>().unwrap());
        v.push(f[3].parse::<f64>().unwrap());
    }
    // TSV and gzip.
    let tsv = dir.join("long.tsv");
    std::fs::write(&tsv, text.replace(',', "\t")).unwrap();
    let gz = dir.join("long.csv.gz");
    {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::fast(),
        );
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap();
    }
    // Parquet, by rema-arrow's writer.
    let pq = dir.join("long.parquet");
    let mut w = create(Some(&pq), OutputFormat::Parquet).unwrap();
    let names = ["group", "yi", "vi"].map(String::from).to_vec();
    w.write(
        &names,
        &[
            Column::I64(g.clone()),
            Column::F64(y.clone()),
            Column::F64(v.clone()),
        ],
    )
    .unwrap();
    w.finish().unwrap();
    // Arrow IPC file.
    let ipc = dir.join("long.arrow");
    let schema = Arc::new(Schema::new(vec![
        Field::new("group", DataType::Int64, false),
        Field::new("yi", DataType::Float64, false),
        Field::new("vi", DataType::Float64, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from(g)),
            Arc::new(Float64Array::from(y)),
            Arc::new(Float64Array::from(v)),
        ],
    )
    .unwrap();
    let mut fw =
        arrow_ipc::writer::FileWriter::try_new(std::fs::File::create(&ipc).unwrap(), &schema)
            .unwrap();
    fw.write(&batch).unwrap();
    fw.finish().unwrap();

    let want = analyses(&csv_path);
    let stats =
        |b: &Vec<Vec<Column>>| -> Vec<Column> { b.iter().flat_map(|c| c[1..].to_vec()).collect() };
    for p in [&tsv, &gz] {
        assert_eq!(analyses(p), want, "{}", p.display());
    }
    for p in [&pq, &ipc] {
        let got = analyses(p);
        assert!(matches!(got[0][0], Column::I64(_)), "{}", p.display());
        // NaN-free columns compare with ==; the statistics are the CSV's.
        assert_eq!(stats(&got), stats(&want), "{}", p.display());
    }
    // Record batches in memory (Python's Arrow C stream), in slices that
    // split groups across batches: the same analyses, into a capture and
    // into Arrow record batches of `output_schema`.
    let slices = |b: &RecordBatch| -> Vec<Result<RecordBatch, String>> {
        (0..b.num_rows())
            .step_by(37)
            .map(|i| Ok(b.slice(i, 37.min(b.num_rows() - i))))
            .collect()
    };
    let spec = spec();
    let mut c = Capture::default();
    let mut w = &mut c;
    let iter = Box::new(slices(&batch).into_iter());
    run_batches("memory", &schema, iter, &spec, &mut w).unwrap();
    assert_eq!(stats(&c.0), stats(&want), "record batches");
    let mut out = RecordBatches::new(output_schema(&spec, &schema));
    let iter = Box::new(slices(&batch).into_iter());
    let summary = run_batches("memory", &schema, iter, &spec, &mut out).unwrap();
    let (out_schema, batches) = out.into_parts();
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(rows as u64, summary.analyses);
    assert_eq!(out_schema.field(0).data_type(), &DataType::Int64);
    let estimates: Vec<f64> = batches
        .iter()
        .flat_map(|b| {
            b.column_by_name("estimate")
                .unwrap()
                .as_any()
                .downcast_ref::<Float64Array>()
                .unwrap()
                .values()
                .to_vec()
        })
        .collect();
    let want_estimates: Vec<f64> = want
        .iter()
        .flat_map(|b| match &b[2] {
            Column::F64(v) => v.clone(),
            other => panic!("estimate is {other:?}"),
        })
        .collect();
    assert_eq!(
        estimates.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        want_estimates
            .iter()
            .map(|x| x.to_bits())
            .collect::<Vec<_>>()
    );
    // No batch at all: no analysis, and the schema all the same.
    let mut out = RecordBatches::new(output_schema(&spec, &schema));
    let none = Box::new(Vec::<Result<RecordBatch, String>>::new().into_iter());
    run_batches("memory", &schema, none, &spec, &mut out).unwrap();
    let (s, b) = out.into_parts();
    assert!(b.is_empty());
    assert_eq!(s.fields().len(), 1 + rema_arrow::batch::STAT_NAMES.len());
    std::fs::remove_dir_all(&dir).ok();
}

/// Regression: a group whose rows span the chunk after which the buffer of
/// groups is pooled (2^16 groups) kept only its rows after that point. Here
/// 70,000 groups of 3 studies arrive in batches of 1,000 rows, so the
/// pooling happens with a group half read: every group has its 3 studies,
/// and each equals the same group pooled alone.
#[test]
fn a_group_across_a_flush_keeps_all_its_rows() {
    let groups = 70_000i64;
    let g: Vec<i64> = (0..groups).flat_map(|i| [i, i, i]).collect();
    let y: Vec<f64> = (0..g.len())
        .map(|i| ((i * 7919) % 1000) as f64 / 1000.0)
        .collect();
    let v: Vec<f64> = (0..g.len())
        .map(|i| 0.01 + ((i * 104_729) % 97) as f64 / 300.0)
        .collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new("group", DataType::Int64, false),
        Field::new("yi", DataType::Float64, false),
        Field::new("vi", DataType::Float64, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from(g)),
            Arc::new(Float64Array::from(y)),
            Arc::new(Float64Array::from(v)),
        ],
    )
    .unwrap();
    let n = batch.num_rows();
    let chunks: Vec<Result<RecordBatch, String>> = (0..n)
        .step_by(1000)
        .map(|i| Ok(batch.slice(i, 1000.min(n - i))))
        .collect();
    let spec = spec();
    let mut c = Capture::default();
    let mut w = &mut c;
    let s = run_batches(
        "memory",
        &schema,
        Box::new(chunks.into_iter()),
        &spec,
        &mut w,
    )
    .unwrap();
    assert_eq!(s.analyses, groups as u64);
    assert!(c.0.len() >= 2, "the groups were pooled in one block");
    let k: Vec<i64> =
        c.0.iter()
            .flat_map(|b| match &b[1] {
                Column::I64(k) => k.clone(),
                other => panic!("k is {other:?}"),
            })
            .collect();
    assert!(k.iter().all(|&k| k == 3), "a group lost studies");
    // The first group of the second block, pooled alone.
    let first_of_second = match &c.0[1][0] {
        Column::I64(g) => g[0],
        other => panic!("{other:?}"),
    } as usize;
    let alone = batch.slice(3 * first_of_second, 3);
    let mut a = Capture::default();
    let mut w = &mut a;
    run_batches(
        "memory",
        &schema,
        Box::new(std::iter::once(Ok(alone))),
        &spec,
        &mut w,
    )
    .unwrap();
    let est = |b: &Vec<Column>, i: usize| match &b[2] {
        Column::F64(e) => e[i].to_bits(),
        other => panic!("{other:?}"),
    };
    assert_eq!(est(&a.0[0], 0), est(&c.0[1], 0));
}
