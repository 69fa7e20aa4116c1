//! "Follow a file": in browsers with the File System Access API (Chromium's), the user picks the
//! CSV CICFlowMeter is writing; the page looks at it twice a second and hands what was appended
//! to the worker, which scores the new flows with the kept model and decides them with the kept
//! agent (or the model's threshold); they stream here, newest first. A file that shrank was
//! truncated and is read again from its start. Other browsers get a note saying why the button
//! is not there.

use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::client::{Event, WorkerClient};
use crate::app::protocol::{FollowedFlow, FromWorker, ToWorker};

/// How often the followed file is looked at.
const LOOK_EVERY: Duration = Duration::from_millis(500);
/// Flows kept for the list, newest last.
const KEPT: usize = 200;
/// Flows shown, newest first.
const SHOWN: usize = 12;

/// What the page knows of the followed file.
#[derive(Clone, Debug, Default, PartialEq)]
struct Following {
    /// The file's name, once one was chosen.
    name: Option<String>,
    /// The latest flows, oldest first.
    flows: Vec<FollowedFlow>,
    /// Flows scored since it was chosen.
    scored: usize,
    /// Of those, flagged.
    flagged: usize,
    /// The latest sentences about skipped rows.
    skipped: Vec<String>,
    /// Rows skipped since it was chosen.
    skipped_count: usize,
    /// Whether an agent decides.
    by_agent: bool,
    /// The last failure, if any.
    error: Option<String>,
}

/// Where the reading stands (the file handle is a browser object, kept on this thread).
#[derive(Clone, Default)]
struct Reading {
    handle: Option<JsValue>,
    offset: f64,
    restart: bool,
    /// A piece is with the worker: the next look waits for its answer.
    waiting: bool,
}

/// The browser's file picker of the File System Access API, if it has one.
fn picker() -> Option<js_sys::Function> {
    let window = web_sys::window()?;
    js_sys::Reflect::get(&window, &"showOpenFilePicker".into())
        .ok()?
        .dyn_into()
        .ok()
}

/// Calls `object.method()` and awaits the promise it returns.
async fn call(object: &JsValue, method: &str) -> Result<JsValue, JsValue> {
    let function: js_sys::Function = js_sys::Reflect::get(object, &method.into())?.dyn_into()?;
    JsFuture::from(js_sys::Promise::from(function.call0(object)?)).await
}

/// The button, the status and the latest flows of the followed file.
#[component]
pub fn FollowFile() -> impl IntoView {
    let client = WorkerClient::expect();
    let following = RwSignal::new(Following::default());
    let reading = StoredValue::new_local(Reading::default());
    client.listen(move |event| {
        if let Event::Reply(FromWorker::Followed(result)) = event {
            reading.update_value(|reading| reading.waiting = false);
            following.update(|following| match result {
                Ok(followed) => {
                    following.error = None;
                    following.by_agent = followed.by_agent;
                    following.scored += followed.flows.len();
                    following.flagged += followed.flows.iter().filter(|flow| flow.flagged).count();
                    following.skipped_count += followed.skipped.len();
                    following.skipped.extend(followed.skipped.iter().cloned());
                    let extra = following.skipped.len().saturating_sub(3);
                    following.skipped.drain(..extra);
                    following.flows.extend(followed.flows.iter().cloned());
                    let extra = following.flows.len().saturating_sub(KEPT);
                    following.flows.drain(..extra);
                }
                Err(error) => following.error = Some(error.to_string()),
            });
        }
    });
    let look = move || {
        let Reading {
            handle: Some(handle),
            offset,
            restart,
            waiting: false,
        } = reading.get_value()
        else {
            return;
        };
        let name = following.with_untracked(|following| following.name.clone().unwrap_or_default());
        leptos::task::spawn_local(async move {
            let piece = async {
                let file: web_sys::File = call(&handle, "getFile").await?.dyn_into()?;
                let size = file.size();
                let (offset, restart) = if size < offset {
                    (0.0, true)
                } else {
                    (offset, restart)
                };
                if size <= offset && !restart {
                    return Ok::<_, JsValue>(None);
                }
                let blob = file.slice_with_f64_and_f64(offset, size)?;
                let bytes = js_sys::Uint8Array::new(&JsFuture::from(blob.array_buffer()).await?);
                Ok(Some((bytes, size, restart)))
            };
            match piece.await {
                Ok(Some((bytes, size, restart))) => {
                    reading.update_value(|reading| {
                        reading.offset = size;
                        reading.restart = false;
                        reading.waiting = true;
                    });
                    client.send(ToWorker::Follow {
                        name,
                        bytes: bytes.into(),
                        restart,
                    });
                }
                Ok(None) => {}
                Err(error) => following.update(|following| {
                    following.error =
                        Some(format!("could not read {name}: {error:?}; choose it again"));
                }),
            }
        });
    };
    if let Ok(handle) = set_interval_with_handle(look, LOOK_EVERY) {
        on_cleanup(move || handle.clear());
    }
    let choose = move |_| {
        let Some(picker) = picker() else {
            return;
        };
        leptos::task::spawn_local(async move {
            let picked = async {
                let window: JsValue = web_sys::window().ok_or("no window")?.into();
                let handles = JsFuture::from(js_sys::Promise::from(picker.call0(&window)?)).await?;
                let handle = js_sys::Array::from(&handles).get(0);
                let name = js_sys::Reflect::get(&handle, &"name".into())?
                    .as_string()
                    .unwrap_or_default();
                Ok::<_, JsValue>((handle, name))
            };
            // A cancelled picker is no error: nothing changes.
            if let Ok((handle, name)) = picked.await {
                following.set(Following {
                    name: Some(name),
                    ..Following::default()
                });
                reading.set_value(Reading {
                    handle: Some(handle),
                    restart: true,
                    ..Reading::default()
                });
            }
        });
    };
    let stop = move |_| {
        reading.set_value(Reading::default());
        following.update(|following| following.name = None);
    };
    if picker().is_none() {
        return view! {
            <p class="hint" data-testid="follow-unavailable">
                "Following a file as it grows needs the File System Access API, which Chromium-based browsers (Chrome, Edge, Opera) have and this one does not. Load the file with \u{201c}Choose or drop CSV files\u{201d} instead, or follow it with netsentry watch on the command line."
            </p>
        }
        .into_any();
    }
    view! {
        <div class="follow">
            <h3>"Follow a file"</h3>
            <p class="explain">
                "Pick the CSV CICFlowMeter is writing: each new flow is scored by the trained detector and decided by the agent (or the detector's threshold) as it is written. Nothing leaves this browser."
            </p>
            <div class="buttons">
                <button type="button" data-testid="follow-file" on:click=choose>"Follow a file"</button>
                <Show when=move || following.with(|following| following.name.is_some())>
                    <button type="button" class="speed" data-testid="follow-stop" on:click=stop>"Stop following"</button>
                </Show>
            </div>
            <p data-testid="follow-status" role="status">{move || following.with(status)}</p>
            {move || following.with(|following| following.error.clone()).map(|error| view! {
                <p class="error" role="alert" data-testid="follow-error">{error}</p>
            })}
            <ul data-testid="follow-skipped">
                {move || following.with(|following| {
                    following.skipped.iter().map(|said| view! { <li class="warning">{said.clone()}</li> }).collect_view()
                })}
            </ul>
            <ol class="decisions">
                {move || following.with(|following| {
                    following.flows.iter().rev().take(SHOWN).cloned().map(flow_row).collect_view()
                })}
            </ol>
        </div>
    }
    .into_any()
}

/// The status line: the file, the flows scored and flagged, by whom, and rows skipped.
fn status(following: &Following) -> String {
    let Some(name) = &following.name else {
        return String::new();
    };
    let judge = if following.by_agent {
        "the agent"
    } else {
        "the detector's threshold"
    };
    format!(
        "Following {name}: {} flows scored, {} flagged by {judge}, {} rows skipped",
        following.scored, following.flagged, following.skipped_count
    )
}

fn flow_row(flow: FollowedFlow) -> impl IntoView {
    let right = flow.flagged == flow.attack;
    let verdict = if flow.flagged { "flag" } else { "allow" };
    view! {
        <li class="decision" class:wrong=!right data-testid="followed-flow">
            <span class="flow-label">{format!("line {}: {}", flow.line, flow.label)}</span>
            <span class="score" title=format!("score {:.4}", flow.score)>
                <span
                    class="score-bar"
                    style=format!("width: {:.1}%", super::replay::bar_percent(flow.score, flow.threshold))
                ></span>
            </span>
            <span class="verdict">{verdict}</span>
            <span class="outcome">{format!("{:.4}", flow.score)}</span>
        </li>
    }
}
