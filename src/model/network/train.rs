//! Training as a step API: the caller asks for a few mini-batches at a time and gets progress
//! back, so the browser worker can interleave training with messages (pause, stop, reads) and the
//! CLI can draw a progress bar. Everything a run needs lives in [`Trainer`], so stopping is just
//! not calling [`Trainer::step`] again, and resuming is calling it.
//!
//! Adam with a cosine learning-rate decay, per-tensor gradient-norm clipping and L2 weight decay;
//! early stopping on the validation loss keeps the best weights. A NaN or infinite loss stops the
//! run with a message and keeps the last weights known to give a finite loss.
//!
//! No read from the device inside the loop over batches: each read is a round trip (milliseconds
//! on WebGPU in a browser), so the batches' losses are summed on the device and read once per
//! call to [`Trainer::step`] (one progress report), once more when an epoch ends inside it, and
//! once for the epoch's validation loss. NaN is found from those reads.

use burn::module::Module;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::{Device, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use web_time::Instant;

use super::Network;
use crate::model::config::{ConfigError, ModelConfig, NetworkKind};
use crate::model::weights::{NamedWeights, accumulate};

/// How a run trains. Defaults chosen by measurement (docs/models.md, "Models").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Passes over the training rows at most.
    pub epochs: usize,
    /// Rows per mini-batch.
    pub batch_size: usize,
    /// Adam's initial step size; it decays along a half cosine to 5 % of this by the last epoch.
    pub learning_rate: f64,
    /// L2 penalty on the weights (0 for none).
    pub weight_decay: f32,
    /// Largest gradient norm per weight tensor; larger ones are scaled down.
    pub gradient_clip: f32,
    /// Epochs without a better validation loss before stopping early.
    pub patience: usize,
    /// Seed for the initial weights, batch order, dropout and the VAE's draws.
    pub seed: u64,
    /// Whether `epochs`, `batch_size` and `learning_rate` are the defaults for a file of a few
    /// thousand flows, to be fitted to the rows by [`TrainConfig::sized_for`] when a run starts
    /// (set unless the user chose one of them; a saved model records the settings it used, with
    /// this off).
    #[serde(default)]
    pub sized_by_rows: bool,
}

/// Mini-batches an epoch should have at least before the batch grows: below 64 × 128 × 2 =
/// 16,384 fitted flows the batch stays at the default, so every sample file here trains as
/// measured in the "Batch size" table of docs/performance.md.
const STEPS_PER_EPOCH: usize = 64;

/// The largest batch sized by rows: the largest measured (docs/performance.md, "Batch size"), and where
/// training rows per second stop growing on the CPU backend.
const LARGEST_BATCH: usize = 1024;

/// Optimiser steps a run sized by rows aims at: about what the default run makes on the
/// 9,998-flow Friday file (47 batches × 60 epochs), which at batch 1024 fitted better than 60
/// epochs of 128 there (docs/performance.md, "Batch size"). It bounds a large file's training to about
/// 4 million rows, whatever its size.
const STEP_BUDGET: usize = 4096;

/// Epochs a run sized by rows makes at least, so the cosine decay and the choice of the best
/// epoch have a few epochs to work with.
const FEWEST_EPOCHS: usize = 4;

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 60,
            batch_size: 128,
            learning_rate: 2e-3,
            weight_decay: 1e-5,
            gradient_clip: 1.0,
            patience: 8,
            seed: 42,
            sized_by_rows: true,
        }
    }
}

impl TrainConfig {
    /// The settings a run on `rows` fitted flows uses. Unless the user chose them, a file with
    /// rows enough for [`STEPS_PER_EPOCH`] batches of twice the size gets the largest such
    /// power-of-two batch (up to [`LARGEST_BATCH`]; larger batches train more rows per second),
    /// the learning rate scaled with it linearly, and as many epochs as make about
    /// [`STEP_BUDGET`] steps (at least [`FEWEST_EPOCHS`], at most the default). Smaller files
    /// keep the defaults.
    pub fn sized_for(&self, rows: usize) -> Self {
        if !self.sized_by_rows {
            return self.clone();
        }
        let base = self.batch_size.max(1);
        let mut batch = base;
        while batch * 2 <= LARGEST_BATCH && rows >= batch * 2 * STEPS_PER_EPOCH {
            batch *= 2;
        }
        let steps_per_epoch = rows.div_ceil(batch).max(1);
        let epochs = if batch == base {
            self.epochs
        } else {
            STEP_BUDGET
                .div_ceil(steps_per_epoch)
                .clamp(FEWEST_EPOCHS, self.epochs.max(FEWEST_EPOCHS))
        };
        Self {
            epochs,
            batch_size: batch,
            learning_rate: self.learning_rate * (batch / base) as f64,
            sized_by_rows: false,
            ..self.clone()
        }
    }

    /// The learning rate during `epoch` (zero-based).
    pub fn learning_rate_at(&self, epoch: usize) -> f64 {
        let progress = epoch as f64 / self.epochs.max(1) as f64;
        let floor = 0.05;
        self.learning_rate
            * (floor + (1.0 - floor) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()))
    }
}

/// Why a run ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Finish {
    /// It ran every epoch.
    AllEpochs,
    /// The validation loss stopped improving.
    EarlyStopped,
    /// The loss became NaN or infinite (see [`TrainError::NotFinite`]).
    NotFinite,
}

/// Where a run stands, after a call to [`Trainer::step`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainProgress {
    /// The epoch being trained, zero-based (equal to `epochs` when done).
    pub epoch: usize,
    /// Epochs at most.
    pub epochs: usize,
    /// Mini-batches done in this epoch.
    pub batch: usize,
    /// Mini-batches per epoch.
    pub batches: usize,
    /// Rows per mini-batch (sized to the flows unless the user chose it).
    pub batch_size: usize,
    /// Mean training loss over this epoch's batches so far (the last epoch's when one just ended).
    pub train_loss: f32,
    /// One entry per finished epoch.
    pub history: Vec<EpochLoss>,
    /// The epoch whose weights are kept, and its validation loss.
    pub best: Option<EpochLoss>,
    /// Training rows so far (an epoch's last batch may be short), for rates over part of a run.
    pub rows: usize,
    /// Training rows per second over the whole run so far.
    pub rows_per_second: f64,
    /// Reads from the device so far (summed training losses and validation losses): what the
    /// module documentation promises, counted so a test can hold it to that.
    pub device_reads: usize,
    /// Training runs behind these figures: 1 for one [`Trainer`], the folds and the final run
    /// for a cross-fit (see [`crate::model::fit::cross_fit`]).
    pub runs: usize,
    /// Set once the run is over.
    pub finished: Option<Finish>,
}

impl TrainProgress {
    /// Where the run stands in one line, the same on the page and on the command line: the
    /// epoch, the training and out-of-fold losses and the pace.
    pub fn line(&self) -> String {
        let validation = self
            .history
            .last()
            .map_or_else(|| "–".to_owned(), |last| format!("{:.4}", last.validation));
        format!(
            "epoch {} of {}, train loss {:.4}, out-of-fold loss {validation}, {:.0} rows/s",
            (self.epoch + 1).min(self.epochs),
            self.epochs,
            self.train_loss,
            self.rows_per_second
        )
    }
}

/// The losses at the end of one epoch.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochLoss {
    /// Zero-based epoch.
    pub epoch: usize,
    /// Mean training loss over its batches.
    pub train: f32,
    /// Loss on the validation rows after it.
    pub validation: f32,
}

/// Why training stopped with an error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum TrainError {
    /// There are no training or no validation rows.
    #[error(
        "nothing to train on: cross-fitting needs BENIGN flows in at least two of its folds; give more benign flows"
    )]
    NoRows,
    /// The loss became NaN or infinite; the last finite weights are kept.
    #[error(
        "the loss became NaN or infinite in epoch {}, by batch {}; training stopped and kept the last good weights (try a lower learning rate)",
        epoch + 1,
        batch + 1
    )]
    NotFinite {
        /// Zero-based epoch.
        epoch: usize,
        /// Zero-based batch within it by which the loss had become non-finite (losses are read
        /// once per call to [`Trainer::step`], not per batch).
        batch: usize,
    },
    /// The device could not read a loss back.
    #[error("could not read the loss from the device: {0}; try training on the CPU backend")]
    Read(String),
    /// The model's settings are invalid.
    #[error("invalid model settings: {0}")]
    Config(#[from] ConfigError),
}

/// Adam with the run's gradient clipping and weight decay.
fn optimiser(config: &TrainConfig) -> ModuleOptimizer {
    let mut adam = AdamConfig::new()
        .with_grad_clipping(Some(GradientClippingConfig::Norm(config.gradient_clip)));
    if config.weight_decay > 0.0 {
        adam = adam.with_weight_decay(Some(WeightDecayConfig::new(config.weight_decay)));
    }
    adam.init()
}

/// A run's weights copied to host memory at the end of an epoch: what training goes on from on
/// another device when its own is lost (a GPU reset, a browser reclaiming the adapter).
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    /// Epochs finished when it was taken.
    epochs: usize,
    /// The weights then.
    current: NamedWeights,
    /// The best epoch so far and its weights.
    best: Option<(EpochLoss, NamedWeights)>,
}

impl Checkpoint {
    /// Epochs finished when it was taken.
    pub fn epochs(&self) -> usize {
        self.epochs
    }
}

/// A training run in progress.
pub struct Trainer {
    device: Device,
    model: ModelConfig,
    /// The network `model`'s kind trains (the autoencoder for the ensemble).
    kind: NetworkKind,
    config: TrainConfig,
    width: usize,
    network: Network,
    /// Weights known to give a finite loss (the initial or resumed ones, or those the last
    /// batch of the last finite read was computed with): restored if a later loss is NaN.
    last_finite: Network,
    /// The weights the latest batch's loss was computed with, not yet read.
    unread_weights: Option<Network>,
    /// The sum of the losses of the batches trained since the last read, on the device.
    unread_losses: Option<Tensor<1>>,
    /// Reads from the device so far.
    reads: usize,
    optimiser: ModuleOptimizer,
    train: Vec<f32>,
    validation: Vec<f32>,
    order: Vec<usize>,
    rng: StdRng,
    epoch: usize,
    batch: usize,
    loss_sum: f64,
    history: Vec<EpochLoss>,
    best: Option<(EpochLoss, Network)>,
    rows_done: usize,
    busy_seconds: f64,
    finished: Option<Finish>,
}

impl Trainer {
    /// Prepares a run on `device` (an autodiff device is made from it) for row-major matrices of
    /// `width` scaled features.
    pub fn new(
        device: &Device,
        model: ModelConfig,
        config: TrainConfig,
        width: usize,
        train: Vec<f32>,
        validation: Vec<f32>,
    ) -> Result<Self, TrainError> {
        model.check()?;
        let Some(kind) = model.kind.network() else {
            return Err(ConfigError::NotTrained(model.kind).into());
        };
        if width == 0 || train.is_empty() || validation.is_empty() {
            return Err(TrainError::NoRows);
        }
        let device = device.clone().autodiff();
        device.seed(config.seed);
        let network = Network::new(width, kind, &model, &device);
        let optimiser = optimiser(&config);
        let rows = train.len() / width;
        Ok(Self {
            device,
            rng: StdRng::seed_from_u64(config.seed),
            model,
            kind,
            config,
            width,
            last_finite: network.clone(),
            network,
            unread_weights: None,
            unread_losses: None,
            reads: 0,
            optimiser,
            train,
            validation,
            order: (0..rows).collect(),
            epoch: 0,
            batch: 0,
            loss_sum: 0.0,
            history: Vec::new(),
            best: None,
            rows_done: 0,
            busy_seconds: 0.0,
            finished: None,
        })
    }

    fn rows(&self) -> usize {
        self.train.len() / self.width
    }

    fn batches(&self) -> usize {
        self.rows().div_ceil(self.config.batch_size.max(1))
    }

    /// Trains up to `batches` mini-batches (fewer at the end of the run) and says where the run
    /// stands. Ends an epoch with a validation pass when its last batch is done.
    pub async fn step(&mut self, batches: usize) -> Result<TrainProgress, TrainError> {
        let started = Instant::now();
        for _ in 0..batches {
            if self.finished.is_some() {
                break;
            }
            if self.batch == 0 {
                self.order.shuffle(&mut self.rng);
                self.loss_sum = 0.0;
            }
            self.train_batch();
            self.batch += 1;
            if self.batch == self.batches() {
                self.end_epoch().await?;
            }
        }
        let read = self.read_losses().await;
        self.busy_seconds += started.elapsed().as_secs_f64();
        read?;
        Ok(self.progress())
    }

    /// One optimiser step on the next mini-batch; its loss joins the unread sum on the device.
    fn train_batch(&mut self) {
        let size = self.config.batch_size.max(1);
        let rows = &self.order[self.batch * size..((self.batch + 1) * size).min(self.order.len())];
        let mut values = Vec::with_capacity(rows.len() * self.width);
        for &row in rows {
            values.extend_from_slice(&self.train[row * self.width..(row + 1) * self.width]);
        }
        let input = Tensor::<2>::from_data(
            TensorData::new(values, [rows.len(), self.width]),
            &self.device,
        );
        let loss = self.network.loss(input, self.model.kl_weight, true);
        self.unread_losses = Some(accumulate(self.unread_losses.take(), loss.clone().detach()));
        self.unread_weights = Some(self.network.clone());
        self.rows_done += rows.len();
        let gradients = GradientsParams::from_grads(loss.backward(), &self.network);
        let network = self.network.clone();
        self.network =
            self.optimiser
                .step(self.config.learning_rate_at(self.epoch), network, gradients);
    }

    /// Reads the losses summed since the last read (one read) into the epoch's sum. A NaN or
    /// infinite sum ends the run with the weights of the last read that was finite.
    async fn read_losses(&mut self) -> Result<(), TrainError> {
        let Some(losses) = self.unread_losses.take() else {
            return Ok(());
        };
        let sum = self.read(losses).await?;
        if !sum.is_finite() {
            return Err(self.stop_on_nan());
        }
        self.loss_sum += f64::from(sum);
        if let Some(weights) = self.unread_weights.take() {
            self.last_finite = weights;
        }
        Ok(())
    }

    async fn end_epoch(&mut self) -> Result<(), TrainError> {
        self.read_losses().await?;
        let validation = self.validation_loss().await?;
        let record = EpochLoss {
            epoch: self.epoch,
            train: (self.loss_sum / self.batches() as f64) as f32,
            validation,
        };
        self.history.push(record);
        let improved = self
            .best
            .as_ref()
            .is_none_or(|(best, _)| validation < best.validation);
        if improved {
            self.best = Some((record, self.network.clone()));
        }
        self.epoch += 1;
        self.batch = 0;
        let since_best = self
            .best
            .as_ref()
            .map_or(0, |(best, _)| self.epoch - 1 - best.epoch);
        if since_best >= self.config.patience {
            self.finished = Some(Finish::EarlyStopped);
        } else if self.epoch >= self.config.epochs {
            self.finished = Some(Finish::AllEpochs);
        }
        Ok(())
    }

    /// Ends the run after a non-finite loss, going back to the last weights with a finite one.
    /// Called once the last batch of the read is counted, so that batch is the one named.
    fn stop_on_nan(&mut self) -> TrainError {
        self.network = self.last_finite.clone();
        self.unread_weights = None;
        self.finished = Some(Finish::NotFinite);
        TrainError::NotFinite {
            epoch: self.epoch,
            batch: self.batch.saturating_sub(1),
        }
    }

    /// The training objective on the validation rows, without dropout or sampling: summed over
    /// chunks on the device and read once.
    async fn validation_loss(&mut self) -> Result<f32, TrainError> {
        let network = self.network.valid();
        let device = self.device.clone().inner();
        let rows = self.validation.len() / self.width;
        let chunk = 4096;
        let mut total: Option<Tensor<1>> = None;
        for start in (0..rows).step_by(chunk) {
            let end = (start + chunk).min(rows);
            let input = Tensor::<2>::from_data(
                TensorData::new(
                    self.validation[start * self.width..end * self.width].to_vec(),
                    [end - start, self.width],
                ),
                &device,
            );
            let loss = network.loss(input, self.model.kl_weight, false) * (end - start) as f32;
            total = Some(accumulate(total, loss));
        }
        let Some(total) = total else {
            return Err(TrainError::NoRows);
        };
        let total = self.read(total).await?;
        if !total.is_finite() {
            return Err(self.stop_on_nan());
        }
        Ok(total / rows as f32)
    }

    /// The value of a one-element tensor: one read from the device, counted.
    async fn read(&mut self, value: Tensor<1>) -> Result<f32, TrainError> {
        self.reads += 1;
        value
            .into_scalar_async::<f32>()
            .await
            .map_err(|error| TrainError::Read(format!("{error:?}")))
    }

    /// Copies the weights to host memory (asynchronous reads, as WebGPU requires). Take it
    /// between steps, after an epoch ends.
    pub async fn checkpoint(&self) -> Result<Checkpoint, TrainError> {
        let read = |error: crate::model::weights::WeightError| TrainError::Read(error.to_string());
        let current = self.network.weights().await.map_err(read)?;
        let best = match &self.best {
            Some((record, network)) => Some((*record, network.weights().await.map_err(read)?)),
            None => None,
        };
        Ok(Checkpoint {
            epochs: self.history.len(),
            current,
            best,
        })
    }

    /// Goes on from `checkpoint` on `device`: its weights, its best epoch, the same batch order
    /// and schedule, and a fresh optimiser (Adam's moments stayed on the old device). Epochs after
    /// the checkpoint are trained again.
    pub fn resume_on(
        &mut self,
        device: &Device,
        checkpoint: &Checkpoint,
    ) -> Result<(), TrainError> {
        let device = device.clone().autodiff();
        let network = |weights: &NamedWeights| {
            Network::from_weights(self.width, self.kind, &self.model, weights, &device)
                .map_err(|error| TrainError::Read(error.to_string()))
        };
        let current = network(&checkpoint.current)?;
        let best = match &checkpoint.best {
            Some((record, weights)) => Some((*record, network(weights)?)),
            None => None,
        };
        self.last_finite = current.clone();
        self.network = current;
        self.best = best;
        self.device = device;
        self.optimiser = optimiser(&self.config);
        self.unread_weights = None;
        self.unread_losses = None;
        self.history.truncate(checkpoint.epochs);
        self.epoch = checkpoint.epochs;
        self.batch = 0;
        self.loss_sum = 0.0;
        self.finished = None;
        Ok(())
    }

    /// Where the run stands.
    pub fn progress(&self) -> TrainProgress {
        TrainProgress {
            epoch: self.epoch,
            epochs: self.config.epochs,
            batch: self.batch,
            batches: self.batches(),
            batch_size: self.config.batch_size,
            train_loss: if self.batch > 0 {
                (self.loss_sum / self.batch as f64) as f32
            } else {
                self.history.last().map_or(f32::NAN, |last| last.train)
            },
            history: self.history.clone(),
            best: self.best.as_ref().map(|(best, _)| *best),
            rows: self.rows_done,
            rows_per_second: self.rows_done as f64 / self.busy_seconds.max(1e-9),
            device_reads: self.reads,
            runs: 1,
            finished: self.finished.clone(),
        }
    }

    /// The network to score with: the best epoch's weights, or the current ones before any
    /// epoch has ended; on the plain (non-autodiff) device, without dropout.
    pub fn network(&self) -> Network {
        self.best
            .as_ref()
            .map_or(&self.network, |(_, network)| network)
            .valid()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_files_keep_the_defaults_and_large_ones_take_larger_batches_and_fewer_epochs() {
        let defaults = TrainConfig::default();
        let small = defaults.sized_for(16_383);
        assert_eq!(
            (small.epochs, small.batch_size, small.learning_rate),
            (60, 128, 2e-3)
        );
        assert!(!small.sized_by_rows, "a run records the settings it used");

        let first_larger = defaults.sized_for(16_384);
        assert_eq!((first_larger.batch_size, first_larger.epochs), (256, 60));
        assert!((first_larger.learning_rate - 4e-3).abs() < 1e-12);

        // The ingest benchmark's file with every row kept fits about 500,000 flows.
        let large = defaults.sized_for(500_000);
        assert_eq!((large.batch_size, large.epochs), (1024, 9));
        assert!((large.learning_rate - 1.6e-2).abs() < 1e-12);
        assert!(large.epochs * 500_000usize.div_ceil(1024) >= STEP_BUDGET);

        let huge = defaults.sized_for(5_000_000);
        assert_eq!((huge.batch_size, huge.epochs), (1024, FEWEST_EPOCHS));
    }

    #[test]
    fn settings_the_user_chose_are_kept_whatever_the_rows() {
        let chosen = TrainConfig {
            batch_size: 64,
            epochs: 7,
            sized_by_rows: false,
            ..TrainConfig::default()
        };
        assert_eq!(chosen.sized_for(1_000_000), chosen);
    }
}
