//! The run's log: every dropped, flipped or adjusted row counted, per cohort.

use std::fmt;

/// Why a row was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Drop {
    /// A field count different from the header's (`COLUMNCOUNTING STRICT`).
    FieldCount,
    /// Fewer fields than the columns used.
    ShortLine,
    /// An empty or NA effect, standard error, p-value or weight.
    MissingValue,
    /// A standard error ≤ 0 or not finite.
    InvalidStderr,
    /// A p-value outside (0, 1].
    InvalidPvalue,
    /// A weight (N) ≤ 0 or not finite.
    InvalidWeight,
    /// Alleles that match neither the reference's nor their complement.
    BadAlleles,
    /// A palindromic SNP whose frequency (or the reference's) is missing.
    PalindromicNoFrequency,
    /// A palindromic SNP with a minor allele frequency above the threshold.
    PalindromicAmbiguous,
    /// A palindromic SNP under `--palindromic drop`.
    Palindromic,
    /// A second row of a marker in one cohort (the first valid one is used,
    /// as METAL).
    Duplicate,
}

impl Drop {
    /// Every reason, in the log's order.
    pub const ALL: [Drop; 11] = [
        Drop::FieldCount,
        Drop::ShortLine,
        Drop::MissingValue,
        Drop::InvalidStderr,
        Drop::InvalidPvalue,
        Drop::InvalidWeight,
        Drop::BadAlleles,
        Drop::PalindromicNoFrequency,
        Drop::PalindromicAmbiguous,
        Drop::Palindromic,
        Drop::Duplicate,
    ];

    /// The reason in words.
    pub fn describe(self) -> &'static str {
        match self {
            Drop::FieldCount => {
                "a different number of fields from the header (COLUMNCOUNTING LENIENT keeps them)"
            }
            Drop::ShortLine => "fewer fields than the columns used",
            Drop::MissingValue => {
                "a missing (empty or NA) effect, standard error, p-value or weight"
            }
            Drop::InvalidStderr => "a standard error that is not positive and finite",
            Drop::InvalidPvalue => "a p-value outside (0, 1]",
            Drop::InvalidWeight => "a weight (N) that is not positive and finite",
            Drop::BadAlleles => {
                "alleles that differ from the marker's first cohort on either strand"
            }
            Drop::PalindromicNoFrequency => {
                "a palindromic (A/T, C/G) SNP without a frequency here or in its reference cohort"
            }
            Drop::PalindromicAmbiguous => {
                "a palindromic (A/T, C/G) SNP whose minor allele frequency is above the threshold"
            }
            Drop::Palindromic => "a palindromic (A/T, C/G) SNP (--palindromic drop)",
            Drop::Duplicate => "a marker already seen in this cohort (the first valid row is used)",
        }
    }

    /// A short name (the log's key).
    pub fn key(self) -> &'static str {
        match self {
            Drop::FieldCount => "field_count",
            Drop::ShortLine => "short_line",
            Drop::MissingValue => "missing_value",
            Drop::InvalidStderr => "invalid_stderr",
            Drop::InvalidPvalue => "invalid_pvalue",
            Drop::InvalidWeight => "invalid_weight",
            Drop::BadAlleles => "bad_alleles",
            Drop::PalindromicNoFrequency => "palindromic_no_frequency",
            Drop::PalindromicAmbiguous => "palindromic_ambiguous",
            Drop::Palindromic => "palindromic",
            Drop::Duplicate => "duplicate",
        }
    }
}

/// A dropped row, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// 1-based line (the header is line 1).
    pub line: u64,
    /// The marker.
    pub marker: String,
}

/// What happened to one cohort's rows.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortLog {
    /// The file.
    pub file: String,
    /// Data rows read (comments and blank lines excluded).
    pub rows: u64,
    /// Rows used.
    pub used: u64,
    /// Rows dropped, by reason (in [`Drop::ALL`]'s order).
    pub dropped: [u64; 11],
    /// The first few dropped rows of each reason.
    pub examples: Vec<(Drop, Example)>,
    /// Used rows whose effect allele is the reference cohort's other
    /// allele (the effect's sign turned).
    pub swapped: u64,
    /// Used rows on the other strand from the reference cohort (alleles
    /// complemented).
    pub strand_flipped: u64,
    /// Used palindromic rows whose frequency put them on the reference's
    /// strand.
    pub palindromic_same: u64,
    /// Used palindromic rows whose frequency put them on the other strand
    /// (the effect's sign turned).
    pub palindromic_flipped: u64,
    /// Used palindromic rows taken to be on the reference's strand
    /// unchecked (`--palindromic keep`, METAL's rule).
    pub palindromic_unchecked: u64,
    /// The genomic-control λ computed or given (applied when above 1).
    pub lambda: Option<f64>,
    /// Everything else worth knowing (defaults used, λ applied).
    pub notes: Vec<String>,
}

impl CohortLog {
    pub(crate) fn new(file: String) -> CohortLog {
        CohortLog {
            file,
            rows: 0,
            used: 0,
            dropped: [0; 11],
            examples: Vec::new(),
            swapped: 0,
            strand_flipped: 0,
            palindromic_same: 0,
            palindromic_flipped: 0,
            palindromic_unchecked: 0,
            lambda: None,
            notes: Vec::new(),
        }
    }

    pub(crate) fn drop(
        &mut self,
        reason: Drop,
        max_examples: usize,
        example: impl FnOnce() -> Example,
    ) {
        let i = Drop::ALL.iter().position(|&d| d == reason).unwrap_or(0);
        self.dropped[i] += 1;
        if self.dropped[i] as usize <= max_examples {
            self.examples.push((reason, example()));
        }
    }

    /// The number of rows dropped for `reason`.
    pub fn count(&self, reason: Drop) -> u64 {
        Drop::ALL
            .iter()
            .position(|&d| d == reason)
            .map_or(0, |i| self.dropped[i])
    }
}

/// The whole run's log.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GwasLog {
    /// One entry per cohort, in order.
    pub cohorts: Vec<CohortLog>,
    /// Markers seen in any cohort.
    pub markers: u64,
    /// Markers written to the output.
    pub written: u64,
    /// Markers with no usable row in any cohort (not written, as METAL).
    pub no_usable_row: u64,
    /// Markers below `MINWEIGHT` (not written, as METAL).
    pub below_min_weight: u64,
    /// Random-effects fits that failed (their columns are NA), per method.
    pub random_failed: Vec<(String, u64)>,
    /// Run-level notes.
    pub notes: Vec<String>,
}

impl fmt::Display for GwasLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.cohorts.iter().enumerate() {
            writeln!(f, "cohort {}: {}", i + 1, c.file)?;
            writeln!(f, "  rows read {}, used {}", c.rows, c.used)?;
            writeln!(
                f,
                "  harmonised: {} allele order swapped, {} strand flipped, palindromic {} same strand / {} flipped by frequency / {} unchecked",
                c.swapped, c.strand_flipped, c.palindromic_same, c.palindromic_flipped, c.palindromic_unchecked
            )?;
            for (d, n) in Drop::ALL.iter().zip(c.dropped) {
                if n > 0 {
                    writeln!(f, "  dropped {n} rows with {} [{}]", d.describe(), d.key())?;
                    for (_, e) in c.examples.iter().filter(|(r, _)| r == d) {
                        writeln!(f, "    {} line {}: marker `{}`", c.file, e.line, e.marker)?;
                    }
                }
            }
            for note in &c.notes {
                writeln!(f, "  note: {note}")?;
            }
        }
        writeln!(
            f,
            "markers: {} seen, {} written, {} with no usable row, {} below MINWEIGHT",
            self.markers, self.written, self.no_usable_row, self.below_min_weight
        )?;
        for (method, n) in &self.random_failed {
            if *n > 0 {
                writeln!(
                    f,
                    "random effects {method}: {n} fits failed (NA in its columns)"
                )?;
            }
        }
        for note in &self.notes {
            writeln!(f, "note: {note}")?;
        }
        Ok(())
    }
}
