//! `netsentry train`, `eval` and `score`: the autoencoder from the command line.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use burn::prelude::Device;

use crate::data::dataset::Dataset;
use crate::data::ingest::{IngestOptions, ingest_paths};
use crate::metrics::evaluation::Evaluation;
use crate::model::backend::{self, BackendPreference};
use crate::model::fit::{self, FitOptions};
use crate::model::held_out::{evaluate_rows, rows_to_evaluate};
use crate::model::saved::SavedModel;
use crate::model::scored_csv::write_scored;
use crate::model::train::{Finish, TrainProgress};

/// Batches trained between progress updates.
const BATCHES_PER_STEP: usize = 8;

/// Loads CSVs for training or scoring, printing the ingest summary to stderr.
pub(super) fn load(paths: &[PathBuf], ports: bool) -> Result<Dataset, String> {
    let (dataset, report) = ingest_paths(
        paths,
        IngestOptions {
            ports_as_features: ports,
            keep_duplicates: false,
        },
    )
    .map_err(|error| error.to_string())?;
    eprintln!(
        "loaded {} flows ({} read, {} dropped) with {} features from {} file(s)",
        report.rows,
        report.rows_read,
        report.dropped_total(),
        report.features.len(),
        report.files.len()
    );
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(dataset)
}

pub(super) fn device(preference: BackendPreference) -> Device {
    let selected = pollster::block_on(backend::select(preference));
    eprintln!("backend: {}", selected.info.label());
    selected.device
}

/// Trains a model on the benign flows of `paths` and writes it to `out`.
pub fn train(
    paths: &[PathBuf],
    options: &FitOptions,
    ports: bool,
    preference: BackendPreference,
    out: &Path,
) -> Result<(), String> {
    let dataset = load(paths, ports)?;
    let device = device(preference);
    let (plan, mut trainer) =
        fit::start(&device, &dataset, options).map_err(|error| error.to_string())?;
    eprintln!(
        "training a {} on {} benign flows, validating on {}",
        options.model.kind.short_name(),
        plan.train_rows,
        plan.validation.len()
    );
    let mut bar = ProgressBar::new();
    loop {
        let progress = pollster::block_on(trainer.step(BATCHES_PER_STEP))
            .map_err(|error| error.to_string())?;
        bar.draw(&progress);
        if progress.finished.is_some() {
            bar.end(&progress);
            break;
        }
    }
    let (model, note) =
        pollster::block_on(fit::finish(&plan, &trainer, &dataset, options, &device))?;
    if let Some(note) = note {
        eprintln!("note: {note}");
    }
    let bytes = pollster::block_on(model.to_bytes()).map_err(|error| error.to_string())?;
    std::fs::write(out, bytes)
        .map_err(|error| format!("cannot write {}: {error}", out.display()))?;
    println!(
        "saved {} (threshold {:.6}, {})",
        out.display(),
        model.meta.threshold,
        model.meta.threshold_rule.describe()
    );
    Ok(())
}

/// Reads a model file.
pub(super) fn read_model(path: &Path, device: &Device) -> Result<SavedModel, String> {
    let bytes =
        std::fs::read(path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    SavedModel::from_bytes(&bytes, device).map_err(|error| format!("{}: {error}", path.display()))
}

/// Scores every flow of `paths` with the model at `model_path` and prints the metrics.
pub fn eval(
    model_path: &Path,
    paths: &[PathBuf],
    all_rows: bool,
    json: bool,
    preference: BackendPreference,
) -> Result<(), String> {
    let device = device(preference);
    let model = read_model(model_path, &device)?;
    let dataset = load(paths, true)?;
    let (rows, excluded) = rows_to_evaluate(&model, &dataset, all_rows)?;
    if excluded > 0 {
        eprintln!(
            "left out {excluded} flows the model trained or was tuned on (matched by content; --all-rows keeps them)"
        );
    }
    let (evaluation, _) = pollster::block_on(evaluate_rows(&model, &dataset, &rows, &device))?;
    if json {
        let mut value = serde_json::to_value(&evaluation).map_err(|error| error.to_string())?;
        value["excluded_rows"] = excluded.into();
        value["threshold_rule"] = model.meta.threshold_rule.describe().into();
        println!(
            "{}",
            serde_json::to_string_pretty(&value).map_err(|error| error.to_string())?
        );
    } else {
        print!("{}", evaluation_text(&evaluation, excluded));
    }
    Ok(())
}

fn evaluation_text(evaluation: &Evaluation, excluded: u64) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let number = |value: Option<f64>| {
        value.map_or_else(
            || "n/a (needs both classes)".to_owned(),
            |value| format!("{value:.4}"),
        )
    };
    let _ = writeln!(
        out,
        "flows: {} ({} attacks), {excluded} left out as seen in training",
        evaluation.rows, evaluation.attacks
    );
    let _ = writeln!(out, "ROC-AUC:   {}", number(evaluation.roc_auc));
    let _ = writeln!(out, "PR-AUC:    {}", number(evaluation.pr_auc));
    let _ = writeln!(out, "threshold: {:.6}", evaluation.threshold);
    let _ = writeln!(
        out,
        "precision {:.4}  recall {:.4}  F1 {:.4}  FPR {:.4}",
        evaluation.precision, evaluation.recall, evaluation.f1, evaluation.fpr
    );
    let confusion = &evaluation.confusion;
    let _ = writeln!(
        out,
        "confusion: TP {}  FP {}  TN {}  FN {}",
        confusion.true_positives,
        confusion.false_positives,
        confusion.true_negatives,
        confusion.false_negatives
    );
    let _ = writeln!(out, "flagged per label:");
    for (label, detection) in &evaluation.per_label {
        let _ = writeln!(
            out,
            "  {label:<32} {:>8} of {:>8}  {:6.2} %",
            detection.flagged,
            detection.rows,
            detection.rate * 100.0
        );
    }
    out
}

/// Writes every flow of `paths` with its score, flag and the features that deviated most.
pub fn score_files(
    model_path: &Path,
    paths: &[PathBuf],
    out: &Path,
    top: usize,
    preference: BackendPreference,
) -> Result<(), String> {
    let device = device(preference);
    let model = read_model(model_path, &device)?;
    let dataset = load(paths, true)?;
    let file = std::fs::File::create(out)
        .map_err(|error| format!("cannot write {}: {error}", out.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    let flagged = pollster::block_on(write_scored(&model, &dataset, &device, top, &mut writer))?;
    writer
        .flush()
        .map_err(|error| format!("cannot write {}: {error}", out.display()))?;
    println!(
        "wrote {} flows to {} ({flagged} flagged at threshold {:.6})",
        dataset.rows(),
        out.display(),
        model.meta.threshold
    );
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
        let validation = progress
            .history
            .last()
            .map_or_else(|| "-".to_owned(), |last| format!("{:.5}", last.validation));
        format!(
            "epoch {:>3}/{} [{}{}] train {:.5}  validation {validation}  {:.0} rows/s",
            (progress.epoch + 1).min(progress.epochs),
            progress.epochs,
            "#".repeat(filled),
            "-".repeat(WIDTH - filled),
            progress.train_loss,
            progress.rows_per_second
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
            Some(Finish::EarlyStopped) => "stopped early: the validation loss stopped improving",
            Some(Finish::NotFinite) => "stopped: the loss was not finite",
            _ => "ran every epoch",
        };
        if let Some(best) = progress.best {
            eprintln!(
                "{how} after {} epochs; kept epoch {} (validation loss {:.5})",
                progress.history.len(),
                best.epoch + 1,
                best.validation
            );
        }
    }
}
