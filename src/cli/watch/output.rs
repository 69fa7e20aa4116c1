//! What `watch` writes per flow: a JSON line with where the flow came from (file and line), who
//! talked to whom (the flow's identifier columns, when the file has them), its label if it has
//! one, its score and the decision, by the model's threshold or an agent, and for a flagged
//! flow the features that deviated most.

use std::path::Path;

use burn::prelude::Device;
use serde::Serialize;

use super::super::error::{CliError, Failure};
use crate::data::dataset::Dataset;
use crate::data::label::UNLABELLED;
use crate::data::schema::key;
use crate::model::saved::{ModelFileError, SavedModel};
use crate::model::score::each_flow::{ScoredFlow, score_each};
use crate::rl::observe::pool;
use crate::rl::saved::SavedAgent;

/// Who decides: the model's threshold, or an agent that learnt from the model's view.
pub enum Judge {
    /// A model file: its threshold flags.
    Model(Box<SavedModel>),
    /// An agent file: the agent flags.
    Agent(Box<SavedAgent>),
}

/// A flow scored and decided.
pub struct Judged {
    /// The model's view: score, threshold decision, deviations.
    pub scored: ScoredFlow,
    /// The decision that counts (the agent's, if an agent decides).
    pub flagged: bool,
}

impl Judge {
    /// Reads `path` as an agent file if it is one, else as a model file.
    pub fn read(path: &Path, device: &Device) -> Result<Self, CliError> {
        let bytes = std::fs::read(path).map_err(|source| CliError::Read {
            path: path.to_owned(),
            source,
        })?;
        let refused = |source| CliError::ModelFile {
            path: path.to_owned(),
            source,
        };
        match SavedAgent::from_bytes(&bytes, device) {
            Ok(agent) => {
                eprintln!(
                    "watch: {} is an agent file: the agent decides",
                    path.display()
                );
                Ok(Self::Agent(Box::new(agent)))
            }
            Err(ModelFileError::NoAgent) => {
                let model = SavedModel::from_bytes(&bytes, device).map_err(refused)?;
                Ok(Self::Model(Box::new(model)))
            }
            Err(error) => Err(refused(error)),
        }
    }

    /// The model whose scores are written.
    fn model(&self) -> &SavedModel {
        match self {
            Self::Model(model) => model,
            Self::Agent(agent) => &agent.model,
        }
    }

    /// Scores and decides every flow of `dataset`, with `top` deviating features each.
    pub async fn judge(
        &self,
        dataset: &Dataset,
        device: &Device,
        top: usize,
    ) -> Result<Vec<Judged>, Failure> {
        let mut scored = Vec::with_capacity(dataset.rows());
        score_each(self.model(), dataset, device, top, |flow| {
            scored.push(flow);
            Ok(())
        })
        .await?;
        let flags = match self {
            Self::Model(_) => scored.iter().map(|flow| flow.flagged).collect(),
            Self::Agent(agent) => {
                let rows: Vec<u32> = (0..dataset.rows() as u32).collect();
                let observed = pool(&agent.model, device, dataset, &rows).await?;
                agent.policy.flags(&observed, device).await?
            }
        };
        Ok(scored
            .into_iter()
            .zip(flags)
            .map(|(scored, flagged)| Judged { scored, flagged })
            .collect())
    }
}

/// Where a file's identifier columns are.
#[derive(Default)]
pub struct Identifiers {
    flow: Option<usize>,
    source: Option<usize>,
    source_port: Option<usize>,
    destination: Option<usize>,
    destination_port: Option<usize>,
    protocol: Option<usize>,
    timestamp: Option<usize>,
}

impl Identifiers {
    /// The identifier columns of `header`, by the names CICFlowMeter's versions give them.
    pub fn of(header: &str) -> Self {
        let keys: Vec<String> = header.split(',').map(key).collect();
        let find = |names: &[&str]| keys.iter().position(|key| names.contains(&key.as_str()));
        Self {
            flow: find(&["flowid"]),
            source: find(&["srcip", "sourceip"]),
            source_port: find(&["srcport", "sourceport"]),
            destination: find(&["dstip", "destinationip"]),
            destination_port: find(&["dstport", "destinationport"]),
            protocol: find(&["protocol"]),
            timestamp: find(&["timestamp"]),
        }
    }
}

/// One feature beside what the model rebuilt, in the flow's units.
#[derive(Serialize)]
struct Deviated<'a> {
    feature: &'a str,
    observed: Option<f32>,
    rebuilt: f32,
}

/// One JSON line.
#[derive(Serialize)]
pub struct Record<'a> {
    file: &'a str,
    line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    flow_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    protocol: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<&'a str>,
    score: f32,
    flagged: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    deviations: Vec<Deviated<'a>>,
}

/// The record of `flow`, read from line `line` (text `text`) of `file`.
pub fn record<'a>(
    file: &'a str,
    line: u64,
    identifiers: &Identifiers,
    text: &'a [u8],
    dataset: &'a Dataset,
    flow: &'a Judged,
) -> Record<'a> {
    // CICFlowMeter writes no quotes; a line with one is not split for its identifiers.
    let text = std::str::from_utf8(text)
        .ok()
        .filter(|text| !text.contains('"'));
    let fields: Vec<&str> =
        text.map_or_else(Vec::new, |text| text.split(',').map(str::trim).collect());
    let field = |column: Option<usize>| column.and_then(|column| fields.get(column).copied());
    let end = |address: Option<usize>, port: Option<usize>| {
        field(address).map(|address| match field(port) {
            Some(port) => format!("{address}:{port}"),
            None => address.to_owned(),
        })
    };
    let label = dataset.label(flow.scored.row);
    Record {
        file,
        line,
        flow_id: field(identifiers.flow),
        source: end(identifiers.source, identifiers.source_port),
        destination: end(identifiers.destination, identifiers.destination_port),
        protocol: field(identifiers.protocol),
        timestamp: field(identifiers.timestamp),
        label: (label != UNLABELLED).then_some(label),
        score: flow.scored.score,
        flagged: flow.flagged,
        deviations: if flow.flagged {
            flow.scored
                .deviations
                .iter()
                .map(|deviation| Deviated {
                    feature: &deviation.feature,
                    observed: deviation.observed,
                    rebuilt: deviation.rebuilt,
                })
                .collect()
        } else {
            Vec::new()
        },
    }
}
