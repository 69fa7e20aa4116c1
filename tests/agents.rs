//! The agents on a trivially separable toy pool (each must learn it) and on the real samples
//! through the autoencoder (the honest comparison runs and reports every detector).
#![cfg(not(target_arch = "wasm32"))]

use std::sync::Mutex;

use burn::prelude::Device;
use netsentry::data::label::Family;
use netsentry::rl::a2c::{A2cConfig, A2cTrainer};
use netsentry::rl::agent::AgentTrainer;
use netsentry::rl::dqn::{DqnConfig, DqnTrainer};
use netsentry::rl::env::{DetectionEnv, FlowPool, RewardMatrix};
use netsentry::rl::network::AgentNetwork;
use netsentry::rl::plan::{Algorithm, Settings};
use netsentry::rl::ppo::{PpoConfig, PpoTrainer};
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
        scores: observations.iter().step_by(2).copied().collect(),
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
            settings: Settings {
                episode_length: 100,
                ..Settings::default()
            },
            learning_starts: 100,
            ..DqnConfig::default()
        };
        let env = DetectionEnv::new(&train, RewardMatrix::default(), 100, false);
        let mut trainer = DqnTrainer::new(env, config, 30, &device);
        let history: Vec<_> = (0..30)
            .map(|_| block_on(trainer.episode()).unwrap())
            .collect();
        let flags = block_on(trainer.policy().greedy(&device, &test.observations, 2)).unwrap();
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
fn a_dqn_loss_that_is_not_finite_stops_it_with_the_weights_the_episode_started_from() {
    let _turn = CPU_RNG.lock().unwrap_or_else(|poison| poison.into_inner());
    let train = toy_pool(1);
    let device = Device::flex();
    let config = DqnConfig {
        settings: Settings {
            episode_length: 100,
            ..Settings::default()
        },
        learning_starts: 10,
        learning_rate: 1e30,
        ..DqnConfig::default()
    };
    let env = DetectionEnv::new(&train, RewardMatrix::default(), 100, false);
    let mut trainer = DqnTrainer::new(env, config, 30, &device);
    // The losses are read once an episode, so the NaN is found at an episode's end.
    let error = (0..30)
        .find_map(|_| block_on(trainer.episode()).err())
        .expect("a learning rate of 1e30 diverges within 30 episodes");
    assert!(error.to_string().contains("NaN or infinite"), "{error}");
    assert_finite_weights(&trainer.policy());
}

/// Fails unless every weight of `policy` is a finite number.
fn assert_finite_weights(policy: &AgentNetwork) {
    let weights = block_on(policy.weights()).unwrap();
    assert!(
        weights
            .tensors
            .iter()
            .all(|tensor| tensor.values.iter().all(|value| value.is_finite()))
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
            let env = DetectionEnv::new(&train, RewardMatrix::default(), 100, false);
            let mut trainer = AgentTrainer::new(algorithm, env, settings, episodes, &device);
            let history: Vec<_> = (0..episodes)
                .map(|_| block_on(trainer.episode()).unwrap())
                .collect();
            let flags = block_on(trainer.policy().flags(&test, &device)).unwrap();
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
fn an_episode_reads_the_device_once_per_hand_and_once_for_its_losses() {
    let _turn = CPU_RNG.lock().unwrap_or_else(|poison| poison.into_inner());
    let train = toy_pool(1);
    let device = Device::flex();
    // Episodes of 256 flows. DQN decides hands of 64 (4 reads) and learns from its 500th step
    // on, so its first episode reads no loss; PPO decides the whole episode at once, A2C each
    // rollout of 32 flows (8 reads); each reads its losses once.
    for (algorithm, expected) in [
        (Algorithm::Dqn, [4, 5, 5]),
        (Algorithm::Ppo, [2, 2, 2]),
        (Algorithm::A2c, [9, 9, 9]),
    ] {
        let settings = Settings::default();
        let env = DetectionEnv::new(&train, RewardMatrix::default(), 256, false);
        let mut trainer = AgentTrainer::new(algorithm, env, settings, 3, &device);
        let reads: Vec<usize> = (0..3)
            .map(|_| block_on(trainer.episode()).unwrap().device_reads)
            .collect();
        assert_eq!(reads, expected, "{algorithm:?}");
    }
}

#[test]
fn a_ppo_or_a2c_loss_that_is_not_finite_stops_it_with_the_weights_the_episode_started_from() {
    let _turn = CPU_RNG.lock().unwrap_or_else(|poison| poison.into_inner());
    let train = toy_pool(1);
    let device = Device::flex();
    let settings = Settings {
        episode_length: 100,
        ..Settings::default()
    };
    let trainers: [AgentTrainer; 2] = [
        AgentTrainer::Ppo(PpoTrainer::new(
            DetectionEnv::new(&train, RewardMatrix::default(), 100, false),
            PpoConfig {
                settings,
                learning_rate: 1e30,
                ..PpoConfig::default()
            },
            &device,
        )),
        AgentTrainer::A2c(A2cTrainer::new(
            DetectionEnv::new(&train, RewardMatrix::default(), 100, false),
            A2cConfig {
                settings,
                learning_rate: 1e30,
                ..A2cConfig::default()
            },
            &device,
        )),
    ];
    for mut trainer in trainers {
        let error = (0..30)
            .find_map(|_| block_on(trainer.episode()).err())
            .expect("a learning rate of 1e30 diverges within 30 episodes");
        assert!(error.to_string().contains("NaN or infinite"), "{error}");
        assert_finite_weights(&trainer.policy());
    }
}

/// The improved BENIGN flows and `attacks`, with an autoencoder trained for two epochs on them.
fn trained_model(
    attacks: &[&str],
) -> (
    netsentry::data::dataset::Dataset,
    netsentry::model::saved::SavedModel,
) {
    use netsentry::data::ingest::{IngestOptions, ingest_paths};
    use netsentry::model::fit::cross_fit::CrossFit;
    use netsentry::model::fit::{FitOptions, Fitted};

    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cicids2017/improved");
    let files: Vec<_> = std::iter::once("BENIGN_2500.csv")
        .chain(attacks.iter().copied())
        .map(|name| dir.join(name))
        .collect();
    let (dataset, _) = ingest_paths(&files, IngestOptions::default()).unwrap();
    let device = Device::flex();
    let mut options = FitOptions::default();
    options.train.epochs = 2;
    let mut run = CrossFit::start(&device, &dataset, &options).unwrap();
    while !run.is_done() {
        block_on(run.step(50)).unwrap();
    }
    let Fitted { model, .. } = block_on(run.finish(&dataset, &device)).unwrap();
    (dataset, model)
}

#[test]
fn agent_files_round_trip_with_their_model() {
    use netsentry::model::saved::{ModelFileError, SavedModel};
    use netsentry::rl::observe;
    use netsentry::rl::plan::AgentPlan;
    use netsentry::rl::run::{AgentPools, AgentRun};
    use netsentry::rl::saved::SavedAgent;

    let _turn = CPU_RNG.lock().unwrap_or_else(|poison| poison.into_inner());
    let (dataset, model) = trained_model(&["Portscan_2500.csv"]);
    let device = Device::flex();
    let model_bytes = block_on(model.to_bytes()).unwrap();
    let rows: Vec<u32> = (0..dataset.rows() as u32).collect();
    let pool = block_on(observe::pool(&model, &device, &dataset, &rows)).unwrap();
    for algorithm in [Algorithm::Dqn, Algorithm::Ppo] {
        let model = SavedModel::from_bytes(&model_bytes, &device).unwrap();
        let pools = block_on(AgentPools::halves(&model, &dataset, 42, None, &device)).unwrap();
        let plan = AgentPlan {
            algorithm,
            episodes: 3,
            settings: Settings {
                episode_length: 64,
                ..Settings::default()
            },
            ..AgentPlan::default()
        };
        let mut run = AgentRun::start(plan, &pools, &device).unwrap();
        while !run.finished() {
            block_on(run.episode()).unwrap();
        }
        let saved = block_on(run.finish(model, &device)).unwrap().agent;
        assert_eq!((saved.meta.plan, saved.meta.episodes_trained), (plan, 3));
        let flags = block_on(saved.policy.flags(&pool, &device)).unwrap();
        let bytes = block_on(saved.to_bytes()).unwrap();
        let loaded = SavedAgent::from_bytes(&bytes, &device).unwrap();
        assert_eq!(loaded.meta, saved.meta);
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

#[test]
fn a_run_refuses_flows_without_attacks_and_stops_when_told() {
    use netsentry::rl::error::AgentError;
    use netsentry::rl::plan::AgentPlan;
    use netsentry::rl::run::{AgentPools, AgentRun};

    let _turn = CPU_RNG.lock().unwrap_or_else(|poison| poison.into_inner());
    let device = Device::flex();
    let (benign, model) = trained_model(&[]);
    let pools = block_on(AgentPools::halves(&model, &benign, 42, None, &device)).unwrap();
    let refused = AgentRun::start(AgentPlan::default(), &pools, &device).err();
    assert!(
        matches!(refused, Some(AgentError::NoAttacks)),
        "{refused:?}"
    );
    assert!(
        refused
            .unwrap()
            .to_string()
            .contains("nothing to learn to flag"),
        "the message says why"
    );
    // Stopped after 2 of 60 planned episodes: the agent so far is saved and assessed.
    let (dataset, model) = trained_model(&["DDoS_2500.csv"]);
    let pools = block_on(AgentPools::halves(&model, &dataset, 42, None, &device)).unwrap();
    let mut run = AgentRun::start(AgentPlan::default(), &pools, &device).unwrap();
    for _ in 0..2 {
        block_on(run.episode()).unwrap();
    }
    assert!(!run.finished());
    let outcome = block_on(run.finish(model, &device)).unwrap();
    assert_eq!(outcome.agent.meta.episodes_trained, 2);
    assert_eq!(outcome.assessment.episodes, 2);
    assert_eq!(outcome.history.len(), 2);
    let comparison = &outcome.assessment.comparison;
    assert_eq!(comparison.test_flows, pools.test.len());
    assert_eq!(
        comparison.model_threshold.rule,
        "2 % false-positive target (Harrell–Davis quantile of benign out-of-fold scores)"
    );
    // The replay holds test flows with their own scores and the agent's decisions.
    let replay = &outcome.assessment.replay;
    assert_eq!(replay.len(), pools.test.len().min(2000));
    assert!(replay.iter().all(|flow| flow.score.is_finite()));
}
