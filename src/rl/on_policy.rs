//! The plumbing PPO and A2C share (their losses are in `ppo.rs` and `a2c.rs`): an actor-critic
//! network (policy logits over allow/flag and a state value), rollouts played with the sampled
//! policy, generalised advantage estimation, minibatches as tensors, and the optimiser step.
//! Each rollout reads the device once, for all its logits and values (the policy does not change
//! while it plays), and each episode once more, for the sum of its updates' losses.

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::{Device, Int, Tensor, TensorData};
use burn::tensor::activation::{log_softmax, softmax};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::env::{Action, DetectionEnv, RewardMatrix};
use super::error::AgentError;
use super::history::EpisodeTally;
use super::network::{AgentNetwork, Heads, observation_batch};
use super::plan::Settings;
use crate::model::weights::{accumulate, read};

/// The steps of one rollout, row-major observations.
#[derive(Default)]
pub struct Rollout {
    /// Observations, `width` floats each.
    pub observations: Vec<f32>,
    /// Action indices taken.
    pub actions: Vec<i64>,
    /// Rewards received.
    pub rewards: Vec<f32>,
    /// Log-probabilities of the actions under the policy that took them.
    pub log_probs: Vec<f32>,
    /// Value estimates of the observations.
    pub values: Vec<f32>,
    /// Whether the rollout ended its episode.
    pub ends_episode: bool,
}

impl Rollout {
    /// Steps in the rollout.
    pub fn len(&self) -> usize {
        self.rewards.len()
    }

    /// Whether no step was played.
    pub fn is_empty(&self) -> bool {
        self.rewards.is_empty()
    }
}

/// A rollout's steps `rows` as tensors, with their advantages and returns.
pub struct Minibatch {
    /// Observations `[rows, width]`.
    pub observations: Tensor<2>,
    /// Actions taken `[rows, 1]`.
    pub actions: Tensor<2, Int>,
    /// Log-probabilities of those actions when they were taken `[rows]`.
    pub old_log_probs: Tensor<1>,
    /// Normalised advantages `[rows]`.
    pub advantages: Tensor<1>,
    /// Returns, the value head's targets `[rows]`.
    pub returns: Tensor<1>,
}

/// The state PPO and A2C share: the environment, the network, its optimiser and the random
/// generator for sampling.
pub struct OnPolicy<'a> {
    /// "PPO" or "A2C", for messages.
    algorithm: &'static str,
    device: Device,
    env: DetectionEnv<'a>,
    network: AgentNetwork,
    optimiser: ModuleOptimizer,
    /// Samples actions; PPO also shuffles minibatches with it.
    pub rng: StdRng,
    width: usize,
    episode: usize,
    /// Updates made before this episode's.
    updates: usize,
    /// The network as this episode's first rollout found it, to go back to if a loss is not
    /// finite.
    started_from: AgentNetwork,
    /// The last rollout's observations on the device, to check the network's outputs on.
    played: Option<Tensor<2>>,
    /// This episode's updates: their losses and entropies summed on the device, `[2]`, and
    /// how many.
    pending: (Option<Tensor<1>>, usize),
}

impl<'a> OnPolicy<'a> {
    /// Sets up training in `env` with a fresh network on an autodiff version of `device`, for
    /// `algorithm` (its name, for messages).
    pub fn new(
        mut env: DetectionEnv<'a>,
        settings: Settings,
        algorithm: &'static str,
        device: &Device,
    ) -> Self {
        let device = device.clone().autodiff();
        device.seed(settings.seed);
        env.reset(Some(settings.seed));
        let network = AgentNetwork::new(
            env.width(),
            settings.hidden,
            Heads::ActionsAndValue,
            &device,
        );
        Self {
            algorithm,
            started_from: network.clone(),
            network,
            optimiser: AdamConfig::new().init(),
            rng: StdRng::seed_from_u64(settings.seed ^ 0x9e37_79b9),
            width: env.width(),
            device,
            env,
            episode: 0,
            updates: 0,
            played: None,
            pending: (None, 0),
        }
    }

    /// Plays the next `count` flows of the episode (fewer where it ends) with actions sampled
    /// from the current policy, deciding them all with one forward pass and one read, counted in
    /// `tally`; also returns the value of the flow that comes next, for bootstrapping.
    pub async fn rollout(
        &mut self,
        count: usize,
        tally: &mut EpisodeTally,
    ) -> Result<(Rollout, f32), AgentError> {
        let starts_episode = self.env.episode_starts();
        let hand = self.env.deal(count);
        let mut rows = hand.rows.clone();
        rows.push(hand.next);
        let mut observations = self.env.observations(&rows);
        let input = observation_batch(&observations, self.width, &self.device);
        let (logits, values) = self.network.actions_and_values(input.clone());
        let outputs = read(Tensor::cat(
            vec![logits.detach(), values.detach().unsqueeze_dim(1)],
            1,
        ))
        .await?;
        if !outputs.iter().all(|value| value.is_finite()) {
            return Err(self.diverged());
        }
        if starts_episode {
            self.started_from = self.network.clone();
        }
        self.played = Some(input);
        tally.add_read();
        let mut rollout = Rollout {
            ends_episode: hand.ends_episode,
            ..Rollout::default()
        };
        for (&row, output) in hand.rows.iter().zip(outputs.chunks_exact(3)) {
            // Softmax over two logits: the probability of flagging.
            let flag = 1.0 / (1.0 + f64::from(output[0] - output[1]).exp());
            let action = usize::from(self.rng.random_bool(flag.clamp(0.0, 1.0)));
            let probability = if action == 1 { flag } else { 1.0 - flag };
            let step = self.env.decide(row, Action::from_index(action));
            tally.add(&step);
            rollout.actions.push(action as i64);
            rollout.rewards.push(step.reward);
            rollout.log_probs.push(probability.max(1e-12).ln() as f32);
            rollout.values.push(output[2]);
        }
        // The flow that follows was observed only for its value.
        observations.truncate(hand.rows.len() * self.width);
        rollout.observations = observations;
        let last = outputs[outputs.len() - 1];
        self.episode += usize::from(hand.ends_episode);
        Ok((rollout, last))
    }

    /// Steps `rows` of `rollout` as tensors on the training device.
    pub fn minibatch(
        &self,
        rollout: &Rollout,
        rows: &[usize],
        (advantages, returns): (&[f32], &[f32]),
    ) -> Minibatch {
        let width = self.width;
        let pick = |values: &[f32]| -> Vec<f32> { rows.iter().map(|&row| values[row]).collect() };
        let observations: Vec<f32> = rows
            .iter()
            .flat_map(|&row| {
                rollout.observations[row * width..(row + 1) * width]
                    .iter()
                    .copied()
            })
            .collect();
        let size = rows.len();
        let actions: Vec<i64> = rows.iter().map(|&row| rollout.actions[row]).collect();
        let vector = |values: Vec<f32>| {
            Tensor::<1>::from_data(TensorData::new(values, [size]), &self.device)
        };
        Minibatch {
            observations: observation_batch(&observations, width, &self.device),
            actions: Tensor::<2, Int>::from_data(TensorData::new(actions, [size, 1]), &self.device),
            old_log_probs: vector(pick(&rollout.log_probs)),
            advantages: vector(pick(advantages)),
            returns: vector(pick(returns)),
        }
    }

    /// The network's view of `batch`: the log-probabilities of the actions taken, the mean
    /// entropy of the policy, and the state values.
    pub fn evaluate(&self, batch: &Minibatch) -> (Tensor<1>, Tensor<1>, Tensor<1>) {
        let (logits, values) = self.network.actions_and_values(batch.observations.clone());
        let (log_probs, entropy) = log_probs_and_entropy(logits, batch.actions.clone());
        (log_probs, entropy, values)
    }

    /// One Adam step of `learning_rate` down `loss`; the loss and `entropy` are added to the
    /// episode's sums on the device, unread (see [`OnPolicy::settle`]).
    pub fn descend(&mut self, loss: Tensor<1>, entropy: Tensor<1>, learning_rate: f64) {
        let values = Tensor::cat(vec![loss.clone().detach(), entropy.detach()], 0);
        let (sums, count) = std::mem::take(&mut self.pending);
        self.pending = (Some(accumulate(sums, values)), count + 1);
        let gradients = GradientsParams::from_grads(loss.backward(), &self.network);
        let network = self.network.clone();
        self.network = self.optimiser.step(learning_rate, network, gradients);
    }

    /// Reads this episode's summed losses and entropies, with the sum of the network's outputs
    /// on the rollout, in one go and counts them into `tally`; returns the updates' mean policy
    /// entropy. A NaN or infinity among them puts the network back as the rollout found it and
    /// stops training, so every episode starts from weights that decide finitely.
    pub async fn settle(&mut self, tally: &mut EpisodeTally) -> Result<f64, AgentError> {
        let (sums, updates) = std::mem::take(&mut self.pending);
        let (Some(sums), Some(played)) = (sums, self.played.clone()) else {
            return Ok(f64::NAN);
        };
        let probe = self.network.output_sum(played);
        let read_back = read(Tensor::cat(vec![sums, probe], 0)).await?;
        tally.add_read();
        if !read_back.iter().all(|value| value.is_finite()) {
            return Err(self.diverged());
        }
        self.updates += updates;
        tally.add_losses(read_back[0], updates);
        Ok(f64::from(read_back[1]) / updates as f64)
    }

    /// Puts the network back as the last rollout found it and says training diverged.
    fn diverged(&mut self) -> AgentError {
        self.network = self.started_from.clone();
        AgentError::NotFinite {
            algorithm: self.algorithm,
            updates: self.updates,
        }
    }

    /// Episodes played so far.
    pub fn episodes(&self) -> usize {
        self.episode
    }

    /// The reward matrix in use.
    pub fn rewards(&self) -> RewardMatrix {
        self.env.rewards()
    }

    /// The learnt policy, off the autodiff device.
    pub fn policy(&self) -> AgentNetwork {
        self.network.valid()
    }
}

/// The actor-critic loss around `policy_loss`: plus the value head's squared error against the
/// returns times `value_weight`, minus the mean `entropy` times `entropy_weight` (a bonus for
/// exploring).
pub fn with_critic(
    policy_loss: Tensor<1>,
    (values, returns): (Tensor<1>, Tensor<1>),
    entropy: Tensor<1>,
    (value_weight, entropy_weight): (f32, f32),
) -> Tensor<1> {
    let value_loss = (values - returns).powi_scalar(2).mean();
    policy_loss + value_loss * value_weight - entropy * entropy_weight
}

/// Log-probabilities of `actions` and the mean entropy under `logits`.
fn log_probs_and_entropy(logits: Tensor<2>, actions: Tensor<2, Int>) -> (Tensor<1>, Tensor<1>) {
    let log_all = log_softmax(logits.clone(), 1);
    let entropy = -(softmax(logits, 1) * log_all.clone()).sum_dim(1).mean();
    (log_all.gather(1, actions).squeeze_dim(1), entropy)
}

/// Normalised advantages and returns of a rollout by generalised advantage estimation (Schulman
/// et al. 2016).
pub fn targets(
    rollout: &Rollout,
    last_value: f32,
    gamma: f32,
    lambda: f32,
) -> (Vec<f32>, Vec<f32>) {
    let (mut advantage, returns) =
        advantages(&rollout.rewards, &rollout.values, last_value, gamma, lambda);
    normalise(&mut advantage);
    (advantage, returns)
}

/// Advantages and returns by generalised advantage estimation, each step's next value taken
/// from the next step (and `last_value` after the last; episodes end by a time limit, so they
/// are bootstrapped).
pub fn advantages(
    rewards: &[f32],
    values: &[f32],
    last_value: f32,
    gamma: f32,
    lambda: f32,
) -> (Vec<f32>, Vec<f32>) {
    let mut advantages = vec![0.0; rewards.len()];
    let mut running = 0.0;
    for step in (0..rewards.len()).rev() {
        let next = values.get(step + 1).copied().unwrap_or(last_value);
        let delta = rewards[step] + gamma * next - values[step];
        running = delta + gamma * lambda * running;
        advantages[step] = running;
    }
    let returns = advantages.iter().zip(values).map(|(a, v)| a + v).collect();
    (advantages, returns)
}

/// Scales advantages to zero mean and unit deviation (a standard variance reduction).
fn normalise(values: &mut [f32]) {
    let count = values.len().max(1) as f32;
    let mean = values.iter().sum::<f32>() / count;
    let deviation = (values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / count).sqrt();
    for value in values {
        *value = (*value - mean) / (deviation + 1e-8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gae_with_no_discount_is_reward_minus_value() {
        let (advantages, returns) = advantages(&[2.0, -1.0], &[0.5, 0.5], 9.0, 0.0, 0.95);
        assert_eq!(advantages, [1.5, -1.5]);
        assert_eq!(returns, [2.0, -1.0]);
    }

    #[test]
    fn gae_discounts_and_bootstraps() {
        // γ = 0.5, λ = 1: δ1 = 1 + 0.5·4 − 1 = 2; δ0 = 0 + 0.5·1 − 2 = −1.5; A0 = −1.5 + 0.5·2.
        let (advantages, _) = advantages(&[0.0, 1.0], &[2.0, 1.0], 4.0, 0.5, 1.0);
        assert_eq!(advantages, [-0.5, 2.0]);
    }
}
