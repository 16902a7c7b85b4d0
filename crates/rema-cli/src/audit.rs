//! `rema audit`: a statcheck for published pooled results.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use rema_data::audit::audit_table;
use rema_data::{DataError, Table};

use crate::exit::CliError;

/// Check that each printed estimate, confidence interval and p-value of a
/// published meta-analysis table agree with each other, within the rounding of
/// the printed digits.
///
/// The CSV needs the columns id, measure, estimate, ci_lower, ci_upper,
/// p_reported; optionally n, i2, q, df (then I^2 is checked against Q).
/// Ratio measures (RR, OR, HR, IRR, ROM) are audited on the log scale;
/// differences (MD, WMD, SMD, RD) and proportions on their own scale.
/// p_reported takes forms such as .03, 0.030, <.001, < 0.05, p=.04 and NS.
/// Rounding rules are in docs/METHODS.md ("Audit").
///
/// Exit code 0 when the audit ran (whatever it found), 5 with
/// --fail-on-inconsistent when a row is inconsistent, 3 for unreadable input.
///
/// Example:
///   rema audit examples/bkp/table3_published.csv
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct AuditArgs {
    /// The table (CSV, UTF-8).
    pub file: PathBuf,
    /// Confidence level of the printed intervals, in percent.
    #[arg(long, default_value_t = 95.0)]
    pub level: f64,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = AuditFormat::Text)]
    pub format: AuditFormat,
    /// Exit with code 5 when any row is inconsistent.
    #[arg(long)]
    pub fail_on_inconsistent: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    Text,
    Json,
}

/// Exit code when --fail-on-inconsistent finds an inconsistent row.
pub const INCONSISTENT: u8 = 5;

pub fn run(args: &AuditArgs) -> Result<(), CliError> {
    let table = Table::read_path(&args.file)?;
    if !(args.level > 0.0 && args.level < 100.0) {
        return Err(DataError::option(
            "level",
            format!("--level {} must lie between 0 and 100", args.level),
        )
        .into());
    }
    let records = audit_table(&table, args.level)?;
    match args.format {
        AuditFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&records).expect("records serialise")
        ),
        AuditFormat::Text => {
            let w = records.iter().map(|r| r.id.len()).max().unwrap_or(2).max(2);
            println!(
                "{:<w$}  {:<12} {:>9} {:>8} {:>10} {:>8}  message",
                "id", "status", "impl. se", "impl. z", "impl. p", "printed"
            );
            for r in &records {
                println!(
                    "{:<w$}  {:<12} {:>9.4} {:>8.3} {:>10.2e} {:>8}  {}",
                    r.id,
                    r.status.to_uppercase(),
                    r.implied_se,
                    r.implied_z,
                    r.implied_p,
                    r.p_reported.as_deref().unwrap_or("-"),
                    r.message
                );
            }
            let bad = records
                .iter()
                .filter(|r| r.status == "inconsistent")
                .count();
            println!("\n{} rows audited, {bad} inconsistent", records.len());
        }
    }
    if args.fail_on_inconsistent && records.iter().any(|r| r.status == "inconsistent") {
        return Err(CliError {
            message: "inconsistent rows found".to_string(),
            code: INCONSISTENT,
        });
    }
    Ok(())
}
