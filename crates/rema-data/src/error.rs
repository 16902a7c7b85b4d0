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
        if let Some(line) = self.line {
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

    #[error("{at}: {source}")]
    Core {
        at: Location,
        source: rema_core::Error,
    },
}

pub type Result<T, E = DataError> = std::result::Result<T, E>;
