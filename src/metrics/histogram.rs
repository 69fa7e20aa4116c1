//! Anomaly scores binned by class on a log scale: what the page draws as the score histogram, and
//! what its threshold slider reads the confusion matrix from. Flows are flagged at
//! `score >= threshold`, so with the threshold on a bin edge every count is exact; the model's
//! own threshold is made one of the edges.

use serde::{Deserialize, Serialize};

use super::confusion::Confusion;

/// Bins of the histogram: fine enough for a smooth slider, few enough to send to the page.
pub const BINS: usize = 80;

/// Scores of benign and attack flows in log-spaced bins; bin `i` holds `edges[i] <= score <
/// edges[i + 1]` (the first also holds anything lower, the last anything higher).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoreHistogram {
    /// `bins + 1` increasing edges.
    pub edges: Vec<f32>,
    /// Benign flows per bin.
    pub benign: Vec<u64>,
    /// Attacks per bin.
    pub attack: Vec<u64>,
    /// The edge equal to the model's threshold.
    pub anchor: usize,
}

impl ScoreHistogram {
    /// Bins `scores` (flow `i` is an attack when `attack[i]`) between the lowest and highest
    /// finite positive score, with `anchor` (the model's threshold) on an edge. Non-finite scores
    /// count in the last bin.
    pub fn new(scores: &[f32], attack: &[bool], anchor: f32) -> Self {
        let positive = scores
            .iter()
            .copied()
            .filter(|score| score.is_finite() && *score > 0.0);
        let (low, high) = positive
            .chain([anchor].into_iter().filter(|anchor| *anchor > 0.0))
            .fold((f32::INFINITY, 0f32), |(low, high), score| {
                (low.min(score), high.max(score))
            });
        let (low, high) = if low.is_finite() && high > low {
            (f64::from(low), f64::from(high))
        } else {
            (1e-6, 1.0)
        };
        let step = (high / low).ln() / BINS as f64;
        let mut edges: Vec<f32> = (0..=BINS)
            .map(|edge| (low.ln() + step * edge as f64).exp() as f32)
            .collect();
        let anchor_edge = edges
            .iter()
            .enumerate()
            .min_by(|a, b| {
                let distance = |edge: f32| (f64::from(edge).ln() - f64::from(anchor).ln()).abs();
                distance(*a.1).total_cmp(&distance(*b.1))
            })
            .map_or(0, |(index, _)| index);
        if anchor > 0.0 && anchor.is_finite() {
            edges[anchor_edge] = anchor;
        }
        let mut histogram = Self {
            benign: vec![0; BINS],
            attack: vec![0; BINS],
            edges,
            anchor: anchor_edge,
        };
        for (&score, &is_attack) in scores.iter().zip(attack) {
            let bin = histogram.bin_of(score);
            if is_attack {
                histogram.attack[bin] += 1;
            } else {
                histogram.benign[bin] += 1;
            }
        }
        histogram
    }

    /// The bin a score falls in.
    fn bin_of(&self, score: f32) -> usize {
        if score.is_nan() {
            return BINS - 1;
        }
        // Edges after the first that are <= score.
        self.edges[1..BINS]
            .partition_point(|&edge| edge <= score)
            .min(BINS - 1)
    }

    /// The decisions when flows scoring at least `edges[edge]` are flagged.
    pub fn confusion_at(&self, edge: usize) -> Confusion {
        let edge = edge.min(BINS);
        let sum = |counts: &[u64]| counts.iter().sum::<u64>();
        Confusion {
            true_positives: sum(&self.attack[edge..]),
            false_positives: sum(&self.benign[edge..]),
            true_negatives: sum(&self.benign[..edge]),
            false_negatives: sum(&self.attack[..edge]),
        }
    }

    /// The score range (a bin's edges) holding the middle flow of the attacks (`attack`) or of
    /// the benign flows: where the class's median score lies, for a sentence about the chart.
    /// `None` when the class has no flows.
    pub fn middle(&self, attack: bool) -> Option<(f32, f32)> {
        let counts = if attack { &self.attack } else { &self.benign };
        let half = counts.iter().sum::<u64>().div_ceil(2);
        let mut seen = 0;
        let bin = counts.iter().position(|count| {
            seen += count;
            half > 0 && seen >= half
        })?;
        Some((self.edges[bin], self.edges[bin + 1]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_middle_bin_holds_each_class_median() {
        let scores: Vec<f32> = (1..=101).map(|i| i as f32).collect();
        let attack: Vec<bool> = (1..=101).map(|i| i > 80).collect();
        let histogram = ScoreHistogram::new(&scores, &attack, 50.0);
        // Benign 1..=80 (median 40.5), attacks 81..=101 (median 91).
        let (low, high) = histogram.middle(false).unwrap();
        assert!(low <= 40.5 && 40.0 <= high, "benign middle {low}..{high}");
        let (low, high) = histogram.middle(true).unwrap();
        assert!(low <= 91.0 && 91.0 <= high, "attack middle {low}..{high}");
        let benign_only = ScoreHistogram::new(&scores, &[false; 101], 50.0);
        assert_eq!(benign_only.middle(true), None);
    }

    #[test]
    fn counts_at_every_edge_equal_thresholding_the_scores() {
        let scores: Vec<f32> = (1..=500)
            .map(|i| (i as f32 * 0.37).sin().abs() * 10.0 + 1e-3)
            .collect();
        let attack: Vec<bool> = (0..500).map(|i| i % 3 == 0).collect();
        let histogram = ScoreHistogram::new(&scores, &attack, 2.5);
        assert_eq!(histogram.edges.len(), BINS + 1);
        assert!(histogram.edges.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(histogram.edges[histogram.anchor], 2.5);
        // Edge 0 holds the lowest score: everything is flagged there.
        for edge in 0..BINS {
            assert_eq!(
                histogram.confusion_at(edge),
                Confusion::at_threshold(&scores, &attack, histogram.edges[edge]),
                "edge {edge}"
            );
        }
        // Past the last edge nothing is flagged.
        let none = histogram.confusion_at(BINS);
        assert_eq!(none.true_positives + none.false_positives, 0);
        assert_eq!(none.true_negatives + none.false_negatives, 500);
    }

    #[test]
    fn odd_scores_are_counted_not_dropped() {
        let scores = [0.0, f32::NAN, f32::INFINITY, 1.0, 2.0];
        let attack = [false, true, true, false, true];
        let histogram = ScoreHistogram::new(&scores, &attack, 1.5);
        let total: u64 = histogram.benign.iter().chain(&histogram.attack).sum();
        assert_eq!(total, 5);
        assert_eq!(histogram.benign[0], 2, "0 and 1.0 sit in the first bin");
        assert_eq!(
            histogram.attack[BINS - 1],
            3,
            "NaN, infinity and the maximum"
        );
    }
}
