//! Why a load stopped, or why a row was skipped: always with the file, line and column.
//!
//! Policy. A problem confined to one row (wrong number of fields, text in a numeric column, an
//! empty label) skips that row, counts it by reason and keeps the first few as examples. A problem
//! with the file as a whole (empty, binary, wrong delimiter, no known feature, an
//! unterminated quote, or most rows malformed) stops the load with an [`IngestError`].

use serde::{Deserialize, Serialize};

/// A load that cannot go on, and where it stopped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IngestError {
    /// The file's name as the user gave it.
    pub file: String,
    /// 1-based line, where the problem has one.
    pub line: Option<u64>,
    /// The column's header (or its 1-based number before the header is known).
    pub column: Option<String>,
    /// What went wrong.
    pub kind: ErrorKind,
}

/// The ways a file can fail to load.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ErrorKind {
    /// No bytes, or only blank lines.
    Empty,
    /// A NUL byte: this is a binary file, not a CSV.
    Binary {
        /// 0-based byte offset of the first NUL.
        offset: u64,
    },
    /// The header is one field that contains another separator.
    WrongDelimiter {
        /// The separator found instead of commas.
        found: char,
    },
    /// None of the columns is a CICFlowMeter flow statistic.
    NoFeatures,
    /// The files share no feature column.
    NoCommonFeatures {
        /// The file that had none in common with the earlier ones.
        with: String,
    },
    /// A quoted field runs past the end of its line.
    UnterminatedQuote,
    /// A row longer than any flow row could be.
    RowTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// Most of the first rows are malformed: this is not the flow table it looks like.
    MostlyMalformed {
        /// Rows checked.
        checked: u64,
        /// Of which malformed.
        malformed: u64,
        /// The first problem, as an example.
        first: Box<RowProblem>,
    },
    /// The same file name twice in one load.
    DuplicateFile,
    /// The browser could not read the file.
    Unreadable {
        /// What the browser or OS said.
        reason: String,
    },
}

/// Why one row was skipped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    /// 1-based line of the row.
    pub line: u64,
    /// The column concerned, if one is.
    pub column: Option<String>,
    /// What was wrong.
    pub kind: RowProblemKind,
}

/// The row-level problems; each skips the row and is counted under [`RowProblemKind::reason`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowProblemKind {
    /// The row has a different number of fields than the header.
    Ragged {
        /// Fields in the header.
        expected: usize,
        /// Fields in this row.
        found: usize,
    },
    /// A feature field holds text that is not a number.
    NotANumber {
        /// The field, shortened to 40 characters.
        value: String,
    },
    /// The label field is empty.
    EmptyLabel,
    /// The file ends in the middle of this row (no line end, fields missing), as files cut at a
    /// byte count (CIC-DDoS2019's samples) do; not counted as malformed.
    CutOff {
        /// Fields in the header.
        expected: usize,
        /// Fields before the file ended.
        found: usize,
    },
}

impl RowProblemKind {
    /// The reason under which skipped rows are counted in the report.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Ragged { .. } => "wrong number of fields",
            Self::NotANumber { .. } => "text in a numeric column",
            Self::EmptyLabel => "empty label",
            Self::CutOff { .. } => "cut off at the end of the file",
        }
    }
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(column) = &self.column {
            write!(f, ", column \"{column}\"")?;
        }
        match &self.kind {
            RowProblemKind::Ragged { expected, found } => write!(
                f,
                ": {found} fields where the header has {expected}; the row was skipped"
            ),
            RowProblemKind::NotANumber { value } => write!(
                f,
                ": expected a number, found \"{value}\"; the row was skipped"
            ),
            RowProblemKind::EmptyLabel => write!(f, ": the label is empty; the row was skipped"),
            RowProblemKind::CutOff { expected, found } => write!(
                f,
                ": the file ends in the middle of this row ({found} of {expected} fields); the row was skipped (to keep it, get the whole file again)"
            ),
        }
    }
}

impl std::fmt::Display for IngestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ", column \"{column}\"")?;
        }
        f.write_str(": ")?;
        match &self.kind {
            ErrorKind::Empty => f.write_str("the file is empty; choose a CSV with a header row and flows"),
            ErrorKind::Binary { offset } => write!(
                f,
                "this is not a text file (a NUL byte at byte {offset}); choose a CICFlowMeter CSV"
            ),
            ErrorKind::WrongDelimiter { found } => write!(
                f,
                "the header is separated by {} rather than commas; save the file as comma-separated CSV",
                describe_delimiter(*found)
            ),
            ErrorKind::NoFeatures => f.write_str(
                "none of the columns is a CICFlowMeter flow statistic (such as \"Flow Duration\"); is this a CICFlowMeter flow CSV (CIC-IDS 2017, CSE-CIC-IDS2018, CIC-DDoS2019)?",
            ),
            ErrorKind::NoCommonFeatures { with } => write!(
                f,
                "shares no feature column with {with}; load files of one dataset together"
            ),
            ErrorKind::UnterminatedQuote => f.write_str(
                "a quoted field does not end on its line (a missing closing quote?); fix the quote or remove the row",
            ),
            ErrorKind::RowTooLong { limit } => write!(
                f,
                "a row longer than {} MB: this is not a flow table; choose a CICFlowMeter CSV",
                limit / (1 << 20)
            ),
            ErrorKind::MostlyMalformed {
                checked,
                malformed,
                first,
            } => write!(
                f,
                "{malformed} of the first {checked} rows are malformed, so the load stopped; the first: {first}"
            ),
            ErrorKind::DuplicateFile => {
                f.write_str("the same file was chosen twice; each file is loaded once")
            }
            ErrorKind::Unreadable { reason } => write!(
                f,
                "could not be read ({reason}); check that the file still exists and is readable, then load it again"
            ),
        }
    }
}

impl std::error::Error for IngestError {}

fn describe_delimiter(found: char) -> String {
    match found {
        '\t' => "tabs".to_owned(),
        ';' => "semicolons".to_owned(),
        '|' => "vertical bars".to_owned(),
        other => format!("\"{other}\""),
    }
}
