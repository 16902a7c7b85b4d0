//! `rema`: meta-analysis from the command line.
//!
//! Glue only: argument parsing (clap), reading files, printing. The numbers
//! come from rema-core through rema-data, exactly as the server gets them.

mod analyze;
mod audit;
mod batch;
mod bias;
mod compare;
mod exit;
mod figure;
mod forest;
mod funnel;
mod gosh;
mod gwas;
mod import;
mod model_args;
mod pdf;
mod plot;
mod progress;
mod report;
mod reproduce;
mod run;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// rema: meta-analysis that gives metafor's numbers, fast.
///
/// Exit codes: 0 success; 2 bad usage (unknown flag or value); 3 bad input
/// data (the message names file, line, column and study); 4 the model cannot
/// be estimated (too few studies, no convergence); 5 `rema audit
/// --fail-on-inconsistent` found an inconsistent row; 6 `rema reproduce
/// --fail-on-different` found an outcome that differs from RevMan's; 70 an internal error (a
/// bug: please report it).
#[derive(Debug, Parser)]
#[command(name = "rema", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Analyze(analyze::AnalyzeArgs),
    Audit(audit::AuditArgs),
    Run(run::RunArgs),
    Batch(batch::BatchArgs),
    Bias(bias::BiasArgs),
    Compare(compare::CompareArgs),
    Forest(forest::ForestArgs),
    Funnel(funnel::FunnelArgs),
    Gosh(gosh::GoshArgs),
    Gwas(gwas::GwasArgs),
    Plot(plot::PlotArgs),
    Import(import::ImportArgs),
    Reproduce(reproduce::ReproduceArgs),
}

fn main() -> ExitCode {
    exit::install_panic_hook();
    let cli = Cli::parse();
    let outcome = std::panic::catch_unwind(|| match cli.command {
        Command::Analyze(args) => analyze::run(&args),
        Command::Audit(args) => audit::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Batch(args) => batch::run(&args),
        Command::Bias(args) => bias::run(&args),
        Command::Compare(args) => compare::run(&args),
        Command::Forest(args) => forest::run(&args),
        Command::Funnel(args) => funnel::run(&args),
        Command::Gosh(args) => gosh::run(&args),
        Command::Gwas(args) => gwas::run(&args),
        Command::Plot(args) => plot::run(&args),
        Command::Import(args) => import::run(&args),
        Command::Reproduce(args) => reproduce::run(&args),
    });
    match outcome {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(err)) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
        Err(_) => ExitCode::from(exit::INTERNAL),
    }
}
