//! Fewer kNN reference flows without moving kNN's scores by more than a known distance: a greedy
//! cover (an ε-net). Every benign flow given is either kept or counted on a kept flow within
//! `radius` of it, so for any flow the distances to the kept flows, each taken as many times as
//! its count, pair one to one with the distances to all the given flows, each pair within
//! `radius` (the triangle inequality); sorted, their k-th values are then within `radius` too.
//! kNN's k-th-neighbour distance, the score, moves by at most `radius`, whatever k, where a
//! random sample of the references moves it without bound (`docs/large-capture.md` measures
//! both). Exact repeats (a real capture has many) cost nothing: they are counts.

use burn::prelude::{Device, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::model::weights::{WeightError, read_together};

/// Distance entries computed at once on the device (flows of a batch × kept flows): 16 MB of f32,
/// as kNN's scoring.
const DISTANCES_AT_ONCE: usize = 1 << 22;
/// Flows taken per batch at most: those not near a kept flow are compared with each other on the
/// host, which costs the square of the batch.
const BATCH: usize = 1024;
/// The first radius tried, in the scaled features' units (standard deviations): about the
/// rounding of the distances themselves, so only repeats and near-repeats merge.
const FIRST_RADIUS: f32 = 1.0 / 64.0;
/// How much the radius grows when a cover keeps too many flows before half of them were visited
/// (the radius is far too small), and when it does so later.
const GROWTH: [f32; 2] = [2.0, std::f32::consts::SQRT_2];

/// The kept flows of a cover and what each stands for.
#[derive(Clone, Debug, PartialEq)]
pub struct Cover {
    /// The kept flows, row-major.
    pub values: Vec<f32>,
    /// How many of the given flows each kept flow stands for, itself included (f32, as the
    /// model file stores it).
    pub counts: Vec<f32>,
    /// Every given flow is within this distance of the kept flow that counts it; 0 when every
    /// flow is kept.
    pub radius: f32,
}

impl Cover {
    /// Every flow of the row-major `matrix` kept, each standing for itself.
    pub fn all(matrix: &[f32], width: usize) -> Self {
        Self {
            values: matrix.to_vec(),
            counts: vec![1.0; matrix.len() / width.max(1)],
            radius: 0.0,
        }
    }

    /// Kept flows.
    pub fn kept(&self) -> usize {
        self.counts.len()
    }

    /// Keeps at most `most` flows of the row-major `matrix` of `width` features: all of them when
    /// there are no more than that, otherwise a cover with the first radius from 1/64 up (growing
    /// by 2 while covers keep too many early, by √2 near the end) that keeps no more than `most`.
    /// Flows are visited in a seeded order, so the cover is the same for the same `seed`.
    pub async fn of(
        matrix: &[f32],
        width: usize,
        most: usize,
        seed: u64,
        device: &Device,
    ) -> Result<Self, WeightError> {
        let rows = matrix.len() / width.max(1);
        if rows <= most {
            return Ok(Self::all(matrix, width));
        }
        let mut order: Vec<usize> = (0..rows).collect();
        order.shuffle(&mut StdRng::seed_from_u64(seed));
        let mut radius = FIRST_RADIUS;
        loop {
            match greedy(matrix, width, &order, radius, most.max(1), device).await? {
                Ok(cover) => return Ok(cover),
                Err(visited) => radius *= GROWTH[usize::from(2 * visited >= rows)],
            }
        }
    }
}

/// The greedy cover of radius `radius`, visiting the rows of `matrix` in `order`: each flow is
/// counted on the nearest kept flow when that is within `radius`, and kept otherwise; once it
/// would keep more than `most`, how many flows it had visited.
async fn greedy(
    matrix: &[f32],
    width: usize,
    order: &[usize],
    radius: f32,
    most: usize,
    device: &Device,
) -> Result<Result<Cover, usize>, WeightError> {
    let row = |index: usize| &matrix[index * width..(index + 1) * width];
    let squared_radius = radius * radius;
    let mut kept = Cover {
        values: Vec::new(),
        counts: Vec::new(),
        radius,
    };
    let mut on_device: Option<(Tensor<2>, Tensor<2>)> = None;
    let mut start = 0;
    while start < order.len() {
        let batch_rows = (DISTANCES_AT_ONCE / kept.kept().max(1)).clamp(1, BATCH);
        let batch = &order[start..(start + batch_rows).min(order.len())];
        start += batch.len();
        let nearest = match &on_device {
            Some((reference, norms)) => {
                let values: Vec<f32> = batch
                    .iter()
                    .flat_map(|&index| row(index))
                    .copied()
                    .collect();
                nearest_kept(values, width, reference, norms, device).await?
            }
            None => vec![(f32::INFINITY, 0); batch.len()],
        };
        let before = kept.kept();
        for (&index, (squared, nearest)) in batch.iter().zip(nearest) {
            // A flow with no distance (NaN) is counted, not kept: growing the radius always
            // ends the search.
            if squared.is_nan() || squared <= squared_radius {
                kept.counts[nearest] += 1.0;
                continue;
            }
            let flow = row(index);
            let close = (before..kept.kept()).find(|&fresh| {
                let squared =
                    squared_distance(flow, &kept.values[fresh * width..(fresh + 1) * width]);
                squared.is_nan() || squared <= squared_radius
            });
            match close {
                Some(fresh) => kept.counts[fresh] += 1.0,
                None => {
                    if kept.kept() == most {
                        return Ok(Err(start));
                    }
                    kept.values.extend_from_slice(flow);
                    kept.counts.push(1.0);
                }
            }
        }
        if kept.kept() > before {
            // Only the flows kept in this batch go to the device; the earlier ones are there.
            let fresh_rows = kept.kept() - before;
            let fresh = Tensor::<2>::from_data(
                TensorData::new(kept.values[before * width..].to_vec(), [fresh_rows, width]),
                device,
            );
            let fresh_norms = (fresh.clone() * fresh.clone())
                .sum_dim(1)
                .reshape([1, fresh_rows]);
            on_device = Some(match on_device {
                Some((reference, norms)) => (
                    Tensor::cat(vec![reference, fresh], 0),
                    Tensor::cat(vec![norms, fresh_norms], 1),
                ),
                None => (fresh, fresh_norms),
            });
        }
    }
    Ok(Ok(kept))
}

/// For each flow of the row-major `values`: its squared distance to the nearest `reference` flow
/// (whose squared norms are `norms`, `[1, references]`) and that flow's index, in one read.
async fn nearest_kept(
    values: Vec<f32>,
    width: usize,
    reference: &Tensor<2>,
    norms: &Tensor<2>,
    device: &Device,
) -> Result<Vec<(f32, usize)>, WeightError> {
    let rows = values.len() / width;
    let input = Tensor::<2>::from_data(TensorData::new(values, [rows, width]), device);
    let squared = (input.clone() * input.clone()).sum_dim(1) + norms.clone()
        - input.matmul(reference.clone().transpose()).mul_scalar(2.0);
    let (distance, index) = squared.min_dim_with_indices(1);
    let read = read_together(vec![distance, index.float()]).await?;
    Ok(read[0]
        .iter()
        .zip(&read[1])
        .map(|(&squared, &index)| (squared.max(0.0), index as usize))
        .collect())
}

/// The squared Euclidean distance between two flows.
fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::classic::fixture::{FIXTURE_WIDTH, fixture};

    fn cover_of(matrix: &[f32], most: usize) -> Cover {
        pollster::block_on(Cover::of(matrix, FIXTURE_WIDTH, most, 7, &Device::flex())).unwrap()
    }

    #[test]
    fn every_flow_is_counted_once_on_a_kept_flow_within_the_radius() {
        let (train, _) = fixture();
        let cover = cover_of(&train, 40);
        assert!(cover.kept() <= 40 && cover.radius > 0.0, "{cover:?}");
        assert_eq!(cover.counts.iter().sum::<f32>(), 200.0);
        for flow in train.chunks(FIXTURE_WIDTH) {
            let nearest = cover
                .values
                .chunks(FIXTURE_WIDTH)
                .map(|kept| squared_distance(flow, kept).sqrt())
                .fold(f32::INFINITY, f32::min);
            assert!(
                nearest <= cover.radius * 1.001,
                "{nearest} > {}",
                cover.radius
            );
        }
    }

    #[test]
    fn exact_repeats_become_counts_and_few_flows_are_all_kept() {
        let (train, _) = fixture();
        let first = &train[..10 * FIXTURE_WIDTH];
        let repeated: Vec<f32> = (0..30).flat_map(|_| first.iter().copied()).collect();
        let cover = cover_of(&repeated, 20);
        assert_eq!(cover.kept(), 10);
        assert_eq!(cover.radius, FIRST_RADIUS);
        assert!(cover.counts.iter().all(|&count| count == 30.0));
        assert_eq!(cover_of(first, 20), Cover::all(first, FIXTURE_WIDTH));
    }

    #[test]
    fn the_same_seed_gives_the_same_cover() {
        let (train, _) = fixture();
        assert_eq!(cover_of(&train, 40), cover_of(&train, 40));
    }
}
