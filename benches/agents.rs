//! Agent benchmark: environment steps per second alone, then each algorithm's training speed
//! (environment steps and gradient updates per second) on the CPU backend, on the real improved
//! samples as the default autoencoder sees them. Run with `make bench` (or
//! `cargo bench --bench agents`); the browser's figures come from `tests/browser_bench.rs`.

#[path = "support/allocator.rs"]
mod allocator;

use std::time::Instant;

use burn::prelude::Device;
use netsentry::model::fit::FitOptions;
use netsentry::model::fit::cross_fit::CrossFit;
use netsentry::rl::agent::AgentTrainer;
use netsentry::rl::env::{Action, DetectionEnv, RewardMatrix};
use netsentry::rl::observe;
use netsentry::rl::plan::{Algorithm, Settings};

/// Episodes timed per algorithm.
const EPISODES: usize = 20;

#[path = "support/improved.rs"]
mod improved;

fn main() {
    let dataset = improved::load();
    let device = Device::flex();
    let mut options = FitOptions::default();
    options.train.epochs = 5;
    let mut run = CrossFit::start(&device, &dataset, &options).expect("trains");
    while !run.is_done() {
        pollster::block_on(run.step(64)).expect("trains");
    }
    let model = pollster::block_on(run.finish(&dataset, &device))
        .expect("finishes")
        .model;
    let rows: Vec<u32> = (0..dataset.rows() as u32).collect();
    let pool = pollster::block_on(observe::pool(&model, &device, &dataset, &rows)).expect("pool");
    println!(
        "{} flows, observations of {} values, CPU backend (flex)",
        pool.len(),
        pool.width
    );

    let mut env = DetectionEnv::new(&pool, RewardMatrix::default(), 256, false);
    env.reset(Some(1));
    let steps = 1_000_000;
    let started = Instant::now();
    let mut reward = 0.0;
    let mut dealt = 0;
    while dealt < steps {
        let hand = env.deal(256);
        std::hint::black_box(env.observations(&hand.rows));
        for (index, &row) in hand.rows.iter().enumerate() {
            reward += env.decide(row, Action::ALL[index % 2]).reward;
        }
        dealt += hand.rows.len();
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "environment alone: {:.0} steps/s (total reward {reward})",
        steps as f64 / seconds
    );

    for algorithm in [Algorithm::Dqn, Algorithm::Ppo, Algorithm::A2c] {
        let settings = Settings::default();
        let env = DetectionEnv::new(
            &pool,
            RewardMatrix::default(),
            settings.episode_length,
            settings.balanced,
        );
        let mut agent = AgentTrainer::new(algorithm, env, settings, EPISODES, &device);
        let started = Instant::now();
        let mut updates = 0;
        for _ in 0..EPISODES {
            let report = pollster::block_on(agent.episode()).expect("trains");
            updates += report.updates;
        }
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{}: {:.0} environment steps/s and {:.0} updates/s while training ({} episodes of {}, {} updates)",
            algorithm.name(),
            (EPISODES * settings.episode_length) as f64 / seconds,
            updates as f64 / seconds,
            EPISODES,
            settings.episode_length,
            updates
        );
    }
}
