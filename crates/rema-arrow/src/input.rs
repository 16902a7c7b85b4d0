//! Reading a long table in chunks: CSV or TSV (optionally gzip- or
//! zstd-compressed, by the name's `.gz` / `.zst`), Parquet, and Arrow IPC
//! (file or stream format). Only the group columns and the value columns
//! the measure needs are read (Parquet by projection).
//!
//! A chunk holds, for each row, its position in the file (a text file's
//! line, header = 1; a columnar file's 1-based row), its group key and its
//! values. A missing value (an empty cell, `NA`, a null) is `None`; a cell
//! that is not a finite number is an error naming file, row, column and
//! group.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, SchemaRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;

use crate::error::{At, BatchError, Result};

/// The rows a text chunk holds.
const TEXT_CHUNK: usize = 65_536;

/// The kind of file, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated text.
    Csv,
    /// Tab-separated text (`.tsv`, `.tab`, `.txt`).
    Tsv,
    /// Apache Parquet.
    Parquet,
    /// Arrow IPC, file (`.arrow`, `.feather`, `.ipc`) or stream (`.arrows`).
    Ipc,
}

/// How a text file is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Plain.
    None,
    /// `.gz`.
    Gzip,
    /// `.zst`.
    Zstd,
}

impl Format {
    /// The format and compression of `path` from its name.
    ///
    /// ```
    /// use rema_arrow::input::{Compression, Format};
    /// use std::path::Path;
    /// assert_eq!(Format::of(Path::new("a.tsv.gz")), Ok((Format::Tsv, Compression::Gzip)));
    /// assert_eq!(Format::of(Path::new("a.parquet")), Ok((Format::Parquet, Compression::None)));
    /// assert!(Format::of(Path::new("a.xlsx")).is_err());
    /// ```
    pub fn of(path: &Path) -> std::result::Result<(Format, Compression), String> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let (stem, compression) = if let Some(s) = name.strip_suffix(".gz") {
            (s, Compression::Gzip)
        } else if let Some(s) = name.strip_suffix(".zst") {
            (s, Compression::Zstd)
        } else {
            (name.as_str(), Compression::None)
        };
        let ext = stem.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        let format = match ext {
            "csv" => Format::Csv,
            "tsv" | "tab" | "txt" => Format::Tsv,
            "parquet" | "pq" => Format::Parquet,
            "arrow" | "arrows" | "feather" | "ipc" => Format::Ipc,
            _ => {
                return Err(format!(
                    "{}: unknown kind of file; rema batch reads .csv, .tsv (.txt, .tab), each optionally .gz or .zst, .parquet and Arrow IPC (.arrow, .arrows, .feather)",
                    path.display()
                ))
            }
        };
        if compression != Compression::None && matches!(format, Format::Parquet | Format::Ipc) {
            return Err(format!(
                "{}: Parquet and Arrow files compress inside; decompress the file first",
                path.display()
            ));
        }
        Ok((format, compression))
    }
}

/// One value of a group key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyValue {
    /// An integer column's value.
    Int(i64),
    /// A text column's value (every key of a text file).
    Text(String),
}

impl std::fmt::Display for KeyValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyValue::Int(i) => write!(f, "{i}"),
            KeyValue::Text(s) => f.write_str(s),
        }
    }
}

/// A column of group keys in a chunk.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyColumn {
    /// Integers.
    Int(Vec<i64>),
    /// Text.
    Text(Vec<String>),
}

impl KeyColumn {
    /// Whether rows `a` and `b` have the same key.
    pub fn same(&self, a: usize, b: usize) -> bool {
        match self {
            KeyColumn::Int(v) => v[a] == v[b],
            KeyColumn::Text(v) => v[a] == v[b],
        }
    }

    /// Whether row `a` has the key `k`.
    pub fn is(&self, a: usize, k: &KeyValue) -> bool {
        match (self, k) {
            (KeyColumn::Int(v), KeyValue::Int(k)) => v[a] == *k,
            (KeyColumn::Text(v), KeyValue::Text(k)) => v[a] == *k,
            _ => false,
        }
    }

    /// The key of row `a`.
    pub fn get(&self, a: usize) -> KeyValue {
        match self {
            KeyColumn::Int(v) => KeyValue::Int(v[a]),
            KeyColumn::Text(v) => KeyValue::Text(v[a].clone()),
        }
    }
}

/// Rows of a long table: positions, keys and values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Chunk {
    /// Each row's line (text) or 1-based row (columnar).
    pub rows: Vec<u64>,
    /// One column per group column.
    pub keys: Vec<KeyColumn>,
    /// One column per value column; `None` is a missing value.
    pub values: Vec<Vec<Option<f64>>>,
}

impl Chunk {
    /// The number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// A reader of chunks.
pub trait ChunkReader {
    /// The file's column names.
    fn columns(&self) -> &[String];
    /// The next chunk, or `None` at the end.
    fn next_chunk(&mut self) -> Result<Option<Chunk>>;
    /// The number of data rows, when the file says (Parquet).
    fn total_rows(&self) -> Option<u64> {
        None
    }
}

/// The group key of row `r` for messages: `snp=rs1, chr=2`.
pub fn describe_key(names: &[String], keys: &[KeyValue]) -> String {
    names
        .iter()
        .zip(keys)
        .map(|(n, k)| format!("{n}={k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The column names of `path`, from its header (text), footer (Parquet) or
/// schema (Arrow IPC), without reading the data.
pub fn header(path: &Path) -> Result<Vec<String>> {
    let (format, _) = Format::of(path).map_err(BatchError::Usage)?;
    if matches!(format, Format::Parquet) {
        let name = path.display().to_string();
        let f = File::open(path).map_err(|source| BatchError::Io {
            path: name.clone(),
            what: "cannot open the file",
            source,
        })?;
        let b = ParquetRecordBatchReaderBuilder::try_new(f).map_err(|e| BatchError::Format {
            at: At {
                file: name,
                ..At::default()
            },
            message: format!("not a readable Parquet file: {e}"),
        })?;
        return Ok(names(b.schema()));
    }
    Ok(open(path, &[], &[])?.columns().to_vec())
}

/// Opens `path` and reads the group columns `groups` and the value columns
/// `values` (every one must exist: [`find_columns`] chooses them first).
pub fn open(
    path: &Path,
    groups: &[String],
    values: &[String],
) -> Result<Box<dyn ChunkReader + Send>> {
    let (format, compression) = Format::of(path).map_err(BatchError::Usage)?;
    let name = path.display().to_string();
    let file = File::open(path).map_err(|source| BatchError::Io {
        path: name.clone(),
        what: "cannot open the file",
        source,
    })?;
    match format {
        Format::Csv | Format::Tsv => {
            let inner: Box<dyn Read + Send> = match compression {
                Compression::None => Box::new(file),
                Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(file)),
                Compression::Zstd => {
                    Box::new(zstd::stream::read::Decoder::new(file).map_err(|source| {
                        BatchError::Io {
                            path: name.clone(),
                            what: "cannot start zstd decompression",
                            source,
                        }
                    })?)
                }
            };
            let delim = if format == Format::Tsv { b'\t' } else { b',' };
            Ok(Box::new(TextReader::new(
                name,
                Box::new(BufReader::with_capacity(1 << 20, inner)),
                delim,
                groups,
                values,
            )?))
        }
        Format::Parquet => Ok(Box::new(ColumnarReader::parquet(
            name, file, groups, values,
        )?)),
        Format::Ipc => Ok(Box::new(ColumnarReader::ipc(name, file, groups, values)?)),
    }
}

/// A delimited text file, read with the csv crate.
pub struct TextReader {
    file: String,
    reader: csv::Reader<Box<dyn Read + Send>>,
    header: Vec<String>,
    group_idx: Vec<usize>,
    value_idx: Vec<usize>,
    value_names: Vec<String>,
    record: csv::StringRecord,
    done: bool,
}

fn index_of(file: &str, header: &[String], name: &str, hint: &str) -> Result<usize> {
    header
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| BatchError::MissingColumn {
            file: file.to_string(),
            column: name.to_string(),
            hint: hint.to_string(),
            available: header.join(", "),
        })
}

impl TextReader {
    /// Reads the header of `inner` (a BOM is skipped).
    pub fn new(
        file: String,
        inner: Box<dyn Read + Send>,
        delim: u8,
        groups: &[String],
        values: &[String],
    ) -> Result<TextReader> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delim)
            .has_headers(true)
            .flexible(false)
            .trim(csv::Trim::All)
            .from_reader(inner);
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| csv_error(&file, e))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_string())
            .collect();
        let group_idx = groups
            .iter()
            .map(|g| index_of(&file, &header, g, "name it with --group"))
            .collect::<Result<_>>()?;
        let value_idx = values
            .iter()
            .map(|v| index_of(&file, &header, v, "the measure needs it"))
            .collect::<Result<_>>()?;
        Ok(TextReader {
            file,
            reader,
            header,
            group_idx,
            value_idx,
            value_names: values.to_vec(),
            record: csv::StringRecord::new(),
            done: false,
        })
    }
}

fn csv_error(file: &str, e: csv::Error) -> BatchError {
    let row = e.position().map(|p| p.line());
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "this row has {len} fields but the header has {expected_len}; every row needs one field per column (quote fields that contain the delimiter)"
        ),
        csv::ErrorKind::Utf8 { .. } => {
            "the text is not UTF-8; save the file as UTF-8".to_string()
        }
        _ => e.to_string(),
    };
    BatchError::Format {
        at: At {
            file: file.to_string(),
            row,
            ..At::default()
        },
        message,
    }
}

/// Parses a cell: `None` when empty or `NA`.
fn parse_cell(cell: &str) -> std::result::Result<Option<f64>, ()> {
    if cell.is_empty() || cell == "NA" {
        return Ok(None);
    }
    match cell.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(()),
    }
}

impl ChunkReader for TextReader {
    fn columns(&self) -> &[String] {
        &self.header
    }

    fn next_chunk(&mut self) -> Result<Option<Chunk>> {
        if self.done {
            return Ok(None);
        }
        let mut chunk = Chunk {
            rows: Vec::with_capacity(TEXT_CHUNK),
            keys: self
                .group_idx
                .iter()
                .map(|_| KeyColumn::Text(Vec::with_capacity(TEXT_CHUNK)))
                .collect(),
            values: self
                .value_idx
                .iter()
                .map(|_| Vec::with_capacity(TEXT_CHUNK))
                .collect(),
        };
        while chunk.len() < TEXT_CHUNK {
            let more = self
                .reader
                .read_record(&mut self.record)
                .map_err(|e| csv_error(&self.file, e))?;
            if !more {
                self.done = true;
                break;
            }
            let r = &self.record;
            if r.iter().all(str::is_empty) {
                continue;
            }
            let line = r.position().map_or(0, |p| p.line());
            for (j, &c) in self.group_idx.iter().enumerate() {
                let cell = r.get(c).unwrap_or("");
                if cell.is_empty() || cell == "NA" {
                    return Err(BatchError::MissingKey {
                        at: At {
                            file: self.file.clone(),
                            row: Some(line),
                            column: Some(self.header[c].clone()),
                            group: None,
                        },
                    });
                }
                if let KeyColumn::Text(v) = &mut chunk.keys[j] {
                    v.push(cell.to_string());
                }
            }
            for (j, &c) in self.value_idx.iter().enumerate() {
                let cell = r.get(c).unwrap_or("");
                match parse_cell(cell) {
                    Ok(v) => chunk.values[j].push(v),
                    Err(()) => {
                        let group = self
                            .group_idx
                            .iter()
                            .map(|&g| format!("{}={}", self.header[g], r.get(g).unwrap_or("")))
                            .collect::<Vec<_>>()
                            .join(", ");
                        return Err(BatchError::NotANumber {
                            at: At {
                                file: self.file.clone(),
                                row: Some(line),
                                column: Some(self.value_names[j].clone()),
                                group: Some(group),
                            },
                            value: cell.to_string(),
                        });
                    }
                }
            }
            chunk.rows.push(line);
        }
        Ok(if chunk.is_empty() { None } else { Some(chunk) })
    }
}

/// A Parquet or Arrow IPC file, read batch by batch.
pub struct ColumnarReader {
    file: String,
    header: Vec<String>,
    batches: Box<dyn Iterator<Item = std::result::Result<RecordBatch, String>> + Send>,
    groups: Vec<String>,
    values: Vec<String>,
    next_row: u64,
    total: Option<u64>,
}

impl ColumnarReader {
    fn parquet(
        file: String,
        f: File,
        groups: &[String],
        values: &[String],
    ) -> Result<ColumnarReader> {
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(f).map_err(|e| BatchError::Format {
                at: At {
                    file: file.clone(),
                    ..At::default()
                },
                message: format!("not a readable Parquet file: {e}"),
            })?;
        let schema = builder.schema().clone();
        let header = names(&schema);
        let wanted = wanted_indices(&file, &header, groups, values)?;
        let total = builder.metadata().file_metadata().num_rows().max(0) as u64;
        let mask = ProjectionMask::roots(builder.parquet_schema(), wanted);
        let reader = builder
            .with_projection(mask)
            .with_batch_size(65_536)
            .build()
            .map_err(|e| BatchError::Format {
                at: At {
                    file: file.clone(),
                    ..At::default()
                },
                message: e.to_string(),
            })?;
        Ok(ColumnarReader {
            file,
            header,
            batches: Box::new(reader.map(|b| b.map_err(|e| e.to_string()))),
            groups: groups.to_vec(),
            values: values.to_vec(),
            next_row: 1,
            total: Some(total),
        })
    }

    fn ipc(
        file: String,
        mut f: File,
        groups: &[String],
        values: &[String],
    ) -> Result<ColumnarReader> {
        use std::io::{Seek, SeekFrom};
        let mut magic = [0u8; 6];
        let is_file = f.read_exact(&mut magic).is_ok() && &magic == b"ARROW1";
        f.seek(SeekFrom::Start(0))
            .map_err(|source| BatchError::Io {
                path: file.clone(),
                what: "cannot read the file",
                source,
            })?;
        let bad = |e: arrow_schema::ArrowError| BatchError::Format {
            at: At {
                file: file.clone(),
                ..At::default()
            },
            message: format!("not a readable Arrow IPC file: {e}"),
        };
        let (schema, batches): (SchemaRef, Box<dyn Iterator<Item = _> + Send>) = if is_file {
            let r = arrow_ipc::reader::FileReader::try_new(BufReader::new(f), None).map_err(bad)?;
            (
                r.schema(),
                Box::new(r.map(|b| b.map_err(|e| e.to_string()))),
            )
        } else {
            let r =
                arrow_ipc::reader::StreamReader::try_new(BufReader::new(f), None).map_err(bad)?;
            (
                r.schema(),
                Box::new(r.map(|b| b.map_err(|e| e.to_string()))),
            )
        };
        let header = names(&schema);
        wanted_indices(&file, &header, groups, values)?;
        Ok(ColumnarReader {
            file,
            header,
            batches,
            groups: groups.to_vec(),
            values: values.to_vec(),
            next_row: 1,
            total: None,
        })
    }
}

impl ColumnarReader {
    /// Record batches already in memory (an Arrow C stream from Python, a
    /// DataFusion result), read as a Parquet file's: `name` names them in
    /// messages, `schema` is theirs. The batches' buffers are read in place.
    pub fn batches(
        name: String,
        schema: &SchemaRef,
        batches: Box<dyn Iterator<Item = std::result::Result<RecordBatch, String>> + Send>,
        groups: &[String],
        values: &[String],
    ) -> Result<ColumnarReader> {
        let header = names(schema);
        wanted_indices(&name, &header, groups, values)?;
        Ok(ColumnarReader {
            file: name,
            header,
            batches,
            groups: groups.to_vec(),
            values: values.to_vec(),
            next_row: 1,
            total: None,
        })
    }
}

fn names(schema: &SchemaRef) -> Vec<String> {
    schema.fields().iter().map(|f| f.name().clone()).collect()
}

fn wanted_indices(
    file: &str,
    header: &[String],
    groups: &[String],
    values: &[String],
) -> Result<Vec<usize>> {
    let mut idx = Vec::new();
    for g in groups {
        idx.push(index_of(file, header, g, "name it with --group")?);
    }
    for v in values {
        idx.push(index_of(file, header, v, "the measure needs it")?);
    }
    Ok(idx)
}

impl ColumnarReader {
    fn at(&self, row: u64, column: &str) -> At {
        At {
            file: self.file.clone(),
            row: Some(row),
            column: Some(column.to_string()),
            group: None,
        }
    }

    fn key_column(&self, a: &dyn Array, name: &str, first: u64) -> Result<KeyColumn> {
        if let Some(i) = (0..a.len()).find(|&i| a.is_null(i)) {
            return Err(BatchError::MissingKey {
                at: self.at(first + i as u64, name),
            });
        }
        macro_rules! ints {
            ($t:ty) => {
                KeyColumn::Int(
                    a.as_primitive::<$t>()
                        .values()
                        .iter()
                        .map(|&x| x as i64)
                        .collect(),
                )
            };
        }
        Ok(match a.data_type() {
            DataType::Int8 => ints!(Int8Type),
            DataType::Int16 => ints!(Int16Type),
            DataType::Int32 => ints!(Int32Type),
            DataType::Int64 => ints!(Int64Type),
            DataType::UInt8 => ints!(UInt8Type),
            DataType::UInt16 => ints!(UInt16Type),
            DataType::UInt32 => ints!(UInt32Type),
            DataType::UInt64 => {
                let v = a.as_primitive::<UInt64Type>().values();
                if let Some(i) = v.iter().position(|&x| x > i64::MAX as u64) {
                    return Err(BatchError::Format {
                        at: self.at(first + i as u64, name),
                        message: format!("group key {} is above 2^63 - 1; store it as text", v[i]),
                    });
                }
                KeyColumn::Int(v.iter().map(|&x| x as i64).collect())
            }
            DataType::Utf8 => KeyColumn::Text(
                a.as_string::<i32>().iter().map(|s| s.unwrap_or("").to_string()).collect(),
            ),
            DataType::LargeUtf8 => KeyColumn::Text(
                a.as_string::<i64>().iter().map(|s| s.unwrap_or("").to_string()).collect(),
            ),
            DataType::Utf8View => KeyColumn::Text(
                a.as_string_view().iter().map(|s| s.unwrap_or("").to_string()).collect(),
            ),
            other => {
                return Err(self.column_error(
                    name,
                    format!("a group column of type {other} is not supported; use integers or text (cast dictionary columns to text)"),
                ))
            }
        })
    }

    /// A format error about the whole column `name` of this file.
    fn column_error(&self, name: &str, message: String) -> BatchError {
        BatchError::Format {
            at: At {
                file: self.file.clone(),
                column: Some(name.to_string()),
                ..At::default()
            },
            message,
        }
    }

    fn value_column(
        &self,
        a: &dyn Array,
        name: &str,
        first: u64,
        keys: &[KeyColumn],
    ) -> Result<Vec<Option<f64>>> {
        macro_rules! nums {
            ($t:ty) => {
                a.as_primitive::<$t>()
                    .iter()
                    .map(|x| x.map(|x| x as f64))
                    .collect::<Vec<_>>()
            };
        }
        let v: Vec<Option<f64>> = match a.data_type() {
            DataType::Float64 => a.as_primitive::<Float64Type>().iter().collect(),
            DataType::Float32 => nums!(Float32Type),
            DataType::Int8 => nums!(Int8Type),
            DataType::Int16 => nums!(Int16Type),
            DataType::Int32 => nums!(Int32Type),
            DataType::Int64 => nums!(Int64Type),
            DataType::UInt8 => nums!(UInt8Type),
            DataType::UInt16 => nums!(UInt16Type),
            DataType::UInt32 => nums!(UInt32Type),
            DataType::UInt64 => nums!(UInt64Type),
            other => {
                return Err(self.column_error(
                    name,
                    format!(
                    "a value column of type {other} is not a number column; store it as float64"
                ),
                ))
            }
        };
        if let Some(i) = v.iter().position(|x| x.is_some_and(|x| !x.is_finite())) {
            let group = self
                .groups
                .iter()
                .zip(keys)
                .map(|(n, k)| format!("{n}={}", k.get(i)))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(BatchError::NotANumber {
                at: At {
                    group: Some(group),
                    ..self.at(first + i as u64, name)
                },
                value: format!("{}", v[i].unwrap_or(f64::NAN)),
            });
        }
        Ok(v)
    }
}

impl ChunkReader for ColumnarReader {
    fn columns(&self) -> &[String] {
        &self.header
    }

    fn total_rows(&self) -> Option<u64> {
        self.total
    }

    fn next_chunk(&mut self) -> Result<Option<Chunk>> {
        let batch = match self.batches.next() {
            None => return Ok(None),
            Some(Err(message)) => {
                return Err(BatchError::Format {
                    at: At {
                        file: self.file.clone(),
                        row: Some(self.next_row),
                        ..At::default()
                    },
                    message,
                })
            }
            Some(Ok(b)) => b,
        };
        let first = self.next_row;
        let n = batch.num_rows();
        self.next_row += n as u64;
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .cloned()
                .ok_or_else(|| BatchError::Format {
                    at: At {
                        file: self.file.clone(),
                        column: Some(name.to_string()),
                        ..At::default()
                    },
                    message: "the column is missing from a record batch".to_string(),
                })
        };
        let mut keys = Vec::with_capacity(self.groups.len());
        for g in &self.groups {
            keys.push(self.key_column(column(g)?.as_ref(), g, first)?);
        }
        let mut values = Vec::with_capacity(self.values.len());
        for v in &self.values {
            values.push(self.value_column(column(v)?.as_ref(), v, first, &keys)?);
        }
        Ok(Some(Chunk {
            rows: (first..first + n as u64).collect(),
            keys,
            values,
        }))
    }
}
