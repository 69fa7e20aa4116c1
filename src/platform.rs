//! The little the core needs from the browser, fenced here so `model` and the rest stay plain
//! Rust: running the module's static constructors once, and asking WebGPU what adapter it has.
//! Compiled for `wasm32` only.

/// Runs the wasm module's static constructors (cubecl registers its IR types with `inventory`)
/// once, before any device exists. Without an explicit call, wasm-ld treats the module as a
/// "command" and wraps *every* export in a call to the constructors, so each call from JavaScript
/// into the module (every DOM node or value handed to Rust) re-ran them: the page's results panel
/// took 650 ms to render on the main thread. Every device comes from `device::backend::select`, which calls this.
pub fn run_static_constructors() {
    unsafe extern "C" {
        fn __wasm_call_ctors();
    }
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: the constructors run once, before the code that reads what they register.
    ONCE.call_once(|| unsafe { __wasm_call_ctors() });
}

/// Browsers often leave `GPUAdapterInfo.description` empty (Chromium does for SwiftShader), and
/// wgpu passes on only that; the vendor and architecture still name the adapter.
pub async fn webgpu_adapter_name() -> String {
    use js_sys::{Function, Promise, Reflect};
    use wasm_bindgen::JsCast;

    let field = |object: &wasm_bindgen::JsValue, name: &str| {
        Reflect::get(object, &name.into())
            .ok()
            .and_then(|value| value.as_string())
            .unwrap_or_default()
    };
    let adapter = async {
        let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
        let gpu = Reflect::get(&navigator, &"gpu".into()).ok()?;
        let request: Function = Reflect::get(&gpu, &"requestAdapter".into())
            .ok()?
            .dyn_into()
            .ok()?;
        let promise: Promise = request.call0(&gpu).ok()?.dyn_into().ok()?;
        let adapter = wasm_bindgen_futures::JsFuture::from(promise).await.ok()?;
        Reflect::get(&adapter, &"info".into()).ok()
    };
    let Some(info) = adapter.await else {
        return String::new();
    };
    match field(&info, "description") {
        description if !description.is_empty() => description,
        _ => [field(&info, "vendor"), field(&info, "architecture")]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// wgpu panics rather than failing when `navigator.gpu` is absent, so look before asking.
pub fn has_webgpu() -> bool {
    let navigator = js_sys::Reflect::get(&js_sys::global(), &"navigator".into());
    navigator
        .and_then(|navigator| js_sys::Reflect::get(&navigator, &"gpu".into()))
        .is_ok_and(|gpu| !gpu.is_undefined() && !gpu.is_null())
}
