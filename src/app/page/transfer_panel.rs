//! The export and import panel: download the model, the agent, the scored flows and the metrics;
//! load a model or agent file back to score new flows without retraining.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::client::{Event, WorkerClient};
use super::controls::Panel;
use super::download;
use crate::app::protocol::{Export, FromWorker, ToWorker};
use crate::metrics::evaluation::Evaluation;
use crate::rl::history::EpisodeReport;
use crate::rl::run::Assessment;

/// The figures the page holds, for the metrics download and to know what can be exported.
#[derive(Clone, Debug, Default, PartialEq)]
struct Kept {
    /// The model's evaluation, once one is trained or imported.
    model: Option<Evaluation>,
    /// The agent's episodes so far.
    episodes: Vec<EpisodeReport>,
    /// The agent's assessment, once one is trained or imported.
    agent: Option<Assessment>,
    /// How the last export or import went.
    status: Option<Result<String, String>>,
}

impl Kept {
    /// Follows what the worker trains, imports and exports.
    fn follow(&mut self, event: Event) {
        match event {
            Event::Sent(ToWorker::Train { .. }) => {
                *self = Self {
                    status: self.status.take(),
                    ..Self::default()
                }
            }
            Event::Sent(ToWorker::TrainAgent(_)) => {
                self.episodes.clear();
                self.agent = None;
            }
            Event::Sent(ToWorker::Export(_)) => {
                self.status = Some(Ok("Preparing the file…".to_owned()))
            }
            Event::Sent(ToWorker::Import { .. }) => {
                self.status = Some(Ok("Reading the file…".to_owned()))
            }
            Event::Reply(FromWorker::Transfer(status)) => {
                self.status = Some(status.clone().map_err(|error| error.to_string()))
            }
            Event::Reply(FromWorker::Evaluated(results)) => {
                self.model = Some(results.evaluation.clone())
            }
            Event::Reply(FromWorker::AgentTraining(episodes)) => {
                self.episodes.extend(episodes.iter().cloned())
            }
            Event::Reply(FromWorker::AgentCompared(assessment)) => {
                self.agent = Some(assessment.clone())
            }
            _ => {}
        }
    }

    /// The figures the page shows, as JSON: the model's evaluation and, once trained, the
    /// agent's comparison and per-episode history.
    fn metrics_json(&self) -> Result<String, String> {
        let model = self.model.as_ref().ok_or("train or import a model first")?;
        let agent = self.agent.as_ref().map(|results| {
            serde_json::json!({
                "algorithm": results.algorithm.name(),
                "episodes": results.episodes,
                "comparison": results.comparison,
                "cost_ratio": results.comparison.cost_ratio(),
                "history": self.episodes,
            })
        });
        let metrics = serde_json::json!({ "model": model, "agent": agent });
        serde_json::to_string_pretty(&metrics).map_err(|error| error.to_string())
    }
}

/// The panel: the model, agent and scored-flows buttons ask the worker for a file, the metrics
/// button downloads the figures the page holds, and a chosen file is imported.
#[component]
pub fn TransferPanel() -> impl IntoView {
    let client = WorkerClient::expect();
    let kept = RwSignal::new(Kept::default());
    client.listen(move |event| kept.update(|kept| kept.follow(event)));
    let status = move || kept.with(|kept| kept.status.clone());
    let has_model = move || kept.with(|kept| kept.model.is_some());
    let on_metrics = move || {
        let offered = kept.with_untracked(Kept::metrics_json).and_then(|text| {
            download::offer_text("netsentry-metrics.json", &text, "application/json")
        });
        let status = offered.map(|()| "Saved netsentry-metrics.json.".to_owned());
        kept.update(|kept| kept.status = Some(status));
    };
    let button = move |label: &'static str, testid: &'static str, export: Export| {
        let ready = move || match export {
            Export::Agent => kept.with(|kept| kept.agent.is_some()),
            Export::Model | Export::ScoredFlows => has_model(),
        };
        view! {
            <button
                type="button"
                class="action"
                data-testid=testid
                prop:disabled=move || !ready()
                on:click=move |_| client.send(ToWorker::Export(export))
            >
                {label}
            </button>
        }
    };
    let on_change = move |event: web_sys::Event| {
        let input: Option<web_sys::HtmlInputElement> =
            event.target().and_then(|target| target.dyn_into().ok());
        if let Some(file) = input
            .as_ref()
            .and_then(|input| input.files())
            .and_then(|files| files.get(0))
        {
            client.send(ToWorker::Import { file: file.into() });
        }
        // The same file may be chosen again later.
        if let Some(input) = input {
            input.set_value("");
        }
    };
    view! {
        <Panel id="transfer" title="Export and import" explain="Keep what you trained: the model file holds the weights (safetensors, PyTorch names) with the features, scaler and threshold needed to score new CSVs the same way; the agent file holds the agent with its model. Load either back to score new files without training.">
            <div class="buttons">
                {button("Model (.safetensors)", "export-model", Export::Model)}
                {button("Agent (.safetensors)", "export-agent", Export::Agent)}
                {button("Scored flows (CSV)", "export-scores", Export::ScoredFlows)}
                <button
                    type="button"
                    class="action"
                    data-testid="export-metrics"
                    prop:disabled=move || !has_model()
                    on:click=move |_| on_metrics()
                >
                    "Metrics (JSON)"
                </button>
            </div>
            <label class="file-label">
                "Import a model or agent file "
                <input
                    type="file"
                    accept=".safetensors"
                    data-testid="import-model"
                    on:change=on_change
                />
            </label>
            {move || {
                status()
                    .map(|status| match status {
                        Ok(message) => {
                            view! {
                                <p role="status" data-testid="transfer-status">
                                    {message}
                                </p>
                            }
                                .into_any()
                        }
                        Err(error) => {
                            view! {
                                <p class="error" role="alert" data-testid="transfer-status">
                                    {error}
                                </p>
                            }
                                .into_any()
                        }
                    })
            }}
        </Panel>
    }
}
