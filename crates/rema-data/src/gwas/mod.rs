//! `rema gwas`: METAL's meta-analysis of genome-wide association summary
//! files, with random effects added, in one pass and in parallel.
//!
//! The pipeline: each cohort file is read in turn ([`reader`]: parsed in
//! parallel blocks, merged in file order), its rows harmonised against the
//! marker's first cohort ([`alleles`]), counted in a [`CohortLog`], and kept
//! as two `f64`s per marker (16 bytes × cohorts × markers, no second pass
//! over the files as METAL's heterogeneity needs); then every marker is
//! pooled ([`analysis`]) in parallel chunks written in marker order.
//! METAL's scripts are read by [`script`]. The numbers match METAL
//! (statgen/METAL, `metal/Main.cpp`) to its printed precision; see
//! docs/METHODS.md, "GWAS meta-analysis".

mod alleles;
pub mod analysis;
pub mod config;
pub mod error;
pub mod log;
mod markers;
pub mod reader;
pub mod script;

use std::io::Write;

pub use analysis::MarkerFit;
pub use config::{Cohort, Columns, GenomicControl, GwasConfig, Palindromic, Scheme, Separator};
pub use error::GwasError;
pub use log::{CohortLog, Drop, Example, GwasLog};
pub use reader::parse_cohort_bytes;
pub use script::{parse_script, Job};

use markers::{hash_name, Lookup, Markers};
use reader::CohortData;

/// The cohorts read into memory, ready to pool.
pub struct Gwas {
    config: GwasConfig,
    markers: Markers,
    cohorts: Vec<CohortData>,
    log: GwasLog,
}

impl GwasConfig {
    /// Checks the options that cannot be combined.
    pub fn check(&self) -> Result<(), GwasError> {
        if self.cohorts.is_empty() {
            return Err(GwasError::NoCohorts);
        }
        if self.scheme == Scheme::SampleSize && !self.random.is_empty() {
            return Err(GwasError::Option {
                option: "random",
                message: "random effects need effects and standard errors: use SCHEME STDERR (--scheme stderr), or leave out --random".into(),
            });
        }
        if !(self.palindromic_maf > 0.0 && self.palindromic_maf <= 0.5) {
            return Err(GwasError::Option {
                option: "palindromic-maf",
                message: format!(
                    "{} is not a minor allele frequency in (0, 0.5]; the default is 0.42",
                    self.palindromic_maf
                ),
            });
        }
        if self.palindromic != Palindromic::Frequency && self.palindromic_maf != 0.42 {
            return Err(GwasError::Option {
                option: "palindromic-maf",
                message: "the threshold is used only with --palindromic frequency".into(),
            });
        }
        if self.scheme == Scheme::SampleSize
            && (self.effect_precision != 4 || self.stderr_precision != 4)
        {
            return Err(GwasError::Option {
                option: "EFFECT_PRINT_PRECISION",
                message: "SCHEME SAMPLESIZE prints Weight and Zscore with METAL's fixed 2 and 3 decimals; the print precisions apply to SCHEME STDERR".into(),
            });
        }
        if self.scheme == Scheme::StdErr && self.min_weight != 1.0 {
            return Err(GwasError::Option {
                option: "MINWEIGHT",
                message: "MINWEIGHT applies to SCHEME SAMPLESIZE (METAL ignores it under STDERR); remove it".into(),
            });
        }
        if self.scheme == Scheme::StdErr && self.cohorts.iter().any(|c| c.default_weight != 1.0) {
            return Err(GwasError::Option {
                option: "DEFAULTWEIGHT",
                message: "DEFAULTWEIGHT applies to SCHEME SAMPLESIZE (METAL ignores it under STDERR); remove it".into(),
            });
        }
        for m in &self.random {
            if !matches!(m, rema_core::Method::Dl | rema_core::Method::Reml) {
                return Err(GwasError::Option {
                    option: "random",
                    message: format!("{} is not offered here; use DL or REML", m.name()),
                });
            }
        }
        if self.cohorts.iter().any(|c| c.default_weight <= 0.0) {
            return Err(GwasError::Option {
                option: "DEFAULTWEIGHT",
                message: "the default weight must be above 0".into(),
            });
        }
        Ok(())
    }
}

impl Gwas {
    /// Reads and harmonises every cohort (on rayon's current pool).
    pub fn read(config: GwasConfig) -> Result<Gwas, GwasError> {
        config.check()?;
        let mut markers = Markers::default();
        let mut cohorts = Vec::with_capacity(config.cohorts.len());
        let mut log = GwasLog::default();
        for cohort in &config.cohorts {
            let (data, cohort_log) = reader::read_cohort(
                cohort,
                config.scheme,
                config.palindromic,
                config.palindromic_maf,
                config.max_examples,
                &mut markers,
            )?;
            cohorts.push(data);
            log.cohorts.push(cohort_log);
        }
        log.markers = markers.len() as u64;
        Ok(Gwas {
            config,
            markers,
            cohorts,
            log,
        })
    }

    /// The log so far.
    pub fn log(&self) -> &GwasLog {
        &self.log
    }

    /// The number of markers seen.
    pub fn markers(&self) -> usize {
        self.markers.len()
    }

    /// Pools one marker by name (None when no cohort has it).
    pub fn marker(&mut self, name: &str) -> Option<MarkerFit> {
        let id = match self.markers.lookup(name, hash_name(name.as_bytes())) {
            Lookup::Known(id) => id as usize,
            Lookup::New { .. } => return None,
        };
        let mut fit = MarkerFit {
            k: 0,
            effect: 0.0,
            stderr: 0.0,
            z: 0.0,
            q: 0.0,
            direction: String::new(),
            yi: Vec::new(),
            vi: Vec::new(),
        };
        analysis::pool(self.config.scheme, &self.cohorts, id, &mut fit);
        Some(fit)
    }

    /// Writes METAL's table (plus the random-effects columns) and returns
    /// the complete log.
    pub fn write(mut self, out: &mut impl Write) -> Result<GwasLog, std::io::Error> {
        let counts = analysis::write_table(&self.config, &self.markers, &self.cohorts, out)?;
        out.flush()?;
        self.log.written = counts.written;
        self.log.no_usable_row = counts.no_usable_row;
        self.log.below_min_weight = counts.below_min_weight;
        self.log.random_failed = self
            .config
            .random
            .iter()
            .map(|m| m.name().to_string())
            .zip(counts.random_failed)
            .collect();
        let data_bytes: usize = self
            .cohorts
            .iter()
            .map(|c| 8 * (c.y.capacity() + c.v.capacity()))
            .sum();
        self.log.notes.push(format!(
            "held {:.1} MB of harmonised values and {:.1} MB of marker names and alleles",
            data_bytes as f64 / 1e6,
            self.markers.heap_bytes() as f64 / 1e6
        ));
        Ok(self.log)
    }
}

/// The random-effects fit that `rema gwas` prints for one marker's rows
/// (τ², estimate, SE): `rema_core::fit` with the default options.
pub fn random_effects(
    yi: &[f64],
    vi: &[f64],
    method: rema_core::Method,
) -> Option<(f64, f64, f64)> {
    analysis::random_effects(yi, vi, method)
}
