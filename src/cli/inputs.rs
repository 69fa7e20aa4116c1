//! What every command reads: CSVs (with the ingest summary on stderr), a model file, and the
//! device chosen by `--backend`.

use std::path::{Path, PathBuf};

use burn::prelude::Device;

use super::error::{CliError, Failure};
use crate::data::dataset::Dataset;
use crate::data::ingest::{IngestOptions, ingest_paths};
use crate::data::report::IngestReport;
use crate::device::backend::{self, BackendPreference};
use crate::model::saved::SavedModel;

/// The load for scoring with a saved model: every column that can be a feature is read (ports
/// too), and the model takes the ones it was trained on.
pub fn every_column() -> IngestOptions {
    IngestOptions {
        ports_as_features: true,
        ..IngestOptions::default()
    }
}

/// Loads CSVs, printing the ingest summary to stderr.
pub fn load(paths: &[PathBuf], options: IngestOptions) -> Result<Dataset, Failure> {
    let (dataset, report) = ingest_paths(paths, options)?;
    say_loaded("loaded", &report);
    Ok(dataset)
}

/// Says on stderr, after `lead`, what a load kept and dropped, and its warnings.
pub fn say_loaded(lead: &str, report: &IngestReport) {
    eprintln!(
        "{lead} {} flows ({} read, {} dropped) with {} features from {} file(s)",
        report.rows,
        report.rows_read,
        report.dropped_total(),
        report.features.len(),
        report.files.len()
    );
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
}

/// The device for `backend`, said on stderr.
pub fn device(backend: BackendPreference) -> Device {
    let selected = pollster::block_on(backend::select(backend));
    eprintln!("backend: {}", selected.info.label());
    selected.device
}

/// Reads a model file (or the model inside an agent file) onto `device`.
pub fn read_model(path: &Path, device: &Device) -> Result<SavedModel, Failure> {
    let bytes = std::fs::read(path).map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })?;
    let model = SavedModel::from_bytes(&bytes, device).map_err(|source| CliError::ModelFile {
        path: path.to_owned(),
        source,
    })?;
    Ok(model)
}

/// Writes `bytes` to `path`.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    std::fs::write(path, bytes).map_err(|source| CliError::Write {
        path: path.to_owned(),
        source,
    })?;
    Ok(())
}
