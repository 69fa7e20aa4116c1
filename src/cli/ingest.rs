//! `netsentry ingest`: what a load of flow CSVs keeps, drops and imputes, per file, label and
//! column.

use super::error::Failure;
use crate::data::ingest::{IngestOptions, ingest_paths};
use std::path::PathBuf;

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
