//! Errors of `rema gwas`: each names the file (and line and column where
//! there is one) and says what would fix it.

/// Everything that stops a GWAS meta-analysis.
#[derive(Debug, thiserror::Error)]
pub enum GwasError {
    /// A file that cannot be read or written.
    #[error("{path}: {what}: {source}")]
    Io {
        path: String,
        what: &'static str,
        source: std::io::Error,
    },

    /// A METAL script line rema cannot run.
    #[error("{file} line {line}: {message}")]
    Script {
        file: String,
        line: usize,
        message: String,
    },

    /// A cohort file without a column the analysis needs.
    #[error("{file}: no column `{column}` for the {role} (the header has {header}); name the right column with {command} in the script or {flag} on the command line")]
    MissingColumn {
        file: String,
        column: String,
        role: &'static str,
        header: String,
        command: &'static str,
        flag: &'static str,
    },

    /// A cohort file with an empty or absent header line.
    #[error(
        "{file}: the file is empty; a cohort file needs a header line and one line per marker"
    )]
    Empty { file: String },

    /// A gzip-compressed cohort file.
    #[error("{file}: the file is gzip-compressed, which rema gwas does not read yet; decompress it first (gunzip -k {file})")]
    Compressed { file: String },

    /// A line that is not UTF-8.
    #[error("{file} line {line}: the line is not valid UTF-8; save the file as UTF-8 (or ASCII)")]
    NotUtf8 { file: String, line: u64 },

    /// Text where a number belongs.
    #[error("{file} line {line}, column `{column}`: `{value}` is not a number; write a plain number such as 0.0123 or 1.2e-8 (missing values as NA, dropped with a count)")]
    NotANumber {
        file: String,
        line: u64,
        column: String,
        value: String,
    },

    /// A frequency outside [0, 1].
    #[error("{file} line {line}, column `{column}`: the frequency {value} is not between 0 and 1; give the effect allele's frequency (or NA)")]
    BadFrequency {
        file: String,
        line: u64,
        column: String,
        value: String,
    },

    /// A marker name or allele too long to store, or more than 2^32 − 1 markers.
    #[error("{file} line {line}: {message}")]
    TooLarge {
        file: String,
        line: u64,
        message: String,
    },

    /// Options that cannot be combined, or a value out of range.
    #[error("{option}: {message}")]
    Option {
        option: &'static str,
        message: String,
    },

    /// Nothing to analyse.
    #[error("no cohort files: give them on the command line or with PROCESS in a METAL script")]
    NoCohorts,
}
