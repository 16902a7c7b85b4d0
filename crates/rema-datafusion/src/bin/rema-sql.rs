//! `rema-sql`: one SQL query with rema's aggregate functions, on this
//! machine or on a Ballista cluster.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Parser;
use datafusion::prelude::{CsvReadOptions, ParquetReadOptions, SessionConfig, SessionContext};
use rema_arrow::output::OutputFormat;

/// Runs a SQL query with rema's aggregate functions and writes its result
/// as CSV (standard output by default) or Parquet.
///
/// Functions: rma(yi, vi [, method [, study]]) and
/// rma_2x2(ai, bi, ci, di, measure [, method [, study]]) pool each group as
/// metafor's rma() (method REML unless given) and return a struct with the
/// columns of `rema batch`; the output spreads it into those columns.
/// Give `study` (an integer column) to pool each group in study order, as
/// `rema batch` does on a file sorted by study; results are the same bits at
/// any --partitions and on any cluster.
///
/// Examples:
///   rema-sql "SELECT analysis_id, rma(yi, vi) FROM 'long.parquet' GROUP BY analysis_id ORDER BY analysis_id"
///   rema-sql --table t=trials.csv "SELECT outcome, rma_2x2(ai, bi, ci, di, 'OR', 'DL') FROM t GROUP BY outcome" -o pooled.parquet
///   rema-sql --scheduler df://127.0.0.1:50050 "SELECT snp, rma(beta, se*se, 'DL', cohort) FROM 'gwas.parquet' GROUP BY snp"
#[derive(Debug, Parser)]
#[command(name = "rema-sql", version, verbatim_doc_comment)]
struct Args {
    /// The query. A quoted path ('file.parquet', 'file.csv', a directory) is a table.
    query: String,
    /// Register a table: NAME=PATH (Parquet, or CSV with a header when PATH ends in .csv).
    #[arg(long = "table", value_name = "NAME=PATH")]
    tables: Vec<String>,
    /// Write to this file (.parquet: Parquet; otherwise CSV). Default: CSV on standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// The output format, if not the output file's extension.
    #[arg(long, value_parser = ["csv", "parquet"])]
    format: Option<String>,
    /// DataFusion's target partitions (threads per stage). Default: the number of cores.
    #[arg(long)]
    partitions: Option<usize>,
    /// Run on a Ballista cluster, e.g. df://127.0.0.1:50050 (see rema-ballista).
    #[arg(long, value_name = "URL")]
    scheduler: Option<String>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> Result<()> {
    let partitions = args
        .partitions
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if partitions == 0 {
        bail!("--partitions 0: give at least 1");
    }
    let ctx = match &args.scheduler {
        Some(url) => rema_datafusion::ballista::remote_context(url, partitions)
            .await
            .with_context(|| format!("--scheduler {url}"))?,
        None => {
            let ctx = SessionContext::new_with_config(
                SessionConfig::new().with_target_partitions(partitions),
            )
            .enable_url_table();
            rema_datafusion::register(&ctx);
            ctx
        }
    };
    for t in &args.tables {
        let Some((name, path)) = t.split_once('=') else {
            bail!("--table {t}: give NAME=PATH");
        };
        if path.to_ascii_lowercase().ends_with(".csv") {
            ctx.register_csv(name, path, CsvReadOptions::new()).await
        } else {
            ctx.register_parquet(name, path, ParquetReadOptions::default())
                .await
        }
        .with_context(|| format!("--table {t}"))?;
    }
    let batches = ctx
        .sql(&args.query)
        .await
        .context("planning the query")?
        .collect()
        .await
        .context("running the query")?;
    let format = match args.format.as_deref() {
        Some("parquet") => OutputFormat::Parquet,
        Some(_) => OutputFormat::Csv,
        None => args
            .output
            .as_deref()
            .map_or(OutputFormat::Csv, OutputFormat::of),
    };
    rema_datafusion::output::write(&batches, args.output.as_deref(), format)
        .context("writing the result")?;
    Ok(())
}
