//! From a dataset to model inputs: a seeded split by content, then imputation and scaling fitted
//! on the benign rows of the training split only, so nothing about attacks or held-out flows
//! leaks into the model.
//!
//! Transform, per feature: a missing cell takes the median of the benign training rows; then
//! signed log1p, `sign(x) · ln(1 + |x|)`, which tames the heavy tails of byte and time counts
//! (and keeps `-1` distinct from `0`); then standardisation with the benign training mean and
//! standard deviation (a constant feature maps to 0); then, unless the user turns it off, a clip
//! to ±[`DEFAULT_CLIP`] standard deviations. The clip is what lets a detector tell attacks from
//! odd benign flows: the benign flows that score highest are mostly wild in one or two features
//! (a one-microsecond flow's byte rate, a negative header length), while attacks differ by a
//! few deviations in many; clipped, one wild feature counts no more than any feature well out of
//! its benign range (measured in docs/experiments.md, "Clipping the scaled features"). The
//! [`Scaler`] is serialisable so a saved model scores new files identically.

use serde::{Deserialize, Serialize};

use super::dataset::Dataset;

/// A seeded hash of a row's content (the values of `columns`, in that order): the same flow
/// hashes alike in any file and any later run with the same seed. It decides which cross-fitting
/// fold a benign flow falls in ([`fold_of`]) and is the fingerprint a model keeps of each flow it
/// fitted, so an evaluation knows which flows the final model has seen however the files are
/// passed.
pub fn content_hash(dataset: &Dataset, columns: &[usize], row: usize, seed: u64) -> u64 {
    // Streamed, so hashing millions of rows allocates nothing per row.
    let mut hasher = xxhash_rust::xxh3::Xxh3::with_seed(seed);
    for &column in columns {
        let value = dataset.columns[column][row];
        // Every NaN hashes alike.
        let bits = if value.is_nan() {
            f32::NAN.to_bits()
        } else {
            value.to_bits()
        };
        hasher.update(&bits.to_le_bytes());
    }
    hasher.digest()
}

/// Where a [`content_hash`] falls in `[0, 1)`: uniform over flows, for shares by content (the
/// agent's halves).
pub fn content_position(hash: u64) -> f64 {
    hash as f64 / 2f64.powi(64)
}

/// The cross-fitting fold, `0..folds`, of a flow with this [`content_hash`].
pub fn fold_of(hash: u64, folds: usize) -> usize {
    ((content_position(hash) * folds as f64) as usize).min(folds.saturating_sub(1))
}

/// The rows among `rows` whose label is BENIGN.
pub fn benign_rows(dataset: &Dataset, rows: &[u32]) -> Vec<u32> {
    let attack = dataset.attack_mask();
    rows.iter()
        .copied()
        .filter(|&row| !attack[row as usize])
        .collect()
}

/// Imputation and scaling, fitted once and applied to any flows with the same features.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    /// The features, in input order.
    pub features: Vec<String>,
    /// The value a missing cell takes (benign training median, original units).
    pub fill: Vec<f32>,
    /// Mean of the log-transformed benign training values.
    pub mean: Vec<f32>,
    /// Standard deviation of the same (1 for constant features).
    pub std: Vec<f32>,
    /// Scaled values are clipped to ±this many standard deviations; none for a model file
    /// written before the clip existed, which scores as it always did.
    #[serde(default)]
    pub clip: Option<f32>,
}

/// How many benign standard deviations a scaled feature may lie from the benign mean: 2 measured
/// best on every shared dataset (docs/experiments.md, "Clipping the scaled features").
pub const DEFAULT_CLIP: f32 = 2.0;

impl Scaler {
    /// Fits on `rows` of `dataset`, which should be the benign training rows; scaled values are
    /// clipped to ±`clip` standard deviations (none when `None`).
    pub fn fit(dataset: &Dataset, rows: &[u32], clip: Option<f32>) -> Self {
        let mut fill = Vec::with_capacity(dataset.features.len());
        let mut mean = Vec::with_capacity(dataset.features.len());
        let mut std = Vec::with_capacity(dataset.features.len());
        for column in &dataset.columns {
            let mut present: Vec<f32> = rows
                .iter()
                .map(|&row| column[row as usize])
                .filter(|value| value.is_finite())
                .collect();
            let median = median(&mut present);
            let (sum, sum_squares) = rows.iter().fold((0.0f64, 0.0f64), |(sum, squares), &row| {
                let value = f64::from(signed_log1p(impute(column[row as usize], median)));
                (sum + value, squares + value * value)
            });
            let count = rows.len().max(1) as f64;
            let column_mean = sum / count;
            let variance = (sum_squares / count - column_mean * column_mean).max(0.0);
            let deviation = variance.sqrt();
            fill.push(median);
            mean.push(column_mean as f32);
            std.push(if deviation < 1e-6 {
                1.0
            } else {
                deviation as f32
            });
        }
        Self {
            features: dataset.features.clone(),
            fill,
            mean,
            std,
            clip,
        }
    }

    /// The model input for one cell of feature `feature`.
    pub fn scale(&self, feature: usize, value: f32) -> f32 {
        let scaled = (signed_log1p(impute(value, self.fill[feature])) - self.mean[feature])
            / self.std[feature];
        match self.clip {
            Some(clip) => scaled.clamp(-clip, clip),
            None => scaled,
        }
    }

    /// Back to original units (for explanations: "observed vs reconstructed").
    pub fn unscale(&self, feature: usize, scaled: f32) -> f32 {
        signed_expm1(scaled * self.std[feature] + self.mean[feature])
    }

    /// `rows` of `dataset` as a row-major matrix, `rows.len() × features`, the dataset's columns
    /// matched to this scaler's features by name; an error lists the features the dataset lacks.
    pub fn transform(&self, dataset: &Dataset, rows: &[u32]) -> Result<Vec<f32>, MissingFeatures> {
        let columns = self.columns_in(dataset)?;
        let width = self.features.len();
        let mut matrix = vec![0.0; rows.len() * width];
        for (feature, &column) in columns.iter().enumerate() {
            let column = &dataset.columns[column];
            for (index, &row) in rows.iter().enumerate() {
                matrix[index * width + feature] = self.scale(feature, column[row as usize]);
            }
        }
        Ok(matrix)
    }

    /// For each of this scaler's features, its column in `dataset`.
    pub fn columns_in(&self, dataset: &Dataset) -> Result<Vec<usize>, MissingFeatures> {
        let mut missing = Vec::new();
        let columns = self
            .features
            .iter()
            .filter_map(|feature| {
                let found = dataset.features.iter().position(|name| name == feature);
                if found.is_none() {
                    missing.push(feature.clone());
                }
                found
            })
            .collect();
        if missing.is_empty() {
            Ok(columns)
        } else {
            Err(MissingFeatures(missing))
        }
    }
}

/// Features a model needs that the loaded files do not have.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error(
    "the files lack {} feature{} the model was trained on: {}; load files with these columns (the same CICFlowMeter variant the model was trained on)",
    .0.len(),
    if .0.len() == 1 { "" } else { "s" },
    .0.join(", ")
)]
pub struct MissingFeatures(pub Vec<String>);

fn impute(value: f32, fill: f32) -> f32 {
    if value.is_finite() { value } else { fill }
}

/// `sign(x) · ln(1 + |x|)`.
pub fn signed_log1p(value: f32) -> f32 {
    value.signum() * value.abs().ln_1p()
}

/// The inverse of [`signed_log1p`].
pub fn signed_expm1(value: f32) -> f32 {
    value.signum() * value.abs().exp_m1()
}

/// The median of `values` (0 when empty); reorders them.
fn median(values: &mut [f32]) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    let odd = values.len() % 2 == 1;
    let middle = values.len() / 2;
    let (below, upper, _) = values.select_nth_unstable_by(middle, f32::total_cmp);
    let upper = *upper;
    if odd {
        upper
    } else {
        let lower = below.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        (lower + upper) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset(column: Vec<f32>, labels: Vec<u16>) -> Dataset {
        Dataset {
            features: vec!["Flow Duration".into()],
            columns: vec![column],
            labels,
            label_names: vec!["BENIGN".into(), "DDoS".into()],
        }
    }

    #[test]
    fn scaler_imputes_with_the_benign_median_and_standardises() {
        // Benign rows 0..4 hold 0, 1, 3 and a missing cell; row 4 is an attack and is not fitted.
        let data = dataset(vec![0.0, 1.0, 3.0, f32::NAN, 1e9], vec![0, 0, 0, 0, 1]);
        let benign = benign_rows(&data, &[0, 1, 2, 3, 4]);
        assert_eq!(benign, [0, 1, 2, 3]);
        let scaler = Scaler::fit(&data, &benign, None);
        assert_eq!(scaler.fill, [1.0]);
        // log1p of 0, 1, 3, 1 (imputed): 0, ln 2, ln 4, ln 2; mean = ln 2, std = ln 2 / sqrt 2.
        let ln2 = 2f32.ln();
        assert!((scaler.mean[0] - ln2).abs() < 1e-6);
        assert!((scaler.std[0] - ln2 / 2f32.sqrt()).abs() < 1e-6);
        assert!(scaler.scale(0, f32::NAN).abs() < 1e-6);
        assert!((scaler.unscale(0, scaler.scale(0, 3.0)) - 3.0).abs() < 1e-4);
    }

    #[test]
    fn a_clip_bounds_scaled_values_and_a_file_without_one_scores_unclipped() {
        let data = dataset(vec![1.0, 2.0, 3.0, 4.0, 1e9], vec![0, 0, 0, 0, 1]);
        let clipped = Scaler::fit(&data, &[0, 1, 2, 3], Some(DEFAULT_CLIP));
        assert_eq!(clipped.scale(0, 1e9), DEFAULT_CLIP);
        assert_eq!(clipped.scale(0, -1e9), -DEFAULT_CLIP);
        let inside = clipped.scale(0, 2.5);
        assert!(inside.abs() < 1.0, "{inside}");
        let mut json = serde_json::to_value(&clipped).unwrap();
        json.as_object_mut().unwrap().remove("clip");
        let old: Scaler = serde_json::from_value(json).unwrap();
        assert_eq!(old.clip, None);
        assert!(old.scale(0, 1e9) > 10.0);
        assert_eq!(old.scale(0, 2.5), inside);
    }

    #[test]
    fn signed_log_keeps_negative_values_apart() {
        assert!((signed_log1p(-1.0) + 2f32.ln()).abs() < 1e-6);
        assert_eq!(signed_log1p(0.0), 0.0);
        assert!((signed_expm1(signed_log1p(-12345.0)) + 12345.0).abs() < 0.1);
    }

    #[test]
    fn constant_feature_maps_to_zero() {
        let data = dataset(vec![5.0; 4], vec![0; 4]);
        let scaler = Scaler::fit(&data, &[0, 1, 2, 3], None);
        assert_eq!(scaler.std, [1.0]);
        assert_eq!(scaler.transform(&data, &[0, 1]), Ok(vec![0.0, 0.0]));
    }

    #[test]
    fn transform_matches_columns_by_name_and_names_what_is_missing() {
        let mut data = dataset(vec![1.0, 3.0], vec![0, 0]);
        let scaler = Scaler::fit(&data, &[0, 1], None);
        data.features.insert(0, "Flow IAT Max".into());
        data.columns.insert(0, vec![100.0, 200.0]);
        assert_eq!(
            scaler.transform(&data, &[1]),
            Ok(vec![scaler.scale(0, 3.0)])
        );
        data.features[1] = "Renamed".into();
        let missing = scaler.transform(&data, &[1]).unwrap_err();
        assert_eq!(missing, MissingFeatures(vec!["Flow Duration".into()]));
        assert!(
            missing
                .to_string()
                .contains("lack 1 feature the model was trained on: Flow Duration")
        );
    }

    #[test]
    fn folds_follow_the_content_and_the_seed() {
        let data = dataset((0..2000).map(|row| row as f32).collect(), vec![0; 2000]);
        let folds = |data: &Dataset, seed| -> Vec<(u32, usize)> {
            let mut folds: Vec<(u32, usize)> = (0..data.rows())
                .map(|row| {
                    let hash = content_hash(data, &[0], row, seed);
                    (data.columns[0][row] as u32, fold_of(hash, 4))
                })
                .collect();
            folds.sort_unstable();
            folds
        };
        // The same flow lands in the same fold wherever it sits in the file.
        let mut reversed = data.clone();
        reversed.columns[0].reverse();
        assert_eq!(folds(&data, 7), folds(&reversed, 7));
        assert_ne!(folds(&data, 7), folds(&data, 8));
        // Four folds of about 500 flows each.
        let mut sizes = [0usize; 4];
        for (_, fold) in folds(&data, 7) {
            sizes[fold] += 1;
        }
        assert!(
            sizes.iter().all(|size| (420..580).contains(size)),
            "{sizes:?}"
        );
        assert_eq!(fold_of(u64::MAX, 4), 3);
        assert_eq!(fold_of(0, 4), 0);
    }
}
