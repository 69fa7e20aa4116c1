//! `netsentry score`: every flow of CSVs written with its score, flag and the features that
//! deviated most.

use super::error::{CliError, Failure};
use super::inputs::{device, every_column, load, read_model};
use crate::data::ingest::IngestOptions;
use crate::device::backend::BackendPreference;
use crate::model::score::scored_csv::{DEFAULT_TOP, write_scored};
use std::io::Write;
use std::path::PathBuf;

/// `netsentry score`.
#[derive(Debug, clap::Args)]
pub struct ScoreArgs {
    /// Where to score.
    #[arg(long, value_enum, default_value_t = BackendPreference::Cpu)]
    backend: BackendPreference,
    /// Features listed per flow, those the model rebuilt worst first.
    #[arg(long, default_value_t = DEFAULT_TOP)]
    top: usize,
    /// Score every row as in the files, repeated ones too (by default an exact repeat of an
    /// earlier row is dropped and counted, as in training).
    #[arg(long)]
    keep_duplicates: bool,
    /// The CSV file to write.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The model file written by `train`.
    #[arg(value_name = "MODEL")]
    model: PathBuf,
    /// The CSV files to score.
    #[arg(required = true, value_name = "CSV")]
    files: Vec<PathBuf>,
}

/// Writes every flow of the files with its score, flag and the features that deviated most.
pub fn score(args: &ScoreArgs) -> Result<(), Failure> {
    let device = device(args.backend);
    let model = read_model(&args.model, &device)?;
    let options = IngestOptions {
        keep_duplicates: args.keep_duplicates,
        ..every_column()
    };
    let dataset = load(&args.files, options)?;
    let cannot_write = |source| CliError::Write {
        path: args.out.clone(),
        source,
    };
    let file = std::fs::File::create(&args.out).map_err(cannot_write)?;
    let mut writer = std::io::BufWriter::new(file);
    let summary = pollster::block_on(write_scored(
        &model,
        &dataset,
        &device,
        args.top,
        &mut writer,
    ))?;
    writer.flush().map_err(cannot_write)?;
    println!(
        "wrote {} flows to {} ({} flagged at threshold {:.6})",
        dataset.rows(),
        args.out.display(),
        summary.flagged,
        model.meta.threshold
    );
    println!("most unusual flows (row, label, score, the feature that deviated most):");
    for flow in &summary.most_unusual {
        println!(
            "  {:>8}  {}  {:.6}  {}",
            flow.row,
            flow.label,
            flow.score,
            flow.feature.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}
