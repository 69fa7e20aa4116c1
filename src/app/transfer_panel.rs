//! The export and import panel: download the model, the agent, the scored flows and the metrics;
//! load a model or agent file back to score new flows without retraining.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::transfer::Export;

/// What can be exported now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Available {
    /// A model is trained or imported.
    pub model: bool,
    /// An agent is trained or imported.
    pub agent: bool,
}

/// The panel. `on_export` asks the worker for a file, `on_metrics` downloads the metrics the page
/// holds, `on_import` gets the chosen `File`; `status` says how the last one went.
#[component]
pub fn TransferPanel(
    available: Memo<Available>,
    status: ReadSignal<Option<Result<String, String>>>,
    on_export: Callback<Export>,
    on_metrics: Callback<()>,
    on_import: Callback<wasm_bindgen::JsValue>,
) -> impl IntoView {
    let button = move |label: &'static str, testid: &'static str, export: Export| {
        let ready = move || match export {
            Export::Agent => available.get().agent,
            Export::Model | Export::ScoredFlows => available.get().model,
        };
        view! {
            <button
                type="button"
                class="action"
                data-testid=testid
                prop:disabled=move || !ready()
                on:click=move |_| on_export.run(export)
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
            on_import.run(file.into());
        }
        // The same file may be chosen again later.
        if let Some(input) = input {
            input.set_value("");
        }
    };
    view! {
        <section class="panel" aria-labelledby="transfer-title">
            <h2 id="transfer-title">"Export and import"</h2>
            <p class="explain">
                "Keep what you trained: the model file holds the weights (safetensors, PyTorch names) with the features, scaler and threshold needed to score new CSVs the same way; the agent file holds the agent with its model. Load either back to score new files without training."
            </p>
            <div class="buttons">
                {button("Model (.safetensors)", "export-model", Export::Model)}
                {button("Agent (.safetensors)", "export-agent", Export::Agent)}
                {button("Scored flows (CSV)", "export-scores", Export::ScoredFlows)}
                <button
                    type="button"
                    class="action"
                    data-testid="export-metrics"
                    prop:disabled=move || !available.get().model
                    on:click=move |_| on_metrics.run(())
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
                status
                    .get()
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
        </section>
    }
}
