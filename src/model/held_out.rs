//! Honest evaluation of a saved model: the flows of a dataset it never trained or was tuned on
//! (matched by content, see [`super::fit::used_by_model`]), scored and measured. Shared by
//! `netsentry eval`, the agent's test flows and the page.

use burn::prelude::Device;

use super::fit::used_by_model;
use super::saved::SavedModel;
use super::score::{ScoreError, ScoreOptions, score};
use crate::data::dataset::Dataset;
use crate::data::prepare::MissingFeatures;
use crate::metrics::evaluation::{Evaluation, evaluate};

/// The rows of `dataset` to evaluate on: all of them with `all_rows`, else all but those the
/// model trained or was tuned on; with the count left out.
pub fn rows_to_evaluate(
    model: &SavedModel,
    dataset: &Dataset,
    all_rows: bool,
) -> Result<(Vec<u32>, u64), MissingFeatures> {
    let columns = model.meta.scaler.columns_in(dataset)?;
    let attack = dataset.attack_mask();
    let mut rows = Vec::with_capacity(dataset.rows());
    let mut excluded = 0;
    for (row, &is_attack) in attack.iter().enumerate() {
        if !all_rows && used_by_model(&model.meta, dataset, &columns, row, is_attack) {
            excluded += 1;
        } else {
            rows.push(row as u32);
        }
    }
    Ok((rows, excluded))
}

/// The anomaly scores of `rows` of `dataset` under `model`.
pub async fn score_rows(
    model: &SavedModel,
    dataset: &Dataset,
    rows: &[u32],
    device: &Device,
) -> Result<Vec<f32>, ScoreError> {
    let matrix = model.meta.scaler.transform(dataset, rows)?;
    let scored = score(
        &model.detector,
        device,
        &matrix,
        &model.meta.error_weights,
        ScoreOptions::default(),
    )
    .await?;
    Ok(scored.scores)
}

/// Scores `rows` of `dataset` with `model` and measures the scores at the model's threshold;
/// returns the scores too, for charts of them.
pub async fn evaluate_rows(
    model: &SavedModel,
    dataset: &Dataset,
    rows: &[u32],
    device: &Device,
) -> Result<(Evaluation, Vec<f32>), ScoreError> {
    let scores = score_rows(model, dataset, rows, device).await?;
    let labels: Vec<u16> = rows
        .iter()
        .map(|&row| dataset.labels[row as usize])
        .collect();
    let evaluation = evaluate(&scores, &labels, &dataset.label_names, model.meta.threshold);
    Ok((evaluation, scores))
}
