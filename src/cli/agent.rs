//! `netsentry agent`: train an agent on the autoencoder's view of labelled flows and compare it,
//! on flows it did not train on, with the best fixed threshold under the same costs.

use std::path::{Path, PathBuf};

use burn::prelude::Device;

use super::model::{device, load, read_model};
use crate::data::label::Family;
use crate::model::backend::BackendPreference;
use crate::model::held_out::rows_to_evaluate;
use crate::model::saved::SavedModel;
use crate::rl::actor_critic::Settings;
use crate::rl::agent::{AgentTrainer, Algorithm};
use crate::rl::compare::{Comparison, Decisions, compare};
use crate::rl::env::{FlowPool, RewardMatrix};
use crate::rl::history::EpisodeReport;
use crate::rl::observe;
use crate::rl::saved::{AGENT_FORMAT_VERSION, AgentMeta, SavedAgent};
use crate::rl::split::{halves, without};

/// What the user chose.
pub struct AgentRun<'a> {
    /// The model file.
    pub model: &'a Path,
    /// Files to train on.
    pub train: &'a [PathBuf],
    /// Files to test on; empty to split the training files' flows in half by content.
    pub test: &'a [PathBuf],
    /// Episodes of training.
    pub episodes: usize,
    /// The algorithm.
    pub algorithm: Algorithm,
    /// Network size, episode length, balance and seed.
    pub settings: Settings,
    /// The rewards and costs.
    pub rewards: RewardMatrix,
    /// An attack family kept out of the agent's training flows and reported on separately.
    pub withhold: Option<Family>,
    /// Where to save the agent with its model, if anywhere.
    pub out: Option<&'a Path>,
    /// Print JSON.
    pub json: bool,
    /// Where to train.
    pub backend: BackendPreference,
}

async fn pools(
    run: &AgentRun<'_>,
    model: &SavedModel,
    device: &Device,
) -> Result<(FlowPool, FlowPool), String> {
    let train = load(run.train, true)?;
    if let Some(family) = run.withhold {
        eprintln!("withheld {} from the agent's training flows", family.name());
    }
    if run.test.is_empty() {
        // One load, halved by content: the agent trains on one half, is tested on the other.
        let rows = halves(model, &train, run.settings.seed, run.withhold)?;
        eprintln!(
            "split the flows by content: {} to train the agent on, {} to test on (flows the model trained on are not tested on)",
            rows.train.len(),
            rows.test.len()
        );
        let train_pool = observe::pool(model, device, &train, &rows.train).await?;
        let test_pool = observe::pool(model, device, &train, &rows.test).await?;
        return Ok((train_pool, test_pool));
    }
    let all = without(&train, (0..train.rows() as u32).collect(), run.withhold);
    let train_pool = observe::pool(model, device, &train, &all).await?;
    let test = load(run.test, true)?;
    let (rows, _) = rows_to_evaluate(model, &test, false)?;
    let test_pool = observe::pool(model, device, &test, &rows).await?;
    Ok((train_pool, test_pool))
}

/// Runs `netsentry agent`.
pub fn agent(run: &AgentRun<'_>) -> Result<(), String> {
    let device = device(run.backend);
    let model = read_model(run.model, &device)?;
    let (train, test) = pollster::block_on(pools(run, &model, &device))?;
    if train.is_empty() || test.is_empty() {
        return Err(
            "the agent needs flows to train on and flows to test on: give --train files with labelled flows, and --test files (or none, to halve the training flows)"
                .to_owned(),
        );
    }
    if !train.attack.contains(&true) {
        return Err(
            "the training flows have no attacks, so the agent has nothing to learn to flag: add files with attack rows to --train".to_owned(),
        );
    }
    let mut trainer = AgentTrainer::new(
        run.algorithm,
        &train,
        run.rewards,
        run.settings,
        run.episodes,
        &device,
    );
    let mut history: Vec<EpisodeReport> = Vec::with_capacity(run.episodes);
    let report_every = (run.episodes / 10).max(1);
    for _ in 0..run.episodes {
        let report = pollster::block_on(trainer.episode())?;
        if (report.episode + 1) % report_every == 0 {
            let exploration = match (report.epsilon, report.entropy) {
                (Some(epsilon), _) => format!("ε {epsilon:.3}"),
                (_, Some(entropy)) => format!("entropy {entropy:.3}"),
                _ => String::new(),
            };
            eprintln!(
                "episode {:>4}/{}: reward {:>8.1}  FPR {:.3}  recall {:.3}  loss {:.4}  {exploration}",
                report.episode + 1,
                run.episodes,
                report.reward,
                report.fpr,
                report.recall,
                report.loss,
            );
        }
        history.push(report);
    }
    let flags = pollster::block_on(trainer.flags(&test, &device))?;
    let comparison = compare(
        &flags,
        &train,
        &test,
        model.meta.threshold,
        run.rewards.costs(),
        run.withhold,
    );
    if let Some(out) = run.out {
        let meta = AgentMeta {
            format_version: AGENT_FORMAT_VERSION,
            algorithm: run.algorithm,
            settings: run.settings,
            rewards: run.rewards,
            observation_width: train.width,
            episodes: run.episodes,
        };
        let saved = SavedAgent::new(&trainer, meta, model);
        let bytes = pollster::block_on(saved.to_bytes()).map_err(|error| error.to_string())?;
        std::fs::write(out, bytes)
            .map_err(|error| format!("cannot write {}: {error}", out.display()))?;
        eprintln!("saved the agent with its model to {}", out.display());
    }
    if run.json {
        let mut value = serde_json::to_value(&comparison).map_err(|error| error.to_string())?;
        value["algo"] = run.algorithm.name().into();
        value["cost_ratio"] = comparison.cost_ratio().into();
        value["history"] = serde_json::to_value(&history).map_err(|error| error.to_string())?;
        println!(
            "{}",
            serde_json::to_string_pretty(&value).map_err(|error| error.to_string())?
        );
    } else {
        print!("{}", comparison_text(&comparison, run.algorithm));
    }
    Ok(())
}

fn comparison_text(comparison: &Comparison, algorithm: Algorithm) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} test flows (agent trained on {}); cost = {} × FP + {} × FN",
        comparison.test_flows,
        comparison.train_flows,
        comparison.costs.false_positive,
        comparison.costs.false_negative
    );
    let _ = writeln!(
        out,
        "{:<36} {:>10} {:>7} {:>7} {:>9} {:>7}   TP/FP/TN/FN",
        "detector", "cost", "FPR", "recall", "precision", "F1"
    );
    let mut row = |name: &str, decisions: &Decisions| {
        let c = &decisions.confusion;
        let _ = writeln!(
            out,
            "{name:<36} {:>10.0} {:>7.4} {:>7.4} {:>9.4} {:>7.4}   {}/{}/{}/{}",
            decisions.cost,
            decisions.fpr,
            decisions.recall,
            decisions.precision,
            decisions.f1,
            c.true_positives,
            c.false_positives,
            c.true_negatives,
            c.false_negatives
        );
    };
    row(&format!("agent ({})", algorithm.name()), &comparison.agent);
    row(
        "best fixed threshold (on training flows)",
        &comparison.best_threshold,
    );
    row("benign 99th-percentile threshold", &comparison.benign_p99);
    let ratio = comparison.cost_ratio();
    let verdict = if ratio < 1.0 {
        format!(
            "the agent costs {:.0} % less than the best fixed threshold",
            (1.0 - ratio) * 100.0
        )
    } else {
        format!(
            "the agent costs {:.0} % more than the best fixed threshold",
            (ratio - 1.0) * 100.0
        )
    };
    let _ = writeln!(out, "{verdict} (ratio {ratio:.3})");
    if let Some(unseen) = &comparison.unseen {
        let _ = writeln!(
            out,
            "unseen attack {} ({} test flows, withheld from the agent's training): flagged by the agent {:.4}, the best threshold {:.4}, the benign-p99 threshold {:.4}",
            unseen.family,
            unseen.flows,
            unseen.agent_recall,
            unseen.best_threshold_recall,
            unseen.benign_p99_recall
        );
    }
    out
}
