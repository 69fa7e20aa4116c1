//! The model in a query engine: rows/s of `anomaly_score` over Parquet, in DataFusion on every
//! core and on a Ballista cluster of a scheduler and two executors on this machine (plain, and
//! with mutual TLS and a shared key: the cost of the protection, same run), beside `netsentry
//! score` and DataFusion reading the same flows as CSV (through NetSentry's ingest), at 0.5, 1
//! and 2 million rows.
//!
//! Run with `make bench` (or `cargo bench --bench engine`). The flows are real CIC-IDS 2017 rows
//! resampled as the ingest benchmark does (MachineLearningCVE layout), written once as four CSV
//! files of 500,000 rows and their Parquet copies (made by `netsentry query`), kept in the target
//! directory. Every figure is a whole command as a user runs it (start-up, model load and, for
//! `score`, the CSV ingest), timed by the wall clock; the model is an autoencoder.

#[path = "support/allocator.rs"]
mod allocator;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[path = "support/cluster.rs"]
mod cluster;
// Shared with the ingest benchmarks, which use the rest of it.
#[allow(dead_code)]
#[path = "support/resample.rs"]
mod resample;

/// Rows per generated file; the runs read one, two and four of them.
const FILE_ROWS: usize = 500_000;
const FILES: usize = 4;

fn main() {
    let dir = bench_dir();
    let (csvs, parquet) = generated_files(&dir);
    let model = trained_model(&dir, &csvs[0]);
    let cluster = cluster::Cluster::start(&dir, 2, None);
    let secure = cluster::Cluster::start_with_tls(&dir, 2, None, &dir.join("certs"));
    println!(
        "rows/s of the autoencoder's score, whole commands, {} core(s):",
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
    );
    println!(
        "{:>10}  {:>12}  {:>12}  {:>12}  {:>12}  {:>12}  {:>8}  {:>8}  {:>8}  {:>8}",
        "rows",
        "score, CSV",
        "DF, CSV",
        "DF, Parquet",
        "Ballista",
        "Ballista TLS",
        "DF CSV",
        "DF Parq.",
        "Ballista",
        "TLS"
    );
    println!(
        "{:>10}  {:>12}  {:>12}  {:>12}  {:>12}  {:>12}  {:>8}  {:>8}  {:>8}  {:>8}",
        "", "", "", "", "2 executors", "and key", "/ score", "/ score", "/ DF Parq.", "/ plain"
    );
    for files in [1, 2, FILES] {
        let rows = files * FILE_ROWS;
        let parquet_folder = folder_of(&dir, "parquet", &parquet[..files]);
        let csv_folder = folder_of(&dir, "csv", &csvs[..files]);
        let sql = "SELECT count(*) AS flagged FROM flows_scored WHERE is_anomaly";
        let model = model.display().to_string();
        let mut score_args = vec![
            "score".to_owned(),
            "--keep-duplicates".to_owned(),
            "--top".to_owned(),
            "0".to_owned(),
            "--out".to_owned(),
            dir.join("scored.csv").display().to_string(),
            model.clone(),
        ];
        score_args.extend(csvs[..files].iter().map(|csv| csv.display().to_string()));
        let query = |folder: &Path, cluster: Option<&cluster::Cluster>| {
            let table = format!("flows={}", folder.display());
            let mut args = ["query", "--model", &model, "--table", &table, sql]
                .map(str::to_owned)
                .to_vec();
            if let Some(cluster) = cluster {
                let mut access = vec!["--cluster".to_owned(), cluster.url()];
                access.extend(cluster.client_access());
                args.splice(1..1, access);
            }
            timed(&args)
        };
        let score = timed(&score_args);
        let csv = query(&csv_folder, None);
        let local = query(&parquet_folder, None);
        // The two clusters take turns, three queries each, and each gives its median: a
        // protection cost of a few per cent needs more than one run to show through the noise.
        let (mut plain, mut tls) = (Vec::new(), Vec::new());
        for _ in 0..3 {
            plain.push(query(&parquet_folder, Some(&cluster)));
            tls.push(query(&parquet_folder, Some(&secure)));
        }
        let (ballista, ballista_tls) = (median(plain), median(tls));
        println!(
            "{rows:>10}  {:>12.0}  {:>12.0}  {:>12.0}  {:>12.0}  {:>12.0}  {:>7.2}×  {:>7.2}×  {:>7.2}×  {:>7.2}×",
            rows as f64 / score,
            rows as f64 / csv,
            rows as f64 / local,
            rows as f64 / ballista,
            rows as f64 / ballista_tls,
            score / csv,
            score / local,
            local / ballista,
            ballista / ballista_tls
        );
    }
    drop(cluster);
    drop(secure);
}

/// The middle of three or more timings.
fn median(mut seconds: Vec<f64>) -> f64 {
    seconds.sort_by(f64::total_cmp);
    seconds[seconds.len() / 2]
}

/// A folder of `dir` holding `files` (hard links), made once: a table over exactly those files.
fn folder_of(dir: &Path, kind: &str, files: &[PathBuf]) -> PathBuf {
    let folder = dir.join(format!("{kind}-{}", files.len()));
    if !folder.exists() {
        std::fs::create_dir_all(&folder).expect("bench folder");
        for file in files {
            let link = folder.join(file.file_name().expect("named"));
            std::fs::hard_link(file, &link)
                .or_else(|_| std::fs::copy(file, &link).map(|_| ()))
                .expect("link the file");
        }
    }
    folder
}

/// Seconds a `netsentry` command takes; it must succeed.
fn timed(args: &[impl AsRef<std::ffi::OsStr>]) -> f64 {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_netsentry"))
        .args(args)
        .output()
        .expect("netsentry runs");
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    seconds
}

fn bench_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("bench").join("engine");
    std::fs::create_dir_all(&dir).expect("bench dir");
    dir
}

/// The four CSV files and their Parquet copies, generated once.
fn generated_files(dir: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let csvs: Vec<PathBuf> = (0..FILES)
        .map(|file| dir.join(format!("flows-{file}.csv")))
        .collect();
    let parquet: Vec<PathBuf> = csvs
        .iter()
        .map(|csv| csv.with_extension("parquet"))
        .collect();
    if parquet.iter().all(|file| file.exists()) {
        return (csvs, parquet);
    }
    let mut rows = resample::rows();
    for (csv, parquet) in csvs.iter().zip(&parquet) {
        let partial = csv.with_extension("partial");
        let mut out = BufWriter::new(std::fs::File::create(&partial).expect("bench file"));
        for line in std::iter::once(resample::header()).chain(rows.by_ref().take(FILE_ROWS)) {
            out.write_all(line.as_bytes()).expect("write");
            out.write_all(b"\r\n").expect("write");
        }
        out.flush().expect("flush");
        drop(out);
        std::fs::rename(&partial, csv).expect("rename");
        timed(&[
            "query",
            "--table",
            &format!("flows={}", csv.display()),
            "--out",
            &parquet.display().to_string(),
            "SELECT * FROM flows",
        ]);
    }
    (csvs, parquet)
}

/// An autoencoder trained on the first file's benign flows (a few epochs: the cost of scoring
/// does not depend on how well it learned).
fn trained_model(dir: &Path, csv: &Path) -> PathBuf {
    let model = dir.join("ae.safetensors");
    timed(&[
        "train",
        "--model",
        "ae",
        "--epochs",
        "3",
        "--out",
        &model.display().to_string(),
        &csv.display().to_string(),
    ]);
    model
}
