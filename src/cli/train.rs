//! `netsentry train`: a detector fitted on the benign flows of CSVs, with its threshold set by
//! cross-fitting, saved as one file, and its self-evaluation printed.

use super::error::Failure;
use super::inputs::{device, load, write};
use crate::data::ingest::IngestOptions;
use crate::device::backend::BackendPreference;
use crate::metrics::threshold::{DEFAULT_PERCENTILE, DEFAULT_TARGET_FPR, RuleKind};
use crate::model::config::ModelConfig;
use crate::model::fit::cross_fit::CrossFit;
use crate::model::fit::folds::DEFAULT_FOLDS;
use crate::model::fit::{self, FitOptions, Fitted};
use crate::model::network::train::{Finish, TrainConfig, TrainProgress};
use crate::model::score::held_out::evaluate_rows;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Batches trained between progress updates.
const BATCHES_PER_STEP: usize = 8;

/// `netsentry train`; every default is [`FitOptions::default`]'s, as on the page.
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// The detector and its settings.
    #[command(flatten)]
    model: ModelConfig,
    /// Passes over the training flows at most (early stopping may end sooner). Default: 60, or
    /// fewer on files of more than 16,384 fitted flows (see --batch-size).
    #[arg(long)]
    epochs: Option<usize>,
    /// Seed for the split, the initial weights and the batch order.
    #[arg(long, default_value_t = TrainConfig::default().seed)]
    seed: u64,
    /// Where to train.
    #[arg(long, value_enum, default_value_t = BackendPreference::Cpu)]
    backend: BackendPreference,
    /// Adam's initial learning rate (it decays along a half cosine to 5 % of this). Default:
    /// 0.002 at batch 128, scaled with the batch.
    #[arg(long)]
    learning_rate: Option<f64>,
    /// Rows per mini-batch. Default: 128; from 16,384 fitted flows it doubles while an epoch
    /// keeps 64 batches, up to 1024, with the learning rate scaled alike and the epochs cut to
    /// about 4,096 steps in all. Giving --epochs, --batch-size or --learning-rate keeps all three
    /// as given (or at 60, 128 and 0.002).
    #[arg(long)]
    batch_size: Option<usize>,
    /// Epochs without a better loss on its own fold before a fold model's training stops early
    /// (set it to --epochs to train every epoch); the final model trains the fold models' median
    /// best number of epochs.
    #[arg(long, default_value_t = TrainConfig::default().patience)]
    patience: usize,
    /// Cross-fitting folds: the model is fitted on every benign flow, and each benign flow is
    /// also scored by a model fitted on the other folds; those scores set the threshold, and
    /// `eval` on the same files uses them (at least 2; each fold adds a fit).
    #[arg(long, default_value_t = DEFAULT_FOLDS)]
    folds: usize,
    /// How the threshold is chosen on the out-of-fold scores: a false-positive target (the
    /// default; a smoothed benign quantile that holds the target more closely on unseen flows
    /// than the plain percentile), a benign percentile (neither needs attacks), the least cost
    /// (1 per false alarm, 4 per missed attack) or the best F1.
    #[arg(long, value_enum, default_value_t = RuleKind::Target)]
    threshold: RuleKind,
    /// The benign percentile for `--threshold percentile`.
    #[arg(long, default_value_t = DEFAULT_PERCENTILE)]
    percentile: f64,
    /// The false-positive target in percent for `--threshold target` (the default rule).
    #[arg(long, default_value_t = DEFAULT_TARGET_FPR * 100.0)]
    target_fpr: f64,
    /// Use ports and the protocol number as features.
    #[arg(long)]
    ports: bool,
    /// Train on the 76 statistics every CIC dataset's files carry, leaving out the improved
    /// re-extraction's extras, so the model can score CSE-CIC-IDS2018's AWS files and
    /// CIC-DDoS2019's too.
    #[arg(long)]
    shared_features: bool,
    /// Train on every row as in the files, exact repeats too (by default an exact repeat of an
    /// earlier row is dropped and counted).
    #[arg(long)]
    keep_duplicates: bool,
    /// Score by the plain mean squared error instead of weighing each feature's error by how
    /// well the model rebuilds it on benign flows it did not fit (out of fold).
    #[arg(long)]
    plain_mse: bool,
    /// The model file to write (safetensors; PyTorch loads its weights).
    #[arg(long, value_name = "MODEL")]
    out: PathBuf,
    /// The CSV files; their BENIGN flows are trained on. Give several days' files: a detector
    /// knows only the normal traffic it has seen (features are those all files share).
    #[arg(required = true, value_name = "CSV")]
    files: Vec<PathBuf>,
}

impl TrainArgs {
    /// The run the flags ask for.
    fn options(&self) -> FitOptions {
        FitOptions {
            model: self.model.clone(),
            train: self.train_config(),
            folds: self.folds,
            threshold_rule: self
                .threshold
                .rule(self.percentile, self.target_fpr / 100.0),
            normalise_errors: !self.plain_mse,
        }
    }

    /// The optimiser settings: sized to the file's rows unless the user chose any of them.
    fn train_config(&self) -> TrainConfig {
        let defaults = TrainConfig::default();
        TrainConfig {
            epochs: self.epochs.unwrap_or(defaults.epochs),
            batch_size: self.batch_size.unwrap_or(defaults.batch_size),
            learning_rate: self.learning_rate.unwrap_or(defaults.learning_rate),
            sized_by_rows: self.epochs.is_none()
                && self.batch_size.is_none()
                && self.learning_rate.is_none(),
            seed: self.seed,
            patience: self.patience,
            ..defaults
        }
    }
}

/// Trains a model on the benign flows of the files and writes it.
pub fn train(args: &TrainArgs) -> Result<(), Failure> {
    let options = args.options();
    let dataset = load(
        &args.files,
        IngestOptions {
            ports_as_features: args.ports,
            shared_features_only: args.shared_features,
            keep_duplicates: args.keep_duplicates,
        },
    )?;
    let device = device(args.backend);
    if options.model.kind.network().is_none() {
        eprintln!(
            "fitting {} (--model {}) on the benign flows",
            options.model.kind.title(),
            options.model.kind.short_name()
        );
        let fitted = pollster::block_on(fit::fit_classic(&device, &dataset, &options))?;
        return save(args, fitted, &dataset, &device);
    }
    let mut run = CrossFit::start(&device, &dataset, &options)?;
    let train = run.train_config();
    eprintln!(
        "training {} (--model {}) on all {} benign flows, and on each of {} folds' complement to score that fold; batch {}, learning rate {}, at most {} epochs{}",
        options.model.kind.title(),
        options.model.kind.short_name(),
        run.folds().rows(),
        options.folds,
        train.batch_size,
        train.learning_rate,
        train.epochs,
        if options.train.sized_by_rows {
            " (sized to the flows; --batch-size or --epochs to choose)"
        } else {
            ""
        }
    );
    let mut bar = ProgressBar::new();
    while !run.is_done() {
        let progress = pollster::block_on(run.step(BATCHES_PER_STEP))?;
        bar.draw(&progress);
        if progress.finished.is_some() {
            bar.end(&progress);
        }
    }
    let fitted = pollster::block_on(run.finish(&dataset, &device))?;
    save(args, fitted, &dataset, &device)
}

/// Writes a trained or fitted model and says where, with its threshold and how it did on the
/// training files' flows, each benign one scored by the fold model that did not fit it.
fn save(
    args: &TrainArgs,
    Fitted { model, note }: Fitted,
    dataset: &crate::data::dataset::Dataset,
    device: &burn::prelude::Device,
) -> Result<(), Failure> {
    let reduction = model.detector.knn().and_then(|knn| knn.reduction());
    for note in note.iter().chain(&reduction) {
        eprintln!("note: {note}");
    }
    write(&args.out, &pollster::block_on(model.to_bytes())?)?;
    println!(
        "saved {} (threshold {:.6}, {})",
        args.out.display(),
        model.meta.threshold,
        model.meta.threshold_rule.describe()
    );
    let rows: Vec<u32> = (0..dataset.rows() as u32).collect();
    let (evaluation, _) = pollster::block_on(evaluate_rows(&model, dataset, &rows, device))?;
    if evaluation.attacks > 0 {
        let at_one = evaluation.tpr_at(0.01).unwrap_or(f64::NAN);
        println!(
            "on these files, out of fold ({} folds; the threshold was set on these benign scores): ROC-AUC {}, attacks caught at FPR <= 1 %: {at_one:.4}; `netsentry eval` on other files tests it",
            model.meta.folds,
            evaluation
                .roc_auc
                .map_or_else(|| "n/a".to_owned(), |auc| format!("{auc:.4}")),
        );
    }
    Ok(())
}

/// A one-line progress bar on stderr when it is a terminal; a line per epoch otherwise.
struct ProgressBar {
    terminal: bool,
    epochs_printed: usize,
}

impl ProgressBar {
    fn new() -> Self {
        Self {
            terminal: std::io::stderr().is_terminal(),
            epochs_printed: 0,
        }
    }

    fn line(progress: &TrainProgress) -> String {
        const WIDTH: usize = 24;
        let done = progress.epoch * progress.batches + progress.batch;
        let total = (progress.epochs * progress.batches).max(1);
        let filled = (done * WIDTH / total).min(WIDTH);
        format!(
            "[{}{}] {}",
            "#".repeat(filled),
            "-".repeat(WIDTH - filled),
            progress.line()
        )
    }

    fn draw(&mut self, progress: &TrainProgress) {
        if self.terminal {
            eprint!("\r{}", Self::line(progress));
        } else if progress.history.len() > self.epochs_printed {
            self.epochs_printed = progress.history.len();
            eprintln!("{}", Self::line(progress));
        }
    }

    fn end(&self, progress: &TrainProgress) {
        if self.terminal {
            eprintln!();
        }
        let how = match progress.finished {
            Some(Finish::EarlyStopped) => "stopped early: the out-of-fold loss stopped improving",
            Some(Finish::NotFinite) => "stopped: the loss was not finite",
            _ => "ran every epoch",
        };
        if let Some(best) = progress.best {
            eprintln!(
                "{how} after {} epochs; the fold models' mean was best at epoch {} (out-of-fold loss {:.5})",
                progress.history.len(),
                best.epoch + 1,
                best.validation
            );
        }
    }
}
