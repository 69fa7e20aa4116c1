//! The honest comparison: the agent's decisions on flows it did not train on, against (a) the
//! fixed threshold on the anomaly score that costs least on the agent's own training flows under
//! the same cost matrix, (b) the model's own threshold, whichever rule chose it, and (c) a
//! supervised classifier trained on exactly the agent's observations and labels (see
//! [`super::supervised`]). Both thresholds read the flows' anomaly scores as they are (not the
//! clamped copy the agent observes). Every number is reported whoever wins.

use serde::{Deserialize, Serialize};

use super::env::FlowPool;
use super::plan::Algorithm;
use super::supervised::supervised_flags;
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

/// The model's own threshold as a detector, named by the rule that chose it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelThreshold {
    /// How the model's threshold was chosen, in words (e.g. "benign 99th percentile of
    /// out-of-fold scores").
    pub rule: String,
    /// Its decisions.
    #[serde(flatten)]
    pub decisions: Decisions,
}

impl ModelThreshold {
    /// The threshold itself: the anomaly score at and above which the model flags a flow.
    pub fn value(&self) -> f32 {
        self.decisions.threshold.unwrap_or(f32::NAN)
    }
}

/// The agent against both thresholds, on the same test flows and costs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The agent's greedy decisions.
    pub agent: Decisions,
    /// The least-cost fixed threshold, chosen on the agent's training flows.
    pub best_threshold: Decisions,
    /// The model's own threshold.
    pub model_threshold: ModelThreshold,
    /// A logistic regression on the agent's own observations and labels, deciding under the same
    /// costs: what plain supervised learning does with the same inputs.
    pub supervised: Decisions,
    /// The cost matrix used for all four.
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
    /// Share the model's threshold flagged.
    pub model_threshold_recall: f64,
}

impl Comparison {
    /// The agent's cost as a share of the best threshold's (below 1: the agent is cheaper).
    pub fn cost_ratio(&self) -> f64 {
        self.agent.cost / self.best_threshold.cost.max(f64::MIN_POSITIVE)
    }

    /// Who won and by how much, against the best threshold and then the supervised baseline, as
    /// the page and the CLI print it.
    pub fn verdict(&self, algorithm: Algorithm) -> String {
        let (agent, supervised) = (self.agent.cost, self.supervised.cost);
        let against_supervised = if agent < supervised {
            format!(
                "A logistic regression on the same observations cost {supervised:.1}: the agent is {:.0} % cheaper.",
                (1.0 - agent / supervised) * 100.0
            )
        } else if agent > supervised {
            format!(
                "A logistic regression on the same observations cost {supervised:.1}: plain supervised learning beats the agent here."
            )
        } else {
            format!(
                "A logistic regression on the same observations cost the same: {supervised:.1}."
            )
        };
        format!("{} {against_supervised}", self.against_threshold(algorithm))
    }

    fn against_threshold(&self, algorithm: Algorithm) -> String {
        let (agent, best) = (self.agent.cost, self.best_threshold.cost);
        let name = algorithm.name();
        if agent < best {
            format!(
                "The {name} agent cost {agent:.1} against {best:.1} for the best fixed threshold: {:.0} % less.",
                (1.0 - agent / best) * 100.0
            )
        } else if agent > best {
            format!(
                "The {name} agent cost {agent:.1} against {best:.1} for the best fixed threshold: {:.0} % more. Here a plain threshold on the anomaly score is the better detector.",
                (agent / best.max(f64::MIN_POSITIVE) - 1.0) * 100.0
            )
        } else {
            format!("The {name} agent and the best fixed threshold cost the same: {agent:.1}.")
        }
    }
}

/// The model's threshold for [`compare`]: its value and the rule that chose it.
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    /// The anomaly score at and above which the model flags a flow.
    pub value: f32,
    /// The rule that chose it, in words.
    pub rule: String,
}

/// Compares `agent_flags` (one per test flow) with the least-cost threshold on the training
/// flows' scores and with the model's `threshold`, all under `costs`. `withheld` names a family
/// kept out of the agent's training flows, to report on separately.
pub fn compare(
    agent_flags: &[bool],
    train: &FlowPool,
    test: &FlowPool,
    threshold: Threshold,
    costs: CostMatrix,
    withheld: Option<Family>,
) -> Comparison {
    let chosen = best(&train.scores, &train.attack, Objective::MinCost(costs)).threshold;
    let at = |value: f32| Confusion::at_threshold(&test.scores, &test.attack, value);
    Comparison {
        agent: Decisions::new(
            Confusion::from_decisions(agent_flags.iter().copied(), &test.attack),
            &costs,
            None,
        ),
        best_threshold: Decisions::new(at(chosen), &costs, Some(chosen)),
        model_threshold: ModelThreshold {
            decisions: Decisions::new(at(threshold.value), &costs, Some(threshold.value)),
            rule: threshold.rule,
        },
        supervised: Decisions::new(
            Confusion::from_decisions(supervised_flags(train, test, &costs), &test.attack),
            &costs,
            None,
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
                best_threshold_recall: share(&|row| test.scores[row] >= chosen),
                model_threshold_recall: share(&|row| test.scores[row] >= threshold.value),
            }
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(scores: &[f32], attack: &[bool], families: &[Family]) -> FlowPool {
        FlowPool {
            // The agent's view is irrelevant here: the thresholds read the scores.
            observations: vec![0.0; scores.len()],
            scores: scores.to_vec(),
            width: 1,
            attack: attack.to_vec(),
            families: families.to_vec(),
        }
    }

    fn rule(value: f32) -> Threshold {
        Threshold {
            value,
            rule: "benign 99th percentile of out-of-fold scores".to_owned(),
        }
    }

    #[test]
    fn thresholds_are_chosen_on_training_flows_and_scored_on_test_flows() {
        let families = [
            Family::Benign,
            Family::Benign,
            Family::Dos,
            Family::PortScan,
        ];
        let attack = [false, false, true, true];
        // Training attacks score 1.5 and 2.5, benign 0.2 and 0.9.
        let train = pool(&[0.2, 0.9, 1.5, 2.5], &attack, &families);
        let test = pool(&[0.1, 1.0, 1.2, 4.0], &attack, &families);
        let comparison = compare(
            &[false, true, false, true],
            &train,
            &test,
            rule(0.95),
            CostMatrix::default(),
            Some(Family::Dos),
        );
        // Best on training flows: flag >= 1.5 (no mistakes there). On test: 1.2 is missed.
        assert_eq!(comparison.best_threshold.threshold, Some(1.5));
        assert_eq!(comparison.best_threshold.confusion.false_negatives, 1);
        assert_eq!(comparison.best_threshold.cost, 4.0);
        // The model's threshold 0.95 flags 1.0, 1.2 and 4.0, and keeps its rule's name.
        let model = &comparison.model_threshold;
        assert_eq!(model.decisions.confusion.false_positives, 1);
        assert_eq!(model.decisions.cost, 1.0);
        assert_eq!(model.rule, "benign 99th percentile of out-of-fold scores");
        // The agent flagged one benign flow and missed the DoS flow.
        assert_eq!(comparison.agent.cost, 5.0);
        assert!((comparison.cost_ratio() - 1.25).abs() < 1e-12);
        let unseen = comparison.unseen.as_ref().unwrap();
        assert_eq!((unseen.family.as_str(), unseen.flows), ("DoS", 1));
        assert_eq!(unseen.agent_recall, 0.0);
        assert_eq!(unseen.best_threshold_recall, 0.0);
        assert_eq!(unseen.model_threshold_recall, 1.0);
        assert!(comparison.verdict(Algorithm::Dqn).starts_with(
            "The DQN agent cost 5.0 against 4.0 for the best fixed threshold: 25 % more."
        ));
        // The observations here are all zero, so the logistic regression knows only that half
        // the training flows are attacks (p = 0.5 ≥ 1/5): it flags everything, two false alarms.
        assert_eq!(comparison.supervised.confusion.false_positives, 2);
        assert_eq!(comparison.supervised.cost, 2.0);
        assert!(comparison.verdict(Algorithm::Dqn).ends_with(
            "A logistic regression on the same observations cost 2.0: plain supervised learning beats the agent here."
        ));
    }

    #[test]
    fn scores_far_beyond_the_observation_clamp_stay_apart() {
        // The agent's observation holds ln(score / threshold) clamped to ±10, so every flow
        // below scores e^10 ≈ 22,026 times the threshold or more and looks the same there. The
        // thresholds read the raw scores: benign flows at e^12 and attacks at e^15 separate.
        let threshold = 0.5_f32;
        let far = |power: f32| threshold * power.exp();
        let families = [Family::Benign, Family::Ddos];
        let attack = [false, true];
        let train = pool(&[far(12.0), far(15.0)], &attack, &families);
        let test = pool(&[far(12.5), far(16.0)], &attack, &families);
        let comparison = compare(
            &[true, true],
            &train,
            &test,
            rule(threshold),
            CostMatrix::default(),
            None,
        );
        let best = &comparison.best_threshold;
        assert!(best.threshold.unwrap() > far(12.5), "{best:?}");
        assert_eq!(best.cost, 0.0, "{best:?}");
        assert_eq!(
            (best.confusion.true_positives, best.confusion.true_negatives),
            (1, 1)
        );
        // The model's threshold flags both, as it should at these scores.
        assert_eq!(
            comparison
                .model_threshold
                .decisions
                .confusion
                .false_positives,
            1
        );
        assert!(
            comparison
                .verdict(Algorithm::Ppo)
                .contains("PPO agent cost 1.0 against 0.0")
        );
    }
}
