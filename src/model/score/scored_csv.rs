//! Scored flows as CSV: each flow of a dataset with its anomaly score, the model's decision and
//! the features that deviated most (observed vs rebuilt, original units). Written by
//! `netsentry score` to a file and by the page as a download, so both give the same columns.

use std::io::Write;

use burn::prelude::Device;

use super::ScoreError;
use super::each_flow::score_each;
use crate::data::csv_text::csv_field;
use crate::data::dataset::Dataset;
use crate::metrics::ranking::Highest;
use crate::model::saved::SavedModel;

/// Deviating features listed per flow unless the user asks for another number (`netsentry score
/// --top`): the few a reader checks first.
pub const DEFAULT_TOP: usize = 3;

/// Flows kept as the most unusual while scoring, for `netsentry score` and the page to list.
pub const MOST_UNUSUAL: usize = 10;

/// What scoring found, besides the lines written.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoredSummary {
    /// Flows the model's threshold flags.
    pub flagged: u64,
    /// The [`MOST_UNUSUAL`] highest-scoring flows, highest first: where an analyst starts,
    /// and all there is to read in unlabelled traffic.
    pub most_unusual: Vec<UnusualFlow>,
}

/// One of the most unusual flows.
#[derive(Clone, Debug, PartialEq)]
pub struct UnusualFlow {
    /// Its 1-based row as loaded (the CSV's `row`).
    pub row: u32,
    /// Its label (`unlabelled` for flows without one).
    pub label: String,
    /// Its anomaly score.
    pub score: f32,
    /// The feature that deviated most, when the detector rebuilds flows.
    pub feature: Option<String>,
}

/// Why the scored flows could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ScoredCsvError {
    /// The flows could not be scored.
    #[error(transparent)]
    Score(#[from] ScoreError),
    /// The output would not take the lines.
    #[error("could not write the scored flows: {0}")]
    Write(#[from] std::io::Error),
}

/// Writes every flow of `dataset` (1-based `row` as loaded) with its score, flag and `top`
/// deviating features to `out`; returns how many were flagged at the model's threshold and the
/// most unusual flows.
pub async fn write_scored(
    model: &SavedModel,
    dataset: &Dataset,
    device: &Device,
    top: usize,
    out: &mut impl Write,
) -> Result<ScoredSummary, ScoredCsvError> {
    let mut header = String::from("row,label,score,flagged");
    for rank in 1..=top {
        header.push_str(&format!(
            ",feature_{rank},observed_{rank},reconstructed_{rank}"
        ));
    }
    writeln!(out, "{header}")?;
    let mut flagged = 0u64;
    let mut most_unusual = Highest::new(MOST_UNUSUAL);
    score_each(model, dataset, device, top, |flow| {
        flagged += u64::from(flow.flagged);
        let label = dataset.label(flow.row);
        most_unusual.offer(
            flow.score,
            UnusualFlow {
                row: flow.row as u32 + 1,
                label: label.to_owned(),
                score: flow.score,
                feature: flow.deviations.first().map(|first| first.feature.clone()),
            },
        );
        let mut line = format!(
            "{},{},{},{}",
            flow.row + 1,
            csv_field(label),
            flow.score,
            u8::from(flow.flagged)
        );
        for rank in 0..top {
            match flow.deviations.get(rank) {
                Some(deviation) => line.push_str(&format!(
                    ",{},{},{}",
                    csv_field(&deviation.feature),
                    deviation
                        .observed
                        .map_or_else(String::new, |observed| observed.to_string()),
                    deviation.rebuilt
                )),
                // The detector rebuilds nothing (the Isolation Forest): empty columns.
                None => line.push_str(",,,"),
            }
        }
        writeln!(out, "{line}")
    })
    .await?;
    Ok(ScoredSummary {
        flagged,
        most_unusual: most_unusual.into_items(),
    })
}
