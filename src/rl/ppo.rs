//! Proximal policy optimisation (PPO) for allow/flag, on burn for any `Device`.
//!
//! Hyperparameters and their sources (defaults in [`PpoConfig::default`]):
//! - clipped surrogate objective with ε = 0.2, 4 epochs of minibatches of 64 per rollout, value
//!   loss weight 0.5, entropy bonus 0.01: Schulman et al. 2017, "Proximal Policy Optimization
//!   Algorithms", and Stable-Baselines3's defaults (the seed notebook used SB3's PPO);
//! - generalised advantage estimation with λ = 0.95: Schulman et al. 2016;
//! - learning rate 3e-4: SB3's default;
//! - discount γ = 0: a decision does not change the next flow (see [`super::env`]).

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::actor_critic::{Objective, OnPolicy, Settings, targets};
use super::env::{FlowPool, RewardMatrix};
use super::history::EpisodeReport;

/// PPO's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PpoConfig {
    /// Network size, episode length, balance, seed.
    pub settings: Settings,
    /// Adam's step size.
    pub learning_rate: f64,
    /// Discount.
    pub gamma: f32,
    /// GAE's λ.
    pub lambda: f32,
    /// The clip range of the probability ratio.
    pub clip: f32,
    /// Passes over each rollout.
    pub epochs: usize,
    /// Steps per minibatch.
    pub minibatch: usize,
    /// Weight of the value loss.
    pub value_weight: f32,
    /// Weight of the entropy bonus.
    pub entropy_weight: f32,
}

impl Default for PpoConfig {
    fn default() -> Self {
        Self {
            settings: Settings::default(),
            learning_rate: 3e-4,
            gamma: 0.0,
            lambda: 0.95,
            clip: 0.2,
            epochs: 4,
            minibatch: 64,
            value_weight: 0.5,
            entropy_weight: 0.01,
        }
    }
}

/// A PPO agent learning on a pool of flows.
pub struct PpoTrainer<'a> {
    config: PpoConfig,
    inner: OnPolicy<'a>,
}

impl<'a> PpoTrainer<'a> {
    /// Sets up training on `pool`.
    pub fn new(
        pool: &'a FlowPool,
        rewards: RewardMatrix,
        config: PpoConfig,
        device: &burn::prelude::Device,
    ) -> Self {
        Self {
            inner: OnPolicy::new(pool, rewards, config.settings, device),
            config,
        }
    }

    /// Plays one episode, then updates the policy on it.
    pub async fn episode(&mut self) -> Result<EpisodeReport, String> {
        let (rollout, last_value) = self.inner.rollout().await?;
        let (advantage, returns) =
            targets(&rollout, last_value, self.config.gamma, self.config.lambda);
        let objective = Objective {
            clip: Some(self.config.clip),
            value_weight: self.config.value_weight,
            entropy_weight: self.config.entropy_weight,
            learning_rate: self.config.learning_rate,
        };
        let mut order: Vec<usize> = (0..rollout.rewards.len()).collect();
        let mut tally = rollout.tally.clone();
        let mut entropies = Vec::new();
        for _ in 0..self.config.epochs {
            order.shuffle(&mut self.inner.rng);
            for rows in order.chunks(self.config.minibatch.max(1)) {
                let (loss, entropy) = self
                    .inner
                    .descend(&rollout, rows, (&advantage, &returns), objective)
                    .await?;
                tally.losses.push(loss);
                entropies.push(f64::from(entropy));
            }
        }
        let entropy = entropies.iter().sum::<f64>() / entropies.len().max(1) as f64;
        Ok(tally.report(
            self.inner.episode - 1,
            self.inner.rewards(),
            None,
            Some(entropy),
        ))
    }

    /// The learnt policy.
    pub fn policy(&self) -> super::actor_critic::ActorCritic {
        self.inner.policy()
    }
}
