//! Why an agent could not be trained, saved or compared, in sentences a user can act on.

use crate::data::prepare::MissingFeatures;
use crate::model::saved::ModelFileError;
use crate::model::score::ScoreError;
use crate::model::weights::WeightError;

/// What went wrong in the agent's part of the pipeline.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The model could not score the flows (a missing feature), or a value could not be read
    /// back from the device.
    #[error(transparent)]
    Score(#[from] ScoreError),
    /// One side of the train/test split is empty.
    #[error(
        "the agent needs flows to train on and flows to test on, and these leave one side empty: load more labelled flows (or give test files of their own)"
    )]
    TooFewFlows,
    /// The training flows hold no attack, so flagging can never pay.
    #[error(
        "the training flows have no attacks, so the agent has nothing to learn to flag: add files with attack rows (the bundled sample has some)"
    )]
    NoAttacks,
    /// Training diverged.
    #[error(
        "the {algorithm} loss or weights became NaN or infinite after {updates} gradient steps; try a lower learning rate"
    )]
    NotFinite {
        /// The algorithm's name.
        algorithm: &'static str,
        /// Gradient steps that went well before.
        updates: usize,
    },
    /// The agent file could not be written or read.
    #[error(transparent)]
    File(#[from] ModelFileError),
}

impl From<MissingFeatures> for AgentError {
    fn from(missing: MissingFeatures) -> Self {
        Self::Score(ScoreError::MissingFeatures(missing))
    }
}

impl From<WeightError> for AgentError {
    fn from(error: WeightError) -> Self {
        Self::Score(ScoreError::Read(error))
    }
}
