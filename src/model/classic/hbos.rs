//! Histogram-based outlier score (HBOS; Goldstein and Dengel, KI 2012; PyOD's `HBOS`): one
//! histogram per feature of the benign training flows, and a flow's score is how improbable its
//! values are under them, feature by feature, as if the features were independent. It is the
//! fast baseline the published benchmarks include. It cannot see how features go together, as
//! the autoencoder, kNN and PCA do, so it misses attacks whose values are each common in benign
//! traffic (port scans: docs/experiments.md, "Model quality"). Scoring is elementwise work and one table
//! lookup on the device.

use burn::prelude::{Device, Int, Tensor, TensorData};

use crate::model::weights::{NamedTensor, NamedWeights, WeightError};

/// PyOD's regulariser, added to every bin's density before its logarithm, so an empty bin costs
/// a finite `log2(1 / ALPHA)` ≈ 3.3 bits.
const ALPHA: f64 = 0.1;
/// PyOD's tolerance: a value at most this many bin widths beyond the histogram's range counts as
/// in the edge bin; farther out it gets the feature's rarest bin.
const TOLERANCE: f32 = 0.5;

/// The bin of a value `position` bin widths above the lower edge: the edge bins take what lies
/// beyond them (the largest training value sits on the upper edge).
fn bin_of(position: f32, bins: usize) -> usize {
    position.floor().clamp(0.0, (bins - 1) as f32) as usize
}

/// Per feature, the histogram's range and each bin's surprise.
#[derive(Clone, Debug)]
pub struct Hbos {
    /// Lower edge, bin width and `log2(density + ALPHA)` per bin, row-major `[width, bins]`, as
    /// the model file keeps them.
    lower: Vec<f32>,
    bin_width: Vec<f32>,
    log_density: Vec<f32>,
    /// The same edges on the device, `[1, width]`.
    lower_row: Tensor<2>,
    bin_width_row: Tensor<2>,
    /// The log densities flattened, so one `select` looks up every feature's bin.
    table: Tensor<1>,
    /// Each feature's lowest log density, `[1, width]`, for values far outside its range.
    rarest: Tensor<2>,
    bins: usize,
}

impl Hbos {
    /// Fits `bins` equal-width bins per feature to the row-major `matrix` of `width` features
    /// (NumPy's `histogram(density=True)`, as PyOD does), on `device`.
    pub fn fit(matrix: &[f32], width: usize, bins: usize, device: &Device) -> Self {
        let bins = bins.max(1);
        let rows = matrix.len() / width.max(1);
        let mut lower = Vec::with_capacity(width);
        let mut bin_width = Vec::with_capacity(width);
        let mut log_density = Vec::with_capacity(width * bins);
        for feature in 0..width {
            let column = || matrix.iter().skip(feature).step_by(width).copied();
            let (mut low, mut high) = column().fold((f32::MAX, f32::MIN), |(low, high), v| {
                (low.min(v), high.max(v))
            });
            if rows == 0 {
                (low, high) = (0.0, 0.0);
            }
            // NumPy widens an empty range to one unit around the value.
            if high <= low {
                (low, high) = (low - 0.5, high + 0.5);
            }
            let step = ((f64::from(high) - f64::from(low)) / bins as f64) as f32;
            // Binned in f32 exactly as `surprise` bins on the device, so a training flow on a
            // bin's edge is scored in the bin that counted it.
            let mut counts = vec![0_usize; bins];
            for value in column() {
                counts[bin_of((value - low) / step, bins)] += 1;
            }
            let total = rows.max(1) as f64 * f64::from(step);
            log_density.extend(
                counts
                    .iter()
                    .map(|&count| (count as f64 / total + ALPHA).log2() as f32),
            );
            lower.push(low);
            bin_width.push(step);
        }
        Self::on(lower, bin_width, log_density, bins, device)
    }

    /// The detector with these edges and log densities (`[width, bins]`) on `device`.
    fn on(
        lower: Vec<f32>,
        bin_width: Vec<f32>,
        log_density: Vec<f32>,
        bins: usize,
        device: &Device,
    ) -> Self {
        let width = lower.len();
        let row =
            |values: Vec<f32>| Tensor::<2>::from_data(TensorData::new(values, [1, width]), device);
        let rarest = log_density
            .chunks(bins)
            .map(|feature| feature.iter().copied().fold(f32::MAX, f32::min))
            .collect();
        Self {
            lower_row: row(lower.clone()),
            bin_width_row: row(bin_width.clone()),
            table: Tensor::from_data(
                TensorData::new(log_density.clone(), [log_density.len()]),
                device,
            ),
            rarest: row(rarest),
            lower,
            bin_width,
            log_density,
            bins,
        }
    }

    /// For each row of a `[rows, width]` batch, its surprise: the mean over features of
    /// `-log2(density + ALPHA)` of the bin its value falls in. PyOD's score is this times the
    /// number of features. In bits, and negative where the benign densities exceed one.
    fn surprise(&self, input: Tensor<2>) -> Tensor<1> {
        let [rows, width] = input.dims();
        let device = input.device();
        let position = (input - self.lower_row.clone()) / self.bin_width_row.clone();
        let last = (self.bins - 1) as f32;
        let outside = position
            .clone()
            .lower_elem(-TOLERANCE)
            .bool_or(position.clone().greater_elem(last + 1.0 + TOLERANCE));
        let bin = position.floor().clamp(0.0, last).int();
        let offsets =
            Tensor::<1, Int>::arange_step(0..(width * self.bins) as i64, self.bins, &device)
                .reshape([1, width]);
        let index = (bin + offsets).reshape([rows * width]);
        let looked_up = self.table.clone().select(0, index).reshape([rows, width]);
        let rarest = self.rarest.clone().expand([rows, width]);
        looked_up
            .mask_where(outside, rarest)
            .mean_dim(1)
            .neg()
            .reshape([rows])
    }

    /// The detector's score for each row of a `[rows, width]` batch: `2^surprise`, the geometric
    /// mean over features of `1 / (density + ALPHA)`. Positive like every detector's score, and
    /// in the same order as PyOD's.
    pub fn score(&self, input: Tensor<2>) -> Tensor<1> {
        self.surprise(input)
            .mul_scalar(std::f32::consts::LN_2)
            .exp()
    }

    /// Edges and log densities for the model file.
    pub fn weights(&self) -> NamedWeights {
        let width = self.lower.len();
        let named = |name: &str, shape: Vec<usize>, values: &[f32]| NamedTensor {
            name: name.to_owned(),
            shape,
            values: values.to_vec(),
        };
        NamedWeights {
            tensors: vec![
                named("hbos.lower", vec![width], &self.lower),
                named("hbos.bin_width", vec![width], &self.bin_width),
                named(
                    "hbos.log_density",
                    vec![width, self.bins],
                    &self.log_density,
                ),
            ],
        }
    }

    /// The detector from a model file, with `bins` bins for each of `width` features.
    pub fn from_weights(
        weights: &NamedWeights,
        bins: usize,
        width: usize,
        device: &Device,
    ) -> Result<Self, WeightError> {
        let bins = bins.max(1);
        let values = |name: &str, shape: &[usize]| -> Result<Vec<f32>, WeightError> {
            Ok(weights.get(name, shape)?.values.clone())
        };
        Ok(Self::on(
            values("hbos.lower", &[width])?,
            values("hbos.bin_width", &[width])?,
            values("hbos.log_density", &[width, bins])?,
            bins,
            device,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::classic::fixture::{FIXTURE_WIDTH, SKLEARN_HBOS, fixture, scores_of};

    #[test]
    fn scores_match_pyod_on_a_fixed_input() {
        let (train, test) = fixture();
        let device = Device::flex();
        let hbos = Hbos::fit(&train, FIXTURE_WIDTH, 10, &device);
        let pyod_scale = |score: f32| score.log2() * FIXTURE_WIDTH as f32;
        let scores: Vec<f32> = scores_of(|input| hbos.score(input), &test)
            .into_iter()
            .map(pyod_scale)
            .collect();
        for (score, expected) in scores.iter().zip(SKLEARN_HBOS) {
            assert!(
                (score - expected).abs() < 1e-4 * expected.abs().max(1.0),
                "{scores:?} against {SKLEARN_HBOS:?}"
            );
        }
        let back = Hbos::from_weights(&hbos.weights(), 10, FIXTURE_WIDTH, &device).unwrap();
        let again: Vec<f32> = scores_of(|input| back.score(input), &test)
            .into_iter()
            .map(pyod_scale)
            .collect();
        assert_eq!(scores, again);
    }

    #[test]
    fn values_beyond_the_range_get_the_edge_bin_or_far_out_the_rarest() {
        let device = Device::flex();
        // Half the flows at 0, half at 1: bins 0 and 9 of [0, 1] hold them, bins 1 to 8 are empty.
        let two_values: Vec<f32> = [0.0, 1.0].repeat(10);
        let hbos = Hbos::fit(&two_values, 1, 10, &device);
        let surprise = |value: f32| {
            let input = Tensor::<2>::from_data(TensorData::new(vec![value], [1, 1]), &device);
            hbos.surprise(input)
                .into_data()
                .try_to_vec::<f32>()
                .unwrap()[0]
        };
        // Density of a full bin: 10 of 20 flows in a bin 0.1 wide.
        let common = -(5.0 + ALPHA).log2() as f32;
        let empty = -ALPHA.log2() as f32;
        assert!((surprise(1.0) - common).abs() < 1e-5, "{}", surprise(1.0));
        assert!(
            (surprise(0.55) - empty).abs() < 1e-5,
            "an empty bin inside the range"
        );
        assert!(
            (surprise(1.04) - common).abs() < 1e-5,
            "within tolerance: the edge bin"
        );
        assert!(
            (surprise(-0.04) - common).abs() < 1e-5,
            "within tolerance below"
        );
        assert!(
            (surprise(2.0) - empty).abs() < 1e-5,
            "far outside: the rarest bin"
        );
        // A constant feature gets NumPy's unit range around it, so the flows' own value is common.
        let constant = Hbos::fit(&[3.0; 20], 1, 10, &device);
        let input = Tensor::<2>::from_data(TensorData::new(vec![3.0, 4.0], [2, 1]), &device);
        let values = constant
            .surprise(input)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        assert!(values[0] < 0.0 && values[1] > 3.0, "{values:?}");
    }
}
