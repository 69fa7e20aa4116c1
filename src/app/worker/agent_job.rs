//! The worker's agent job: `rl::run` on the loaded flows halved by content, seen through the
//! kept autoencoder, with each episode's figures posted as it goes and Stop and Pause read
//! between episodes (the agent trained so far is kept and compared).

use super::error::Failure;
use super::session;
use crate::app::protocol::{FromWorker, JobFailure};
use crate::rl::plan::AgentPlan;
use crate::rl::run::{AgentPools, AgentRun, Assessment, assess};

/// Trains an agent as `plan` says, posting progress, then its assessment.
pub async fn train(plan: AgentPlan, reply: impl Fn(&FromWorker)) {
    if let Err(error) = run(plan, &reply).await {
        reply(&FromWorker::AgentFailed(JobFailure::of(&*error)));
    }
}

async fn run(plan: AgentPlan, reply: &impl Fn(&FromWorker)) -> Result<(), Failure> {
    let dataset = session::dataset()?;
    let model = session::model()?;
    let device = session::device().await;
    let pools = AgentPools::halves(&model, &dataset, plan.settings.seed, None, &device).await?;
    session::clear_stop();
    let mut run = AgentRun::start(plan, &pools, &device)?;
    let mut pending = Vec::new();
    let mut last_sent = None;
    while !run.finished() {
        pending.push(run.episode().await?);
        let stopping = session::stopping();
        if stopping || run.finished() || session::due(last_sent) {
            reply(&FromWorker::AgentTraining(std::mem::take(&mut pending)));
            last_sent = Some(web_time::Instant::now());
        }
        if stopping {
            break;
        }
        session::next_tick().await;
        session::wait_while_paused().await;
    }
    let outcome = run.finish((*model).clone(), &device).await?;
    session::keep_agent(outcome.agent);
    reply(&FromWorker::AgentCompared(outcome.assessment));
    Ok(())
}

/// A kept (e.g. imported) agent assessed on the kept flows, as after training.
pub async fn assess_kept() -> Result<Assessment, Failure> {
    let dataset = session::dataset()?;
    let agent = session::agent()?;
    let device = session::device().await;
    let seed = agent.meta.plan.settings.seed;
    let pools = AgentPools::halves(&agent.model, &dataset, seed, None, &device).await?;
    Ok(assess(&agent, &pools, &device).await?)
}
