//! What the worker keeps between requests: the loaded flows, the device, the last trained model
//! and agent run, and the Stop flag; plus the pause that lets a Stop request in between steps.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::thread::LocalKey;

use burn::prelude::Device;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::error::JobError;
use crate::data::dataset::Dataset;
use crate::device::backend::{self, BackendPreference, Selected};
use crate::model::saved::SavedModel;
use crate::rl::saved::SavedAgent;

thread_local! {
    static DATASET: RefCell<Option<Rc<Dataset>>> = const { RefCell::new(None) };
    static BACKEND: RefCell<Option<Selected>> = const { RefCell::new(None) };
    static MODEL: RefCell<Option<Rc<SavedModel>>> = const { RefCell::new(None) };
    static AGENT: RefCell<Option<Rc<SavedAgent>>> = const { RefCell::new(None) };
    static LOADED_FROM: RefCell<String> = const { RefCell::new(String::new()) };
    static TRAINED_ON: RefCell<Option<String>> = const { RefCell::new(None) };
    static STOP: Cell<bool> = const { Cell::new(false) };
    static PAUSED: Cell<bool> = const { Cell::new(false) };
}

/// A kept thing, shared with the jobs that use it.
type Slot<T> = LocalKey<RefCell<Option<Rc<T>>>>;

/// Puts `value` in `slot` (or empties it).
fn put<T>(slot: &'static Slot<T>, value: Option<T>) {
    slot.with(|held| *held.borrow_mut() = value.map(Rc::new));
}

/// What `slot` holds, or [`JobError::Missing`] saying what to do (`missing`).
fn get<T>(slot: &'static Slot<T>, missing: &'static str) -> Result<Rc<T>, JobError> {
    slot.with(|held| held.borrow().clone())
        .ok_or(JobError::Missing(missing))
}

/// Keeps the flows of a load that worked, and where they came from in a few words (see
/// [`crate::data::report::IngestReport::sources`]), for what the evaluation says it tested on.
pub fn keep_dataset(dataset: Dataset, sources: String) {
    put(&DATASET, Some(dataset));
    LOADED_FROM.with(|held| *held.borrow_mut() = sources);
}

/// Where the kept flows came from, in a few words.
pub fn loaded_from() -> String {
    LOADED_FROM.with(|held| held.borrow().clone())
}

/// Notes where the kept model learnt from: the kept flows' sources after training here, none
/// for an imported model (its file does not say).
pub fn note_trained_on(sources: Option<String>) {
    TRAINED_ON.with(|held| *held.borrow_mut() = sources);
}

/// Where the kept model learnt from, when it was trained here.
pub fn trained_on() -> Option<String> {
    TRAINED_ON.with(|held| held.borrow().clone())
}

/// The flows of the last load that worked, or a message saying to load some.
pub fn dataset() -> Result<Rc<Dataset>, JobError> {
    get(&DATASET, "load flows first (your CSV files or the sample)")
}

/// Keeps the backend the check (or a fallback) chose.
pub fn keep_backend(selected: Selected) {
    BACKEND.with(|held| *held.borrow_mut() = Some(selected));
}

/// The backend to train on: the one kept, else the automatic choice.
pub async fn backend() -> Selected {
    match BACKEND.with(|held| held.borrow().clone()) {
        Some(selected) => selected,
        None => backend::select(BackendPreference::Auto).await,
    }
}

/// The device to train on (see [`backend`]).
pub async fn device() -> Device {
    backend().await.device
}

/// Keeps the model trained (or imported) last; the agent and the explanations use it. An agent
/// kept before learnt from another model's view of the flows, so it is dropped.
pub fn keep_model(model: SavedModel) {
    put(&MODEL, Some(model));
    put(&AGENT, None);
}

/// The model trained or imported last, or a message saying to train one.
pub fn model() -> Result<Rc<SavedModel>, JobError> {
    get(
        &MODEL,
        "train the autoencoder first (or import a model file)",
    )
}

/// Asks the running job to stop after its current step.
pub fn stop() {
    STOP.with(|stop| stop.set(true));
}

/// Clears the Stop and Pause flags as a job starts.
pub fn clear_stop() {
    STOP.with(|stop| stop.set(false));
    PAUSED.with(|paused| paused.set(false));
}

/// Pauses (or resumes) the running job between its steps.
pub fn pause(paused: bool) {
    PAUSED.with(|flag| flag.set(paused));
}

/// Waits while the job is paused and not stopped, checking a few times a second.
pub async fn wait_while_paused() {
    while PAUSED.with(Cell::get) && !stopping() {
        sleep(100).await;
    }
}

/// Whether Stop was asked for since the job started.
pub fn stopping() -> bool {
    STOP.with(Cell::get)
}

/// Gives the worker's event loop a turn (so messages such as Stop are handled).
pub async fn next_tick() {
    sleep(0).await;
}

/// Resolves after `ms` milliseconds of the worker's event loop.
async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let set_timeout = js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into())
            .ok()
            .and_then(|function| function.dyn_into::<js_sys::Function>().ok());
        match set_timeout {
            Some(set_timeout) => {
                let _ = set_timeout.call2(&JsValue::NULL, &resolve, &JsValue::from(ms));
            }
            None => {
                let _ = resolve.call0(&JsValue::NULL);
            }
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Least time between progress messages.
const PROGRESS_EVERY_MS: f64 = 100.0;

/// Whether a progress message is due: [`PROGRESS_EVERY_MS`] passed since `last` (or nothing was
/// sent yet), so the page redraws a few times a second at most.
pub fn due(last: Option<web_time::Instant>) -> bool {
    last.is_none_or(|sent| sent.elapsed().as_secs_f64() * 1000.0 >= PROGRESS_EVERY_MS)
}

/// Keeps the agent trained (or imported) last, with its model, for export.
pub fn keep_agent(agent: SavedAgent) {
    put(&AGENT, Some(agent));
}

/// The agent trained or imported last, or a message saying to train one.
pub fn agent() -> Result<Rc<SavedAgent>, JobError> {
    get(&AGENT, "train an agent first")
}
