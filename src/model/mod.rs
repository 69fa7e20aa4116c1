//! Neural models and the burn device they train on, written once for any `Device`.

pub mod backend;
pub mod probe;
