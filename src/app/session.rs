//! What the worker keeps between requests: the loaded flows, the device, the last trained model
//! and agent run, and the Stop flag; plus the pause that lets a Stop request in between steps.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use burn::prelude::Device;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::data::dataset::Dataset;
use crate::model::backend::{self, BackendPreference, Selected};
use crate::model::saved::SavedModel;
use crate::rl::saved::SavedAgent;

thread_local! {
    static DATASET: RefCell<Option<Rc<Dataset>>> = const { RefCell::new(None) };
    static BACKEND: RefCell<Option<Selected>> = const { RefCell::new(None) };
    static MODEL: RefCell<Option<Rc<SavedModel>>> = const { RefCell::new(None) };
    static STOP: Cell<bool> = const { Cell::new(false) };
    static PAUSED: Cell<bool> = const { Cell::new(false) };
}

/// Keeps the flows of a load that worked.
pub fn keep_dataset(dataset: Dataset) {
    DATASET.with(|held| *held.borrow_mut() = Some(Rc::new(dataset)));
}

/// The flows of the last load that worked, or a message saying to load some.
pub fn dataset() -> Result<Rc<Dataset>, String> {
    DATASET
        .with(|held| held.borrow().clone())
        .ok_or_else(|| "load flows first (your CSV files or the sample)".to_owned())
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
    MODEL.with(|held| *held.borrow_mut() = Some(Rc::new(model)));
    AGENT.with(|held| *held.borrow_mut() = None);
}

/// The model trained or imported last, or a message saying to train one.
pub fn model() -> Result<Rc<SavedModel>, String> {
    MODEL
        .with(|held| held.borrow().clone())
        .ok_or_else(|| "train the autoencoder first (or import a model file)".to_owned())
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

/// Whether at least `every_ms` passed since `last` (or nothing was sent yet): progress messages
/// are spaced so the page redraws a few times a second at most.
pub fn due(last: Option<web_time::Instant>, every_ms: f64) -> bool {
    last.is_none_or(|sent| sent.elapsed().as_secs_f64() * 1000.0 >= every_ms)
}

thread_local! {
    static AGENT: RefCell<Option<Rc<SavedAgent>>> = const { RefCell::new(None) };
}

/// Keeps the agent trained (or imported) last, with its model, for export.
pub fn keep_agent(agent: SavedAgent) {
    AGENT.with(|held| *held.borrow_mut() = Some(Rc::new(agent)));
}

/// The agent trained or imported last, or a message saying to train one.
pub fn agent() -> Result<Rc<SavedAgent>, String> {
    AGENT
        .with(|held| held.borrow().clone())
        .ok_or_else(|| "train an agent first".to_owned())
}
