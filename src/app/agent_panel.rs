//! The agent panel: choose an algorithm and the cost of each mistake, train the agent in the
//! worker on the autoencoder's view of one half of the flows, watch its reward and error rates per
//! episode, then read, plainly, whether it beat the best fixed threshold on the other half.

use leptos::prelude::*;

use super::agent_job::AgentRequest;
use super::charts::{Scale, Series, line_chart, range_of};
use super::controls::{NumberField, RunButton};
use super::protocol::AgentResults;
use crate::rl::agent::Algorithm;
use crate::rl::compare::{Comparison, Decisions};
use crate::rl::env::RewardMatrix;
use crate::rl::history::EpisodeReport;

/// Where agent training stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AgentView {
    /// Whether an agent is training.
    pub running: bool,
    /// Whether its training is paused.
    pub paused: bool,
    /// Episodes asked for.
    pub planned: usize,
    /// Each finished episode's figures.
    pub episodes: Vec<EpisodeReport>,
    /// The comparison once training ended.
    pub results: Option<AgentResults>,
    /// The message if training failed.
    pub error: Option<String>,
}

/// The panel. `on_train` starts training as asked; `on_stop` asks the worker to stop (the agent
/// so far is kept and compared); `on_pause` pauses or resumes it.
#[component]
pub fn AgentPanel(
    view: ReadSignal<AgentView>,
    on_train: Callback<AgentRequest>,
    on_stop: Callback<()>,
    on_pause: Callback<bool>,
    /// Whether another job (the model's training) runs in the worker.
    busy: Signal<bool>,
) -> impl IntoView {
    let request = RwSignal::new(AgentRequest::default());
    let running = Memo::new(move |_| view.with(|view| view.running));
    let paused = Memo::new(move |_| view.with(|view| view.paused));
    let episodes = Memo::new(move |_| view.with(|view| view.episodes.clone()));
    let results = Memo::new(move |_| view.with(|view| view.results.clone()));
    view! {
        <section class="panel" aria-labelledby="agent-title">
            <h2 id="agent-title">"Agent"</h2>
            <p class="explain">
                "A reinforcement-learning agent sees each flow as the autoencoder does (its score, code and per-feature errors) and chooses allow or flag. Its reward: a bonus for each correct decision, a penalty for each false alarm and a larger one for each missed attack."
            </p>
            <AgentSettings request=request disabled=running />
            <RunButton
                running=running
                paused=paused
                testid="train-agent"
                pause_testid="pause-agent"
                on_start=Callback::new(move |()| on_train.run(request.get_untracked()))
                on_stop=on_stop
                on_pause=on_pause
                busy=busy
            />
            <p role="status" data-testid="agent-status">{move || view.with(status)}</p>
            {move || {
                view.with(|view| view.error.clone())
                    .map(|error| view! { <p class="error" role="alert">{error}</p> })
            }}
            {move || {
                let episodes = episodes.get();
                (!episodes.is_empty()).then(|| curves(&episodes))
            }}
            {move || results.get().map(|results| comparison_card(&results))}
        </section>
    }
}

/// Algorithm, episodes and the reward matrix.
#[component]
fn AgentSettings(request: RwSignal<AgentRequest>, disabled: Memo<bool>) -> impl IntoView {
    let reward_field = |label: &'static str,
                        testid: &'static str,
                        get: fn(&RewardMatrix) -> f32,
                        set: fn(&mut RewardMatrix, f32)| {
        view! {
            <NumberField
                label=label
                testid=testid
                value=Signal::derive(move || f64::from(get(&request.get().rewards)))
                min=0.0
                max=1000.0
                step=0.5
                on_value=Callback::new(move |value: f64| {
                    request.update(|request| set(&mut request.rewards, value as f32))
                })
            />
        }
    };
    view! {
        <fieldset class="settings" prop:disabled=move || disabled.get()>
            <legend>"Agent and costs"</legend>
            <label>
                "Algorithm "
                <select
                    data-testid="agent-algorithm"
                    on:change=move |event| {
                        let algorithm = match event_target_value(&event).as_str() {
                            "ppo" => Algorithm::Ppo,
                            "a2c" => Algorithm::A2c,
                            _ => Algorithm::Dqn,
                        };
                        request.update(|request| request.algorithm = algorithm);
                    }
                >
                    <option value="dqn" selected=true>"DQN (Double DQN)"</option>
                    <option value="ppo">"PPO"</option>
                    <option value="a2c">"A2C"</option>
                </select>
            </label>
            <NumberField
                label="Episodes"
                value=Signal::derive(move || request.get().episodes as f64)
                min=1.0
                max=5000.0
                on_value=Callback::new(move |episodes: f64| {
                    request.update(|request| request.episodes = episodes as usize)
                })
            />
            {reward_field("Reward, correct", "reward-correct", |r| r.correct, |r, v| r.correct = v)}
            {reward_field("Cost, false alarm", "cost-fp", |r| r.false_positive, |r, v| r.false_positive = v)}
            {reward_field("Cost, missed attack", "cost-fn", |r| r.false_negative, |r, v| r.false_negative = v)}
        </fieldset>
    }
}

fn status(view: &AgentView) -> String {
    let last = view.episodes.last();
    let figures = last.map_or_else(String::new, |last| {
        let exploration = match (last.epsilon, last.entropy) {
            (Some(epsilon), _) => format!(", ε {epsilon:.3}"),
            (_, Some(entropy)) => format!(", entropy {entropy:.3}"),
            _ => String::new(),
        };
        format!(
            ", reward {:.1}, false-positive rate {:.3}, recall {:.3}, loss {:.4}{exploration}",
            last.reward, last.fpr, last.recall, last.loss
        )
    });
    match (&view.results, view.running) {
        (Some(results), _) if results.episodes < view.planned => format!(
            "done (stopped after {} of {} episodes){figures}",
            results.episodes, view.planned
        ),
        (Some(results), _) => format!("done: {} episodes{figures}", results.episodes),
        (None, true) if last.is_none() => {
            "preparing: scoring the flows the agent will see…".to_owned()
        }
        (None, true) if view.paused => format!(
            "paused: episode {} of {}{figures}",
            view.episodes.len(),
            view.planned
        ),
        (None, true) => format!(
            "training: episode {} of {}{figures}",
            view.episodes.len(),
            view.planned
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
                vec![Series { class: "train", points: reward }],
                x,
                (y, Scale::Linear),
            )}
            {line_chart(
                "False-positive rate and recall per episode".to_owned(),
                "Per episode: recall (solid), false-positive rate (dashed)".to_owned(),
                vec![
                    Series { class: "train", points: points(|episode| episode.recall) },
                    Series { class: "validation", points: points(|episode| episode.fpr) },
                ],
                x,
                ((0.0, 1.0), Scale::Linear),
            )}
        </div>
    }
}

/// The agent against both thresholds on the same held-out flows, whoever wins.
fn comparison_card(results: &AgentResults) -> impl IntoView + use<> {
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
                <td>
                    {format!(
                        "{}/{}/{}/{}",
                        confusion.true_positives,
                        confusion.false_positives,
                        confusion.true_negatives,
                        confusion.false_negatives,
                    )}
                </td>
            </tr>
        }
    };
    view! {
        <div class="comparison" data-testid="comparison">
            <p><strong>{verdict(comparison, results.algorithm)}</strong></p>
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
                <thead>
                    <tr>
                        <th scope="col">"Detector"</th>
                        <th scope="col">"Cost"</th>
                        <th scope="col">"FPR"</th>
                        <th scope="col">"Recall"</th>
                        <th scope="col">"Precision"</th>
                        <th scope="col">"TP/FP/TN/FN"</th>
                    </tr>
                </thead>
                <tbody>
                    {row(format!("Agent ({})", results.algorithm.name()), &comparison.agent)}
                    {row("Best fixed threshold (chosen on the agent's training flows)".to_owned(), &comparison.best_threshold)}
                    {row(format!("The model's threshold ({})", results.threshold_rule), &comparison.benign_p99)}
                </tbody>
            </table>
        </div>
    }
}

/// One sentence saying who won and by how much.
fn verdict(comparison: &Comparison, algorithm: Algorithm) -> String {
    let (agent, best) = (comparison.agent.cost, comparison.best_threshold.cost);
    let name = algorithm.name();
    if agent < best {
        format!(
            "The {name} agent cost {agent:.1} against {best:.1} for the best fixed threshold: {:.0} % less.",
            (1.0 - agent / best) * 100.0
        )
    } else if agent > best {
        format!(
            "The {name} agent cost {agent:.1} against {best:.1} for the best fixed threshold: {:.0} % more. Here a plain threshold on the anomaly score is the better detector.",
            (agent / best.max(f64::MIN_POSITIVE) - 1.0) * 100.0
        )
    } else {
        format!("The {name} agent and the best fixed threshold cost the same: {agent:.1}.")
    }
}
