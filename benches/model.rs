//! Model benchmark: training and scoring throughput (rows/s) of the autoencoder and the VAE on
//! the CPU backend, on the real improved samples in `tests/data/`. Run with `make bench` (or
//! `cargo bench --bench model`); the browser's figures come from `tests/browser_bench.rs`.

use std::time::Instant;

use burn::prelude::Device;
use netsentry::model::config::{ModelConfig, ModelKind};
use netsentry::model::fit::{self, FitOptions};
use netsentry::model::score::{ScoreOptions, score};
use netsentry::model::train::TrainConfig;

/// Epochs timed per model.
const EPOCHS: usize = 5;
/// Times the whole sample is scored, for a stable figure.
const SCORE_REPEATS: usize = 20;

#[path = "support/improved.rs"]
mod improved;

fn main() {
    let dataset = improved::load();
    let device = Device::flex();
    println!(
        "{} flows, {} features, CPU backend (flex)",
        dataset.rows(),
        dataset.features.len()
    );
    for kind in [ModelKind::Autoencoder, ModelKind::Vae] {
        let options = FitOptions {
            model: ModelConfig {
                kind,
                ..ModelConfig::default()
            },
            train: TrainConfig {
                epochs: EPOCHS,
                patience: EPOCHS,
                ..TrainConfig::default()
            },
            ..FitOptions::default()
        };
        let (plan, mut trainer) = fit::start(&device, &dataset, &options).expect("trains");
        let progress = loop {
            let progress = pollster::block_on(trainer.step(64)).expect("trains");
            if progress.finished.is_some() {
                break progress;
            }
        };
        let (model, _) =
            pollster::block_on(fit::finish(&plan, &trainer, &dataset, &options, &device))
                .expect("finishes");
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
        let started = Instant::now();
        let scored = pollster::block_on(score(
            &model.detector,
            &device,
            &repeated,
            &model.meta.error_weights,
            ScoreOptions::default(),
        ))
        .expect("scores");
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{}: training {:.0} rows/s (batch {}, {} epochs of {} flows); scoring {:.0} rows/s ({} rows)",
            kind.short_name(),
            progress.rows_per_second,
            options.train.batch_size,
            EPOCHS,
            plan.train_rows,
            scored.scores.len() as f64 / seconds,
            scored.scores.len()
        );
    }
}
