//! Distance to the k-th nearest benign training flow (Ramaswamy, Rastogi and Shim, SIGMOD 2000;
//! PyOD's `KNN` with `method="largest"`): a flow far from every benign flow seen is anomalous.
//! The benign flows are kept in the model (a [`Cover`] of them when there are many, each kept
//! flow counting the flows it stands for), and distances are computed by matrix products on the
//! device (`|x|² + |r|² - 2 x·r`), so a GPU does the work.

use burn::prelude::{Device, Tensor, TensorData};
use burn::tensor::IndexingUpdateOp;

use super::cover::Cover;
use crate::model::weights::{NamedTensor, NamedWeights, WeightError};

/// Distance entries computed at once (rows of a batch × reference flows): 16 MB of f32, small
/// enough for a phone's browser.
const DISTANCES_AT_ONCE: usize = 1 << 22;

/// The benign reference flows and `k`.
#[derive(Clone, Debug)]
pub struct Knn {
    /// Reference flows and their counts, as kept in the model file.
    cover: Cover,
    /// The reference flows on the device, `[references, width]`.
    reference: Tensor<2>,
    /// Their squared norms, `[1, references]`.
    norms: Tensor<2>,
    /// How many benign flows each reference flow stands for, `[references]`.
    counts: Tensor<1>,
    /// Which neighbour's distance is the score (1 = the nearest), counting each reference flow
    /// as many times as the flows it stands for.
    k: usize,
}

impl Knn {
    /// Keeps the benign flows of the row-major `matrix` as reference flows on `device`: all of
    /// them when there are at most `max_references`, otherwise a seeded [`Cover`] of at most
    /// that many.
    pub async fn fit(
        matrix: &[f32],
        width: usize,
        k: usize,
        max_references: usize,
        seed: u64,
        device: &Device,
    ) -> Result<Self, WeightError> {
        let cover = Cover::of(matrix, width, max_references, seed, device).await?;
        Ok(Self::on(cover, width, k, device))
    }

    /// The detector for the reference flows of `cover` (`width` wide) on `device`.
    fn on(cover: Cover, width: usize, k: usize, device: &Device) -> Self {
        let rows = cover.kept();
        let reference =
            Tensor::<2>::from_data(TensorData::new(cover.values.clone(), [rows, width]), device);
        let norms = (reference.clone() * reference.clone())
            .sum_dim(1)
            .reshape([1, rows]);
        let counts = Tensor::<1>::from_data(TensorData::new(cover.counts.clone(), [rows]), device);
        let stood_for = cover.counts.iter().sum::<f32>() as usize;
        Self {
            cover,
            reference,
            norms,
            counts,
            k: k.clamp(1, stood_for.max(1)),
        }
    }

    /// Reference flows kept.
    pub fn references(&self) -> usize {
        self.reference.dims()[0]
    }

    /// How far any fitted benign flow is from the reference flow that stands for it (0 when all
    /// are kept): the most a score differs from exact kNN over every fitted flow.
    pub fn radius(&self) -> f32 {
        self.cover.radius
    }

    /// When the reference flows are a cover of the fitted ones, a sentence saying how many stand
    /// for how many and how far a score can be from exact kNN; `None` when every flow is kept.
    pub fn reduction(&self) -> Option<String> {
        (self.cover.radius > 0.0).then(|| {
            format!(
                "kNN keeps {} reference flows standing for the {} benign flows fitted, each within {:.3} (in standard deviations of the scaled features) of the flow that stands for it, so each kNN distance is within {:.3} of exact kNN over all of them",
                self.references(),
                self.cover.counts.iter().sum::<f32>() as usize,
                self.cover.radius,
                self.cover.radius
            )
        })
    }

    /// The counts of the reference flows at `indices` (`[rows, 1]`), as `[rows, 1]`.
    fn counted(&self, indices: Tensor<2, burn::tensor::Int>, rows: usize) -> Tensor<2> {
        self.counts
            .clone()
            .select(0, indices.reshape([rows]))
            .reshape([rows, 1])
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
            // are set to infinity, until the reference flows passed stand for k flows: k linear
            // passes over each row at most, where top-k sorted every row of thousands of
            // distances (4.6× slower at k = 5 and 20,000 references).
            let (mut kth, first) = squared.clone().min_dim_with_indices(1);
            let mut counted = self.counted(first.clone(), part_rows);
            let mut rest = squared;
            let mut nearer = first.clone();
            for _ in 1..self.k {
                let infinity = Tensor::<2>::full([part_rows, 1], f32::INFINITY, &rest.device());
                rest = rest.scatter(1, nearer, infinity, IndexingUpdateOp::Add);
                let next;
                (next, nearer) = rest.clone().min_dim_with_indices(1);
                let short = counted.clone().lower_elem(self.k as f32);
                kth = kth.mask_where(short, next);
                counted = counted + self.counted(nearer.clone(), part_rows);
            }
            distances.push(kth.clamp_min(0.0).sqrt().reshape([part_rows]));
            let first = first.reshape([part_rows]);
            nearest.push(self.reference.clone().select(0, first));
        }
        (Tensor::cat(distances, 0), Tensor::cat(nearest, 0))
    }

    /// The reference flows, their counts and the cover's radius for the model file.
    pub fn weights(&self) -> NamedWeights {
        let width = self.reference.dims()[1];
        let references = self.references();
        NamedWeights {
            tensors: vec![
                NamedTensor {
                    name: "knn.reference".to_owned(),
                    shape: vec![references, width],
                    values: self.cover.values.clone(),
                },
                NamedTensor {
                    name: "knn.count".to_owned(),
                    shape: vec![references],
                    values: self.cover.counts.clone(),
                },
                NamedTensor {
                    name: "knn.radius".to_owned(),
                    shape: vec![1],
                    values: vec![self.cover.radius],
                },
            ],
        }
    }

    /// The detector from a model file's reference flows of `width` features. A file written
    /// before covers has no counts and no radius: every flow it kept stands for itself.
    pub fn from_weights(
        weights: &NamedWeights,
        width: usize,
        k: usize,
        device: &Device,
    ) -> Result<Self, WeightError> {
        let values = weights.rows_of("knn.reference", width)?.values.clone();
        let references = values.len() / width.max(1);
        let cover = if weights.has("knn.count") {
            Cover {
                values,
                counts: weights.get("knn.count", &[references])?.values.clone(),
                radius: weights.get("knn.radius", &[1])?.values[0],
            }
        } else {
            Cover::all(&values, width)
        };
        Ok(Self::on(cover, width, k, device))
    }
}

#[cfg(test)]
mod tests {
    use pollster::block_on;

    use super::*;
    use crate::model::classic::fixture::{FIXTURE_WIDTH, SKLEARN_KNN, fixture, scores_of};

    fn fitted(train: &[f32], k: usize, max_references: usize) -> Knn {
        block_on(Knn::fit(
            train,
            FIXTURE_WIDTH,
            k,
            max_references,
            3,
            &Device::flex(),
        ))
        .unwrap()
    }

    /// Fits kNN with `k` to the fixture and checks its test scores against scikit-learn's.
    fn matches_scikit_learn(k: usize, expected: [f32; 8]) {
        let (train, test) = fixture();
        let knn = fitted(&train, k, usize::MAX);
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
    fn a_training_flow_is_its_own_nearest_reference() {
        let (train, _) = fixture();
        let knn = fitted(&train, 1, usize::MAX);
        let first = &train[..FIXTURE_WIDTH];
        let (distance, nearest) = knn.score(Tensor::from_data(
            TensorData::new(first.to_vec(), [1, FIXTURE_WIDTH]),
            &Device::flex(),
        ));
        assert!(scores_of(|_| distance.clone(), first)[0] < 1e-3);
        assert_eq!(nearest.into_data().try_to_vec::<f32>().unwrap(), first);
    }

    #[test]
    fn repeated_flows_count_as_often_as_they_were_given() {
        // Every flow three times: the 5th neighbour over all 600 is the 2nd distinct flow, which
        // the cover (each flow kept once, counting 3) must find by its counts.
        let (train, test) = fixture();
        let tripled: Vec<f32> = (0..3).flat_map(|_| train.iter().copied()).collect();
        let covered = fitted(&tripled, 5, 300);
        assert_eq!(covered.references(), 200);
        let exact = fitted(&train, 2, usize::MAX);
        let [a, b] = [&covered, &exact].map(|knn| scores_of(|input| knn.score(input).0, &test));
        for (a, b) in a.iter().zip(&b) {
            assert!((a - b).abs() < 1e-4, "{a:?} against {b:?}");
        }
    }

    #[test]
    fn a_cover_moves_each_score_by_its_radius_at_most_and_survives_the_file() {
        let (train, test) = fixture();
        for k in [1, 5] {
            let exact = fitted(&train, k, usize::MAX);
            let covered = fitted(&train, k, 50);
            assert!(covered.references() <= 50 && covered.radius() > 0.0);
            let [a, b] = [&covered, &exact].map(|knn| scores_of(|input| knn.score(input).0, &test));
            for (a, b) in a.iter().zip(&b) {
                assert!(
                    (a - b).abs() <= covered.radius() * 1.001,
                    "k = {k}: {a} against {b}"
                );
            }
            let back =
                Knn::from_weights(&covered.weights(), FIXTURE_WIDTH, k, &Device::flex()).unwrap();
            assert_eq!(a, scores_of(|input| back.score(input).0, &test));
        }
    }
}
