"""What training in a child process costs, without a window: the same Trainer run in this process and in a forked
child (training.child_run), segments of --seconds taking turns, on 784-128-10 float32 (batch 128, plain SGD) on
MNIST, with the timeline on as in the studio.

Prints samples per second for:
  - reference: a second Trainer of the same experiment, no timeline, ``Trainer.run`` without progress reports;
  - in process: the studio's Trainer (timeline on), ``Trainer.run`` with a progress report every 0.05 s;
  - in a child: the same Trainer, ``run_in_child`` with the same reports (the parent applies every message);
and each one's mean as a share of the reference's, then the last child run's message figures (``last_stats``).

Usage:
    uv run python bench/child_run_cost.py [--seconds 5] [--rounds 3] [--data mnist|random]

Figures (2 cores, load 0.7-1.2, --seconds 5 --rounds 3, the same hour; machine drift makes single rounds vary 10%):
  messages with their arrays in the pipe (6e01e08): in a child 85.2-88.3% of the reference (in process 92-101%):
    the child pickled 0.9-13 MB a message (118-162 MB in 5 s) and waited for the parent to read the pipe.
  arrays in shared memory, no waiting (this commit): in a child 95.4-98.3% (in process 102-104.5%); the pipe
    carries at most 4.7 KB a message.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from epoch_throughput import random_digits  # noqa: E402
from gui_responsiveness import experiment, mnist_experiment  # noqa: E402

from nnstudio.training import Trainer, child_run  # noqa: E402
from nnstudio.training.threads import use_blas_threads  # noqa: E402


def rate(t: Trainer, go, seconds: float) -> float:
    """Samples per second of ``go(t, should_stop)`` run for ``seconds``."""
    steps, start = t.step_count, time.perf_counter()
    deadline = start + seconds
    go(t, lambda: time.perf_counter() > deadline)
    return (t.step_count - steps) * t.batch_size / (time.perf_counter() - start)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--data", choices=("mnist", "random"), default="mnist")
    args = p.parse_args()
    use_blas_threads(1)
    if not child_run.available():
        sys.exit("training in a child process is not available here (Linux, one BLAS thread)")
    if args.data == "mnist":
        from nnstudio import data

        exp, ds = mnist_experiment(10**6), data.load("mnist")
    else:
        exp, ds = experiment(10**6), random_digits(20_000)
    reference = Trainer(exp, ds)
    studio = Trainer(exp, ds)
    studio.start_timeline()
    for t in (reference, studio):
        t.run(max_updates=20)  # warm-up
    contestants = {
        "reference": (reference, lambda t, stop: t.run(should_stop=stop)),
        "in process": (studio, lambda t, stop: t.run(should_stop=stop, on_progress=lambda s: None,
                                                     progress_interval=0.05)),
        "in a child": (studio, lambda t, stop: child_run.run_in_child(t, should_stop=stop,
                                                                      on_progress=lambda s: None,
                                                                      progress_interval=0.05)),
    }
    figures: dict[str, list[float]] = {name: [] for name in contestants}
    for _ in range(args.rounds):
        for name, (t, go) in contestants.items():
            figures[name].append(rate(t, go, args.seconds))
    base = np.mean(figures["reference"])
    print(f"784-128-10 float32, batch 128, on {args.data}, 1 BLAS thread, {args.rounds} x {args.seconds:g} s each")
    for name, values in figures.items():
        print(f"  {name:<11} {np.mean(values):9,.0f} samples/s  {np.mean(values) / base:6.1%} of the reference   "
              f"({'  '.join(f'{v:,.0f}' for v in values)})")
    s = child_run.last_stats
    print(f"  last child run: {s['messages']} messages, {s.get('posted', 0)} with their arrays in shared memory; "
          f"largest through the pipe {s.get('largest_in_pipe', 0):,} bytes; median "
          f"{s['median_bytes_after_first'] / 1e3:,.0f} KB, largest {s['max_bytes_after_first'] / 1e3:,.0f} KB, "
          f"{s['total_bytes'] / 1e6:,.1f} MB in all")


if __name__ == "__main__":
    main()
