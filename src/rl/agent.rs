//! Any of the three agents behind one type, so the CLI, the app and the tests drive them alike.

use burn::prelude::Device;
use serde::{Deserialize, Serialize};

use super::a2c::{A2cConfig, A2cTrainer};
use super::actor_critic::Settings;
use super::dqn::{DqnConfig, DqnTrainer};
use super::env::{FlowPool, RewardMatrix};
use super::history::EpisodeReport;
use super::ppo::{PpoConfig, PpoTrainer};
use super::saved::Policy;

/// Which algorithm learns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// Double DQN with replay and a target network.
    Dqn,
    /// Proximal policy optimisation.
    Ppo,
    /// Advantage actor-critic.
    A2c,
}

impl Algorithm {
    /// Its name in tables and files.
    pub fn name(self) -> &'static str {
        match self {
            Self::Dqn => "DQN",
            Self::Ppo => "PPO",
            Self::A2c => "A2C",
        }
    }
}

/// An agent in training.
pub enum AgentTrainer<'a> {
    /// See [`DqnTrainer`] (boxed: its replay state makes it much larger than the others).
    Dqn(Box<DqnTrainer<'a>>),
    /// See [`PpoTrainer`].
    Ppo(PpoTrainer<'a>),
    /// See [`A2cTrainer`].
    A2c(A2cTrainer<'a>),
}

impl<'a> AgentTrainer<'a> {
    /// An agent of `algorithm` with its default hyperparameters and the shared `settings`, to
    /// train for `episodes` episodes on `pool`.
    pub fn new(
        algorithm: Algorithm,
        pool: &'a FlowPool,
        rewards: RewardMatrix,
        settings: Settings,
        episodes: usize,
        device: &Device,
    ) -> Self {
        match algorithm {
            Algorithm::Dqn => {
                let config = DqnConfig {
                    hidden: settings.hidden,
                    episode_length: settings.episode_length,
                    balanced: settings.balanced,
                    seed: settings.seed,
                    ..DqnConfig::default()
                };
                Self::Dqn(Box::new(DqnTrainer::new(
                    pool, rewards, config, episodes, device,
                )))
            }
            Algorithm::Ppo => Self::Ppo(PpoTrainer::new(
                pool,
                rewards,
                PpoConfig {
                    settings,
                    ..PpoConfig::default()
                },
                device,
            )),
            Algorithm::A2c => Self::A2c(A2cTrainer::new(
                pool,
                rewards,
                A2cConfig {
                    settings,
                    ..A2cConfig::default()
                },
                device,
            )),
        }
    }

    /// Plays and learns one episode.
    pub async fn episode(&mut self) -> Result<EpisodeReport, String> {
        match self {
            Self::Dqn(trainer) => trainer.episode().await,
            Self::Ppo(trainer) => trainer.episode().await,
            Self::A2c(trainer) => trainer.episode().await,
        }
    }

    /// The learnt policy, off the autodiff device.
    pub fn policy(&self) -> Policy {
        match self {
            Self::Dqn(trainer) => Policy::Q(trainer.policy()),
            Self::Ppo(trainer) => Policy::ActorCritic(trainer.policy()),
            Self::A2c(trainer) => Policy::ActorCritic(trainer.policy()),
        }
    }

    /// The learnt policy's decision (true = flag) for each flow of `pool`, on `device`.
    pub async fn flags(&self, pool: &FlowPool, device: &Device) -> Result<Vec<bool>, String> {
        self.policy().flags(pool, device).await
    }
}
