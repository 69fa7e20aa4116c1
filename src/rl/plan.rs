//! What the user chooses for an agent, in one type the page's form, the CLI's flags and the
//! agent file all hold: the algorithm, the rewards it learns under, how many episodes, and the
//! settings every algorithm has. Each algorithm's own hyperparameters sit at the top of its file.

use serde::{Deserialize, Serialize};

use super::env::RewardMatrix;
use super::network::Heads;

/// An agent to train: everything the user chose.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentPlan {
    /// DQN, PPO or A2C.
    pub algorithm: Algorithm,
    /// The rewards it learns from; their costs score every detector it is compared with.
    pub rewards: RewardMatrix,
    /// Episodes to train for.
    pub episodes: usize,
    /// Network size, episode length, class balance and seed.
    pub settings: Settings,
}

/// Episodes an agent trains for unless told otherwise: on the bundled sample, DQN beats the best
/// fixed threshold after 30 (cost 35 against 45), and 60 take about a second natively.
pub const DEFAULT_EPISODES: usize = 60;

impl Default for AgentPlan {
    /// DQN for [`DEFAULT_EPISODES`] under the seed notebook's rewards.
    fn default() -> Self {
        Self {
            algorithm: Algorithm::Dqn,
            rewards: RewardMatrix::default(),
            episodes: DEFAULT_EPISODES,
            settings: Settings::default(),
        }
    }
}

/// Which algorithm learns (also the command line's `--algo` values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
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
    /// Every algorithm, the default first: the one list the page's choice is made from.
    pub const ALL: [Self; 3] = [Self::Dqn, Self::Ppo, Self::A2c];

    /// Its name in tables and files.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Dqn => "DQN",
            Self::Ppo => "PPO",
            Self::A2c => "A2C",
        }
    }

    /// Its name on the command line (`--algo`), in files' settings and in a page link.
    pub const fn id(self) -> &'static str {
        match self {
            Self::Dqn => "dqn",
            Self::Ppo => "ppo",
            Self::A2c => "a2c",
        }
    }

    /// What the page's choice says.
    pub const fn title(self) -> &'static str {
        match self {
            Self::Dqn => "DQN (Double DQN)",
            Self::Ppo => "PPO",
            Self::A2c => "A2C",
        }
    }

    /// The algorithm whose [`Algorithm::id`] is `id`, if any.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|algorithm| algorithm.id() == id)
    }

    /// The heads its network has: action values for DQN, policy logits and a value for PPO
    /// and A2C.
    pub fn heads(self) -> Heads {
        match self {
            Self::Dqn => Heads::Actions,
            Self::Ppo | Self::A2c => Heads::ActionsAndValue,
        }
    }
}

/// Settings all three agents share; the page's form and the CLI's flags take their defaults
/// from [`Settings::default`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Units in each of the network's two hidden layers.
    pub hidden: usize,
    /// Flows per episode (and per rollout of PPO and A2C).
    pub episode_length: usize,
    /// Deal benign and attack flows with equal odds.
    pub balanced: bool,
    /// Seed for the weights, play, minibatches and the train/test halving.
    pub seed: u64,
}

impl Default for Settings {
    /// 64 hidden units (small next to the ~90-value observation), 256 flows per episode (a
    /// progress report about every 10 ms natively), flows dealt as they come, seed 42.
    fn default() -> Self {
        Self {
            hidden: 64,
            episode_length: 256,
            balanced: false,
            seed: 42,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Algorithm;

    #[test]
    fn each_algorithm_is_found_by_its_id_and_nothing_else_is() {
        for algorithm in Algorithm::ALL {
            assert_eq!(Algorithm::from_id(algorithm.id()), Some(algorithm));
        }
        assert_eq!(Algorithm::from_id("DQN"), None);
        assert_eq!(Algorithm::from_id("sarsa"), None);
    }
}
