//! Small SVG charts drawn from plain numbers: lines (losses, curves, agent progress) and the score
//! histogram. No chart library: a few polylines and rectangles are all the page needs, and they
//! render as markup the tests can read. Each chart sits in a [`ChartFrame`], which offers its
//! numbers as a table and its picture and data as files.

use leptos::prelude::*;

use super::chart_frame::{ChartFrame, ChartTable};
use crate::metrics::histogram::ScoreHistogram;

/// Chart width in SVG units (it scales to the page).
const WIDTH: f64 = 600.0;
/// Chart height in SVG units.
const HEIGHT: f64 = 180.0;
/// Room for axis labels: the y axis's ticks (up to five characters) beside its rotated name.
const PAD: f64 = 54.0;

/// How the y axis is labelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// The values as they are.
    Linear,
    /// The values are natural logs; labels show `e^value`.
    Log,
}

/// An axis: the range of values it spans and its name, written along it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Axis {
    /// The lowest and highest values.
    pub range: (f64, f64),
    /// What it measures ("epoch", "false-positive rate").
    pub name: &'static str,
}

/// One line of a chart: its name, its CSS class (colour and dash) and its points.
pub struct Series {
    /// What it shows ("training", "ROC-AUC"), the column it heads in the chart's table.
    pub name: &'static str,
    /// CSS class of the polyline.
    pub class: &'static str,
    /// (x, y) in data units.
    pub points: Vec<(f64, f64)>,
}

/// The range of `values`, widened when empty or flat so a chart always has a scale.
pub fn range_of(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (low, high) = values
        .into_iter()
        .filter(|value| value.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), value| {
            (low.min(value), high.max(value))
        });
    if !low.is_finite() {
        (0.0, 1.0)
    } else if high - low < 1e-12 {
        (low - 0.5, high + 0.5)
    } else {
        (low, high)
    }
}

fn to_x(x: f64, (low, high): (f64, f64)) -> f64 {
    PAD + (x - low) / (high - low) * (WIDTH - PAD - 8.0)
}

fn to_y(y: f64, (low, high): (f64, f64)) -> f64 {
    HEIGHT - PAD - (y - low) / (high - low) * (HEIGHT - PAD - 8.0)
}

/// Compact axis label.
fn tick(value: f64) -> String {
    if value != 0.0 && (value.abs() >= 1e4 || value.abs() < 1e-2) {
        format!("{value:.1e}")
    } else {
        format!("{}", (value * 1000.0).round() / 1000.0)
    }
}

/// A line chart of `series` along the axes `x` and `y` (labelled on `scale`), described by
/// `label` for screen readers and captioned with `caption`; its table lists every point of every
/// series (the y values as they are, not their logarithms).
pub fn line_chart(
    label: String,
    caption: String,
    series: Vec<Series>,
    x_axis: Axis,
    (y_axis, scale): (Axis, Scale),
) -> impl IntoView {
    let (x, y) = (x_axis.range, y_axis.range);
    let table = ChartTable {
        columns: vec![
            "series".to_owned(),
            x_axis.name.to_owned(),
            y_axis.name.to_owned(),
        ],
        rows: series
            .iter()
            .flat_map(|series| {
                series.points.iter().map(move |&(px, py)| {
                    let value = match scale {
                        Scale::Linear => py,
                        Scale::Log => py.exp(),
                    };
                    vec![series.name.to_owned(), number(px), number(value)]
                })
            })
            .collect(),
    };
    let lines = series
        .into_iter()
        .map(|series| {
            let points = series
                .points
                .iter()
                .filter(|(px, py)| px.is_finite() && py.is_finite())
                .map(|&(px, py)| format!("{:.1},{:.1}", to_x(px, x), to_y(py, y)))
                .collect::<Vec<_>>()
                .join(" ");
            view! { <polyline class=series.class points=points /> }
        })
        .collect_view();
    let svg = view! {
        <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=label.clone()>
            {axes(x_axis, y_axis, scale)}
            {lines}
        </svg>
    };
    view! { <ChartFrame label=label caption=caption table=table>{svg}</ChartFrame> }
}

/// A value for a chart's table and CSV: as many digits as it has, up to six significant ones.
fn number(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let rounded = format!("{value:.6e}").parse::<f64>().unwrap_or(value);
    rounded.to_string()
}

/// The frame, three values along each axis (ends and middle) and the axes' names.
fn axes(x_axis: Axis, y_axis: Axis, scale: Scale) -> impl IntoView {
    let (x, y) = (x_axis.range, y_axis.range);
    let bottom = HEIGHT - PAD;
    let label = |value: f64| match scale {
        Scale::Linear => tick(value),
        Scale::Log => tick(value.exp()),
    };
    let x_middle = (x.0 + x.1) / 2.0;
    let y_middle = (y.0 + y.1) / 2.0;
    view! {
        <line class="axis" x1=PAD y1=bottom x2=WIDTH - 8.0 y2=bottom />
        <line class="axis" x1=PAD y1=8.0 x2=PAD y2=bottom />
        {x_ticks(x, [tick(x.0), tick(x_middle), tick(x.1)])}
        <text class="tick end" x=PAD - 3.0 y=bottom>{label(y.0)}</text>
        <text class="tick end" x=PAD - 3.0 y=to_y(y_middle, y) + 4.0>{label(y_middle)}</text>
        <text class="tick end" x=PAD - 3.0 y=16.0>{label(y.1)}</text>
        {axis_names(x_axis.name, y_axis.name)}
    }
}

/// The labels under the x axis at its start, middle and end.
fn x_ticks(x: (f64, f64), labels: [String; 3]) -> impl IntoView {
    let [start, middle, end] = labels;
    let below = HEIGHT - PAD + 14.0;
    view! {
        <text class="tick" x=PAD y=below>{start}</text>
        <text class="tick middle" x=to_x((x.0 + x.1) / 2.0, x) y=below>{middle}</text>
        <text class="tick end" x=WIDTH - 8.0 y=below>{end}</text>
    }
}

/// The axes' names: under the x axis, and up the y axis.
fn axis_names(x: &'static str, y: &'static str) -> impl IntoView {
    let y_middle = (HEIGHT - PAD + 8.0) / 2.0;
    view! {
        <text class="axis-name" x=(PAD + WIDTH - 8.0) / 2.0 y=HEIGHT - 4.0>{x}</text>
        <text
            class="axis-name"
            x=10.0
            y=y_middle
            transform=format!("rotate(-90 10 {y_middle})")
        >
            {y}
        </text>
    }
}

/// The score histogram: benign and attack counts per log-spaced bin (bar heights on a log scale),
/// with a marker at threshold edge `threshold`, which follows it as it moves.
pub fn histogram_chart(
    histogram: &ScoreHistogram,
    threshold: Signal<usize>,
) -> impl IntoView + use<> {
    let bins = histogram.benign.len().max(1);
    let most = histogram
        .benign
        .iter()
        .chain(&histogram.attack)
        .copied()
        .max()
        .unwrap_or(1)
        .max(1);
    let plot = HEIGHT - PAD - 8.0;
    let width = (WIDTH - PAD - 8.0) / bins as f64;
    let height = |count: u64| (count as f64).ln_1p() / (most as f64).ln_1p() * plot;
    let bars = |counts: &[u64], class: &'static str| {
        counts
            .iter()
            .enumerate()
            .filter(|(_, count)| **count > 0)
            .map(|(bin, &count)| {
                let h = height(count);
                view! {
                    <rect
                        class=class
                        x=PAD + bin as f64 * width
                        y=HEIGHT - PAD - h
                        width=width
                        height=h
                    />
                }
            })
            .collect_view()
    };
    let marker = move || PAD + threshold.get() as f64 * width;
    let edges = &histogram.edges;
    let low = edges.first().copied().unwrap_or(0.0);
    let high = edges.last().copied().unwrap_or(1.0);
    let table = ChartTable {
        columns: ["score from", "score to", "benign flows", "attack flows"]
            .map(str::to_owned)
            .to_vec(),
        rows: (0..histogram.benign.len())
            .map(|bin| {
                let edge = |at: usize| edges.get(at).map_or(f64::NAN, |edge| f64::from(*edge));
                vec![
                    number(edge(bin)),
                    number(edge(bin + 1)),
                    histogram.benign[bin].to_string(),
                    histogram.attack.get(bin).copied().unwrap_or(0).to_string(),
                ]
            })
            .collect(),
    };
    let label = "Anomaly scores of benign and attack flows".to_owned();
    let svg = view! {
        <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=label.clone()>
            <line class="axis" x1=PAD y1=HEIGHT - PAD x2=WIDTH - 8.0 y2=HEIGHT - PAD />
            {bars(&histogram.benign, "benign")}
            {bars(&histogram.attack, "attack")}
            <line class="marker" x1=marker y1=4.0 x2=marker y2=HEIGHT - PAD />
            {x_ticks(
                (0.0, 1.0),
                [
                    tick(f64::from(low)),
                    // The bins are log-spaced: the middle edge is the geometric middle.
                    tick(f64::from(edges.get(edges.len() / 2).copied().unwrap_or(0.0))),
                    tick(f64::from(high)),
                ],
            )}
            {axis_names("anomaly score (log scale)", "flows (log scale)")}
        </svg>
    };
    view! {
        <ChartFrame
            label=label
            caption="Anomaly score (log scale) of the tested flows: benign (blue), attacks (orange, outlined); flow counts on a log scale. The line is the threshold.".to_owned()
            table=table
        >
            {svg}
        </ChartFrame>
    }
}
