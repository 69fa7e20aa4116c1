//! Deep Q-learning (DQN) for allow/flag, with a replay buffer, a target network, an ε-greedy
//! schedule and the Double-DQN target, on burn for any `Device`.
//!
//! Hyperparameters and their sources (defaults in [`DqnConfig::default`]):
//! - replay buffer, target network, ε decaying linearly to a floor, Huber loss: Mnih et al. 2015,
//!   "Human-level control through deep reinforcement learning";
//! - the Double-DQN target (the online network picks the next action, the target network values
//!   it): van Hasselt, Guez and Silver 2016;
//! - learning rate 1e-3, batch 64, train every 4 steps, ε from 1 to 0.05 over the first half of
//!   training: Stable-Baselines3's DQN defaults scaled to runs of tens of thousands of steps;
//! - discount γ = 0: a decision does not change which flow comes next (see [`super::env`]), so a
//!   flow's value is its own reward; γ > 0 is supported and only adds noise here.

use burn::module::Module;
use burn::nn::loss::{HuberLossConfig, Reduction};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::{Device, Int, Tensor, TensorData};
use rand::RngExt;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use super::env::{Action, DetectionEnv};
use super::error::AgentError;
use super::history::{EpisodeReport, EpisodeTally};
use super::network::{AgentNetwork, Heads, best_actions, observation_batch};
use super::plan::Settings;
use crate::model::weights::{accumulate, read};

/// DQN's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DqnConfig {
    /// Network size, episode length, balance and seed.
    pub settings: Settings,
    /// Adam's step size.
    pub learning_rate: f64,
    /// Discount of the next flow's value.
    pub gamma: f32,
    /// Transitions per gradient step.
    pub batch_size: usize,
    /// Transitions kept for replay.
    pub buffer: usize,
    /// Steps of random play before learning starts.
    pub learning_starts: usize,
    /// Environment steps per gradient step.
    pub train_every: usize,
    /// Gradient steps between copies of the online network into the target network.
    pub target_every: usize,
    /// ε at the start.
    pub epsilon_start: f64,
    /// ε at the end of its decay.
    pub epsilon_end: f64,
    /// Share of all training steps over which ε decays.
    pub epsilon_fraction: f64,
    /// Flows dealt and decided together: one forward pass and one read for all of them, with
    /// the weights of the hand's start (the updates made meanwhile count from the next hand).
    pub hand: usize,
}

impl Default for DqnConfig {
    fn default() -> Self {
        Self {
            settings: Settings::default(),
            learning_rate: 1e-3,
            gamma: 0.0,
            batch_size: 64,
            buffer: 50_000,
            learning_starts: 500,
            train_every: 4,
            target_every: 250,
            epsilon_start: 1.0,
            epsilon_end: 0.05,
            epsilon_fraction: 0.5,
            hand: 64,
        }
    }
}

/// One remembered step; the flows are rows of the pool.
#[derive(Clone, Copy, Debug)]
struct Transition {
    row: usize,
    action: usize,
    reward: f32,
    next: usize,
}

/// A DQN agent learning on a pool of flows.
pub struct DqnTrainer<'a> {
    config: DqnConfig,
    device: Device,
    env: DetectionEnv<'a>,
    width: usize,
    online: AgentNetwork,
    target: AgentNetwork,
    optimiser: ModuleOptimizer,
    buffer: Vec<Transition>,
    buffer_next: usize,
    rng: StdRng,
    steps: usize,
    total_steps: usize,
    gradient_steps: usize,
    episode: usize,
}

impl<'a> DqnTrainer<'a> {
    /// Sets up training for `episodes` episodes in `env` (on an autodiff version of `device`).
    pub fn new(
        mut env: DetectionEnv<'a>,
        config: DqnConfig,
        episodes: usize,
        device: &Device,
    ) -> Self {
        let settings = config.settings;
        let device = device.clone().autodiff();
        device.seed(settings.seed);
        let online = AgentNetwork::new(env.width(), settings.hidden, Heads::Actions, &device);
        let target = online.clone();
        env.reset(Some(settings.seed));
        Self {
            rng: StdRng::seed_from_u64(settings.seed ^ 0x9e37_79b9),
            total_steps: episodes * env.episode_length(),
            optimiser: AdamConfig::new().init(),
            width: env.width(),
            online,
            target,
            env,
            device,
            buffer: Vec::with_capacity(config.buffer.min(1 << 16)),
            buffer_next: 0,
            steps: 0,
            gradient_steps: 0,
            episode: 0,
            config,
        }
    }

    /// ε now.
    pub fn epsilon(&self) -> f64 {
        let decay_steps = (self.total_steps as f64 * self.config.epsilon_fraction).max(1.0);
        let progress = (self.steps as f64 / decay_steps).min(1.0);
        self.config.epsilon_start + (self.config.epsilon_end - self.config.epsilon_start) * progress
    }

    /// Plays and learns one episode, a hand of flows at a time: the greedy decisions of a hand
    /// come from one forward pass and one read. The updates' losses are summed on the device and
    /// read once, at the end, with the sum of the network's outputs on the last hand; a NaN or
    /// infinity in either ends training with the weights the episode started from.
    pub async fn episode(&mut self) -> Result<EpisodeReport, AgentError> {
        let mut tally = EpisodeTally::default();
        let started_from = self.online.clone();
        let mut losses = None;
        let mut updates = 0;
        let mut last_hand;
        loop {
            let hand = self.env.deal(self.config.hand);
            let input =
                observation_batch(&self.env.observations(&hand.rows), self.width, &self.device);
            let greedy = best_actions(self.online.actions(input.clone())).await?;
            tally.add_read();
            last_hand = input;
            for (index, &row) in hand.rows.iter().enumerate() {
                let action = if self.rng.random_bool(self.epsilon().clamp(0.0, 1.0)) {
                    self.rng.random_range(0..Action::ALL.len())
                } else {
                    greedy[index]
                };
                let step = self.env.decide(row, Action::from_index(action));
                tally.add(&step);
                self.remember(Transition {
                    row,
                    action,
                    reward: step.reward,
                    next: hand.rows.get(index + 1).copied().unwrap_or(hand.next),
                });
                self.steps += 1;
                if self.steps >= self.config.learning_starts
                    && self.steps.is_multiple_of(self.config.train_every.max(1))
                {
                    losses = Some(accumulate(losses, self.learn()));
                    updates += 1;
                }
            }
            if hand.ends_episode {
                break;
            }
        }
        if let Some(losses) = losses {
            let read_back = read(Tensor::cat(
                vec![losses, self.online.output_sum(last_hand)],
                0,
            ))
            .await?;
            tally.add_read();
            let sum = read_back[0];
            if !read_back.iter().all(|value| value.is_finite()) {
                self.online = started_from;
                return Err(AgentError::NotFinite {
                    algorithm: "DQN",
                    updates: self.gradient_steps - updates,
                });
            }
            tally.add_losses(sum, updates);
        }
        self.episode += 1;
        Ok(tally.report(
            self.episode - 1,
            self.env.rewards(),
            Some(self.epsilon()),
            None,
        ))
    }

    fn remember(&mut self, transition: Transition) {
        if self.buffer.len() < self.config.buffer {
            self.buffer.push(transition);
        } else {
            self.buffer[self.buffer_next] = transition;
            self.buffer_next = (self.buffer_next + 1) % self.config.buffer;
        }
    }

    /// One gradient step on a replayed batch; returns its loss, unread, on the device.
    fn learn(&mut self) -> Tensor<1> {
        let size = self.config.batch_size.min(self.buffer.len()).max(1);
        let batch: Vec<Transition> = (0..size)
            .map(|_| self.buffer[self.rng.random_range(0..self.buffer.len())])
            .collect();
        let matrix = |rows: Vec<usize>| {
            let values = self.env.observations(&rows);
            Tensor::<2>::from_data(TensorData::new(values, [size, self.width]), &self.device)
        };
        let observations = matrix(batch.iter().map(|t| t.row).collect());
        let rewards: Vec<f32> = batch.iter().map(|t| t.reward).collect();
        let mut targets = Tensor::<1>::from_data(TensorData::new(rewards, [size]), &self.device);
        if self.config.gamma > 0.0 {
            // Double DQN: the online network chooses the next action, the target network
            // values it. Episodes end by a time limit, not a terminal state, so every next
            // flow is bootstrapped.
            let next = matrix(batch.iter().map(|t| t.next).collect()).detach();
            let chosen = self.online.actions(next.clone()).detach().argmax(1);
            let values = self.target.actions(next).detach().gather(1, chosen);
            targets = targets + values.squeeze_dim(1) * self.config.gamma;
        }
        let actions: Vec<i64> = batch.iter().map(|t| t.action as i64).collect();
        let actions =
            Tensor::<2, Int>::from_data(TensorData::new(actions, [size, 1]), &self.device);
        let predicted = self
            .online
            .actions(observations)
            .gather(1, actions)
            .squeeze_dim(1);
        let loss =
            HuberLossConfig::new(1.0)
                .init()
                .forward(predicted, targets.detach(), Reduction::Mean);
        let value = loss.clone().detach();
        let gradients = GradientsParams::from_grads(loss.backward(), &self.online);
        let online = self.online.clone();
        self.online = self
            .optimiser
            .step(self.config.learning_rate, online, gradients);
        self.gradient_steps += 1;
        if self
            .gradient_steps
            .is_multiple_of(self.config.target_every.max(1))
        {
            self.target = self.online.clone();
        }
        value
    }

    /// The learnt policy, for evaluation and saving.
    pub fn policy(&self) -> AgentNetwork {
        self.online.valid()
    }
}
