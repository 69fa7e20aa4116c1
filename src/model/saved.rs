//! The model file: one safetensors file holding the weights (PyTorch names and layouts, so
//! `safetensors.torch.load_file` reads it) and, in its header metadata, everything else needed to
//! score new flows identically: format version, model settings, features, scaler, threshold, and
//! the cross-fitting that set the threshold (the fold models and a fingerprint of every flow the
//! final model fitted, so an evaluation scores each of those with the fold model that did not).

use std::collections::HashMap;

use burn::prelude::Device;
use serde::{Deserialize, Serialize};

use super::config::ModelConfig;
use super::detector::Detector;
use super::network::train::{EpochLoss, TrainConfig};
use super::weights::{NamedWeights, WeightError};
use crate::data::prepare::Scaler;
use crate::metrics::threshold::ThresholdRule;

/// Bumped whenever the metadata or weight names change meaning (2: cross-fitted, with fold
/// models and fingerprints instead of a validation share).
pub const FORMAT_VERSION: u32 = 2;
/// The metadata key holding [`ModelMeta`] as JSON.
const META_KEY: &str = "netsentry";
/// The metadata key holding the fingerprints of the fitted flows, a JSON array.
const FITTED_KEY: &str = "netsentry.fitted";

/// The prefix of fold model `fold`'s tensors in the file.
fn fold_prefix(fold: usize) -> String {
    format!("fold{fold}.")
}

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
    /// on benign flows the scoring model did not fit + 0.01), scaled to average 1, when errors
    /// are normalised (features the model rebuilds well on benign traffic count more when they
    /// go wrong); all 1 otherwise (plain mean squared error).
    pub error_weights: Vec<f32>,
    /// Flag flows scoring at or above this.
    pub threshold: f32,
    /// How the threshold was chosen.
    pub threshold_rule: ThresholdRule,
    /// Cross-fitting folds: each benign flow was scored by a fold model fitted on the others,
    /// and those scores set the threshold, the error weights and the ensemble's scales.
    pub folds: usize,
    /// The seed of the content hash that assigns folds and fingerprints flows (see
    /// [`crate::data::prepare::content_hash`]).
    pub fold_seed: u64,
    /// Benign flows the final model fitted: every benign flow it was given.
    pub train_rows: u64,
    /// Benign flows each fold model fitted.
    pub fold_rows: Vec<u64>,
    /// The epoch whose weights were kept.
    pub best: Option<EpochLoss>,
}

/// A trained model ready to score.
#[derive(Clone, Debug)]
pub struct SavedModel {
    /// Settings, scaler, threshold.
    pub meta: ModelMeta,
    /// The network or classic detector fitted on every benign flow, on the device it was loaded
    /// to: what scores new flows.
    pub detector: Detector,
    /// The fold models, each fitted on the benign flows outside its fold: what scores a flow the
    /// final model fitted, for an honest evaluation on the files it learnt from.
    pub folds: Vec<Detector>,
    /// The [`crate::data::prepare::content_hash`] of every flow the final model fitted, sorted.
    pub fitted: Vec<u64>,
}

/// Why a model file could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ModelFileError {
    /// Not a safetensors file, or tensors missing or misshapen.
    #[error(transparent)]
    Weights(WeightError),
    /// A safetensors file without NetSentry's metadata (e.g. a plain PyTorch export).
    #[error(
        "this safetensors file has no NetSentry metadata; it was not written by `netsentry train` or the app"
    )]
    NotNetSentry,
    /// Written by another format version.
    #[error(
        "this model file has format version {found}, and this NetSentry reads version {FORMAT_VERSION}; train the model again with this version"
    )]
    Version {
        /// The file's version.
        found: u32,
    },
    /// The metadata does not parse.
    #[error("the model file's metadata is damaged: {0}")]
    Meta(String),
    /// A model file opened as an agent file.
    #[error(
        "this is a model file without an agent; train and save one with `netsentry agent --out`"
    )]
    NoAgent,
}

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
        let mut weights = self
            .detector
            .weights()
            .await
            .map_err(ModelFileError::Weights)?;
        for (fold, detector) in self.folds.iter().enumerate() {
            let fold_weights = detector.weights().await.map_err(ModelFileError::Weights)?;
            weights
                .tensors
                .extend(fold_weights.prefixed(&fold_prefix(fold)).tensors);
        }
        let meta = serde_json::to_string(&self.meta)
            .map_err(|error| ModelFileError::Meta(error.to_string()))?;
        let fitted = serde_json::to_string(&self.fitted)
            .map_err(|error| ModelFileError::Meta(error.to_string()))?;
        let metadata = HashMap::from([
            (META_KEY.to_owned(), meta),
            (FITTED_KEY.to_owned(), fitted),
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
        let fitted: Vec<u64> = match metadata.get(FITTED_KEY) {
            Some(fitted) => serde_json::from_str(fitted)
                .map_err(|error| ModelFileError::Meta(error.to_string()))?,
            None => return Err(ModelFileError::Meta(format!("no {FITTED_KEY}"))),
        };
        let inputs = meta.scaler.features.len();
        let rows = |rows: u64| usize::try_from(rows).unwrap_or(usize::MAX);
        let detector =
            Detector::from_weights(inputs, &meta.model, rows(meta.train_rows), &weights, device)
                .map_err(ModelFileError::Weights)?;
        let folds = meta
            .fold_rows
            .iter()
            .enumerate()
            .map(|(fold, &fitted_rows)| {
                let weights = weights.under(&fold_prefix(fold));
                Detector::from_weights(inputs, &meta.model, rows(fitted_rows), &weights, device)
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(ModelFileError::Weights)?;
        Ok(Self {
            meta,
            detector,
            folds,
            fitted,
        })
    }
}
