//! Streaming CSV ingest: bytes in, in chunks of any size, a columnar [`Dataset`] out.
//!
//! The same push-based parser serves a native `Read` and a browser `File` read in Blob slices,
//! so a 250 MB file is never one string. A whole line without quotes (nearly every line of a
//! CICFlowMeter file) is split at its commas in place; anything else (quotes, a line cut by a
//! chunk boundary, bare CR line ends) goes through `csv-core` and is rejoined into the same form.
//! Numbers are read by [`super::number`]. Kept rows gather in small blocks and are copied into
//! per-feature `f32` columns.
//!
//! Value policy: `Infinity`, `NaN`, empty cells and numbers beyond `f32` are stored as missing
//! (NaN) and counted per column, to be imputed from benign training statistics by
//! [`super::prepare`]; negative values such as the `-1` of `Init_Win_bytes_*` are kept as
//! values. Rows whose fields are all empty, and exact duplicates of an earlier row (the same text
//! in every column but the identifier and time columns, in any file of the load) are dropped and
//! counted.

use std::collections::{HashMap, HashSet};

use csv_core::{ReadRecordResult, Reader};

use super::dataset::Dataset;
use super::error::{ErrorKind, IngestError, RowProblem, RowProblemKind};
use super::label::{self, Family};
use super::layout::Origin;
use super::number::{MissingKind, Number, parse_number, trim};
use super::report::{
    EXAMPLES_KEPT, ExcludedColumn, FileReport, IngestReport, MissingCounts, in_words,
};
use super::schema::{KNOWN_FEATURES, Role, SHARED_FEATURES, Schema};

#[cfg(not(target_arch = "wasm32"))]
mod pieces;
#[cfg(not(target_arch = "wasm32"))]
pub use pieces::ingest_paths;

/// Rows checked before deciding a file is mostly malformed.
const MALFORMED_WINDOW: u64 = 1000;
/// The longest row read: flow rows are a few hundred bytes, and a longer "row" means a file that
/// is not a flow table (minified JSON, a log without line breaks) and would only eat memory.
const MAX_ROW_BYTES: usize = 1 << 20;
/// Rows gathered row-major before they are copied into the columns. Writing each row straight
/// into ~80 column vectors touches ~80 memory streams at once, more than a CPU's prefetchers
/// follow; copying a block column by column writes one stream at a time (about 2× faster).
const BLOCK_ROWS: usize = 256;
/// Rows read before estimating a file's row count to reserve column capacity once, so columns do
/// not double past their final size (peak memory stays near the columnar size).
const ESTIMATE_AFTER_ROWS: u64 = 256;

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
    /// Set when this load parses one piece of a file for [`ingest_paths`], which needs each kept
    /// row's hash and missing cells to merge pieces as one pass would have read them.
    piece: Option<PieceLog>,
}

/// What a piece's merge needs beyond its columns: see [`Ingest::piece`].
#[derive(Default)]
struct PieceLog {
    /// Each kept row's duplicate-detection hash (0 when duplicates are kept).
    hashes: Vec<u64>,
    /// Each missing cell of a kept row: row, feature, what it held.
    missing: Vec<(usize, usize, MissingKind)>,
}

/// The parser's state within one file.
struct FileState {
    name: String,
    csv: Reader,
    record: Vec<u8>,
    record_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
    /// Where the current line's fields end (its comma positions, then its length).
    plain_ends: Vec<usize>,
    /// A csv-core record written back as a plain line.
    joined: Vec<u8>,
    /// Line on which the record being read started.
    record_line: u64,
    /// Newlines consumed so far, and whether the next non-newline byte starts a record: csv-core
    /// skips blank lines, so lines are counted here.
    newlines: u64,
    awaiting_record: bool,
    /// Bytes the parser has consumed, and the file's size if known.
    consumed: u64,
    size: Option<u64>,
    header: Option<Header>,
    bytes: u64,
    rows_read: u64,
    rows: u64,
    malformed: u64,
    first_problem: Option<RowProblem>,
    examples: usize,
    /// Scratch space for one row's features before it is accepted.
    row: Vec<f32>,
    /// Scratch space for the lengths of a row's identity fields, for duplicate detection.
    field_lengths: Vec<u8>,
    row_missing: Vec<(usize, MissingKind)>,
    /// Set once all the file's bytes are fed: a record completed now had no line end, and one
    /// with fields missing is a row the file was cut off in.
    at_end: bool,
}

impl FileState {
    /// Advances the line count over consumed bytes, noting the line where a record starts.
    fn count_lines(&mut self, consumed: &[u8]) {
        self.consumed += consumed.len() as u64;
        let mut rest = consumed;
        if self.awaiting_record {
            match rest.iter().position(|&byte| byte != b'\n' && byte != b'\r') {
                Some(start) => {
                    self.newlines += count_newlines(&rest[..start]);
                    self.record_line = self.newlines + 1;
                    self.awaiting_record = false;
                    rest = &rest[start..];
                }
                None => {
                    self.newlines += count_newlines(rest);
                    return;
                }
            }
        }
        self.newlines += count_newlines(rest);
    }
}

impl FileState {
    /// Notes where a line without quotes or stray carriage returns splits at its commas, in
    /// `plain_ends`; the line itself is not copied.
    fn split_plain_line<'a>(&mut self, line: &'a [u8]) -> Result<&'a [u8], IngestError> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.len() > MAX_ROW_BYTES {
            return Err(self.row_too_long());
        }
        comma_positions(line, &mut self.plain_ends);
        Ok(line)
    }

    /// The error for a row longer than any flow row could be.
    fn row_too_long(&self) -> IngestError {
        error(
            &self.name,
            Some(self.record_line),
            None,
            ErrorKind::RowTooLong {
                limit: MAX_ROW_BYTES,
            },
        )
    }

    /// Writes csv-core's packed fields into `joined` as a comma-separated line, noting where
    /// each field ends in `plain_ends` (a quoted comma stays inside its field).
    fn join_record(&mut self, joined: &mut Vec<u8>) {
        joined.clear();
        self.plain_ends.clear();
        let mut start = 0;
        for (index, &end) in self.ends[..self.ends_len].iter().enumerate() {
            if index > 0 {
                joined.push(b',');
            }
            joined.extend_from_slice(&self.record[start..end]);
            self.plain_ends.push(joined.len());
            start = end;
        }
    }
}

/// csv-core's fields hold no terminators, so a newline in one means a quoted field ran on.
fn check_quotes(file: &FileState) -> Result<(), IngestError> {
    let data = &file.record[..file.record_len];
    if memchr::memchr(b'\n', data).is_none() {
        return Ok(());
    }
    let mut start = 0;
    for (index, &end) in file.ends[..file.ends_len].iter().enumerate() {
        if data[start..end].contains(&b'\n') {
            let column = file
                .header
                .as_ref()
                .and_then(|header| header.names.get(index).cloned())
                .unwrap_or_else(|| format!("#{}", index + 1));
            return Err(error(
                &file.name,
                Some(file.record_line),
                Some(column),
                ErrorKind::UnterminatedQuote,
            ));
        }
        start = end;
    }
    Ok(())
}

fn count_newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// What the header told us about a file's columns.
struct Header {
    fields: usize,
    /// The label column; `None` for a file of unlabelled flows.
    label: Option<usize>,
    /// (column in the file, column in the dataset) for each feature the dataset keeps.
    features: Vec<(usize, usize)>,
    /// The columns whose text decides whether two rows are duplicates (all but identifiers,
    /// time and second copies), as runs of adjacent columns: (first, last).
    identity_runs: Vec<(usize, usize)>,
    names: Vec<String>,
    /// The dataset and layout the header matches.
    origin: Origin,
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
            piece: None,
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
        let result = self.parse(&mut file, chunk);
        self.file = Some(file);
        result
    }

    /// Ends the current file: flushes its last record and checks it held data.
    pub fn end_file(&mut self) -> Result<(), IngestError> {
        let mut file = self.file.take().expect("begin_file before end_file");
        file.at_end = true;
        self.parse(&mut file, &[])?;
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

    fn parse(&mut self, file: &mut FileState, mut input: &[u8]) -> Result<(), IngestError> {
        loop {
            if file.awaiting_record {
                // Between records csv-core holds nothing, so whole plain lines can skip it.
                let blank = input
                    .iter()
                    .position(|&byte| byte != b'\n' && byte != b'\r')
                    .unwrap_or(input.len());
                file.count_lines(&input[..blank]);
                input = &input[blank..];
                if let Some(length) = plain_line(input) {
                    // A whole line with its one newline.
                    file.consumed += length as u64 + 1;
                    file.record_line = file.newlines + 1;
                    file.newlines += 1;
                    let line = file.split_plain_line(&input[..length])?;
                    self.record(file, line)?;
                    file.awaiting_record = true;
                    input = &input[length + 1..];
                    continue;
                }
            }
            let (result, read, written, ends) = file.csv.read_record(
                input,
                &mut file.record[file.record_len..],
                &mut file.ends[file.ends_len..],
            );
            file.count_lines(&input[..read]);
            input = &input[read..];
            file.record_len += written;
            file.ends_len += ends;
            match result {
                ReadRecordResult::InputEmpty => return Ok(()),
                ReadRecordResult::OutputFull => {
                    if file.record.len() >= MAX_ROW_BYTES {
                        return Err(file.row_too_long());
                    }
                    let grown = file.record.len() * 2;
                    file.record.resize(grown, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let grown = file.ends.len() * 2;
                    file.ends.resize(grown, 0);
                }
                ReadRecordResult::Record => {
                    check_quotes(file)?;
                    // Rows from csv-core take the plain lines' form, so both read (and hash)
                    // alike whichever way a row arrived.
                    let mut joined = std::mem::take(&mut file.joined);
                    file.join_record(&mut joined);
                    let handled = self.record(file, &joined);
                    file.joined = joined;
                    handled?;
                    file.record_len = 0;
                    file.ends_len = 0;
                    file.awaiting_record = true;
                }
                ReadRecordResult::End => return Ok(()),
            }
        }
    }

    /// Handles one complete record of the current file: `data` split at `file.plain_ends`.
    fn record(&mut self, file: &mut FileState, data: &[u8]) -> Result<(), IngestError> {
        let line = file.record_line;
        let fields = Fields {
            data,
            ends: &file.plain_ends,
        };
        let Some(header) = &file.header else {
            let header = self.read_header(&file.name, fields)?;
            file.row = vec![0.0; header.features.len()];
            file.header = Some(header);
            return Ok(());
        };
        file.rows_read += 1;
        if fields
            .iter()
            .all(|field| field.iter().all(u8::is_ascii_whitespace))
        {
            self.drop_row("empty row");
            return Ok(());
        }
        let problem = if fields.len() != header.fields {
            let (expected, found) = (header.fields, fields.len());
            let kind = if found < expected && file.at_end {
                RowProblemKind::CutOff { expected, found }
            } else {
                RowProblemKind::Ragged { expected, found }
            };
            Some(RowProblem {
                line,
                column: None,
                kind,
            })
        } else {
            parse_row(header, fields, line, &mut file.row, &mut file.row_missing).err()
        };
        if let Some(problem) = problem {
            if is_header_again(header, fields) {
                // Some CSE-CIC-IDS2018 files repeat their header where day files were joined.
                self.drop_row("repeated header line");
            } else {
                self.skip_row(file, problem)?;
            }
            return Ok(());
        }
        let raw_label = match header.label {
            Some(column) => trim(fields.get(column)),
            None => label::UNLABELLED.as_bytes(),
        };
        let Some(label) = self.label_id(raw_label) else {
            let problem = RowProblem {
                line,
                column: header.label.map(|column| header.names[column].clone()),
                kind: RowProblemKind::EmptyLabel,
            };
            self.skip_row(file, problem)?;
            return Ok(());
        };
        let hash = if self.options.keep_duplicates {
            0
        } else {
            let hash = row_hash(header, fields, &mut file.field_lengths);
            if !self.seen_rows.insert(hash) {
                self.drop_row("duplicate");
                return Ok(());
            }
            hash
        };
        if let Some(log) = &mut self.piece {
            let row = self.labels.len();
            log.hashes.push(hash);
            log.missing.extend(
                file.row_missing
                    .iter()
                    .map(|&(feature, kind)| (row, feature, kind)),
            );
        }
        self.block.extend_from_slice(&file.row);
        if self.block.len() >= BLOCK_ROWS * self.columns.len() {
            self.flush_block();
        }
        for (feature, kind) in file.row_missing.drain(..) {
            self.missing[feature].count(kind);
        }
        self.labels.push(label);
        file.rows += 1;
        if file.rows_read == ESTIMATE_AFTER_ROWS {
            self.reserve_for(file);
        }
        Ok(())
    }

    fn read_header(&mut self, name: &str, fields: Fields<'_>) -> Result<Header, IngestError> {
        let names: Vec<String> = fields
            .iter()
            .map(|field| String::from_utf8_lossy(field).trim().to_owned())
            .collect();
        if names.iter().all(String::is_empty) {
            return Err(error(name, None, None, ErrorKind::Empty));
        }
        if names.len() == 1
            && let Some(found) = ['\t', ';', '|']
                .into_iter()
                .find(|sep| names[0].contains(*sep))
        {
            return Err(error(
                name,
                Some(1),
                None,
                ErrorKind::WrongDelimiter { found },
            ));
        }
        let schema = Schema::from_header(
            names.iter().map(String::as_str),
            self.options.ports_as_features,
        );
        let label = schema.label_column();
        let improved_only = &KNOWN_FEATURES[SHARED_FEATURES..];
        let (offered, extra): (Vec<_>, Vec<_>) = schema.features().partition(|(_, feature)| {
            !self.options.shared_features_only || !improved_only.contains(feature)
        });
        for (column, _) in extra {
            self.exclude(
                name,
                &names[column],
                "not among the statistics every CIC dataset shares (shared features only)",
            );
        }
        if offered.is_empty() {
            return Err(error(name, Some(1), None, ErrorKind::NoFeatures));
        }
        if label.is_none() {
            self.report.warnings.push(format!(
                "{name} has no Label column: its flows are loaded as \"{}\"",
                label::UNLABELLED
            ));
        }
        for (column, role) in &schema.columns {
            let reason = match role {
                Role::Identifier => "identifier, time or annotation, not flow behaviour",
                Role::PortOrProtocol(_) => "port or protocol; a feature only when asked for",
                Role::Duplicate(_) => "a second copy of an earlier column",
                Role::Unknown => "not a known CICFlowMeter statistic",
                Role::Feature(_) | Role::Label => continue,
            };
            self.exclude(name, column, reason);
        }
        let first_file = self.report.files.is_empty() && self.features.is_empty();
        if first_file {
            self.features = offered
                .iter()
                .map(|(_, feature)| (*feature).to_owned())
                .collect();
            self.columns = vec![Vec::new(); self.features.len()];
            self.missing = vec![MissingCounts::default(); self.features.len()];
        } else {
            self.align(name, &offered)?;
        }
        let features = self
            .features
            .iter()
            .enumerate()
            .map(|(index, feature)| {
                let column = offered
                    .iter()
                    .find(|(_, offered)| offered == feature)
                    .map(|(column, _)| *column)
                    .expect("aligned above");
                (column, index)
            })
            .collect();
        let mut identity_runs: Vec<(usize, usize)> = Vec::new();
        for (column, (_, role)) in schema.columns.iter().enumerate() {
            if matches!(role, Role::Identifier | Role::Duplicate(_)) {
                continue;
            }
            match identity_runs.last_mut() {
                Some((_, last)) if *last + 1 == column => *last = column,
                _ => identity_runs.push((column, column)),
            }
        }
        Ok(Header {
            fields: names.len(),
            label,
            features,
            identity_runs,
            origin: Origin::from_header(&names),
            names,
        })
    }

    /// Keeps only the features this file shares with the earlier ones, and says which went.
    fn align(&mut self, name: &str, offered: &[(usize, &str)]) -> Result<(), IngestError> {
        let earlier = self
            .report
            .files
            .first()
            .map_or_else(String::new, |file| file.name.clone());
        let keep: Vec<bool> = self
            .features
            .iter()
            .map(|feature| offered.iter().any(|(_, offered)| offered == feature))
            .collect();
        if !keep.contains(&true) {
            return Err(error(
                name,
                Some(1),
                None,
                ErrorKind::NoCommonFeatures { with: earlier },
            ));
        }
        for (_, feature) in offered {
            if !self.features.iter().any(|kept| kept == feature) {
                self.exclude(name, feature, "not in the files loaded before it");
            }
        }
        let mut index = 0;
        let mut dropped = Vec::new();
        self.features.retain(|feature| {
            let kept = keep[index];
            index += 1;
            if !kept {
                dropped.push(feature.clone());
            }
            kept
        });
        for feature in dropped {
            self.exclude(&earlier, &feature, &format!("not in {name}"));
        }
        let mut index = 0;
        self.columns.retain(|_| {
            index += 1;
            keep[index - 1]
        });
        let mut index = 0;
        self.missing.retain(|_| {
            index += 1;
            keep[index - 1]
        });
        Ok(())
    }

    /// Moves the gathered rows into the columns, one column at a time.
    fn flush_block(&mut self) {
        let width = self.columns.len();
        if width > 0 {
            for (feature, column) in self.columns.iter_mut().enumerate() {
                column.extend(self.block.iter().skip(feature).step_by(width));
            }
        }
        self.block.clear();
    }

    /// Reserves room for the rest of the file, estimated from its size and the lines so far.
    fn reserve_for(&mut self, file: &FileState) {
        let Some(size) = file.size else { return };
        if file.consumed == 0 || file.newlines == 0 {
            return;
        }
        let bytes_per_line = file.consumed as f64 / file.newlines as f64;
        let remaining =
            (size.saturating_sub(file.consumed) as f64 / bytes_per_line * 1.03) as usize;
        for column in &mut self.columns {
            column.reserve_exact(remaining);
        }
        self.labels.reserve_exact(remaining);
        self.seen_rows.reserve(remaining);
    }

    fn exclude(&mut self, file: &str, column: &str, reason: &str) {
        self.report.excluded.push(ExcludedColumn {
            file: file.to_owned(),
            column: column.to_owned(),
            reason: reason.to_owned(),
        });
    }

    /// The id of a label from its raw bytes, decoding only labels not seen before; `None` for an
    /// empty label.
    fn label_id(&mut self, raw: &[u8]) -> Option<u16> {
        // Flows of one label come in runs: compare with the last label before hashing.
        if let Some((last, id)) = &self.last_label
            && last.as_slice() == raw
        {
            return Some(*id);
        }
        if let Some(&id) = self.label_ids.get(raw) {
            self.last_label = Some((raw.to_vec(), id));
            return Some(id);
        }
        let text = label::decode(raw);
        if text.is_empty() {
            return None;
        }
        let id = match self.label_names.iter().position(|name| *name == text) {
            Some(id) => id as u16,
            None => {
                self.label_names.push(text);
                u16::try_from(self.label_names.len() - 1).unwrap_or(u16::MAX)
            }
        };
        self.label_ids.insert(raw.to_vec(), id);
        Some(id)
    }

    fn drop_row(&mut self, reason: &str) {
        *self.report.dropped.entry(reason.to_owned()).or_default() += 1;
    }

    fn skip_row(&mut self, file: &mut FileState, problem: RowProblem) -> Result<(), IngestError> {
        self.drop_row(problem.kind.reason());
        // A row the file was cut off in says nothing about the rows before it.
        if !matches!(problem.kind, RowProblemKind::CutOff { .. }) {
            file.malformed += 1;
        }
        if file.examples < EXAMPLES_KEPT {
            file.examples += 1;
            self.report.examples.push(super::report::SkippedRow {
                file: file.name.clone(),
                problem: problem.clone(),
            });
        }
        file.first_problem.get_or_insert(problem);
        self.check_malformed(file, false)
    }

    /// Stops the load when most of a file's first rows are malformed.
    fn check_malformed(&self, file: &FileState, at_end: bool) -> Result<(), IngestError> {
        let window_done =
            file.rows_read == MALFORMED_WINDOW || (at_end && file.rows_read < MALFORMED_WINDOW);
        if window_done && file.rows_read > 0 && file.malformed * 2 > file.rows_read {
            let first = file
                .first_problem
                .clone()
                .expect("a malformed row was seen");
            return Err(error(
                &file.name,
                Some(first.line),
                first.column.clone(),
                ErrorKind::MostlyMalformed {
                    checked: file.rows_read,
                    malformed: file.malformed,
                    first: Box::new(first),
                },
            ));
        }
        Ok(())
    }
}

/// Whether a row repeats the header line, field for field.
fn is_header_again(header: &Header, fields: Fields<'_>) -> bool {
    fields.len() == header.fields
        && fields
            .iter()
            .zip(&header.names)
            .all(|(field, name)| trim(field) == name.trim_start_matches('\u{feff}').as_bytes())
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

/// The positions of the commas in `line`, then its length, into `ends`. Eight bytes are tested
/// at a time (a comma is a zero byte of `word ^ 0x2c2c…`, found without carries between bytes):
/// fields are a few bytes long, so a search call per comma, or a branch per byte, costs more.
fn comma_positions(line: &[u8], ends: &mut Vec<usize>) {
    const COMMAS: u64 = 0x2c2c_2c2c_2c2c_2c2c;
    const LOW_SEVEN: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    ends.clear();
    let mut chunks = line.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes")) ^ COMMAS;
        // The top bit of each byte of `zeros` is set exactly where `word` has a zero byte.
        let mut zeros = !(((word & LOW_SEVEN) + LOW_SEVEN) | word | LOW_SEVEN);
        while zeros != 0 {
            ends.push(base + zeros.trailing_zeros() as usize / 8);
            zeros &= zeros - 1;
        }
        base += 8;
    }
    for (offset, &byte) in chunks.remainder().iter().enumerate() {
        if byte == b',' {
            ends.push(base + offset);
        }
    }
    ends.push(line.len());
}

/// The length of the complete line at the start of `input` (without its `\n`) when it can be
/// split at commas alone: no quote, and no carriage return but a final one.
fn plain_line(input: &[u8]) -> Option<usize> {
    let length = memchr::memchr(b'\n', input)?;
    let line = &input[..length];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    memchr::memchr2(b'"', b'\r', line)
        .is_none()
        .then_some(length)
}

/// One record's fields, as byte slices of a line: field `i` ends at `ends[i]`, and the next
/// starts after the comma there.
#[derive(Clone, Copy)]
struct Fields<'a> {
    data: &'a [u8],
    ends: &'a [usize],
}

impl<'a> Fields<'a> {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn start(&self, index: usize) -> usize {
        if index == 0 {
            0
        } else {
            self.ends[index - 1] + 1
        }
    }

    fn get(&self, index: usize) -> &'a [u8] {
        &self.data[self.start(index)..self.ends[index]]
    }

    fn iter(self) -> impl Iterator<Item = &'a [u8]> {
        (0..self.len()).map(move |index| self.get(index))
    }
}

/// Parses a row's feature fields into `row`, noting missing cells, or says which is not a number.
fn parse_row(
    header: &Header,
    fields: Fields<'_>,
    line: u64,
    row: &mut [f32],
    missing: &mut Vec<(usize, MissingKind)>,
) -> Result<(), RowProblem> {
    missing.clear();
    for &(column, feature) in &header.features {
        let text = trim(fields.get(column));
        row[feature] = match parse_number(text) {
            Number::Value(value) => value,
            Number::Missing(kind) => {
                missing.push((feature, kind));
                f32::NAN
            }
            Number::Text => {
                let shown: String = String::from_utf8_lossy(text).chars().take(40).collect();
                return Err(RowProblem {
                    line,
                    column: Some(header.names[column].clone()),
                    kind: RowProblemKind::NotANumber { value: shown },
                });
            }
        };
    }
    Ok(())
}

/// A row's identity for duplicate detection: a hash of the text of its identity columns and of
/// each field's length (so `1,23` and `12,3` differ). Runs of adjacent columns are hashed as one
/// slice: a row costs a few hasher calls, not one per field.
fn row_hash(header: &Header, fields: Fields<'_>, lengths: &mut Vec<u8>) -> u64 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    lengths.clear();
    for &(first, last) in &header.identity_runs {
        let start = fields.start(first);
        hasher.update(&fields.data[start..fields.ends[last]]);
        for index in first..=last {
            let length = fields.ends[index] - fields.start(index);
            lengths.extend_from_slice(&(length as u32).to_le_bytes());
        }
    }
    hasher.update(lengths);
    hasher.digest()
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
