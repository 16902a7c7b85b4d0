//! `rema batch`: many meta-analyses from one long table, one row each.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rema_arrow::batch::{BatchRequest, BatchSpec};
use rema_arrow::output::{self, OutputFormat};
use rema_arrow::BatchError;
use rema_core::{AddTo, Measure, PiDist, Test};
use rema_data::spec::{Level, Model};

use crate::exit::{self, CliError};
use crate::model_args::{add_to, level, measures, models, pi_dists, tests};

/// Pool many meta-analyses at once: one row per study in, one row per
/// analysis out.
///
/// FILE is a long table: the --group column(s) tell the analyses apart, and
/// the other columns are a measure's, as in `rema analyze`: yi with vi or
/// sei (--measure GEN, the default), or raw data such as ai, bi, ci, di
/// (--measure OR), whose effect sizes are computed per analysis as rema
/// analyze computes them. CSV or TSV (.csv, .tsv, .txt; optionally .gz or
/// .zst), Parquet (.parquet) or Arrow IPC (.arrow, .arrows, .feather).
///
/// Each analysis is metafor's rma(yi, vi, method, test, level) and
/// predict(): every row equals `rema analyze` on that group alone, bit for
/// bit. Output columns: the group columns, k, estimate, se, ci_lower,
/// ci_upper, zval, pval, tau2, i2, h2, q, q_pval, pi_lower, pi_upper,
/// iterations, converged, status (ok, too_few_studies, not_converged, ...)
/// and notes (tau2_truncated, ll0_check, fell_back_to_dl, one_study,
/// dropped_missing=N, ...). Rows are in the input's group order.
///
/// The file is read once, in chunks: each group's rows must be together
/// (sorted or grouped by the --group columns); a group that appears again
/// after another is refused, with advice. A row with a missing value
/// (empty, NA, null) is left out and counted in its analysis's notes; a
/// value that is not a number, or a variance or SE <= 0, is an error naming
/// the file, row, column and group. Threads: RAYON_NUM_THREADS (results are
/// the same at any number). A progress bar is shown on a terminal.
///
/// Examples:
///   rema batch long.parquet --group snp --method DL --output pooled.parquet
///   rema batch sims.csv.gz --group sim --method REML --test knha > out.csv
///   rema batch trials.csv --group outcome --measure OR --method DL -o or.csv
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct BatchArgs {
    /// The long table.
    pub file: PathBuf,
    /// A column that tells the analyses apart (repeat for a key of several columns).
    #[arg(long, short = 'g', required = true)]
    pub group: Vec<String>,
    /// Effect-size measure (metafor's names); GEN reads yi with vi or sei.
    #[arg(long, short = 'm', default_value = "GEN", value_parser = measures())]
    pub measure: Measure,
    /// tau^2 estimator, or FE for the common-effect model (MH, PETO and
    /// GLMM are `rema analyze` only).
    #[arg(long, default_value = "REML", value_parser = models())]
    pub method: Model,
    /// Test of the pooled effect: z, knha or adhoc.
    #[arg(long, default_value = "z", value_parser = tests())]
    pub test: Test,
    /// Distribution of the prediction interval: test (as metafor) or t (t with k - 1 df).
    #[arg(long, default_value = "test", value_parser = pi_dists())]
    pub pi_dist: PiDist,
    /// Confidence level in percent.
    #[arg(long, default_value = "95", value_parser = level)]
    pub level: Level,
    /// Continuity correction for raw counts (default: metafor's for the measure).
    #[arg(long)]
    pub add: Option<f64>,
    /// Which studies get the correction: only0, all, if0all, none (default only0).
    #[arg(long, value_parser = add_to())]
    pub to: Option<AddTo>,
    /// Write here (default: standard output, CSV).
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// csv or parquet (default: from the --output name, .parquet is Parquet; else csv).
    #[arg(long)]
    pub format: Option<OutputFormat>,
}

fn batch_error(e: BatchError) -> CliError {
    let code = if e.is_data() { exit::DATA } else { exit::USAGE };
    CliError {
        message: e.to_string(),
        code,
    }
}

/// The options, checked against each other (by rema-arrow, as Python's
/// `rema.batch` checks them).
fn spec(args: &BatchArgs) -> Result<BatchSpec, CliError> {
    BatchRequest {
        groups: args.group.clone(),
        measure: args.measure,
        method: args.method,
        test: args.test,
        pi_dist: args.pi_dist,
        level: args.level,
        add: args.add,
        to: args.to,
    }
    .spec()
    .map_err(batch_error)
}

pub fn run(args: &BatchArgs) -> Result<(), CliError> {
    let spec = spec(args)?;
    let format = args.format.unwrap_or_else(|| {
        args.output
            .as_deref()
            .map_or(OutputFormat::Csv, OutputFormat::of)
    });
    let mut out = output::create(args.output.as_deref(), format).map_err(batch_error)?;
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {human_pos}/{human_len} rows ({per_sec})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut progress = |done: u64, total: Option<u64>| {
        if let Some(t) = total {
            if bar.length() != Some(t) {
                bar.set_length(t);
            }
        }
        bar.set_position(done);
    };
    let summary =
        rema_arrow::run(&args.file, &spec, out.as_mut(), &mut progress).map_err(batch_error)?;
    bar.finish_and_clear();
    out.finish().map_err(batch_error)?;
    if summary.failed > 0 || summary.dropped_missing > 0 {
        eprintln!(
            "rema batch: {} analyses of {} studies; {} could not be fitted (see the status column); {} rows left out for a missing value",
            summary.analyses, summary.studies, summary.failed, summary.dropped_missing
        );
    }
    Ok(())
}
