//! `rema batch`: a long table of many meta-analyses, one row per study, in
//! one pass; one row per analysis out, in the input's group order.
//!
//! Rows are read chunk by chunk. Consecutive rows with the same key (the
//! `--group` columns) are a group; when the key changes the group is closed.
//! A key seen again after other groups is refused (the input must be
//! grouped; [`BatchError::Ungrouped`] says how to sort it): the keys of
//! closed groups are remembered by a 64-bit hash, 16 bytes a group. Closed
//! groups are pooled by [`rema_core::batch::pool_batch`] (rayon) and
//! written once about a million studies or 65,536 groups have gathered,
//! so memory is the largest group, one buffer of groups and the output
//! buffer, plus the hashes.
//!
//! Values: with `GEN`, `yi` and `vi` or `sei` (vᵢ = seᵢ², as rema analyze);
//! with a raw-data measure, its columns (rema-data's `column_sets`), the
//! effect sizes computed per group by rema-data and rema-core's escalc code
//! exactly as `rema analyze` computes them. A row with a missing value is
//! left out and counted in its analysis's notes (`dropped_missing=N`); a
//! value that is not a number, a variance or standard error ≤ 0, is an
//! error naming file, row, column and group.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::path::Path;

use arrow_array::RecordBatch;
use rema_core::batch::{pool_batch, BatchOptions, BatchRow, BatchStatus};
use rema_core::{AddTo, DataKind, EffectOptions, FitOptions, Measure, PiDist, Test};
use rema_data::spec::{Level, Model};
use rema_data::table::Row;
use rema_data::Table;

use crate::error::{At, BatchError, Result};
use crate::input::{self, describe_key, Chunk, ChunkReader, KeyValue};
use crate::output::{Column, TableWriter};

/// Pool when this many studies have gathered.
const FLUSH_STUDIES: usize = 1 << 20;
/// ... or this many groups.
const FLUSH_GROUPS: usize = 1 << 16;

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchSpec {
    /// The group columns, in order.
    pub groups: Vec<String>,
    /// The measure (`GEN` for `yi` with `vi` or `sei`).
    pub measure: Measure,
    /// The continuity correction of raw 2×2 and similar data.
    pub effect: EffectOptions,
    /// The model.
    pub options: BatchOptions,
}

/// The options of `rema batch` (and Python's `rema.batch`) as given, before
/// they are checked against each other by [`BatchRequest::spec`].
#[derive(Debug, Clone, PartialEq)]
pub struct BatchRequest {
    /// The group columns, in order.
    pub groups: Vec<String>,
    /// The measure (`GEN` for `yi` with `vi` or `sei`).
    pub measure: Measure,
    /// The model: FE or a τ² estimator (MH, PETO and GLMM are refused).
    pub method: Model,
    /// The test of the pooled effect.
    pub test: Test,
    /// The distribution of the prediction interval.
    pub pi_dist: PiDist,
    /// The confidence level.
    pub level: Level,
    /// The continuity correction of raw counts (default: metafor's).
    pub add: Option<f64>,
    /// Which studies get it (default only0).
    pub to: Option<AddTo>,
}

impl BatchRequest {
    /// The request with `rema batch`'s defaults: GEN, REML, z, the test's
    /// distribution for the prediction interval, 95%.
    pub fn new(groups: Vec<String>) -> BatchRequest {
        BatchRequest {
            groups,
            measure: Measure::Gen,
            method: Model::default(),
            test: Test::Z,
            pi_dist: PiDist::Test,
            level: Level::default(),
            add: None,
            to: None,
        }
    }

    /// The options checked against each other: a method `rema batch` does
    /// not pool with, or `add`/`to` with a measure that has no counts, is a
    /// [`BatchError::Usage`] that says what to do instead.
    pub fn spec(&self) -> Result<BatchSpec> {
        let method = match self.method {
            Model::Rma(m) => m,
            other => {
                return Err(BatchError::Usage(format!(
                    "--method {}: rema batch pools with the rma.uni methods (FE and the tau^2 estimators); use `rema analyze` for {0}",
                    other.name()
                )))
            }
        };
        let raw = self.measure.data_kind() != DataKind::Generic;
        if !raw && (self.add.is_some() || self.to.is_some()) {
            return Err(BatchError::Usage(format!(
                "--add/--to correct raw counts; --measure {} reads yi with vi or sei, which have none: drop --add/--to",
                self.measure.name()
            )));
        }
        if let Some(a) = self.add {
            if !(a.is_finite() && a >= 0.0) {
                return Err(BatchError::Usage(format!(
                    "--add {a}: must be a finite number >= 0"
                )));
            }
        }
        Ok(BatchSpec {
            groups: self.groups.clone(),
            measure: self.measure,
            effect: EffectOptions {
                add: self.add,
                to: self.to.unwrap_or_default(),
                ..EffectOptions::default()
            },
            options: BatchOptions {
                fit: FitOptions {
                    test: self.test,
                    level: self.level.percent(),
                    ..FitOptions::new(method)
                },
                pi_dist: self.pi_dist,
            },
        })
    }
}

/// What a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchSummary {
    /// Analyses written.
    pub analyses: u64,
    /// Studies read.
    pub studies: u64,
    /// Rows left out for a missing value.
    pub dropped_missing: u64,
    /// Analyses whose fit failed (status other than ok).
    pub failed: u64,
}

/// The value columns a file gives `measure`: for `GEN`, `yi` with `vi` (or
/// `sei`); otherwise the measure's first complete column set.
pub fn value_columns(file: &str, header: &[String], measure: Measure) -> Result<Vec<String>> {
    let has = |c: &str| header.iter().any(|h| h == c);
    let sets = rema_data::columns::column_sets(measure.data_kind());
    if measure.data_kind() == DataKind::Generic && has("vi") && has("sei") {
        return Err(BatchError::Usage(format!(
            "{file}: has both `vi` and `sei`; rema batch reads one of them: drop or rename the other"
        )));
    }
    match sets.iter().find(|s| s.iter().all(|c| has(c))) {
        Some(s) => Ok(s.iter().map(|c| c.to_string()).collect()),
        None => {
            let best = sets[0];
            let missing = best.iter().find(|c| !has(c)).copied().unwrap_or("");
            let alternatives: Vec<String> = sets.iter().map(|s| s.join(", ")).collect();
            Err(BatchError::MissingColumn {
                file: file.to_string(),
                column: missing.to_string(),
                hint: format!(
                    "{} needs the columns {}",
                    measure.name(),
                    alternatives.join(" or ")
                ),
                available: header.join(", "),
            })
        }
    }
}

/// The groups gathered for the next pooling.
#[derive(Default)]
struct Pending {
    keys: Vec<Vec<KeyValue>>,
    offsets: Vec<usize>,
    y: Vec<f64>,
    v: Vec<f64>,
    notes: Vec<String>,
}

/// The group being read.
struct Current {
    key: Vec<KeyValue>,
    /// Raw rows (raw-data measures): the values and the row of each.
    raw: Vec<Vec<f64>>,
    lines: Vec<u64>,
    dropped: u64,
    start: usize,
}

/// Runs the batch of `spec` over `path`, writing to `out`; `progress` is
/// told the number of rows read so far (and the total when the file says).
pub fn run(
    path: &Path,
    spec: &BatchSpec,
    out: &mut dyn TableWriter,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<BatchSummary> {
    if spec.groups.is_empty() {
        return Err(BatchError::Usage(
            "give at least one --group COLUMN (the column that tells the analyses apart)".into(),
        ));
    }
    let file = path.display().to_string();
    let header = input::header(path)?;
    let values = value_columns(&file, &header, spec.measure)?;
    let reader = input::open(path, &spec.groups, &values)?;
    drive(file, spec, values, reader, out, progress)
}

/// [`run`] over the bytes of a CSV file (`name` in messages): what the
/// fuzz target feeds.
pub fn run_csv_bytes(
    bytes: &[u8],
    name: &str,
    spec: &BatchSpec,
    out: &mut dyn TableWriter,
) -> Result<BatchSummary> {
    let open = |groups: &[String], values: &[String]| {
        input::TextReader::new(
            name.to_string(),
            Box::new(std::io::Cursor::new(bytes.to_vec())),
            b',',
            groups,
            values,
        )
    };
    let header = open(&[], &[])?.columns().to_vec();
    let values = value_columns(name, &header, spec.measure)?;
    let reader = open(&spec.groups, &values)?;
    drive(
        name.to_string(),
        spec,
        values,
        Box::new(reader),
        out,
        &mut |_, _| {},
    )
}

/// [`run`] over record batches in memory (`name` in messages): what
/// `rema.batch` in Python feeds from an Arrow C stream. The same reading,
/// checks, pooling and output as a Parquet file of these batches.
pub fn run_batches(
    name: &str,
    schema: &arrow_schema::SchemaRef,
    batches: Box<dyn Iterator<Item = std::result::Result<RecordBatch, String>> + Send>,
    spec: &BatchSpec,
    out: &mut dyn TableWriter,
) -> Result<BatchSummary> {
    if spec.groups.is_empty() {
        return Err(BatchError::Usage(
            "give at least one --group COLUMN (the column that tells the analyses apart)".into(),
        ));
    }
    let header: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let values = value_columns(name, &header, spec.measure)?;
    let reader =
        input::ColumnarReader::batches(name.to_string(), schema, batches, &spec.groups, &values)?;
    drive(
        name.to_string(),
        spec,
        values,
        Box::new(reader),
        out,
        &mut |_, _| {},
    )
}

/// The output's schema for an input of `schema`: the group columns as
/// [`output`](crate::output) writes them (an integer column as int64, any
/// other as utf8), then the statistics (float64, nullable: NaN is null;
/// `k` and `iterations` int64, `converged` boolean, `status` and `notes`
/// utf8). What an in-memory output holds even when there is no group.
pub fn output_schema(spec: &BatchSpec, schema: &arrow_schema::Schema) -> arrow_schema::SchemaRef {
    use arrow_schema::{DataType, Field};
    let mut fields = Vec::with_capacity(spec.groups.len() + STAT_NAMES.len());
    for g in &spec.groups {
        let int = schema
            .field_with_name(g)
            .is_ok_and(|f| f.data_type().is_integer());
        let t = if int { DataType::Int64 } else { DataType::Utf8 };
        fields.push(Field::new(g, t, false));
    }
    for s in STAT_NAMES {
        let t = match s {
            "k" | "iterations" => DataType::Int64,
            "converged" => DataType::Boolean,
            "status" | "notes" => DataType::Utf8,
            _ => DataType::Float64,
        };
        fields.push(Field::new(s, t.clone(), t == DataType::Float64));
    }
    std::sync::Arc::new(arrow_schema::Schema::new(fields))
}

fn drive(
    file: String,
    spec: &BatchSpec,
    values: Vec<String>,
    mut reader: Box<dyn ChunkReader + Send>,
    out: &mut dyn TableWriter,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<BatchSummary> {
    if spec.groups.is_empty() {
        return Err(BatchError::Usage(
            "give at least one --group COLUMN (the column that tells the analyses apart)".into(),
        ));
    }
    for g in &spec.groups {
        if values.contains(g) {
            return Err(BatchError::Usage(format!(
                "--group {g}: `{g}` is a value column of {}; group by another column",
                spec.measure.name()
            )));
        }
    }
    let total = reader.total_rows();
    let generic_sei = (spec.measure.data_kind() == DataKind::Generic).then(|| values[1] == "sei");
    let mut st = State {
        file,
        spec,
        values,
        generic_sei,
        pending: Pending {
            offsets: vec![0],
            ..Pending::default()
        },
        current: None,
        seen: Seen::default(),
        summary: BatchSummary::default(),
        names: output_names(spec),
    };
    let mut rows = 0u64;
    while let Some(chunk) = reader.next_chunk()? {
        rows += chunk.len() as u64;
        st.chunk(&chunk)?;
        if st.pending.y.len() >= FLUSH_STUDIES || st.pending.keys.len() >= FLUSH_GROUPS {
            st.flush(out)?;
        }
        progress(rows, total);
    }
    st.close_current()?;
    st.flush(out)?;
    Ok(st.summary)
}

struct State<'a> {
    file: String,
    spec: &'a BatchSpec,
    values: Vec<String>,
    /// For GEN: whether the variance column is `sei`.
    generic_sei: Option<bool>,
    pending: Pending,
    current: Option<Current>,
    seen: Seen,
    summary: BatchSummary,
    names: Vec<String>,
}

/// A fast 64-bit hash of a key (FxHash's multiply-rotate; the seen-set
/// only needs to tell keys apart, and a collision, about 1 in 10^7 for
/// 10^6 groups, would refuse the file, never change a number).
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..c.len()].copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(b));
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The set of closed groups' key hashes; the hashes are already mixed.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn write(&mut self, _: &[u8]) {}
    fn write_u64(&mut self, x: u64) {
        self.0 = x;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type Seen = HashSet<u64, std::hash::BuildHasherDefault<Identity>>;

fn key_hash(k: &[KeyValue]) -> u64 {
    let mut h = KeyHasher::default();
    k.hash(&mut h);
    // A final avalanche so the table's low bits are mixed.
    let mut z = h.finish();
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl State<'_> {
    fn at(&self, row: u64, column: &str, key: &[KeyValue]) -> At {
        At {
            file: self.file.clone(),
            row: Some(row),
            column: Some(column.to_string()),
            group: Some(describe_key(&self.spec.groups, key)),
        }
    }

    fn chunk(&mut self, c: &Chunk) -> Result<()> {
        for r in 0..c.len() {
            let same = self
                .current
                .as_ref()
                .is_some_and(|cur| c.keys.iter().zip(&cur.key).all(|(col, k)| col.is(r, k)));
            if !same {
                self.close_current()?;
                let key: Vec<KeyValue> = c.keys.iter().map(|col| col.get(r)).collect();
                if !self.seen.insert(key_hash(&key)) {
                    return Err(BatchError::Ungrouped {
                        at: At {
                            file: self.file.clone(),
                            row: Some(c.rows[r]),
                            column: None,
                            group: Some(describe_key(&self.spec.groups, &key)),
                        },
                    });
                }
                self.current = Some(Current {
                    key,
                    raw: if self.generic_sei.is_some() {
                        Vec::new()
                    } else {
                        vec![Vec::new(); self.values.len()]
                    },
                    lines: Vec::new(),
                    dropped: 0,
                    start: self.pending.y.len(),
                });
            }
            self.row(c, r)?;
        }
        Ok(())
    }

    fn row(&mut self, c: &Chunk, r: usize) -> Result<()> {
        let line = c.rows[r];
        let Some(cur) = self.current.as_mut() else {
            return Ok(());
        };
        if c.values.iter().any(|col| col[r].is_none()) {
            cur.dropped += 1;
            self.summary.dropped_missing += 1;
            return Ok(());
        }
        let val = |j: usize| c.values[j][r].unwrap_or(f64::NAN);
        match self.generic_sei {
            Some(sei) => {
                let (y, s) = (val(0), val(1));
                if !(s > 0.0) {
                    let key = cur.key.clone();
                    return Err(BatchError::NotPositive {
                        at: self.at(line, &self.values[1], &key),
                        value: s,
                    });
                }
                self.pending.y.push(y);
                self.pending.v.push(if sei { s * s } else { s });
            }
            None => {
                for (j, col) in cur.raw.iter_mut().enumerate() {
                    col.push(val(j));
                }
                cur.lines.push(line);
            }
        }
        Ok(())
    }

    /// Closes the group being read: its studies join the pending buffer
    /// (raw data: its effect sizes, computed now).
    fn close_current(&mut self) -> Result<()> {
        let Some(cur) = self.current.take() else {
            return Ok(());
        };
        let mut notes = Vec::new();
        if self.generic_sei.is_none() && !cur.lines.is_empty() {
            let (yi, vi, es_notes) = self.effects(&cur)?;
            self.pending.y.extend(yi);
            self.pending.v.extend(vi);
            notes.extend(es_notes);
        }
        if cur.dropped > 0 {
            notes.push(format!("dropped_missing={}", cur.dropped));
        }
        debug_assert!(cur.start <= self.pending.y.len());
        self.pending.offsets.push(self.pending.y.len());
        self.pending.keys.push(cur.key);
        self.pending.notes.push(notes.join("; "));
        Ok(())
    }

    /// The effect sizes of a raw-data group, through rema-data's reading of
    /// a table (the checks of counts, SDs, ...) and rema-core's escalc.
    fn effects(&self, cur: &Current) -> Result<(Vec<f64>, Vec<f64>, Vec<String>)> {
        let group = describe_key(&self.spec.groups, &cur.key);
        let rows: Vec<Row> = cur
            .lines
            .iter()
            .enumerate()
            .map(|(i, &line)| Row {
                line,
                cells: cur.raw.iter().map(|col| format!("{}", col[i])).collect(),
            })
            .collect();
        let wrap = |source| BatchError::Effects {
            group: group.clone(),
            source,
        };
        let table =
            Table::from_records(&self.file, self.values.clone(), rows, false).map_err(wrap)?;
        let st = rema_data::read_studies(&table, self.spec.measure).map_err(wrap)?;
        let es = rema_core::effect_sizes(self.spec.measure, &st.data, &self.spec.effect)
            .map_err(|e| wrap(st.core_error(e)))?;
        Ok((es.yi, es.vi, es.notes))
    }

    /// Pools the pending groups and writes their rows.
    fn flush(&mut self, out: &mut dyn TableWriter) -> Result<()> {
        if self.pending.keys.is_empty() {
            return Ok(());
        }
        let mut p = std::mem::replace(
            &mut self.pending,
            Pending {
                offsets: vec![0],
                ..Pending::default()
            },
        );
        // The group being read (its rows span the chunk that triggered the
        // flush) keeps the rows read so far: with GEN they are already in
        // the buffer, after the closed groups' (regression: they were
        // flushed away, so that group lost them).
        if let Some(cur) = self.current.as_mut() {
            self.pending.y = p.y.split_off(cur.start);
            self.pending.v = p.v.split_off(cur.start);
            cur.start = 0;
        }
        let mut rows = vec![BatchRow::default(); p.keys.len()];
        pool_batch(&p.offsets, &p.y, &p.v, &self.spec.options, &mut rows)?;
        self.summary.analyses += rows.len() as u64;
        self.summary.studies += p.y.len() as u64;
        self.summary.failed += rows.iter().filter(|r| r.status != BatchStatus::Ok).count() as u64;
        let columns = output_columns(&self.spec.groups, &p.keys, &rows, &p.notes);
        out.write(&self.names, &columns)
    }
}

/// The output's column names: the group columns, then the statistics.
pub fn output_names(spec: &BatchSpec) -> Vec<String> {
    spec.groups
        .iter()
        .cloned()
        .chain(STAT_NAMES.iter().map(|s| s.to_string()))
        .collect()
}

/// The statistics' columns, after the group columns.
pub const STAT_NAMES: [&str; 18] = [
    "k",
    "estimate",
    "se",
    "ci_lower",
    "ci_upper",
    "zval",
    "pval",
    "tau2",
    "i2",
    "h2",
    "q",
    "q_pval",
    "pi_lower",
    "pi_upper",
    "iterations",
    "converged",
    "status",
    "notes",
];

fn output_columns(
    groups: &[String],
    keys: &[Vec<KeyValue>],
    rows: &[BatchRow],
    extra: &[String],
) -> Vec<Column> {
    let mut cols = Vec::with_capacity(groups.len() + STAT_NAMES.len());
    for g in 0..groups.len() {
        let int = keys
            .first()
            .is_some_and(|k| matches!(k[g], KeyValue::Int(_)));
        cols.push(if int {
            Column::I64(
                keys.iter()
                    .map(|k| match &k[g] {
                        KeyValue::Int(i) => *i,
                        KeyValue::Text(_) => 0,
                    })
                    .collect(),
            )
        } else {
            Column::Text(keys.iter().map(|k| k[g].to_string()).collect())
        });
    }
    let f = |get: fn(&BatchRow) -> f64| Column::F64(rows.iter().map(get).collect());
    cols.push(Column::I64(rows.iter().map(|r| r.k as i64).collect()));
    cols.push(f(|r| r.estimate));
    cols.push(f(|r| r.se));
    cols.push(f(|r| r.ci_lower));
    cols.push(f(|r| r.ci_upper));
    cols.push(f(|r| r.stat));
    cols.push(f(|r| r.pval));
    cols.push(f(|r| r.tau2));
    cols.push(f(|r| r.i2));
    cols.push(f(|r| r.h2));
    cols.push(f(|r| r.q));
    cols.push(f(|r| r.q_pval));
    cols.push(f(|r| r.pi_lower));
    cols.push(f(|r| r.pi_upper));
    cols.push(Column::I64(
        rows.iter().map(|r| i64::from(r.iterations)).collect(),
    ));
    cols.push(Column::Bool(
        rows.iter().map(|r| r.status == BatchStatus::Ok).collect(),
    ));
    cols.push(Column::Text(
        rows.iter().map(|r| r.status.name().to_string()).collect(),
    ));
    cols.push(Column::Text(
        rows.iter()
            .zip(extra)
            .map(|(r, e)| {
                let mut n: Vec<&str> = r.notes.names().collect();
                if !e.is_empty() {
                    n.push(e);
                }
                n.join("; ")
            })
            .collect(),
    ));
    cols
}
