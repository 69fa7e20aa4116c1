//! What an agent's training reports per episode: reward, false-positive rate, recall, loss, and
//! ε or entropy, so the page can draw the curves and the CLI can print them.

use serde::{Deserialize, Serialize};

use super::env::{Action, RewardMatrix, Step};
use crate::metrics::confusion::Confusion;

/// One episode of training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpisodeReport {
    /// Zero-based episode.
    pub episode: usize,
    /// Total reward over its steps.
    pub reward: f64,
    /// Benign flows flagged / benign flows seen.
    pub fpr: f64,
    /// Attacks flagged / attacks seen.
    pub recall: f64,
    /// Cost of its decisions under the reward matrix's costs.
    pub cost: f64,
    /// Mean training loss over the episode's updates (NaN when none ran).
    pub loss: f64,
    /// Gradient updates made during the episode.
    pub updates: usize,
    /// Reads from the device during the episode (each a round trip on WebGPU): its hands'
    /// decisions and one sum of its losses, never one per flow or per update.
    pub device_reads: usize,
    /// Exploration rate at its end (DQN).
    pub epsilon: Option<f64>,
    /// Mean policy entropy (PPO, A2C).
    pub entropy: Option<f64>,
}

impl EpisodeReport {
    /// The episode's figures in one line, as the page's status and the CLI's progress show them:
    /// `reward 312.0, false-positive rate 0.012, recall 0.950, loss 0.1234, ε 0.525`.
    pub fn summary(&self) -> String {
        let exploration = match (self.epsilon, self.entropy) {
            (Some(epsilon), _) => format!(", ε {epsilon:.3}"),
            (_, Some(entropy)) => format!(", entropy {entropy:.3}"),
            _ => String::new(),
        };
        format!(
            "reward {:.1}, false-positive rate {:.3}, recall {:.3}, loss {:.4}{exploration}",
            self.reward, self.fpr, self.recall, self.loss
        )
    }
}

/// Running counts for the episode in progress.
#[derive(Clone, Debug, Default)]
pub struct EpisodeTally {
    confusion: Confusion,
    reward: f64,
    /// Sum of the losses of the updates made during the episode.
    loss_sum: f64,
    /// Updates made during the episode.
    updates: usize,
    /// Reads from the device made during the episode.
    reads: usize,
}

impl EpisodeTally {
    /// Counts one step.
    pub fn add(&mut self, step: &Step) {
        self.reward += f64::from(step.reward);
        self.confusion
            .add(step.info.action == Action::Flag, step.info.is_attack);
    }

    /// Counts one read from the device.
    pub fn add_read(&mut self) {
        self.reads += 1;
    }

    /// Counts `updates` updates whose losses sum to `sum` (read from the device once).
    pub fn add_losses(&mut self, sum: f32, updates: usize) {
        self.loss_sum += f64::from(sum);
        self.updates += updates;
    }

    /// The episode's report.
    pub fn report(
        &self,
        episode: usize,
        rewards: RewardMatrix,
        epsilon: Option<f64>,
        entropy: Option<f64>,
    ) -> EpisodeReport {
        let loss = if self.updates == 0 {
            f64::NAN
        } else {
            self.loss_sum / self.updates as f64
        };
        EpisodeReport {
            episode,
            reward: self.reward,
            fpr: self.confusion.false_positive_rate(),
            recall: self.confusion.recall(),
            cost: self.confusion.cost(&rewards.costs()),
            loss,
            updates: self.updates,
            device_reads: self.reads,
            epsilon,
            entropy,
        }
    }
}
