//! Form controls the panels share: the Train/Stop button and a labelled number field that only
//! passes on values in range.

use leptos::prelude::*;

/// A button reading "Train", or "Stop" while `running`, and while running a second one reading
/// "Pause" or "Resume"; `on_start`, `on_stop` and `on_pause` (with the new paused state) act on
/// clicks. Train is disabled while `busy` (another job runs in the worker). Test ids: `testid` and
/// `pause_testid`.
#[component]
pub fn RunButton(
    running: Memo<bool>,
    paused: Memo<bool>,
    testid: &'static str,
    pause_testid: &'static str,
    on_start: Callback<()>,
    on_stop: Callback<()>,
    on_pause: Callback<bool>,
    busy: Signal<bool>,
) -> impl IntoView {
    view! {
        <div class="buttons">
            <button
                type="button"
                class="action"
                data-testid=testid
                prop:disabled=move || busy.get() && !running.get()
                on:click=move |_| {
                    if running.get_untracked() { on_stop.run(()) } else { on_start.run(()) }
                }
            >
                {move || if running.get() { "Stop" } else { "Train" }}
            </button>
            <Show when=move || running.get()>
                <button
                    type="button"
                    class="speed"
                    data-testid=pause_testid
                    aria-pressed=move || paused.get().to_string()
                    on:click=move |_| on_pause.run(!paused.get_untracked())
                >
                    {move || if paused.get() { "Resume" } else { "Pause" }}
                </button>
            </Show>
        </div>
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
