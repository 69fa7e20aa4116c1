//! The variational autoencoder: the encoder gives a Gaussian over codes (mean and
//! log-variance), a code is drawn from it in training (the reparameterisation trick keeps that
//! differentiable), and the KL term pulls codes towards a unit Gaussian, which smooths the code
//! space. Flows are scored by the reconstruction error of the mean code, so scores do not depend
//! on a random draw; the ELBO is available as [`Vae::elbo_terms`].

use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::prelude::{Device, Tensor};
use burn::tensor::Distribution;

use crate::model::config::{Activation, ModelConfig};
use crate::model::weights::{
    NamedWeights, WeightError, linear_from, linear_weights, stack_from, stack_weights,
};

/// Hidden layers, the two heads of the code distribution, and the decoder.
#[derive(Module, Debug)]
pub struct Vae {
    encoder: Vec<Linear>,
    mean: Linear,
    log_variance: Linear,
    decoder: Vec<Linear>,
    dropout: Dropout,
    #[module(skip)]
    activation: Activation,
}

/// One pass through the VAE.
pub struct VaeOutput {
    /// The rebuilt inputs.
    pub reconstruction: Tensor<2>,
    /// Mean of each row's code distribution (the latent code the app shows).
    pub mean: Tensor<2>,
    /// Log-variance of the same.
    pub log_variance: Tensor<2>,
}

impl Vae {
    /// A freshly initialised network for `inputs` features (seed the device first).
    pub fn new(inputs: usize, config: &ModelConfig, device: &Device) -> Self {
        let widths = config.widths(inputs);
        let (hidden, head) = widths.encoder.split_at(widths.encoder.len() - 1);
        let layer = |(from, to): (usize, usize)| LinearConfig::new(from, to).init(device);
        Self {
            encoder: hidden.iter().copied().map(layer).collect(),
            mean: layer(head[0]),
            log_variance: layer(head[0]),
            decoder: widths.decoder.iter().copied().map(layer).collect(),
            dropout: DropoutConfig::new(config.dropout).init(),
            activation: config.activation,
        }
    }

    /// Encodes, draws a code (or takes the mean when `sample` is false) and decodes.
    pub fn forward(&self, input: Tensor<2>, sample: bool) -> VaeOutput {
        let mut hidden = input;
        for layer in &self.encoder {
            hidden = self.dropout.forward(self.activation.dense(layer, hidden));
        }
        let mean = self.mean.forward(hidden.clone());
        // Clamped so exp() cannot overflow while the network is still untrained.
        let log_variance = self.log_variance.forward(hidden).clamp(-10.0, 10.0);
        let code = if sample {
            let noise =
                Tensor::random(mean.shape(), Distribution::Normal(0.0, 1.0), &mean.device());
            mean.clone() + (log_variance.clone() * 0.5).exp() * noise
        } else {
            mean.clone()
        };
        let reconstruction = self.activation.stack(&self.decoder, &self.dropout, code);
        VaeOutput {
            reconstruction,
            mean,
            log_variance,
        }
    }

    /// Per row, the two terms of the negative ELBO: mean squared reconstruction error over
    /// features, and the KL divergence from the code distribution to a unit Gaussian divided by
    /// the number of features (so `kl_weight` means the same for any input width).
    pub fn elbo_terms(input: Tensor<2>, output: &VaeOutput) -> (Tensor<1>, Tensor<1>) {
        let features = input.dims()[1] as f64;
        let error = output.reconstruction.clone() - input;
        let reconstruction = (error.clone() * error).mean_dim(1).squeeze_dim(1);
        let kl = (output.log_variance.clone().exp() + output.mean.clone().powi_scalar(2)
            - output.log_variance.clone()
            - 1.0)
            .sum_dim(1)
            .squeeze_dim(1)
            * (0.5 / features);
        (reconstruction, kl)
    }

    /// The weights, named as PyTorch modules of the same layers would name them.
    pub async fn weights(&self) -> Result<NamedWeights, WeightError> {
        let mut named = NamedWeights::default();
        stack_weights(&mut named, "encoder", &self.encoder).await?;
        linear_weights(&mut named, "mean", &self.mean).await?;
        linear_weights(&mut named, "log_variance", &self.log_variance).await?;
        stack_weights(&mut named, "decoder", &self.decoder).await?;
        Ok(named)
    }

    /// A network with the shapes of `config` and the values of `weights`.
    pub fn from_weights(
        inputs: usize,
        config: &ModelConfig,
        weights: &NamedWeights,
        device: &Device,
    ) -> Result<Self, WeightError> {
        let widths = config.widths(inputs);
        let (hidden, head) = widths.encoder.split_at(widths.encoder.len() - 1);
        Ok(Self {
            encoder: stack_from(weights, "encoder", hidden, device)?,
            mean: linear_from(weights, "mean", head[0], device)?,
            log_variance: linear_from(weights, "log_variance", head[0], device)?,
            decoder: stack_from(weights, "decoder", &widths.decoder, device)?,
            dropout: DropoutConfig::new(config.dropout).init(),
            activation: config.activation,
        })
    }
}
