//! The worker's training job: the autoencoder trained on the loaded flows a few batches at a
//! time, with progress posted after each step and the event loop given a turn between steps so a
//! Stop request is read within one step; then the model is evaluated on the flows it did not
//! train or tune on.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use burn::prelude::Device;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::protocol::FromWorker;
use crate::data::dataset::Dataset;
use crate::model::backend::{self, BackendPreference};
use crate::model::fit::{self, FitOptions};
use crate::model::held_out::{evaluate_rows, rows_to_evaluate};

/// Mini-batches per training step: about 10 ms on the CPU backend, so Stop is read quickly.
const BATCHES_PER_STEP: usize = 4;
/// Least time between progress messages, so the page redraws a few times a second at most.
const PROGRESS_EVERY_MS: f64 = 100.0;

thread_local! {
    /// The flows of the last load that worked.
    static DATASET: RefCell<Option<Rc<Dataset>>> = const { RefCell::new(None) };
    /// The device the backend check chose.
    static DEVICE: RefCell<Option<Device>> = const { RefCell::new(None) };
    /// Set by a Stop request; read between training steps.
    static STOP: Cell<bool> = const { Cell::new(false) };
}

/// Keeps the flows of a load for training.
pub fn keep_dataset(dataset: Dataset) {
    DATASET.with(|held| *held.borrow_mut() = Some(Rc::new(dataset)));
}

/// Keeps the device the backend check chose.
pub fn keep_device(device: Device) {
    DEVICE.with(|held| *held.borrow_mut() = Some(device));
}

/// Asks the running job to stop after its current step.
pub fn stop() {
    STOP.with(|stop| stop.set(true));
}

/// Gives the worker's event loop a turn (so messages such as Stop are handled).
async fn next_tick() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let set_timeout = js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into())
            .ok()
            .and_then(|function| function.dyn_into::<js_sys::Function>().ok());
        match set_timeout {
            Some(set_timeout) => {
                let _ = set_timeout.call2(&JsValue::NULL, &resolve, &JsValue::from(0));
            }
            None => {
                let _ = resolve.call0(&JsValue::NULL);
            }
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Trains the autoencoder on the kept flows, posting progress, then its evaluation.
pub async fn train(options: FitOptions, reply: impl Fn(&FromWorker)) {
    if let Err(error) = run(options, &reply).await {
        reply(&FromWorker::TrainFailed(error));
    }
}

async fn run(options: FitOptions, reply: &impl Fn(&FromWorker)) -> Result<(), String> {
    let dataset = DATASET
        .with(|held| held.borrow().clone())
        .ok_or("load flows first: the autoencoder trains on the BENIGN rows of the loaded files")?;
    let device = match DEVICE.with(|held| held.borrow().clone()) {
        Some(device) => device,
        None => backend::select(BackendPreference::Auto).await.device,
    };
    STOP.with(|stop| stop.set(false));
    let (plan, mut trainer) =
        fit::start(&device, &dataset, &options).map_err(|error| error.to_string())?;
    let mut last_sent: Option<web_time::Instant> = None;
    loop {
        let progress = trainer
            .step(BATCHES_PER_STEP)
            .await
            .map_err(|error| error.to_string())?;
        let done = progress.finished.is_some();
        let stopping = STOP.with(Cell::get);
        let due =
            last_sent.is_none_or(|sent| sent.elapsed().as_secs_f64() * 1000.0 >= PROGRESS_EVERY_MS);
        if due || done || stopping {
            reply(&FromWorker::Training(progress));
            last_sent = Some(web_time::Instant::now());
        }
        if done || stopping {
            break;
        }
        next_tick().await;
    }
    let (model, _) = fit::finish(&plan, &trainer, &dataset, &options, &device).await?;
    let (rows, _) = rows_to_evaluate(&model, &dataset, false)?;
    reply(&FromWorker::Evaluated(
        evaluate_rows(&model, &dataset, &rows, &device).await?,
    ));
    Ok(())
}
