//! The honest comparison: the agent's decisions on flows it did not train on, against (a) the
//! fixed threshold on the autoencoder's score that costs least on the agent's own training flows
//! under the same cost matrix, and (b) the model's benign-99th-percentile threshold. Every number
//! is reported whoever wins.

use serde::{Deserialize, Serialize};

use super::env::FlowPool;
use crate::data::label::Family;
use crate::metrics::confusion::{Confusion, CostMatrix};
use crate::metrics::threshold::{Objective, best};

/// A detector's decisions on the test flows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decisions {
    /// `false_positive × FP + false_negative × FN`.
    pub cost: f64,
    /// Benign flows flagged / benign flows.
    pub fpr: f64,
    /// Attacks flagged / attacks.
    pub recall: f64,
    /// Attacks flagged / flagged.
    pub precision: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// The counts behind them.
    pub confusion: Confusion,
    /// The anomaly-score threshold, for the threshold detectors.
    pub threshold: Option<f32>,
}

impl Decisions {
    fn new(confusion: Confusion, costs: &CostMatrix, threshold: Option<f32>) -> Self {
        Self {
            cost: confusion.cost(costs),
            fpr: confusion.false_positive_rate(),
            recall: confusion.recall(),
            precision: confusion.precision(),
            f1: confusion.f1(),
            confusion,
            threshold,
        }
    }
}

/// The agent against both thresholds, on the same test flows and costs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The agent's greedy decisions.
    pub agent: Decisions,
    /// The least-cost fixed threshold, chosen on the agent's training flows.
    pub best_threshold: Decisions,
    /// The model's own threshold (the benign 99th percentile of its validation scores).
    pub benign_p99: Decisions,
    /// The cost matrix used for all three.
    pub costs: CostMatrix,
    /// Flows the agent trained on.
    pub train_flows: usize,
    /// How each detector did on an attack family the agent never saw in training, if one was
    /// withheld.
    pub unseen: Option<UnseenAttack>,
    /// Flows compared on.
    pub test_flows: usize,
}

/// Detection of one attack family that the agent's training flows did not contain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnseenAttack {
    /// The family withheld.
    pub family: String,
    /// Its test flows.
    pub flows: usize,
    /// Share of them the agent flagged.
    pub agent_recall: f64,
    /// Share the best fixed threshold flagged.
    pub best_threshold_recall: f64,
    /// Share the benign-p99 threshold flagged.
    pub benign_p99_recall: f64,
}

impl Comparison {
    /// The agent's cost as a share of the best threshold's (below 1: the agent is cheaper).
    pub fn cost_ratio(&self) -> f64 {
        self.agent.cost / self.best_threshold.cost.max(f64::MIN_POSITIVE)
    }
}

/// Compares `agent_flags` (one per test flow) with the thresholds. The score the thresholds use
/// is the observation's first value, `ln(score / model_threshold)` (see [`super::observe`]).
/// `withheld` names a family kept out of the agent's training flows, to report on separately.
pub fn compare(
    agent_flags: &[bool],
    train: &FlowPool,
    test: &FlowPool,
    model_threshold: f32,
    costs: CostMatrix,
    withheld: Option<Family>,
) -> Comparison {
    let relative = |pool: &FlowPool| -> Vec<f32> {
        (0..pool.len())
            .map(|row| pool.observation(row)[0])
            .collect()
    };
    let train_scores = relative(train);
    let test_scores = relative(test);
    let chosen = best(&train_scores, &train.attack, Objective::MinCost(costs));
    let to_score = |relative: f32| {
        if relative.is_finite() {
            (f64::from(model_threshold) * f64::from(relative).exp()) as f32
        } else {
            f32::INFINITY
        }
    };
    Comparison {
        agent: Decisions::new(
            Confusion::from_decisions(agent_flags.iter().copied(), &test.attack),
            &costs,
            None,
        ),
        best_threshold: Decisions::new(
            Confusion::at_threshold(&test_scores, &test.attack, chosen.threshold),
            &costs,
            Some(to_score(chosen.threshold)),
        ),
        benign_p99: Decisions::new(
            Confusion::at_threshold(&test_scores, &test.attack, 0.0),
            &costs,
            Some(model_threshold),
        ),
        costs,
        train_flows: train.len(),
        test_flows: test.len(),
        unseen: withheld.map(|family| {
            let rows: Vec<usize> = (0..test.len())
                .filter(|&row| test.families[row] == family)
                .collect();
            let share = |flagged: &dyn Fn(usize) -> bool| {
                rows.iter().filter(|&&row| flagged(row)).count() as f64 / rows.len().max(1) as f64
            };
            UnseenAttack {
                family: family.name().to_owned(),
                flows: rows.len(),
                agent_recall: share(&|row| agent_flags[row]),
                best_threshold_recall: share(&|row| test_scores[row] >= chosen.threshold),
                benign_p99_recall: share(&|row| test_scores[row] >= 0.0),
            }
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_chosen_on_training_flows_and_scored_on_test_flows() {
        // Relative scores: training attacks sit at 1 and 2, benign at -1 and 0.5.
        let families = vec![
            Family::Benign,
            Family::Benign,
            Family::Dos,
            Family::PortScan,
        ];
        let train = FlowPool {
            observations: vec![-1.0, 0.5, 1.0, 2.0],
            width: 1,
            attack: vec![false, false, true, true],
            families: families.clone(),
        };
        let test = FlowPool {
            observations: vec![-2.0, 0.7, 0.9, 3.0],
            width: 1,
            attack: vec![false, false, true, true],
            families,
        };
        let comparison = compare(
            &[false, true, false, true],
            &train,
            &test,
            0.5,
            CostMatrix::default(),
            Some(Family::Dos),
        );
        // Best on training flows: flag >= 1 (no mistakes there). On test: 0.9 is missed.
        assert_eq!(comparison.best_threshold.confusion.false_negatives, 1);
        assert_eq!(comparison.best_threshold.cost, 4.0);
        assert!((comparison.best_threshold.threshold.unwrap() - 0.5 * 1f32.exp()).abs() < 1e-5);
        // The model threshold is relative score 0: flags 0.7, 0.9 and 3.
        assert_eq!(comparison.benign_p99.confusion.false_positives, 1);
        assert_eq!(comparison.benign_p99.cost, 1.0);
        // The agent flagged one benign flow and missed the DoS flow.
        assert_eq!(comparison.agent.cost, 5.0);
        assert!((comparison.cost_ratio() - 1.25).abs() < 1e-12);
        let unseen = comparison.unseen.unwrap();
        assert_eq!((unseen.family.as_str(), unseen.flows), ("DoS", 1));
        assert_eq!(unseen.agent_recall, 0.0);
        assert_eq!(unseen.best_threshold_recall, 0.0);
        assert_eq!(unseen.benign_p99_recall, 1.0);
    }
}
