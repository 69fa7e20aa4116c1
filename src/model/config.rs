//! What a model is made of: its kind, layer widths and activation. Saved with the model so a
//! file rebuilds the same network.

use crate::data::prepare::DEFAULT_CLIP;
use crate::model::network::dense::{Fused, fused};
use burn::nn::{Dropout, Linear};
use burn::prelude::Tensor;
use burn::tensor::activation::{gelu, relu, tanh};
use serde::{Deserialize, Serialize};

/// Which detector scores the flows: a network trained by gradient descent, or a classic
/// detector fitted in one pass (see [`super::classic`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// The autoencoder, kNN distance and PCA voting together (see [`super::ensemble`]): the
    /// default, because it measured best (docs/experiments.md, "Model quality").
    #[default]
    Ensemble,
    /// A plain autoencoder: score = reconstruction error.
    Autoencoder,
    /// A variational autoencoder: score = reconstruction error of the mean code; trained on the
    /// ELBO (reconstruction plus `kl_weight` × KL divergence to a unit Gaussian).
    Vae,
    /// Isolation Forest: how few random splits isolate the flow.
    #[serde(rename = "iforest")]
    IsolationForest,
    /// Distance to the k-th nearest benign training flow.
    Knn,
    /// PCA reconstruction error.
    Pca,
    /// How improbable each feature's value is under its benign histogram (HBOS).
    Hbos,
}

impl ModelKind {
    /// Every kind, networks first.
    pub const ALL: [Self; 7] = [
        Self::Ensemble,
        Self::Autoencoder,
        Self::Vae,
        Self::IsolationForest,
        Self::Knn,
        Self::Pca,
        Self::Hbos,
    ];

    /// The short name used on the command line, on the page and in files.
    pub const fn short_name(self) -> &'static str {
        match self {
            Self::Ensemble => "ensemble",
            Self::Autoencoder => "ae",
            Self::Vae => "vae",
            Self::IsolationForest => "iforest",
            Self::Knn => "knn",
            Self::Pca => "pca",
            Self::Hbos => "hbos",
        }
    }

    /// The kind with this [`Self::short_name`].
    pub fn from_short_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.short_name() == name)
    }

    /// The name people use for it.
    pub const fn title(self) -> &'static str {
        match self {
            Self::Ensemble => "Ensemble (autoencoder, kNN, PCA)",
            Self::Autoencoder => "Autoencoder",
            Self::Vae => "Variational autoencoder",
            Self::IsolationForest => "Isolation Forest",
            Self::Knn => "kNN distance",
            Self::Pca => "PCA reconstruction",
            Self::Hbos => "HBOS (feature histograms)",
        }
    }

    /// How a detector of this kind is made, typed: what fitting, training and reading a model
    /// file match on, so each half receives only its own kinds.
    pub fn family(self) -> Family {
        match self {
            Self::Ensemble => Family::Ensemble,
            Self::Autoencoder => Family::Network(NetworkKind::Autoencoder),
            Self::Vae => Family::Network(NetworkKind::Vae),
            Self::IsolationForest => Family::Classic(ClassicKind::IsolationForest),
            Self::Knn => Family::Classic(ClassicKind::Knn),
            Self::Pca => Family::Classic(ClassicKind::Pca),
            Self::Hbos => Family::Classic(ClassicKind::Hbos),
        }
    }

    /// The network a run of this kind trains over epochs (the ensemble trains its autoencoder);
    /// `None` for a classic detector, fitted in one pass.
    pub fn network(self) -> Option<NetworkKind> {
        match self.family() {
            Family::Ensemble => Some(NetworkKind::Autoencoder),
            Family::Network(network) => Some(network),
            Family::Classic(_) => None,
        }
    }
}

/// The command line's `--model` values are the kinds' short names, with their titles as help:
/// the same list as the page's and the files'.
#[cfg(feature = "cli")]
impl clap::ValueEnum for ModelKind {
    fn value_variants<'a>() -> &'a [Self] {
        &Self::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.short_name()).help(self.title()))
    }
}

/// How a detector is made: the ensemble (a trained autoencoder with kNN and PCA fitted beside
/// it), a network trained over epochs, or a classic detector fitted in one pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// See [`ModelKind::Ensemble`].
    Ensemble,
    /// A network alone.
    Network(NetworkKind),
    /// A classic detector.
    Classic(ClassicKind),
}

/// The networks, trained by gradient descent (see [`super::network`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetworkKind {
    /// See [`ModelKind::Autoencoder`].
    Autoencoder,
    /// See [`ModelKind::Vae`].
    Vae,
}

/// The classic detectors, fitted in one pass (see [`super::classic`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClassicKind {
    /// See [`ModelKind::IsolationForest`].
    IsolationForest,
    /// See [`ModelKind::Knn`].
    Knn,
    /// See [`ModelKind::Pca`].
    Pca,
    /// See [`ModelKind::Hbos`].
    Hbos,
}

/// The non-linearity between hidden layers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `max(0, x)`.
    Relu,
    /// `tanh(x)`: bounded, so one extreme feature cannot saturate the code.
    #[default]
    Tanh,
    /// Gaussian error linear unit.
    Gelu,
}

impl Activation {
    /// Applies the non-linearity.
    pub fn apply(self, tensor: Tensor<2>) -> Tensor<2> {
        match self {
            Self::Relu => relu(tensor),
            Self::Tanh => tanh(tensor),
            Self::Gelu => gelu(tensor),
        }
    }

    /// Runs `input` through `layers` with this non-linearity and `dropout` between them and
    /// nothing after the last, whose output stays linear.
    pub fn stack(self, layers: &[Linear], dropout: &Dropout, input: Tensor<2>) -> Tensor<2> {
        let last = layers.len().saturating_sub(1);
        let mut hidden = input;
        for (index, layer) in layers.iter().enumerate() {
            hidden = if index < last {
                dropout.forward(self.dense(layer, hidden))
            } else {
                layer.forward(hidden)
            };
        }
        hidden
    }

    /// `layer`, then this non-linearity: on the CPU backend as one fused operation
    /// (`network::dense`), on a GPU (and for GELU) as burn's operations.
    pub fn dense(self, layer: &Linear, input: Tensor<2>) -> Tensor<2> {
        let kind = match self {
            Self::Tanh => Some(Fused::Tanh),
            Self::Relu => Some(Fused::Relu),
            Self::Gelu => None,
        };
        match kind.and_then(|kind| fused(layer, &input, kind)) {
            Some(output) => output,
            None => self.apply(layer.forward(input)),
        }
    }
}

/// What a detector is: its kind, the network's shape and the classic detectors' settings.
/// Defaults chosen by measurement (docs/models.md, "Models"). Also the command line's model
/// flags, each documented here once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct ModelConfig {
    /// Which detector: the ensemble (the default: the autoencoder, kNN distance and PCA voting
    /// together, which measured best), a network trained over epochs (ae, vae) or a classic
    /// peer fitted in one pass on the same benign flows and scaler (iforest, knn, pca, hbos).
    #[cfg_attr(feature = "cli", arg(long = "model", value_enum, default_value_t = ModelKind::default()))]
    pub kind: ModelKind,
    /// Widths of the encoder's hidden layers, widest first, comma-separated; the decoder mirrors
    /// them.
    #[cfg_attr(feature = "cli", arg(long, value_delimiter = ',', default_values_t = ModelConfig::default().hidden))]
    pub hidden: Vec<usize>,
    /// Width of the code in the middle (the bottleneck).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = ModelConfig::default().bottleneck))]
    pub bottleneck: usize,
    /// Non-linearity between hidden layers.
    #[cfg_attr(feature = "cli", arg(long, value_enum, default_value_t = Activation::default()))]
    pub activation: Activation,
    /// Share of hidden units dropped at random in training (0 for none).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = ModelConfig::default().dropout))]
    pub dropout: f64,
    /// Weight of the KL term in the VAE's loss (ignored by the autoencoder).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = ModelConfig::default().kl_weight))]
    pub kl_weight: f32,
    /// Scaled features are clipped to ± this many standard deviations of the benign flows, so
    /// one wild feature counts no more than any feature well out of its benign range (0 for no
    /// clip; every detector sees the same clipped flows).
    #[serde(default)]
    #[cfg_attr(feature = "cli", arg(long, default_value_t = ModelConfig::default().clip))]
    pub clip: f32,
    /// The classic detectors' settings (ignored by the networks).
    #[serde(default)]
    #[cfg_attr(feature = "cli", command(flatten))]
    pub classic: ClassicConfig,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            kind: ModelKind::default(),
            hidden: vec![64, 32],
            bottleneck: 8,
            activation: Activation::Tanh,
            dropout: 0.0,
            kl_weight: 0.01,
            clip: DEFAULT_CLIP,
            classic: ClassicConfig::default(),
        }
    }
}

/// The `(inputs, outputs)` of each dense layer.
pub struct LayerWidths {
    /// Input width down to the bottleneck (the autoencoder's encoder; the VAE's ends one layer
    /// earlier, where its mean and log-variance heads start).
    pub encoder: Vec<(usize, usize)>,
    /// Bottleneck back up to the input width.
    pub decoder: Vec<(usize, usize)>,
}

impl ModelConfig {
    /// The layer shapes for `inputs` features.
    pub fn widths(&self, inputs: usize) -> LayerWidths {
        let mut down = vec![inputs];
        down.extend(&self.hidden);
        down.push(self.bottleneck);
        let encoder: Vec<(usize, usize)> = down.windows(2).map(|pair| (pair[0], pair[1])).collect();
        let decoder = encoder.iter().rev().map(|&(from, to)| (to, from)).collect();
        LayerWidths { encoder, decoder }
    }

    /// Whether this shape can be built, and why not.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.bottleneck == 0 || self.hidden.contains(&0) {
            return Err(ConfigError::ZeroWidth);
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(ConfigError::Dropout(self.dropout));
        }
        let classic = &self.classic;
        if classic.trees == 0
            || classic.k == 0
            || classic.references == 0
            || classic.components == 0
        {
            return Err(ConfigError::ZeroCount);
        }
        if classic.tree_samples < 2 {
            return Err(ConfigError::TreeSamples);
        }
        if !self.kl_weight.is_finite() || self.kl_weight < 0.0 {
            return Err(ConfigError::KlWeight(self.kl_weight));
        }
        if !self.clip.is_finite() || self.clip < 0.0 {
            return Err(ConfigError::Clip(self.clip));
        }
        Ok(())
    }

    /// The clip the scaler applies: none for 0 (see [`ModelConfig::clip`]).
    pub fn scaler_clip(&self) -> Option<f32> {
        (self.clip > 0.0).then_some(self.clip)
    }
}

/// Why a model's settings cannot be used: each says which setting and what it must be.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum ConfigError {
    /// A layer of no units.
    #[error("layer widths must be at least 1")]
    ZeroWidth,
    /// Dropout outside [0, 1).
    #[error("dropout must be in [0, 1), not {0}")]
    Dropout(f64),
    /// A classic detector's count set to 0.
    #[error("trees, k, references and components must each be at least 1")]
    ZeroCount,
    /// Isolation Forest trees drawn from fewer than 2 flows.
    #[error("each tree needs at least 2 flows to split")]
    TreeSamples,
    /// A negative or non-finite KL weight.
    #[error("the KL weight must be 0 or more, not {0}")]
    KlWeight(f32),
    /// A negative or non-finite clip.
    #[error("the clip must be 0 (none) or a number of standard deviations above 0, not {0}")]
    Clip(f32),
    /// Cross-fitting with fewer than 2 folds.
    #[error("cross-fitting needs at least 2 folds, not {0}")]
    TooFewFolds(usize),
    /// A network given to the one-pass fitting.
    #[error("the {} is trained over epochs, not fitted in one pass", .0.title().to_lowercase())]
    NotFitted(ModelKind),
    /// A classic detector given to the trainer.
    #[error("{} is fitted in one pass, not trained over epochs", .0.title())]
    NotTrained(ModelKind),
}

/// The classic detectors' settings; defaults are scikit-learn's and PyOD's. A setting missing
/// from a model file (written before it existed) takes its default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(default)]
pub struct ClassicConfig {
    /// Isolation Forest: trees.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = ClassicConfig::default().trees))]
    pub trees: usize,
    /// Isolation Forest: benign flows drawn for each tree.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = ClassicConfig::default().tree_samples))]
    pub tree_samples: usize,
    /// kNN: which neighbour's distance is the score (1 = the nearest).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = ClassicConfig::default().k))]
    pub k: usize,
    /// kNN: benign flows kept as references at most (beyond that, a cover: each kept flow stands
    /// for the flows near it, and `train` says how near), which bounds the model file and the
    /// scoring cost.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = ClassicConfig::default().references))]
    pub references: usize,
    /// PCA: principal components kept.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = ClassicConfig::default().components))]
    pub components: usize,
    /// HBOS: equal-width bins of each feature's benign histogram.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = ClassicConfig::default().bins))]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_file_from_before_hbos_reads_with_its_default_bins() {
        let settings =
            r#"{"trees":100,"tree_samples":256,"k":5,"references":20000,"components":8}"#;
        let read: ClassicConfig = serde_json::from_str(settings).unwrap();
        assert_eq!(read, ClassicConfig::default());
    }

    #[test]
    fn a_clip_of_0_is_none_and_a_negative_one_is_refused_with_a_sentence() {
        let mut config = ModelConfig::default();
        assert_eq!(config.scaler_clip(), Some(DEFAULT_CLIP));
        config.clip = 0.0;
        assert_eq!(config.scaler_clip(), None);
        assert_eq!(config.check(), Ok(()));
        config.clip = -1.0;
        let refused = config.check().unwrap_err();
        assert_eq!(refused, ConfigError::Clip(-1.0));
        assert!(
            refused
                .to_string()
                .contains("0 (none) or a number of standard deviations")
        );
    }
}
