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
use crate::model::held_out::score_rows;
use crate::rl::actor_critic::Settings;
use crate::rl::agent::{AgentTrainer, Algorithm};
use crate::rl::compare::compare;
use crate::rl::env::RewardMatrix;
use crate::rl::observe;
use crate::rl::saved::{AGENT_FORMAT_VERSION, AgentMeta, SavedAgent};
use crate::rl::split::halves;

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

/// Trains an agent as `request` says, posting progress, then the comparison.
pub async fn train(request: AgentRequest, reply: impl Fn(&FromWorker)) {
    if let Err(error) = run(&request, &reply).await {
        reply(&FromWorker::AgentFailed(error));
    }
}

async fn run(request: &AgentRequest, reply: &impl Fn(&FromWorker)) -> Result<(), String> {
    let dataset = session::dataset()?;
    let model = session::model()?;
    let device = session::device().await;
    let rows = halves(&model, &dataset, request.settings.seed, None)?;
    let train_pool = observe::pool(&model, &device, &dataset, &rows.train).await?;
    let test_pool = observe::pool(&model, &device, &dataset, &rows.test).await?;
    if train_pool.is_empty() || test_pool.is_empty() {
        return Err("the agent needs more flows: load files with more rows".to_owned());
    }
    if !train_pool.attack.contains(&true) {
        return Err(
            "the loaded flows have no attacks, so the agent has nothing to learn to flag: load files with attack rows (the sample has some)"
                .to_owned(),
        );
    }
    session::clear_stop();
    let mut trainer = AgentTrainer::new(
        request.algorithm,
        &train_pool,
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
    }
    let flags = trainer.flags(&test_pool, &device).await?;
    let comparison = compare(
        &flags,
        &train_pool,
        &test_pool,
        model.meta.threshold,
        request.rewards.costs(),
        None,
    );
    // A random sample of the test flows, in random order, for the replay.
    let mut order: Vec<usize> = (0..rows.test.len()).collect();
    order.shuffle(&mut StdRng::seed_from_u64(request.settings.seed));
    order.truncate(REPLAY_FLOWS);
    let replay_rows: Vec<u32> = order.iter().map(|&index| rows.test[index]).collect();
    let scores = score_rows(&model, &dataset, &replay_rows, &device).await?;
    let replay = order
        .iter()
        .zip(&replay_rows)
        .zip(scores)
        .map(|((&index, &row), score)| ReplayFlow {
            row,
            label: dataset.label(row as usize).to_owned(),
            score,
            flagged: flags[index],
            attack: test_pool.attack[index],
        })
        .collect();
    let meta = AgentMeta {
        format_version: AGENT_FORMAT_VERSION,
        algorithm: request.algorithm,
        settings: request.settings,
        rewards: request.rewards,
        observation_width: train_pool.width,
        episodes,
    };
    session::keep_agent(SavedAgent::new(&trainer, meta, (*model).clone()));
    reply(&FromWorker::AgentCompared(AgentResults {
        algorithm: request.algorithm,
        episodes,
        comparison,
        threshold: model.meta.threshold,
        replay,
    }));
    Ok(())
}
