//! Real-time benchmark for `netsentry watch`: a writer appends real flows (resampled, seeded,
//! from the improved CIC-IDS 2017 samples in `tests/data/`, benign and the three attack files) to
//! a CSV at a fixed rate, as CICFlowMeter would, while `netsentry watch` follows it with the
//! default detector (the ensemble, fitted on `BENIGN_2500.csv`). For each rate it prints the
//! time from a row's line end on disk (the writer's `write` returned) to its JSON line read from
//! watch's stdout (median, p99, max), the flows written, scored, lost and scored twice, how long
//! watch took to catch up after the writer stopped, and watch's memory (resident set, sampled
//! every second: first, largest and last).
//!
//! Run with `make bench` (or `cargo bench --bench watch`). `NETSENTRY_WATCH_RATES` (flows per
//! second, comma-separated; default `1000,10000,100000`) and `NETSENTRY_WATCH_SECONDS` (per rate,
//! default 20; 600 for the ten-minute memory run) change the run.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// The improved samples' folder.
const SAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/cicids2017/improved"
);

/// How often the writer appends what is due.
const TICK: Duration = Duration::from_millis(1);

/// How long watch may take to catch up after the writer stops before the rest counts as lost.
const DRAIN: Duration = Duration::from_secs(120);

fn main() {
    let rates: Vec<u64> = std::env::var("NETSENTRY_WATCH_RATES")
        .unwrap_or_else(|_| "1000,10000,100000".to_owned())
        .split(',')
        .map(|rate| {
            rate.trim()
                .parse()
                .expect("NETSENTRY_WATCH_RATES: flows per second")
        })
        .collect();
    let seconds: f64 = std::env::var("NETSENTRY_WATCH_SECONDS").map_or(20.0, |seconds| {
        seconds.parse().expect("NETSENTRY_WATCH_SECONDS: seconds")
    });
    let dir = std::env::temp_dir().join(format!("netsentry-watch-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let model = train(&dir);
    let (header, rows) = flows();
    println!(
        "netsentry watch, the ensemble on the CPU backend, polling every 5 ms; {} real flows resampled; {seconds} s per rate",
        rows.len()
    );
    println!(
        "{:>9} {:>9} {:>9} {:>5} {:>7} {:>11} {:>11} {:>11} {:>9} {:>22}",
        "flows/s",
        "written",
        "scored",
        "lost",
        "twice",
        "median ms",
        "p99 ms",
        "max ms",
        "catch-up",
        "memory MB first/max/last"
    );
    for rate in rates {
        run(
            &dir,
            &model,
            &header,
            &rows,
            rate,
            Duration::from_secs_f64(seconds),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Fits the default detector on the benign sample with the binary, as a user would.
fn train(dir: &Path) -> PathBuf {
    let model = dir.join("model.safetensors");
    let output = Command::new(env!("CARGO_BIN_EXE_netsentry"))
        .args(["train", "--out", model.to_str().unwrap()])
        .arg(Path::new(SAMPLES).join("BENIGN_2500.csv"))
        .output()
        .expect("netsentry train runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    model
}

/// The samples' header and every data line of the four files.
fn flows() -> (String, Vec<String>) {
    let mut header = String::new();
    let mut rows = Vec::new();
    for name in [
        "BENIGN_2500.csv",
        "DDoS_2500.csv",
        "DoS_Hulk_2500.csv",
        "Portscan_2500.csv",
    ] {
        let text = std::fs::read_to_string(Path::new(SAMPLES).join(name)).unwrap();
        let mut lines = text.lines();
        header = lines.next().unwrap().to_owned();
        rows.extend(lines.map(str::to_owned));
    }
    (header, rows)
}

/// One rate: the writer appends for `length`, then watch is given time to catch up.
fn run(dir: &Path, model: &Path, header: &str, rows: &[String], rate: u64, length: Duration) {
    let file = dir.join(format!("flows-{rate}.csv"));
    std::fs::write(&file, format!("{header}\n")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_netsentry"))
        .args(["watch", "--poll", "5", "--every", "0", "--from-start"])
        .arg(model)
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("netsentry watch runs");
    // The reader: each JSON line's `line` and when it arrived.
    let (send, received) = channel();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            let number = line
                .split_once("\"line\":")
                .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|digits| digits.parse::<u64>().ok())
                .expect("each JSON line has its line");
            if send.send((number, Instant::now())).is_err() {
                return;
            }
        }
    });
    // Give watch its start (the model loaded, the file opened).
    std::thread::sleep(Duration::from_secs(2));
    let mut output = std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap();
    let mut rng = StdRng::seed_from_u64(rate);
    let mut written_at: Vec<Instant> = Vec::new();
    let mut memory = Vec::new();
    let started = Instant::now();
    let mut next_sample = started;
    let mut chunk = String::new();
    while started.elapsed() < length {
        let due = (started.elapsed().as_secs_f64() * rate as f64) as usize;
        chunk.clear();
        for _ in written_at.len()..due {
            chunk.push_str(&rows[rng.random_range(0..rows.len())]);
            chunk.push('\n');
        }
        output.write_all(chunk.as_bytes()).unwrap();
        let now = Instant::now();
        written_at.resize(due, now);
        if now >= next_sample {
            memory.push(resident_mb(child.id()));
            next_sample += Duration::from_secs(1);
        }
        std::thread::sleep(TICK);
    }
    let stopped = Instant::now();
    let mut arrived: HashMap<u64, u32> = HashMap::new();
    let mut latencies = Vec::with_capacity(written_at.len());
    // When the last flow arrived (stamped by the reader as it came, not when counted here).
    let mut last_arrival = stopped;
    while arrived.len() < written_at.len() && stopped.elapsed() < DRAIN {
        let Ok((line, at)) = received.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        last_arrival = last_arrival.max(at);
        // Line 2 is the first flow written.
        let index = (line - 2) as usize;
        *arrived.entry(line).or_default() += 1;
        if let Some(&written) = written_at.get(index) {
            latencies.push(at.saturating_duration_since(written).as_secs_f64() * 1e3);
        }
    }
    let catch_up = last_arrival.saturating_duration_since(stopped);
    memory.push(resident_mb(child.id()));
    let _ = child.kill();
    let _ = child.wait();
    drop(received);
    let _ = reader.join();
    latencies.sort_by(f64::total_cmp);
    let at = |share: f64| {
        latencies
            .get(((latencies.len() as f64 * share) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    let twice: u32 = arrived.values().map(|count| count - 1).sum();
    println!(
        "{rate:>9} {:>9} {:>9} {:>5} {twice:>7} {:>11.1} {:>11.1} {:>11.1} {:>8.1}s {:>22}",
        written_at.len(),
        arrived.len(),
        written_at.len() - arrived.len(),
        at(0.5),
        at(0.99),
        latencies.last().copied().unwrap_or(f64::NAN),
        catch_up.as_secs_f64(),
        format!(
            "{:.0}/{:.0}/{:.0}",
            memory.first().copied().unwrap_or(0.0),
            memory.iter().copied().fold(0.0, f64::max),
            memory.last().copied().unwrap_or(0.0)
        ),
    );
    let _ = std::fs::remove_file(&file);
}

/// The resident memory of process `pid` in MB (Linux's /proc).
fn resident_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
