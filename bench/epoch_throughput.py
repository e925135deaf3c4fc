"""Training throughput: the Trainer against a hand-tuned numpy loop, a hand-written PyTorch loop and the machine's
matrix-multiply limit, all measured in the same run on one BLAS thread.

For 784-128-10 and 784-256-128-10 (ReLU hidden layers, softmax output, cross-entropy, plain SGD, float32, batch 128,
shuffled each epoch) on 60,000 random 28x28 "digits" (MNIST's size), it prints samples per second for:

- the Trainer: ``Trainer.run`` for one epoch, everything a learner sees recorded as in the studio (history, the
  epoch-end figures, the rollback backup, the finiteness checks);
- a plain numpy loop of the same maths, tuned by hand: the batch gathered into a preallocated buffer, every array
  preallocated and updated in place, the learning rate folded into the output gradient, the loss computed from the
  target classes only. It is the yardstick: what numpy can do for this network on this machine;
- a PyTorch loop as people write it (``nn.Sequential``, ``F.cross_entropy``, ``optim.SGD``, ``loss.item()`` per
  batch), with ``torch.set_num_threads(1)``; only when ``import torch`` works (the app never imports torch);
- the matrix-multiply ceiling: float32 GFLOP/s of the network's own largest products at this batch size, turned into
  samples per second at 6 * sum(fan_in * fan_out) FLOPs per sample (forward 2, backward 4: each layer's weight
  gradient and the gradient of its input). The Trainer needs fewer (the first layer's input gradient is never
  computed: 4 * 784 * h1 there), so it can pass 100%; the share is printed against both counts.

and, for the tutorials' tiny networks (trask-neuron: 3-1, 4 rows, full batch; gender-network: 2-2-1, one person per
update, and the same with the whole table per update), updates per second.

Each figure is the best of ``--repeats`` rounds; in each round every contestant runs once, one after the other, so a
machine that slows down for a while slows all of them. Ratios are taken between figures of the same run: the ratio
of the best figures, and the median and best of the ratios within each round. The load average before and after is
printed (the machine is shared: a loaded one makes every figure noisier).

``--mnist`` runs the same comparison on the real shipped MNIST training set (60,000 digits, pixel / 255) instead of
random digits; the Trainer trains on the training set alone, as the other loops do, and a second Trainer that also
judges the 10,000 test digits at each epoch's end (what the studio shows) is timed beside them for information.

Usage:
    uv run python bench/epoch_throughput.py [--samples N] [--batch B] [--repeats R] [--tiny-updates U] [--mnist]
        [--networks 784-128-10 ...] [--no-tiny]
PyTorch figure (torch is an optional benchmark tool, installed into a throw-away environment beside the project's;
the first time this downloads about 5 GB, the Linux wheel's CUDA libraries included):
    uv run --with torch python bench/epoch_throughput.py
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time

import numpy as np

from nnstudio.core.network import LayerSpec
from nnstudio.data.dataset import Dataset
from nnstudio.training import Experiment, Trainer, presets
from nnstudio.training.threads import use_blas_threads

NETWORKS = ((128,), (256, 128))
LEARNING_RATE = 0.01


def random_digits(n: int, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 256, size=(n, 784)).astype(np.float64)
    y = rng.integers(0, 10, size=n)
    return Dataset(name="random-784", title="random 784-feature data", task="multiclass", X=X / 255.0, y=y,
                   feature_names=tuple(f"p{i}" for i in range(784)), class_names=tuple(str(i) for i in range(10)))


def mnist_training_set(with_test: bool = False) -> Dataset:
    """The shipped MNIST training digits (raw pixels, pixel / 255 as the preprocessing), without the test split
    unless ``with_test``."""
    from nnstudio.data.mnist import load_mnist

    ds = load_mnist()
    return ds if with_test else dataclasses.replace(ds, X_test=None, y_test=None)


def sizes_of(hidden: tuple[int, ...]) -> list[int]:
    return [784, *hidden, 10]


def name_of(hidden: tuple[int, ...]) -> str:
    return "-".join(map(str, sizes_of(hidden)))


# -- the Trainer --------------------------------------------------------------------------------------------------------
def make_trainer(ds: Dataset, hidden: tuple[int, ...], batch: int) -> Trainer:
    """Random digits come scaled (no preprocessing); MNIST's pixels are divided by 255 by the dataset's own."""
    exp = Experiment(name="bench", dataset=ds.name,
                     layers=[LayerSpec(h, "relu") for h in hidden] + [LayerSpec(10, "softmax")],
                     loss="softmax_cross_entropy", init="he", optimizer="sgd", learning_rate=LEARNING_RATE,
                     batch_size=batch, shuffle=True, epochs=10**6, dtype="float32",
                     preprocessing="dataset" if ds.name == "mnist" else "none")
    return Trainer(exp, ds)


def trainer_epoch(t: Trainer) -> float:
    """Samples per second of one more epoch of ``t``."""
    start = time.perf_counter()
    t.run(max_epochs=t.epoch + 1)
    return t.n_train / (time.perf_counter() - start)


def judging_seconds(t: Trainer, repeats: int) -> tuple[float, int]:
    """What the epoch's end spends judging the current weights on its rows (a forward pass, dropout off)."""
    tables = [(t.X_train, t.Y_train), (t.X_test, t.Y_test)]  # a Trainer from before judging.py judged every row
    if hasattr(t, "judged"):
        tables = [(j.X, j.Y) for j in t.judged if j is not None]
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for X, Y in tables:
            if X is not None:
                t.evaluate(X, Y)
        best = min(best, time.perf_counter() - start)
    return best, len(tables[0][0])


# -- the yardstick: a plain numpy loop, tuned by hand ------------------------------------------------------------------
class PlainLoop:
    """Forward, softmax cross-entropy, backward and SGD for ReLU hidden layers, written out flat for speed."""

    def __init__(self, X: np.ndarray, labels: np.ndarray, sizes: list[int], batch: int, seed: int = 1):
        rng = np.random.default_rng(seed)
        self.X, self.labels, self.batch = X, labels, batch
        self.W = [(rng.standard_normal((a, b)) * np.sqrt(2 / a)).astype(np.float32) for a, b in zip(sizes, sizes[1:])]
        self.b = [np.zeros(b, np.float32) for b in sizes[1:]]
        self.xb = np.empty((batch, sizes[0]), np.float32)
        self.a = [np.empty((batch, s), np.float32) for s in sizes[1:]]  # z, turned into a in place
        self.g = [np.empty((batch, s), np.float32) for s in sizes[1:]]
        self.mask = [np.empty((batch, s), bool) for s in sizes[1:-1]]
        self.dW = [np.empty_like(W) for W in self.W]
        self.db = [np.empty_like(b) for b in self.b]
        self.col = np.empty((batch, 1), np.float32)
        self.rows = np.arange(batch)
        self.order_rng = np.random.default_rng(seed + 1)
        self.losses: list[float] = []
        self._order, self._at = None, 0  # (updates)

    def epoch(self) -> float:
        """Samples per second of one epoch."""
        start = time.perf_counter()
        n = len(self.X)
        order = self.order_rng.permutation(n)
        for s in range(0, n, self.batch):
            self.update(order[s:s + self.batch])
        return n / (time.perf_counter() - start)

    def updates(self, k: int) -> None:
        """``k`` more updates, going on through the epoch's order (a new order at each epoch's start), for
        interleaved per-update timings (bench/update_costs.py)."""
        for _ in range(k):
            if self._order is None or self._at >= len(self._order):
                self._order, self._at = self.order_rng.permutation(len(self.X)), 0
            self.update(self._order[self._at:self._at + self.batch])
            self._at += self.batch

    def update(self, idx: np.ndarray) -> None:
        """One update on the rows ``idx``."""
        X, labels, L = self.X, self.labels, len(self.W)
        W, b, A, G, dW, db = self.W, self.b, self.a, self.g, self.dW, self.db
        m = len(idx)
        xb = self.xb[:m]
        np.take(X, idx, axis=0, out=xb, mode="clip")
        y = labels[idx]
        rows = self.rows[:m]
        a = xb
        for k in range(L):
            z = A[k][:m]
            np.matmul(a, W[k], out=z)
            z += b[k]
            if k < L - 1:
                np.maximum(z, 0, out=z)
            a = z
        col = self.col[:m]  # softmax in place
        np.max(a, axis=1, keepdims=True, out=col)
        a -= col
        np.exp(a, out=a)
        np.sum(a, axis=1, keepdims=True, out=col)
        a /= col
        self.losses.append(-float(np.log(a[rows, y]).mean()))
        g = a  # dL/dz = (p - onehot) / m, with the learning rate folded in: the updates are dW itself
        g[rows, y] -= 1
        g *= np.float32(LEARNING_RATE / m)
        for k in range(L - 1, -1, -1):
            below = xb if k == 0 else A[k - 1][:m]
            np.matmul(below.T, g, out=dW[k])
            np.sum(g, axis=0, out=db[k])
            if k:
                gk = G[k - 1][:m]
                np.matmul(g, W[k].T, out=gk)
                mask = self.mask[k - 1][:m]
                np.greater(below, 0, out=mask)
                gk *= mask
                g = gk
        for k in range(L):
            W[k] -= dW[k]
            b[k] -= db[k]


# -- a PyTorch loop as people write it ---------------------------------------------------------------------------------
class TorchLoop:
    def __init__(self, torch, X: np.ndarray, labels: np.ndarray, sizes: list[int], batch: int, seed: int = 1):
        torch.manual_seed(seed)
        nn = torch.nn
        self.torch, self.batch = torch, batch
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(labels.astype(np.int64))
        layers = []
        for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
            layers.append(nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(nn.ReLU())
        self.model = nn.Sequential(*layers)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=LEARNING_RATE)
        self.losses: list[float] = []

    def epoch(self) -> float:
        torch, F = self.torch, self.torch.nn.functional
        start = time.perf_counter()
        n = len(self.X)
        order = torch.randperm(n)
        for s in range(0, n, self.batch):
            idx = order[s:s + self.batch]
            xb, yb = self.X[idx], self.y[idx]
            self.opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(self.model(xb), yb)
            loss.backward()
            self.opt.step()
            self.losses.append(loss.item())
        return n / (time.perf_counter() - start)


def load_torch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


# -- the ceiling --------------------------------------------------------------------------------------------------------
def sgemm_gflops(sizes: list[int], batch: int, repeats: int) -> tuple[float, str]:
    """Best float32 GFLOP/s over the network's own large products at this batch size (forward X·W and the
    weight gradient Xᵀ·G of the first layer, the hidden layers' X·W), and the shape that reached it."""
    rng = np.random.default_rng(3)
    shapes = []
    for a, b in zip(sizes, sizes[1:-1]):
        shapes += [("X·W", (batch, a), (a, b)), ("Xᵀ·G", (a, batch), (batch, b))]
    best, where = 0.0, ""
    for label, sa, sb in shapes:
        A = rng.standard_normal(sa[::-1]).astype(np.float32).T if label == "Xᵀ·G" else \
            rng.standard_normal(sa).astype(np.float32)
        B = rng.standard_normal(sb).astype(np.float32)
        C = np.empty((sa[0], sb[1]), np.float32)
        flops = 2 * sa[0] * sa[1] * sb[1]
        reps = max(10, int(2e9 / flops) // 10)
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(reps):
                np.matmul(A, B, out=C)
            g = flops * reps / (time.perf_counter() - start) / 1e9
            if g > best:
                best, where = g, f"{label} {sa[0]}x{sa[1]} by {sb[0]}x{sb[1]}"
    return best, where


def flops_per_sample(sizes: list[int]) -> tuple[int, int]:
    """(6 * sum(fan_in * fan_out), what one update really multiplies: no input gradient for the first layer)."""
    pairs = [a * b for a, b in zip(sizes, sizes[1:])]
    return 6 * sum(pairs), 6 * sum(pairs) - 2 * pairs[0]


# -- tiny networks ------------------------------------------------------------------------------------------------------
TINY = (("trask-neuron", "trask-neuron", {}), ("gender-network", "gender-network", {}),
        ("gender, full batch", "gender-network", {"batch_size": 0}))


def tiny_updates_per_second(preset: str, updates: int, **changes) -> float:
    t = presets.get(preset)
    trainer = Trainer(t.replace(epochs=10**7, **changes))
    start = time.perf_counter()
    trainer.run(max_updates=updates)
    return updates / (time.perf_counter() - start)


def spread(values: list[float]) -> str:
    return f"best {max(values):,.0f}, median {statistics.median(values):,.0f}"


def load() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


def compare(ds: Dataset, hidden: tuple[int, ...], args, torch) -> None:
    sizes = sizes_of(hidden)
    trainer = make_trainer(ds, hidden, args.batch)
    X, labels = trainer.X_train, trainer.dataset.y[trainer.train_rows]
    plain = PlainLoop(X, labels, sizes, args.batch)
    contestants = {"Trainer": lambda: trainer_epoch(trainer), "plain numpy loop": plain.epoch}
    if torch is not None:
        contestants["PyTorch loop"] = TorchLoop(torch, X, labels, sizes, args.batch).epoch
    if args.mnist:
        judging_test = make_trainer(mnist_training_set(with_test=True), hidden, args.batch)
        contestants["Trainer, test judged"] = lambda: trainer_epoch(judging_test)
    for run in contestants.values():  # warm-up: first touches, BLAS buffers, history allocation
        run()
    results: dict[str, list[float]] = {k: [] for k in contestants}
    for _ in range(args.repeats):
        for name, run in contestants.items():
            results[name].append(run())
    gflops, where = sgemm_gflops(sizes, args.batch, args.repeats)
    six, real = flops_per_sample(sizes)
    best = {k: max(v) for k, v in results.items()}
    print(f"\n{name_of(hidden)}:")
    for name, values in results.items():
        print(f"  {name + ':':22s}{best[name]:10,.0f} samples/s  (rounds {min(values):,.0f}-{max(values):,.0f}, "
              f"median {statistics.median(values):,.0f})")
    judging, judged_rows = judging_seconds(trainer, args.repeats)
    epoch = trainer.n_train / best["Trainer"]
    print(f"  of a Trainer epoch, judging {judged_rows:,} rows at its end takes {judging * 1e3:.1f} ms "
          f"({judging / epoch:.1%}); the updates alone run at {trainer.n_train / (epoch - judging):,.0f} "
          f"samples/s")

    def ratio(a: str, b: str) -> str:
        rounds = [x / y for x, y in zip(results[a], results[b])]
        return (f"{best[a] / best[b]:.3f}  (within a round: median {statistics.median(rounds):.3f}, "
                f"best {max(rounds):.3f})")

    print(f"  Trainer / plain numpy loop: {ratio('Trainer', 'plain numpy loop')}")
    if torch is not None:
        print(f"  Trainer / PyTorch loop:     {ratio('Trainer', 'PyTorch loop')}")
        print(f"  plain loop / PyTorch loop:  {ratio('plain numpy loop', 'PyTorch loop')}")
    ceiling = gflops * 1e9 / six
    print(f"  sgemm: {gflops:.1f} GFLOP/s ({where}); ceiling at 6*sum(fan_in*fan_out) = {six:,} FLOPs/sample: "
          f"{ceiling:,.0f} samples/s")
    print(f"  Trainer's share of the ceiling: {best['Trainer'] / ceiling:.1%} "
          f"(counting the {real:,} FLOPs an update does: {best['Trainer'] * real / (gflops * 1e9):.1%})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=60_000, help="random digits (ignored with --mnist)")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--tiny-updates", type=int, default=5000)
    p.add_argument("--mnist", action="store_true", help="the shipped MNIST training set instead of random digits")
    p.add_argument("--networks", nargs="+", choices=[name_of(h) for h in NETWORKS],
                   default=[name_of(h) for h in NETWORKS])
    p.add_argument("--no-tiny", action="store_true", help="leave the tiny networks out")
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch out even when it is installed")
    args = p.parse_args()
    use_blas_threads(1)
    torch = None if args.no_torch else load_torch()
    ds = mnist_training_set() if args.mnist else random_digits(args.samples)
    what = f"{ds.n_samples:,} MNIST training digits" if args.mnist else f"{args.samples:,} random digits"
    print(f"float32, batch {args.batch}, {what}, 1 BLAS thread, best of {args.repeats} "
          f"(PyTorch {torch.__version__ if torch else 'not installed: uv run --with torch ... adds it'}); {load()}")
    for hidden in NETWORKS:
        if name_of(hidden) in args.networks:
            compare(ds, hidden, args, torch)
    if not args.no_tiny:
        print("\ntiny networks (updates per second; rounds interleaved):")
        rates: dict[str, list[float]] = {label: [] for label, _, _ in TINY}
        for _ in range(args.repeats):
            for label, preset, changes in TINY:
                rates[label].append(tiny_updates_per_second(preset, args.tiny_updates, **changes))
        for label, values in rates.items():
            print(f"  {label + ':':20s}{spread(values)}")
    print(f"({load()})")


if __name__ == "__main__":
    main()
