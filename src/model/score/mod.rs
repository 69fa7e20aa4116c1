//! Scoring: every flow's anomaly score (for networks and PCA the mean weighted squared
//! reconstruction error over the scaled features, see
//! [`crate::model::saved::ModelMeta::error_weights`]; the Isolation Forest and kNN have their own),
//! optionally with per-feature squared errors and latent code (the agent's observation), and an
//! explanation of any one flow in original units.

pub mod each_flow;
pub mod held_out;
pub mod scored_csv;

use burn::prelude::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::batches::batches;
use super::detector::Detector;
use super::weights::{WeightError, read_together};
use crate::data::dataset::Dataset;
use crate::data::prepare::{MissingFeatures, Scaler};

/// Why flows could not be scored.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    /// The flows lack features the model was trained on.
    #[error(transparent)]
    MissingFeatures(#[from] MissingFeatures),
    /// The device would not give the scores back.
    #[error(transparent)]
    Read(#[from] WeightError),
    /// The detector does not rebuild flows, so no feature can be blamed.
    #[error(
        "an Isolation Forest or HBOS model scores a flow without rebuilding it, so no feature is to blame: explanations need an ensemble, ae, vae, pca or knn model"
    )]
    NothingRebuilt,
}

/// What to keep besides the scores.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreOptions {
    /// Keep each row's per-feature squared errors (rows × features floats).
    pub errors: bool,
    /// Keep each row's latent code (rows × bottleneck floats).
    pub latent: bool,
    /// Keep each row's reconstruction (rows × features floats, scaled units).
    pub reconstruction: bool,
}

/// The scores of a matrix of rows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    /// Per row: the detector's score (for networks and PCA the mean weighted squared error over
    /// the features).
    pub scores: Vec<f32>,
    /// Per row, row-major: each feature's squared error (unweighted), if asked for and the
    /// detector rebuilds flows (empty for the Isolation Forest).
    pub errors: Vec<f32>,
    /// Per row, row-major: the latent code, if asked for (empty for classic detectors).
    pub latent: Vec<f32>,
    /// Width of each latent code.
    pub latent_width: usize,
    /// Per row, row-major: what the detector rebuilt, if asked for and it rebuilds flows.
    pub reconstruction: Vec<f32>,
}

/// Scores a row-major matrix of scaled rows, `width` features each, in batches; each feature's
/// squared error counts `weights[feature]` times in a reconstruction-error score. Each batch's
/// results are read back (in one read) before the next, so device memory stays bounded by
/// [`super::batches::SCORE_BATCH`].
pub async fn score(
    detector: &Detector,
    device: &Device,
    matrix: &[f32],
    weights: &[f32],
    options: ScoreOptions,
) -> Result<Scored, WeightError> {
    let width = weights.len();
    let weights = Tensor::<2>::from_data(TensorData::new(weights.to_vec(), [1, width]), device);
    let rows = matrix.len() / width.max(1);
    let mut scored = Scored {
        scores: Vec::with_capacity(rows),
        ..Scored::default()
    };
    for input in batches(matrix, width, device) {
        let [batch, _] = input.dims();
        let verdict = detector.forward(input.clone());
        // Squared errors only when they are the score or were asked for (a detector with its
        // own score, like the ensemble, needs none to be scored).
        let needs_errors = options.errors || verdict.score.is_none();
        let squared = verdict
            .reconstruction
            .as_ref()
            .filter(|_| needs_errors)
            .map(|reconstruction| {
                let error = reconstruction.clone() - input;
                error.clone() * error
            });
        let scores = match (verdict.score, &squared) {
            (Some(score), _) => score,
            (None, Some(squared)) => (squared.clone() * weights.clone())
                .mean_dim(1)
                .reshape([batch]),
            (None, None) => unreachable!("every detector scores or rebuilds"),
        };
        // Everything asked for, in one read: the scores, then each wanted part that exists.
        let code = verdict.code.filter(|_| options.latent);
        if let Some(code) = &code {
            scored.latent_width = code.dims()[1];
        }
        let parts = [
            (&mut scored.scores, Some(scores.reshape([batch, 1]))),
            (&mut scored.errors, squared.filter(|_| options.errors)),
            (&mut scored.latent, code),
            (
                &mut scored.reconstruction,
                verdict.reconstruction.filter(|_| options.reconstruction),
            ),
        ];
        let (into, tensors): (Vec<_>, Vec<_>) = parts
            .into_iter()
            .filter_map(|(into, tensor)| Some((into, tensor?)))
            .unzip();
        for (into, values) in into.into_iter().zip(read_together(tensors).await?) {
            into.extend(values);
        }
    }
    Ok(scored)
}

/// One feature of an explanation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Deviation {
    /// The feature's name.
    pub feature: String,
    /// The flow's value, original units; `None` when the cell was missing (it was imputed).
    pub observed: Option<f32>,
    /// What the model rebuilt, original units.
    pub reconstructed: f32,
    /// The squared error in scaled units, times the feature's weight: its share of the score
    /// is `error / features`.
    pub error: f32,
}

/// The `top` features that deviated most in `row` of `dataset`, observed vs reconstructed.
pub async fn explain(
    detector: &Detector,
    device: &Device,
    scaler: &Scaler,
    weights: &[f32],
    dataset: &Dataset,
    row: usize,
    top: usize,
) -> Result<Vec<Deviation>, ScoreError> {
    let scaled = scaler.transform(dataset, &[row as u32])?;
    let columns = scaler.columns_in(dataset)?;
    let options = ScoreOptions {
        reconstruction: true,
        ..ScoreOptions::default()
    };
    let rebuilt = score(detector, device, &scaled, weights, options)
        .await?
        .reconstruction;
    if rebuilt.is_empty() {
        return Err(ScoreError::NothingRebuilt);
    }
    let mut deviations: Vec<Deviation> = scaler
        .features
        .iter()
        .enumerate()
        .map(|(feature, name)| {
            let observed = dataset.columns[columns[feature]][row];
            Deviation {
                feature: name.clone(),
                observed: observed.is_finite().then_some(observed),
                reconstructed: scaler.unscale(feature, rebuilt[feature]),
                error: (scaled[feature] - rebuilt[feature]).powi(2) * weights[feature],
            }
        })
        .collect();
    deviations.sort_by(|a, b| b.error.total_cmp(&a.error));
    deviations.truncate(top);
    Ok(deviations)
}
