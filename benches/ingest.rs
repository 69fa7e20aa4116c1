//! Ingest benchmark: parse throughput (MB/s, rows/s) and peak memory against the columnar size,
//! on a ~250 MB file in the MachineLearningCVE layout made by resampling real rows.
//!
//! Run with `make bench` (or `cargo bench --bench ingest`). The generated file is kept in the
//! target directory and reused. Resampling repeats rows, so the run that measures memory keeps
//! duplicates (every row lands in the columns); a second run measures the default load, which
//! hashes every row to drop duplicates.

#[path = "support/allocator.rs"]
mod allocator;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use netsentry::data::ingest::{ingest_paths, ingest_readers};

#[path = "support/resample.rs"]
mod resample;

fn main() {
    let path = generated_file();
    let size = std::fs::metadata(&path).expect("generated").len();
    println!("file: {} ({:.1} MB)", path.display(), size as f64 / 1e6);
    splitting_only(&path, size);

    let mut one_pass_seconds: Vec<(&str, f64)> = Vec::new();
    for (how, in_pieces) in [
        ("one pass, one thread", false),
        ("in pieces, all cores", true),
    ] {
        for (what, options) in resample::configurations() {
            reset_peak_memory();
            let before = resident_bytes("VmRSS");
            let started = Instant::now();
            let (dataset, report) = if in_pieces {
                ingest_paths(std::slice::from_ref(&path), options)
            } else {
                let file = File::open(&path).expect("generated file opens");
                ingest_readers([(path.display().to_string(), Some(size), file)], options)
            }
            .expect("the generated file loads");
            let seconds = started.elapsed().as_secs_f64();
            let peak = resident_bytes("VmHWM");
            let columnar = dataset.memory_bytes() as f64;
            println!("ingest, {how}, {what}:");
            println!(
                "  {:.0} MB/s, {:.0} rows/s ({} rows read, {} kept, {} features, {:.2} s)",
                size as f64 / 1e6 / seconds,
                report.rows_read as f64 / seconds,
                report.rows_read,
                report.rows,
                dataset.features.len(),
                seconds
            );
            if !in_pieces {
                one_pass_seconds.push((what, seconds));
            } else if let Some((_, one_pass)) =
                one_pass_seconds.iter().find(|(other, _)| *other == what)
            {
                println!("  {:.2} × the one-pass speed", one_pass / seconds);
            }
            match (before, peak) {
                (Some(before), Some(peak)) => println!(
                    "  peak memory {:.0} MB above the {:.0} MB before the load = {:.2} × the columnar size ({:.0} MB)",
                    (peak - before) as f64 / 1e6,
                    before as f64 / 1e6,
                    (peak - before) as f64 / columnar,
                    columnar / 1e6
                ),
                _ => println!("  peak memory: not measurable here (no /proc/self/status)"),
            }
            drop(dataset);
        }
    }
}

/// The benchmark file, generated once by [`resample::resample`] and kept in the target directory.
fn generated_file() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let path = target.join("bench").join("machinelearningcve-250mb.csv");
    if path.exists() {
        return path;
    }
    std::fs::create_dir_all(path.parent().expect("has a parent")).expect("bench dir");
    let partial = path.with_extension("partial");
    let mut out = BufWriter::new(File::create(&partial).expect("bench file"));
    resample::resample(resample::TARGET_BYTES, |line| {
        out.write_all(line.as_bytes()).expect("write");
        out.write_all(b"\r\n").expect("write");
    });
    out.flush().expect("flush");
    std::fs::rename(&partial, &path).expect("rename");
    path
}

/// The floor under any CSV load: csv-core splitting the file into records and nothing else.
fn splitting_only(path: &Path, size: u64) {
    use std::io::Read;
    let mut file = File::open(path).expect("generated file opens");
    let mut reader = csv_core::Reader::new();
    let (mut input, mut output, mut ends) =
        (vec![0u8; 1 << 20], vec![0u8; 1 << 16], vec![0usize; 256]);
    let mut records = 0u64;
    let started = Instant::now();
    loop {
        let read = file.read(&mut input).expect("read");
        let mut rest = &input[..read];
        loop {
            let (result, consumed, _, _) = reader.read_record(rest, &mut output, &mut ends);
            rest = &rest[consumed..];
            match result {
                csv_core::ReadRecordResult::Record => records += 1,
                csv_core::ReadRecordResult::End => break,
                csv_core::ReadRecordResult::InputEmpty => break,
                _ => unreachable!("buffers are large enough for these rows"),
            }
        }
        if read == 0 {
            break;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "csv-core splitting alone: {:.0} MB/s ({records} records, {seconds:.2} s)",
        size as f64 / 1e6 / seconds
    );
}

/// Resets the kernel's peak-RSS counter (Linux), so VmHWM measures the load alone.
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// A `/proc/self/status` memory field in bytes.
fn resident_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    let kilobytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes * 1024)
}
