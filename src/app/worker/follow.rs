//! A file the page follows while it grows: each piece the page reads of it is added to the
//! file's [`LineBuffer`], and the flows it completes are scored by the kept model and decided by
//! the kept agent (or the model's threshold when no agent was trained), as `netsentry watch`
//! does natively.

use std::cell::RefCell;

use super::error::Failure;
use super::session;
use crate::app::protocol::{FollowedFlow, FollowedFlows};
use crate::data::follow::{LineBuffer, read_lines};
use crate::data::ingest::IngestOptions;
use crate::data::label::Family;
use crate::model::score::each_flow::score_each;
use crate::rl::observe::pool;

thread_local! {
    /// The followed file's lines so far.
    static BUFFER: RefCell<LineBuffer> = RefCell::new(LineBuffer::new());
}

/// Scores the flows that `bytes`, appended to the file `name`, complete; `restart` starts the
/// file over (chosen anew, or truncated).
pub async fn follow(name: &str, bytes: &[u8], restart: bool) -> Result<FollowedFlows, Failure> {
    let model = session::model()?;
    let lines = BUFFER.with(|buffer| {
        let mut buffer = buffer.borrow_mut();
        if restart {
            *buffer = LineBuffer::new();
        }
        buffer
            .push(bytes)
            .map(|lines| (lines, buffer.header().unwrap_or_default().to_owned()))
    });
    let mut followed = FollowedFlows {
        flows: Vec::new(),
        skipped: Vec::new(),
        by_agent: false,
    };
    let Some((lines, header)) = lines else {
        return Ok(followed);
    };
    // Every column the model might need (ports too), as the command line scores.
    let options = IngestOptions {
        ports_as_features: true,
        ..IngestOptions::default()
    };
    let rows = read_lines(name, &header, &lines, options)?;
    followed.skipped = rows.skipped;
    if rows.dataset.rows() == 0 {
        return Ok(followed);
    }
    let device = session::device().await;
    let mut scored = Vec::with_capacity(rows.dataset.rows());
    score_each(&model, &rows.dataset, &device, 0, |flow| {
        scored.push(flow);
        Ok(())
    })
    .await?;
    let mut flags: Vec<bool> = scored.iter().map(|flow| flow.flagged).collect();
    // The agent decides when it learnt from this model's view of the flows.
    if let Ok(agent) = session::agent() {
        let all: Vec<u32> = (0..rows.dataset.rows() as u32).collect();
        let observed = pool(&agent.model, &device, &rows.dataset, &all).await?;
        flags = agent.policy.flags(&observed, &device).await?;
        followed.by_agent = true;
    }
    followed.flows = scored
        .iter()
        .zip(flags)
        .zip(&rows.lines)
        .map(|((flow, flagged), &line)| {
            let label = rows.dataset.label(flow.row).to_owned();
            FollowedFlow {
                line,
                attack: Family::of(&label).is_attack(),
                label,
                score: flow.score,
                threshold: model.meta.threshold,
                flagged,
            }
        })
        .collect();
    Ok(followed)
}
