//! The Web Worker that trains off the main thread, and the page's handle on it.
//!
//! The worker runs this same wasm module: the page creates a module worker from a small script
//! that imports the wasm-bindgen glue (found through the glue's own `import.meta.url`), hands it
//! the already compiled `WebAssembly.Module`, and calls [`netsentry_worker_main`]. Requests sent
//! before the worker says [`FromWorker::Ready`] wait in a queue.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, DedicatedWorkerGlobalScope, MessageEvent, Url, Worker};
use web_sys::{WorkerOptions, WorkerType};

use super::protocol::{FromWorker, ToWorker};
use crate::model::{backend, probe};

#[wasm_bindgen]
extern "C" {
    /// The URL of the wasm-bindgen glue module that loaded this instance.
    #[wasm_bindgen(thread_local_v2, js_namespace = ["import", "meta"], js_name = url)]
    static GLUE_URL: String;
}

/// The page's handle on a running training worker; dropping it terminates the worker.
pub struct TrainingWorker {
    worker: Worker,
    state: Rc<RefCell<Queue>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::ErrorEvent)>,
}

/// Requests held back until the worker is ready, and the boot script's URL to free then.
#[derive(Default)]
struct Queue {
    ready: bool,
    pending: Vec<JsValue>,
    script_url: Option<String>,
}

impl TrainingWorker {
    /// Starts a worker on this module; `on_message` receives everything it reports.
    pub fn spawn(on_message: impl FnMut(FromWorker) + 'static) -> Result<Self, String> {
        let script_url = worker_script_url()?;
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        options.set_name("netsentry-training");
        let worker = Worker::new_with_options(&script_url, &options)
            .map_err(|error| format!("could not start the training worker: {error:?}"))?;

        let state = Rc::new(RefCell::new(Queue {
            script_url: Some(script_url),
            ..Queue::default()
        }));
        let on_message = {
            let state = Rc::clone(&state);
            let worker = worker.clone();
            let mut on_message = on_message;
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let data = event.data();
                // A file to download comes as `[name, Blob]`; messages as serde-wasm-bindgen
                // values (an enum: a string or an object, never an array).
                if let Some(file) = data.dyn_ref::<js_sys::Array>() {
                    let name = file.get(0).as_string().unwrap_or_default();
                    let offered = match file.get(1).dyn_into::<Blob>() {
                        Ok(blob) => super::download::offer(&name, &blob),
                        Err(_) => Err(format!("the worker sent {name} without its contents")),
                    };
                    if let Err(error) = offered {
                        on_message(FromWorker::Transfer(Err(error)));
                    }
                    return;
                }
                let message =
                    serde_wasm_bindgen::from_value::<FromWorker>(data).unwrap_or_else(|error| {
                        FromWorker::Failed(format!("unreadable message from the worker: {error}"))
                    });
                if message == FromWorker::Ready {
                    let mut state = state.borrow_mut();
                    state.ready = true;
                    if let Some(url) = state.script_url.take() {
                        Url::revoke_object_url(&url).ok();
                    }
                    for request in state.pending.drain(..) {
                        if let Err(error) = worker.post_message(&request) {
                            on_message(FromWorker::Failed(format!(
                                "could not reach the worker: {error:?}"
                            )));
                        }
                    }
                }
                on_message(message);
            })
        };
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let on_error =
            Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(|event: web_sys::ErrorEvent| {
                web_sys::console::error_1(
                    &format!("training worker error: {}", event.message()).into(),
                );
            });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        worker
            .post_message(&wasm_bindgen::module())
            .map_err(|error| format!("could not hand the module to the worker: {error:?}"))?;
        Ok(Self {
            worker,
            state,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// Sends a request, or queues it until the worker is ready.
    pub fn send(&self, request: &ToWorker) -> Result<(), String> {
        let value = serde_wasm_bindgen::to_value(request)
            .map_err(|error| format!("could not encode the request: {error}"))?;
        let mut state = self.state.borrow_mut();
        if state.ready {
            self.worker
                .post_message(&value)
                .map_err(|error| format!("could not reach the worker: {error:?}"))
        } else {
            state.pending.push(value);
            Ok(())
        }
    }
}

impl Drop for TrainingWorker {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

/// A blob URL for the module script that boots the worker on this same glue and module.
fn worker_script_url() -> Result<String, String> {
    let glue = GLUE_URL.with(String::clone);
    let glue = js_string_literal(&glue);
    let script = format!(
        "import init, {{ netsentry_worker_main }} from {glue};\n\
         self.addEventListener('message', async (event) => {{\n\
           await init({{ module_or_path: event.data }});\n\
           netsentry_worker_main();\n\
         }}, {{ once: true }});\n"
    );
    let parts = js_sys::Array::of1(&JsValue::from_str(&script));
    let options = BlobPropertyBag::new();
    options.set_type("text/javascript");
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|error| format!("could not build the worker script: {error:?}"))?;
    Url::create_object_url_with_blob(&blob)
        .map_err(|error| format!("could not build the worker script: {error:?}"))
}

/// `text` as a JavaScript string literal.
fn js_string_literal(text: &str) -> String {
    js_sys::JSON::stringify(&JsValue::from_str(text))
        .ok()
        .and_then(|literal| literal.as_string())
        .unwrap_or_else(|| format!("{text:?}"))
}

/// The worker's entry point, called by its boot script once the module is initialised.
#[wasm_bindgen]
pub fn netsentry_worker_main() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        match serde_wasm_bindgen::from_value::<ToWorker>(event.data()) {
            Ok(request) => wasm_bindgen_futures::spawn_local(handle(request)),
            Err(error) => reply(&FromWorker::Failed(format!(
                "the worker could not read a request: {error}"
            ))),
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    reply(&FromWorker::Ready);
}

/// Loads `files` and tells the page how it goes; the flows stay in the worker for training, and
/// only the report crosses to the page.
async fn load(files: Vec<web_sys::File>, options: crate::data::ingest::IngestOptions) {
    let loaded =
        super::files::ingest_files(&files, options, super::files::SLICE_BYTES, |progress| {
            reply(&FromWorker::Progress(progress.clone()));
        })
        .await;
    match loaded {
        Ok((dataset, report)) => {
            super::session::keep_dataset(dataset);
            reply(&FromWorker::Loaded(report));
            // A kept (trained or imported) model scores the new flows at once.
            super::transfer::score_kept(&reply).await;
        }
        Err(error) => reply(&FromWorker::LoadFailed(error.to_string())),
    }
}

/// The bundled sample as a `File`, fetched from the page's own assets.
async fn fetch_sample(url: &str) -> Result<web_sys::File, String> {
    let describe = |error: JsValue| {
        format!(
            "could not read the bundled sample from {url}: {error:?}; reload the page or load your own CSV files"
        )
    };
    let call = |target: &JsValue,
                method: &str,
                argument: Option<&JsValue>|
     -> Result<js_sys::Promise, String> {
        let function: js_sys::Function = js_sys::Reflect::get(target, &method.into())
            .map_err(describe)?
            .dyn_into()
            .map_err(describe)?;
        let result = match argument {
            Some(argument) => function.call1(target, argument),
            None => function.call0(target),
        };
        result.map_err(describe)?.dyn_into().map_err(describe)
    };
    let response = JsFuture::from(call(&js_sys::global(), "fetch", Some(&url.into()))?)
        .await
        .map_err(describe)?;
    let ok = js_sys::Reflect::get(&response, &"ok".into()).map_err(describe)?;
    if ok != JsValue::TRUE {
        let status = js_sys::Reflect::get(&response, &"status".into())
            .ok()
            .and_then(|status| status.as_f64())
            .unwrap_or(0.0);
        return Err(format!(
            "could not read the bundled sample from {url} (HTTP {status}): serve the whole built site, cicids2017-sample.csv included, or load your own CSV files"
        ));
    }
    let blob = JsFuture::from(call(&response, "blob", None)?)
        .await
        .map_err(describe)?;
    web_sys::File::new_with_blob_sequence(&js_sys::Array::of1(&blob), "cicids2017-sample.csv")
        .map_err(describe)
}

async fn handle(request: ToWorker) {
    match request {
        ToWorker::Load { files, options } => {
            let files: Vec<web_sys::File> = js_sys::Array::from(&files)
                .iter()
                .filter_map(|file| file.dyn_into().ok())
                .collect();
            if files.is_empty() {
                reply(&FromWorker::LoadFailed("no files were given".to_owned()));
            } else {
                load(files, options).await;
            }
        }
        ToWorker::Train { options } => super::training::train(options, reply).await,
        ToWorker::TrainAgent(request) => super::agent_job::train(request, reply).await,
        ToWorker::Stop => super::session::stop(),
        ToWorker::Pause(paused) => super::session::pause(paused),
        ToWorker::Export(export) => super::transfer::export(export, reply).await,
        ToWorker::Import { file } => match file.dyn_into::<web_sys::File>() {
            Ok(file) => super::transfer::import(file, reply).await,
            Err(_) => reply(&FromWorker::Transfer(Err("no file was given".to_owned()))),
        },
        ToWorker::Explain { row } => {
            reply(&FromWorker::Explained(super::training::explain(row).await));
        }
        ToWorker::LoadSample { url } => match fetch_sample(&url).await {
            Ok(file) => load(vec![file], Default::default()).await,
            Err(error) => reply(&FromWorker::LoadFailed(error)),
        },
        ToWorker::CheckBackend { preference, steps } => {
            let selected = backend::select(preference).await;
            reply(&FromWorker::Backend(selected.info.clone()));
            super::session::keep_backend(selected.clone());
            if let Err(error) = super::transfer::move_kept(&selected.device).await {
                reply(&FromWorker::Failed(error));
            }
            match probe::run(&selected.device, steps, 42).await {
                Ok(report) => reply(&FromWorker::Checked(report)),
                Err(error) => reply(&FromWorker::Failed(format!(
                    "{} could not train: {error}",
                    selected.info.label()
                ))),
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
