"""Clipping the scaled features, measured in scikit-learn before it was built: distance to the
nearest benign flow (kNN, k = 1) and PCA reconstruction on NetSentry's scaling (signed log1p,
standardisation on the fitted benign flows), with each scaled value clipped to ±c benign standard
deviations, against a robust per-feature distance (the mean of ln(1 + d²) over features), which
needs no clip but cannot be computed as a matrix product.

Protocols (seeds 1, 2, 3, 42; mean ROC-AUC / TPR at FPR <= 1 % and their range):
  cross-file  fit BENIGN_more_2484.csv, test BENIGN_2500.csv and the three attack files
  aside       fit four fifths of both benign files, test the other fifth and the attack files
  sample      the bundled sample, four fifths of its benign flows fitted, the rest tested
  cse-2018    the improved CSE-CIC-IDS2018 sample, likewise

    pip install numpy==2.1.3 scikit-learn==1.5.2 pandas
    python3 docs/prototypes/clip.py
"""

import warnings

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.neighbors import NearestNeighbors

warnings.filterwarnings("ignore")
IMPROVED = "tests/data/cicids2017/improved/"
SEEDS = [1, 2, 3, 42]


def load(path):
    """Features (no ports, no timestamp) and labels of an improved-layout CSV."""
    frame = pd.read_csv(path, low_memory=False)
    columns = list(frame.columns)
    features = columns[columns.index("Protocol") + 1 : columns.index("Total TCP Flow Time") + 1]
    features = [c for c in features if c != "Timestamp"]
    values = frame[features].apply(pd.to_numeric, errors="coerce").fillna(0).values
    return values, frame["Label"].values


def signed_log1p(x):
    return np.sign(x) * np.log1p(np.abs(x))


def tpr_at(labels, scores, fpr_budget=0.01):
    fpr, tpr, _ = roc_curve(labels, scores)
    return tpr[fpr <= fpr_budget].max()


def scaling(train, clip):
    logs = signed_log1p(train)
    mean, deviation = logs.mean(0), logs.std(0)
    keep = deviation > 0
    return lambda x: np.clip(((signed_log1p(x) - mean) / np.where(keep, deviation, 1))[:, keep], -clip, clip)


def detectors(train, tests, clip, distance):
    scale = scaling(train, clip)
    fitted = scale(train)
    pca = PCA(8, random_state=0).fit(fitted)
    scores = []
    for test in tests:
        scaled = scale(test)
        if distance == "robust":
            knn = np.array([np.log1p((fitted - row) ** 2).mean(1).min() for row in scaled])
        else:
            knn = NearestNeighbors(n_neighbors=1).fit(fitted).kneighbors(scaled)[0][:, 0]
        rebuilt = pca.inverse_transform(pca.transform(scaled))
        scores.append({"knn": knn, "pca": np.log1p((rebuilt - scaled) ** 2).mean(1)})
    return scores


def protocols():
    benign_a, _ = load(IMPROVED + "BENIGN_2500.csv")
    benign_b, _ = load(IMPROVED + "BENIGN_more_2484.csv")
    attacks = np.vstack([load(IMPROVED + f"{n}_2500.csv")[0] for n in ["DDoS", "DoS_Hulk", "Portscan"]])
    yield "cross-file", lambda seed: (benign_b, benign_a, attacks)
    both = np.vstack([benign_a, benign_b])
    yield "aside", lambda seed: split(both, attacks, seed)
    for name, path in [("sample", "static/cicids2017-sample.csv"),
                       ("cse-2018", "tests/data/cse-cic-ids2018/improved-cse-cic-ids2018-2497.csv")]:
        values, labels = load(path)
        benign, attack = values[labels == "BENIGN"], values[labels != "BENIGN"]
        yield name, lambda seed, benign=benign, attack=attack: split(benign, attack, seed)


def split(benign, attacks, seed):
    order = np.random.default_rng(seed + 100).permutation(len(benign))
    test = len(benign) // 5
    return benign[order[test:]], benign[order[:test]], attacks


VARIANTS = [("no clip", 1e9, "euclidean"), ("clip 3", 3, "euclidean"), ("clip 2", 2, "euclidean"),
            ("clip 1.5", 1.5, "euclidean"), ("clip 1", 1, "euclidean"), ("no clip, robust distance", 1e9, "robust")]

if __name__ == "__main__":
    for name, draw in protocols():
        print(f"\n{name}: ROC-AUC / TPR at FPR <= 1 %, mean (min-max) over seeds {SEEDS}")
        for title, clip, distance in VARIANTS:
            figures = {"knn": [], "pca": []}
            for seed in SEEDS:
                train, benign, attacks = draw(seed)
                labels = np.r_[np.zeros(len(benign)), np.ones(len(attacks))]
                on_benign, on_attacks = detectors(train, [benign, attacks], clip, distance)
                for detector in figures:
                    scores = np.r_[on_benign[detector], on_attacks[detector]]
                    figures[detector].append([roc_auc_score(labels, scores), tpr_at(labels, scores)])
            cells = []
            for detector, values in figures.items():
                values = np.array(values)
                cells.append(detector + " " + " / ".join(
                    f"{values[:, j].mean():.4f} ({values[:, j].min():.3f}-{values[:, j].max():.3f})" for j in range(2)))
            print(f"  {title:26s} " + "   ".join(cells))
