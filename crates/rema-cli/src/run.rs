//! `rema run`: every analysis of a plan.

use std::path::PathBuf;

use clap::Args;
use rema_data::run::{summary_markdown, write_outputs};
use rema_data::run_plan;

use crate::exit::CliError;

/// Run every analysis of a TOML plan and write the results.
///
/// The plan names the data (one flat CSV with `table = "..."`, a review JSON
/// with `review = "..."`, or a review's CSV files: studies, arms,
/// risk_of_bias, flow, outcomes, data) and a list of [[analysis]] tables, each
/// with an id, an outcome, timepoint(s), a measure, a method, a test, and
/// optionally a subset filter and a subgroup column. The format is documented
/// in docs/PLANS.md.
///
/// Writes into DIR:
///   results.json   one entry per analysis id, the JSON of `rema analyze`,
///                  and `not_run` with the reason of each analysis that
///                  could not run (e.g. per-study data unknown)
///   summary.md     outcome, comparison, studies, n, effect and CI, p, I²
///   summary.csv    the same, full precision
///   review.json    the review read from the CSV files (lossless)
///   report.html    one self-contained page: summary, forest plots, selection
///                  flow, characteristics, risk of bias, methods, provenance
///   figures/       each figure as SVG and PNG (forest_<id>, flow, risk_of_bias,
///                  summary_of_findings when an analysis has a grade block)
///   report.pdf     with --pdf: report.html printed by headless Chromium
/// and prints summary.md.
///
/// Examples:
///   rema run examples/bkp/bkp.toml --out out/bkp
///   rema run examples/bcg/bcg.toml --out out/bcg --pdf
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct RunArgs {
    /// The plan (TOML).
    pub plan: PathBuf,
    /// Folder for results.json, summary.md, summary.csv (created if absent).
    #[arg(long, short = 'o')]
    pub out: PathBuf,
    /// Also print report.html to report.pdf with headless Chromium
    /// ($REMA_CHROMIUM, or chromium, chromium-browser or google-chrome on
    /// PATH); exits with code 69 and says so when none is installed.
    #[arg(long)]
    pub pdf: bool,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

pub fn run(args: &RunArgs) -> Result<(), CliError> {
    let out = run_plan(&args.plan)?;
    let mut written = write_outputs(&out, &args.out)?;
    written.extend(crate::report::write_report(&out, &args.out)?);
    if args.pdf {
        written.push(crate::pdf::print_to_pdf(
            &args.out.join("report.html"),
            &args.out.join("report.pdf"),
        )?);
    }
    if !args.quiet {
        print!("{}", summary_markdown(&out.results));
        let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        println!("wrote {}", names.join(", "));
    }
    Ok(())
}
