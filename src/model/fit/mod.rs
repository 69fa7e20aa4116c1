//! From a loaded dataset to a model ready to save: the benign flows folded for cross-fitting
//! (see [`self::cross_fit`]), the detector fitted on every one of them and on each fold's
//! complement, and the threshold, error weights and ensemble scales set on out-of-fold scores.
//! Shared by `netsentry train` and the app's worker so both train the same way.

pub mod cross_fit;
pub mod folds;
pub mod learning_curve;

use burn::prelude::Device;
use serde::{Deserialize, Serialize};

use self::folds::{DEFAULT_FOLDS, Folds};
use super::classic::Classic;
use super::config::{ConfigError, Family, ModelConfig, ModelKind};
use super::detector::Detector;
use super::ensemble::Ensemble;
use super::network::train::{EpochLoss, TrainConfig, TrainError};
use super::network::{Network, error_weight};
use super::saved::{FORMAT_VERSION, ModelMeta, SavedModel};
use super::score::{ScoreError, ScoreOptions, score};
use super::weights::WeightError;
use crate::data::dataset::Dataset;
use crate::data::prepare::{content_hash, fold_of};
use crate::metrics::threshold::ThresholdRule;

/// Why a trained network or a fitted classic detector could not become a model.
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    /// The flows or settings do not allow a run (no benign flows, invalid settings).
    #[error(transparent)]
    Start(#[from] TrainError),
    /// A classic detector's tables could not be built or read.
    #[error(transparent)]
    Weights(#[from] WeightError),
    /// The out-of-fold flows could not be scored to set the threshold and error weights.
    #[error(transparent)]
    Score(#[from] ScoreError),
    /// No fold holds a benign flow to set a threshold on.
    #[error(
        "no benign flow was scored out of fold, so no threshold can be set: give more benign flows"
    )]
    NoBenignScores,
}

/// Everything a user can choose about a training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitOptions {
    /// The network.
    pub model: ModelConfig,
    /// The optimiser and its schedule.
    pub train: TrainConfig,
    /// Cross-fitting folds (at least 2): each benign flow is scored by a model fitted on the
    /// other folds, and those scores set the threshold; the folds are by content (see
    /// [`crate::data::prepare::fold_of`]), seeded with `train.seed`.
    pub folds: usize,
    /// How the threshold is chosen on the out-of-fold scores.
    pub threshold_rule: ThresholdRule,
    /// Weigh each feature's error by how well it is rebuilt on benign flows the model did not fit
    /// (see [`ModelMeta::error_weights`]) instead of a plain mean squared error.
    pub normalise_errors: bool,
}

impl Default for FitOptions {
    fn default() -> Self {
        Self {
            model: ModelConfig::default(),
            train: TrainConfig::default(),
            folds: DEFAULT_FOLDS,
            threshold_rule: ThresholdRule::default(),
            normalise_errors: true,
        }
    }
}

/// A fitted model, and a sentence for the user when the threshold rule asked for could not be
/// used.
#[derive(Debug)]
pub struct Fitted {
    /// The model, ready to score and save.
    pub model: SavedModel,
    /// Why the threshold follows another rule than the one asked for, if it does.
    pub note: Option<String>,
}

/// Fits the classic detector `options.model` asks for on every benign flow and on each fold's
/// complement, and chooses its threshold on the out-of-fold scores: one call, no epochs.
pub async fn fit_classic(
    device: &Device,
    dataset: &Dataset,
    options: &FitOptions,
) -> Result<Fitted, FitError> {
    options.model.check().map_err(TrainError::from)?;
    let Family::Classic(kind) = options.model.kind.family() else {
        return Err(TrainError::from(ConfigError::NotFitted(options.model.kind)).into());
    };
    let folds = Folds::of(dataset, options)?;
    let fit = |matrix: Vec<f32>| {
        let config = &options.model.classic;
        async move {
            Classic::fit(
                kind,
                config,
                &matrix,
                folds.width,
                options.train.seed,
                device,
            )
            .await
            .map(Detector::Classic)
        }
    };
    let mut fold_detectors = Vec::with_capacity(folds.count);
    for fold in 0..folds.count {
        fold_detectors.push(fit(folds.part(fold, false)).await?);
    }
    let detector = fit(folds.all().to_vec()).await?;
    let sized = options.train.sized_for(folds.rows());
    conclude(
        &folds,
        fold_detectors,
        detector,
        None,
        sized,
        dataset,
        options,
        device,
    )
    .await
}

/// The model of a network's cross-fit (see [`self::cross_fit::CrossFit::finish`]): the fold
/// networks and the `last` one trained on every benign flow (for the ensemble, each completed
/// with kNN and PCA fitted on the same flows), calibrated on the out-of-fold scores.
pub(super) async fn networks(
    folds: &Folds,
    fold_networks: Vec<Network>,
    last: Network,
    best: Option<EpochLoss>,
    dataset: &Dataset,
    options: &FitOptions,
    device: &Device,
) -> Result<Fitted, FitError> {
    let complete = |network: Network, matrix: Vec<f32>| async move {
        if options.model.kind == ModelKind::Ensemble {
            let ensemble = Ensemble::fit(
                network,
                &matrix,
                folds.width,
                &options.model,
                options.train.seed,
                device,
            );
            Ok::<_, WeightError>(Detector::Ensemble(Box::new(ensemble.await?)))
        } else {
            Ok(Detector::Network(network))
        }
    };
    let mut fold_detectors = Vec::with_capacity(folds.count);
    for (fold, network) in fold_networks.into_iter().enumerate() {
        fold_detectors.push(complete(network, folds.part(fold, false)).await?);
    }
    let detector = complete(last, folds.all().to_vec()).await?;
    let train = options.train.clone();
    conclude(
        folds,
        fold_detectors,
        detector,
        best,
        train,
        dataset,
        options,
        device,
    )
    .await
}

/// The model around the final `detector` and its `fold_detectors`: the error weights (and the
/// ensemble's scales) from each fold's flows scored by the fold model that did not fit them,
/// the threshold on those scores, and everything a file needs to score new flows the same way.
#[allow(clippy::too_many_arguments)]
async fn conclude(
    folds: &Folds,
    mut fold_detectors: Vec<Detector>,
    mut detector: Detector,
    best: Option<EpochLoss>,
    train: TrainConfig,
    dataset: &Dataset,
    options: &FitOptions,
    device: &Device,
) -> Result<Fitted, FitError> {
    let width = folds.width;
    let inside: Vec<Vec<f32>> = (0..folds.count)
        .map(|fold| folds.part(fold, true))
        .collect();
    // Only networks weigh their errors, and the ensemble's autoencoder scales them: a classic
    // detector is scored as its authors define it.
    let network = options.model.kind.network().is_some();
    let errors = if network {
        let errors = out_of_fold_errors(&fold_detectors, &inside, width, device).await?;
        if errors.is_empty() {
            return Err(FitError::NoBenignScores);
        }
        errors
    } else {
        Vec::new()
    };
    let error_weights = if network && options.normalise_errors {
        normalising_weights(&errors, width)
    } else {
        vec![1.0; width]
    };
    if options.model.kind == ModelKind::Ensemble {
        calibrate_ensembles(&mut fold_detectors, &mut detector, &errors, &inside, width).await?;
    }
    let mut scores = if network && !detector.scores_itself() {
        // A network's score is its weighted mean squared error, which follows from the errors
        // already read: no second pass through the fold models.
        weighted_means(&errors, &error_weights)
    } else {
        scored_by_folds(&fold_detectors, &inside, &error_weights, device).await?
    };
    let mut attack = vec![false; scores.len()];
    if options.threshold_rule.uses_attacks() {
        let attacks = attacks_by_fold(folds, dataset, options.train.seed)?;
        scores.extend(scored_by_folds(&fold_detectors, &attacks, &error_weights, device).await?);
        attack.resize(scores.len(), true);
    }
    let (rule, threshold, note) = threshold_of(options.threshold_rule, &scores, &attack)?;
    let meta = ModelMeta {
        format_version: FORMAT_VERSION,
        model: options.model.clone(),
        train,
        scaler: folds.scaler.clone(),
        error_weights,
        threshold,
        threshold_rule: rule,
        folds: folds.count,
        fold_seed: options.train.seed,
        train_rows: folds.rows() as u64,
        fold_rows: (0..folds.count)
            .map(|fold| (folds.rows() - folds.inside(fold)) as u64)
            .collect(),
        best,
    };
    let model = SavedModel {
        meta,
        detector,
        folds: fold_detectors,
        fitted: folds.fitted.clone(),
    };
    Ok(Fitted { model, note })
}

/// Every benign flow's per-feature squared errors (row-major, `width` wide), each by the fold
/// network that did not fit it: the flows `inside` each fold, fold by fold.
async fn out_of_fold_errors(
    fold_detectors: &[Detector],
    inside: &[Vec<f32>],
    width: usize,
    device: &Device,
) -> Result<Vec<f32>, FitError> {
    let with_errors = ScoreOptions {
        errors: true,
        ..ScoreOptions::default()
    };
    let ones = vec![1.0; width];
    let mut errors = Vec::new();
    for (detector, matrix) in fold_detectors.iter().zip(inside) {
        errors.extend(
            score(detector, device, matrix, &ones, with_errors)
                .await?
                .errors,
        );
    }
    Ok(errors)
}

/// Each row's mean of its squared `errors` (row-major) weighed by `weights`: a network's score.
fn weighted_means(errors: &[f32], weights: &[f32]) -> Vec<f32> {
    errors
        .chunks_exact(weights.len())
        .map(|errors| {
            let weighted = errors.iter().zip(weights);
            weighted.map(|(error, weight)| error * weight).sum::<f32>() / weights.len() as f32
        })
        .collect()
}

/// The scores of each fold's flows (`matrices`, one per fold, scaled) by that fold's model, fold
/// by fold.
async fn scored_by_folds(
    fold_detectors: &[Detector],
    matrices: &[Vec<f32>],
    error_weights: &[f32],
    device: &Device,
) -> Result<Vec<f32>, FitError> {
    let mut scores = Vec::new();
    for (detector, matrix) in fold_detectors.iter().zip(matrices) {
        let scored = score(
            detector,
            device,
            matrix,
            error_weights,
            ScoreOptions::default(),
        );
        scores.extend(scored.await?.scores);
    }
    Ok(scores)
}

/// The attacks of `dataset`, scaled, in the fold their content falls in (content hashed with
/// `seed`), as an evaluation of these flows scores each (see `held_out`).
fn attacks_by_fold(folds: &Folds, dataset: &Dataset, seed: u64) -> Result<Vec<Vec<f32>>, FitError> {
    let columns: Vec<usize> = (0..dataset.columns.len()).collect();
    let mut rows = vec![Vec::new(); folds.count];
    for (row, is_attack) in dataset.attack_mask().into_iter().enumerate() {
        if is_attack {
            let hash = content_hash(dataset, &columns, row, seed);
            rows[fold_of(hash, folds.count)].push(row as u32);
        }
    }
    rows.iter()
        .map(|rows| {
            folds
                .scaler
                .transform(dataset, rows)
                .map_err(|missing| ScoreError::from(missing).into())
        })
        .collect()
}

/// The threshold `rule` sets on the out-of-fold `scores` (`attack` flags which are attacks),
/// with the rule used: the default one, and a note saying so, when `rule` needs attacks and
/// there are none.
fn threshold_of(
    rule: ThresholdRule,
    scores: &[f32],
    attack: &[bool],
) -> Result<(ThresholdRule, f32, Option<String>), FitError> {
    let (rule, note) = match rule.choose(scores, attack) {
        Some(_) => (rule, None),
        None => (
            ThresholdRule::default(),
            Some(format!(
                "no attacks among the flows, so the threshold is the {} instead of the {}",
                ThresholdRule::default().describe(),
                rule.describe()
            )),
        ),
    };
    let threshold = rule
        .choose(scores, attack)
        .ok_or(FitError::NoBenignScores)?;
    Ok((rule, threshold, note))
}

/// Puts the members of every ensemble (the fold ones and the final one) on one scale, from the
/// autoencoders' out-of-fold squared `errors` and each fold ensemble's member scores on the flows
/// `inside` its fold.
async fn calibrate_ensembles(
    fold_detectors: &mut [Detector],
    detector: &mut Detector,
    errors: &[f32],
    inside: &[Vec<f32>],
    width: usize,
) -> Result<(), WeightError> {
    let error_scale = Ensemble::error_scale_of(&mean_squared(errors, width));
    let unscaled = [0.0, 1.0].repeat(3);
    let mut members = Vec::new();
    for (fold, matrix) in fold_detectors.iter_mut().zip(inside) {
        if let Detector::Ensemble(ensemble) = fold {
            ensemble.calibrate(&error_scale, unscaled.clone());
            members.extend(ensemble.member_scores(matrix).await?);
        }
    }
    let scales = Ensemble::scales_of(&members);
    for ensemble in fold_detectors.iter_mut().chain(std::iter::once(detector)) {
        if let Detector::Ensemble(ensemble) = ensemble {
            ensemble.calibrate(&error_scale, scales.clone());
        }
    }
    Ok(())
}

/// Weights that make each feature's mean squared error on the benign rows of `errors`
/// (row-major, `width` wide, scored out of fold) count alike, scaled to average 1; see
/// [`ModelMeta::error_weights`].
fn normalising_weights(errors: &[f32], width: usize) -> Vec<f32> {
    let raw: Vec<f64> = mean_squared(errors, width)
        .into_iter()
        .map(error_weight)
        .collect();
    let mean = raw.iter().sum::<f64>() / width.max(1) as f64;
    raw.iter().map(|weight| (weight / mean) as f32).collect()
}

/// Each feature's mean over the rows of row-major squared `errors`, `width` wide.
fn mean_squared(errors: &[f32], width: usize) -> Vec<f64> {
    let rows = errors.len() / width.max(1);
    let mut sums = vec![0.0f64; width];
    for row in errors.chunks_exact(width) {
        for (sum, &error) in sums.iter_mut().zip(row) {
            *sum += f64::from(error);
        }
    }
    sums.iter().map(|sum| sum / rows.max(1) as f64).collect()
}
