//! Small loads for the ingest modules' tests: bytes in, the dataset and report (or the error)
//! out, through the same streaming API the page and the command line use.

use std::io::Cursor;

use super::{IngestOptions, ingest_readers};
use crate::data::dataset::Dataset;
use crate::data::error::IngestError;
use crate::data::report::IngestReport;

/// A header of three features and the label, as CIC-IDS 2017's MachineLearningCVE names them.
pub const HEADER: &str = "Flow Duration,Total Fwd Packets,Flow Bytes/s,Label\n";

/// Loads the named files' bytes as one load with the default options.
pub fn load(files: &[(&str, &[u8])]) -> Result<(Dataset, IngestReport), IngestError> {
    let files = files
        .iter()
        .map(|(name, bytes)| (name.to_string(), None, Cursor::new(bytes.to_vec())));
    ingest_readers(files, IngestOptions::default())
}

/// Loads `bytes` as one file called `flows.csv`.
pub fn load_one(bytes: &[u8]) -> Result<(Dataset, IngestReport), IngestError> {
    load(&[("flows.csv", bytes)])
}

/// The error that stops the load of `bytes`.
pub fn fails(bytes: &[u8]) -> IngestError {
    load_one(bytes).expect_err("the load should stop")
}

/// The report's labels with their counts.
pub fn counts(report: &IngestReport) -> Vec<(&str, u64)> {
    report
        .labels
        .iter()
        .map(|(label, count)| (label.as_str(), *count))
        .collect()
}
