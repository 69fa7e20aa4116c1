//! Rows: a record's features parsed into the load's row-major block and on into the columns,
//! its label looked up, duplicates and malformed rows counted, and a file that is mostly not
//! flows refused.

use super::header::{Header, is_header_again};
use super::lines::{Fields, FileState};
use super::{Ingest, error};
use crate::data::error::{ErrorKind, IngestError, RowProblem, RowProblemKind};
use crate::data::label::{self};
use crate::data::number::{MissingKind, Number, parse_number, trim};
use crate::data::report::EXAMPLES_KEPT;

/// Rows gathered row-major before they are copied into the columns. Writing each row straight
/// into ~80 column vectors touches ~80 memory streams at once, more than a CPU's prefetchers
/// follow; copying a block column by column writes one stream at a time (about 2× faster).
pub(super) const BLOCK_ROWS: usize = 256;

/// Rows checked before deciding a file is mostly malformed.
pub(super) const MALFORMED_WINDOW: u64 = 1000;

/// Rows read before estimating a file's row count to reserve column capacity once, so columns do
/// not double past their final size (peak memory stays near the columnar size).
pub(super) const ESTIMATE_AFTER_ROWS: u64 = 256;

/// Parses a row's feature fields into `row`, noting missing cells, or says which is not a number.
pub(super) fn parse_row(
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
pub(super) fn row_hash(header: &Header, fields: Fields<'_>, lengths: &mut Vec<u8>) -> u64 {
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

/// What a caller that merges loads needs of each kept row beyond its columns (the natively
/// parallel load of [`super::pieces`] merges pieces as one pass would have read them); a plain
/// load needs nothing (`()`).
pub(super) trait KeptRows {
    /// Row `row` (its index among the rows kept), read from line `line` of its file, was kept
    /// with duplicate hash `hash` (0 when duplicates are kept) and these missing cells (feature,
    /// what it held).
    fn kept(&mut self, row: usize, line: u64, hash: u64, missing: &[(usize, MissingKind)]);
}

impl KeptRows for () {
    fn kept(&mut self, _: usize, _: u64, _: u64, _: &[(usize, MissingKind)]) {}
}

/// The line of each row kept, in order: what [`super::Ingest::feed_lines`] returns.
impl KeptRows for Vec<u64> {
    fn kept(&mut self, _: usize, line: u64, _: u64, _: &[(usize, MissingKind)]) {
        self.push(line);
    }
}

impl Ingest {
    /// Handles one complete record of the current file: `data` split at `file.plain_ends`.
    pub(super) fn record(
        &mut self,
        file: &mut FileState,
        data: &[u8],
        kept: &mut impl KeptRows,
    ) -> Result<(), IngestError> {
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
        kept.kept(self.labels.len(), line, hash, &file.row_missing);
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

    /// Moves the gathered rows into the columns, one column at a time.
    pub(super) fn flush_block(&mut self) {
        let width = self.columns.len();
        if width > 0 {
            for (feature, column) in self.columns.iter_mut().enumerate() {
                column.extend(self.block.iter().skip(feature).step_by(width));
            }
        }
        self.block.clear();
    }

    /// Reserves room for the rest of the file, estimated from its size and the lines so far.
    pub(super) fn reserve_for(&mut self, file: &FileState) {
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

    /// The id of a label from its raw bytes, decoding only labels not seen before; `None` for an
    /// empty label.
    pub(super) fn label_id(&mut self, raw: &[u8]) -> Option<u16> {
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

    pub(super) fn drop_row(&mut self, reason: &str) {
        *self.report.dropped.entry(reason.to_owned()).or_default() += 1;
    }

    pub(super) fn skip_row(
        &mut self,
        file: &mut FileState,
        problem: RowProblem,
    ) -> Result<(), IngestError> {
        self.drop_row(problem.kind.reason());
        // A row the file was cut off in says nothing about the rows before it.
        if !matches!(problem.kind, RowProblemKind::CutOff { .. }) {
            file.malformed += 1;
        }
        if file.examples < EXAMPLES_KEPT {
            file.examples += 1;
            self.report.examples.push(crate::data::report::SkippedRow {
                file: file.name.clone(),
                problem: problem.clone(),
            });
        }
        file.first_problem.get_or_insert(problem);
        self.check_malformed(file, false)
    }

    /// Stops the load when most of a file's first rows are malformed.
    pub(super) fn check_malformed(
        &self,
        file: &FileState,
        at_end: bool,
    ) -> Result<(), IngestError> {
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

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use crate::data::error::{ErrorKind, RowProblemKind};
    use crate::data::ingest::fixture::{HEADER, fails, load, load_one};
    use crate::data::ingest::{IngestOptions, ingest_readers};

    #[test]
    fn ragged_rows_are_skipped_with_their_line() {
        let mut csv = String::from(HEADER);
        csv += "1,2,3,BENIGN\n4,5,BENIGN\n6,7,8,9,BENIGN\n10,11,12,DDoS\n";
        let (dataset, report) = load_one(csv.as_bytes()).unwrap();
        assert_eq!(dataset.rows(), 2);
        assert_eq!(report.dropped["wrong number of fields"], 2);
        assert_eq!(report.examples[0].problem.line, 3);
        assert_eq!(
            report.examples[0].problem.kind,
            RowProblemKind::Ragged {
                expected: 4,
                found: 3
            }
        );
        assert_eq!(
            report.examples[1].problem.to_string(),
            "line 4: 5 fields where the header has 4; the row was skipped"
        );
    }

    #[test]
    fn text_in_a_numeric_column_names_line_and_column() {
        let mut csv = String::from(HEADER);
        csv += "1,2,3,BENIGN\n1,two,3,BENIGN\n";
        let (dataset, report) = load_one(csv.as_bytes()).unwrap();
        assert_eq!(dataset.rows(), 1);
        assert_eq!(
            format!(
                "{}, {}",
                report.examples[0].file, report.examples[0].problem
            ),
            "flows.csv, line 3, column \"Total Fwd Packets\": expected a number, found \"two\"; the row was skipped"
        );
    }

    #[test]
    fn empty_label_is_skipped() {
        let mut csv = String::from(HEADER);
        csv += "1,2,3,BENIGN\n1,2,4, \n";
        let (_, report) = load_one(csv.as_bytes()).unwrap();
        assert_eq!(report.dropped["empty label"], 1);
    }

    #[test]
    fn mostly_malformed_file_stops() {
        let mut csv = String::from(HEADER);
        for _ in 0..10 {
            csv += "a,b,c,BENIGN\n";
        }
        csv += "1,2,3,BENIGN\n";
        let error = fails(csv.as_bytes());
        assert!(matches!(
            error.kind,
            ErrorKind::MostlyMalformed {
                checked: 11,
                malformed: 10,
                ..
            }
        ));
        assert_eq!(error.line, Some(2));
        assert!(
            error
                .to_string()
                .contains("10 of the first 11 rows are malformed")
        );
    }

    #[test]
    fn special_values_are_missing_and_counted() {
        let mut csv = String::from(HEADER);
        csv += "1,2,Infinity,BENIGN\n2,NaN,-Infinity,BENIGN\n3,,1e39,BENIGN\n-1,4,5,BENIGN\n";
        let (dataset, report) = load_one(csv.as_bytes()).unwrap();
        assert_eq!(dataset.rows(), 4);
        assert_eq!(report.missing["Flow Bytes/s"].infinity, 2);
        assert_eq!(report.missing["Flow Bytes/s"].out_of_range, 1);
        assert_eq!(report.missing["Total Fwd Packets"].nan, 1);
        assert_eq!(report.missing["Total Fwd Packets"].empty, 1);
        assert!(dataset.columns[2][0].is_nan());
        assert_eq!(dataset.columns[0][3], -1.0);
    }

    #[test]
    fn empty_trailing_rows_are_dropped_and_counted() {
        let mut csv = String::from(HEADER);
        csv += "1,2,3,BENIGN\n,,,\n,,,\n";
        let (dataset, report) = load_one(csv.as_bytes()).unwrap();
        assert_eq!(dataset.rows(), 1);
        assert_eq!(report.dropped["empty row"], 2);
    }

    #[test]
    fn duplicates_across_files_are_dropped() {
        let csv = format!("{HEADER}1,2,3,BENIGN\n1,2,3,BENIGN\n1,2,3,DDoS\n");
        let other = format!("{HEADER}1,2,3,BENIGN\n");
        let (dataset, report) =
            load(&[("a.csv", csv.as_bytes()), ("b.csv", other.as_bytes())]).unwrap();
        assert_eq!(dataset.rows(), 2);
        assert_eq!(report.dropped["duplicate"], 2);
        let files = [("a.csv", csv.as_bytes().to_vec())];
        let options = IngestOptions {
            keep_duplicates: true,
            ..IngestOptions::default()
        };
        let (kept, _) = ingest_readers(
            files.map(|(name, bytes)| (name.to_string(), None, Cursor::new(bytes))),
            options,
        )
        .unwrap();
        assert_eq!(kept.rows(), 3);
    }

    #[test]
    fn same_file_twice() {
        let csv = format!("{HEADER}1,2,3,BENIGN\n");
        let error = load(&[("a.csv", csv.as_bytes()), ("a.csv", csv.as_bytes())]).unwrap_err();
        assert_eq!(error.kind, ErrorKind::DuplicateFile);
    }
}
