//! `rema import`: a RevMan 5 review as rema's own files.

use std::path::PathBuf;

use clap::Args;
use rema_data::rm5::{import, Rm5};
use rema_data::DataError;

use crate::exit::CliError;

/// Read a RevMan 5 review (.rm5) and write it as rema's own files in DIR:
/// `review.json` (studies, risk of bias, outcomes and every study's data),
/// one CSV per outcome in `rema analyze`'s columns (with a `subgroup` column
/// where the outcome has subgroups), and `plan.toml`, which `rema run`
/// runs with each outcome's own settings (M-H / IV / Peto, fixed or random,
/// CI level). What is not carried over is listed.
///
/// Example:
///   rema import tests/data/revman/Fleiss1993.rm5 --out fleiss
///   rema run fleiss/plan.toml --out fleiss/results
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct ImportArgs {
    /// The RevMan 5 file.
    pub file: PathBuf,
    /// The folder to write (created if missing).
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(args: &ImportArgs) -> Result<(), CliError> {
    let rm5 = Rm5::read(&args.file)?;
    let imported = import(&rm5);
    let write = |name: &str, text: &str| -> Result<(), CliError> {
        let path = args.out.join(name);
        std::fs::write(&path, text).map_err(|e| {
            CliError::from(DataError::Io {
                path: path.display().to_string(),
                source: e,
            })
        })
    };
    std::fs::create_dir_all(&args.out).map_err(|e| {
        CliError::from(DataError::Io {
            path: args.out.display().to_string(),
            source: e,
        })
    })?;
    write("review.json", &imported.review.to_json())?;
    for (name, csv) in &imported.tables {
        write(name, csv)?;
    }
    write("plan.toml", &imported.plan)?;
    for n in rm5.notes.iter().chain(&imported.notes) {
        eprintln!("note: {n}");
    }
    println!(
        "{}: {} studies, {} outcomes ({} analyses in plan.toml), {} risk-of-bias domains",
        args.out.display(),
        imported.review.studies.len(),
        imported.review.outcomes.len(),
        imported.tables.len(),
        imported.review.risk_of_bias.domains.len()
    );
    Ok(())
}
