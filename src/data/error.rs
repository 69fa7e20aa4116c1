//! Why a load stopped, or why a row was skipped: always with the file, line and column.
//!
//! Policy. A problem confined to one row (wrong number of fields, text in a numeric column, an
//! empty label) skips that row, counts it by reason and keeps the first few as examples. A problem
//! with the file as a whole (empty, binary, wrong delimiter, no known feature, an
//! unterminated quote, or most rows malformed) stops the load with an [`IngestError`].

use serde::{Deserialize, Serialize};

/// A load that cannot go on, and where it stopped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("{file}{}: {kind}", place(*line, column))]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum ErrorKind {
    /// No bytes, or only blank lines.
    #[error("the file is empty; choose a CSV with a header row and flows")]
    Empty,
    /// A NUL byte: this is a binary file, not a CSV.
    #[error("this is not a text file (a NUL byte at byte {offset}); choose a CICFlowMeter CSV")]
    Binary {
        /// 0-based byte offset of the first NUL.
        offset: u64,
    },
    /// The header is one field that contains another separator.
    #[error(
        "the header is separated by {} rather than commas; save the file as comma-separated CSV",
        describe_delimiter(*found)
    )]
    WrongDelimiter {
        /// The separator found instead of commas.
        found: char,
    },
    /// None of the columns is a CICFlowMeter flow statistic.
    #[error(
        "none of the columns is a CICFlowMeter flow statistic (such as \"Flow Duration\"); is this a CICFlowMeter flow CSV (CIC-IDS 2017, CSE-CIC-IDS2018, CIC-DDoS2019)?"
    )]
    NoFeatures,
    /// The files share no feature column.
    #[error("shares no feature column with {with}; load files of one dataset together")]
    NoCommonFeatures {
        /// The file that had none in common with the earlier ones.
        with: String,
    },
    /// A quoted field runs past the end of its line.
    #[error(
        "a quoted field does not end on its line (a missing closing quote?); fix the quote or remove the row"
    )]
    UnterminatedQuote,
    /// A row longer than any flow row could be.
    #[error(
        "a row longer than {} MB: this is not a flow table; choose a CICFlowMeter CSV",
        limit / (1 << 20)
    )]
    RowTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// Most of the first rows are malformed: this is not the flow table it looks like.
    #[error(
        "{malformed} of the first {checked} rows are malformed, so the load stopped; the first: {first}"
    )]
    MostlyMalformed {
        /// Rows checked.
        checked: u64,
        /// Of which malformed.
        malformed: u64,
        /// The first problem, as an example.
        first: Box<RowProblem>,
    },
    /// The same file name twice in one load.
    #[error("the same file was chosen twice; each file is loaded once")]
    DuplicateFile,
    /// The browser could not read the file.
    #[error(
        "could not be read ({reason}); check that the file still exists and is readable, then load it again"
    )]
    Unreadable {
        /// What the browser or OS said.
        reason: String,
    },
}

/// Why one row was skipped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("line {line}{}: {kind}", place(None, column))]
pub struct RowProblem {
    /// 1-based line of the row.
    pub line: u64,
    /// The column concerned, if one is.
    pub column: Option<String>,
    /// What was wrong.
    pub kind: RowProblemKind,
}

/// The row-level problems; each skips the row and is counted under [`RowProblemKind::reason`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum RowProblemKind {
    /// The row has a different number of fields than the header.
    #[error("{found} fields where the header has {expected}; the row was skipped")]
    Ragged {
        /// Fields in the header.
        expected: usize,
        /// Fields in this row.
        found: usize,
    },
    /// A feature field holds text that is not a number.
    #[error("expected a number, found \"{value}\"; the row was skipped")]
    NotANumber {
        /// The field, shortened to 40 characters.
        value: String,
    },
    /// The label field is empty.
    #[error("the label is empty; the row was skipped")]
    EmptyLabel,
    /// The file ends in the middle of this row (no line end, fields missing), as files cut at a
    /// byte count (CIC-DDoS2019's samples) do; not counted as malformed.
    #[error(
        "the file ends in the middle of this row ({found} of {expected} fields); the row was skipped (to keep it, get the whole file again)"
    )]
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

fn describe_delimiter(found: char) -> String {
    match found {
        '\t' => "tabs".to_owned(),
        ';' => "semicolons".to_owned(),
        '|' => "vertical bars".to_owned(),
        other => format!("\"{other}\""),
    }
}

/// Where in a file a problem is, after the file's name or the line: ", line L" and
/// ", column \"C\"" for each that is known.
fn place(line: Option<u64>, column: &Option<String>) -> String {
    let line = line
        .map(|line| format!(", line {line}"))
        .unwrap_or_default();
    let column = column
        .as_ref()
        .map(|column| format!(", column \"{column}\""))
        .unwrap_or_default();
    line + &column
}
