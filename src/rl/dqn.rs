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
use super::network::{AgentNetwork, Heads};
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
        }
    }
}

/// One remembered step.
#[derive(Clone, Debug)]
struct Transition {
    observation: Vec<f32>,
    action: usize,
    reward: f32,
    next: Vec<f32>,
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
    observation: Vec<f32>,
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
        let observation = env.reset(Some(settings.seed));
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
            observation,
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

    /// Plays and learns one episode. The updates' losses are summed on the device and read once,
    /// at the end; a NaN among them ends training with the weights the episode started from.
    pub async fn episode(&mut self) -> Result<EpisodeReport, AgentError> {
        let mut tally = EpisodeTally::default();
        let started_from = self.online.clone();
        let mut losses = None;
        let mut updates = 0;
        loop {
            let action = if self.rng.random_bool(self.epsilon().clamp(0.0, 1.0)) {
                self.rng.random_range(0..Action::ALL.len())
            } else {
                let observation = &self.observation;
                self.online
                    .greedy(&self.device, observation, self.width)
                    .await?[0]
            };
            let step = self.env.step(Action::from_index(action));
            tally.add(&step);
            let transition = Transition {
                observation: std::mem::take(&mut self.observation),
                action,
                reward: step.reward,
                next: step.observation.clone(),
            };
            self.remember(transition);
            self.observation = step.observation;
            self.steps += 1;
            if self.steps >= self.config.learning_starts
                && self.steps.is_multiple_of(self.config.train_every.max(1))
            {
                losses = Some(accumulate(losses, self.learn()));
                updates += 1;
            }
            if step.done {
                break;
            }
        }
        if let Some(losses) = losses {
            let sum = read(losses).await?[0];
            if !sum.is_finite() {
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
        let batch: Vec<&Transition> = (0..size)
            .map(|_| &self.buffer[self.rng.random_range(0..self.buffer.len())])
            .collect();
        let matrix = |rows: &mut dyn Iterator<Item = &Vec<f32>>| {
            let values: Vec<f32> = rows.flat_map(|row| row.iter().copied()).collect();
            Tensor::<2>::from_data(TensorData::new(values, [size, self.width]), &self.device)
        };
        let observations = matrix(&mut batch.iter().map(|t| &t.observation));
        let rewards: Vec<f32> = batch.iter().map(|t| t.reward).collect();
        let mut targets = Tensor::<1>::from_data(TensorData::new(rewards, [size]), &self.device);
        if self.config.gamma > 0.0 {
            // Double DQN: the online network chooses the next action, the target network
            // values it. Episodes end by a time limit, not a terminal state, so every next
            // flow is bootstrapped.
            let next = matrix(&mut batch.iter().map(|t| &t.next)).detach();
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
