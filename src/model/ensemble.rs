//! NetSentry's default detector: the autoencoder, distance to the nearest benign flow and PCA
//! reconstruction error, voting together. Each alone leaves attacks below a few odd benign flows
//! (docs/experiments.md, "Model quality"), and each finds other attacks; the benign flows that fool one of
//! them are mostly odd in one or two features, while attacks differ a little in many. So each
//! member's per-feature errors pass through `ln(1 + e²)` (one wild feature cannot outweigh
//! several moderate ones), each member's score is put on one scale by its own scores on benign
//! flows it did not fit (how many interquartile ranges its logarithm lies above their median;
//! cross-fitted, see [`super::fit::cross_fit`]), and
//! the score is the exponential of their mean: a flow must look odd to several members to score
//! high. The exponential keeps scores positive like every other detector's (the agent, the
//! histogram and the charts take their logarithm): 1 is a flow as ordinary as the median unseen
//! benign flow to every member, e (2.7) one an interquartile range above it in all three.

use burn::prelude::{Device, Tensor, TensorData};

use super::batches::batches;
use super::classic::knn::Knn;
use super::classic::pca::Pca;
use super::config::{ModelConfig, NetworkKind};
use super::network::{Network, error_weight};
use super::weights::{NamedTensor, NamedWeights, WeightError, read};
use crate::metrics::threshold::percentile;

/// The members, in the order of [`Ensemble::scales`].
const MEMBERS: usize = 3;
/// Scores are floored here before their logarithm (a flow equal to a reference flow has
/// distance 0).
const FLOOR: f32 = 1e-6;
/// The mean scaled log score is capped here before its exponential, which stays finite in f32.
const CAP: f32 = 80.0;

/// The trained autoencoder with its fitted peers and the scales that make their scores comparable.
#[derive(Clone, Debug)]
pub struct Ensemble {
    /// The autoencoder; its reconstruction explains flows and its code is the agent's view.
    network: Network,
    /// Distance to the nearest benign training flow.
    knn: Knn,
    /// PCA reconstruction.
    pca: Pca,
    /// Per feature, [`error_weight`] of the autoencoder's mean squared error on benign flows it
    /// did not fit: each error in units of what is usual for that feature. `[1, width]`.
    error_scale: Tensor<2>,
    /// Per member (autoencoder, kNN, PCA): the median and interquartile range of the logarithm
    /// of its scores on benign flows it did not fit, row-major `[MEMBERS, 2]`, as the file keeps them.
    scales: Vec<f32>,
    /// The same medians and ranges on the device, `[1, MEMBERS]` each, so scoring a batch
    /// uploads nothing.
    centre: Tensor<2>,
    spread: Tensor<2>,
}

/// The medians and the ranges of row-major `[MEMBERS, 2]` `scales` as `[1, MEMBERS]` rows on
/// `device`.
fn placed(scales: &[f32], device: &Device) -> (Tensor<2>, Tensor<2>) {
    let column = |column: usize| {
        let values: Vec<f32> = scales.iter().skip(column).step_by(2).copied().collect();
        Tensor::<2>::from_data(TensorData::new(values, [1, MEMBERS]), device)
    };
    (column(0), column(1))
}

impl Ensemble {
    /// Completes a trained `network` with kNN (nearest flow) and PCA fitted to the row-major
    /// benign `train` flows. The members are not yet on one scale: [`Ensemble::calibrate`] puts
    /// them there with figures from benign flows none of them fitted (cross-fitting, see
    /// [`super::fit::cross_fit`]).
    pub async fn fit(
        network: Network,
        train: &[f32],
        width: usize,
        config: &ModelConfig,
        seed: u64,
        device: &Device,
    ) -> Result<Self, WeightError> {
        let knn = Knn::fit(train, width, 1, config.classic.references, seed, device).await?;
        let pca = Pca::fit(train, width, config.classic.components, device).await?;
        let unscaled = [0.0, 1.0].repeat(MEMBERS);
        let (centre, spread) = placed(&unscaled, device);
        Ok(Self {
            network,
            knn,
            pca,
            error_scale: Tensor::from_data(TensorData::new(vec![1.0; width], [1, width]), device),
            scales: unscaled,
            centre,
            spread,
        })
    }

    /// The kNN member (its references say how they were reduced).
    pub fn knn(&self) -> &Knn {
        &self.knn
    }

    /// Per feature, the autoencoder member's error scale given the autoencoder's mean squared
    /// error on benign flows it did not fit: [`error_weight`] of it.
    pub fn error_scale_of(mean_squared: &[f64]) -> Vec<f32> {
        mean_squared
            .iter()
            .map(|&mse| error_weight(mse) as f32)
            .collect()
    }

    /// Each member's median and interquartile range of the logarithm of its `members` scores
    /// (row-major `[rows, MEMBERS]`, from [`Ensemble::member_scores`] on benign flows none of
    /// the members fitted), row-major `[MEMBERS, 2]`.
    pub fn scales_of(members: &[f32]) -> Vec<f32> {
        (0..MEMBERS)
            .flat_map(|member| {
                let logs: Vec<f32> = members
                    .iter()
                    .skip(member)
                    .step_by(MEMBERS)
                    .map(|score| score.max(FLOOR).ln())
                    .collect();
                let quartile = |q| percentile(&logs, q).unwrap_or(0.0);
                let median = quartile(50.0);
                [median, (quartile(75.0) - quartile(25.0)).max(FLOOR)]
            })
            .collect()
    }

    /// Sets the autoencoder member's per-feature `error_scale` (see [`Ensemble::error_scale_of`])
    /// and the members' `scales` (see [`Ensemble::scales_of`]).
    pub fn calibrate(&mut self, error_scale: &[f32], scales: Vec<f32>) {
        let device = self.centre.device();
        let width = error_scale.len();
        self.error_scale =
            Tensor::from_data(TensorData::new(error_scale.to_vec(), [1, width]), &device);
        (self.centre, self.spread) = placed(&scales, &device);
        self.scales = scales;
    }

    /// Each member's raw score for the rows of a row-major `matrix` of scaled flows,
    /// row-major `[rows, MEMBERS]`, read in batches of [`super::batches::SCORE_BATCH`].
    pub async fn member_scores(&self, matrix: &[f32]) -> Result<Vec<f32>, WeightError> {
        let device = self.centre.device();
        let width = self.error_scale.dims()[1];
        let mut scores = Vec::with_capacity(matrix.len() / width.max(1) * MEMBERS);
        for input in batches(matrix, width, &device) {
            scores.extend(read(self.members(input).0).await?);
        }
        Ok(scores)
    }

    /// Each member's raw score for a `[rows, width]` batch, `[rows, MEMBERS]`, with the
    /// autoencoder's reconstruction and code.
    fn members(&self, input: Tensor<2>) -> (Tensor<2>, Tensor<2>, Tensor<2>) {
        let robust = |rebuilt: Tensor<2>, scale: Option<Tensor<2>>| {
            let error = rebuilt - input.clone();
            let squared = error.clone() * error;
            let squared = match scale {
                Some(scale) => squared * scale,
                None => squared,
            };
            squared.log1p().mean_dim(1)
        };
        let (reconstruction, code) = self.network.reconstruct(input.clone());
        let autoencoder = robust(reconstruction.clone(), Some(self.error_scale.clone()));
        let [rows, _] = input.dims();
        let (distance, _) = self.knn.score(input.clone());
        let pca = robust(self.pca.reconstruct(input.clone()), None);
        let members = Tensor::cat(vec![autoencoder, distance.reshape([rows, 1]), pca], 1);
        (members, reconstruction, code)
    }

    /// The ensemble's score for each row of a `[rows, width]` batch (the exponential of the mean
    /// of the members' scaled log scores), the autoencoder's reconstruction and its code.
    pub fn forward(&self, input: Tensor<2>) -> (Tensor<1>, Tensor<2>, Tensor<2>) {
        let [rows, _] = input.dims();
        let (members, reconstruction, code) = self.members(input);
        let scaled = (members.clamp_min(FLOOR).log() - self.centre.clone()) / self.spread.clone();
        let score = scaled.mean_dim(1).clamp(-CAP, CAP).exp();
        (score.reshape([rows]), reconstruction, code)
    }

    /// The members' weights and tables, and the ensemble's own scales, for the model file.
    pub async fn weights(&self) -> Result<NamedWeights, WeightError> {
        let mut named = self.network.weights().await?;
        named.tensors.extend(self.knn.weights().tensors);
        named.tensors.extend(self.pca.weights().await?.tensors);
        let error_scale = read(self.error_scale.clone()).await?;
        named.tensors.push(NamedTensor {
            name: "ensemble.error_scale".to_owned(),
            shape: vec![error_scale.len()],
            values: error_scale,
        });
        named.tensors.push(NamedTensor {
            name: "ensemble.scales".to_owned(),
            shape: vec![MEMBERS, 2],
            values: self.scales.clone(),
        });
        Ok(named)
    }

    /// The ensemble `config` describes for `inputs` features, from a model file's `weights`.
    pub fn from_weights(
        inputs: usize,
        config: &ModelConfig,
        weights: &NamedWeights,
        device: &Device,
    ) -> Result<Self, WeightError> {
        let network =
            Network::from_weights(inputs, NetworkKind::Autoencoder, config, weights, device)?;
        let knn = Knn::from_weights(weights, inputs, 1, device)?;
        let pca = Pca::from_weights(
            weights,
            config.classic.components.min(inputs),
            inputs,
            device,
        )?;
        let error_scale = weights
            .get("ensemble.error_scale", &[inputs])?
            .values
            .clone();
        let scales = weights
            .get("ensemble.scales", &[MEMBERS, 2])?
            .values
            .clone();
        let (centre, spread) = placed(&scales, device);
        Ok(Self {
            network,
            knn,
            pca,
            error_scale: Tensor::from_data(TensorData::new(error_scale, [1, inputs]), device),
            scales,
            centre,
            spread,
        })
    }
}

#[cfg(test)]
mod tests {
    use burn::prelude::Device;
    use pollster::block_on;

    use super::*;
    use crate::model::classic::fixture::{FIXTURE_WIDTH, fixture, scores_of};
    use crate::model::config::ModelKind;
    use crate::model::network::train::{TrainConfig, Trainer};

    fn scores(ensemble: &Ensemble, rows: &[f32]) -> Vec<f32> {
        scores_of(|input| ensemble.forward(input).0, rows)
    }

    #[test]
    fn outliers_outscore_normal_flows_and_the_file_keeps_every_member() {
        let device = Device::flex();
        let config = ModelConfig {
            kind: ModelKind::Ensemble,
            hidden: vec![3],
            bottleneck: 2,
            ..ModelConfig::default()
        };
        let (train, test) = fixture();
        let (fitted, validation) = train.split_at(150 * FIXTURE_WIDTH);
        // A trained autoencoder, not a freshly initialised one: an untrained member scores
        // noise, and whether that noise outvotes kNN and PCA on the mildest outlier would depend
        // on the initial weights (tests share the device's random generator, so those vary).
        let mut trainer = Trainer::new(
            &device,
            config.clone(),
            TrainConfig {
                epochs: 150,
                batch_size: 16,
                patience: 150,
                ..TrainConfig::default()
            },
            FIXTURE_WIDTH,
            fitted.to_vec(),
            validation.to_vec(),
        )
        .unwrap();
        while block_on(trainer.step(64)).unwrap().finished.is_none() {}
        let network = trainer.network();
        let mut ensemble = block_on(Ensemble::fit(
            network.clone(),
            fitted,
            FIXTURE_WIDTH,
            &config,
            7,
            &device,
        ))
        .unwrap();
        // Calibrated on benign flows no member fitted, as cross-fitting does.
        let rows = validation.len() / FIXTURE_WIDTH;
        let input = Tensor::<2>::from_data(
            TensorData::new(validation.to_vec(), [rows, FIXTURE_WIDTH]),
            &device,
        );
        let (rebuilt, _) = network.reconstruct(input.clone());
        let error = rebuilt - input;
        let mean_squared: Vec<f64> = block_on(read((error.clone() * error).mean_dim(0)))
            .unwrap()
            .into_iter()
            .map(f64::from)
            .collect();
        let error_scale = Ensemble::error_scale_of(&mean_squared);
        ensemble.calibrate(&error_scale, [0.0, 1.0].repeat(MEMBERS));
        let members = block_on(ensemble.member_scores(validation)).unwrap();
        ensemble.calibrate(&error_scale, Ensemble::scales_of(&members));

        // On the benign flows it was calibrated on each member's scaled log score has median 0,
        // so the ensemble's median is near e⁰ = 1 (within the members' disagreement).
        let mut on_validation = scores(&ensemble, validation);
        on_validation.sort_by(f32::total_cmp);
        let median = on_validation[on_validation.len() / 2];
        assert!(median.ln().abs() < 0.5, "median {median}");
        assert!(on_validation[0] > 0.0);
        // The fixture's three outliers score above its five normal flows.
        let test_scores = scores(&ensemble, &test);
        let normal_max = test_scores[..5].iter().copied().fold(f32::MIN, f32::max);
        for outlier in &test_scores[5..] {
            assert!(outlier > &normal_max, "{test_scores:?}");
        }

        // The model file keeps the network, the peers' tables and the scales.
        let weights = block_on(ensemble.weights()).unwrap();
        for name in [
            "encoder.0.weight",
            "knn.reference",
            "pca.components",
            "ensemble.scales",
        ] {
            assert!(weights.tensors.iter().any(|t| t.name == name), "no {name}");
        }
        let loaded = Ensemble::from_weights(FIXTURE_WIDTH, &config, &weights, &device).unwrap();
        // Equal up to float rounding: the file's weights come back in another memory layout.
        for (loaded, fitted) in scores(&loaded, &test).iter().zip(&test_scores) {
            assert!(
                (loaded - fitted).abs() <= 1e-5 * fitted.abs(),
                "{loaded} vs {fitted}"
            );
        }
    }
}
