"""Ways to combine the ensemble's members (kNN k=1, autoencoder, PCA), fitted on
BENIGN_more_2484.csv, on the unseen BENIGN_2500.csv and the three attack files. Benign flows of
odd rows calibrate each rule; even rows and every attack test it. Pure Python (no packages):
ROC-AUC by ranks, TPR at FPR <= 1 % read as a step. Scores come from the release binary, per
seed and detector (run from the repository root):

    for seed in 1 2 3 42; do for kind in ensemble knn ae pca; do
      extra=""; [ $kind = knn ] && extra="--k 1"
      netsentry train --model $kind $extra --seed $seed --out /tmp/exp/m-$kind-$seed.safetensors \
        tests/data/cicids2017/improved/BENIGN_more_2484.csv
      netsentry score --keep-duplicates --top 0 --out /tmp/exp/s-$kind-$seed.csv \
        /tmp/exp/m-$kind-$seed.safetensors tests/data/cicids2017/improved/{BENIGN_2500,DDoS_2500,DoS_Hulk_2500,Portscan_2500}.csv
    done; done
    python3 docs/prototypes/combine.py
"""
import csv, math, statistics, bisect

def load(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return [float(r["score"]) for r in rows], [r["label"] for r in rows]

def roc_auc(scores, attack):
    pairs = sorted(zip(scores, attack))
    ranks = [0.0] * len(pairs)
    i = 0
    while i < len(pairs):
        j = i
        while j + 1 < len(pairs) and pairs[j + 1][0] == pairs[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        i = j + 1
    pos = sum(a for _, a in pairs); neg = len(pairs) - pos
    rank_sum = sum(r for r, (_, a) in zip(ranks, pairs) if a)
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)

def tpr_at(scores, attack, max_fpr=0.01):
    benign = sorted((s for s, a in zip(scores, attack) if not a), reverse=True)
    attacks = [s for s, a in zip(scores, attack) if a]
    allowed = int(math.floor(max_fpr * len(benign)))
    # threshold strictly above the (allowed+1)-th highest benign score
    t = benign[allowed] if allowed < len(benign) else -math.inf
    return sum(1 for s in attacks if s > t) / len(attacks)

def tail(calib_sorted, s):
    # -log of the share of calibration scores at or above s (plus one)
    n = len(calib_sorted)
    above = n - bisect.bisect_left(calib_sorted, s)
    return -math.log((above + 1) / (n + 1))

results = {}
for seed in [1, 2, 3, 42]:
    members = {}
    for kind in ["knn", "ae", "pca", "ensemble"]:
        members[kind], labels = load(f"/tmp/exp/s-{kind}-{seed}.csv")
    attack = [l != "BENIGN" for l in labels]
    calib = [i for i, l in enumerate(labels) if l == "BENIGN" and i % 2 == 1]
    test = [i for i in range(len(labels)) if not (labels[i] == "BENIGN" and i % 2 == 1)]
    test_attack = [attack[i] for i in test]
    rules = {}
    rules["ensemble (as built)"] = [members["ensemble"][i] for i in test]
    rules["knn k=1 alone"] = [members["knn"][i] for i in test]
    # log robust z (the ensemble's own rule, recalibrated on the odd benign rows)
    z = {}
    p = {}
    for kind in ["knn", "ae", "pca"]:
        logs = [math.log(max(members[kind][i], 1e-12)) for i in calib]
        med = statistics.median(logs)
        q = statistics.quantiles(logs, n=4)
        iqr = max(q[2] - q[0], 1e-9)
        z[kind] = [(math.log(max(s, 1e-12)) - med) / iqr for s in members[kind]]
        cs = sorted(members[kind][i] for i in calib)
        p[kind] = [tail(cs, s) for s in members[kind]]
    three = ["knn", "ae", "pca"]
    rules["mean log z (3)"] = [sum(z[k][i] for k in three) / 3 for i in test]
    rules["max log z (3)"] = [max(z[k][i] for k in three) for i in test]
    rules["fisher tail (3)"] = [sum(p[k][i] for k in three) for i in test]
    rules["mean log z knn+ae"] = [(z["knn"][i] + z["ae"][i]) / 2 for i in test]
    rules["mean log z, knn x2"] = [(2 * z["knn"][i] + z["ae"][i] + z["pca"][i]) / 4 for i in test]
    rules["fisher tail knn+ae"] = [p["knn"][i] + p["ae"][i] for i in test]
    for name, scores in rules.items():
        results.setdefault(name, []).append((roc_auc(scores, test_attack), tpr_at(scores, test_attack)))

print(f"{'rule':24} {'ROC-AUC mean (min-max)':28} {'TPR@1% mean (min-max)'}")
for name, rs in results.items():
    aucs = [r[0] for r in rs]; tprs = [r[1] for r in rs]
    print(f"{name:24} {statistics.mean(aucs):.4f} ({min(aucs):.4f}-{max(aucs):.4f})   {statistics.mean(tprs):.3f} ({min(tprs):.3f}-{max(tprs):.3f})")
