//! The classic unsupervised detectors the networks stand beside and must beat (the baselines of
//! ADBench, NeurIPS 2022, and Bouman et al., JMLR 2024): Isolation Forest, distance to the k-th
//! nearest benign training flow, PCA reconstruction error and per-feature histograms (HBOS).
//! Like PyOD's detectors they share one interface: fitted on the same scaled benign training
//! flows as the networks, they score a batch of scaled flows on the device (higher is more
//! anomalous), and the threshold is chosen outside, by the same rule as the networks'.

#[cfg(test)]
pub(crate) mod fixture;

pub mod cover;
pub mod hbos;
pub mod iforest;
pub mod knn;
pub mod pca;

use burn::prelude::{Device, Tensor};

use self::hbos::Hbos;
use self::iforest::IsolationForest;
use self::knn::Knn;
use self::pca::Pca;
use super::config::{ClassicConfig, ClassicKind};
use super::weights::{NamedWeights, WeightError};

/// A fitted classic detector.
#[derive(Clone, Debug)]
pub enum Classic {
    /// See [`IsolationForest`].
    IsolationForest(IsolationForest),
    /// See [`Knn`] (boxed: its reference flows' tensors make it the largest).
    Knn(Box<Knn>),
    /// See [`Pca`].
    Pca(Pca),
    /// See [`Hbos`] (boxed: its four tables on the device make it twice the others' size).
    Hbos(Box<Hbos>),
}

/// What a classic detector says about a batch of flows.
pub struct ClassicOutput {
    /// Its own score per flow, when it is not the reconstruction error (Isolation Forest, kNN,
    /// HBOS).
    pub score: Option<Tensor<1>>,
    /// What each flow "should" look like (PCA's projection, kNN's nearest benign flow), which
    /// gives per-feature errors for explanations; `None` for the Isolation Forest and HBOS.
    pub reconstruction: Option<Tensor<2>>,
}

impl Classic {
    /// Fits a detector of `kind` to the row-major benign training `matrix` of
    /// `width` features, seeded with `seed`, and keeps it on `device`.
    pub async fn fit(
        kind: ClassicKind,
        config: &ClassicConfig,
        matrix: &[f32],
        width: usize,
        seed: u64,
        device: &Device,
    ) -> Result<Self, WeightError> {
        Ok(match kind {
            ClassicKind::IsolationForest => Self::IsolationForest(IsolationForest::fit(
                matrix,
                width,
                config.trees,
                config.tree_samples,
                seed,
                device,
            )),
            ClassicKind::Knn => Self::Knn(Box::new(
                Knn::fit(matrix, width, config.k, config.references, seed, device).await?,
            )),
            ClassicKind::Pca => {
                Self::Pca(Pca::fit(matrix, width, config.components, device).await?)
            }
            ClassicKind::Hbos => {
                Self::Hbos(Box::new(Hbos::fit(matrix, width, config.bins, device)))
            }
        })
    }

    /// Scores a `[rows, width]` batch of scaled flows.
    pub fn forward(&self, input: Tensor<2>) -> ClassicOutput {
        match self {
            Self::IsolationForest(forest) => ClassicOutput {
                score: Some(forest.score(input)),
                reconstruction: None,
            },
            Self::Knn(knn) => {
                let (score, nearest) = knn.score(input);
                ClassicOutput {
                    score: Some(score),
                    reconstruction: Some(nearest),
                }
            }
            Self::Pca(pca) => ClassicOutput {
                score: None,
                reconstruction: Some(pca.reconstruct(input)),
            },
            Self::Hbos(hbos) => ClassicOutput {
                score: Some(hbos.score(input)),
                reconstruction: None,
            },
        }
    }

    /// The detector's tables for the model file.
    pub async fn weights(&self) -> Result<NamedWeights, WeightError> {
        match self {
            Self::IsolationForest(forest) => Ok(forest.weights()),
            Self::Knn(knn) => Ok(knn.weights()),
            Self::Pca(pca) => pca.weights().await,
            Self::Hbos(hbos) => Ok(hbos.weights()),
        }
    }

    /// A detector of `kind` read from a model file's tables; `train_rows` is how many benign
    /// flows it was fitted on (the file's metadata says), which sets the tables' sizes.
    pub fn from_weights(
        kind: ClassicKind,
        config: &ClassicConfig,
        width: usize,
        train_rows: usize,
        weights: &NamedWeights,
        device: &Device,
    ) -> Result<Self, WeightError> {
        Ok(match kind {
            ClassicKind::IsolationForest => Self::IsolationForest(IsolationForest::from_weights(
                weights,
                config.trees,
                config.tree_samples.min(train_rows).max(1),
                device,
            )?),
            ClassicKind::Knn => Self::Knn(Box::new(Knn::from_weights(
                weights, width, config.k, device,
            )?)),
            ClassicKind::Pca => Self::Pca(Pca::from_weights(
                weights,
                config.components.min(width),
                width,
                device,
            )?),
            ClassicKind::Hbos => Self::Hbos(Box::new(Hbos::from_weights(
                weights,
                config.bins,
                width,
                device,
            )?)),
        })
    }
}
