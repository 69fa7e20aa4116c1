//! "Run the demo": load the sample, then train the autoencoder, then the agent, each step started
//! when the worker has answered the one before, all with the defaults; any failure ends the run
//! where it is.

use leptos::prelude::*;

use super::client::{Event, WorkerClient};
use crate::app::protocol::{FromWorker, ToWorker};
use crate::model::fit::FitOptions;
use crate::rl::plan::AgentPlan;

/// The step a demo waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// No demo runs (or it has started the agent: its part is done).
    Idle,
    /// The sample is loading.
    Loading,
    /// The autoencoder trains.
    Training,
}

/// Listens for the demo's steps and returns what starts it; `load_sample` asks for the sample.
pub fn runner(client: WorkerClient, load_sample: Callback<()>) -> Callback<()> {
    let stage = StoredValue::new(Stage::Idle);
    client.listen(move |event| {
        let Event::Reply(reply) = event else {
            return;
        };
        match (stage.get_value(), reply) {
            (Stage::Loading, FromWorker::Loaded(_)) => {
                stage.set_value(Stage::Training);
                client.send(ToWorker::Train {
                    options: FitOptions::default(),
                });
            }
            (Stage::Training, FromWorker::Evaluated(_)) => {
                stage.set_value(Stage::Idle);
                client.send(ToWorker::TrainAgent(AgentPlan::default()));
            }
            (Stage::Loading, FromWorker::LoadFailed(_))
            | (Stage::Training, FromWorker::TrainFailed(_)) => stage.set_value(Stage::Idle),
            _ => {}
        }
    });
    Callback::new(move |()| {
        stage.set_value(Stage::Loading);
        load_sample.run(());
    })
}
