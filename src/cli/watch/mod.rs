//! `netsentry watch`: scores CICFlowMeter CSVs while they are written. It follows files and
//! folders as `tail -F` does ([`tail`]): a half-written last line waits for its line break, new
//! files in a folder are read from their start, a truncated file is read again, a rotated one is
//! read to its end before its successor. Every flow is scored once, as a JSON line on stdout;
//! what it skips (a bad row, by file, line and column) and a summary every few seconds go to
//! stderr. With `--state` it keeps where it stopped ([`state`]), so a restart resumes there.

mod output;
mod state;
mod tail;

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use burn::prelude::Device;

use self::output::{Identifiers, Judge, Judged};
use self::state::State;
use self::tail::{FileId, GONE_AFTER, Tailed, id_of};
use super::error::{CliError, Failure};
use super::inputs::{device, every_column};
use crate::data::follow::{LineBuffer, Lines, read_lines};
use crate::device::backend::BackendPreference;
use crate::model::score::scored_csv::DEFAULT_TOP;

/// `netsentry watch`.
#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// Where to score.
    #[arg(long, value_enum, default_value_t = BackendPreference::Cpu)]
    backend: BackendPreference,
    /// Features listed for each flagged flow, those the model rebuilt worst first.
    #[arg(long, default_value_t = DEFAULT_TOP)]
    top: usize,
    /// Keep where each file was read up to in this file, so a restart resumes there (no flow
    /// scored twice, none missed); files it does not know are read from their start.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Read the files already there from their start (without it, and without a state to
    /// resume, watch starts at their end and scores only what is written from then on).
    #[arg(long)]
    from_start: bool,
    /// How often the files are looked at, in milliseconds.
    #[arg(long, default_value_t = 10, value_name = "MS")]
    poll: u64,
    /// Seconds between the summary lines on stderr (0: none).
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    every: f64,
    /// Stop once no file has grown for this many seconds (without it, watch runs until stopped).
    #[arg(long, value_name = "SECONDS")]
    stop_when_idle: Option<f64>,
    /// The model file written by `train`, or an agent file written by `agent` (the agent's
    /// decisions then replace the threshold's).
    #[arg(value_name = "MODEL")]
    model: PathBuf,
    /// CSV files, or folders whose CSV files (new ones included) are followed.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

/// Figures since the last summary.
#[derive(Default)]
struct Tally {
    flows: u64,
    flagged: u64,
    skipped: u64,
    /// The longest time from reading a batch's bytes to its last score written.
    slowest: Duration,
}

/// Follows the paths and scores every new flow until stopped (or idle, if asked).
pub fn watch(args: &WatchArgs) -> Result<(), Failure> {
    let device = device(args.backend);
    let judge = Judge::read(&args.model, &device)?;
    let saved = args
        .state
        .as_deref()
        .map(State::read)
        .transpose()?
        .flatten();
    let mut followed: Vec<Tailed> = Vec::new();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut tally = Tally::default();
    let (mut last_summary, mut last_growth) = (Instant::now(), Instant::now());
    let mut first_look = true;
    loop {
        let looked = Instant::now();
        discover(args, saved.as_ref(), first_look, &mut followed)?;
        first_look = false;
        let mut grew = false;
        let mut reader = Reader {
            args,
            judge: &judge,
            device: &device,
            out: &mut out,
            tally: &mut tally,
            looked,
        };
        for tailed in &mut followed {
            grew |= reader.read_new(tailed)?;
        }
        // Where each file is now: renamed within the watched names, or gone from them (rotated
        // away, removed). A file missing for longer than a rename takes is read once more, for
        // what was appended to it between the look above and its leaving, then let go.
        let now = named_files(&args.paths)?;
        let mut kept = Vec::with_capacity(followed.len());
        for mut tailed in followed {
            match now.get(&tailed.id) {
                Some(path) => {
                    tailed.missing_since = None;
                    renamed(&mut tailed, path);
                    kept.push(tailed);
                }
                None => {
                    let since = *tailed.missing_since.get_or_insert_with(Instant::now);
                    if since.elapsed() < GONE_AFTER {
                        kept.push(tailed);
                        continue;
                    }
                    grew |= reader.read_new(&mut tailed)?;
                    eprintln!(
                        "watch: {} was rotated or removed; read to its end",
                        tailed.path.display()
                    );
                }
            }
        }
        followed = kept;
        if grew {
            last_growth = Instant::now();
            if let Some(path) = &args.state {
                State::of(&followed).write(path)?;
            }
        }
        if args.every > 0.0 && last_summary.elapsed().as_secs_f64() >= args.every {
            summarise(&followed, &tally, last_summary.elapsed());
            tally = Tally::default();
            last_summary = Instant::now();
        }
        if args
            .stop_when_idle
            .is_some_and(|idle| last_growth.elapsed().as_secs_f64() >= idle)
        {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(args.poll).saturating_sub(looked.elapsed()));
    }
}

/// The files the paths name now, by identity.
fn named_files(paths: &[PathBuf]) -> Result<HashMap<FileId, PathBuf>, CliError> {
    Ok(candidates(paths)?
        .into_iter()
        .filter_map(|path| Some((id_of(&path)?, path)))
        .collect())
}

/// Notes that `tailed` is now at `path`, if it moved.
fn renamed(tailed: &mut Tailed, path: &Path) {
    if tailed.path != path {
        eprintln!("watch: {} is now {}", tailed.path.display(), path.display());
        tailed.path = path.to_owned();
    }
}

/// The CSV files the paths name now: the files given, and the `.csv` files in the folders given.
fn candidates(paths: &[PathBuf]) -> Result<BTreeSet<PathBuf>, CliError> {
    let mut found = BTreeSet::new();
    for path in paths {
        if !path.is_dir() {
            found.insert(path.clone());
            continue;
        }
        let entries = std::fs::read_dir(path).map_err(|source| CliError::Read {
            path: path.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            let file = entry.path();
            let is_csv = file
                .extension()
                .is_some_and(|extension| extension.eq_ignore_ascii_case("csv"));
            if is_csv && file.is_file() {
                found.insert(file);
            }
        }
    }
    Ok(found)
}

/// Starts following every file the paths name that is not followed yet, and notes renames. On
/// the first look, a file the state knows resumes where it stopped; without a state, files start
/// at their end unless `--from-start`. Files found later are read from their start.
fn discover(
    args: &WatchArgs,
    saved: Option<&State>,
    first_look: bool,
    followed: &mut Vec<Tailed>,
) -> Result<(), Failure> {
    for path in candidates(&args.paths)? {
        let Some(id) = id_of(&path) else {
            if first_look {
                eprintln!("watch: waiting for {} to appear", path.display());
            }
            continue;
        };
        if let Some(known) = followed.iter_mut().find(|tailed| tailed.id == id) {
            // Under two names (a hard link), the first one found stays.
            if !known.still_at_its_path() {
                renamed(known, &path);
            }
            continue;
        }
        let cannot_read = |source| CliError::Read {
            path: path.clone(),
            source,
        };
        let place = saved.and_then(|state| state.place(id));
        let size = std::fs::metadata(&path).map_or(0, |meta| meta.len());
        let tailed = match place {
            Some(place) if first_look && size >= place.offset => {
                eprintln!(
                    "watch: resuming {} at line {} (byte {})",
                    path.display(),
                    place.next_line,
                    place.offset
                );
                let buffer = LineBuffer::resuming(place.header.clone(), place.next_line);
                Tailed::open(&path, place.offset, buffer).map_err(cannot_read)?
            }
            _ if first_look && saved.is_none() && !args.from_start => {
                let tailed = Tailed::open_at_end(&path).map_err(cannot_read)?;
                eprintln!(
                    "watch: starting at the end of {} (line {}): only flows written from now on are scored; --from-start scores what it holds, --state FILE lets a later run resume where this one stops",
                    path.display(),
                    tailed.buffer.next_line()
                );
                tailed
            }
            _ => {
                if first_look {
                    let why = if place.is_some() {
                        "it is shorter than when the last run stopped"
                    } else if saved.is_some() {
                        "the last run did not know it"
                    } else {
                        "--from-start"
                    };
                    eprintln!("watch: reading {} from its start ({why})", path.display());
                } else {
                    eprintln!(
                        "watch: new file {}: reading it from its start",
                        path.display()
                    );
                }
                Tailed::open(&path, 0, LineBuffer::new()).map_err(cannot_read)?
            }
        };
        followed.push(tailed);
    }
    Ok(())
}

/// What reading a file's new lines needs: the options, who judges, where, where the flows go, the
/// figures for the summary and when this look began.
struct Reader<'a, W: Write> {
    args: &'a WatchArgs,
    judge: &'a Judge,
    device: &'a Device,
    out: &'a mut W,
    tally: &'a mut Tally,
    looked: Instant,
}

impl<W: Write> Reader<'_, W> {
    /// Reads what was appended to `tailed` and judges its complete lines; whether there were any.
    fn read_new(&mut self, tailed: &mut Tailed) -> Result<bool, Failure> {
        let (lines, truncated) = tailed.look().map_err(|source| CliError::Read {
            path: tailed.path.clone(),
            source,
        })?;
        if truncated {
            eprintln!(
                "watch: {} shrank (truncated): reading it again from its start",
                tailed.path.display()
            );
        }
        let Some(lines) = lines else {
            return Ok(false);
        };
        judge_lines(
            self.args,
            self.judge,
            self.device,
            tailed,
            &lines,
            self.out,
            self.tally,
        )?;
        self.tally.slowest = self.tally.slowest.max(self.looked.elapsed());
        Ok(true)
    }
}

/// Reads, scores and writes one batch of a file's new lines.
fn judge_lines(
    args: &WatchArgs,
    judge: &Judge,
    device: &Device,
    tailed: &Tailed,
    lines: &Lines,
    out: &mut impl Write,
    tally: &mut Tally,
) -> Result<(), Failure> {
    let name = tailed.path.display().to_string();
    let header = tailed.buffer.header().unwrap_or_default();
    let rows = match read_lines(&name, header, lines, every_column()) {
        Ok(rows) => rows,
        Err(error) => {
            // The header itself cannot be read: every line under it is skipped.
            eprintln!("watch: {error}; {} lines skipped", lines.count());
            tally.skipped += lines.count();
            return Ok(());
        }
    };
    for sentence in &rows.skipped {
        eprintln!("watch: {sentence}");
    }
    tally.skipped += rows.skipped.len() as u64;
    if let Some(&again) = rows.dropped.get("repeated header line") {
        eprintln!(
            "watch: {name}: the header line again ({again}×): the writer restarted; reading on"
        );
    }
    if rows.dataset.rows() == 0 {
        return Ok(());
    }
    let identifiers = Identifiers::of(header);
    let judged: Vec<Judged> = pollster::block_on(judge.judge(&rows.dataset, device, args.top))?;
    let texts = lines.split();
    for (flow, &line) in judged.iter().zip(&rows.lines) {
        let text = texts
            .get((line - lines.first_line) as usize)
            .copied()
            .unwrap_or_default();
        tally.flows += 1;
        tally.flagged += u64::from(flow.flagged);
        let record = output::record(&name, line, &identifiers, text, &rows.dataset, flow);
        serde_json::to_writer(&mut *out, &record).map_err(std::io::Error::other)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

/// One line on stderr: flows per second, flagged, skipped, lag, bytes still to read.
fn summarise(followed: &[Tailed], tally: &Tally, over: Duration) {
    let behind: u64 = followed.iter().map(Tailed::behind).sum();
    eprintln!(
        "watch: {} files, {:.0} flows/s ({} in {:.1} s), {} flagged, {} rows skipped, lag under {} ms, {behind} bytes still to read",
        followed.len(),
        tally.flows as f64 / over.as_secs_f64().max(1e-9),
        tally.flows,
        over.as_secs_f64(),
        tally.flagged,
        tally.skipped,
        tally.slowest.as_millis(),
    );
}
