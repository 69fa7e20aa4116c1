"""The Keras peer of `cargo bench --bench model`: the same autoencoder (widths 64-32-8-32-64,
tanh, or the activation given, between hidden layers, linear code and output, Adam at 2e-3, mean squared error) trained and
scored on the same standardised rows, with TensorFlow's CPU build, printing rows per second as
JSON for the Rust benchmark to set beside its own figures.

    python3 benches/keras_peer.py ROWS.f32 COLUMNS BATCHES [ACTIVATION]

ROWS.f32 holds the rows as little-endian float32, COLUMNS wide; BATCHES is a comma-separated
list; ACTIVATION is tanh (the default), relu or gelu. Keras is timed at its best: the rows are tiled to at least 200,000 so one `fit` call runs
one long epoch (its per-call and per-epoch costs spread thin, as in a real training run), after a
warm-up call that builds its graph; scoring is `predict` in batches of 8,192 plus the mean squared
error of each row. Each figure is the median of three runs.
"""

import json
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402  (TensorFlow's own dependency)
import tensorflow as tf  # noqa: E402

ROWS_AT_LEAST = 200_000
RUNS = 3
SCORE_BATCH = 8192


def autoencoder(columns: int, activation: str) -> tf.keras.Model:
    layers = [tf.keras.Input(shape=(columns,))]
    for width, between in [(64, True), (32, True), (8, False), (32, True), (64, True)]:
        layers.append(tf.keras.layers.Dense(width, activation=activation if between else None))
    layers.append(tf.keras.layers.Dense(columns))
    model = tf.keras.Sequential(layers)
    model.compile(optimizer=tf.keras.optimizers.Adam(2e-3), loss="mse")
    return model


def main() -> None:
    path, columns, batches = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    activation = sys.argv[4] if len(sys.argv) > 4 else "tanh"
    rows = np.fromfile(path, dtype="<f4").reshape(-1, columns)
    tiled = np.tile(rows, (-(-ROWS_AT_LEAST // len(rows)), 1))
    tf.keras.utils.set_random_seed(1)
    figures = {"rows": len(tiled), "training": {}, "tensorflow": tf.__version__}
    model = None
    for batch in (int(b) for b in batches.split(",")):
        model = autoencoder(columns, activation)
        model.fit(tiled[: batch * 4], tiled[: batch * 4], batch_size=batch, epochs=1, verbose=0)
        paces = []
        for _ in range(RUNS):
            started = time.perf_counter()
            model.fit(tiled, tiled, batch_size=batch, epochs=1, verbose=0, shuffle=True)
            paces.append(len(tiled) / (time.perf_counter() - started))
        figures["training"][str(batch)] = statistics.median(paces)
    paces = []
    model.predict(tiled[:SCORE_BATCH], batch_size=SCORE_BATCH, verbose=0)
    for _ in range(RUNS):
        started = time.perf_counter()
        rebuilt = model.predict(tiled, batch_size=SCORE_BATCH, verbose=0)
        np.mean((rebuilt - tiled) ** 2, axis=1)
        paces.append(len(tiled) / (time.perf_counter() - started))
    figures["scoring"] = statistics.median(paces)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
