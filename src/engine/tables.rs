//! Flow files as SQL tables: CICFlowMeter CSVs through NetSentry's ingest (every layout and
//! quirk handled, exactly as `netsentry score` reads them), Parquet natively by DataFusion; and,
//! for each table, a `<table>_scored` view with the model's score and flag, its feature columns
//! found by the ingest's header rules so any CIC variant's names work.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float32Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema as ArrowSchema};
use datafusion::catalog::MemTable;
use datafusion::prelude::{Expr, ParquetReadOptions, SessionContext, ident, lit};

use super::EngineError;
use super::flow_model::FlowModel;
use super::functions::{AGENT_FLAGS, ANOMALY_SCORE, IS_ANOMALY, agent_flags, anomaly_score};
use crate::data::dataset::Dataset;
use crate::data::ingest::{IngestOptions, ingest_paths};
use crate::data::report::IngestReport;
use crate::data::schema::{Role, Schema};

/// Rows per Arrow batch of a CSV table (DataFusion's own default batch size).
const BATCH_ROWS: usize = 8192;
/// The label column of a CSV table, as CICFlowMeter names it.
pub const LABEL: &str = "Label";
/// What a table's scored view is called: the table's name and this.
pub const SCORED_SUFFIX: &str = "_scored";

/// A `--table NAME=PATH` argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSpec {
    /// The table's SQL name.
    pub name: String,
    /// A file, or a folder of files.
    pub path: PathBuf,
}

impl std::str::FromStr for TableSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let Some((name, path)) = text.split_once('=') else {
            return Err(format!(
                "give a table as NAME=PATH (as in flows=data/), not {text:?}"
            ));
        };
        let valid = name
            .chars()
            .next()
            .is_some_and(|first| first.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid || path.is_empty() {
            return Err(format!(
                "in {text:?}, the name must be letters, digits and _ (starting with a letter) and the path not empty"
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            path: PathBuf::from(path),
        })
    }
}

/// Where a table's rows come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// CICFlowMeter CSVs, read through the ingest, in this order.
    Csv(Vec<PathBuf>),
    /// A Parquet file or a folder of Parquet files, read by DataFusion.
    Parquet(PathBuf),
}

impl Source {
    /// What `path` holds: a `.parquet` file, a CSV file, or a folder of either (Parquet when it
    /// holds any, else its CSVs in name order).
    pub fn of(path: &Path) -> Result<Self, EngineError> {
        let read = |source| EngineError::Read {
            path: path.to_owned(),
            source,
        };
        if !path.metadata().map_err(read)?.is_dir() {
            return Ok(if has_extension(path, "parquet") {
                Self::Parquet(path.to_owned())
            } else {
                Self::Csv(vec![path.to_owned()])
            });
        }
        let mut files = Vec::new();
        for entry in std::fs::read_dir(path).map_err(read)? {
            files.push(entry.map_err(read)?.path());
        }
        files.sort();
        if files.iter().any(|file| has_extension(file, "parquet")) {
            return Ok(Self::Parquet(path.to_owned()));
        }
        files.retain(|file| has_extension(file, "csv"));
        if files.is_empty() {
            return Err(EngineError::NoFlowFiles {
                path: path.to_owned(),
            });
        }
        Ok(Self::Csv(files))
    }
}

fn has_extension(path: &Path, extension: &str) -> bool {
    path.extension()
        .is_some_and(|found| found.eq_ignore_ascii_case(extension))
}

/// Refuses tables a cluster's executors cannot read: CSV tables live in this process only. Checked
/// before connecting, so the user learns it first.
pub fn check_for_cluster(specs: &[TableSpec]) -> Result<(), EngineError> {
    for spec in specs {
        if let Source::Csv(_) = Source::of(&spec.path)? {
            return Err(EngineError::CsvOnCluster {
                table: spec.name.clone(),
            });
        }
    }
    Ok(())
}

/// Registers `spec` as a table: a CSV table is read now, through the ingest (its report is
/// returned for the user), a Parquet table is read by each query.
pub async fn register(
    context: &SessionContext,
    spec: &TableSpec,
) -> Result<Option<IngestReport>, EngineError> {
    if spec.name.ends_with(SCORED_SUFFIX) {
        return Err(EngineError::TableName {
            name: spec.name.clone(),
            reason: format!(
                "names ending in {SCORED_SUFFIX} are kept for the scored views; choose another"
            ),
        });
    }
    if context.table_exist(spec.name.as_str())? {
        return Err(EngineError::TableName {
            name: spec.name.clone(),
            reason: "a table of that name is already given".to_owned(),
        });
    }
    match Source::of(&spec.path)? {
        Source::Parquet(path) => {
            let path = path.to_string_lossy();
            context
                .register_parquet(
                    spec.name.as_str(),
                    path.as_ref(),
                    ParquetReadOptions::default(),
                )
                .await?;
            Ok(None)
        }
        Source::Csv(files) => {
            // Every row as in the files (duplicates too: a query counts what was captured), and
            // every column that can be a feature (ports too), as `netsentry score` reads them.
            let options = IngestOptions {
                ports_as_features: true,
                keep_duplicates: true,
                ..IngestOptions::default()
            };
            let (dataset, report) = ingest_paths(&files, options)?;
            let partitions = context.state().config().target_partitions();
            let table = memory_table(&dataset, partitions)?;
            context.register_table(spec.name.as_str(), Arc::new(table))?;
            Ok(Some(report))
        }
    }
}

/// The flows as an in-memory table: one Float32 column per feature (a missing cell is NULL) and
/// the label, split into `partitions` parts that DataFusion scans in parallel.
fn memory_table(dataset: &Dataset, partitions: usize) -> Result<MemTable, EngineError> {
    let mut fields: Vec<Field> = dataset
        .features
        .iter()
        .map(|name| Field::new(name, DataType::Float32, true))
        .collect();
    fields.push(Field::new(LABEL, DataType::Utf8, false));
    let schema = Arc::new(ArrowSchema::new(fields));
    let rows = dataset.rows();
    let part_rows = rows.div_ceil(partitions.max(1)).max(1);
    let mut parts = Vec::new();
    for part_start in (0..rows).step_by(part_rows) {
        let part_end = (part_start + part_rows).min(rows);
        let mut batches = Vec::new();
        for start in (part_start..part_end).step_by(BATCH_ROWS) {
            let end = (start + BATCH_ROWS).min(part_end);
            let mut columns: Vec<ArrayRef> = dataset
                .columns
                .iter()
                .map(|column| {
                    let values = column[start..end]
                        .iter()
                        .map(|&value| value.is_finite().then_some(value));
                    Arc::new(values.collect::<Float32Array>()) as ArrayRef
                })
                .collect();
            let labels = (start..end).map(|row| Some(dataset.label(row)));
            columns.push(Arc::new(labels.collect::<StringArray>()));
            batches.push(
                RecordBatch::try_new(schema.clone(), columns)
                    .map_err(datafusion::error::DataFusionError::from)?,
            );
        }
        parts.push(batches);
    }
    if parts.is_empty() {
        parts.push(Vec::new());
    }
    Ok(MemTable::try_new(schema, parts)?)
}

/// Registers `<table>_scored`: every column of `table`, then `anomaly_score` (the model's score),
/// `is_anomaly` (the score at or above the model's threshold) and, from an agent file,
/// `agent_flags` (the agent's decision), each computed once per row. The
/// model's features are found among the table's columns by the ingest's header rules; the error
/// names a missing feature, or one stored as text, and the table's path.
pub async fn register_scored_view(
    context: &SessionContext,
    spec: &TableSpec,
    model: &Arc<FlowModel>,
) -> Result<(), EngineError> {
    let table = context.table(spec.name.as_str()).await?;
    let columns: Vec<(String, DataType)> = table
        .schema()
        .fields()
        .iter()
        .map(|field| (field.name().clone(), field.data_type().clone()))
        .collect();
    let problem = |problem: String| EngineError::Columns {
        table: spec.name.clone(),
        path: spec.path.display().to_string(),
        problem,
    };
    let roles = Schema::from_header(columns.iter().map(|(name, _)| name.as_str()), true);
    let mut arguments = Vec::with_capacity(model.features().len());
    let mut missing = Vec::new();
    for feature in model.features() {
        let found = roles
            .columns
            .iter()
            .position(|(_, role)| matches!(role, Role::Feature(name) if name == feature));
        let Some(index) = found else {
            missing.push(feature.as_str());
            continue;
        };
        let (name, data_type) = &columns[index];
        if !data_type.is_numeric() {
            return Err(problem(format!(
                "its feature column `{name}` is stored as {data_type}, and the model needs a number; write the file with that column as a number (float or integer)"
            )));
        }
        arguments.push(ident(name));
    }
    if !missing.is_empty() {
        return Err(problem(format!(
            "it lacks {} of the model's {} features: {}; give files of the CICFlowMeter variant the model was trained on (or train with --shared-features to score other datasets)",
            missing.len(),
            model.features().len(),
            missing.join(", ")
        )));
    }
    let mut projection: Vec<Expr> = columns.iter().map(|(name, _)| ident(name)).collect();
    projection.push(
        anomaly_score(model.clone())
            .call(arguments.clone())
            .alias(ANOMALY_SCORE),
    );
    if model.has_agent() {
        projection.push(
            agent_flags(model.clone())
                .call(arguments)
                .alias(AGENT_FLAGS),
        );
    }
    let scored = table.select(projection)?;
    let mut projection: Vec<Expr> = columns.iter().map(|(name, _)| ident(name)).collect();
    projection.push(ident(ANOMALY_SCORE));
    projection.push(
        ident(ANOMALY_SCORE)
            .gt_eq(lit(model.threshold()))
            .alias(IS_ANOMALY),
    );
    if model.has_agent() {
        projection.push(ident(AGENT_FLAGS));
    }
    let view = scored.select(projection)?;
    context.register_table(format!("{}{SCORED_SUFFIX}", spec.name), view.into_view())?;
    Ok(())
}
