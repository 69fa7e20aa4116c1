//! How the page looks: light or dark, and Present mode. The page follows the system's
//! `prefers-color-scheme` until the user picks a theme here (a lecture hall's projector often
//! wants the other); Present enlarges type and charts for the back of the room. Both are part of
//! the shared set-up ([`SetUp`]), so a link keeps them, and both are attributes of the document's
//! root element (`data-theme`, `data-present`), which `www/styles.css` reads.

use leptos::prelude::*;

use super::share::SetUp;

/// The choices: the attribute's value (empty: none, follow the system) and the words shown.
const THEMES: [(&str, &str); 3] = [("", "System"), ("light", "Light"), ("dark", "Dark")];

/// The theme drop-down for the masthead.
#[component]
pub fn ThemeSwitch() -> impl IntoView {
    let theme = SetUp::expect().theme;
    Effect::new(move |_| set_root("data-theme", &theme.get()));
    let options = THEMES
        .iter()
        .map(|&(value, text)| {
            view! {
                <option value=value prop:selected=move || theme.with(|theme| theme == value)>
                    {text}
                </option>
            }
        })
        .collect_view();
    view! {
        <label class="theme">
            "Theme "
            <select data-testid="theme" on:change=move |event| theme.set(event_target_value(&event))>
                {options}
            </select>
        </label>
    }
}

/// The Present toggle for the masthead: large type and charts, for a projector.
#[component]
pub fn PresentSwitch() -> impl IntoView {
    let on = SetUp::expect().present;
    Effect::new(move |_| set_root("data-present", if on.get() { "on" } else { "" }));
    view! {
        <button
            type="button"
            class="speed"
            data-testid="present"
            aria-pressed=move || on.get().to_string()
            title="Large type and charts, for a projector"
            on:click=move |_| on.update(|on| *on = !*on)
        >
            "Present"
        </button>
    }
}

/// Sets the root element's `attribute` to `value`, or removes it when `value` is empty.
fn set_root(attribute: &str, value: &str) {
    let Some(root) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.document_element())
    else {
        return;
    };
    // Setting or removing a plain attribute of the root element cannot fail.
    let _ = if value.is_empty() {
        root.remove_attribute(attribute)
    } else {
        root.set_attribute(attribute, value)
    };
}
