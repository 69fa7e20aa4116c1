//! Live replay: the agent's decisions on held-out flows, streamed at a chosen speed with running
//! counters; clicking a flow asks the worker which features made its score.

use std::time::Duration;

use leptos::prelude::*;

use super::client::{Event, WorkerClient};
use super::controls::{Announce, Panel};
use super::explanation::Explainer;
use super::follow_file::FollowFile;
use crate::app::protocol::{FromWorker, ToWorker};
use crate::rl::run::{Assessment, ReplayFlow};

/// Time between replay ticks.
const TICK: Duration = Duration::from_millis(100);
/// Flows shown at once, newest first.
const VISIBLE: usize = 12;

/// How fast flows stream.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Speed {
    Paused,
    One,
    Ten,
    Max,
}

impl Speed {
    /// Flows per tick: 1× shows five flows a second, slow enough to read.
    fn per_tick(self) -> f64 {
        match self {
            Self::Paused => 0.0,
            Self::One => 0.5,
            Self::Ten => 5.0,
            Self::Max => 200.0,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Paused => "Pause",
            Self::One => "1×",
            Self::Ten => "10×",
            Self::Max => "Max",
        }
    }
}

/// Running totals over the flows replayed so far.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Counters {
    seen: usize,
    correct: usize,
    false_alarms: usize,
    missed: usize,
}

impl Counters {
    fn of(flows: &[ReplayFlow]) -> Self {
        flows.iter().fold(Self::default(), |mut counters, flow| {
            counters.seen += 1;
            match (flow.flagged, flow.attack) {
                (true, false) => counters.false_alarms += 1,
                (false, true) => counters.missed += 1,
                _ => counters.correct += 1,
            }
            counters
        })
    }
}

/// The agent's assessment to replay (none while an agent trains or after a new autoencoder), and
/// the explanation shown (cleared by a new autoencoder), as the worker's messages tell them.
fn follow(results: RwSignal<Option<Assessment>>, explainer: Explainer, event: Event) {
    match event {
        Event::Sent(ToWorker::Train { .. }) => {
            results.set(None);
            explainer.clear();
        }
        Event::Sent(ToWorker::TrainAgent(_)) => results.set(None),
        Event::Reply(FromWorker::AgentCompared(assessment)) => {
            results.set(Some(assessment.clone()))
        }
        _ => {}
    }
}

/// The replay panel, shown once an agent is compared; clicking a flow asks the worker for its
/// explanation.
#[component]
pub fn Replay() -> impl IntoView {
    let client = WorkerClient::expect();
    let results = RwSignal::new(None::<Assessment>);
    let explainer = Explainer::new(client);
    client.listen(move |event| follow(results, explainer, event));
    let on_explain = Callback::new(move |row| explainer.ask(row));
    let speed = RwSignal::new(Speed::One);
    let position = RwSignal::new(0usize);
    let fraction = StoredValue::new(0.0f64);
    // A new agent starts a new replay.
    Effect::new(move |_| {
        results.track();
        position.set(0);
        fraction.set_value(0.0);
    });
    let total = move || results.with(|results| results.as_ref().map_or(0, |r| r.replay.len()));
    if let Ok(handle) = set_interval_with_handle(
        move || {
            let step = speed.get_untracked().per_tick() + fraction.get_value();
            let whole = step.floor();
            fraction.set_value(step - whole);
            if whole >= 1.0 {
                let end = total();
                position.update(|position| *position = (*position + whole as usize).min(end));
            }
        },
        TICK,
    ) {
        on_cleanup(move || handle.clear());
    }
    let shown = move || {
        results.with(|results| {
            results.as_ref().map_or_else(Vec::new, |results| {
                let end = position.get().min(results.replay.len());
                results.replay[end.saturating_sub(VISIBLE)..end]
                    .iter()
                    .rev()
                    .cloned()
                    .map(|flow| (flow, results.comparison.model_threshold.value()))
                    .collect()
            })
        })
    };
    let counters = move || {
        results.with(|results| {
            results.as_ref().map(|results| {
                let end = position.get().min(results.replay.len());
                let counters = Counters::of(&results.replay[..end]);
                let costs = results.comparison.costs;
                let cost = costs.false_positive * counters.false_alarms as f64
                    + costs.false_negative * counters.missed as f64;
                format!(
                    "{} of {} flows: {} right, {} false alarms, {} missed attacks, cost {cost:.1}",
                    counters.seen,
                    results.replay.len(),
                    counters.correct,
                    counters.false_alarms,
                    counters.missed,
                )
            })
        })
    };
    let speed_button = move |choice: Speed| {
        view! {
            <button
                type="button"
                class="speed"
                aria-pressed=move || (speed.get() == choice).to_string()
                on:click=move |_| speed.set(choice)
            >
                {choice.label()}
            </button>
        }
    };
    view! {
        <Panel id="replay" title="Live replay" explain="Held-out flows the agent never trained on, one after another: the bar is the anomaly score (its middle is the autoencoder's threshold), then the agent's decision and whether it was right. Click a flow to see which features made its score.">
            {move || {
                if results.with(Option::is_none) {
                    view! { <p>"Train an agent to replay its decisions."</p> }.into_any()
                } else {
                    view! {
                        <div class="speeds" role="group" aria-label="Replay speed">
                            {speed_button(Speed::Paused)}
                            {speed_button(Speed::One)}
                            {speed_button(Speed::Ten)}
                            {speed_button(Speed::Max)}
                        </div>
                        <p data-testid="replay-counters">{counters}</p>
                        <Announce
                            text=Signal::derive(move || counters().unwrap_or_default())
                            settled=Signal::derive(move || {
                                speed.get() == Speed::Paused || position.get() >= total()
                            })
                        />
                        <ol class="decisions">
                            {move || {
                                shown()
                                    .into_iter()
                                    .map(|(flow, threshold)| decision_row(flow, threshold, on_explain))
                                    .collect_view()
                            }}
                        </ol>
                    }
                        .into_any()
                }
            }}
            {explainer.view()}
            <FollowFile />
        </Panel>
    }
}

/// Bar width for a score: the log of score over threshold, from 1/100 (empty) to 100× (full),
/// with the threshold in the middle.
pub fn bar_percent(score: f32, threshold: f32) -> f64 {
    let relative = (f64::from(score).max(1e-12) / f64::from(threshold).max(1e-12)).log10();
    (50.0 + relative * 25.0).clamp(1.0, 100.0)
}

fn decision_row(flow: ReplayFlow, threshold: f32, on_explain: Callback<u32>) -> impl IntoView {
    let right = flow.flagged == flow.attack;
    let row = flow.row;
    view! {
        <li>
            <button
                type="button"
                class="decision"
                class:wrong=!right
                data-testid="decision"
                on:click=move |_| on_explain.run(row)
            >
                <span class="flow-label">{flow.label}</span>
                <span class="score" title=format!("score {:.4}", flow.score)>
                    <span class="score-bar" style=format!("width: {:.1}%", bar_percent(flow.score, threshold))></span>
                </span>
                <span class="verdict">{if flow.flagged { "flag" } else { "allow" }}</span>
                <span class="outcome">{if right { "✓ right" } else { "✗ wrong" }}</span>
            </button>
        </li>
    }
}
