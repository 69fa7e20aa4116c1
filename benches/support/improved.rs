//! The four improved CIC-IDS 2017 samples in `tests/data/`, loaded natively for the benchmarks.

use std::path::PathBuf;

use netsentry::data::dataset::Dataset;
use netsentry::data::ingest::{IngestOptions, ingest_paths};

/// BENIGN, DDoS, DoS Hulk and Portscan, 2,500 flows each before duplicates are dropped.
pub fn load() -> Dataset {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/cicids2017/improved");
    let paths: Vec<PathBuf> = [
        "BENIGN_2500.csv",
        "DDoS_2500.csv",
        "DoS_Hulk_2500.csv",
        "Portscan_2500.csv",
    ]
    .iter()
    .map(|name| dir.join(name))
    .collect();
    ingest_paths(&paths, IngestOptions::default())
        .expect("the samples load")
        .0
}
