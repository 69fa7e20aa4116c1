//! Large-capture benchmark: a day of benign traffic (300,000 flows by default, resampled with
//! replacement, seeded, from the 4,981 real improved CIC-IDS 2017 benign flows in `tests/data/`)
//! cross-fitted by every detector, then 1,000,000 flows (the same benign flows and the three attack
//! files, resampled) scored in slices of 65,536, natively on the CPU backend. Prints per detector
//! the fitting time and rows/s, the scoring flows/s, the model file's size and the process's peak
//! memory. Each detector runs in a child process of its own, so each peak is its own.
//!
//! A resampled day repeats each real flow about 60 times, which a real day does not: each value
//! of each drawn flow is multiplied by a seeded factor within ±5 % (`NETSENTRY_CAPTURE_JITTER`,
//! 0 for exact repeats), so no two flows of the day are alike, as kNN's reference cover meets
//! them in a real capture.
//!
//! Run with `make bench` (or `cargo bench --bench capture`); `NETSENTRY_CAPTURE_FLOWS`,
//! `NETSENTRY_SCORE_FLOWS` and `NETSENTRY_CAPTURE_MODELS` (e.g. `knn,pca`) change the sizes and
//! the detectors.

#[path = "support/allocator.rs"]
mod allocator;

use std::process::Command;
use std::time::Instant;

use burn::prelude::Device;
use netsentry::data::dataset::Dataset;
use netsentry::model::config::{ModelConfig, ModelKind};
use netsentry::model::fit::cross_fit::CrossFit;
use netsentry::model::fit::{self, FitOptions, Fitted};
use netsentry::model::saved::SavedModel;
use netsentry::model::score::{ScoreOptions, score};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

#[path = "support/improved.rs"]
mod improved;

/// Flows scored at once: bounds the scaled matrix whatever the number of flows.
const SLICE: usize = 65_536;

/// The environment variable that makes a child process run one detector.
const ONE: &str = "NETSENTRY_CAPTURE_ONE";

fn main() {
    if let Ok(kind) = std::env::var(ONE) {
        run_one(&kind);
        return;
    }
    let kinds = std::env::var("NETSENTRY_CAPTURE_MODELS")
        .unwrap_or_else(|_| "iforest,hbos,pca,knn,ae,vae,ensemble".to_owned());
    println!(
        "{} benign flows fitted, {} flows scored, CPU backend (flex)",
        flows("NETSENTRY_CAPTURE_FLOWS", 300_000),
        flows("NETSENTRY_SCORE_FLOWS", 1_000_000)
    );
    let bench = std::env::current_exe().expect("the bench binary");
    for kind in kinds.split(',') {
        // Only the child's own output: cargo's bench harness flags are not passed on.
        let status = Command::new(&bench)
            .env(ONE, kind)
            .status()
            .expect("the child runs");
        assert!(status.success(), "{kind} failed");
    }
}

fn flows(variable: &str, default: usize) -> usize {
    std::env::var(variable)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// The improved benign flows of both shared files and the three attack files.
fn real_flows() -> Dataset {
    improved::load_files(&[
        "BENIGN_2500.csv",
        "BENIGN_more_2484.csv",
        "DDoS_2500.csv",
        "DoS_Hulk_2500.csv",
        "Portscan_2500.csv",
    ])
}

/// Each value of `day` multiplied by a seeded factor within `1 ± jitter`.
fn jittered(mut day: Dataset, jitter: f32, seed: u64) -> Dataset {
    let mut rng = StdRng::seed_from_u64(seed);
    for column in &mut day.columns {
        for value in column {
            *value *= 1.0 + jitter * rng.random_range(-1.0f32..=1.0);
        }
    }
    day
}

/// `count` rows drawn with replacement (seeded) from `rows`.
fn draw(rows: &[u32], count: usize, seed: u64) -> Vec<u32> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count)
        .map(|_| rows[rng.random_range(0..rows.len())])
        .collect()
}

fn run_one(name: &str) {
    let kind = ModelKind::ALL
        .into_iter()
        .find(|kind| kind.short_name() == name)
        .unwrap_or_else(|| panic!("no detector called {name}"));
    let real = real_flows();
    let attack = real.attack_mask();
    let benign: Vec<u32> = (0..real.rows() as u32)
        .filter(|&row| !attack[row as usize])
        .collect();
    let jitter = std::env::var("NETSENTRY_CAPTURE_JITTER")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(0.05);
    let day = jittered(
        real.select(&draw(&benign, flows("NETSENTRY_CAPTURE_FLOWS", 300_000), 1)),
        jitter,
        3,
    );
    let device = Device::flex();
    let options = FitOptions {
        model: ModelConfig {
            kind,
            ..ModelConfig::default()
        },
        ..FitOptions::default()
    };
    let started = Instant::now();
    let model = fit(&day, &options, &device);
    let fitting = started.elapsed().as_secs_f64();
    let bytes = pollster::block_on(model.to_bytes()).expect("the model writes");

    let every: Vec<u32> = (0..real.rows() as u32).collect();
    let scored_rows = draw(&every, flows("NETSENTRY_SCORE_FLOWS", 1_000_000), 2);
    let started = Instant::now();
    let mut flagged = 0usize;
    for slice in scored_rows.chunks(SLICE) {
        let part = real.select(slice);
        let rows: Vec<u32> = (0..part.rows() as u32).collect();
        let matrix = model
            .meta
            .scaler
            .transform(&part, &rows)
            .expect("same features");
        let scored = pollster::block_on(score(
            &model.detector,
            &device,
            &matrix,
            &model.meta.error_weights,
            ScoreOptions::default(),
        ))
        .expect("scores");
        flagged += scored
            .scores
            .iter()
            .filter(|&&score| score >= model.meta.threshold)
            .count();
    }
    let scoring = started.elapsed().as_secs_f64();
    println!(
        "{} (day jittered ±{:.0} %): fitted {} flows in {fitting:.1} s ({:.0} flows/s, {} fold models and the final one); scored {} flows in {scoring:.1} s ({:.0} flows/s, {:.1} % flagged); model file {:.1} MB; peak memory {}",
        kind.short_name(),
        100.0 * jitter,
        day.rows(),
        day.rows() as f64 / fitting,
        model.folds.len(),
        scored_rows.len(),
        scored_rows.len() as f64 / scoring,
        100.0 * flagged as f64 / scored_rows.len() as f64,
        bytes.len() as f64 / 1e6,
        peak_memory(),
    );
    if let Some(reduction) = model.detector.knn().and_then(|knn| knn.reduction()) {
        println!("  {reduction}");
    }
}

/// The detector `options` describe, fitted as `netsentry train` fits it.
fn fit(day: &Dataset, options: &FitOptions, device: &Device) -> SavedModel {
    let fitted = if options.model.kind.network().is_some() {
        let mut run = CrossFit::start(device, day, options).expect("trains");
        while !run.is_done() {
            pollster::block_on(run.step(64)).expect("trains");
        }
        pollster::block_on(run.finish(day, device))
    } else {
        pollster::block_on(fit::fit_classic(device, day, options))
    };
    let Fitted { model, .. } = fitted.expect("fits");
    model
}

/// The process's peak resident memory, from `/proc/self/status` (Linux).
fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .map(|line| line["VmHWM:".len()..].trim().to_owned())
        })
        .unwrap_or_else(|| "unknown (no /proc)".to_owned())
}
