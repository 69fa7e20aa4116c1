//! `netsentry agent`: train an agent on the autoencoder's view of labelled flows and compare it,
//! on flows it did not train on, with the best fixed threshold under the same costs. The run is
//! `rl::run`'s; this file reads the flags and prints.

use std::path::PathBuf;

use super::error::Failure;
use super::inputs::{device, every_column, load, read_model, write};
use crate::data::label::Family;
use crate::device::backend::BackendPreference;
use crate::rl::compare::{Comparison, Decisions};
use crate::rl::env::RewardMatrix;
use crate::rl::plan::{AgentPlan, Algorithm, Settings};
use crate::rl::run::{AgentOutcome, AgentPools, AgentRun};

/// `netsentry agent`; every default is [`AgentPlan::default`]'s, as on the page.
#[derive(Debug, clap::Args)]
pub struct AgentArgs {
    /// Print JSON (agent, best_threshold, model_threshold, supervised, history) instead of a
    /// table.
    #[arg(long)]
    json: bool,
    /// The algorithm.
    #[arg(long, value_enum, default_value_t = Algorithm::Dqn)]
    algo: Algorithm,
    /// Seed for the agent, its play and the train/test halving.
    #[arg(long, default_value_t = Settings::default().seed)]
    seed: u64,
    /// Episodes of training.
    #[arg(long, default_value_t = AgentPlan::default().episodes)]
    episodes: usize,
    /// Flows per episode.
    #[arg(long, default_value_t = Settings::default().episode_length)]
    episode_length: usize,
    /// Cost (negative reward) of flagging a benign flow.
    #[arg(long, default_value_t = RewardMatrix::default().false_positive)]
    cost_fp: f32,
    /// Cost (negative reward) of allowing an attack.
    #[arg(long, default_value_t = RewardMatrix::default().false_negative)]
    cost_fn: f32,
    /// Reward for a correct decision.
    #[arg(long, default_value_t = RewardMatrix::default().correct)]
    reward_correct: f32,
    /// Deal benign and attack flows with equal odds in training.
    #[arg(long)]
    balanced: bool,
    /// Keep one attack family (e.g. DoS, DDoS, PortScan) out of the agent's training flows and
    /// report how each detector does on it.
    #[arg(long, value_name = "FAMILY", value_parser = attack_family)]
    withhold: Option<Family>,
    /// Where to train.
    #[arg(long, value_enum, default_value_t = BackendPreference::Cpu)]
    backend: BackendPreference,
    /// Save the agent, with the model it depends on, to this file (safetensors).
    #[arg(long, value_name = "AGENT")]
    out: Option<PathBuf>,
    /// CSV files whose labelled flows the agent trains on.
    #[arg(long, num_args = 1.., required = true, value_name = "CSV")]
    train: Vec<PathBuf>,
    /// CSV files it is tested on; without them, the training files' flows are halved by content.
    #[arg(long, num_args = 1.., value_name = "CSV")]
    test: Vec<PathBuf>,
    /// The detector's model file (from `netsentry train`), whose scores the agent observes. A
    /// flag, not a trailing argument: `--train` and `--test` take every file that follows them.
    #[arg(long, required = true, value_name = "MODEL")]
    model: PathBuf,
}

impl AgentArgs {
    /// The plan the flags ask for.
    fn plan(&self) -> AgentPlan {
        AgentPlan {
            algorithm: self.algo,
            rewards: RewardMatrix {
                correct: self.reward_correct,
                false_positive: self.cost_fp,
                false_negative: self.cost_fn,
            },
            episodes: self.episodes,
            settings: Settings {
                seed: self.seed,
                episode_length: self.episode_length,
                balanced: self.balanced,
                ..Settings::default()
            },
        }
    }
}

/// Not one of the attack families `--withhold` takes.
#[derive(Debug, thiserror::Error)]
#[error("not an attack family: {given} (one of {known})")]
struct NotAnAttackFamily {
    given: String,
    known: String,
}

/// An attack family by name, as `--withhold` takes it.
fn attack_family(text: &str) -> Result<Family, NotAnAttackFamily> {
    match Family::of(text) {
        Family::Benign | Family::Unlabelled | Family::Other => Err(NotAnAttackFamily {
            given: text.to_owned(),
            known: Family::ALL
                .iter()
                .filter(|family| family.is_attack() && **family != Family::Other)
                .map(|family| family.name())
                .collect::<Vec<_>>()
                .join(", "),
        }),
        family => Ok(family),
    }
}

/// Runs `netsentry agent`.
pub fn agent(args: &AgentArgs) -> Result<(), Failure> {
    let plan = args.plan();
    let device = device(args.backend);
    let model = read_model(&args.model, &device)?;
    let train = load(&args.train, every_column())?;
    let test = if args.test.is_empty() {
        None
    } else {
        Some(load(&args.test, every_column())?)
    };
    if let Some(family) = args.withhold {
        eprintln!("withheld {} from the agent's training flows", family.name());
    }
    let pools = match &test {
        None => pollster::block_on(AgentPools::halves(
            &model,
            &train,
            plan.settings.seed,
            args.withhold,
            &device,
        )),
        Some(test) => pollster::block_on(AgentPools::apart(
            &model,
            &train,
            test,
            args.withhold,
            &device,
        )),
    }?;
    eprintln!(
        "{} flows to train the agent on, {} to test on (a flow the model fitted is seen through the fold model that did not fit it)",
        pools.train.len(),
        pools.test.len()
    );
    let mut run = AgentRun::start(plan, &pools, &device)?;
    let report_every = (plan.episodes / 10).max(1);
    while !run.finished() {
        let report = pollster::block_on(run.episode())?;
        if (report.episode + 1) % report_every == 0 {
            eprintln!(
                "episode {:>4}/{}: {}",
                report.episode + 1,
                plan.episodes,
                report.summary()
            );
        }
    }
    let outcome = pollster::block_on(run.finish(model, &device))?;
    if let Some(out) = &args.out {
        write(out, &pollster::block_on(outcome.agent.to_bytes())?)?;
        eprintln!("saved the agent with its model to {}", out.display());
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report_json(&outcome)?)?);
    } else {
        let assessment = &outcome.assessment;
        print!(
            "{}",
            comparison_text(&assessment.comparison, assessment.algorithm)
        );
    }
    Ok(())
}

/// The comparison as JSON, with the algorithm, the cost ratio and the history.
fn report_json(outcome: &AgentOutcome) -> Result<serde_json::Value, serde_json::Error> {
    let comparison = &outcome.assessment.comparison;
    let mut value = serde_json::to_value(comparison)?;
    value["algo"] = outcome.assessment.algorithm.name().into();
    value["cost_ratio"] = comparison.cost_ratio().into();
    value["history"] = serde_json::to_value(&outcome.history)?;
    Ok(value)
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
    let model_threshold = format!("model's threshold ({})", comparison.model_threshold.rule);
    let width = model_threshold.len().max(40);
    let _ = writeln!(
        out,
        "{:<width$} {:>10} {:>7} {:>7} {:>9} {:>7}   TP/FP/TN/FN",
        "detector", "cost", "FPR", "recall", "precision", "F1"
    );
    let mut row = |name: &str, decisions: &Decisions| {
        let _ = writeln!(
            out,
            "{name:<width$} {:>10.0} {:>7.4} {:>7.4} {:>9.4} {:>7.4}   {}",
            decisions.cost,
            decisions.fpr,
            decisions.recall,
            decisions.precision,
            decisions.f1,
            decisions.confusion.counts()
        );
    };
    row(&format!("agent ({})", algorithm.name()), &comparison.agent);
    row(
        "best fixed threshold (on training flows)",
        &comparison.best_threshold,
    );
    row(&model_threshold, &comparison.model_threshold.decisions);
    row(
        "supervised (logistic regression, same inputs)",
        &comparison.supervised,
    );
    let _ = writeln!(
        out,
        "{} (cost ratio {:.3})",
        comparison.verdict(algorithm),
        comparison.cost_ratio()
    );
    if let Some(unseen) = &comparison.unseen {
        let _ = writeln!(
            out,
            "unseen attack {} ({} test flows, withheld from the agent's training): flagged by the agent {:.4}, the best threshold {:.4}, the model's threshold {:.4}",
            unseen.family,
            unseen.flows,
            unseen.agent_recall,
            unseen.best_threshold_recall,
            unseen.model_threshold_recall
        );
    }
    out
}
