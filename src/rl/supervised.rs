//! The supervised baseline the agent must beat: a logistic regression trained on exactly the
//! agent's training observations and labels, deciding under the same cost matrix. If plain
//! supervised learning on the same inputs does as well, the reinforcement learning adds nothing.
//!
//! The model is scikit-learn's `LogisticRegression(C=1)` (L2 penalty `½‖w‖²`, intercept not
//! penalised), solved exactly by Newton's method. It flags a flow when flagging is the cheaper
//! expected decision: `p(attack) × cost(FN) ≥ (1 − p) × cost(FP)`, that is
//! `p ≥ cost(FP) / (cost(FP) + cost(FN))`.

use super::env::FlowPool;
use crate::metrics::confusion::CostMatrix;

/// Inverse strength of the L2 penalty (scikit-learn's `C`).
const C: f64 = 1.0;
/// Newton steps at most; a well-posed problem converges in about ten.
const MAX_STEPS: usize = 100;
/// Converged when no coefficient moves more than this in a step.
const TOLERANCE: f64 = 1e-10;

/// A fitted logistic regression.
#[derive(Clone, Debug, PartialEq)]
pub struct LogisticRegression {
    /// One weight per observation value.
    pub weights: Vec<f64>,
    /// The bias.
    pub intercept: f64,
}

impl LogisticRegression {
    /// Fits the row-major `observations` (`width` values each) to `attack`.
    pub fn fit(observations: &[f32], width: usize, attack: &[bool]) -> Self {
        // θ = [w; b], with each row extended by a constant 1 for the intercept.
        let size = width + 1;
        let mut theta = vec![0.0f64; size];
        let mut row = vec![0.0f64; size];
        for _ in 0..MAX_STEPS {
            // Gradient and Hessian of C Σ logloss + ½‖w‖².
            let mut gradient: Vec<f64> = theta[..width].iter().copied().chain([0.0]).collect();
            let mut hessian = vec![0.0f64; size * size];
            for index in 0..size - 1 {
                hessian[index * size + index] = 1.0;
            }
            for (values, &is_attack) in observations.chunks_exact(width).zip(attack) {
                for (slot, &value) in row.iter_mut().zip(values) {
                    *slot = f64::from(value);
                }
                row[width] = 1.0;
                let p = sigmoid(dot(&theta, &row));
                let residual = C * (p - f64::from(u8::from(is_attack)));
                let curvature = C * p * (1.0 - p);
                for i in 0..size {
                    gradient[i] += residual * row[i];
                    for j in 0..=i {
                        hessian[i * size + j] += curvature * row[i] * row[j];
                    }
                }
            }
            for i in 0..size {
                for j in 0..i {
                    hessian[j * size + i] = hessian[i * size + j];
                }
            }
            // A flat intercept direction (a single class) still needs a solvable system.
            hessian[size * size - 1] += 1e-12;
            let step = solve_positive_definite(&mut hessian, &gradient, size);
            let moved = step
                .iter()
                .fold(0.0f64, |most, value| most.max(value.abs()));
            for (value, delta) in theta.iter_mut().zip(&step) {
                *value -= delta;
            }
            if moved < TOLERANCE {
                break;
            }
        }
        Self {
            intercept: theta[width],
            weights: theta[..width].to_vec(),
        }
    }

    /// The probability that `observation` is an attack.
    pub fn probability(&self, observation: &[f32]) -> f64 {
        let z = self.intercept
            + self
                .weights
                .iter()
                .zip(observation)
                .map(|(weight, &value)| weight * f64::from(value))
                .sum::<f64>();
        sigmoid(z)
    }
}

/// The baseline's decisions on `test`: a logistic regression fitted on `train`, flagging where
/// flagging costs less in expectation under `costs`.
pub fn supervised_flags(train: &FlowPool, test: &FlowPool, costs: &CostMatrix) -> Vec<bool> {
    let model = LogisticRegression::fit(&train.observations, train.width, &train.attack);
    let cut =
        costs.false_positive / (costs.false_positive + costs.false_negative).max(f64::MIN_POSITIVE);
    test.observations
        .chunks_exact(test.width)
        .map(|observation| model.probability(observation) >= cut)
        .collect()
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

/// Solves `matrix · x = rhs` for a symmetric positive-definite `matrix` (row-major, `size`
/// square) by Cholesky factorisation, in place.
fn solve_positive_definite(matrix: &mut [f64], rhs: &[f64], size: usize) -> Vec<f64> {
    for j in 0..size {
        let diagonal =
            matrix[j * size + j] - (0..j).map(|k| matrix[j * size + k].powi(2)).sum::<f64>();
        let pivot = diagonal.max(f64::MIN_POSITIVE).sqrt();
        matrix[j * size + j] = pivot;
        for i in j + 1..size {
            let sum = (0..j)
                .map(|k| matrix[i * size + k] * matrix[j * size + k])
                .sum::<f64>();
            matrix[i * size + j] = (matrix[i * size + j] - sum) / pivot;
        }
    }
    // L y = rhs, then Lᵀ x = y.
    let mut x = rhs.to_vec();
    for i in 0..size {
        let sum = (0..i).map(|k| matrix[i * size + k] * x[k]).sum::<f64>();
        x[i] = (x[i] - sum) / matrix[i * size + i];
    }
    for i in (0..size).rev() {
        let sum = (i + 1..size)
            .map(|k| matrix[k * size + i] * x[k])
            .sum::<f64>();
        x[i] = (x[i] - sum) / matrix[i * size + i];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 60 flows of three values and their labels, as in the scikit-learn script below.
    fn fixture() -> (Vec<f32>, Vec<bool>) {
        let row = |i: u32| {
            let a = (i as f32 * 0.37).sin();
            [a, (i as f32 * 0.11).cos(), ((i * 7) % 23) as f32 / 23.0]
        };
        let observations = (0..60).flat_map(row).collect();
        let attack = (0..60)
            .map(|i| (i * 5) % 7 < 3 && row(i)[0] > -0.5)
            .collect();
        (observations, attack)
    }

    #[test]
    fn coefficients_match_scikit_learn() {
        // LogisticRegression(C=1.0, tol=1e-10, max_iter=10000).fit(X, y) with the fixture.
        let (observations, attack) = fixture();
        let model = LogisticRegression::fit(&observations, 3, &attack);
        let expected = [
            1.240_105_796_697_696,
            0.061_789_070_231_183_7,
            0.045_235_237_048_148_87,
        ];
        for (weight, expected) in model.weights.iter().zip(expected) {
            assert!((weight - expected).abs() < 1e-6, "{model:?}");
        }
        assert!(
            (model.intercept + 1.229_800_714_006_514_8).abs() < 1e-6,
            "{model:?}"
        );
        // predict_proba(X[:4])[:, 1]
        let probabilities: Vec<f64> = observations
            .chunks_exact(3)
            .take(4)
            .map(|row| model.probability(row))
            .collect();
        for (p, expected) in
            probabilities
                .iter()
                .zip([0.237_214_58, 0.330_444_26, 0.424_145_6, 0.495_179_45])
        {
            assert!((p - expected).abs() < 1e-6, "{probabilities:?}");
        }
    }

    #[test]
    fn flags_where_flagging_is_cheaper_in_expectation() {
        let (observations, attack) = fixture();
        let pool = FlowPool {
            scores: vec![0.0; attack.len()],
            width: 3,
            families: vec![crate::data::label::Family::Benign; attack.len()],
            observations,
            attack,
        };
        // The first four flows have attack probabilities 0.24, 0.33, 0.42 and 0.50: a missed
        // attack costing 4 false alarms flags at p ≥ 0.2 (all four), costing 1 at p ≥ 0.5 (none).
        let flags = |false_negative| {
            let costs = CostMatrix {
                false_positive: 1.0,
                false_negative,
            };
            supervised_flags(&pool, &pool, &costs)[..4].to_vec()
        };
        assert_eq!(flags(4.0), [true, true, true, true]);
        assert_eq!(flags(1.0), [false, false, false, false]);
        // A single class is no reason to fail: everything gets the same side.
        let benign = FlowPool {
            attack: vec![false; pool.attack.len()],
            ..pool.clone()
        };
        assert!(
            supervised_flags(&benign, &pool, &CostMatrix::default())
                .iter()
                .all(|flag| !flag)
        );
    }
}
