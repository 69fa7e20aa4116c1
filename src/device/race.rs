//! `Auto`'s race between a hardware GPU and the CPU: which one trains NetSentry's autoencoder
//! faster is a measurement, not a guess. The models are tiny (about 14,000 weights), so a step is
//! dominated by fixed costs (dispatches, round trips) that differ wildly between machines; an
//! integrated GPU may well lose to the CPU. Each contender trains the default autoencoder on
//! synthetic rows of a typical CIC width: one warm-up batch (kernels compiled, memory allocated),
//! then a few timed batches ending with a read, so the clock stops only when the device is done.
//! Tens of milliseconds on the CPU.

use burn::prelude::Device;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};
use web_time::Instant;

use crate::model::config::ModelConfig;
use crate::model::network::train::{TrainConfig, TrainError, Trainer};

/// Features per synthetic row: about what CIC-IDS files give (77 to 84).
const WIDTH: usize = 80;
/// Batches timed after the warm-up one.
const TIMED_BATCHES: usize = 4;
/// Batches in the synthetic training set: more than are trained, so no epoch ends (and no
/// validation pass is timed) during the race.
const ROWS_IN_BATCHES: usize = 16;
/// Seed of the synthetic rows.
const SEED: u64 = 7;

/// Both contenders' training speed, in rows per second at the default batch size.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Race {
    /// burn's `flex` CPU backend.
    pub cpu: f64,
    /// The GPU adapter.
    pub gpu: f64,
}

impl Race {
    /// Whether the GPU trained faster.
    pub fn gpu_wins(&self) -> bool {
        self.gpu > self.cpu
    }
}

/// Runs the race on `cpu` and `gpu`, one after the other.
pub async fn race(cpu: &Device, gpu: &Device) -> Result<Race, TrainError> {
    Ok(Race {
        cpu: training_pace(cpu).await?,
        gpu: training_pace(gpu).await?,
    })
}

/// Training rows per second of the default autoencoder on `device`, timed over a few batches
/// after a warm-up batch.
pub async fn training_pace(device: &Device) -> Result<f64, TrainError> {
    let config = TrainConfig::default();
    let batch = config.batch_size;
    let mut rng = StdRng::seed_from_u64(SEED);
    let rows: Vec<f32> = (0..batch * ROWS_IN_BATCHES * WIDTH)
        .map(|_| rng.random_range(-2.0..2.0))
        .collect();
    let validation = rows[..batch * WIDTH].to_vec();
    let mut trainer = Trainer::new(
        device,
        ModelConfig::default(),
        config,
        WIDTH,
        rows,
        validation,
    )?;
    trainer.step(1).await?;
    let started = Instant::now();
    trainer.step(TIMED_BATCHES).await?;
    let seconds = started.elapsed().as_secs_f64().max(1e-9);
    Ok((TIMED_BATCHES * batch) as f64 / seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cpu_trains_at_a_measurable_pace() {
        let pace = pollster::block_on(training_pace(&Device::flex())).unwrap();
        // 512 rows take more than a microsecond on any machine and less than a minute here.
        assert!(pace.is_finite() && pace > 10.0 && pace < 5e8, "{pace}");
    }

    #[test]
    fn the_faster_contender_wins() {
        assert!(Race { cpu: 1.0, gpu: 2.0 }.gpu_wins());
        assert!(!Race { cpu: 2.0, gpu: 1.0 }.gpu_wins());
    }
}
