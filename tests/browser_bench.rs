//! The ingest benchmark in headless Chromium: the same ~250 MB resampled file as
//! `benches/ingest.rs`, built as a `File` in browser memory, streamed through the app's
//! Blob-slice reader. Ignored in `make test`; `make bench` runs it with `--include-ignored`.
//!
//! Peak memory is the wasm linear memory after the load (it never shrinks, so it is the peak of
//! everything the module allocated), against the dataset's columnar size.
#![cfg(target_arch = "wasm32")]

use netsentry::app::worker::files::{SLICE_BYTES, ingest_files};
use netsentry::data::ingest::IngestOptions;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};
use web_time::Instant;

#[path = "../benches/support/resample.rs"]
mod resample;

wasm_bindgen_test_configure!(run_in_browser);

/// The file as browser-side parts of about 1 MB, so the wasm heap holds none of it.
fn generated_file() -> web_sys::File {
    let parts = js_sys::Array::new();
    let mut block = Vec::with_capacity(1 << 20);
    resample::resample(resample::TARGET_BYTES, |line| {
        block.extend_from_slice(line.as_bytes());
        block.extend_from_slice(b"\r\n");
        if block.len() >= 1 << 20 {
            parts.push(&js_sys::Uint8Array::from(block.as_slice()));
            block.clear();
        }
    });
    parts.push(&js_sys::Uint8Array::from(block.as_slice()));
    web_sys::File::new_with_u8_array_sequence(&parts, "machinelearningcve-250mb.csv").unwrap()
}

fn linear_memory_bytes() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}

#[wasm_bindgen_test]
#[ignore = "a benchmark: run by `make bench`"]
async fn ingest_throughput_and_memory() {
    let file = generated_file();
    let size = file.size();
    console_log!("file: {:.1} MB", size / 1e6);
    // Warm-up: wasm starts on the baseline compiler and is optimised while it runs; measure the
    // optimised code, as a user loading several files gets.
    let warm_up = file.slice_with_f64_and_f64(0.0, 8e6).unwrap();
    let warm_up =
        web_sys::File::new_with_blob_sequence(&js_sys::Array::of1(&warm_up), "warm-up.csv")
            .unwrap();
    ingest_files(&[warm_up], IngestOptions::default(), SLICE_BYTES, |_| {})
        .await
        .unwrap();
    for (what, options) in resample::configurations() {
        let before = linear_memory_bytes();
        let started = Instant::now();
        let (dataset, report) =
            ingest_files(std::slice::from_ref(&file), options, SLICE_BYTES, |_| {})
                .await
                .unwrap();
        let seconds = started.elapsed().as_secs_f64();
        let columnar = dataset.memory_bytes() as f64;
        console_log!(
            "browser ingest, {what}: {:.0} MB/s, {:.0} rows/s ({} rows read, {} kept, {:.2} s)",
            size / 1e6 / seconds,
            report.rows_read as f64 / seconds,
            report.rows_read,
            report.rows,
            seconds,
        );
        // Linear memory never shrinks, so only the first load's peak is its own.
        if options.keep_duplicates {
            console_log!(
                "  wasm memory {:.0} MB (was {:.0} MB) = {:.2} × the columnar size ({:.0} MB)",
                linear_memory_bytes() / 1e6,
                before / 1e6,
                linear_memory_bytes() / columnar,
                columnar / 1e6
            );
        }
    }
}

/// The improved benign sample and one attack sample, loaded as the page loads files.
async fn benign_and(name: &str, bytes: &[u8]) -> netsentry::data::dataset::Dataset {
    let file = |name: &str, bytes: &[u8]| {
        let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
        web_sys::File::new_with_u8_array_sequence(&parts, name).unwrap()
    };
    let files = [
        file(
            "BENIGN_2500.csv",
            include_bytes!("data/cicids2017/improved/BENIGN_2500.csv"),
        ),
        file(name, bytes),
    ];
    ingest_files(&files, IngestOptions::default(), SLICE_BYTES, |_| {})
        .await
        .unwrap()
        .0
}

/// Training and scoring throughput of the autoencoder in the browser, on the CPU backend (training
/// at batches 128, 256 and 1024, each with its ratio to batch 128 in the same run) and on WebGPU
/// (SwiftShader here, a software GPU, so its figure is a floor).
#[wasm_bindgen_test]
#[ignore = "a benchmark: run by `make bench`"]
async fn autoencoder_throughput() {
    use netsentry::device::backend::{self, BackendPreference};
    use netsentry::model::config::ModelKind;
    use netsentry::model::fit::FitOptions;
    use netsentry::model::fit::cross_fit::CrossFit;
    use netsentry::model::fit::folds::Folds;
    use netsentry::model::network::train::Trainer;
    use netsentry::model::score::{ScoreOptions, score};

    let dataset = benign_and(
        "DDoS_2500.csv",
        include_bytes!("data/cicids2017/improved/DDoS_2500.csv"),
    )
    .await;
    // Rows timed per batch size: 200 batches of 128 on the CPU, 5 on the software GPU.
    for (preference, sizes, rows_timed) in [
        (BackendPreference::Cpu, &[128, 256, 1024][..], 25_600),
        (BackendPreference::Gpu, &[128][..], 640),
    ] {
        let selected = backend::select(preference).await;
        let label = selected.info.label();
        let mut baseline = None;
        let mut trained = None;
        for &batch in sizes {
            let mut options = FitOptions::default();
            // The autoencoder alone: the default ensemble scores with kNN and PCA as well.
            options.model.kind = ModelKind::Autoencoder;
            options.train.epochs = 100;
            options.train.batch_size = batch;
            // One run on every benign flow: a cross-fit's runs each train like this.
            let folds = Folds::of(&dataset, &options).unwrap();
            let mut trainer = Trainer::new(
                &selected.device,
                options.model.clone(),
                options.train.clone(),
                folds.width,
                folds.all().to_vec(),
                folds.part(0, true),
            )
            .unwrap();
            // The first batch compiles kernels (WebGPU) and warms the JIT: not timed.
            let warmed = trainer.step(1).await.unwrap().rows;
            let batches = rows_timed / batch;
            let started = Instant::now();
            let rows = trainer.step(batches).await.unwrap().rows - warmed;
            let training = rows as f64 / started.elapsed().as_secs_f64();
            let ratio = training / *baseline.get_or_insert(training);
            console_log!(
                "{label}: autoencoder training {training:.0} rows/s at batch {batch} ({ratio:.2}× batch {}; {batches} batches)",
                sizes[0]
            );
            if trained.is_none() {
                // Scoring takes as long whatever the weights: a cross-fit stopped at once.
                let mut run = CrossFit::start(&selected.device, &dataset, &options).unwrap();
                run.stop();
                trained = Some(run.finish(&dataset, &selected.device).await.unwrap().model);
            }
        }
        let model = trained.unwrap();
        let rows: Vec<u32> = (0..dataset.rows() as u32).collect();
        let matrix = model.meta.scaler.transform(&dataset, &rows).unwrap();
        let started = Instant::now();
        score(
            &model.detector,
            &selected.device,
            &matrix,
            &model.meta.error_weights,
            ScoreOptions::default(),
        )
        .await
        .unwrap();
        let scoring = dataset.rows() as f64 / started.elapsed().as_secs_f64();
        console_log!(
            "{label}: autoencoder scoring {scoring:.0} rows/s ({} rows)",
            dataset.rows()
        );
    }
}

/// Environment steps and gradient updates per second of each agent in the browser, on the CPU
/// backend, over the improved samples as a briefly trained autoencoder sees them.
#[wasm_bindgen_test]
#[ignore = "a benchmark: run by `make bench`"]
async fn agent_throughput() {
    use netsentry::device::backend::{self, BackendPreference};
    use netsentry::model::fit::FitOptions;
    use netsentry::model::fit::cross_fit::CrossFit;
    use netsentry::rl::agent::AgentTrainer;
    use netsentry::rl::env::{Action, DetectionEnv, RewardMatrix};
    use netsentry::rl::observe;
    use netsentry::rl::plan::{Algorithm, Settings};

    let dataset = benign_and(
        "Portscan_2500.csv",
        include_bytes!("data/cicids2017/improved/Portscan_2500.csv"),
    )
    .await;
    let device = backend::select(BackendPreference::Cpu).await.device;
    let mut options = FitOptions::default();
    options.train.epochs = 2;
    let mut run = CrossFit::start(&device, &dataset, &options).unwrap();
    while !run.is_done() {
        run.step(10_000).await.unwrap();
    }
    let model = run.finish(&dataset, &device).await.unwrap().model;
    let rows: Vec<u32> = (0..dataset.rows() as u32).collect();
    let pool = observe::pool(&model, &device, &dataset, &rows)
        .await
        .unwrap();

    let mut env = DetectionEnv::new(&pool, RewardMatrix::default(), 256, false);
    env.reset(Some(1));
    let steps = 200_000;
    let started = Instant::now();
    let mut dealt = 0;
    while dealt < steps {
        let hand = env.deal(256);
        std::hint::black_box(env.observations(&hand.rows));
        for (index, &row) in hand.rows.iter().enumerate() {
            env.decide(row, Action::ALL[index % 2]);
        }
        dealt += hand.rows.len();
    }
    console_log!(
        "environment alone: {:.0} steps/s",
        steps as f64 / started.elapsed().as_secs_f64()
    );
    let episodes = 5;
    for algorithm in [Algorithm::Dqn, Algorithm::Ppo, Algorithm::A2c] {
        let settings = Settings::default();
        let env = DetectionEnv::new(
            &pool,
            RewardMatrix::default(),
            settings.episode_length,
            settings.balanced,
        );
        let mut agent = AgentTrainer::new(algorithm, env, settings, episodes, &device);
        let started = Instant::now();
        let mut updates = 0;
        for _ in 0..episodes {
            updates += agent.episode().await.unwrap().updates;
        }
        let seconds = started.elapsed().as_secs_f64();
        console_log!(
            "{} on the CPU backend: {:.0} environment steps/s, {:.0} updates/s ({episodes} episodes of {})",
            algorithm.name(),
            (episodes * settings.episode_length) as f64 / seconds,
            updates as f64 / seconds,
            settings.episode_length
        );
    }
}
