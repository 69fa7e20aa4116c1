//! The worker side: the Web Worker that loads, trains and scores off the main thread. It runs
//! this same wasm module, started by the page's client (`page::client`), and answers each
//! request as its own task; what it keeps between requests is in `session`.

pub mod agent_job;
pub mod curve;
pub mod error;
pub mod files;
pub mod follow;
pub mod session;
pub mod training;
pub mod transfer;

use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use super::protocol::{FromWorker, JobFailure, ToWorker};
use crate::device::{backend, probe};

/// The worker's entry point, called by its boot script once the module is initialised.
#[wasm_bindgen]
pub fn netsentry_worker_main() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        match serde_wasm_bindgen::from_value::<ToWorker>(event.data()) {
            Ok(request) => wasm_bindgen_futures::spawn_local(handle(request)),
            Err(error) => reply(&FromWorker::Failed(JobFailure::Other(format!(
                "the worker could not read a request: {error}"
            )))),
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    reply(&FromWorker::Ready);
}

/// Runs one request to its end, replying as it goes.
async fn handle(request: ToWorker) {
    match request {
        ToWorker::Load { files, options } => {
            let files: Vec<web_sys::File> = js_sys::Array::from(&files)
                .iter()
                .filter_map(|file| file.dyn_into().ok())
                .collect();
            if files.is_empty() {
                reply(&FromWorker::LoadFailed(JobFailure::Other(
                    "no files were given; choose or drop one or more CSV files".to_owned(),
                )));
            } else {
                files::load(files, options, reply).await;
            }
        }
        ToWorker::LoadSample { url, options } => match files::fetch_sample(&url).await {
            Ok(file) => files::load(vec![file], options, reply).await,
            Err(error) => reply(&FromWorker::LoadFailed(JobFailure::of(&error))),
        },
        ToWorker::Train { options } => training::train(options, reply).await,
        ToWorker::TrainAgent(plan) => agent_job::train(plan, reply).await,
        ToWorker::LearningCurve { options } => curve::draw(options, reply).await,
        ToWorker::Stop => session::stop(),
        ToWorker::Pause(paused) => session::pause(paused),
        ToWorker::Export(export) => transfer::export(export, reply).await,
        ToWorker::Import { file } => match file.dyn_into::<web_sys::File>() {
            Ok(file) => transfer::import(file, reply).await,
            Err(_) => reply(&FromWorker::Transfer(Err(JobFailure::Other(
                "no file was given; choose a model or agent file to import".to_owned(),
            )))),
        },
        ToWorker::Follow {
            name,
            bytes,
            restart,
        } => {
            let bytes = js_sys::Uint8Array::new(&bytes).to_vec();
            let followed = follow::follow(&name, &bytes, restart)
                .await
                .map_err(|error| JobFailure::of(&*error));
            reply(&FromWorker::Followed(followed));
        }
        ToWorker::Explain { row } => {
            let explained = training::explain(row)
                .await
                .map_err(|error| JobFailure::of(&*error));
            reply(&FromWorker::Explained(explained));
        }
        ToWorker::CheckBackend { preference, steps } => {
            let selected = backend::select(preference).await;
            reply(&FromWorker::Backend(selected.info.clone()));
            session::keep_backend(selected.clone());
            if let Err(error) = transfer::move_kept(&selected.device).await {
                reply(&FromWorker::Failed(JobFailure::of(&*error)));
            }
            match probe::run(&selected.device, steps, probe::SEED).await {
                Ok(report) => reply(&FromWorker::Checked(report)),
                Err(error) => reply(&FromWorker::Failed(JobFailure::Other(format!(
                    "{} could not train: {error}",
                    selected.info.label()
                )))),
            }
        }
    }
}

/// Posts `message` to the page.
fn reply(message: &FromWorker) {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let sent = serde_wasm_bindgen::to_value(message)
        .map_err(|error| JsValue::from_str(&error.to_string()))
        .and_then(|value| scope.post_message(&value));
    if let Err(error) = sent {
        web_sys::console::error_2(&"netsentry worker could not reply:".into(), &error);
    }
}
