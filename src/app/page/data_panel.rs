//! The data panel: pick or drop CSV files, or load a bundled sample; watch the worker read them;
//! then see which dataset each file is and what was kept, dropped and why. Files loaded after a
//! model was trained are its test set (the model panel says so). File contents (labels, names)
//! are rendered as text.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::client::{Event, WorkerClient};
use super::controls::{Checkbox, Panel, ProgressBar};
use super::lesson::Lesson;
use super::samples::{self, SAMPLES};
use super::share::SetUp;
use crate::app::protocol::{FileProgress, FromWorker, ToWorker};
use crate::data::ingest::IngestOptions;
use crate::data::report::IngestReport;

/// Where the current load stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadView {
    /// The latest progress while reading.
    pub progress: Option<FileProgress>,
    /// The report of the last load that worked.
    pub report: Option<IngestReport>,
    /// The message of the last load that failed (the data loaded before stays).
    pub error: Option<String>,
    /// Whether a load is running.
    pub loading: bool,
    /// When the current file began to be read (milliseconds since the epoch).
    pub file_started_ms: f64,
}

impl LoadView {
    /// Follows a load through the worker: loading from the request to the report or the error.
    fn follow(&mut self, event: Event) {
        match event {
            Event::Sent(ToWorker::Load { .. } | ToWorker::LoadSample { .. }) => {
                self.loading = true;
                self.progress = None;
            }
            Event::Reply(FromWorker::Progress(progress)) => {
                let same_file = self
                    .progress
                    .as_ref()
                    .is_some_and(|last| last.file == progress.file);
                if !same_file {
                    self.file_started_ms = js_sys::Date::now();
                }
                self.progress = Some(progress.clone());
            }
            Event::Reply(FromWorker::Loaded(report)) => {
                self.loading = false;
                self.error = None;
                self.report = Some(report.clone());
            }
            Event::Reply(FromWorker::LoadFailed(error)) => {
                self.loading = false;
                self.error = Some(error.to_string());
            }
            _ => {}
        }
    }
}

/// The panel: the user's files or the bundled sample go to the worker; "Start the lesson" opens the
/// guided lesson, which loads the chosen sample and trains the detector and the agent step by step.
#[component]
pub fn DataPanel() -> impl IntoView {
    let client = WorkerClient::expect();
    let view = RwSignal::new(LoadView::default());
    client.listen(move |event| view.update(|view| view.follow(event)));
    let sample = SetUp::expect().sample;
    let shared_only = RwSignal::new(false);
    let keep_duplicates = RwSignal::new(false);
    let options = move || IngestOptions {
        shared_features_only: shared_only.get(),
        keep_duplicates: keep_duplicates.get(),
        ..IngestOptions::default()
    };
    let on_sample = Callback::new(move |()| match samples::url_of(sample.get_untracked()) {
        Ok(url) => client.send(ToWorker::LoadSample {
            url,
            options: options(),
        }),
        Err(error) => view.update(|view| view.error = Some(error)),
    });
    let lesson = Lesson::expect();
    let files_of = move |list: Option<web_sys::FileList>| {
        if let Some(list) = list.filter(|list| list.length() > 0) {
            let files = js_sys::Array::new();
            for index in 0..list.length() {
                if let Some(file) = list.get(index) {
                    files.push(&file);
                }
            }
            client.send(ToWorker::Load {
                files: files.into(),
                options: options(),
            });
        }
    };
    let on_change = move |event: web_sys::Event| {
        let input: Option<web_sys::HtmlInputElement> =
            event.target().and_then(|target| target.dyn_into().ok());
        files_of(input.and_then(|input| input.files()));
    };
    // Whether something is being dragged over the drop zone, so it shows it will take it.
    let over = RwSignal::new(false);
    let on_drop = move |event: web_sys::DragEvent| {
        event.prevent_default();
        over.set(false);
        files_of(event.data_transfer().and_then(|transfer| transfer.files()));
    };
    let on_over = move |event: web_sys::DragEvent| {
        event.prevent_default();
        over.set(true);
    };
    view! {
        <Panel id="data" title="Data" explain="CICFlowMeter flow CSVs of CIC-IDS 2017, CSE-CIC-IDS2018 or CIC-DDoS2019 (any published or cleaned variant). They are read in the background, in this browser only; the autoencoder learns from the BENIGN rows. Drop several days' files at once: a detector knows only the normal traffic it has seen, and fails on traffic unlike it.">
            <div
                class="dropzone"
                class:over=move || over.get()
                data-testid="dropzone"
                on:dragenter=on_over
                on:dragover=on_over
                on:dragleave=move |_| over.set(false)
                on:drop=on_drop
            >
                <label class="file-label">
                    "Choose or drop CSV files "
                    <input
                        type="file"
                        multiple=true
                        accept=".csv,text/csv"
                        data-testid="file-input"
                        on:change=on_change
                        prop:disabled=move || view.get().loading
                    />
                </label>
                <label class="sample-choice">
                    "Sample "
                    <select
                        data-testid="sample-choice"
                        on:change=move |event| sample.set(samples::named(&event_target_value(&event)))
                        prop:disabled=move || view.get().loading
                    >
                        {SAMPLES
                            .into_iter()
                            .map(|choice| view! {
                                <option
                                    value=choice.file
                                    prop:selected=move || sample.with(|sample| *sample == choice)
                                >
                                    {choice.title}
                                </option>
                            })
                            .collect_view()}
                    </select>
                </label>
                <button
                    type="button"
                    data-testid="load-sample"
                    on:click=move |_| on_sample.run(())
                    prop:disabled=move || view.get().loading
                >
                    "Load sample"
                </button>
                <button
                    type="button"
                    data-testid="start-lesson"
                    title="A guided walk in seven steps: load the sample, train the detector, read its score, threshold and ROC curve, then train the agent and compare"
                    on:click=move |_| lesson.start()
                    prop:disabled=move || view.get().loading
                >
                    "Start the lesson"
                </button>
            </div>
            <Checkbox
                label="Only the 76 statistics every CIC dataset shares"
                title="Leaves out the improved re-extraction's five extra statistics, so a model trained on these flows can score CSE-CIC-IDS2018's AWS files and CIC-DDoS2019's"
                testid="shared-features"
                checked=shared_only
            />
            <Checkbox
                label="Keep rows that repeat an earlier row exactly"
                title="By default a row that repeats an earlier row exactly is dropped and counted (the published files repeat some flows many times, which would weigh them more in training and testing); keep them to count rows as pandas does"
                testid="keep-duplicates"
                checked=keep_duplicates
            />
            <p class="hint">
                "To see how a model fares on another dataset, train it, then load that dataset's files or sample: the model is tested on every new flow it did not learn from."
            </p>
            {move || view.get().progress.filter(|_| view.get().loading).map(|progress| {
                view! { <p>{format!("Reading {}: {} of {} bytes, {} rows", progress.file, progress.progress.bytes, progress.size, progress.progress.rows)}</p> }
            })}
            <ProgressBar
                label="Reading the files"
                testid="load-progress"
                done=Signal::derive(move || view.with(|view| {
                    view.progress.as_ref().filter(|_| view.loading).map(|progress| {
                        progress.progress.bytes as f64 / progress.size.max(1) as f64
                    })
                }))
                started=Signal::derive(move || view.with(|view| view.file_started_ms))
            />
            {move || {
                view.get()
                    .error
                    .map(|error| {
                        view! {
                            <p class="error" role="alert" data-testid="error">
                                {error}
                            </p>
                        }
                    })
            }}
            {move || view.get().report.map(summary_view)}
        </Panel>
    }
}

fn summary_view(report: IngestReport) -> impl IntoView {
    let largest = report.labels.values().copied().max().unwrap_or(1).max(1);
    let labels = report
        .labels
        .iter()
        .map(|(label, count)| {
            let width = format!("width: {:.1}%", *count as f64 * 100.0 / largest as f64);
            view! {
                <li>
                    <span class="bar-label">{label.clone()}</span>
                    <span class="bar" style=width></span>
                    <span class="bar-count">{count.to_string()}</span>
                </li>
            }
        })
        .collect_view();
    let files = lines(
        report
            .files
            .iter()
            .map(|file| {
                format!(
                    "{}: {}; {} rows read, {} kept",
                    file.name,
                    file.origin.describe(file.columns),
                    file.rows_read,
                    file.rows
                )
            })
            .collect(),
        "none",
    );
    let dropped = lines(
        report
            .dropped
            .iter()
            .map(|(reason, count)| format!("{reason}: {count}"))
            .collect(),
        "none",
    );
    let missing = lines(
        report
            .missing
            .iter()
            .filter(|(_, counts)| counts.total() > 0)
            .map(|(column, counts)| {
                format!(
                    "{column}: {} Infinity, {} NaN, {} empty, {} out of range (imputed)",
                    counts.infinity, counts.nan, counts.empty, counts.out_of_range,
                )
            })
            .collect(),
        "none: every cell held a number",
    );
    let warnings = report
        .warnings
        .iter()
        .map(|warning| view! { <li class="warning">{warning.clone()}</li> })
        .collect_view();
    view! {
        <div class="summary" data-testid="ingest-summary">
            <p>
                {format!(
                    "{} rows read from {} file(s), {} kept, {} dropped; {} features.",
                    report.rows_read,
                    report.files.len(),
                    report.rows,
                    report.dropped_total(),
                    report.features.len(),
                )}
            </p>
            <h3>"Files"</h3>
            <ul data-testid="ingest-files">{files}</ul>
            <h3>"Rows per label"</h3>
            <ul class="bars">{labels}</ul>
            <h3>"Dropped rows"</h3>
            <ul>{dropped}</ul>
            <h3>"Cells without a number"</h3>
            <ul>{missing}</ul>
            <ul>{warnings}</ul>
        </div>
    }
}

/// List items for `items`, or one saying `empty` when there are none.
fn lines(mut items: Vec<String>, empty: &str) -> impl IntoView + use<> {
    if items.is_empty() {
        items.push(empty.to_owned());
    }
    items
        .into_iter()
        .map(|item| view! { <li>{item}</li> })
        .collect_view()
}
