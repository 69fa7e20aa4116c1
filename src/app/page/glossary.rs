//! The page's words, explained: one list of terms, each with the words the page uses for it and a
//! sentence or two a student can follow. Wherever a label or figure uses one of those words it
//! becomes a [`Term`] (dotted underline; the definition shows on hover and on keyboard focus), and
//! the lesson lists them all.

use std::cell::Cell;

use leptos::prelude::*;

/// One term: the words the page shows for it, and what it means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The term as the glossary lists it.
    pub term: &'static str,
    /// The words the page uses for it (labels, headings), the first being how it reads in text.
    pub words: &'static [&'static str],
    /// What it means, in a sentence or two.
    pub meaning: &'static str,
}

/// Every term the page uses, in the order the lesson meets them.
pub const GLOSSARY: [Entry; 18] = [
    Entry {
        term: "Flow",
        words: &["flow"],
        meaning: "One conversation between two machines (addresses, ports, protocol) summarised by CICFlowMeter as about 80 numbers: durations, packet counts and sizes, flags.",
    },
    Entry {
        term: "Benign",
        words: &["benign"],
        meaning: "Normal traffic. The detector learns only from benign flows: it never sees an attack while training.",
    },
    Entry {
        term: "Anomaly score",
        words: &["anomaly score"],
        meaning: "How unusual a flow looks to the detector: the higher, the less it resembles the benign flows it learnt from.",
    },
    Entry {
        term: "Reconstruction error",
        words: &["reconstruction error"],
        meaning: "How far the autoencoder's rebuilt flow is from the real one. Benign flows, like those it learnt from, are rebuilt well; unusual ones badly.",
    },
    Entry {
        term: "Epochs",
        words: &["Epochs"],
        meaning: "Passes over the training flows. Training stops early when the loss on flows the model did not fit stops falling.",
    },
    Entry {
        term: "Code size",
        words: &["Code size"],
        meaning: "The width of the autoencoder's narrow middle layer: the smaller it is, the more the model must keep only what benign flows have in common.",
    },
    Entry {
        term: "Clip",
        words: &["Clip at ± deviations (0: none)"],
        meaning: "How far from the benign average, in benign standard deviations, each feature may lie before it is cut off. A benign flow wild in one feature then counts no more than one a little off in it, while attacks, odd in many features, still stand out. 0 turns it off.",
    },
    Entry {
        term: "Seed",
        words: &["Seed"],
        meaning: "The number behind every random choice (folds, first weights, samples): the same seed gives the same model on the CPU.",
    },
    Entry {
        term: "k (kNN)",
        words: &["k (kNN)"],
        meaning: "How many nearest benign flows the kNN detector looks at: a flow's score is its distance to the k-th nearest of them.",
    },
    Entry {
        term: "Out-of-fold score",
        words: &["out-of-fold"],
        meaning: "A score given by a model fitted without that flow (cross-fitting: the flows are split into folds, each scored by the model fitted on the others), as honest as a score on new traffic.",
    },
    Entry {
        term: "Threshold",
        words: &["Threshold"],
        meaning: "The score above which a flow is flagged. Lower, it catches more attacks and raises more false alarms; higher, the reverse.",
    },
    Entry {
        term: "False-positive rate",
        words: &["false-positive rate", "FPR"],
        meaning: "The share of benign flows flagged: the false alarms someone has to look at. At 1 %, one benign flow in a hundred.",
    },
    Entry {
        term: "Recall",
        words: &["recall", "Recall"],
        meaning: "The share of attacks flagged, also called the detection rate or true-positive rate.",
    },
    Entry {
        term: "Precision",
        words: &["precision", "Precision"],
        meaning: "The share of flagged flows that really are attacks.",
    },
    Entry {
        term: "ROC-AUC",
        words: &["ROC-AUC"],
        meaning: "The chance that a random attack scores above a random benign flow: 1 is a perfect ranking, 0.5 a coin toss. It says nothing of where the threshold sits.",
    },
    Entry {
        term: "PR-AUC",
        words: &["PR-AUC"],
        meaning: "Average precision over every threshold: how clean the flagged flows stay as more attacks are caught. Unlike ROC-AUC it depends on how many attacks there are.",
    },
    Entry {
        term: "Cost matrix",
        words: &[
            "Reward, correct",
            "Cost, false alarm",
            "Cost, missed attack",
            "cost matrix",
        ],
        meaning: "What each decision is worth: a reward for a correct one, a cost for a false alarm and a (usually larger) cost for a missed attack. The agent learns to keep the total cost low.",
    },
    Entry {
        term: "DQN, PPO, A2C",
        words: &["Algorithm", "Episodes"],
        meaning: "The agent's learning methods. DQN learns what flagging and allowing each flow is worth; PPO and A2C learn the odds of flagging directly, PPO in small clipped steps. An episode is one round of practice: a run of flows, each decision rewarded or charged.",
    },
];

/// The entry that explains `word` as the page writes it, if any.
pub fn entry_for(word: &str) -> Option<&'static Entry> {
    GLOSSARY.iter().find(|entry| entry.words.contains(&word))
}

thread_local! {
    /// Terms drawn so far, to give each definition an id of its own.
    static SHOWN: Cell<u32> = const { Cell::new(0) };
}

/// `word` as the page shows it: a [`Term`] when the glossary explains it, plain text otherwise.
pub fn word(word: &'static str) -> AnyView {
    match entry_for(word) {
        Some(entry) => view! { <Term text=word entry=entry /> }.into_any(),
        None => word.into_any(),
    }
}

/// `text`, focusable and underlined, with `entry`'s meaning shown on hover and keyboard focus
/// and read as its description by screen readers.
#[component]
pub fn Term(text: &'static str, entry: &'static Entry) -> impl IntoView {
    let id = SHOWN.with(|shown| {
        shown.set(shown.get() + 1);
        format!("term-{}", shown.get())
    });
    view! {
        <span class="term" tabindex="0" aria-describedby=id.clone()>
            {text}
            <span class="tip" role="tooltip" id=id.clone()>{entry.meaning}</span>
        </span>
    }
}

/// The whole glossary as a definition list.
#[component]
pub fn Glossary() -> impl IntoView {
    let entries = GLOSSARY
        .iter()
        .map(|entry| view! { <dt>{entry.term}</dt><dd>{entry.meaning}</dd> })
        .collect_view();
    view! {
        <details class="glossary" data-testid="glossary">
            <summary>"Glossary"</summary>
            <dl>{entries}</dl>
        </details>
    }
}
