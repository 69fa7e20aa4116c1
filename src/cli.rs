//! The native command line: the same core as the page, for full-dataset runs and benchmarks.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::data::ingest::{IngestOptions, ingest_paths};
use crate::model::backend::{self, BackendPreference};
use crate::model::probe;

/// Network-flow anomaly detection: an autoencoder and an RL agent on CIC-IDS 2017 flows.
#[derive(Debug, Parser)]
#[command(name = "netsentry", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read CIC-IDS 2017 flow CSVs (any published or cleaned variant) and report what was kept,
    /// dropped and imputed, per file, label and column.
    Ingest {
        /// Print the report as JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Use ports and the protocol number as features (off by default: they identify
        /// services, and models that learn them transfer poorly to other networks).
        #[arg(long)]
        ports: bool,
        /// Keep exact duplicate rows (dropped by default).
        #[arg(long)]
        keep_duplicates: bool,
        /// The CSV files, loaded together and aligned on their common features.
        #[arg(required = true, value_name = "CSV")]
        files: Vec<PathBuf>,
    },
    /// Show which compute backend would train here, and prove it trains with a few Adam steps.
    Backends {
        /// Which backend to check: auto (a hardware GPU, else the CPU), gpu (any wgpu adapter,
        /// software ones included) or cpu.
        #[arg(long, value_enum, default_value_t = PreferenceArg::Auto)]
        backend: PreferenceArg,
        /// Adam steps to run in the check.
        #[arg(long, default_value_t = 5)]
        steps: usize,
    },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum PreferenceArg {
    Auto,
    Gpu,
    Cpu,
}

impl From<PreferenceArg> for BackendPreference {
    fn from(value: PreferenceArg) -> Self {
        match value {
            PreferenceArg::Auto => Self::Auto,
            PreferenceArg::Gpu => Self::Gpu,
            PreferenceArg::Cpu => Self::Cpu,
        }
    }
}

/// Parses the arguments, runs the subcommand and turns its error into a message and exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Ingest {
            json,
            ports,
            keep_duplicates,
            files,
        } => ingest(
            &files,
            IngestOptions {
                ports_as_features: ports,
                keep_duplicates,
            },
            json,
        ),
        Command::Backends { backend, steps } => check_backend(backend.into(), steps),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("netsentry: {message}");
            ExitCode::FAILURE
        }
    }
}

fn check_backend(preference: BackendPreference, steps: usize) -> Result<(), String> {
    let selected = pollster::block_on(backend::select(preference));
    println!("backend: {}", selected.info.label());
    let report = pollster::block_on(probe::run(&selected.device, steps, 42))
        .map_err(|error| format!("the backend check failed: {error}"))?;
    let first = report.losses.first().copied().unwrap_or(f32::NAN);
    let last = report.losses.last().copied().unwrap_or(f32::NAN);
    println!(
        "check: {steps} Adam steps, loss {first:.4} -> {last:.4}, {:.1} ms",
        report.millis
    );
    if report.loss_fell() {
        Ok(())
    } else {
        Err(format!(
            "the loss did not fall in {steps} steps ({first} -> {last}); this backend cannot be trusted to train"
        ))
    }
}

fn ingest(paths: &[PathBuf], options: IngestOptions, json: bool) -> Result<(), String> {
    let (_, report) = ingest_paths(paths, options).map_err(|error| error.to_string())?;
    if json {
        let text = serde_json::to_string_pretty(&report).map_err(|error| error.to_string())?;
        println!("{text}");
    } else {
        print!("{}", report.to_text());
    }
    Ok(())
}
