//! "How much normal traffic is enough?": the detector fitted on growing draws of a load's benign
//! flows, each tested on the same flows none of the draws holds. A fifth of the benign flows (by
//! content, seeded) and every attack are the test; the rest is the pool the draws come from, each
//! draw the first flows of one seeded shuffle, so a larger draw holds every smaller one. The page
//! runs it on the loaded flows; `scripts/model-quality.sh rows:N` is the command line's version
//! (docs/model-quality.md).

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::data::dataset::Dataset;
use crate::data::prepare::{content_hash, content_position};

/// Share of the benign flows set aside to test every point on.
const TEST_SHARE: f64 = 0.2;

/// Benign flows fitted at each point, as far as the pool allows; the whole pool is the last.
const SIZES: [usize; 9] = [
    250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000,
];

/// Which flows each point fits and which all points are tested on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurvePlan {
    /// The benign flows draws come from, in the seeded order they are drawn in.
    pub pool: Vec<u32>,
    /// The set-aside benign flows and every attack.
    pub test: Vec<u32>,
    /// Benign flows fitted at each point, rising, the last the whole pool.
    pub sizes: Vec<usize>,
}

impl CurvePlan {
    /// The plan for `dataset` with `seed` (the detector's own seed, so the same settings give
    /// the same curve).
    pub fn new(dataset: &Dataset, seed: u64) -> Self {
        let columns: Vec<usize> = (0..dataset.columns.len()).collect();
        let (mut pool, mut test) = (Vec::new(), Vec::new());
        for (row, is_attack) in dataset.attack_mask().into_iter().enumerate() {
            let aside = content_position(content_hash(dataset, &columns, row, seed)) < TEST_SHARE;
            if is_attack || aside {
                test.push(row as u32);
            } else {
                pool.push(row as u32);
            }
        }
        pool.shuffle(&mut StdRng::seed_from_u64(seed));
        let mut sizes: Vec<usize> = SIZES.into_iter().filter(|&n| n < pool.len()).collect();
        if !pool.is_empty() {
            sizes.push(pool.len());
        }
        Self { pool, test, sizes }
    }

    /// The flows fitted at a point of `size` benign flows.
    pub fn draw(&self, size: usize) -> &[u32] {
        &self.pool[..size.min(self.pool.len())]
    }
}

/// One point of the curve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LearningPoint {
    /// Benign flows the detector fitted.
    pub fitted: usize,
    /// ROC-AUC on the test flows (`None` without both classes).
    pub roc_auc: Option<f64>,
    /// Share of the test attacks caught at a false-positive rate of at most 1 %.
    pub tpr_at_1_percent: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flows(benign: usize, attacks: usize) -> Dataset {
        let rows = benign + attacks;
        Dataset {
            features: vec!["Flow Duration".into()],
            columns: vec![(0..rows).map(|row| row as f32).collect()],
            labels: (0..rows).map(|row| u16::from(row >= benign)).collect(),
            label_names: vec!["BENIGN".into(), "DDoS".into()],
        }
    }

    #[test]
    fn draws_grow_inside_one_pool_and_never_touch_the_test_flows() {
        let data = flows(3_000, 40);
        let plan = CurvePlan::new(&data, 7);
        // About a fifth of the benign flows and every attack are the test.
        let attacks = plan.test.iter().filter(|&&row| row >= 3_000).count();
        assert_eq!(attacks, 40);
        let aside = plan.test.len() - attacks;
        assert!((480..720).contains(&aside), "{aside} set aside");
        assert_eq!(plan.pool.len() + aside, 3_000);
        assert!(plan.pool.iter().all(|row| !plan.test.contains(row)));
        // Sizes up to the pool, the pool last; each draw is the start of the next.
        assert_eq!(&plan.sizes[..3], [250, 500, 1_000]);
        assert_eq!(plan.sizes.last(), Some(&plan.pool.len()));
        assert!(plan.sizes.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(plan.draw(500)[..250], *plan.draw(250));
        // Seeded: the same seed draws the same flows, another seed others.
        assert_eq!(CurvePlan::new(&data, 7), plan);
        assert_ne!(CurvePlan::new(&data, 8).pool, plan.pool);
    }

    #[test]
    fn a_selected_part_keeps_its_rows_in_order() {
        let data = flows(5, 2);
        let part = data.select(&[6, 1]);
        assert_eq!(part.columns, [vec![6.0, 1.0]]);
        assert_eq!((part.label(0), part.label(1)), ("DDoS", "BENIGN"));
        assert_eq!(part.features, data.features);
    }
}
