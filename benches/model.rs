//! Model benchmark: training and scoring throughput (rows/s) of the autoencoder and the VAE on
//! the CPU backend, on the real improved samples in `tests/data/`; the autoencoder's training at
//! batches 128, 256 and 1024 with each one's ratio to batch 128, measured in the same run. Each
//! figure is the median of several runs, printed with their range: one run lasts well under a
//! second, and single runs of one build vary by up to 1.5× on the 2-core development machine. Run
//! with `make bench` (or `cargo bench --bench model`); the browser's figures come from
//! `tests/browser_bench.rs`. `NETSENTRY_BENCH_BACKEND=gpu` times the wgpu adapter instead (Vulkan,
//! Metal or GL natively), and building with `--features fusion` turns on burn's kernel fusion
//! there, so the two builds' figures are the ratio fusion buys on that adapter.
//!
//! When TensorFlow is installed (`pip install tensorflow-cpu`), Keras runs first on the same
//! machine, rows and shapes (`benches/keras_peer.py`, Keras at its best: rows tiled to 200,000
//! for one long epoch), and the autoencoder's figures are followed by NetSentry's ratio to each;
//! `NETSENTRY_BENCH_KERAS=0` skips it. `NETSENTRY_BENCH_ACTIVATION=relu|gelu|tanh` times the
//! networks with another non-linearity (the default is the model's, tanh).

#[path = "support/allocator.rs"]
mod allocator;

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use netsentry::data::prepare::Scaler;
use netsentry::device::backend::{self, BackendPreference};
use netsentry::model::config::{Activation, ModelConfig, ModelKind};
use netsentry::model::fit::FitOptions;
use netsentry::model::fit::cross_fit::CrossFit;
use netsentry::model::network::train::TrainConfig;
use netsentry::model::score::{ScoreOptions, score};

/// Epochs timed per model at batch 128; larger batches train proportionally more epochs, so each
/// batch size is timed over the same number of rows.
const EPOCHS: usize = 5;
/// Batch sizes the autoencoder's training is timed at (the VAE's at the first).
const BATCHES: [usize; 3] = [128, 256, 1024];
/// Times the whole sample is scored in one run, for a stable figure.
const SCORE_REPEATS: usize = 20;
/// Runs behind each figure (their median is printed).
const RUNS: usize = 7;

/// The median of `figures` and their range, formatted: "123 rows/s (median of 7, 100–150)".
fn median_of(mut figures: Vec<f64>) -> (f64, String) {
    figures.sort_by(f64::total_cmp);
    let median = figures[figures.len() / 2];
    let text = format!(
        "{median:.0} rows/s (median of {}, {:.0}–{:.0})",
        figures.len(),
        figures[0],
        figures[figures.len() - 1]
    );
    (median, text)
}

#[path = "support/improved.rs"]
mod improved;

/// The non-linearity named by `NETSENTRY_BENCH_ACTIVATION` (the model's default when unset).
fn activation() -> Activation {
    match std::env::var("NETSENTRY_BENCH_ACTIVATION").as_deref() {
        Err(_) => Activation::default(),
        Ok("tanh") => Activation::Tanh,
        Ok("relu") => Activation::Relu,
        Ok("gelu") => Activation::Gelu,
        Ok(other) => panic!("NETSENTRY_BENCH_ACTIVATION is {other:?}: use tanh, relu or gelu"),
    }
}

/// The backend named by `NETSENTRY_BENCH_BACKEND` (`cpu`, the default, or `gpu`).
fn preference() -> BackendPreference {
    match std::env::var("NETSENTRY_BENCH_BACKEND").as_deref() {
        Err(_) | Ok("cpu") => BackendPreference::Cpu,
        Ok("gpu") => BackendPreference::Gpu,
        Ok(other) => panic!("NETSENTRY_BENCH_BACKEND is {other:?}: use cpu or gpu"),
    }
}

fn main() {
    let dataset = improved::load();
    let selected = pollster::block_on(backend::select(preference()));
    let device = selected.device;
    println!(
        "{} flows, {} features, {}{}",
        dataset.rows(),
        dataset.features.len(),
        selected.info.label(),
        if cfg!(feature = "fusion") {
            ", burn's kernel fusion on"
        } else {
            ""
        }
    );
    let keras = keras_peer(&dataset);
    for kind in [ModelKind::Autoencoder, ModelKind::Vae] {
        let batches = if kind == ModelKind::Autoencoder {
            &BATCHES[..]
        } else {
            &BATCHES[..1]
        };
        let mut baseline = None;
        let mut trained = None;
        let mut training = Vec::new();
        for &batch in batches {
            let epochs = EPOCHS * batch / BATCHES[0];
            let options = FitOptions {
                model: ModelConfig {
                    kind,
                    activation: activation(),
                    ..ModelConfig::default()
                },
                train: TrainConfig {
                    epochs,
                    patience: epochs,
                    batch_size: batch,
                    ..TrainConfig::default()
                },
                ..FitOptions::default()
            };
            let mut paces = Vec::with_capacity(RUNS);
            let run = loop {
                let mut run = CrossFit::start(&device, &dataset, &options).expect("trains");
                while !run.is_done() {
                    pollster::block_on(run.step(64)).expect("trains");
                }
                paces.push(run.progress().rows_per_second);
                if paces.len() == RUNS {
                    break run;
                }
            };
            let (pace, text) = median_of(paces);
            training.push((batch, pace));
            let ratio = pace / *baseline.get_or_insert(pace);
            println!(
                "{}: training {text} at batch {batch} ({ratio:.2}× batch {}; {epochs} epochs of {} flows)",
                kind.short_name(),
                BATCHES[0],
                run.folds().rows(),
            );
            if trained.is_none() {
                trained = Some(
                    pollster::block_on(run.finish(&dataset, &device))
                        .expect("finishes")
                        .model,
                );
            }
        }
        let model = trained.expect("one batch size was trained");
        let rows: Vec<u32> = (0..dataset.rows() as u32).collect();
        let matrix = model
            .meta
            .scaler
            .transform(&dataset, &rows)
            .expect("same features");
        let repeated: Vec<f32> = matrix
            .iter()
            .copied()
            .cycle()
            .take(matrix.len() * SCORE_REPEATS)
            .collect();
        let rates = (0..RUNS)
            .map(|_| {
                let started = Instant::now();
                let scored = pollster::block_on(score(
                    &model.detector,
                    &device,
                    &repeated,
                    &model.meta.error_weights,
                    ScoreOptions::default(),
                ))
                .expect("scores");
                scored.scores.len() as f64 / started.elapsed().as_secs_f64()
            })
            .collect();
        let (scoring, text) = median_of(rates);
        println!(
            "{}: scoring {text} ({} rows a run)",
            kind.short_name(),
            dataset.rows() * SCORE_REPEATS
        );
        if let (ModelKind::Autoencoder, Some(keras)) = (kind, &keras) {
            against_keras(keras, dataset.features.len(), &training, scoring);
        }
    }
}

/// Runs the Keras peer, when TensorFlow is installed, on the dataset's rows standardised as the
/// model standardises them, at the autoencoder's batch sizes; its figures as JSON.
fn keras_peer(dataset: &netsentry::data::dataset::Dataset) -> Option<serde_json::Value> {
    if std::env::var("NETSENTRY_BENCH_KERAS").as_deref() == Ok("0") {
        return None;
    }
    let has_tensorflow = Command::new("python3")
        .args(["-c", "import tensorflow"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !has_tensorflow {
        println!(
            "keras: TensorFlow is not installed (pip install tensorflow-cpu), no peer figures"
        );
        return None;
    }
    let rows: Vec<u32> = (0..dataset.rows() as u32).collect();
    let matrix = Scaler::fit(dataset, &rows, ModelConfig::default().scaler_clip())
        .transform(dataset, &rows)
        .expect("the scaler's own features");
    let file = std::env::temp_dir().join(format!("netsentry-keras-{}.f32", std::process::id()));
    let bytes: Vec<u8> = matrix
        .iter()
        .flat_map(|value| value.to_le_bytes())
        .collect();
    std::fs::write(&file, bytes).expect("the peer's rows are written");
    let batches: Vec<String> = BATCHES.iter().map(ToString::to_string).collect();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/keras_peer.py");
    let output = Command::new("python3")
        .arg(script)
        .arg(&file)
        .arg(dataset.features.len().to_string())
        .arg(batches.join(","))
        .arg(format!("{:?}", activation()).to_lowercase())
        .output()
        .expect("python3 runs");
    std::fs::remove_file(&file).ok();
    assert!(
        output.status.success(),
        "the Keras peer failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(serde_json::from_slice(&output.stdout).expect("the peer prints JSON"))
}

/// Prints Keras's figures beside NetSentry's `training` paces (batch, rows/s) and `scoring` rate.
fn against_keras(
    keras: &serde_json::Value,
    columns: usize,
    training: &[(usize, f64)],
    scoring: f64,
) {
    println!(
        "keras (TensorFlow {}, the same {columns}-64-32-8-32-64-{columns} {} autoencoder, {} rows tiled, run first):",
        keras["tensorflow"].as_str().unwrap_or("?"),
        format!("{:?}", activation()).to_lowercase(),
        keras["rows"]
    );
    for (batch, ours) in training {
        let theirs = keras["training"][batch.to_string()]
            .as_f64()
            .expect("a figure per batch");
        println!(
            "  training at batch {batch}: {theirs:.0} rows/s; NetSentry {ours:.0}, {:.2}× Keras",
            ours / theirs
        );
    }
    let theirs = keras["scoring"].as_f64().expect("a scoring figure");
    println!(
        "  scoring: {theirs:.0} rows/s; NetSentry {scoring:.0}, {:.2}× Keras",
        scoring / theirs
    );
}
