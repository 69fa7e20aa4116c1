//! NetSentry on Ballista: a scheduler and executors that decode NetSentry's functions (with their
//! model) from the plans they receive, and a client context that sends them. Ballista does the
//! scheduling, RPC and partitioning; this module only installs NetSentry's codecs and functions.

use std::net::SocketAddr;
use std::sync::Arc;

use ballista::prelude::{SessionConfigExt, SessionContextExt};
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::utils::default_session_builder;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use datafusion::execution::{FunctionRegistry, SessionState, SessionStateBuilder};
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::PhysicalExtensionCodec;

use super::EngineError;
use super::codec::{LogicalCodec, PhysicalCodec};
use super::functions::is_attack;

/// Seconds between an executor's heartbeats (Ballista's default is 60).
const HEARTBEAT_SECONDS: u64 = 3;

/// Seconds without a heartbeat after which the scheduler counts an executor as lost (three
/// missed heartbeats; Ballista's default is 180).
const LOST_AFTER_SECONDS: u64 = 3 * HEARTBEAT_SECONDS;

/// Where a scheduler listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchedulerOptions {
    /// The address to listen on (127.0.0.1 for this machine only, 0.0.0.0 for every network).
    pub bind: String,
    /// The port clients and executors connect to.
    pub port: u16,
}

/// Where an executor listens and which scheduler it joins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecutorOptions {
    /// The address to listen on.
    pub bind: String,
    /// The Arrow Flight port other executors and clients fetch results from.
    pub port: u16,
    /// The port the scheduler sends tasks to.
    pub grpc_port: u16,
    /// The scheduler's host.
    pub scheduler_host: String,
    /// The scheduler's port.
    pub scheduler_port: u16,
    /// Tasks run at once.
    pub tasks: usize,
    /// Where shuffle files go (a fresh temporary folder when `None`).
    pub work_dir: Option<String>,
}

fn logical_codec() -> Arc<dyn LogicalExtensionCodec> {
    Arc::new(LogicalCodec::default())
}

fn physical_codec() -> Arc<dyn PhysicalExtensionCodec> {
    Arc::new(PhysicalCodec::default())
}

/// The scheduler's sessions: Ballista's defaults plus `is_attack` (model functions come with
/// each plan, through the codecs).
fn scheduler_session(config: SessionConfig) -> datafusion::common::Result<SessionState> {
    let mut state = default_session_builder(config)?;
    state.register_udf(Arc::new(is_attack()))?;
    Ok(state)
}

/// Runs a scheduler until the process is stopped.
pub async fn run_scheduler(options: &SchedulerOptions) -> Result<(), EngineError> {
    let config = SchedulerConfig {
        bind_host: options.bind.clone(),
        external_host: options.bind.clone(),
        bind_port: options.port,
        override_session_builder: Some(Arc::new(scheduler_session)),
        override_logical_codec: Some(logical_codec()),
        override_physical_codec: Some(physical_codec()),
        // A lost executor is noticed in seconds, not Ballista's three minutes: its tasks go to
        // the others, or, with none left, the jobs fail with a message instead of waiting.
        executor_timeout_seconds: LOST_AFTER_SECONDS,
        expire_dead_executor_interval_seconds: 2,
        no_executors_grace_period_seconds: LOST_AFTER_SECONDS,
        ..SchedulerConfig::default()
    };
    let address: SocketAddr = format!("{}:{}", options.bind, options.port)
        .parse()
        .map_err(|_| EngineError::Address {
            address: format!("{}:{}", options.bind, options.port),
        })?;
    let cluster = BallistaCluster::new_from_config(&config).await?;
    eprintln!("netsentry scheduler listening on {address}");
    start_server(cluster, address, Arc::new(config)).await?;
    Ok(())
}

/// Runs an executor until the process is stopped; it retries the scheduler until it answers.
pub async fn run_executor(options: &ExecutorOptions) -> Result<(), EngineError> {
    let mut registry = BallistaFunctionRegistry::default();
    let is_attack = Arc::new(is_attack());
    registry
        .scalar_functions
        .insert(is_attack.name().to_owned(), is_attack);
    let config = ExecutorProcessConfig {
        bind_host: options.bind.clone(),
        external_host: Some(options.bind.clone()),
        port: options.port,
        grpc_port: options.grpc_port,
        scheduler_host: options.scheduler_host.clone(),
        scheduler_port: options.scheduler_port,
        scheduler_connect_timeout_seconds: 10,
        vcores: options.tasks.max(1),
        work_dir: options.work_dir.clone(),
        override_function_registry: Some(Arc::new(registry)),
        executor_heartbeat_interval_seconds: HEARTBEAT_SECONDS,
        override_logical_codec: Some(logical_codec()),
        override_physical_codec: Some(physical_codec()),
        ..ExecutorProcessConfig::default()
    };
    eprintln!(
        "netsentry executor on {}:{} (tasks on :{}), joining the scheduler at {}:{}",
        options.bind,
        options.port,
        options.grpc_port,
        options.scheduler_host,
        options.scheduler_port
    );
    start_executor_process(Arc::new(config)).await?;
    Ok(())
}

/// A context for queries in this process, on every core, with `information_schema` (so `SHOW
/// TABLES` and `SHOW COLUMNS FROM flows` work).
pub fn local_context() -> SessionContext {
    SessionContext::new_with_config(SessionConfig::new().with_information_schema(true))
}

/// A context whose queries run on the Ballista cluster at `url` (`df://host:port`), with
/// NetSentry's codecs; register NetSentry's functions on it afterwards (Ballista replaces the
/// function list when it connects).
pub async fn remote_context(url: &str) -> Result<SessionContext, EngineError> {
    let config = SessionConfig::new_with_ballista()
        .with_information_schema(true)
        .with_ballista_logical_extension_codec(logical_codec())
        .with_ballista_physical_extension_codec(physical_codec());
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .build();
    // Ballista connects lazily and reports a refused connection as a transport error in the
    // middle of the query; asking the scheduler's port first gives the user a sentence instead.
    let address = url.strip_prefix("df://").unwrap_or(url);
    if let Err(error) = tokio::net::TcpStream::connect(address).await {
        return Err(EngineError::Scheduler {
            url: url.to_owned(),
            problem: error.to_string(),
        });
    }
    Ok(SessionContext::remote_with_state(url, state).await?)
}
