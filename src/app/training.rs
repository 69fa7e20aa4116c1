//! The worker's training job: the autoencoder trained on the loaded flows a few batches at a
//! time, with progress posted after each step and the event loop given a turn between steps so a
//! Stop request is read within one step; then the model is kept for the agent and evaluated on
//! the flows it did not train or tune on.

use super::protocol::{Explanation, FromWorker, ModelResults};
use super::session;
use crate::metrics::evaluation::evaluate;
use crate::metrics::histogram::ScoreHistogram;
use crate::model::fit::{self, FitOptions};
use crate::model::held_out::{rows_to_evaluate, score_rows};
use crate::model::score::explain as explain_row;

/// Mini-batches per training step: about 10 ms on the CPU backend, so Stop is read quickly.
const BATCHES_PER_STEP: usize = 4;
/// Least time between progress messages.
pub const PROGRESS_EVERY_MS: f64 = 100.0;

/// Trains the autoencoder on the kept flows, posting progress, then its evaluation.
pub async fn train(options: FitOptions, reply: impl Fn(&FromWorker)) {
    if let Err(error) = run(options, &reply).await {
        reply(&FromWorker::TrainFailed(error));
    }
}

async fn run(options: FitOptions, reply: &impl Fn(&FromWorker)) -> Result<(), String> {
    let dataset = session::dataset()?;
    let device = session::device().await;
    session::clear_stop();
    let (plan, mut trainer) =
        fit::start(&device, &dataset, &options).map_err(|error| error.to_string())?;
    let mut last_sent = None;
    loop {
        let progress = trainer
            .step(BATCHES_PER_STEP)
            .await
            .map_err(|error| error.to_string())?;
        let done = progress.finished.is_some();
        let stopping = session::stopping();
        if done || stopping || session::due(last_sent, PROGRESS_EVERY_MS) {
            reply(&FromWorker::Training(progress));
            last_sent = Some(web_time::Instant::now());
        }
        if done || stopping {
            break;
        }
        session::next_tick().await;
        session::wait_while_paused().await;
    }
    let (model, _) = fit::finish(&plan, &trainer, &dataset, &options, &device).await?;
    session::keep_model(model);
    reply(&FromWorker::Evaluated(evaluate_model().await?));
    Ok(())
}

/// The kept model measured on the kept flows it did not train or tune on.
pub async fn evaluate_model() -> Result<ModelResults, String> {
    let dataset = session::dataset()?;
    let model = session::model()?;
    let device = session::device().await;
    let (rows, _) = rows_to_evaluate(&model, &dataset, false)?;
    let scores = score_rows(&model, &dataset, &rows, &device).await?;
    let labels: Vec<u16> = rows
        .iter()
        .map(|&row| dataset.labels[row as usize])
        .collect();
    let attack = dataset.attack_mask();
    let is_attack: Vec<bool> = rows.iter().map(|&row| attack[row as usize]).collect();
    Ok(ModelResults {
        evaluation: evaluate(&scores, &labels, &dataset.label_names, model.meta.threshold),
        histogram: ScoreHistogram::new(&scores, &is_attack, model.meta.threshold),
        threshold_rule: model.meta.threshold_rule.describe(),
    })
}

/// Features shown in an explanation.
const EXPLAIN_TOP: usize = 8;

/// Why flow `row` of the kept flows scored as it did under the kept model.
pub async fn explain(row: u32) -> Result<Explanation, String> {
    let dataset = session::dataset()?;
    let model = session::model()?;
    let device = session::device().await;
    if row as usize >= dataset.rows() {
        return Err(format!(
            "flow {row} is not in the loaded data ({} flows); the data changed since the replay started",
            dataset.rows()
        ));
    }
    let meta = &model.meta;
    let deviations = explain_row(
        &model.network,
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
