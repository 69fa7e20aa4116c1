//! The frame around every chart: its caption, a "Data" toggle that shows the numbers behind it as
//! a table (for a screen reader, or a student who wants the values), and downloads of the picture
//! (SVG, or PNG for slides) and of the data (CSV). A downloaded picture carries the page's
//! colours, dashes and fonts inline, so it looks the same outside the page, in either theme.

use std::cell::Cell;

use leptos::html::Figure;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{CanvasRenderingContext2d, Element, HtmlCanvasElement, HtmlImageElement};

use super::download;
use crate::data::csv_text::csv_line;

/// The numbers behind a chart: column names, then one row of text per point or bar.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChartTable {
    /// What each column holds ("epoch", "loss").
    pub columns: Vec<String>,
    /// The rows, as many fields as columns.
    pub rows: Vec<Vec<String>>,
}

impl ChartTable {
    /// The table as CSV text: a header line, then a line per row.
    pub fn csv(&self) -> String {
        std::iter::once(csv_line(&self.columns))
            .chain(self.rows.iter().map(|row| csv_line(row)))
            .map(|line| line + "\n")
            .collect()
    }
}

/// The SVG properties a downloaded chart needs inline, read from the page's styles.
const STYLED: [&str; 8] = [
    "fill",
    "stroke",
    "stroke-width",
    "stroke-dasharray",
    "opacity",
    "font-size",
    "font-family",
    "text-anchor",
];

/// How much larger than its SVG units a chart's PNG is drawn: sharp on a projector.
const PNG_SCALE: u32 = 2;

thread_local! {
    /// Charts drawn so far, to give each table an id of its own.
    static DRAWN: Cell<u32> = const { Cell::new(0) };
}

/// A chart (`children`, one `<svg>`) with its caption, its `table` behind a "Data" toggle, and
/// its downloads, named after `label`.
#[component]
pub fn ChartFrame(
    label: String,
    caption: String,
    table: ChartTable,
    children: Children,
) -> impl IntoView {
    let shown = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let figure = NodeRef::<Figure>::new();
    let id = DRAWN.with(|drawn| {
        drawn.set(drawn.get() + 1);
        format!("chart-data-{}", drawn.get())
    });
    let name = file_stem(&label);
    let table = StoredValue::new(table);
    let (label, name) = (StoredValue::new(label), StoredValue::new(name));
    let report = move |result: Result<(), String>| error.set(result.err());
    let svg_of = move || -> Result<String, String> {
        let figure = figure
            .get_untracked()
            .ok_or("the chart is not on the page")?;
        standalone_svg(&figure, &label.get_value())
    };
    let on_svg = move |_| {
        report(svg_of().and_then(|svg| {
            download::offer_text(&format!("{}.svg", name.get_value()), &svg, "image/svg+xml")
        }))
    };
    let on_png =
        move |_| match svg_of() {
            Ok(svg) => leptos::task::spawn_local(async move {
                let drawn = png_url(&svg).await;
                report(drawn.and_then(|url| {
                    download::offer_url(&format!("{}.png", name.get_value()), &url)
                }));
            }),
            Err(problem) => report(Err(problem)),
        };
    let on_csv = move |_| {
        report(table.with_value(|table| {
            download::offer_text(
                &format!("{}.csv", name.get_value()),
                &table.csv(),
                "text/csv",
            )
        }))
    };
    let describe = move |what: &str| format!("Download {} as {what}", label.get_value());
    view! {
        <figure class="chart" node_ref=figure>
            {children()}
            <figcaption>{caption}</figcaption>
            <div class="chart-tools">
                <button
                    type="button"
                    class="link"
                    data-testid="chart-data"
                    aria-expanded=move || shown.get().to_string()
                    aria-controls=id.clone()
                    on:click=move |_| shown.update(|shown| *shown = !*shown)
                >
                    "Data"
                </button>
                <button type="button" class="link" data-testid="chart-svg" aria-label=describe("SVG") on:click=on_svg>"SVG"</button>
                <button type="button" class="link" data-testid="chart-png" aria-label=describe("PNG") on:click=on_png>"PNG"</button>
                <button type="button" class="link" data-testid="chart-csv" aria-label=describe("CSV") on:click=on_csv>"CSV"</button>
            </div>
            {move || error.get().map(|error| view! { <p class="error" role="alert">{error}</p> })}
            // It scrolls when long: focusable, so the keyboard can scroll it too.
            <div
                id=id
                class="chart-data"
                tabindex="0"
                role="region"
                aria-label=move || format!("{}: the numbers", label.get_value())
                hidden=move || !shown.get()
            >
                {move || shown.get().then(|| table.with_value(|table| data_table(&label.get_value(), table)))}
            </div>
        </figure>
    }
}

/// The table of a chart's numbers.
fn data_table(label: &str, table: &ChartTable) -> impl IntoView + use<> {
    let head = table
        .columns
        .iter()
        .map(|column| view! { <th scope="col">{column.clone()}</th> })
        .collect_view();
    let rows = table
        .rows
        .iter()
        .map(|row| {
            let cells = row
                .iter()
                .map(|cell| view! { <td>{cell.clone()}</td> })
                .collect_view();
            view! { <tr>{cells}</tr> }
        })
        .collect_view();
    view! {
        <table>
            <caption>{format!("{label}: the numbers")}</caption>
            <thead><tr>{head}</tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// A file name from a chart's label: "netsentry-" and its words in lower case, joined by dashes.
fn file_stem(label: &str) -> String {
    let words = label
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>();
    format!("netsentry-{}", words.join("-"))
}

/// The chart in `figure` as a standalone SVG document: the page's computed styles written onto
/// each element, its background as a first rectangle, and `label` as its title.
fn standalone_svg(figure: &Element, label: &str) -> Result<String, String> {
    let failed = |error: wasm_bindgen::JsValue| format!("could not copy the chart: {error:?}");
    let window = web_sys::window().ok_or("the page has no window")?;
    let document = window.document().ok_or("the page has no document")?;
    let svg = figure
        .query_selector("svg")
        .map_err(failed)?
        .ok_or("the chart has no picture")?;
    let copy: Element = svg
        .clone_node_with_deep(true)
        .map_err(failed)?
        .unchecked_into();
    let originals = svg.query_selector_all("*").map_err(failed)?;
    let copies = copy.query_selector_all("*").map_err(failed)?;
    for index in 0..originals.length() {
        let (Some(original), Some(copied)) = (originals.item(index), copies.item(index)) else {
            continue;
        };
        let style = window
            .get_computed_style(original.unchecked_ref())
            .map_err(failed)?
            .ok_or("the chart has no style")?;
        let inline = STYLED
            .iter()
            .filter_map(|property| {
                let value = style.get_property_value(property).ok()?;
                (!value.is_empty()).then(|| format!("{property}:{value};"))
            })
            .collect::<String>();
        copied
            .unchecked_ref::<Element>()
            .set_attribute("style", &inline)
            .map_err(failed)?;
    }
    let background = window
        .get_computed_style(&svg)
        .map_err(failed)?
        .and_then(|style| style.get_property_value("background-color").ok())
        .unwrap_or_else(|| "white".to_owned());
    const SVG: Option<&str> = Some("http://www.w3.org/2000/svg");
    let paper = document.create_element_ns(SVG, "rect").map_err(failed)?;
    for (name, value) in [("width", "100%"), ("height", "100%"), ("fill", &background)] {
        paper.set_attribute(name, value).map_err(failed)?;
    }
    let title = document.create_element_ns(SVG, "title").map_err(failed)?;
    title.set_text_content(Some(label));
    copy.prepend_with_node_2(&title, &paper).map_err(failed)?;
    let view_box = copy.get_attribute("viewBox").unwrap_or_default();
    let size: Vec<&str> = view_box.split_whitespace().collect();
    if let [_, _, width, height] = size[..] {
        copy.set_attribute("width", width).map_err(failed)?;
        copy.set_attribute("height", height).map_err(failed)?;
    }
    copy.set_attribute("xmlns", SVG.unwrap_or_default())
        .map_err(failed)?;
    web_sys::XmlSerializer::new()
        .and_then(|serializer| serializer.serialize_to_string(&copy))
        .map_err(failed)
}

/// The standalone `svg` drawn on a canvas [`PNG_SCALE`] times its size, as a PNG data URL.
async fn png_url(svg: &str) -> Result<String, String> {
    let failed =
        |error: wasm_bindgen::JsValue| format!("could not draw the chart as PNG: {error:?}");
    let document = web_sys::window()
        .and_then(|window| window.document())
        .ok_or("the page has no document")?;
    let image = HtmlImageElement::new().map_err(failed)?;
    let encoded: String = js_sys::encode_uri_component(svg).into();
    image.set_src(&format!("data:image/svg+xml;charset=utf-8,{encoded}"));
    JsFuture::from(image.decode()).await.map_err(failed)?;
    let (width, height) = (
        image.natural_width() * PNG_SCALE,
        image.natural_height() * PNG_SCALE,
    );
    let canvas: HtmlCanvasElement = document
        .create_element("canvas")
        .map_err(failed)?
        .unchecked_into();
    canvas.set_width(width);
    canvas.set_height(height);
    let context: CanvasRenderingContext2d = canvas
        .get_context("2d")
        .map_err(failed)?
        .ok_or("this browser cannot draw on a canvas")?
        .unchecked_into();
    context
        .draw_image_with_html_image_element_and_dw_and_dh(
            &image,
            0.0,
            0.0,
            f64::from(width),
            f64::from(height),
        )
        .map_err(failed)?;
    canvas.to_data_url_with_type("image/png").map_err(failed)
}
