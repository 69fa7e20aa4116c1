"""Issue 13's candidates that were measured in scikit-learn before (or instead of) being built in
Rust: kNN distance and a plain autoencoder under two scalings (signed log1p + standardisation, as
NetSentry does, against a quantile transform to a normal), and a KitNET-style ensemble of small
autoencoders over correlated feature groups (Mirsky et al., NDSS 2018).

Protocol: the improved CIC-IDS2017 samples; per seed a random 60 % / 15 % / 25 % split of the
benign flows (fit / unused / held out), scored with every DDoS, DoS Hulk and Portscan flow.
Prints ROC-AUC and the true-positive rate at a 1 % false-positive rate per seed and their means.

    pip install numpy==2.1.3 scikit-learn==1.5.2 pandas scipy
    python3 docs/prototypes/detectors.py            # every detector; or name some: knn1 ae kitnet
"""

import sys
import warnings

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.neighbors import NearestNeighbors
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import QuantileTransformer

warnings.filterwarnings("ignore")  # MLPRegressor's convergence warnings at 200 iterations
DATA = "tests/data/cicids2017/improved/"
SEEDS = [1, 2, 3, 42]


def load(name):
    frame = pd.read_csv(DATA + name)
    columns = list(frame.columns)
    features = columns[columns.index("Dst Port") : columns.index("Total TCP Flow Time") + 1]
    features = [c for c in features if c != "Timestamp"]
    return frame[features].apply(pd.to_numeric, errors="coerce").fillna(0).values


def tpr_at(labels, scores, fpr_budget=0.01):
    fpr, tpr, _ = roc_curve(labels, scores)
    return tpr[fpr <= fpr_budget].max()


def signed_log1p(x):
    return np.sign(x) * np.log1p(np.abs(x))


def standardised(train, test):
    """NetSentry's scaling: signed log1p, then the training flows' mean and deviation."""
    logs = signed_log1p(train)
    mean, deviation = logs.mean(0), logs.std(0)
    keep = deviation > 0
    return [((signed_log1p(x) - mean) / np.where(keep, deviation, 1))[:, keep] for x in (train, test)]


def quantiles(train, test):
    """Each feature mapped through the training flows' empirical quantiles to a normal."""
    transform = QuantileTransformer(
        n_quantiles=min(1000, len(train)), output_distribution="normal", random_state=0
    ).fit(train)
    keep = train.std(0) > 0
    return [transform.transform(x)[:, keep] for x in (train, test)]


def autoencoder(hidden, seed):
    return MLPRegressor(
        hidden, activation="tanh", learning_rate_init=2e-3, batch_size=128, max_iter=200, random_state=seed
    )


def knn1(train, test, seed):
    return NearestNeighbors(n_neighbors=1).fit(train).kneighbors(test)[0][:, 0]


def ae(train, test, seed):
    model = autoencoder((64, 32, 8, 32, 64), seed).fit(train, train)
    return ((model.predict(test) - test) ** 2).mean(1)


def kitnet(train, test, seed, largest_group=10):
    """Features grouped by average-linkage clustering on 1 - |correlation| (groups of at most
    `largest_group`), one autoencoder per group (hidden layer 3/4 of its width), and an output
    autoencoder over the groups' standardised log RMSEs, whose RMSE is the score."""
    correlation = np.nan_to_num(np.corrcoef(train.T))
    distance = 1 - np.abs(correlation)
    tree = linkage(distance[np.triu_indices(len(distance), 1)], "average")
    clusters = fcluster(tree, t=len(distance) // largest_group + 1, criterion="maxclust")
    groups = []
    for cluster in np.unique(clusters):
        members = np.where(clusters == cluster)[0]
        groups += [members[i : i + largest_group] for i in range(0, len(members), largest_group)]
    models = [
        autoencoder((max(1, int(0.75 * len(g))),), seed).fit(train[:, g], train[:, g]) for g in groups
    ]

    def log_rmse(x):
        errors = [((m.predict(x[:, g]) - x[:, g]) ** 2).mean(1) for m, g in zip(models, groups)]
        return np.log(np.sqrt(np.stack(errors, 1)) + 1e-6)

    fitted = log_rmse(train)
    mean, deviation = fitted.mean(0), fitted.std(0) + 1e-6
    fitted = (fitted - mean) / deviation
    output = autoencoder((max(1, int(0.75 * len(groups))),), seed).fit(fitted, fitted)
    tested = (log_rmse(test) - mean) / deviation
    return np.sqrt(((output.predict(tested) - tested) ** 2).mean(1))


DETECTORS = {"knn1": knn1, "ae": ae, "kitnet": kitnet}
SCALINGS = {"standardised": standardised, "quantiles": quantiles}


def main():
    chosen = sys.argv[1:] or list(DETECTORS)
    benign = load("BENIGN_2500.csv")
    attacks = np.vstack([load(f) for f in ["DDoS_2500.csv", "DoS_Hulk_2500.csv", "Portscan_2500.csv"]])
    results = {}
    for seed in SEEDS:
        order = np.random.RandomState(seed).permutation(len(benign))
        fit = benign[order[: int(0.6 * len(benign))]]
        held_out = benign[order[int(0.75 * len(benign)) :]]
        test = np.vstack([held_out, attacks])
        labels = np.r_[np.zeros(len(held_out)), np.ones(len(attacks))]
        for scaling, scale in SCALINGS.items():
            train_scaled, test_scaled = scale(fit, test)
            for name in chosen:
                scores = DETECTORS[name](train_scaled, test_scaled, seed)
                figures = (roc_auc_score(labels, scores), tpr_at(labels, scores))
                results.setdefault((name, scaling), []).append(figures)
                print(f"seed {seed:2} {name:6} {scaling:12} ROC-AUC {figures[0]:.4f}  TPR at 1 % {figures[1]:.3f}")
    for (name, scaling), figures in results.items():
        auc, tpr = np.mean(figures, 0)
        print(f"mean    {name:6} {scaling:12} ROC-AUC {auc:.4f}  TPR at 1 % {tpr:.3f}")


if __name__ == "__main__":
    main()
