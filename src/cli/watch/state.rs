//! Where `watch` stopped in each file, kept in a small JSON file after every batch it writes, so
//! a restarted `watch` resumes there: no flow scored twice, none missed. Written to a temporary
//! file and renamed over the old one, so a crash leaves the last whole state, never half of one.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::tail::{FileId, Tailed};
use crate::cli::error::CliError;

/// Bumped when the state's meaning changes; a state of another version is not resumed.
const STATE_VERSION: u32 = 1;

/// Every followed file's place.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// [`STATE_VERSION`] when written.
    pub version: u32,
    /// One place per file.
    pub files: Vec<Place>,
}

/// How far one file was read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Place {
    /// Where the file was last seen (for people; the file is known by `device` and `inode`).
    pub path: PathBuf,
    /// Its device.
    pub device: u64,
    /// Its inode.
    pub inode: u64,
    /// Bytes read into complete lines.
    pub offset: u64,
    /// The number of the next line.
    pub next_line: u64,
    /// Its header line.
    pub header: String,
}

impl State {
    /// The places of `files` now.
    pub fn of<'a>(files: impl IntoIterator<Item = &'a Tailed>) -> Self {
        Self {
            version: STATE_VERSION,
            files: files
                .into_iter()
                .filter_map(|tailed| {
                    Some(Place {
                        path: tailed.path.clone(),
                        device: tailed.id.0,
                        inode: tailed.id.1,
                        offset: tailed.resume_offset(),
                        next_line: tailed.buffer.next_line(),
                        header: tailed.buffer.header()?.to_owned(),
                    })
                })
                .collect(),
        }
    }

    /// The state in `path`; `None` when there is none yet.
    pub fn read(path: &Path) -> Result<Option<Self>, CliError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(CliError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let state: Self = serde_json::from_str(&text).map_err(|error| CliError::State {
            path: path.to_owned(),
            why: error.to_string(),
        })?;
        if state.version != STATE_VERSION {
            return Err(CliError::State {
                path: path.to_owned(),
                why: format!(
                    "it is of version {} and this netsentry writes version {STATE_VERSION}",
                    state.version
                ),
            });
        }
        Ok(Some(state))
    }

    /// Writes the state to `path` (through a temporary file beside it, renamed over it).
    pub fn write(&self, path: &Path) -> Result<(), CliError> {
        let cannot = |source| CliError::Write {
            path: path.to_owned(),
            source,
        };
        let text = serde_json::to_string_pretty(self)
            .map_err(std::io::Error::other)
            .map_err(cannot)?;
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(".tmp");
        std::fs::write(&temporary, text).map_err(cannot)?;
        std::fs::rename(&temporary, path).map_err(cannot)
    }

    /// The place of the file `id`, if this state has one.
    pub fn place(&self, id: FileId) -> Option<&Place> {
        self.files
            .iter()
            .find(|place| (place.device, place.inode) == id)
    }
}
