//! Offers a file to the user as a download, from the page: a URL (an object URL for a Blob,
//! revoked once the browser has taken it, or a data URL) clicked through a temporary link.

use std::time::Duration;

use wasm_bindgen::prelude::*;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

/// Offers `blob` as a download named `name`.
pub fn offer(name: &str, blob: &Blob) -> Result<(), String> {
    let url = Url::create_object_url_with_blob(blob).map_err(|error| describe(name, error))?;
    offer_url(name, &url)?;
    leptos::prelude::set_timeout(
        move || {
            Url::revoke_object_url(&url).ok();
        },
        Duration::from_secs(10),
    );
    Ok(())
}

/// Offers the file at `url` (an object or data URL) as a download named `name`.
pub fn offer_url(name: &str, url: &str) -> Result<(), String> {
    let document = web_sys::window()
        .and_then(|window| window.document())
        .ok_or("the page has no document")?;
    let link: HtmlAnchorElement = document
        .create_element("a")
        .map_err(|error| describe(name, error))?
        .unchecked_into();
    link.set_href(url);
    link.set_download(name);
    link.click();
    Ok(())
}

/// What to tell the user when the browser would not offer `name`.
fn describe(name: &str, error: JsValue) -> String {
    format!(
        "could not offer {name} for download: {error:?}; allow downloads for this page and try again"
    )
}

/// Offers `text` as a download named `name` of media type `kind`.
pub fn offer_text(name: &str, text: &str, kind: &str) -> Result<(), String> {
    let options = BlobPropertyBag::new();
    options.set_type(kind);
    let blob = Blob::new_with_str_sequence_and_options(&js_sys::Array::of1(&text.into()), &options)
        .map_err(|error| format!("could not build {name}: {error:?}"))?;
    offer(name, &blob)
}
