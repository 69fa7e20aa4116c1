//! Reading the user's `File`s into the streaming ingest, in Blob slices: a 250 MB CSV is never
//! one string or one buffer in the page's memory.

use js_sys::Uint8Array;
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
        // The next slice is requested before this one is parsed, so the browser reads while
        // the parser works; one buffer is reused for every slice.
        let unreadable = |reason: String| IngestError {
            file: name.clone(),
            line: None,
            column: None,
            kind: ErrorKind::Unreadable { reason },
        };
        let mut buffer = Vec::new();
        let mut start = 0.0;
        let mut next = (size > 0.0).then(|| request_slice(file, 0.0, slice_bytes.min(size)));
        while let Some(request) = next.take() {
            let slice = request
                .map_err(unreadable)?
                .await
                .map_err(|error| unreadable(format!("{error:?}")))?;
            let slice = Uint8Array::new(&slice);
            if slice.length() == 0 {
                return Err(unreadable("the browser returned no bytes".to_owned()));
            }
            start += f64::from(slice.length());
            if start < size {
                next = Some(request_slice(file, start, (start + slice_bytes).min(size)));
            }
            buffer.resize(slice.length() as usize, 0);
            slice.copy_to(&mut buffer);
            ingest.feed(&buffer)?;
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

/// Starts reading bytes `start..end` of `file`; the future yields an `ArrayBuffer`.
fn request_slice(file: &File, start: f64, end: f64) -> Result<JsFuture, String> {
    let blob = file
        .slice_with_f64_and_f64(start, end)
        .map_err(|error| format!("{error:?}"))?;
    Ok(JsFuture::from(blob.array_buffer()))
}
