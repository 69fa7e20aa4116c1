//! Honest scores of a saved model: no flow is scored by a model that fitted it. The final model
//! fitted every benign flow of its files, recognised by their content fingerprints (see
//! [`crate::data::prepare::content_hash`]).
//!
//! - Flows most of whose benign ones the final model fitted (its own files) are scored by
//!   cross-fitting: each flow, benign or attack, by the fold model its content falls in, which
//!   did not fit it; benign and attack flows are scored by models of the same size (the final
//!   model, fitted on a third more flows, would put attacks nearer the benign flows it knows than
//!   the fold models put the benign flows themselves).
//! - Other flows (another file, another day) are scored by the final model, as in use, except the
//!   few it fitted (real captures repeat small flows exactly), each by the fold model that did
//!   not fit it.
//!
//! Shared by `netsentry eval`, `score` and `watch`, the agent's flows and the page.

use burn::prelude::Device;

use super::{ScoreError, ScoreOptions, Scored, score};
use crate::data::dataset::Dataset;
use crate::data::prepare::{MissingFeatures, content_hash, fold_of};
use crate::metrics::evaluation::{Evaluation, evaluate};
use crate::model::detector::Detector;
use crate::model::saved::SavedModel;

/// Which of a model's detectors scores each of a set of flows, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Routing {
    /// Per flow, `Some` fold model or `None`, the final model.
    pub scorers: Vec<Option<usize>>,
    /// Benign flows the final model fitted (their fingerprints are in the model).
    pub fitted: usize,
    /// Whether most benign flows were fitted: the model's own files, scored by cross-fitting.
    pub own_files: bool,
}

/// Which of a model's detectors scores each of `rows` (see the module documentation).
pub fn routing(
    model: &SavedModel,
    dataset: &Dataset,
    rows: &[u32],
) -> Result<Routing, MissingFeatures> {
    let columns = model.meta.scaler.columns_in(dataset)?;
    let attack = dataset.attack_mask();
    let flows: Vec<(u64, bool)> = rows
        .iter()
        .map(|&row| {
            let hash = content_hash(dataset, &columns, row as usize, model.meta.fold_seed);
            let fitted = !attack[row as usize] && model.fitted.binary_search(&hash).is_ok();
            (hash, fitted)
        })
        .collect();
    let fitted = flows.iter().filter(|(_, fitted)| *fitted).count();
    let benign = rows.iter().filter(|&&row| !attack[row as usize]).count();
    let own_files = !model.folds.is_empty() && 2 * fitted > benign;
    let scorers = flows
        .into_iter()
        .map(|(hash, fitted)| (own_files || fitted).then(|| fold_of(hash, model.meta.folds)))
        .collect();
    Ok(Routing {
        scorers,
        fitted,
        own_files,
    })
}

/// The detector that scores flow `row` of `dataset` honestly among all the dataset's flows (see
/// the module documentation): what explains it too, so an explanation matches the score shown
/// beside the flow.
pub fn scorer_of<'m>(
    model: &'m SavedModel,
    dataset: &Dataset,
    row: u32,
) -> Result<&'m Detector, MissingFeatures> {
    let rows: Vec<u32> = (0..dataset.rows() as u32).collect();
    let scorers = routing(model, dataset, &rows)?.scorers;
    Ok(match scorers.get(row as usize).copied().flatten() {
        Some(fold) => &model.folds[fold],
        None => &model.detector,
    })
}

/// `rows` of `dataset` scored honestly (see the module documentation), with what `options`
/// asks for besides the scores, in the order of `rows`.
pub async fn score_honestly(
    model: &SavedModel,
    dataset: &Dataset,
    rows: &[u32],
    device: &Device,
    options: ScoreOptions,
) -> Result<Scored, ScoreError> {
    let scorers = routing(model, dataset, rows)?.scorers;
    score_routed(model, dataset, rows, &scorers, device, options).await
}

/// `rows` of `dataset`, each scored by its scorer in `scorers` (from [`routing`], which may have
/// looked at more flows than these: a file scored in batches is routed once, as a whole), with
/// what `options` asks for besides the scores, in the order of `rows`.
pub async fn score_routed(
    model: &SavedModel,
    dataset: &Dataset,
    rows: &[u32],
    scorers: &[Option<usize>],
    device: &Device,
    options: ScoreOptions,
) -> Result<Scored, ScoreError> {
    let width = model.meta.scaler.features.len();
    let mut merged = Scored {
        scores: vec![0.0; rows.len()],
        ..Scored::default()
    };
    // One group per detector: the final model's flows, then each fold's.
    let groups = std::iter::once((None, &model.detector)).chain(
        model
            .folds
            .iter()
            .enumerate()
            .map(|(fold, d)| (Some(fold), d)),
    );
    for (scorer, detector) in groups {
        let positions: Vec<usize> = (0..rows.len())
            .filter(|&index| scorers[index] == scorer)
            .collect();
        if positions.is_empty() {
            continue;
        }
        let group: Vec<u32> = positions.iter().map(|&index| rows[index]).collect();
        let matrix = model.meta.scaler.transform(dataset, &group)?;
        let weights = &model.meta.error_weights;
        let scored = score(detector, device, &matrix, weights, options).await?;
        merged.latent_width = scored.latent_width;
        place(&mut merged, &scored, &positions, rows.len(), width);
    }
    Ok(merged)
}

/// Puts a group's `scored` rows at their `positions` among `rows` in `merged`.
fn place(merged: &mut Scored, scored: &Scored, positions: &[usize], rows: usize, width: usize) {
    let latent = scored.latent_width;
    let spread = |into: &mut Vec<f32>, from: &[f32], each: usize| {
        if from.is_empty() {
            return;
        }
        into.resize(rows * each, 0.0);
        for (index, &position) in positions.iter().enumerate() {
            into[position * each..(position + 1) * each]
                .copy_from_slice(&from[index * each..(index + 1) * each]);
        }
    };
    spread(&mut merged.scores, &scored.scores, 1);
    spread(&mut merged.errors, &scored.errors, width);
    spread(&mut merged.latent, &scored.latent, latent);
    spread(&mut merged.reconstruction, &scored.reconstruction, width);
}

/// The anomaly scores of `rows` of `dataset` under `model`, honestly (see the module
/// documentation).
pub async fn score_rows(
    model: &SavedModel,
    dataset: &Dataset,
    rows: &[u32],
    device: &Device,
) -> Result<Vec<f32>, ScoreError> {
    let scored = score_honestly(model, dataset, rows, device, ScoreOptions::default()).await?;
    Ok(scored.scores)
}

/// Scores `rows` of `dataset` with `model` honestly and measures the scores at the model's
/// threshold; returns the scores too, for charts of them.
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
