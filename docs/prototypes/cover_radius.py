"""Does a smoother kNN alone explain why fewer references score higher (docs/large-capture.md)?
kNN (k = 1) on NetSentry's scaling with the clip at 2, its references reduced by a greedy cover:
every fitted flow within radius r of a kept one, r the q-th percentile of the fitted flows' own
nearest-neighbour distances. Cross-file protocol and a fifth of both benign files set aside, seeds
1, 2, 3, 42; prints mean ROC-AUC / TPR at FPR <= 1 % (range) and the references kept.

    pip install numpy==2.1.3 scikit-learn==1.5.2 pandas
    python3 docs/prototypes/cover_radius.py
"""

import os
import sys

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import NearestNeighbors

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clip import IMPROVED, SEEDS, load, scaling, split, tpr_at  # noqa: E402  (its loader and scaling)


def cover(flows, radius, seed):
    covered = np.zeros(len(flows), bool)
    kept = []
    for i in np.random.default_rng(seed).permutation(len(flows)):
        if not covered[i]:
            kept.append(i)
            covered |= np.linalg.norm(flows - flows[i], axis=1) <= radius
    return flows[kept]


benign_a, _ = load(IMPROVED + "BENIGN_2500.csv")
benign_b, _ = load(IMPROVED + "BENIGN_more_2484.csv")
attacks = np.vstack([load(IMPROVED + f"{n}_2500.csv")[0] for n in ["DDoS", "DoS_Hulk", "Portscan"]])
both = np.vstack([benign_a, benign_b])
protocols = {
    "cross-file": lambda seed: (benign_b, benign_a, attacks),
    "aside": lambda seed: split(both, attacks, seed),
}
for name, draw in protocols.items():
    print(name)
    for q in [0, 25, 50, 75, 90, 95, 98]:
        figures = []
        for seed in SEEDS:
            train, benign, attack = draw(seed)
            scale = scaling(train, 2)
            fitted = scale(train)
            own = NearestNeighbors(n_neighbors=2).fit(fitted).kneighbors(fitted)[0][:, 1]
            references = cover(fitted, np.percentile(own, q), seed) if q else fitted
            nearest = NearestNeighbors(n_neighbors=1).fit(references)
            scores = np.r_[nearest.kneighbors(scale(benign))[0][:, 0], nearest.kneighbors(scale(attack))[0][:, 0]]
            labels = np.r_[np.zeros(len(benign)), np.ones(len(attack))]
            figures.append((roc_auc_score(labels, scores), tpr_at(labels, scores), len(references)))
        f = np.array(figures)
        print(f"  q{q:<3} {f[:, 0].mean():.4f} ({f[:, 0].min():.4f}-{f[:, 0].max():.4f}) / "
              f"{f[:, 1].mean():.3f} ({f[:, 1].min():.3f}-{f[:, 1].max():.3f}), {f[:, 2].mean():.0f} references")
