//! Either model behind one type, so training, scoring and saving are written once.

use burn::module::Module;
use burn::prelude::{Device, Tensor};

use super::autoencoder::Autoencoder;
use super::config::{ModelConfig, ModelKind};
use super::vae::Vae;
use super::weights::{NamedWeights, WeightError};

/// The autoencoder or the VAE.
// A network exists once per run and moves rarely, so the VAE's larger size costs nothing worth
// a box (which burn's derive would also have to see through).
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Network {
    /// See [`Autoencoder`].
    Autoencoder(Autoencoder),
    /// See [`Vae`].
    Vae(Vae),
}

impl Network {
    /// A freshly initialised network of `config`'s kind for `inputs` features. Seed the device
    /// first for reproducible weights.
    pub fn new(inputs: usize, config: &ModelConfig, device: &Device) -> Self {
        match config.kind {
            ModelKind::Ensemble | ModelKind::Autoencoder => {
                Self::Autoencoder(Autoencoder::new(inputs, config, device))
            }
            ModelKind::Vae => Self::Vae(Vae::new(inputs, config, device)),
            ModelKind::IsolationForest | ModelKind::Knn | ModelKind::Pca | ModelKind::Hbos => {
                unreachable!(
                    "classic detectors are fitted by model::classic, not built as networks"
                )
            }
        }
    }

    /// The training objective on a batch, averaged over rows: mean squared reconstruction
    /// error, plus `kl_weight` × the scaled KL term for the VAE (with a sampled code when
    /// `sample` is set).
    pub fn loss(&self, input: Tensor<2>, kl_weight: f32, sample: bool) -> Tensor<1> {
        match self {
            Self::Autoencoder(network) => {
                let (reconstruction, _) = network.forward(input.clone());
                let error = reconstruction - input;
                (error.clone() * error).mean()
            }
            Self::Vae(network) => {
                let output = network.forward(input.clone(), sample);
                let (reconstruction, kl) = Vae::elbo_terms(input, &output);
                (reconstruction + kl * kl_weight).mean()
            }
        }
    }

    /// The deterministic reconstruction of each row and its latent code (the VAE's mean code).
    pub fn reconstruct(&self, input: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        match self {
            Self::Autoencoder(network) => network.forward(input),
            Self::Vae(network) => {
                let output = network.forward(input, false);
                (output.reconstruction, output.mean)
            }
        }
    }

    /// The weights, read asynchronously (see [`super::weights`]).
    pub async fn weights(&self) -> Result<NamedWeights, WeightError> {
        match self {
            Self::Autoencoder(network) => network.weights().await,
            Self::Vae(network) => network.weights().await,
        }
    }

    /// A network of `config` for `inputs` features with the values of `weights`.
    pub fn from_weights(
        inputs: usize,
        config: &ModelConfig,
        weights: &NamedWeights,
        device: &Device,
    ) -> Result<Self, WeightError> {
        Ok(match config.kind {
            ModelKind::Ensemble | ModelKind::Autoencoder => {
                Self::Autoencoder(Autoencoder::from_weights(inputs, config, weights, device)?)
            }
            ModelKind::Vae => Self::Vae(Vae::from_weights(inputs, config, weights, device)?),
            ModelKind::IsolationForest | ModelKind::Knn | ModelKind::Pca | ModelKind::Hbos => {
                unreachable!("classic detectors are read by model::classic")
            }
        })
    }
}
