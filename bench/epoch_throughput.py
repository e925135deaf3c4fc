"""One training epoch of a 784-128-10 float32 network on random data: samples per second.

Prints the Trainer's throughput and that of a minimal hand-written numpy loop of the same maths (same shapes, same
batch, preallocated nothing special) measured in the same run, and their ratio, so later changes can be compared
on any machine. Usage: uv run python bench/epoch_throughput.py [--samples N] [--batch B] [--repeats R]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from nnstudio.core.network import LayerSpec
from nnstudio.data.dataset import Dataset
from nnstudio.training import Experiment, Trainer
from nnstudio.training.threads import use_blas_threads


def random_digits(n: int, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 256, size=(n, 784)).astype(np.float64)
    y = rng.integers(0, 10, size=n)
    return Dataset(name="random-784", title="random 784-feature data", task="multiclass", X=X / 255.0, y=y,
                   feature_names=tuple(f"p{i}" for i in range(784)), class_names=tuple(str(i) for i in range(10)))


def trainer_epoch(ds: Dataset, batch: int) -> float:
    exp = Experiment(name="bench", dataset="random-784", layers=[LayerSpec(128, "relu"), LayerSpec(10, "softmax")],
                     loss="softmax_cross_entropy", init="he", optimizer="sgd", learning_rate=0.01,
                     batch_size=batch, shuffle=True, epochs=1, dtype="float32", preprocessing="none")
    t = Trainer(exp, ds)
    start = time.perf_counter()
    t.run(max_epochs=1)
    return ds.n_samples / (time.perf_counter() - start)


def reference_epoch(ds: Dataset, batch: int) -> float:
    """The same forward/backward/update written out flat: the yardstick for the Trainer's overhead."""
    rng = np.random.default_rng(1)
    X = ds.X.astype(np.float32)
    Y = np.eye(10, dtype=np.float32)[ds.y]
    W1 = (rng.standard_normal((784, 128)) * np.sqrt(2 / 784)).astype(np.float32)
    b1 = np.zeros(128, np.float32)
    W2 = (rng.standard_normal((128, 10)) * np.sqrt(2 / 128)).astype(np.float32)
    b2 = np.zeros(10, np.float32)
    lr = np.float32(0.01)
    start = time.perf_counter()
    order = rng.permutation(len(X))
    for i in range(0, len(X), batch):
        idx = order[i:i + batch]
        xb, yb = X[idx], Y[idx]
        z1 = xb @ W1 + b1
        a1 = np.maximum(z1, 0)
        z2 = a1 @ W2 + b2
        e = np.exp(z2 - z2.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        g2 = (p - yb) / np.float32(len(xb))
        g1 = (g2 @ W2.T) * (z1 > 0)
        W2 -= lr * (a1.T @ g2)
        b2 -= lr * g2.sum(0)
        W1 -= lr * (xb.T @ g1)
        b1 -= lr * g1.sum(0)
    return len(X) / (time.perf_counter() - start)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=20_000)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    use_blas_threads(1)
    ds = random_digits(args.samples)
    trainer_epoch(ds, args.batch)  # warm-up
    reference_epoch(ds, args.batch)
    ours = max(trainer_epoch(ds, args.batch) for _ in range(args.repeats))
    ref = max(reference_epoch(ds, args.batch) for _ in range(args.repeats))
    print(f"784-128-10 float32, batch {args.batch}, {args.samples} samples, 1 BLAS thread, best of {args.repeats}")
    print(f"  Trainer:         {ours:12,.0f} samples/s")
    print(f"  plain numpy loop:{ref:12,.0f} samples/s")
    print(f"  ratio Trainer / plain loop: {ours / ref:.3f}")


if __name__ == "__main__":
    main()
