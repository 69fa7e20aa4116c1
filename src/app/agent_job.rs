//! The worker's agent job: the agent learns on one content half of the loaded flows, seen through
//! the kept autoencoder, with each episode's figures posted as it goes and Stop read between
//! episodes (the agent trained so far is kept); then it is compared with the best fixed threshold
//! on the other half, and a sample of those held-out flows is sent for the page's live replay.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::protocol::{AgentResults, FromWorker, ReplayFlow};
use super::session;
use super::training::PROGRESS_EVERY_MS;
use crate::data::dataset::Dataset;
use crate::model::held_out::score_rows;
use crate::model::saved::SavedModel;
use crate::rl::actor_critic::Settings;
use crate::rl::agent::{AgentTrainer, Algorithm};
use crate::rl::compare::compare;
use crate::rl::env::FlowPool;
use crate::rl::env::RewardMatrix;
use crate::rl::observe;
use crate::rl::saved::{AGENT_FORMAT_VERSION, AgentMeta, SavedAgent};
use crate::rl::split::{AgentRows, halves};
use burn::prelude::Device;

/// Held-out flows sent for the replay: enough for minutes of watching, little to send.
pub const REPLAY_FLOWS: usize = 2000;

/// What the user chose for the agent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentRequest {
    /// DQN, PPO or A2C.
    pub algorithm: Algorithm,
    /// The rewards it learns from; their costs score every detector.
    pub rewards: RewardMatrix,
    /// Episodes to train for.
    pub episodes: usize,
    /// Network size, episode length, class balance and seed.
    pub settings: Settings,
}

/// Episodes the page trains for by default: on the sample, DQN beats the best threshold after 30
/// (`netsentry agent --episodes 30`: cost 35 against 45) and 60 take about a second natively.
pub const DEFAULT_EPISODES: usize = 60;

impl Default for AgentRequest {
    /// DQN for [`DEFAULT_EPISODES`] under the seed notebook's rewards.
    fn default() -> Self {
        Self {
            algorithm: Algorithm::Dqn,
            rewards: RewardMatrix::default(),
            episodes: DEFAULT_EPISODES,
            settings: Settings::default(),
        }
    }
}

/// Trains an agent as `request` says, posting progress, then the comparison.
pub async fn train(request: AgentRequest, reply: impl Fn(&FromWorker)) {
    if let Err(error) = run(&request, &reply).await {
        reply(&FromWorker::AgentFailed(error));
    }
}

/// The rows an agent uses in the loaded flows, and their observations under `model`.
struct Pools {
    rows: AgentRows,
    train: FlowPool,
    test: FlowPool,
}

async fn pools(
    model: &SavedModel,
    dataset: &Dataset,
    device: &Device,
    seed: u64,
) -> Result<Pools, String> {
    let rows = halves(model, dataset, seed, None)?;
    let train = observe::pool(model, device, dataset, &rows.train).await?;
    let test = observe::pool(model, device, dataset, &rows.test).await?;
    if train.is_empty() || test.is_empty() {
        return Err("the agent needs more flows: load files with more rows".to_owned());
    }
    Ok(Pools { rows, train, test })
}

async fn run(request: &AgentRequest, reply: &impl Fn(&FromWorker)) -> Result<(), String> {
    let dataset = session::dataset()?;
    let model = session::model()?;
    let device = session::device().await;
    let pools = pools(&model, &dataset, &device, request.settings.seed).await?;
    if !pools.train.attack.contains(&true) {
        return Err(
            "the loaded flows have no attacks, so the agent has nothing to learn to flag: load files with attack rows (the sample has some)"
                .to_owned(),
        );
    }
    session::clear_stop();
    let mut trainer = AgentTrainer::new(
        request.algorithm,
        &pools.train,
        request.rewards,
        request.settings,
        request.episodes,
        &device,
    );
    let mut pending = Vec::new();
    let mut last_sent = None;
    let mut episodes = 0;
    while episodes < request.episodes {
        pending.push(trainer.episode().await?);
        episodes += 1;
        let stopping = session::stopping();
        let last = stopping || episodes == request.episodes;
        if last || session::due(last_sent, PROGRESS_EVERY_MS) {
            reply(&FromWorker::AgentTraining(std::mem::take(&mut pending)));
            last_sent = Some(web_time::Instant::now());
        }
        if stopping {
            break;
        }
        session::next_tick().await;
        session::wait_while_paused().await;
    }
    let meta = AgentMeta {
        format_version: AGENT_FORMAT_VERSION,
        algorithm: request.algorithm,
        settings: request.settings,
        rewards: request.rewards,
        observation_width: pools.train.width,
        episodes,
    };
    let agent = SavedAgent::new(&trainer, meta, (*model).clone());
    let results = assess(&agent, &dataset, &device, &pools).await?;
    session::keep_agent(agent);
    reply(&FromWorker::AgentCompared(results));
    Ok(())
}

/// A kept (e.g. imported) agent compared on the kept flows, as after training.
pub async fn assess_kept() -> Result<AgentResults, String> {
    let dataset = session::dataset()?;
    let agent = session::agent()?;
    let device = session::device().await;
    let pools = pools(&agent.model, &dataset, &device, agent.meta.settings.seed).await?;
    assess(&agent, &dataset, &device, &pools).await
}

/// The agent's decisions on the test half against the thresholds, and a random sample of those
/// flows, in random order, for the replay.
async fn assess(
    agent: &SavedAgent,
    dataset: &Dataset,
    device: &Device,
    pools: &Pools,
) -> Result<AgentResults, String> {
    let model = &agent.model;
    let flags = agent.policy.flags(&pools.test, device).await?;
    let comparison = compare(
        &flags,
        &pools.train,
        &pools.test,
        model.meta.threshold,
        agent.meta.rewards.costs(),
        None,
    );
    let test_rows = &pools.rows.test;
    let mut order: Vec<usize> = (0..test_rows.len()).collect();
    order.shuffle(&mut StdRng::seed_from_u64(agent.meta.settings.seed));
    order.truncate(REPLAY_FLOWS);
    let replay_rows: Vec<u32> = order.iter().map(|&index| test_rows[index]).collect();
    let scores = score_rows(model, dataset, &replay_rows, device).await?;
    let replay = order
        .iter()
        .zip(&replay_rows)
        .zip(scores)
        .map(|((&index, &row), score)| ReplayFlow {
            row,
            label: dataset.label(row as usize).to_owned(),
            score,
            flagged: flags[index],
            attack: pools.test.attack[index],
        })
        .collect();
    Ok(AgentResults {
        algorithm: agent.meta.algorithm,
        episodes: agent.meta.episodes,
        comparison,
        threshold: model.meta.threshold,
        threshold_rule: model.meta.threshold_rule.describe(),
        replay,
    })
}
