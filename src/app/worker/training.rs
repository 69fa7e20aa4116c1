//! The worker's training job: a network trained on the loaded flows a few batches at a time (or
//! a classic detector fitted in one pass), with progress posted after each step and the event
//! loop given a turn between steps so a Stop or Pause request is read within one step; if the
//! GPU device is lost, training goes on on the CPU from the last epoch's weights; then the model
//! is kept for the agent and evaluated on the flows it did not train or tune on.

use super::error::{Failure, JobError};
use super::session;
use crate::app::protocol::{Explanation, FromWorker, ModelResults, RankedFlow};
use crate::data::dataset::Dataset;
use crate::metrics::histogram::ScoreHistogram;
use crate::metrics::ranking::Highest;
use crate::model::backend::{self, BackendInfo, BackendPreference, Selected};
use crate::model::fit::{self, FitOptions};
use crate::model::held_out::{evaluate_rows, rows_to_evaluate, score_rows};
use crate::model::score::{ScoreError, explain as explain_row};
use crate::model::scored_csv::MOST_UNUSUAL;
use crate::model::train::{Checkpoint, TrainError};

/// Mini-batches per training step: about 10 ms on the CPU backend, so Stop is read quickly.
const BATCHES_PER_STEP: usize = 4;

/// Trains the autoencoder on the kept flows, posting progress, then its evaluation.
pub async fn train(options: FitOptions, reply: impl Fn(&FromWorker)) {
    if let Err(error) = run(options, &reply).await {
        reply(&FromWorker::TrainFailed(error.to_string()));
    }
}

async fn run(options: FitOptions, reply: &impl Fn(&FromWorker)) -> Result<(), Failure> {
    let dataset = session::dataset()?;
    let mut backend = session::backend().await;
    session::clear_stop();
    if !options.model.kind.is_network() {
        // A classic detector is fitted in one pass: nothing to report until it is evaluated.
        let (model, _) = fit::fit_classic(&backend.device, &dataset, &options).await?;
        session::keep_model(model);
        session::note_trained_on(Some(session::loaded_from()));
        reply(&FromWorker::Evaluated(evaluate_model().await?));
        return Ok(());
    }
    let (plan, mut trainer) = fit::start(&backend.device, &dataset, &options)?;
    // On a GPU, the weights are copied to host memory after each epoch, to go on from on the CPU
    // if the device is lost.
    let mut checkpoint: Option<Checkpoint> = None;
    let mut last_sent = None;
    loop {
        let progress = match trainer.step(BATCHES_PER_STEP).await {
            Ok(progress) => progress,
            Err(TrainError::Read(lost)) if backend.info.is_gpu() => {
                backend = on_the_cpu(&lost, checkpoint.as_ref(), reply).await;
                match &checkpoint {
                    Some(checkpoint) => trainer.resume_on(&backend.device, checkpoint)?,
                    None => trainer = fit::start(&backend.device, &dataset, &options)?.1,
                }
                continue;
            }
            Err(error @ TrainError::NotFinite { .. }) => {
                // The trainer went back to the last weights with a finite loss: say why training
                // stopped, and evaluate those.
                reply(&FromWorker::TrainFailed(error.to_string()));
                break;
            }
            Err(error) => return Err(error.into()),
        };
        let done = progress.finished.is_some();
        let stopping = session::stopping();
        let epochs = progress.history.len();
        if done || stopping || session::due(last_sent) {
            reply(&FromWorker::Training(progress));
            last_sent = Some(web_time::Instant::now());
        }
        if done || stopping {
            break;
        }
        if backend.info.is_gpu() && checkpoint.as_ref().is_none_or(|c| c.epochs() < epochs) {
            // A failed copy is no reason to stop training; the next epoch tries again.
            checkpoint = trainer.checkpoint().await.ok().or(checkpoint);
        }
        session::next_tick().await;
        session::wait_while_paused().await;
    }
    let (model, _) = fit::finish(&plan, &trainer, &dataset, &options, &backend.device).await?;
    session::keep_model(model);
    session::note_trained_on(Some(session::loaded_from()));
    reply(&FromWorker::Evaluated(evaluate_model().await?));
    Ok(())
}

/// Switches the worker to the CPU after the GPU device was lost, and tells the user where
/// training goes on from.
async fn on_the_cpu(
    lost: &str,
    checkpoint: Option<&Checkpoint>,
    reply: &impl Fn(&FromWorker),
) -> Selected {
    let from = match checkpoint {
        Some(checkpoint) => format!("from the weights after epoch {}", checkpoint.epochs()),
        None => "from the start (no epoch had ended)".to_owned(),
    };
    let selected = Selected {
        device: backend::select(BackendPreference::Cpu).await.device,
        info: BackendInfo::Cpu {
            reason: format!("the GPU device was lost ({lost}); training went on {from}"),
        },
    };
    session::keep_backend(selected.clone());
    reply(&FromWorker::Backend(selected.info.clone()));
    selected
}

/// The kept model measured on the kept flows it did not train or tune on.
pub async fn evaluate_model() -> Result<ModelResults, Failure> {
    let dataset = session::dataset()?;
    let model = session::model()?;
    let device = session::device().await;
    let loaded = session::loaded_from();
    let trained_on = session::trained_on();
    // Flows of another load never trained the model: all of them are tested. Within the load it
    // trained on (or for an imported model, whose file does not say), the flows its content
    // split gave to training and validation are left out.
    let other_load = trained_on
        .as_ref()
        .is_some_and(|trained| *trained != loaded);
    let (rows, left_out) =
        rows_to_evaluate(&model, &dataset, other_load).map_err(ScoreError::from)?;
    let (evaluation, scores) = evaluate_rows(&model, &dataset, &rows, &device).await?;
    let families = dataset.label_families();
    let is_attack: Vec<bool> = rows
        .iter()
        .map(|&row| families[dataset.labels[row as usize] as usize].is_attack())
        .collect();
    Ok(ModelResults {
        kind: model.meta.model.kind,
        evaluation,
        histogram: ScoreHistogram::new(&scores, &is_attack, model.meta.threshold),
        threshold_rule: model.meta.threshold_rule.describe(),
        tested_on: tested_on(rows.len(), left_out, &loaded, trained_on),
        most_unusual: most_unusual(&dataset, &rows, &scores, model.meta.threshold),
    })
}

/// The [`MOST_UNUSUAL`] highest-scoring of `rows` (scored `scores`), highest first, each flagged or
/// not at `threshold`.
fn most_unusual(
    dataset: &Dataset,
    rows: &[u32],
    scores: &[f32],
    threshold: f32,
) -> Vec<RankedFlow> {
    let mut highest = Highest::new(MOST_UNUSUAL);
    for (&row, &score) in rows.iter().zip(scores) {
        highest.offer(score, (row, score));
    }
    highest
        .into_items()
        .into_iter()
        .map(|(row, score)| RankedFlow {
            row,
            label: dataset.label(row as usize).to_owned(),
            score,
            flagged: score >= threshold,
        })
        .collect()
}

/// What an evaluation tested on, in a sentence: the held-out part of the flows the model trained
/// on, or all of another load's flows (a test on other traffic, perhaps another dataset).
fn tested_on(rows: usize, left_out: u64, loaded: &str, trained_on: Option<String>) -> String {
    match trained_on {
        Some(trained) if trained != loaded => format!(
            "Tested on all {rows} flows of {loaded}, none of which trained or tuned the model: it learnt from {trained}."
        ),
        Some(_) => format!(
            "Tested on the {rows} flows of {loaded} that the model did not train or tune on ({left_out} that it did were left out)."
        ),
        None => format!(
            "Tested on {rows} flows of {loaded}; {left_out} were left out, which the imported model's content split would have trained or tuned it on (its file does not say which files it learnt from)."
        ),
    }
}

/// Features shown in an explanation.
const EXPLAIN_TOP: usize = 8;

/// Why flow `row` of the kept flows scored as it did under the kept model.
pub async fn explain(row: u32) -> Result<Explanation, Failure> {
    let dataset = session::dataset()?;
    let model = session::model()?;
    let device = session::device().await;
    if row as usize >= dataset.rows() {
        return Err(JobError::NoSuchFlow {
            row,
            rows: dataset.rows(),
        }
        .into());
    }
    let meta = &model.meta;
    let deviations = explain_row(
        &model.detector,
        &device,
        &meta.scaler,
        &meta.error_weights,
        &dataset,
        row as usize,
        EXPLAIN_TOP,
    )
    .await?;
    let score = score_rows(&model, &dataset, &[row], &device).await?;
    Ok(Explanation {
        row,
        label: dataset.label(row as usize).to_owned(),
        score: score.first().copied().unwrap_or(f32::NAN),
        deviations,
    })
}
