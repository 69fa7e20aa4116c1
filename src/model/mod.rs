//! The detectors (neural networks and the classic peers), written once for any burn `Device`
//! (`device` chooses which).

pub mod batches;
pub mod classic;
pub mod config;
pub mod detector;
pub mod ensemble;
pub mod fit;
pub mod network;
pub mod saved;
pub mod score;
pub mod weights;
