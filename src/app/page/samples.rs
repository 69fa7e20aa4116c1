//! The bundled samples the data panel offers: real flows of each CIC dataset, small enough to
//! ship with the page, so a demo can train on one dataset and test on another without downloads.
//! `static/README.md` says how each was made and whose data it is.

/// One bundled sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Its file name among the page's assets (and the name the load reports).
    pub file: &'static str,
    /// What the chooser says.
    pub title: &'static str,
}

/// The samples, the one a fresh page (and its lesson) starts from first.
pub const SAMPLES: [Sample; 3] = [
    Sample {
        file: "cicids2017-sample.csv",
        title: "CIC-IDS 2017 · 3,000 flows",
    },
    Sample {
        file: "cse-cic-ids2018-sample.csv",
        title: "CSE-CIC-IDS2018 · 2,497 flows",
    },
    Sample {
        file: "cic-ddos2019-sample.csv",
        title: "CIC-DDoS2019 · 2,730 flows",
    },
];

/// The sample called `file`, or the first one.
pub fn named(file: &str) -> Sample {
    SAMPLES
        .into_iter()
        .find(|sample| sample.file == file)
        .unwrap_or(SAMPLES[0])
}

/// The absolute URL of a sample among the page's assets: the worker runs from a Blob URL, so
/// relative URLs would not reach them.
pub fn url_of(sample: Sample) -> Result<String, String> {
    let base = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.base_uri().ok().flatten())
        .ok_or("the page has no base URL")?;
    web_sys::Url::new_with_base(sample.file, &base)
        .map(|url| url.href())
        .map_err(|error| format!("{error:?}"))
}
