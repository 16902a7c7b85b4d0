//! `POST /v1/tables`: the columns of a CSV file or an Excel workbook, before
//! any analysis, so the web page offers the file's own columns as the
//! subgroup and moderator choices; a workbook's sheet comes back as CSV text,
//! which the page then sends to `POST /v1/analyses` as any pasted CSV.

use axum::extract::{RawQuery, State};
use axum::Json;
use rema_data::xlsx::{is_workbook, read_any};
use rema_data::Table;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, ErrorBody, InputKind};
use crate::extract::RawBody;
use crate::{run_compute, AppState};

/// The answer of `POST /v1/tables`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TableColumns {
    /// The name of the input in messages (`name`, with the sheet of a
    /// workbook: `data.xlsx, sheet `Studies``).
    pub source: String,
    /// `csv` (delimited text) or `xlsx` (an Excel workbook).
    pub format: String,
    /// The header, in the file's order.
    pub columns: Vec<String>,
    /// The number of studies (non-blank rows below the header).
    pub rows: usize,
    /// A workbook's sheet as comma-separated CSV text (cells as a CSV would
    /// hold them), to send as `csv` to `POST /v1/analyses`; null for
    /// delimited text, which is sent as it is.
    pub csv: Option<String>,
}

/// The query of `POST /v1/tables`, read by hand so a bad key is a 400
/// naming it; this type documents it.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct TableQuery {
    /// Names the input in messages (default `csv`), e.g. the file name.
    name: Option<String>,
    /// The sheet of a workbook to read (default the first); refused for
    /// delimited text.
    sheet: Option<String>,
}

/// Read the header of a CSV file or an Excel workbook.
#[utoipa::path(
    post,
    path = "/v1/tables",
    params(TableQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "the file's bytes: CSV, TSV or semicolon-separated text, or an .xlsx workbook (told by its bytes)"),
    responses(
        (status = 200, description = "the columns and the number of rows", body = TableColumns),
        (status = 400, description = "a bad query parameter", body = ErrorBody),
        (status = 413, description = "the body is over the cap", body = ErrorBody),
        (status = 422, description = "the file cannot be read: the message names the line and column, or the sheet", body = ErrorBody),
    )
)]
pub async fn read_table(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    RawBody(bytes): RawBody,
) -> Result<Json<TableColumns>, AppError> {
    let (name, sheet) = parse_query(query.as_deref().unwrap_or(""))?;
    let columns = run_compute(&state, move || -> Result<TableColumns, AppError> {
        let workbook = is_workbook(&bytes);
        let table =
            read_any(&bytes, &name, sheet.as_deref()).map_err(|e| InputKind::Csv.data_error(e))?;
        Ok(TableColumns {
            csv: workbook.then(|| to_csv(&table)),
            format: if workbook { "xlsx" } else { "csv" }.to_string(),
            rows: table.rows.len(),
            columns: table.headers,
            source: table.source,
        })
    })
    .await??;
    Ok(Json(columns))
}

/// `?name=...&sheet=...`, percent-decoded; anything else is a 400.
fn parse_query(query: &str) -> Result<(String, Option<String>), AppError> {
    let mut name = "csv".to_string();
    let mut sheet = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(v).ok_or_else(|| AppError::InvalidQuery {
            message: format!("`{k}`: the value is not percent-encoded UTF-8"),
        })?;
        match k {
            "name" if !value.is_empty() => name = value,
            "sheet" if !value.is_empty() => sheet = Some(value),
            "name" | "sheet" => {
                return Err(AppError::InvalidQuery {
                    message: format!("`{k}` is empty; give a value or leave it out"),
                })
            }
            _ => {
                return Err(AppError::InvalidQuery {
                    message: format!("`{k}`: unknown parameter; use name and sheet"),
                })
            }
        }
    }
    Ok((name, sheet))
}

/// Decodes `%XX` escapes and `+` (a space, as forms encode it).
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// A table as comma-separated CSV that [`Table::from_str`] reads back as the
/// same table: a cell with a comma, a quote, a line break, a semicolon or a
/// tab is quoted, its quotes doubled (RFC 4180), so the header's delimiter
/// is the comma whatever the cells hold.
pub fn to_csv(table: &Table) -> String {
    fn cell(s: &str) -> String {
        if s.contains([',', '"', '\n', '\r', ';', '\t']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    }
    let line = |cells: &[String]| cells.iter().map(|c| cell(c)).collect::<Vec<_>>().join(",");
    let mut out = line(&table.headers);
    out.push('\n');
    for row in &table.rows {
        out.push_str(&line(&row.cells));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csv_of_a_table_reads_back_as_the_same_table() {
        let text = "study,\"a;b\tc\",yi,vi\n\"Smith, 2001\",\"said \"\"no\"\"\",0.1,0.01\nJones,,0.2,0.02\n";
        let t = Table::from_str(text, "x.csv").unwrap();
        let back = Table::from_str(&to_csv(&t), "x.csv").unwrap();
        assert_eq!(back.headers, t.headers);
        let cells = |t: &Table| t.rows.iter().map(|r| r.cells.clone()).collect::<Vec<_>>();
        assert_eq!(cells(&back), cells(&t));
        assert_eq!(t.rows[0].cells[0], "Smith, 2001");
    }

    #[test]
    fn the_query_names_the_input_and_the_sheet() {
        assert_eq!(parse_query("").unwrap(), ("csv".to_string(), None));
        assert_eq!(
            parse_query("name=bcg%20data.xlsx&sheet=Studies+2").unwrap(),
            ("bcg data.xlsx".to_string(), Some("Studies 2".to_string()))
        );
        for bad in ["page=2", "sheet=", "name=%zz"] {
            assert!(
                matches!(parse_query(bad), Err(AppError::InvalidQuery { .. })),
                "{bad}"
            );
        }
    }
}
