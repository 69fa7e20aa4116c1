//! NetSentry: network-flow anomaly detection that trains in the browser.
//!
//! The pipeline runs one way, one module per stage: `data` (CSV ingest, splits, scaling) feeds
//! `model` (the detectors, on the burn device that `device` chooses), measured by `metrics`, all
//! shown by the browser `app`. The same core compiles natively for the `netsentry` CLI and to `wasm32` for the
//! page, where training runs in a Web Worker on WebGPU or on burn's CPU backend. Natively,
//! `engine` puts a trained model into SQL (Apache DataFusion, Ballista).

pub mod data;
pub mod device;
pub mod metrics;
pub mod model;
pub mod rl;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod platform;

#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "engine")]
pub mod engine;
