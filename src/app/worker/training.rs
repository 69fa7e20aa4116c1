//! The worker's training job: a network trained on the loaded flows a few batches at a time (or
//! a classic detector fitted in one pass), cross-fitted (see [`crate::model::fit::cross_fit`]), with
//! progress posted after each step and the event loop given a turn between steps so a Stop or
//! Pause request is read within one step; if the GPU device is lost, training goes on on the CPU
//! from the last epoch's weights; then the model is kept for the agent and evaluated on the
//! loaded flows, each it fitted scored by the fold model that did not.

use super::error::{Failure, JobError};
use super::session;
use crate::app::protocol::{Explanation, FromWorker, JobFailure, ModelResults, RankedFlow};
use crate::data::dataset::Dataset;
use crate::device::backend::{self, BackendInfo, BackendPreference, Selected};
use crate::metrics::histogram::ScoreHistogram;
use crate::metrics::ranking::Highest;
use crate::model::fit::cross_fit::CrossFit;
use crate::model::fit::{self, FitOptions, Fitted};
use crate::model::network::train::{Checkpoint, TrainError};
use crate::model::score::held_out::{Routing, evaluate_rows, routing, scorer_of};
use crate::model::score::scored_csv::MOST_UNUSUAL;
use crate::model::score::{ScoreError, ScoreOptions, explain as explain_row, score};

/// Mini-batches per training step: about 10 ms on the CPU backend, so Stop is read quickly.
pub(super) const BATCHES_PER_STEP: usize = 4;

/// Trains the autoencoder on the kept flows, posting progress, then its evaluation.
pub async fn train(options: FitOptions, reply: impl Fn(&FromWorker)) {
    if let Err(error) = run(options, &reply).await {
        reply(&FromWorker::TrainFailed(JobFailure::of(&*error)));
    }
}

async fn run(options: FitOptions, reply: &impl Fn(&FromWorker)) -> Result<(), Failure> {
    let dataset = session::dataset()?;
    let mut backend = session::backend().await;
    session::clear_stop();
    if options.model.kind.network().is_none() {
        // A classic detector is fitted in one pass: nothing to report until it is evaluated.
        let Fitted { model, .. } = fit::fit_classic(&backend.device, &dataset, &options).await?;
        session::keep_model(model);
        session::note_trained_on(Some(session::loaded_from()));
        reply(&FromWorker::Evaluated(evaluate_model().await?));
        return Ok(());
    }
    let mut run = CrossFit::start(&backend.device, &dataset, &options)?;
    // On a GPU, the weights are copied to host memory after each epoch, to go on from on the CPU
    // if the device is lost.
    let mut checkpoint: Option<(usize, Vec<Checkpoint>)> = None;
    let mut last_sent = None;
    while !run.is_done() {
        match run.step(BATCHES_PER_STEP).await {
            Ok(_) => {}
            Err(TrainError::Read(lost)) if backend.info.is_gpu() => {
                let epochs = checkpoint.as_ref().map(|(epochs, _)| *epochs);
                backend = on_the_cpu(&lost, epochs, reply).await;
                match &checkpoint {
                    Some((_, checkpoints)) => run.resume_on(&backend.device, checkpoints)?,
                    None => run = CrossFit::start(&backend.device, &dataset, &options)?,
                }
                continue;
            }
            Err(error @ TrainError::NotFinite { .. }) => {
                // The run went back to its last weights with a finite loss: say why training
                // stopped, and evaluate those.
                reply(&FromWorker::TrainFailed(JobFailure::Training(error)));
                run.stop();
                break;
            }
            Err(error) => return Err(error.into()),
        }
        let stopping = session::stopping();
        if stopping {
            run.stop();
        }
        let done = run.is_done();
        if done || session::due(last_sent) {
            reply(&FromWorker::Training(run.progress()));
            last_sent = Some(web_time::Instant::now());
        }
        let epochs = run.epochs_done();
        if !done && backend.info.is_gpu() && checkpoint.as_ref().is_none_or(|(at, _)| *at < epochs)
        {
            // A failed copy is no reason to stop training; the next epoch tries again.
            if let Ok(copied) = run.checkpoint().await {
                checkpoint = Some((epochs, copied));
            }
        }
        session::next_tick().await;
        session::wait_while_paused().await;
    }
    let Fitted { model, .. } = run.finish(&dataset, &backend.device).await?;
    session::keep_model(model);
    session::note_trained_on(Some(session::loaded_from()));
    reply(&FromWorker::Evaluated(evaluate_model().await?));
    Ok(())
}

/// Switches the worker to the CPU after the GPU device was lost, and tells the user where
/// training goes on from.
async fn on_the_cpu(lost: &str, epochs: Option<usize>, reply: &impl Fn(&FromWorker)) -> Selected {
    let from = match epochs {
        Some(epochs) => format!("from the weights after {epochs} epochs of its runs"),
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

/// The kept model measured on every kept flow, each it fitted scored by the fold model that
/// did not fit it.
pub async fn evaluate_model() -> Result<ModelResults, Failure> {
    let dataset = session::dataset()?;
    let model = session::model()?;
    let device = session::device().await;
    let loaded = session::loaded_from();
    let trained_on = session::trained_on();
    let rows: Vec<u32> = (0..dataset.rows() as u32).collect();
    let routed = routing(&model, &dataset, &rows).map_err(ScoreError::from)?;
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
        tested_on: tested_on(rows.len(), &routed, model.meta.folds, &loaded, trained_on),
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

/// What an evaluation tested on, in a sentence: every loaded flow, and which of the model's
/// detectors scored them (see [`crate::model::score::held_out`]).
fn tested_on(
    rows: usize,
    routed: &Routing,
    folds: usize,
    loaded: &str,
    trained_on: Option<String>,
) -> String {
    let fitted = routed.fitted;
    let cross_fitted = format!(
        "so each flow was scored by the fold model its content falls in, which did not fit it ({folds}-fold cross-fitting; the threshold was set on the benign flows' scores)"
    );
    let learnt_from = trained_on
        .as_deref()
        .unwrap_or("files its model file does not name");
    match (routed.own_files, fitted) {
        (true, _) if trained_on.as_deref() == Some(loaded) => format!(
            "Tested on all {rows} flows of {loaded}: the model fitted all {fitted} benign flows, {cross_fitted}."
        ),
        (true, _) => format!(
            "Tested on all {rows} flows of {loaded}: the model (learnt from {learnt_from}) had fitted {fitted} of them, {cross_fitted}."
        ),
        (false, 0) => format!(
            "Tested on all {rows} flows of {loaded}, none of which trained or tuned the model: it learnt from {learnt_from}."
        ),
        (false, _) => format!(
            "Tested on all {rows} flows of {loaded} with the final model (learnt from {learnt_from}), but for {fitted} that repeat flows it fitted, each scored by the fold model that did not fit it."
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
    let detector = scorer_of(&model, &dataset, row).map_err(ScoreError::from)?;
    let deviations = explain_row(
        detector,
        &device,
        &meta.scaler,
        &meta.error_weights,
        &dataset,
        row as usize,
        EXPLAIN_TOP,
    )
    .await?;
    let matrix = meta
        .scaler
        .transform(&dataset, &[row])
        .map_err(ScoreError::from)?;
    let scores = score(
        detector,
        &device,
        &matrix,
        &meta.error_weights,
        ScoreOptions::default(),
    )
    .await
    .map_err(ScoreError::from)?
    .scores;
    Ok(Explanation {
        row,
        label: dataset.label(row as usize).to_owned(),
        score: scores.first().copied().unwrap_or(f32::NAN),
        deviations,
    })
}
