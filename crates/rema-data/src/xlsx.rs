//! Reading one sheet of an Excel workbook (`.xlsx`) into a [`Table`].
//!
//! The workbook is read with the calamine crate, from memory. The sheet is
//! the first one, or the one named by the `sheet` option. Its first non-blank
//! row is the header, every later row a study, and the sheet's own row
//! numbers are the rows' lines, so a message names the workbook, the sheet,
//! the row, the column and the study: `data.xlsx, sheet `Studies`, line 5,
//! column `vi`, study `Smith``. The header and blank-row rules are those of
//! a CSV file ([`Table::from_records`]).
//!
//! Cells become the text a CSV would hold: numbers in Rust's shortest
//! round-trip form (`0.1`, `12`), booleans as `TRUE`/`FALSE`, dates as
//! Excel's serial number, an Excel error such as `#DIV/0!` as its text
//! (which a numeric column then refuses, naming the cell).

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::error::{DataError, Result};
use crate::table::{Row, Table};

/// True when `bytes` begin as a ZIP archive, as every `.xlsx` workbook does
/// (a CSV file never starts with `PK\x03\x04`).
///
/// ```
/// assert!(rema_data::xlsx::is_workbook(b"PK\x03\x04rest"));
/// assert!(!rema_data::xlsx::is_workbook(b"study,yi,vi\n"));
/// ```
pub fn is_workbook(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// The end of the source name of a table read from sheet `name`.
fn sheet_suffix(name: &str) -> String {
    format!(", sheet `{name}`")
}

/// Reads a CSV file or an Excel workbook (told by its bytes: a workbook is a
/// ZIP archive) from `bytes`; `sheet` picks a workbook's sheet (the first
/// when `None`) and is refused for a CSV, whose one table has no name.
///
/// ```
/// use rema_data::xlsx::read_any;
/// let t = read_any(b"yi,vi\n0.1,0.01\n", "x.csv", None).unwrap();
/// assert_eq!(t.rows.len(), 1);
/// assert!(read_any(b"yi,vi\n0.1,0.01\n", "x.csv", Some("Data")).is_err());
/// ```
pub fn read_any(bytes: &[u8], source: &str, sheet: Option<&str>) -> Result<Table> {
    if is_workbook(bytes) {
        return read(bytes, source, sheet);
    }
    if let Some(sheet) = sheet {
        return Err(DataError::option(
            "sheet",
            format!("sheet `{sheet}` names a sheet of an Excel workbook, but {source} is a delimited text file; leave out sheet"),
        ));
    }
    Table::from_bytes(bytes, source)
}

/// Checks that `table` was read from the workbook sheet that `sheet` names:
/// a table that did not come from a workbook (a CSV, the server's rows) has
/// no sheet to choose, so a `sheet` option is refused rather than ignored.
///
/// ```
/// use rema_data::{xlsx::check_sheet, Table};
/// let t = Table::from_str("yi,vi\n0.1,0.01\n", "rows").unwrap();
/// assert!(check_sheet(&t, None).is_ok());
/// assert!(check_sheet(&t, Some("Data")).is_err());
/// ```
pub fn check_sheet(table: &Table, sheet: Option<&str>) -> Result<()> {
    match sheet {
        Some(s) if !table.source.ends_with(&sheet_suffix(s)) => Err(DataError::option(
            "sheet",
            format!(
                "sheet `{s}` names a sheet of an Excel workbook, but {} was not read from that sheet; leave out sheet",
                table.source
            ),
        )),
        _ => Ok(()),
    }
}

/// Reads sheet `sheet` (the first when `None`) of the workbook in `bytes`;
/// `file` names the workbook in messages.
///
/// ```
/// let e = rema_data::xlsx::read(b"PK\x03\x04 not a workbook", "data.xlsx", None).unwrap_err();
/// assert!(e.to_string().starts_with("data.xlsx: cannot read the Excel workbook"));
/// ```
pub fn read(bytes: &[u8], file: &str, sheet: Option<&str>) -> Result<Table> {
    let unreadable = |message: String| DataError::Workbook {
        file: file.to_string(),
        message,
    };
    if let Some(bad) = out_of_range_reference(bytes) {
        return Err(unreadable(format!(
            "cell reference `{bad}` lies beyond Excel's last column (XFD) or row (1048576); the workbook is damaged: save it again from Excel, or export the sheet as CSV"
        )));
    }
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| {
        unreadable(format!(
            "cannot read the Excel workbook ({e}); save it again from Excel as .xlsx, or export the sheet as CSV"
        ))
    })?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(s) => names
            .iter()
            .find(|n| n.as_str() == s)
            .cloned()
            .ok_or_else(|| {
                DataError::option(
                    "sheet",
                    format!(
                        "{file} has no sheet `{s}`; its sheets are {}",
                        quoted(&names)
                    ),
                )
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| unreadable("the workbook has no sheet".to_string()))?,
    };
    let source = format!("{file}{}", sheet_suffix(&name));
    let range = book
        .worksheet_range(&name)
        .map_err(|e| DataError::Workbook {
            file: source.clone(),
            message: format!("cannot read the sheet ({e}); save the workbook again from Excel"),
        })?;
    let (top, _) = range.start().unwrap_or((0, 0));
    let mut lines = range.rows().enumerate().map(|(i, cells)| Row {
        line: u64::from(top) + i as u64 + 1,
        cells: cells.iter().map(text).collect(),
    });
    let header = lines
        .by_ref()
        .find(|r| r.cells.iter().any(|c| !c.trim().is_empty()))
        .ok_or_else(|| DataError::Empty {
            file: source.clone(),
        })?;
    let rows: Vec<Row> = lines.collect();
    let headers = header.cells.iter().map(|h| h.trim().to_string()).collect();
    // The header's row is line 1 of the table's messages only when the sheet
    // starts there; shift the header's own errors to its row.
    Table::from_records(&source, headers, rows, false).map_err(|e| match e {
        DataError::Csv { mut at, message } if at.line == Some(1) => {
            at.line = Some(header.line);
            DataError::Csv { at, message }
        }
        other => other,
    })
}

/// The first cell reference (`r="..."`, `ref="..."`) in the worksheets of
/// the archive with more than three column letters or seven row digits:
/// calamine 0.32 computes such references with overflowing arithmetic (a
/// panic with overflow checks, a wrapped position without), so they are
/// refused before it reads them. Excel's last cell is XFD1048576.
fn out_of_range_reference(bytes: &[u8]) -> Option<String> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    for i in 0..archive.len() {
        let Ok(mut entry) = archive.by_index(i) else {
            continue;
        };
        if !entry.name().starts_with("xl/worksheets/") {
            continue;
        }
        // What was read before a damaged stream's error is what calamine
        // would parse too.
        let mut xml = Vec::new();
        let _ = entry.read_to_end(&mut xml);
        if let Some(bad) = long_reference(&xml) {
            return Some(bad);
        }
    }
    None
}

/// The first `r` or `ref` attribute value of `xml` with more than four
/// letters (three, and `$`) or more than seven digits in one cell reference.
fn long_reference(xml: &[u8]) -> Option<String> {
    for name in [&b"r="[..], &b"ref="[..]] {
        let mut from = 0;
        while let Some(at) = xml[from..].windows(name.len()).position(|w| w == name) {
            let start = from + at;
            from = start + name.len();
            let attribute = start == 0 || xml[start - 1].is_ascii_whitespace();
            let Some(&quote) = xml.get(from) else { break };
            if !attribute || (quote != b'"' && quote != b'\'') {
                continue;
            }
            let rest = &xml[from + 1..];
            let value = &rest[..rest.iter().position(|&b| b == quote).unwrap_or(rest.len())];
            for cell in value.split(|&b| b == b':') {
                let letters = cell.iter().filter(|b| b.is_ascii_alphabetic()).count();
                let digits = cell.iter().filter(|b| b.is_ascii_digit()).count();
                if letters > 3 || digits > 7 {
                    return Some(String::from_utf8_lossy(cell).chars().take(40).collect());
                }
            }
        }
    }
    None
}

/// The text of one cell, as a CSV file would hold it.
fn text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(d) => d.as_f64().to_string(),
        Data::Error(e) => e.to_string(),
    }
}

fn quoted(names: &[String]) -> String {
    let v: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    v.join(", ")
}

#[cfg(test)]
mod tests {
    use super::long_reference;

    #[test]
    fn references_beyond_xfd1048576_are_found() {
        assert_eq!(
            long_reference(br#"<row r="1"><c r="XFD1048576" t="n">"#),
            None
        );
        assert_eq!(long_reference(br#"<dimension ref="A1:D14"/>"#), None);
        assert_eq!(
            long_reference(br#"<c r="A14snlineStr1">"#).as_deref(),
            Some("A14snlineStr1")
        );
        assert_eq!(
            long_reference(b"<mergeCell\nref='A1:B12345678'/>").as_deref(),
            Some("B12345678")
        );
    }
}
