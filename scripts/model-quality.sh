#!/usr/bin/env bash
# Measures every detector on one protocol over several seeds and prints a Markdown table row per
# detector: mean and spread (min–max) of ROC-AUC, of the attacks caught at FPR <= 1 %, and of the
# false-positive rate and recall at the model's own threshold. The figures in docs/model-quality.md
# and docs/learning-curve.md come from it.
#
#   scripts/model-quality.sh PROTOCOL [MODEL...]
#
# PROTOCOL names the files fitted (their benign flows) and the files tested:
#   same-file   fit BENIGN_2500 + BENIGN_more_2484; test the same files and the three attack files
#               (every benign flow scored out of fold, by the fold model that did not fit it)
#   cross-file  fit BENIGN_more_2484; test BENIGN_2500 (other benign flows of the same network,
#               never fitted) and the three attack files
#   sample      the bundled sample, fitted and tested on itself (out of fold)
#   cse-2018    the improved CSE-CIC-IDS2018 sample, fitted and tested on itself (out of fold)
#   rows:N      learning curve: fit a seeded sample of N benign flows (with repeats when N is
#               larger than the 4,984 shared ones) of BENIGN_2500 + BENIGN_more_2484; test the
#               benign flows not drawn and the three attack files
# Environment: SEEDS (default "1 2 3 42"), NETSENTRY (the binary; default target/release/netsentry),
# EXTRA (more `train` flags, e.g. "--k 1").
set -euo pipefail
cd "$(dirname "$0")/.."

PROTOCOL=${1:?give a protocol: same-file, cross-file, sample, cse-2018 or rows:N}
shift
MODELS=("${@:-ensemble ae vae iforest knn pca hbos}")
read -r -a MODELS <<<"${MODELS[*]}"
SEEDS=${SEEDS:-"1 2 3 42"}
BIN=${NETSENTRY:-${CARGO_TARGET_DIR:-target}/release/netsentry}
I=tests/data/cicids2017/improved
ATTACKS=("$I/DDoS_2500.csv" "$I/DoS_Hulk_2500.csv" "$I/Portscan_2500.csv")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# A seeded draw of N benign rows (with repeats past the shared 4,984): fitted file and tested file.
draw() {
  local n=$1 seed=$2
  python3 - "$n" "$seed" "$I/BENIGN_2500.csv" "$I/BENIGN_more_2484.csv" "$WORK" <<'EOF'
import random, sys
n, seed, a, b, work = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
header, rows = None, []
for path in (a, b):
    with open(path, newline="") as f:
        lines = f.read().splitlines()
    header = lines[0]
    rows += [line for line in lines[1:] if line]
rng = random.Random(seed)
order = list(range(len(rows)))
rng.shuffle(order)
# Hold out a fifth of the benign flows for the test, then fit on draws from the rest.
test, pool = order[: len(rows) // 5], order[len(rows) // 5 :]
fit = [pool[i % len(pool)] for i in range(n)] if n > len(pool) else pool[:n]
if n > len(pool):
    # Repeats of a real row differ in their flow id, so ingest keeps them as flows.
    fit = pool + [rng.choice(pool) for _ in range(n - len(pool))]
def write(name, picks, unique):
    with open(f"{work}/{name}", "w") as f:
        f.write(header + "\n")
        for k, i in enumerate(picks):
            cells = rows[i].split(",")
            if unique:
                cells[0] = f"draw-{k}"
            f.write(",".join(cells) + "\n")
write("fit.csv", fit, True)
write("test.csv", test, False)
EOF
}

row() {
  local model=$1
  local results=()
  for seed in $SEEDS; do
    local fit=() test=() train_flags=()
    case $PROTOCOL in
      same-file) fit=("$I/BENIGN_2500.csv" "$I/BENIGN_more_2484.csv"); test=("${fit[@]}" "${ATTACKS[@]}") ;;
      cross-file) fit=("$I/BENIGN_more_2484.csv"); test=("$I/BENIGN_2500.csv" "${ATTACKS[@]}") ;;
      sample) fit=(static/cicids2017-sample.csv); test=("${fit[@]}") ;;
      cse-2018) fit=(tests/data/cse-cic-ids2018/improved-cse-cic-ids2018-2497.csv); test=("${fit[@]}") ;;
      rows:*)
        draw "${PROTOCOL#rows:}" "$seed"
        fit=("$WORK/fit.csv"); test=("$WORK/test.csv" "${ATTACKS[@]}"); train_flags=(--keep-duplicates) ;;
      *) echo "unknown protocol $PROTOCOL" >&2; exit 2 ;;
    esac
    # shellcheck disable=SC2086
    "$BIN" train --model "$model" --seed "$seed" ${EXTRA:-} "${train_flags[@]}" \
      --out "$WORK/m.safetensors" "${fit[@]}" >/dev/null 2>"$WORK/train.log" \
      || { cat "$WORK/train.log" >&2; exit 1; }
    "$BIN" eval --json "$WORK/m.safetensors" "${test[@]}" 2>/dev/null >"$WORK/eval.json"
    results+=("$(jq -c '{auc: .roc_auc, tpr1: (.tpr_at_fpr[] | select(.max_fpr == 0.01) | .tpr), fpr: .fpr, recall: .recall}' "$WORK/eval.json")")
  done
  printf '%s\n' "${results[@]}" | python3 -c '
import json, statistics, sys
rows = [json.loads(line) for line in sys.stdin]
def cell(key, digits):
    values = [r[key] for r in rows]
    mean, low, high = statistics.mean(values), min(values), max(values)
    return f"{mean:.{digits}f} ({low:.{digits}f}–{high:.{digits}f})"
cells = [cell("auc", 4), cell("tpr1", 3), cell("fpr", 4), cell("recall", 3)]
print("| " + sys.argv[1] + " | " + " | ".join(cells) + " |")
' "$model${EXTRA:+ $EXTRA}"
}

echo "protocol $PROTOCOL, seeds $SEEDS ($(date -u +%F))"
echo "| detector | ROC-AUC | TPR at FPR <= 1 % | FPR at its threshold | recall at its threshold |"
echo "|---|---|---|---|---|"
for model in "${MODELS[@]}"; do row "$model"; done
