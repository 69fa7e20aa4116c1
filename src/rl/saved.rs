//! The agent file: the autoencoder's model file (its tensors and metadata, so the agent's
//! observations can be rebuilt from any CSV) plus the agent's network under `agent.` names and
//! its settings under the `netsentry_agent` metadata key. A model file reader opens it as the
//! model alone.

use burn::prelude::Device;
use serde::{Deserialize, Serialize};

use super::actor_critic::{ActorCritic, Settings};
use super::agent::{AgentTrainer, Algorithm};
use super::dqn::QNetwork;
use super::env::{FlowPool, RewardMatrix};
use crate::model::saved::{ModelFileError, SavedModel};
use crate::model::weights::NamedWeights;

/// Bumped whenever the agent's metadata or tensor names change meaning.
pub const AGENT_FORMAT_VERSION: u32 = 1;
/// The metadata key holding [`AgentMeta`] as JSON.
const AGENT_KEY: &str = "netsentry_agent";

/// Everything about a trained agent except its weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentMeta {
    /// [`AGENT_FORMAT_VERSION`] when written.
    pub format_version: u32,
    /// Which algorithm trained it.
    pub algorithm: Algorithm,
    /// Network size, episode length, balance, seed.
    pub settings: Settings,
    /// The rewards it learnt under.
    pub rewards: RewardMatrix,
    /// Floats per observation (1 + latent + features of its model).
    pub observation_width: usize,
    /// Episodes it trained for.
    pub episodes: usize,
}

/// The agent's network.
#[derive(Debug)]
pub enum Policy {
    /// DQN's action values.
    Q(QNetwork),
    /// PPO's or A2C's actor-critic.
    ActorCritic(ActorCritic),
}

impl Policy {
    /// The policy's decision (true = flag) for each flow of `pool`.
    pub async fn flags(&self, pool: &FlowPool, device: &Device) -> Result<Vec<bool>, String> {
        let actions = match self {
            Self::Q(network) => {
                super::dqn::greedy(network, device, &pool.observations, pool.width).await?
            }
            Self::ActorCritic(network) => {
                super::actor_critic::greedy(network, device, &pool.observations, pool.width).await?
            }
        };
        Ok(actions.into_iter().map(|action| action == 1).collect())
    }
}

/// A trained agent with the model whose view of flows it learnt from.
#[derive(Debug)]
pub struct SavedAgent {
    /// The agent's settings.
    pub meta: AgentMeta,
    /// The autoencoder.
    pub model: SavedModel,
    /// The agent's network.
    pub policy: Policy,
}

impl SavedAgent {
    /// Takes the trained policy out of `trainer`.
    pub fn new(trainer: &AgentTrainer<'_>, meta: AgentMeta, model: SavedModel) -> Self {
        Self {
            policy: trainer.policy(),
            meta,
            model,
        }
    }

    /// The file's bytes; weights are read from the device asynchronously.
    pub async fn to_bytes(&self) -> Result<Vec<u8>, ModelFileError> {
        let (mut weights, mut metadata) = self.model.to_parts().await?;
        let agent = match &self.policy {
            Policy::Q(network) => network.weights().await,
            Policy::ActorCritic(network) => network.weights().await,
        }
        .map_err(ModelFileError::Weights)?;
        weights.tensors.extend(agent.tensors);
        metadata.insert(
            AGENT_KEY.to_owned(),
            serde_json::to_string(&self.meta)
                .map_err(|error| ModelFileError::Meta(error.to_string()))?,
        );
        weights
            .to_safetensors(metadata)
            .map_err(ModelFileError::Weights)
    }

    /// Reads an agent file onto `device`.
    pub fn from_bytes(bytes: &[u8], device: &Device) -> Result<Self, ModelFileError> {
        let model = SavedModel::from_bytes(bytes, device)?;
        let (weights, metadata) =
            NamedWeights::from_safetensors(bytes).map_err(ModelFileError::Weights)?;
        let meta = metadata.get(AGENT_KEY).ok_or(ModelFileError::NoAgent)?;
        let value: serde_json::Value =
            serde_json::from_str(meta).map_err(|error| ModelFileError::Meta(error.to_string()))?;
        let found = value
            .get("format_version")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        if found != u64::from(AGENT_FORMAT_VERSION) {
            return Err(ModelFileError::Version {
                found: u32::try_from(found).unwrap_or(u32::MAX),
            });
        }
        let meta: AgentMeta = serde_json::from_value(value)
            .map_err(|error| ModelFileError::Meta(error.to_string()))?;
        let (width, hidden) = (meta.observation_width, meta.settings.hidden);
        let policy = match meta.algorithm {
            Algorithm::Dqn => {
                QNetwork::from_weights(&weights, width, hidden, device).map(Policy::Q)
            }
            Algorithm::Ppo | Algorithm::A2c => {
                ActorCritic::from_weights(&weights, width, hidden, device).map(Policy::ActorCritic)
            }
        }
        .map_err(ModelFileError::Weights)?;
        Ok(Self {
            meta,
            model,
            policy,
        })
    }
}
