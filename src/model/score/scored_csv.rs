//! Scored flows as CSV: each flow of a dataset with its anomaly score, the model's decision and
//! the features that deviated most (observed vs rebuilt, original units). Written by
//! `netsentry score` to a file and by the page as a download, so both give the same columns.

use std::io::Write;

use burn::prelude::Device;

use super::{ScoreError, ScoreOptions, score};
use crate::data::csv_text::csv_field;
use crate::data::dataset::Dataset;
use crate::metrics::ranking::Highest;
use crate::model::batches::SCORE_BATCH;
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
    let scaler = &model.meta.scaler;
    let columns = scaler.columns_in(dataset).map_err(ScoreError::from)?;
    let width = scaler.features.len();
    let mut header = String::from("row,label,score,flagged");
    for rank in 1..=top {
        header.push_str(&format!(
            ",feature_{rank},observed_{rank},reconstructed_{rank}"
        ));
    }
    writeln!(out, "{header}")?;
    let mut flagged = 0u64;
    let mut most_unusual = Highest::new(MOST_UNUSUAL);
    for start in (0..dataset.rows()).step_by(SCORE_BATCH) {
        let rows: Vec<u32> = (start..(start + SCORE_BATCH).min(dataset.rows()))
            .map(|row| row as u32)
            .collect();
        let matrix = scaler.transform(dataset, &rows).map_err(ScoreError::from)?;
        let options = ScoreOptions {
            errors: true,
            reconstruction: true,
            ..ScoreOptions::default()
        };
        let weights = &model.meta.error_weights;
        let scored = score(&model.detector, device, &matrix, weights, options)
            .await
            .map_err(ScoreError::from)?;
        for (index, &row) in rows.iter().enumerate() {
            let score = scored.scores[index];
            let is_flagged = score >= model.meta.threshold;
            flagged += u64::from(is_flagged);
            // The features by weighted squared error, largest first; none when the detector
            // rebuilds nothing (the Isolation Forest), whose deviation columns stay empty.
            let errors = scored
                .errors
                .get(index * width..(index + 1) * width)
                .unwrap_or(&[]);
            let output = scored
                .reconstruction
                .get(index * width..(index + 1) * width)
                .unwrap_or(&[]);
            let mut order: Vec<usize> = (0..errors.len()).collect();
            order.sort_by(|&a, &b| (errors[b] * weights[b]).total_cmp(&(errors[a] * weights[a])));
            most_unusual.offer(
                score,
                UnusualFlow {
                    row: row + 1,
                    label: dataset.label(row as usize).to_owned(),
                    score,
                    feature: order
                        .first()
                        .map(|&feature| scaler.features[feature].clone()),
                },
            );
            let mut line = format!(
                "{},{},{score},{}",
                row + 1,
                csv_field(dataset.label(row as usize)),
                u8::from(is_flagged)
            );
            for rank in 0..top {
                let Some(&feature) = order.get(rank) else {
                    line.push_str(",,,");
                    continue;
                };
                let observed = dataset.columns[columns[feature]][row as usize];
                line.push_str(&format!(
                    ",{},{},{}",
                    csv_field(&scaler.features[feature]),
                    if observed.is_finite() {
                        observed.to_string()
                    } else {
                        String::new()
                    },
                    scaler.unscale(feature, output[feature])
                ));
            }
            writeln!(out, "{line}")?;
        }
    }
    Ok(ScoredSummary {
        flagged,
        most_unusual: most_unusual.into_items(),
    })
}
