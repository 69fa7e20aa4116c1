//! The evaluation text `train` and `eval` print: which flows were scored by which model, then the
//! figures.

use crate::metrics::evaluation::Evaluation;
use crate::model::score::held_out::Routing;

/// What `train` and `eval` print for `evaluation`: first which flows were scored by which model
/// (`routed`; `folds` fold models), then ROC-AUC, PR-AUC and the decisions at the threshold.
pub(super) fn evaluation_text(evaluation: &Evaluation, routed: &Routing, folds: usize) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let number = |value: Option<f64>| {
        value.map_or_else(
            || "n/a (needs both classes)".to_owned(),
            |value| format!("{value:.4}"),
        )
    };
    let _ = writeln!(
        out,
        "flows: {} ({} attacks); {}",
        evaluation.rows,
        evaluation.attacks,
        match (routed.own_files, routed.fitted) {
            (true, fitted) => format!(
                "the model fitted {fitted} of them (its own files), so every flow was scored by the fold model its content falls in, which did not fit it ({folds}-fold cross-fitting)"
            ),
            (false, 0) =>
                "the model fitted none of them: each was scored by the final model".to_owned(),
            (false, fitted) => format!(
                "scored by the final model, but for {fitted} that repeat flows it fitted, each scored by the fold model that did not fit it"
            ),
        }
    );
    if evaluation.attacks == 0 {
        let _ = writeln!(
            out,
            "no flow is labelled as an attack, so detection cannot be measured (unlabelled flows count as normal): the rates below are only the share flagged; `netsentry score` ranks every flow by how unusual it is"
        );
    }
    let _ = writeln!(out, "ROC-AUC:   {}", number(evaluation.roc_auc));
    let _ = writeln!(out, "PR-AUC:    {}", number(evaluation.pr_auc));
    for point in &evaluation.tpr_at_fpr {
        let _ = writeln!(
            out,
            "TPR at FPR <= {:<6} {:.4}  (FPR {:.4}, threshold {:.6})",
            point.budget() + ":",
            point.tpr,
            point.fpr,
            point.threshold
        );
    }
    let _ = writeln!(out, "threshold: {:.6}", evaluation.threshold);
    let _ = writeln!(
        out,
        "precision {:.4}  recall {:.4}  F1 {:.4}  FPR {:.4}",
        evaluation.precision, evaluation.recall, evaluation.f1, evaluation.fpr
    );
    let confusion = &evaluation.confusion;
    let _ = writeln!(
        out,
        "confusion: TP {}  FP {}  TN {}  FN {}",
        confusion.true_positives,
        confusion.false_positives,
        confusion.true_negatives,
        confusion.false_negatives
    );
    let _ = writeln!(out, "attack families against the benign flows:");
    for (family, detection) in &evaluation.per_family {
        if let (Some(auc), Some(tpr)) = (detection.roc_auc, detection.tpr_at_1_percent) {
            let _ = writeln!(
                out,
                "  {family:<16} ROC-AUC {auc:.4}  TPR at FPR <= 1 %: {tpr:.4}"
            );
        }
    }
    let _ = writeln!(out, "flagged per label:");
    for (label, detection) in &evaluation.per_label {
        let _ = writeln!(
            out,
            "  {label:<32} {:>8} of {:>8}  {:6.2} %",
            detection.flagged,
            detection.rows,
            detection.rate * 100.0
        );
    }
    out
}
