//! Errors of the data layer. Each names where the problem is (file, line,
//! column, study) and what would fix it.

use std::fmt;

/// Where in the input a problem is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// The file (or `csv`, `rows` for the server's inputs).
    pub file: Option<String>,
    /// 1-based line of the file (the header is line 1).
    pub line: Option<u64>,
    /// The column, by its header name.
    pub column: Option<String>,
    /// The study, by its label.
    pub study: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(file) = &self.file {
            parts.push(file.clone());
        }
        // Line 0 means unknown (rows built from a JSON review).
        if let Some(line) = self.line.filter(|&l| l > 0) {
            parts.push(format!("line {line}"));
        }
        if let Some(col) = &self.column {
            // A value computed from several cells names them all: the bad
            // value is in one of them.
            if let Some((rest, last)) = col.rsplit_once(", ") {
                let cols: Vec<String> = rest.split(", ").map(|c| format!("`{c}`")).collect();
                parts.push(format!("column {} or `{last}`", cols.join(", ")));
            } else {
                parts.push(format!("column `{}`", one_line(col)));
            }
        }
        // Labels and headers come from the file: a quoted field may hold a
        // line break, and a message stays on one line.
        if let Some(study) = &self.study {
            parts.push(format!("study `{}`", one_line(study)));
        }
        if parts.is_empty() {
            f.write_str("input")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// Everything that can go wrong reading or validating input.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file that cannot be read (missing, unreadable).
    #[error("{path}: cannot read the file: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },

    /// A file that is not UTF-8; `line` is where the first bad byte is.
    #[error("{file}: the file is not valid UTF-8 (first bad byte on line {line}); save it as UTF-8 (in Excel: CSV UTF-8)")]
    NotUtf8 { file: String, line: u64 },

    /// An Excel workbook (or one of its sheets) that cannot be read.
    #[error("{file}: {message}")]
    Workbook { file: String, message: String },

    /// A file with no bytes, or only blank lines.
    #[error("{file}: the file is empty; it needs a header line and one line per study")]
    Empty { file: String },

    /// A header and no study.
    #[error("{file}: the file has a header but no studies; add one line per study")]
    NoRows { file: String },

    /// A line the CSV reader cannot split (e.g. an unclosed quote).
    #[error("{at}: {message}")]
    Csv { at: Location, message: String },

    /// A row with more or fewer fields than the header.
    #[error("{at}: the row has {found} fields but the header has {expected}; check for a stray or missing delimiter")]
    Ragged {
        at: Location,
        found: usize,
        expected: usize,
    },

    /// The measure's columns are not all in the header.
    #[error("{file}: missing column(s) {missing} for measure {measure}; {hint}")]
    MissingColumns {
        file: String,
        measure: String,
        missing: String,
        hint: String,
    },

    /// Two complete column sets of one measure that disagree (`vi` and
    /// `sei` with `vi != sei^2`, `n1i != ai + bi`, rema's and metafor's
    /// pre/post names): which to use is truly ambiguous. `at` is the first
    /// study where they differ.
    #[error("{at}: the columns {first} and the columns {second} both give the data of measure {measure}, and they disagree; keep one set of columns (rename or remove the other)")]
    AmbiguousColumns {
        at: Location,
        measure: String,
        first: String,
        second: String,
    },

    /// Text where a number belongs.
    #[error("{at}: `{}` is not a number; write a plain number such as 12.5 (decimal point, no thousands separator)", one_line(.value))]
    NotANumber { at: Location, value: String },

    /// NaN or an infinity where a finite number belongs.
    #[error("{at}: {} is not finite; write a finite number", one_line(.value))]
    NotFinite { at: Location, value: String },

    /// An empty cell for a value the measure needs.
    #[error("{at}: the value is missing; fill it in or remove the study")]
    Missing { at: Location },

    /// Values that the analysis needs are blank or `NA`, with `missing =
    /// "fail"` (or in every study): every missing cell, in one message.
    #[error("{file}: {} the analysis needs {} missing: {cells}; {}", .cells.count(), if .cells.0.len() == 1 { "is" } else { "are" }, if *.every_study { "every study lacks one, so none is left to analyse; fill them in" } else { "fill them in, or set missing to \"omit\" to leave those studies out (as metafor's na.action)" })]
    MissingValues {
        file: String,
        /// Line, column and study of each missing cell.
        cells: MissingCells,
        /// True when no study has all the values.
        every_study: bool,
    },

    /// A value outside what its column allows (events above the total, a negative SE, ...).
    #[error("{at}: {message}")]
    Invalid { at: Location, message: String },

    /// The same study id on two lines.
    #[error("{file}: study id `{study}` appears on lines {first} and {second}; study ids must be unique")]
    DuplicateStudy {
        file: String,
        study: String,
        first: u64,
        second: u64,
    },

    /// A moderator, subgroup or order column that the header lacks.
    #[error("{file}: there is no column `{column}` for {what}; the columns are {available}")]
    UnknownModerator {
        file: String,
        column: String,
        what: String,
        available: String,
    },

    /// An analysis option whose value is not allowed, or options that do not
    /// go together; `option` is the field of the spec (`method`, `level`,
    /// `order`), which the server reports as `spec.<option>`.
    #[error("{message}")]
    Option {
        /// The option's field in [`AnalysisSpec`](crate::AnalysisSpec).
        option: &'static str,
        /// What is wrong and what is allowed, naming the option (never a CLI flag).
        message: String,
    },

    /// A reported summary (SE, CI, median, range, p of a paired test) that
    /// cannot be converted to a mean, SD or correlation.
    #[error("{at}: cannot estimate it from {from}: {source}")]
    Conversion {
        at: Location,
        from: String,
        source: rema_core::convert::ConvertError,
    },

    /// rema-core refused the data or could not fit the model; `at` names the study.
    #[error("{at}: {}", without_index(source))]
    Core {
        at: Location,
        source: rema_core::Error,
    },

    /// An analysis plan that cannot be read or is inconsistent.
    #[error("{file}: {message}")]
    Plan { file: String, message: String },

    /// A plan's analysis names an outcome (or timepoint) the review lacks.
    #[error("{file}: analysis `{analysis}` names {what} `{name}`, which the review does not have; known: {known}")]
    UnknownOutcome {
        file: String,
        analysis: String,
        what: &'static str,
        name: String,
        known: String,
    },

    /// A plan's analysis names a column (in `subset` or `subgroup`) that the data lack.
    #[error("{file}: analysis `{analysis}` names column `{column}` in `{field}`, which the data do not have; columns: {known}")]
    UnknownPlanColumn {
        file: String,
        analysis: String,
        field: &'static str,
        column: String,
        known: String,
    },

    /// A review file refers to a study that the studies file does not list.
    #[error("{at}: study `{study}` is not in the studies file; add it there or correct the id")]
    UnknownStudy { at: Location, study: String },

    /// A risk-of-bias judgement outside the allowed scales.
    #[error("{at}: `{}` is not a risk-of-bias judgement; write yes, no or not_reported, or low, some_concerns or high (one scale per domain)", one_line(.value))]
    Judgement { at: Location, value: String },

    /// Two results that `rema compare` cannot test against each other (not
    /// nested, other data, other methods).
    #[error("{message}")]
    NotComparable { message: String },
}

/// The cells of [`DataError::MissingValues`], shown as `line 3, column
/// `vi`, study `B`; line 4, ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingCells(pub Vec<Location>);

impl MissingCells {
    /// `1 value` or `N values`.
    fn count(&self) -> String {
        match self.0.len() {
            1 => "1 value".to_string(),
            n => format!("{n} values"),
        }
    }
}

impl fmt::Display for MissingCells {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cells: Vec<String> = self.0.iter().map(Location::to_string).collect();
        f.write_str(&cells.join("; "))
    }
}

/// rema-core's message without its leading `study N: ` (the location already
/// names the study by its label, file and line).
fn without_index(e: &rema_core::Error) -> String {
    let m = e.to_string();
    match m.strip_prefix("study ").and_then(|r| r.split_once(": ")) {
        Some((n, rest)) if n.bytes().all(|b| b.is_ascii_digit()) => rest.to_string(),
        _ => m,
    }
}

impl DataError {
    /// An [`DataError::Option`] error about `option`.
    pub fn option(option: &'static str, message: String) -> DataError {
        DataError::Option { option, message }
    }
}

/// The result of rema-data's functions.
pub type Result<T, E = DataError> = std::result::Result<T, E>;

/// The bytes of the file at `path`, or [`DataError::Io`] naming it.
pub(crate) fn read_file(path: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| DataError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// `bytes` as text, or [`DataError::NotUtf8`] naming `file` and the line of
/// the first byte that is not UTF-8.
pub(crate) fn utf8<'a>(bytes: &'a [u8], file: &str) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| DataError::NotUtf8 {
        file: file.to_string(),
        line: 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64,
    })
}

/// A cell's text on one line: a quoted cell may hold line breaks and tabs,
/// which an error message shows escaped (`\n`, `\r`, `\t`), so every
/// message stays one line.
fn one_line(value: &str) -> String {
    value
        .replace('\n', "\\n")
        .replace('\r', "\\r")
        .replace('\t', "\\t")
}
