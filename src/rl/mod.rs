//! The reinforcement-learning agent: an environment where each step is one flow and the action
//! is allow or flag, agents that learn it on burn, and their honest comparison with fixed
//! thresholds on the autoencoder's score.

pub mod a2c;
pub mod actor_critic;
pub mod agent;
pub mod compare;
pub mod dqn;
pub mod env;
pub mod history;
pub mod observe;
pub mod ppo;
pub mod saved;
pub mod split;
