//! `netsentry cluster`: a Ballista scheduler or executor that evaluates NetSentry's functions,
//! for `query --cluster`, and the TLS files and shared key that let in only the cluster's own.

use std::path::PathBuf;

use super::error::Failure;
use super::query::runtime;
use crate::engine::cluster::{
    self, ExecutorOptions, KEY_FILE, KEY_VARIABLE, Role as TlsRole, SchedulerOptions, Security,
    SharedKey, Tls, TlsFiles,
};

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
        /// The address to listen on. Anything but loopback needs --tls and --key-file (or
        /// --insecure).
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
        /// The port clients (`query --cluster df://HOST:PORT`) and executors connect to.
        #[arg(long, default_value_t = 50050)]
        port: u16,
        #[command(flatten)]
        access: AccessArgs,
        /// Listen beyond loopback without TLS and a shared key: for a network you trust.
        #[arg(long)]
        insecure: bool,
    },
    /// Run a Ballista executor that evaluates NetSentry's functions.
    Executor {
        /// The address to listen on (and to tell the scheduler). Anything but loopback needs
        /// --tls and --key-file (or --insecure).
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
        /// The Arrow Flight port results are fetched from.
        #[arg(long, default_value_t = 50051)]
        port: u16,
        /// The host name or address the scheduler, clients and other executors reach this one at
        /// (default: --bind; needed when --bind is 0.0.0.0).
        #[arg(long, value_name = "HOST")]
        external_host: Option<String>,
        /// The scheduler's HOST:PORT.
        #[arg(long, default_value = "127.0.0.1:50050")]
        scheduler: String,
        /// A folder whose files queries may read (repeat for more); a plan naming any other
        /// file fails (default: the current folder).
        #[arg(long = "data", value_name = "DIR")]
        data: Vec<PathBuf>,
        /// Tasks run at once (default: this machine's cores).
        #[arg(long)]
        tasks: Option<usize>,
        /// Where shuffle files go (default: a temporary folder).
        #[arg(long)]
        work_dir: Option<String>,
        #[command(flatten)]
        access: AccessArgs,
        /// Listen beyond loopback without TLS and a shared key: for a network you trust.
        #[arg(long)]
        insecure: bool,
    },
    /// Write the files a cluster needs for mutual TLS and a shared key into DIR: a CA, a
    /// certificate for the scheduler and executors, one for clients, and the key.
    Certs {
        /// The folder to write (made if missing; files already there are never replaced).
        dir: PathBuf,
        /// A host name or IP address the scheduler or an executor is reached at (repeat for
        /// each); localhost, 127.0.0.1 and ::1 are always named.
        #[arg(long = "host", value_name = "NAME")]
        hosts: Vec<String>,
    },
}

/// How a cluster process or client proves itself: the TLS files and the shared key.
#[derive(Debug, Default, clap::Args)]
pub struct AccessArgs {
    /// Use mutual TLS with the files `netsentry cluster certs DIR` wrote (ca.pem, and this
    /// role's certificate and key).
    #[arg(long, value_name = "DIR")]
    tls: Option<PathBuf>,
    /// The cluster CA's certificate (PEM), instead of DIR/ca.pem.
    #[arg(long, value_name = "FILE")]
    tls_ca: Option<PathBuf>,
    /// This process's certificate (PEM), signed by the CA.
    #[arg(long, value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// This process's private key (PEM).
    #[arg(long, value_name = "FILE")]
    tls_key: Option<PathBuf>,
    /// The file holding the cluster's shared key (or set NETSENTRY_CLUSTER_KEY; a key is never
    /// taken on the command line, where `ps` would show it).
    #[arg(long, value_name = "FILE")]
    key_file: Option<PathBuf>,
}

impl AccessArgs {
    /// The TLS identity and key these options name, for a process of `role`.
    pub fn load(&self, role: TlsRole) -> Result<Security, Failure> {
        let parts = [&self.tls_ca, &self.tls_cert, &self.tls_key];
        let files = match &self.tls {
            Some(dir) => {
                let mut files = TlsFiles::in_folder(dir, role);
                for (field, given) in [&mut files.ca, &mut files.cert, &mut files.key]
                    .into_iter()
                    .zip(parts)
                {
                    if let Some(path) = given {
                        field.clone_from(path);
                    }
                }
                Some(files)
            }
            None => match parts {
                [Some(ca), Some(cert), Some(key)] => Some(TlsFiles {
                    ca: ca.clone(),
                    cert: cert.clone(),
                    key: key.clone(),
                }),
                [None, None, None] => None,
                _ => {
                    return Err("give --tls-ca, --tls-cert and --tls-key together, or --tls DIR for the folder `netsentry cluster certs` wrote".into());
                }
            },
        };
        Ok(Security {
            tls: files.as_ref().map(Tls::load).transpose()?,
            key: SharedKey::load(self.key_file.as_deref())?,
        })
    }
}

/// Runs a scheduler or an executor until the process is stopped, or writes a cluster's files.
pub fn cluster(args: &ClusterArgs) -> Result<(), Failure> {
    match &args.role {
        Role::Scheduler {
            bind,
            port,
            access,
            insecure,
        } => {
            let options = SchedulerOptions {
                bind: bind.clone(),
                port: *port,
                security: access.load(TlsRole::Node)?,
                insecure: *insecure,
            };
            runtime()?.block_on(cluster::run_scheduler(&options))?;
        }
        Role::Executor {
            bind,
            port,
            external_host,
            scheduler,
            data,
            tasks,
            work_dir,
            access,
            insecure,
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
            let data = if data.is_empty() {
                vec![std::env::current_dir()?]
            } else {
                data.clone()
            };
            let options = ExecutorOptions {
                bind: bind.clone(),
                port: *port,
                external_host: external_host.clone(),
                scheduler_host,
                scheduler_port,
                tasks,
                work_dir: work_dir.clone(),
                data,
                security: access.load(TlsRole::Node)?,
                insecure: *insecure,
            };
            runtime()?.block_on(cluster::run_executor(&options))?;
        }
        Role::Certs { dir, hosts } => {
            let written = cluster::write_certs(dir, hosts)?;
            for file in &written.files {
                println!("wrote {}", file.display());
            }
            let dir = dir.display();
            println!(
                "The node certificate names {}; it and the client certificate expire on {}.\n\
                 Keep ca-key.pem apart (it signs new certificates); copy the folder without it to each machine.\n\
                 Then, on each machine (the key can come from {KEY_VARIABLE} instead of --key-file):\n  \
                 netsentry cluster scheduler --bind <host> --tls {dir} --key-file {dir}/{KEY_FILE}\n  \
                 netsentry cluster executor --bind <host> --scheduler <scheduler host>:50050 --data <flows folder> --tls {dir} --key-file {dir}/{KEY_FILE}\n  \
                 netsentry query --cluster df://<scheduler host>:50050 --tls {dir} --key-file {dir}/{KEY_FILE} ...",
                written.hosts.join(", "),
                written.expires.date()
            );
        }
    }
    Ok(())
}
