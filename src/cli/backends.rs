//! `netsentry backends`: which compute backend would train here, proved by a few Adam steps.

use super::error::{CliError, Failure};
use crate::device::backend::{self, BackendPreference};
use crate::device::probe;

/// `netsentry backends`.
#[derive(Debug, clap::Args)]
pub struct BackendsArgs {
    /// Which backend to check (auto by default here: this command shows what auto would pick).
    #[arg(long, value_enum, default_value_t = BackendPreference::Auto)]
    backend: BackendPreference,
    /// Adam steps to run in the check.
    #[arg(long, default_value_t = probe::DEFAULT_STEPS)]
    steps: usize,
}

/// Picks the backend and proves it trains.
pub fn backends(args: &BackendsArgs) -> Result<(), Failure> {
    let selected = pollster::block_on(backend::select(args.backend));
    println!("backend: {}", selected.info.label());
    let report = pollster::block_on(probe::run(&selected.device, args.steps, probe::SEED))?;
    let first = report.losses.first().copied().unwrap_or(f32::NAN);
    let last = report.losses.last().copied().unwrap_or(f32::NAN);
    println!(
        "check: {} Adam steps, loss {first:.4} -> {last:.4}, {:.1} ms",
        args.steps, report.millis
    );
    if report.loss_fell() {
        Ok(())
    } else {
        Err(CliError::Untrusted {
            steps: args.steps,
            first,
            last,
        }
        .into())
    }
}
