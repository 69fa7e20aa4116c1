//! Every flow of a dataset scored with the model's decision and the features that deviated most,
//! handed one at a time to a caller: `netsentry score` writes them as CSV, `netsentry watch` as
//! JSON lines. One place decides what a scored flow is.

use burn::prelude::Device;

use super::held_out::{routing, score_routed};
use super::scored_csv::ScoredCsvError;
use super::{ScoreError, ScoreOptions};
use crate::data::dataset::Dataset;
use crate::model::batches::SCORE_BATCH;
use crate::model::saved::SavedModel;

/// One flow as the model sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoredFlow {
    /// Its 0-based row in the dataset.
    pub row: usize,
    /// Its anomaly score.
    pub score: f32,
    /// Whether the model's threshold flags it.
    pub flagged: bool,
    /// Up to the asked number of features, the one the model rebuilt worst (by weighted squared
    /// error) first; none when the detector rebuilds nothing (the Isolation Forest, HBOS).
    pub deviations: Vec<Deviation>,
}

/// A feature of a flow beside what the model rebuilt, both in the flow's own units.
#[derive(Clone, Debug, PartialEq)]
pub struct Deviation {
    /// The feature's name.
    pub feature: String,
    /// Its value in the flow (`None` when the cell held no number).
    pub observed: Option<f32>,
    /// What the model rebuilt.
    pub rebuilt: f32,
}

/// Scores every flow of `dataset` with `model` in batches and hands each to `each`, with its
/// `top` deviating features; stops at the first error `each` returns. Flows the model fitted are
/// scored as `eval` scores them, by a fold model that did not fit them (see [`super::held_out`]),
/// so scoring a training file does not show each benign flow's in-sample score.
pub async fn score_each(
    model: &SavedModel,
    dataset: &Dataset,
    device: &Device,
    top: usize,
    mut each: impl FnMut(ScoredFlow) -> std::io::Result<()>,
) -> Result<(), ScoredCsvError> {
    let scaler = &model.meta.scaler;
    let columns = scaler.columns_in(dataset).map_err(ScoreError::from)?;
    let width = scaler.features.len();
    let weights = &model.meta.error_weights;
    let every: Vec<u32> = (0..dataset.rows() as u32).collect();
    let scorers = routing(model, dataset, &every)
        .map_err(ScoreError::from)?
        .scorers;
    for start in (0..dataset.rows()).step_by(SCORE_BATCH) {
        let rows: Vec<u32> = (start..(start + SCORE_BATCH).min(dataset.rows()))
            .map(|row| row as u32)
            .collect();
        let options = ScoreOptions {
            errors: top > 0,
            reconstruction: top > 0,
            ..ScoreOptions::default()
        };
        let batch_scorers = &scorers[start..start + rows.len()];
        let scored = score_routed(model, dataset, &rows, batch_scorers, device, options).await?;
        for (index, &row) in rows.iter().enumerate() {
            let score = scored.scores[index];
            let errors = scored
                .errors
                .get(index * width..(index + 1) * width)
                .unwrap_or(&[]);
            let rebuilt = scored
                .reconstruction
                .get(index * width..(index + 1) * width)
                .unwrap_or(&[]);
            let mut order: Vec<usize> = (0..errors.len()).collect();
            order.sort_by(|&a, &b| (errors[b] * weights[b]).total_cmp(&(errors[a] * weights[a])));
            let deviations = order
                .into_iter()
                .take(top)
                .map(|feature| {
                    let observed = dataset.columns[columns[feature]][row as usize];
                    Deviation {
                        feature: scaler.features[feature].clone(),
                        observed: observed.is_finite().then_some(observed),
                        rebuilt: scaler.unscale(feature, rebuilt[feature]),
                    }
                })
                .collect();
            each(ScoredFlow {
                row: row as usize,
                score,
                flagged: score >= model.meta.threshold,
                deviations,
            })?;
        }
    }
    Ok(())
}
