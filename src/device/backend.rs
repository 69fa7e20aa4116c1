//! Which burn device the models run on, and why: the page's badge and the CLI tell the user.
//!
//! The GPU path is burn's wgpu runtime (WebGPU in a browser; Vulkan, Metal or GL natively). It
//! can be initialised only once per process or page, so the outcome is cached. With a hardware
//! adapter, `Auto` races it against the CPU (see [`super::race`]) and takes the faster, and the
//! badge shows both figures. A software adapter (SwiftShader in Chromium, llvmpipe/lavapipe
//! natively) reports a CPU device type and trains about 800× slower than burn's `flex` CPU
//! backend (docs/performance.md, "Model benchmark"), so `Auto` takes the CPU there without racing: one of its
//! steps alone takes seconds.

use std::sync::OnceLock;

use burn::prelude::Device;
use burn::tensor::wgpu::wgpu;
use serde::{Deserialize, Serialize};

use super::race::{Race, race};

/// What the user asked for; `Auto` unless they override it. Also the command line's
/// `--backend` values, spelled the same for every command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum BackendPreference {
    /// A hardware GPU (wgpu: Vulkan, Metal, DirectX, GL) if it trains faster than the CPU in a
    /// short race, else the CPU.
    #[default]
    Auto,
    /// The GPU adapter whatever it is, even a software one (slow; for checking the GPU path);
    /// the CPU only if there is none.
    #[cfg_attr(feature = "cli", value(alias = "wgpu"))]
    Gpu,
    /// burn's CPU backend, without touching the GPU: the same numbers for the same seed.
    Cpu,
}

/// The backend in use, in the words shown to the user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum BackendInfo {
    /// burn's wgpu runtime on a GPU adapter.
    Gpu {
        /// The graphics API wgpu runs on: "WebGPU", "Vulkan", "Metal", "OpenGL" or "DirectX 12".
        api: String,
        /// The adapter's own description, as the browser or driver reports it.
        adapter: String,
        /// `Auto`'s race it won; none when the user asked for the GPU.
        race: Option<Race>,
    },
    /// burn's `flex` CPU backend.
    Cpu {
        /// Why the GPU is not used, phrased to follow "CPU (".
        reason: String,
    },
}

impl BackendInfo {
    /// The badge text: "WebGPU · <adapter>", with the race it won, or "CPU (<reason>)".
    pub fn label(&self) -> String {
        match self {
            Self::Gpu {
                api,
                adapter,
                race: None,
            } => format!("{api} · {adapter}"),
            Self::Gpu {
                api,
                adapter,
                race: Some(race),
            } => format!(
                "{api} · {adapter} (faster here: {} training rows/s against the CPU's {})",
                whole(race.gpu),
                whole(race.cpu)
            ),
            Self::Cpu { reason } => format!("CPU ({reason})"),
        }
    }

    /// Whether training runs on a GPU adapter.
    pub fn is_gpu(&self) -> bool {
        matches!(self, Self::Gpu { .. })
    }
}

/// A device to train on, with the description of it the user sees.
#[derive(Clone, Debug)]
pub struct Selected {
    /// The burn device; call `.autodiff()` on it for training.
    pub device: Device,
    /// What it is and why it was chosen.
    pub info: BackendInfo,
}

/// The one wgpu initialisation this process or page may make.
#[derive(Clone, Debug)]
struct GpuAdapter {
    device: Device,
    api: String,
    adapter: String,
    software: bool,
}

static GPU: OnceLock<Result<GpuAdapter, GpuUnavailable>> = OnceLock::new();

/// `Auto`'s race between the CPU and that GPU, run at most once.
static RACE: OnceLock<Result<Race, String>> = OnceLock::new();

/// Why there is no GPU to train on: wgpu's own words, or the browser's lack of WebGPU.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{0}")]
struct GpuUnavailable(String);

/// Picks the device for `preference`, initialising the GPU at most once (asynchronously, as a
/// browser requires), racing a hardware GPU against the CPU for `Auto`, and falling back to the
/// CPU with the reason when the GPU is missing or slower.
pub async fn select(preference: BackendPreference) -> Selected {
    #[cfg(target_arch = "wasm32")]
    crate::platform::run_static_constructors();
    if preference == BackendPreference::Cpu {
        return cpu("chosen in settings".to_owned());
    }
    let gpu = gpu().await;
    let raced = match gpu {
        Ok(adapter) if preference == BackendPreference::Auto && !adapter.software => {
            Some(raced(adapter).await)
        }
        _ => None,
    };
    choose(preference, gpu, raced)
}

/// The outcome of the one race this process or page runs (like the GPU initialisation): the
/// answer does not change while it runs, and every caller of `select` would otherwise train both
/// contenders again.
async fn raced(gpu: &GpuAdapter) -> Result<Race, String> {
    if RACE.get().is_none() {
        let outcome = race(&Device::flex(), &gpu.device)
            .await
            .map_err(|error| error.to_string());
        // A concurrent caller may have finished first; both raced the same devices.
        let _ = RACE.set(outcome);
    }
    RACE.get().expect("set above").clone()
}

/// The decision for `Auto` or `Gpu`, given what the one GPU initialisation found and, for `Auto`
/// with a hardware adapter, how the race went.
fn choose(
    preference: BackendPreference,
    gpu: Result<&GpuAdapter, &str>,
    raced: Option<Result<Race, String>>,
) -> Selected {
    let gpu = match gpu {
        Err(error) => return cpu(format!("{} unavailable: {error}", gpu_api_name())),
        Ok(gpu) => gpu,
    };
    let named = format!("{} · {}", gpu.api, gpu.adapter);
    if preference == BackendPreference::Gpu {
        return on_gpu(gpu, None);
    }
    if gpu.software {
        return cpu(format!(
            "{} adapter {} is a software renderer; the CPU backend is faster",
            gpu.api, gpu.adapter
        ));
    }
    match raced {
        Some(Ok(race)) if race.gpu_wins() => on_gpu(gpu, Some(race)),
        Some(Ok(race)) => cpu(format!(
            "faster here: {} training rows/s against {} on {named}",
            whole(race.cpu),
            whole(race.gpu)
        )),
        Some(Err(error)) => cpu(format!(
            "{named} failed the speed race ({error}); ask for the GPU by name to use it anyway"
        )),
        None => on_gpu(gpu, None),
    }
}

fn on_gpu(gpu: &GpuAdapter, race: Option<Race>) -> Selected {
    Selected {
        device: gpu.device.clone(),
        info: BackendInfo::Gpu {
            api: gpu.api.clone(),
            adapter: gpu.adapter.clone(),
            race,
        },
    }
}

/// `value` rounded, with thousands separated by commas, as the badge shows speeds.
fn whole(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

fn cpu(reason: String) -> Selected {
    Selected {
        device: Device::flex(),
        info: BackendInfo::Cpu { reason },
    }
}

/// The cached outcome of the one wgpu initialisation.
async fn gpu() -> Result<&'static GpuAdapter, &'static str> {
    if GPU.get().is_none() {
        let outcome = init_gpu().await;
        // A concurrent caller may have finished first; either result describes the same runtime.
        let _ = GPU.set(outcome);
    }
    match GPU.get().expect("set above") {
        Ok(gpu) => Ok(gpu),
        Err(error) => Err(error.0.as_str()),
    }
}

async fn init_gpu() -> Result<GpuAdapter, GpuUnavailable> {
    #[cfg(target_arch = "wasm32")]
    if !crate::platform::has_webgpu() {
        return Err(GpuUnavailable(
            "this browser has no navigator.gpu".to_owned(),
        ));
    }
    let (device, setup) = Device::wgpu_options()
        .init_with_setup_async()
        .await
        .map_err(|error| GpuUnavailable(error.to_string()))?;
    let info = setup.adapter.get_info();
    #[cfg(target_arch = "wasm32")]
    let name = match info.name.trim() {
        "" => crate::platform::webgpu_adapter_name().await,
        name => name.to_owned(),
    };
    #[cfg(not(target_arch = "wasm32"))]
    let name = info.name.trim().to_owned();
    Ok(GpuAdapter {
        device,
        api: api_name(setup.backend).to_owned(),
        adapter: if name.is_empty() {
            "unnamed adapter".to_owned()
        } else {
            name
        },
        software: info.device_type == wgpu::DeviceType::Cpu,
    })
}

fn gpu_api_name() -> &'static str {
    if cfg!(target_arch = "wasm32") {
        "WebGPU"
    } else {
        "GPU (wgpu)"
    }
}

fn api_name(backend: wgpu::Backend) -> &'static str {
    match backend {
        wgpu::Backend::BrowserWebGpu => "WebGPU",
        wgpu::Backend::Vulkan => "Vulkan",
        wgpu::Backend::Metal => "Metal",
        wgpu::Backend::Dx12 => "DirectX 12",
        wgpu::Backend::Gl => "OpenGL",
        _ => "wgpu",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_match_the_badge_wording() {
        let gpu = BackendInfo::Gpu {
            api: "WebGPU".into(),
            adapter: "Example GPU".into(),
            race: None,
        };
        assert_eq!(gpu.label(), "WebGPU · Example GPU");
        let cpu = BackendInfo::Cpu {
            reason: "WebGPU unavailable: no adapter".into(),
        };
        assert_eq!(cpu.label(), "CPU (WebGPU unavailable: no adapter)");
    }

    fn adapter(software: bool) -> GpuAdapter {
        GpuAdapter {
            device: Device::flex(),
            api: "WebGPU".into(),
            adapter: if software {
                "SwiftShader Device".into()
            } else {
                "Example GPU".into()
            },
            software,
        }
    }

    #[test]
    fn auto_prefers_the_cpu_over_a_software_adapter() {
        let selected = choose(BackendPreference::Auto, Ok(&adapter(true)), None);
        assert!(!selected.info.is_gpu());
        assert_eq!(
            selected.info.label(),
            "CPU (WebGPU adapter SwiftShader Device is a software renderer; the CPU backend is faster)"
        );
        let forced = choose(BackendPreference::Gpu, Ok(&adapter(true)), None);
        assert_eq!(forced.info.label(), "WebGPU · SwiftShader Device");
    }

    #[test]
    fn auto_takes_a_hardware_adapter_only_when_it_wins_the_race() {
        let won = Race {
            cpu: 36_055.4,
            gpu: 1_204_000.0,
        };
        let selected = choose(BackendPreference::Auto, Ok(&adapter(false)), Some(Ok(won)));
        assert_eq!(
            selected.info.label(),
            "WebGPU · Example GPU (faster here: 1,204,000 training rows/s against the CPU's 36,055)"
        );
        let lost = Race {
            cpu: 36_055.0,
            gpu: 912.0,
        };
        let selected = choose(BackendPreference::Auto, Ok(&adapter(false)), Some(Ok(lost)));
        assert_eq!(
            selected.info.label(),
            "CPU (faster here: 36,055 training rows/s against 912 on WebGPU · Example GPU)"
        );
        let failed = Some(Err("the device was lost".to_owned()));
        let selected = choose(BackendPreference::Auto, Ok(&adapter(false)), failed);
        assert_eq!(
            selected.info.label(),
            "CPU (WebGPU · Example GPU failed the speed race (the device was lost); ask for the GPU by name to use it anyway)"
        );
        // Asked for by name, the GPU is taken without a race.
        let forced = choose(BackendPreference::Gpu, Ok(&adapter(false)), Some(Ok(lost)));
        assert_eq!(forced.info.label(), "WebGPU · Example GPU");
    }

    #[test]
    fn a_missing_gpu_falls_back_to_the_cpu_with_the_reason() {
        let selected = choose(BackendPreference::Gpu, Err("no adapter found"), None);
        let expected = format!("CPU ({} unavailable: no adapter found)", gpu_api_name());
        assert_eq!(selected.info.label(), expected);
    }

    #[test]
    fn cpu_preference_never_touches_the_gpu() {
        let selected = pollster::block_on(select(BackendPreference::Cpu));
        assert_eq!(
            selected.info,
            BackendInfo::Cpu {
                reason: "chosen in settings".into()
            }
        );
        assert!(GPU.get().is_none());
    }
}
