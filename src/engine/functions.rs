//! NetSentry's SQL functions: `anomaly_score(<features>…)` (Float32, the model's score),
//! `is_anomaly(<features>…)` (Boolean, the score at or above the model's threshold), both built
//! from a model or agent file, `agent_flags(<features>…)` (Boolean, the agent's decision to flag,
//! from an agent file), and `is_attack(<label>)` (Boolean, by the ingest's label families).
//!
//! Arguments are matched to the model's features by their column names under the CSV ingest's
//! header rules, so ` Flow Duration`, `Flow Duration` and `flow_duration` all count as the same
//! feature, in any order. Each call scores a whole Arrow batch with one forward pass on burn's CPU
//! backend, after the model's own imputation and scaling: the same numbers as `netsentry score`.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, BooleanArray, Float32Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, exec_datafusion_err, plan_datafusion_err, plan_err};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ExprSchemable, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF,
    ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;

use super::flow_model::{FlowModel, NO_AGENT};
use crate::data::label::Family;

/// The score function's SQL name.
pub const ANOMALY_SCORE: &str = "anomaly_score";
/// The flag function's SQL name.
pub const IS_ANOMALY: &str = "is_anomaly";
/// The agent's decision function's SQL name.
pub const AGENT_FLAGS: &str = "agent_flags";
/// The label function's SQL name.
pub const IS_ATTACK: &str = "is_attack";

/// Registers the functions on a context: `is_attack` always, the model's when there is one.
pub fn register(context: &SessionContext, model: Option<&Arc<FlowModel>>) {
    context.register_udf(is_attack());
    if let Some(model) = model {
        context.register_udf(anomaly_score(model.clone()));
        context.register_udf(is_anomaly(model.clone()));
        // Also without an agent, so a call says which file to give instead of "invalid function".
        context.register_udf(agent_flags(model.clone()));
    }
}

/// `anomaly_score(<features>…)` for `model`.
pub fn anomaly_score(model: Arc<FlowModel>) -> ScalarUDF {
    ScalarUDF::new_from_impl(ModelFunction::new(Output::Score, model))
}

/// `is_anomaly(<features>…)` for `model`.
pub fn is_anomaly(model: Arc<FlowModel>) -> ScalarUDF {
    ScalarUDF::new_from_impl(ModelFunction::new(Output::Flag, model))
}

/// `agent_flags(<features>…)` for the agent in `model`'s file.
pub fn agent_flags(model: Arc<FlowModel>) -> ScalarUDF {
    ScalarUDF::new_from_impl(ModelFunction::new(Output::AgentFlag, model))
}

/// `is_attack(<label>)`.
pub fn is_attack() -> ScalarUDF {
    ScalarUDF::new_from_impl(IsAttack {
        signature: Signature::any(1, Volatility::Immutable),
    })
}

/// What a model function returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Output {
    /// The score.
    Score,
    /// Whether the score reaches the threshold.
    Flag,
    /// Whether the agent flags the flow.
    AgentFlag,
}

/// `anomaly_score` or `is_anomaly` over one model. Two are equal when they return the same
/// output of the same model file (DataFusion compares functions when it plans).
///
/// A call names its features in any order; when the query is optimised it becomes a call with
/// the features in the model's order (`in_model_order`), evaluated by position, because by then
/// the names may be gone (DataFusion replaces a Parquet column that its statistics show constant
/// with a literal).
#[derive(Debug)]
pub struct ModelFunction {
    output: Output,
    model: Arc<FlowModel>,
    in_model_order: bool,
    signature: Signature,
}

impl ModelFunction {
    /// `output` of `model`, its features named in any order.
    pub fn new(output: Output, model: Arc<FlowModel>) -> Self {
        Self {
            output,
            model,
            in_model_order: false,
            signature: Signature::variadic_any(Volatility::Immutable),
        }
    }

    /// Whether the arguments are the model's features in its order (see the type's doc).
    pub fn in_model_order(&self) -> bool {
        self.in_model_order
    }

    /// This function taking its arguments in the model's order, as rebuilt by the codec.
    pub fn with_model_order(mut self, in_model_order: bool) -> Self {
        self.in_model_order = in_model_order;
        self
    }

    /// For each of the model's features, the argument that holds it.
    fn order(&self, fields: &[FieldRef]) -> Result<Vec<usize>, String> {
        if self.in_model_order {
            self.model.check_in_order(fields)?;
            return Ok((0..fields.len()).collect());
        }
        self.model.feature_order(fields)
    }

    /// The model this function scores with (the codec sends its file to executors).
    pub fn model(&self) -> &Arc<FlowModel> {
        &self.model
    }
}

impl PartialEq for ModelFunction {
    fn eq(&self, other: &Self) -> bool {
        self.output == other.output
            && self.in_model_order == other.in_model_order
            && self.model.fingerprint() == other.model.fingerprint()
    }
}

impl Eq for ModelFunction {}

impl Hash for ModelFunction {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.output.hash(state);
        self.in_model_order.hash(state);
        self.model.fingerprint().hash(state);
    }
}

impl ScalarUDFImpl for ModelFunction {
    fn name(&self) -> &str {
        match self.output {
            Output::Score => ANOMALY_SCORE,
            Output::Flag => IS_ANOMALY,
            Output::AgentFlag => AGENT_FLAGS,
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(match self.output {
            Output::Score => DataType::Float32,
            Output::Flag | Output::AgentFlag => DataType::Boolean,
        })
    }

    /// Checks the arguments when the query is planned, so a missing or text-typed feature is
    /// reported before any row is read.
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        if self.output == Output::AgentFlag && !self.model.has_agent() {
            return plan_err!("{AGENT_FLAGS}: {NO_AGENT}");
        }
        self.order(args.arg_fields)
            .map_err(|message| plan_datafusion_err!("{}: {message}", self.name()))?;
        Ok(Arc::new(Field::new(
            self.name(),
            self.return_type(&[])?,
            false,
        )))
    }

    /// Puts the arguments in the model's order while their names are known.
    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        if self.in_model_order {
            return Ok(ExprSimplifyResult::Original(args));
        }
        let fields = args
            .iter()
            .map(|arg| Ok(arg.to_field(info.schema().as_ref())?.1))
            .collect::<Result<Vec<FieldRef>>>()?;
        let order = self
            .model
            .feature_order(&fields)
            .map_err(|message| plan_datafusion_err!("{}: {message}", self.name()))?;
        let ordered = Self::new(self.output, self.model.clone()).with_model_order(true);
        let args = order.into_iter().map(|argument| args[argument].clone());
        Ok(ExprSimplifyResult::Simplified(Expr::ScalarFunction(
            ScalarFunction::new_udf(Arc::new(ScalarUDF::new_from_impl(ordered)), args.collect()),
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if args.number_rows == 0 {
            let empty = datafusion::arrow::array::new_empty_array(&self.return_type(&[])?);
            return Ok(ColumnarValue::Array(empty));
        }
        let order = self
            .order(&args.arg_fields)
            .map_err(|message| exec_datafusion_err!("{}: {message}", self.name()))?;
        let array: ArrayRef = match self.output {
            Output::Score => Arc::new(Float32Array::from(self.model.scores(
                self.name(),
                &order,
                &args,
            )?)),
            Output::Flag => {
                let threshold = self.model.threshold();
                let scores = self.model.scores(self.name(), &order, &args)?;
                Arc::new(BooleanArray::from_iter(
                    scores.into_iter().map(|score| Some(score >= threshold)),
                ))
            }
            Output::AgentFlag => Arc::new(BooleanArray::from(self.model.agent_flags(
                self.name(),
                &order,
                &args,
            )?)),
        };
        Ok(ColumnarValue::Array(array))
    }
}

/// `is_attack(<label>)`: whether a published label names an attack (not benign, not
/// unlabelled), by the same families as the ingest, so SQL can count detections per label.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct IsAttack {
    signature: Signature,
}

impl ScalarUDFImpl for IsAttack {
    fn name(&self) -> &str {
        IS_ATTACK
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [label] = ColumnarValue::values_to_arrays(&args.args)?
            .try_into()
            .map_err(|_| exec_datafusion_err!("{IS_ATTACK} takes one argument, the label"))?;
        let label = cast(&label, &DataType::Utf8)?;
        let mut families: HashMap<&str, bool> = HashMap::new();
        let flags: BooleanArray = label
            .as_string::<i32>()
            .iter()
            .map(|label| {
                label.map(|label| {
                    *families
                        .entry(label)
                        .or_insert_with(|| Family::of(label).is_attack())
                })
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(flags)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> FlowModel {
        FlowModel::from_bytes(crate::engine::test_model_file()).unwrap()
    }

    fn fields(names: &[String]) -> Vec<FieldRef> {
        names
            .iter()
            .map(|name| Arc::new(Field::new(name, DataType::Float64, true)))
            .collect()
    }

    #[test]
    fn features_are_found_by_the_ingests_header_rules_in_any_order() {
        let model = model();
        let features = model.features().to_vec();
        // Reversed, and each named as another layout writes it: snake_case, a leading space.
        let names: Vec<String> = features
            .iter()
            .rev()
            .enumerate()
            .map(|(index, name)| match index % 2 {
                0 => name.to_lowercase().replace(' ', "_"),
                _ => format!(" {name}"),
            })
            .collect();
        let order = model.feature_order(&fields(&names)).unwrap();
        let last = features.len() - 1;
        assert_eq!(order, (0..=last).rev().collect::<Vec<_>>());
    }

    #[test]
    fn a_call_that_cannot_be_scored_says_why() {
        let model = model();
        let features = model.features().to_vec();
        let message = |names: &[String]| model.feature_order(&fields(names)).unwrap_err();
        let missing = message(&features[1..]);
        assert!(
            missing.contains(&format!(
                "these are not among the arguments: {}",
                features[0]
            )),
            "{missing}"
        );
        let mut twice = features.clone();
        twice.push(format!("{}.1", features[0]));
        assert!(
            message(&twice).contains("again; pass each feature once"),
            "{}",
            message(&twice)
        );
        let mut stranger = features.clone();
        stranger.push("Label".to_owned());
        assert!(message(&stranger).contains("argument `Label` is not one of the model's"));
        let mut text = fields(&features);
        text[0] = Arc::new(Field::new(&features[0], DataType::Utf8, true));
        let text = model.feature_order(&text).unwrap_err();
        assert!(
            text.contains("is stored as Utf8, not as a number"),
            "{text}"
        );
    }
}
