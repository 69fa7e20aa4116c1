//! From a loaded dataset to a model ready to save: the content split, the scaler fitted on the
//! benign training flows, the training run, and the threshold chosen on validation flows. Shared
//! by `netsentry train` and the app's worker so both train the same way.

use burn::prelude::Device;
use serde::{Deserialize, Serialize};

use super::classic::Classic;
use super::config::{ModelConfig, ModelKind};
use super::detector::Detector;
use super::ensemble::Ensemble;
use super::saved::{FORMAT_VERSION, ModelMeta, SavedModel};
use super::score::{ScoreError, ScoreOptions, error_weight, score};
use super::train::{EpochLoss, TrainConfig, TrainError, Trainer};
use super::weights::WeightError;
use crate::data::dataset::Dataset;
use crate::data::prepare::{
    Scaler, Share, SplitFractions, benign_rows, content_share, content_split,
};
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
    /// The validation flows could not be scored to set the threshold and error weights.
    #[error(transparent)]
    Score(#[from] ScoreError),
    /// The flows given hold no benign validation flow to set a threshold on (not those the
    /// run was planned on).
    #[error(
        "no benign validation flows to set the threshold on: finish a run on the flows it started on"
    )]
    NoBenignValidation,
}

/// Everything a user can choose about a training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitOptions {
    /// The network.
    pub model: ModelConfig,
    /// The optimiser and its schedule.
    pub train: TrainConfig,
    /// Shares of the flows to fit on and to validate on; the rest is held out. The split is
    /// by content (see [`content_share`]), seeded with `train.seed`.
    pub split: SplitFractions,
    /// How the threshold is chosen on the validation flows.
    pub threshold_rule: ThresholdRule,
    /// Weigh each feature's error by how well it is rebuilt on benign validation flows (see
    /// [`ModelMeta::error_weights`]) instead of a plain mean squared error.
    pub normalise_errors: bool,
}

impl Default for FitOptions {
    fn default() -> Self {
        Self {
            model: ModelConfig::default(),
            train: TrainConfig::default(),
            split: SplitFractions::default(),
            threshold_rule: ThresholdRule::default(),
            normalise_errors: true,
        }
    }
}

/// What a run keeps besides the trainer: the scaler and the validation flows.
pub struct Plan {
    /// Fitted on the benign training flows.
    pub scaler: Scaler,
    /// Benign flows fitted on.
    pub train_rows: u64,
    /// The optimiser settings the run uses: the user's, sized to `train_rows` where the user
    /// left them to the defaults (see [`TrainConfig::sized_for`]).
    pub train: TrainConfig,
    /// Validation flows of every label (the threshold may use attacks).
    pub validation: Vec<u32>,
}

/// Splits `dataset`, fits the scaler and sets up a training run on `device` (for a network; see
/// [`fit_classic`] for the others).
pub fn start(
    device: &Device,
    dataset: &Dataset,
    options: &FitOptions,
) -> Result<(Plan, Trainer), TrainError> {
    if !options.model.kind.is_network() {
        return Err(TrainError::Config(format!(
            "{} is fitted in one pass, not trained over epochs",
            options.model.kind.title()
        )));
    }
    let (plan, train, validation_benign) = prepare(dataset, options)?;
    let trainer = Trainer::new(
        device,
        options.model.clone(),
        plan.train.clone(),
        plan.scaler.features.len(),
        train,
        validation_benign,
    )?;
    Ok((plan, trainer))
}

/// Fits the classic detector `options.model` asks for on the same benign training flows and
/// scaler a network would train on, and chooses its threshold the same way: one call, no epochs.
pub async fn fit_classic(
    device: &Device,
    dataset: &Dataset,
    options: &FitOptions,
) -> Result<(SavedModel, Option<String>), FitError> {
    if let Some(problem) = options.model.problem() {
        return Err(TrainError::Config(problem).into());
    }
    if options.model.kind.is_network() {
        return Err(TrainError::Config(format!(
            "the {} is trained over epochs, not fitted in one pass",
            options.model.kind.title().to_lowercase()
        ))
        .into());
    }
    let (plan, train, _) = prepare(dataset, options)?;
    let width = plan.scaler.features.len();
    let classic = Classic::fit(
        options.model.kind,
        &options.model.classic,
        &train,
        width,
        options.train.seed,
        device,
    )
    .await?;
    conclude(
        &plan,
        Detector::Classic(classic),
        None,
        dataset,
        options,
        device,
    )
    .await
}

/// The content split, the scaler fitted on the benign training flows, and the scaled benign
/// training and validation matrices.
fn prepare(
    dataset: &Dataset,
    options: &FitOptions,
) -> Result<(Plan, Vec<f32>, Vec<f32>), TrainError> {
    if let Some(problem) = options.split.problem() {
        return Err(TrainError::Config(problem));
    }
    let split = content_split(dataset, options.split, options.train.seed);
    let train = benign_rows(dataset, &split.train);
    let validation_benign = benign_rows(dataset, &split.validation);
    if train.is_empty() || validation_benign.is_empty() {
        return Err(TrainError::NoRows);
    }
    let scaler = Scaler::fit(dataset, &train);
    let matrix = |rows: &[u32]| {
        scaler
            .transform(dataset, rows)
            .expect("the scaler was fitted on this dataset's own features")
    };
    let (train_matrix, validation_matrix) = (matrix(&train), matrix(&validation_benign));
    let plan = Plan {
        train_rows: train.len() as u64,
        train: options.train.sized_for(train.len()),
        scaler,
        validation: split.validation,
    };
    Ok((plan, train_matrix, validation_matrix))
}

/// The trained model: the trainer's best weights (for the ensemble, with kNN and PCA fitted
/// beside them), with the threshold chosen on the validation flows (a rule that needs attacks
/// falls back to the default, a 1 % false-positive target, when there are none, and says so in
/// the returned note).
pub async fn finish(
    plan: &Plan,
    trainer: &Trainer,
    dataset: &Dataset,
    options: &FitOptions,
    device: &Device,
) -> Result<(SavedModel, Option<String>), FitError> {
    let best = trainer.progress().best;
    let network = trainer.network();
    let detector = if options.model.kind == ModelKind::Ensemble {
        // The same scaled benign flows the autoencoder trained and stopped on.
        let (train, validation) = trainer.flows();
        let width = plan.scaler.features.len();
        let seed = options.train.seed;
        let ensemble = Ensemble::fit(
            network,
            train,
            validation,
            width,
            &options.model,
            seed,
            device,
        );
        Detector::Ensemble(Box::new(ensemble.await?))
    } else {
        Detector::Network(network)
    };
    conclude(plan, detector, best, dataset, options, device).await
}

/// The model around a trained or fitted `detector`: its error weights and threshold from the
/// validation flows, and everything a file needs to score new flows the same way.
async fn conclude(
    plan: &Plan,
    detector: Detector,
    best: Option<EpochLoss>,
    dataset: &Dataset,
    options: &FitOptions,
    device: &Device,
) -> Result<(SavedModel, Option<String>), FitError> {
    let width = plan.scaler.features.len();
    let matrix = plan
        .scaler
        .transform(dataset, &plan.validation)
        .map_err(ScoreError::from)?;
    let attack = dataset.attack_mask();
    let attack: Vec<bool> = plan
        .validation
        .iter()
        .map(|&row| attack[row as usize])
        .collect();
    // Only networks weigh their errors: a classic detector is scored as its authors define it.
    let normalise = options.normalise_errors && options.model.kind.is_network();
    let unweighted = ScoreOptions {
        errors: normalise,
        ..ScoreOptions::default()
    };
    let unweighted = score(&detector, device, &matrix, &vec![1.0; width], unweighted)
        .await
        .map_err(ScoreError::from)?;
    let (error_weights, scores) = if normalise {
        let weights = normalising_weights(&unweighted.errors, &attack, width);
        // The weighted scores follow from the errors already read: no second pass through the
        // network. The ensemble has its own score; its weights only rank explanations.
        let scores = if detector.scores_itself() {
            unweighted.scores
        } else {
            unweighted
                .errors
                .chunks_exact(width)
                .map(|errors| {
                    errors
                        .iter()
                        .zip(&weights)
                        .map(|(error, weight)| error * weight)
                        .sum::<f32>()
                        / width as f32
                })
                .collect()
        };
        (weights, scores)
    } else {
        (vec![1.0; width], unweighted.scores)
    };
    let (rule, note) = match options.threshold_rule.choose(&scores, &attack) {
        Some(_) => (options.threshold_rule, None),
        None => (
            ThresholdRule::default(),
            Some(format!(
                "no attacks among the validation flows, so the threshold is the {} instead of the {}",
                ThresholdRule::default().describe(),
                options.threshold_rule.describe()
            )),
        ),
    };
    let threshold = rule
        .choose(&scores, &attack)
        .ok_or(FitError::NoBenignValidation)?;
    let meta = ModelMeta {
        format_version: FORMAT_VERSION,
        model: options.model.clone(),
        train: plan.train.clone(),
        scaler: plan.scaler.clone(),
        error_weights,
        threshold,
        threshold_rule: rule,
        split: options.split,
        split_seed: options.train.seed,
        train_rows: plan.train_rows,
        validation_rows: plan.validation.len() as u64,
        best,
    };
    Ok((SavedModel { meta, detector }, note))
}

/// Weights that make each feature's mean squared error on the benign rows of `errors` (row-major,
/// `width` wide) count alike, scaled to average 1; see [`ModelMeta::error_weights`].
fn normalising_weights(errors: &[f32], attack: &[bool], width: usize) -> Vec<f32> {
    let mut sums = vec![0.0f64; width];
    let mut rows = 0usize;
    for (row, errors) in errors.chunks_exact(width).enumerate() {
        if !attack[row] {
            rows += 1;
            for (sum, &error) in sums.iter_mut().zip(errors) {
                *sum += f64::from(error);
            }
        }
    }
    let raw: Vec<f64> = sums
        .iter()
        .map(|sum| error_weight(sum / rows.max(1) as f64))
        .collect();
    let mean = raw.iter().sum::<f64>() / width.max(1) as f64;
    raw.iter().map(|weight| (weight / mean) as f32).collect()
}

/// Whether a saved model trained or was tuned on `row` of `dataset` (matched by content), so an
/// honest evaluation leaves it out: benign flows of its training and validation shares, and the
/// validation attacks when its threshold rule looked at attacks.
pub fn used_by_model(
    meta: &ModelMeta,
    dataset: &Dataset,
    columns: &[usize],
    row: usize,
    is_attack: bool,
) -> bool {
    match content_share(dataset, columns, row, meta.split, meta.split_seed) {
        Share::Train => !is_attack,
        Share::Validation => !is_attack || meta.threshold_rule.uses_attacks(),
        Share::Test => false,
    }
}
