//! Following a CSV while it is written: bytes appended in pieces of any size in, batches of
//! complete lines out, each read into a [`Dataset`] with the line every kept row came from.
//!
//! CICFlowMeter appends a flow per line as each flow ends, so the last line of a growing file
//! may be half-written: [`LineBuffer`] holds it back until its line break arrives. A row that
//! cannot be read is skipped with a sentence naming its file, line and column, and the rest of
//! its batch is read; a header line again (the writer restarted) is dropped and said. Used by
//! `netsentry watch` natively; nothing here touches a file, so the page can follow one too.

use std::collections::BTreeMap;

use super::dataset::Dataset;
use super::error::IngestError;
use super::ingest::{Ingest, IngestOptions};

/// Complete lines of a file as they arrive, its header kept aside.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineBuffer {
    /// The file's header line (without its line break), once read.
    header: Option<String>,
    /// Bytes after the last line break: the line being written.
    pending: Vec<u8>,
    /// The 1-based number of the line `pending` starts.
    next_line: u64,
}

/// Complete lines taken from a [`LineBuffer`]: their text (each line with its line break) and
/// the number of the first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lines {
    /// The 1-based line number of the first line in its file.
    pub first_line: u64,
    /// The lines, each ending in `\n`.
    pub text: Vec<u8>,
}

impl Lines {
    /// How many lines there are.
    pub fn count(&self) -> u64 {
        memchr::memchr_iter(b'\n', &self.text).count() as u64
    }

    /// Each line's text, without its line break: the one numbered `first_line + i` at `i`.
    pub fn split(&self) -> Vec<&[u8]> {
        let text = self.text.strip_suffix(b"\n").unwrap_or(&self.text);
        text.split(|&byte| byte == b'\n')
            .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
            .collect()
    }
}

impl LineBuffer {
    /// A buffer at the start of a file: its first line is the header.
    pub fn new() -> Self {
        Self {
            next_line: 1,
            ..Self::default()
        }
    }

    /// A buffer resuming a file at line `next_line`, whose header is `header`.
    pub fn resuming(header: String, next_line: u64) -> Self {
        Self {
            header: Some(header),
            pending: Vec::new(),
            next_line,
        }
    }

    /// The header line, once read.
    pub fn header(&self) -> Option<&str> {
        self.header.as_deref()
    }

    /// The number of the next line to complete.
    pub fn next_line(&self) -> u64 {
        self.next_line
    }

    /// Bytes of a line still being written, held back.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Appends `bytes`; returns the data lines they completed (none while only the header or a
    /// part of a line has arrived).
    pub fn push(&mut self, bytes: &[u8]) -> Option<Lines> {
        let Some(last_break) = memchr::memrchr(b'\n', bytes) else {
            self.pending.extend_from_slice(bytes);
            return None;
        };
        let mut text = std::mem::take(&mut self.pending);
        text.extend_from_slice(&bytes[..=last_break]);
        self.pending.extend_from_slice(&bytes[last_break + 1..]);
        let mut first_line = self.next_line;
        self.next_line += memchr::memchr_iter(b'\n', &text).count() as u64;
        if self.header.is_none() {
            let end = memchr::memchr(b'\n', &text).expect("a line break was found");
            let header = String::from_utf8_lossy(&text[..end]);
            self.header = Some(header.trim_end_matches('\r').to_owned());
            text.drain(..=end);
            first_line += 1;
        }
        (!text.is_empty()).then_some(Lines { first_line, text })
    }
}

/// The flows of a batch of lines: the rows kept, the line of each, and what was left out.
#[derive(Debug)]
pub struct BatchRows {
    /// The rows kept, in order.
    pub dataset: Dataset,
    /// The line of each kept row in its file.
    pub lines: Vec<u64>,
    /// A sentence per row left out: file, line, column and why.
    pub skipped: Vec<String>,
    /// Rows left out by reason, counts.
    pub dropped: BTreeMap<String, u64>,
}

/// Reads `lines` of the file called `name` (whose header line is `header`) into rows: every row
/// kept, repeats included (a flow seen twice on the wire is scored twice). A line that stops the
/// reader (most of a small batch malformed, a NUL byte) is skipped with its sentence and the rest
/// are read again without it.
pub fn read_lines(
    name: &str,
    header: &str,
    lines: &Lines,
    options: IngestOptions,
) -> Result<BatchRows, IngestError> {
    let options = IngestOptions {
        keep_duplicates: true,
        ..options
    };
    // The lines still to read and each one's number in the file.
    let mut texts: Vec<&[u8]> = lines.text.split_inclusive(|&byte| byte == b'\n').collect();
    let mut numbers: Vec<u64> = (lines.first_line..).take(texts.len()).collect();
    let mut skipped = Vec::new();
    let mut index = 0;
    while index < texts.len() {
        if texts[index].contains(&0) {
            let why = "a NUL byte: this is not text; the row was skipped";
            skipped.push(sentence(name, numbers[index], None, &why));
            texts.remove(index);
            numbers.remove(index);
        } else {
            index += 1;
        }
    }
    loop {
        // The reader numbers the header line 1 (the file's first line too), so the lines given
        // from 2. (A header holding a lone carriage return, which ends a record for the reader,
        // can give a row of its own: it is named line 1.)
        let in_file = |line: u64| match line {
            0 | 1 => 1,
            line => numbers
                .get((line - 2) as usize)
                .copied()
                .unwrap_or(lines.first_line),
        };
        let mut chunk = format!("{header}\n").into_bytes();
        chunk.extend(texts.concat());
        let mut ingest = Ingest::new(options);
        let attempt = ingest
            .begin_file(name, None)
            .and_then(|()| ingest.feed_lines(&chunk))
            .and_then(|kept| ingest.end_file().map(|()| kept));
        match attempt {
            Ok(kept) => {
                let (dataset, report) = ingest.finish();
                skipped.extend(report.examples.iter().map(|example| {
                    let problem = &example.problem;
                    sentence(
                        name,
                        in_file(problem.line),
                        problem.column.as_deref(),
                        &problem.kind,
                    )
                }));
                return Ok(BatchRows {
                    dataset,
                    lines: kept.into_iter().map(in_file).collect(),
                    skipped,
                    dropped: report.dropped,
                });
            }
            Err(error) => {
                // A line it can name is left out and the rest read again; one it cannot (the
                // header itself) ends the batch.
                let Some(line) = error
                    .line
                    .filter(|&line| (2..texts.len() as u64 + 2).contains(&line))
                else {
                    return Err(error);
                };
                let (kind, column) = match &error.kind {
                    super::error::ErrorKind::MostlyMalformed { first, .. } => {
                        (first.kind.to_string(), first.column.clone())
                    }
                    kind => (kind.to_string(), error.column.clone()),
                };
                skipped.push(sentence(name, in_file(line), column.as_deref(), &kind));
                let index = (line - 2) as usize;
                texts.remove(index);
                numbers.remove(index);
            }
        }
    }
}

/// "file, line N, column C: why" (each why says the row was skipped).
fn sentence(file: &str, line: u64, column: Option<&str>, why: &dyn std::fmt::Display) -> String {
    match column {
        Some(column) => format!("{file}, line {line}, column \"{column}\": {why}"),
        None => format!("{file}, line {line}: {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header of the tests' files: three features and the label.
    const HEADER: &str = "Flow Duration,Total Fwd Packets,Flow Bytes/s,Label";

    /// Reads what `buffer` completes of `bytes` with the tests' header.
    fn read(buffer: &mut LineBuffer, bytes: &[u8]) -> Option<BatchRows> {
        let lines = buffer.push(bytes)?;
        Some(
            read_lines(
                "flows.csv",
                buffer.header().unwrap(),
                &lines,
                IngestOptions::default(),
            )
            .unwrap(),
        )
    }

    #[test]
    fn a_half_written_line_waits_for_its_line_break() {
        let mut buffer = LineBuffer::new();
        assert_eq!(buffer.push(format!("{HEADER}\n10,2,3").as_bytes()), None);
        assert_eq!(buffer.header(), Some(HEADER));
        assert_eq!(buffer.pending(), 6);
        let rows = read(&mut buffer, b".5,BENIGN\r\n20,1,1,DDoS\n30,").unwrap();
        assert_eq!(rows.lines, [2, 3]);
        assert_eq!(rows.dataset.rows(), 2);
        assert_eq!(rows.dataset.label(1), "DDoS");
        assert_eq!(buffer.next_line(), 4);
        assert_eq!(buffer.pending(), 3);
        let rows = read(&mut buffer, b"1,1,BENIGN\n").unwrap();
        assert_eq!(rows.lines, [4]);
        // A buffer resumed at a line numbers its lines from there.
        let mut resumed = LineBuffer::resuming(HEADER.to_owned(), 41);
        assert_eq!(read(&mut resumed, b"5,5,5,BENIGN\n").unwrap().lines, [41]);
    }

    #[test]
    fn a_bad_row_is_skipped_with_its_line_and_column_and_the_rest_are_read() {
        let mut buffer = LineBuffer::resuming(HEADER.to_owned(), 100);
        let rows = read(
            &mut buffer,
            b"1,1,1,BENIGN\n2,two,2,BENIGN\n3,3,3,BENIGN\n4,4\n5,5,5,DDoS\n",
        )
        .unwrap();
        assert_eq!(rows.lines, [100, 102, 104]);
        assert_eq!(rows.skipped.len(), 2, "{:?}", rows.skipped);
        assert!(
            rows.skipped[0].starts_with("flows.csv, line 101, column \"Total Fwd Packets\": "),
            "{}",
            rows.skipped[0]
        );
        assert!(
            rows.skipped[1].starts_with("flows.csv, line 103: "),
            "{}",
            rows.skipped[1]
        );
        assert_eq!(rows.dropped.values().sum::<u64>(), 2);
    }

    #[test]
    fn a_batch_of_bad_rows_and_nul_bytes_skips_each_and_keeps_the_good_ones() {
        let mut buffer = LineBuffer::resuming(HEADER.to_owned(), 7);
        // Most rows malformed would stop a load; a follower skips them one by one.
        let rows = read(
            &mut buffer,
            b"x,1,1,BENIGN\n1,\0,1,BENIGN\ny,1,1,BENIGN\n2,2,2,DDoS\n",
        )
        .unwrap();
        assert_eq!(rows.lines, [10]);
        assert_eq!(rows.skipped.len(), 3, "{:?}", rows.skipped);
        assert!(
            rows.skipped
                .iter()
                .any(|said| said.starts_with("flows.csv, line 7, column \"Flow Duration\""))
        );
        assert!(
            rows.skipped.iter().any(|said| said
                == "flows.csv, line 8: a NUL byte: this is not text; the row was skipped")
        );
        assert!(
            rows.skipped
                .iter()
                .any(|said| said.starts_with("flows.csv, line 9, column \"Flow Duration\""))
        );
        assert!(
            !rows.dropped.contains_key("empty row"),
            "{:?}",
            rows.dropped
        );
    }

    #[test]
    fn a_blank_line_beside_a_skipped_one_is_counted_once() {
        // Found by the fuzz target: a line skipped for stopping the reader used to be blanked
        // and taken off the empty rows, which this header's reader had not counted.
        let header = "Unnamed: 0,Flow ID, Source IP, Flow Duration, Fwd Header Length, Fwd Header Length.1,SimillarHTTP, Inbound, Label";
        let mut buffer = LineBuffer::new();
        let lines = buffer
            .push(format!("{header}\n\x14\x1f\n,\x02\n',\x02\n,,,\n").as_bytes())
            .unwrap();
        let rows = read_lines("fuzz.csv", header, &lines, IngestOptions::default());
        if let Ok(rows) = rows {
            assert_eq!(rows.lines.len(), rows.dataset.rows());
        }
    }

    #[test]
    fn records_split_by_a_lone_carriage_return_share_their_lines_number() {
        // The CSV reader ends a record at a lone CR (old Mac files); the follower splits lines at
        // line feeds only, so both flows name the one line they came from.
        let mut buffer = LineBuffer::resuming(HEADER.to_owned(), 10);
        let rows = read(&mut buffer, b"1,1,1,BENIGN\r2,2,2,DDoS\n3,3,3,BENIGN\n").unwrap();
        assert_eq!(rows.lines, [10, 10, 11]);
        assert_eq!(rows.dataset.rows(), 3);
    }

    #[test]
    fn a_row_inside_a_header_line_is_named_by_the_header_line() {
        // Found by the fuzz target: a header line holding a lone carriage return gives the reader
        // a record after the header; it is a row like any other, named line 1, so every row read
        // names a line.
        let header = "Flow Byts/s\r3";
        let mut buffer = LineBuffer::new();
        let lines = buffer.push(format!("{header}\n4\n").as_bytes()).unwrap();
        let rows = read_lines("flows.csv", header, &lines, IngestOptions::default()).unwrap();
        assert_eq!(rows.lines, [1, 2]);
        assert_eq!(rows.dataset.rows(), 2);
    }

    #[test]
    fn the_header_again_is_dropped_and_counted() {
        let mut buffer = LineBuffer::new();
        let rows = read(
            &mut buffer,
            format!("{HEADER}\n1,1,1,BENIGN\n{HEADER}\n2,2,2,BENIGN\n").as_bytes(),
        )
        .unwrap();
        assert_eq!(rows.lines, [2, 4]);
        assert_eq!(rows.dropped.get("repeated header line"), Some(&1));
        assert!(rows.skipped.is_empty(), "{:?}", rows.skipped);
    }
}
