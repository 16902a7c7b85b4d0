//! Reading a delimited text file into a table of strings.
//!
//! Accepts what spreadsheets write: a UTF-8 byte-order mark, CRLF or LF line
//! ends, comma-, semicolon- or tab-separated fields (sniffed from the header),
//! quoted fields, and blank lines, which are skipped. What R's
//! `write.csv()` and `write.csv2()` write is read as it is: the leading
//! unnamed column of row names becomes the column `row_names` (a study
//! characteristic, never effect data), `NA` is a missing value, and
//! `write.csv2`'s `;` with decimal commas is sniffed as any semicolon file.
//! Excel workbooks (`.xlsx`) are read by the `xlsx` module into the same
//! [`Table`], through the same header rules ([`Table::from_records`]).

use crate::error::{read_file, utf8, DataError, Location, Result};

/// The name R's `write.csv()` row-names column gets (its header is empty).
pub const ROW_NAMES: &str = "row_names";

/// A header and rows of string cells, with each row's line in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Name of the source, for messages (a path, or e.g. `request body`; a
    /// workbook's sheet as `data.xlsx, sheet `Studies``).
    pub source: String,
    /// The column names, unique and non-empty.
    pub headers: Vec<String>,
    /// The rows with at least one non-blank cell, each as long as `headers`.
    pub rows: Vec<Row>,
    /// True for semicolon-separated files, whose numbers may use a decimal
    /// comma (Excel in many European locales).
    pub decimal_comma: bool,
}

/// One row of a [`Table`].
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// 1-based line in the source (a workbook's row number).
    pub line: u64,
    /// The cells, trimmed, one per header.
    pub cells: Vec<String>,
}

impl Table {
    /// Reads a file from disk.
    pub fn read_path(path: &std::path::Path) -> Result<Table> {
        Table::from_bytes(&read_file(path)?, &path.display().to_string())
    }

    /// Parses bytes; `source` names them in messages.
    pub fn from_bytes(bytes: &[u8], source: &str) -> Result<Table> {
        Table::from_str(utf8(bytes, source)?, source)
    }

    /// Parses text; `source` names it in messages.
    pub fn from_str(text: &str, source: &str) -> Result<Table> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        // The csv crate counts lines by LF; with CRLF ends it reports a record
        // at the line of the previous one, so normalise first.
        let normalised;
        let text = if text.contains('\r') {
            normalised = text.replace("\r\n", "\n").replace('\r', "\n");
            normalised.as_str()
        } else {
            text
        };
        if text.trim().is_empty() {
            return Err(DataError::Empty {
                file: source.to_string(),
            });
        }
        let delimiter = sniff_delimiter(text);
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let csv_err = |e: csv::Error| {
            let line = e.position().map(|p| p.line());
            DataError::Csv {
                at: Location {
                    file: Some(source.to_string()),
                    line,
                    ..Location::default()
                },
                message: e.to_string(),
            }
        };
        let headers: Vec<String> = reader
            .headers()
            .map_err(csv_err)?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(csv_err)?;
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            if record.len() != headers.len() {
                return Err(DataError::Ragged {
                    at: Location {
                        file: Some(source.to_string()),
                        line: Some(line),
                        ..Location::default()
                    },
                    found: record.len(),
                    expected: headers.len(),
                });
            }
            rows.push(Row {
                line,
                cells: record.iter().map(|c| c.to_string()).collect(),
            });
        }
        Table::from_records(source, headers, rows, delimiter == b';')
    }

    /// A table from a header (line 1) and rows of cells, with the rules of
    /// every format: a leading unnamed column is R's row names
    /// ([`ROW_NAMES`]); an unnamed column with no value is dropped (a
    /// trailing delimiter, an empty spreadsheet column); any other unnamed or
    /// repeated header is an error; blank rows are skipped; at least one row.
    ///
    /// ```
    /// use rema_data::table::{Row, Table};
    /// let row = |line, c: &[&str]| Row { line, cells: c.iter().map(|s| s.to_string()).collect() };
    /// let t = Table::from_records(
    ///     "x.csv",
    ///     vec!["".into(), "yi".into(), "vi".into()],
    ///     vec![row(2, &["1", "0.1", "0.01"]), row(3, &["", "", ""])],
    ///     false,
    /// )
    /// .unwrap();
    /// assert_eq!(t.headers, ["row_names", "yi", "vi"]);
    /// assert_eq!(t.rows.len(), 1);
    /// ```
    pub fn from_records(
        source: &str,
        mut headers: Vec<String>,
        mut rows: Vec<Row>,
        decimal_comma: bool,
    ) -> Result<Table> {
        rows.retain(|r| r.cells.iter().any(|c| !c.trim().is_empty()));
        for r in rows.iter_mut() {
            r.cells.resize(headers.len(), String::new());
            for c in r.cells.iter_mut() {
                let t = c.trim();
                if t.len() != c.len() {
                    *c = t.to_string();
                }
            }
        }
        // Unnamed columns without a single value carry nothing.
        let keep: Vec<bool> = (0..headers.len())
            .map(|i| !headers[i].is_empty() || rows.iter().any(|r| !r.cells[i].is_empty()))
            .collect();
        if keep.contains(&false) {
            let mut k = keep.iter();
            headers.retain(|_| *k.next().unwrap_or(&true));
            for r in rows.iter_mut() {
                let mut k = keep.iter();
                r.cells.retain(|_| *k.next().unwrap_or(&true));
            }
        }
        if headers.first().is_some_and(|h| h.is_empty()) && !headers.iter().any(|h| h == ROW_NAMES)
        {
            headers[0] = ROW_NAMES.to_string();
        }
        for (i, h) in headers.iter().enumerate() {
            if h.is_empty() {
                return Err(DataError::Csv {
                    at: Location {
                        file: Some(source.to_string()),
                        line: Some(1),
                        ..Location::default()
                    },
                    message: format!("header field {} is empty but its column has values; every column needs a name: write one in the header", i + 1),
                });
            }
            if headers[..i].contains(h) {
                return Err(DataError::Csv {
                    at: Location {
                        file: Some(source.to_string()),
                        line: Some(1),
                        column: Some(h.clone()),
                        ..Location::default()
                    },
                    message: "the column name appears twice in the header; rename or remove one of the two columns".to_string(),
                });
            }
        }
        if rows.is_empty() {
            return Err(DataError::NoRows {
                file: source.to_string(),
            });
        }
        Ok(Table {
            source: source.to_string(),
            headers,
            rows,
            decimal_comma,
        })
    }

    /// Index of a column by name (case-sensitive, as metafor's names are).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }
}

/// Picks the delimiter that occurs most often in the header line, outside quotes.
fn sniff_delimiter(text: &str) -> u8 {
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut in_quotes = false;
    for b in header.bytes() {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes {
            for (d, n) in counts.iter_mut() {
                if b == *d {
                    *n += 1;
                }
            }
        }
    }
    counts
        .iter()
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| *n > 0)
        .map(|(d, _)| *d)
        .unwrap_or(b',')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bom_crlf_semicolons_quotes_and_blank_lines() {
        let text = "\u{feff}study;yi;vi\r\n\"Smith; 2001\";0,5;1\r\nB;0.1;0.2\r\n\r\n\r\n";
        let t = Table::from_str(text, "x.csv").unwrap();
        assert_eq!(t.headers, ["study", "yi", "vi"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].cells[0], "Smith; 2001");
        assert_eq!(t.rows[1].line, 3);
    }

    #[test]
    fn ragged_row_is_an_error_naming_the_line() {
        let err = Table::from_str("yi,vi\n1,2\n3\n", "x.csv").unwrap_err();
        assert!(
            matches!(
                err,
                DataError::Ragged {
                    found: 1,
                    expected: 2,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("line 3"), "{err}");
    }

    #[test]
    fn empty_and_header_only_files_are_errors() {
        assert!(matches!(
            Table::from_str("", "x.csv"),
            Err(DataError::Empty { .. })
        ));
        assert!(matches!(
            Table::from_str("yi,vi\n\n", "x.csv"),
            Err(DataError::NoRows { .. })
        ));
    }

    #[test]
    fn invalid_utf8_is_an_error_with_a_line() {
        let err = Table::from_bytes(b"yi,vi\n1,2\n\xff,3\n", "x.csv").unwrap_err();
        assert!(matches!(err, DataError::NotUtf8 { line: 3, .. }), "{err}");
    }
}
