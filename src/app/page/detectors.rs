//! Every detector trained on the loaded flows, side by side: ROC-AUC, PR-AUC and the detection
//! rate at 0.1 %, 1 % and 5 % false positives in one table, and their ROC curves on one chart,
//! so a user sees whether the ensemble and the autoencoder beat the classic peers on these flows. Loading other
//! flows starts the comparison afresh (results on other flows do not compare).

use leptos::prelude::*;

use super::charts::{Axis, Scale, Series, line_chart};
use super::client::{Event, WorkerClient};
use super::controls::{figure, table_head};
use crate::app::protocol::FromWorker;
use crate::metrics::evaluation::Evaluation;
use crate::model::config::ModelKind;

/// The latest evaluation of each kind of detector on the loaded flows, in the order trained.
type Compared = Vec<(ModelKind, Evaluation)>;

/// The table and the overlaid ROC curves; shown once a detector has been evaluated.
#[component]
pub fn DetectorComparison() -> impl IntoView {
    let client = WorkerClient::expect();
    let compared = RwSignal::new(Compared::new());
    client.listen(move |event| match event {
        Event::Reply(FromWorker::Loaded(_)) => compared.set(Compared::new()),
        Event::Reply(FromWorker::Evaluated(results)) => compared.update(|compared| {
            compared.retain(|(kind, _)| *kind != results.kind);
            compared.push((results.kind, results.evaluation.clone()));
        }),
        _ => {}
    });
    move || compared.with(|compared| (!compared.is_empty()).then(|| comparison(compared)))
}

fn comparison(compared: &Compared) -> impl IntoView + use<> {
    let rows = compared
        .iter()
        .map(|(kind, evaluation)| {
            let rates = evaluation
                .tpr_at_fpr
                .iter()
                .map(|point| view! { <td>{format!("{:.1} %", point.tpr * 100.0)}</td> })
                .collect_view();
            view! {
                <tr>
                    <th scope="row"><span class=format!("swatch {}", kind.short_name())></span>{kind.title()}</th>
                    <td>{figure(evaluation.roc_auc)}</td>
                    <td>{figure(evaluation.pr_auc)}</td>
                    {rates}
                </tr>
            }
        })
        .collect_view();
    let series = compared
        .iter()
        .map(|(kind, evaluation)| Series {
            name: kind.title(),
            class: kind.short_name(),
            points: evaluation
                .roc
                .iter()
                .map(|point| (point.x, point.y))
                .collect(),
        })
        .collect();
    let hint = (compared.len() == 1).then(|| {
        view! {
            <p class="hint">
                "Train another kind (the classic peers fit in a second) to see which ranks these flows best."
            </p>
        }
    });
    let unit = (0.0, 1.0);
    view! {
        <section class="results" data-testid="detector-comparison">
            <table>
                <caption>"Detectors on the same flows, each scored by a model that did not fit it (attacks caught at each false-positive budget)"</caption>
                {table_head(&["Detector", "ROC-AUC", "PR-AUC", "≤ 0.1 % FPR", "≤ 1 % FPR", "≤ 5 % FPR"])}
                <tbody>{rows}</tbody>
            </table>
            {hint}
            <div class="roc-overlay">
                {line_chart(
                    "ROC curves of the detectors".to_owned(),
                    "ROC curves: recall against false-positive rate, one line per detector".to_owned(),
                    series,
                    Axis { range: unit, name: "false-positive rate" },
                    (Axis { range: unit, name: "recall" }, Scale::Linear),
                )}
            </div>
        </section>
    }
}
