//! PCA reconstruction error (Shyu et al., ICDM 2003; PyOD's `PCA`): the benign training flows'
//! leading principal components span "normal"; a flow far from that subspace is anomalous. The
//! components come from burn's SVD of the benign covariance (on the CPU backend, where it runs);
//! scoring is two matrix products on any device, and the residual gives per-feature errors like
//! the autoencoder's reconstruction.

use burn::linalg::svd;
use burn::prelude::{Device, Tensor, TensorData};

use crate::model::weights::{NamedTensor, NamedWeights, WeightError, read};

/// Fitted mean and components.
#[derive(Clone, Debug)]
pub struct Pca {
    /// The benign mean, `[1, width]`.
    mean: Tensor<2>,
    /// The leading components as rows, `[components, width]`.
    components: Tensor<2>,
}

/// QR sweeps allowed per singular value; a covariance matrix converges in a handful.
const SVD_SWEEPS: usize = 100;

impl Pca {
    /// Fits `components` components (at most the number of features) to the row-major `matrix`
    /// of `width` features, and keeps them on `device`.
    pub async fn fit(
        matrix: &[f32],
        width: usize,
        components: usize,
        device: &Device,
    ) -> Result<Self, WeightError> {
        let rows = matrix.len() / width.max(1);
        let host = Device::flex();
        let data = Tensor::<2>::from_data(TensorData::new(matrix.to_vec(), [rows, width]), &host);
        let mean = data.clone().mean_dim(0);
        let centred = data - mean.clone();
        let covariance = centred.clone().transpose().matmul(centred) / (rows.max(2) - 1) as f32;
        let (_, _, rows_of_v) = svd::<2, 1>(covariance, SVD_SWEEPS);
        let components = components.clamp(1, width);
        let mean = read(mean).await?;
        let kept = read(rows_of_v.narrow(0, 0, components)).await?;
        Ok(Self::on(&mean, &kept, width, device))
    }

    /// The detector with `mean` and `components` (row-major, `width` wide) on `device`.
    fn on(mean: &[f32], components: &[f32], width: usize, device: &Device) -> Self {
        Self {
            mean: Tensor::from_data(TensorData::new(mean.to_vec(), [1, width]), device),
            components: Tensor::from_data(
                TensorData::new(components.to_vec(), [components.len() / width, width]),
                device,
            ),
        }
    }

    /// Each row of a `[rows, width]` batch projected onto the components: its nearest point in
    /// the benign subspace.
    pub fn reconstruct(&self, input: Tensor<2>) -> Tensor<2> {
        let centred = input - self.mean.clone();
        let code = centred.matmul(self.components.clone().transpose());
        code.matmul(self.components.clone()) + self.mean.clone()
    }

    /// Mean and components for the model file.
    pub async fn weights(&self) -> Result<NamedWeights, WeightError> {
        let [components, width] = self.components.dims();
        Ok(NamedWeights {
            tensors: vec![
                NamedTensor {
                    name: "pca.mean".to_owned(),
                    shape: vec![width],
                    values: read(self.mean.clone()).await?,
                },
                NamedTensor {
                    name: "pca.components".to_owned(),
                    shape: vec![components, width],
                    values: read(self.components.clone()).await?,
                },
            ],
        })
    }

    /// The detector from a model file, with `components` components of `width` features.
    pub fn from_weights(
        weights: &NamedWeights,
        components: usize,
        width: usize,
        device: &Device,
    ) -> Result<Self, WeightError> {
        let mean = &weights.get("pca.mean", &[width])?.values;
        let kept = &weights.get("pca.components", &[components, width])?.values;
        Ok(Self::on(mean, kept, width, device))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::classic::fixture::{FIXTURE_WIDTH, SKLEARN_PCA, fixture, scores_of};

    #[test]
    fn residuals_match_scikit_learn_on_a_fixed_input() {
        // p = PCA(n_components=3).fit(train); ((test - p.inverse_transform(p.transform(test)))**2).sum(1)
        let (train, test) = fixture();
        let device = Device::flex();
        let pca = pollster::block_on(Pca::fit(&train, FIXTURE_WIDTH, 3, &device)).unwrap();
        let residual = |input: Tensor<2>| {
            let error = pca.reconstruct(input.clone()) - input;
            (error.clone() * error).sum_dim(1).reshape([-1])
        };
        let scores = scores_of(residual, &test);
        for (score, expected) in scores.iter().zip(SKLEARN_PCA) {
            assert!(
                (score - expected).abs() < 1e-3 * expected.max(1.0),
                "{scores:?} against {SKLEARN_PCA:?}"
            );
        }
        let back = Pca::from_weights(
            &pollster::block_on(pca.weights()).unwrap(),
            3,
            FIXTURE_WIDTH,
            &device,
        )
        .unwrap();
        let again = scores_of(
            |input: Tensor<2>| {
                let error = back.reconstruct(input.clone()) - input;
                (error.clone() * error).sum_dim(1).reshape([-1])
            },
            &test,
        );
        assert_eq!(scores, again);
    }
}
