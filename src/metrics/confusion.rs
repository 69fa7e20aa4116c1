//! Decisions at one threshold: the confusion matrix, the rates built on it, and their cost.

use serde::{Deserialize, Serialize};

/// Counts of allow/flag decisions against the truth; attacks are the positive class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    /// Attacks flagged.
    pub true_positives: u64,
    /// Benign flows flagged.
    pub false_positives: u64,
    /// Benign flows allowed.
    pub true_negatives: u64,
    /// Attacks allowed: the misses.
    pub false_negatives: u64,
}

impl Confusion {
    /// Counts `flagged` against `attack`, row by row.
    pub fn from_decisions(flagged: impl IntoIterator<Item = bool>, attack: &[bool]) -> Self {
        let mut confusion = Self::default();
        for (flag, &is_attack) in flagged.into_iter().zip(attack) {
            confusion.add(flag, is_attack);
        }
        confusion
    }

    /// Counts flows with `score >= threshold` as flagged.
    pub fn at_threshold(scores: &[f32], attack: &[bool], threshold: f32) -> Self {
        Self::from_decisions(scores.iter().map(|&score| score >= threshold), attack)
    }

    /// Adds one decision.
    pub fn add(&mut self, flagged: bool, is_attack: bool) {
        match (flagged, is_attack) {
            (true, true) => self.true_positives += 1,
            (true, false) => self.false_positives += 1,
            (false, false) => self.true_negatives += 1,
            (false, true) => self.false_negatives += 1,
        }
    }

    /// Flagged attacks over flagged flows (0 when nothing is flagged, as scikit-learn's
    /// `zero_division=0`).
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    /// Flagged attacks over attacks: the detection rate.
    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }

    /// Flagged benign flows over benign flows: the false-alarm rate.
    pub fn false_positive_rate(&self) -> f64 {
        ratio(
            self.false_positives,
            self.false_positives + self.true_negatives,
        )
    }

    /// The harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        ratio(
            2 * self.true_positives,
            2 * self.true_positives + self.false_positives + self.false_negatives,
        )
    }

    /// Correct decisions over all.
    pub fn accuracy(&self) -> f64 {
        ratio(self.true_positives + self.true_negatives, self.total())
    }

    /// Decisions counted.
    pub fn total(&self) -> u64 {
        self.true_positives + self.false_positives + self.true_negatives + self.false_negatives
    }

    /// The four counts as tables show them: `TP/FP/TN/FN`.
    pub fn counts(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        )
    }

    /// The cost of these decisions under `costs`.
    pub fn cost(&self, costs: &CostMatrix) -> f64 {
        costs.false_positive * self.false_positives as f64
            + costs.false_negative * self.false_negatives as f64
    }
}

/// What each kind of mistake costs; every comparison of detectors uses one matrix.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostMatrix {
    /// A benign flow flagged: an analyst's wasted look.
    pub false_positive: f64,
    /// An attack allowed: the expensive mistake.
    pub false_negative: f64,
}

impl Default for CostMatrix {
    /// The seed notebook's matrix: a missed attack costs four false alarms.
    fn default() -> Self {
        Self {
            false_positive: 1.0,
            false_negative: 4.0,
        }
    }
}

fn ratio(numerator: u64, denominator: u64) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_match_scikit_learn() {
        // scikit-learn 1.9.1 on y = [1,1,1,0,0,0,0,1,0,0], flags = [1,0,1,1,0,0,0,1,0,0]:
        //   precision_score 0.75, recall_score 0.75, f1_score 0.75,
        //   confusion_matrix [[5, 1], [1, 3]] (tn, fp / fn, tp), accuracy_score 0.8
        let attack = [
            true, true, true, false, false, false, false, true, false, false,
        ];
        let flags = [
            true, false, true, true, false, false, false, true, false, false,
        ];
        let confusion = Confusion::from_decisions(flags, &attack);
        assert_eq!(
            confusion,
            Confusion {
                true_positives: 3,
                false_positives: 1,
                true_negatives: 5,
                false_negatives: 1
            }
        );
        assert_eq!(confusion.precision(), 0.75);
        assert_eq!(confusion.recall(), 0.75);
        assert_eq!(confusion.f1(), 0.75);
        assert_eq!(confusion.accuracy(), 0.8);
        assert!((confusion.false_positive_rate() - 1.0 / 6.0).abs() < 1e-12);
        assert_eq!(confusion.cost(&CostMatrix::default()), 1.0 + 4.0);
    }

    #[test]
    fn nothing_flagged_has_zero_precision_not_nan() {
        let confusion = Confusion::at_threshold(&[0.1, 0.2], &[true, false], 1.0);
        assert_eq!(confusion.precision(), 0.0);
        assert_eq!(confusion.recall(), 0.0);
        assert_eq!(confusion.f1(), 0.0);
    }
}
