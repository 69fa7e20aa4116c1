//! What the agent sees of a flow, built from the autoencoder's view of it (by the fold model that
//! did not fit it, for a flow the model fitted; see [`crate::model::score::held_out`]):
//!
//! 1. `ln(score / threshold)`: the anomaly score relative to the model's threshold (0 at the
//!    threshold, negative below), so one number carries what a fixed threshold would use;
//! 2. the latent code (the bottleneck, or the VAE's mean code): where the flow sits among the
//!    kinds of traffic the model learnt;
//! 3. per feature, `ln(1 + weighted squared error)`: which features the model failed to rebuild.
//!
//! Every value is clamped to ±10 so one extreme flow cannot blow up a network's inputs.

use burn::prelude::Device;

use super::env::FlowPool;
use crate::data::dataset::Dataset;
use crate::model::saved::SavedModel;
use crate::model::score::held_out::score_honestly;
use crate::model::score::{ScoreError, ScoreOptions};

/// Largest magnitude of an observation value.
const CLAMP: f32 = 10.0;

/// The observations of `rows` of `dataset` under `model`, with their scores and labels.
pub async fn pool(
    model: &SavedModel,
    device: &Device,
    dataset: &Dataset,
    rows: &[u32],
) -> Result<FlowPool, ScoreError> {
    let weights = &model.meta.error_weights;
    let scored = score_honestly(
        model,
        dataset,
        rows,
        device,
        ScoreOptions {
            errors: true,
            latent: true,
            reconstruction: false,
        },
    )
    .await?;
    // A detector that rebuilds nothing (the Isolation Forest) gives the agent its score alone.
    let features = scored.errors.len() / rows.len().max(1);
    let latent = scored.latent_width;
    let width = 1 + latent + features;
    let threshold = f64::from(model.meta.threshold).max(1e-12);
    let mut observations = Vec::with_capacity(rows.len() * width);
    for (index, &flow_score) in scored.scores.iter().enumerate() {
        let relative = (f64::from(flow_score).max(1e-12) / threshold).ln() as f32;
        observations.push(relative.clamp(-CLAMP, CLAMP));
        observations.extend(
            scored.latent[index * latent..(index + 1) * latent]
                .iter()
                .map(|value| value.clamp(-CLAMP, CLAMP)),
        );
        observations.extend(
            scored.errors[index * features..(index + 1) * features]
                .iter()
                .zip(weights)
                .map(|(error, weight)| (error * weight).ln_1p().clamp(-CLAMP, CLAMP)),
        );
    }
    let families = dataset.label_families();
    let families: Vec<_> = rows
        .iter()
        .map(|&row| families[dataset.labels[row as usize] as usize])
        .collect();
    Ok(FlowPool {
        observations,
        scores: scored.scores,
        width,
        attack: families.iter().map(|family| family.is_attack()).collect(),
        families,
    })
}
