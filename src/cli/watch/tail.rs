//! One followed file, the way `tail -F` follows it: read what was appended since the last look,
//! and read a file that shrank (truncated) again from its start. A file is known by its device
//! and inode, through a handle kept open: a rename inside a watched folder is the same file, and
//! after a rotation (the path now names a new file) the old one is still read to its end.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::data::follow::{LineBuffer, Lines};

/// The most read from one file in one look, so one large append cannot hold up the others.
const MOST_PER_LOOK: usize = 16 << 20;

/// A file's identity on its file system: device and inode.
pub type FileId = (u64, u64);

/// The identity of the file at `path`, if there is one.
pub fn id_of(path: &Path) -> Option<FileId> {
    std::fs::metadata(path)
        .ok()
        .filter(std::fs::Metadata::is_file)
        .map(|meta| (meta.dev(), meta.ino()))
}

/// A file being followed.
pub struct Tailed {
    /// The path it was last seen at.
    pub path: PathBuf,
    /// Its identity.
    pub id: FileId,
    /// The open handle (kept across a rename or rotation, to read the old file to its end).
    file: File,
    /// Bytes read so far.
    offset: u64,
    /// Its lines as they complete.
    pub buffer: LineBuffer,
    /// When it was first found under none of the watched names (see [`GONE_AFTER`]).
    pub missing_since: Option<Instant>,
}

/// How long a file found under none of the watched names is still followed before it is let
/// go: a rename is a moment in which a folder listing may show neither name, and a file that
/// reappears under another name within this time is the same file, not a new one.
pub const GONE_AFTER: Duration = Duration::from_secs(1);

impl Tailed {
    /// Follows the file at `path` from byte `offset` with `buffer` (a fresh one at offset 0).
    pub fn open(path: &Path, offset: u64, buffer: LineBuffer) -> std::io::Result<Self> {
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        file.seek(SeekFrom::Start(offset))?;
        Ok(Self {
            path: path.to_owned(),
            id: (meta.dev(), meta.ino()),
            file,
            offset,
            buffer,
            missing_since: None,
        })
    }

    /// Follows the file at `path` from its end: its header and line count are read first, so
    /// the lines after it are named by their numbers.
    pub fn open_at_end(path: &Path) -> std::io::Result<Self> {
        let mut tailed = Self::open(path, 0, LineBuffer::new())?;
        // Read a piece at a time, so a capture of many gigabytes costs one piece of memory;
        // only the header and the line count are kept.
        let mut piece = Vec::with_capacity(MOST_PER_LOOK);
        loop {
            piece.clear();
            (&mut tailed.file)
                .take(MOST_PER_LOOK as u64)
                .read_to_end(&mut piece)?;
            if piece.is_empty() {
                break;
            }
            tailed.offset += piece.len() as u64;
            tailed.buffer.push(&piece);
        }
        // A half-written last line is read again, whole, once its end arrives.
        tailed.offset = tailed.resume_offset();
        if let Some(header) = tailed.buffer.header().map(str::to_owned) {
            tailed.buffer = LineBuffer::resuming(header, tailed.buffer.next_line());
        }
        tailed.file.seek(SeekFrom::Start(tailed.offset))?;
        Ok(tailed)
    }

    /// Bytes of the file read into complete lines: where a restart resumes.
    pub fn resume_offset(&self) -> u64 {
        self.offset - self.buffer.pending() as u64
    }

    /// Bytes in the file not read yet.
    pub fn behind(&self) -> u64 {
        self.file
            .metadata()
            .map_or(0, |meta| meta.len().saturating_sub(self.offset))
    }

    /// Reads what was appended since the last look: the lines it completed (none while only a
    /// part of a line arrived), and whether the file had shrunk (it was truncated, and was read
    /// again from its start).
    pub fn look(&mut self) -> std::io::Result<(Option<Lines>, bool)> {
        let truncated = self.file.metadata()?.len() < self.offset;
        if truncated {
            self.restart()?;
        }
        Ok((self.read_new()?, truncated))
    }

    /// Whether the path it was found at still names it (not after a rotation or removal).
    pub fn still_at_its_path(&self) -> bool {
        id_of(&self.path) == Some(self.id)
    }

    /// Starts the file again from its first byte.
    fn restart(&mut self) -> std::io::Result<()> {
        self.file.seek(SeekFrom::Start(0))?;
        self.offset = 0;
        self.buffer = LineBuffer::new();
        Ok(())
    }

    /// Reads up to [`MOST_PER_LOOK`] new bytes into the buffer.
    fn read_new(&mut self) -> std::io::Result<Option<Lines>> {
        let mut bytes = Vec::new();
        (&mut self.file)
            .take(MOST_PER_LOOK as u64)
            .read_to_end(&mut bytes)?;
        self.offset += bytes.len() as u64;
        Ok(self.buffer.push(&bytes))
    }
}
