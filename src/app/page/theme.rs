//! Light and dark: the page follows the system's `prefers-color-scheme` until the user picks one
//! here (a lecture hall's projector often wants the other). The choice is the `data-theme`
//! attribute of the document's root element, which `www/styles.css` reads; "system" removes it.

use leptos::prelude::*;

/// The choices: the attribute's value (empty: none, follow the system) and the words shown.
const THEMES: [(&str, &str); 3] = [("", "System"), ("light", "Light"), ("dark", "Dark")];

/// The theme drop-down for the masthead.
#[component]
pub fn ThemeSwitch() -> impl IntoView {
    let options = THEMES
        .iter()
        .map(|(value, text)| view! { <option value=*value>{*text}</option> })
        .collect_view();
    view! {
        <label class="theme">
            "Theme "
            <select data-testid="theme" on:change=move |event| apply(&event_target_value(&event))>
                {options}
            </select>
        </label>
    }
}

/// Sets the document's theme to `value` ("" follows the system).
fn apply(value: &str) {
    let Some(root) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.document_element())
    else {
        return;
    };
    // Setting or removing an attribute of the root element cannot fail for this name.
    let _ = if value.is_empty() {
        root.remove_attribute("data-theme")
    } else {
        root.set_attribute("data-theme", value)
    };
}
