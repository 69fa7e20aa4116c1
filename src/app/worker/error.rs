//! Why a worker job failed, in sentences for the page to show as they are: a core error passed
//! on as it is, or one of the worker's own ([`JobError`]).

use crate::model::saved::ModelFileError;

/// What a job's failure is; its text goes to the page.
pub type Failure = Box<dyn std::error::Error>;

/// A failure of the worker's own.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The worker holds nothing to work on yet.
    #[error("{0}")]
    Missing(&'static str),
    /// The kept model could not move to the backend the user picked.
    #[error("could not move the trained model to the new backend: {0}; train it again there")]
    Moved(ModelFileError),
    /// A flow asked about is not in the loaded data any more.
    #[error(
        "flow {row} is not in the loaded data ({rows} flows): other flows were loaded since this replay started; train the agent again to replay them"
    )]
    NoSuchFlow {
        /// The row asked for.
        row: u32,
        /// Rows loaded now.
        rows: usize,
    },
    /// The page's server did not serve the bundled sample.
    #[error(
        "could not read the bundled sample from {url} (HTTP {status}): serve the whole built site, cicids2017-sample.csv included, or load your own CSV files"
    )]
    SampleMissing {
        /// Where it was asked for.
        url: String,
        /// The HTTP status.
        status: f64,
    },
    /// The browser refused a step (its own description follows).
    #[error("{what}: {detail}")]
    Browser {
        /// What could not be done.
        what: String,
        /// The browser's error, as it describes it.
        detail: String,
    },
}

impl JobError {
    /// A browser failure: `what` could not be done, and the JavaScript error it threw.
    pub fn browser(what: impl Into<String>, error: &wasm_bindgen::JsValue) -> Self {
        Self::Browser {
            what: what.into(),
            detail: format!("{error:?}"),
        }
    }
}
