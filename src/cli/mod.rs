//! The native command line: the same core as the page, for full-dataset runs and benchmarks. One
//! clap struct per command, in the file that runs it; every default comes from the core type that
//! owns it, so the page and the command line agree.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod agent;
mod backends;
mod cluster;
mod error;
mod eval;
mod evaluation;
mod ingest;
mod inputs;
mod query;
mod score;
mod train;
mod watch;

/// Network-flow anomaly detection: an autoencoder and an RL agent on CICFlowMeter flows (CIC-IDS
/// 2017, CSE-CIC-IDS2018, CIC-DDoS2019).
#[derive(Debug, Parser)]
// Help wraps at 100 columns whatever the terminal, so docs/cli.md (the help, checked by
// tests/cli.rs) reads the same as what a user sees.
#[command(name = "netsentry", version, about, long_about = None, term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read CICFlowMeter flow CSVs (CIC-IDS 2017, CSE-CIC-IDS2018, CIC-DDoS2019; any published or
    /// cleaned variant), say which dataset and layout each file is, and report what was kept,
    /// dropped and imputed, per file, label and column.
    Ingest(ingest::IngestArgs),
    /// Show which compute backend would train here, and prove it trains with a few Adam steps.
    Backends(backends::BackendsArgs),
    /// Fit a detector (the ensemble by default, a network or a classic peer) on the benign flows
    /// of CSVs and save it as one file.
    ///
    /// The model fits every benign flow; each is also scored by one of --folds fold models fitted
    /// on the others (cross-fitting), and those scores set the threshold.
    Train(train::TrainArgs),
    /// Score every flow of CSVs with a saved model and print ROC-AUC, PR-AUC and the decisions at
    /// its threshold, per label. A flow the model fitted is scored by the fold model that did not
    /// fit it.
    Eval(eval::EvalArgs),
    /// Write every flow of CSVs with its anomaly score, flag and the features that deviated most
    /// (observed vs reconstructed, original units) to a CSV file. A flow the model fitted is
    /// scored by the fold model that did not fit it.
    Score(score::ScoreArgs),
    /// Train a reinforcement-learning agent to allow or flag flows from the detector's view of
    /// them, then compare it on held-out flows with the best fixed threshold under the same costs.
    Agent(agent::AgentArgs),
    /// Run SQL over flow files (CICFlowMeter CSVs, Parquet files or folders) with a model's
    /// functions anomaly_score(...) and is_anomaly(...), and a scored view of each table, in this
    /// process (every core) or on a Ballista cluster.
    Query(query::QueryArgs),
    /// Run a Ballista scheduler or executor that evaluates NetSentry's functions, for
    /// `query --cluster`.
    Cluster(cluster::ClusterArgs),
    /// Score CICFlowMeter CSVs while they are written: follow files and folders as `tail -F`
    /// does and write each new flow's score and decision as a JSON line on stdout.
    ///
    /// A half-written last line waits for its line break; new files in a folder, truncated and
    /// rotated files are read from their start; a bad row is skipped with its file, line and
    /// column on stderr, beside a summary every few seconds. With --state a restart resumes where
    /// the last run stopped.
    Watch(watch::WatchArgs),
}

/// Parses the arguments, runs the command and turns its error into a message and exit code.
pub fn main() -> ExitCode {
    let outcome = match Cli::parse().command {
        Command::Ingest(args) => ingest::ingest(&args),
        Command::Backends(args) => backends::backends(&args),
        Command::Train(args) => train::train(&args),
        Command::Eval(args) => eval::eval(&args),
        Command::Score(args) => score::score(&args),
        Command::Agent(args) => agent::agent(&args),
        Command::Query(args) => query::query(&args),
        Command::Cluster(args) => cluster::cluster(&args),
        Command::Watch(args) => watch::watch(&args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("netsentry: {error}");
            ExitCode::FAILURE
        }
    }
}
