//! Streaming CSV ingest: bytes in, in chunks of any size, a columnar [`Dataset`] out.
//!
//! The same push-based parser serves a native `Read` and a browser `File` read in Blob slices,
//! so a 250 MB file is never one string. This module holds the load's public API and its state;
//! the work is in four parts: [`lines`] turns chunks into records (a whole line without quotes,
//! nearly every line of a CICFlowMeter file, is split at its commas in place; anything else goes
//! through `csv-core` and is rejoined into the same form), [`header`] decides what each column is,
//! [`rows`] parses a record's numbers (by [`super::number`]) into small row-major blocks copied
//! into per-feature `f32` columns, and natively [`pieces`] splits a large file across cores.
//!
//! Value policy: `Infinity`, `NaN`, empty cells and numbers beyond `f32` are stored as missing
//! (NaN) and counted per column, to be imputed from benign training statistics by
//! [`super::prepare`]; negative values such as the `-1` of `Init_Win_bytes_*` are kept as
//! values. Rows whose fields are all empty, and exact duplicates of an earlier row (the same text
//! in every column but the identifier and time columns, in any file of the load) are dropped and
//! counted.

use std::collections::{HashMap, HashSet};

use csv_core::Reader;

use self::lines::FileState;
use self::rows::KeptRows;
use super::dataset::Dataset;
use super::error::{ErrorKind, IngestError};
use super::label::Family;
use super::report::{FileReport, IngestReport, MissingCounts, in_words};

#[cfg(test)]
mod fixture;
mod header;
mod lines;
#[cfg(not(target_arch = "wasm32"))]
mod pieces;
mod rows;
#[cfg(not(target_arch = "wasm32"))]
pub use pieces::ingest_paths;

/// Choices the user can make about a load.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IngestOptions {
    /// Use ports and the protocol number as features (off: they identify services, and a model
    /// that learns them does not generalise to other networks).
    pub ports_as_features: bool,
    /// Keep exact duplicate rows (off: duplicates inflate counts and leak between splits).
    pub keep_duplicates: bool,
    /// Keep only the statistics every CIC dataset's files carry ([`SHARED_FEATURES`]), so a
    /// model trained on these flows can score another dataset's (off: the improved
    /// re-extraction's extra statistics are used where every file has them).
    #[serde(default)]
    pub shared_features_only: bool,
}

/// Progress of a load, for progress bars.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Progress {
    /// Bytes of the current file consumed.
    pub bytes: u64,
    /// Data rows read so far, all files.
    pub rows: u64,
}

/// A load in progress: call [`Ingest::begin_file`], [`Ingest::feed`] its bytes,
/// [`Ingest::end_file`], repeat for each file, then [`Ingest::finish`].
pub struct Ingest {
    options: IngestOptions,
    report: IngestReport,
    /// Feature names and their columns, in order.
    features: Vec<String>,
    columns: Vec<Vec<f32>>,
    /// Accepted rows not yet in `columns`, row-major, at most [`BLOCK_ROWS`] of them.
    block: Vec<f32>,
    missing: Vec<MissingCounts>,
    labels: Vec<u16>,
    label_names: Vec<String>,
    /// Label ids by the label's raw (trimmed) bytes, so a row's label costs one lookup.
    label_ids: HashMap<Vec<u8>, u16>,
    /// The last row's raw label and its id.
    last_label: Option<(Vec<u8>, u16)>,
    seen_rows: HashSet<u64>,
    file: Option<FileState>,
}

impl Ingest {
    /// Starts an empty load.
    pub fn new(options: IngestOptions) -> Self {
        Self {
            options,
            report: IngestReport::default(),
            features: Vec::new(),
            columns: Vec::new(),
            block: Vec::new(),
            missing: Vec::new(),
            labels: Vec::new(),
            label_names: Vec::new(),
            label_ids: HashMap::new(),
            last_label: None,
            seen_rows: HashSet::new(),
            file: None,
        }
    }

    /// Starts reading the file called `name`; its `size` in bytes, when known, lets the columns
    /// be reserved once instead of growing by doubling.
    pub fn begin_file(&mut self, name: &str, size: Option<u64>) -> Result<(), IngestError> {
        if self.report.files.iter().any(|file| file.name == name) {
            return Err(error(name, None, None, ErrorKind::DuplicateFile));
        }
        self.file = Some(FileState {
            name: name.to_owned(),
            csv: Reader::new(),
            record: vec![0; 4096],
            record_len: 0,
            ends: vec![0; 128],
            ends_len: 0,
            plain_ends: Vec::with_capacity(128),
            joined: Vec::new(),
            record_line: 1,
            newlines: 0,
            consumed: 0,
            awaiting_record: true,
            size,
            header: None,
            bytes: 0,
            rows_read: 0,
            rows: 0,
            malformed: 0,
            first_problem: None,
            examples: 0,
            row: Vec::new(),
            field_lengths: Vec::new(),
            row_missing: Vec::new(),
            at_end: false,
        });
        Ok(())
    }

    /// Parses the next chunk of the current file.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), IngestError> {
        self.feed_noting(chunk, &mut ())
    }

    /// [`Ingest::feed`], returning the line (1-based, in its file) of each row it kept, in order:
    /// a follower of a growing file scores batches of lines and must say which line each scored
    /// flow came from, rows skipped or dropped in between.
    pub fn feed_lines(&mut self, chunk: &[u8]) -> Result<Vec<u64>, IngestError> {
        let mut lines = Vec::new();
        self.feed_noting(chunk, &mut lines)?;
        Ok(lines)
    }

    /// [`Ingest::feed`], telling `kept` of each row kept.
    fn feed_noting(&mut self, chunk: &[u8], kept: &mut impl KeptRows) -> Result<(), IngestError> {
        let mut file = self.file.take().expect("begin_file before feed");
        if let Some(offset) = memchr::memchr(0, chunk) {
            return Err(error(
                &file.name,
                None,
                None,
                ErrorKind::Binary {
                    offset: file.bytes + offset as u64,
                },
            ));
        }
        file.bytes += chunk.len() as u64;
        let result = self.parse(&mut file, chunk, kept);
        self.file = Some(file);
        result
    }

    /// Ends the current file: flushes its last record and checks it held data.
    pub fn end_file(&mut self) -> Result<(), IngestError> {
        let mut file = self.file.take().expect("begin_file before end_file");
        file.at_end = true;
        self.parse(&mut file, &[], &mut ())?;
        self.flush_block();
        let Some(header) = &file.header else {
            return Err(error(&file.name, None, None, ErrorKind::Empty));
        };
        self.check_malformed(&file, true)?;
        if file.rows_read == 0 {
            self.report
                .warnings
                .push(format!("{} has a header but no flows", file.name));
        }
        // This file's rows are the last ones kept.
        let mut seen = vec![false; self.label_names.len()];
        for &label in &self.labels[self.labels.len() - file.rows as usize..] {
            seen[label as usize] = true;
        }
        let labels = self
            .label_names
            .iter()
            .zip(&seen)
            .filter(|(_, seen)| **seen)
            .map(|(name, _)| name.as_str());
        let origin = header.origin.with_labels(labels);
        self.report.files.push(FileReport {
            columns: header.fields,
            origin,
            name: file.name,
            bytes: file.bytes,
            rows_read: file.rows_read,
            rows: file.rows,
        });
        Ok(())
    }

    /// How far the load has got.
    pub fn progress(&self) -> Progress {
        Progress {
            bytes: self.file.as_ref().map_or(0, |file| file.bytes),
            rows: self
                .report
                .files
                .iter()
                .map(|file| file.rows_read)
                .sum::<u64>()
                + self.file.as_ref().map_or(0, |file| file.rows_read),
        }
    }

    /// Ends the load: the dataset and the report on it.
    pub fn finish(mut self) -> (Dataset, IngestReport) {
        self.flush_block();
        let mut report = std::mem::take(&mut self.report);
        report.rows_read = report.files.iter().map(|file| file.rows_read).sum();
        report.rows = self.labels.len() as u64;
        report.features = self.features.clone();
        let mut per_label = vec![0u64; self.label_names.len()];
        for &label in &self.labels {
            per_label[label as usize] += 1;
        }
        for (name, count) in self.label_names.iter().zip(&per_label) {
            if *count > 0 {
                report.labels.insert(name.clone(), *count);
                *report
                    .families
                    .entry(Family::of(name).name().to_owned())
                    .or_default() += count;
            }
        }
        report.missing = self
            .features
            .iter()
            .cloned()
            .zip(self.missing.iter().copied())
            .collect();
        let normal = |family: Family| report.families.contains_key(family.name());
        if report.rows > 0 && normal(Family::Unlabelled) {
            report.warnings.push(
                "unlabelled flows are taken as normal traffic: the detector trains on them and ranks every flow by how unusual it is, but its detection rates (ROC, recall, the confusion matrix) and the agent need flows labelled as attacks"
                    .to_owned(),
            );
        }
        if report.rows > 0 && !normal(Family::Benign) && !normal(Family::Unlabelled) {
            report.warnings.push(
                "no BENIGN rows: the autoencoder learns normal traffic and has nothing to train on"
                    .to_owned(),
            );
        }
        if report.rows > 0
            && report.families.len() == 1
            && report.families.contains_key(Family::Benign.name())
        {
            report.warnings.push(
                "only BENIGN rows: models can train, but detection cannot be measured without attacks"
                    .to_owned(),
            );
        }
        if report.rows == 0 && !report.files.is_empty() {
            report.warnings.push("no rows were kept".to_owned());
        }
        if let Some(mixed) = mixed_datasets(&report) {
            report.warnings.push(mixed);
        }
        let dataset = Dataset {
            features: self.features,
            columns: self.columns,
            labels: self.labels,
            label_names: self.label_names,
        };
        (dataset, report)
    }
}

/// The warning for a load whose files come from more than one dataset: the model sees only the
/// features they share, and flows of one dataset may look anomalous to a model of another.
fn mixed_datasets(report: &IngestReport) -> Option<String> {
    let datasets = report.datasets();
    (datasets.len() > 1).then(|| {
        format!(
            "this load mixes {}: they share the {} features kept here (columns the others lack are listed as not used), and each dataset's normal traffic differs",
            in_words(&datasets),
            report.features.len()
        )
    })
}

fn error(file: &str, line: Option<u64>, column: Option<String>, kind: ErrorKind) -> IngestError {
    IngestError {
        file: file.to_owned(),
        line,
        column,
        kind,
    }
}

/// Reads files natively: each `(name, size if known, reader)` streamed in 1 MiB chunks.
pub fn ingest_readers<R: std::io::Read>(
    files: impl IntoIterator<Item = (String, Option<u64>, R)>,
    options: IngestOptions,
) -> Result<(Dataset, IngestReport), IngestError> {
    let mut ingest = Ingest::new(options);
    for (name, size, reader) in files {
        ingest.begin_file(&name, size)?;
        feed_reader(&mut ingest, &name, reader)?;
        ingest.end_file()?;
    }
    Ok(ingest.finish())
}

/// Feeds everything `reader` holds into the current file, in 1 MiB chunks.
fn feed_reader(
    ingest: &mut Ingest,
    name: &str,
    mut reader: impl std::io::Read,
) -> Result<(), IngestError> {
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = match reader.read(&mut buffer) {
            Ok(0) => return Ok(()),
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(unreadable(name, &error)),
        };
        ingest.feed(&buffer[..read])?;
    }
}

/// The error for a file the OS would not let us read.
fn unreadable(name: &str, reason: &std::io::Error) -> IngestError {
    error(
        name,
        None,
        None,
        ErrorKind::Unreadable {
            reason: reason.to_string(),
        },
    )
}
