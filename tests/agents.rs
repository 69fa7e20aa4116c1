//! The agents on a trivially separable toy pool (each must learn it) and on the real samples
//! through the autoencoder (the honest comparison runs and reports every detector).
#![cfg(not(target_arch = "wasm32"))]

use std::sync::Mutex;

use burn::prelude::Device;
use netsentry::data::label::Family;
use netsentry::rl::actor_critic::Settings;
use netsentry::rl::agent::{AgentTrainer, Algorithm};
use netsentry::rl::dqn::{DqnConfig, DqnTrainer, greedy};
use netsentry::rl::env::{FlowPool, RewardMatrix};
use pollster::block_on;

/// The CPU backend has one seeded random generator per process: seeded runs take turns.
static CPU_RNG: Mutex<()> = Mutex::new(());

/// 400 flows with two observation values; attacks (one in five) have a positive first value.
fn toy_pool(seed: u64) -> FlowPool {
    let mut observations = Vec::new();
    let mut attack = Vec::new();
    for row in 0..400u64 {
        let is_attack = row % 5 == 0;
        let spread = ((row * 7919 + seed) % 100) as f32 / 100.0;
        observations.push(if is_attack {
            0.5 + spread
        } else {
            -0.5 - spread
        });
        observations.push(spread - 0.5);
        attack.push(is_attack);
    }
    FlowPool {
        observations,
        width: 2,
        families: attack
            .iter()
            .map(|&is_attack| {
                if is_attack {
                    Family::PortScan
                } else {
                    Family::Benign
                }
            })
            .collect(),
        attack,
    }
}

fn accuracy(flags: &[usize], pool: &FlowPool) -> f64 {
    let right = flags
        .iter()
        .zip(&pool.attack)
        .filter(|&(&flag, &is_attack)| (flag == 1) == is_attack)
        .count();
    right as f64 / pool.len() as f64
}

#[test]
fn dqn_learns_a_separable_task_reproducibly() {
    let _turn = CPU_RNG.lock().unwrap_or_else(|poison| poison.into_inner());
    let train = toy_pool(1);
    let test = toy_pool(2);
    let device = Device::flex();
    let run = || {
        let config = DqnConfig {
            episode_length: 100,
            learning_starts: 100,
            ..DqnConfig::default()
        };
        let mut trainer = DqnTrainer::new(&train, RewardMatrix::default(), config, 30, &device);
        let history: Vec<_> = (0..30)
            .map(|_| block_on(trainer.episode()).unwrap())
            .collect();
        let flags = block_on(greedy(&trainer.policy(), &device, &test.observations, 2)).unwrap();
        (history, flags)
    };
    let (history, flags) = run();
    assert!(
        accuracy(&flags, &test) > 0.97,
        "accuracy {}",
        accuracy(&flags, &test)
    );
    // Exploration decays and rewards rise.
    assert!(history[0].epsilon.unwrap() > history[29].epsilon.unwrap());
    assert!(history[29].reward > history[0].reward, "{history:?}");
    let (again, _) = run();
    assert_eq!(
        history
            .iter()
            .map(|report| report.reward)
            .collect::<Vec<_>>(),
        again.iter().map(|report| report.reward).collect::<Vec<_>>()
    );
}

#[test]
fn ppo_and_a2c_learn_a_separable_task_reproducibly() {
    let _turn = CPU_RNG.lock().unwrap_or_else(|poison| poison.into_inner());
    let train = toy_pool(1);
    let test = toy_pool(2);
    let device = Device::flex();
    for algorithm in [Algorithm::Ppo, Algorithm::A2c] {
        let run = || {
            let settings = Settings {
                episode_length: 100,
                ..Settings::default()
            };
            let episodes = 60;
            let mut trainer = AgentTrainer::new(
                algorithm,
                &train,
                RewardMatrix::default(),
                settings,
                episodes,
                &device,
            );
            let history: Vec<_> = (0..episodes)
                .map(|_| block_on(trainer.episode()).unwrap())
                .collect();
            let flags = block_on(trainer.flags(&test, &device)).unwrap();
            (history, flags)
        };
        let (history, flags) = run();
        let flags: Vec<usize> = flags.into_iter().map(usize::from).collect();
        assert!(
            accuracy(&flags, &test) > 0.97,
            "{algorithm:?}: accuracy {}",
            accuracy(&flags, &test)
        );
        assert!(history[0].entropy.unwrap() > history.last().unwrap().entropy.unwrap());
        let (again, _) = run();
        assert_eq!(
            history
                .iter()
                .map(|report| report.reward)
                .collect::<Vec<_>>(),
            again.iter().map(|report| report.reward).collect::<Vec<_>>(),
            "{algorithm:?} is not reproducible"
        );
    }
}
