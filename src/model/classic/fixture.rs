//! The fixed input every classic detector's test scores, with what scikit-learn and PyOD give
//! for it, so each detector is pinned to its reference implementation.

use burn::prelude::{Device, Tensor, TensorData};

/// Features of the fixture's flows.
pub const FIXTURE_WIDTH: usize = 4;

/// 200 training flows and 8 test flows (5 like the training flows, 3 outliers), computed in
/// f32 exactly as `fixture` in the scikit-learn script quoted by each detector's test:
/// a = sin(0.37 i), b = cos(0.11 i), c = (7 i mod 23) / 23, d = a + b + 0.3 sin(1.3 i).
pub fn fixture() -> (Vec<f32>, Vec<f32>) {
    let row = |i: u32| {
        let a = (i as f32 * 0.37).sin();
        let b = (i as f32 * 0.11).cos();
        let c = ((i * 7) % 23) as f32 / 23.0;
        let d = (i as f32 * 1.3).sin();
        [a, b, c, a + b + 0.3 * d]
    };
    let train = (0..200).flat_map(row).collect();
    let mut test: Vec<f32> = (0..5).flat_map(|t| row(1000 + t * 17)).collect();
    test.extend([2.0, -2.0, 0.5, 3.0, 0.0, 0.0, 5.0, 0.0, 0.5, 0.5, 0.5, -1.0]);
    (train, test)
}

/// `IsolationForest(n_estimators=1000, max_samples=64, random_state=0).fit(train)`,
/// `-score_samples(test)` (scikit-learn 1.5.2).
pub const SKLEARN_IFOREST: [f32; 8] = [
    0.547_777, 0.480_454, 0.497_153, 0.535_41, 0.530_813, 0.591_917, 0.534_454, 0.529_376,
];
/// `NearestNeighbors(n_neighbors=5).fit(train).kneighbors(test)[0][:, -1]`.
pub const SKLEARN_KNN: [f32; 8] = [
    0.374_91, 0.356_392, 0.352_418, 0.425_333, 0.493_533, 2.993_16, 4.167_238, 1.130_654,
];
/// `HBOS(n_bins=10).fit(train).decision_function(test)` (PyOD 2.0.2, NumPy 2.1.3). The
/// third outlier breaks only how the features go together, which HBOS cannot see.
pub const SKLEARN_HBOS: [f32; 8] = [
    3.400_461, 2.795_123, 2.712_623, 2.698_334, 3.473_017, 5.505_728, 4.627_221, 2.987_321,
];
/// `p = PCA(n_components=3, svd_solver="full").fit(train)`, then
/// `((test - p.inverse_transform(p.transform(test))) ** 2).sum(1)`.
pub const SKLEARN_PCA: [f32; 8] = [
    0.005_161_58,
    0.007_673_73,
    0.004_706_75,
    0.005_808_79,
    0.000_355_92,
    2.890_184_9,
    0.001_207_68,
    1.320_464_4,
];

/// What `score` gives for the fixture's row-major `rows`, read back.
pub fn scores_of(score: impl Fn(Tensor<2>) -> Tensor<1>, rows: &[f32]) -> Vec<f32> {
    let input = Tensor::<2>::from_data(
        TensorData::new(rows.to_vec(), [rows.len() / FIXTURE_WIDTH, FIXTURE_WIDTH]),
        &Device::flex(),
    );
    score(input).into_data().try_to_vec::<f32>().unwrap()
}
