//! The classic unsupervised detectors the networks stand beside and must beat (the baselines of
//! ADBench, NeurIPS 2022, and Bouman et al., JMLR 2024): Isolation Forest, distance to the k-th
//! nearest benign training flow, PCA reconstruction error and per-feature histograms (HBOS).
//! Like PyOD's detectors they share one interface: fitted on the same scaled benign training
//! flows as the networks, they score a batch of scaled flows on the device (higher is more
//! anomalous), and the threshold is chosen outside, by the same rule as the networks'.

pub mod cover;
pub mod hbos;
pub mod iforest;
pub mod knn;
pub mod pca;

use burn::prelude::{Device, Tensor};
use serde::{Deserialize, Serialize};

use self::hbos::Hbos;
use self::iforest::IsolationForest;
use self::knn::Knn;
use self::pca::Pca;
use super::config::ModelKind;
use super::weights::{NamedWeights, WeightError};

/// The classic detectors' settings; defaults are scikit-learn's and PyOD's. A setting missing
/// from a model file (written before it existed) takes its default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClassicConfig {
    /// Isolation Forest: trees.
    pub trees: usize,
    /// Isolation Forest: flows drawn for each tree.
    pub tree_samples: usize,
    /// kNN: which neighbour's distance is the score (1 = the nearest).
    pub k: usize,
    /// kNN: benign flows kept as references at most (a cover of them beyond that, each kept flow
    /// standing for those near it), which bounds the model file and the scoring cost.
    pub references: usize,
    /// PCA: principal components kept.
    pub components: usize,
    /// HBOS: equal-width bins per feature.
    pub bins: usize,
}

impl Default for ClassicConfig {
    fn default() -> Self {
        Self {
            trees: 100,
            tree_samples: 256,
            k: 5,
            references: 20_000,
            components: 8,
            bins: 10,
        }
    }
}

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
    /// Fits a detector of `kind` (a classic one) to the row-major benign training `matrix` of
    /// `width` features, seeded with `seed`, and keeps it on `device`.
    pub async fn fit(
        kind: ModelKind,
        config: &ClassicConfig,
        matrix: &[f32],
        width: usize,
        seed: u64,
        device: &Device,
    ) -> Result<Self, WeightError> {
        Ok(match kind {
            ModelKind::IsolationForest => Self::IsolationForest(IsolationForest::fit(
                matrix,
                width,
                config.trees,
                config.tree_samples,
                seed,
                device,
            )),
            ModelKind::Knn => Self::Knn(Box::new(
                Knn::fit(matrix, width, config.k, config.references, seed, device).await?,
            )),
            ModelKind::Pca => Self::Pca(Pca::fit(matrix, width, config.components, device).await?),
            ModelKind::Hbos => Self::Hbos(Box::new(Hbos::fit(matrix, width, config.bins, device))),
            ModelKind::Ensemble | ModelKind::Autoencoder | ModelKind::Vae => {
                unreachable!("networks are trained by the trainer, not fitted here")
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
        kind: ModelKind,
        config: &ClassicConfig,
        width: usize,
        train_rows: usize,
        weights: &NamedWeights,
        device: &Device,
    ) -> Result<Self, WeightError> {
        Ok(match kind {
            ModelKind::IsolationForest => Self::IsolationForest(IsolationForest::from_weights(
                weights,
                config.trees,
                config.tree_samples.min(train_rows).max(1),
                device,
            )?),
            ModelKind::Knn => Self::Knn(Box::new(Knn::from_weights(
                weights, width, config.k, device,
            )?)),
            ModelKind::Pca => Self::Pca(Pca::from_weights(
                weights,
                config.components.min(width),
                width,
                device,
            )?),
            ModelKind::Hbos => Self::Hbos(Box::new(Hbos::from_weights(
                weights,
                config.bins,
                width,
                device,
            )?)),
            ModelKind::Ensemble | ModelKind::Autoencoder | ModelKind::Vae => {
                unreachable!("networks are read by Network::from_weights")
            }
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use burn::prelude::{Device, Tensor, TensorData};

    /// Features of the fixture's flows.
    pub const FIXTURE_WIDTH: usize = 4;

    /// 200 training flows and 8 test flows (5 like the training flows, 3 outliers), computed in
    /// f32 exactly as `fixture` in the scikit-learn script quoted by each detector's test:
    /// a = sin(0.37 i), b = cos(0.11 i), c = (7 i mod 23) / 23, d = a + b + 0.3 sin(1.3 i).
    pub fn fixture() -> (Vec<f32>, Vec<f32>) {
        let row = |i: u32| {
            let a = (i as f32 * 0.37).sin();
            let b = (i as f32 * 0.11).cos();
            let c = ((i * 7) % 23) as f32 / 23.0;
            let d = (i as f32 * 1.3).sin();
            [a, b, c, a + b + 0.3 * d]
        };
        let train = (0..200).flat_map(row).collect();
        let mut test: Vec<f32> = (0..5).flat_map(|t| row(1000 + t * 17)).collect();
        test.extend([2.0, -2.0, 0.5, 3.0, 0.0, 0.0, 5.0, 0.0, 0.5, 0.5, 0.5, -1.0]);
        (train, test)
    }

    /// `IsolationForest(n_estimators=1000, max_samples=64, random_state=0).fit(train)`,
    /// `-score_samples(test)` (scikit-learn 1.5.2).
    pub const SKLEARN_IFOREST: [f32; 8] = [
        0.547_777, 0.480_454, 0.497_153, 0.535_41, 0.530_813, 0.591_917, 0.534_454, 0.529_376,
    ];
    /// `NearestNeighbors(n_neighbors=5).fit(train).kneighbors(test)[0][:, -1]`.
    pub const SKLEARN_KNN: [f32; 8] = [
        0.374_91, 0.356_392, 0.352_418, 0.425_333, 0.493_533, 2.993_16, 4.167_238, 1.130_654,
    ];
    /// `HBOS(n_bins=10).fit(train).decision_function(test)` (PyOD 2.0.2, NumPy 2.1.3). The
    /// third outlier breaks only how the features go together, which HBOS cannot see.
    pub const SKLEARN_HBOS: [f32; 8] = [
        3.400_461, 2.795_123, 2.712_623, 2.698_334, 3.473_017, 5.505_728, 4.627_221, 2.987_321,
    ];
    /// `p = PCA(n_components=3, svd_solver="full").fit(train)`, then
    /// `((test - p.inverse_transform(p.transform(test))) ** 2).sum(1)`.
    pub const SKLEARN_PCA: [f32; 8] = [
        0.005_161_58,
        0.007_673_73,
        0.004_706_75,
        0.005_808_79,
        0.000_355_92,
        2.890_184_9,
        0.001_207_68,
        1.320_464_4,
    ];

    #[test]
    fn a_model_file_from_before_hbos_reads_with_its_default_bins() {
        let settings =
            r#"{"trees":100,"tree_samples":256,"k":5,"references":20000,"components":8}"#;
        let read: super::ClassicConfig = serde_json::from_str(settings).unwrap();
        assert_eq!(read, super::ClassicConfig::default());
    }

    /// What `score` gives for the fixture's row-major `rows`, read back.
    pub fn scores_of(score: impl Fn(Tensor<2>) -> Tensor<1>, rows: &[f32]) -> Vec<f32> {
        let input = Tensor::<2>::from_data(
            TensorData::new(rows.to_vec(), [rows.len() / FIXTURE_WIDTH, FIXTURE_WIDTH]),
            &Device::flex(),
        );
        score(input).into_data().try_to_vec::<f32>().unwrap()
    }
}
