"""Ways to make the distance to the nearest benign flow rank attacks higher on benign flows it has
never seen, measured in scikit-learn on top of NetSentry's scaling (signed log1p,
standardisation on the fitted benign flows, clip at ±2): none beats the plain Euclidean distance
to the nearest flow (k = 1) in the clipped space, which is what NetSentry computes.

Variants: Manhattan distance; the mean distance to 3 neighbours; the distance divided by, or
multiplied by a power of, the nearest reference's own distance to its nearest reference (local
density, as LOF does); dropping features that are nearly constant or nearly copies of another;
other clips (re-standardised after clipping, at benign quantiles, robust median/IQR scaling);
per-feature weights from how much each feature varies between a benign flow and its nearest
benign neighbours (a metric learnt from benign flows alone).

Protocols (ROC-AUC / TPR at FPR <= 1 %, mean and range of TPR):
  curve3987  fit four fifths of both shared benign files (3,987), test the other fifth and the
             three attack files (seeds 1, 2, 3, 42)
  cross      fit BENIGN_more_2484.csv, test BENIGN_2500.csv and the attack files (deterministic)

    pip install numpy==2.1.3 scikit-learn==1.5.2 pandas
    python3 docs/prototypes/knn_variants.py
"""

import warnings

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import NearestNeighbors

from clip import IMPROVED, SEEDS, load, signed_log1p, tpr_at

warnings.filterwarnings("ignore")


def standardised(train):
    logs = signed_log1p(train)
    mean, deviation = logs.mean(0), logs.std(0)
    keep = deviation > 0
    return lambda x: ((signed_log1p(x) - mean) / np.where(keep, deviation, 1))[:, keep]


def clipped(train, clip=2.0):
    scale = standardised(train)
    return lambda x: np.clip(scale(x), -clip, clip)


def restandardised(train, clip=2.0):
    scale = clipped(train, clip)
    fitted = scale(train)
    mean, deviation = fitted.mean(0), np.where(fitted.std(0) > 0, fitted.std(0), 1)
    return lambda x: (scale(x) - mean) / deviation


def at_quantiles(train, low=1, high=99):
    scale = standardised(train)
    fitted = scale(train)
    floor, ceiling = np.percentile(fitted, low, 0), np.percentile(fitted, high, 0)
    return lambda x: np.clip(scale(x), floor, ceiling)


def robust(train, clip=2.0):
    logs = signed_log1p(train)
    median = np.median(logs, 0)
    spread = np.subtract(*np.percentile(logs, [75, 25], 0)) / 1.349
    spread = np.where(spread > 0, spread, logs.std(0))
    keep = spread > 0
    return lambda x: np.clip(((signed_log1p(x) - median) / np.where(keep, spread, 1))[:, keep], -clip, clip)


def nearest(fitted, flows, k=1, metric="euclidean"):
    return NearestNeighbors(n_neighbors=k, metric=metric).fit(fitted).kneighbors(flows)[0]


def density_scored(power, divide=False):
    def score(fitted, flows):
        index = NearestNeighbors(n_neighbors=2).fit(fitted)
        own = index.kneighbors(fitted)[0][:, 1] + 0.1
        distance, reference = index.kneighbors(flows, 1)
        local = own[reference[:, 0]]
        return distance[:, 0] / local if divide else distance[:, 0] * local**power
    return score


def features_kept(train, sparse=0.0, correlated=1.0):
    logs = signed_log1p(train)
    keep = (np.abs(logs - np.median(logs, 0)) > 1e-9).mean(0) >= max(sparse, 1e-9)
    if correlated < 1.0:
        corr = np.nan_to_num(np.corrcoef(logs.T))
        chosen = []
        for column in np.where(keep)[0]:
            if all(abs(corr[column, other]) < correlated for other in chosen):
                chosen.append(column)
        keep = np.isin(np.arange(logs.shape[1]), chosen)
    return keep


def locally_weighted(power):
    def score(fitted, flows):
        reference = NearestNeighbors(n_neighbors=2).fit(fitted).kneighbors(fitted)[1][:, 1]
        noise = np.sqrt(((fitted - fitted[reference]) ** 2).mean(0))
        noise = np.maximum(noise, 0.05 * noise.max())
        weight = (noise.mean() / noise) ** power
        return nearest(fitted * weight, flows * weight)[:, 0]
    return score


# name: (scaling, columns kept, score)
VARIANTS = {
    "k=1, clip 2 (NetSentry)": (clipped, None, lambda f, x: nearest(f, x)[:, 0]),
    "k=1 Manhattan": (clipped, None, lambda f, x: nearest(f, x, metric="manhattan")[:, 0]),
    "mean of k=3": (clipped, None, lambda f, x: nearest(f, x, 3).mean(1)),
    "divided by local distance (LOF-like)": (clipped, None, density_scored(1, divide=True)),
    "times local distance^0.25": (clipped, None, density_scored(0.25)),
    "times local distance^0.5": (clipped, None, density_scored(0.5)),
    "features set in >= 10 % of flows": (clipped, lambda t: features_kept(t, sparse=0.10), None),
    "no feature correlated > 0.99": (clipped, lambda t: features_kept(t, correlated=0.99), None),
    "clip 2, re-standardised": (restandardised, None, None),
    "clip at benign 1st/99th percentiles": (at_quantiles, None, None),
    "median/IQR scaling, clip 2": (robust, None, None),
    "local noise weights^0.5": (clipped, None, locally_weighted(0.5)),
    "local noise weights^1": (clipped, None, locally_weighted(1.0)),
}


def protocols():
    benign_a, _ = load(IMPROVED + "BENIGN_2500.csv")
    benign_b, _ = load(IMPROVED + "BENIGN_more_2484.csv")
    attacks = np.vstack([load(IMPROVED + f"{n}_2500.csv")[0] for n in ["DDoS", "DoS_Hulk", "Portscan"]])
    both = np.vstack([benign_a, benign_b])
    for seed in SEEDS:
        order = np.random.default_rng(seed + 100).permutation(len(both))
        aside = len(both) // 5
        yield "curve3987", both[order[aside:]], both[order[:aside]], attacks
    yield "cross", benign_b, benign_a, attacks


if __name__ == "__main__":
    figures = {}
    for protocol, train, benign, attacks in protocols():
        labels = np.r_[np.zeros(len(benign)), np.ones(len(attacks))]
        for name, (scaling, columns, score) in VARIANTS.items():
            keep = columns(train) if columns else np.ones(train.shape[1], bool)
            scale = scaling(train[:, keep])
            fitted = scale(train[:, keep])
            score = score or (lambda f, x: nearest(f, x)[:, 0])
            scores = np.r_[score(fitted, scale(benign[:, keep])), score(fitted, scale(attacks[:, keep]))]
            figures.setdefault((protocol, name), []).append((roc_auc_score(labels, scores), tpr_at(labels, scores)))
    for (protocol, name), values in figures.items():
        values = np.array(values)
        print(f"{protocol:10s} {name:38s} {values[:, 0].mean():.4f} / {values[:, 1].mean():.3f}"
              f" ({values[:, 1].min():.3f}-{values[:, 1].max():.3f})")
