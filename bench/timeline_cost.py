"""What the timeline costs: bytes per kept update and the time a checkpoint adds to an update, against the same
run without a timeline, measured in the same run (one BLAS thread).

Networks: the tutorials' tiny ones (trask-neuron 3-1 full batch; gender-network 2-2-1 one person per update) where
every update is kept, and MNIST's 784-128-10 (momentum, batch 128, float32, on random digits of MNIST's size unless
--mnist) where the budget spaces the checkpoints out. Also prints how long going back costs: restoring a
checkpoint, and training forward to an update between two checkpoints.

Usage:
    uv run python bench/timeline_cost.py [--updates N] [--repeats R] [--mnist]
"""

from __future__ import annotations

import argparse
import time
import timeit

import numpy as np
from threadpoolctl import threadpool_limits

from nnstudio.core.network import LayerSpec
from nnstudio.data.dataset import Dataset
from nnstudio.training import Experiment, Trainer, checkpoint, presets
from nnstudio.training.timeline import Timeline


def _digits(mnist: bool) -> Dataset:
    if mnist:
        from nnstudio.data.mnist import load_mnist
        return load_mnist()
    from epoch_throughput import random_digits
    return random_digits(60_000)


def _time(trainer_factory, updates: int, timeline: Timeline | None) -> float:
    t = trainer_factory()
    if timeline is not None:
        timeline.record(t)
    start = time.perf_counter()
    for _ in range(updates):
        t.step()
        if timeline is not None:
            timeline.record(t)
    return (time.perf_counter() - start) / updates


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--updates", type=int, default=3000, help="updates of each tiny run")
    ap.add_argument("--big-updates", type=int, default=300, help="updates of the MNIST-sized run")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--mnist", action="store_true", help="the shipped MNIST training set instead of random digits")
    args = ap.parse_args()

    digits = None

    def mnist_sized():
        nonlocal digits
        if digits is None:
            digits = _digits(args.mnist)
        exp = Experiment(name="bench", dataset=digits.name, dataset_params=digits.params,
                         layers=[LayerSpec(128, "relu"), LayerSpec(10, "softmax")], loss="softmax_cross_entropy",
                         init="he", optimizer="momentum", learning_rate=0.01, batch_size=128, shuffle=True,
                         epochs=10**6, dtype="float32", preprocessing="none" if not args.mnist else "dataset")
        return Trainer(exp, digits)

    contestants = [
        ("trask-neuron (3-1, full batch)", lambda: Trainer(presets.get("trask-neuron")), args.updates),
        ("gender-network (2-2-1, one row)", lambda: Trainer(presets.get("gender-network")), args.updates),
        ("784-128-10 momentum, batch 128", mnist_sized, args.big_updates),
    ]
    with threadpool_limits(1):
        print(f"{'network':34} {'per update':>11} {'+ timeline':>11} {'cost':>7} {'kept':>6} "
              f"{'bytes/kept':>11} {'restore':>9} {'forward to mid':>15}")
        for name, factory, updates in contestants:
            plain, recorded, timelines = [], [], []
            for _ in range(args.repeats):  # interleaved: a machine slowing down for a while slows both
                plain.append(_time(factory, updates, None))
                tl = Timeline()
                recorded.append(_time(factory, updates, tl))
                timelines.append(tl)
            p, r, tl = min(plain), min(recorded), timelines[-1]
            t = factory()
            tl2 = Timeline()
            tl2.record(t)
            for _ in range(updates):
                t.step()
                tl2.record(t)
            cp = tl2.nearest(tl2.steps[len(tl2) // 2])
            start = time.perf_counter()
            checkpoint.restore(t, cp)
            restore = time.perf_counter() - start
            between = cp.step + tl2.stride // 2 if tl2.stride > 1 else cp.step
            start = time.perf_counter()
            tl2.rewind(t, min(between, tl2.end))
            forward = time.perf_counter() - start
            print(f"{name:34} {p * 1e6:9.1f}us {r * 1e6:9.1f}us {100 * (r / p - 1):+6.1f}% {len(tl):6,} "
                  f"{tl.bytes_per_checkpoint():11,.0f} {restore * 1e3:7.2f}ms {forward * 1e3:13.1f}ms")
            # the end-to-end difference above is within the machine's noise: one checkpoint, timed on its own
            take = min(timeit.repeat(lambda: checkpoint.take(t), number=20, repeat=5)) / 20
            print(f"{'':34} timeline: {tl.describe()}; taking one checkpoint {take * 1e6:.1f}us, one in "
                  f"{tl.min_stride} updates adds {100 * take / tl.min_stride / p:.2f}% to an update")


if __name__ == "__main__":
    main()
