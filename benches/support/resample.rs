//! The benchmark file's recipe, shared by the native and the browser benchmark: the header of the
//! MachineLearningCVE layout, then real rows drawn at random (seeded) from the samples in
//! `tests/data/cicids2017/`, CRLF-terminated like the published files, up to a size.

use netsentry::data::ingest::IngestOptions;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const FRIDAY: &str =
    include_str!("../../tests/data/cicids2017/cicids2017-friday-ddos-benign-9998.csv");
const MIXED: &str =
    include_str!("../../tests/data/cicids2017/cicids2017-ddos-mixed-10-pandas-header.csv");

/// The size of the largest published CIC-IDS 2017 file, roughly.
pub const TARGET_BYTES: usize = 250 * 1024 * 1024;

/// Calls `emit` with the header line, then with resampled rows, until `target_bytes` are out.
pub fn resample(target_bytes: usize, mut emit: impl FnMut(&str)) {
    let header = header();
    emit(header);
    let mut written = header.len();
    for row in rows() {
        if written >= target_bytes {
            break;
        }
        emit(row);
        written += row.len() + 2;
    }
}

/// The MachineLearningCVE header line.
pub fn header() -> &'static str {
    FRIDAY
        .lines()
        .next()
        .expect("header")
        .trim_end_matches('\r')
}

/// Real rows drawn at random (seeded, the same sequence every run), without end.
pub fn rows() -> impl Iterator<Item = &'static str> {
    let rows: Vec<&str> = [FRIDAY, MIXED]
        .into_iter()
        .flat_map(|text| text.lines().skip(1))
        .map(|line| line.trim_end_matches('\r'))
        .filter(|line| !line.is_empty())
        .collect();
    let mut rng = StdRng::seed_from_u64(2017);
    std::iter::repeat_with(move || rows[rng.random_range(0..rows.len())])
}

/// The loads each benchmark times, named: keeping duplicates first (every row lands in the
/// columns, so its peak memory is the one compared with the columnar size), then the default.
pub fn configurations() -> [(&'static str, IngestOptions); 2] {
    [
        (
            "keeping duplicates",
            IngestOptions {
                keep_duplicates: true,
                ..IngestOptions::default()
            },
        ),
        (
            "default (duplicates hashed and dropped)",
            IngestOptions::default(),
        ),
    ]
}
