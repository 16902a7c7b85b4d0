//! `rema bias`: tests for small-study effects (funnel-plot asymmetry).

use std::path::PathBuf;

use clap::Args;
use rema_data::bias;

use crate::analyze::Format;
use crate::exit::CliError;
use crate::model_args::ModelArgs;

/// Test for small-study effects, as metafor's regtest(), ranktest() and trimfill().
///
/// Runs, on the rma() model of the given measure, method and test:
///   - Egger's regression test: the standard error as a moderator in the same
///     model (metafor regtest(), model = "rma", predictor = "sei"), with the
///     limit estimate at standard error 0;
///   - Begg and Mazumdar's rank correlation (ranktest()): Kendall's tau
///     between standardised effects and variances, exact p-value without ties;
///   - trim and fill (trimfill(), estimator L0, side chosen as metafor does),
///     with the imputed studies.
///
/// The CSV columns are those of `rema analyze` (see `rema analyze --help`).
///
/// Examples:
///   rema bias examples/bcg/bcg.csv --measure RR
///   rema bias data.csv --measure GEN --method DL --test knha --format json
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct BiasArgs {
    /// The CSV file (comma, semicolon or tab separated; UTF-8; R's write.csv
    /// and write.csv2 output as it is) or Excel workbook (.xlsx, see --sheet).
    pub file: PathBuf,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Output format (csv prints the text summary).
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(args: &BiasArgs) -> Result<(), CliError> {
    let (table, sha) = args.model.read_table(&args.file)?;
    let result = bias(&table, &args.model.spec(), &sha)?;
    let out = match args.format {
        Format::Json => serde_json::to_string_pretty(&result).expect("results serialise") + "\n",
        Format::Text | Format::Csv => rema_data::render::bias_text(&result),
    };
    print!("{out}");
    Ok(())
}
