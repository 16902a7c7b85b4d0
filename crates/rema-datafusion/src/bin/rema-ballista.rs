//! `rema-ballista`: a Ballista scheduler or executor with rema's aggregate
//! functions registered.

use anyhow::Result;
use clap::{Parser, Subcommand};
use rema_datafusion::ballista::{run_executor, run_scheduler, ExecutorArgs, SchedulerArgs};

/// A Ballista scheduler or executor that knows rema's functions (rma,
/// rma_2x2). Start one scheduler and any number of executors, then send
/// queries with `rema-sql --scheduler df://HOST:PORT`. Every process must be
/// this binary (or another build that registers the same functions): a stock
/// Ballista executor cannot decode a plan that calls rma.
///
/// Examples:
///   rema-ballista scheduler --port 50050
///   rema-ballista executor --port 50051 --grpc-port 50052 --scheduler-port 50050
///   rema-sql --scheduler df://127.0.0.1:50050 "SELECT id, rma(yi, vi) FROM 'long.parquet' GROUP BY id"
#[derive(Debug, Parser)]
#[command(name = "rema-ballista", version, verbatim_doc_comment)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scheduler.
    Scheduler {
        /// The address to bind.
        #[arg(long, default_value = "127.0.0.1")]
        bind_host: String,
        /// The host name executors and clients use to reach it.
        #[arg(long, default_value = "localhost")]
        external_host: String,
        /// The gRPC port.
        #[arg(long, default_value_t = 50050)]
        port: u16,
    },
    /// Run an executor.
    Executor {
        /// The address to bind.
        #[arg(long, default_value = "127.0.0.1")]
        bind_host: String,
        /// The host name the scheduler and other executors use to reach it.
        #[arg(long)]
        external_host: Option<String>,
        /// The Arrow Flight port (shuffle data).
        #[arg(long, default_value_t = 50051)]
        port: u16,
        /// The gRPC port (tasks).
        #[arg(long, default_value_t = 50052)]
        grpc_port: u16,
        /// The scheduler's host.
        #[arg(long, default_value = "localhost")]
        scheduler_host: String,
        /// The scheduler's port.
        #[arg(long, default_value_t = 50050)]
        scheduler_port: u16,
        /// Tasks run at once. Default: the number of cores.
        #[arg(long)]
        concurrent_tasks: Option<usize>,
        /// Where shuffle files go. Default: a temporary directory.
        #[arg(long)]
        work_dir: Option<String>,
    },
}

fn main() -> Result<()> {
    let args = Args::parse();
    // Ballista's plans recurse deeply when they are decoded: its own binaries
    // use 32 MB stacks.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(32 * 1024 * 1024)
        .build()?;
    runtime.block_on(async {
        match args.command {
            Command::Scheduler {
                bind_host,
                external_host,
                port,
            } => {
                run_scheduler(SchedulerArgs {
                    bind_host,
                    external_host,
                    port,
                })
                .await
            }
            Command::Executor {
                bind_host,
                external_host,
                port,
                grpc_port,
                scheduler_host,
                scheduler_port,
                concurrent_tasks,
                work_dir,
            } => {
                run_executor(ExecutorArgs {
                    bind_host,
                    external_host,
                    port,
                    grpc_port,
                    scheduler_host,
                    scheduler_port,
                    concurrent_tasks,
                    work_dir,
                })
                .await
            }
        }
    })?;
    Ok(())
}
