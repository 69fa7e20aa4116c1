//! The typed messages between the page and its training worker. Requests to the worker go through
//! serde-wasm-bindgen (they carry `File`s, which it passes through untouched). Replies come back
//! as CBOR bytes (ciborium): decoding them with serde-wasm-bindgen on the page's main thread took
//! 654 ms for an ingest report, 45–240 ms for a training progress message and 1.4 s for an
//! evaluation in headless Chromium on the 2-core test machine (a main-thread freeze); CBOR takes
//! 2–7 ms and, unlike JSON, keeps NaN and infinite floats.

use serde::{Deserialize, Serialize};

use super::files::FileProgress;
use crate::data::ingest::IngestOptions;
use crate::data::report::IngestReport;
use crate::metrics::evaluation::Evaluation;
use crate::model::backend::{BackendInfo, BackendPreference};
use crate::model::fit::FitOptions;
use crate::model::probe::ProbeReport;
use crate::model::train::TrainProgress;

/// What the page asks the worker to do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ToWorker {
    /// Pick the backend for `preference` and prove it trains with `steps` Adam steps.
    CheckBackend {
        /// The user's choice of backend.
        preference: BackendPreference,
        /// Adam steps in the check.
        steps: usize,
    },
    /// Read these CSV files into the worker's dataset, replacing the one loaded before only if
    /// they load.
    Load {
        /// A JavaScript array of `File`s, passed through untouched (structured-cloned).
        #[serde(with = "serde_wasm_bindgen::preserve")]
        files: wasm_bindgen::JsValue,
        /// The user's load options.
        options: IngestOptions,
    },
    /// Read the bundled sample from this (absolute) URL of the page's own assets.
    LoadSample {
        /// The sample's URL, resolved against the page.
        url: String,
    },
    /// Train the autoencoder on the loaded flows, then evaluate it.
    Train {
        /// The user's settings.
        options: FitOptions,
    },
    /// Stop training after the current step (the best weights so far are evaluated).
    Stop,
}

/// What the worker tells the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// The worker has loaded the module and listens for requests.
    Ready,
    /// The backend the worker will train on.
    Backend(BackendInfo),
    /// A backend check finished.
    Checked(ProbeReport),
    /// A request failed; the text is for the user.
    Failed(String),
    /// A load is under way.
    Progress(FileProgress),
    /// A load finished: the report on what was kept, dropped and why.
    Loaded(IngestReport),
    /// A load failed; the message names the file, line and column, and the data loaded before
    /// stays.
    LoadFailed(String),
    /// Training progress, after each step.
    Training(TrainProgress),
    /// The trained model's evaluation on the flows it did not train or tune on.
    Evaluated(Evaluation),
    /// Training could not start or stopped with an error; the text is for the user.
    TrainFailed(String),
}
