"""Where a Trainer update's time goes, beyond the plain numpy loop's: per-update costs measured by taking turns.

``bench/epoch_throughput.py`` times whole epochs one after the other; on a shared machine its rounds of the same code
vary by 30% and more, which hides differences of a few percent. Here every contestant makes a short burst of updates
(``--burst``, 40 by default) in turn, round after round, and the figure is the median time of an update over the
rounds (a burst that holds an epoch's end, about one in twelve, is outvoted by the others: these are the updates
alone, without the epoch's judging, which ``epoch_throughput.py`` prints on its own).

The contestants, all 784-128-10 (ReLU, softmax, cross-entropy, plain SGD, float32, batch 128) on the same 60,000
random digits, from the same start:

- ``plain numpy loop``: ``epoch_throughput.PlainLoop``, the yardstick;
- ``Trainer``: as the studio runs it;
- ``Trainer again``: a second one, the same: how far two identical contestants differ here (the noise);
- ``Trainer without X``: the same with one of the things a Trainer update does besides the loop's maths taken out.
  These variants are wrong on purpose (they skip a safety check, or a record a view needs, or compute a different
  update) and exist only to price each part:
  - ``finite check``: the check that the new weights are finite (one pass over every weight);
  - ``lr pass``: the optimizer's separate pass multiplying the gradient by the learning rate (the loop folds the
    learning rate into the output gradient instead; the variant subtracts the gradient itself);
  - ``spare array``: the new weights written into a third array, the weights before the update kept as the backup
    a rollback returns to (the variant updates in place, as the loop does);
  - ``records``: the history (the loss of each update, the sampled weights, the weight path) and each row's output.

It prints each contestant's median microseconds per update, the loop's time over each one's (the updates-alone
share of the loop's speed), and what each part costs as a share of a Trainer update.

Usage:
    uv run python bench/update_costs.py [--rounds R] [--burst K] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from epoch_throughput import PlainLoop, make_trainer, random_digits, sizes_of  # noqa: E402

from nnstudio.core import optimizers  # noqa: E402
from nnstudio.training.threads import use_blas_threads  # noqa: E402

HIDDEN = (128,)


class _OnePassSGD(optimizers.SGD):
    """Wrong on purpose: new = p - g (no learning-rate pass). Prices that pass only."""

    def step(self, params, grads, lr, out=None):
        self.t += 1
        for p, g, new in zip(params, grads, out or params):
            np.subtract(p, g, out=new)


def _without(trainer, part: str):
    """``trainer`` with ``part`` taken out (see the module's docstring)."""
    if part == "finite check":
        trainer._all_finite = lambda flat: True
    elif part == "lr pass":
        trainer.optimizer.__class__ = _OnePassSGD
    elif part == "spare array":
        trainer._spare = lambda flat: flat
    elif part == "records":
        h = trainer.history
        h.update_loss.append = lambda x, values: None
        for series in (h.weights, h.path):
            if series is not None:
                series.wants = lambda x: False
        trainer._record_outputs = lambda rows, y_hat: None
    else:
        raise ValueError(part)
    return trainer


PARTS = ("finite check", "lr pass", "spare array", "records")


def trainer_updates(trainer, k: int) -> None:
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(k):
            trainer._step()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=150)
    p.add_argument("--burst", type=int, default=40, help="updates per turn")
    p.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS), help="the parts to price")
    args = p.parse_args()
    use_blas_threads(1)
    ds = random_digits(60_000)
    base = make_trainer(ds, HIDDEN, 128)
    X, labels = base.X_train, base.dataset.y[base.train_rows]
    loop = PlainLoop(X, labels, sizes_of(HIDDEN), 128)
    contestants = {"plain numpy loop": loop.updates,
                   "Trainer": partial(trainer_updates, base),
                   "Trainer again": partial(trainer_updates, make_trainer(ds, HIDDEN, 128))}
    for part in args.only:
        contestants[f"Trainer without {part}"] = partial(trainer_updates, _without(make_trainer(ds, HIDDEN, 128), part))
    print(f"784-128-10, float32, batch 128, 60,000 random digits, 1 BLAS thread; {args.rounds} rounds of "
          f"{args.burst} updates each, taking turns; load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    for run in contestants.values():  # warm-up
        for _ in range(3):
            run(args.burst)
    times: dict[str, list[float]] = {name: [] for name in contestants}
    for _ in range(args.rounds):
        for name, run in contestants.items():
            start = time.perf_counter()
            run(args.burst)
            times[name].append((time.perf_counter() - start) / args.burst)
    med = {name: statistics.median(v) for name, v in times.items()}
    trainer = times["Trainer"]

    def paired(name: str, ref: list[float]) -> float:
        """Median over the rounds of this contestant's time over ``ref``'s in the same round."""
        return statistics.median(a / b for a, b in zip(times[name], ref))

    print(f"\n  {'contestant':34s} {'us/update':>10s} {'loop / it':>10s} {'its time / Trainer':>19s}")
    for name in contestants:
        share = "" if name == "plain numpy loop" else f"{paired(name, trainer):19.3f}"
        print(f"  {name:34s} {med[name] * 1e6:10.1f} {paired('plain numpy loop', times[name]):10.3f} {share}")
    noise = abs(1 - paired("Trainer again", trainer))
    print(f"\n  what each part costs, as a share of a Trainer update (two identical Trainers differ by {noise:.1%} "
          "here):")
    for part in args.only:
        print(f"    {part:16s} {1 - paired(f'Trainer without {part}', trainer):6.1%}")
    print(f"(load average {' '.join(f'{v:.2f}' for v in os.getloadavg())})")


if __name__ == "__main__":
    main()
