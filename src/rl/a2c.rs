//! Advantage actor-critic (A2C), the synchronous form of the A3C the seed notebook names as
//! future work, for allow/flag, on burn for any `Device`.
//!
//! Hyperparameters and their sources (defaults in [`A2cConfig::default`]):
//! - one gradient step per rollout on `−log π(a|s)·A + 0.5·(R − V)² − 0.01·H`: Mnih et al. 2016,
//!   "Asynchronous Methods for Deep Reinforcement Learning", with Stable-Baselines3's value and
//!   entropy weights;
//! - learning rate 7e-4: SB3's default (with Adam instead of RMSprop);
//! - λ = 1 (plain n-step advantages, as A2C uses) and γ = 0: a decision does not change the
//!   next flow (see [`super::env`]); a rollout is one episode.

use serde::{Deserialize, Serialize};

use super::actor_critic::{Objective, OnPolicy, Settings, targets};
use super::env::{FlowPool, RewardMatrix};
use super::history::EpisodeReport;

/// A2C's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct A2cConfig {
    /// Network size, episode length, balance, seed.
    pub settings: Settings,
    /// Adam's step size.
    pub learning_rate: f64,
    /// Discount.
    pub gamma: f32,
    /// Weight of the value loss.
    pub value_weight: f32,
    /// Weight of the entropy bonus.
    pub entropy_weight: f32,
}

impl Default for A2cConfig {
    fn default() -> Self {
        Self {
            settings: Settings::default(),
            learning_rate: 7e-4,
            gamma: 0.0,
            value_weight: 0.5,
            entropy_weight: 0.01,
        }
    }
}

/// An A2C agent learning on a pool of flows.
pub struct A2cTrainer<'a> {
    config: A2cConfig,
    inner: OnPolicy<'a>,
}

impl<'a> A2cTrainer<'a> {
    /// Sets up training on `pool`.
    pub fn new(
        pool: &'a FlowPool,
        rewards: RewardMatrix,
        config: A2cConfig,
        device: &burn::prelude::Device,
    ) -> Self {
        Self {
            inner: OnPolicy::new(pool, rewards, config.settings, device),
            config,
        }
    }

    /// Plays one episode, then takes one gradient step on it.
    pub async fn episode(&mut self) -> Result<EpisodeReport, String> {
        let (rollout, last_value) = self.inner.rollout().await?;
        let (advantage, returns) = targets(&rollout, last_value, self.config.gamma, 1.0);
        let objective = Objective {
            clip: None,
            value_weight: self.config.value_weight,
            entropy_weight: self.config.entropy_weight,
            learning_rate: self.config.learning_rate,
        };
        let rows: Vec<usize> = (0..rollout.rewards.len()).collect();
        let (loss, entropy) = self
            .inner
            .descend(&rollout, &rows, (&advantage, &returns), objective)
            .await?;
        let mut tally = rollout.tally;
        tally.losses.push(loss);
        Ok(tally.report(
            self.inner.episode - 1,
            self.inner.rewards(),
            None,
            Some(f64::from(entropy)),
        ))
    }

    /// The learnt policy.
    pub fn policy(&self) -> super::actor_critic::ActorCritic {
        self.inner.policy()
    }
}
