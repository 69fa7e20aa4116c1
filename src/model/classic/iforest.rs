//! Isolation Forest (Liu, Ting and Zhou, ICDM 2008), as scikit-learn's `IsolationForest` builds
//! it: each tree splits a random subsample of the benign training flows on a random feature at a
//! random value until every flow stands alone or the depth limit is reached; a flow that is
//! isolated in few splits is anomalous. Score = `2^(-mean path length / c(samples))` (scikit-learn's
//! `-score_samples`), between 0 and 1, higher is more anomalous.
//!
//! Trees are kept as two `[trees, nodes]` tables in heap order (node `i` has children `2i + 1`
//! and `2i + 2`), so scoring walks every tree of a batch at once on the device, without reading
//! anything back until the scores.

use burn::prelude::{Device, Int, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::seq::index::sample;
use rand::{RngExt, SeedableRng};

use crate::model::weights::{NamedTensor, NamedWeights, WeightError};

/// A fitted forest.
#[derive(Clone, Debug)]
pub struct IsolationForest {
    /// Per tree and node: the feature split on, or -1 at a leaf.
    features: Vec<f32>,
    /// Per tree and node: the split value (go left when `value <= split`), or at a leaf the path
    /// length it stands for: its depth plus [`average_path`] of the flows that reached it.
    splits: Vec<f32>,
    /// Trees in the forest.
    trees: usize,
    /// Flows drawn for each tree (fixes the depth limit and the normalisation).
    samples: usize,
    /// `features` on the device.
    feature_table: Tensor<1, Int>,
    /// `splits` on the device.
    split_table: Tensor<1>,
}

/// Marks a leaf in the feature table.
const LEAF: f32 = -1.0;

/// The mean path length of an unsuccessful search in a binary search tree of `n` flows: what a
/// leaf holding `n` flows adds to the path, and the score's normalisation (scikit-learn's
/// `_average_path_length`).
pub fn average_path(n: usize) -> f64 {
    const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;
    match n {
        0 | 1 => 0.0,
        2 => 1.0,
        n => {
            let n = n as f64;
            2.0 * ((n - 1.0).ln() + EULER_GAMMA) - 2.0 * (n - 1.0) / n
        }
    }
}

impl IsolationForest {
    /// Grows `trees` trees, each on `samples` flows (fewer if there are fewer) drawn without
    /// replacement from the row-major `matrix` of `width` features, seeded with `seed`; kept on
    /// `device`.
    pub fn fit(
        matrix: &[f32],
        width: usize,
        trees: usize,
        samples: usize,
        seed: u64,
        device: &Device,
    ) -> Self {
        let rows = matrix.len() / width.max(1);
        let samples = samples.min(rows).max(1);
        let nodes = node_count(samples);
        let mut features = vec![LEAF; trees * nodes];
        let mut splits = vec![0.0; trees * nodes];
        let mut rng = StdRng::seed_from_u64(seed);
        for tree in 0..trees {
            let mut drawn: Vec<usize> = sample(&mut rng, rows, samples).into_vec();
            let mut grower = Grower {
                matrix,
                width,
                max_depth: max_depth(samples),
                features: &mut features[tree * nodes..(tree + 1) * nodes],
                splits: &mut splits[tree * nodes..(tree + 1) * nodes],
                rng: &mut rng,
            };
            grower.grow(0, 0, &mut drawn);
        }
        Self::on(features, splits, trees, samples, device)
    }

    /// The forest with tables `features` and `splits` on `device`.
    fn on(
        features: Vec<f32>,
        splits: Vec<f32>,
        trees: usize,
        samples: usize,
        device: &Device,
    ) -> Self {
        let table = |values: &[f32]| {
            Tensor::<1>::from_data(TensorData::new(values.to_vec(), [values.len()]), device)
        };
        Self {
            feature_table: table(&features).int(),
            split_table: table(&splits),
            features,
            splits,
            trees,
            samples,
        }
    }

    /// Anomaly scores of a `[rows, width]` batch, on its device.
    pub fn score(&self, input: Tensor<2>) -> Tensor<1> {
        let device = input.device();
        let [rows, _] = input.dims();
        let nodes = node_count(self.samples);
        let (features, splits) = (&self.feature_table, &self.split_table);
        // Each (row, tree) pair walks its tree; `first` is each tree's root in the flat tables.
        let first = Tensor::<1, Int>::arange(0..self.trees as i64, &device)
            .mul_scalar(nodes as i64)
            .reshape([1, self.trees])
            .expand([rows, self.trees]);
        let mut node = Tensor::<2, Int>::zeros([rows, self.trees], &device);
        let flat =
            |node: &Tensor<2, Int>| (first.clone() + node.clone()).reshape([rows * self.trees]);
        for _ in 0..max_depth(self.samples) {
            let at = flat(&node);
            let feature = features
                .clone()
                .gather(0, at.clone())
                .reshape([rows, self.trees]);
            let leaf = feature.clone().lower_elem(0);
            let value = input.clone().gather(1, feature.clamp_min(0));
            let split = splits.clone().gather(0, at).reshape([rows, self.trees]);
            let right = value.greater(split).int();
            let child = node.clone().mul_scalar(2) + right + 1;
            node = child.mask_where(leaf, node);
        }
        let path = splits
            .clone()
            .gather(0, flat(&node))
            .reshape([rows, self.trees]);
        let exponent = path.mean_dim(1).reshape([rows]) / average_path(self.samples) as f32;
        // 2^(-exponent)
        (exponent * -std::f32::consts::LN_2).exp()
    }

    /// The forest as named tables for the model file.
    pub fn weights(&self) -> NamedWeights {
        let nodes = node_count(self.samples);
        let tensor = |name: &str, values: &[f32]| NamedTensor {
            name: name.to_owned(),
            shape: vec![self.trees, nodes],
            values: values.to_vec(),
        };
        NamedWeights {
            tensors: vec![
                tensor("iforest.feature", &self.features),
                tensor("iforest.split", &self.splits),
            ],
        }
    }

    /// The forest of `trees` trees on `samples` flows each, from a model file's tables, on
    /// `device`.
    pub fn from_weights(
        weights: &NamedWeights,
        trees: usize,
        samples: usize,
        device: &Device,
    ) -> Result<Self, WeightError> {
        let shape = [trees, node_count(samples)];
        Ok(Self::on(
            weights.get("iforest.feature", &shape)?.values.clone(),
            weights.get("iforest.split", &shape)?.values.clone(),
            trees,
            samples,
            device,
        ))
    }
}

/// scikit-learn's depth limit: `ceil(log2(samples))`.
fn max_depth(samples: usize) -> usize {
    samples.max(2).next_power_of_two().trailing_zeros() as usize
}

/// Nodes of a full tree of [`max_depth`].
fn node_count(samples: usize) -> usize {
    (1 << (max_depth(samples) + 1)) - 1
}

/// Grows one tree into its slice of the tables.
struct Grower<'a> {
    matrix: &'a [f32],
    width: usize,
    max_depth: usize,
    features: &'a mut [f32],
    splits: &'a mut [f32],
    rng: &'a mut StdRng,
}

impl Grower<'_> {
    fn grow(&mut self, node: usize, depth: usize, rows: &mut [usize]) {
        let split = if depth < self.max_depth && rows.len() > 1 {
            self.random_split(rows)
        } else {
            None
        };
        let Some((feature, value)) = split else {
            self.features[node] = LEAF;
            self.splits[node] = (depth as f64 + average_path(rows.len())) as f32;
            return;
        };
        self.features[node] = feature as f32;
        self.splits[node] = value;
        let at = |row: usize| self.matrix[row * self.width + feature];
        let mut left = 0;
        for index in 0..rows.len() {
            if at(rows[index]) <= value {
                rows.swap(left, index);
                left += 1;
            }
        }
        let (low, high) = rows.split_at_mut(left);
        self.grow(2 * node + 1, depth + 1, low);
        self.grow(2 * node + 2, depth + 1, high);
    }

    /// A random feature that varies among `rows` (features tried in random order, as
    /// scikit-learn skips constant ones) and a value drawn uniformly between its extremes.
    /// `None` when every feature is constant there.
    fn random_split(&mut self, rows: &[usize]) -> Option<(usize, f32)> {
        let mut untried: Vec<usize> = (0..self.width).collect();
        while !untried.is_empty() {
            let feature = untried.swap_remove(self.rng.random_range(0..untried.len()));
            let (low, high) =
                rows.iter()
                    .fold((f32::INFINITY, f32::NEG_INFINITY), |(low, high), &row| {
                        let value = self.matrix[row * self.width + feature];
                        (low.min(value), high.max(value))
                    });
            if high > low {
                let value = low + self.rng.random::<f32>() * (high - low);
                // Rounding may land on the top value, which would send every flow left.
                return Some((feature, if value < high { value } else { low }));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::classic::fixture::{FIXTURE_WIDTH, fixture, scores_of};

    #[test]
    fn average_path_matches_scikit_learn() {
        // sklearn.ensemble._iforest._average_path_length([1, 2, 3, 10, 256])
        let expected = [
            0.0,
            1.0,
            1.207_392_357_589_623,
            3.748_880_484_475_505,
            10.244_770_920_119_917,
        ];
        for (n, expected) in [1, 2, 3, 10, 256].into_iter().zip(expected) {
            assert!(
                (average_path(n) - expected).abs() < 1e-12,
                "c({n}) = {}",
                average_path(n)
            );
        }
    }

    #[test]
    fn depth_limit_and_table_size() {
        assert_eq!((max_depth(256), node_count(256)), (8, 511));
        assert_eq!((max_depth(200), node_count(200)), (8, 511));
        assert_eq!((max_depth(2), node_count(2)), (1, 3));
    }

    #[test]
    fn scores_agree_with_scikit_learn_on_a_fixed_input() {
        // IsolationForest(n_estimators=1000, max_samples=64, random_state=0).fit(train);
        // -score_samples(test), with train and test from `fixture` (see classic/mod.rs). The
        // trees are random, so the forests agree in distribution, not bit for bit.
        let (train, test) = fixture();
        let forest = IsolationForest::fit(&train, FIXTURE_WIDTH, 1000, 64, 7, &Device::flex());
        let scores = scores_of(|input| forest.score(input), &test);
        let expected = crate::model::classic::fixture::SKLEARN_IFOREST;
        for (score, expected) in scores.iter().zip(expected) {
            assert!(
                (score - expected).abs() < 0.02,
                "{scores:?} against {expected:?}"
            );
        }
    }

    #[test]
    fn tables_survive_the_model_file() {
        let (train, test) = fixture();
        let device = Device::flex();
        let forest = IsolationForest::fit(&train, FIXTURE_WIDTH, 20, 32, 1, &device);
        let back = IsolationForest::from_weights(&forest.weights(), 20, 32, &device).unwrap();
        assert_eq!(
            scores_of(|input| forest.score(input), &test),
            scores_of(|input| back.score(input), &test)
        );
        assert!(matches!(
            IsolationForest::from_weights(&forest.weights(), 20, 256, &device),
            Err(WeightError::Shape { .. })
        ));
    }
}
