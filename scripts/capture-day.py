#!/usr/bin/env python3
"""Writes a day's capture for the page's large-capture benchmark (e2e/large-file-bench.mjs):
BENIGN benign flows drawn with replacement (seeded) from the 4,981 real improved CIC-IDS 2017
benign flows of tests/data/, each measurement multiplied by a seeded factor within +-JITTER
(integers stay integers) so that no two are alike, followed by the three attack files as they are.
The same resampling as benches/capture.rs, for the browser.

    scripts/capture-day.py OUT [BENIGN] [JITTER]     # defaults: 50000 flows, 0.05
"""
import csv
import random
import sys
from pathlib import Path

IMPROVED = Path(__file__).resolve().parent.parent / "tests/data/cicids2017/improved"
# Identifiers and labels, not measurements: kept as they are.
KEPT = {"id", "Flow ID", "Src IP", "Src Port", "Dst IP", "Dst Port", "Protocol", "Timestamp",
        "Label", "Attempted Category"}


def rows_of(name):
    with open(IMPROVED / name, newline="") as f:
        reader = csv.reader(f)
        return next(reader), list(reader)


def jittered(row, header, jitter, rng):
    out = []
    for name, cell in zip(header, row):
        if name in KEPT:
            out.append(cell)
            continue
        try:
            value = float(cell)
        except ValueError:
            out.append(cell)
            continue
        moved = value * (1 + jitter * rng.uniform(-1, 1))
        out.append(str(round(moved)) if cell.lstrip("-").isdigit() else repr(moved))
    return out


def main():
    out = sys.argv[1]
    benign = int(sys.argv[2]) if len(sys.argv) > 2 else 50_000
    jitter = float(sys.argv[3]) if len(sys.argv) > 3 else 0.05
    header, pool = rows_of("BENIGN_2500.csv")
    pool += rows_of("BENIGN_more_2484.csv")[1]
    rng = random.Random(1)
    with open(out, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        for number in range(benign):
            row = jittered(rng.choice(pool), header, jitter, rng)
            row[0] = str(number)  # a flow id of its own, so the page keeps every flow
            writer.writerow(row)
        for name in ("DDoS_2500.csv", "DoS_Hulk_2500.csv", "Portscan_2500.csv"):
            for number, row in enumerate(rows_of(name)[1], start=benign + 10_000_000):
                row[0] = str(number)
                writer.writerow(row)


if __name__ == "__main__":
    main()
