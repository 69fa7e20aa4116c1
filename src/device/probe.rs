//! A backend check: a few Adam steps of a tiny regression MLP, read back asynchronously.
//!
//! It exercises everything real training needs from a device (forward, autodiff backward, an
//! optimiser step, an async read of the loss) in well under a second on the CPU, so the app and
//! `netsentry backends` can show that the chosen backend actually trains before trusting it.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::{Device, Tensor, TensorData};
use burn::tensor::activation::relu;
use serde::{Deserialize, Serialize};
use web_time::Instant;

/// Adam steps the page and `netsentry backends` run unless told otherwise: enough to see the
/// loss fall, few enough to take milliseconds.
pub const DEFAULT_STEPS: usize = 5;
/// The seed of the check's data and weights, so its losses are the same on every run.
pub const SEED: u64 = 42;

/// Rows in the synthetic regression problem.
const ROWS: usize = 64;
/// Inputs per row.
const INPUTS: usize = 4;
/// Hidden units: enough to fit the target, small enough to be instant.
const HIDDEN: usize = 16;
/// Adam's step size; large because the check runs only a handful of steps.
const LEARNING_RATE: f64 = 0.02;

/// The outcome of a check: the loss before each step and the time taken.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProbeReport {
    /// Mean squared error on the batch before each step, then once after the last.
    pub losses: Vec<f32>,
    /// Wall-clock milliseconds for all steps, reads included.
    pub millis: f64,
}

impl ProbeReport {
    /// Whether training made progress: the final loss is below the first.
    pub fn loss_fell(&self) -> bool {
        matches!((self.losses.first(), self.losses.last()), (Some(first), Some(last)) if last < first)
    }
}

/// Why a check failed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum ProbeError {
    /// The device could not read a value back.
    #[error("could not read the loss back from the device: {0}")]
    Read(String),
    /// The loss became NaN or infinite at this step.
    #[error("the loss became NaN or infinite at step {step}")]
    NotFinite {
        /// Zero-based step index.
        step: usize,
    },
}

#[derive(Module, Debug)]
struct TinyMlp {
    hidden: Linear,
    output: Linear,
}

impl TinyMlp {
    fn new(device: &Device) -> Self {
        Self {
            hidden: LinearConfig::new(INPUTS, HIDDEN).init(device),
            output: LinearConfig::new(HIDDEN, 1).init(device),
        }
    }

    fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        self.output.forward(relu(self.hidden.forward(input)))
    }
}

/// Trains the tiny MLP for `steps` Adam steps on `device` (seeded) and reports the losses.
pub async fn run(device: &Device, steps: usize, seed: u64) -> Result<ProbeReport, ProbeError> {
    let device = device.clone().autodiff();
    device.seed(seed);
    let started = Instant::now();
    let (inputs, targets) = problem(&device);
    let mut model = TinyMlp::new(&device);
    let mut optimiser = AdamConfig::new().init();
    let mut losses = Vec::with_capacity(steps + 1);
    for step in 0..=steps {
        let error = model.forward(inputs.clone()) - targets.clone();
        let loss = (error.clone() * error).mean();
        let value = loss
            .clone()
            .into_scalar_async::<f32>()
            .await
            .map_err(|error| ProbeError::Read(format!("{error:?}")))?;
        if !value.is_finite() {
            return Err(ProbeError::NotFinite { step });
        }
        losses.push(value);
        if step == steps {
            break;
        }
        let gradients = GradientsParams::from_grads(loss.backward(), &model);
        model = optimiser.step(LEARNING_RATE, model, gradients);
    }
    Ok(ProbeReport {
        losses,
        millis: started.elapsed().as_secs_f64() * 1000.0,
    })
}

/// A fixed, smooth regression target so every backend sees the same problem.
fn problem(device: &Device) -> (Tensor<2>, Tensor<2>) {
    let inputs: Vec<f32> = (0..ROWS * INPUTS)
        .map(|i| ((i as f32) * 0.37).sin())
        .collect();
    let targets: Vec<f32> = inputs
        .chunks(INPUTS)
        .map(|row| row[0] - 2.0 * row[1] + 0.5 * row[2] * row[3])
        .collect();
    (
        Tensor::from_data(TensorData::new(inputs, [ROWS, INPUTS]), device),
        Tensor::from_data(TensorData::new(targets, [ROWS, 1]), device),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// burn's CPU backend keeps one global seeded RNG, so seeded tests take turns.
    static SEEDED: Mutex<()> = Mutex::new(());

    #[test]
    fn cpu_loss_falls() {
        let _turn = SEEDED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let report = pollster::block_on(run(&Device::flex(), 5, 7)).unwrap();
        assert_eq!(report.losses.len(), 6);
        assert!(report.loss_fell(), "losses: {:?}", report.losses);
    }

    #[test]
    fn cpu_is_deterministic_with_a_seed() {
        let _turn = SEEDED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let first = pollster::block_on(run(&Device::flex(), 3, 11)).unwrap();
        let second = pollster::block_on(run(&Device::flex(), 3, 11)).unwrap();
        assert_eq!(first.losses, second.losses);
    }

    #[test]
    fn loss_fell_needs_a_lower_final_loss() {
        let report = |losses: Vec<f32>| ProbeReport {
            losses,
            millis: 0.0,
        };
        assert!(report(vec![2.0, 1.0]).loss_fell());
        assert!(!report(vec![1.0, 1.0]).loss_fell());
        assert!(!report(vec![]).loss_fell());
    }
}
