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

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

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
    use rema_core::Error as E;
    let msg = e.to_string();
    match &e {
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
