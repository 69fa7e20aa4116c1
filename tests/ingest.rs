//! Ingest against the real CIC-IDS 2017 samples (exact counts, computed independently with
//! Python's `csv` module) and a corpus of malformed inputs, each with the message it must get.
#![cfg(not(target_arch = "wasm32"))]

use std::fs::File;
use std::io::Cursor;
use std::path::PathBuf;

use netsentry::data::dataset::Dataset;
use netsentry::data::error::{ErrorKind, IngestError, RowProblemKind};
use netsentry::data::ingest::{Ingest, IngestOptions, ingest_readers};
use netsentry::data::report::IngestReport;

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/cicids2017")
        .join(name)
}

fn load_files(names: &[&str]) -> (Dataset, IngestReport) {
    let files = names.iter().map(|name| {
        let file = File::open(sample(name)).unwrap();
        (name.to_string(), Some(file.metadata().unwrap().len()), file)
    });
    ingest_readers(files, IngestOptions::default()).unwrap()
}

fn load(files: &[(&str, &[u8])]) -> Result<(Dataset, IngestReport), IngestError> {
    let files = files
        .iter()
        .map(|(name, bytes)| (name.to_string(), None, Cursor::new(bytes.to_vec())));
    ingest_readers(files, IngestOptions::default())
}

fn load_one(bytes: &[u8]) -> Result<(Dataset, IngestReport), IngestError> {
    load(&[("flows.csv", bytes)])
}

const HEADER: &str = "Flow Duration,Total Fwd Packets,Flow Bytes/s,Label\n";

fn counts(report: &IngestReport) -> Vec<(&str, u64)> {
    report
        .labels
        .iter()
        .map(|(label, count)| (label.as_str(), *count))
        .collect()
}

// ---- the real samples ----

#[test]
fn friday_benign_sample_loads_with_its_quirks_counted() {
    let (dataset, report) = load_files(&["cicids2017-friday-ddos-benign-9998.csv"]);
    assert_eq!(report.rows_read, 9998);
    assert_eq!(report.rows, 9925);
    assert_eq!(report.dropped.get("duplicate"), Some(&73));
    assert_eq!(counts(&report), [("BENIGN", 9925)]);
    // 79 columns: 76 statistics, Destination Port (not a feature by default), the second
    // Fwd Header Length, and the label.
    assert_eq!(dataset.features.len(), 76);
    assert_eq!(dataset.columns.iter().map(Vec::len).max(), Some(9925));
    let missing = |feature: &str| report.missing[feature];
    assert_eq!(missing("Flow Bytes/s").infinity, 6);
    assert_eq!(missing("Flow Bytes/s").nan, 1);
    assert_eq!(missing("Flow Packets/s").infinity, 7);
    let init_window = dataset
        .features
        .iter()
        .position(|feature| feature == "Init_Win_bytes_backward")
        .unwrap();
    assert!(
        dataset.columns[init_window].contains(&-1.0),
        "-1 is kept as a value"
    );
    assert!(report.excluded.iter().any(
        |column| column.column == "Fwd Header Length" && column.reason.contains("second copy")
    ));
    assert!(
        report
            .warnings
            .iter()
            .any(|warning| warning.contains("only BENIGN"))
    );
}

#[test]
fn pandas_header_sample_loads() {
    let (dataset, report) = load_files(&["cicids2017-ddos-mixed-10-pandas-header.csv"]);
    assert_eq!(counts(&report), [("BENIGN", 5), ("DDoS", 5)]);
    assert_eq!(dataset.features.len(), 76);
    assert!(
        report
            .excluded
            .iter()
            .any(|column| column.column == "Fwd Header Length.1")
    );
}

#[test]
fn improved_samples_load_together() {
    let (dataset, report) = load_files(&[
        "improved/BENIGN_2500.csv",
        "improved/DDoS_2500.csv",
        "improved/DoS_Hulk_2500.csv",
        "improved/Portscan_2500.csv",
    ]);
    assert_eq!(report.rows_read, 10_000);
    assert_eq!(
        counts(&report),
        [
            ("BENIGN", 2498),
            ("DDoS", 2500),
            ("DoS Hulk", 2500),
            ("Portscan", 2500)
        ]
    );
    assert_eq!(report.families["DoS"], 2500);
    assert_eq!(report.families["PortScan"], 2500);
    assert_eq!(report.dropped.get("duplicate"), Some(&2));
    // 76 MachineLearningCVE statistics (all but Fwd Header Length's copy) plus 5 of its own.
    assert_eq!(dataset.features.len(), 81);
    for identifier in ["id", "Flow ID", "Src IP", "Timestamp", "Attempted Category"] {
        assert!(
            report
                .excluded
                .iter()
                .any(|column| column.column == identifier),
            "{identifier} should be excluded"
        );
    }
}

#[test]
fn variants_align_on_their_common_features() {
    let (dataset, report) = load_files(&[
        "improved/DDoS_2500.csv",
        "cicids2017-ddos-mixed-10-pandas-header.csv",
    ]);
    assert_eq!(dataset.features.len(), 76);
    assert!(
        dataset
            .features
            .iter()
            .all(|feature| feature != "ICMP Code")
    );
    assert!(report.excluded.iter().any(|column| {
        column.column == "ICMP Code"
            && column
                .reason
                .contains("not in cicids2017-ddos-mixed-10-pandas-header.csv")
    }));
    assert_eq!(dataset.columns.iter().map(Vec::len).min(), Some(2510));
}

// ---- streaming ----

#[test]
fn chunk_size_does_not_change_the_result() {
    let bytes = std::fs::read(sample("cicids2017-ddos-mixed-10-pandas-header.csv")).unwrap();
    let whole = load_one(&bytes).unwrap();
    for chunk in [1, 7, 4096] {
        let mut ingest = Ingest::new(IngestOptions::default());
        ingest
            .begin_file("flows.csv", Some(bytes.len() as u64))
            .unwrap();
        for piece in bytes.chunks(chunk) {
            ingest.feed(piece).unwrap();
        }
        ingest.end_file().unwrap();
        assert_eq!(ingest.finish(), whole, "chunks of {chunk} bytes");
    }
}

// ---- malformed inputs: each gets its message, none panics ----

fn fails(bytes: &[u8]) -> IngestError {
    load_one(bytes).expect_err("the load should stop")
}

#[test]
fn empty_file() {
    let error = fails(b"");
    assert_eq!(error.kind, ErrorKind::Empty);
    assert_eq!(
        error.to_string(),
        "flows.csv: the file is empty; choose a CSV with a header row and flows"
    );
}

#[test]
fn only_blank_lines() {
    assert_eq!(fails(b"\n\r\n\n").kind, ErrorKind::Empty);
}

#[test]
fn binary_junk() {
    let error = fails(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR");
    assert_eq!(error.kind, ErrorKind::Binary { offset: 8 });
    assert!(error.to_string().contains("not a text file"));
}

#[test]
fn semicolon_separated() {
    let error = fails(b"Flow Duration;Total Fwd Packets;Label\n1;2;BENIGN\n");
    assert_eq!(error.kind, ErrorKind::WrongDelimiter { found: ';' });
    assert_eq!(error.line, Some(1));
    assert!(error.to_string().contains("semicolons rather than commas"));
}

#[test]
fn tab_separated() {
    let error = fails(b"Flow Duration\tLabel\n1\tBENIGN\n");
    assert_eq!(error.kind, ErrorKind::WrongDelimiter { found: '\t' });
}

#[test]
fn no_label_column() {
    let error = fails(b"Flow Duration,Total Fwd Packets\n1,2\n");
    assert_eq!(error.kind, ErrorKind::NoLabel);
    assert_eq!(error.line, Some(1));
}

#[test]
fn html_instead_of_csv() {
    let error = fails(b"<!doctype html>\n<html><body>Not found</body></html>\n");
    assert_eq!(error.kind, ErrorKind::NoLabel);
}

#[test]
fn no_known_feature() {
    let error = fails(b"name,age,Label\nann,3,BENIGN\n");
    assert_eq!(error.kind, ErrorKind::NoFeatures);
    assert!(
        error
            .to_string()
            .contains("is this a CIC-IDS 2017 flow CSV?")
    );
}

#[test]
fn header_only() {
    let (_, report) = load_one(HEADER.as_bytes()).unwrap();
    assert_eq!(report.rows, 0);
    assert!(
        report
            .warnings
            .iter()
            .any(|warning| warning.contains("a header but no flows"))
    );
}

#[test]
fn ragged_rows_are_skipped_with_their_line() {
    let mut csv = String::from(HEADER);
    csv += "1,2,3,BENIGN\n4,5,BENIGN\n6,7,8,9,BENIGN\n10,11,12,DDoS\n";
    let (dataset, report) = load_one(csv.as_bytes()).unwrap();
    assert_eq!(dataset.rows(), 2);
    assert_eq!(report.dropped["wrong number of fields"], 2);
    assert_eq!(report.examples[0].problem.line, 3);
    assert_eq!(
        report.examples[0].problem.kind,
        RowProblemKind::Ragged {
            expected: 4,
            found: 3
        }
    );
    assert_eq!(
        report.examples[1].problem.to_string(),
        "line 4: 5 fields where the header has 4; the row was skipped"
    );
}

#[test]
fn text_in_a_numeric_column_names_line_and_column() {
    let mut csv = String::from(HEADER);
    csv += "1,2,3,BENIGN\n1,two,3,BENIGN\n";
    let (dataset, report) = load_one(csv.as_bytes()).unwrap();
    assert_eq!(dataset.rows(), 1);
    assert_eq!(
        format!(
            "{}, {}",
            report.examples[0].file, report.examples[0].problem
        ),
        "flows.csv, line 3, column \"Total Fwd Packets\": expected a number, found \"two\"; the row was skipped"
    );
}

#[test]
fn empty_label_is_skipped() {
    let mut csv = String::from(HEADER);
    csv += "1,2,3,BENIGN\n1,2,4, \n";
    let (_, report) = load_one(csv.as_bytes()).unwrap();
    assert_eq!(report.dropped["empty label"], 1);
}

#[test]
fn unterminated_quote_stops_with_its_line() {
    let mut csv = String::from(HEADER);
    csv += "1,2,3,BENIGN\n1,\"2,3,BENIGN\n4,5,6,BENIGN\n";
    let error = fails(csv.as_bytes());
    assert_eq!(error.kind, ErrorKind::UnterminatedQuote);
    assert_eq!(error.line, Some(3));
    assert_eq!(error.column.as_deref(), Some("Total Fwd Packets"));
}

#[test]
fn quoted_fields_are_read() {
    let csv = "\"Flow Duration\",\"Label\"\n\"12\",\"Web Attack, XSS\"\n";
    let (dataset, _) = load_one(csv.as_bytes()).unwrap();
    assert_eq!(dataset.label(0), "Web Attack, XSS");
    assert_eq!(dataset.columns[0], [12.0]);
}

#[test]
fn mostly_malformed_file_stops() {
    let mut csv = String::from(HEADER);
    for _ in 0..10 {
        csv += "a,b,c,BENIGN\n";
    }
    csv += "1,2,3,BENIGN\n";
    let error = fails(csv.as_bytes());
    assert!(matches!(
        error.kind,
        ErrorKind::MostlyMalformed {
            checked: 11,
            malformed: 10,
            ..
        }
    ));
    assert_eq!(error.line, Some(2));
    assert!(
        error
            .to_string()
            .contains("10 of the first 11 rows are malformed")
    );
}

#[test]
fn special_values_are_missing_and_counted() {
    let mut csv = String::from(HEADER);
    csv += "1,2,Infinity,BENIGN\n2,NaN,-Infinity,BENIGN\n3,,1e39,BENIGN\n-1,4,5,BENIGN\n";
    let (dataset, report) = load_one(csv.as_bytes()).unwrap();
    assert_eq!(dataset.rows(), 4);
    assert_eq!(report.missing["Flow Bytes/s"].infinity, 2);
    assert_eq!(report.missing["Flow Bytes/s"].out_of_range, 1);
    assert_eq!(report.missing["Total Fwd Packets"].nan, 1);
    assert_eq!(report.missing["Total Fwd Packets"].empty, 1);
    assert!(dataset.columns[2][0].is_nan());
    assert_eq!(dataset.columns[0][3], -1.0);
}

#[test]
fn crlf_and_byte_order_mark() {
    let csv = "\u{feff}Flow Duration,Label\r\n5,BENIGN\r\n6,DDoS\r\n";
    let (dataset, report) = load_one(csv.as_bytes()).unwrap();
    assert_eq!(counts(&report), [("BENIGN", 1), ("DDoS", 1)]);
    assert_eq!(dataset.columns[0], [5.0, 6.0]);
}

#[test]
fn empty_trailing_rows_are_dropped_and_counted() {
    let mut csv = String::from(HEADER);
    csv += "1,2,3,BENIGN\n,,,\n,,,\n";
    let (dataset, report) = load_one(csv.as_bytes()).unwrap();
    assert_eq!(dataset.rows(), 1);
    assert_eq!(report.dropped["empty row"], 2);
}

#[test]
fn duplicates_across_files_are_dropped() {
    let csv = format!("{HEADER}1,2,3,BENIGN\n1,2,3,BENIGN\n1,2,3,DDoS\n");
    let other = format!("{HEADER}1,2,3,BENIGN\n");
    let (dataset, report) =
        load(&[("a.csv", csv.as_bytes()), ("b.csv", other.as_bytes())]).unwrap();
    assert_eq!(dataset.rows(), 2);
    assert_eq!(report.dropped["duplicate"], 2);
    let files = [("a.csv", csv.as_bytes().to_vec())];
    let options = IngestOptions {
        keep_duplicates: true,
        ..IngestOptions::default()
    };
    let (kept, _) = ingest_readers(
        files.map(|(name, bytes)| (name.to_string(), None, Cursor::new(bytes))),
        options,
    )
    .unwrap();
    assert_eq!(kept.rows(), 3);
}

#[test]
fn cp1252_and_markup_labels_are_kept_as_text() {
    let mut csv = String::from(HEADER).into_bytes();
    csv.extend_from_slice(b"1,2,3,Web Attack \x96 XSS\n1,2,4,<img src=x onerror=alert(1)>\n");
    let (dataset, report) = load_one(&csv).unwrap();
    assert_eq!(dataset.label(0), "Web Attack \u{2013} XSS");
    assert_eq!(dataset.label(1), "<img src=x onerror=alert(1)>");
    assert_eq!(report.families["Web Attack"], 1);
    assert_eq!(report.families["Other"], 1);
    assert!(
        report
            .warnings
            .iter()
            .any(|warning| warning.contains("no BENIGN rows"))
    );
}

#[test]
fn same_file_twice() {
    let csv = format!("{HEADER}1,2,3,BENIGN\n");
    let error = load(&[("a.csv", csv.as_bytes()), ("a.csv", csv.as_bytes())]).unwrap_err();
    assert_eq!(error.kind, ErrorKind::DuplicateFile);
}

#[test]
fn files_with_nothing_in_common() {
    let first = format!("{HEADER}1,2,3,BENIGN\n");
    let second = "Idle Max,Label\n1,BENIGN\n";
    let error = load(&[("a.csv", first.as_bytes()), ("b.csv", second.as_bytes())]).unwrap_err();
    assert_eq!(error.file, "b.csv");
    assert_eq!(
        error.kind,
        ErrorKind::NoCommonFeatures {
            with: "a.csv".into()
        }
    );
}

#[test]
fn ports_are_features_only_on_request() {
    let csv = "Destination Port,Flow Duration,Label\n80,5,BENIGN\n";
    let files = || [("a.csv".to_string(), None, Cursor::new(csv.as_bytes()))];
    let (default, _) = ingest_readers(files(), IngestOptions::default()).unwrap();
    assert_eq!(default.features, ["Flow Duration"]);
    let options = IngestOptions {
        ports_as_features: true,
        ..IngestOptions::default()
    };
    let (with_ports, _) = ingest_readers(files(), options).unwrap();
    assert_eq!(with_ports.features, ["Destination Port", "Flow Duration"]);
}

#[test]
fn line_numbers_count_blank_lines() {
    let mut csv = String::from(HEADER);
    csv += "1,2,3,BENIGN\n\n\n1,x,3,BENIGN\n";
    let (_, report) = load_one(csv.as_bytes()).unwrap();
    assert_eq!(report.examples[0].problem.line, 5);
}

#[test]
fn progress_counts_rows_across_files() {
    let csv = format!("{HEADER}1,2,3,BENIGN\n4,5,6,BENIGN\n");
    let mut ingest = Ingest::new(IngestOptions::default());
    for name in ["a.csv", "b.csv"] {
        ingest.begin_file(name, None).unwrap();
        ingest.feed(csv.as_bytes()).unwrap();
        ingest.end_file().unwrap();
    }
    ingest.begin_file("c.csv", None).unwrap();
    ingest.feed(csv.as_bytes()).unwrap();
    let progress = ingest.progress();
    assert_eq!(progress.bytes, csv.len() as u64);
    assert_eq!(progress.rows, 6);
}

#[test]
fn bundled_sample_has_benign_and_three_attacks() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("static/cicids2017-sample.csv");
    let file = File::open(path).unwrap();
    let (dataset, report) = ingest_readers(
        [("cicids2017-sample.csv".to_string(), None, file)],
        IngestOptions::default(),
    )
    .unwrap();
    assert_eq!(
        counts(&report),
        [
            ("BENIGN", 1498),
            ("DDoS", 500),
            ("DoS Hulk", 500),
            ("Portscan", 500)
        ]
    );
    assert_eq!(dataset.features.len(), 81);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

#[test]
fn a_row_without_end_stops_before_it_eats_memory() {
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend(std::iter::repeat_n(b'7', 3 << 20));
    let error = fails(&bytes);
    assert_eq!(error.kind, ErrorKind::RowTooLong { limit: 1 << 20 });
    assert_eq!(error.line, Some(2));
}

#[test]
fn duplicates_are_found_whichever_way_rows_are_cut() {
    // Rows split across chunks go through csv-core, whole lines do not; both must hash alike.
    let bytes = std::fs::read(sample("cicids2017-friday-ddos-benign-9998.csv")).unwrap();
    for chunk in [7, 1000, 65_536] {
        let mut ingest = Ingest::new(IngestOptions::default());
        ingest.begin_file("friday.csv", None).unwrap();
        for piece in bytes.chunks(chunk) {
            ingest.feed(piece).unwrap();
        }
        ingest.end_file().unwrap();
        let (dataset, report) = ingest.finish();
        assert_eq!(dataset.rows(), 9925, "chunks of {chunk} bytes");
        assert_eq!(report.dropped["duplicate"], 73);
    }
}
