//! What the panels share: the panel frame, the Train/Stop button, a labelled number field that
//! only passes on values in range, and the line that shows an error.

use leptos::prelude::*;

use super::glossary;

/// A panel of the page: a titled section (`id` names it for assistive technology) with a line
/// saying what it shows and why, then its `children`.
#[component]
pub fn Panel(
    id: &'static str,
    title: &'static str,
    explain: &'static str,
    children: Children,
) -> impl IntoView {
    let heading = format!("{id}-title");
    let labelled_by = heading.clone();
    view! {
        <section class="panel" id=format!("{id}-panel") aria-labelledby=labelled_by>
            <h2 id=heading>{title}</h2>
            <p class="explain">{explain}</p>
            {children()}
        </section>
    }
}

/// A ranking figure (ROC-AUC, PR-AUC) with four decimals, or "n/a" when it cannot be computed
/// (one class absent).
pub fn figure(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |value| format!("{value:.4}"))
}

/// A table's header row: one column heading per name, each a glossary term where it is one.
pub fn table_head(columns: &'static [&'static str]) -> impl IntoView {
    let headings = columns
        .iter()
        .map(|column| view! { <th scope="col">{glossary::word(column)}</th> })
        .collect_view();
    view! {
        <thead>
            <tr>{headings}</tr>
        </thead>
    }
}

/// The error of the last attempt, if any, as an alert.
pub fn error_line(error: Option<String>) -> impl IntoView {
    error.map(|error| view! { <p class="error" role="alert">{error}</p> })
}

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

/// How often a live region may speak while its text keeps changing: a listener follows a
/// sentence every few seconds, not several a second.
const ANNOUNCE_EVERY_MS: f64 = 5_000.0;

/// What a screen reader hears of a status that changes many times a second (training, the
/// replay): a visually hidden live region that repeats `text` at most every five seconds, and at
/// once when `settled` (the run ended or paused), so the last word is always said. The visible
/// status beside it is not a live region.
#[component]
pub fn Announce(
    #[prop(into)] text: Signal<String>,
    #[prop(into)] settled: Signal<bool>,
) -> impl IntoView {
    let said = RwSignal::new(String::new());
    let last = StoredValue::new(f64::NEG_INFINITY);
    Effect::new(move |_| {
        let text = text.get();
        let now = js_sys::Date::now();
        if settled.get() || now - last.get_value() >= ANNOUNCE_EVERY_MS {
            last.set_value(now);
            said.set(text);
        }
    });
    view! { <p class="visually-hidden" role="status">{move || said.get()}</p> }
}

/// A [`Choice`]'s options from one of the core's lists (`$all`, a constant array), each item's
/// `$value()` and `$text()` (both `const fn`s), built at compile time: the page names nothing the
/// core does not.
macro_rules! choices {
    ($all:expr, $value:ident, $text:ident) => {{
        let mut options = [("", ""); $all.len()];
        let mut index = 0;
        while index < options.len() {
            options[index] = ($all[index].$value(), $all[index].$text());
            index += 1;
        }
        options
    }};
}
pub(crate) use choices;

/// A labelled drop-down of `options` (value, text) showing the one whose value is `value`; the
/// value of each choice goes to `on_choice`. `disabled` greys it out.
#[component]
pub fn Choice(
    label: &'static str,
    testid: &'static str,
    options: &'static [(&'static str, &'static str)],
    #[prop(into)] value: Signal<String>,
    on_choice: Callback<String>,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    let options = options
        .iter()
        .map(|&(option, text)| {
            view! { <option value=option prop:selected=move || value.with(|value| value == option)>{text}</option> }
        })
        .collect_view();
    view! {
        <label>
            {glossary::word(label)} " "
            <select
                data-testid=testid
                prop:disabled=move || disabled.get()
                on:change=move |event| on_choice.run(event_target_value(&event))
            >
                {options}
            </select>
        </label>
    }
}

/// A labelled checkbox bound to `checked`; `title` says what ticking it changes.
#[component]
pub fn Checkbox(
    label: &'static str,
    title: &'static str,
    testid: &'static str,
    checked: RwSignal<bool>,
) -> impl IntoView {
    view! {
        <label class="check" title=title>
            <input
                type="checkbox"
                data-testid=testid
                prop:checked=move || checked.get()
                on:change=move |event| checked.set(event_target_checked(&event))
            />
            " " {label}
        </label>
    }
}

/// A [`NumberField`] for one number inside `state`, read with `get` and written with `set`;
/// `range` is (min, max, step).
pub fn field_of<T: Send + Sync + 'static>(
    state: RwSignal<T>,
    (label, testid): (&'static str, &'static str),
    range: (f64, f64, f64),
    get: fn(&T) -> f64,
    set: fn(&mut T, f64),
) -> impl IntoView {
    view! {
        <NumberField
            label=label
            testid=testid
            value=Signal::derive(move || state.with(get))
            min=range.0
            max=range.1
            step=range.2
            on_value=Callback::new(move |value| state.update(|state| set(state, value)))
        />
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
            {glossary::word(label)} " "
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

/// A job's progress as a bar with the share done and the time it has left, estimated from the
/// time since `started` (milliseconds since the epoch) at the pace so far. `label` names the job
/// for assistive technology; nothing shows while `done` (a share, 0–1) is unknown.
#[component]
pub fn ProgressBar(
    label: &'static str,
    testid: &'static str,
    #[prop(into)] done: Signal<Option<f64>>,
    #[prop(into)] started: Signal<f64>,
) -> impl IntoView {
    move || {
        done.get().map(|done| {
            let done = done.clamp(0.0, 1.0);
            let left = time_left(js_sys::Date::now() - started.get(), done);
            view! {
                <div class="progress" data-testid=testid>
                    <progress max="1" value=done aria-label=label></progress>
                    <span>{format!("{:.0} %{left}", done * 100.0)}</span>
                </div>
            }
        })
    }
}

/// ", about N s left" (or minutes) after `elapsed` milliseconds with `done` of the work done;
/// empty until there is enough to go on (a second, and 2 % of the work).
fn time_left(elapsed: f64, done: f64) -> String {
    if elapsed < 1_000.0 || !(0.02..1.0).contains(&done) {
        return String::new();
    }
    let seconds = (elapsed * (1.0 - done) / done / 1_000.0).round();
    if seconds < 90.0 {
        format!(", about {seconds} s left")
    } else {
        format!(", about {} min left", (seconds / 60.0).round())
    }
}
