//! How NetSentry's functions travel in Ballista's serialised plans: the model file's bytes ride
//! along with each call, so a scheduler and executors started with `netsentry cluster` need no
//! model file and score with exactly the model the client named. Everything else is Ballista's own
//! encoding, delegated unchanged.

use std::sync::Arc;

use ballista_core::serde::{BallistaLogicalExtensionCodec, BallistaPhysicalExtensionCodec};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::common::{Result, TableReference, exec_datafusion_err, exec_err};
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Extension, LogicalPlan, ScalarUDF};
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};

use super::flow_model::FlowModel;
use super::functions::{
    AGENT_FLAGS, ANOMALY_SCORE, IS_ANOMALY, IS_ATTACK, ModelFunction, Output, is_attack,
};

/// The first byte of every encoded NetSentry function: a format mark, so bytes from another
/// codec are refused by name instead of misread.
const MARK: u8 = b'N';

/// Writes a NetSentry function's state: for `is_attack` the mark alone, for a model's function
/// the mark, whether its arguments are in the model's order, and the model file.
fn encode(function: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
    let inner = function.inner();
    if let Some(model_function) = inner.downcast_ref::<ModelFunction>() {
        buf.push(MARK);
        buf.push(u8::from(model_function.in_model_order()));
        buf.extend_from_slice(model_function.model().bytes());
    } else if function.name() == IS_ATTACK {
        buf.push(MARK);
    }
    Ok(())
}

/// Rebuilds a NetSentry function from what [`encode`] wrote.
fn decode(name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
    let Some((&MARK, model)) = buf.split_first() else {
        return exec_err!(
            "the plan calls {name}, which neither NetSentry nor this Ballista cluster defines"
        );
    };
    if name == IS_ATTACK {
        return Ok(Arc::new(is_attack()));
    }
    let output = match name {
        ANOMALY_SCORE => Output::Score,
        IS_ANOMALY => Output::Flag,
        AGENT_FLAGS => Output::AgentFlag,
        _ => return exec_err!("{name} is not a NetSentry function"),
    };
    let Some((&in_model_order, model)) = model.split_first() else {
        return exec_err!("{name}: the plan carries no model");
    };
    let model = FlowModel::from_bytes(model)
        .map(Arc::new)
        .map_err(|error| exec_datafusion_err!("{name}: the model in the plan: {error}"))?;
    let function = ModelFunction::new(output, model).with_model_order(in_model_order == 1);
    Ok(Arc::new(ScalarUDF::new_from_impl(function)))
}

/// Ballista's logical codec plus NetSentry's functions.
#[derive(Debug, Default)]
pub struct LogicalCodec {
    ballista: BallistaLogicalExtensionCodec,
}

impl LogicalExtensionCodec for LogicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> Result<Extension> {
        self.ballista.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.ballista.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        self.ballista
            .try_decode_table_provider(buf, table, schema, ctx)
    }

    fn try_encode_table_provider(
        &self,
        table: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.ballista.try_encode_table_provider(table, node, buf)
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn FileFormatFactory>> {
        self.ballista.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn FileFormatFactory>,
    ) -> Result<()> {
        self.ballista.try_encode_file_format(buf, node)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        decode(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode(node, buf)
    }
}

/// Ballista's physical codec plus NetSentry's functions.
#[derive(Debug, Default)]
pub struct PhysicalCodec {
    ballista: BallistaPhysicalExtensionCodec,
}

impl PhysicalExtensionCodec for PhysicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.ballista.try_decode(buf, inputs, ctx, converter)
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        self.ballista.try_encode(node, buf, converter)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        decode(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode(node, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(function: &ScalarUDF) -> Arc<ScalarUDF> {
        let mut buf = Vec::new();
        encode(function, &mut buf).unwrap();
        decode(function.name(), &buf).unwrap()
    }

    #[test]
    fn a_model_function_travels_with_its_model_and_argument_order() {
        let model = Arc::new(FlowModel::from_bytes(crate::engine::test_model_file()).unwrap());
        for output in [Output::Score, Output::Flag, Output::AgentFlag] {
            let by_name = ScalarUDF::new_from_impl(ModelFunction::new(output, model.clone()));
            assert_eq!(*round_trip(&by_name), by_name);
            let in_order = ScalarUDF::new_from_impl(
                ModelFunction::new(output, model.clone()).with_model_order(true),
            );
            assert_eq!(*round_trip(&in_order), in_order);
            assert_ne!(*round_trip(&in_order), by_name);
        }
    }

    #[test]
    fn is_attack_travels_without_a_model() {
        let function = is_attack();
        let mut buf = Vec::new();
        encode(&function, &mut buf).unwrap();
        assert_eq!(buf, [MARK]);
        assert_eq!(*decode(IS_ATTACK, &buf).unwrap(), function);
    }

    #[test]
    fn other_functions_and_damaged_models_are_refused_by_name() {
        let refused = |name: &str, buf: &[u8]| decode(name, buf).unwrap_err().to_string();
        assert!(refused("median_of", b"xyz").contains("median_of, which neither NetSentry"));
        assert!(refused("median_of", &[MARK, 0]).contains("median_of is not a NetSentry function"));
        assert!(
            refused(ANOMALY_SCORE, &[MARK]).contains("anomaly_score: the plan carries no model")
        );
        assert!(
            refused(IS_ANOMALY, &[MARK, 0, 1, 2]).contains("is_anomaly: the model in the plan: ")
        );
    }
}
