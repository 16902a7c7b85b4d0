//! Writing tables block by block, as CSV or Parquet: the analyses of
//! `rema batch`, the subsets of `rema gosh --format parquet`.
//!
//! A table is written as a sequence of blocks of named columns; the first
//! block fixes the schema. Numbers are written exactly: CSV by Rust's
//! shortest representation that reads back to the same bits, Parquet as
//! float64. NaN (a number that does not exist, e.g. the τ² of a fit that
//! failed) is an empty CSV cell and a Parquet null.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::error::{At, BatchError, Result};

/// One column of a block.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Numbers (NaN: no value).
    F64(Vec<f64>),
    /// Integers.
    I64(Vec<i64>),
    /// Text.
    Text(Vec<String>),
    /// Flags.
    Bool(Vec<bool>),
}

impl Column {
    fn len(&self) -> usize {
        match self {
            Column::F64(v) => v.len(),
            Column::I64(v) => v.len(),
            Column::Text(v) => v.len(),
            Column::Bool(v) => v.len(),
        }
    }

    fn data_type(&self) -> DataType {
        match self {
            Column::F64(_) => DataType::Float64,
            Column::I64(_) => DataType::Int64,
            Column::Text(_) => DataType::Utf8,
            Column::Bool(_) => DataType::Boolean,
        }
    }

    fn array(&self) -> ArrayRef {
        match self {
            Column::F64(v) => Arc::new(
                v.iter()
                    .map(|x| (!x.is_nan()).then_some(*x))
                    .collect::<Float64Array>(),
            ),
            Column::I64(v) => Arc::new(Int64Array::from(v.clone())),
            Column::Text(v) => Arc::new(StringArray::from_iter_values(v)),
            Column::Bool(v) => Arc::new(BooleanArray::from(v.clone())),
        }
    }
}

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Comma-separated text.
    Csv,
    /// Parquet (zstd-compressed).
    Parquet,
}

impl OutputFormat {
    /// `csv` or `parquet`.
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Csv => "csv",
            OutputFormat::Parquet => "parquet",
        }
    }

    /// The format a file name asks for: `.parquet` / `.pq` is Parquet, anything else CSV.
    pub fn of(path: &Path) -> OutputFormat {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("pq") => {
                OutputFormat::Parquet
            }
            _ => OutputFormat::Csv,
        }
    }
}

impl std::str::FromStr for OutputFormat {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<OutputFormat, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(OutputFormat::Csv),
            "parquet" => Ok(OutputFormat::Parquet),
            _ => Err(format!(
                "unknown output format `{s}`; expected csv or parquet"
            )),
        }
    }
}

/// A table being written block by block.
pub trait TableWriter {
    /// Writes one block; `names` and the column types are those of the first block.
    fn write(&mut self, names: &[String], columns: &[Column]) -> Result<()>;
    /// Flushes and closes the file.
    fn finish(self: Box<Self>) -> Result<()>;
}

/// A writer of `format` to `path`, or to standard output when `path` is
/// `None` (CSV only: Parquet needs a file).
pub fn create(path: Option<&Path>, format: OutputFormat) -> Result<Box<dyn TableWriter>> {
    match (path, format) {
        (None, OutputFormat::Csv) => Ok(Box::new(CsvWriter {
            path: "standard output".to_string(),
            out: Box::new(BufWriter::with_capacity(1 << 20, std::io::stdout())),
            header_written: false,
        })),
        (None, OutputFormat::Parquet) => Err(BatchError::Usage(
            "Parquet output needs a file: give --output FILE.parquet".to_string(),
        )),
        (Some(p), f) => {
            let name = p.display().to_string();
            let file = File::create(p).map_err(|source| BatchError::Io {
                path: name.clone(),
                what: "cannot create the file",
                source,
            })?;
            Ok(match f {
                OutputFormat::Csv => Box::new(CsvWriter {
                    path: name,
                    out: Box::new(BufWriter::with_capacity(1 << 20, file)),
                    header_written: false,
                }),
                OutputFormat::Parquet => Box::new(ParquetWriter {
                    path: name,
                    file: Some(file),
                    writer: None,
                    schema: None,
                }),
            })
        }
    }
}

struct CsvWriter {
    path: String,
    out: Box<dyn Write>,
    header_written: bool,
}

/// A text cell, quoted when it holds a comma, a quote or a line break.
fn quoted(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

impl CsvWriter {
    fn io(&self, source: std::io::Error) -> BatchError {
        BatchError::Io {
            path: self.path.clone(),
            what: "cannot write",
            source,
        }
    }
}

impl TableWriter for CsvWriter {
    fn write(&mut self, names: &[String], columns: &[Column]) -> Result<()> {
        let rows = columns.first().map_or(0, Column::len);
        let mut line = String::with_capacity(256);
        if !self.header_written {
            let h: Vec<_> = names.iter().map(|n| quoted(n).into_owned()).collect();
            line.push_str(&h.join(","));
            line.push('\n');
            self.header_written = true;
        }
        use std::fmt::Write as _;
        for r in 0..rows {
            for (j, c) in columns.iter().enumerate() {
                if j > 0 {
                    line.push(',');
                }
                match c {
                    Column::F64(v) if v[r].is_nan() => {}
                    Column::F64(v) => {
                        let _ = write!(line, "{}", v[r]);
                    }
                    Column::I64(v) => {
                        let _ = write!(line, "{}", v[r]);
                    }
                    Column::Text(v) => line.push_str(&quoted(&v[r])),
                    Column::Bool(v) => line.push_str(if v[r] { "true" } else { "false" }),
                }
            }
            line.push('\n');
            if line.len() > 1 << 16 {
                self.out
                    .write_all(line.as_bytes())
                    .map_err(|e| self.io(e))?;
                line.clear();
            }
        }
        self.out.write_all(line.as_bytes()).map_err(|e| self.io(e))
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        self.out.flush().map_err(|e| self.io(e))
    }
}

struct ParquetWriter {
    path: String,
    file: Option<File>,
    writer: Option<ArrowWriter<File>>,
    schema: Option<SchemaRef>,
}

impl ParquetWriter {
    fn err(&self, e: impl std::fmt::Display) -> BatchError {
        BatchError::Format {
            at: At {
                file: self.path.clone(),
                ..At::default()
            },
            message: format!("cannot write Parquet: {e}"),
        }
    }
}

impl TableWriter for ParquetWriter {
    fn write(&mut self, names: &[String], columns: &[Column]) -> Result<()> {
        if self.schema.is_none() {
            let fields: Vec<Field> = names
                .iter()
                .zip(columns)
                .map(|(n, c)| Field::new(n, c.data_type(), matches!(c, Column::F64(_))))
                .collect();
            let schema = Arc::new(Schema::new(fields));
            let props = WriterProperties::builder()
                .set_compression(Compression::ZSTD(ZstdLevel::default()))
                .build();
            let file = self
                .file
                .take()
                .ok_or_else(|| self.err("the file is closed"))?;
            let w =
                ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(|e| self.err(e))?;
            self.writer = Some(w);
            self.schema = Some(schema);
        }
        let schema = self.schema.clone().ok_or_else(|| self.err("no schema"))?;
        let arrays: Vec<ArrayRef> = columns.iter().map(Column::array).collect();
        let batch = RecordBatch::try_new(schema, arrays).map_err(|e| self.err(e))?;
        let w = self
            .writer
            .as_mut()
            .ok_or_else(|| BatchError::Usage("closed".into()))?;
        w.write(&batch).map_err(|e| BatchError::Format {
            at: At {
                file: self.path.clone(),
                ..At::default()
            },
            message: format!("cannot write Parquet: {e}"),
        })
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        match self.writer.take() {
            Some(w) => w.close().map(|_| ()).map_err(|e| self.err(e)),
            None => Ok(()),
        }
    }
}

/// A table kept in memory as Arrow record batches, one per block, of a
/// schema fixed in advance ([`crate::batch::output_schema`]): the output of
/// `rema.batch` in Python, handed over through the Arrow C data interface.
pub struct RecordBatches {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
}

impl RecordBatches {
    /// An empty table of `schema`.
    pub fn new(schema: SchemaRef) -> RecordBatches {
        RecordBatches {
            schema,
            batches: Vec::new(),
        }
    }

    /// The schema and the blocks written.
    pub fn into_parts(self) -> (SchemaRef, Vec<RecordBatch>) {
        (self.schema, self.batches)
    }
}

impl TableWriter for RecordBatches {
    fn write(&mut self, names: &[String], columns: &[Column]) -> Result<()> {
        let err = |message: String| BatchError::Format {
            at: At {
                file: "the output table".to_string(),
                ..At::default()
            },
            message,
        };
        let fields = self.schema.fields();
        if names.len() != fields.len() || names.iter().zip(fields).any(|(n, f)| n != f.name()) {
            return Err(err(format!(
                "columns {} do not match the schema's",
                names.join(", ")
            )));
        }
        let arrays: Vec<ArrayRef> = columns.iter().map(Column::array).collect();
        let batch =
            RecordBatch::try_new(self.schema.clone(), arrays).map_err(|e| err(e.to_string()))?;
        self.batches.push(batch);
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Array;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    #[test]
    fn parquet_keeps_the_bits_and_writes_nan_as_null() {
        let dir = std::env::temp_dir().join(format!("rema-arrow-out-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("t.parquet");
        let mut w = create(Some(&p), OutputFormat::Parquet).unwrap();
        let names = vec!["g".to_string(), "x".to_string(), "k".to_string()];
        let x = 0.1f64 + 0.2;
        for _ in 0..2 {
            w.write(
                &names,
                &[
                    Column::Text(vec!["a,b".into(), "c".into()]),
                    Column::F64(vec![x, f64::NAN]),
                    Column::I64(vec![3, 4]),
                ],
            )
            .unwrap();
        }
        w.finish().unwrap();
        let r = ParquetRecordBatchReaderBuilder::try_new(File::open(&p).unwrap())
            .unwrap()
            .build()
            .unwrap();
        let batches: Vec<RecordBatch> = r.map(|b| b.unwrap()).collect();
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows, 4);
        let col = batches[0]
            .column(1)
            .as_any()
            .downcast_ref::<Float64Array>()
            .unwrap();
        assert_eq!(col.value(0).to_bits(), x.to_bits());
        assert!(col.is_null(1));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
