//! Neural models and the burn device they train on, written once for any `Device`.

pub mod autoencoder;
pub mod backend;
pub mod config;
pub mod fit;
pub mod held_out;
pub mod network;
pub mod probe;
pub mod saved;
pub mod score;
pub mod scored_csv;
pub mod train;
pub mod vae;
pub mod weights;
