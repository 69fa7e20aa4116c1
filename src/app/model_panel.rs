//! The autoencoder panel: train on the loaded flows in the worker, watch the losses fall, then
//! read how well the anomaly score separates attacks from benign flows it never saw.

use leptos::prelude::*;

use crate::metrics::evaluation::Evaluation;
use crate::model::train::{Finish, TrainProgress};

/// Where training stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrainView {
    /// The latest progress.
    pub progress: Option<TrainProgress>,
    /// The evaluation once training ended.
    pub evaluation: Option<Evaluation>,
    /// The message if training failed.
    pub error: Option<String>,
    /// Whether training runs.
    pub running: bool,
}

/// The panel. `on_train` starts training; `on_stop` asks the worker to stop.
#[component]
pub fn ModelPanel(
    view: ReadSignal<TrainView>,
    on_train: Callback<()>,
    on_stop: Callback<()>,
) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="model-title">
            <h2 id="model-title">"Autoencoder"</h2>
            <p class="explain">
                "A network learns to squeeze benign flows through a narrow code and rebuild them. Flows it rebuilds badly are unusual: their reconstruction error is the anomaly score."
            </p>
            <button
                type="button"
                class="action"
                data-testid="train-ae"
                on:click=move |_| {
                    if view.get_untracked().running { on_stop.run(()) } else { on_train.run(()) }
                }
            >
                {move || if view.get().running { "Stop" } else { "Train" }}
            </button>
            <p role="status" data-testid="train-status">
                {move || view.get().progress.map(|progress| status(&progress)).unwrap_or_default()}
            </p>
            {move || view.get().progress.filter(|progress| !progress.history.is_empty()).map(loss_chart)}
            {move || {
                view.get()
                    .error
                    .map(|error| view! { <p class="error" role="alert">{error}</p> })
            }}
            {move || view.get().evaluation.map(results)}
        </section>
    }
}

fn status(progress: &TrainProgress) -> String {
    let state = match progress.finished {
        Some(Finish::AllEpochs) => "done (every epoch)",
        Some(Finish::EarlyStopped) => "done (stopped early: no better validation loss)",
        Some(Finish::NotFinite) => "stopped: the loss was not finite",
        None => "training",
    };
    let validation = progress
        .history
        .last()
        .map_or_else(|| "–".to_owned(), |last| format!("{:.4}", last.validation));
    format!(
        "{state}: epoch {} of {}, train loss {:.4}, validation loss {validation}, {:.0} rows/s",
        (progress.epoch + 1).min(progress.epochs),
        progress.epochs,
        progress.train_loss,
        progress.rows_per_second
    )
}

/// Train and validation loss per epoch as two lines (log scale).
fn loss_chart(progress: TrainProgress) -> impl IntoView {
    const WIDTH: f64 = 600.0;
    const HEIGHT: f64 = 160.0;
    let values: Vec<f64> = progress
        .history
        .iter()
        .flat_map(|epoch| [f64::from(epoch.train), f64::from(epoch.validation)])
        .filter(|value| *value > 0.0)
        .map(f64::ln)
        .collect();
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = (high - low).max(1e-9);
    let epochs = progress.epochs.max(2) as f64 - 1.0;
    let line = |pick: fn(&crate::model::train::EpochLoss) -> f32| {
        progress
            .history
            .iter()
            .map(|epoch| {
                let x = epoch.epoch as f64 / epochs * WIDTH;
                let value = f64::from(pick(epoch)).max(1e-12).ln();
                let y = HEIGHT - (value - low) / span * (HEIGHT - 10.0) - 5.0;
                format!("{x:.1},{y:.1}")
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label="Loss per epoch">
                <polyline class="train" points=line(|epoch| epoch.train) />
                <polyline class="validation" points=line(|epoch| epoch.validation) />
            </svg>
            <figcaption>"Loss per epoch (log scale): training (solid), validation (dashed)"</figcaption>
        </figure>
    }
}

fn results(evaluation: Evaluation) -> impl IntoView {
    let number =
        |value: Option<f64>| value.map_or_else(|| "n/a".to_owned(), |value| format!("{value:.4}"));
    let families = evaluation
        .per_family
        .iter()
        .map(|(family, detection)| {
            view! {
                <tr>
                    <td>{family.clone()}</td>
                    <td>{detection.rows.to_string()}</td>
                    <td>{format!("{:.1} %", detection.rate * 100.0)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="results">
            <p>
                "On " {evaluation.rows.to_string()} " flows it did not train or tune on ("
                {evaluation.attacks.to_string()} " attacks): ROC-AUC "
                <strong data-testid="roc-auc">{number(evaluation.roc_auc)}</strong> ", PR-AUC "
                {number(evaluation.pr_auc)} "."
            </p>
            <p>
                {format!(
                    "At the threshold {:.4} (99th percentile of benign validation scores): precision {:.3}, recall {:.3}, false-positive rate {:.3}.",
                    evaluation.threshold,
                    evaluation.precision,
                    evaluation.recall,
                    evaluation.fpr,
                )}
            </p>
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Family"</th>
                        <th scope="col">"Flows"</th>
                        <th scope="col">"Flagged"</th>
                    </tr>
                </thead>
                <tbody>{families}</tbody>
            </table>
        </div>
    }
}
