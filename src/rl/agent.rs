//! Any of the three agents behind one type, so the run and the tests drive them alike; trained,
//! each is an [`AgentNetwork`].

use burn::prelude::Device;

use super::a2c::{A2cConfig, A2cTrainer};
use super::dqn::{DqnConfig, DqnTrainer};
use super::env::DetectionEnv;
use super::error::AgentError;
use super::history::EpisodeReport;
use super::network::AgentNetwork;
use super::plan::{Algorithm, Settings};
use super::ppo::{PpoConfig, PpoTrainer};

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
    /// train for `episodes` episodes in `env` (DQN's ε decays over that many).
    pub fn new(
        algorithm: Algorithm,
        env: DetectionEnv<'a>,
        settings: Settings,
        episodes: usize,
        device: &Device,
    ) -> Self {
        match algorithm {
            Algorithm::Dqn => {
                let config = DqnConfig {
                    settings,
                    ..DqnConfig::default()
                };
                Self::Dqn(Box::new(DqnTrainer::new(env, config, episodes, device)))
            }
            Algorithm::Ppo => {
                let config = PpoConfig {
                    settings,
                    ..PpoConfig::default()
                };
                Self::Ppo(PpoTrainer::new(env, config, device))
            }
            Algorithm::A2c => {
                let config = A2cConfig {
                    settings,
                    ..A2cConfig::default()
                };
                Self::A2c(A2cTrainer::new(env, config, device))
            }
        }
    }

    /// Plays and learns one episode.
    pub async fn episode(&mut self) -> Result<EpisodeReport, AgentError> {
        match self {
            Self::Dqn(trainer) => trainer.episode().await,
            Self::Ppo(trainer) => trainer.episode().await,
            Self::A2c(trainer) => trainer.episode().await,
        }
    }

    /// The learnt policy, off the autodiff device.
    pub fn policy(&self) -> AgentNetwork {
        match self {
            Self::Dqn(trainer) => trainer.policy(),
            Self::Ppo(trainer) => trainer.policy(),
            Self::A2c(trainer) => trainer.policy(),
        }
    }
}
