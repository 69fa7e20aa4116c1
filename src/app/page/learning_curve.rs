//! "How much normal traffic is enough?": one click fits the chosen detector on growing draws of
//! the loaded benign flows and charts ROC-AUC and the attacks caught at 1 % false positives
//! against the flows fitted, each point tested on the same set-aside flows
//! ([`crate::model::fit::learning_curve`]). A flattening curve says more normal traffic will not help;
//! a rising one says to load more days. The kept model is not touched.

use leptos::prelude::*;

use super::charts::{Axis, Scale, Series, line_chart, range_of};
use super::client::{Event, WorkerClient};
use super::controls::{figure, table_head};
use crate::app::protocol::{FromWorker, LearningCurve, ToWorker};
use crate::model::fit::FitOptions;

/// Whether a learning curve is being drawn: the other jobs wait for it, as it waits for them.
pub fn curve_running(client: WorkerClient) -> ReadSignal<bool> {
    client.running(
        |request| matches!(request, ToWorker::LearningCurve { .. }),
        |reply| match reply {
            FromWorker::Curve(curve) => curve.to_come.is_empty(),
            FromWorker::CurveFailed(_) => true,
            _ => false,
        },
    )
}

/// The button, then the points as they come: a chart and a table. `options` are the detector
/// panel's settings; `blocked` is true while another job of the worker's runs.
#[component]
pub fn LearningCurvePanel(options: RwSignal<FitOptions>, blocked: Signal<bool>) -> impl IntoView {
    let client = WorkerClient::expect();
    let curve = RwSignal::new(None::<LearningCurve>);
    let error = RwSignal::new(None::<String>);
    let running = curve_running(client);
    client.listen(move |event| match event {
        Event::Sent(ToWorker::LearningCurve { .. }) => {
            curve.set(None);
            error.set(None);
        }
        Event::Reply(FromWorker::Curve(points)) => curve.set(Some(points.clone())),
        Event::Reply(FromWorker::CurveFailed(why)) => error.set(Some(why.to_string())),
        Event::Reply(FromWorker::Loaded(_)) => curve.set(None),
        _ => {}
    });
    view! {
        <section class="learning-curve">
            <div class="buttons">
                <button
                    type="button"
                    data-testid="learning-curve"
                    prop:disabled=move || blocked.get() && !running.get()
                    on:click=move |_| {
                        if running.get_untracked() {
                            client.send(ToWorker::Stop);
                        } else {
                            client.send(ToWorker::LearningCurve { options: options.get_untracked() });
                        }
                    }
                >
                    {move || if running.get() { "Stop the curve" } else { "How much normal traffic is enough?" }}
                </button>
            </div>
            <p class="hint">
                "Fits the detector chosen above on 250, 500, 1,000… of the loaded benign flows, and tests each on the same fifth of them it never fits, with every attack."
            </p>
            {move || error.get().map(|why| view! { <p class="error" role="alert">{why}</p> })}
            {move || curve.get().map(|curve| drawn(&curve))}
        </section>
    }
}

/// The chart and the table of the points so far, with what is still being fitted.
fn drawn(curve: &LearningCurve) -> impl IntoView + use<> {
    let status = match curve.to_come.first() {
        Some(next) => format!(
            "Fitting {next} benign flows ({} points to come)…",
            curve.to_come.len()
        ),
        None => format!(
            "{} points, each tested on the same {} flows (set-aside benign flows and every attack).",
            curve.points.len(),
            curve.tested
        ),
    };
    let rows = curve
        .points
        .iter()
        .map(|point| {
            view! {
                <tr>
                    <th scope="row">{point.fitted.to_string()}</th>
                    <td>{figure(point.roc_auc)}</td>
                    <td>{point.tpr_at_1_percent.map_or_else(|| "n/a".to_owned(), |tpr| format!("{:.1} %", tpr * 100.0))}</td>
                </tr>
            }
        })
        .collect_view();
    let flows = |pick: fn(&crate::model::fit::learning_curve::LearningPoint) -> Option<f64>| {
        curve
            .points
            .iter()
            .filter_map(|point| pick(point).map(|value| (point.fitted as f64, value)))
            .collect::<Vec<_>>()
    };
    let chart = (curve.points.len() > 1).then(|| {
        line_chart(
            format!("{}: ROC-AUC and attacks caught at 1 % false positives against benign flows fitted", curve.kind.title()),
            "ROC-AUC (solid) and share of attacks caught at 1 % false positives (dashed) against the benign flows fitted".to_owned(),
            vec![
                Series { name: "ROC-AUC", class: "train", points: flows(|point| point.roc_auc) },
                Series { name: "share caught at 1 % FPR", class: "validation", points: flows(|point| point.tpr_at_1_percent) },
            ],
            Axis {
                range: range_of(curve.points.iter().map(|point| point.fitted as f64)),
                name: "benign flows fitted",
            },
            (Axis { range: (0.0, 1.0), name: "ROC-AUC, share caught" }, Scale::Linear),
        )
    });
    view! {
        <p role="status" data-testid="learning-curve-status">{status}</p>
        {chart}
        <table data-testid="learning-curve-table">
            <caption>{format!("{}: quality against the benign flows fitted", curve.kind.title())}</caption>
            {table_head(&["benign flows fitted", "ROC-AUC", "attacks caught at 1 % FPR"])}
            <tbody>{rows}</tbody>
        </table>
    }
}
