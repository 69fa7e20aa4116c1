//! The `netsentry` binary as a user runs it.
#![cfg(all(feature = "cli", not(target_arch = "wasm32")))]

use std::process::Command;

fn netsentry(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_netsentry"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// The commands `docs/cli.md` documents, each as its words after `netsentry`.
const DOCUMENTED: [&[&str]; 13] = [
    &[],
    &["ingest"],
    &["backends"],
    &["train"],
    &["eval"],
    &["score"],
    &["agent"],
    &["query"],
    &["cluster"],
    &["cluster", "scheduler"],
    &["cluster", "executor"],
    &["cluster", "certs"],
    &["watch"],
];

/// The command-line reference: every command's `--help`, as the binary prints it.
fn reference() -> String {
    let mut text = String::from(
        "# Command-line reference\n\nEvery command's `--help`, as `netsentry` prints it. Written by\n`NETSENTRY_WRITE_CLI_DOC=1 cargo test --test cli the_command_line_reference`; the same test\nfails when this page and the help differ.\n",
    );
    for words in DOCUMENTED {
        let mut args = words.to_vec();
        args.push("--help");
        let output = netsentry(&args);
        assert!(output.status.success(), "{args:?}");
        let help = String::from_utf8(output.stdout).unwrap();
        text += &format!(
            "\n## netsentry {}\n\n```text\n{}\n```\n",
            words.join(" "),
            help.trim_end()
        );
    }
    text.replace("## netsentry \n", "## netsentry\n")
}

#[test]
fn the_command_line_reference_is_the_help() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/cli.md");
    let expected = reference();
    if std::env::var_os("NETSENTRY_WRITE_CLI_DOC").is_some() {
        std::fs::write(path, &expected).unwrap();
    }
    let written = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        written == expected,
        "docs/cli.md differs from the commands' --help; write it again with NETSENTRY_WRITE_CLI_DOC=1 cargo test --test cli the_command_line_reference"
    );
}

#[test]
fn help_lists_the_subcommands() {
    let output = netsentry(&["--help"]);
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    assert!(help.contains("backends"), "{help}");
    assert!(help.contains("ingest"), "{help}");
}

#[test]
fn agent_defaults_are_the_pages() {
    // The page trains DQN for 60 episodes under +2 / -1 / -4 with seed 42 (`AgentPlan::default`).
    let output = netsentry(&["agent", "--help"]);
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for default in [
        "[default: dqn]",
        "[default: 60]",
        "[default: 42]",
        "[default: 256]",
        "[default: 1]",
        "[default: 4]",
        "[default: 2]",
    ] {
        assert!(help.contains(default), "no {default} in {help}");
    }
}

#[test]
fn cpu_backend_check_trains_and_says_so() {
    let output = netsentry(&["backends", "--backend", "cpu", "--steps", "5"]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.starts_with("backend: CPU (chosen in settings)\n"),
        "{stdout}"
    );
    assert!(stdout.contains("check: 5 Adam steps, loss "), "{stdout}");
}

#[test]
fn unknown_backend_is_refused_with_the_choices() {
    let output = netsentry(&["backends", "--backend", "tpu"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("possible values: auto, gpu, cpu"),
        "{stderr}"
    );
}

fn sample(name: &str) -> String {
    format!(
        "{}/tests/data/cicids2017/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn ingest_json_has_the_documented_fields() {
    let output = netsentry(&[
        "ingest",
        "--json",
        &sample("cicids2017-ddos-mixed-10-pandas-header.csv"),
    ]);
    assert!(output.status.success());
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["rows"], 10);
    assert_eq!(report["labels"]["DDoS"], 5);
    assert_eq!(report["families"]["BENIGN"], 5);
    assert!(report["dropped"].is_object());
    assert_eq!(report["features"].as_array().unwrap().len(), 76);
    assert!(report["warnings"].is_array());
}

#[test]
fn ingest_table_lists_labels() {
    let output = netsentry(&["ingest", &sample("improved/Portscan_2500.csv")]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("rows: 2500 read, 2500 kept, 0 dropped"),
        "{text}"
    );
    assert!(text.contains("  Portscan  2500"), "{text}");
}

#[test]
fn ingest_of_a_bad_file_fails_with_the_position() {
    let dir = std::env::temp_dir().join(format!("netsentry-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("semicolons.csv");
    std::fs::write(&path, "Flow Duration;Label\n1;BENIGN\n").unwrap();
    let output = netsentry(&["ingest", path.to_str().unwrap()]);
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("semicolons.csv, line 1: the header is separated by semicolons"),
        "{stderr}"
    );
    let output = netsentry(&["ingest", dir.join("missing.csv").to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("missing.csv: could not be read")
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// A scratch directory for one test's files.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("netsentry-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn improved(name: &str) -> String {
    format!(
        "{}/tests/data/cicids2017/improved/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn train_eval_and_score_an_autoencoder() {
    let dir = scratch("train");
    let model = dir.join("ae.safetensors");
    let model = model.to_str().unwrap();
    let output = netsentry(&[
        "train",
        "--model",
        "ae",
        "--epochs",
        "4",
        "--seed",
        "3",
        "--out",
        model,
        &improved("BENIGN_2500.csv"),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("training Autoencoder (--model ae) on "),
        "{stderr}"
    );
    assert!(stderr.contains("] epoch 4 of 4, train loss "), "{stderr}");
    // Epochs given: the run keeps the small-file settings as they are, not sized to the rows.
    assert!(
        stderr.contains("; batch 128, learning rate 0.002, at most 4 epochs\n"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("2 % false-positive target"));

    let output = netsentry(&[
        "eval",
        "--json",
        model,
        &improved("BENIGN_2500.csv"),
        &improved("Portscan_2500.csv"),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for key in [
        "roc_auc",
        "pr_auc",
        "precision",
        "recall",
        "f1",
        "fpr",
        "threshold",
        "confusion",
        "per_label",
    ] {
        assert!(json.get(key).is_some(), "no {key} in {json}");
    }
    // The operating points at 0.1 %, 1 % and 5 % false positives, each within its budget, the
    // detection rate never falling as the budget grows.
    let points = json["tpr_at_fpr"].as_array().expect("tpr_at_fpr");
    let budgets: Vec<f64> = points
        .iter()
        .map(|p| p["max_fpr"].as_f64().unwrap())
        .collect();
    assert_eq!(budgets, [0.001, 0.01, 0.05]);
    for pair in points.windows(2) {
        assert!(
            pair[0]["tpr"].as_f64() <= pair[1]["tpr"].as_f64(),
            "{pair:?}"
        );
    }
    for point in points {
        assert!(point["fpr"].as_f64().unwrap() <= point["max_fpr"].as_f64().unwrap());
    }
    // Every flow is scored: the 2,498 benign ones left after two duplicates, all fitted by the
    // model and so each scored by the fold model that did not fit it, and every Portscan flow.
    let benign = json["per_label"]["BENIGN"]["rows"].as_u64().unwrap();
    assert_eq!(benign, 2498);
    assert_eq!(json["fitted_rows"].as_u64().unwrap(), benign);
    assert_eq!(json["per_label"]["Portscan"]["rows"], 2500);
    // Each attack family is ranked against the benign flows; BENIGN itself is not.
    let portscan = &json["per_family"]["PortScan"];
    assert!(
        portscan["roc_auc"].as_f64().is_some_and(|auc| auc > 0.5),
        "{portscan}"
    );
    assert!(
        portscan["tpr_at_1_percent"].as_f64().is_some(),
        "{portscan}"
    );
    assert!(json["per_family"]["BENIGN"]["roc_auc"].is_null());

    let scored = dir.join("scored.csv");
    let output = netsentry(&[
        "score",
        "--out",
        scored.to_str().unwrap(),
        model,
        &improved("Portscan_2500.csv"),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&scored).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "row,label,score,flagged,feature_1,observed_1,reconstructed_1,feature_2,observed_2,reconstructed_2,feature_3,observed_3,reconstructed_3"
    );
    assert_eq!(lines.count(), 2500);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn eval_refuses_a_file_that_is_not_a_model() {
    let output = netsentry(&[
        "eval",
        &improved("BENIGN_2500.csv"),
        &improved("BENIGN_2500.csv"),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("BENIGN_2500.csv: not a valid safetensors model file"),
        "{stderr}"
    );
}

#[test]
fn agent_compares_with_the_best_threshold_and_reports_an_unseen_family() {
    let dir = scratch("agent");
    let model = dir.join("ae.safetensors");
    let model = model.to_str().unwrap();
    let output = netsentry(&[
        "train",
        "--epochs",
        "3",
        "--out",
        model,
        &improved("BENIGN_2500.csv"),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for algo in ["dqn", "ppo", "a2c"] {
        let output = netsentry(&[
            "agent",
            "--json",
            "--algo",
            algo,
            "--episodes",
            "8",
            "--withhold",
            "portscan",
            "--train",
            &improved("BENIGN_2500.csv"),
            &improved("DDoS_2500.csv"),
            &improved("Portscan_2500.csv"),
            "--model",
            model,
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        for detector in ["agent", "best_threshold", "model_threshold", "supervised"] {
            for key in ["cost", "fpr", "recall", "precision", "f1", "confusion"] {
                assert!(
                    json[detector].get(key).is_some(),
                    "no {detector}.{key} in {json}"
                );
            }
        }
        assert_eq!(
            json["model_threshold"]["rule"],
            "2 % false-positive target (Harrell–Davis quantile of benign out-of-fold scores)"
        );
        assert_eq!(json["history"].as_array().unwrap().len(), 8);
        assert_eq!(json["unseen"]["family"], "PortScan");
        // The halves: every test flow is counted once by each detector.
        let confusion = &json["agent"]["confusion"];
        let total: u64 = [
            "true_positives",
            "false_positives",
            "true_negatives",
            "false_negatives",
        ]
        .iter()
        .map(|key| confusion[key].as_u64().unwrap())
        .sum();
        assert_eq!(total, json["test_flows"].as_u64().unwrap());
    }
    let output = netsentry(&[
        "agent",
        "--withhold",
        "benign",
        "--train",
        model,
        "--model",
        model,
    ]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not an attack family: benign"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_agents_model_is_a_flag_that_test_files_cannot_swallow() {
    // `--train` and `--test` take every file after them, so a trailing model file would be read
    // as a test file; the model is `--model`, and leaving it out says so.
    let output = netsentry(&[
        "agent",
        "--train",
        "a.csv",
        "--test",
        "b.csv",
        "m.safetensors",
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("required arguments were not provided")
            && stderr.contains("--model <MODEL>"),
        "{stderr}"
    );
}

#[test]
fn a_classic_peer_trains_evaluates_and_scores_like_the_autoencoder() {
    let dir = scratch("peer");
    let model = dir.join("iforest.safetensors");
    let model = model.to_str().unwrap();
    let output = netsentry(&[
        "train",
        "--model",
        "iforest",
        "--trees",
        "50",
        "--out",
        model,
        &improved("BENIGN_2500.csv"),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("fitting Isolation Forest (--model iforest) on the benign flows"),
        "{stderr}"
    );

    let output = netsentry(&[
        "eval",
        "--json",
        model,
        &improved("BENIGN_2500.csv"),
        &improved("Portscan_2500.csv"),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(json["roc_auc"].as_f64().unwrap() > 0.8, "{json}");
    assert_eq!(json["tpr_at_fpr"].as_array().unwrap().len(), 3);

    // The forest names no features: the deviation columns stay empty.
    let scored = dir.join("scored.csv");
    let output = netsentry(&[
        "score",
        "--out",
        scored.to_str().unwrap(),
        model,
        &improved("Portscan_2500.csv"),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&scored).unwrap();
    let first = text.lines().nth(1).unwrap();
    assert!(first.ends_with(",,,,,,,,,"), "{first}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn cross_fitting_with_fewer_than_two_folds_is_refused() {
    let out = std::env::temp_dir().join("netsentry-cli-one-fold.safetensors");
    let output = netsentry(&[
        "train",
        "--folds",
        "1",
        "--out",
        out.to_str().unwrap(),
        &improved("BENIGN_2500.csv"),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cross-fitting needs at least 2 folds, not 1"),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn unlabelled_flows_train_score_and_rank_and_eval_says_why_it_cannot_measure() {
    let dir = scratch("unlabelled");
    // An analyst's own CICFlowMeter output: the improved benign flows without their labels.
    let text = std::fs::read_to_string(improved("BENIGN_2500.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let keep: Vec<bool> = header
        .iter()
        .map(|name| !["Label", "Attempted Category"].contains(name))
        .collect();
    let strip = |line: &str| {
        line.split(',')
            .zip(&keep)
            .filter(|(_, keep)| **keep)
            .map(|(field, _)| field)
            .collect::<Vec<_>>()
            .join(",")
    };
    let own = dir.join("own.csv");
    let body: Vec<String> = std::iter::once(header.join(","))
        .chain(lines.take(600).map(str::to_owned))
        .map(|line| strip(&line))
        .collect();
    std::fs::write(&own, body.join("\n") + "\n").unwrap();
    let own = own.to_str().unwrap();
    let model = dir.join("own.safetensors");
    let model = model.to_str().unwrap();

    let output = netsentry(&["train", "--model", "pca", "--out", model, own]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("has no Label column"), "{stderr}");
    assert!(
        stderr.contains("unlabelled flows are taken as normal traffic"),
        "{stderr}"
    );

    let output = netsentry(&["eval", model, own]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("flows: 600 (0 attacks)"), "{stdout}");
    assert!(
        stdout.contains("no flow is labelled as an attack"),
        "{stdout}"
    );

    let scored = dir.join("scored.csv");
    let output = netsentry(&["score", "--out", scored.to_str().unwrap(), model, own]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let ranked: Vec<&str> = stdout
        .lines()
        .skip_while(|line| !line.starts_with("most unusual flows"))
        .skip(1)
        .collect();
    assert_eq!(ranked.len(), 10, "{stdout}");
    assert!(
        ranked.iter().all(|line| line.contains("unlabelled")),
        "{stdout}"
    );
    // Highest first, and the same scores as the CSV's.
    let score_of = |line: &str| {
        line.split_whitespace()
            .nth(2)
            .unwrap()
            .parse::<f64>()
            .unwrap()
    };
    assert!(
        ranked
            .windows(2)
            .all(|pair| score_of(pair[0]) >= score_of(pair[1]))
    );
    let csv = std::fs::read_to_string(&scored).unwrap();
    let top = csv
        .lines()
        .skip(1)
        .map(|line| line.split(',').nth(2).unwrap().parse::<f64>().unwrap())
        .fold(f64::MIN, f64::max);
    assert!(
        (top - score_of(ranked[0])).abs() <= 1e-5 * top.abs().max(1.0),
        "{top} {}",
        ranked[0]
    );

    // The flows a model fitted are scored by the fold model that did not fit them, as `eval`
    // scores them: the nearest-neighbour distance of a fitted flow to itself would be 0 and flag
    // none, its out-of-fold distance flags about the target's share (2 % of 600 flows).
    let output = netsentry(&["train", "--model", "knn", "--k", "1", "--out", model, own]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = netsentry(&["score", "--out", scored.to_str().unwrap(), model, own]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let csv = std::fs::read_to_string(&scored).unwrap();
    let flagged = csv
        .lines()
        .skip(1)
        .filter(|line| line.split(',').nth(3) == Some("1"))
        .count();
    assert!((3..=36).contains(&flagged), "{flagged} of 600 flagged");
    std::fs::remove_dir_all(dir).unwrap();
}
