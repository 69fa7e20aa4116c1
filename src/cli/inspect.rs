//! `netsentry ingest` and `netsentry backends`: what a load keeps, and where training would run.

use std::path::PathBuf;

use super::error::{CliError, Failure};
use crate::data::ingest::{IngestOptions, ingest_paths};
use crate::device::backend::{self, BackendPreference};
use crate::device::probe;

/// `netsentry ingest`.
#[derive(Debug, clap::Args)]
pub struct IngestArgs {
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Use ports and the protocol number as features (off by default: they identify services,
    /// and models that learn them transfer poorly to other networks).
    #[arg(long)]
    ports: bool,
    /// Keep exact duplicate rows (dropped by default).
    #[arg(long)]
    keep_duplicates: bool,
    /// Keep only the 76 statistics every CIC dataset's files carry (as `train --shared-features`).
    #[arg(long)]
    shared_features: bool,
    /// The CSV files, loaded together and aligned on their common features.
    #[arg(required = true, value_name = "CSV")]
    files: Vec<PathBuf>,
}

/// `netsentry backends`.
#[derive(Debug, clap::Args)]
pub struct BackendsArgs {
    /// Which backend to check (auto by default here: this command shows what auto would pick).
    #[arg(long, value_enum, default_value_t = BackendPreference::Auto)]
    backend: BackendPreference,
    /// Adam steps to run in the check.
    #[arg(long, default_value_t = probe::DEFAULT_STEPS)]
    steps: usize,
}

/// Prints what a load of `args.files` keeps, drops and imputes.
pub fn ingest(args: &IngestArgs) -> Result<(), Failure> {
    let options = IngestOptions {
        ports_as_features: args.ports,
        keep_duplicates: args.keep_duplicates,
        shared_features_only: args.shared_features,
    };
    let (_, report) = ingest_paths(&args.files, options)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_text());
    }
    Ok(())
}

/// Picks the backend and proves it trains.
pub fn backends(args: &BackendsArgs) -> Result<(), Failure> {
    let selected = pollster::block_on(backend::select(args.backend));
    println!("backend: {}", selected.info.label());
    let report = pollster::block_on(probe::run(&selected.device, args.steps, probe::SEED))?;
    let first = report.losses.first().copied().unwrap_or(f32::NAN);
    let last = report.losses.last().copied().unwrap_or(f32::NAN);
    println!(
        "check: {} Adam steps, loss {first:.4} -> {last:.4}, {:.1} ms",
        args.steps, report.millis
    );
    if report.loss_fell() {
        Ok(())
    } else {
        Err(CliError::Untrusted {
            steps: args.steps,
            first,
            last,
        }
        .into())
    }
}
