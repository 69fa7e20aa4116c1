//! Lines: the parser's state within one file and the byte loop that turns chunks of any size
//! into records. A whole line without quotes is split at its commas in place; anything else
//! (quotes, a line cut by a chunk boundary, bare CR line ends) goes through `csv-core` and is
//! rejoined into the same form, so the rest of the load sees one kind of record.

use csv_core::{ReadRecordResult, Reader};

use super::header::Header;
use super::rows::KeptRows;
use super::{Ingest, error};
use crate::data::error::{ErrorKind, IngestError, RowProblem};
use crate::data::number::MissingKind;

/// The longest row read: flow rows are a few hundred bytes, and a longer "row" means a file that
/// is not a flow table (minified JSON, a log without line breaks) and would only eat memory.
pub(super) const MAX_ROW_BYTES: usize = 1 << 20;

/// The parser's state within one file.
pub(super) struct FileState {
    pub(super) name: String,
    pub(super) csv: Reader,
    pub(super) record: Vec<u8>,
    pub(super) record_len: usize,
    pub(super) ends: Vec<usize>,
    pub(super) ends_len: usize,
    /// Where the current line's fields end (its comma positions, then its length).
    pub(super) plain_ends: Vec<usize>,
    /// A csv-core record written back as a plain line.
    pub(super) joined: Vec<u8>,
    /// Line on which the record being read started.
    pub(super) record_line: u64,
    /// Newlines consumed so far, and whether the next non-newline byte starts a record: csv-core
    /// skips blank lines, so lines are counted here.
    pub(super) newlines: u64,
    pub(super) awaiting_record: bool,
    /// Bytes the parser has consumed, and the file's size if known.
    pub(super) consumed: u64,
    pub(super) size: Option<u64>,
    pub(super) header: Option<Header>,
    pub(super) bytes: u64,
    pub(super) rows_read: u64,
    pub(super) rows: u64,
    pub(super) malformed: u64,
    pub(super) first_problem: Option<RowProblem>,
    pub(super) examples: usize,
    /// Scratch space for one row's features before it is accepted.
    pub(super) row: Vec<f32>,
    /// Scratch space for the lengths of a row's identity fields, for duplicate detection.
    pub(super) field_lengths: Vec<u8>,
    pub(super) row_missing: Vec<(usize, MissingKind)>,
    /// Set once all the file's bytes are fed: a record completed now had no line end, and one
    /// with fields missing is a row the file was cut off in.
    pub(super) at_end: bool,
}

impl FileState {
    /// Advances the line count over consumed bytes, noting the line where a record starts.
    pub(super) fn count_lines(&mut self, consumed: &[u8]) {
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
    pub(super) fn split_plain_line<'a>(&mut self, line: &'a [u8]) -> Result<&'a [u8], IngestError> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.len() > MAX_ROW_BYTES {
            return Err(self.row_too_long());
        }
        comma_positions(line, &mut self.plain_ends);
        Ok(line)
    }

    /// The error for a row longer than any flow row could be.
    pub(super) fn row_too_long(&self) -> IngestError {
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
    pub(super) fn join_record(&mut self, joined: &mut Vec<u8>) {
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
pub(super) fn check_quotes(file: &FileState) -> Result<(), IngestError> {
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

pub(super) fn count_newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// The positions of the commas in `line`, then its length, into `ends`. Eight bytes are tested
/// at a time (a comma is a zero byte of `word ^ 0x2c2c…`, found without carries between bytes):
/// fields are a few bytes long, so a search call per comma, or a branch per byte, costs more.
pub(super) fn comma_positions(line: &[u8], ends: &mut Vec<usize>) {
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
pub(super) fn plain_line(input: &[u8]) -> Option<usize> {
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
pub(super) struct Fields<'a> {
    pub(super) data: &'a [u8],
    pub(super) ends: &'a [usize],
}

impl<'a> Fields<'a> {
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(super) fn start(&self, index: usize) -> usize {
        if index == 0 {
            0
        } else {
            self.ends[index - 1] + 1
        }
    }

    pub(super) fn get(&self, index: usize) -> &'a [u8] {
        &self.data[self.start(index)..self.ends[index]]
    }

    pub(super) fn iter(self) -> impl Iterator<Item = &'a [u8]> {
        (0..self.len()).map(move |index| self.get(index))
    }
}

impl Ingest {
    /// Parses `input`, the next bytes of `file`, record by record, telling `kept` of each row
    /// kept.
    pub(super) fn parse(
        &mut self,
        file: &mut FileState,
        mut input: &[u8],
        kept: &mut impl KeptRows,
    ) -> Result<(), IngestError> {
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
                    self.record(file, line, kept)?;
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
                    let handled = self.record(file, &joined, kept);
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::error::ErrorKind;
    use crate::data::ingest::fixture::{HEADER, counts, fails, load_one};

    #[test]
    fn commas_are_found_in_words_of_eight_bytes_and_in_the_tail() {
        let line = b"a,bb,,ccccccccc,d,eeeeeeeeeeeeeeee,";
        let mut ends = Vec::new();
        comma_positions(line, &mut ends);
        let commas: Vec<usize> = (0..line.len()).filter(|&i| line[i] == b',').collect();
        assert_eq!(ends, [commas, vec![line.len()]].concat());
        let fields = Fields {
            data: line,
            ends: &ends,
        };
        let read: Vec<&[u8]> = fields.iter().collect();
        let expected: [&[u8]; 7] = [
            b"a",
            b"bb",
            b"",
            b"ccccccccc",
            b"d",
            b"eeeeeeeeeeeeeeee",
            b"",
        ];
        assert_eq!(read, expected);
    }

    #[test]
    fn only_a_whole_line_without_quotes_or_inner_carriage_returns_is_plain() {
        assert_eq!(plain_line(b"1,2,3\r\n4"), Some(6));
        assert_eq!(plain_line(b"1,\"2\",3\n"), None);
        assert_eq!(plain_line(b"1,2\r3\n"), None);
        assert_eq!(
            plain_line(b"1,2,3"),
            None,
            "a line without its end waits for the next chunk"
        );
    }

    #[test]
    fn empty_file() {
        let error = fails(b"");
        assert_eq!(error.kind, ErrorKind::Empty);
        assert_eq!(
            error.to_string(),
            "flows.csv: the file is empty; choose a CSV with a header row and flows"
        );
    }

    #[test]
    fn only_blank_lines() {
        assert_eq!(fails(b"\n\r\n\n").kind, ErrorKind::Empty);
    }

    #[test]
    fn binary_junk() {
        let error = fails(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR");
        assert_eq!(error.kind, ErrorKind::Binary { offset: 8 });
        assert!(error.to_string().contains("not a text file"));
    }

    #[test]
    fn unterminated_quote_stops_with_its_line() {
        let mut csv = String::from(HEADER);
        csv += "1,2,3,BENIGN\n1,\"2,3,BENIGN\n4,5,6,BENIGN\n";
        let error = fails(csv.as_bytes());
        assert_eq!(error.kind, ErrorKind::UnterminatedQuote);
        assert_eq!(error.line, Some(3));
        assert_eq!(error.column.as_deref(), Some("Total Fwd Packets"));
    }

    #[test]
    fn quoted_fields_are_read() {
        let csv = "\"Flow Duration\",\"Label\"\n\"12\",\"Web Attack, XSS\"\n";
        let (dataset, _) = load_one(csv.as_bytes()).unwrap();
        assert_eq!(dataset.label(0), "Web Attack, XSS");
        assert_eq!(dataset.columns[0], [12.0]);
    }

    #[test]
    fn crlf_and_byte_order_mark() {
        let csv = "\u{feff}Flow Duration,Label\r\n5,BENIGN\r\n6,DDoS\r\n";
        let (dataset, report) = load_one(csv.as_bytes()).unwrap();
        assert_eq!(counts(&report), [("BENIGN", 1), ("DDoS", 1)]);
        assert_eq!(dataset.columns[0], [5.0, 6.0]);
    }

    #[test]
    fn line_numbers_count_blank_lines() {
        let mut csv = String::from(HEADER);
        csv += "1,2,3,BENIGN\n\n\n1,x,3,BENIGN\n";
        let (_, report) = load_one(csv.as_bytes()).unwrap();
        assert_eq!(report.examples[0].problem.line, 5);
    }

    #[test]
    fn a_row_without_end_stops_before_it_eats_memory() {
        let mut bytes = HEADER.as_bytes().to_vec();
        bytes.extend(std::iter::repeat_n(b'7', 3 << 20));
        let error = fails(&bytes);
        assert_eq!(error.kind, ErrorKind::RowTooLong { limit: 1 << 20 });
        assert_eq!(error.line, Some(2));
    }
}
