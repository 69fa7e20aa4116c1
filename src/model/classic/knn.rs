//! Distance to the k-th nearest benign training flow (Ramaswamy, Rastogi and Shim, SIGMOD 2000;
//! PyOD's `KNN` with `method="largest"`): a flow far from every benign flow seen is anomalous.
//! The benign flows are kept in the model (a seeded sample when there are many), and distances
//! are computed by matrix products on the device (`|x|² + |r|² - 2 x·r`), so a GPU does the work.

use burn::prelude::{Device, Tensor, TensorData};
use burn::tensor::IndexingUpdateOp;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::index::sample;

use crate::model::weights::{NamedTensor, NamedWeights, WeightError};

/// Distance entries computed at once (rows of a batch × reference flows): 16 MB of f32, small
/// enough for a phone's browser.
const DISTANCES_AT_ONCE: usize = 1 << 22;

/// The benign reference flows and `k`.
#[derive(Clone, Debug)]
pub struct Knn {
    /// Reference flows, row-major, as kept in the model file.
    values: Vec<f32>,
    /// The same on the device, `[references, width]`.
    reference: Tensor<2>,
    /// Their squared norms, `[1, references]`.
    norms: Tensor<2>,
    /// Which neighbour's distance is the score (1 = the nearest).
    k: usize,
}

impl Knn {
    /// Keeps at most `max_references` rows of the row-major `matrix` (a seeded sample when there
    /// are more) as the reference flows, on `device`.
    pub fn fit(
        matrix: &[f32],
        width: usize,
        k: usize,
        max_references: usize,
        seed: u64,
        device: &Device,
    ) -> Self {
        let rows = matrix.len() / width.max(1);
        let values = if rows <= max_references {
            matrix.to_vec()
        } else {
            let mut kept =
                sample(&mut StdRng::seed_from_u64(seed), rows, max_references).into_vec();
            kept.sort_unstable();
            kept.iter()
                .flat_map(|&row| &matrix[row * width..(row + 1) * width])
                .copied()
                .collect()
        };
        Self::on(values, width, k, device)
    }

    /// The detector for reference flows `values` (row-major, `width` wide) on `device`.
    fn on(values: Vec<f32>, width: usize, k: usize, device: &Device) -> Self {
        let rows = values.len() / width.max(1);
        let reference =
            Tensor::<2>::from_data(TensorData::new(values.clone(), [rows, width]), device);
        let norms = (reference.clone() * reference.clone())
            .sum_dim(1)
            .reshape([1, rows]);
        Self {
            values,
            reference,
            norms,
            k: k.clamp(1, rows.max(1)),
        }
    }

    /// Reference flows kept.
    pub fn references(&self) -> usize {
        self.reference.dims()[0]
    }

    /// For each row of a `[rows, width]` batch: the distance to its k-th nearest reference flow,
    /// and the nearest reference flow itself (what "normal" looks like nearby, for explanations).
    pub fn score(&self, input: Tensor<2>) -> (Tensor<1>, Tensor<2>) {
        let [rows, _] = input.dims();
        let chunk = (DISTANCES_AT_ONCE / self.references().max(1)).max(1);
        let mut distances = Vec::new();
        let mut nearest = Vec::new();
        for start in (0..rows).step_by(chunk) {
            let part = input.clone().narrow(0, start, chunk.min(rows - start));
            let [part_rows, _] = part.dims();
            let squared = (part.clone() * part.clone()).sum_dim(1) + self.norms.clone()
                - part
                    .matmul(self.reference.clone().transpose())
                    .mul_scalar(2.0);
            // The nearest by a minimum, then each next one by a minimum once the nearer ones
            // are set to infinity: k linear passes over each row, where top-k sorted every row
            // of thousands of distances (4.6× slower at k = 5 and 20,000 references).
            let (mut kth, first) = squared.clone().min_dim_with_indices(1);
            let mut rest = squared;
            let mut nearer = first.clone();
            for _ in 1..self.k {
                let infinity = Tensor::<2>::full([part_rows, 1], f32::INFINITY, &rest.device());
                rest = rest.scatter(1, nearer, infinity, IndexingUpdateOp::Add);
                (kth, nearer) = rest.clone().min_dim_with_indices(1);
            }
            distances.push(kth.clamp_min(0.0).sqrt().reshape([part_rows]));
            let first = first.reshape([part_rows]);
            nearest.push(self.reference.clone().select(0, first));
        }
        (Tensor::cat(distances, 0), Tensor::cat(nearest, 0))
    }

    /// The reference flows for the model file.
    pub fn weights(&self) -> NamedWeights {
        let width = self.reference.dims()[1];
        NamedWeights {
            tensors: vec![NamedTensor {
                name: "knn.reference".to_owned(),
                shape: vec![self.references(), width],
                values: self.values.clone(),
            }],
        }
    }

    /// The detector from a model file's `references` flows of `width` features.
    pub fn from_weights(
        weights: &NamedWeights,
        references: usize,
        width: usize,
        k: usize,
        device: &Device,
    ) -> Result<Self, WeightError> {
        let values = weights
            .get("knn.reference", &[references, width])?
            .values
            .clone();
        Ok(Self::on(values, width, k, device))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::classic::tests::{FIXTURE_WIDTH, SKLEARN_KNN, fixture, scores_of};

    /// Fits kNN with `k` to the fixture and checks its test scores against scikit-learn's.
    fn matches_scikit_learn(k: usize, expected: [f32; 8]) {
        let (train, test) = fixture();
        let knn = Knn::fit(&train, FIXTURE_WIDTH, k, usize::MAX, 0, &Device::flex());
        let scores = scores_of(|input| knn.score(input).0, &test);
        for (score, expected) in scores.iter().zip(expected) {
            assert!(
                (score - expected).abs() < 1e-4 * expected.max(1.0),
                "k = {k}: {scores:?}"
            );
        }
    }

    #[test]
    fn distances_match_scikit_learn_on_a_fixed_input() {
        // NearestNeighbors(n_neighbors=5).fit(train).kneighbors(test)[0][:, -1]
        matches_scikit_learn(5, SKLEARN_KNN);
    }

    #[test]
    fn the_nearest_neighbour_alone_matches_scikit_learn_too() {
        // k = 1 takes a minimum instead of a top-k (the ensemble's kNN member):
        // NearestNeighbors(n_neighbors=1).fit(train).kneighbors(test)[0][:, 0]
        matches_scikit_learn(
            1,
            [
                0.221_161_67,
                0.234_145_6,
                0.224_685_83,
                0.292_330_46,
                0.346_099_16,
                2.884_364_9,
                4.053_255,
                1.084_045_8,
            ],
        );
    }

    #[test]
    fn small_chunks_and_a_sampled_reference_give_the_same_kind_of_answer() {
        let (train, test) = fixture();
        let device = Device::flex();
        let knn = Knn::fit(&train, FIXTURE_WIDTH, 1, usize::MAX, 0, &device);
        // A training flow is its own nearest neighbour: distance 0, and it is its own nearest.
        let first = &train[..FIXTURE_WIDTH];
        let (distance, nearest) = knn.score(Tensor::from_data(
            TensorData::new(first.to_vec(), [1, FIXTURE_WIDTH]),
            &device,
        ));
        assert!(scores_of(|_| distance.clone(), first)[0] < 1e-3);
        assert_eq!(nearest.into_data().try_to_vec::<f32>().unwrap(), first);
        let sampled = Knn::fit(&train, FIXTURE_WIDTH, 1, 10, 3, &device);
        assert_eq!(sampled.references(), 10);
        let back = Knn::from_weights(&sampled.weights(), 10, FIXTURE_WIDTH, 1, &device).unwrap();
        assert_eq!(
            scores_of(|input| sampled.score(input).0, &test),
            scores_of(|input| back.score(input).0, &test)
        );
    }
}
