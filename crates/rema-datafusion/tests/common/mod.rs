//! Test data: long tables of many small meta-analyses, written as Parquet
//! by rema-arrow (so `rema batch` reads exactly what DataFusion reads).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use rema_arrow::output::{create, Column, OutputFormat};
use rema_arrow::BatchSpec;
use rema_core::batch::BatchOptions;
use rema_core::{EffectOptions, FitOptions, Measure, Method};

/// A small deterministic generator (SplitMix64).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn unif(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.unif().max(1e-300), self.unif());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// A long table: one row per study, grouped by `analysis_id`, sorted by
/// `study` within each group (the order `rema batch` pools in).
#[derive(Debug, Clone, Default)]
pub struct Long {
    pub analysis_id: Vec<i64>,
    pub study: Vec<i64>,
    /// Value columns by name.
    pub values: Vec<(String, Vec<f64>)>,
}

/// `groups` analyses of 1 to 12 studies of (yi, vi), some heterogeneous.
pub fn generic(groups: usize, seed: u64) -> Long {
    let mut rng = Rng(seed);
    let mut t = Long {
        values: vec![("yi".into(), Vec::new()), ("vi".into(), Vec::new())],
        ..Long::default()
    };
    for g in 0..groups {
        let k = 1 + (g * 7 + 3) % 12;
        let tau = if g % 3 == 0 { 0.4 } else { 0.0 };
        let mu = rng.normal() * 0.5;
        for s in 0..k {
            let vi = 0.01 + 0.3 * rng.unif();
            let yi = mu + tau * rng.normal() + vi.sqrt() * rng.normal();
            t.analysis_id.push(g as i64);
            t.study.push(s as i64 * 3 + 1);
            t.values[0].1.push(yi);
            t.values[1].1.push(vi);
        }
    }
    t
}

/// `groups` analyses of 2x2 tables (ai, bi, ci, di), with zero cells.
pub fn two_by_two(groups: usize, seed: u64) -> Long {
    let mut rng = Rng(seed);
    let names = ["ai", "bi", "ci", "di"];
    let mut t = Long {
        values: names.iter().map(|n| (n.to_string(), Vec::new())).collect(),
        ..Long::default()
    };
    for g in 0..groups {
        let k = 2 + (g * 5) % 9;
        for s in 0..k {
            let n1 = 20 + (rng.next() % 80);
            let n2 = 20 + (rng.next() % 80);
            let a = rng.next() % (n1 / 4 + 1);
            let c = rng.next() % (n2 / 3 + 1);
            let cells = [a, n1 - a, c, n2 - c];
            t.analysis_id.push(g as i64);
            t.study.push(s as i64);
            for (j, x) in cells.iter().enumerate() {
                t.values[j].1.push(*x as f64);
            }
        }
    }
    t
}

impl Long {
    pub fn len(&self) -> usize {
        self.study.len()
    }

    pub fn schema(&self) -> Arc<Schema> {
        let mut f = vec![
            Field::new("analysis_id", DataType::Int64, true),
            Field::new("study", DataType::Int64, true),
        ];
        for (n, _) in &self.values {
            f.push(Field::new(n, DataType::Float64, true));
        }
        Arc::new(Schema::new(f))
    }

    /// The rows `rows` (in that order) as one record batch.
    pub fn batch(&self, rows: &[usize]) -> RecordBatch {
        let mut cols: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from_iter_values(
                rows.iter().map(|&r| self.analysis_id[r]),
            )),
            Arc::new(Int64Array::from_iter_values(
                rows.iter().map(|&r| self.study[r]),
            )),
        ];
        for (_, v) in &self.values {
            cols.push(Arc::new(Float64Array::from_iter_values(
                rows.iter().map(|&r| v[r]),
            )));
        }
        RecordBatch::try_new(self.schema(), cols).unwrap()
    }

    /// The rows shuffled and dealt into `parts` partitions of batches of
    /// at most 37 rows.
    pub fn partitions(&self, parts: usize, seed: u64) -> Vec<Vec<RecordBatch>> {
        let mut rng = Rng(seed);
        let mut order: Vec<usize> = (0..self.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, (rng.next() % (i as u64 + 1)) as usize);
        }
        let mut out = vec![Vec::new(); parts];
        for (i, chunk) in order.chunks(37).enumerate() {
            out[i % parts].push(self.batch(chunk));
        }
        out
    }

    /// Writes the table, in its own order, with rema-arrow's writer.
    pub fn write(&self, path: &Path, format: OutputFormat) {
        let mut names = vec!["analysis_id".to_string(), "study".to_string()];
        let mut cols = vec![
            Column::I64(self.analysis_id.clone()),
            Column::I64(self.study.clone()),
        ];
        for (n, v) in &self.values {
            names.push(n.clone());
            cols.push(Column::F64(v.clone()));
        }
        let mut w = create(Some(path), format).unwrap();
        w.write(&names, &cols).unwrap();
        w.finish().unwrap();
    }
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rema-df-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// What `rema batch FILE --group analysis_id --measure M --method X` writes
/// as CSV.
pub fn rema_batch_csv(input: &Path, measure: Measure, method: Method, dir: &Path) -> String {
    let spec = BatchSpec {
        groups: vec!["analysis_id".to_string()],
        measure,
        effect: EffectOptions::default(),
        options: BatchOptions {
            fit: FitOptions::new(method),
            ..BatchOptions::default()
        },
    };
    let out = dir.join("rema_batch.csv");
    let mut w = create(Some(&out), OutputFormat::Csv).unwrap();
    rema_arrow::run(input, &spec, w.as_mut(), &mut |_, _| {}).unwrap();
    w.finish().unwrap();
    std::fs::read_to_string(out).unwrap()
}
