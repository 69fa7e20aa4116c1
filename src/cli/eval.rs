//! `netsentry eval`: a saved model on labelled flows, with ROC-AUC, PR-AUC and its decisions per
//! label.

use super::error::Failure;
use super::evaluation::evaluation_text;
use super::inputs::{device, every_column, load, read_model};
use crate::device::backend::BackendPreference;
use crate::model::score::held_out::{evaluate_rows, routing};
use std::path::PathBuf;

/// `netsentry eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Where to score.
    #[arg(long, value_enum, default_value_t = BackendPreference::Cpu)]
    backend: BackendPreference,
    /// The model file written by `train`.
    #[arg(value_name = "MODEL")]
    model: PathBuf,
    /// The CSV files to score.
    #[arg(required = true, value_name = "CSV")]
    files: Vec<PathBuf>,
}

/// Scores every flow of the files with the model and prints the metrics.
pub fn eval(args: &EvalArgs) -> Result<(), Failure> {
    let device = device(args.backend);
    let model = read_model(&args.model, &device)?;
    let dataset = load(&args.files, every_column())?;
    let rows: Vec<u32> = (0..dataset.rows() as u32).collect();
    let routed = routing(&model, &dataset, &rows)?;
    let (evaluation, _) = pollster::block_on(evaluate_rows(&model, &dataset, &rows, &device))?;
    if args.json {
        let mut value = serde_json::to_value(&evaluation)?;
        value["fitted_rows"] = routed.fitted.into();
        value["cross_fitted"] = routed.own_files.into();
        value["threshold_rule"] = model.meta.threshold_rule.describe().into();
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!(
            "{}",
            evaluation_text(&evaluation, &routed, model.meta.folds)
        );
    }
    Ok(())
}
