//! An agent from plan to verdict, the agent's counterpart of `model/fit/mod.rs`, shared by
//! `netsentry agent` and the page's worker: the flows it trains and is tested on, seen through
//! the model ([`AgentPools`]); the run, started from an [`AgentPlan`] and driven one episode at a
//! time so the caller can report progress and stop between episodes ([`AgentRun`]); and the
//! assessment of the trained agent against the thresholds on the test flows, with a sample of
//! them to replay ([`Assessment`]).

use burn::prelude::Device;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::agent::AgentTrainer;
use super::compare::{Comparison, Threshold, compare};
use super::env::{DetectionEnv, FlowPool};
use super::error::AgentError;
use super::history::EpisodeReport;
use super::observe;
use super::plan::{AgentPlan, Algorithm};
use super::saved::{AGENT_FORMAT_VERSION, AgentMeta, SavedAgent};
use super::split::{halves, without};
use crate::data::dataset::Dataset;
use crate::data::label::Family;
use crate::model::saved::SavedModel;

/// Held-out flows kept for the replay: enough for minutes of watching, little to send.
pub const REPLAY_FLOWS: usize = 2000;

/// The flows an agent trains and is tested on, as the model shows them, and where the test flows
/// came from.
pub struct AgentPools<'d> {
    /// The flows the agent learns on (and the best fixed threshold is chosen on).
    pub train: FlowPool,
    /// The flows every detector is compared on: never trained on by the agent nor the model.
    pub test: FlowPool,
    test_data: &'d Dataset,
    test_rows: Vec<u32>,
    withheld: Option<Family>,
}

impl<'d> AgentPools<'d> {
    /// One dataset halved by content with `seed` (see [`halves`]); `withhold` keeps an attack
    /// family out of the training half.
    pub async fn halves(
        model: &SavedModel,
        dataset: &'d Dataset,
        seed: u64,
        withhold: Option<Family>,
        device: &Device,
    ) -> Result<Self, AgentError> {
        let rows = halves(model, dataset, seed, withhold)?;
        Ok(Self {
            train: observe::pool(model, device, dataset, &rows.train).await?,
            test: observe::pool(model, device, dataset, &rows.test).await?,
            test_data: dataset,
            test_rows: rows.test,
            withheld: withhold,
        })
    }

    /// Every flow of `train` (less the `withhold` family) to train on, and every flow of `test`
    /// to test on (those the model fitted scored by the fold model that did not).
    pub async fn apart(
        model: &SavedModel,
        train: &Dataset,
        test: &'d Dataset,
        withhold: Option<Family>,
        device: &Device,
    ) -> Result<Self, AgentError> {
        let train_rows = without(train, (0..train.rows() as u32).collect(), withhold);
        let test_rows: Vec<u32> = (0..test.rows() as u32).collect();
        Ok(Self {
            train: observe::pool(model, device, train, &train_rows).await?,
            test: observe::pool(model, device, test, &test_rows).await?,
            test_data: test,
            test_rows,
            withheld: withhold,
        })
    }

    /// Up to [`REPLAY_FLOWS`] test flows in an order shuffled by `seed`, with `flags`, the
    /// agent's decision on each test flow.
    fn replay(&self, flags: &[bool], seed: u64) -> Vec<ReplayFlow> {
        let mut order: Vec<usize> = (0..self.test_rows.len()).collect();
        order.shuffle(&mut StdRng::seed_from_u64(seed));
        order.truncate(REPLAY_FLOWS);
        order
            .into_iter()
            .map(|index| {
                let row = self.test_rows[index];
                ReplayFlow {
                    row,
                    label: self.test_data.label(row as usize).to_owned(),
                    score: self.test.scores[index],
                    flagged: flags[index],
                    attack: self.test.attack[index],
                }
            })
            .collect()
    }
}

/// An agent in training under a plan, one episode at a time.
pub struct AgentRun<'a> {
    plan: AgentPlan,
    pools: &'a AgentPools<'a>,
    trainer: AgentTrainer<'a>,
    history: Vec<EpisodeReport>,
}

impl<'a> AgentRun<'a> {
    /// Sets up an agent as `plan` says on `pools`' training flows, on `device`; refuses pools
    /// with nothing to learn or test on.
    pub fn start(
        plan: AgentPlan,
        pools: &'a AgentPools<'a>,
        device: &Device,
    ) -> Result<Self, AgentError> {
        if pools.train.is_empty() || pools.test.is_empty() {
            return Err(AgentError::TooFewFlows);
        }
        if !pools.train.attack.contains(&true) {
            return Err(AgentError::NoAttacks);
        }
        let settings = plan.settings;
        let env = DetectionEnv::new(
            &pools.train,
            plan.rewards,
            settings.episode_length,
            settings.balanced,
        );
        Ok(Self {
            trainer: AgentTrainer::new(plan.algorithm, env, settings, plan.episodes, device),
            history: Vec::with_capacity(plan.episodes),
            plan,
            pools,
        })
    }

    /// Plays and learns one more episode.
    pub async fn episode(&mut self) -> Result<EpisodeReport, AgentError> {
        let report = self.trainer.episode().await?;
        self.history.push(report.clone());
        Ok(report)
    }

    /// Whether every planned episode has been played.
    pub fn finished(&self) -> bool {
        self.history.len() >= self.plan.episodes
    }

    /// The plan it runs.
    pub fn plan(&self) -> &AgentPlan {
        &self.plan
    }

    /// The agent as trained so far (all planned episodes, or fewer when stopped), saved with
    /// `model`, assessed on the test flows.
    pub async fn finish(
        self,
        model: SavedModel,
        device: &Device,
    ) -> Result<AgentOutcome, AgentError> {
        let agent = SavedAgent {
            meta: AgentMeta {
                format_version: AGENT_FORMAT_VERSION,
                plan: self.plan,
                observation_width: self.pools.train.width,
                episodes_trained: self.history.len(),
            },
            model,
            policy: self.trainer.policy(),
        };
        let assessment = assess(&agent, self.pools, device).await?;
        Ok(AgentOutcome {
            agent,
            assessment,
            history: self.history,
        })
    }
}

/// What a finished run gives.
pub struct AgentOutcome {
    /// The trained agent with its model, ready to save.
    pub agent: SavedAgent,
    /// It against the thresholds on the test flows.
    pub assessment: Assessment,
    /// Each episode's figures.
    pub history: Vec<EpisodeReport>,
}

/// A trained agent against the thresholds, and held-out flows to replay.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// Which algorithm learnt.
    pub algorithm: Algorithm,
    /// Episodes it trained for (fewer than planned if stopped).
    pub episodes: usize,
    /// Agent, best fixed threshold and the model's threshold on the same test flows.
    pub comparison: Comparison,
    /// A random sample of the test flows, in random order.
    pub replay: Vec<ReplayFlow>,
}

/// One held-out flow of the replay.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplayFlow {
    /// Its row in the loaded data (to ask for its explanation).
    pub row: u32,
    /// Its published label.
    pub label: String,
    /// Its anomaly score.
    pub score: f32,
    /// The agent's decision.
    pub flagged: bool,
    /// Whether it is an attack.
    pub attack: bool,
}

/// `agent` against the best fixed threshold and its model's threshold on `pools`' test flows,
/// under the agent's costs; also after an agent file is loaded.
pub async fn assess(
    agent: &SavedAgent,
    pools: &AgentPools<'_>,
    device: &Device,
) -> Result<Assessment, AgentError> {
    let plan = &agent.meta.plan;
    let model = &agent.model.meta;
    let flags = agent.policy.flags(&pools.test, device).await?;
    let threshold = Threshold {
        value: model.threshold,
        rule: model.threshold_rule.describe(),
    };
    let comparison = compare(
        &flags,
        &pools.train,
        &pools.test,
        threshold,
        plan.rewards.costs(),
        pools.withheld,
    );
    Ok(Assessment {
        algorithm: plan.algorithm,
        episodes: agent.meta.episodes_trained,
        comparison,
        replay: pools.replay(&flags, plan.settings.seed),
    })
}
