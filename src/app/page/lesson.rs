//! The lesson: "Start the lesson" walks a class through the method in seven steps, each a
//! sentence or two written with the figures of this run, the panel it talks about outlined and
//! brought into view. Steps that need work (loading the sample, training the detector, training
//! the agent) start it when the lesson reaches them and let the class go on once it is done.
//! Next and Back (buttons that keep the keyboard's focus from step to step); the step's text is a polite live region, so
//! a screen reader reads each step as it comes.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::client::{Event, WorkerClient};
use super::glossary::Glossary;
use super::samples;
use super::share::SetUp;
use crate::app::protocol::{FromWorker, ModelResults, ToWorker};
use crate::data::ingest::IngestOptions;
use crate::data::report::IngestReport;
use crate::rl::run::Assessment;

/// The work a step starts when the lesson reaches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Work {
    /// Nothing: the step reads what is on the page.
    None,
    /// Load the chosen sample.
    Load,
    /// Train the detector with the set-up's options.
    Train,
    /// Train the agent with the set-up's plan.
    TrainAgent,
}

/// One step: its title, the element it outlines (an id on the page) and the work it starts.
struct Step {
    title: &'static str,
    focus: &'static str,
    work: Work,
}

/// The steps, in order.
const STEPS: [Step; 7] = [
    Step {
        title: "What normal traffic is",
        focus: "data-panel",
        work: Work::Load,
    },
    Step {
        title: "Train the detector on benign flows only",
        focus: "model-panel",
        work: Work::Train,
    },
    Step {
        title: "Read the anomaly score",
        focus: "score-histogram",
        work: Work::None,
    },
    Step {
        title: "Move the threshold: the trade-off",
        focus: "threshold-explorer",
        work: Work::None,
    },
    Step {
        title: "The ROC curve: every threshold at once",
        focus: "ranking-curves",
        work: Work::None,
    },
    Step {
        title: "Costs, and an agent that learns from them",
        focus: "agent-panel",
        work: Work::TrainAgent,
    },
    Step {
        title: "Compare: agent, best threshold, supervised baseline",
        focus: "agent-comparison",
        work: Work::None,
    },
];

/// What the lesson has seen of this run, for its sentences.
#[derive(Clone, Debug, Default, PartialEq)]
struct Seen {
    loaded: Option<IngestReport>,
    trained: Option<ModelResults>,
    compared: Option<Assessment>,
    /// The last failure of the step's work, as the worker said it.
    failed: Option<String>,
}

/// Where the lesson stands: the step shown (none: the lesson is closed) and what it has seen.
#[derive(Clone, Copy)]
pub struct Lesson {
    step: RwSignal<Option<usize>>,
    seen: RwSignal<Seen>,
    client: WorkerClient,
    set_up: SetUp,
}

impl Lesson {
    /// Provides the lesson to the page and follows the worker's replies for its figures.
    pub fn provide(client: WorkerClient, set_up: SetUp) -> Self {
        let lesson = Self {
            step: RwSignal::new(None),
            seen: RwSignal::new(Seen::default()),
            client,
            set_up,
        };
        client.listen(move |event| {
            let Event::Reply(reply) = event else {
                return;
            };
            lesson.seen.update(|seen| match reply {
                FromWorker::Loaded(report) => {
                    *seen = Seen {
                        loaded: Some(report.clone()),
                        ..Seen::default()
                    }
                }
                FromWorker::Evaluated(results) => {
                    seen.trained = Some(results.clone());
                    seen.compared = None;
                    seen.failed = None;
                }
                FromWorker::AgentCompared(assessment) => {
                    seen.compared = Some(assessment.clone());
                    seen.failed = None;
                }
                FromWorker::LoadFailed(error)
                | FromWorker::TrainFailed(error)
                | FromWorker::AgentFailed(error) => seen.failed = Some(error.to_string()),
                _ => {}
            });
        });
        provide_context(lesson);
        lesson
    }

    /// The lesson the page provided.
    pub fn expect() -> Self {
        expect_context::<Self>()
    }

    /// Opens the lesson at its first step (and starts that step's work).
    pub fn start(self) {
        self.seen.set(Seen::default());
        self.go(0);
    }

    /// Shows step `index`, outlines its panel and starts its work unless it is done already.
    fn go(self, index: usize) {
        self.step.set(Some(index));
        let step = &STEPS[index];
        let (client, set_up) = (self.client, self.set_up);
        let seen = self.seen.get_untracked();
        match step.work {
            Work::Load if seen.loaded.is_none() => {
                match samples::url_of(set_up.sample.get_untracked()) {
                    Ok(url) => client.send(ToWorker::LoadSample {
                        url,
                        options: IngestOptions::default(),
                    }),
                    Err(error) => self.seen.update(|seen| seen.failed = Some(error)),
                }
            }
            Work::Train if seen.trained.is_none() => client.send(ToWorker::Train {
                options: set_up.fit.get_untracked(),
            }),
            Work::TrainAgent if seen.compared.is_none() => {
                client.send(ToWorker::TrainAgent(set_up.plan.get_untracked()))
            }
            _ => {}
        }
        outline(step.focus);
    }

    /// Whether step `index`'s work is done, so the class may go on.
    fn ready(seen: &Seen, index: usize) -> bool {
        match STEPS[index].work {
            Work::Load => seen.loaded.is_some(),
            Work::Train => seen.trained.is_some(),
            Work::TrainAgent => seen.compared.is_some(),
            Work::None => true,
        }
    }
}

/// Outlines the element with id `focus` (and only it) and scrolls it into view.
fn outline(focus: &str) {
    let Some(document) = web_sys::window().and_then(|window| window.document()) else {
        return;
    };
    if let Ok(outlined) = document.query_selector_all(".lesson-focus") {
        for index in 0..outlined.length() {
            if let Some(element) = outlined.item(index) {
                let _ = element
                    .unchecked_ref::<web_sys::Element>()
                    .class_list()
                    .remove_1("lesson-focus");
            }
        }
    }
    if let Some(element) = document.get_element_by_id(focus) {
        let _ = element.class_list().add_1("lesson-focus");
        let options = web_sys::ScrollIntoViewOptions::new();
        options.set_block(web_sys::ScrollLogicalPosition::Center);
        element.scroll_into_view_with_scroll_into_view_options(&options);
    }
}

/// The lesson card, above the panels while the lesson is open. The card stays while the steps
/// change, so the keyboard's focus stays on Next (or Back) from step to step.
#[component]
pub fn LessonCard() -> impl IntoView {
    let lesson = Lesson::expect();
    let set_up = lesson.set_up;
    let index = move || lesson.step.get().unwrap_or(0);
    let ready = Memo::new(move |_| lesson.seen.with(|seen| Lesson::ready(seen, index())));
    // Next stays focusable while its step's work runs (aria-disabled, not disabled), so the
    // keyboard's focus is not lost; it acts once the work is done.
    let can_go_on = move || index() + 1 < STEPS.len() && ready.get();
    let text = move || {
        let plan = set_up.plan.get();
        lesson.seen.with(|seen| sentences(index(), seen, &plan))
    };
    view! {
        <Show when=move || lesson.step.get().is_some()>
            <aside class="lesson" aria-labelledby="lesson-title" data-testid="lesson">
                <h2 id="lesson-title">
                    {move || {
                        let index = index();
                        format!("Lesson, step {} of {}: {}", index + 1, STEPS.len(), STEPS[index].title)
                    }}
                </h2>
                <div aria-live="polite" data-testid="lesson-text">
                    {move || text().into_iter().map(|line| view! { <p>{line}</p> }).collect_view()}
                </div>
                <div class="buttons">
                    <button
                        type="button"
                        data-testid="lesson-back"
                        aria-disabled=move || (index() == 0).to_string()
                        on:click=move |_| {
                            if index() > 0 {
                                lesson.go(index() - 1)
                            }
                        }
                    >
                        "Back"
                    </button>
                    <button
                        type="button"
                        class="action"
                        data-testid="lesson-next"
                        aria-disabled=move || (!can_go_on()).to_string()
                        on:click=move |_| {
                            if can_go_on() {
                                lesson.go(index() + 1)
                            }
                        }
                    >
                        "Next"
                    </button>
                    <button
                        type="button"
                        class="link"
                        data-testid="lesson-end"
                        on:click=move |_| {
                            lesson.step.set(None);
                            outline("");
                        }
                    >
                        "End the lesson"
                    </button>
                </div>
                <Glossary />
            </aside>
        </Show>
    }
}

/// Percent with one decimal.
fn percent(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

/// Step `index`'s sentences with this run's figures (`plan` is the agent's set-up), or what it
/// waits on.
fn sentences(index: usize, seen: &Seen, plan: &crate::rl::plan::AgentPlan) -> Vec<String> {
    let failed = seen
        .failed
        .as_ref()
        .filter(|_| !Lesson::ready(seen, index) && STEPS[index].work != Work::None)
        .map(|error| format!("This step's work failed: {error}. Fix it in the panel, then go Back and Next to try again."));
    if let Some(failed) = failed {
        return vec![failed];
    }
    match index {
        0 => vec![
            "A detector of anomalies learns what normal traffic looks like, then flags what does not fit. Each row is one flow: a conversation between two machines, summed up by CICFlowMeter as about 80 numbers.".to_owned(),
            match &seen.loaded {
                Some(report) => {
                    let benign = report.families.get("BENIGN").copied().unwrap_or(0);
                    let attacks: Vec<String> = report
                        .families
                        .iter()
                        .filter(|(family, _)| family.as_str() != "BENIGN")
                        .map(|(family, count)| format!("{family} {count}"))
                        .collect();
                    format!(
                        "This sample holds {} flows: {benign} benign and {} attacks ({}). The detector will learn only from the {benign} benign ones; the attacks are kept aside to test it.",
                        report.rows,
                        report.rows - benign,
                        attacks.join(", "),
                    )
                }
                None => "Loading the sample…".to_owned(),
            },
        ],
        1 => vec![
            "The autoencoder learns to squeeze each benign flow through a narrow code and rebuild it; the ensemble adds the distance to the nearest benign flow and a PCA. Every flow is scored by a model that did not fit it (cross-fitting), so the figures are honest.".to_owned(),
            match &seen.trained {
                Some(results) => format!(
                    "Trained: the {} scored {} flows, {} of them attacks it never saw while learning.",
                    results.kind.title(),
                    results.evaluation.rows,
                    results.evaluation.attacks
                ),
                None => "Training… watch the loss fall in the chart.".to_owned(),
            },
        ],
        2 => match &seen.trained {
            Some(results) => {
                let middle = |attack| {
                    results.histogram.middle(attack).map_or_else(
                        || "n/a".to_owned(),
                        |(low, high)| format!("{low:.3}–{high:.3}"),
                    )
                };
                vec![
                    "A flow's anomaly score is how badly the detector rebuilds it (its reconstruction error, with the other members' votes): low for flows like those it learnt, high for the rest.".to_owned(),
                    format!(
                        "In the histogram, half the benign flows (blue) score below the {} bin and half the attacks (orange, outlined) above the {} bin. Where the two piles overlap, no threshold can be right about every flow.",
                        middle(false),
                        middle(true)
                    ),
                ]
            }
            None => vec!["Train the detector first (Back).".to_owned()],
        },
        3 => match &seen.trained {
            Some(results) => vec![
                format!(
                    "The model's threshold ({}) flags {} of the benign flows (false alarms) and catches {} of the attacks (recall).",
                    results.threshold_rule,
                    percent(results.evaluation.fpr),
                    percent(results.evaluation.recall)
                ),
                "Move the slider under the histogram: lower, it catches more attacks and raises more false alarms; higher, the reverse. The table shows the four outcomes.".to_owned(),
            ],
            None => vec!["Train the detector first (Back).".to_owned()],
        },
        4 => match &seen.trained {
            Some(results) => {
                let evaluation = &results.evaluation;
                let at_1 = evaluation
                    .tpr_at_fpr
                    .iter()
                    .find(|point| (point.max_fpr - 0.01).abs() < 1e-9)
                    .map_or_else(|| "n/a".to_owned(), |point| percent(point.tpr));
                vec![
                    "The ROC curve draws every threshold at once: each point is one threshold's false-positive rate (across) and recall (up). The closer it hugs the top-left corner, the better the score ranks attacks above benign flows.".to_owned(),
                    format!(
                        "Here the area under it (ROC-AUC) is {}: a random attack outscores a random benign flow that often. At 1 % false alarms, the best threshold catches {at_1} of the attacks.",
                        evaluation.roc_auc.map_or_else(|| "n/a".to_owned(), |auc| format!("{auc:.4}")),
                    ),
                ]
            }
            None => vec!["Train the detector first (Back).".to_owned()],
        },
        5 => vec![
            format!(
                "A threshold ignores what a mistake costs. Here a correct decision earns {}, a false alarm costs {} and a missed attack {} (the cost matrix, in the panel).",
                plan.rewards.correct, plan.rewards.false_positive, plan.rewards.false_negative
            ),
            match &seen.compared {
                Some(assessment) => format!(
                    "The {} agent practised for {} episodes on half of the flows, deciding allow or flag from what the detector sees, rewarded or charged for each decision.",
                    assessment.algorithm.name(),
                    assessment.episodes
                ),
                None => format!(
                    "The {} agent is practising for {} episodes on half of the flows: watch its reward per episode.",
                    plan.algorithm.name(),
                    plan.episodes
                ),
            },
        ],
        _ => match &seen.compared {
            Some(assessment) => vec![
                format!(
                    "On the other half of the flows: {}",
                    assessment.comparison.verdict(assessment.algorithm)
                ),
                "The best fixed threshold was chosen on the agent's training flows with the same costs; the logistic regression is told the labels, which a detector of unknown attacks never is. End the lesson, or change the costs and train the agent again.".to_owned(),
            ],
            None => vec!["Train the agent first (Back).".to_owned()],
        },
    }
}
