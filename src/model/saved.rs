//! The model file: one safetensors file holding the weights (PyTorch names and layouts, so
//! `safetensors.torch.load_file` reads it) and, in its header metadata, everything else needed to
//! score new flows identically: format version, model settings, features, scaler, threshold and
//! the split the model trained on.

use std::collections::HashMap;

use burn::prelude::Device;
use serde::{Deserialize, Serialize};

use super::config::ModelConfig;
use super::detector::Detector;
use super::train::{EpochLoss, TrainConfig};
use super::weights::{NamedWeights, WeightError};
use crate::data::prepare::{Scaler, SplitFractions};
use crate::metrics::threshold::ThresholdRule;

/// Bumped whenever the metadata or weight names change meaning.
pub const FORMAT_VERSION: u32 = 1;
/// The metadata key holding [`ModelMeta`] as JSON.
const META_KEY: &str = "netsentry";

/// Everything about a trained model except its weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    /// [`FORMAT_VERSION`] when written.
    pub format_version: u32,
    /// The detector's kind and shape.
    pub model: ModelConfig,
    /// How it was trained.
    pub train: TrainConfig,
    /// Imputation and scaling, with the feature names in input order.
    pub scaler: Scaler,
    /// Per feature, how much its squared error counts in the score: 1 / (its mean squared error
    /// on benign validation flows + 0.01), scaled to average 1, when errors are normalised
    /// (features the model rebuilds well on benign traffic count more when they go wrong);
    /// all 1 otherwise (plain mean squared error).
    pub error_weights: Vec<f32>,
    /// Flag flows scoring at or above this.
    pub threshold: f32,
    /// How the threshold was chosen.
    pub threshold_rule: ThresholdRule,
    /// The content split (see [`crate::data::prepare::content_share`]) and its seed: which flows
    /// the model trained and was tuned on, so evaluations can leave them out.
    pub split: SplitFractions,
    /// The split's seed.
    pub split_seed: u64,
    /// Benign flows fitted on and validated on.
    pub train_rows: u64,
    /// Validation flows (all labels) used for early stopping and the threshold.
    pub validation_rows: u64,
    /// The epoch whose weights were kept.
    pub best: Option<EpochLoss>,
}

/// A trained model ready to score.
#[derive(Clone, Debug)]
pub struct SavedModel {
    /// Settings, scaler, threshold.
    pub meta: ModelMeta,
    /// The network or classic detector, on the device it was loaded to.
    pub detector: Detector,
}

/// Why a model file could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelFileError {
    /// Not a safetensors file, or tensors missing or misshapen.
    Weights(WeightError),
    /// A safetensors file without NetSentry's metadata (e.g. a plain PyTorch export).
    NotNetSentry,
    /// Written by another format version.
    Version {
        /// The file's version.
        found: u32,
    },
    /// The metadata does not parse.
    Meta(String),
    /// A model file opened as an agent file.
    NoAgent,
}

impl std::fmt::Display for ModelFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Weights(error) => write!(f, "{error}"),
            Self::NotNetSentry => write!(
                f,
                "this safetensors file has no NetSentry metadata; it was not written by `netsentry train` or the app"
            ),
            Self::Version { found } => write!(
                f,
                "this model file has format version {found}, and this NetSentry reads version {FORMAT_VERSION}; train the model again with this version"
            ),
            Self::Meta(error) => write!(f, "the model file's metadata is damaged: {error}"),
            Self::NoAgent => write!(
                f,
                "this is a model file without an agent; train and save one with `netsentry agent --out`"
            ),
        }
    }
}

impl std::error::Error for ModelFileError {}

impl SavedModel {
    /// The file's bytes; weights are read from the device asynchronously.
    pub async fn to_bytes(&self) -> Result<Vec<u8>, ModelFileError> {
        let (weights, metadata) = self.to_parts().await?;
        weights
            .to_safetensors(metadata)
            .map_err(ModelFileError::Weights)
    }

    /// The tensors and header metadata of the file, for files that add to them (an agent file
    /// holds its model's parts plus its own).
    pub async fn to_parts(
        &self,
    ) -> Result<(NamedWeights, HashMap<String, String>), ModelFileError> {
        let weights = self
            .detector
            .weights()
            .await
            .map_err(ModelFileError::Weights)?;
        let meta = serde_json::to_string(&self.meta)
            .map_err(|error| ModelFileError::Meta(error.to_string()))?;
        let metadata = HashMap::from([
            (META_KEY.to_owned(), meta),
            ("format".to_owned(), "pt".to_owned()),
        ]);
        Ok((weights, metadata))
    }

    /// Reads a model file onto `device`.
    pub fn from_bytes(bytes: &[u8], device: &Device) -> Result<Self, ModelFileError> {
        let (weights, metadata) =
            NamedWeights::from_safetensors(bytes).map_err(ModelFileError::Weights)?;
        let meta = metadata.get(META_KEY).ok_or(ModelFileError::NotNetSentry)?;
        let value: serde_json::Value =
            serde_json::from_str(meta).map_err(|error| ModelFileError::Meta(error.to_string()))?;
        let found = value
            .get("format_version")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| ModelFileError::Meta("no format_version".to_owned()))?;
        if found != u64::from(FORMAT_VERSION) {
            return Err(ModelFileError::Version {
                found: u32::try_from(found).unwrap_or(u32::MAX),
            });
        }
        let meta: ModelMeta = serde_json::from_value(value)
            .map_err(|error| ModelFileError::Meta(error.to_string()))?;
        let detector = Detector::from_weights(
            meta.scaler.features.len(),
            &meta.model,
            usize::try_from(meta.train_rows).unwrap_or(usize::MAX),
            &weights,
            device,
        )
        .map_err(ModelFileError::Weights)?;
        Ok(Self { meta, detector })
    }
}
