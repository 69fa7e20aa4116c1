//! Why a flow scored as it did: the features the model rebuilt worst, asked of the worker by a
//! panel (the replay's decisions, the Detector panel's most unusual flows) and shown in that
//! panel. Labels and feature names are rendered as text.

use leptos::prelude::*;

use super::client::{Event, WorkerClient};
use super::controls::table_head;
use crate::app::protocol::{Explanation, FromWorker, ToWorker};

/// The explanation a panel asked for last.
#[derive(Clone, Debug, Default, PartialEq)]
enum ExplainView {
    /// None asked for yet.
    #[default]
    Nothing,
    /// The worker is working on this row.
    Waiting(u32),
    /// The answer.
    Ready(Explanation),
    /// Why there is none.
    Failed(String),
}

/// One panel's way to ask why a flow scored as it did and show the answer where it was asked.
#[derive(Clone, Copy)]
pub struct Explainer {
    client: WorkerClient,
    shown: RwSignal<ExplainView>,
    /// Whether the worker's next explanation answers this panel: answers do not say who asked,
    /// and two panels ask.
    asked: StoredValue<bool>,
}

impl Explainer {
    /// An explainer that listens for the answers to its own questions.
    pub fn new(client: WorkerClient) -> Self {
        let shown = RwSignal::new(ExplainView::Nothing);
        let asked = StoredValue::new(false);
        client.listen(move |event| {
            if let Event::Reply(FromWorker::Explained(answer)) = event
                && asked.get_value()
            {
                asked.set_value(false);
                shown.set(match answer {
                    Ok(explanation) => ExplainView::Ready(explanation.clone()),
                    Err(error) => ExplainView::Failed(error.to_string()),
                });
            }
        });
        Self {
            client,
            shown,
            asked,
        }
    }

    /// Asks the worker to explain flow `row` of the loaded data.
    pub fn ask(self, row: u32) {
        self.asked.set_value(true);
        self.shown.set(ExplainView::Waiting(row));
        self.client.send(ToWorker::Explain { row });
    }

    /// Forgets the explanation shown (its model is gone).
    pub fn clear(self) {
        self.shown.set(ExplainView::Nothing);
    }

    /// The explanation, a note while it is worked out, or why there is none.
    pub fn view(self) -> impl IntoView {
        move || explanation_view(self.shown.get())
    }
}

fn explanation_view(explanation: ExplainView) -> impl IntoView {
    match explanation {
        ExplainView::Nothing => ().into_any(),
        ExplainView::Waiting(row) => view! {
            <p role="status">{format!("Explaining flow {row}…")}</p>
        }
        .into_any(),
        ExplainView::Failed(error) => {
            view! { <p class="error" role="alert">{error}</p> }.into_any()
        }
        ExplainView::Ready(explanation) => {
            let value =
                |value: Option<f32>| value.map_or_else(|| "missing".to_owned(), |v| format!("{v}"));
            let rows = explanation
                .deviations
                .iter()
                .map(|deviation| {
                    view! {
                        <tr>
                            <td>{deviation.feature.clone()}</td>
                            <td>{value(deviation.observed)}</td>
                            <td>{format!("{}", deviation.reconstructed)}</td>
                            <td>{format!("{:.3}", deviation.error)}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <div class="explanation" data-testid="explanation">
                    <h3>
                        {format!(
                            "Flow {} ({}), anomaly score {:.4}",
                            explanation.row, explanation.label, explanation.score,
                        )}
                    </h3>
                    <table>
                        <caption>"The features the autoencoder rebuilt worst, in the flow's own units"</caption>
                        {table_head(&["Feature", "Observed", "Rebuilt", "Weighted squared error"])}
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            }
            .into_any()
        }
    }
}
