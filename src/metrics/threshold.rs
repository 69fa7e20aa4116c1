//! Choosing the score above which a flow is flagged, always on validation or training flows,
//! never on the flows a result is reported on.

use serde::{Deserialize, Serialize};

use super::confusion::{Confusion, CostMatrix};
use super::ranking::ascending;

/// The `q`-th percentile (0–100) of `scores`, interpolated linearly as NumPy's default does: the
/// usual "benign 99th percentile" threshold when `scores` are benign validation scores.
pub fn percentile(scores: &[f32], q: f64) -> Option<f32> {
    let mut sorted: Vec<f32> = scores
        .iter()
        .copied()
        .filter(|score| score.is_finite())
        .collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f32::total_cmp);
    let position = q.clamp(0.0, 100.0) / 100.0 * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = position.ceil() as usize;
    let fraction = position - below as f64;
    Some((f64::from(sorted[below]) * (1.0 - fraction) + f64::from(sorted[above]) * fraction) as f32)
}

/// A threshold and the decisions it makes on the flows it was chosen on.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chosen {
    /// Flag flows with `score >= threshold`; infinity flags nothing.
    pub threshold: f32,
    /// The decisions on the flows it was chosen on.
    pub confusion: Confusion,
}

/// What a threshold should be best at.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Objective {
    /// The least total cost under a cost matrix.
    MinCost(CostMatrix),
    /// The highest F1.
    MaxF1,
}

/// Tries every distinct score as a threshold (and "flag nothing") and keeps the best for
/// `objective`; ties go to the higher threshold, which flags less.
pub fn best(scores: &[f32], attack: &[bool], objective: Objective) -> Chosen {
    let attacks = attack.iter().filter(|&&is_attack| is_attack).count() as u64;
    let benign = attack.len() as u64 - attacks;
    // Flagging nothing.
    let mut best = Chosen {
        threshold: f32::INFINITY,
        confusion: Confusion {
            true_negatives: benign,
            false_negatives: attacks,
            ..Confusion::default()
        },
    };
    let mut order = ascending(scores);
    order.reverse();
    let mut confusion = best.confusion;
    let mut index = 0;
    while index < order.len() {
        let threshold = scores[order[index]];
        while index < order.len() && scores[order[index]] == threshold {
            if attack[order[index]] {
                confusion.true_positives += 1;
                confusion.false_negatives -= 1;
            } else {
                confusion.false_positives += 1;
                confusion.true_negatives -= 1;
            }
            index += 1;
        }
        if better(&confusion, &best.confusion, objective) {
            best = Chosen {
                threshold,
                confusion,
            };
        }
    }
    best
}

/// How a model's threshold is chosen on its validation flows.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum ThresholdRule {
    /// The given percentile (0–100) of the benign validation scores: needs no labelled attacks,
    /// and fixes the false-positive rate on benign traffic like it near `100 − q` %.
    BenignPercentile(f64),
    /// The threshold that costs least on the validation flows, attacks included.
    MinCost(CostMatrix),
    /// The threshold with the best F1 on the validation flows, attacks included.
    MaxF1,
}

impl Default for ThresholdRule {
    fn default() -> Self {
        Self::BenignPercentile(99.0)
    }
}

impl ThresholdRule {
    /// Whether the rule looks at attack labels (so its validation attacks count as used).
    pub fn uses_attacks(&self) -> bool {
        !matches!(self, Self::BenignPercentile(_))
    }

    /// The threshold for validation `scores` with their `attack` flags; `None` when the rule
    /// has nothing to work with (no benign rows for a percentile, no attacks for the others).
    pub fn choose(&self, scores: &[f32], attack: &[bool]) -> Option<f32> {
        match *self {
            Self::BenignPercentile(q) => {
                let benign: Vec<f32> = scores
                    .iter()
                    .zip(attack)
                    .filter(|(_, is_attack)| !**is_attack)
                    .map(|(score, _)| *score)
                    .collect();
                percentile(&benign, q)
            }
            Self::MinCost(_) | Self::MaxF1 if !attack.contains(&true) => None,
            Self::MinCost(costs) => Some(best(scores, attack, Objective::MinCost(costs)).threshold),
            Self::MaxF1 => Some(best(scores, attack, Objective::MaxF1).threshold),
        }
    }

    /// A short description for reports ("benign 99th percentile", …).
    pub fn describe(&self) -> String {
        match self {
            Self::BenignPercentile(q) => format!("benign {q}th percentile of validation scores"),
            Self::MinCost(costs) => format!(
                "least cost on validation (false positive {}, false negative {})",
                costs.false_positive, costs.false_negative
            ),
            Self::MaxF1 => "best F1 on validation".to_owned(),
        }
    }
}

fn better(candidate: &Confusion, incumbent: &Confusion, objective: Objective) -> bool {
    match objective {
        Objective::MinCost(costs) => candidate.cost(&costs) < incumbent.cost(&costs),
        Objective::MaxF1 => candidate.f1() > incumbent.f1(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_interpolates_like_numpy() {
        // numpy.percentile([1, 2, 3, 4, 10], [0, 50, 90, 99, 100]) = [1, 3, 7.6, 9.76, 10]
        let scores = [4.0, 1.0, 10.0, 3.0, 2.0];
        let expected = [
            (0.0, 1.0),
            (50.0, 3.0),
            (90.0, 7.6),
            (99.0, 9.76),
            (100.0, 10.0),
        ];
        for (q, value) in expected {
            assert!(
                (percentile(&scores, q).unwrap() - value).abs() < 1e-5,
                "{q}"
            );
        }
        assert_eq!(percentile(&[], 99.0), None);
    }

    #[test]
    fn cost_threshold_weighs_misses_four_times() {
        // Benign at 1, 2, 3; attacks at 2.5 and 4. Flag >= 4: one miss, cost 4. Flag >= 2.5:
        // one false alarm, cost 1. Flag >= 2: two false alarms, cost 2.
        let scores = [1.0, 2.0, 3.0, 2.5, 4.0];
        let attack = [false, false, false, true, true];
        let chosen = best(&scores, &attack, Objective::MinCost(CostMatrix::default()));
        assert_eq!(chosen.threshold, 2.5);
        assert_eq!(chosen.confusion.cost(&CostMatrix::default()), 1.0);
        // With false alarms as dear as misses, >= 4 and >= 2.5 both cost 1; the higher
        // threshold, which flags less, wins the tie.
        let even = CostMatrix {
            false_positive: 1.0,
            false_negative: 1.0,
        };
        assert_eq!(
            best(&scores, &attack, Objective::MinCost(even)).threshold,
            4.0
        );
    }

    #[test]
    fn f1_threshold() {
        let scores = [1.0, 2.0, 3.0, 2.5, 4.0];
        let attack = [false, false, false, true, true];
        let chosen = best(&scores, &attack, Objective::MaxF1);
        // >= 2.5 flags 3 (one benign): F1 = 0.8; >= 4 flags one attack: F1 = 2/3.
        assert_eq!(chosen.threshold, 2.5);
        assert!((chosen.confusion.f1() - 0.8).abs() < 1e-12);
    }

    #[test]
    fn no_attacks_means_flag_nothing() {
        let chosen = best(
            &[1.0, 2.0],
            &[false, false],
            Objective::MinCost(CostMatrix::default()),
        );
        assert_eq!(chosen.threshold, f32::INFINITY);
        assert_eq!(chosen.confusion.false_positives, 0);
    }
}
