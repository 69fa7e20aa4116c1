//! `netsentry cluster`: a Ballista scheduler or executor that evaluates NetSentry's functions,
//! for `query --cluster`.

use super::error::Failure;
use super::query::runtime;
use crate::engine::cluster::{self, ExecutorOptions, SchedulerOptions};

/// `netsentry cluster`.
#[derive(Debug, clap::Args)]
pub struct ClusterArgs {
    #[command(subcommand)]
    role: Role,
}

#[derive(Debug, clap::Subcommand)]
enum Role {
    /// Run a Ballista scheduler that knows NetSentry's functions (models arrive with each query).
    Scheduler {
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
        /// The port clients (`query --cluster df://HOST:PORT`) and executors connect to.
        #[arg(long, default_value_t = 50050)]
        port: u16,
    },
    /// Run a Ballista executor that evaluates NetSentry's functions.
    Executor {
        /// The address to listen on (and to tell the scheduler).
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
        /// The Arrow Flight port results are fetched from.
        #[arg(long, default_value_t = 50051)]
        port: u16,
        /// The port the scheduler sends tasks to.
        #[arg(long, default_value_t = 50052)]
        grpc_port: u16,
        /// The scheduler's HOST:PORT.
        #[arg(long, default_value = "127.0.0.1:50050")]
        scheduler: String,
        /// Tasks run at once (default: this machine's cores).
        #[arg(long)]
        tasks: Option<usize>,
        /// Where shuffle files go (default: a temporary folder).
        #[arg(long)]
        work_dir: Option<String>,
    },
}

/// Runs a scheduler or an executor until the process is stopped.
pub fn cluster(args: &ClusterArgs) -> Result<(), Failure> {
    let runtime = runtime()?;
    match &args.role {
        Role::Scheduler { bind, port } => {
            runtime.block_on(cluster::run_scheduler(&SchedulerOptions {
                bind: bind.clone(),
                port: *port,
            }))?
        }
        Role::Executor {
            bind,
            port,
            grpc_port,
            scheduler,
            tasks,
            work_dir,
        } => {
            let (scheduler_host, scheduler_port) = scheduler
                .rsplit_once(':')
                .and_then(|(host, port)| Some((host.to_owned(), port.parse().ok()?)))
                .ok_or_else(|| {
                    format!("--scheduler {scheduler}: give the scheduler as HOST:PORT, as in 127.0.0.1:50050")
                })?;
            let tasks = tasks.unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
            });
            runtime.block_on(cluster::run_executor(&ExecutorOptions {
                bind: bind.clone(),
                port: *port,
                grpc_port: *grpc_port,
                scheduler_host,
                scheduler_port,
                tasks,
                work_dir: work_dir.clone(),
            }))?;
        }
    }
    Ok(())
}
