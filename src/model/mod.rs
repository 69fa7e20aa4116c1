//! The detectors (neural networks and the classic peers) and the burn device they run on,
//! written once for any `Device`.

pub mod autoencoder;
pub mod backend;
pub mod classic;
pub mod config;
pub mod cross_fit;
pub mod detector;
pub mod ensemble;
pub mod fit;
pub mod held_out;
pub mod learning_curve;
pub mod network;
pub mod probe;
pub mod race;
pub mod saved;
pub mod score;
pub mod scored_csv;
pub mod train;
pub mod vae;
pub mod weights;
