//! The errors of reading a long table and writing its analyses: each names
//! the file and, where there is one, the row (1-based line of a text file,
//! the header being line 1; the 1-based row of a Parquet or Arrow file), the
//! column and the group, and says what would fix it.

use std::fmt;

/// Where a problem is: file, row, column, group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct At {
    /// The file.
    pub file: String,
    /// Its row: the line of a text file (header = line 1), the 1-based row of
    /// a Parquet or Arrow file.
    pub row: Option<u64>,
    /// The column, by name.
    pub column: Option<String>,
    /// The group, as `col=value` pairs.
    pub group: Option<String>,
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(r) = self.row {
            write!(f, ", row {r}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column `{c}`")?;
        }
        if let Some(g) = &self.group {
            write!(f, ", group {g}")?;
        }
        Ok(())
    }
}

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// A file that cannot be opened, read or written.
    #[error("{path}: {what}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What was being done.
        what: &'static str,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not what its name says (bad Parquet, bad CSV quoting, ...).
    #[error("{at}: {message}")]
    Format {
        /// Where.
        at: At,
        /// What and how to fix it.
        message: String,
    },
    /// A column the analysis needs is not in the file.
    #[error("{file}: no column `{column}`; {hint} (the file has {available})")]
    MissingColumn {
        /// The file.
        file: String,
        /// The column.
        column: String,
        /// Which columns would do.
        hint: String,
        /// The columns the file has.
        available: String,
    },
    /// A cell that should be a finite number is not.
    #[error("{at}: `{value}` is not a finite number; write a number, or leave the cell empty (or NA, or null) to leave the study out")]
    NotANumber {
        /// Where.
        at: At,
        /// The cell.
        value: String,
    },
    /// A variance or standard error that is not positive.
    #[error("{at}: {value} is not positive; a sampling variance or standard error must be > 0 (fix or remove the study)")]
    NotPositive {
        /// Where.
        at: At,
        /// The value.
        value: f64,
    },
    /// The group key is missing.
    #[error("{at}: the group key is missing; every row needs a value in each --group column")]
    MissingKey {
        /// Where.
        at: At,
    },
    /// A group appears again after other groups (the input is not grouped).
    #[error("{at}: this group appeared before; rema batch reads the file in one pass and needs each group's rows together: sort the file by the group columns first (e.g. `sort -t, -k1,1 -s`, or ORDER BY in SQL, or pandas `sort_values(kind=\"stable\")`)")]
    Ungrouped {
        /// Where the group reappears.
        at: At,
    },
    /// Effect sizes could not be computed from a group's raw data.
    #[error("group {group}: {source}")]
    Effects {
        /// The group.
        group: String,
        /// rema-data's error, with its file, line and column.
        source: rema_data::DataError,
    },
    /// Options of the whole batch out of range.
    #[error(transparent)]
    Core(#[from] rema_core::Error),
    /// A usage problem (options that do not fit the file).
    #[error("{0}")]
    Usage(String),
}

impl BatchError {
    /// Whether the error is the user's data (exit 3) rather than usage (2).
    pub fn is_data(&self) -> bool {
        !matches!(self, BatchError::Usage(_) | BatchError::Core(_))
    }
}

/// The crate's result.
pub type Result<T, E = BatchError> = std::result::Result<T, E>;
