//! The four improved CIC-IDS 2017 samples in `tests/data/`, loaded natively for the benchmarks.

use std::path::PathBuf;

use netsentry::data::dataset::Dataset;
use netsentry::data::ingest::{IngestOptions, ingest_paths};

/// BENIGN, DDoS, DoS Hulk and Portscan, 2,500 flows each before duplicates are dropped.
#[allow(dead_code)] // Each bench includes this file and uses what it needs.
pub fn load() -> Dataset {
    load_files(&[
        "BENIGN_2500.csv",
        "DDoS_2500.csv",
        "DoS_Hulk_2500.csv",
        "Portscan_2500.csv",
    ])
}

/// The named files of the improved samples, loaded together with the default options.
pub fn load_files(names: &[&str]) -> Dataset {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/cicids2017/improved");
    let paths: Vec<PathBuf> = names.iter().map(|name| dir.join(name)).collect();
    ingest_paths(&paths, IngestOptions::default())
        .expect("the samples load")
        .0
}
