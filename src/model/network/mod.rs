//! The neural networks: the autoencoder and the VAE, their trainer, and either behind one type,
//! so training, scoring and saving are written once.

pub mod autoencoder;
pub mod dense;
pub mod train;
pub mod vae;

use burn::module::Module;
use burn::prelude::{Device, Tensor};

use self::autoencoder::Autoencoder;
use self::vae::Vae;
use crate::model::config::{ModelConfig, NetworkKind};
use crate::model::weights::{NamedWeights, WeightError};

/// How much a feature's squared error counts given its mean squared error on benign validation
/// flows: features a model rebuilds well on benign traffic count more when they go wrong. The
/// 0.01 keeps a perfectly rebuilt feature from counting without bound. Used by the networks'
/// error weights and the ensemble's autoencoder member, so both mean the same.
pub fn error_weight(mean_squared: f64) -> f64 {
    1.0 / (mean_squared + 0.01)
}

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
    /// A freshly initialised network of `kind` with `config`'s layers for `inputs` features.
    /// Seed the device first for reproducible weights.
    pub fn new(inputs: usize, kind: NetworkKind, config: &ModelConfig, device: &Device) -> Self {
        match kind {
            NetworkKind::Autoencoder => Self::Autoencoder(Autoencoder::new(inputs, config, device)),
            NetworkKind::Vae => Self::Vae(Vae::new(inputs, config, device)),
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

    /// The weights, read asynchronously (see [`crate::model::weights`]).
    pub async fn weights(&self) -> Result<NamedWeights, WeightError> {
        match self {
            Self::Autoencoder(network) => network.weights().await,
            Self::Vae(network) => network.weights().await,
        }
    }

    /// A network of `kind` with `config`'s layers for `inputs` features with the values of
    /// `weights`.
    pub fn from_weights(
        inputs: usize,
        kind: NetworkKind,
        config: &ModelConfig,
        weights: &NamedWeights,
        device: &Device,
    ) -> Result<Self, WeightError> {
        Ok(match kind {
            NetworkKind::Autoencoder => {
                Self::Autoencoder(Autoencoder::from_weights(inputs, config, weights, device)?)
            }
            NetworkKind::Vae => Self::Vae(Vae::from_weights(inputs, config, weights, device)?),
        })
    }
}
