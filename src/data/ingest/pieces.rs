//! Native loads on every core: a large file is cut at line ends into pieces that worker threads
//! parse side by side, each with its own [`Ingest`] fed the file's header first, and the pieces
//! are merged in file order into the one load, so the dataset and report are those a single pass
//! gives (duplicates across pieces dropped, line numbers counted from the file's start).
//!
//! A piece that holds a quote (a quoted field may hide a line break, so the cut may be wrong),
//! or that fails to parse, stops the split: the file is read on from that piece's start by the
//! load itself, one pass as in the browser, which finds and reports the problem exactly.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, mpsc};

use super::lines::FileState;
use super::rows::KeptRows;
use super::{Ingest, IngestOptions, feed_reader, unreadable};
use crate::data::dataset::Dataset;
use crate::data::error::IngestError;
use crate::data::number::MissingKind;
use crate::data::report::{EXAMPLES_KEPT, IngestReport};

/// Bytes in a piece: large enough that a piece's set-up is noise, small enough that a few in
/// flight are a small fraction of a 250 MB file's columns.
const PIECE_BYTES: u64 = 8 << 20;
/// Pieces parsed ahead of the merge at most, which bounds the memory held by finished pieces.
const AHEAD: usize = 4;
/// Bytes searched for a line end at the header and at each cut.
const SEARCH_BYTES: usize = 64 << 10;

/// Reads files from disk natively: like [`super::ingest_readers`], but a file larger than two
/// pieces is parsed on all available cores (see the module doc).
pub fn ingest_paths(
    paths: &[PathBuf],
    options: IngestOptions,
) -> Result<(Dataset, IngestReport), IngestError> {
    ingest_paths_in_pieces_of(paths, options, PIECE_BYTES)
}

/// [`ingest_paths`] with pieces of about `piece_bytes`.
fn ingest_paths_in_pieces_of(
    paths: &[PathBuf],
    options: IngestOptions,
    piece_bytes: u64,
) -> Result<(Dataset, IngestReport), IngestError> {
    let mut ingest = Ingest::new(options);
    for path in paths {
        let name = path.display().to_string();
        let mut file = File::open(path).map_err(|error| unreadable(&name, &error))?;
        let size = file.metadata().ok().map(|metadata| metadata.len());
        ingest.begin_file(&name, size)?;
        match size.and_then(|size| plan(&mut file, size, piece_bytes).ok().flatten()) {
            Some(plan) => load_in_pieces(&mut ingest, path, &name, &plan, options)?,
            None => feed_reader(&mut ingest, &name, file)?,
        }
        ingest.end_file()?;
    }
    Ok(ingest.finish())
}

/// Where a file is cut: its header line and the byte ranges of its pieces.
struct Plan {
    header: Vec<u8>,
    /// Each piece's first byte; a piece runs to the next one's start, the last to the end.
    starts: Vec<u64>,
}

/// The cuts for a file worth splitting, or `None` for one read in a single pass (small, or its
/// header or lines are not plain).
fn plan(file: &mut File, size: u64, piece_bytes: u64) -> std::io::Result<Option<Plan>> {
    if size < 2 * piece_bytes {
        return Ok(None);
    }
    let Some(header) = read_line_at(file, 0)? else {
        return Ok(None);
    };
    if header.contains(&b'"') || header.contains(&0) {
        return Ok(None);
    }
    let mut starts = vec![header.len() as u64];
    let mut at = header.len() as u64 + piece_bytes;
    while at + piece_bytes / 2 < size {
        let Some(rest_of_line) = read_line_at(file, at)? else {
            return Ok(None);
        };
        let cut = at + rest_of_line.len() as u64;
        starts.push(cut);
        at = cut + piece_bytes;
    }
    Ok((starts.len() > 1).then_some(Plan { header, starts }))
}

/// The bytes from `at` up to and including the next line feed, if one is near.
fn read_line_at(file: &mut File, at: u64) -> std::io::Result<Option<Vec<u8>>> {
    file.seek(SeekFrom::Start(at))?;
    let mut window = Vec::with_capacity(SEARCH_BYTES);
    file.by_ref()
        .take(SEARCH_BYTES as u64)
        .read_to_end(&mut window)?;
    Ok(memchr::memchr(b'\n', &window).map(|end| {
        window.truncate(end + 1);
        window
    }))
}

/// A piece parsed on a worker: its load, its file state and what its rows need to merge.
struct Piece {
    ingest: Ingest,
    file: FileState,
    log: PieceLog,
    header_bytes: u64,
}

/// What a piece's merge needs of each kept row beyond its columns, to drop duplicates across
/// pieces and count missing cells as one pass would have.
#[derive(Default)]
struct PieceLog {
    /// Each kept row's duplicate-detection hash (0 when duplicates are kept).
    hashes: Vec<u64>,
    /// Each missing cell of a kept row: row, feature, what it held.
    missing: Vec<(usize, usize, MissingKind)>,
}

impl KeptRows for PieceLog {
    fn kept(&mut self, row: usize, _: u64, hash: u64, missing: &[(usize, MissingKind)]) {
        self.hashes.push(hash);
        self.missing
            .extend(missing.iter().map(|&(feature, kind)| (row, feature, kind)));
    }
}

/// Parses the pieces of `plan` on worker threads and merges them in order into `ingest`, falling
/// back to one pass from the first piece that cannot be merged.
fn load_in_pieces(
    ingest: &mut Ingest,
    path: &Path,
    name: &str,
    plan: &Plan,
    options: IngestOptions,
) -> Result<(), IngestError> {
    ingest.feed(&plan.header)?;
    let pieces = plan.starts.len();
    let workers = std::thread::available_parallelism()
        .map_or(2, usize::from)
        .min(pieces);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let merged = Mutex::new(0usize);
    let merged_changed = Condvar::new();
    let fallback = std::thread::scope(|scope| {
        let (sender, receiver) = mpsc::channel();
        for _ in 0..workers {
            let sender = sender.clone();
            let (next, stop, merged, merged_changed) = (&next, &stop, &merged, &merged_changed);
            scope.spawn(move || {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= pieces {
                        return;
                    }
                    {
                        let mut done = merged.lock().unwrap_or_else(|poison| poison.into_inner());
                        while index >= *done + AHEAD && !stop.load(Ordering::Relaxed) {
                            done = merged_changed
                                .wait(done)
                                .unwrap_or_else(|poison| poison.into_inner());
                        }
                    }
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let piece = parse_piece(path, name, plan, index, options);
                    if sender.send((index, piece)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(sender);
        let mut finished = BTreeMap::new();
        let mut next_to_merge = 0;
        let fallback = loop {
            if next_to_merge == pieces {
                break None;
            }
            let Ok((index, piece)) = receiver.recv() else {
                break Some(next_to_merge);
            };
            finished.insert(index, piece);
            let mut failed = false;
            while let Some(piece) = finished.remove(&next_to_merge) {
                match piece {
                    Some(piece) => {
                        ingest.absorb(piece);
                        next_to_merge += 1;
                        *merged.lock().unwrap_or_else(|poison| poison.into_inner()) = next_to_merge;
                        merged_changed.notify_all();
                    }
                    None => {
                        failed = true;
                        break;
                    }
                }
            }
            if failed {
                break Some(next_to_merge);
            }
        };
        stop.store(true, Ordering::Relaxed);
        merged_changed.notify_all();
        fallback
    });
    let Some(from) = fallback else {
        return Ok(());
    };
    let mut file = File::open(path).map_err(|error| unreadable(name, &error))?;
    file.seek(SeekFrom::Start(plan.starts[from]))
        .map_err(|error| unreadable(name, &error))?;
    feed_reader(ingest, name, file)
}

/// Parses piece `index` of `plan` in a load of its own, fed the file's header first; `None` when
/// it holds a quote or does not parse, and so cannot be merged.
fn parse_piece(
    path: &Path,
    name: &str,
    plan: &Plan,
    index: usize,
    options: IngestOptions,
) -> Option<Piece> {
    let start = plan.starts[index];
    let length = plan.starts.get(index + 1).map(|end| end - start);
    let mut file = File::open(path).ok()?;
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut ingest = Ingest::new(options);
    let mut log = PieceLog::default();
    let header_bytes = plan.header.len() as u64;
    let expected = length.map(|length| length + header_bytes);
    ingest.begin_file(name, expected).ok()?;
    ingest.feed_noting(&plan.header, &mut log).ok()?;
    let mut reader = file.take(length.unwrap_or(u64::MAX));
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        };
        if memchr::memchr(b'"', &buffer[..read]).is_some() {
            return None;
        }
        ingest.feed_noting(&buffer[..read], &mut log).ok()?;
    }
    let mut file = ingest.file.take()?;
    file.at_end = length.is_none();
    ingest.parse(&mut file, &[], &mut log).ok()?;
    ingest.flush_block();
    Some(Piece {
        ingest,
        file,
        log,
        header_bytes,
    })
}

impl Ingest {
    /// Appends a parsed piece of the current file, as if its rows had been read here: rows
    /// already seen (in earlier pieces or files) are dropped as duplicates, labels and columns
    /// are matched by name, and line numbers continue from the lines read so far.
    fn absorb(&mut self, piece: Piece) {
        let Piece {
            ingest: part,
            file: part_file,
            log,
            header_bytes,
        } = piece;
        let mut file = self.file.take().expect("begin_file before absorb");
        let first_piece = file.rows_read == 0;
        // The piece numbers its header as line 1; its line 2 is this file's next line.
        let line_offset = file.newlines - 1;
        let sources: Vec<usize> = self
            .features
            .iter()
            .map(|feature| {
                part.features
                    .iter()
                    .position(|offered| offered == feature)
                    .expect("a piece reads its file's header")
            })
            .collect();
        let labels: Vec<u16> = part
            .label_names
            .iter()
            .map(|name| self.label_by_name(name))
            .collect();
        let keep: Vec<bool> = if self.options.keep_duplicates {
            vec![true; part.labels.len()]
        } else {
            log.hashes
                .iter()
                .map(|&hash| self.seen_rows.insert(hash))
                .collect()
        };
        let kept = keep.iter().filter(|&&keep| keep).count();
        let duplicates = (keep.len() - kept) as u64;
        if duplicates > 0 {
            *self
                .report
                .dropped
                .entry("duplicate".to_owned())
                .or_default() += duplicates;
        }
        for (column, &source) in self.columns.iter_mut().zip(&sources) {
            column.extend(
                part.columns[source]
                    .iter()
                    .zip(&keep)
                    .filter(|(_, keep)| **keep)
                    .map(|(value, _)| *value),
            );
        }
        self.labels.extend(
            part.labels
                .iter()
                .zip(&keep)
                .filter(|(_, keep)| **keep)
                .map(|(label, _)| labels[*label as usize]),
        );
        for (row, feature, kind) in log.missing {
            if keep[row]
                && let Some(index) = sources.iter().position(|&source| source == feature)
            {
                self.missing[index].count(kind);
            }
        }
        for (reason, count) in part.report.dropped {
            *self.report.dropped.entry(reason).or_default() += count;
        }
        for mut example in part.report.examples {
            if file.examples < EXAMPLES_KEPT {
                file.examples += 1;
                example.problem.line += line_offset;
                self.report.examples.push(example);
            }
        }
        if file.first_problem.is_none()
            && let Some(mut problem) = part_file.first_problem
        {
            problem.line += line_offset;
            file.first_problem = Some(problem);
        }
        file.rows_read += part_file.rows_read;
        file.rows += kept as u64;
        file.malformed += part_file.malformed;
        file.newlines += part_file.newlines - 1;
        file.bytes += part_file.bytes - header_bytes;
        file.consumed += part_file.bytes - header_bytes;
        if first_piece {
            self.reserve_for(&file);
        }
        self.file = Some(file);
    }

    /// The id of a label already decoded (by a piece), adding it if new.
    fn label_by_name(&mut self, name: &str) -> u16 {
        match self.label_names.iter().position(|known| known == name) {
            Some(id) => id as u16,
            None => {
                self.label_names.push(name.to_owned());
                u16::try_from(self.label_names.len() - 1).unwrap_or(u16::MAX)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::{IngestOptions, ingest_paths_in_pieces_of};
    use crate::data::ingest::ingest_readers;

    /// Pieces of 16 KiB: every test file splits into several.
    const SMALL_PIECES: u64 = 16 << 10;

    fn real(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/cicids2017")
            .join(name)
    }

    /// A file in the temp directory holding `bytes`, named for the test.
    fn written(name: &str, bytes: &[u8]) -> PathBuf {
        let path =
            std::env::temp_dir().join(format!("netsentry-pieces-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).expect("temp file");
        path
    }

    /// Loads `paths` in one pass and in pieces, and checks both give the same dataset and
    /// report, or the same error.
    fn same_either_way(paths: &[PathBuf], options: IngestOptions) {
        for path in paths {
            let mut file = std::fs::File::open(path).expect("opens");
            let size = file.metadata().expect("size").len();
            if size > 4 * SMALL_PIECES {
                let plan = super::plan(&mut file, size, SMALL_PIECES).expect("reads");
                assert!(
                    plan.is_some_and(|plan| plan.starts.len() > 2),
                    "{path:?} is cut into pieces"
                );
            }
        }
        let one_pass = ingest_readers(
            paths.iter().map(|path| {
                let file = std::fs::File::open(path).expect("opens");
                let size = file.metadata().ok().map(|metadata| metadata.len());
                (path.display().to_string(), size, file)
            }),
            options,
        );
        let pieces = ingest_paths_in_pieces_of(paths, options, SMALL_PIECES);
        match (pieces, one_pass) {
            (Ok((dataset, report)), Ok((expected, expected_report))) => {
                assert_eq!(report, expected_report, "reports differ for {paths:?}");
                assert_eq!(dataset.features, expected.features);
                assert_eq!(dataset.label_names, expected.label_names);
                assert!(
                    dataset.labels == expected.labels,
                    "labels differ for {paths:?}"
                );
                for (column, expected) in dataset.columns.iter().zip(&expected.columns) {
                    let same = column.len() == expected.len()
                        && column
                            .iter()
                            .zip(expected)
                            .all(|(a, b)| a.to_bits() == b.to_bits());
                    assert!(same, "a column differs for {paths:?}");
                }
            }
            (pieces, one_pass) => assert_eq!(pieces.err(), one_pass.err()),
        }
    }

    fn sample_bytes() -> Vec<u8> {
        std::fs::read(real("improved/Portscan_2500.csv")).expect("sample")
    }

    #[test]
    fn real_files_load_the_same_in_pieces() {
        let dir = real("");
        let mut files: Vec<PathBuf> = walk(&dir);
        files.sort();
        assert!(files.len() >= 5, "test files found: {files:?}");
        for file in &files {
            same_either_way(std::slice::from_ref(file), IngestOptions::default());
        }
        same_either_way(
            &files,
            IngestOptions {
                keep_duplicates: true,
                ports_as_features: true,
                shared_features_only: false,
            },
        );
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).expect("test data dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                found.extend(walk(&path));
            } else if path.extension().is_some_and(|ext| ext == "csv") {
                found.push(path);
            }
        }
        found
    }

    #[test]
    fn duplicates_across_pieces_are_dropped_once() {
        let bytes = sample_bytes();
        let body_start = memchr::memchr(b'\n', &bytes).expect("header") + 1;
        let mut twice = bytes.clone();
        twice.extend_from_slice(&bytes[body_start..]);
        let path = written("twice.csv", &twice);
        same_either_way(std::slice::from_ref(&path), IngestOptions::default());
        let (dataset, _) = ingest_paths_in_pieces_of(
            std::slice::from_ref(&path),
            IngestOptions::default(),
            SMALL_PIECES,
        )
        .expect("loads");
        let (once, _) = ingest_paths_in_pieces_of(
            &[real("improved/Portscan_2500.csv")],
            IngestOptions::default(),
            SMALL_PIECES,
        )
        .expect("loads");
        assert_eq!(dataset.rows(), once.rows());
        std::fs::remove_file(path).ok();
    }

    #[test]
    fn bad_rows_late_in_a_file_keep_their_line_numbers() {
        let mut bytes = sample_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let lines: Vec<&str> = text.lines().collect();
        let mut broken = lines.clone();
        broken[400] = "1,2,3";
        broken[450] = "\"quoted\nacross lines\",x";
        bytes = broken.join("\n").into_bytes();
        let path = written("broken.csv", &bytes);
        same_either_way(std::slice::from_ref(&path), IngestOptions::default());
        std::fs::remove_file(path).ok();
    }

    #[test]
    fn a_file_that_is_not_csv_late_on_fails_the_same_way() {
        let mut bytes = sample_bytes();
        bytes.extend_from_slice(&[0u8; 64]);
        let path = written("binary.csv", &bytes);
        same_either_way(std::slice::from_ref(&path), IngestOptions::default());
        std::fs::remove_file(path).ok();
    }
}
