//! Threshold-free quality of an anomaly score: ROC-AUC, average precision, and the curves.
//!
//! Convention throughout: a higher score is more anomalous, attacks are the positive class, and a
//! flow is flagged when `score >= threshold` (as scikit-learn's curves count it).

use serde::{Deserialize, Serialize};

/// One point of a ROC or precision-recall curve.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Flows with at least this score are flagged.
    pub threshold: f32,
    /// ROC: false-positive rate; PR: recall.
    pub x: f64,
    /// ROC: true-positive rate (recall); PR: precision.
    pub y: f64,
}

/// Area under the ROC curve, exactly, with tied scores counted as half (the Mann-Whitney
/// statistic with mid-ranks). `None` when either class is absent.
pub fn roc_auc(scores: &[f32], attack: &[bool]) -> Option<f64> {
    let positives = attack.iter().filter(|&&is_attack| is_attack).count();
    let negatives = attack.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let order = ascending(scores);
    let mut positive_rank_sum = 0.0f64;
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && scores[order[end + 1]] == scores[order[start]] {
            end += 1;
        }
        // Ranks start..=end (1-based: start + 1 ..= end + 1) share their mean.
        let mid_rank = (start + end) as f64 / 2.0 + 1.0;
        let tied_positives = order[start..=end]
            .iter()
            .filter(|&&row| attack[row])
            .count();
        positive_rank_sum += mid_rank * tied_positives as f64;
        start = end + 1;
    }
    let positives = positives as f64;
    let u = positive_rank_sum - positives * (positives + 1.0) / 2.0;
    Some(u / (positives * negatives as f64))
}

/// Average precision (scikit-learn's `average_precision_score`): the sum over thresholds of
/// precision times the recall gained. `None` without attacks.
pub fn average_precision(scores: &[f32], attack: &[bool]) -> Option<f64> {
    let points = pr_curve(scores, attack)?;
    let mut previous_recall = 0.0;
    let mut area = 0.0;
    for point in points {
        area += (point.x - previous_recall) * point.y;
        previous_recall = point.x;
    }
    Some(area)
}

/// The ROC curve at every distinct score, from (0, 0) to (1, 1). `None` when a class is absent.
pub fn roc_curve(scores: &[f32], attack: &[bool]) -> Option<Vec<CurvePoint>> {
    let positives = attack.iter().filter(|&&is_attack| is_attack).count() as f64;
    let negatives = attack.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    let mut points = vec![CurvePoint {
        threshold: f32::INFINITY,
        x: 0.0,
        y: 0.0,
    }];
    points.extend(cumulative(scores, attack).map(
        |(threshold, true_positives, false_positives)| CurvePoint {
            threshold,
            x: false_positives as f64 / negatives,
            y: true_positives as f64 / positives,
        },
    ));
    Some(points)
}

/// The precision-recall curve at every distinct score, recall rising. `None` without attacks.
pub fn pr_curve(scores: &[f32], attack: &[bool]) -> Option<Vec<CurvePoint>> {
    let positives = attack.iter().filter(|&&is_attack| is_attack).count() as f64;
    if positives == 0.0 {
        return None;
    }
    Some(
        cumulative(scores, attack)
            .map(|(threshold, true_positives, false_positives)| CurvePoint {
                threshold,
                x: true_positives as f64 / positives,
                y: true_positives as f64 / (true_positives + false_positives) as f64,
            })
            .collect(),
    )
}

/// The false-positive rates at which every report states the detection rate: 0.1 %, 1 % and 5 %.
/// An intrusion detector runs at a low false-alarm rate, where ROC-AUC says little.
pub const OPERATING_FPRS: [f64; 3] = [0.001, 0.01, 0.05];

/// The most attacks a threshold on the score catches without flagging more than a budget of
/// benign flows: the point an analyst would actually run the detector at.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct OperatingPoint {
    /// The false-positive budget.
    pub max_fpr: f64,
    /// The true-positive rate (recall) reached within it.
    pub tpr: f64,
    /// The false-positive rate actually reached (at most `max_fpr`).
    pub fpr: f64,
    /// Flows with at least this score are flagged (infinite when no threshold fits the budget).
    pub threshold: f32,
}

impl OperatingPoint {
    /// The budget as a percentage for reports: "0.1 %", "1 %", "5 %".
    pub fn budget(&self) -> String {
        format!("{} %", (self.max_fpr * 1000.0).round() / 10.0)
    }
}

/// The highest true-positive rate of any threshold whose false-positive rate is at most `max_fpr`
/// (the ROC curve read as a step, never interpolated: a rate some threshold really gives).
/// `None` when a class is absent.
pub fn tpr_at_fpr(scores: &[f32], attack: &[bool], max_fpr: f64) -> Option<OperatingPoint> {
    let curve = roc_curve(scores, attack)?;
    // The curve's FPR never falls as the threshold drops, so the last point within the budget
    // has the highest TPR.
    let best = curve
        .iter()
        .take_while(|point| point.x <= max_fpr)
        .last()
        .copied()
        .unwrap_or(curve[0]);
    Some(OperatingPoint {
        max_fpr,
        tpr: best.y,
        fpr: best.x,
        threshold: best.threshold,
    })
}

/// Keeps at most `max` points of a curve, evenly spaced, always with its ends: enough for a
/// chart of a curve with a million points.
pub fn thin(points: &[CurvePoint], max: usize) -> Vec<CurvePoint> {
    if points.len() <= max || max < 2 {
        return points.to_vec();
    }
    let last = points.len() - 1;
    (0..max)
        .map(|index| points[index * last / (max - 1)])
        .collect()
}

/// For each distinct score, highest first: (score, attacks flagged, benign flows flagged) when
/// flagging everything at or above it.
fn cumulative<'a>(
    scores: &'a [f32],
    attack: &'a [bool],
) -> impl Iterator<Item = (f32, u64, u64)> + 'a {
    let mut order = ascending(scores);
    order.reverse();
    let mut true_positives = 0u64;
    let mut false_positives = 0u64;
    let mut index = 0;
    std::iter::from_fn(move || {
        if index >= order.len() {
            return None;
        }
        let threshold = scores[order[index]];
        while index < order.len() && scores[order[index]] == threshold {
            if attack[order[index]] {
                true_positives += 1;
            } else {
                false_positives += 1;
            }
            index += 1;
        }
        Some((threshold, true_positives, false_positives))
    })
}

/// Row indices sorted by score, lowest first (NaN last).
pub(crate) fn ascending(scores: &[f32]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    order
}

/// The `capacity` highest-scoring items offered, highest first (the first offered wins a tie);
/// items whose score is not a number are never kept. Fed one item at a time, so a stream of any
/// length is ranked in `capacity` items of memory.
#[derive(Clone, Debug)]
pub struct Highest<T> {
    capacity: usize,
    kept: Vec<(f32, T)>,
}

impl<T> Highest<T> {
    /// Keeps at most `capacity` items.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            kept: Vec::with_capacity(capacity + 1),
        }
    }

    /// Keeps `item`, scored `score`, if it ranks among the highest so far.
    pub fn offer(&mut self, score: f32, item: T) {
        if score.is_nan() {
            return;
        }
        let at = self.kept.partition_point(|(kept, _)| *kept >= score);
        if at < self.capacity {
            self.kept.insert(at, (score, item));
            self.kept.truncate(self.capacity);
        }
    }

    /// The kept items, highest score first.
    pub fn into_items(self) -> Vec<T> {
        self.kept.into_iter().map(|(_, item)| item).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highest_keeps_the_top_scores_in_order_and_skips_nan() {
        let mut highest = Highest::new(10);
        let scores = [
            3.0,
            f32::NAN,
            7.0,
            1.0,
            9.0,
            5.0,
            2.0,
            8.0,
            4.0,
            6.0,
            0.5,
            10.0,
            7.5,
        ];
        for (index, &score) in scores.iter().enumerate() {
            highest.offer(score, index);
        }
        assert_eq!(highest.into_items(), [11, 4, 7, 12, 2, 9, 5, 8, 0, 6]);
        let mut tied = Highest::new(2);
        for index in 0..4 {
            tied.offer(1.0, index);
        }
        assert_eq!(tied.into_items(), [0, 1]);
    }

    // Reference values from scikit-learn 1.9.1:
    //   roc_auc_score(y, s), average_precision_score(y, s)
    // with y = [0, 0, 1, 1, 0, 1, 0, 1] and s = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.4].
    const ATTACK: [bool; 8] = [false, false, true, true, false, true, false, true];
    const SCORES: [f32; 8] = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.4];

    #[test]
    fn roc_auc_matches_scikit_learn_with_ties() {
        let auc = roc_auc(&SCORES, &ATTACK).unwrap();
        assert!((auc - 0.8125).abs() < 1e-12, "{auc}");
    }

    #[test]
    fn average_precision_matches_scikit_learn_with_ties() {
        let ap = average_precision(&SCORES, &ATTACK).unwrap();
        assert!((ap - 0.8166666666666667).abs() < 1e-12, "{ap}");
    }

    #[test]
    fn perfect_and_inverted_and_constant_scores() {
        let attack = [false, false, true, true];
        assert_eq!(roc_auc(&[0.1, 0.2, 0.8, 0.9], &attack), Some(1.0));
        assert_eq!(roc_auc(&[0.9, 0.8, 0.2, 0.1], &attack), Some(0.0));
        assert_eq!(roc_auc(&[0.5; 4], &attack), Some(0.5));
        assert_eq!(average_precision(&[0.1, 0.2, 0.8, 0.9], &attack), Some(1.0));
        assert_eq!(roc_auc(&[0.1, 0.2], &[false, false]), None);
    }

    #[test]
    fn roc_curve_matches_scikit_learn_points() {
        // roc_curve(y, s, drop_intermediate=False):
        //   fpr = [0, 0, 0, 0.5, 0.5, 0.75, 1], tpr = [0, 0.25, 0.5, 0.75, 1, 1, 1]
        let points = roc_curve(&SCORES, &ATTACK).unwrap();
        let fpr: Vec<f64> = points.iter().map(|point| point.x).collect();
        let tpr: Vec<f64> = points.iter().map(|point| point.y).collect();
        assert_eq!(fpr, [0.0, 0.0, 0.0, 0.5, 0.5, 0.75, 1.0]);
        assert_eq!(tpr, [0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 1.0]);
        assert_eq!(points[3].threshold, 0.4);
    }

    #[test]
    fn tpr_at_fpr_reads_the_step_within_the_budget() {
        // max(tpr[fpr <= budget]) of the scikit-learn curve above.
        let at = |budget| tpr_at_fpr(&SCORES, &ATTACK, budget).unwrap();
        assert_eq!(
            (at(0.0).tpr, at(0.0).fpr, at(0.0).threshold),
            (0.5, 0.0, 0.8)
        );
        assert_eq!((at(0.49).tpr, at(0.49).threshold), (0.5, 0.8));
        assert_eq!(
            (at(0.5).tpr, at(0.5).fpr, at(0.5).threshold),
            (1.0, 0.5, 0.35)
        );
        assert_eq!(at(1.0).tpr, 1.0);
        // Every attack scored below every benign flow: nothing fits a budget under 1.
        let inverted = tpr_at_fpr(&[0.9, 0.8, 0.2, 0.1], &[false, false, true, true], 0.4).unwrap();
        assert_eq!((inverted.tpr, inverted.fpr), (0.0, 0.0));
        assert_eq!(inverted.threshold, f32::INFINITY);
        assert_eq!(tpr_at_fpr(&[0.1], &[true], 0.01), None);
        let budgets: Vec<String> = OPERATING_FPRS
            .iter()
            .map(|&max_fpr| tpr_at_fpr(&SCORES, &ATTACK, max_fpr).unwrap().budget())
            .collect();
        assert_eq!(budgets, ["0.1 %", "1 %", "5 %"]);
    }

    #[test]
    fn thinning_keeps_the_ends() {
        let points: Vec<CurvePoint> = (0..1000)
            .map(|index| CurvePoint {
                threshold: index as f32,
                x: index as f64,
                y: 0.0,
            })
            .collect();
        let thinned = thin(&points, 11);
        assert_eq!(thinned.len(), 11);
        assert_eq!(thinned[0].x, 0.0);
        assert_eq!(thinned[10].x, 999.0);
    }
}
