//! NetSentry on Ballista: a scheduler and executors that decode NetSentry's functions (with their
//! model) from the plans they receive, and a client context that sends them. Ballista does the
//! scheduling, RPC and partitioning; this module installs NetSentry's codecs and functions, and
//! the guards of the submodules: TLS and the shared key on every connection and server, and the
//! executors' data folders.

mod certs;
mod data_folders;
mod security;
mod shared_key;
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use arrow_flight::flight_service_server::FlightServiceServer;
use ballista::prelude::{SessionConfigExt, SessionContextExt};
use ballista_core::config::TaskSchedulingPolicy;
use ballista_core::error::BallistaError;
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::serde::protobuf::GetJobStatusParams;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use ballista_core::serde::protobuf::scheduler_grpc_server::SchedulerGrpcServer;
use ballista_core::utils::{
    GrpcServerConfig, create_grpc_server_incoming, default_session_builder,
};
use ballista_core::{ConfigProducer, RuntimeProducer};
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_executor::flight_service::BallistaFlightService;
use ballista_executor::shutdown::Shutdown;
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::create_scheduler;
use datafusion::execution::object_store::{
    DefaultObjectStoreRegistry, ObjectStoreRegistry, ObjectStoreUrl,
};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::{FunctionRegistry, SessionState, SessionStateBuilder};
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::PhysicalExtensionCodec;
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Endpoint;

pub use certs::{CertsError, KEY_FILE, Written, write_certs};
pub use data_folders::{DataFolderError, DataFolders};
use security::bind_address;
pub use security::{Exposed, Security};
pub use shared_key::{KEY_VARIABLE, KeyError, SharedKey};
pub use tls::{Role, Tls, TlsError, TlsFiles};

use super::EngineError;
use super::codec::{LogicalCodec, PhysicalCodec};
use super::functions::is_attack;

/// Seconds without a word from an executor after which the scheduler counts it as lost
/// (Ballista's default is 180). A pulling executor asks for work every 50 ms while idle, and at
/// least once a second while busy, so nine silent seconds mean it is gone.
const LOST_AFTER_SECONDS: u64 = 9;

/// Where a scheduler listens, and whom it lets in.
#[derive(Clone, Debug)]
pub struct SchedulerOptions {
    /// The address to listen on (127.0.0.1 for this machine only, 0.0.0.0 for every network).
    pub bind: String,
    /// The port clients and executors connect to.
    pub port: u16,
    /// TLS and the shared key.
    pub security: Security,
    /// Listen beyond loopback without TLS and a key (a trusted network).
    pub insecure: bool,
}

/// Where an executor listens, which scheduler it joins, and what it may read.
#[derive(Clone, Debug)]
pub struct ExecutorOptions {
    /// The address to listen on, and to tell the scheduler (clients fetch results from it).
    pub bind: String,
    /// The Arrow Flight port other executors and clients fetch results from.
    pub port: u16,
    /// The address others reach this executor at, when not `bind`.
    pub external_host: Option<String>,
    /// The scheduler's host.
    pub scheduler_host: String,
    /// The scheduler's port.
    pub scheduler_port: u16,
    /// Tasks run at once.
    pub tasks: usize,
    /// Where shuffle files go (a fresh temporary folder when `None`).
    pub work_dir: Option<String>,
    /// The only folders whose files plans may read or write.
    pub data: Vec<PathBuf>,
    /// TLS and the shared key.
    pub security: Security,
    /// Listen beyond loopback without TLS and a key (a trusted network).
    pub insecure: bool,
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

/// Runs a scheduler until the process is stopped. Its executors pull their tasks (Ballista's
/// pull-staged scheduling): the scheduler then opens no connection to them but a best-effort one
/// to cancel tasks, and the one server an executor runs is its Flight service, under TLS when
/// given.
pub async fn run_scheduler(options: &SchedulerOptions) -> Result<(), EngineError> {
    options
        .security
        .allow_listening(&options.bind, options.insecure)?;
    let config = SchedulerConfig {
        bind_host: options.bind.clone(),
        external_host: options.bind.clone(),
        bind_port: options.port,
        scheduling_policy: TaskSchedulingPolicy::PullStaged,
        override_session_builder: Some(Arc::new(scheduler_session)),
        override_logical_codec: Some(logical_codec()),
        override_physical_codec: Some(physical_codec()),
        override_create_grpc_client_endpoint: options.security.endpoint_hook(),
        use_tls: options.security.uses_tls(),
        // A lost executor is noticed in seconds, not Ballista's three minutes: its tasks go to
        // the others, or, with none left, the jobs fail with a message instead of waiting.
        executor_timeout_seconds: LOST_AFTER_SECONDS,
        expire_dead_executor_interval_seconds: 2,
        no_executors_grace_period_seconds: LOST_AFTER_SECONDS,
        ..SchedulerConfig::default()
    };
    config.validate()?;
    let address = listening_address(&options.bind, options.port)?;
    let (max_decoding, max_encoding) = (
        config.grpc_server_max_decoding_message_size as usize,
        config.grpc_server_max_encoding_message_size as usize,
    );
    let cluster = BallistaCluster::new_from_config(&config).await?;
    let scheduler =
        create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(cluster, Arc::new(config)).await?;
    let service = InterceptedService::new(
        SchedulerGrpcServer::new(scheduler)
            .max_decoding_message_size(max_decoding)
            .max_encoding_message_size(max_encoding),
        options.security.key_check(),
    );
    let server_config = GrpcServerConfig::default();
    let incoming = create_grpc_server_incoming(address, &server_config)?;
    eprintln!(
        "netsentry scheduler listening on {address} ({})",
        options.security.describe()
    );
    options
        .security
        .server(&server_config)
        .map_err(BallistaError::TonicError)?
        .add_service(service)
        .serve_with_incoming(incoming)
        .await
        .map_err(BallistaError::TonicError)?;
    Ok(())
}

/// Runs an executor until the process is stopped; it retries the scheduler until it answers.
pub async fn run_executor(options: &ExecutorOptions) -> Result<(), EngineError> {
    options
        .security
        .allow_listening(&options.bind, options.insecure)?;
    // The address the scheduler hands to clients and other executors for this one's results.
    // Listening on every address (0.0.0.0) gives none; Ballista would take the one its
    // requests come from, but its scheduler cannot read that address under TLS (it panics).
    let external_host = match &options.external_host {
        Some(host) => host.clone(),
        None if bind_address(&options.bind).is_some_and(|address| address.is_unspecified()) => {
            return Err(EngineError::NoExternalHost {
                bind: options.bind.clone(),
            });
        }
        None => options.bind.clone(),
    };
    // An executor the scheduler turns away would retry in silence; when the scheduler is up,
    // ask it first, as a client would, so a wrong key or certificate stops here with a sentence.
    // (A scheduler not up yet is waited for below, as Ballista does.)
    let scheduler = format!("df://{}:{}", options.scheduler_host, options.scheduler_port);
    match probe(&scheduler, &options.security).await {
        Ok(()) | Err(EngineError::Scheduler { .. }) => {}
        Err(refused) => return Err(refused),
    }
    let data = Arc::new(DataFolders::new(&options.data)?);
    let work_dir = match &options.work_dir {
        Some(dir) => dir.clone(),
        None => fresh_work_dir()?,
    };
    let mut registry = BallistaFunctionRegistry::default();
    let is_attack = Arc::new(is_attack());
    registry
        .scalar_functions
        .insert(is_attack.name().to_owned(), is_attack);
    let config = ExecutorProcessConfig {
        bind_host: options.bind.clone(),
        external_host: Some(external_host.clone()),
        port: options.port,
        // Pulling its tasks, an executor serves no task port; the scheduler only checks, once,
        // that something answers at the port it is told, so it is told the Flight port.
        grpc_port: options.port,
        task_scheduling_policy: TaskSchedulingPolicy::PullStaged,
        scheduler_host: options.scheduler_host.clone(),
        scheduler_port: options.scheduler_port,
        scheduler_connect_timeout_seconds: 10,
        vcores: options.tasks.max(1),
        work_dir: Some(work_dir.clone()),
        override_function_registry: Some(Arc::new(registry)),
        override_logical_codec: Some(logical_codec()),
        override_physical_codec: Some(physical_codec()),
        override_create_grpc_client_endpoint: options.security.endpoint_hook(),
        override_config_producer: Some(task_config(&options.security)),
        override_runtime_producer: Some(runtime_within(data.clone(), work_dir)),
        override_arrow_flight_service: Some(flight_service(options.security.clone())),
        ..ExecutorProcessConfig::default()
    };
    let folders: Vec<String> = data
        .folders()
        .iter()
        .map(|folder| folder.display().to_string())
        .collect();
    eprintln!(
        "netsentry executor on {}:{} (reached at {external_host}; {}), reading only under {}, joining the scheduler at {}:{}",
        options.bind,
        options.port,
        options.security.describe(),
        folders.join(", "),
        options.scheduler_host,
        options.scheduler_port
    );
    start_executor_process(Arc::new(config)).await?;
    Ok(())
}

fn listening_address(bind: &str, port: u16) -> Result<SocketAddr, EngineError> {
    let address = format!("{bind}:{port}");
    address
        .parse()
        .map_err(|_| EngineError::Address { address })
}

/// A temporary folder of this process's own for shuffle files.
fn fresh_work_dir() -> Result<String, EngineError> {
    let dir = std::env::temp_dir().join(format!("netsentry-executor-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|source| EngineError::WorkDir {
        path: dir.clone(),
        source,
    })?;
    Ok(dir.display().to_string())
}

/// Each task's session settings: Ballista's, with this executor's TLS and key on the
/// connections a task opens (fetching other executors' shuffle output).
fn task_config(security: &Security) -> ConfigProducer {
    let (tls, hook) = (security.uses_tls(), security.endpoint_hook());
    Arc::new(move || {
        let config = SessionConfig::new_with_ballista().with_ballista_use_tls(tls);
        match &hook {
            Some(hook) => config.with_ballista_override_create_grpc_client_endpoint(hook.clone()),
            None => config,
        }
    })
}

/// Each task's runtime: temporary files in the work folder, and local files only through `data`.
fn runtime_within(data: Arc<DataFolders>, work_dir: String) -> RuntimeProducer {
    Arc::new(move |_config: &SessionConfig| {
        let registry = DefaultObjectStoreRegistry::new();
        registry.register_store(ObjectStoreUrl::local_filesystem().as_ref(), data.clone());
        Ok(Arc::new(
            RuntimeEnvBuilder::new()
                .with_temp_file_path(work_dir.clone())
                .with_object_store_registry(Arc::new(registry))
                .build()?,
        ))
    })
}

/// The executor's Flight service (shuffle output for other executors and results for clients)
/// as Ballista's own, served under this executor's TLS and key check.
fn flight_service(security: Security) -> Arc<ballista_executor::ArrowFlightServerProvider> {
    Arc::new(
        move |work_dir: String,
              address: SocketAddr,
              mut shutdown: Shutdown,
              config: GrpcServerConfig| {
            let security = security.clone();
            let limits = ExecutorProcessConfig::default();
            tokio::spawn(async move {
                let service = InterceptedService::new(
                    FlightServiceServer::new(BallistaFlightService::new(work_dir))
                        .max_decoding_message_size(limits.grpc_max_decoding_message_size as usize)
                        .max_encoding_message_size(limits.grpc_max_encoding_message_size as usize),
                    security.key_check(),
                );
                security
                    .server(&config)
                    .map_err(BallistaError::TonicError)?
                    .add_service(service)
                    .serve_with_shutdown(address, shutdown.recv())
                    .await
                    .map_err(BallistaError::TonicError)
            })
        },
    )
}

/// A context for queries in this process, on every core, with `information_schema` (so `SHOW
/// TABLES` and `SHOW COLUMNS FROM flows` work).
pub fn local_context() -> SessionContext {
    SessionContext::new_with_config(SessionConfig::new().with_information_schema(true))
}

/// A context whose queries run on the Ballista cluster at `url` (`df://host:port`), with
/// NetSentry's codecs and `security` on every connection; register NetSentry's functions on it
/// afterwards (Ballista replaces the function list when it connects).
pub async fn remote_context(url: &str, security: &Security) -> Result<SessionContext, EngineError> {
    let mut config = SessionConfig::new_with_ballista()
        .with_information_schema(true)
        .with_ballista_logical_extension_codec(logical_codec())
        .with_ballista_physical_extension_codec(physical_codec())
        .with_ballista_use_tls(security.uses_tls());
    if let Some(hook) = security.endpoint_hook() {
        config = config.with_ballista_override_create_grpc_client_endpoint(hook);
    }
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .build();
    probe(url, security).await?;
    Ok(SessionContext::remote_with_state(url, state).await?)
}

/// Asks the scheduler one harmless question before the query, as the query's own connection
/// would: Ballista connects lazily and reports a refused connection, a failed TLS handshake or a
/// missing key in the middle of the query; this turns each into a sentence first.
async fn probe(url: &str, security: &Security) -> Result<(), EngineError> {
    let address = url.strip_prefix("df://").unwrap_or(url);
    if let Err(error) = tokio::net::TcpStream::connect(address).await {
        return Err(EngineError::Scheduler {
            url: url.to_owned(),
            problem: error.to_string(),
        });
    }
    let handshake = |problem: String| EngineError::Handshake {
        url: url.to_owned(),
        problem,
        tls: security.uses_tls(),
    };
    // `secure` turns the address into https when this process speaks TLS.
    let endpoint = Endpoint::from_shared(format!("http://{address}"))
        .and_then(|endpoint| security.secure(endpoint))
        .map_err(|error| handshake(sentence(&error)))?
        .connect_timeout(std::time::Duration::from_secs(10));
    let channel = endpoint
        .connect()
        .await
        .map_err(|error| handshake(sentence(&error)))?;
    let answer = SchedulerGrpcClient::new(channel)
        .get_job_status(GetJobStatusParams {
            job_id: "netsentry-connection-check".to_owned(),
        })
        .await;
    match answer {
        Ok(_) => Ok(()),
        Err(status) if status.code() == tonic::Code::Unauthenticated => Err(EngineError::Refused {
            url: url.to_owned(),
            reason: status.message().to_owned(),
        }),
        // The scheduler's own answer about a job it does not know: it heard the question.
        Err(status)
            if status.code() == tonic::Code::Internal
                && std::error::Error::source(&status).is_none() =>
        {
            Ok(())
        }
        // Anything else came from the connection, not the scheduler (a TLS server read plain
        // text as garbage and hung up, say).
        Err(status) => Err(handshake(match std::error::Error::source(&status) {
            Some(cause) => format!("{}: {}", status.message(), sentence(cause)),
            None => status.message().to_owned(),
        })),
    }
}

/// An error and its causes, joined, as one line.
fn sentence(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        let next = error.to_string();
        if !text.contains(&next) {
            text = format!("{text}: {next}");
        }
        cause = error.source();
    }
    text
}
