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

#[test]
fn agent_files_round_trip_with_their_model() {
    use netsentry::data::ingest::{IngestOptions, ingest_paths};
    use netsentry::model::fit::{self, FitOptions};
    use netsentry::model::saved::{ModelFileError, SavedModel};
    use netsentry::rl::observe;
    use netsentry::rl::saved::{AGENT_FORMAT_VERSION, AgentMeta, SavedAgent};

    let _turn = CPU_RNG.lock().unwrap_or_else(|poison| poison.into_inner());
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cicids2017/improved");
    let (dataset, _) = ingest_paths(
        &[dir.join("BENIGN_2500.csv"), dir.join("Portscan_2500.csv")],
        IngestOptions::default(),
    )
    .unwrap();
    let device = Device::flex();
    let mut options = FitOptions::default();
    options.train.epochs = 2;
    let (plan, mut trainer) = fit::start(&device, &dataset, &options).unwrap();
    while block_on(trainer.step(50)).unwrap().finished.is_none() {}
    let rows: Vec<u32> = (0..dataset.rows() as u32).collect();
    for algorithm in [Algorithm::Dqn, Algorithm::Ppo] {
        let (model, _) =
            block_on(fit::finish(&plan, &trainer, &dataset, &options, &device)).unwrap();
        let pool = block_on(observe::pool(&model, &device, &dataset, &rows)).unwrap();
        let settings = Settings {
            episode_length: 64,
            ..Settings::default()
        };
        let mut agent = AgentTrainer::new(
            algorithm,
            &pool,
            RewardMatrix::default(),
            settings,
            3,
            &device,
        );
        for _ in 0..3 {
            block_on(agent.episode()).unwrap();
        }
        let flags = block_on(agent.flags(&pool, &device)).unwrap();
        let meta = AgentMeta {
            format_version: AGENT_FORMAT_VERSION,
            algorithm,
            settings,
            rewards: RewardMatrix::default(),
            observation_width: pool.width,
            episodes: 3,
        };
        let model_bytes = block_on(model.to_bytes()).unwrap();
        let saved = SavedAgent::new(&agent, meta.clone(), model);
        let bytes = block_on(saved.to_bytes()).unwrap();
        let loaded = SavedAgent::from_bytes(&bytes, &device).unwrap();
        assert_eq!(loaded.meta, meta);
        // The loaded model rebuilds the same observations, and the policy decides the same.
        let again = block_on(observe::pool(&loaded.model, &device, &dataset, &rows)).unwrap();
        assert_eq!(again, pool);
        assert_eq!(
            block_on(loaded.policy.flags(&again, &device)).unwrap(),
            flags
        );
        // The agent file opens as its model; a model file is not an agent.
        assert_eq!(
            SavedModel::from_bytes(&bytes, &device).unwrap().meta,
            saved.model.meta
        );
        let error = SavedAgent::from_bytes(&model_bytes, &device).unwrap_err();
        assert_eq!(error, ModelFileError::NoAgent);
        assert!(error.to_string().contains("without an agent"), "{error}");
    }
}
