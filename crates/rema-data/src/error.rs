//! Errors of the data layer. Each names where the problem is (file, line,
//! column, study) and what would fix it.

use std::fmt;

/// Where in the input a problem is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    pub file: Option<String>,
    /// 1-based line of the file (the header is line 1).
    pub line: Option<u64>,
    pub column: Option<String>,
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
            parts.push(format!("column `{col}`"));
        }
        if let Some(study) = &self.study {
            parts.push(format!("study `{study}`"));
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
    #[error("{path}: cannot read the file: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },

    #[error("{file}: the file is not valid UTF-8 (first bad byte on line {line}); save it as UTF-8 (in Excel: CSV UTF-8)")]
    NotUtf8 { file: String, line: u64 },

    #[error("{file}: the file is empty; it needs a header line and one line per study")]
    Empty { file: String },

    #[error("{file}: the file has a header but no studies; add one line per study")]
    NoRows { file: String },

    #[error("{at}: {message}")]
    Csv { at: Location, message: String },

    #[error("{at}: the row has {found} fields but the header has {expected}; check for a stray or missing delimiter")]
    Ragged {
        at: Location,
        found: usize,
        expected: usize,
    },

    #[error("{file}: missing column(s) {missing} for measure {measure}; {hint}")]
    MissingColumns {
        file: String,
        measure: String,
        missing: String,
        hint: String,
    },

    #[error("{file}: column `{column}` is not used by measure {measure}; remove it or choose another measure (columns for {measure}: {expected})")]
    UnknownColumn {
        file: String,
        column: String,
        measure: String,
        expected: String,
    },

    #[error("{at}: `{value}` is not a number; write a plain number such as 12.5 (decimal point, no thousands separator)")]
    NotANumber { at: Location, value: String },

    #[error("{at}: {value} is not finite; write a finite number")]
    NotFinite { at: Location, value: String },

    #[error("{at}: the value is missing; fill it in or remove the study")]
    Missing { at: Location },

    #[error("{at}: {message}")]
    Invalid { at: Location, message: String },

    #[error("{file}: study id `{study}` appears on lines {first} and {second}; study ids must be unique")]
    DuplicateStudy {
        file: String,
        study: String,
        first: u64,
        second: u64,
    },

    #[error("{file}: there is no column `{column}` for {what}; the columns are {available}")]
    UnknownModerator {
        file: String,
        column: String,
        what: String,
        available: String,
    },

    #[error("{message}")]
    Option { message: String },

    /// A reported summary (SE, CI, median, range, p of a paired test) that
    /// cannot be converted to a mean, SD or correlation.
    #[error("{at}: cannot estimate it from {from}: {source}")]
    Conversion {
        at: Location,
        from: String,
        source: rema_core::convert::ConvertError,
    },

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
    #[error("{at}: `{value}` is not a risk-of-bias judgement; write yes, no or not_reported, or low, some_concerns or high (one scale per domain)")]
    Judgement { at: Location, value: String },
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

pub type Result<T, E = DataError> = std::result::Result<T, E>;
