//! The agent file: the autoencoder's model file (its tensors and metadata, so the agent's
//! observations can be rebuilt from any CSV) plus the agent's network under `agent.` names and
//! its plan under the `netsentry_agent` metadata key. A model file reader opens it as the model
//! alone.

use burn::prelude::Device;
use serde::{Deserialize, Serialize};

use super::network::AgentNetwork;
use super::plan::AgentPlan;
use crate::model::saved::{ModelFileError, SavedModel};
use crate::model::weights::NamedWeights;

/// Bumped whenever the agent's metadata or tensor names change meaning (2: the plan as one
/// object, the episodes trained apart from those planned, and one network layout for every
/// algorithm: `agent.actions` for DQN's `agent.output` and the actor-critic's `agent.policy`).
pub const AGENT_FORMAT_VERSION: u32 = 2;
/// The metadata key holding [`AgentMeta`] as JSON.
const AGENT_KEY: &str = "netsentry_agent";

/// Everything about a trained agent except its weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentMeta {
    /// [`AGENT_FORMAT_VERSION`] when written.
    pub format_version: u32,
    /// What the user chose: algorithm, rewards, episodes planned, settings.
    pub plan: AgentPlan,
    /// Floats per observation (1 + latent + features of its model).
    pub observation_width: usize,
    /// Episodes it trained for (fewer than planned when stopped).
    pub episodes_trained: usize,
}

/// A trained agent with the model whose view of flows it learnt from.
#[derive(Debug)]
pub struct SavedAgent {
    /// The agent's settings.
    pub meta: AgentMeta,
    /// The autoencoder.
    pub model: SavedModel,
    /// The agent's network.
    pub policy: AgentNetwork,
}

impl SavedAgent {
    /// The file's bytes; weights are read from the device asynchronously.
    pub async fn to_bytes(&self) -> Result<Vec<u8>, ModelFileError> {
        let (mut weights, mut metadata) = self.model.to_parts().await?;
        let agent = self
            .policy
            .weights()
            .await
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
        let shape = (meta.observation_width, meta.plan.settings.hidden);
        let heads = meta.plan.algorithm.heads();
        let policy = AgentNetwork::from_weights(&weights, shape, heads, device)
            .map_err(ModelFileError::Weights)?;
        Ok(Self {
            meta,
            model,
            policy,
        })
    }
}
