//! The trained model inside a query engine: NetSentry's scoring as scalar functions of Apache
//! DataFusion, over CIC flow tables in CSV or Parquet, in one process or on a Ballista cluster.
//!
//! Data engineers keep months of CICFlowMeter output and run SQL over it; this module lets them
//! score it there instead of exporting it to NetSentry. [`functions`] holds the SQL functions
//! (built from a model file, scoring whole Arrow batches with the same core as `netsentry score`),
//! [`tables`] registers flow files as tables and a scored view of each, [`codec`] carries the
//! functions (model included) inside Ballista's serialised plans, and [`cluster`] starts a
//! scheduler or an executor that understands them. Native only: the browser never compiles it.

pub mod cluster;
pub mod codec;
pub mod flow_model;
pub mod functions;
pub mod tables;

use std::path::PathBuf;

use crate::data::error::IngestError;
use crate::model::saved::ModelFileError;

/// Why a query could not be set up or run.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A model file was unreadable or not one this version reads.
    #[error("{}: {source}", path.display())]
    Model {
        /// The file.
        path: PathBuf,
        /// Why it was refused.
        source: ModelFileError,
    },
    /// A file or folder could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A table's path holds no flow files NetSentry can read.
    #[error(
        "{} holds no .csv or .parquet files; give a CICFlowMeter CSV, a Parquet file, or a folder of either",
        path.display()
    )]
    NoFlowFiles {
        /// The file or folder.
        path: PathBuf,
    },
    /// A table was named twice, or named like NetSentry's scored view of another.
    #[error("--table {name}: {reason}")]
    TableName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A CSV table failed the ingest (its message names the file, line and column).
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// A table lacks a feature column the model needs, or stores one as text.
    #[error("table {table} ({path}): {problem}")]
    Columns {
        /// The table's name.
        table: String,
        /// Where its rows come from.
        path: String,
        /// What is missing or mistyped, and what to do.
        problem: String,
    },
    /// A table read through the CSV ingest lives in this process, so a cluster cannot read it.
    #[error(
        "table {table} is read through NetSentry's CSV ingest in this process, which a Ballista cluster's executors cannot reach; convert it to Parquet first (netsentry query --table {table}=<csv> --out {table}.parquet \"SELECT * FROM {table}\") and give the Parquet file"
    )]
    CsvOnCluster {
        /// The table's name.
        table: String,
    },
    /// A listening address that is not a host and port.
    #[error(
        "{address} is not an address to listen on; give an IP address such as 127.0.0.1 or 0.0.0.0"
    )]
    Address {
        /// The address as given.
        address: String,
    },
    /// The cluster's scheduler did not answer.
    #[error(
        "cannot reach the Ballista scheduler at {url} ({problem}); start one with `netsentry cluster scheduler` and give its address as df://HOST:PORT"
    )]
    Scheduler {
        /// The address given.
        url: String,
        /// What the connection said.
        problem: String,
    },
    /// The scheduler answered the connection but not as this client speaks: TLS on one side
    /// only, or a certificate the other side does not trust.
    #[error(
        "the Ballista scheduler at {url} did not accept the connection ({problem}); {}",
        if *tls {
            "check that --tls names the cluster's CA and a certificate it signed (the folder `netsentry cluster certs` wrote), and that the scheduler runs with TLS"
        } else {
            "if the cluster runs with TLS, give --tls DIR (the folder `netsentry cluster certs` wrote) here too"
        }
    )]
    Handshake {
        /// The address given.
        url: String,
        /// What the connection said.
        problem: String,
        /// Whether this client spoke TLS.
        tls: bool,
    },
    /// The scheduler turned the client away (its shared key was missing or wrong).
    #[error("the Ballista scheduler at {url} refused this client: {reason}")]
    Refused {
        /// The address given.
        url: String,
        /// What the scheduler said.
        reason: String,
    },
    /// An executor listening on every address was not told which one others reach it at.
    #[error(
        "--bind {bind} listens on every address of this machine, so the scheduler cannot tell clients which one reaches this executor; give --external-host, the host name or address they should use (one its TLS certificate names)"
    )]
    NoExternalHost {
        /// The address asked for.
        bind: String,
    },
    /// An executor could not make its temporary work folder.
    #[error(
        "cannot make the executor's work folder {}: {source}; give --work-dir a folder it can write",
        path.display()
    )]
    WorkDir {
        /// The folder.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A cluster process would listen beyond this machine unprotected.
    #[error(transparent)]
    Exposed(#[from] cluster::Exposed),
    /// An executor's `--data` folder does not exist.
    #[error(transparent)]
    DataFolder(#[from] cluster::DataFolderError),
    /// The query did not finish in time (see `query --timeout`).
    #[error(
        "the query did not finish within {seconds} s{}; give --timeout more seconds if it is only slow",
        match cluster {
            Some(url) => format!(" on the cluster at {url}: its executors may have been lost (see the scheduler's log), or it has none"),
            None => String::new(),
        }
    )]
    TimedOut {
        /// The limit.
        seconds: u64,
        /// The cluster it ran on, if any.
        cluster: Option<String>,
    },
    /// DataFusion or Ballista refused or failed the query.
    #[error("{0}")]
    Query(#[from] datafusion::error::DataFusionError),
    /// The cluster's scheduler or executor stopped with an error.
    #[error("{0}")]
    Cluster(#[from] ballista_core::error::BallistaError),
}

/// A small model file for the engine's unit tests: PCA fitted on the improved CIC-IDS 2017
/// extraction's benign sample (quick, and a real file of the current format), fitted once per
/// test binary and shared by every test that asks.
#[cfg(test)]
fn test_model_file() -> &'static [u8] {
    static FILE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    FILE.get_or_init(fit_test_model)
}

#[cfg(test)]
fn fit_test_model() -> Vec<u8> {
    use crate::data::ingest::{IngestOptions, ingest_paths};
    use crate::model::config::{ModelConfig, ModelKind};
    use crate::model::fit::{FitOptions, fit_classic};

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/cicids2017/improved/BENIGN_2500.csv");
    let (dataset, _) = ingest_paths(&[path], IngestOptions::default()).expect("the sample loads");
    let options = FitOptions {
        model: ModelConfig {
            kind: ModelKind::Pca,
            ..ModelConfig::default()
        },
        ..FitOptions::default()
    };
    let device = burn::prelude::Device::flex();
    let model = pollster::block_on(fit_classic(&device, &dataset, &options))
        .expect("PCA fits")
        .model;
    pollster::block_on(model.to_bytes()).expect("the model writes")
}
