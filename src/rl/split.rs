//! Which flows of one loaded dataset an agent trains on and which it is tested on: the dataset is
//! halved by content (so a flow lands on the same side in any file and run with the same seed),
//! the test half leaves out the flows the autoencoder trained or was tuned on, and a withheld
//! attack family is taken out of the training half only. Shared by `netsentry agent` and the page.

use crate::data::dataset::Dataset;
use crate::data::label::Family;
use crate::data::prepare::MissingFeatures;
use crate::data::prepare::{Share, SplitFractions, content_share};
use crate::model::held_out::rows_to_evaluate;
use crate::model::saved::SavedModel;

/// The rows of a dataset an agent uses.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AgentRows {
    /// Rows the agent trains on (and the best fixed threshold is chosen on).
    pub train: Vec<u32>,
    /// Rows both are compared on: never trained on by the agent nor by the model.
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
    let halves = SplitFractions {
        train: 0.5,
        validation: 0.0,
    };
    let (testable, _) = rows_to_evaluate(model, dataset, false)?;
    let mut rows = AgentRows::default();
    for row in 0..dataset.rows() {
        match content_share(dataset, &columns, row, halves, seed) {
            Share::Train => rows.train.push(row as u32),
            _ if testable.binary_search(&(row as u32)).is_ok() => rows.test.push(row as u32),
            _ => {}
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
