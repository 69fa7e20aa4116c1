//! The worker's export and import jobs: the kept model or agent as a safetensors file (tensors
//! under PyTorch names, with everything needed to score a new CSV identically), the loaded flows
//! scored as CSV, and a model or agent file read back so new files are scored without retraining.
//! Files go to the page as `[name, Blob]` arrays, the Blob passed as it is, which the page offers
//! as downloads.

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::error::{Failure, JobError};
use super::{agent_job, session, training};
use crate::app::protocol::{Export, FromWorker, JobFailure};
use crate::model::saved::{ModelFileError, SavedModel};
use crate::model::score::scored_csv::{DEFAULT_TOP, write_scored};
use crate::rl::saved::SavedAgent;

/// Builds the file for `export` and posts it to the page, or says why not.
pub async fn export(export: Export, reply: impl Fn(&FromWorker)) {
    match build(export).await.and_then(|(name, kind, bytes)| {
        post_file(&name, kind, &bytes)?;
        Ok(name)
    }) {
        Ok(name) => reply(&FromWorker::Transfer(Ok(format!("Saved {name}.")))),
        Err(error) => reply(&FromWorker::Transfer(Err(JobFailure::of(&*error)))),
    }
}

async fn build(export: Export) -> Result<(String, &'static str, Vec<u8>), Failure> {
    const BINARY: &str = "application/octet-stream";
    match export {
        Export::Model => {
            let bytes = session::model()?.to_bytes().await?;
            Ok(("netsentry-model.safetensors".to_owned(), BINARY, bytes))
        }
        Export::Agent => {
            let agent = session::agent()?;
            let bytes = agent.to_bytes().await?;
            let name = format!(
                "netsentry-agent-{}.safetensors",
                agent.meta.plan.algorithm.name().to_lowercase()
            );
            Ok((name, BINARY, bytes))
        }
        Export::ScoredFlows => {
            let model = session::model()?;
            let dataset = session::dataset()?;
            let device = session::device().await;
            let mut bytes = Vec::new();
            write_scored(&model, &dataset, &device, DEFAULT_TOP, &mut bytes).await?;
            Ok(("netsentry-scored-flows.csv".to_owned(), "text/csv", bytes))
        }
    }
}

/// Posts `bytes` to the page as `[name, Blob]`.
fn post_file(name: &str, kind: &str, bytes: &[u8]) -> Result<(), JobError> {
    let describe =
        |error: JsValue| JobError::browser(format!("could not hand {name} to the page"), &error);
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(kind);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(describe)?;
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    scope
        .post_message(&js_sys::Array::of2(&name.into(), &blob))
        .map_err(describe)
}

/// Reads a model or agent file and keeps it; with flows loaded, scores them (and compares the
/// agent) at once.
pub async fn import(file: web_sys::File, reply: impl Fn(&FromWorker)) {
    let name = file.name();
    let imported = match read(&file).await {
        Ok(bytes) => keep(&bytes).await,
        Err(error) => Err(error.into()),
    };
    let what = match imported {
        Ok(what) => what,
        Err(error) => {
            reply(&FromWorker::Transfer(Err(JobFailure::Other(format!(
                "{name}: {error}"
            )))));
            return;
        }
    };
    let loaded = session::dataset().is_ok();
    let next = if loaded {
        "; the loaded flows are scored with it"
    } else {
        "; load flows to score them with it"
    };
    reply(&FromWorker::Transfer(Ok(format!(
        "Imported {what} from {name}{next}."
    ))));
    if loaded {
        score_kept(&reply).await;
    }
}

/// With a model (and perhaps an agent) kept, evaluates it on the loaded flows and posts the
/// results, as after training.
pub async fn score_kept(reply: &impl Fn(&FromWorker)) {
    if session::model().is_err() {
        return;
    }
    match training::evaluate_model().await {
        Ok(results) => reply(&FromWorker::Evaluated(results)),
        Err(error) => reply(&FromWorker::TrainFailed(JobFailure::of(&*error))),
    }
    if session::agent().is_ok() {
        match agent_job::assess_kept().await {
            Ok(results) => reply(&FromWorker::AgentCompared(results)),
            Err(error) => reply(&FromWorker::AgentFailed(JobFailure::of(&*error))),
        }
    }
}

async fn read(file: &web_sys::File) -> Result<Vec<u8>, JobError> {
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(|error| JobError::browser("could not be read", &error))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// Keeps the agent (and its model) or the model in `bytes`; says which.
async fn keep(bytes: &[u8]) -> Result<String, Failure> {
    let device = session::device().await;
    match SavedAgent::from_bytes(bytes, &device) {
        Ok(agent) => {
            let what = format!(
                "a {} agent ({} episodes) with its model",
                agent.meta.plan.algorithm.name(),
                agent.meta.episodes_trained
            );
            session::keep_model(agent.model.clone());
            session::note_trained_on(None);
            session::keep_agent(agent);
            Ok(what)
        }
        Err(ModelFileError::NoAgent) => {
            let model = SavedModel::from_bytes(bytes, &device)?;
            let what = format!(
                "a model ({} features, threshold {:.4})",
                model.meta.scaler.features.len(),
                model.meta.threshold
            );
            session::keep_model(model);
            session::note_trained_on(None);
            Ok(what)
        }
        Err(error) => Err(error.into()),
    }
}

/// Moves the kept model and agent onto `device` (after the user picked another backend), through
/// their file bytes: the weights are read asynchronously, as WebGPU requires.
pub async fn move_kept(device: &burn::prelude::Device) -> Result<(), Failure> {
    let moved = |error: ModelFileError| JobError::Moved(error);
    let agent = session::agent().ok();
    if let Some(agent) = agent {
        let bytes = agent.to_bytes().await.map_err(moved)?;
        let agent = SavedAgent::from_bytes(&bytes, device).map_err(moved)?;
        session::keep_model(agent.model.clone());
        session::keep_agent(agent);
    } else if let Ok(model) = session::model() {
        let bytes = model.to_bytes().await.map_err(moved)?;
        session::keep_model(SavedModel::from_bytes(&bytes, device).map_err(moved)?);
    }
    Ok(())
}
