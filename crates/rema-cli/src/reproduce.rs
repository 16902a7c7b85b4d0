//! `rema reproduce`: recompute every analysis of a RevMan 5 file and compare
//! it with the results RevMan stored.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use rema_data::rm5::{reproduce, Rm5, Verdict};

use crate::exit::CliError;

/// Recompute every outcome of a RevMan 5 review (.rm5) with its own settings
/// (effect measure, M-H / IV / Peto, fixed or random, CI level) and compare
/// the pooled effect, its CI, Z and P, Chi², its P, I², Tau² and every
/// study's weight with the numbers RevMan stored in the file.
///
/// Each outcome (and each subgroup) is REPRODUCED when every stored figure
/// agrees within 1e-6 relative, DIFFERENT otherwise (the figures that differ
/// are listed), NOTHING STORED when RevMan left the results empty, or NOT
/// COMPUTED with the reason. Elements of the file that are not read are
/// listed first.
///
/// Exit code 0 when the comparison ran (whatever it found), 6 with
/// --fail-on-different when an outcome differs, 3 for an unreadable file.
///
/// Example:
///   rema reproduce tests/data/revman/Fleiss1993.rm5
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct ReproduceArgs {
    /// The RevMan 5 file.
    pub file: PathBuf,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ReproduceFormat::Text)]
    pub format: ReproduceFormat,
    /// Print every figure compared, not only those that differ.
    #[arg(long)]
    pub all: bool,
    /// Exit with code 6 when an outcome differs.
    #[arg(long)]
    pub fail_on_different: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReproduceFormat {
    Text,
    Json,
}

/// Exit code when --fail-on-different finds an outcome that differs.
pub const DIFFERENT: u8 = 6;

pub fn run(args: &ReproduceArgs) -> Result<(), CliError> {
    let review = Rm5::read(&args.file)?;
    let reports = reproduce(&review);
    match args.format {
        ReproduceFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "file": review.source,
                "revman_version": review.revman_version,
                "notes": review.notes,
                "outcomes": reports,
            }))
            .expect("reports serialise")
        ),
        ReproduceFormat::Text => {
            if let Some(t) = &review.title {
                println!("{t}");
            }
            for n in &review.notes {
                println!("note: {n}");
            }
            for r in &reports {
                let verdict = match &r.verdict {
                    Verdict::Reproduced => "REPRODUCED".to_string(),
                    Verdict::Different => "DIFFERENT".to_string(),
                    Verdict::NothingStored => "NOTHING STORED".to_string(),
                    Verdict::NotComputed(why) => format!("NOT COMPUTED ({why})"),
                };
                let worst = r
                    .checks
                    .iter()
                    .map(|c| c.relative_difference())
                    .fold(0.0, f64::max);
                let checked = if r.checks.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; {} figures, largest relative difference {worst:.1e}",
                        r.checks.len()
                    )
                };
                println!("{verdict:<15} {}  [{}]{checked}", r.id, r.settings);
                println!("                {}", r.name);
                for c in r.checks.iter().filter(|c| args.all || !c.agrees()) {
                    println!(
                        "                {:<24} RevMan {:<22} rema {:<22} {:.1e}",
                        c.what,
                        c.revman,
                        c.rema,
                        c.relative_difference()
                    );
                }
            }
        }
    }
    let different = reports.iter().any(|r| r.verdict == Verdict::Different);
    if args.fail_on_different && different {
        return Err(CliError {
            message: "an outcome differs from RevMan's stored results".to_string(),
            code: DIFFERENT,
        });
    }
    Ok(())
}
