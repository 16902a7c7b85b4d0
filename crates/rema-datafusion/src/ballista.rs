//! Ballista with rema's functions: a scheduler, an executor and a client
//! session that all know `rma` and `rma_2x2`.
//!
//! Ballista ships a query to its executors as a serialised physical plan
//! (datafusion-proto). An aggregate UDF is serialised by name, with its
//! arguments as expressions (the method and measure are literals), and the
//! receiving side looks the name up in its function registry: the client
//! (which plans the SQL), the scheduler (which decodes the logical plan and
//! plans the stages) and every executor (which decodes the stages) must
//! each have the functions registered. Ballista's default codecs do the
//! rest, since the functions carry no state beyond their name and
//! arguments; the partial state between stages is plain Arrow (lists of
//! studies), shuffled like any other column.

use std::net::SocketAddr;
use std::sync::Arc;

use ::ballista::prelude::{SessionConfigExt, SessionContextExt};
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::utils::default_session_builder;
use ballista_executor::executor_process::{start_executor_process, ExecutorProcessConfig};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use datafusion::common::Result;
use datafusion::execution::{FunctionRegistry, SessionStateBuilder};
use datafusion::prelude::{SessionConfig, SessionContext};

/// Where a scheduler listens.
#[derive(Debug, Clone)]
pub struct SchedulerArgs {
    /// The address to bind (e.g. 127.0.0.1 or 0.0.0.0).
    pub bind_host: String,
    /// The host name executors and clients reach it by.
    pub external_host: String,
    /// The gRPC port.
    pub port: u16,
}

/// Where an executor listens and which scheduler it joins.
#[derive(Debug, Clone)]
pub struct ExecutorArgs {
    /// The address to bind.
    pub bind_host: String,
    /// The host name the scheduler and other executors reach it by.
    pub external_host: Option<String>,
    /// The Arrow Flight port (shuffle data).
    pub port: u16,
    /// The gRPC port (tasks).
    pub grpc_port: u16,
    /// The scheduler's host.
    pub scheduler_host: String,
    /// The scheduler's port.
    pub scheduler_port: u16,
    /// Tasks run at once (default: the number of cores).
    pub concurrent_tasks: Option<usize>,
    /// Where shuffle files go (default: a temporary directory).
    pub work_dir: Option<String>,
}

fn ballista_error(e: ballista_core::error::BallistaError) -> datafusion::error::DataFusionError {
    datafusion::error::DataFusionError::External(Box::new(e))
}

/// Runs a scheduler until it is stopped.
pub async fn run_scheduler(args: SchedulerArgs) -> Result<()> {
    let addr: SocketAddr = format!("{}:{}", args.bind_host, args.port)
        .parse()
        .map_err(|e| datafusion::error::DataFusionError::Configuration(format!("{e}")))?;
    let config = SchedulerConfig {
        bind_host: args.bind_host.clone(),
        external_host: args.external_host.clone(),
        bind_port: args.port,
        ..SchedulerConfig::default()
    }
    .with_override_session_builder(Arc::new(|config: SessionConfig| {
        let mut state = default_session_builder(config)?;
        for f in crate::functions() {
            state.register_udaf(f)?;
        }
        Ok(state)
    }));
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(ballista_error)?;
    start_server(cluster, addr, Arc::new(config))
        .await
        .map_err(ballista_error)
}

/// Runs an executor until it is stopped.
pub async fn run_executor(args: ExecutorArgs) -> Result<()> {
    let mut registry = BallistaFunctionRegistry::default();
    for f in crate::functions() {
        registry.aggregate_functions.insert(f.name().to_string(), f);
    }
    let defaults = ExecutorProcessConfig::default();
    let config = ExecutorProcessConfig {
        bind_host: args.bind_host,
        external_host: args.external_host,
        port: args.port,
        grpc_port: args.grpc_port,
        scheduler_host: args.scheduler_host,
        scheduler_port: args.scheduler_port,
        vcores: args.concurrent_tasks.unwrap_or(defaults.vcores),
        work_dir: args.work_dir,
        override_function_registry: Some(Arc::new(registry)),
        ..defaults
    };
    start_executor_process(Arc::new(config))
        .await
        .map_err(ballista_error)
}

/// A client session on the Ballista cluster at `url` (`df://host:port`),
/// with rema's functions registered for planning; `partitions` sets
/// DataFusion's target partitions (the parallelism of each stage).
pub async fn remote_context(url: &str, partitions: usize) -> Result<SessionContext> {
    let config = SessionConfig::new_with_ballista().with_target_partitions(partitions);
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .build();
    let ctx = SessionContext::remote_with_state(url, state)
        .await?
        .enable_url_table();
    crate::register(&ctx);
    Ok(ctx)
}
