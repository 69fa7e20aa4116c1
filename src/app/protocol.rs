//! The typed messages between the page and its training worker, carried by serde-wasm-bindgen.

use serde::{Deserialize, Serialize};

use crate::model::backend::{BackendInfo, BackendPreference};
use crate::model::probe::ProbeReport;

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
}
