//! The browser app, compiled only for `wasm32`, split at the thread boundary: `page/` draws and
//! asks (leptos, on the main thread), `worker/` loads, trains and scores (in a Web Worker), and
//! `protocol` is the vocabulary both speak, importing neither.

pub mod page;
pub mod protocol;
pub mod worker;
