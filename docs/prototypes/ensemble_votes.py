"""Other votes than the ensemble's mean, on its three members rebuilt in scikit-learn over the
clipped scaling: distance to the nearest benign flow, PCA reconstruction (8 components, mean of
ln(1 + e²)) and an autoencoder 64-32-8 (tanh; per-feature squared errors over their out-of-fold
mean, mean of ln(1 + ·)). Each member's log score is put on one scale by the median and
interquartile range of its out-of-fold scores on the fitted benign flows (five folds), as
NetSentry's ensemble does; the votes then combine the three scaled scores.

Protocols as docs/prototypes/knn_variants.py (curve3987: seeds 1, 2, 3, 42; cross: seeds 1, 2,
which seed only the autoencoder). About two minutes.

    pip install numpy==2.1.3 scikit-learn==1.5.2 pandas
    python3 docs/prototypes/ensemble_votes.py
"""

import warnings

import numpy as np
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import KFold
from sklearn.neural_network import MLPRegressor

from knn_variants import clipped, nearest, protocols
from clip import tpr_at

warnings.filterwarnings("ignore")


def members(fitted, flows, seed):
    """Raw kNN distance, PCA score and the autoencoder's per-feature squared errors."""
    pca = PCA(8, random_state=0).fit(fitted)
    rebuilt = pca.inverse_transform(pca.transform(flows))
    network = MLPRegressor((64, 32, 8, 32, 64), activation="tanh", max_iter=60, batch_size=64,
                           random_state=seed).fit(fitted, fitted)
    return nearest(fitted, flows)[:, 0], np.log1p((rebuilt - flows) ** 2).mean(1), (network.predict(flows) - flows) ** 2


def scaled_members(fitted, tests, seed):
    """Per test set, the members' log scores in out-of-fold interquartile ranges, [3, rows]."""
    out_of_fold = [np.zeros(len(fitted)), np.zeros(len(fitted)), np.zeros(fitted.shape)]
    for fit, held in KFold(5, shuffle=True, random_state=seed).split(fitted):
        for member, scores in zip(out_of_fold, members(fitted[fit], fitted[held], seed)):
            member[held] = scores
    weight = 1 / np.maximum(out_of_fold[2].mean(0), 1e-6)
    logs = [np.log(np.maximum(s, 1e-6)) for s in out_of_fold[:2] + [np.log1p(out_of_fold[2] * weight).mean(1)]]
    scales = [(np.median(l), np.subtract(*np.percentile(l, [75, 25]))) for l in logs]
    scaled = []
    for flows in tests:
        knn, pca, errors = members(fitted, flows, seed)
        raw = [knn, pca, np.log1p(errors * weight).mean(1)]
        scaled.append(np.array([(np.log(np.maximum(s, 1e-6)) - centre) / spread
                                for s, (centre, spread) in zip(raw, scales)]))
    return scaled


VOTES = {
    "kNN alone": lambda z: z[0],
    "mean (as built)": lambda z: z.mean(0),
    "minimum": lambda z: z.min(0),
    "median": lambda z: np.median(z, 0),
    "mean of the two highest": lambda z: np.sort(z, 0)[1:].mean(0),
    "mean, each capped at 1": lambda z: np.minimum(z, 1).mean(0),
    "mean, each capped at 2": lambda z: np.minimum(z, 2).mean(0),
    "mean, each capped at 10": lambda z: np.minimum(z, 10).mean(0),
    "mean of 2 tanh(z / 2)": lambda z: (2 * np.tanh(z / 2)).mean(0),
    "kNN counted twice": lambda z: (2 * z[0] + z[1] + z[2]) / 4,
}

if __name__ == "__main__":
    figures, seeds = {}, iter([1, 2, 3, 42])
    for protocol, train, benign, attacks in protocols():
        for seed in ([next(seeds)] if protocol == "curve3987" else [1, 2]):
            scale = clipped(train)
            on_benign, on_attacks = scaled_members(scale(train), [scale(benign), scale(attacks)], seed)
            labels = np.r_[np.zeros(len(benign)), np.ones(len(attacks))]
            for name, vote in VOTES.items():
                scores = np.r_[vote(on_benign), vote(on_attacks)]
                figures.setdefault((protocol, name), []).append((roc_auc_score(labels, scores), tpr_at(labels, scores)))
    for (protocol, name), values in figures.items():
        values = np.array(values)
        print(f"{protocol:10s} {name:26s} {values[:, 0].mean():.4f} / {values[:, 1].mean():.3f}"
              f" ({values[:, 1].min():.3f}-{values[:, 1].max():.3f})")
