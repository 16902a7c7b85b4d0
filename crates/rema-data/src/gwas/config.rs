//! The settings of a GWAS meta-analysis: per cohort (columns, separator,
//! genomic control, as METAL's `PROCESS` snapshots them) and per run.

use std::path::PathBuf;

use rema_core::Method;

/// How cohorts are combined (METAL's `SCHEME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scheme {
    /// z-scores from p-values and the effect's sign, weighted by √N
    /// (METAL's default, `SCHEME SAMPLESIZE`).
    #[default]
    SampleSize,
    /// Inverse-variance weighted effects (`SCHEME STDERR`).
    StdErr,
}

/// How a cohort file's fields are separated (METAL's `SEPARATOR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Separator {
    /// Runs of spaces and tabs (`WHITESPACE`, METAL's default).
    #[default]
    Whitespace,
    /// One tab per field; empty fields are kept (`TABS`).
    Tab,
    /// One comma per field; empty fields are kept (`COMMAS`).
    Comma,
    /// Runs of spaces, tabs and commas (`BOTH`).
    Both,
}

/// Genomic control of one cohort (METAL's `GENOMICCONTROL`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum GenomicControl {
    /// No correction.
    #[default]
    Off,
    /// λ = median(χ²) / 0.4549364 over the cohort's rows, applied when > 1.
    Estimate,
    /// A given λ, applied when > 1.
    Fixed(f64),
}

/// What to do with palindromic (A/T, C/G) SNPs, whose strand the alleles
/// cannot tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Palindromic {
    /// Compare the allele frequency with the reference cohort's: the same
    /// side of 0.5 keeps the row, the other side flips it, and a minor
    /// allele frequency above the threshold (or no frequency) drops it.
    #[default]
    Frequency,
    /// Take every cohort to be on the same strand, as METAL does.
    Keep,
    /// Drop every palindromic row.
    Drop,
}

/// The column names of one cohort file (METAL's `MARKER`, `ALLELE`, ...).
/// Header names match case-insensitively, as METAL's.
#[derive(Debug, Clone, PartialEq)]
pub struct Columns {
    /// The marker name (`MARKER`).
    pub marker: String,
    /// The effect allele and the other allele (`ALLELE`).
    pub alleles: (String, String),
    /// The effect (`EFFECT`); under `SAMPLESIZE` only its sign is used.
    pub effect: String,
    /// Its standard error (`STDERR`).
    pub stderr: String,
    /// The p-value (`PVALUE`), for `SAMPLESIZE`.
    pub pvalue: String,
    /// The sample size (`WEIGHT`), for `SAMPLESIZE`.
    pub weight: String,
    /// The frequency of the effect allele (`FREQLABEL`).
    pub freq: String,
    /// The strand, `+` or `-` (`STRANDLABEL`), read with `USESTRAND ON`.
    pub strand: String,
}

impl Default for Columns {
    fn default() -> Columns {
        Columns {
            marker: "MARKER".into(),
            alleles: ("ALLELE1".into(), "ALLELE2".into()),
            effect: "EFFECT".into(),
            stderr: "STDERR".into(),
            pvalue: "PVALUE".into(),
            weight: "N".into(),
            freq: "FREQ".into(),
            strand: "STRAND".into(),
        }
    }
}

/// One cohort file and how to read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cohort {
    /// The file.
    pub path: PathBuf,
    /// Its column names.
    pub columns: Columns,
    /// Its field separator.
    pub separator: Separator,
    /// Its genomic control.
    pub genomic_control: GenomicControl,
    /// Read the strand column and complement `-` rows (`USESTRAND ON`).
    pub use_strand: bool,
    /// The weight when the file has no weight column (`DEFAULTWEIGHT`).
    pub default_weight: f64,
    /// Turn every effect's sign (`FLIP`).
    pub flip: bool,
    /// Skip rows whose field count differs from the header's (`COLUMNCOUNTING
    /// STRICT`, METAL's default); lenient keeps rows with at least the
    /// columns used.
    pub strict_columns: bool,
}

impl Cohort {
    /// A cohort file with METAL's default settings.
    pub fn new(path: impl Into<PathBuf>) -> Cohort {
        Cohort {
            path: path.into(),
            columns: Columns::default(),
            separator: Separator::default(),
            genomic_control: GenomicControl::default(),
            use_strand: false,
            default_weight: 1.0,
            flip: false,
            strict_columns: true,
        }
    }
}

/// A whole meta-analysis: the cohorts and what to compute.
#[derive(Debug, Clone, PartialEq)]
pub struct GwasConfig {
    /// The weighting scheme (one per run, as METAL's).
    pub scheme: Scheme,
    /// The cohorts, in order (the Direction string's order).
    pub cohorts: Vec<Cohort>,
    /// Cochran's Q, I² and its p-value (METAL's `ANALYZE HETEROGENEITY`).
    pub heterogeneity: bool,
    /// Random-effects models to add (rema's columns after METAL's), in order;
    /// `SCHEME STDERR` only.
    pub random: Vec<Method>,
    /// Palindromic SNPs.
    pub palindromic: Palindromic,
    /// The minor allele frequency above which a palindromic SNP is too
    /// close to 0.5 to tell its strand (default 0.42).
    pub palindromic_maf: f64,
    /// Decimals of `Effect` (`EFFECT_PRINT_PRECISION`, default 4).
    pub effect_precision: usize,
    /// Decimals of `StdErr` (`STDERR_PRINT_PRECISION`, default 4).
    pub stderr_precision: usize,
    /// Markers whose total weight is below this are skipped under
    /// `SAMPLESIZE` (`MINWEIGHT`, default 1).
    pub min_weight: f64,
    /// How many located examples of each kind of dropped row the log keeps
    /// (`MAXWARNINGS`, default 20).
    pub max_examples: usize,
}

impl Default for GwasConfig {
    fn default() -> GwasConfig {
        GwasConfig {
            scheme: Scheme::default(),
            cohorts: Vec::new(),
            heterogeneity: false,
            random: Vec::new(),
            palindromic: Palindromic::default(),
            palindromic_maf: 0.42,
            effect_precision: 4,
            stderr_precision: 4,
            min_weight: 1.0,
            max_examples: 20,
        }
    }
}
