//! The network every agent learns with, and the helpers that turn observations into a batch and
//! a batch of outputs into actions: two hidden ReLU layers, then one output per action (DQN's
//! action values, or PPO's and A2C's policy logits) and, for PPO and A2C, a value head.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::prelude::{Device, Tensor, TensorData};

use super::env::{Action, FlowPool};
use crate::model::config::Activation;
use crate::model::weights::{NamedWeights, WeightError, linear_from, linear_weights, read};

/// Which heads an agent's network has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heads {
    /// One output per action: DQN's action values.
    Actions,
    /// Policy logits per action and a state value: PPO's and A2C's actor-critic.
    ActionsAndValue,
}

/// An agent's network: the trunk, the action head and perhaps a value head. Its tensors are
/// saved under `agent.` names (`agent.trunk.first`, `agent.trunk.second`, `agent.actions`,
/// `agent.value`).
#[derive(Module, Debug)]
pub struct AgentNetwork {
    first: Linear,
    second: Linear,
    actions: Linear,
    value: Option<Linear>,
}

impl AgentNetwork {
    /// A freshly initialised network with `heads` (seed the device first).
    pub fn new(inputs: usize, hidden: usize, heads: Heads, device: &Device) -> Self {
        Self {
            first: LinearConfig::new(inputs, hidden).init(device),
            second: LinearConfig::new(hidden, hidden).init(device),
            actions: LinearConfig::new(hidden, Action::ALL.len()).init(device),
            value: (heads == Heads::ActionsAndValue)
                .then(|| LinearConfig::new(hidden, 1).init(device)),
        }
    }

    /// The hidden features of each observation.
    fn trunk(&self, observations: Tensor<2>) -> Tensor<2> {
        let first = Activation::Relu.dense(&self.first, observations);
        Activation::Relu.dense(&self.second, first)
    }

    /// One output per action, `[rows, actions]`.
    pub fn actions(&self, observations: Tensor<2>) -> Tensor<2> {
        self.actions.forward(self.trunk(observations))
    }

    /// Action outputs `[rows, actions]` and state values `[rows]` (zeros without a value head).
    pub fn actions_and_values(&self, observations: Tensor<2>) -> (Tensor<2>, Tensor<1>) {
        let hidden = self.trunk(observations);
        let actions = self.actions.forward(hidden.clone());
        let values = match &self.value {
            Some(value) => value.forward(hidden).squeeze_dim(1),
            None => Tensor::zeros([hidden.dims()[0]], &hidden.device()),
        };
        (actions, values)
    }

    /// The sum of the network's outputs on `observations`, `[1]`, left on the device: it is not
    /// finite when the weights no longer give finite decisions (diverged training can leave
    /// finite losses and finite but huge weights), so reading it with an episode's losses checks
    /// the network in the same round trip.
    pub fn output_sum(&self, observations: Tensor<2>) -> Tensor<1> {
        let (actions, values) = self.actions_and_values(observations);
        (actions.sum() + values.sum()).detach()
    }

    /// The greedy action (the larger output) for each row of `observations` (row-major, `width`
    /// wide): one forward pass, one read.
    pub async fn greedy(
        &self,
        device: &Device,
        observations: &[f32],
        width: usize,
    ) -> Result<Vec<usize>, WeightError> {
        best_actions(self.actions(observation_batch(observations, width, device))).await
    }

    /// The decision (true = flag) for each flow of `pool`: one forward pass, one read.
    pub async fn flags(&self, pool: &FlowPool, device: &Device) -> Result<Vec<bool>, WeightError> {
        let actions = self.greedy(device, &pool.observations, pool.width).await?;
        Ok(actions.into_iter().map(|action| action == 1).collect())
    }

    /// The weights, under `agent.` names.
    pub async fn weights(&self) -> Result<NamedWeights, WeightError> {
        let mut named = NamedWeights::default();
        linear_weights(&mut named, "agent.trunk.first", &self.first).await?;
        linear_weights(&mut named, "agent.trunk.second", &self.second).await?;
        linear_weights(&mut named, "agent.actions", &self.actions).await?;
        if let Some(value) = &self.value {
            linear_weights(&mut named, "agent.value", value).await?;
        }
        Ok(named)
    }

    /// A network with `heads` from the weights written by [`AgentNetwork::weights`].
    pub fn from_weights(
        weights: &NamedWeights,
        (inputs, hidden): (usize, usize),
        heads: Heads,
        device: &Device,
    ) -> Result<Self, WeightError> {
        let layer = |name: &str, shape| linear_from(weights, name, shape, device);
        Ok(Self {
            first: layer("agent.trunk.first", (inputs, hidden))?,
            second: layer("agent.trunk.second", (hidden, hidden))?,
            actions: layer("agent.actions", (hidden, Action::ALL.len()))?,
            value: match heads {
                Heads::Actions => None,
                Heads::ActionsAndValue => Some(layer("agent.value", (hidden, 1))?),
            },
        })
    }
}

/// Row-major observations, `width` wide, as a tensor on `device`.
pub fn observation_batch(observations: &[f32], width: usize, device: &Device) -> Tensor<2> {
    let rows = observations.len() / width.max(1);
    Tensor::<2>::from_data(
        TensorData::new(observations.to_vec(), [rows, width]),
        device,
    )
}

/// The index of the larger of each row's two action outputs (logits or Q-values), read back
/// from the device in one go.
pub async fn best_actions(outputs: Tensor<2>) -> Result<Vec<usize>, WeightError> {
    let outputs = read(outputs.detach()).await?;
    Ok(outputs
        .chunks_exact(Action::ALL.len())
        .map(|pair| usize::from(pair[1] > pair[0]))
        .collect())
}
