//! The native command line: the same core as the page, for full-dataset runs and benchmarks.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod agent;
mod model;

use crate::data::ingest::{IngestOptions, ingest_paths};
use crate::data::label::Family;
use crate::metrics::confusion::CostMatrix;
use crate::metrics::threshold::ThresholdRule;
use crate::model::backend::{self, BackendPreference};
use crate::model::config::{Activation, ModelConfig, ModelKind};
use crate::model::fit::FitOptions;
use crate::model::probe;
use crate::model::train::TrainConfig;
use crate::rl::actor_critic::Settings;
use crate::rl::agent::Algorithm;
use crate::rl::env::RewardMatrix;

/// Network-flow anomaly detection: an autoencoder and an RL agent on CIC-IDS 2017 flows.
#[derive(Debug, Parser)]
#[command(name = "netsentry", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read CIC-IDS 2017 flow CSVs (any published or cleaned variant) and report what was kept,
    /// dropped and imputed, per file, label and column.
    Ingest {
        /// Print the report as JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Use ports and the protocol number as features (off by default: they identify
        /// services, and models that learn them transfer poorly to other networks).
        #[arg(long)]
        ports: bool,
        /// Keep exact duplicate rows (dropped by default).
        #[arg(long)]
        keep_duplicates: bool,
        /// The CSV files, loaded together and aligned on their common features.
        #[arg(required = true, value_name = "CSV")]
        files: Vec<PathBuf>,
    },
    /// Show which compute backend would train here, and prove it trains with a few Adam steps.
    Backends {
        /// Which backend to check: auto (a hardware GPU, else the CPU), gpu (any wgpu adapter,
        /// software ones included) or cpu.
        #[arg(long, value_enum, default_value_t = PreferenceArg::Auto)]
        backend: PreferenceArg,
        /// Adam steps to run in the check.
        #[arg(long, default_value_t = 5)]
        steps: usize,
    },
    /// Train an autoencoder (or VAE) on the benign flows of CSVs and save it as one file.
    ///
    /// Flows are split by content: 60 % to fit on, 15 % to validate on (early stopping and the
    /// threshold), the rest held out; `eval` leaves out the first two when scoring the same flows.
    Train {
        /// Which model.
        #[arg(long, value_enum, default_value_t = ModelArg::Ae)]
        model: ModelArg,
        /// Passes over the training flows at most (early stopping may end sooner).
        #[arg(long, default_value_t = TrainConfig::default().epochs)]
        epochs: usize,
        /// Seed for the split, the initial weights and the batch order.
        #[arg(long, default_value_t = TrainConfig::default().seed)]
        seed: u64,
        /// Where to train: cpu, wgpu (any wgpu adapter) or auto (a hardware GPU, else the CPU).
        #[arg(long, value_enum, default_value_t = BackendArg::Cpu)]
        backend: BackendArg,
        /// Widths of the encoder's hidden layers, comma-separated.
        #[arg(long, value_delimiter = ',', default_values_t = ModelConfig::default().hidden)]
        hidden: Vec<usize>,
        /// Width of the bottleneck code.
        #[arg(long, default_value_t = ModelConfig::default().bottleneck)]
        bottleneck: usize,
        /// Non-linearity between layers.
        #[arg(long, value_enum, default_value_t = ActivationArg::Tanh)]
        activation: ActivationArg,
        /// Dropout between hidden layers in training.
        #[arg(long, default_value_t = ModelConfig::default().dropout)]
        dropout: f64,
        /// Weight of the VAE's KL term.
        #[arg(long, default_value_t = ModelConfig::default().kl_weight)]
        kl_weight: f32,
        /// Adam's initial learning rate.
        #[arg(long, default_value_t = TrainConfig::default().learning_rate)]
        learning_rate: f64,
        /// Rows per mini-batch.
        #[arg(long, default_value_t = TrainConfig::default().batch_size)]
        batch_size: usize,
        /// How the threshold is chosen on the validation flows.
        #[arg(long, value_enum, default_value_t = ThresholdArg::Percentile)]
        threshold: ThresholdArg,
        /// The benign percentile for `--threshold percentile`.
        #[arg(long, default_value_t = 99.0)]
        percentile: f64,
        /// Use ports and the protocol number as features.
        #[arg(long)]
        ports: bool,
        /// Score by the plain mean squared error instead of weighing each feature's error by how
        /// well the model rebuilds it on benign validation flows.
        #[arg(long)]
        plain_mse: bool,
        /// The model file to write (safetensors; PyTorch loads its weights).
        #[arg(long, value_name = "MODEL")]
        out: PathBuf,
        /// The CSV files; their BENIGN flows are trained on.
        #[arg(required = true, value_name = "CSV")]
        files: Vec<PathBuf>,
    },
    /// Score every flow of CSVs with a saved model and print ROC-AUC, PR-AUC and the decisions at
    /// its threshold, per label. Flows the model trained or was tuned on are left out.
    Eval {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Keep the flows the model trained or was tuned on.
        #[arg(long)]
        all_rows: bool,
        /// Where to score.
        #[arg(long, value_enum, default_value_t = BackendArg::Cpu)]
        backend: BackendArg,
        /// The model file written by `train`.
        #[arg(value_name = "MODEL")]
        model: PathBuf,
        /// The CSV files to score.
        #[arg(required = true, value_name = "CSV")]
        files: Vec<PathBuf>,
    },
    /// Write every flow of CSVs with its anomaly score, flag and the features that deviated most
    /// (observed vs reconstructed, original units) to a CSV file.
    Score {
        /// Where to score.
        #[arg(long, value_enum, default_value_t = BackendArg::Cpu)]
        backend: BackendArg,
        /// Features listed per flow.
        #[arg(long, default_value_t = 3)]
        top: usize,
        /// The CSV file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The model file written by `train`.
        #[arg(value_name = "MODEL")]
        model: PathBuf,
        /// The CSV files to score.
        #[arg(required = true, value_name = "CSV")]
        files: Vec<PathBuf>,
    },
    /// Train a reinforcement-learning agent to allow or flag flows from the autoencoder's view of
    /// them, then compare it on held-out flows with the best fixed threshold under the same costs.
    Agent {
        /// Print JSON (agent, best_threshold, benign_p99, history) instead of a table.
        #[arg(long)]
        json: bool,
        /// The algorithm.
        #[arg(long, value_enum, default_value_t = AlgoArg::Dqn)]
        algo: AlgoArg,
        /// Seed for the agent, its play and the train/test halving.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Episodes of training.
        #[arg(long, default_value_t = 200)]
        episodes: usize,
        /// Flows per episode.
        #[arg(long, default_value_t = Settings::default().episode_length)]
        episode_length: usize,
        /// Cost (negative reward) of flagging a benign flow.
        #[arg(long, default_value_t = 1.0)]
        cost_fp: f32,
        /// Cost (negative reward) of allowing an attack.
        #[arg(long, default_value_t = 4.0)]
        cost_fn: f32,
        /// Reward for a correct decision.
        #[arg(long, default_value_t = 2.0)]
        reward_correct: f32,
        /// Deal benign and attack flows with equal odds in training.
        #[arg(long)]
        balanced: bool,
        /// Keep one attack family (e.g. DoS, DDoS, PortScan) out of the agent's training flows
        /// and report how each detector does on it.
        #[arg(long, value_name = "FAMILY", value_parser = parse_attack_family)]
        withhold: Option<Family>,
        /// Where to train.
        #[arg(long, value_enum, default_value_t = BackendArg::Cpu)]
        backend: BackendArg,
        /// Save the agent, with the model it depends on, to this file (safetensors).
        #[arg(long, value_name = "AGENT")]
        out: Option<PathBuf>,
        /// CSV files whose labelled flows the agent trains on.
        #[arg(long, num_args = 1.., required = true, value_name = "CSV")]
        train: Vec<PathBuf>,
        /// CSV files it is tested on; without them, the training files' flows are halved by
        /// content.
        #[arg(long, num_args = 1.., value_name = "CSV")]
        test: Vec<PathBuf>,
        /// The autoencoder's model file.
        #[arg(value_name = "MODEL")]
        model: PathBuf,
    },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum AlgoArg {
    Dqn,
    Ppo,
    A2c,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum ModelArg {
    Ae,
    Vae,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum BackendArg {
    Cpu,
    Wgpu,
    Auto,
}

impl From<BackendArg> for BackendPreference {
    fn from(value: BackendArg) -> Self {
        match value {
            BackendArg::Cpu => Self::Cpu,
            BackendArg::Wgpu => Self::Gpu,
            BackendArg::Auto => Self::Auto,
        }
    }
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum ActivationArg {
    Relu,
    Tanh,
    Gelu,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum ThresholdArg {
    Percentile,
    Cost,
    F1,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum PreferenceArg {
    Auto,
    Gpu,
    Cpu,
}

impl From<PreferenceArg> for BackendPreference {
    fn from(value: PreferenceArg) -> Self {
        match value {
            PreferenceArg::Auto => Self::Auto,
            PreferenceArg::Gpu => Self::Gpu,
            PreferenceArg::Cpu => Self::Cpu,
        }
    }
}

/// An attack family by name, as `--withhold` takes it.
fn parse_attack_family(text: &str) -> Result<Family, String> {
    match Family::of(text) {
        Family::Benign | Family::Other => Err(format!(
            "not an attack family: {text} (one of {})",
            Family::ALL
                .iter()
                .filter(|family| family.is_attack() && **family != Family::Other)
                .map(|family| family.name())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        family => Ok(family),
    }
}

/// Parses the arguments, runs the subcommand and turns its error into a message and exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Ingest {
            json,
            ports,
            keep_duplicates,
            files,
        } => ingest(
            &files,
            IngestOptions {
                ports_as_features: ports,
                keep_duplicates,
            },
            json,
        ),
        Command::Backends { backend, steps } => check_backend(backend.into(), steps),
        Command::Train {
            model,
            epochs,
            seed,
            backend,
            hidden,
            bottleneck,
            activation,
            dropout,
            kl_weight,
            learning_rate,
            batch_size,
            threshold,
            percentile,
            ports,
            plain_mse,
            out,
            files,
        } => {
            let options = FitOptions {
                model: ModelConfig {
                    kind: match model {
                        ModelArg::Ae => ModelKind::Autoencoder,
                        ModelArg::Vae => ModelKind::Vae,
                    },
                    hidden,
                    bottleneck,
                    activation: match activation {
                        ActivationArg::Relu => Activation::Relu,
                        ActivationArg::Tanh => Activation::Tanh,
                        ActivationArg::Gelu => Activation::Gelu,
                    },
                    dropout,
                    kl_weight,
                },
                train: TrainConfig {
                    epochs,
                    seed,
                    learning_rate,
                    batch_size,
                    ..TrainConfig::default()
                },
                threshold_rule: match threshold {
                    ThresholdArg::Percentile => ThresholdRule::BenignPercentile(percentile),
                    ThresholdArg::Cost => ThresholdRule::MinCost(CostMatrix::default()),
                    ThresholdArg::F1 => ThresholdRule::MaxF1,
                },
                normalise_errors: !plain_mse,
                ..FitOptions::default()
            };
            model::train(&files, &options, ports, backend.into(), &out)
        }
        Command::Eval {
            json,
            all_rows,
            backend,
            model,
            files,
        } => model::eval(&model, &files, all_rows, json, backend.into()),
        Command::Score {
            backend,
            top,
            out,
            model,
            files,
        } => model::score_files(&model, &files, &out, top, backend.into()),
        Command::Agent {
            json,
            algo,
            seed,
            episodes,
            episode_length,
            cost_fp,
            cost_fn,
            reward_correct,
            balanced,
            withhold,
            out,
            backend,
            train,
            test,
            model,
        } => agent::agent(&agent::AgentRun {
            model: &model,
            train: &train,
            test: &test,
            episodes,
            algorithm: match algo {
                AlgoArg::Dqn => Algorithm::Dqn,
                AlgoArg::Ppo => Algorithm::Ppo,
                AlgoArg::A2c => Algorithm::A2c,
            },
            settings: Settings {
                seed,
                episode_length,
                balanced,
                ..Settings::default()
            },
            rewards: RewardMatrix {
                correct: reward_correct,
                false_positive: cost_fp,
                false_negative: cost_fn,
            },
            withhold,
            out: out.as_deref(),
            json,
            backend: backend.into(),
        }),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("netsentry: {message}");
            ExitCode::FAILURE
        }
    }
}

fn check_backend(preference: BackendPreference, steps: usize) -> Result<(), String> {
    let selected = pollster::block_on(backend::select(preference));
    println!("backend: {}", selected.info.label());
    let report = pollster::block_on(probe::run(&selected.device, steps, 42))
        .map_err(|error| format!("the backend check failed: {error}"))?;
    let first = report.losses.first().copied().unwrap_or(f32::NAN);
    let last = report.losses.last().copied().unwrap_or(f32::NAN);
    println!(
        "check: {steps} Adam steps, loss {first:.4} -> {last:.4}, {:.1} ms",
        report.millis
    );
    if report.loss_fell() {
        Ok(())
    } else {
        Err(format!(
            "the loss did not fall in {steps} steps ({first} -> {last}); this backend cannot be trusted to train"
        ))
    }
}

fn ingest(paths: &[PathBuf], options: IngestOptions, json: bool) -> Result<(), String> {
    let (_, report) = ingest_paths(paths, options).map_err(|error| error.to_string())?;
    if json {
        let text = serde_json::to_string_pretty(&report).map_err(|error| error.to_string())?;
        println!("{text}");
    } else {
        print!("{}", report.to_text());
    }
    Ok(())
}
