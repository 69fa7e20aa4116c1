//! Where the models train: the badge in the masthead, and the panel that checks the backend with
//! a few Adam steps at start-up and lets the user choose another.

use leptos::prelude::*;

use super::client::{Event, WorkerClient};
use super::controls::{Choice, Panel};
use crate::app::protocol::{FromWorker, ToWorker};
use crate::device::backend::{BackendInfo, BackendPreference};
use crate::device::probe::{self, ProbeReport};

/// Where the backend check stands.
#[derive(Clone, Debug, PartialEq)]
enum Check {
    Running,
    Passed(ProbeReport),
    Failed(String),
}

/// The masthead's badge: the backend in use and why, as the worker reports it.
#[component]
pub fn BackendBadge() -> impl IntoView {
    let client = WorkerClient::expect();
    let backend = RwSignal::new(None::<BackendInfo>);
    client.listen(move |event| match event {
        Event::Sent(ToWorker::CheckBackend { .. }) => backend.set(None),
        Event::Reply(FromWorker::Backend(info)) => backend.set(Some(info.clone())),
        _ => {}
    });
    view! {
        <span class="badge" data-testid="backend" title="Where the models train">
            {move || backend.get().map_or_else(|| "Detecting compute backend…".to_owned(), |info| info.label())}
        </span>
    }
}

/// The backend panel; it asks for the automatic choice as the page opens.
#[component]
pub fn BackendPanel() -> impl IntoView {
    let client = WorkerClient::expect();
    let check = RwSignal::new(Check::Running);
    client.listen(move |event| match event {
        Event::Sent(ToWorker::CheckBackend { .. }) => check.set(Check::Running),
        Event::Reply(FromWorker::Checked(report)) => check.set(Check::Passed(report.clone())),
        Event::Reply(FromWorker::Failed(error)) => check.set(Check::Failed(error.to_string())),
        _ => {}
    });
    let choose = move |preference| {
        client.send(ToWorker::CheckBackend {
            preference,
            steps: probe::DEFAULT_STEPS,
        })
    };
    choose(BackendPreference::Auto);
    let chosen = RwSignal::new("auto".to_owned());
    view! {
        <Panel id="check" title="Backend" explain="Where the models train. Before training anything, the worker runs a few Adam steps of a tiny network there and reads the loss back. The automatic choice races a hardware GPU against the CPU on a few training steps of the autoencoder and takes the faster (the badge shows both speeds); a software GPU (such as SwiftShader) is far slower than the CPU, so it skips that one.">
            <Choice
                label="Train on"
                testid="backend-choice"
                options=&[
                    ("auto", "Automatic (GPU if it races faster)"),
                    ("gpu", "WebGPU, even a software adapter"),
                    ("cpu", "CPU"),
                ]
                value=chosen
                disabled=Signal::derive(move || check.get() == Check::Running)
                on_choice=Callback::new(move |choice: String| {
                    chosen.set(choice.clone());
                    choose(match choice.as_str() {
                        "cpu" => BackendPreference::Cpu,
                        "gpu" => BackendPreference::Gpu,
                        _ => BackendPreference::Auto,
                    })
                })
            />
            <p data-testid="backend-check" role="status">{move || describe(&check.get())}</p>
        </Panel>
    }
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
