//! A job the worker runs for a panel (training the autoencoder or an agent) as the panel shows it:
//! running or paused, its progress, then its result or its error.

use leptos::prelude::*;

use super::client::{Event, WorkerClient};
use crate::app::protocol::ToWorker;

/// Where a job stands; `P` is its progress so far, `R` its result.
#[derive(Clone, Debug, PartialEq)]
pub struct JobView<P, R> {
    /// Whether it runs.
    pub running: bool,
    /// Whether it is paused.
    pub paused: bool,
    /// Its progress so far.
    pub progress: P,
    /// Its result once it ended.
    pub results: Option<R>,
    /// Its error if it failed.
    pub error: Option<String>,
    /// When it was sent (milliseconds since the epoch), to tell the time it has left.
    pub started_ms: f64,
}

impl<P: Default, R> Default for JobView<P, R> {
    fn default() -> Self {
        Self {
            running: false,
            paused: false,
            progress: P::default(),
            results: None,
            error: None,
            started_ms: 0.0,
        }
    }
}

impl<P: Default, R> JobView<P, R> {
    /// A job just sent to the worker, starting from `progress`.
    pub fn started(progress: P) -> Self {
        Self {
            running: true,
            progress,
            started_ms: js_sys::Date::now(),
            ..Self::default()
        }
    }

    /// Ends the job with `result` (Ok) or its error.
    pub fn end(&mut self, result: Result<&R, &String>)
    where
        R: Clone,
    {
        self.running = false;
        match result {
            Ok(results) => self.results = Some(results.clone()),
            Err(error) => self.error = Some(error.clone()),
        }
    }
}

/// The signals a job's panel draws from.
pub struct Job<P: Send + Sync + 'static, R: Send + Sync + 'static> {
    /// The whole view.
    pub view: ReadSignal<JobView<P, R>>,
    /// Whether it runs.
    pub running: Memo<bool>,
    /// Whether it is paused.
    pub paused: Memo<bool>,
}

impl<P, R> Job<P, R>
where
    P: Clone + Default + PartialEq + Send + Sync + 'static,
    R: Clone + PartialEq + Send + Sync + 'static,
{
    /// A job whose view `follow` keeps up to date with what `client` sends and hears; Pause is
    /// followed here, for any job that runs.
    pub fn watch(client: WorkerClient, follow: fn(&mut JobView<P, R>, Event)) -> Self {
        let view = RwSignal::new(JobView::default());
        client.listen(move |event| {
            view.update(|view| match event {
                Event::Sent(ToWorker::Pause(paused)) if view.running => view.paused = *paused,
                event => follow(view, event),
            })
        });
        let view = view.read_only();
        Self {
            view,
            running: Memo::new(move |_| view.with(|view| view.running)),
            paused: Memo::new(move |_| view.with(|view| view.paused)),
        }
    }
}
