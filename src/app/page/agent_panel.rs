//! The agent panel: choose an algorithm and the cost of each mistake, train the agent in the
//! worker on the autoencoder's view of one half of the flows, watch its reward and error rates per
//! episode, then read, plainly, whether it beat the best fixed threshold on the other half.

use leptos::prelude::*;

use super::charts::{Axis, Scale, Series, line_chart, range_of};
use super::client::{Event, WorkerClient};
use super::controls::{
    Announce, Choice, Panel, ProgressBar, RunButton, choices, error_line, field_of, table_head,
};
use super::job::{Job, JobView};
use super::learning_curve::curve_running;
use super::share::SetUp;
use crate::app::protocol::{FromWorker, ToWorker};
use crate::rl::compare::Decisions;
use crate::rl::history::EpisodeReport;
use crate::rl::plan::{AgentPlan, Algorithm};
use crate::rl::run::Assessment;

/// How far an agent's training has come.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AgentProgress {
    /// Episodes asked for.
    pub planned: usize,
    /// Each finished episode's figures.
    pub episodes: Vec<EpisodeReport>,
}

/// Where agent training stands: the episodes so far, then the assessment.
pub type AgentView = JobView<AgentProgress, Assessment>;

/// Follows the agent's training through the worker; a new autoencoder drops the agent, which
/// learnt from the old one's view of the flows.
fn follow(view: &mut AgentView, event: Event) {
    match event {
        Event::Sent(ToWorker::TrainAgent(plan)) => {
            *view = AgentView::started(AgentProgress {
                planned: plan.episodes,
                episodes: Vec::new(),
            })
        }
        Event::Sent(ToWorker::Train { .. }) => *view = AgentView::default(),
        Event::Reply(FromWorker::AgentTraining(episodes)) => {
            view.progress.episodes.extend(episodes.iter().cloned())
        }
        Event::Reply(FromWorker::AgentCompared(results)) => view.end(Ok(results)),
        Event::Reply(FromWorker::AgentFailed(error)) => view.end(Err(&error.to_string())),
        _ => {}
    }
}

/// The panel: Train sends the plan to the worker; Stop asks it to stop (the agent so far is kept
/// and compared); Pause pauses or resumes it. Train waits while the autoencoder trains.
#[component]
pub fn AgentPanel() -> impl IntoView {
    let client = WorkerClient::expect();
    let Job {
        view,
        running,
        paused,
    } = Job::watch(client, follow);
    let busy = client.running(
        |request| matches!(request, ToWorker::Train { .. }),
        |reply| matches!(reply, FromWorker::Evaluated(_) | FromWorker::TrainFailed(_)),
    );
    let curve = curve_running(client);
    let request = SetUp::expect().plan;
    let episodes = Memo::new(move |_| view.with(|view| view.progress.episodes.clone()));
    let results = Memo::new(move |_| view.with(|view| view.results.clone()));
    view! {
        <Panel id="agent" title="Agent" explain="A reinforcement-learning agent sees each flow as the detector does (its score, and the autoencoder's code and per-feature errors) and chooses allow or flag. Its reward: a bonus for each correct decision, a penalty for each false alarm and a larger one for each missed attack.">
            <AgentSettings request=request disabled=running />
            <RunButton
                running=running
                paused=paused
                testid="train-agent"
                pause_testid="pause-agent"
                on_start=Callback::new(move |()| {
                    client.send(ToWorker::TrainAgent(request.get_untracked()))
                })
                on_stop=Callback::new(move |()| client.send(ToWorker::Stop))
                on_pause=Callback::new(move |paused| client.send(ToWorker::Pause(paused)))
                busy=Signal::derive(move || busy.get() || curve.get())
            />
            <ProgressBar
                label="Training the agent"
                testid="agent-progress"
                done=Signal::derive(move || {
                    view.with(|view| {
                        view.running.then(|| {
                            view.progress.episodes.len() as f64 / view.progress.planned.max(1) as f64
                        })
                    })
                })
                started=Signal::derive(move || view.with(|view| view.started_ms))
            />
            <p data-testid="agent-status">{move || view.with(status)}</p>
            <Announce
                text=Signal::derive(move || view.with(status))
                settled=Signal::derive(move || !running.get() || paused.get())
            />
            {move || error_line(view.with(|view| view.error.clone()))}
            {move || {
                let episodes = episodes.get();
                (!episodes.is_empty()).then(|| curves(&episodes))
            }}
            {move || results.get().map(|results| comparison_card(&results))}
        </Panel>
    }
}

/// The algorithms to choose from, from the core's one list ([`Algorithm::ALL`]).
static ALGORITHMS: [(&str, &str); Algorithm::ALL.len()] = choices!(Algorithm::ALL, id, title);

/// The range of a reward or cost field: 0 to 1,000 in halves.
const COSTS: (f64, f64, f64) = (0.0, 1000.0, 0.5);

/// Algorithm, episodes and the reward matrix.
#[component]
fn AgentSettings(request: RwSignal<AgentPlan>, disabled: Memo<bool>) -> impl IntoView {
    view! {
        <fieldset class="settings" prop:disabled=move || disabled.get()>
            <legend>"Agent and costs"</legend>
            <Choice
                label="Algorithm"
                testid="agent-algorithm"
                options=&ALGORITHMS
                value=Signal::derive(move || request.with(|request| request.algorithm.id().to_owned()))
                on_choice=Callback::new(move |algorithm: String| {
                    let algorithm = Algorithm::from_id(&algorithm).unwrap_or(Algorithm::Dqn);
                    request.update(|request| request.algorithm = algorithm);
                })
            />
            {field_of(request, ("Episodes", ""), (1.0, 5000.0, 1.0), |p| p.episodes as f64, |p, v| p.episodes = v as usize)}
            {field_of(request, ("Reward, correct", "reward-correct"), COSTS, |p| f64::from(p.rewards.correct), |p, v| p.rewards.correct = v as f32)}
            {field_of(request, ("Cost, false alarm", "cost-fp"), COSTS, |p| f64::from(p.rewards.false_positive), |p, v| p.rewards.false_positive = v as f32)}
            {field_of(request, ("Cost, missed attack", "cost-fn"), COSTS, |p| f64::from(p.rewards.false_negative), |p, v| p.rewards.false_negative = v as f32)}
        </fieldset>
    }
}

fn status(view: &AgentView) -> String {
    let last = view.progress.episodes.last();
    let figures = last.map_or_else(String::new, |last| format!(", {}", last.summary()));
    match (&view.results, view.running) {
        (Some(results), _) if results.episodes < view.progress.planned => format!(
            "done (stopped after {} of {} episodes){figures}",
            results.episodes, view.progress.planned
        ),
        (Some(results), _) => format!("done: {} episodes{figures}", results.episodes),
        (None, true) if last.is_none() => {
            "preparing: scoring the flows the agent will see…".to_owned()
        }
        (None, true) if view.paused => format!(
            "paused: episode {} of {}{figures}",
            view.progress.episodes.len(),
            view.progress.planned
        ),
        (None, true) => format!(
            "training: episode {} of {}{figures}",
            view.progress.episodes.len(),
            view.progress.planned
        ),
        (None, false) => String::new(),
    }
}

/// Reward per episode, and false-positive rate and recall per episode.
fn curves(episodes: &[EpisodeReport]) -> impl IntoView + use<> {
    let points = |pick: fn(&EpisodeReport) -> f64| -> Vec<(f64, f64)> {
        episodes
            .iter()
            .map(|episode| ((episode.episode + 1) as f64, pick(episode)))
            .collect()
    };
    let x = (1.0, episodes.len().max(2) as f64);
    let reward = points(|episode| episode.reward);
    let y = range_of(reward.iter().map(|point| point.1));
    view! {
        <div class="curves">
            {line_chart(
                "Reward per episode".to_owned(),
                "Total reward per episode".to_owned(),
                vec![Series { name: "reward", class: "train", points: reward }],
                Axis { range: x, name: "episode" },
                (Axis { range: y, name: "reward" }, Scale::Linear),
            )}
            {line_chart(
                "False-positive rate and recall per episode".to_owned(),
                "Per episode: recall (solid), false-positive rate (dashed)".to_owned(),
                vec![
                    Series { name: "recall", class: "train", points: points(|episode| episode.recall) },
                    Series { name: "false-positive rate", class: "validation", points: points(|episode| episode.fpr) },
                ],
                Axis { range: x, name: "episode" },
                (Axis { range: (0.0, 1.0), name: "rate" }, Scale::Linear),
            )}
        </div>
    }
}

/// The agent against both thresholds on the same held-out flows, whoever wins.
fn comparison_card(results: &Assessment) -> impl IntoView + use<> {
    let comparison = &results.comparison;
    let row = |name: String, decisions: &Decisions| {
        let confusion = &decisions.confusion;
        view! {
            <tr>
                <th scope="row">{name}</th>
                <td>{format!("{:.1}", decisions.cost)}</td>
                <td>{format!("{:.4}", decisions.fpr)}</td>
                <td>{format!("{:.4}", decisions.recall)}</td>
                <td>{format!("{:.4}", decisions.precision)}</td>
                <td>{confusion.counts()}</td>
            </tr>
        }
    };
    view! {
        <div class="comparison" id="agent-comparison" data-testid="comparison">
            <p><strong>{comparison.verdict(results.algorithm)}</strong></p>
            <table>
                <caption>
                    {format!(
                        "{} held-out flows (the agent trained on {}); cost = {} × false alarms + {} × missed attacks",
                        comparison.test_flows,
                        comparison.train_flows,
                        comparison.costs.false_positive,
                        comparison.costs.false_negative,
                    )}
                </caption>
                {table_head(&["Detector", "Cost", "FPR", "Recall", "Precision", "TP/FP/TN/FN"])}
                <tbody>
                    {row(format!("Agent ({})", results.algorithm.name()), &comparison.agent)}
                    {row("Best fixed threshold (chosen on the agent's training flows)".to_owned(), &comparison.best_threshold)}
                    {row(format!("The model's threshold ({})", comparison.model_threshold.rule), &comparison.model_threshold.decisions)}
                    {row("Supervised: logistic regression on the agent's inputs".to_owned(), &comparison.supervised)}
                </tbody>
            </table>
        </div>
    }
}
