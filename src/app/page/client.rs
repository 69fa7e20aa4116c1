//! The page's way to the worker. [`TrainingWorker`] starts the Web Worker on this same wasm
//! module (a small module script imports the wasm-bindgen glue, found through the glue's own
//! `import.meta.url`, hands it the already compiled `WebAssembly.Module` and calls
//! `netsentry_worker_main`); requests sent before the worker says [`FromWorker::Ready`] wait in a
//! queue. [`WorkerClient`], from context, is what panels use: it sends requests and tells every
//! listener what was sent and what came back, so each panel keeps its own view of the work.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, BlobPropertyBag, MessageEvent, Url, Worker};
use web_sys::{WorkerOptions, WorkerType};

use crate::app::protocol::{FromWorker, JobFailure, ToWorker};

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
                        on_message(FromWorker::Transfer(Err(JobFailure::Other(error))));
                    }
                    return;
                }
                let message =
                    serde_wasm_bindgen::from_value::<FromWorker>(data).unwrap_or_else(|error| {
                        FromWorker::Failed(JobFailure::Other(format!(
                            "unreadable message from the worker: {error}"
                        )))
                    });
                if message == FromWorker::Ready {
                    let mut state = state.borrow_mut();
                    state.ready = true;
                    if let Some(url) = state.script_url.take() {
                        Url::revoke_object_url(&url).ok();
                    }
                    for request in state.pending.drain(..) {
                        if let Err(error) = worker.post_message(&request) {
                            on_message(FromWorker::Failed(JobFailure::Other(format!(
                                "could not reach the worker: {error:?}"
                            ))));
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

/// What a listener hears: a request on its way to the worker, or the worker's reply (a request
/// that could not be sent comes back as the failure reply it stands for, see
/// [`ToWorker::unsent`]).
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    /// A request the page sent.
    Sent(&'a ToWorker),
    /// What the worker said.
    Reply(&'a FromWorker),
}

/// Everything that hears the worker.
type Listeners = Rc<RefCell<Vec<Listener>>>;

/// One subscriber to the client's events.
type Listener = Rc<dyn Fn(Event)>;

/// The page's client of the worker, shared through leptos context: panels send requests with it
/// and listen to what happens.
#[derive(Clone, Copy)]
pub struct WorkerClient {
    worker: StoredValue<Result<TrainingWorker, String>, LocalStorage>,
    listeners: StoredValue<Listeners, LocalStorage>,
}

impl WorkerClient {
    /// Starts the worker and provides the client to every component below the caller.
    pub fn provide() -> Self {
        let listeners = Listeners::default();
        let worker = {
            let listeners = Rc::clone(&listeners);
            TrainingWorker::spawn(move |message| dispatch(&listeners, Event::Reply(&message)))
        };
        Self::provide_with(worker, listeners)
    }

    /// A client with no worker behind it, provided like [`WorkerClient::provide`]: every request
    /// fails with `why`, and replies come only through [`WorkerClient::deliver`]. Component tests
    /// use it.
    pub fn provide_detached(why: &str) -> Self {
        Self::provide_with(Err(why.to_owned()), Listeners::default())
    }

    fn provide_with(worker: Result<TrainingWorker, String>, listeners: Listeners) -> Self {
        let client = Self {
            worker: StoredValue::new_local(worker),
            listeners: StoredValue::new_local(listeners),
        };
        provide_context(client);
        client
    }

    /// The client provided above the calling component.
    pub fn expect() -> Self {
        expect_context()
    }

    /// Tells every listener about `request`, then sends it; if it cannot be sent, listeners hear
    /// the failure reply it stands for.
    pub fn send(&self, request: ToWorker) {
        self.deliver_event(Event::Sent(&request));
        let sent = self.worker.with_value(|worker| match worker {
            Ok(worker) => worker.send(&request),
            Err(error) => Err(format!("the background worker did not start: {error}")),
        });
        if let Err(error) = sent {
            self.deliver(&request.unsent(error));
        }
    }

    /// Hands `reply` to every listener as if the worker had sent it.
    pub fn deliver(&self, reply: &FromWorker) {
        self.deliver_event(Event::Reply(reply));
    }

    /// Calls `listener` with every request sent and every reply from now on.
    pub fn listen(&self, listener: impl Fn(Event) + 'static) {
        let listeners = self.listeners.get_value();
        listeners.borrow_mut().push(Rc::new(listener));
    }

    /// A signal that is true from a request `starts` matches until a reply `ends` matches: a job
    /// of the worker's in progress, as another panel sees it.
    pub fn running(
        &self,
        starts: fn(&ToWorker) -> bool,
        ends: fn(&FromWorker) -> bool,
    ) -> ReadSignal<bool> {
        let (running, set_running) = signal(false);
        self.listen(move |event| match event {
            Event::Sent(request) if starts(request) => set_running.set(true),
            Event::Reply(reply) if ends(reply) => set_running.set(false),
            _ => {}
        });
        running
    }

    fn deliver_event(&self, event: Event) {
        dispatch(&self.listeners.get_value(), event);
    }
}

/// Calls each listener with `event`; a listener may send (and so dispatch) in turn.
fn dispatch(listeners: &Listeners, event: Event) {
    let listeners: Vec<Listener> = listeners.borrow().clone();
    for listener in listeners {
        listener(event);
    }
}
