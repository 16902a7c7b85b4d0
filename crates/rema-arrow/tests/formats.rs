//! The same long table as CSV, gzip CSV, TSV, Parquet and Arrow IPC gives
//! the same analyses, bit for bit (integer keys of a Parquet or Arrow file
//! stay integers).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{Float64Array, Int64Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use rema_arrow::batch::{run, BatchSpec};
use rema_arrow::output::{create, Column, OutputFormat, TableWriter};
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

fn analyses(path: &Path) -> Vec<Vec<Column>> {
    let spec = BatchSpec {
        groups: vec!["group".to_string()],
        measure: Measure::Gen,
        effect: EffectOptions::default(),
        options: BatchOptions {
            fit: FitOptions::new(Method::Reml),
            ..BatchOptions::default()
        },
    };
    let mut c = Capture::default();
    let mut w = &mut c;
    run(path, &spec, &mut w, &mut |_, _| {}).unwrap();
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
    std::fs::remove_dir_all(&dir).ok();
}
