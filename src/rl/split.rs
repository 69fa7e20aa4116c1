//! Which flows of one loaded dataset an agent trains on and which it is tested on: the dataset is
//! halved by content (so a flow lands on the same side in any file and run with the same seed),
//! every flow is observed through the model honestly (a flow the model fitted by the fold model
//! that did not, see [`crate::model::score::held_out`]), and a withheld attack family is taken out of
//! the training half only. Shared by `netsentry agent` and the page.

use crate::data::dataset::Dataset;
use crate::data::label::Family;
use crate::data::prepare::MissingFeatures;
use crate::data::prepare::{content_hash, content_position};
use crate::model::saved::SavedModel;

/// The rows of a dataset an agent uses.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AgentRows {
    /// Rows the agent trains on (and the best fixed threshold is chosen on).
    pub train: Vec<u32>,
    /// Rows both are compared on: never trained on by the agent, and scored by a model that did
    /// not fit them.
    pub test: Vec<u32>,
}

/// Halves `dataset` by content with `seed` (see the module documentation); `withhold` keeps one
/// attack family out of the training half.
pub fn halves(
    model: &SavedModel,
    dataset: &Dataset,
    seed: u64,
    withhold: Option<Family>,
) -> Result<AgentRows, MissingFeatures> {
    let columns = model.meta.scaler.columns_in(dataset)?;
    let mut rows = AgentRows::default();
    for row in 0..dataset.rows() {
        if content_position(content_hash(dataset, &columns, row, seed)) < 0.5 {
            rows.train.push(row as u32);
        } else {
            rows.test.push(row as u32);
        }
    }
    rows.train = without(dataset, rows.train, withhold);
    Ok(rows)
}

/// `rows` without those of the `withheld` family.
pub fn without(dataset: &Dataset, rows: Vec<u32>, withheld: Option<Family>) -> Vec<u32> {
    let Some(withheld) = withheld else {
        return rows;
    };
    let families = dataset.label_families();
    rows.into_iter()
        .filter(|&row| families[dataset.labels[row as usize] as usize] != withheld)
        .collect()
}
