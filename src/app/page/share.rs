//! The set-up a link carries: the sample, the detector with its settings (clip, k, code size,
//! epochs when typed) and threshold rule, the agent and its cost matrix, the seed, and how the
//! page looks. It lives in the URL's fragment (after `#`, which browsers never send to a server),
//! kept up to date as the user changes it, so a reload keeps it and "Copy link" hands a class the
//! same set-up. Panels read and write it through [`SetUp`] in context.

use leptos::prelude::*;

use super::samples::{SAMPLES, Sample};
use crate::metrics::threshold::{DEFAULT_PERCENTILE, DEFAULT_TARGET_FPR, RuleKind, ThresholdRule};
use crate::model::config::ModelKind;
use crate::model::fit::FitOptions;
use crate::rl::plan::{AgentPlan, Algorithm};

/// Everything a link restores.
#[derive(Clone, Debug, PartialEq)]
pub struct Shared {
    /// The bundled sample chosen.
    pub sample: Sample,
    /// The detector's options (kind, clip, kNN's k, code size, epochs when typed, threshold
    /// rule, seed).
    pub fit: FitOptions,
    /// The agent's plan (algorithm, episodes, cost matrix).
    pub plan: AgentPlan,
    /// The theme ("", follow the system; "light"; "dark").
    pub theme: String,
    /// Whether Present mode is on.
    pub present: bool,
}

impl Default for Shared {
    fn default() -> Self {
        Self {
            sample: SAMPLES[0],
            fit: FitOptions::default(),
            plan: AgentPlan::default(),
            theme: String::new(),
            present: false,
        }
    }
}

impl Shared {
    /// The fragment (without `#`) that [`Shared::parse`] reads back into this set-up.
    pub fn fragment(&self) -> String {
        let rule = self.fit.threshold_rule;
        let mut pairs = vec![
            ("sample", self.sample.file.to_owned()),
            ("model", self.fit.model.kind.short_name().to_owned()),
            ("rule", rule.kind().name().to_owned()),
        ];
        if let ThresholdRule::TargetFpr(target) = rule {
            pairs.push(("fpr", percent(target)));
        }
        // Epochs sized to the file are left out, so the link sizes them to its file too.
        if !self.fit.train.sized_by_rows {
            pairs.push(("epochs", self.fit.train.epochs.to_string()));
        }
        let rewards = self.plan.rewards;
        pairs.extend([
            ("clip", self.fit.model.clip.to_string()),
            ("k", self.fit.model.classic.k.to_string()),
            ("code", self.fit.model.bottleneck.to_string()),
            ("seed", self.fit.train.seed.to_string()),
            ("agent", self.plan.algorithm.id().to_owned()),
            ("episodes", self.plan.episodes.to_string()),
            ("reward", rewards.correct.to_string()),
            ("fp", rewards.false_positive.to_string()),
            ("fn", rewards.false_negative.to_string()),
        ]);
        if !self.theme.is_empty() {
            pairs.push(("theme", self.theme.clone()));
        }
        if self.present {
            pairs.push(("present", "on".to_owned()));
        }
        pairs
            .into_iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The set-up in `fragment` (with or without `#`), from the defaults: each known key it
    /// holds replaces its default, and each value that cannot be used is left at the default
    /// with a sentence saying so.
    pub fn parse(fragment: &str) -> (Self, Vec<String>) {
        let mut shared = Self::default();
        let mut problems = Vec::new();
        let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
        for pair in fragment.split('&').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = js_sys::decode_uri_component(value)
                .ok()
                .and_then(|value| value.as_string())
                .unwrap_or_else(|| value.to_owned());
            if let Err(problem) = shared.set(key, &value) {
                problems.push(format!("The link's {key}={value} was not used: {problem}."));
            }
        }
        (shared, problems)
    }

    /// Sets what `key` names to `value`, or says why it cannot.
    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let number = |range: std::ops::RangeInclusive<f64>| {
            value
                .parse::<f64>()
                .ok()
                .filter(|number| range.contains(number))
                .ok_or_else(|| {
                    format!(
                        "expected a number from {} to {}",
                        range.start(),
                        range.end()
                    )
                })
        };
        match key {
            "sample" => {
                self.sample = SAMPLES
                    .into_iter()
                    .find(|sample| sample.file == value)
                    .ok_or("no bundled sample has that name")?;
            }
            "model" => {
                self.fit.model.kind =
                    ModelKind::from_short_name(value).ok_or("no detector has that name")?;
            }
            "rule" => {
                let target = match self.fit.threshold_rule {
                    ThresholdRule::TargetFpr(target) => target,
                    _ => DEFAULT_TARGET_FPR,
                };
                self.fit.threshold_rule = RuleKind::from_name(value)
                    .ok_or("no threshold rule has that name")?
                    .rule(DEFAULT_PERCENTILE, target);
            }
            "fpr" => {
                let target = number(0.1..=20.0)? / 100.0;
                if let ThresholdRule::TargetFpr(_) = self.fit.threshold_rule {
                    self.fit.threshold_rule = ThresholdRule::TargetFpr(target);
                }
            }
            "clip" => self.fit.model.clip = number(0.0..=10.0)? as f32,
            "k" => self.fit.model.classic.k = number(1.0..=100.0)? as usize,
            "code" => self.fit.model.bottleneck = number(1.0..=64.0)? as usize,
            "epochs" => {
                self.fit.train.epochs = number(1.0..=1000.0)? as usize;
                self.fit.train.sized_by_rows = false;
            }
            "seed" => self.fit.train.seed = number(0.0..=1e9)? as u64,
            "agent" => {
                self.plan.algorithm = Algorithm::from_id(value).ok_or("no agent has that name")?;
            }
            "episodes" => self.plan.episodes = number(1.0..=5000.0)? as usize,
            "reward" => self.plan.rewards.correct = number(0.0..=1000.0)? as f32,
            "fp" => self.plan.rewards.false_positive = number(0.0..=1000.0)? as f32,
            "fn" => self.plan.rewards.false_negative = number(0.0..=1000.0)? as f32,
            "theme" => {
                if !["light", "dark"].contains(&value) {
                    return Err("the theme is light or dark".to_owned());
                }
                self.theme = value.to_owned();
            }
            "present" => self.present = value == "on",
            _ => return Err("the page has no such setting".to_owned()),
        }
        Ok(())
    }
}

/// A share as a percentage without trailing noise (0.01 → "1", 0.025 → "2.5").
fn percent(share: f64) -> String {
    ((share * 100.0 * 1e6).round() / 1e6).to_string()
}

/// The set-up in context: one signal per part, so each panel re-renders only for its own.
#[derive(Clone, Copy)]
pub struct SetUp {
    /// The bundled sample chosen.
    pub sample: RwSignal<Sample>,
    /// The detector's options.
    pub fit: RwSignal<FitOptions>,
    /// The agent's plan.
    pub plan: RwSignal<AgentPlan>,
    /// The theme.
    pub theme: RwSignal<String>,
    /// Present mode.
    pub present: RwSignal<bool>,
    /// What in the opening link could not be used, as sentences.
    pub problems: RwSignal<Vec<String>>,
}

impl SetUp {
    /// Reads the set-up from the page's URL, provides it to the panels, and keeps the URL's
    /// fragment in step with it from then on (replacing the history entry, not adding one).
    pub fn provide() -> Self {
        let (shared, problems) = Shared::parse(&current_fragment());
        let set_up = Self {
            sample: RwSignal::new(shared.sample),
            fit: RwSignal::new(shared.fit),
            plan: RwSignal::new(shared.plan),
            theme: RwSignal::new(shared.theme),
            present: RwSignal::new(shared.present),
            problems: RwSignal::new(problems),
        };
        provide_context(set_up);
        // A link opened in this tab, or the fragment edited by hand, applies at once (the page's
        // own updates replace the history entry, which fires no such event).
        let listening = window_event_listener(leptos::ev::hashchange, move |_| {
            let (shared, problems) = Shared::parse(&current_fragment());
            set_up.apply(shared, problems);
        });
        on_cleanup(move || listening.remove());
        Effect::new(move |_| {
            let fragment = set_up.shared().fragment();
            if let Some(history) = web_sys::window().and_then(|window| window.history().ok()) {
                // Replacing the fragment of this page's own URL cannot be refused.
                let _ = history.replace_state_with_url(
                    &wasm_bindgen::JsValue::NULL,
                    "",
                    Some(&format!("#{fragment}")),
                );
            }
        });
        set_up
    }

    /// Sets every part to `shared`'s, and what could not be used to `problems`.
    fn apply(&self, shared: Shared, problems: Vec<String>) {
        self.sample.set(shared.sample);
        self.fit.set(shared.fit);
        self.plan.set(shared.plan);
        self.theme.set(shared.theme);
        self.present.set(shared.present);
        self.problems.set(problems);
    }

    /// The set-up the panels provided.
    pub fn expect() -> Self {
        expect_context::<Self>()
    }

    /// The set-up as it stands (tracked: an effect that reads it follows every change).
    pub fn shared(&self) -> Shared {
        Shared {
            sample: self.sample.get(),
            fit: self.fit.get(),
            plan: self.plan.get(),
            theme: self.theme.get(),
            present: self.present.get(),
        }
    }
}

/// The page's fragment as it was opened, without `#`.
fn current_fragment() -> String {
    web_sys::window()
        .and_then(|window| window.location().hash().ok())
        .unwrap_or_default()
}

/// The page's whole URL with the set-up's fragment, for "Copy link".
pub fn link() -> Option<String> {
    web_sys::window().and_then(|window| window.location().href().ok())
}

/// The masthead's "Copy link" button: copies the page's URL, set-up included, and says so; where
/// the clipboard is refused, it shows the link to copy by hand.
#[component]
pub fn CopyLink() -> impl IntoView {
    let said = RwSignal::new(None::<Result<String, String>>);
    let on_click = move |_| {
        let Some(url) = link() else {
            return;
        };
        let Some(clipboard) = web_sys::window().map(|window| window.navigator().clipboard()) else {
            return;
        };
        leptos::task::spawn_local(async move {
            let copied = wasm_bindgen_futures::JsFuture::from(clipboard.write_text(&url)).await;
            said.set(Some(match copied {
                Ok(_) => Ok("Link copied: it opens this page with the same set-up.".to_owned()),
                Err(_) => Err(url),
            }));
        });
    };
    view! {
        <span class="share">
            <button type="button" class="speed" data-testid="copy-link" on:click=on_click
                title="Copy a link to this page with the same sample, detector and its settings, threshold rule, agent and costs">
                "Copy link"
            </button>
            <span role="status" data-testid="copy-link-status">
                {move || match said.get() {
                    Some(Ok(words)) => words.into_any(),
                    Some(Err(url)) => view! {
                        <label>
                            "The browser would not copy; select and copy this link: "
                            <input type="text" readonly=true value=url />
                        </label>
                    }.into_any(),
                    None => ().into_any(),
                }}
            </span>
        </span>
    }
}
