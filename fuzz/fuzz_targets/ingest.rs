//! Fuzzes the streaming CSV ingest: arbitrary bytes, cut into two chunks at an arbitrary point,
//! must give a dataset or an error, never a panic, and a dataset's columns must line up.
//!
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run ingest` from the repository root (cargo-fuzz needs
//! nightly features; RUSTC_BOOTSTRAP lets the stable toolchain provide them).
#![no_main]

// The data module is compiled straight into the fuzz target, so fuzzing does not build burn
// with coverage instrumentation; it depends on nothing else of the crate.
#[allow(dead_code, unused_imports)]
#[path = "../../src/data/mod.rs"]
mod data;

use data::ingest::{Ingest, IngestOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&cut, bytes)) = input.split_first() else {
        return;
    };
    let cut = usize::from(cut).min(bytes.len());
    let mut ingest = Ingest::new(IngestOptions::default());
    ingest.begin_file("fuzz.csv", Some(bytes.len() as u64)).unwrap();
    let loaded = ingest
        .feed(&bytes[..cut])
        .and_then(|()| ingest.feed(&bytes[cut..]))
        .and_then(|()| ingest.end_file());
    if loaded.is_ok() {
        let (dataset, report) = ingest.finish();
        assert!(dataset.columns.iter().all(|column| column.len() == dataset.rows()));
        assert_eq!(report.rows, dataset.rows() as u64);
        assert_eq!(dataset.features.len(), dataset.columns.len());
    }
});
