//! Fuzzes the streaming CSV ingest: arbitrary bytes, cut into two chunks at an arbitrary point,
//! must give a dataset or an error, never a panic, and a dataset's columns must line up. The same
//! bytes, appended in the same two pieces, are followed as `netsentry watch` follows a growing
//! file ([`data::follow`]): the rows read must each name a line of the batch, in order. The
//! bytes may follow one of the datasets' headers (chosen by the input), so rows are explored
//! against each layout's header handling (aliases, identifiers, repeated header lines, rows cut
//! off at the end) and not only against headers the fuzzer would have to guess.
//!
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run ingest` from the repository root (cargo-fuzz needs
//! nightly features; RUSTC_BOOTSTRAP lets the stable toolchain provide them).
#![no_main]

// The data module is compiled straight into the fuzz target, so fuzzing does not build burn
// with coverage instrumentation; it depends on nothing else of the crate.
#[allow(dead_code, unused_imports)]
#[path = "../../src/data/mod.rs"]
mod data;

use data::follow::{LineBuffer, read_lines};
use data::ingest::{Ingest, IngestOptions};
use libfuzzer_sys::fuzz_target;

/// Headers put before the fuzzer's bytes: none, CIC-IDS 2017's, CSE-CIC-IDS2018's in snake_case
/// and as published, and CIC-DDoS2019's (shortened).
const HEADERS: [&[u8]; 5] = [
    b"",
    b" Destination Port, Flow Duration, Total Fwd Packets, Fwd Header Length, Fwd Header Length, Flow Bytes/s, Label\n",
    b",dst_port,timestamp,flow_duration,tot_fwd_pkts,flow_byts_s,label\n",
    b"Flow ID,Src IP,Dst Port,Timestamp,Tot Fwd Pkts,Flow Byts/s,Fwd Seg Size Min,Label\n",
    b"Unnamed: 0,Flow ID, Source IP, Flow Duration, Fwd Header Length, Fwd Header Length.1,SimillarHTTP, Inbound, Label\n",
];

fuzz_target!(|input: &[u8]| {
    let [cut, header, rest @ ..] = input else {
        return;
    };
    let bytes = [HEADERS[usize::from(*header) % HEADERS.len()], rest].concat();
    let bytes = bytes.as_slice();
    let cut = usize::from(*cut).min(bytes.len());
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
    follow(bytes, cut);
});

/// Follows `bytes` appended in two pieces cut at `cut`: each batch's rows name lines of the
/// batch (or the header's), never going back, and the dataset has a row per line named. (A lone carriage return
/// ends a record for the CSV reader, as old Mac files do, but not a line for the follower, which
/// splits at line feeds: the records of one line share its number.)
fn follow(bytes: &[u8], cut: usize) {
    let mut buffer = LineBuffer::new();
    for piece in [&bytes[..cut], &bytes[cut..]] {
        let Some(lines) = buffer.push(piece) else {
            continue;
        };
        let header = buffer.header().unwrap_or_default().to_owned();
        let Ok(rows) = read_lines("fuzz.csv", &header, &lines, IngestOptions::default()) else {
            continue;
        };
        let last = lines.first_line + lines.count();
        assert!(rows.lines.windows(2).all(|pair| pair[0] <= pair[1]));
        // A row may also come from the header line itself (line 1), split by a lone CR.
        assert!(rows
            .lines
            .iter()
            .all(|&line| line == 1 || (lines.first_line..last).contains(&line)));
        assert_eq!(rows.lines.len(), rows.dataset.rows());
    }
}
