//! The dense autoencoder: flows squeezed through a narrow bottleneck and rebuilt. Trained on
//! benign traffic only, it rebuilds benign flows well and unusual ones badly, so the
//! reconstruction error is the anomaly score.

use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::prelude::{Device, Tensor};

use crate::model::config::{Activation, ModelConfig};
use crate::model::weights::{NamedWeights, WeightError, stack_from, stack_weights};

/// Encoder layers down to the bottleneck, then the mirror image back to the input width.
#[derive(Module, Debug)]
pub struct Autoencoder {
    encoder: Vec<Linear>,
    decoder: Vec<Linear>,
    dropout: Dropout,
    #[module(skip)]
    activation: Activation,
}

impl Autoencoder {
    /// A freshly initialised network for `inputs` features (seed the device first).
    pub fn new(inputs: usize, config: &ModelConfig, device: &Device) -> Self {
        let widths = config.widths(inputs);
        let layers = |pairs: &[(usize, usize)]| {
            pairs
                .iter()
                .map(|&(from, to)| LinearConfig::new(from, to).init(device))
                .collect()
        };
        Self {
            encoder: layers(&widths.encoder),
            decoder: layers(&widths.decoder),
            dropout: DropoutConfig::new(config.dropout).init(),
            activation: config.activation,
        }
    }

    /// The bottleneck code of each row of `input`.
    fn encode(&self, input: Tensor<2>) -> Tensor<2> {
        self.activation.stack(&self.encoder, &self.dropout, input)
    }

    /// Rebuilds inputs from bottleneck codes. The code and the output are linear (inputs are
    /// standardised, so they take any sign).
    fn decode(&self, code: Tensor<2>) -> Tensor<2> {
        self.activation.stack(&self.decoder, &self.dropout, code)
    }

    /// The reconstruction of each row, and the code it went through.
    pub fn forward(&self, input: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let code = self.encode(input);
        (self.decode(code.clone()), code)
    }

    /// The weights, named as a PyTorch `nn.Sequential` of the same layers would name them.
    pub async fn weights(&self) -> Result<NamedWeights, WeightError> {
        let mut named = NamedWeights::default();
        stack_weights(&mut named, "encoder", &self.encoder).await?;
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
        Ok(Self {
            encoder: stack_from(weights, "encoder", &widths.encoder, device)?,
            decoder: stack_from(weights, "decoder", &widths.decoder, device)?,
            dropout: DropoutConfig::new(config.dropout).init(),
            activation: config.activation,
        })
    }
}
