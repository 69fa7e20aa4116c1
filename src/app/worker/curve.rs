//! The worker's learning-curve job: the user's detector fitted on growing draws of the loaded
//! benign flows (see [`crate::model::fit::learning_curve`]), each tested on the same set-aside flows,
//! with every point posted as it comes. Networks are cross-fitted a few batches at a time, giving
//! the event loop a turn between steps, so Stop ends the curve at the point under way.

use burn::prelude::Device;

use super::error::Failure;
use super::session;
use super::training::BATCHES_PER_STEP;
use crate::app::protocol::{FromWorker, JobFailure, LearningCurve};
use crate::data::dataset::Dataset;
use crate::model::fit::cross_fit::CrossFit;
use crate::model::fit::learning_curve::{CurvePlan, LearningPoint};
use crate::model::fit::{self, FitOptions, Fitted};
use crate::model::saved::SavedModel;
use crate::model::score::held_out::evaluate_rows;

/// Draws the learning curve for `options` on the loaded flows, posting each point.
pub async fn draw(options: FitOptions, reply: impl Fn(&FromWorker)) {
    if let Err(error) = points(options, &reply).await {
        reply(&FromWorker::CurveFailed(JobFailure::of(&*error)));
    }
}

async fn points(options: FitOptions, reply: &impl Fn(&FromWorker)) -> Result<(), Failure> {
    let dataset = session::dataset()?;
    let device = session::device().await;
    session::clear_stop();
    let plan = CurvePlan::new(&dataset, options.train.seed);
    let mut curve = LearningCurve {
        kind: options.model.kind,
        tested: plan.test.len(),
        points: Vec::new(),
        to_come: plan.sizes.clone(),
    };
    reply(&FromWorker::Curve(curve.clone()));
    for &size in &plan.sizes {
        if session::stopping() {
            break;
        }
        let part = dataset.select(plan.draw(size));
        let Some(model) = fit(&part, &options, &device).await? else {
            break;
        };
        let (evaluation, _) = evaluate_rows(&model, &dataset, &plan.test, &device).await?;
        curve.points.push(LearningPoint {
            fitted: size,
            roc_auc: evaluation.roc_auc,
            tpr_at_1_percent: evaluation.tpr_at(0.01),
        });
        curve.to_come.retain(|&to_come| to_come > size);
        reply(&FromWorker::Curve(curve.clone()));
    }
    if !curve.to_come.is_empty() {
        // Stopped: the points so far stand, and none is to come.
        curve.to_come.clear();
        reply(&FromWorker::Curve(curve));
    }
    Ok(())
}

/// The detector `options` describe, fitted on every flow of `part` as training fits it; `None`
/// when Stop arrived while a network trained.
async fn fit(
    part: &Dataset,
    options: &FitOptions,
    device: &Device,
) -> Result<Option<SavedModel>, Failure> {
    if options.model.kind.network().is_none() {
        let Fitted { model, .. } = fit::fit_classic(device, part, options).await?;
        return Ok(Some(model));
    }
    let mut run = CrossFit::start(device, part, options)?;
    while !run.is_done() {
        run.step(BATCHES_PER_STEP).await?;
        if session::stopping() {
            return Ok(None);
        }
        session::next_tick().await;
    }
    let Fitted { model, .. } = run.finish(part, device).await?;
    Ok(Some(model))
}
