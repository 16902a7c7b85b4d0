//! `rema._rema`: the native half of the `rema` Python package.
//!
//! Glue only, as the CLI and the server are: the studies arrive as columns
//! of text cells (the Python half writes numbers with `repr`, which
//! round-trips every float exactly), are written as one CSV text and read by
//! [`rema_data::Table::from_str`], the same reader `rema analyze` uses, so a
//! DataFrame and the CSV file it would write give the same numbers, the same
//! notes and the same input hash. The options arrive as JSON and are read
//! into [`rema_data::AnalysisSpec`] by serde, as the server and plans read
//! them: same names, same types, same checks. The result goes back as the
//! CLI's `--format json` text.
//!
//! `batch_arrow` is `rema batch` on a table in memory: the Arrow C stream of
//! a pyarrow Table or RecordBatch (or anything with `__arrow_c_stream__`)
//! is imported by `arrow-pyarrow`, which takes the stream's capsule and
//! reads its record batches where they lie (no copy, no pandas, no text);
//! rema-arrow reads them exactly as it reads a Parquet file's batches and
//! pools them with rema-core's batch kernel; the analyses go back as a
//! pyarrow Table whose buffers are Rust's, handed over by the same
//! interface. The FFI's `unsafe` lives in arrow-pyarrow and arrow-array,
//! not here.

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use arrow_array::ffi_stream::ArrowArrayStreamReader;
use arrow_array::RecordBatchReader;
use arrow_pyarrow::PyArrowType;
use rema_arrow::batch::BatchRequest;
use rema_arrow::BatchError;
use rema_data::{analyze, sha256_hex, AnalysisSpec, DataError, Table};

create_exception!(
    _rema,
    RemaError,
    PyValueError,
    "An analysis that rema refused or could not run; the message says why and what would fix it."
);
create_exception!(
    _rema,
    OptionError,
    RemaError,
    "An option (a keyword argument) that rema does not accept, or a combination it refuses."
);
create_exception!(
    _rema,
    InputError,
    RemaError,
    "Study data rema cannot use: a missing column, a non-numeric cell, a variance that is not positive."
);
create_exception!(
    _rema,
    EstimationError,
    RemaError,
    "Valid data from which the model cannot be estimated (too few studies, no convergence, a rank-deficient design)."
);

/// The exception class of a [`DataError`], as the CLI picks its exit code.
fn to_py(e: DataError) -> PyErr {
    let msg = e.to_string();
    with_class_of(&e, msg)
}

/// `msg` raised as the exception class of `e`.
fn with_class_of(e: &DataError, msg: String) -> PyErr {
    use rema_core::Error as E;
    match e {
        DataError::Option { .. } => OptionError::new_err(msg),
        DataError::Core {
            source:
                E::NotConverged { .. }
                | E::TooFewStudies { .. }
                | E::RankDeficient
                | E::NoFiniteEstimate { .. }
                | E::Undefined { .. },
            ..
        } => EstimationError::new_err(msg),
        _ => InputError::new_err(msg),
    }
}

/// One CSV field, quoted as RFC 4180 (and Python's `csv` module) quote it.
fn push_field(out: &mut String, cell: &str) {
    if cell.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&cell.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(cell);
    }
}

/// The columns as one CSV text: a header line, then one line per row, each
/// ended by LF (what `csv.writer(f, lineterminator="\n")` writes).
fn to_csv(names: &[String], columns: &[Vec<String>]) -> Result<String, PyErr> {
    let n = columns.first().map_or(0, Vec::len);
    if let Some((name, col)) = names.iter().zip(columns).find(|(_, c)| c.len() != n) {
        return Err(InputError::new_err(format!(
            "column `{name}` has {} values but `{}` has {n}: give every column one value per study",
            col.len(),
            names[0]
        )));
    }
    let mut out = String::new();
    for (j, name) in names.iter().enumerate() {
        if j > 0 {
            out.push(',');
        }
        push_field(&mut out, name);
    }
    out.push('\n');
    for i in 0..n {
        for (j, col) in columns.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            push_field(&mut out, &col[i]);
        }
        out.push('\n');
    }
    Ok(out)
}

/// The options as an [`AnalysisSpec`]. A bad option is an [`OptionError`]
/// that names it, as a plan's or the server's message does.
fn spec_from_json(spec_json: &str) -> PyResult<AnalysisSpec> {
    let de = &mut serde_json::Deserializer::from_str(spec_json);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_string();
        match path.as_str() {
            "." | "" => OptionError::new_err(message),
            p => OptionError::new_err(format!("option `{p}`: {message}")),
        }
    })
}

/// Runs one analysis on columns of text cells and returns the result as the
/// CLI's JSON. `source` names the data in messages (`DataFrame`, a path).
#[pyfunction]
#[pyo3(signature = (source, names, columns, spec_json))]
fn analyze_columns(
    py: Python<'_>,
    source: &str,
    names: Vec<String>,
    columns: Vec<Vec<String>>,
    spec_json: &str,
) -> PyResult<String> {
    if names.len() != columns.len() {
        return Err(InputError::new_err(format!(
            "{} column names for {} columns",
            names.len(),
            columns.len()
        )));
    }
    if names.is_empty() {
        return Err(InputError::new_err(
            "no study data: give columns such as yi= and vi=, or a table",
        ));
    }
    let spec = spec_from_json(spec_json)?;
    let csv = to_csv(&names, &columns)?;
    py.detach(|| {
        let table = Table::from_str(&csv, source)?;
        let sha = sha256_hex(csv.as_bytes());
        analyze(&table, &spec, &sha)
    })
    .map_err(to_py)
    .map(|r| serde_json::to_string(&r).expect("results serialise"))
}

/// The exception class of a [`BatchError`], as `rema batch` picks its exit
/// code: options are [`OptionError`], the data [`InputError`] (a raw-data
/// group's effect sizes as [`to_py`] classes them).
fn batch_to_py(e: BatchError) -> PyErr {
    let msg = e.to_string();
    match &e {
        BatchError::Usage(_) | BatchError::Core(_) => OptionError::new_err(msg),
        BatchError::Effects { source, .. } => with_class_of(source, msg),
        _ => InputError::new_err(msg),
    }
}

/// The options of `rema.batch`, as the Python half passes them (JSON):
/// `rema batch`'s flags by their names, strings parsed here as the CLI
/// parses them.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchOptionsJson {
    group: Vec<String>,
    measure: Option<String>,
    method: Option<String>,
    test: Option<String>,
    pi_dist: Option<String>,
    level: Option<rema_data::spec::Level>,
    add: Option<f64>,
    to: Option<String>,
}

/// One option's text through its parser; a bad one is an [`OptionError`]
/// that names it.
fn parse_opt<T>(
    name: &str,
    value: Option<&str>,
    parse: fn(&str) -> Result<T, String>,
) -> PyResult<Option<T>> {
    value
        .map(|v| parse(v).map_err(|m| OptionError::new_err(format!("option `{name}`: {m}"))))
        .transpose()
}

fn batch_request(json: &str) -> PyResult<BatchRequest> {
    let de = &mut serde_json::Deserializer::from_str(json);
    let o: BatchOptionsJson = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_string();
        match path.as_str() {
            "." | "" => OptionError::new_err(message),
            p => OptionError::new_err(format!("option `{p}`: {message}")),
        }
    })?;
    let mut r = BatchRequest::new(o.group);
    if let Some(m) = parse_opt("measure", o.measure.as_deref(), str::parse)? {
        r.measure = m;
    }
    if let Some(m) = parse_opt("method", o.method.as_deref(), str::parse)? {
        r.method = m;
    }
    if let Some(t) = parse_opt("test", o.test.as_deref(), str::parse)? {
        r.test = t;
    }
    if let Some(d) = parse_opt("pi_dist", o.pi_dist.as_deref(), str::parse)? {
        r.pi_dist = d;
    }
    if let Some(l) = o.level {
        r.level = l;
    }
    r.add = o.add;
    r.to = parse_opt("to", o.to.as_deref(), rema_data::spec::parse_to)?;
    Ok(r)
}

/// `rema batch` on an Arrow stream: every group of the long table pooled,
/// one row per analysis, as a pyarrow Table with `rema batch`'s columns.
/// `source` names the table in messages; `options_json` holds `group`
/// and the other options of `rema batch`.
#[pyfunction]
#[pyo3(signature = (source, stream, options_json))]
fn batch_arrow(
    py: Python<'_>,
    source: &str,
    stream: PyArrowType<ArrowArrayStreamReader>,
    options_json: &str,
) -> PyResult<PyArrowType<arrow_pyarrow::Table>> {
    let spec = batch_request(options_json)?.spec().map_err(batch_to_py)?;
    let reader = stream.0;
    let schema = reader.schema();
    let (schema, batches) = py
        .detach(|| {
            let mut out = rema_arrow::output::RecordBatches::new(rema_arrow::batch::output_schema(
                &spec, &schema,
            ));
            let batches = Box::new(reader.map(|b| b.map_err(|e| e.to_string())));
            rema_arrow::batch::run_batches(source, &schema, batches, &spec, &mut out)?;
            Ok::<_, BatchError>(out.into_parts())
        })
        .map_err(batch_to_py)?;
    arrow_pyarrow::Table::try_new(batches, schema)
        .map(PyArrowType)
        .map_err(|e| RemaError::new_err(e.to_string()))
}

/// The names `analyze` takes as options (every other keyword is a column).
#[pyfunction]
fn option_names() -> Vec<&'static str> {
    rema_data::spec::SPEC_FIELDS.to_vec()
}

/// The version of the rema crates inside the wheel.
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[pymodule]
fn _rema(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(analyze_columns, m)?)?;
    m.add_function(wrap_pyfunction!(batch_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(option_names, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    let py = m.py();
    m.add("RemaError", py.get_type::<RemaError>())?;
    m.add("OptionError", py.get_type::<OptionError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("EstimationError", py.get_type::<EstimationError>())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_as_rfc_4180() {
        let csv = to_csv(
            &["study".into(), "yi".into()],
            &[
                vec!["A, 1999".into(), "say \"hi\"".into()],
                vec!["0.5".into(), "".into()],
            ],
        )
        .unwrap();
        assert_eq!(csv, "study,yi\n\"A, 1999\",0.5\n\"say \"\"hi\"\"\",\n");
    }
}
