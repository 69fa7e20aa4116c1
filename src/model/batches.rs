//! Flows in batches on the device: every scoring pass (a detector's scores, the ensemble's
//! member scores, a scored CSV) runs over the same slices, so device memory stays bounded
//! whatever the number of flows.

use burn::prelude::{Device, Tensor, TensorData};

/// Rows per inference batch: large enough to keep a GPU busy, small enough for a phone's memory.
pub const SCORE_BATCH: usize = 4096;

/// The rows of a row-major `matrix`, `width` features each, as `[rows, width]` tensors of at most
/// [`SCORE_BATCH`] rows on `device`: what every scoring pass runs over, so device memory stays
/// bounded whatever the number of flows.
pub fn batches<'a>(
    matrix: &'a [f32],
    width: usize,
    device: &'a Device,
) -> impl Iterator<Item = Tensor<2>> + 'a {
    let rows = matrix.len() / width.max(1);
    (0..rows).step_by(SCORE_BATCH).map(move |start| {
        let end = (start + SCORE_BATCH).min(rows);
        Tensor::<2>::from_data(
            TensorData::new(
                matrix[start * width..end * width].to_vec(),
                [end - start, width],
            ),
            device,
        )
    })
}
