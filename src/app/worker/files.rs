//! The worker's load job: the user's `File`s (or the bundled sample, fetched from the page's own
//! assets) read into the streaming ingest in Blob slices, so a 250 MB CSV is never one string or
//! one buffer in memory; then kept for training.

use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::File;

use super::error::JobError;
use super::{session, transfer};
use crate::app::protocol::{FileProgress, FromWorker, JobFailure};
use crate::data::dataset::Dataset;
use crate::data::error::{ErrorKind, IngestError};
use crate::data::ingest::{Ingest, IngestOptions};
use crate::data::report::IngestReport;

/// Bytes read per slice: large enough to keep the parser busy, small enough to report progress
/// often and keep memory flat.
pub const SLICE_BYTES: f64 = 4.0 * 1024.0 * 1024.0;

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
                .map_err(|error| unreadable(format!("{error:?}")))?
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
fn request_slice(file: &File, start: f64, end: f64) -> Result<JsFuture, JsValue> {
    let blob = file.slice_with_f64_and_f64(start, end)?;
    Ok(JsFuture::from(blob.array_buffer()))
}

/// Loads `files` and tells the page how it goes; the flows stay in the worker for training, and
/// only the report crosses to the page. A kept (trained or imported) model scores the new flows
/// at once.
pub async fn load(files: Vec<File>, options: IngestOptions, reply: impl Fn(&FromWorker)) {
    let loaded = ingest_files(&files, options, SLICE_BYTES, |progress| {
        reply(&FromWorker::Progress(progress.clone()));
    })
    .await;
    match loaded {
        Ok((dataset, report)) => {
            session::keep_dataset(dataset, report.sources());
            reply(&FromWorker::Loaded(report));
            transfer::score_kept(&reply).await;
        }
        Err(error) => reply(&FromWorker::LoadFailed(JobFailure::File(error))),
    }
}

/// A bundled sample as a `File` named as its URL's last part, fetched from the page's own assets
/// at `url`.
pub async fn fetch_sample(url: &str) -> Result<File, JobError> {
    let failed = |error: JsValue| {
        JobError::browser(
            format!(
                "could not read the bundled sample from {url} (reload the page or load your own CSV files)"
            ),
            &error,
        )
    };
    let call = |target: &JsValue, method: &str, argument: Option<&JsValue>| {
        let function: js_sys::Function =
            js_sys::Reflect::get(target, &method.into())?.dyn_into()?;
        let result = match argument {
            Some(argument) => function.call1(target, argument),
            None => function.call0(target),
        };
        result?.dyn_into::<js_sys::Promise>()
    };
    let fetched = call(&js_sys::global(), "fetch", Some(&url.into())).map_err(failed)?;
    let response = JsFuture::from(fetched).await.map_err(failed)?;
    let ok = js_sys::Reflect::get(&response, &"ok".into()).map_err(failed)?;
    if ok != JsValue::TRUE {
        let status = js_sys::Reflect::get(&response, &"status".into())
            .ok()
            .and_then(|status| status.as_f64())
            .unwrap_or(0.0);
        return Err(JobError::SampleMissing {
            url: url.to_owned(),
            status,
        });
    }
    let blob = JsFuture::from(call(&response, "blob", None).map_err(failed)?)
        .await
        .map_err(failed)?;
    let name = url.rsplit('/').next().unwrap_or(url);
    File::new_with_blob_sequence(&js_sys::Array::of1(&blob), name).map_err(failed)
}
