//! Browser tests, run by wasm-bindgen-test in headless Chromium with WebGPU enabled (see
//! `webdriver.json`). They prove the hard path: burn initialises WebGPU asynchronously, trains
//! with autodiff and Adam, reads the loss back asynchronously, and does the same inside the
//! training Web Worker. A missing WebGPU adapter fails the GPU tests rather than skipping them.
#![cfg(target_arch = "wasm32")]

use futures::StreamExt;
use futures::channel::mpsc;
use netsentry::app::page::client::TrainingWorker;
use netsentry::app::protocol::{FromWorker, JobFailure, ToWorker};
use netsentry::app::worker::files::{SLICE_BYTES, ingest_files};
use netsentry::data::error::ErrorKind;
use netsentry::data::ingest::IngestOptions;
use netsentry::device::backend::{self, BackendPreference};
use netsentry::device::probe;
use netsentry::model::network::train::TrainError;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// SwiftShader takes about half a second per step, so the GPU checks stay short.
const GPU_STEPS: usize = 3;

#[wasm_bindgen_test]
async fn webgpu_device_trains_a_tiny_mlp() {
    let selected = backend::select(BackendPreference::Gpu).await;
    assert!(
        selected.info.is_gpu(),
        "no WebGPU adapter: {}",
        selected.info.label()
    );
    assert!(selected.info.label().starts_with("WebGPU · "));
    let report = probe::run(&selected.device, GPU_STEPS, 1).await.unwrap();
    assert!(report.loss_fell(), "losses: {:?}", report.losses);

    // The device is initialised once per page; asking again reuses it.
    let again = backend::select(BackendPreference::Gpu).await;
    assert_eq!(again.info, selected.info);
}

#[wasm_bindgen_test]
async fn cpu_device_trains_a_tiny_mlp() {
    let selected = backend::select(BackendPreference::Cpu).await;
    assert!(!selected.info.is_gpu());
    let report = probe::run(&selected.device, 10, 1).await.unwrap();
    assert!(report.loss_fell(), "losses: {:?}", report.losses);
}

#[wasm_bindgen_test]
async fn worker_trains_on_webgpu_and_reports_back() {
    let (sender, mut messages) = mpsc::unbounded();
    let worker = TrainingWorker::spawn(move |message| {
        sender.unbounded_send(message).expect("the test listens");
    })
    .unwrap();
    // Sent before the worker is ready: it must be queued, not lost.
    worker
        .send(&ToWorker::CheckBackend {
            preference: BackendPreference::Gpu,
            steps: GPU_STEPS,
        })
        .unwrap();

    assert_eq!(messages.next().await, Some(FromWorker::Ready));
    match messages.next().await {
        Some(FromWorker::Backend(info)) => {
            assert!(
                info.is_gpu(),
                "the worker found no WebGPU adapter: {}",
                info.label()
            );
        }
        other => panic!("expected the backend, got {other:?}"),
    }
    match messages.next().await {
        Some(FromWorker::Checked(report)) => {
            assert_eq!(report.losses.len(), GPU_STEPS + 1);
            assert!(report.loss_fell(), "losses: {:?}", report.losses);
        }
        other => panic!("expected the check's report, got {other:?}"),
    }
}

/// A `File` as the page gets one from a file input or a drop.
fn file(name: &str, bytes: &[u8]) -> web_sys::File {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    web_sys::File::new_with_u8_array_sequence(&parts, name).unwrap()
}

#[wasm_bindgen_test]
async fn real_files_ingest_in_slices_with_progress() {
    let files = [
        file(
            "DDoS_2500.csv",
            include_bytes!("data/cicids2017/improved/DDoS_2500.csv"),
        ),
        file(
            "Portscan_2500.csv",
            include_bytes!("data/cicids2017/improved/Portscan_2500.csv"),
        ),
    ];
    let mut updates = Vec::new();
    // 256 KiB slices: each file arrives in several pieces, split mid-row.
    let (dataset, report) = ingest_files(&files, IngestOptions::default(), 262_144.0, |update| {
        updates.push(update.clone())
    })
    .await
    .unwrap();
    assert_eq!(dataset.rows(), 5000);
    assert_eq!(report.labels["DDoS"], 2500);
    assert_eq!(report.labels["Portscan"], 2500);
    assert_eq!(dataset.features.len(), 81);
    assert!(updates.len() >= 10, "{} progress updates", updates.len());
    let last = updates.last().unwrap();
    assert_eq!(last.file, "Portscan_2500.csv");
    assert_eq!(last.progress.bytes, last.size);
    assert_eq!(last.progress.rows, 5000);
}

#[wasm_bindgen_test]
async fn a_malformed_file_in_the_browser_names_its_line() {
    let files = [file(
        "broken.csv",
        b"Flow Duration,Label\n1,BENIGN\n\"2,BENIGN\n3,BENIGN\n",
    )];
    let error = ingest_files(&files, IngestOptions::default(), SLICE_BYTES, |_| {})
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::UnterminatedQuote);
    assert_eq!(error.line, Some(3));
    assert!(error.to_string().starts_with("broken.csv, line 3"));
}

/// The bundled sample, loaded from a `File` as the page loads it.
async fn bundled_sample() -> netsentry::data::dataset::Dataset {
    let files = [file(
        "cicids2017-sample.csv",
        include_bytes!("../static/cicids2017-sample.csv"),
    )];
    ingest_files(&files, IngestOptions::default(), SLICE_BYTES, |_| {})
        .await
        .unwrap()
        .0
}

/// Cross-fits the default detector (the ensemble: its autoencoders, then kNN and PCA beside
/// each) on the bundled sample, `batches` mini-batches at a time: to the end when `epochs` is 1,
/// else one step and a Stop; saves it, loads it back and scores.
async fn train_save_load_score(device: &burn::prelude::Device, epochs: usize, batches: usize) {
    use netsentry::model::fit::cross_fit::CrossFit;
    use netsentry::model::fit::{FitOptions, Fitted};
    use netsentry::model::saved::SavedModel;
    use netsentry::model::score::{ScoreOptions, score};

    let dataset = bundled_sample().await;
    let mut options = FitOptions::default();
    options.train.epochs = epochs;
    let mut run = CrossFit::start(device, &dataset, &options).unwrap();
    let progress = run.step(batches).await.unwrap();
    assert!(progress.train_loss.is_finite(), "{progress:?}");
    if epochs == 1 {
        while !run.is_done() {
            run.step(batches).await.unwrap();
        }
    } else {
        run.stop();
    }
    let Fitted { model, .. } = run.finish(&dataset, device).await.unwrap();
    assert_eq!(model.folds.len(), options.folds);
    // Saving reads every weight back asynchronously: WebGPU cannot read synchronously.
    let bytes = model.to_bytes().await.unwrap();
    let loaded = SavedModel::from_bytes(&bytes, device).unwrap();
    let rows: Vec<u32> = (0..dataset.rows() as u32).collect();
    let matrix = loaded.meta.scaler.transform(&dataset, &rows).unwrap();
    let scored = score(
        &loaded.detector,
        device,
        &matrix,
        &loaded.meta.error_weights,
        ScoreOptions {
            errors: true,
            latent: true,
            reconstruction: false,
        },
    )
    .await
    .unwrap();
    assert_eq!(scored.scores.len(), dataset.rows());
    assert!(scored.scores.iter().all(|score| score.is_finite()));
    assert_eq!(scored.errors.len(), dataset.rows() * dataset.features.len());
    assert_eq!(scored.latent.len(), dataset.rows() * scored.latent_width);
}

#[wasm_bindgen_test]
async fn autoencoder_trains_saves_and_scores_on_the_cpu_in_the_browser() {
    let selected = backend::select(BackendPreference::Cpu).await;
    // One whole epoch of the sample's benign training flows.
    train_save_load_score(&selected.device, 1, 1000).await;
}

#[wasm_bindgen_test]
async fn autoencoder_trains_saves_and_scores_on_webgpu() {
    let selected = backend::select(BackendPreference::Gpu).await;
    assert!(
        selected.info.is_gpu(),
        "no WebGPU adapter: {}",
        selected.info.label()
    );
    // SwiftShader is slow: a few batches, no epoch end.
    train_save_load_score(&selected.device, 50, GPU_STEPS).await;
}

/// Trains `algorithm` for a few short episodes on half the bundled sample's flows (as the
/// autoencoder sees them) and compares it with the thresholds on the other half.
async fn agent_trains_on_the_sample(
    device: &burn::prelude::Device,
    algorithm: netsentry::rl::plan::Algorithm,
    episodes: usize,
    episode_length: usize,
) {
    use netsentry::model::fit::cross_fit::CrossFit;
    use netsentry::model::fit::{FitOptions, Fitted};
    use netsentry::rl::plan::{AgentPlan, Settings};
    use netsentry::rl::run::{AgentPools, AgentRun};

    let dataset = bundled_sample().await;
    let mut options = FitOptions::default();
    options.train.epochs = 1;
    let cpu = backend::select(BackendPreference::Cpu).await.device;
    let mut run = CrossFit::start(&cpu, &dataset, &options).unwrap();
    while !run.is_done() {
        run.step(1000).await.unwrap();
    }
    let Fitted { model, .. } = run.finish(&dataset, &cpu).await.unwrap();
    let pools = AgentPools::halves(&model, &dataset, 42, None, &cpu)
        .await
        .unwrap();
    let plan = AgentPlan {
        algorithm,
        episodes,
        settings: Settings {
            episode_length,
            ..Settings::default()
        },
        ..AgentPlan::default()
    };
    let mut run = AgentRun::start(plan, &pools, device).unwrap();
    for episode in 0..episodes {
        let report = run.episode().await.unwrap();
        assert_eq!(report.episode, episode);
        assert!(report.reward.is_finite());
    }
    let outcome = run.finish(model, device).await.unwrap();
    let counted = outcome.assessment.comparison.agent.confusion.total() as usize;
    assert_eq!(counted, pools.test.len());
}

#[wasm_bindgen_test]
async fn ppo_agent_trains_in_the_browser_on_the_cpu() {
    let selected = backend::select(BackendPreference::Cpu).await;
    agent_trains_on_the_sample(
        &selected.device,
        netsentry::rl::plan::Algorithm::Ppo,
        5,
        128,
    )
    .await;
}

#[wasm_bindgen_test]
async fn a2c_agent_trains_on_webgpu() {
    let selected = backend::select(BackendPreference::Gpu).await;
    assert!(
        selected.info.is_gpu(),
        "no WebGPU adapter: {}",
        selected.info.label()
    );
    // SwiftShader reads back slowly: one short episode and its update.
    agent_trains_on_the_sample(&selected.device, netsentry::rl::plan::Algorithm::A2c, 1, 8).await;
}

/// Resolves after `ms` milliseconds of the page's event loop.
async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .expect("a page")
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .expect("setTimeout");
    });
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .expect("a timer");
}

#[wasm_bindgen_test]
async fn replay_streams_decisions_counts_them_and_asks_for_explanations() {
    use std::sync::{Arc, Mutex};

    use leptos::prelude::*;
    use netsentry::app::page::client::{Event, WorkerClient};
    use netsentry::app::page::replay::Replay;
    use netsentry::app::protocol::{FromWorker, ToWorker};
    use netsentry::data::label::Family;
    use netsentry::metrics::confusion::CostMatrix;
    use netsentry::rl::compare::{Threshold, compare};
    use netsentry::rl::env::FlowPool;
    use netsentry::rl::plan::Algorithm;
    use netsentry::rl::run::{Assessment, ReplayFlow};
    use wasm_bindgen::JsCast;

    // Six held-out flows: the agent misses flow 11 (an attack) and flags flow 12 (benign).
    let attack = [true, false, true, true, false, false];
    let flagged = [true, false, false, true, true, false];
    let scores: Vec<f32> = attack
        .iter()
        .map(|&is_attack| if is_attack { 5.0 } else { 0.2 })
        .collect();
    let pool = FlowPool {
        observations: vec![0.0; attack.len()],
        scores: scores.clone(),
        width: 1,
        attack: attack.to_vec(),
        families: attack
            .iter()
            .map(|&is_attack| {
                if is_attack {
                    Family::Ddos
                } else {
                    Family::Benign
                }
            })
            .collect(),
    };
    let threshold = Threshold {
        value: 1.0,
        rule: "benign 99th percentile of out-of-fold scores".to_owned(),
    };
    let results = Assessment {
        algorithm: Algorithm::Dqn,
        episodes: 1,
        comparison: compare(
            &flagged,
            &pool,
            &pool,
            threshold,
            CostMatrix::default(),
            None,
        ),
        replay: (0..attack.len())
            .map(|index| ReplayFlow {
                row: 10 + index as u32,
                label: if attack[index] { "DDoS" } else { "BENIGN" }.to_owned(),
                score: scores[index],
                flagged: flagged[index],
                attack: attack[index],
            })
            .collect(),
    };
    let document = web_sys::window().unwrap().document().unwrap();
    let host: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&host).unwrap();
    // The panel hears the agent's assessment from the worker client; the test plays the worker.
    let asked = Arc::new(Mutex::new(None::<u32>));
    let _mounted = leptos::mount::mount_to(host.clone(), {
        let asked = Arc::clone(&asked);
        move || {
            let client = WorkerClient::provide_detached("the test plays the worker");
            client.listen(move |event| {
                if let Event::Sent(ToWorker::Explain { row }) = event {
                    *asked.lock().unwrap() = Some(*row);
                }
            });
            let panel = view! { <Replay /> };
            client.deliver(&FromWorker::AgentCompared(results.clone()));
            panel
        }
    });
    let decisions = || host.query_selector_all("[data-testid=decision]").unwrap();
    assert_eq!(
        decisions().length(),
        0,
        "nothing is shown before the first tick"
    );
    // At 1× five flows a second: they arrive one by one, all six within a few seconds.
    let mut seen = Vec::new();
    for _ in 0..50 {
        sleep(100).await;
        seen.push(decisions().length());
        if seen.last() == Some(&6) {
            break;
        }
    }
    assert_eq!(seen.last(), Some(&6), "counts seen: {seen:?}");
    assert!(
        seen.iter().any(|&count| (1..6).contains(&count)),
        "streamed, not shown at once: {seen:?}"
    );
    let counters = host
        .query_selector("[data-testid=replay-counters]")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert_eq!(
        counters,
        "6 of 6 flows: 4 right, 1 false alarms, 1 missed attacks, cost 5.0"
    );
    // Newest first: the top row is flow 15, benign and allowed.
    let first: web_sys::HtmlElement = decisions().get(0).unwrap().unchecked_into();
    assert_eq!(first.text_content().unwrap(), "BENIGNallow✓ right");
    first.click();
    assert_eq!(*asked.lock().unwrap(), Some(15));
    let wrong = host.query_selector_all(".decision.wrong").unwrap().length();
    assert_eq!(wrong, 2);
}

#[wasm_bindgen_test]
async fn the_threshold_slider_updates_the_decisions_it_reads_from_the_histogram() {
    use leptos::prelude::*;
    use netsentry::app::page::client::WorkerClient;
    use netsentry::app::page::model_panel::ModelPanel;
    use netsentry::app::page::share::SetUp;
    use netsentry::app::protocol::{FromWorker, ModelResults};
    use netsentry::metrics::evaluation::evaluate;
    use netsentry::metrics::histogram::ScoreHistogram;
    use netsentry::model::config::ModelKind;
    use std::cell::Cell;
    use std::rc::Rc;
    use wasm_bindgen::JsCast;

    // Four benign flows scoring 1–4 and four attacks scoring 3–6; the model's threshold is 4.5.
    let scores = [1.0, 2.0, 3.0, 4.0, 3.0, 5.0, 5.5, 6.0];
    let labels = [0u16, 0, 0, 0, 1, 1, 1, 1];
    let names = vec!["BENIGN".to_owned(), "DDoS".to_owned()];
    let attack: Vec<bool> = labels.iter().map(|&label| label == 1).collect();
    let results = ModelResults {
        kind: ModelKind::Autoencoder,
        evaluation: evaluate(&scores, &labels, &names, 4.5),
        histogram: ScoreHistogram::new(&scores, &attack, 4.5),
        threshold_rule: "benign 99th percentile of out-of-fold scores".to_owned(),
        tested_on: "Tested on all 8 flows of flows.csv.".to_owned(),
        most_unusual: Vec::new(),
    };
    let document = web_sys::window().unwrap().document().unwrap();
    let host: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&host).unwrap();
    // The panel hears the evaluation from the worker client; the test plays the worker.
    let mounted_client = Rc::new(Cell::new(None));
    let _mounted = leptos::mount::mount_to(host.clone(), {
        let results = results.clone();
        let mounted_client = Rc::clone(&mounted_client);
        move || {
            let client = WorkerClient::provide_detached("the test plays the worker");
            // The panel's options are the page's shared set-up.
            SetUp::provide();
            let panel = view! { <ModelPanel /> };
            client.deliver(&FromWorker::Evaluated(results.clone()));
            mounted_client.set(Some(client));
            panel
        }
    });
    sleep(0).await;
    let text = |selector: &str| {
        host.query_selector(selector)
            .unwrap()
            .unwrap()
            .text_content()
            .unwrap()
    };
    assert_eq!(text("[data-testid=roc-auc]"), "0.9062");
    // Within each false-positive budget the best threshold is 5: three of four attacks, no
    // benign flow.
    assert_eq!(
        text("[data-testid=tpr-at-fpr] tbody"),
        "≤ 0.1 %75.0 %0.00 %≤ 1 %75.0 %0.00 %≤ 5 %75.0 %0.00 %"
    );
    // At the model's threshold: attacks 5, 5.5, 6 flagged, none of the benign flows.
    assert_eq!(
        text("[data-testid=threshold-readout]"),
        "Threshold 4.5000 (the model's: benign 99th percentile of out-of-fold scores): precision 1.000, recall 0.750, false-positive rate 0.0000"
    );
    // Moved to the lowest edge, everything is flagged.
    let slider: web_sys::HtmlInputElement = host
        .query_selector("[data-testid=threshold]")
        .unwrap()
        .unwrap()
        .unchecked_into();
    slider.set_value("0");
    slider
        .dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    sleep(0).await;
    assert_eq!(
        text("[data-testid=threshold-readout]"),
        "Threshold 1.0000: precision 0.500, recall 1.000, false-positive rate 1.0000"
    );
    assert!(
        text(".confusion").contains("Attack40Benign40"),
        "{}",
        text(".confusion")
    );

    // A second kind of detector joins the comparison; the same kind again replaces its row.
    let rows = || {
        host.query_selector_all("[data-testid=detector-comparison] tbody tr")
            .unwrap()
            .length()
    };
    assert_eq!(rows(), 1);
    let client = mounted_client.get().expect("mounted");
    let knn = ModelResults {
        kind: ModelKind::Knn,
        evaluation: evaluate(
            &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
            &labels,
            &names,
            4.5,
        ),
        ..results.clone()
    };
    client.deliver(&FromWorker::Evaluated(knn.clone()));
    client.deliver(&FromWorker::Evaluated(knn));
    sleep(0).await;
    assert_eq!(rows(), 2);
    assert_eq!(
        text("[data-testid=detector-comparison] tbody"),
        "Autoencoder0.90620.916775.0 %75.0 %75.0 %kNN distance1.00001.0000100.0 %100.0 %100.0 %"
    );
    assert_eq!(
        host.query_selector_all(".roc-overlay polyline")
            .unwrap()
            .length(),
        2
    );
}

#[wasm_bindgen_test]
async fn a_loss_that_is_not_finite_stops_the_worker_and_its_last_good_weights_are_evaluated() {
    use netsentry::model::fit::FitOptions;

    let (sender, mut messages) = mpsc::unbounded();
    let worker = TrainingWorker::spawn(move |message| {
        sender.unbounded_send(message).expect("the test listens");
    })
    .unwrap();
    let files = js_sys::Array::of1(&file(
        "cicids2017-sample.csv",
        include_bytes!("../static/cicids2017-sample.csv"),
    ));
    worker
        .send(&ToWorker::Load {
            files: files.into(),
            options: IngestOptions::default(),
        })
        .unwrap();
    // Requests run concurrently in the worker: train once the flows are in.
    loop {
        match messages.next().await.expect("the worker answers") {
            FromWorker::Loaded(_) => break,
            FromWorker::LoadFailed(error) => panic!("{error}"),
            _ => {}
        }
    }
    let mut options = FitOptions::default();
    options.train.learning_rate = 1e30;
    options.train.gradient_clip = 1e30;
    worker.send(&ToWorker::Train { options }).unwrap();
    let mut failed = None;
    loop {
        match messages.next().await.expect("the worker answers") {
            FromWorker::TrainFailed(error) => failed = Some(error),
            FromWorker::Evaluated(results) => {
                let error = failed.expect("the failure is reported before the evaluation");
                // Typed across the worker boundary, so the page can tell it from other failures.
                assert!(
                    matches!(error, JobFailure::Training(TrainError::NotFinite { .. })),
                    "{error}"
                );
                assert!(error.to_string().contains("NaN or infinite"), "{error}");
                assert!(results.evaluation.rows > 0);
                assert!(results.evaluation.roc_auc.is_some_and(f64::is_finite));
                break;
            }
            FromWorker::LoadFailed(error) | FromWorker::Failed(error) => panic!("{error}"),
            _ => {}
        }
    }
}

#[wasm_bindgen_test]
fn a_shared_set_up_reads_back_from_its_link_and_a_bad_value_is_named() {
    use netsentry::app::page::samples::SAMPLES;
    use netsentry::app::page::share::Shared;
    use netsentry::metrics::threshold::ThresholdRule;
    use netsentry::model::config::ModelKind;
    use netsentry::rl::plan::Algorithm;

    let mut shared = Shared {
        sample: SAMPLES[2],
        theme: "dark".to_owned(),
        present: true,
        ..Shared::default()
    };
    shared.fit.model.kind = ModelKind::IsolationForest;
    shared.fit.model.clip = 1.5;
    shared.fit.model.classic.k = 3;
    shared.fit.model.bottleneck = 4;
    shared.fit.train.epochs = 30;
    shared.fit.train.sized_by_rows = false;
    shared.fit.threshold_rule = ThresholdRule::TargetFpr(0.025);
    shared.fit.train.seed = 7;
    shared.plan.algorithm = Algorithm::A2c;
    shared.plan.episodes = 120;
    shared.plan.rewards.false_negative = 9.5;
    let (read, problems) = Shared::parse(&format!("#{}", shared.fragment()));
    assert_eq!(problems, Vec::<String>::new());
    assert_eq!(read, shared);
    // Epochs sized to the file stay out of the link, so it sizes them to its own file.
    shared.fit.train = Shared::default().fit.train;
    assert!(
        !shared.fragment().contains("epochs="),
        "{}",
        shared.fragment()
    );
    assert_eq!(Shared::parse(&shared.fragment()).0, shared);
    // Every other rule keeps no number in the link.
    shared.fit.threshold_rule = ThresholdRule::MaxF1;
    assert!(!shared.fragment().contains("fpr="), "{}", shared.fragment());
    assert_eq!(Shared::parse(&shared.fragment()).0, shared);

    let (read, problems) = Shared::parse("sample=nope.csv&episodes=0&clip=-1&colour=red&agent=ppo");
    assert_eq!(read.sample, Shared::default().sample);
    assert_eq!(read.fit.model.clip, Shared::default().fit.model.clip);
    assert_eq!(read.plan.episodes, Shared::default().plan.episodes);
    assert_eq!(read.plan.algorithm, Algorithm::Ppo);
    assert_eq!(
        problems,
        [
            "The link's sample=nope.csv was not used: no bundled sample has that name.",
            "The link's episodes=0 was not used: expected a number from 1 to 5000.",
            "The link's clip=-1 was not used: expected a number from 0 to 10.",
            "The link's colour=red was not used: the page has no such setting.",
        ]
    );
}
