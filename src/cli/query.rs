//! `netsentry query`: SQL over flow files with the model's functions, in this process (DataFusion
//! on every core) or on a Ballista cluster started with `netsentry cluster`.

use super::cluster::AccessArgs;
use super::error::{CliError, Failure};
use super::inputs::say_loaded;
use crate::engine::EngineError;
use crate::engine::cluster::{self, Role};
use crate::engine::flow_model::FlowModel;
use crate::engine::functions;
use crate::engine::tables::{self, SCORED_SUFFIX, TableSpec};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::csv::Writer as CsvWriter;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::physical_plan::SendableRecordBatchStream;
use futures::StreamExt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `netsentry query`.
#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// A table: NAME=PATH, where PATH is a CICFlowMeter CSV, a Parquet file, or a folder of
    /// either (repeat for more tables). With --model, each table also gets a view NAME_scored
    /// with the columns anomaly_score and is_anomaly.
    #[arg(long = "table", value_name = "NAME=PATH", required = true)]
    tables: Vec<TableSpec>,
    /// A model file (from `netsentry train` or the page): defines anomaly_score(<features>...)
    /// and is_anomaly(<features>...) and the scored views; an agent file adds
    /// agent_flags(<features>...), the agent's decisions. is_attack(<label>) is always defined.
    #[arg(long, value_name = "MODEL")]
    model: Option<PathBuf>,
    /// Run on a Ballista cluster (df://HOST:PORT, its scheduler) instead of in this process;
    /// tables must then be Parquet.
    #[arg(long, value_name = "URL")]
    cluster: Option<String>,
    /// With --cluster: how this client proves itself to a cluster run with TLS or a shared key.
    #[command(flatten)]
    access: AccessArgs,
    /// Write the result to a file instead of printing it: .csv or .parquet.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Give up on a query that has not finished after this many seconds (a cluster that lost
    /// its executors would otherwise keep it waiting).
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    timeout: u64,
    /// The SQL query, e.g. 'SELECT "Label", count(*) FROM flows_scored WHERE is_anomaly GROUP BY
    /// "Label"' (quote mixed-case column names: unquoted SQL names are read in lower case).
    #[arg(value_name = "SQL")]
    sql: String,
}

/// Registers the tables and functions, runs the query and prints or writes its result.
pub fn query(args: &QueryArgs) -> Result<(), Failure> {
    let limit = std::time::Duration::from_secs(args.timeout);
    runtime()?.block_on(async {
        tokio::time::timeout(limit, run_query(args))
            .await
            .unwrap_or_else(|_| {
                Err(Box::new(EngineError::TimedOut {
                    seconds: args.timeout,
                    cluster: args.cluster.clone(),
                }))
            })
    })
}

async fn run_query(args: &QueryArgs) -> Result<(), Failure> {
    let output = args.out.as_deref().map(Output::of).transpose()?;
    let model = match &args.model {
        Some(path) => Some(Arc::new(FlowModel::read(path)?)),
        None => None,
    };
    let context = match &args.cluster {
        Some(url) => {
            tables::check_for_cluster(&args.tables)?;
            let security = args.access.load(Role::Client)?;
            cluster::remote_context(url, &security).await?
        }
        None => cluster::local_context(),
    };
    functions::register(&context, model.as_ref());
    for spec in &args.tables {
        if let Some(report) = tables::register(&context, spec).await? {
            say_loaded(&format!("table {}:", spec.name), &report);
        }
        if let Some(model) = &model {
            tables::register_scored_view(&context, spec, model).await?;
            eprintln!(
                "view {}{SCORED_SUFFIX}: its columns, anomaly_score and is_anomaly{}",
                spec.name,
                if model.has_agent() {
                    ", agent_flags"
                } else {
                    ""
                }
            );
        }
    }
    let frame = context.sql(&args.sql).await.map_err(EngineError::from)?;
    let stream = frame.execute_stream().await.map_err(EngineError::from)?;
    match output {
        None => print_table(stream).await,
        Some(output) => write_file(stream, output).await,
    }
}

/// Prints the whole result as a text table.
async fn print_table(stream: SendableRecordBatchStream) -> Result<(), Failure> {
    let batches: Vec<RecordBatch> = datafusion::physical_plan::common::collect(stream)
        .await
        .map_err(EngineError::from)?;
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    println!("{}", pretty_format_batches(&batches)?);
    eprintln!("{rows} row(s)");
    Ok(())
}

/// Writes the result batch by batch as CSV or Parquet into a partial file beside `--out`, synced
/// and renamed to it only once every row is on disk: a failure half-way (a full or read-only
/// disk, a query that fails on a later batch, a lost executor) leaves no file that looks whole,
/// and the error says so.
async fn write_file(stream: SendableRecordBatchStream, output: Output<'_>) -> Result<(), Failure> {
    let partial = output.partial();
    match write_rows(stream, &output, &partial).await {
        Ok(rows) => {
            std::fs::rename(&partial, output.path).map_err(|source| CliError::Write {
                path: output.path.to_owned(),
                source,
            })?;
            eprintln!("wrote {rows} row(s) to {}", output.path.display());
            Ok(())
        }
        Err(error) => {
            // Nothing half-written stays behind.
            let _ = std::fs::remove_file(&partial);
            Err(Box::new(CliError::Unfinished {
                path: output.path.to_owned(),
                why: error.to_string(),
            }))
        }
    }
}

/// Writes every batch of `stream` to `partial` in `output`'s format and syncs it; the rows written.
async fn write_rows(
    mut stream: SendableRecordBatchStream,
    output: &Output<'_>,
    partial: &Path,
) -> Result<usize, Failure> {
    let file = File::create(partial).map_err(|source| CliError::Write {
        path: output.path.to_owned(),
        source,
    })?;
    let mut writer = if output.parquet {
        Writer::Parquet(ArrowWriter::try_new(file, stream.schema(), None)?)
    } else {
        Writer::Csv(CsvWriter::new(file))
    };
    let mut rows = 0;
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(EngineError::from)?;
        rows += batch.num_rows();
        match &mut writer {
            Writer::Csv(writer) => writer.write(&batch)?,
            Writer::Parquet(writer) => writer.write(&batch)?,
        }
    }
    let file = match writer {
        Writer::Parquet(writer) => writer.into_inner()?,
        Writer::Csv(writer) => writer.into_inner(),
    };
    // A full disk may only say so when the data is flushed.
    file.sync_all()?;
    Ok(rows)
}

/// Where `--out` writes, and in which format (by its extension).
struct Output<'a> {
    path: &'a Path,
    parquet: bool,
}

impl<'a> Output<'a> {
    fn of(path: &'a Path) -> Result<Self, String> {
        let extension = path.extension().and_then(|extension| extension.to_str());
        let parquet = match extension.map(str::to_ascii_lowercase).as_deref() {
            Some("csv") => false,
            Some("parquet") => true,
            _ => {
                return Err(format!(
                    "--out {}: name a .csv or .parquet file, so NetSentry knows which to write",
                    path.display()
                ));
            }
        };
        Ok(Self { path, parquet })
    }

    /// The file written until the result is whole: `<name>.partial` beside it.
    fn partial(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".partial");
        PathBuf::from(name)
    }
}

/// The file being written.
enum Writer {
    Csv(CsvWriter<File>),
    Parquet(ArrowWriter<File>),
}

/// A runtime on every core for DataFusion and Ballista.
pub(super) fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}
