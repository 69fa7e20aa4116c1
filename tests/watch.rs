//! `netsentry watch` following CSVs as CICFlowMeter writes them: every flow scored once, in
//! order, through half-written lines, new files, truncation, rotation, a restarted writer, bad
//! rows, and a restart of `watch` itself.
#![cfg(all(feature = "cli", not(target_arch = "wasm32")))]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a test waits for what it expects before failing.
const PATIENCE: Duration = Duration::from_secs(60);

/// The bundled sample's lines: the header, then 2,998 flows (1,500 benign first).
fn sample() -> &'static [String] {
    static LINES: OnceLock<Vec<String>> = OnceLock::new();
    LINES.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/static/cicids2017-sample.csv");
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    })
}

/// The header line and `count` flows from the sample's `first` data row, each with its line break.
fn rows(first: usize, count: usize) -> String {
    sample()[first..first + count]
        .iter()
        .map(|line| format!("{line}\n"))
        .collect()
}

fn header() -> String {
    format!("{}\n", sample()[0])
}

/// A scratch directory for one test, removed when the test is done with it (kept if it fails, for
/// a look).
fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("netsentry-watch-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

/// See [`scratch`].
struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = PathBuf;

    fn deref(&self) -> &PathBuf {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// The default detector fitted on the sample (seconds), shared by the tests.
fn model() -> &'static str {
    static MODEL: OnceLock<String> = OnceLock::new();
    MODEL.get_or_init(|| {
        // Kept for the whole run (every test reads it), so not a `Scratch`.
        let dir =
            std::env::temp_dir().join(format!("netsentry-watch-{}-model", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ensemble.safetensors");
        let path = path.to_str().unwrap().to_owned();
        let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/static/cicids2017-sample.csv");
        let output = Command::new(env!("CARGO_BIN_EXE_netsentry"))
            .args(["train", "--out", &path, sample])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        path
    })
}

/// Appends `text` to `path`.
fn append(path: &Path, text: &str) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// A running `netsentry watch`: its JSON lines as they come, and its stderr.
struct Watcher {
    child: Child,
    flows: Receiver<Value>,
    said: Arc<Mutex<String>>,
}

impl Watcher {
    /// Starts `netsentry watch` with `args` (the model first), polling every 5 ms.
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_netsentry"))
            .args(["watch", "--poll", "5", "--every", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (send, flows) = channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let line = line.unwrap();
                let value = serde_json::from_str(&line)
                    .unwrap_or_else(|error| panic!("not JSON ({error}): {line}"));
                if send.send(value).is_err() {
                    return;
                }
            }
        });
        let said = Arc::new(Mutex::new(String::new()));
        let mut stderr = child.stderr.take().unwrap();
        let into = Arc::clone(&said);
        std::thread::spawn(move || {
            let mut buffer = [0; 4096];
            while let Ok(read) = stderr.read(&mut buffer) {
                if read == 0 {
                    return;
                }
                into.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..read]));
            }
        });
        Self { child, flows, said }
    }

    /// The next `count` flows written, waiting for them.
    fn take(&self, count: usize) -> Vec<Value> {
        (0..count)
            .map(|index| match self.flows.recv_timeout(PATIENCE) {
                Ok(flow) => flow,
                Err(_) => panic!(
                    "flow {} of {count} never came; stderr:\n{}",
                    index + 1,
                    self.stderr()
                ),
            })
            .collect()
    }

    /// Fails if a flow is written within `wait`.
    fn nothing_more(&self, wait: Duration) {
        match self.flows.recv_timeout(wait) {
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {}
            Ok(flow) => panic!("an unexpected flow: {flow}; stderr:\n{}", self.stderr()),
        }
    }

    /// Waits until stderr holds `text`.
    fn says(&self, text: &str) {
        let started = Instant::now();
        while !self.stderr().contains(text) {
            assert!(
                started.elapsed() < PATIENCE,
                "never said {text:?}; stderr:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn stderr(&self) -> String {
        self.said.lock().unwrap().clone()
    }

    /// Waits for the process to end by itself (`--stop-when-idle`) and checks it succeeded.
    fn finishes(mut self) -> String {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{}", self.stderr());
                // Let the readers take the last bytes.
                std::thread::sleep(Duration::from_millis(100));
                return self.stderr();
            }
            assert!(
                started.elapsed() < PATIENCE,
                "watch never stopped: {}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Each flow's line number.
fn lines(flows: &[Value]) -> Vec<u64> {
    flows
        .iter()
        .map(|flow| flow["line"].as_u64().unwrap())
        .collect()
}

/// A scratch folder `name` with `flows.csv` holding the header and the sample's first `count`
/// flows, followed by a `watch` from its start (model and file as arguments), which has scored
/// them (lines 2 to `count + 1`).
fn followed_file(name: &str, count: usize) -> (Scratch, PathBuf, Watcher) {
    let dir = scratch(name);
    let file = dir.join("flows.csv");
    append(&file, &(header() + &rows(1, count)));
    let watcher = Watcher::start(&["--from-start", model(), file.to_str().unwrap()]);
    let expected: Vec<u64> = (2..count as u64 + 2).collect();
    assert_eq!(lines(&watcher.take(count)), expected);
    (dir, file, watcher)
}

#[test]
fn a_half_written_line_waits_for_its_end_and_each_flow_says_where_it_came_from() {
    let (_dir, file, watcher) = followed_file("half", 3);
    // CICFlowMeter writes a flow's line in pieces: nothing is scored until its line ends.
    let next = rows(4, 1);
    let (start, end) = next.split_at(next.len() / 2);
    append(&file, start);
    watcher.nothing_more(Duration::from_millis(300));
    append(&file, end);
    let flow = &watcher.take(1)[0];
    assert_eq!(flow["line"], 5);
    assert_eq!(flow["file"], file.to_str().unwrap());
    assert_eq!(flow["label"], "BENIGN");
    assert!(flow["score"].as_f64().unwrap().is_finite());
    assert!(flow["flagged"].is_boolean());
    assert!(flow["flow_id"].as_str().unwrap().contains('-'));
    assert!(flow["source"].as_str().unwrap().contains(':'), "{flow}");
    // An attack is flagged with the features that deviated most.
    append(&file, &rows(1600, 20));
    let attacks = watcher.take(20);
    assert!(attacks.iter().all(|flow| flow["label"] != "BENIGN"));
    let flagged = attacks
        .iter()
        .find(|flow| flow["flagged"] == true)
        .expect("an attack flagged");
    let deviations = flagged["deviations"].as_array().unwrap();
    assert_eq!(deviations.len(), 3, "{flagged}");
    assert!(deviations[0]["feature"].is_string() && deviations[0]["rebuilt"].is_number());
    watcher.nothing_more(Duration::from_millis(200));
}

#[test]
fn files_there_start_at_their_end_and_new_files_in_a_folder_from_their_start() {
    let dir = scratch("folder");
    let old = dir.join("monday.csv");
    append(&old, &(header() + &rows(1, 5)));
    // Not a CSV: not followed.
    append(&dir.join("notes.txt"), "not flows\n");
    let watcher = Watcher::start(&[model(), dir.to_str().unwrap()]);
    watcher.says("starting at the end of");
    watcher.says("(line 7)");
    append(&old, &rows(6, 2));
    assert_eq!(lines(&watcher.take(2)), [7, 8]);
    let new = dir.join("tuesday.csv");
    append(&new, &(header() + &rows(10, 3)));
    let flows = watcher.take(3);
    assert_eq!(lines(&flows), [2, 3, 4]);
    assert!(
        flows
            .iter()
            .all(|flow| flow["file"] == new.to_str().unwrap())
    );
    watcher.says("new file");
    watcher.nothing_more(Duration::from_millis(200));
}

#[test]
fn a_truncated_file_is_read_again_and_a_restarted_writers_header_is_skipped() {
    let (_dir, file, watcher) = followed_file("truncate", 6);
    // The writer starts the file over, shorter.
    std::fs::write(&file, header() + &rows(20, 2)).unwrap();
    watcher.says("truncated");
    let flows = watcher.take(2);
    assert_eq!(lines(&flows), [2, 3]);
    // The writer restarts and appends its header again.
    append(&file, &(header() + &rows(30, 2)));
    assert_eq!(lines(&watcher.take(2)), [5, 6]);
    watcher.says("the header line again");
    watcher.nothing_more(Duration::from_millis(200));
}

#[test]
fn a_rotated_file_is_read_to_its_end_then_its_successor_from_its_start() {
    let (dir, file, watcher) = followed_file("rotate", 3);
    // Rows written just before the rotation, then the file moved away and a new one begun.
    append(&file, &rows(4, 2));
    std::fs::rename(&file, dir.join("flows.csv.1")).unwrap();
    append(&file, &(header() + &rows(40, 4)));
    let flows = watcher.take(6);
    let mut seen = lines(&flows);
    seen.sort_unstable();
    // Lines 5 and 6 of the old file, 2 to 5 of the new: each flow once.
    assert_eq!(seen, [2, 3, 4, 5, 5, 6]);
    watcher.says("was rotated or removed; read to its end");
    watcher.nothing_more(Duration::from_millis(300));
}

#[test]
fn a_file_renamed_within_a_watched_folder_is_not_read_again() {
    let dir = scratch("rename");
    let file = dir.join("capture.csv");
    append(&file, &(header() + &rows(1, 4)));
    let watcher = Watcher::start(&["--from-start", model(), dir.to_str().unwrap()]);
    assert_eq!(lines(&watcher.take(4)), [2, 3, 4, 5]);
    let renamed = dir.join("capture-done.csv");
    std::fs::rename(&file, &renamed).unwrap();
    watcher.says("is now");
    append(&renamed, &rows(5, 1));
    let flow = watcher.take(1);
    assert_eq!(lines(&flow), [6]);
    assert_eq!(flow[0]["file"], renamed.to_str().unwrap());
    watcher.nothing_more(Duration::from_millis(300));
}

#[test]
fn a_bad_row_is_named_by_file_line_and_column_and_the_rows_after_it_are_scored() {
    let (_dir, file, watcher) = followed_file("bad", 2);
    // Line 4: text in the second column ("Src IP" is an identifier; the fourth field a port).
    let good = &sample()[3];
    let mut fields: Vec<&str> = good.split(',').collect();
    let column = sample()[0]
        .split(',')
        .position(|name| name.trim() == "Flow Duration")
        .unwrap();
    fields[column] = "soon";
    append(&file, &format!("{}\n", fields.join(",")));
    append(&file, "1,2,3\n");
    append(&file, &rows(4, 1));
    assert_eq!(lines(&watcher.take(1)), [6]);
    watcher.says(&format!(
        "{}, line 4, column \"Flow Duration\": expected a number, found \"soon\"",
        file.display()
    ));
    watcher.says(&format!(
        "{}, line 5: 3 fields where the header has",
        file.display()
    ));
}

#[test]
fn a_restarted_watch_resumes_where_it_stopped_without_losing_or_repeating_a_flow() {
    let dir = scratch("resume");
    let file = dir.join("flows.csv");
    let state = dir.join("state.json");
    let state = state.to_str().unwrap();
    append(&file, &(header() + &rows(1, 5)));
    let args = [
        "--from-start",
        "--stop-when-idle",
        "0.5",
        "--state",
        state,
        model(),
        dir.to_str().unwrap(),
    ];
    let first = Watcher::start(&args);
    assert_eq!(lines(&first.take(5)), [2, 3, 4, 5, 6]);
    first.finishes();
    // While watch is stopped: the file grows (a half-written line at its end), and a new file.
    let more = rows(6, 3);
    append(&file, &more[..more.len() - 20]);
    append(&dir.join("later.csv"), &(header() + &rows(50, 2)));
    let second = Watcher::start(&args);
    second.says("resuming");
    let mut flows = second.take(4);
    flows.sort_by_key(|flow| {
        (
            flow["file"].as_str().unwrap().to_owned(),
            flow["line"].as_u64(),
        )
    });
    let places: Vec<(bool, u64)> = flows
        .iter()
        .map(|flow| {
            (
                flow["file"].as_str().unwrap().ends_with("later.csv"),
                flow["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(places, [(false, 7), (false, 8), (true, 2), (true, 3)]);
    second.finishes();
    // The half-written line's end arrives: the next run scores it, and only it.
    append(&file, &more[more.len() - 20..]);
    let third = Watcher::start(&args);
    assert_eq!(lines(&third.take(1)), [9]);
    third.nothing_more(Duration::from_millis(200));
}

#[test]
fn an_agent_file_decides_in_place_of_the_threshold() {
    let dir = scratch("agent");
    let agent = dir.join("agent.safetensors");
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/static/cicids2017-sample.csv");
    let output = Command::new(env!("CARGO_BIN_EXE_netsentry"))
        .args([
            "agent",
            "--episodes",
            "3",
            "--out",
            agent.to_str().unwrap(),
            "--model",
            model(),
            "--train",
            sample,
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let file = dir.join("flows.csv");
    append(&file, &(header() + &rows(1, 3) + &rows(2500, 3)));
    let watcher = Watcher::start(&[
        "--from-start",
        agent.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    let flows = watcher.take(6);
    assert_eq!(lines(&flows), [2, 3, 4, 5, 6, 7]);
    assert!(flows.iter().all(|flow| flow["flagged"].is_boolean()));
    watcher.says("is an agent file: the agent decides");
}
