//! `rema forest`: a RevMan-style forest plot of one analysis.

use clap::Args;
use rema_plot::{forest_svg, ForestData};

use crate::analyze::AnalyzeArgs;
use crate::exit::{self, CliError};
use crate::figure::{self, OutArgs};

/// Draw a forest plot (SVG or PNG) of the studies of a CSV file.
///
/// Takes the file and the options of `rema analyze`, pools the studies the
/// same way, and draws, RevMan-style: study labels, the data (events/total,
/// mean (SD), n), weight (%), effect and CI as text; a square per study sized
/// by its weight with its CI; the pooled diamond; the prediction interval as
/// a bar; a footer with tau^2, Q, df, p, I^2 and the test for the overall
/// effect. Ratios (RR, OR) get a log axis, proportions a percent axis. Long
/// labels are cut with an ellipsis; the layout works from 1 study to
/// thousands. (--format is ignored here.)
///
/// Examples:
///   rema forest examples/bcg/bcg.csv --measure RR --out bcg.svg
///   rema forest examples/bcg/bcg.csv -m RR --method DL --out bcg.png --favours "vaccine,control"
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct ForestArgs {
    #[command(flatten)]
    pub analysis: AnalyzeArgs,
    #[command(flatten)]
    pub out: OutArgs,
    /// Labels under the axis, left and right of the line of no effect:
    /// "BKP,control" prints "Favours BKP" and "Favours control".
    #[arg(long)]
    pub favours: Option<String>,
    /// Axis limits on the display scale, e.g. "0.05,20" for a ratio.
    #[arg(long)]
    pub xlim: Option<String>,
}

pub fn run(args: &ForestArgs) -> Result<(), CliError> {
    figure::kind_of(&args.out.out)?;
    let (table, result) = figure::analysis(&args.analysis)?;
    let mut d = ForestData::from(&result);
    d.add_data_columns(&table, &result);
    d.title = args.out.title.clone();
    d.options.width = args.out.width;
    d.options.height = args.out.height;
    if let Some(f) = &args.favours {
        d.favours = Some(parse_favours(f)?);
    }
    if let Some(x) = &args.xlim {
        d.options.xlim = Some(parse_pair(x, "--xlim")?);
    }
    figure::write(&forest_svg(&d), &args.out)
}

fn usage(message: String) -> CliError {
    CliError {
        message,
        code: exit::USAGE,
    }
}

fn parse_favours(s: &str) -> Result<(String, String), CliError> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    match parts[..] {
        [a, b] if !a.is_empty() && !b.is_empty() => {
            Ok((format!("Favours {a}"), format!("Favours {b}")))
        }
        _ => Err(usage(format!(
            "--favours \"{s}\": give two names separated by a comma, e.g. --favours \"BKP,control\""
        ))),
    }
}

fn parse_pair(s: &str, flag: &str) -> Result<(f64, f64), CliError> {
    let v: Vec<Option<f64>> = s.split(',').map(|p| p.trim().parse().ok()).collect();
    match v[..] {
        [Some(a), Some(b)] if a.is_finite() && b.is_finite() && a < b => Ok((a, b)),
        _ => Err(usage(format!(
            "{flag} \"{s}\": give two increasing numbers separated by a comma, e.g. {flag} \"0.1,10\""
        ))),
    }
}
