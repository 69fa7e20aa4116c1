//! Reading the user's `File`s into the streaming ingest, in Blob slices: a 250 MB CSV is never
//! one string or one buffer in the page's memory.

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::File;

use crate::data::dataset::Dataset;
use crate::data::error::{ErrorKind, IngestError};
use crate::data::ingest::{Ingest, IngestOptions, Progress};
use crate::data::report::IngestReport;

/// Bytes read per slice: large enough to keep the parser busy, small enough to report progress
/// often and keep memory flat.
pub const SLICE_BYTES: f64 = 4.0 * 1024.0 * 1024.0;

/// Where a browser load stands, for the progress bars.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FileProgress {
    /// The file being read.
    pub file: String,
    /// Its size in bytes.
    pub size: u64,
    /// Bytes and rows so far.
    pub progress: Progress,
}

/// Streams `files` through one ingest in slices of `slice_bytes` (the app uses
/// [`SLICE_BYTES`]), reporting progress after every slice.
pub async fn ingest_files(
    files: &[File],
    options: IngestOptions,
    slice_bytes: f64,
    mut on_progress: impl FnMut(&FileProgress),
) -> Result<(Dataset, IngestReport), IngestError> {
    let mut ingest = Ingest::new(options);
    for file in files {
        let name = file.name();
        let size = file.size();
        ingest.begin_file(&name, Some(size as u64))?;
        let mut start = 0.0;
        while start < size {
            let end = (start + slice_bytes).min(size);
            let bytes = read_slice(file, start, end)
                .await
                .map_err(|reason| IngestError {
                    file: name.clone(),
                    line: None,
                    column: None,
                    kind: ErrorKind::Unreadable { reason },
                })?;
            ingest.feed(&bytes)?;
            start = end;
            on_progress(&FileProgress {
                file: name.clone(),
                size: size as u64,
                progress: ingest.progress(),
            });
        }
        ingest.end_file()?;
    }
    Ok(ingest.finish())
}

async fn read_slice(file: &File, start: f64, end: f64) -> Result<Vec<u8>, String> {
    let blob = file
        .slice_with_f64_and_f64(start, end)
        .map_err(|error| format!("{error:?}"))?;
    let buffer = JsFuture::from(blob.array_buffer())
        .await
        .map_err(|error| format!("{error:?}"))?;
    let buffer: js_sys::ArrayBuffer = buffer
        .dyn_into()
        .map_err(|_| "the browser returned no bytes".to_owned())?;
    Ok(Uint8Array::new(&buffer).to_vec())
}
