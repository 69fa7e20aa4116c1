//! The autoencoder panel: choose the model, train it on the loaded flows in the worker, watch the
//! losses fall, then read how well the anomaly score separates attacks from benign flows it never
//! saw, and move the threshold to see what each choice would flag.

use leptos::prelude::*;

use super::charts::{Axis, Scale, Series, histogram_chart, line_chart, range_of};
use super::client::{Event, WorkerClient};
use super::controls::{
    Announce, Choice, Panel, ProgressBar, RunButton, choices, error_line, field_of, figure,
    table_head,
};
use super::detectors::DetectorComparison;
use super::explanation::Explainer;
use super::glossary;
use super::job::{Job, JobView};
use super::learning_curve::{LearningCurvePanel, curve_running};
use super::share::SetUp;
use crate::app::protocol::{FromWorker, ModelResults, RankedFlow, ToWorker};
use crate::metrics::evaluation::Evaluation;
use crate::metrics::histogram::ScoreHistogram;
use crate::metrics::ranking::CurvePoint;
use crate::metrics::threshold::{DEFAULT_PERCENTILE, DEFAULT_TARGET_FPR, RuleKind, ThresholdRule};
use crate::model::config::ModelKind;
use crate::model::fit::FitOptions;
use crate::model::network::train::{Finish, TrainProgress};

/// The kinds to choose from, in the core's order, by the names the command line and the model
/// files use and the titles the page shows: one list of kinds ([`ModelKind::ALL`]).
static KINDS: [(&str, &str); ModelKind::ALL.len()] = choices!(ModelKind::ALL, short_name, title);

/// The threshold rules to choose from, from the core's one list ([`RuleKind::ALL`]).
static RULES: [(&str, &str); RuleKind::ALL.len()] = choices!(RuleKind::ALL, name, title);

/// Where training stands: the latest progress, then the results on the tested flows.
pub type TrainView = JobView<Option<TrainProgress>, ModelResults>;

/// Follows the autoencoder's training through the worker.
fn follow(view: &mut TrainView, event: Event) {
    match event {
        Event::Sent(ToWorker::Train { .. }) => *view = TrainView::started(None),
        Event::Reply(FromWorker::Training(progress)) => view.progress = Some(progress.clone()),
        Event::Reply(FromWorker::Evaluated(results)) => view.end(Ok(results)),
        Event::Reply(FromWorker::TrainFailed(error)) => view.end(Err(&error.to_string())),
        _ => {}
    }
}

/// The panel: Train sends the chosen options to the worker; Stop asks it to stop (the best
/// weights so far are kept and evaluated); Pause pauses or resumes it. Train waits while the
/// agent trains.
#[component]
pub fn ModelPanel() -> impl IntoView {
    let client = WorkerClient::expect();
    let Job {
        view,
        running,
        paused,
    } = Job::watch(client, follow);
    let busy = client.running(
        |request| matches!(request, ToWorker::TrainAgent(_)),
        |reply| {
            matches!(
                reply,
                FromWorker::AgentCompared(_) | FromWorker::AgentFailed(_)
            )
        },
    );
    let curve = curve_running(client);
    // One explainer for the panel's life (its results are drawn anew with each evaluation), and
    // an explanation belongs to the results it was asked from.
    let explainer = Explainer::new(client);
    client.listen(move |event| {
        if let Event::Reply(FromWorker::Evaluated(_)) = event {
            explainer.clear();
        }
    });
    let options = SetUp::expect().fit;
    let progress = Memo::new(move |_| view.with(|view| view.progress.clone()));
    let results = Memo::new(move |_| view.with(|view| view.results.clone()));
    let train_status = move || {
        let status = match (progress.get(), results.get()) {
            (Some(progress), _) => status(&progress),
            // A classic detector reports nothing until it is fitted and evaluated.
            (None, Some(_)) => "done: fitted in one pass".to_owned(),
            (None, None) => String::new(),
        };
        if paused.get() && running.get() {
            format!("paused: {status}")
        } else {
            status
        }
    };
    view! {
        <Panel id="model" title="Detector" explain="An autoencoder learns to squeeze benign flows through a narrow code and rebuild them: flows it rebuilds badly are unusual. The ensemble, the default, lets it vote with the distance to the nearest benign flow and a PCA reconstruction, each scaled on benign flows it did not fit, so a flow must look odd to several of them to score high; it measured best (docs/model-quality.md). The classic detectors (Isolation Forest, kNN distance, PCA, HBOS) fit on the same flows, to compare with.">
            <Settings options=options disabled=running />
            <RunButton
                running=running
                paused=paused
                testid="train-ae"
                pause_testid="pause-ae"
                on_start=Callback::new(move |()| {
                    client.send(ToWorker::Train { options: options.get_untracked() })
                })
                on_stop=Callback::new(move |()| client.send(ToWorker::Stop))
                on_pause=Callback::new(move |paused| client.send(ToWorker::Pause(paused)))
                busy=Signal::derive(move || busy.get() || curve.get())
            />
            <ProgressBar
                label="Training the detector"
                testid="train-progress"
                done=Signal::derive(move || {
                    progress.get().filter(|_| running.get()).map(|progress| {
                        let batch = progress.batch as f64 / progress.batches.max(1) as f64;
                        (progress.epoch as f64 + batch) / progress.epochs.max(1) as f64
                    })
                })
                started=Signal::derive(move || view.with(|view| view.started_ms))
            />
            <p data-testid="train-status">{train_status}</p>
            <Announce
                text=Signal::derive(train_status)
                settled=Signal::derive(move || !running.get() || paused.get())
            />
            {move || progress.get().filter(|progress| !progress.history.is_empty()).map(loss_chart)}
            {move || error_line(view.with(|view| view.error.clone()))}
            {move || {
                results.get().map(|results| view! { <Results results=results explainer=explainer /> })
            }}
            <DetectorComparison />
            <LearningCurvePanel
                options=options
                blocked=Signal::derive(move || running.get() || busy.get())
            />
        </Panel>
    }
}

/// The model's main settings; the rest keep the defaults chosen by measurement (docs/models.md).
#[component]
fn Settings(options: RwSignal<FitOptions>, disabled: Memo<bool>) -> impl IntoView {
    // A memo, so typing a target re-renders its field only when the rule itself changes.
    let is_target = Memo::new(move |_| {
        options.with(|options| matches!(options.threshold_rule, ThresholdRule::TargetFpr(_)))
    });
    view! {
        <fieldset class="settings" prop:disabled=move || disabled.get()>
            <legend>"Model"</legend>
            <Choice
                label="Kind"
                testid="model-kind"
                options=&KINDS
                value=Signal::derive(move || options.with(|options| options.model.kind.short_name().to_owned()))
                on_choice=Callback::new(move |kind: String| {
                    let kind = ModelKind::from_short_name(&kind).unwrap_or_default();
                    options.update(|options| options.model.kind = kind);
                })
            />
            <Choice
                label="Threshold"
                testid="threshold-rule"
                options=&RULES
                value=Signal::derive(move || options.with(|options| options.threshold_rule.kind().name().to_owned()))
                on_choice=Callback::new(move |rule: String| {
                    let rule = RuleKind::from_name(&rule)
                        .unwrap_or(RuleKind::Target)
                        .rule(DEFAULT_PERCENTILE, DEFAULT_TARGET_FPR);
                    options.update(|options| options.threshold_rule = rule);
                })
            />
            {move || is_target.get().then(|| field_of(
                options,
                ("False-positive target %", "target-fpr"),
                (0.1, 20.0, 0.1),
                |o| match o.threshold_rule { ThresholdRule::TargetFpr(target) => target * 100.0, _ => 1.0 },
                |o, v| o.threshold_rule = ThresholdRule::TargetFpr(v / 100.0),
            ))}
            {field_of(options, ("Epochs", ""), (1.0, 1000.0, 1.0), |o| o.train.epochs as f64, |o, v| {
                // A number the user typed is kept as typed, not sized to the file.
                o.train.epochs = v as usize;
                o.train.sized_by_rows = false;
            })}
            {field_of(options, ("Code size", ""), (1.0, 64.0, 1.0), |o| o.model.bottleneck as f64, |o, v| o.model.bottleneck = v as usize)}
            {field_of(options, ("Seed", ""), (0.0, 1e9, 1.0), |o| o.train.seed as f64, |o, v| o.train.seed = v as u64)}
            {field_of(options, ("Clip at ± deviations (0: none)", "clip"), (0.0, 10.0, 0.5), |o| f64::from(o.model.clip), |o, v| o.model.clip = v as f32)}
            {field_of(options, ("k (kNN)", "knn-k"), (1.0, 100.0, 1.0), |o| o.model.classic.k as f64, |o, v| o.model.classic.k = v as usize)}
            {move || options.with(|o| o.train.sized_by_rows).then(|| view! {
                <p class="hint" data-testid="sized-by-rows">
                    "From 16,384 benign training flows, batches grow (up to 1,024 flows) and the epochs shrink to about 4,096 steps in all, so a large file trains in bounded time; typing a number of epochs keeps it as typed."
                </p>
            })}
        </fieldset>
    }
}

fn status(progress: &TrainProgress) -> String {
    let state = match progress.finished {
        Some(Finish::AllEpochs) => "done (every epoch)",
        Some(Finish::EarlyStopped) => "done (stopped early: no better out-of-fold loss)",
        Some(Finish::NotFinite) => "stopped: the loss was not finite",
        None => "training",
    };
    format!(
        "{state}: {} ({} runs: one per fold and the final model; batches of {})",
        progress.line(),
        progress.runs,
        progress.batch_size
    )
}

fn loss_chart(progress: TrainProgress) -> impl IntoView {
    let ln = |value: f32| f64::from(value).max(1e-12).ln();
    let line = |pick: fn(&crate::model::network::train::EpochLoss) -> f32| -> Vec<(f64, f64)> {
        progress
            .history
            .iter()
            .map(|epoch| ((epoch.epoch + 1) as f64, ln(pick(epoch))))
            .collect()
    };
    let train = line(|epoch| epoch.train);
    let validation = line(|epoch| epoch.validation);
    let y = range_of(train.iter().chain(&validation).map(|point| point.1));
    line_chart(
        "Loss per epoch".to_owned(),
        "Loss per epoch, mean of the fold models (log scale): training (solid), on the fold each did not fit (dashed)".to_owned(),
        vec![
            Series {
                name: "training",
                class: "train",
                points: train,
            },
            Series {
                name: "out-of-fold",
                class: "validation",
                points: validation,
            },
        ],
        Axis {
            range: (1.0, progress.epochs.max(2) as f64),
            name: "epoch",
        },
        (Axis { range: y, name: "loss (log scale)" }, Scale::Log),
    )
}

fn curve(points: &[CurvePoint]) -> Vec<(f64, f64)> {
    points.iter().map(|point| (point.x, point.y)).collect()
}

/// Ranking quality, the curves, the histogram with its threshold slider, and detection per family.
#[component]
fn Results(results: ModelResults, explainer: Explainer) -> impl IntoView {
    let ModelResults {
        evaluation,
        histogram,
        threshold_rule,
        tested_on,
        most_unusual,
        ..
    } = results;
    let tested_on = view! { <p data-testid="tested-on">{tested_on}</p> };
    let unusual = view! { <MostUnusual flows=most_unusual explainer=explainer /> };
    if evaluation.attacks == 0 {
        return view! {
            <div class="results">
                {tested_on}
                <p class="hint" data-testid="no-attacks">
                    {format!(
                        "None of these {} flows is labelled as an attack, so how well the model detects attacks cannot be measured here (no ROC, detection rates or confusion matrix). Its score still ranks the flows by how unusual they are:",
                        evaluation.rows
                    )}
                </p>
                {unusual}
            </div>
        }
        .into_any();
    }
    let families = evaluation
        .per_family
        .iter()
        .map(|(family, detection)| {
            view! {
                <tr>
                    <td>{family.clone()}</td>
                    <td>{detection.rows.to_string()}</td>
                    <td>{format!("{:.1} %", detection.rate * 100.0)}</td>
                    <td>{figure(detection.roc_auc)}</td>
                    <td>{detection.tpr_at_1_percent.map_or_else(|| "–".to_owned(), |tpr| format!("{:.1} %", tpr * 100.0))}</td>
                </tr>
            }
        })
        .collect_view();
    let unit = (0.0, 1.0);
    view! {
        <div class="results">
            {tested_on}
            <p>
                "On " {evaluation.rows.to_string()} " flows, each scored by a model that did not fit it ("
                {evaluation.attacks.to_string()} " attacks): " {glossary::word("ROC-AUC")} " "
                <strong data-testid="roc-auc">{figure(evaluation.roc_auc)}</strong> ", "
                {glossary::word("PR-AUC")} " " {figure(evaluation.pr_auc)} "."
            </p>
            <p data-testid="threshold-outcome">
                {format!(
                    "At the model's threshold ({threshold_rule}): false-positive rate {:.2} % on the benign flows, recall {:.1} % of the attacks.",
                    evaluation.fpr * 100.0,
                    evaluation.recall * 100.0
                )}
            </p>
            {operating_points(&evaluation)}
            {threshold_hint(&evaluation)}
            <div class="curves" id="ranking-curves">
                {line_chart(
                    "ROC curve".to_owned(),
                    format!("ROC: recall against false-positive rate (area {})", figure(evaluation.roc_auc)),
                    vec![Series { name: "ROC", class: "train", points: curve(&evaluation.roc) }],
                    Axis { range: unit, name: "false-positive rate" },
                    (Axis { range: unit, name: "recall" }, Scale::Linear),
                )}
                {line_chart(
                    "Precision-recall curve".to_owned(),
                    format!("Precision against recall (average precision {})", figure(evaluation.pr_auc)),
                    vec![Series { name: "precision-recall", class: "train", points: curve(&evaluation.pr) }],
                    Axis { range: unit, name: "recall" },
                    (Axis { range: unit, name: "precision" }, Scale::Linear),
                )}
            </div>
            <ThresholdExplorer histogram=histogram rule=threshold_rule.clone() />
            <table>
                <caption>{format!("Per family: flagged at the model's threshold ({threshold_rule}), and each attack family ranked against the benign flows")}</caption>
                {table_head(&["Family", "Flows", "Flagged", "ROC-AUC vs benign", "Caught at 1 % FPR"])}
                <tbody>{families}</tbody>
            </table>
            {unusual}
        </div>
    }
    .into_any()
}

/// The tested flows that scored highest, each with a button asking why; the answer shows below.
#[component]
fn MostUnusual(flows: Vec<RankedFlow>, explainer: Explainer) -> impl IntoView {
    let rows = flows
        .into_iter()
        .map(|flow| {
            let row = flow.row;
            let asks = format!(
                "Why did flow {row} ({}) score {:.4}?",
                flow.label, flow.score
            );
            view! {
                <tr>
                    <td>{row.to_string()}</td>
                    <td>{flow.label}</td>
                    <td>{format!("{:.4}", flow.score)}</td>
                    <td>{if flow.flagged { "flagged" } else { "allowed" }}</td>
                    <td>
                        <button
                            type="button"
                            class="link"
                            aria-label=asks
                            on:click=move |_| explainer.ask(row)
                        >
                            "why?"
                        </button>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="unusual">
            <table data-testid="most-unusual">
                <caption>"The most unusual flows tested, highest anomaly score first"</caption>
                {table_head(&["Flow", "Label", "Score", "Threshold", "Explain"])}
                <tbody>{rows}</tbody>
            </table>
        </div>
        {explainer.view()}
    }
}

/// The detection rate at each false-positive budget: what the detector catches at the low
/// false-alarm rates it would be run at, which ROC-AUC alone hides.
fn operating_points(evaluation: &Evaluation) -> impl IntoView + use<> {
    let rows = evaluation
        .tpr_at_fpr
        .iter()
        .map(|point| {
            view! {
                <tr>
                    <td>{format!("≤ {}", point.budget())}</td>
                    <td>{format!("{:.1} %", point.tpr * 100.0)}</td>
                    <td>{format!("{:.2} %", point.fpr * 100.0)}</td>
                </tr>
            }
        })
        .collect_view();
    (!evaluation.tpr_at_fpr.is_empty()).then(|| {
        view! {
            <table data-testid="tpr-at-fpr">
                <caption>"Attacks caught at a fixed false-alarm budget (best threshold for each)"</caption>
                {table_head(&["False-positive budget", "Attacks caught", "False positives"])}
                <tbody>{rows}</tbody>
            </table>
        }
    })
}

/// A sentence for the case a class will meet (see [`Evaluation::attacks_let_through`]).
fn threshold_hint(evaluation: &Evaluation) -> Option<impl IntoView + use<>> {
    evaluation.attacks_let_through().map(|passed| {
        view! {
            <p class="hint" data-testid="threshold-hint">
                {format!(
                    "The score ranks attacks well, but the model's threshold lets {:.0} % of them through: a few unusual benign flows set it high. Try the slider below, or the least-cost threshold rule.",
                    passed * 100.0
                )}
            </p>
        }
    })
}

/// The histogram with a slider over its bin edges: the confusion matrix, precision, recall and
/// false-positive rate follow the threshold as it moves (exact, since it sits on an edge).
#[component]
fn ThresholdExplorer(histogram: ScoreHistogram, rule: String) -> impl IntoView {
    let edge = RwSignal::new(histogram.anchor);
    let bins = histogram.benign.len();
    let histogram = StoredValue::new(histogram);
    let rule = StoredValue::new(rule);
    let readout = move || {
        histogram.with_value(|histogram| {
            let at = edge.get();
            let confusion = histogram.confusion_at(at);
            let threshold = histogram.edges.get(at).copied().unwrap_or(f32::INFINITY);
            let which = if at == histogram.anchor {
                format!(" (the model's: {})", rule.get_value())
            } else {
                String::new()
            };
            (
                format!(
                    "Threshold {threshold:.4}{which}: precision {:.3}, recall {:.3}, false-positive rate {:.4}",
                    confusion.precision(),
                    confusion.recall(),
                    confusion.false_positive_rate(),
                ),
                confusion,
            )
        })
    };
    view! {
        <div class="threshold" id="threshold-explorer">
            <p class="explain">
                "The score ranks flows (that is what the AUCs measure); a threshold turns it into decisions. Move it to trade false alarms for missed attacks."
            </p>
            <div id="score-histogram">
                {histogram.with_value(|histogram| histogram_chart(histogram, edge.into()))}
            </div>
            <label>
                {glossary::word("Threshold")} " "
                <input
                    type="range"
                    min="0"
                    max=bins.to_string()
                    step="1"
                    data-testid="threshold"
                    prop:value=move || edge.get().to_string()
                    // A screen reader says the threshold and what it gives, not the bin number.
                    aria-valuetext=move || readout().0
                    on:input=move |event| {
                        if let Ok(at) = event_target_value(&event).parse::<usize>() {
                            edge.set(at.min(bins));
                        }
                    }
                />
            </label>
            <p data-testid="threshold-readout" aria-live="polite">{move || readout().0}</p>
            {move || {
                let confusion = readout().1;
                view! {
                    <table class="confusion">
                        <caption>"Decisions at this threshold"</caption>
                        <thead>
                            <tr><td></td><th scope="col">"Flagged"</th><th scope="col">"Allowed"</th></tr>
                        </thead>
                        <tbody>
                            <tr>
                                <th scope="row">"Attack"</th>
                                <td>{confusion.true_positives.to_string()}</td>
                                <td>{confusion.false_negatives.to_string()}</td>
                            </tr>
                            <tr>
                                <th scope="row">"Benign"</th>
                                <td>{confusion.false_positives.to_string()}</td>
                                <td>{confusion.true_negatives.to_string()}</td>
                            </tr>
                        </tbody>
                    </table>
                }
            }}
        </div>
    }
}
