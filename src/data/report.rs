//! The ingest report: what was read, kept and dropped, and why, for the page and the CLI.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::RowProblem;
use super::layout::Origin;
use super::number::MissingKind;

/// How many skipped rows of each reason are kept as examples.
pub const EXAMPLES_KEPT: usize = 5;

/// Everything a user should know about a load.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IngestReport {
    /// One entry per file, in load order.
    pub files: Vec<FileReport>,
    /// Data rows read, all files.
    pub rows_read: u64,
    /// Rows kept in the dataset.
    pub rows: u64,
    /// Dropped rows by reason ("duplicate", "empty row", "wrong number of fields", …).
    pub dropped: BTreeMap<String, u64>,
    /// Kept rows per label, as published.
    pub labels: BTreeMap<String, u64>,
    /// Kept rows per family.
    pub families: BTreeMap<String, u64>,
    /// Per feature, the cells that were not a finite number (later imputed).
    pub missing: BTreeMap<String, MissingCounts>,
    /// The features the dataset keeps, in column order.
    pub features: Vec<String>,
    /// Columns read but not used as features, with the reason.
    pub excluded: Vec<ExcludedColumn>,
    /// The first few skipped rows of each file, with where and why.
    pub examples: Vec<SkippedRow>,
    /// Things the user should act on.
    pub warnings: Vec<String>,
}

/// One file's part of the load.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FileReport {
    /// The file's name.
    pub name: String,
    /// Bytes read.
    pub bytes: u64,
    /// Columns in its header.
    pub columns: usize,
    /// The dataset and layout it was read as.
    pub origin: Origin,
    /// Data rows read.
    pub rows_read: u64,
    /// Rows kept.
    pub rows: u64,
}

/// Cells of one feature that held no finite number, by what they held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingCounts {
    /// The literal `Infinity` (or `inf`, `-Infinity`).
    pub infinity: u64,
    /// The literal `NaN`.
    pub nan: u64,
    /// Empty cells.
    pub empty: u64,
    /// Numbers beyond the range of a 32-bit float.
    pub out_of_range: u64,
}

impl MissingCounts {
    /// Counts one more missing cell of this kind.
    pub fn count(&mut self, kind: MissingKind) {
        match kind {
            MissingKind::Infinity => self.infinity += 1,
            MissingKind::Nan => self.nan += 1,
            MissingKind::Empty => self.empty += 1,
            MissingKind::OutOfRange => self.out_of_range += 1,
        }
    }

    /// All missing cells.
    pub fn total(&self) -> u64 {
        self.infinity + self.nan + self.empty + self.out_of_range
    }
}

/// A column that is not a feature of the dataset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExcludedColumn {
    /// The file it was found in.
    pub file: String,
    /// Its header.
    pub column: String,
    /// Why it is not used.
    pub reason: String,
}

/// Names as a sentence lists them: "A", "A and B", "A, B and C".
pub fn in_words(names: &[&str]) -> String {
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, others)) => format!("{} and {last}", others.join(", ")),
    }
}

impl ExcludedColumn {
    /// The header as shown, "(unnamed)" for an empty one (a pandas index written without a name).
    pub fn shown_name(&self) -> &str {
        if self.column.is_empty() {
            "(unnamed)"
        } else {
            &self.column
        }
    }
}

/// A skipped row kept as an example.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedRow {
    /// The file it was in.
    pub file: String,
    /// Where and why.
    pub problem: RowProblem,
}

impl IngestReport {
    /// Rows dropped for any reason.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.values().sum()
    }

    /// The loaded files and their datasets in a few words, as the page says what a model trained
    /// on or was tested on: "a.csv, b.csv (CIC-IDS 2017)", or "5 files (CIC-IDS 2017 and
    /// CIC-DDoS2019)".
    pub fn sources(&self) -> String {
        let files = if self.files.len() <= 3 {
            self.files
                .iter()
                .map(|file| file.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            format!("{} files", self.files.len())
        };
        match self.datasets().as_slice() {
            [] => files,
            datasets => format!("{files} ({})", in_words(datasets)),
        }
    }

    /// The datasets the files were recognised as, each once, in alphabetical order.
    pub fn datasets(&self) -> Vec<&'static str> {
        let mut datasets: Vec<&str> = self
            .files
            .iter()
            .filter_map(|file| file.origin.dataset.map(|dataset| dataset.name()))
            .collect();
        datasets.sort_unstable();
        datasets.dedup();
        datasets
    }

    /// The report as a few aligned lines of text, for the terminal.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let _ = writeln!(out, "files:");
        for file in &self.files {
            let _ = writeln!(
                out,
                "  {}  {}; {} bytes, {} rows read, {} kept",
                file.name,
                file.origin.describe(file.columns),
                file.bytes,
                file.rows_read,
                file.rows
            );
        }
        let _ = writeln!(
            out,
            "rows: {} read, {} kept, {} dropped",
            self.rows_read,
            self.rows,
            self.dropped_total()
        );
        for (reason, count) in &self.dropped {
            let _ = writeln!(out, "  dropped, {reason}: {count}");
        }
        let width = self
            .labels
            .keys()
            .map(|label| label.chars().count())
            .max()
            .unwrap_or(0);
        let _ = writeln!(out, "labels:");
        for (label, count) in &self.labels {
            let _ = writeln!(out, "  {label:width$}  {count}");
        }
        let width = self
            .families
            .keys()
            .map(|family| family.len())
            .max()
            .unwrap_or(0);
        let _ = writeln!(out, "families:");
        for (family, count) in &self.families {
            let _ = writeln!(out, "  {family:width$}  {count}");
        }
        let _ = writeln!(out, "features: {}", self.features.len());
        let missing: Vec<_> = self
            .missing
            .iter()
            .filter(|(_, counts)| counts.total() > 0)
            .collect();
        if !missing.is_empty() {
            let _ = writeln!(
                out,
                "cells imputed (Infinity / NaN / empty / out of range):"
            );
            for (feature, counts) in missing {
                let _ = writeln!(
                    out,
                    "  {feature}: {} / {} / {} / {}",
                    counts.infinity, counts.nan, counts.empty, counts.out_of_range
                );
            }
        }
        if !self.excluded.is_empty() {
            let _ = writeln!(out, "columns not used:");
            for column in &self.excluded {
                let _ = writeln!(
                    out,
                    "  {} ({}): {}",
                    column.shown_name(),
                    column.file,
                    column.reason
                );
            }
        }
        for example in &self.examples {
            let _ = writeln!(out, "skipped: {}, {}", example.file, example.problem);
        }
        for warning in &self.warnings {
            let _ = writeln!(out, "warning: {warning}");
        }
        out
    }
}
