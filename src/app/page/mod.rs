//! The page side: a leptos app on the main thread that only draws and asks. Each panel keeps its
//! own view of the work and reaches the worker through the [`client::WorkerClient`] in context;
//! [`App`] is the layout.

pub mod agent_panel;
pub mod backend_panel;
pub mod chart_frame;
pub mod charts;
pub mod client;
pub mod controls;
pub mod data_panel;
pub mod detectors;
pub mod download;
pub mod explanation;
pub mod follow_file;
pub mod glossary;
pub mod job;
pub mod learning_curve;
pub mod lesson;
pub mod model_panel;
pub mod replay;
pub mod samples;
pub mod share;
pub mod theme;
pub mod transfer_panel;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use agent_panel::AgentPanel;
use backend_panel::{BackendBadge, BackendPanel};
use client::WorkerClient;
use data_panel::DataPanel;
use lesson::{Lesson, LessonCard};
use model_panel::ModelPanel;
use replay::Replay;
use share::{CopyLink, SetUp};
use theme::{PresentSwitch, ThemeSwitch};
use transfer_panel::TransferPanel;

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

/// The page: masthead, the panels in the order of the work, and the data's attribution.
#[component]
fn App() -> impl IntoView {
    let client = WorkerClient::provide();
    let set_up = SetUp::provide();
    Lesson::provide(client, set_up);
    let problems = move || {
        let problems = set_up.problems.get();
        (!problems.is_empty()).then(|| {
            view! { <p class="hint" role="alert" data-testid="link-problems">{problems.join(" ")}</p> }
        })
    };
    view! {
        <header class="masthead">
            <h1>"NetSentry"</h1>
            <p class="tagline">
                "Anomaly detection for network flows, trained in this page. Nothing leaves your machine."
            </p>
            <BackendBadge />
            <ThemeSwitch />
            <PresentSwitch />
            <CopyLink />
        </header>
        {problems}
        <LessonCard />
        <main>
            <DataPanel />
            <ModelPanel />
            <AgentPanel />
            <Replay />
            <TransferPanel />
            <BackendPanel />
        </main>
        <footer class="attribution">
            <p>
                "Flows: CIC-IDS 2017, Canadian Institute for Cybersecurity, University of New Brunswick (Sharafaldin, Habibi Lashkari, Ghorbani, ICISSP 2018); the improved re-extraction by Engelen, Rimmer and Joosen (IEEE SPW 2021). CSE-CIC-IDS2018, Communications Security Establishment and the Canadian Institute for Cybersecurity; its improved re-extraction by Liu, Engelen et al. (IEEE CNS 2022). CIC-DDoS2019, Canadian Institute for Cybersecurity (Sharafaldin, Lashkari, Hakak, Ghorbani, ICCST 2019)."
            </p>
        </footer>
    }
}
