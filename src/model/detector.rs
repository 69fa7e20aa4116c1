//! Any detector behind one type — a trained network or a fitted classic detector — so scoring,
//! saving, evaluation and explanations are written once for all of them.

use burn::prelude::{Device, Tensor};

use super::classic::knn::Knn;
use super::classic::{Classic, ClassicOutput};
use super::config::{Family, ModelConfig};
use super::ensemble::Ensemble;
use super::network::Network;
use super::weights::{NamedWeights, WeightError};

/// A network or a classic detector.
// A detector exists once per model and moves rarely, so the network's size costs nothing worth a
// box (as for `Network`'s own variants).
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Detector {
    /// The autoencoder or the VAE.
    Network(Network),
    /// Isolation Forest, kNN distance, PCA or HBOS.
    Classic(Classic),
    /// The autoencoder, kNN and PCA together.
    Ensemble(Box<Ensemble>),
}

/// What a detector says about a batch of scaled flows.
pub struct Verdict {
    /// Its own score per flow; `None` when the score is the weighted reconstruction error.
    pub score: Option<Tensor<1>>,
    /// What each flow "should" look like, for per-feature errors; `None` when the detector has
    /// no such view (the Isolation Forest).
    pub reconstruction: Option<Tensor<2>>,
    /// Where each flow sits in the network's code (the agent observes it); `None` for classic
    /// detectors.
    pub code: Option<Tensor<2>>,
}

impl Detector {
    /// Runs a `[rows, width]` batch through the detector.
    pub fn forward(&self, input: Tensor<2>) -> Verdict {
        match self {
            Self::Network(network) => {
                let (reconstruction, code) = network.reconstruct(input);
                Verdict {
                    score: None,
                    reconstruction: Some(reconstruction),
                    code: Some(code),
                }
            }
            Self::Classic(classic) => {
                let ClassicOutput {
                    score,
                    reconstruction,
                } = classic.forward(input);
                Verdict {
                    score,
                    reconstruction,
                    code: None,
                }
            }
            Self::Ensemble(ensemble) => {
                let (score, reconstruction, code) = ensemble.forward(input);
                Verdict {
                    score: Some(score),
                    reconstruction: Some(reconstruction),
                    code: Some(code),
                }
            }
        }
    }

    /// The kNN detector or ensemble member, when there is one: its reference flows are the
    /// part of a model that grows with the benign flows fitted.
    pub fn knn(&self) -> Option<&Knn> {
        match self {
            Self::Classic(Classic::Knn(knn)) => Some(knn.as_ref()),
            Self::Ensemble(ensemble) => Some(ensemble.knn()),
            Self::Network(_) | Self::Classic(_) => None,
        }
    }

    /// Whether the detector gives its own score rather than the weighted reconstruction error.
    pub fn scores_itself(&self) -> bool {
        !matches!(self, Self::Network(_) | Self::Classic(Classic::Pca(_)))
    }

    /// The weights or tables, read asynchronously (see [`super::weights`]).
    pub async fn weights(&self) -> Result<NamedWeights, WeightError> {
        match self {
            Self::Network(network) => network.weights().await,
            Self::Classic(classic) => classic.weights().await,
            Self::Ensemble(ensemble) => ensemble.weights().await,
        }
    }

    /// The detector `config` describes for `inputs` features, fitted on `train_rows` benign
    /// flows, with the values of `weights`.
    pub fn from_weights(
        inputs: usize,
        config: &ModelConfig,
        train_rows: usize,
        weights: &NamedWeights,
        device: &Device,
    ) -> Result<Self, WeightError> {
        match config.kind.family() {
            Family::Ensemble => Ensemble::from_weights(inputs, config, weights, device)
                .map(|ensemble| Self::Ensemble(Box::new(ensemble))),
            Family::Network(kind) => {
                Network::from_weights(inputs, kind, config, weights, device).map(Self::Network)
            }
            Family::Classic(kind) => {
                Classic::from_weights(kind, &config.classic, inputs, train_rows, weights, device)
                    .map(Self::Classic)
            }
        }
    }
}
