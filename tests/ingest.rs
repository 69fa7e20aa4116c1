//! Ingest against the real CIC-IDS 2017 samples (exact counts, computed independently with
//! Python's `csv` module) and inputs that cross the modules (chunking, duplicates in any cut,
//! mixed datasets). The malformed inputs each module answers for are tested beside it, in
//! `src/data/ingest/{lines,header,rows}.rs`, each with the message it must get.
#![cfg(not(target_arch = "wasm32"))]

use std::fs::File;
use std::io::Cursor;
use std::path::PathBuf;

use netsentry::data::dataset::Dataset;
use netsentry::data::error::IngestError;
use netsentry::data::ingest::{Ingest, IngestOptions, ingest_readers};
use netsentry::data::report::IngestReport;

/// A file of `tests/data/`.
fn data_path(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(path)
}

/// A CIC-IDS 2017 sample of `tests/data/cicids2017/`.
fn sample(name: &str) -> PathBuf {
    data_path(&format!("cicids2017/{name}"))
}

/// Loads files of `tests/data/`, named in the report as given.
fn load_data(paths: &[&str]) -> (Dataset, IngestReport) {
    let files = paths.iter().map(|path| {
        let file = File::open(data_path(path)).unwrap();
        (path.to_string(), Some(file.metadata().unwrap().len()), file)
    });
    ingest_readers(files, IngestOptions::default()).unwrap()
}

/// Loads CIC-IDS 2017 samples of `tests/data/cicids2017/`.
fn load_files(names: &[&str]) -> (Dataset, IngestReport) {
    let paths: Vec<String> = names
        .iter()
        .map(|name| format!("cicids2017/{name}"))
        .collect();
    load_data(&paths.iter().map(String::as_str).collect::<Vec<_>>())
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
                .contains("not in cicids2017/cicids2017-ddos-mixed-10-pandas-header.csv")
    }));
    assert_eq!(dataset.columns.iter().map(Vec::len).min(), Some(2510));
}

// ---- other CIC datasets: CSE-CIC-IDS2018 and CIC-DDoS2019 ----

/// CSE-CIC-IDS2018's header as the AWS release publishes it (CICFlowMeter-V3's abbreviations).
const AWS_HEADER: &str = "Dst Port,Protocol,Timestamp,Flow Duration,Tot Fwd Pkts,Tot Bwd Pkts,\
TotLen Fwd Pkts,TotLen Bwd Pkts,Fwd Pkt Len Max,Fwd Pkt Len Min,Fwd Pkt Len Mean,Fwd Pkt Len Std,\
Bwd Pkt Len Max,Bwd Pkt Len Min,Bwd Pkt Len Mean,Bwd Pkt Len Std,Flow Byts/s,Flow Pkts/s,\
Flow IAT Mean,Flow IAT Std,Flow IAT Max,Flow IAT Min,Fwd IAT Tot,Fwd IAT Mean,Fwd IAT Std,\
Fwd IAT Max,Fwd IAT Min,Bwd IAT Tot,Bwd IAT Mean,Bwd IAT Std,Bwd IAT Max,Bwd IAT Min,\
Fwd PSH Flags,Bwd PSH Flags,Fwd URG Flags,Bwd URG Flags,Fwd Header Len,Bwd Header Len,\
Fwd Pkts/s,Bwd Pkts/s,Pkt Len Min,Pkt Len Max,Pkt Len Mean,Pkt Len Std,Pkt Len Var,\
FIN Flag Cnt,SYN Flag Cnt,RST Flag Cnt,PSH Flag Cnt,ACK Flag Cnt,URG Flag Cnt,CWE Flag Count,\
ECE Flag Cnt,Down/Up Ratio,Pkt Size Avg,Fwd Seg Size Avg,Bwd Seg Size Avg,Fwd Byts/b Avg,\
Fwd Pkts/b Avg,Fwd Blk Rate Avg,Bwd Byts/b Avg,Bwd Pkts/b Avg,Bwd Blk Rate Avg,\
Subflow Fwd Pkts,Subflow Fwd Byts,Subflow Bwd Pkts,Subflow Bwd Byts,Init Fwd Win Byts,\
Init Bwd Win Byts,Fwd Act Data Pkts,Fwd Seg Size Min,Active Mean,Active Std,Active Max,\
Active Min,Idle Mean,Idle Std,Idle Max,Idle Min,Label";

const SNAKE_CASE_2018: &str = "cse-cic-ids2018/cse-cic-ids2018-180-snakecase.csv";

/// Every cell's bits, column by column: equal loads are equal here, missing (NaN) cells too.
fn bits(dataset: &Dataset) -> Vec<Vec<u32>> {
    dataset
        .columns
        .iter()
        .map(|column| column.iter().map(|value| value.to_bits()).collect())
        .collect()
}

/// The snake_case sample's lines with its unnamed index column removed: the AWS release's rows.
fn aws_rows() -> Vec<String> {
    std::fs::read_to_string(data_path(SNAKE_CASE_2018))
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| line.split_once(',').unwrap().1.to_owned())
        .collect()
}

#[test]
fn cse_cic_ids2018_snake_case_sample_loads_every_feature_and_label() {
    let (dataset, report) = load_data(&[SNAKE_CASE_2018]);
    // 15 rows repeat another's statistics and label with another timestamp (and pandas index).
    assert_eq!(report.rows_read, 180);
    assert_eq!(report.dropped.get("duplicate"), Some(&15));
    assert_eq!(
        counts(&report),
        [
            ("Benign", 40),
            ("Bot", 10),
            ("Brute Force -Web", 10),
            ("Brute Force -XSS", 10),
            ("DDOS attack-HOIC", 10),
            ("DDOS attack-LOIC-UDP", 10),
            ("DDoS attacks-LOIC-HTTP", 10),
            ("DoS attacks-GoldenEye", 10),
            ("DoS attacks-Hulk", 10),
            ("DoS attacks-SlowHTTPTest", 5),
            ("DoS attacks-Slowloris", 10),
            ("FTP-BruteForce", 3),
            ("Infilteration", 10),
            ("SQL Injection", 10),
            ("SSH-Bruteforce", 7),
        ]
    );
    let families: Vec<(&str, u64)> = report
        .families
        .iter()
        .map(|(family, count)| (family.as_str(), *count))
        .collect();
    assert_eq!(
        families,
        [
            ("BENIGN", 40),
            ("Bot", 10),
            ("Brute Force", 10),
            ("DDoS", 30),
            ("DoS", 35),
            ("Infiltration", 10),
            ("Web Attack", 30),
        ]
    );
    // Every statistic of CIC-IDS 2017's MachineLearningCVE, under the same names.
    let (friday, _) = load_files(&["cicids2017-friday-ddos-benign-9998.csv"]);
    assert_eq!(dataset.features, friday.features);
    assert!(
        report
            .excluded
            .iter()
            .all(|column| column.reason != "not a known CICFlowMeter statistic"),
        "{:?}",
        report.excluded
    );
    assert_eq!(
        report.files[0].origin.describe(report.files[0].columns),
        "CSE-CIC-IDS2018, AWS layout, 81 columns, snake_case headers"
    );
}

#[test]
fn cse_cic_ids2018_published_headers_read_like_their_snake_case_copy() {
    let snake_header = std::fs::read_to_string(data_path(SNAKE_CASE_2018))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .split_once(',')
        .unwrap()
        .1
        .to_owned();
    assert_eq!(AWS_HEADER.to_lowercase().len(), AWS_HEADER.len());
    let (snake, _) = load_data(&[SNAKE_CASE_2018]);
    let csv = format!("{AWS_HEADER}\n{}\n", aws_rows().join("\n"));
    let (aws, report) = load_one(csv.as_bytes()).unwrap();
    assert_eq!(aws.features, snake.features);
    assert_eq!(bits(&aws), bits(&snake));
    assert_eq!(report.files[0].columns, snake_header.split(',').count());
    assert_eq!(
        report.files[0].origin.describe(80),
        "CSE-CIC-IDS2018, AWS layout, 80 columns"
    );
}

#[test]
fn cse_cic_ids2018_thursday_layout_keeps_its_identifiers_out() {
    // Thursday-20-02-2018 adds Flow ID and both addresses and the source port: 84 columns.
    let header = format!("Flow ID,Src IP,Src Port,Dst IP,{AWS_HEADER}");
    let mut csv = header + "\n";
    for (index, row) in aws_rows().iter().enumerate() {
        // One source port: a port is flow content (a feature on request), so rows that differ
        // in it are not duplicates, and the snake_case copy has none.
        csv += &format!(
            "172.31.69.25-18.219.211.138-{index}-80-6,172.31.69.25,49152,18.219.211.138,{row}\n"
        );
    }
    let (dataset, report) = load_one(csv.as_bytes()).unwrap();
    let (snake, _) = load_data(&[SNAKE_CASE_2018]);
    assert_eq!(dataset.features, snake.features);
    assert_eq!(bits(&dataset), bits(&snake));
    assert_eq!(report.files[0].columns, 84);
    assert!(
        report.files[0]
            .origin
            .describe(84)
            .starts_with("CSE-CIC-IDS2018, AWS layout")
    );
    for identifier in ["Flow ID", "Src IP", "Src Port", "Dst IP", "Timestamp"] {
        assert!(
            report
                .excluded
                .iter()
                .any(|column| column.column == identifier),
            "{identifier} should not be a feature"
        );
    }
}

#[test]
fn repeated_header_lines_are_skipped_and_counted() {
    let rows = aws_rows();
    let csv = format!(
        "{AWS_HEADER}\n{}\n{AWS_HEADER}\n{}\n{AWS_HEADER}\n",
        rows[..90].join("\n"),
        rows[90..].join("\n")
    );
    let (dataset, report) = load_one(csv.as_bytes()).unwrap();
    assert_eq!(dataset.rows(), 165);
    assert_eq!(report.rows_read, 182);
    assert_eq!(report.dropped.get("repeated header line"), Some(&2));
    assert!(report.examples.is_empty(), "{:?}", report.examples);
}

#[test]
fn cic_ddos2019_samples_load_with_their_cut_off_rows_reported() {
    /// A file, its labels with their counts, and the family its attacks belong to.
    type Case = (&'static str, &'static [(&'static str, u64)], &'static str);
    let cases: [Case; 6] = [
        (
            "DrDoS_DNS.csv",
            &[("BENIGN", 28), ("DrDoS_DNS", 346)],
            "Reflection DDoS",
        ),
        ("DrDoS_LDAP.csv", &[("DrDoS_LDAP", 474)], "Reflection DDoS"),
        (
            "DrDoS_MSSQL.csv",
            &[("DrDoS_MSSQL", 472)],
            "Reflection DDoS",
        ),
        ("DrDoS_SNMP.csv", &[("DrDoS_SNMP", 483)], "Reflection DDoS"),
        (
            "Syn.csv",
            &[("BENIGN", 2), ("Syn", 441)],
            "Exploitation DDoS",
        ),
        ("TFTP.csv", &[("TFTP", 484)], "Reflection DDoS"),
    ];
    let (friday, _) = load_files(&["cicids2017-friday-ddos-benign-9998.csv"]);
    for (file, labels, family) in cases {
        let (dataset, report) = load_data(&[&format!("cic-ddos2019/{file}")]);
        assert_eq!(counts(&report), labels, "{file}");
        assert!(report.families.contains_key(family), "{file}");
        assert_eq!(dataset.features, friday.features, "{file}");
        assert_eq!(
            report.files[0].origin.describe(report.files[0].columns),
            "CIC-DDoS2019, published layout, 88 columns"
        );
        // Each is the published file's first 200,000 bytes; all but TFTP's end inside a row.
        let cut_off = report
            .dropped
            .get("cut off at the end of the file")
            .copied();
        assert_eq!(cut_off, (file != "TFTP.csv").then_some(1), "{file}");
        assert_eq!(report.dropped_total(), cut_off.unwrap_or(0), "{file}");
        for column in [
            "Unnamed: 0",
            "SimillarHTTP",
            "Inbound",
            "Fwd Header Length.1",
        ] {
            assert!(
                report
                    .excluded
                    .iter()
                    .any(|excluded| excluded.column == column),
                "{file}: {column}"
            );
        }
    }
}

#[test]
fn a_file_cut_off_inside_a_row_keeps_the_rows_before_it() {
    let mut csv = String::from(HEADER);
    csv += "1,2,3,BENIGN\n4,5";
    let (dataset, report) = load_one(csv.as_bytes()).unwrap();
    assert_eq!(dataset.rows(), 1);
    assert_eq!(report.dropped["cut off at the end of the file"], 1);
    assert_eq!(
        report.examples[0].problem.to_string(),
        "line 3: the file ends in the middle of this row (2 of 4 fields); the row was skipped (to keep it, get the whole file again)"
    );
    // A short row with a line end after it is a malformed row, not a cut.
    let (_, report) = load_one(format!("{HEADER}1,2,3,BENIGN\n4,5\n").as_bytes()).unwrap();
    assert_eq!(report.dropped["wrong number of fields"], 1);
    // A file cut inside its only row has a header and no flows, not mostly malformed rows.
    let (dataset, report) = load_one(format!("{HEADER}1,2").as_bytes()).unwrap();
    assert_eq!(dataset.rows(), 0);
    assert_eq!(report.dropped["cut off at the end of the file"], 1);
}

#[test]
fn a_load_that_mixes_datasets_says_so() {
    let (dataset, report) = ingest_readers(
        [
            sample("cicids2017-friday-ddos-benign-9998.csv"),
            data_path("cic-ddos2019/Syn.csv"),
            data_path(SNAKE_CASE_2018),
        ]
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, None, File::open(path).unwrap())
        }),
        IngestOptions::default(),
    )
    .unwrap();
    assert_eq!(dataset.features.len(), 76);
    assert!(
        report.warnings.iter().any(|warning| warning.starts_with(
            "this load mixes CIC-DDoS2019, CIC-IDS 2017 and CSE-CIC-IDS2018: they share the 76 features"
        )),
        "{:?}",
        report.warnings
    );
    let (_, report) = load_files(&["improved/BENIGN_2500.csv", "improved/Portscan_2500.csv"]);
    assert!(
        report
            .warnings
            .iter()
            .all(|warning| !warning.contains("mixes"))
    );
    assert_eq!(
        report.files[1].origin.describe(91),
        "CIC-IDS 2017, improved re-extraction (Engelen et al.), 91 columns"
    );
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
fn the_other_bundled_samples_load_whole_with_shared_features() {
    let options = IngestOptions {
        shared_features_only: true,
        ..IngestOptions::default()
    };
    let load_sample = |name: &str| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("static")
            .join(name);
        let file = File::open(path).unwrap();
        ingest_readers([(name.to_string(), None, file)], options).unwrap()
    };
    let (dataset, report) = load_sample("cic-ddos2019-sample.csv");
    assert_eq!(
        counts(&report),
        [
            ("BENIGN", 30),
            ("DrDoS_DNS", 346),
            ("DrDoS_LDAP", 474),
            ("DrDoS_MSSQL", 472),
            ("DrDoS_SNMP", 483),
            ("Syn", 441),
            ("TFTP", 484)
        ]
    );
    assert_eq!(report.dropped_total(), 0);
    assert_eq!(dataset.features.len(), 76);
    let (dataset, report) = load_sample("cse-cic-ids2018-sample.csv");
    assert_eq!(report.rows, 2497);
    assert_eq!(report.families["BENIGN"], 1250);
    // The improved layout's five extra statistics are left out, with the reason.
    assert_eq!(dataset.features.len(), 76);
    assert!(
        report
            .excluded
            .iter()
            .any(|column| column.column == "ICMP Code"
                && column.reason.contains("every CIC dataset shares"))
    );
    let (_, report) = load_sample("cicids2017-sample.csv");
    assert_eq!(report.features.len(), 76);
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
