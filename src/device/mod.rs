//! Which burn device the detectors run on: WebGPU (or Vulkan and Metal natively) when an adapter
//! is there and wins a short training race against the CPU, burn's CPU backend otherwise, and a
//! probe that tells a user what their device can do. Beside `platform`, which holds the browser
//! calls this needs; the detectors themselves (`model`) take any device.

pub mod backend;
pub mod probe;
pub mod race;
