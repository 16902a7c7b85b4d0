//! A query's result written as `rema batch` writes its own: through
//! rema-arrow's CSV and Parquet writers, with struct columns (the result of
//! `rma`) spread into one column per field, so `SELECT id, rma(...)` gives
//! the same columns as `rema batch --group id`.

use std::path::Path;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::common::{DataFusionError, Result};
use rema_arrow::output::{create, Column, OutputFormat};

/// The columns of a batch, struct columns spread into their fields (named
/// by the field alone when the query has one struct column, else
/// `column.field`).
pub fn columns(batch: &RecordBatch) -> Result<(Vec<String>, Vec<Column>)> {
    let schema = batch.schema();
    let structs = schema
        .fields()
        .iter()
        .filter(|f| matches!(f.data_type(), DataType::Struct(_)))
        .count();
    let (mut names, mut cols) = (Vec::new(), Vec::new());
    for (field, array) in schema.fields().iter().zip(batch.columns()) {
        match array.data_type() {
            DataType::Struct(fields) => {
                let s = array.as_struct();
                for (f, a) in fields.iter().zip(s.columns()) {
                    names.push(if structs == 1 {
                        f.name().clone()
                    } else {
                        format!("{}.{}", field.name(), f.name())
                    });
                    cols.push(column(a)?);
                }
            }
            _ => {
                names.push(field.name().clone());
                cols.push(column(array)?);
            }
        }
    }
    Ok((names, cols))
}

fn column(a: &ArrayRef) -> Result<Column> {
    let t = a.data_type();
    Ok(if t.is_floating() {
        let c = cast(a, &DataType::Float64)?;
        let c = c.as_primitive::<Float64Type>();
        Column::F64(
            (0..c.len())
                .map(|i| if c.is_null(i) { f64::NAN } else { c.value(i) })
                .collect(),
        )
    } else if t.is_integer() {
        if a.null_count() > 0 {
            text(a)?
        } else {
            let c = cast(a, &DataType::Int64)?;
            Column::I64(c.as_primitive::<Int64Type>().values().to_vec())
        }
    } else if *t == DataType::Boolean && a.null_count() == 0 {
        let c = a.as_boolean();
        Column::Bool((0..c.len()).map(|i| c.value(i)).collect())
    } else {
        text(a)?
    })
}

fn text(a: &ArrayRef) -> Result<Column> {
    let c = cast(a, &DataType::Utf8)?;
    let c = c.as_string::<i32>();
    Ok(Column::Text(
        (0..c.len())
            .map(|i| {
                if c.is_null(i) {
                    String::new()
                } else {
                    c.value(i).to_string()
                }
            })
            .collect(),
    ))
}

/// Writes the batches to `path` (standard output if `None`) as CSV or
/// Parquet.
pub fn write(batches: &[RecordBatch], path: Option<&Path>, format: OutputFormat) -> Result<()> {
    let err = |e: rema_arrow::BatchError| DataFusionError::External(Box::new(e));
    let mut out = create(path, format).map_err(err)?;
    let any = batches.iter().any(|b| b.num_rows() > 0);
    for b in batches
        .iter()
        .filter(|b| b.num_rows() > 0 || !any)
        .take(if any { usize::MAX } else { 1 })
    {
        let (names, cols) = columns(b)?;
        out.write(&names, &cols).map_err(err)?;
    }
    out.finish().map_err(err)
}
