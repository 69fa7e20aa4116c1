//! The failures only the command line has (files it reads and writes, the backend check's
//! verdict); everything else is the core's own typed error, passed on as it is.

use std::path::PathBuf;

use crate::model::saved::ModelFileError;

/// What a command's failure is: a core error (its message names the file, line and column, or
/// says what to do) or one of [`CliError`]'s; printed after `netsentry: `.
pub type Failure = Box<dyn std::error::Error>;

/// A failure of the command line's own.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A result file could not be written whole; the part written was removed.
    #[error(
        "nothing was written to {}: {why}; make room or choose another --out, then run the query again",
        path.display()
    )]
    Unfinished {
        /// The file asked for.
        path: PathBuf,
        /// What went wrong.
        why: String,
    },
    /// `watch`'s state file cannot be used.
    #[error("cannot resume from {}: {why}; remove it to start afresh", path.display())]
    State {
        /// The state file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// A model or agent file is not one this version reads.
    #[error("{}: {source}", path.display())]
    ModelFile {
        /// The file.
        path: PathBuf,
        /// Why it was refused.
        source: ModelFileError,
    },
    /// The backend check ran, but the loss did not fall.
    #[error(
        "the loss did not fall in {steps} steps ({first} -> {last}); this backend cannot be trusted to train"
    )]
    Untrusted {
        /// Adam steps run.
        steps: usize,
        /// The first loss.
        first: f32,
        /// The last loss.
        last: f32,
    },
}
