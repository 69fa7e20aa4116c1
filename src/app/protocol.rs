//! The typed messages between the page and its training worker, both ways through
//! serde-wasm-bindgen (requests carry `File`s, which it passes through untouched; NaN and
//! infinite floats survive, unlike JSON). Decoding replies once took up to 1.4 s on the page's
//! main thread; that was the static constructors re-run on every call into the module (see
//! `platform::run_static_constructors`), not serde-wasm-bindgen. Both sides import this file;
//! it imports neither.

use serde::{Deserialize, Serialize};

use crate::data::error::IngestError;
use crate::data::ingest::{IngestOptions, Progress};
use crate::data::report::IngestReport;
use crate::device::backend::{BackendInfo, BackendPreference};
use crate::device::probe::ProbeReport;
use crate::metrics::evaluation::Evaluation;
use crate::metrics::histogram::ScoreHistogram;
use crate::model::config::ModelKind;
use crate::model::fit::learning_curve::LearningPoint;
use crate::model::fit::{FitError, FitOptions};
use crate::model::network::train::{TrainError, TrainProgress};
use crate::model::score::Deviation;
use crate::rl::history::EpisodeReport;
use crate::rl::plan::AgentPlan;
use crate::rl::run::Assessment;

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
    /// Read a bundled sample from this (absolute) URL of the page's own assets.
    LoadSample {
        /// The sample's URL, resolved against the page.
        url: String,
        /// The user's load options.
        options: IngestOptions,
    },
    /// Train the autoencoder on the loaded flows, then evaluate it.
    Train {
        /// The user's settings.
        options: FitOptions,
    },
    /// Train an agent as planned on the kept model's view of the loaded flows, then compare it.
    TrainAgent(AgentPlan),
    /// Stop training (the autoencoder or the agent) after the current step; what was learnt so
    /// far is kept and evaluated.
    Stop,
    /// Pause (true) or resume (false) training between steps.
    Pause(bool),
    /// Build a file for the user to download.
    Export(Export),
    /// Read a model or agent file and keep it in place of the trained one.
    Import {
        /// A JavaScript `File`, passed through untouched.
        #[serde(with = "serde_wasm_bindgen::preserve")]
        file: wasm_bindgen::JsValue,
    },
    /// Explain why a flow of the loaded data scored as it did.
    Explain {
        /// The flow's row in the loaded data.
        row: u32,
    },
    /// Fit the detector these settings describe on growing draws of the loaded benign flows and
    /// test each on the same set-aside flows ("how much normal traffic is enough?"); the kept
    /// model is left as it is.
    LearningCurve {
        /// The user's detector settings.
        options: FitOptions,
    },
    /// Score what was appended to a file the page follows (see [`crate::data::follow`]).
    Follow {
        /// The file's name, for what is said about it.
        name: String,
        /// The bytes appended since the last piece: a JavaScript `Uint8Array`, passed through
        /// untouched.
        #[serde(with = "serde_wasm_bindgen::preserve")]
        bytes: wasm_bindgen::JsValue,
        /// The file was chosen anew or shrank (truncated): it starts again at its first line.
        restart: bool,
    },
}

impl ToWorker {
    /// The reply the page acts on when this request could not even be sent (`error` says why),
    /// so a failed send shows where the worker's own failure would.
    pub fn unsent(&self, error: String) -> FromWorker {
        let failure = JobFailure::Other(error);
        match self {
            Self::Load { .. } | Self::LoadSample { .. } => FromWorker::LoadFailed(failure),
            Self::Train { .. } => FromWorker::TrainFailed(failure),
            Self::TrainAgent(_) => FromWorker::AgentFailed(failure),
            Self::Export(_) | Self::Import { .. } => FromWorker::Transfer(Err(failure)),
            Self::Explain { .. } => FromWorker::Explained(Err(failure)),
            Self::LearningCurve { .. } => FromWorker::CurveFailed(failure),
            Self::Follow { .. } => FromWorker::Followed(Err(failure)),
            Self::CheckBackend { .. } | Self::Stop | Self::Pause(_) => FromWorker::Failed(failure),
        }
    }
}

/// What the user asked to download.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Export {
    /// The autoencoder with its scaler, features and threshold.
    Model,
    /// The agent with the model it depends on.
    Agent,
    /// Every loaded flow with its score, flag and top deviating features.
    ScoredFlows,
}

/// Where a browser load stands, for the progress bars.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileProgress {
    /// The file being read.
    pub file: String,
    /// Its size in bytes.
    pub size: u64,
    /// Bytes and rows so far.
    pub progress: Progress,
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
    /// A request failed.
    Failed(JobFailure),
    /// A load is under way.
    Progress(FileProgress),
    /// A load finished: the report on what was kept, dropped and why.
    Loaded(IngestReport),
    /// A load failed; the message names the file, line and column, and the data loaded before
    /// stays.
    LoadFailed(JobFailure),
    /// Training progress, after each step.
    Training(TrainProgress),
    /// The trained model's evaluation on the loaded flows, each scored by a model that did not
    /// fit it.
    Evaluated(ModelResults),
    /// Training could not start or stopped with an error.
    TrainFailed(JobFailure),
    /// Episodes of agent training finished since the last message.
    AgentTraining(Vec<EpisodeReport>),
    /// The agent's comparison with the thresholds, and held-out flows to replay.
    AgentCompared(Assessment),
    /// The agent could not train.
    AgentFailed(JobFailure),
    /// How an export or import went; the text is for the user.
    Transfer(Result<String, JobFailure>),
    /// Why a flow scored as it did, or why that cannot be said.
    Explained(Result<Explanation, JobFailure>),
    /// The learning curve's points so far, and whether it is complete.
    Curve(LearningCurve),
    /// The learning curve could not be drawn.
    CurveFailed(JobFailure),
    /// The new flows of a followed file, scored and decided, or why they could not be.
    Followed(Result<FollowedFlows, JobFailure>),
}

/// The flows a piece of a followed file completed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FollowedFlows {
    /// Each flow read, in the file's order.
    pub flows: Vec<FollowedFlow>,
    /// A sentence per row skipped (file, line, column and why).
    pub skipped: Vec<String>,
    /// Whether an agent decided (else the model's threshold).
    pub by_agent: bool,
}

/// One flow of a followed file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FollowedFlow {
    /// Its line in the file.
    pub line: u64,
    /// Its label (`unlabelled` when the file has none).
    pub label: String,
    /// Its anomaly score.
    pub score: f32,
    /// The model's threshold.
    pub threshold: f32,
    /// The decision.
    pub flagged: bool,
    /// Whether its label names an attack.
    pub attack: bool,
}

/// Why a job failed, as typed as the core says it: a file's problem with its file, line and
/// column, a run the settings or the flows refused or whose loss stopped being finite, or
/// anything else in the worker's words. Its text is what the page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum JobFailure {
    /// A file could not be loaded (see [`IngestError`]).
    #[error(transparent)]
    File(IngestError),
    /// Training could not start or stopped (see [`TrainError`]).
    #[error(transparent)]
    Training(TrainError),
    /// Anything else, as a sentence.
    #[error("{0}")]
    Other(String),
}

impl JobFailure {
    /// The failure `error` is: typed when it is a load's or a training run's, a sentence
    /// otherwise.
    pub fn of(error: &(dyn std::error::Error + 'static)) -> Self {
        if let Some(error) = error.downcast_ref::<IngestError>() {
            return Self::File(error.clone());
        }
        if let Some(error) = error.downcast_ref::<TrainError>() {
            return Self::Training(error.clone());
        }
        if let Some(FitError::Start(error)) = error.downcast_ref::<FitError>() {
            return Self::Training(error.clone());
        }
        Self::Other(error.to_string())
    }
}

/// "How much normal traffic is enough?" for the loaded flows: see
/// [`crate::model::fit::learning_curve`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LearningCurve {
    /// The detector fitted at every point.
    pub kind: ModelKind,
    /// Flows every point is tested on: set-aside benign flows and every attack.
    pub tested: usize,
    /// The points fitted so far, fewest flows first.
    pub points: Vec<LearningPoint>,
    /// Benign flows fitted at each point still to come.
    pub to_come: Vec<usize>,
}

/// A model's results on the loaded flows, each scored by a model that did not fit it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelResults {
    /// Which detector.
    pub kind: ModelKind,
    /// Ranking quality and decisions at the model's threshold.
    pub evaluation: Evaluation,
    /// The scores by class, for the histogram and the threshold slider.
    pub histogram: ScoreHistogram,
    /// How the model's threshold was chosen, in words.
    pub threshold_rule: String,
    /// Which flows it was tested on, in a sentence: the held-out part of its own load, or all of
    /// another load's (perhaps another dataset's).
    pub tested_on: String,
    /// The tested flows that scored highest, most unusual first: where an analyst starts, and all
    /// there is to read in unlabelled traffic.
    pub most_unusual: Vec<RankedFlow>,
}

/// One flow of a ranking by anomaly score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RankedFlow {
    /// Its row in the loaded data (what an explanation asks for).
    pub row: u32,
    /// Its label as published (`unlabelled` for flows without one).
    pub label: String,
    /// Its anomaly score.
    pub score: f32,
    /// Whether the model's threshold flags it.
    pub flagged: bool,
}

/// The features that deviated most in one flow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The flow's row in the loaded data.
    pub row: u32,
    /// Its label.
    pub label: String,
    /// Its anomaly score.
    pub score: f32,
    /// The features with the largest weighted error, largest first.
    pub deviations: Vec<Deviation>,
}
