//! The cross-fitting folds: the benign flows of a load, scaled, each in the fold its content
//! hashes to ([`fold_of`]), so the same flow falls in the same fold in every file and run with the
//! same seed. Fold model `i` fits the flows outside fold `i` and scores those inside it
//! ([`super::cross_fit`] trains the networks' runs, [`super`] fits the classic detectors).

use super::FitOptions;
use crate::data::dataset::Dataset;
use crate::data::prepare::{Scaler, benign_rows, content_hash, fold_of};
use crate::model::config::ConfigError;
use crate::model::network::train::TrainError;

/// The cross-fitting folds when the user does not choose: each fold model fits three quarters
/// of the benign flows, close enough to the final model's all that its scores stand for the final
/// model's on unseen flows, at four extra fits (docs/cross-fitting.md).
pub const DEFAULT_FOLDS: usize = 4;

/// The benign flows of a load, scaled by a scaler fitted on all of them, with each one's fold.
pub struct Folds {
    /// Fitted on every benign flow.
    pub scaler: Scaler,
    /// Features per flow.
    pub width: usize,
    /// Folds in all.
    pub count: usize,
    /// Every benign flow, scaled, row-major.
    matrix: Vec<f32>,
    /// Each benign flow's fold.
    fold: Vec<usize>,
    /// Each benign flow's content hash, sorted and without repeats: the model's fingerprints of
    /// what it fitted.
    pub fitted: Vec<u64>,
}

impl Folds {
    /// The benign flows of `dataset` in `options.folds` folds by their content hashed with the
    /// training seed, scaled with the model's clip (see [`Scaler::fit`]).
    pub fn of(dataset: &Dataset, options: &FitOptions) -> Result<Self, TrainError> {
        let (count, seed) = (options.folds, options.train.seed);
        if count < 2 {
            return Err(ConfigError::TooFewFolds(count).into());
        }
        let benign = benign_rows(dataset, &(0..dataset.rows() as u32).collect::<Vec<_>>());
        let columns: Vec<usize> = (0..dataset.columns.len()).collect();
        let hashes: Vec<u64> = benign
            .iter()
            .map(|&row| content_hash(dataset, &columns, row as usize, seed))
            .collect();
        let fold: Vec<usize> = hashes.iter().map(|&hash| fold_of(hash, count)).collect();
        let filled = (0..count).filter(|f| fold.contains(f)).count();
        if filled < 2 {
            return Err(TrainError::NoRows);
        }
        let scaler = Scaler::fit(dataset, &benign, options.model.scaler_clip());
        let matrix = scaler
            .transform(dataset, &benign)
            .expect("the scaler was fitted on this dataset's own features");
        let mut fitted = hashes;
        fitted.sort_unstable();
        fitted.dedup();
        Ok(Self {
            width: scaler.features.len(),
            scaler,
            count,
            matrix,
            fold,
            fitted,
        })
    }

    /// Benign flows in all.
    pub fn rows(&self) -> usize {
        self.fold.len()
    }

    /// Every benign flow, scaled, row-major: what the final model fits.
    pub fn all(&self) -> &[f32] {
        &self.matrix
    }

    /// The scaled flows inside fold `fold` (`inside` true) or outside it, row-major.
    pub fn part(&self, fold: usize, inside: bool) -> Vec<f32> {
        self.fold
            .iter()
            .enumerate()
            .filter(|&(_, &f)| (f == fold) == inside)
            .flat_map(|(row, _)| &self.matrix[row * self.width..(row + 1) * self.width])
            .copied()
            .collect()
    }

    /// Flows inside fold `fold`.
    pub fn inside(&self, fold: usize) -> usize {
        self.fold.iter().filter(|&&f| f == fold).count()
    }
}
