//! What PPO and A2C share: a network with a policy head (logits over allow/flag) and a value
//! head, rollouts played with the sampled policy, and generalised advantage estimation.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::optim::GradientsParams;
use burn::prelude::{Device, Int, Tensor, TensorData};
use burn::tensor::activation::{log_softmax, relu, softmax};
use rand::RngExt;
use rand::rngs::StdRng;

use super::env::{Action, DetectionEnv};
use super::history::EpisodeTally;
use crate::model::weights::{NamedWeights, WeightError, linear_from, linear_weights, read};

/// Two hidden ReLU layers: the body of every agent's network.
#[derive(Module, Debug)]
pub struct Trunk {
    first: Linear,
    second: Linear,
}

impl Trunk {
    /// A freshly initialised trunk (seed the device first).
    pub fn new(inputs: usize, hidden: usize, device: &Device) -> Self {
        Self {
            first: LinearConfig::new(inputs, hidden).init(device),
            second: LinearConfig::new(hidden, hidden).init(device),
        }
    }

    /// The hidden features of each observation.
    pub fn forward(&self, observations: Tensor<2>) -> Tensor<2> {
        relu(self.second.forward(relu(self.first.forward(observations))))
    }

    /// Appends the trunk's weights under `agent.trunk.…`.
    pub async fn weights(&self, named: &mut NamedWeights) -> Result<(), WeightError> {
        linear_weights(named, "agent.trunk.first", &self.first).await?;
        linear_weights(named, "agent.trunk.second", &self.second).await
    }

    /// A trunk from the weights written by [`Trunk::weights`].
    pub fn from_weights(
        weights: &NamedWeights,
        inputs: usize,
        hidden: usize,
        device: &Device,
    ) -> Result<Self, WeightError> {
        Ok(Self {
            first: linear_from(weights, "agent.trunk.first", (inputs, hidden), device)?,
            second: linear_from(weights, "agent.trunk.second", (hidden, hidden), device)?,
        })
    }
}

/// The shared trunk, then a policy head and a value head.
#[derive(Module, Debug)]
pub struct ActorCritic {
    trunk: Trunk,
    policy: Linear,
    value: Linear,
}

impl ActorCritic {
    /// A freshly initialised network (seed the device first).
    pub fn new(inputs: usize, hidden: usize, device: &Device) -> Self {
        Self {
            trunk: Trunk::new(inputs, hidden, device),
            policy: LinearConfig::new(hidden, Action::ALL.len()).init(device),
            value: LinearConfig::new(hidden, 1).init(device),
        }
    }

    /// The weights, under `agent.` names.
    pub async fn weights(&self) -> Result<NamedWeights, WeightError> {
        let mut named = NamedWeights::default();
        self.trunk.weights(&mut named).await?;
        linear_weights(&mut named, "agent.policy", &self.policy).await?;
        linear_weights(&mut named, "agent.value", &self.value).await?;
        Ok(named)
    }

    /// A network from the weights written by [`ActorCritic::weights`].
    pub fn from_weights(
        weights: &NamedWeights,
        inputs: usize,
        hidden: usize,
        device: &Device,
    ) -> Result<Self, WeightError> {
        Ok(Self {
            trunk: Trunk::from_weights(weights, inputs, hidden, device)?,
            policy: linear_from(weights, "agent.policy", (hidden, Action::ALL.len()), device)?,
            value: linear_from(weights, "agent.value", (hidden, 1), device)?,
        })
    }

    /// Action logits `[rows, actions]` and state values `[rows]`.
    pub fn forward(&self, observations: Tensor<2>) -> (Tensor<2>, Tensor<1>) {
        let hidden = self.trunk.forward(observations);
        (
            self.policy.forward(hidden.clone()),
            self.value.forward(hidden).squeeze_dim(1),
        )
    }
}

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
    /// Counts for the episode report.
    pub tally: EpisodeTally,
}

/// Plays one episode with actions sampled from `network`'s policy.
pub async fn play(
    network: &ActorCritic,
    device: &Device,
    env: &mut DetectionEnv<'_>,
    observation: &mut Vec<f32>,
    rng: &mut StdRng,
) -> Result<Rollout, String> {
    let width = observation.len();
    let mut rollout = Rollout::default();
    loop {
        let input =
            Tensor::<2>::from_data(TensorData::new(observation.clone(), [1, width]), device);
        let (logits, value) = network.forward(input);
        let outputs = read(Tensor::cat(
            vec![logits.detach(), value.detach().unsqueeze_dim(1)],
            1,
        ))
        .await
        .map_err(|error| error.to_string())?;
        // Softmax over two logits: the probability of flagging.
        let flag = 1.0 / (1.0 + f64::from(outputs[0] - outputs[1]).exp());
        let action = usize::from(rng.random_bool(flag.clamp(0.0, 1.0)));
        let probability = if action == 1 { flag } else { 1.0 - flag };
        let step = env.step(Action::from_index(action));
        rollout.tally.add(&step);
        rollout.observations.append(observation);
        rollout.actions.push(action as i64);
        rollout.rewards.push(step.reward);
        rollout.log_probs.push(probability.max(1e-12).ln() as f32);
        rollout.values.push(outputs[2]);
        *observation = step.observation;
        if step.done {
            return Ok(rollout);
        }
    }
}

/// Advantages and returns by generalised advantage estimation (Schulman et al. 2016), each
/// step's next value taken from the next step (and `last_value` after the last; episodes end by
/// a time limit, so they are bootstrapped).
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

/// Log-probabilities of `actions` and the mean entropy under `logits`.
pub fn log_probs_and_entropy(logits: Tensor<2>, actions: Tensor<2, Int>) -> (Tensor<1>, Tensor<1>) {
    let log_all = log_softmax(logits.clone(), 1);
    let entropy = -(softmax(logits, 1) * log_all.clone()).sum_dim(1).mean();
    (log_all.gather(1, actions).squeeze_dim(1), entropy)
}

/// Row-major observations, `width` wide, as a tensor on `device`.
pub fn observation_batch(observations: &[f32], width: usize, device: &Device) -> Tensor<2> {
    let rows = observations.len() / width.max(1);
    Tensor::<2>::from_data(
        TensorData::new(observations.to_vec(), [rows, width]),
        device,
    )
}

/// The index of the larger of each row's two action outputs (logits or Q-values).
pub async fn best_actions(outputs: Tensor<2>) -> Result<Vec<usize>, String> {
    let outputs = read(outputs.detach())
        .await
        .map_err(|error| error.to_string())?;
    Ok(outputs
        .chunks_exact(Action::ALL.len())
        .map(|pair| usize::from(pair[1] > pair[0]))
        .collect())
}

/// The greedy (most probable) action for each row of `observations`.
pub async fn greedy(
    network: &ActorCritic,
    device: &Device,
    observations: &[f32],
    width: usize,
) -> Result<Vec<usize>, String> {
    let input = observation_batch(observations, width, device);
    best_actions(network.forward(input).0).await
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

/// The state PPO and A2C share: the environment, the network, its optimiser and the random
/// generator for sampling.
pub struct OnPolicy<'a> {
    /// The autodiff device training runs on.
    pub device: Device,
    env: DetectionEnv<'a>,
    /// The actor-critic being trained.
    pub network: ActorCritic,
    /// Adam over the network.
    pub optimiser: burn::optim::ModuleOptimizer,
    /// Samples actions and shuffles minibatches.
    pub rng: StdRng,
    observation: Vec<f32>,
    /// Floats per observation.
    pub width: usize,
    /// Episodes played.
    pub episode: usize,
}

impl<'a> OnPolicy<'a> {
    /// Sets up an environment over `pool` and a fresh network on an autodiff version of `device`.
    pub fn new(
        pool: &'a super::env::FlowPool,
        rewards: super::env::RewardMatrix,
        settings: Settings,
        device: &Device,
    ) -> Self {
        use rand::SeedableRng;
        let device = device.clone().autodiff();
        device.seed(settings.seed);
        let mut env = DetectionEnv::new(pool, rewards, settings.episode_length, settings.balanced);
        let observation = env.reset(Some(settings.seed));
        Self {
            network: ActorCritic::new(pool.width, settings.hidden, &device),
            optimiser: burn::optim::AdamConfig::new().init(),
            rng: StdRng::seed_from_u64(settings.seed ^ 0x9e37_79b9),
            width: pool.width,
            device,
            env,
            observation,
            episode: 0,
        }
    }

    /// Plays one episode with the current policy; also returns the value of the flow that comes
    /// next, for bootstrapping.
    pub async fn rollout(&mut self) -> Result<(Rollout, f32), String> {
        let rollout = play(
            &self.network,
            &self.device,
            &mut self.env,
            &mut self.observation,
            &mut self.rng,
        )
        .await?;
        let input = Tensor::<2>::from_data(
            TensorData::new(self.observation.clone(), [1, self.width]),
            &self.device,
        );
        let last = read(self.network.forward(input).1.detach())
            .await
            .map_err(|error| error.to_string())?[0];
        self.episode += 1;
        Ok((rollout, last))
    }

    /// The reward matrix in use.
    pub fn rewards(&self) -> super::env::RewardMatrix {
        self.env.rewards()
    }

    /// The learnt policy, for evaluation.
    pub fn policy(&self) -> ActorCritic {
        self.network.valid()
    }
}

/// Settings both on-policy agents have.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Settings {
    /// Units in each shared hidden layer.
    pub hidden: usize,
    /// Flows per episode (and per rollout).
    pub episode_length: usize,
    /// Deal benign and attack flows with equal odds.
    pub balanced: bool,
    /// Seed for weights, sampling and minibatches.
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            hidden: 64,
            episode_length: 256,
            balanced: false,
            seed: 42,
        }
    }
}

/// Tensors of a batch of rollout steps: observations, actions, old log-probabilities,
/// advantages and returns.
fn batch_tensors(
    rollout: &Rollout,
    rows: &[usize],
    advantages: &[f32],
    returns: &[f32],
    width: usize,
    device: &Device,
) -> (Tensor<2>, Tensor<2, Int>, Tensor<1>, Tensor<1>, Tensor<1>) {
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
    let vector = |values: Vec<f32>| Tensor::<1>::from_data(TensorData::new(values, [size]), device);
    (
        Tensor::<2>::from_data(TensorData::new(observations, [size, width]), device),
        Tensor::<2, Int>::from_data(TensorData::new(actions, [size, 1]), device),
        vector(pick(&rollout.log_probs)),
        vector(pick(advantages)),
        vector(pick(returns)),
    )
}

/// The normalised advantages and the returns of a rollout.
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

/// How an actor-critic loss is put together.
#[derive(Clone, Copy, Debug)]
pub struct Objective {
    /// PPO's clip range of the probability ratio; `None` for A2C's plain policy gradient.
    pub clip: Option<f32>,
    /// Weight of the value loss.
    pub value_weight: f32,
    /// Weight of the entropy bonus.
    pub entropy_weight: f32,
    /// Adam's step size.
    pub learning_rate: f64,
}

impl OnPolicy<'_> {
    /// One gradient step on the steps `rows` of `rollout`; returns the loss and the mean entropy.
    pub async fn descend(
        &mut self,
        rollout: &Rollout,
        rows: &[usize],
        (advantage, returns): (&[f32], &[f32]),
        objective: Objective,
    ) -> Result<(f32, f32), String> {
        let (observations, actions, old_log_probs, advantage, returns) =
            batch_tensors(rollout, rows, advantage, returns, self.width, &self.device);
        let (logits, values) = self.network.forward(observations);
        let (log_probs, entropy) = log_probs_and_entropy(logits, actions);
        let policy_loss = match objective.clip {
            Some(clip) => {
                let ratio = (log_probs - old_log_probs).exp();
                let unclipped = ratio.clone() * advantage.clone();
                let clipped = ratio.clamp(1.0 - clip, 1.0 + clip) * advantage;
                -unclipped.min_pair(clipped).mean()
            }
            None => -(log_probs * advantage).mean(),
        };
        let value_loss = (values - returns).powi_scalar(2).mean();
        let loss = policy_loss + value_loss * objective.value_weight
            - entropy.clone() * objective.entropy_weight;
        let read_back = read(Tensor::cat(
            vec![loss.clone().detach(), entropy.detach()],
            0,
        ))
        .await
        .map_err(|error| error.to_string())?;
        if !read_back[0].is_finite() {
            return Err(
                "the agent's loss became NaN or infinite; try a lower learning rate".to_owned(),
            );
        }
        let gradients = GradientsParams::from_grads(loss.backward(), &self.network);
        let network = self.network.clone();
        self.network = self
            .optimiser
            .step(objective.learning_rate, network, gradients);
        Ok((read_back[0], read_back[1]))
    }
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
