//! Advantage actor-critic (A2C), the synchronous form of the A3C the seed notebook names as
//! future work, for allow/flag, on burn for any `Device`.
//!
//! Hyperparameters and their sources (defaults in [`A2cConfig::default`]):
//! - one gradient step per rollout on `−log π(a|s)·A + 0.5·(R − V)² − 0.01·H`: Mnih et al. 2016,
//!   "Asynchronous Methods for Deep Reinforcement Learning", with Stable-Baselines3's value and
//!   entropy weights;
//! - learning rate 7e-4: SB3's default (with Adam instead of RMSprop);
//! - λ = 1 (plain n-step advantages, as A2C uses) and γ = 0: a decision does not change the
//!   next flow (see [`super::env`]);
//! - rollouts of 32 flows, eight gradient steps per 256-flow episode: measured (docs/experiments.md,
//!   "Agents"). With one step per episode (the first version) A2C was still untrained after the
//!   page's 60 episodes and flagged most benign flows of other files; rollouts of 16 learn as
//!   well as 32 and 64 a little worse. SB3's default is 5 steps per environment.

use burn::prelude::Tensor;
use serde::{Deserialize, Serialize};

use super::env::DetectionEnv;
use super::error::AgentError;
use super::history::{EpisodeReport, EpisodeTally};
use super::network::AgentNetwork;
use super::on_policy::{Minibatch, OnPolicy, targets, with_critic};
use super::plan::Settings;

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
    /// Flows per rollout, one gradient step each; an episode is split into rollouts of this
    /// many (each decided with one forward pass and one read).
    pub rollout: usize,
}

impl Default for A2cConfig {
    fn default() -> Self {
        Self {
            settings: Settings::default(),
            learning_rate: 7e-4,
            gamma: 0.0,
            value_weight: 0.5,
            entropy_weight: 0.01,
            rollout: 32,
        }
    }
}

/// An A2C agent learning on a pool of flows.
pub struct A2cTrainer<'a> {
    config: A2cConfig,
    inner: OnPolicy<'a>,
}

impl<'a> A2cTrainer<'a> {
    /// Sets up training in `env`.
    pub fn new(env: DetectionEnv<'a>, config: A2cConfig, device: &burn::prelude::Device) -> Self {
        Self {
            inner: OnPolicy::new(env, config.settings, "A2C", device),
            config,
        }
    }

    /// Plays one episode in rollouts of `rollout` flows, each followed by one gradient step on
    /// it.
    pub async fn episode(&mut self) -> Result<EpisodeReport, AgentError> {
        let mut tally = EpisodeTally::default();
        loop {
            // Plumbing: play with the current policy and compute the advantages (λ = 1).
            let (rollout, last_value) = self.inner.rollout(self.config.rollout, &mut tally).await?;
            let targets = targets(&rollout, last_value, self.config.gamma, 1.0);
            let rows: Vec<usize> = (0..rollout.len()).collect();
            let batch = self
                .inner
                .minibatch(&rollout, &rows, (&targets.0, &targets.1));
            let (loss, entropy) = self.loss(batch);
            self.inner.descend(loss, entropy, self.config.learning_rate);
            if rollout.ends_episode {
                break;
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

    /// The algorithm: the policy gradient `−log π(a|s)·A`, with the critic's loss and the
    /// entropy bonus; returns the loss and the mean entropy.
    fn loss(&self, batch: Minibatch) -> (Tensor<1>, Tensor<1>) {
        let (log_probs, entropy, values) = self.inner.evaluate(&batch);
        let policy_loss = -(log_probs * batch.advantages).mean();
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
