//! `rema analyze`: one meta-analysis of one CSV file.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use rema_data::{analyze_with, sha256_hex, AnalysisSpec, DataError, Table};

use crate::exit::CliError;
use crate::text;

/// Pool the studies of a CSV file, as metafor's rma().
///
/// The CSV has a header with metafor's column names and an optional `study`
/// column:
///   RR, OR, RD            ai, bi, ci, di   (or ai, n1i, ci, n2i)
///   MD, SMD               m1i, sd1i, n1i, m2i, sd2i, n2i
///   MC, SMCC, SMCR        m_pre, sd_pre, m_post, sd_post, ni, ri
///                         (or metafor's m1i = post, m2i = pre, sd1i, sd2i, ni, ri)
///   PR, PLN, PLO, PAS, PFT  xi, ni
///   GEN                   yi, vi   (or yi, sei)
///
/// Examples:
///   rema analyze examples/bcg/bcg.csv --measure RR --method REML
///   rema analyze data.csv --measure SMD --method DL --test knha --tau2-ci --format json
///
/// Heterogeneity (other columns of the file are study characteristics):
///   rema analyze bcg.csv -m RR --by alloc                 subgroups, separate tau^2
///   rema analyze bcg.csv -m RR --by alloc --tau2-common   subgroups, one tau^2
///   rema analyze bcg.csv -m RR --mods ablat,year,alloc    meta-regression
///   rema analyze bcg.csv -m RR --mods ablat --permutations 1000 --seed 42
///   rema analyze bcg.csv -m RR --permutations exact       exact sign-flip test
///   rema analyze bcg.csv -m RR --bootstrap 5000 --seed 7 --bootstrap-type parametric
///
/// Resampling runs in parallel (RAYON_NUM_THREADS sets the threads); a given
/// --seed gives identical output at any number of threads. Without --seed a
/// seed is drawn and recorded in the JSON output (provenance.options.seed).
/// A progress bar is shown on a terminal; Ctrl-C stops a run cleanly.
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct AnalyzeArgs {
    /// The CSV file (comma, semicolon or tab separated; UTF-8).
    pub file: PathBuf,
    /// Effect-size measure (metafor's names).
    #[arg(long, short = 'm', value_parser = ["RR", "OR", "RD", "MD", "SMD", "MC", "SMCC", "SMCR", "PR", "PLN", "PLO", "PAS", "PFT", "GEN"], ignore_case = true)]
    pub measure: String,
    /// tau^2 estimator, or FE for the common-effect model.
    #[arg(long, default_value = "REML", value_parser = ["FE", "EE", "CE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM"], ignore_case = true)]
    pub method: String,
    /// Test of the pooled effect: z, or knha (Hartung-Knapp-Sidik-Jonkman).
    #[arg(long, default_value = "z", value_parser = ["z", "knha"], ignore_case = true)]
    pub test: String,
    /// Confidence level in percent.
    #[arg(long, default_value_t = 95.0)]
    pub level: f64,
    /// Add Q-profile confidence intervals for tau^2, I^2 and H^2 (metafor confint()).
    #[arg(long)]
    pub tau2_ci: bool,
    /// Continuity correction added to zero cells (default: metafor's, 0.5 for RR, OR, RD, PR, PLN, PLO).
    #[arg(long)]
    pub add: Option<f64>,
    /// Which studies get the correction: only0 (with a zero cell), all, if0all, none.
    #[arg(long, default_value = "only0", value_parser = ["only0", "all", "if0all", "none"])]
    pub to: String,
    /// Subgroup analysis: a fit within each level of COLUMN and the test for
    /// subgroup differences (Q-between of the subgroup estimates).
    #[arg(long, value_name = "COLUMN")]
    pub by: Option<String>,
    /// With --by: one tau^2 common to all subgroups (metafor
    /// rma(mods = ~ factor(by) - 1)) instead of a separate tau^2 per subgroup.
    #[arg(long, requires = "by")]
    pub tau2_common: bool,
    /// Meta-regression on these columns (comma-separated), as metafor
    /// rma(mods = ~ A + B). Numeric columns enter as they are; text columns
    /// are dummy-coded against their first level (sorted as R's factor()).
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    pub mods: Vec<String>,
    /// Permutation tests (metafor permutest): a number of iterations
    /// (counting the observed data), or `exact` for complete enumeration. An
    /// exact test is run whenever it needs no more iterations than asked.
    /// Adds a test of subgroup differences with --by and a resampling test of
    /// tau^2 = 0.
    #[arg(long, value_name = "N|exact")]
    pub permutations: Option<String>,
    /// Bootstrap with N replicates: percentile and BCa intervals for the
    /// pooled estimate, tau^2, I^2 and H^2.
    #[arg(long, value_name = "N")]
    pub bootstrap: Option<u64>,
    /// How bootstrap replicates are drawn.
    #[arg(long, default_value = "nonparametric", value_parser = ["nonparametric", "parametric"])]
    pub bootstrap_type: String,
    /// Seed of the permutation tests and the bootstrap.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A readable summary like metafor's print.rma.
    Text,
    /// One JSON object (schema in docs/SCHEMA.md).
    Json,
    /// One header line and one line of results.
    Csv,
}

impl AnalyzeArgs {
    pub fn spec(&self) -> AnalysisSpec {
        AnalysisSpec {
            measure: self.measure.to_ascii_uppercase(),
            method: self.method.to_ascii_uppercase(),
            test: self.test.to_ascii_lowercase(),
            level: self.level,
            tau2_ci: self.tau2_ci,
            add: self.add,
            to: self.to.clone(),
            by: self.by.clone(),
            tau2_common: self.tau2_common,
            mods: self
                .mods
                .iter()
                .map(|m| m.trim().to_string())
                .filter(|m| !m.is_empty())
                .collect(),
            permutations: self.permutations.clone(),
            bootstrap: self.bootstrap,
            bootstrap_type: self.bootstrap_type.clone(),
            seed: self.seed.or_else(|| {
                (self.permutations.is_some() || self.bootstrap.is_some())
                    .then(crate::progress::fresh_seed)
            }),
        }
    }
}

pub fn run(args: &AnalyzeArgs) -> Result<(), CliError> {
    let name = args.file.display().to_string();
    let bytes = std::fs::read(&args.file).map_err(|source| DataError::Io {
        path: name.clone(),
        source,
    })?;
    let table = Table::from_bytes(&bytes, &name)?;
    let spec = args.spec();
    let long = spec.permutations.is_some() || spec.bootstrap.is_some();
    let result = crate::progress::with_hooks(long, |hooks| {
        analyze_with(&table, &spec, &sha256_hex(&bytes), hooks)
    })?;
    let out = match args.format {
        Format::Json => serde_json::to_string_pretty(&result).expect("results serialise") + "\n",
        Format::Text => text::summary(&result) + &crate::text_heterogeneity::sections(&result),
        Format::Csv => text::csv_line(&result),
    };
    print!("{out}");
    Ok(())
}
