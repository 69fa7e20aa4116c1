//! Everything `netsentry eval` and the app report about a scored set of flows: ranking quality,
//! the decisions at one threshold, detection per label and family, and curve points for charts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::confusion::Confusion;
use super::ranking::{CurvePoint, OPERATING_FPRS, OperatingPoint, tpr_at_fpr};
use super::ranking::{average_precision, pr_curve, roc_auc, roc_curve, thin};
use crate::data::label::Family;

/// Curve points kept for charts (the curves themselves have one point per distinct score).
pub const CURVE_POINTS: usize = 200;

/// How a detector did on a set of flows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Flows scored.
    pub rows: u64,
    /// Of which attacks.
    pub attacks: u64,
    /// Area under the ROC curve (exact, ties counted half); `None` without both classes.
    pub roc_auc: Option<f64>,
    /// Average precision (area under the precision-recall curve, step-wise).
    pub pr_auc: Option<f64>,
    /// The detection rate at each of [`OPERATING_FPRS`]; empty without both classes.
    pub tpr_at_fpr: Vec<OperatingPoint>,
    /// Flows with `score >= threshold` are flagged.
    pub threshold: f32,
    /// Flagged attacks / flagged.
    pub precision: f64,
    /// Flagged attacks / attacks (detection rate).
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Flagged benign / benign.
    pub fpr: f64,
    /// The decisions at the threshold.
    pub confusion: Confusion,
    /// Per published label: flows and how many were flagged.
    pub per_label: BTreeMap<String, Detection>,
    /// The same per family.
    pub per_family: BTreeMap<String, Detection>,
    /// ROC curve (x = FPR, y = TPR), thinned to [`CURVE_POINTS`].
    pub roc: Vec<CurvePoint>,
    /// Precision-recall curve (x = recall, y = precision), thinned likewise.
    pub pr: Vec<CurvePoint>,
}

/// How many flows of one class were flagged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// Flows of the class.
    pub rows: u64,
    /// Of which flagged.
    pub flagged: u64,
    /// `flagged / rows`: the detection rate for attacks, the false-positive rate for BENIGN.
    pub rate: f64,
    /// For an attack family: how well the score ranks its flows above the benign ones (ROC-AUC
    /// of this family against every benign flow); `None` for BENIGN, per label, or without
    /// benign flows.
    #[serde(default)]
    pub roc_auc: Option<f64>,
    /// For an attack family: the share of its flows caught at 1 % false positives on the benign
    /// flows (the threshold is the same for every family); `None` like `roc_auc`.
    #[serde(default)]
    pub tpr_at_1_percent: Option<f64>,
}

impl Evaluation {
    /// The share of attacks caught at a false-positive rate of at most `max_fpr`, if that budget
    /// is one of [`Evaluation::tpr_at_fpr`]'s and both classes are present.
    pub fn tpr_at(&self, max_fpr: f64) -> Option<f64> {
        self.tpr_at_fpr
            .iter()
            .find(|point| (point.max_fpr - max_fpr).abs() < 1e-9)
            .map(|point| point.tpr)
    }

    /// The share of attacks the threshold lets through when the score ranks them well (ROC-AUC
    /// at least 0.9) yet most of them pass: the case a class meets when a long tail of odd
    /// benign flows sets the threshold above the attacks, and the page suggests another
    /// threshold. `None` otherwise, or without attacks.
    pub fn attacks_let_through(&self) -> Option<f64> {
        let ranks_well = self.roc_auc.is_some_and(|auc| auc >= 0.9);
        (ranks_well && self.attacks > 0 && self.recall < 0.5).then_some(1.0 - self.recall)
    }
}

/// Evaluates `scores` of flows with label ids `labels` (names in `label_names`) at `threshold`.
pub fn evaluate(
    scores: &[f32],
    labels: &[u16],
    label_names: &[String],
    threshold: f32,
) -> Evaluation {
    let families: Vec<Family> = label_names.iter().map(|name| Family::of(name)).collect();
    let attack: Vec<bool> = labels
        .iter()
        .map(|&label| families[label as usize].is_attack())
        .collect();
    let confusion = Confusion::at_threshold(scores, &attack, threshold);
    let mut per_label: BTreeMap<String, Detection> = BTreeMap::new();
    let mut per_family: BTreeMap<String, Detection> = BTreeMap::new();
    for (&score, &label) in scores.iter().zip(labels) {
        let flagged = u64::from(score >= threshold);
        for detection in [
            per_label
                .entry(label_names[label as usize].clone())
                .or_default(),
            per_family
                .entry(families[label as usize].name().to_owned())
                .or_default(),
        ] {
            detection.rows += 1;
            detection.flagged += flagged;
        }
    }
    for detection in per_label.values_mut().chain(per_family.values_mut()) {
        detection.rate = detection.flagged as f64 / detection.rows.max(1) as f64;
    }
    // Each attack family against all benign flows: which kinds of attack the score finds.
    let benign: Vec<usize> = (0..scores.len()).filter(|&row| !attack[row]).collect();
    for (name, detection) in per_family.iter_mut() {
        let family = families.iter().find(|family| family.name() == name);
        if !family.is_some_and(|family| family.is_attack()) {
            continue;
        }
        let rows: Vec<usize> = benign
            .iter()
            .copied()
            .chain(
                (0..scores.len())
                    .filter(|&row| attack[row] && families[labels[row] as usize].name() == name),
            )
            .collect();
        let subset: Vec<f32> = rows.iter().map(|&row| scores[row]).collect();
        let is_attack: Vec<bool> = rows.iter().map(|&row| attack[row]).collect();
        detection.roc_auc = roc_auc(&subset, &is_attack);
        detection.tpr_at_1_percent = tpr_at_fpr(&subset, &is_attack, 0.01).map(|point| point.tpr);
    }
    Evaluation {
        rows: scores.len() as u64,
        attacks: attack.iter().filter(|&&is_attack| is_attack).count() as u64,
        roc_auc: roc_auc(scores, &attack),
        pr_auc: average_precision(scores, &attack),
        tpr_at_fpr: OPERATING_FPRS
            .iter()
            .filter_map(|&max_fpr| tpr_at_fpr(scores, &attack, max_fpr))
            .collect(),
        threshold,
        precision: confusion.precision(),
        recall: confusion.recall(),
        f1: confusion.f1(),
        fpr: confusion.false_positive_rate(),
        confusion,
        per_label,
        per_family,
        roc: roc_curve(scores, &attack).map_or_else(Vec::new, |curve| thin(&curve, CURVE_POINTS)),
        pr: pr_curve(scores, &attack).map_or_else(Vec::new, |curve| thin(&curve, CURVE_POINTS)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_well_ranked_score_whose_threshold_passes_most_attacks_is_told() {
        let names: Vec<String> = ["BENIGN", "DDoS"].map(String::from).to_vec();
        // Ten benign flows at 0.01..0.10 and one odd one at 0.9; attacks at 0.5, 0.6, 0.7, 0.8
        // rank above all but the odd one (ROC-AUC 40 / 44).
        let mut scores: Vec<f32> = (1..=10).map(|step| step as f32 / 100.0).collect();
        scores.extend([0.9, 0.5, 0.6, 0.7, 0.8]);
        let labels: Vec<u16> = [vec![0; 11], vec![1; 4]].concat();
        let at = |threshold| evaluate(&scores, &labels, &names, threshold);
        assert!((at(0.9).roc_auc.unwrap() - 40.0 / 44.0).abs() < 1e-12);
        // A threshold at the odd benign flow's score lets every attack through.
        assert_eq!(at(0.9).attacks_let_through(), Some(1.0));
        assert_eq!(at(0.75).attacks_let_through(), Some(0.75));
        // One at 0.65 catches half: that is not most let through.
        assert_eq!(at(0.65).attacks_let_through(), None);
        // A score that ranks attacks badly gets no such sentence: the threshold is not the problem.
        let reversed: Vec<f32> = scores.iter().map(|score| 1.0 - score).collect();
        let badly = evaluate(&reversed, &labels, &names, 0.99);
        assert!(badly.recall < 0.5 && badly.roc_auc.unwrap() < 0.9);
        assert_eq!(badly.attacks_let_through(), None);
        // Without attacks there is nothing to let through.
        assert_eq!(
            evaluate(&[0.1, 0.2], &[0, 0], &names, 0.15).attacks_let_through(),
            None
        );
    }

    #[test]
    fn per_label_and_family_detection_rates() {
        // Scores 0.1..0.6; labels BENIGN, BENIGN, DDoS, DoS Hulk, DoS slowloris, BENIGN.
        let names: Vec<String> = ["BENIGN", "DDoS", "DoS Hulk", "DoS slowloris"]
            .map(String::from)
            .to_vec();
        let scores = [0.1, 0.5, 0.6, 0.4, 0.2, 0.3];
        let labels = [0, 0, 1, 2, 3, 0];
        let evaluation = evaluate(&scores, &labels, &names, 0.35);
        // Flagged: 0.5 (BENIGN), 0.6 (DDoS), 0.4 (DoS Hulk).
        assert_eq!(evaluation.confusion.true_positives, 2);
        assert_eq!(evaluation.confusion.false_positives, 1);
        assert_eq!(evaluation.per_label["BENIGN"].flagged, 1);
        assert!((evaluation.per_label["BENIGN"].rate - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(evaluation.per_family["DoS"].rows, 2);
        assert_eq!(evaluation.per_family["DoS"].flagged, 1);
        assert!((evaluation.recall - 2.0 / 3.0).abs() < 1e-12);
        assert!((evaluation.fpr - 1.0 / 3.0).abs() < 1e-12);
        // Attacks at 0.6, 0.4, 0.2 against benign 0.1, 0.5, 0.3: 3 + 2 + 1 of 9 pairs ranked right.
        assert!((evaluation.roc_auc.unwrap() - 6.0 / 9.0).abs() < 1e-12);
        // At each budget below a third of the benign flows, only the DDoS flow above 0.5 is caught.
        let budgets: Vec<(f64, f64)> = evaluation
            .tpr_at_fpr
            .iter()
            .map(|point| (point.max_fpr, point.tpr))
            .collect();
        assert_eq!(
            budgets,
            [(0.001, 1.0 / 3.0), (0.01, 1.0 / 3.0), (0.05, 1.0 / 3.0)]
        );
        assert_eq!(evaluation.tpr_at(0.01), Some(1.0 / 3.0));
        assert_eq!(evaluation.tpr_at(0.02), None, "not one of the budgets");
        // Per family against the three benign flows (0.1, 0.5, 0.3): DDoS at 0.6 above all;
        // DoS at 0.4 and 0.2 above two and one of them.
        let ddos = &evaluation.per_family["DDoS"];
        assert_eq!(
            (ddos.roc_auc, ddos.tpr_at_1_percent),
            (Some(1.0), Some(1.0))
        );
        let dos = &evaluation.per_family["DoS"];
        assert!((dos.roc_auc.unwrap() - 3.0 / 6.0).abs() < 1e-12);
        assert_eq!(dos.tpr_at_1_percent, Some(0.0));
        assert_eq!(evaluation.per_family["BENIGN"].roc_auc, None);
        assert_eq!(evaluation.per_label["DDoS"].roc_auc, None);
    }
}
