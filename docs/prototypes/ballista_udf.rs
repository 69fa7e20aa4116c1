// Prototype for issue 14 (not part of the build): the Ballista 55 wiring that runs a custom
// DataFusion ScalarUDF on a scheduler and an executor started in-process as separate OS processes.
// Run on 2026-12-06 on the 2-core development machine, on 127.0.0.1 (scheduler :50050, executor
// :50051/:50052): `prog gen`, then `prog scheduler &`, `prog executor &`, `prog client`.
// - With the codecs (default), the client printed 4.0, 8.0, 0.0. The UDF's state travels in the
//   plan, and the executor decodes it from the codec without consulting its registry: with
//   NOREG=1 on the executor the query still succeeds. So a model carried by the codec needs no
//   model file on the executors.
// - With NOCODEC=1 on all three, the same rows; with NOCODEC=1 and NOREG=1 on the executor the
//   job fails ("task could not be prepared or was rejected by executor"): executors, not the
//   client, evaluate the UDF and find it by name in their registry.
// - `prog wild`: DataFusion 55.2.0 does not expand `anomaly_score(t.*)` or `anomaly_score(*)`
//   (planned as `anomaly_score(Null)`), and `struct(t.*)` does not parse.
// Build it in its own crate with:
//   ballista = { version = "=55.0.0", default-features = false }
//   ballista-core = { version = "=55.0.0", default-features = false }
//   ballista-scheduler = { version = "=55.0.0", default-features = false }
//   ballista-executor = { version = "=55.0.0", default-features = false }
//   datafusion = "=55.2.0"
//   datafusion-proto = "=55.2.0"
//   tokio = { version = "1", features = ["full"] }
// Pitfalls found: register the UDF on the client context AFTER `remote_with_state` (Ballista's
// upgrade replaces the scalar-function list); the scheduler learns UDFs only through
// `override_session_builder`, executors through `override_function_registry`
// (start from `BallistaFunctionRegistry::default()`) or the codecs; ScalarUDFImpl in DataFusion
// 55 has no `as_any` (downcast with `node.inner().downcast_ref`) and must be PartialEq + Eq + Hash.
use std::sync::Arc;

use ballista::prelude::{SessionConfigExt, SessionContextExt};
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::serde::{BallistaLogicalExtensionCodec, BallistaPhysicalExtensionCodec};
use ballista_core::utils::default_session_builder;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use datafusion::arrow::array::{ArrayRef, Float64Array};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::catalog::TableProvider;
use datafusion::common::{Result, TableReference, exec_err, cast::as_float64_array};
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::execution::{FunctionRegistry, SessionState, SessionStateBuilder, TaskContext};
use datafusion::logical_expr::{
    ColumnarValue, Extension, LogicalPlan, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, Volatility,
};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};

#[derive(Debug, PartialEq, Eq, Hash)]
struct AnomalyScore { signature: Signature, threshold_bits: u64 }
impl AnomalyScore {
    fn new(threshold: f64) -> Self {
        Self { signature: Signature::exact(vec![DataType::Float64, DataType::Float64], Volatility::Immutable), threshold_bits: threshold.to_bits() }
    }
}
impl ScalarUDFImpl for AnomalyScore {
    fn name(&self) -> &str { "anomaly_score" }
    fn signature(&self) -> &Signature { &self.signature }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> { Ok(DataType::Float64) }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let (a, b) = (as_float64_array(&arrays[0])?, as_float64_array(&arrays[1])?);
        let out: Float64Array = a.iter().zip(b.iter()).map(|(x, y)| Some((x? - y?).abs())).collect();
        Ok(ColumnarValue::Array(Arc::new(out) as ArrayRef))
    }
}
fn anomaly_udf() -> Arc<ScalarUDF> { Arc::new(ScalarUDF::new_from_impl(AnomalyScore::new(3.0))) }

// ---- optional codecs carrying UDF state ----
#[derive(Debug, Default)]
struct MyLogicalCodec { inner: BallistaLogicalExtensionCodec }
impl LogicalExtensionCodec for MyLogicalCodec {
    fn try_decode(&self, buf: &[u8], inputs: &[LogicalPlan], ctx: &TaskContext) -> Result<Extension> { self.inner.try_decode(buf, inputs, ctx) }
    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> { self.inner.try_encode(node, buf) }
    fn try_decode_table_provider(&self, buf: &[u8], t: &TableReference, s: SchemaRef, ctx: &TaskContext) -> Result<Arc<dyn TableProvider>> { self.inner.try_decode_table_provider(buf, t, s, ctx) }
    fn try_encode_table_provider(&self, t: &TableReference, node: Arc<dyn TableProvider>, buf: &mut Vec<u8>) -> Result<()> { self.inner.try_encode_table_provider(t, node, buf) }
    fn try_decode_file_format(&self, buf: &[u8], ctx: &TaskContext) -> Result<Arc<dyn FileFormatFactory>> { self.inner.try_decode_file_format(buf, ctx) }
    fn try_encode_file_format(&self, buf: &mut Vec<u8>, node: Arc<dyn FileFormatFactory>) -> Result<()> { self.inner.try_encode_file_format(buf, node) }
    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        if let Some(a) = node.inner().downcast_ref::<AnomalyScore>() { buf.extend_from_slice(&a.threshold_bits.to_le_bytes()); }
        Ok(())
    }
    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        if name == "anomaly_score" && buf.len() == 8 {
            return Ok(Arc::new(ScalarUDF::new_from_impl(AnomalyScore::new(f64::from_bits(u64::from_le_bytes(buf.try_into().unwrap()))))));
        }
        exec_err!("unknown udf {name}")
    }
}
#[derive(Debug, Default)]
struct MyPhysicalCodec { inner: BallistaPhysicalExtensionCodec }
impl PhysicalExtensionCodec for MyPhysicalCodec {
    fn try_decode(&self, buf: &[u8], inputs: &[Arc<dyn ExecutionPlan>], ctx: &TaskContext, pc: &dyn PhysicalProtoConverterExtension) -> Result<Arc<dyn ExecutionPlan>> { self.inner.try_decode(buf, inputs, ctx, pc) }
    fn try_encode(&self, node: Arc<dyn ExecutionPlan>, buf: &mut Vec<u8>, pc: &dyn PhysicalProtoConverterExtension) -> Result<()> { self.inner.try_encode(node, buf, pc) }
    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> { MyLogicalCodec::default().try_encode_udf(node, buf) }
    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> { MyLogicalCodec::default().try_decode_udf(name, buf) }
}

fn session_builder(config: SessionConfig) -> Result<SessionState> {
    let mut state = default_session_builder(config)?;
    state.register_udf(anomaly_udf())?;
    Ok(state)
}

async fn run_scheduler(port: u16) -> ballista_core::error::Result<()> {
    let config = SchedulerConfig {
        bind_host: "127.0.0.1".into(),
        external_host: "127.0.0.1".into(),
        bind_port: port,
        override_session_builder: Some(Arc::new(session_builder)),
        override_logical_codec: lc(),
        override_physical_codec: pc(),
        ..Default::default()
    };
    let addr = format!("{}:{}", config.bind_host, config.bind_port).parse().unwrap();
    let cluster = BallistaCluster::new_from_config(&config).await?;
    start_server(cluster, addr, Arc::new(config)).await
}

async fn run_executor(port: u16, grpc_port: u16) -> ballista_core::error::Result<()> {
    let mut registry = BallistaFunctionRegistry::default();
    let udf = anomaly_udf();
    registry.scalar_functions.insert(udf.name().to_string(), udf);
    let config = ExecutorProcessConfig {
        bind_host: "127.0.0.1".into(),
        external_host: Some("127.0.0.1".into()),
        port,
        grpc_port,
        scheduler_host: "127.0.0.1".into(),
        scheduler_port: 50050,
        scheduler_connect_timeout_seconds: 10,
        vcores: 2,
        work_dir: Some("/tmp/exec_work".into()),
        override_function_registry: if std::env::var("NOREG").is_ok() { None } else { Some(Arc::new(registry)) },
        override_logical_codec: lc(),
        override_physical_codec: pc(),
        ..Default::default()
    };
    start_executor_process(Arc::new(config)).await
}

async fn run_client() -> Result<()> {
    let mut config = SessionConfig::new_with_ballista();
    if let (Some(l), Some(p)) = (lc(), pc()) { config = config.with_ballista_logical_extension_codec(l).with_ballista_physical_extension_codec(p); }
    let state = SessionStateBuilder::new().with_config(config).with_default_features().build();
    let ctx = SessionContext::remote_with_state("df://127.0.0.1:50050", state).await?;
    ctx.register_udf(anomaly_udf().as_ref().clone());
    ctx.register_parquet("t", "/tmp/t.parquet", Default::default()).await?;
    ctx.sql("SELECT anomaly_score(a, b) FROM t").await?.show().await?;
    Ok(())
}

#[tokio::main]
async fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("scheduler") => run_scheduler(50050).await.unwrap(),
        Some("executor") => run_executor(50051, 50052).await.unwrap(),
        Some("wild") => {
            let ctx = SessionContext::new();
            ctx.register_udf(anomaly_udf().as_ref().clone());
            ctx.sql("CREATE TABLE t AS SELECT CAST(column1 AS DOUBLE) AS a, CAST(column2 AS DOUBLE) AS b FROM (VALUES (1,5),(10,2),(3,3))").await.unwrap();
            for q in ["SELECT anomaly_score(t.*) FROM t", "SELECT anomaly_score(*) FROM t", "SELECT anomaly_score(struct(t.*)) FROM t"] {
                match ctx.sql(q).await { Ok(df) => match df.collect().await { Ok(b) => println!("{q}: OK {}", datafusion::arrow::util::pretty::pretty_format_batches(&b).unwrap()), Err(e) => println!("{q}: exec error {e}") }, Err(e) => println!("{q}: plan error {e}") }
            }
        }
        Some("gen") => {
            let ctx = SessionContext::new();
            ctx.sql("SELECT CAST(column1 AS DOUBLE) AS a, CAST(column2 AS DOUBLE) AS b FROM (VALUES (1,5),(10,2),(3,3))").await.unwrap()
                .write_parquet("/tmp/t.parquet", Default::default(), None).await.unwrap();
        }
        _ => run_client().await.unwrap(),
    }
}

fn lc() -> Option<Arc<dyn LogicalExtensionCodec>> { if std::env::var("NOCODEC").is_ok() { None } else { Some(Arc::new(MyLogicalCodec::default())) } }
fn pc() -> Option<Arc<dyn PhysicalExtensionCodec>> { if std::env::var("NOCODEC").is_ok() { None } else { Some(Arc::new(MyPhysicalCodec::default())) } }
