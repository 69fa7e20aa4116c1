//! The reinforcement-learning agent: an environment where each step is one flow and the action
//! is allow or flag, agents that learn it on burn, and their honest comparison with fixed
//! thresholds on the autoencoder's score and with a supervised classifier on the same inputs. `run.rs` takes a plan (`plan.rs`) from the flows to
//! the verdict; the CLI and the page's worker only report its progress.

pub mod a2c;
pub mod agent;
pub mod compare;
pub mod dqn;
pub mod env;
pub mod error;
pub mod history;
pub mod network;
pub mod observe;
pub mod on_policy;
pub mod plan;
pub mod ppo;
pub mod run;
pub mod saved;
pub mod split;
pub mod supervised;
