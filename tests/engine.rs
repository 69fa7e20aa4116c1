//! The model in SQL (`netsentry query`) and on a Ballista cluster (`netsentry cluster`), run as a
//! user runs them: the scores equal `netsentry score`'s, a scheduler and two executors started as
//! separate processes give the single-process result, and bad input gets a message that says
//! what to do.
#![cfg(all(feature = "cli", not(target_arch = "wasm32")))]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

#[path = "../benches/support/cluster.rs"]
mod cluster;

/// Runs `netsentry`, giving up (and failing) after five minutes. Its output goes through files, which
/// never fill up as a pipe does while nobody reads it.
fn netsentry(args: &[&str]) -> Output {
    let limit = Duration::from_secs(300);
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let file = |stream: &str| {
        std::env::temp_dir().join(format!(
            "netsentry-engine-{}-{run}.{stream}",
            std::process::id()
        ))
    };
    let (out, err) = (file("out"), file("err"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_netsentry"))
        .args(args)
        .stdout(File::create(&out).unwrap())
        .stderr(File::create(&err).unwrap())
        .spawn()
        .expect("the binary runs");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child can be waited on") {
            break status;
        }
        if started.elapsed() > limit {
            child.kill().ok();
            child.wait().ok();
            panic!(
                "netsentry {args:?} ran past {limit:?}: {}",
                std::fs::read_to_string(&err).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = Output {
        status,
        stdout: std::fs::read(&out).unwrap(),
        stderr: std::fs::read(&err).unwrap(),
    };
    std::fs::remove_file(out).ok();
    std::fs::remove_file(err).ok();
    output
}

/// Runs `netsentry` and returns its stdout, failing with its stderr if it fails.
fn succeeds(args: &[&str]) -> String {
    let output = netsentry(args);
    assert!(
        output.status.success(),
        "netsentry {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `netsentry query --model MODEL --table TABLE SQL`'s printed table.
fn scored_query(model: &Path, table: &str, sql: &str) -> String {
    succeeds(&["query", "--model", path(model), "--table", table, sql])
}

/// The sorted `column` of what `sql` returns over `table` with `model`'s functions, written to
/// `out` (a CSV) on the way.
fn sorted_by_sql(model: &Path, table: &str, out: &Path, sql: &str, column: &str) -> Vec<f64> {
    succeeds(&[
        "query",
        "--model",
        path(model),
        "--table",
        table,
        "--out",
        path(out),
        sql,
    ]);
    sorted_scores(out, column)
}

/// Runs `netsentry`, expecting it to fail, and returns its stderr.
fn fails(args: &[&str]) -> String {
    let output = netsentry(args);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        !output.status.success(),
        "netsentry {args:?} succeeded: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// Owned arguments as `netsentry` takes them.
fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// A scratch directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netsentry-engine-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn improved(name: &str) -> String {
    format!(
        "{}/tests/data/cicids2017/improved/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// An autoencoder trained briefly on the improved extraction's benign sample.
fn trained_model(dir: &Path) -> PathBuf {
    let model = dir.join("ae.safetensors");
    succeeds(&[
        "train",
        "--model",
        "ae",
        "--epochs",
        "2",
        "--seed",
        "5",
        "--out",
        path(&model),
        &improved("BENIGN_2500.csv"),
    ]);
    model
}

/// A folder of two CSVs: the improved extraction's BENIGN and Portscan samples.
fn csv_folder(dir: &Path) -> PathBuf {
    let folder = dir.join("csv");
    std::fs::create_dir_all(&folder).unwrap();
    for name in ["BENIGN_2500.csv", "Portscan_2500.csv"] {
        std::fs::copy(improved(name), folder.join(name)).unwrap();
    }
    folder
}

/// The `score` column of a CSV with a header, sorted.
fn sorted_scores(csv: &Path, column: &str) -> Vec<f64> {
    let text = std::fs::read_to_string(csv).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let index = header.iter().position(|name| *name == column).unwrap();
    let mut scores: Vec<f64> = lines
        .map(|line| line.split(',').nth(index).unwrap().parse().unwrap())
        .collect();
    scores.sort_by(f64::total_cmp);
    scores
}

fn assert_close(ours: &[f64], theirs: &[f64]) {
    assert_eq!(ours.len(), theirs.len());
    for (a, b) in ours.iter().zip(theirs) {
        assert!(
            (a - b).abs() <= 1e-6 * b.abs().max(1e-12),
            "{a} differs from {b}"
        );
    }
}

#[test]
fn sql_scores_equal_netsentry_score_from_csv_and_from_parquet() {
    let dir = scratch("equal");
    let model = trained_model(&dir);
    let portscan = improved("Portscan_2500.csv");
    let scored = dir.join("scored.csv");
    succeeds(&["score", "--out", path(&scored), path(&model), &portscan]);
    let expected = sorted_scores(&scored, "score");
    assert_eq!(expected.len(), 2500);

    // The CSV read through the ingest, scored by the view.
    let table = format!("flows={portscan}");
    let from_csv = sorted_by_sql(
        &model,
        &table,
        &dir.join("from_csv.csv"),
        "SELECT anomaly_score, is_anomaly FROM flows_scored",
        "anomaly_score",
    );
    assert_close(&from_csv, &expected);

    // The same flows through Parquet, scored by the function called with the columns by name
    // in another order than the model's.
    let parquet = dir.join("flows.parquet");
    succeeds(&[
        "query",
        "--table",
        &table,
        "--out",
        path(&parquet),
        "SELECT * FROM flows",
    ]);
    let columns = succeeds(&[
        "query",
        "--table",
        &format!("flows={}", path(&parquet)),
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'flows' \
         AND column_name NOT IN ('Label', 'Source Port', 'Destination Port', 'Protocol')",
    ]);
    let mut features: Vec<String> = columns
        .lines()
        .filter_map(|line| line.strip_prefix("| "))
        .map(|cell| cell.trim_end_matches('|').trim().to_owned())
        .filter(|name| name != "column_name")
        .collect();
    features.reverse();
    assert!(features.len() > 70, "{columns}");
    let arguments: Vec<String> = features.iter().map(|name| format!("\"{name}\"")).collect();
    let from_parquet = sorted_by_sql(
        &model,
        &format!("flows={}", path(&parquet)),
        &dir.join("from_parquet.csv"),
        &format!(
            "SELECT anomaly_score({}) AS score FROM flows",
            arguments.join(", ")
        ),
        "score",
    );
    assert_close(&from_parquet, &expected);

    // The flag is the score at the model's threshold: as many flagged as `score` flags.
    let flagged_by_score = std::fs::read_to_string(&scored)
        .unwrap()
        .lines()
        .skip(1)
        .filter(|line| line.split(',').nth(3) == Some("true"))
        .count();
    let counted = scored_query(
        &model,
        &table,
        "SELECT count(*) AS flagged FROM flows_scored WHERE is_anomaly",
    );
    assert!(
        counted.contains(&format!("| {flagged_by_score} ")),
        "{counted} (score flagged {flagged_by_score})"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn sql_scores_the_flows_a_model_fitted_out_of_fold_as_score_does() {
    let dir = scratch("fitted");
    let model = trained_model(&dir);
    let benign = improved("BENIGN_2500.csv");
    // `score` gives each flow of the model's own file the fold model's score that did not fit
    // it; every row kept, as a query keeps it.
    let scored = dir.join("scored.csv");
    succeeds(&[
        "score",
        "--keep-duplicates",
        "--out",
        path(&scored),
        path(&model),
        &benign,
    ]);
    let from_sql = sorted_by_sql(
        &model,
        &format!("flows={benign}"),
        &dir.join("from_sql.csv"),
        "SELECT anomaly_score FROM flows_scored",
        "anomaly_score",
    );
    assert_close(&from_sql, &sorted_scores(&scored, "score"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn recall_and_false_positive_rate_by_label_in_sql() {
    let dir = scratch("recall");
    let model = trained_model(&dir);
    let table = format!("flows={}", path(&csv_folder(&dir)));
    let text = scored_query(
        &model,
        &table,
        "SELECT \"Label\", count(*) AS flows, sum(CAST(is_anomaly AS INT)) AS flagged, \
         CASE WHEN is_attack(\"Label\") THEN avg(CAST(is_anomaly AS DOUBLE)) END AS recall, \
         CASE WHEN NOT is_attack(\"Label\") THEN avg(CAST(is_anomaly AS DOUBLE)) END AS fpr \
         FROM flows_scored GROUP BY \"Label\" ORDER BY \"Label\"",
    );
    let rows: Vec<Vec<&str>> = text
        .lines()
        .filter(|line| line.starts_with("| "))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            cells[1..cells.len() - 1].to_vec()
        })
        .collect();
    assert_eq!(
        rows[0],
        ["Label", "flows", "flagged", "recall", "fpr"],
        "{text}"
    );
    // Every row of the files, duplicates included (a query counts what was captured).
    assert_eq!(rows[1][..2], ["BENIGN", "2500"], "{text}");
    assert_eq!(rows[2][..2], ["Portscan", "2500"], "{text}");
    // Recall for the attack label, the false-positive rate for the benign one, each the share
    // flagged (printed to four places).
    let number = |cell: &str| cell.parse::<f64>().unwrap();
    let share = |row: &[&str]| number(row[2]) / number(row[1]);
    assert!(rows[1][3].is_empty(), "{text}");
    assert!(
        (number(rows[1][4]) - share(&rows[1])).abs() < 1e-4,
        "{text}"
    );
    assert!(rows[2][4].is_empty(), "{text}");
    assert!(
        (number(rows[2][3]) - share(&rows[2])).abs() < 1e-4,
        "{text}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_input_is_named_with_what_to_do() {
    let dir = scratch("bad");
    let model = trained_model(&dir);
    let portscan = format!("flows={}", improved("Portscan_2500.csv"));

    // The model needs the improved extraction's extra statistics; CIC-DDoS2019 lacks them.
    let ddos = format!(
        "flows={}/tests/data/cic-ddos2019/Syn.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let stderr = fails(&[
        "query",
        "--model",
        path(&model),
        "--table",
        &ddos,
        "SELECT 1",
    ]);
    assert!(stderr.contains("netsentry: table flows ("), "{stderr}");
    assert!(stderr.contains("Syn.csv): it lacks "), "{stderr}");
    assert!(stderr.contains("--shared-features"), "{stderr}");

    // A call naming too few feature columns, and one naming a column that is no feature.
    let stderr = fails(&[
        "query",
        "--model",
        path(&model),
        "--table",
        &portscan,
        "SELECT anomaly_score(\"Flow Duration\") FROM flows",
    ]);
    assert!(
        stderr.contains("anomaly_score: the model needs "),
        "{stderr}"
    );
    assert!(stderr.contains("Total Fwd Packets"), "{stderr}");
    let stderr = fails(&[
        "query",
        "--model",
        path(&model),
        "--table",
        &portscan,
        "SELECT is_anomaly(\"Label\") FROM flows",
    ]);
    assert!(
        stderr.contains("is_anomaly: argument `Label` is not one of the model's"),
        "{stderr}"
    );

    // A feature stored as text in a Parquet file.
    let text_typed = dir.join("text.parquet");
    succeeds(&[
        "query",
        "--table",
        &portscan,
        "--out",
        path(&text_typed),
        "SELECT * EXCLUDE (\"Flow Duration\"), CAST(\"Flow Duration\" AS VARCHAR) AS \"Flow Duration\" FROM flows",
    ]);
    let stderr = fails(&[
        "query",
        "--model",
        path(&model),
        "--table",
        &format!("flows={}", path(&text_typed)),
        "SELECT count(*) FROM flows_scored",
    ]);
    assert!(
        stderr.contains("text.parquet): its feature column `Flow Duration` is stored as Utf8"),
        "{stderr}"
    );

    // A model file of another format version.
    let mut bytes = std::fs::read(&model).unwrap();
    let at = bytes
        .windows(17)
        .position(|window| window == b"format_version\\\":")
        .expect("the version in the metadata");
    bytes[at + 17] = b'9';
    let other = dir.join("other.safetensors");
    std::fs::write(&other, bytes).unwrap();
    let stderr = fails(&[
        "query",
        "--model",
        path(&other),
        "--table",
        &portscan,
        "SELECT 1",
    ]);
    assert!(
        stderr.contains("other.safetensors: this model file has format version 9"),
        "{stderr}"
    );

    // CSV tables live in this process, so a cluster cannot read them.
    let stderr = fails(&[
        "query",
        "--cluster",
        "df://127.0.0.1:1",
        "--table",
        &portscan,
        "SELECT 1",
    ]);
    assert!(
        stderr.contains("netsentry: table flows is read through NetSentry's CSV ingest"),
        "{stderr}"
    );

    // A cluster whose scheduler does not answer.
    let parquet = format!("flows={}", path(&text_typed));
    let stderr = fails(&[
        "query",
        "--cluster",
        "df://127.0.0.1:1",
        "--table",
        &parquet,
        "SELECT 1",
    ]);
    assert!(
        stderr.contains("cannot reach the Ballista scheduler at df://127.0.0.1:1 ("),
        "{stderr}"
    );
    assert!(
        stderr.contains("start one with `netsentry cluster scheduler`"),
        "{stderr}"
    );

    // TLS files named by halves, or missing, and a key file that is not there.
    let cluster = [
        "query",
        "--cluster",
        "df://127.0.0.1:1",
        "--table",
        &parquet,
    ];
    let stderr = fails(&[&cluster[..], &["--tls-ca", "ca.pem", "SELECT 1"]].concat());
    assert!(
        stderr.contains("give --tls-ca, --tls-cert and --tls-key together, or --tls DIR"),
        "{stderr}"
    );
    let stderr = fails(&[&cluster[..], &["--tls", "/no/such/certs", "SELECT 1"]].concat());
    assert!(
        stderr.contains("cannot read the TLS file /no/such/certs/ca.pem: "),
        "{stderr}"
    );
    let stderr = fails(&[&cluster[..], &["--key-file", "/no/such/key", "SELECT 1"]].concat());
    assert!(
        stderr.contains("cannot read the shared key from /no/such/key: "),
        "{stderr}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_result_file_is_whole_or_not_there() {
    let dir = scratch("out");
    let portscan = format!("flows={}", improved("Portscan_2500.csv"));
    // A query that fails on its rows, after the file was begun: nothing that looks whole stays.
    let out = dir.join("labels.csv");
    let stderr = fails(&[
        "query",
        "--table",
        &portscan,
        "--out",
        path(&out),
        "SELECT CAST(\"Label\" AS INT) FROM flows",
    ]);
    assert!(
        stderr.contains(&format!("nothing was written to {}: ", out.display())),
        "{stderr}"
    );
    assert!(!out.exists(), "a half-written {} was left", out.display());
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "a partial file was left"
    );
    // A disk that takes no more: the file-size limit (prlimit) refuses the write past 16 KB as a
    // full disk would, half-way through the rows.
    let output = Command::new("prlimit")
        .arg("--fsize=16384")
        .arg(env!("CARGO_BIN_EXE_netsentry"))
        .args([
            "query",
            "--table",
            &portscan,
            "--out",
            path(&out),
            "SELECT * FROM flows",
        ])
        .output()
        .expect("prlimit (util-linux) runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("nothing was written to {}: ", out.display()))
            && stderr.contains("File too large"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "a partial file was left"
    );
    // A folder that cannot take a file (as root, only a file system that refuses it does).
    let stderr = fails(&[
        "query",
        "--table",
        &portscan,
        "--out",
        "/proc/netsentry-result.csv",
        "SELECT 1",
    ]);
    assert!(
        stderr.contains("nothing was written to /proc/netsentry-result.csv: cannot write"),
        "{stderr}"
    );
    // The same query that works leaves the whole file, and no partial one.
    succeeds(&[
        "query",
        "--table",
        &portscan,
        "--out",
        path(&out),
        "SELECT \"Label\" FROM flows",
    ]);
    let lines = std::fs::read_to_string(&out).unwrap().lines().count();
    assert!(lines > 2000, "{lines} lines");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    std::fs::remove_dir_all(dir).unwrap();
}

/// The flows of [`csv_folder`] in two Parquet files, as a partitioned folder (a cluster reads
/// Parquet only).
fn parquet_folder(dir: &Path) -> PathBuf {
    let folder = dir.join("parquet");
    std::fs::create_dir_all(&folder).unwrap();
    let csv_table = format!("flows={}", path(&csv_folder(dir)));
    for (part, remainder) in [(0, 0), (1, 1)] {
        let file = folder.join(format!("part-{part}.parquet"));
        succeeds(&[
            "query",
            "--table",
            &csv_table,
            "--out",
            path(&file),
            &format!(
                "SELECT * FROM flows WHERE CAST(\"Flow Duration\" AS BIGINT) % 2 = {remainder}"
            ),
        ]);
    }
    folder
}

#[test]
fn a_lost_executor_or_scheduler_ends_a_query_with_its_answer_or_a_sentence_never_a_hang() {
    let dir = scratch("faults");
    let model = trained_model(&dir);
    let table = format!("flows={}", path(&parquet_folder(&dir)));
    let sql = "SELECT \"Label\", count(*) AS flows, sum(CAST(is_anomaly AS INT)) AS flagged \
               FROM flows_scored GROUP BY \"Label\" ORDER BY \"Label\"";
    let expected = scored_query(&model, &table, sql);
    let mut cluster = cluster::Cluster::start(&dir, 2, Some(2));
    let url = cluster.url();
    let args = [
        "query",
        "--timeout",
        "120",
        "--cluster",
        &url,
        "--model",
        path(&model),
        "--table",
        &table,
        sql,
    ];
    // One executor dies (killed, no goodbye) just before the query, while the scheduler still
    // counts on it (it notices a lost executor after 9 s without a word from it). Executors pull
    // their tasks, so the dead one should take none; the query finishes on the other executor
    // with the same answer, or fails with a sentence, within its deadline.
    cluster.kill_executor(0);
    let started = std::time::Instant::now();
    let output = netsentry(&args);
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(seconds < 130.0, "the query took {seconds} s: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    if output.status.success() {
        assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);
    } else {
        assert!(stderr.starts_with("netsentry: "), "{stderr}");
    }
    eprintln!(
        "an executor lost under the query: {} after {seconds:.1} s",
        if output.status.success() {
            "the same answer"
        } else {
            "a sentence"
        }
    );
    // The survivor answers the next query alone.
    assert_eq!(succeeds(&args), expected);
    // The scheduler gone: a sentence saying so, at once.
    cluster.kill_scheduler();
    let stderr = fails(&args);
    assert!(
        stderr.contains("cannot reach the Ballista scheduler"),
        "{stderr}"
    );
    drop(cluster);
    std::fs::remove_dir_all(dir).unwrap();
}

/// Per label: flows, flagged flows, lowest and highest score; what the cluster tests compare.
const BY_LABEL: &str = "SELECT \"Label\", count(*) AS flows, sum(CAST(is_anomaly AS INT)) AS flagged, \
                        min(anomaly_score) AS lowest, max(anomaly_score) AS highest \
                        FROM flows_scored GROUP BY \"Label\" ORDER BY \"Label\"";

#[test]
fn a_ballista_cluster_of_three_processes_gives_the_single_process_result() {
    let dir = scratch("cluster");
    let model = trained_model(&dir);
    let table = format!("flows={}", path(&parquet_folder(&dir)));
    let queries = [
        BY_LABEL,
        "SELECT anomaly_score, is_anomaly FROM flows_scored ORDER BY anomaly_score",
    ];
    let single: Vec<String> = queries
        .iter()
        .map(|sql| scored_query(&model, &table, sql))
        .collect();

    let cluster = cluster::Cluster::start(&dir, 2, Some(2));
    let url = cluster.url();
    for (sql, expected) in queries.iter().zip(&single) {
        let stdout = succeeds(&[
            "query",
            "--cluster",
            &url,
            "--model",
            path(&model),
            "--table",
            &table,
            sql,
        ]);
        assert_eq!(&stdout, expected);
    }
    assert!(single[0].contains("| BENIGN "), "{}", single[0]);
    assert!(single[0].contains("| Portscan "), "{}", single[0]);
    drop(cluster);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_cluster_with_tls_and_a_key_gives_the_plain_result_and_lets_in_only_its_own() {
    let dir = scratch("tls");
    let model = trained_model(&dir);
    let table = format!("flows={}", path(&parquet_folder(&dir)));
    let sql = BY_LABEL;
    let expected = scored_query(&model, &table, sql);
    // The cluster's files live outside the executors' --data folder (the scratch folder).
    let certs = scratch("tls-certs");
    std::fs::remove_dir(&certs).unwrap();
    let cluster = cluster::Cluster::start_with_tls(&dir, 2, Some(2), &certs);
    let url = cluster.url();
    let access = cluster.client_access();
    let query = |access: &[&str], table: &str| -> Vec<String> {
        let mut args = vec!["query", "--cluster", &url];
        args.extend_from_slice(access);
        args.extend(["--model", path(&model), "--table", table, sql]);
        args.into_iter().map(str::to_owned).collect()
    };
    let access: Vec<&str> = access.iter().map(String::as_str).collect();
    assert_eq!(succeeds(&strs(&query(&access, &table))), expected);

    let key = certs.join("shared-key");
    let tls = ["--tls", path(&certs)];
    // Without the key, or with another.
    let stderr = fails(&strs(&query(&tls, &table)));
    assert!(
        stderr.contains("refused this client: this NetSentry cluster needs its shared key"),
        "{stderr}"
    );
    let other_key = scratch("tls-other-key").join("key");
    std::fs::write(&other_key, "0123456789abcdef0123").unwrap();
    let stderr = fails(&strs(&query(
        &["--tls", path(&certs), "--key-file", path(&other_key)],
        &table,
    )));
    assert!(stderr.contains("does not match"), "{stderr}");
    // In plain text.
    let stderr = fails(&strs(&query(&["--key-file", path(&key)], &table)));
    assert!(
        stderr.contains("did not accept the connection")
            && stderr.contains("if the cluster runs with TLS, give --tls DIR"),
        "{stderr}"
    );
    // With another CA's files: the client does not trust the cluster's certificate, and the
    // cluster does not trust a client certificate its CA did not sign.
    let other = scratch("tls-other");
    std::fs::remove_dir(&other).unwrap();
    succeeds(&["cluster", "certs", path(&other)]);
    let stderr = fails(&strs(&query(
        &["--tls", path(&other), "--key-file", path(&key)],
        &table,
    )));
    assert!(stderr.contains("invalid peer certificate"), "{stderr}");
    let (ca, cert, cert_key) = (
        certs.join("ca.pem"),
        other.join("client.pem"),
        other.join("client-key.pem"),
    );
    let stderr = fails(&strs(&query(
        &[
            "--tls-ca",
            path(&ca),
            "--tls-cert",
            path(&cert),
            "--tls-key",
            path(&cert_key),
            "--key-file",
            path(&key),
        ],
        &table,
    )));
    assert!(stderr.contains("did not accept the connection"), "{stderr}");
    // A table outside the executors' --data folder.
    let outside = scratch("tls-outside");
    let copied = outside.join("flows.parquet");
    std::fs::copy(dir.join("parquet/part-0.parquet"), &copied).unwrap();
    let stderr = fails(&strs(&query(&access, &format!("flows={}", path(&outside)))));
    assert!(
        stderr.contains(&format!(
            "{} is outside this executor's data folders",
            path(&copied)
        )),
        "{stderr}"
    );
    // An executor's Flight service (results, shuffle files) asked without the key, over TLS
    // with the cluster's own client certificate: refused before Ballista's service sees it.
    let refused = tokio::runtime::Runtime::new().unwrap().block_on(async {
        use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};
        let read = |name: &str| std::fs::read(certs.join(name)).unwrap();
        let tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(read("ca.pem")))
            .identity(Identity::from_pem(
                read("client.pem"),
                read("client-key.pem"),
            ));
        let address = format!("https://127.0.0.1:{}", cluster.flight_port(0));
        let channel = Endpoint::from_shared(address)
            .unwrap()
            .tls_config(tls)
            .unwrap()
            .connect()
            .await
            .unwrap();
        arrow_flight::flight_service_client::FlightServiceClient::new(channel)
            .do_get(arrow_flight::Ticket::default())
            .await
            .unwrap_err()
    });
    assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{refused}");
    assert!(
        refused.message().contains("needs its shared key"),
        "{refused}"
    );
    // An executor without the key is turned away at its start, with the scheduler's sentence.
    let scheduler = url.trim_start_matches("df://").to_owned();
    let flight = cluster::free_port().to_string();
    let stderr = fails(&[
        "cluster",
        "executor",
        "--port",
        &flight,
        "--scheduler",
        &scheduler,
        "--tls",
        path(&certs),
    ]);
    assert!(stderr.contains("needs its shared key"), "{stderr}");
    drop(cluster);

    // Nothing listens beyond loopback without TLS and a key.
    for role in ["scheduler", "executor"] {
        let port = cluster::free_port().to_string();
        let stderr = fails(&["cluster", role, "--bind", "0.0.0.0", "--port", &port]);
        assert!(
            stderr.starts_with(
                "netsentry: refusing to listen on 0.0.0.0 without TLS and a shared key"
            ),
            "{stderr}"
        );
        let stderr = fails(&[
            "cluster",
            role,
            "--bind",
            "0.0.0.0",
            "--port",
            &port,
            "--key-file",
            path(&key),
        ]);
        assert!(stderr.contains("without TLS:"), "{stderr}");
    }
    for folder in [
        dir,
        certs,
        other,
        outside,
        other_key.parent().unwrap().to_owned(),
    ] {
        std::fs::remove_dir_all(folder).unwrap();
    }
}

#[test]
fn an_agent_file_adds_the_agents_decisions() {
    let dir = scratch("agent");
    let model = trained_model(&dir);
    let agent = dir.join("agent.safetensors");
    let (benign, portscan) = (improved("BENIGN_2500.csv"), improved("Portscan_2500.csv"));
    succeeds(&[
        "agent",
        "--episodes",
        "2",
        "--out",
        path(&agent),
        "--train",
        &benign,
        &portscan,
        "--model",
        path(&model),
    ]);
    let table = format!("flows={portscan}");
    let text = scored_query(
        &agent,
        &table,
        "SELECT count(*) AS flows, count(agent_flags) AS decided FROM flows_scored",
    );
    assert!(text.contains("| 2500  | 2500    |"), "{text}");

    // A model file has no agent: the function says which file to give.
    let stderr = fails(&[
        "query",
        "--model",
        path(&model),
        "--table",
        &table,
        "SELECT agent_flags(\"Flow Duration\") FROM flows",
    ]);
    assert!(
        stderr.contains("agent_flags: the model file has no agent; give an agent file"),
        "{stderr}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
