//! A model or agent file loaded for SQL: the bridge between a function call's Arrow columns and
//! the model (its features matched by name, its imputation and scaling, one forward pass per
//! batch and detector), so the functions in [`super::functions`] only say what each returns.
//! A flow the model fitted is scored by the fold model that did not fit it, as `netsentry score`
//! does ([`crate::model::score::held_out`]): a call sees its batch's feature columns, not the
//! labels, so its rows are routed as unlabelled flows, and a batch most of whose flows the model
//! fitted counts as the model's own file.

use std::path::Path;
use std::sync::Arc;

use burn::prelude::Device;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, FieldRef, Float32Type};
use datafusion::common::{Result, exec_datafusion_err, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs};

use super::EngineError;
use crate::data::dataset::Dataset;
use crate::data::label::UNLABELLED;
use crate::data::schema::{Role, Schema};
use crate::model::saved::{ModelFileError, SavedModel};
use crate::model::score::ScoreOptions;
use crate::model::score::held_out::score_honestly;
use crate::rl::network::AgentNetwork;
use crate::rl::observe::pool;
use crate::rl::saved::SavedAgent;

/// What `agent_flags` says (after its name) when its file holds no agent.
pub const NO_AGENT: &str = "the model file has no agent; give an agent file (from `netsentry agent --out`, or the page's agent download)";

/// A model file loaded for SQL: the file's bytes (what a cluster's plans carry to executors) and
/// the model read from them onto the CPU backend.
pub struct FlowModel {
    bytes: Arc<[u8]>,
    fingerprint: u64,
    model: SavedModel,
    policy: Option<AgentNetwork>,
    device: Device,
}

impl std::fmt::Debug for FlowModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowModel")
            .field("fingerprint", &self.fingerprint)
            .field("features", &self.model.meta.scaler.features.len())
            .finish_non_exhaustive()
    }
}

impl FlowModel {
    /// Reads a model file, or an agent file (its model, and its agent for `agent_flags`).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelFileError> {
        let device = Device::flex();
        let (model, policy) = match SavedAgent::from_bytes(bytes, &device) {
            Ok(agent) => (agent.model, Some(agent.policy)),
            Err(ModelFileError::NoAgent) => (SavedModel::from_bytes(bytes, &device)?, None),
            Err(error) => return Err(error),
        };
        Ok(Self {
            bytes: bytes.into(),
            fingerprint: xxhash_rust::xxh3::xxh3_64(bytes),
            model,
            policy,
            device,
        })
    }

    /// Whether the file holds an agent, so `agent_flags` is defined.
    pub fn has_agent(&self) -> bool {
        self.policy.is_some()
    }

    /// Reads a model file from disk; the error names the file.
    pub fn read(path: &Path) -> Result<Self, EngineError> {
        let bytes = std::fs::read(path).map_err(|source| EngineError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_bytes(&bytes).map_err(|source| EngineError::Model {
            path: path.to_owned(),
            source,
        })
    }

    /// A hash of the file's bytes: functions built from the same file are the same function
    /// (DataFusion compares and hashes them when it plans).
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The model file's bytes, as read.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The features the model scores, by their canonical names, in its input order.
    pub fn features(&self) -> &[String] {
        &self.model.meta.scaler.features
    }

    /// Flows scoring at or above this are anomalies.
    pub fn threshold(&self) -> f32 {
        self.model.meta.threshold
    }

    /// For each of the model's features, the argument that holds it; the message says which
    /// argument is not a feature, which features are missing, or which one is not a number.
    pub(crate) fn feature_order(&self, fields: &[FieldRef]) -> Result<Vec<usize>, String> {
        let names: Vec<&str> = fields.iter().map(|field| field.name().as_str()).collect();
        let schema = Schema::from_header(names.iter().copied(), true);
        let features = self.features();
        let mut order = vec![None; features.len()];
        for (argument, (_, role)) in schema.columns.iter().enumerate() {
            let name = names[argument];
            let feature = match role {
                Role::Feature(feature) => features.iter().position(|known| known == feature),
                Role::Duplicate(feature) => {
                    return Err(format!(
                        "argument `{name}` is the feature {feature} again; pass each feature once"
                    ));
                }
                _ => None,
            };
            let Some(feature) = feature else {
                return Err(format!(
                    "argument `{name}` is not one of the model's {} features; pass feature columns by name (as in the files), or query the table's `_scored` view, which finds them itself",
                    features.len()
                ));
            };
            numeric(&fields[argument])?;
            order[feature] = Some(argument);
        }
        let missing: Vec<&str> = features
            .iter()
            .zip(&order)
            .filter(|(_, argument)| argument.is_none())
            .map(|(feature, _)| feature.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "the model needs {} features and these are not among the arguments: {}; pass them too, or query the table's `_scored` view",
                features.len(),
                missing.join(", ")
            ));
        }
        Ok(order.into_iter().flatten().collect())
    }

    /// Checks a call already put in the model's order: as many arguments as features, each a
    /// number (names are not checked: a constant column may have become a literal).
    pub(crate) fn check_in_order(&self, fields: &[FieldRef]) -> Result<(), String> {
        if fields.len() != self.features().len() {
            return Err(format!(
                "the model needs {} features, and the call has {} arguments",
                self.features().len(),
                fields.len()
            ));
        }
        fields.iter().try_for_each(numeric)
    }

    /// The rows of a call as unlabelled flows: the model's features in its order, a NULL cell
    /// missing (NaN, imputed by the scaler as in `netsentry score`).
    pub(crate) fn flows(&self, order: &[usize], args: &ScalarFunctionArgs) -> Result<Dataset> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let mut columns = Vec::with_capacity(order.len());
        for &argument in order {
            let column = cast(&arrays[argument], &DataType::Float32)?;
            let column = column.as_primitive::<Float32Type>();
            columns.push(
                (0..args.number_rows)
                    .map(|row| {
                        if column.is_null(row) {
                            f32::NAN
                        } else {
                            column.value(row)
                        }
                    })
                    .collect(),
            );
        }
        Ok(Dataset {
            features: self.features().to_vec(),
            columns,
            labels: vec![0; args.number_rows],
            label_names: vec![UNLABELLED.to_owned()],
        })
    }

    /// Each row's score: the features imputed and scaled as in training, by the final model or,
    /// for a flow it fitted, the fold model that did not (see the module documentation).
    pub(crate) fn scores(
        &self,
        function: &str,
        order: &[usize],
        args: &ScalarFunctionArgs,
    ) -> Result<Vec<f32>> {
        let flows = self.flows(order, args)?;
        let rows: Vec<u32> = (0..flows.rows() as u32).collect();
        let failed = |error: &dyn std::fmt::Display| exec_datafusion_err!("{function}: {error}");
        let scored = pollster::block_on(score_honestly(
            &self.model,
            &flows,
            &rows,
            &self.device,
            ScoreOptions::default(),
        ))
        .map_err(|error| failed(&error))?;
        Ok(scored.scores)
    }

    /// Each row's decision by the agent (true: flag), from the model's view of the flow as in
    /// training: one forward pass of the model, one of the agent.
    pub fn agent_flags(
        &self,
        name: &str,
        order: &[usize],
        args: &ScalarFunctionArgs,
    ) -> Result<Vec<bool>> {
        let Some(policy) = &self.policy else {
            return exec_err!("{name}: {NO_AGENT}");
        };
        let flows = self.flows(order, args)?;
        let rows: Vec<u32> = (0..flows.rows() as u32).collect();
        let failed = |error: &dyn std::fmt::Display| exec_datafusion_err!("{name}: {error}");
        let pool = pollster::block_on(pool(&self.model, &self.device, &flows, &rows))
            .map_err(|error| failed(&error))?;
        pollster::block_on(policy.flags(&pool, &self.device)).map_err(|error| failed(&error))
    }
}

/// Refuses a feature argument that is not a number, naming it.
fn numeric(field: &FieldRef) -> Result<(), String> {
    let data_type = field.data_type();
    if data_type.is_numeric() || *data_type == DataType::Null {
        return Ok(());
    }
    Err(format!(
        "feature column `{}` is stored as {data_type}, not as a number; store it as a number in the file (or CAST it to DOUBLE in a view)",
        field.name()
    ))
}
