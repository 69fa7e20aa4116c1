//! The columnar flow store: one `f32` vector per feature and a label id per row.
//!
//! Memory stays near rows × features × 4 bytes (plus 2 bytes a row for the label), which is what
//! lets 2.8 M flows load in a browser tab.

use serde::{Deserialize, Serialize};

use super::label::Family;

/// Flows after ingest. Missing cells (Infinity, NaN, empty, out of range) are NaN until
/// [`super::prepare`] imputes them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// Canonical feature names, in column order.
    pub features: Vec<String>,
    /// One column per feature, each `rows()` long.
    pub columns: Vec<Vec<f32>>,
    /// Each row's label, an index into `label_names`.
    pub labels: Vec<u16>,
    /// Labels as published, in order of first appearance.
    pub label_names: Vec<String>,
}

impl Dataset {
    /// Number of flows.
    pub fn rows(&self) -> usize {
        self.labels.len()
    }

    /// The published label of a row.
    pub fn label(&self, row: usize) -> &str {
        &self.label_names[self.labels[row] as usize]
    }

    /// The family of each label id, in id order.
    pub fn label_families(&self) -> Vec<Family> {
        self.label_names
            .iter()
            .map(|name| Family::of(name))
            .collect()
    }

    /// Whether each row is an attack (its label's family is not BENIGN).
    pub fn attack_mask(&self) -> Vec<bool> {
        let families = self.label_families();
        self.labels
            .iter()
            .map(|&label| families[label as usize].is_attack())
            .collect()
    }

    /// The flows at `rows`, in that order, with the same features and label names: a part of a
    /// load to fit on (the learning curve fits growing draws of the benign flows).
    pub fn select(&self, rows: &[u32]) -> Self {
        let pick = |column: &Vec<f32>| rows.iter().map(|&row| column[row as usize]).collect();
        Self {
            features: self.features.clone(),
            columns: self.columns.iter().map(pick).collect(),
            labels: rows.iter().map(|&row| self.labels[row as usize]).collect(),
            label_names: self.label_names.clone(),
        }
    }

    /// Bytes held by the feature columns and labels.
    pub fn memory_bytes(&self) -> usize {
        self.columns
            .iter()
            .map(|column| column.len() * 4)
            .sum::<usize>()
            + self.labels.len() * 2
    }
}
