//! Cross-fitting: every benign flow a user gives is fitted by the final model, and every one is
//! also scored by a model that did not fit it. The benign flows fall into folds by content (see
//! [`crate::data::prepare::fold_of`]); fold model `i` is fitted on the flows outside fold `i` and scores the flows
//! inside it. Those out-of-fold scores set the threshold, the error weights and the ensemble's
//! scales ([`super`]), and an evaluation on the same files scores each fitted flow with its
//! fold model ([`crate::model::score::held_out`]). No flow is set aside: more normal traffic fitted is what
//! raises detection most (docs/learning-curve.md).
//!
//! A network's runs are trained in turn, an epoch at a time, so a Stop leaves every run at about
//! the same epoch and the model can be finished at once. Each fold run stops early on the loss of
//! its own fold (flows it does not fit); the final run has no flows to stop on, so it trains as
//! many epochs as the fold runs' median best epoch, and never more than the fold runs have
//! already shown to be worth it.

use burn::prelude::Device;

use super::folds::Folds;
use super::{FitOptions, Fitted};
use crate::data::dataset::Dataset;
use crate::model::config::ConfigError;
use crate::model::network::Network;
use crate::model::network::train::{
    Checkpoint, EpochLoss, Finish, TrainConfig, TrainError, TrainProgress, Trainer,
};

/// Flows of its own training rows the final run reports its loss on (it has no others).
const FINAL_LOSS_ROWS: usize = 4096;

/// A network's cross-fit in progress: one training run per fold, then the final run on every
/// benign flow, trained in turn a few batches at a time (the same step API as [`Trainer`]).
pub struct CrossFit {
    options: FitOptions,
    folds: Folds,
    /// The fold runs, then the final run.
    runs: Vec<Trainer>,
    /// The fold run whose turn it is.
    turn: usize,
    /// The run trained by the latest step, whose batch and loss the progress reports.
    latest: usize,
    /// Set by [`CrossFit::stop`]: no run trains again.
    stopped: bool,
}

impl CrossFit {
    /// Folds the benign flows of `dataset` and sets up every run on `device`.
    pub fn start(
        device: &Device,
        dataset: &Dataset,
        options: &FitOptions,
    ) -> Result<Self, TrainError> {
        if options.model.kind.network().is_none() {
            return Err(ConfigError::NotTrained(options.model.kind).into());
        }
        let folds = Folds::of(dataset, options)?;
        // Every run uses the settings sized for a fold run's flows, so the final run's epochs
        // mean what the fold runs' do.
        let fold_rows = folds.rows() - folds.rows() / folds.count;
        let train = options.train.sized_for(fold_rows);
        let mut runs = Vec::with_capacity(folds.count + 1);
        for fold in 0..folds.count {
            let fitted = folds.part(fold, false);
            // A fold without flows (few benign flows) stops on its training flows instead.
            let stop_on = if folds.inside(fold) > 0 {
                folds.part(fold, true)
            } else {
                fitted.clone()
            };
            let config = TrainConfig {
                seed: train.seed.wrapping_add(1 + fold as u64),
                ..train.clone()
            };
            runs.push(Trainer::new(
                device,
                options.model.clone(),
                config,
                folds.width,
                fitted,
                stop_on,
            )?);
        }
        let every = folds.rows().div_ceil(FINAL_LOSS_ROWS).max(1);
        let reported: Vec<f32> = folds
            .all()
            .chunks_exact(folds.width)
            .step_by(every)
            .flatten()
            .copied()
            .collect();
        let final_config = TrainConfig {
            patience: train.epochs,
            ..train.clone()
        };
        runs.push(Trainer::new(
            device,
            options.model.clone(),
            final_config,
            folds.width,
            folds.all().to_vec(),
            reported,
        )?);
        Ok(Self {
            options: FitOptions {
                train,
                ..options.clone()
            },
            folds,
            runs,
            turn: 0,
            latest: 0,
            stopped: false,
        })
    }

    /// The settings every run uses (sized to a fold run's flows unless the user chose them).
    pub fn train_config(&self) -> &TrainConfig {
        &self.options.train
    }

    /// The folds and the scaled benign flows.
    pub fn folds(&self) -> &Folds {
        &self.folds
    }

    fn fold_runs(&self) -> &[Trainer] {
        &self.runs[..self.folds.count]
    }

    fn final_run(&self) -> &Trainer {
        &self.runs[self.folds.count]
    }

    /// Epochs the final run may have trained: the lower median over the fold runs of their best
    /// epoch (counted from 1), each as far as it is known (a run still training can only find a
    /// later best).
    fn final_epochs(&self) -> usize {
        let mut best: Vec<usize> = self
            .fold_runs()
            .iter()
            .map(|run| run.progress().best.map_or(0, |best| best.epoch + 1))
            .collect();
        best.sort_unstable();
        best[(best.len() - 1) / 2]
    }

    fn folds_done(&self) -> bool {
        self.fold_runs()
            .iter()
            .all(|run| run.progress().finished.is_some())
    }

    fn final_done(&self) -> bool {
        let progress = self.final_run().progress();
        progress.finished.is_some()
            || (self.folds_done() && progress.history.len() >= self.final_epochs())
    }

    /// Whether every run is over (or the cross-fit was stopped).
    pub fn is_done(&self) -> bool {
        self.stopped || (self.folds_done() && self.final_done())
    }

    /// Ends every run where it stands: the fold runs keep their best epochs and the final run
    /// the epochs it has, so the model can be finished at once.
    pub fn stop(&mut self) {
        self.stopped = true;
    }

    /// Trains up to `batches` mini-batches of one run, never past the end of its epoch, and says
    /// where the cross-fit stands. The final run trains whenever the fold runs allow it another
    /// epoch (see the module documentation), the fold runs otherwise, an epoch each in turn. A
    /// non-finite loss ends that run with its last good weights and is returned; the next call
    /// goes on with the other runs.
    pub async fn step(&mut self, batches: usize) -> Result<TrainProgress, TrainError> {
        if self.is_done() {
            return Ok(self.progress());
        }
        let final_index = self.folds.count;
        let index = if !self.final_done()
            && self.final_run().progress().history.len() < self.final_epochs()
        {
            final_index
        } else {
            self.next_fold_run()
        };
        self.latest = index;
        let run = &mut self.runs[index];
        let progress = run.progress();
        let left = progress.batches - progress.batch;
        let result = run.step(batches.min(left).max(1)).await;
        let epoch_ended = run.progress().batch == 0;
        if index < final_index && (epoch_ended || result.is_err()) {
            self.turn = (index + 1) % final_index;
        }
        result?;
        Ok(self.progress())
    }

    /// The fold run to train next: the one whose turn it is, or the next still training.
    fn next_fold_run(&self) -> usize {
        let count = self.folds.count;
        (0..count)
            .map(|offset| (self.turn + offset) % count)
            .find(|&run| self.runs[run].progress().finished.is_none())
            // Every fold run is over and the final run is not done: it trains.
            .unwrap_or(count)
    }

    /// Where the cross-fit stands, as one run's progress: the epoch the slowest fold run is in,
    /// the loss per epoch averaged over the fold runs (their validation loss is on flows they do
    /// not fit), the batch and training loss of the run the latest step trained, the rows and
    /// reads of all runs, and `finished` once every run is over.
    pub fn progress(&self) -> TrainProgress {
        let runs: Vec<TrainProgress> = self.runs.iter().map(Trainer::progress).collect();
        let folds = &runs[..self.folds.count];
        let training: Vec<&TrainProgress> =
            folds.iter().filter(|run| run.finished.is_none()).collect();
        let current = &runs[self.latest];
        // An epoch is shown once every fold run still training has ended it, so its mean does
        // not change afterwards.
        let longest = folds.iter().map(|run| run.history.len()).max().unwrap_or(0);
        let complete = training
            .iter()
            .map(|run| run.history.len())
            .min()
            .unwrap_or(longest);
        let history: Vec<EpochLoss> = (0..complete)
            .map(|epoch| {
                let at: Vec<&EpochLoss> = folds
                    .iter()
                    .filter_map(|run| run.history.get(epoch))
                    .collect();
                let mean = |pick: fn(&EpochLoss) -> f32| {
                    at.iter().map(|loss| pick(loss)).sum::<f32>() / at.len() as f32
                };
                EpochLoss {
                    epoch,
                    train: mean(|loss| loss.train),
                    validation: mean(|loss| loss.validation),
                }
            })
            .collect();
        let best = history
            .iter()
            .copied()
            .min_by(|a, b| a.validation.total_cmp(&b.validation));
        let rows: usize = runs.iter().map(|run| run.rows).sum();
        let seconds: f64 = runs
            .iter()
            .map(|run| run.rows as f64 / run.rows_per_second.max(1e-9))
            .sum();
        let finished = self.is_done().then(|| {
            if runs
                .iter()
                .any(|run| run.finished == Some(Finish::NotFinite))
            {
                Finish::NotFinite
            } else if folds
                .iter()
                .any(|run| run.finished == Some(Finish::EarlyStopped))
            {
                Finish::EarlyStopped
            } else {
                Finish::AllEpochs
            }
        });
        TrainProgress {
            // The slowest fold run's epoch; once they are all over, the epochs they trained.
            epoch: training
                .iter()
                .map(|run| run.epoch)
                .min()
                .unwrap_or(longest),
            epochs: self.options.train.epochs,
            batch: current.batch,
            batches: current.batches,
            batch_size: self.options.train.batch_size,
            train_loss: current.train_loss,
            history,
            best,
            rows,
            rows_per_second: rows as f64 / seconds.max(1e-9),
            device_reads: runs.iter().map(|run| run.device_reads).sum(),
            runs: self.runs.len(),
            finished,
        }
    }

    /// Every run's weights in host memory, to go on from on another device if this one is lost.
    pub async fn checkpoint(&self) -> Result<Vec<Checkpoint>, TrainError> {
        let mut checkpoints = Vec::with_capacity(self.runs.len());
        for run in &self.runs {
            checkpoints.push(run.checkpoint().await?);
        }
        Ok(checkpoints)
    }

    /// Goes on from `checkpoints` (one per run, from [`CrossFit::checkpoint`]) on `device`.
    pub fn resume_on(
        &mut self,
        device: &Device,
        checkpoints: &[Checkpoint],
    ) -> Result<(), TrainError> {
        for (run, checkpoint) in self.runs.iter_mut().zip(checkpoints) {
            run.resume_on(device, checkpoint)?;
        }
        Ok(())
    }

    /// Epochs finished by all runs together: grows whenever a checkpoint would hold more.
    pub fn epochs_done(&self) -> usize {
        self.runs
            .iter()
            .map(|run| run.progress().history.len())
            .sum()
    }

    /// The fold runs' networks (their best epochs) and the final run's, with its last epoch.
    fn networks(&self) -> (Vec<Network>, Network, Option<EpochLoss>) {
        let folds = self.fold_runs().iter().map(Trainer::network).collect();
        let last = self.final_run().progress().history.last().copied();
        (folds, self.final_run().network(), last)
    }

    /// The model: the fold networks and the final one (for the ensemble, each with its kNN and
    /// PCA fitted on the same flows), with the threshold, error weights and scales from the
    /// out-of-fold scores.
    pub async fn finish(
        &self,
        dataset: &Dataset,
        device: &Device,
    ) -> Result<Fitted, super::FitError> {
        let (folds, last, best) = self.networks();
        super::networks(
            &self.folds,
            folds,
            last,
            best,
            dataset,
            &self.options,
            device,
        )
        .await
    }
}
