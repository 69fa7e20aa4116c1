//! Form controls the panels share: the Train/Stop button and a labelled number field that only
//! passes on values in range.

use leptos::prelude::*;

/// A button reading "Train", or "Stop" while `running`; `on_start` and `on_stop` act on a click.
#[component]
pub fn RunButton(
    running: Memo<bool>,
    testid: &'static str,
    on_start: Callback<()>,
    on_stop: Callback<()>,
) -> impl IntoView {
    view! {
        <button
            type="button"
            class="action"
            data-testid=testid
            on:click=move |_| {
                if running.get_untracked() { on_stop.run(()) } else { on_start.run(()) }
            }
        >
            {move || if running.get() { "Stop" } else { "Train" }}
        </button>
    }
}

/// A labelled number input showing `value`; an edit within `min..=max` (multiples of `step`
/// where the browser enforces it) goes to `on_value`, anything else is ignored.
#[component]
pub fn NumberField(
    label: &'static str,
    value: Signal<f64>,
    min: f64,
    max: f64,
    #[prop(default = 1.0)] step: f64,
    #[prop(optional)] testid: &'static str,
    on_value: Callback<f64>,
) -> impl IntoView {
    view! {
        <label>
            {label} " "
            <input
                type="number"
                min=min
                max=max
                step=step
                data-testid=testid
                prop:value=move || value.get().to_string()
                on:change=move |event| {
                    let value = event_target_value(&event)
                        .trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|value| (min..=max).contains(value));
                    if let Some(value) = value {
                        on_value.run(value);
                    }
                }
            />
        </label>
    }
}
