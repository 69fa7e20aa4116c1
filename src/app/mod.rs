//! The browser page: a leptos app whose training runs in a Web Worker.

pub mod agent_job;
pub mod agent_panel;
pub mod charts;
pub mod controls;
pub mod data_panel;
pub mod download;
pub mod files;
pub mod model_panel;
pub mod protocol;
pub mod replay;
pub mod session;
pub mod training;
pub mod transfer;
pub mod transfer_panel;
pub mod worker;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use crate::data::ingest::IngestOptions;
use crate::model::backend::{BackendInfo, BackendPreference};
use crate::model::fit::FitOptions;
use crate::model::probe::ProbeReport;
use agent_job::AgentRequest;
use agent_panel::{AgentPanel, AgentView};
use data_panel::{DataPanel, LoadView};
use model_panel::{ModelPanel, TrainView};
use protocol::{FromWorker, ToWorker};
use replay::{ExplainView, Replay};
use transfer::Export;
use transfer_panel::{Available, TransferPanel};
use worker::TrainingWorker;

/// Adam steps in the start-up check that the chosen backend trains.
const CHECK_STEPS: usize = 5;

/// Mounts the app when the module loads in a page; in the training worker there is no window and
/// the worker's own entry point runs instead.
#[wasm_bindgen(start)]
pub fn start() {
    if web_sys::window().is_none() {
        return;
    }
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

/// Where a "Run the demo" stands: the step it waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Demo {
    /// No demo runs.
    Idle,
    /// The sample is loading.
    Loading,
    /// The autoencoder trains.
    Training,
    /// The agent was started; the demo has done its part.
    Agent,
}

/// Where the start-up backend check stands.
#[derive(Clone, Debug, PartialEq)]
enum Check {
    Running,
    Passed(ProbeReport),
    Failed(String),
}

/// The page: title, backend badge and the result of the backend check.
#[component]
fn App() -> impl IntoView {
    let (backend, set_backend) = signal(None::<BackendInfo>);
    let (check, set_check) = signal(Check::Running);
    let (load, set_load) = signal(LoadView::default());
    let (training, set_training) = signal(TrainView::default());
    let (agent, set_agent) = signal(AgentView::default());
    let (explanation, set_explanation) = signal(ExplainView::default());
    let (transfer, set_transfer) = signal(None::<Result<String, String>>);
    let worker = TrainingWorker::spawn(move |message| match message {
        FromWorker::Ready => {}
        FromWorker::Backend(info) => set_backend.set(Some(info)),
        FromWorker::Checked(report) => set_check.set(Check::Passed(report)),
        FromWorker::Failed(error) => set_check.set(Check::Failed(error)),
        FromWorker::Progress(progress) => set_load.update(|load| load.progress = Some(progress)),
        FromWorker::Loaded(report) => set_load.update(|load| {
            load.loading = false;
            load.error = None;
            load.report = Some(report);
        }),
        FromWorker::LoadFailed(error) => set_load.update(|load| {
            load.loading = false;
            load.error = Some(error);
        }),
        FromWorker::Training(progress) => set_training.update(|training| {
            training.progress = Some(progress);
        }),
        FromWorker::Evaluated(results) => set_training.update(|training| {
            training.running = false;
            training.results = Some(results);
        }),
        FromWorker::TrainFailed(error) => set_training.update(|training| {
            training.running = false;
            training.error = Some(error);
        }),
        FromWorker::AgentTraining(episodes) => {
            set_agent.update(|agent| agent.episodes.extend(episodes));
        }
        FromWorker::AgentCompared(results) => set_agent.update(|agent| {
            agent.running = false;
            agent.results = Some(results);
        }),
        FromWorker::AgentFailed(error) => set_agent.update(|agent| {
            agent.running = false;
            agent.error = Some(error);
        }),
        FromWorker::Transfer(status) => set_transfer.set(Some(status)),
        FromWorker::Explained(answer) => set_explanation.set(match answer {
            Ok(explanation) => ExplainView::Ready(explanation),
            Err(error) => ExplainView::Failed(error),
        }),
    })
    .and_then(|worker| {
        worker.send(&ToWorker::CheckBackend {
            preference: BackendPreference::Auto,
            steps: CHECK_STEPS,
        })?;
        Ok(worker)
    });
    if let Err(error) = &worker {
        set_check.set(Check::Failed(error.clone()));
    }
    // The worker lives as long as the page.
    let worker = StoredValue::new_local(worker.ok());
    let post = move |request: ToWorker| {
        worker.with_value(|worker| match worker {
            Some(worker) => worker.send(&request),
            None => Err("the background worker did not start".to_owned()),
        })
    };
    let send = move |request: ToWorker| {
        set_load.update(|load| {
            load.loading = true;
            load.progress = None;
        });
        if let Err(error) = post(request) {
            set_load.update(|load| {
                load.loading = false;
                load.error = Some(error);
            });
        }
    };
    let on_files = Callback::new(move |files| {
        send(ToWorker::Load {
            files,
            options: IngestOptions::default(),
        })
    });
    let on_train = Callback::new(move |options: FitOptions| {
        set_training.set(TrainView {
            running: true,
            ..TrainView::default()
        });
        // A new model: the agent learnt from the old one's view of the flows (the worker drops it).
        set_agent.set(AgentView::default());
        set_explanation.set(ExplainView::Nothing);
        if let Err(error) = post(ToWorker::Train { options }) {
            set_training.set(TrainView {
                error: Some(error),
                ..TrainView::default()
            });
        }
    });
    let on_stop = Callback::new(move |()| {
        if let Err(error) = post(ToWorker::Stop) {
            set_training.update(|training| training.error = Some(error));
        }
    });
    let on_pause = Callback::new(move |paused: bool| {
        set_training.update(|training| training.paused = paused);
        if let Err(error) = post(ToWorker::Pause(paused)) {
            set_training.update(|training| training.error = Some(error));
        }
    });
    let on_pause_agent = Callback::new(move |paused: bool| {
        set_agent.update(|agent| agent.paused = paused);
        if let Err(error) = post(ToWorker::Pause(paused)) {
            set_agent.update(|agent| agent.error = Some(error));
        }
    });
    let on_train_agent = Callback::new(move |request: AgentRequest| {
        set_agent.set(AgentView {
            running: true,
            planned: request.episodes,
            ..AgentView::default()
        });
        if let Err(error) = post(ToWorker::TrainAgent(request)) {
            set_agent.set(AgentView {
                error: Some(error),
                ..AgentView::default()
            });
        }
    });
    let on_stop_agent = Callback::new(move |()| {
        if let Err(error) = post(ToWorker::Stop) {
            set_agent.update(|agent| agent.error = Some(error));
        }
    });
    let on_explain = Callback::new(move |row: u32| {
        set_explanation.set(ExplainView::Waiting(row));
        if let Err(error) = post(ToWorker::Explain { row }) {
            set_explanation.set(ExplainView::Failed(error));
        }
    });
    let replay = Memo::new(move |_| agent.with(|agent| agent.results.clone()));
    let available = Memo::new(move |_| Available {
        model: training.with(|training| training.results.is_some()),
        agent: agent.with(|agent| agent.results.is_some()),
    });
    let on_export = Callback::new(move |export: Export| {
        set_transfer.set(Some(Ok("Preparing the file…".to_owned())));
        if let Err(error) = post(ToWorker::Export(export)) {
            set_transfer.set(Some(Err(error)));
        }
    });
    let on_metrics = Callback::new(move |()| {
        let metrics = metrics_json(&training.get_untracked(), &agent.get_untracked());
        let offered = metrics.and_then(|text| {
            download::offer_text("netsentry-metrics.json", &text, "application/json")
        });
        set_transfer.set(Some(
            offered.map(|()| "Saved netsentry-metrics.json.".to_owned()),
        ));
    });
    let on_import = Callback::new(move |file: wasm_bindgen::JsValue| {
        set_transfer.set(Some(Ok("Reading the file…".to_owned())));
        if let Err(error) = post(ToWorker::Import { file }) {
            set_transfer.set(Some(Err(error)));
        }
    });
    let on_backend = Callback::new(move |preference: BackendPreference| {
        set_backend.set(None);
        set_check.set(Check::Running);
        if let Err(error) = post(ToWorker::CheckBackend {
            preference,
            steps: CHECK_STEPS,
        }) {
            set_check.set(Check::Failed(error));
        }
    });
    let on_sample = Callback::new(move |()| match sample_url() {
        Ok(url) => send(ToWorker::LoadSample { url }),
        Err(error) => set_load.update(|load| load.error = Some(error)),
    });

    // "Run the demo": load the sample, then train the autoencoder, then the agent, each step
    // started when the one before has reported; any failure ends the run where it is.
    let demo = RwSignal::new(Demo::Idle);
    let on_demo = Callback::new(move |()| {
        demo.set(Demo::Loading);
        on_sample.run(());
    });
    Effect::new(move |_| {
        let next = match demo.get() {
            Demo::Loading => load.with(|load| match (&load.report, &load.error, load.loading) {
                (_, Some(_), false) => Some(Demo::Idle),
                (Some(_), None, false) => Some(Demo::Training),
                _ => None,
            }),
            Demo::Training => {
                training.with(|training| match (&training.results, &training.error) {
                    (_, Some(_)) => Some(Demo::Idle),
                    (Some(_), None) if !training.running => Some(Demo::Agent),
                    _ => None,
                })
            }
            Demo::Agent | Demo::Idle => None,
        };
        match next {
            Some(Demo::Training) => {
                demo.set(Demo::Training);
                on_train.run(FitOptions::default());
            }
            Some(Demo::Agent) => {
                demo.set(Demo::Agent);
                on_train_agent.run(AgentRequest::default());
            }
            Some(stage) => demo.set(stage),
            None => {}
        }
    });

    view! {
        <header class="masthead">
            <h1>"NetSentry"</h1>
            <p class="tagline">
                "Anomaly detection for network flows, trained in this page. Nothing leaves your machine."
            </p>
            <span class="badge" data-testid="backend" title="Where the models train">
                {move || backend.get().map_or_else(|| "Detecting compute backend…".to_owned(), |info| info.label())}
            </span>
        </header>
        <main>
            <DataPanel view=load on_files=on_files on_sample=on_sample on_demo=on_demo />
            <ModelPanel
                view=training
                on_train=on_train
                on_stop=on_stop
                on_pause=on_pause
                busy=Signal::derive(move || agent.with(|agent| agent.running))
            />
            <AgentPanel
                view=agent
                on_train=on_train_agent
                on_stop=on_stop_agent
                on_pause=on_pause_agent
                busy=Signal::derive(move || training.with(|training| training.running))
            />
            <Replay results=replay explanation=explanation on_explain=on_explain />
            <TransferPanel
                available=available
                status=transfer
                on_export=on_export
                on_metrics=on_metrics
                on_import=on_import
            />
            <section class="panel" aria-labelledby="check-title">
                <h2 id="check-title">"Backend"</h2>
                <p class="explain">
                    "Where the models train. Before training anything, the worker runs a few Adam steps of a tiny network there and reads the loss back. A software GPU (such as SwiftShader) is slower than the CPU, so the automatic choice skips it."
                </p>
                <label>
                    "Train on "
                    <select
                        data-testid="backend-choice"
                        prop:disabled=move || check.get() == Check::Running
                        on:change=move |event| {
                            let preference = match event_target_value(&event).as_str() {
                                "cpu" => BackendPreference::Cpu,
                                "gpu" => BackendPreference::Gpu,
                                _ => BackendPreference::Auto,
                            };
                            on_backend.run(preference);
                        }
                    >
                        <option value="auto" selected=true>
                            "Automatic (a hardware GPU, else the CPU)"
                        </option>
                        <option value="gpu">"WebGPU, even a software adapter"</option>
                        <option value="cpu">"CPU"</option>
                    </select>
                </label>
                <p data-testid="backend-check" role="status">{move || describe(&check.get())}</p>
            </section>
        </main>
        <footer class="attribution">
            <p>
                "Flows: CIC-IDS 2017, Canadian Institute for Cybersecurity, University of New Brunswick (Sharafaldin, Habibi Lashkari, Ghorbani, ICISSP 2018); the improved re-extraction by Engelen, Rimmer and Joosen (IEEE SPW 2021)."
            </p>
        </footer>
    }
}

/// The figures the page shows, as JSON: the model's evaluation and, once trained, the agent's
/// comparison and per-episode history.
fn metrics_json(training: &TrainView, agent: &AgentView) -> Result<String, String> {
    let results = training
        .results
        .as_ref()
        .ok_or("train or import a model first")?;
    let agent = agent.results.as_ref().map(|results| {
        serde_json::json!({
            "algorithm": results.algorithm.name(),
            "episodes": results.episodes,
            "comparison": results.comparison,
            "cost_ratio": results.comparison.cost_ratio(),
            "history": agent.episodes,
        })
    });
    let metrics = serde_json::json!({ "model": results.evaluation, "agent": agent });
    serde_json::to_string_pretty(&metrics).map_err(|error| error.to_string())
}

/// The bundled sample's absolute URL: the worker runs from a Blob URL, so relative URLs would
/// not reach the page's assets.
fn sample_url() -> Result<String, String> {
    let base = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.base_uri().ok().flatten())
        .ok_or("the page has no base URL")?;
    web_sys::Url::new_with_base("cicids2017-sample.csv", &base)
        .map(|url| url.href())
        .map_err(|error| format!("{error:?}"))
}

fn describe(check: &Check) -> String {
    match check {
        Check::Running => "Running…".to_owned(),
        Check::Passed(report) => format!(
            "{} Adam steps in {:.0} ms: loss {:.3} → {:.3}{}",
            report.losses.len().saturating_sub(1),
            report.millis,
            report.losses.first().copied().unwrap_or(f32::NAN),
            report.losses.last().copied().unwrap_or(f32::NAN),
            if report.loss_fell() {
                ""
            } else {
                " (the loss did not fall)"
            },
        ),
        Check::Failed(error) => format!("Failed: {error}"),
    }
}
