//! Proximal policy optimisation (PPO) for allow/flag, on burn for any `Device`.
//!
//! Hyperparameters and their sources (defaults in [`PpoConfig::default`]):
//! - clipped surrogate objective with ε = 0.2, 4 epochs of minibatches of 64 per rollout, value
//!   loss weight 0.5, entropy bonus 0.01: Schulman et al. 2017, "Proximal Policy Optimization
//!   Algorithms", and Stable-Baselines3's defaults (the seed notebook used SB3's PPO);
//! - generalised advantage estimation with λ = 0.95: Schulman et al. 2016;
//! - learning rate 3e-4: SB3's default;
//! - discount γ = 0: a decision does not change the next flow (see [`super::env`]).

use burn::prelude::Tensor;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::env::DetectionEnv;
use super::error::AgentError;
use super::history::{EpisodeReport, EpisodeTally};
use super::network::AgentNetwork;
use super::on_policy::{Minibatch, OnPolicy, targets, with_critic};
use super::plan::Settings;

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
    /// Sets up training in `env`.
    pub fn new(env: DetectionEnv<'a>, config: PpoConfig, device: &burn::prelude::Device) -> Self {
        Self {
            inner: OnPolicy::new(env, config.settings, "PPO", device),
            config,
        }
    }

    /// Plays one episode, then makes `epochs` passes over it in shuffled minibatches.
    pub async fn episode(&mut self) -> Result<EpisodeReport, AgentError> {
        // Plumbing: play with the current policy and compute the advantages.
        let mut tally = EpisodeTally::default();
        let (rollout, last_value) = self.inner.rollout(usize::MAX, &mut tally).await?;
        let targets = targets(&rollout, last_value, self.config.gamma, self.config.lambda);
        let mut order: Vec<usize> = (0..rollout.len()).collect();
        for _ in 0..self.config.epochs {
            order.shuffle(&mut self.inner.rng);
            for rows in order.chunks(self.config.minibatch.max(1)) {
                let batch = self
                    .inner
                    .minibatch(&rollout, rows, (&targets.0, &targets.1));
                let (loss, entropy) = self.loss(batch);
                self.inner.descend(loss, entropy, self.config.learning_rate);
            }
        }
        let entropy = self.inner.settle(&mut tally).await?;
        Ok(tally.report(
            self.inner.episodes() - 1,
            self.inner.rewards(),
            None,
            Some(entropy),
        ))
    }

    /// The algorithm: the clipped surrogate objective, with the critic's loss and the entropy
    /// bonus; returns the loss and the mean entropy.
    fn loss(&self, batch: Minibatch) -> (Tensor<1>, Tensor<1>) {
        let (log_probs, entropy, values) = self.inner.evaluate(&batch);
        let clip = self.config.clip;
        let ratio = (log_probs - batch.old_log_probs).exp();
        let unclipped = ratio.clone() * batch.advantages.clone();
        let clipped = ratio.clamp(1.0 - clip, 1.0 + clip) * batch.advantages;
        let policy_loss = -unclipped.min_pair(clipped).mean();
        let weights = (self.config.value_weight, self.config.entropy_weight);
        let critic = (values, batch.returns);
        (
            with_critic(policy_loss, critic, entropy.clone(), weights),
            entropy,
        )
    }

    /// The learnt policy.
    pub fn policy(&self) -> AgentNetwork {
        self.inner.policy()
    }
}
