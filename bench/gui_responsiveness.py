"""Training a 784-128-10 float32 network with the studio window open and every panel visible.

Prints, in one run:
  - headless throughput (Trainer.run, no window), samples per second;
  - throughput with the window drawing snapshots, and its ratio to headless;
  - the event loop's responsiveness: a 10 ms QTimer's worst gap and 99th percentile gap beyond its interval
    (a stall the learner would feel as a frozen window).

Usage (real rendering on a virtual screen is closer to a desktop than the offscreen platform):
    xvfb-run -a -s "-screen 0 1600x1000x24" uv run python bench/gui_responsiveness.py [--seconds S] [--samples N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from epoch_throughput import random_digits  # noqa: E402

from nnstudio.core.network import LayerSpec  # noqa: E402
from nnstudio.training import Experiment, Trainer  # noqa: E402
from nnstudio.training.threads import use_blas_threads  # noqa: E402


def experiment(epochs: int) -> Experiment:
    return Experiment(name="bench-784", title="784-128-10 on random digits", dataset="random-784",
                      layers=[LayerSpec(128, "relu"), LayerSpec(10, "softmax")], loss="softmax_cross_entropy",
                      init="he", optimizer="sgd", learning_rate=0.01, batch_size=128, shuffle=True, epochs=epochs,
                      dtype="float32", preprocessing="none")


def headless(ds, seconds: float) -> float:
    t = Trainer(experiment(10**6), ds)
    t.run(max_updates=20)  # warm-up
    start, steps = time.perf_counter(), t.step_count
    deadline = start + seconds
    t.run(should_stop=lambda: time.perf_counter() > deadline)
    return (t.step_count - steps) * t.batch_size / (time.perf_counter() - start)


def windowed(ds, seconds: float, layout: str = "all") -> tuple[float, np.ndarray]:
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication, QDockWidget

    _app = QApplication.instance() or QApplication([])  # kept alive for the whole measurement
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "/tmp/nnstudio-bench-settings")
    from nnstudio.qt.main_window import MainWindow

    w = MainWindow(remember_layout=False)
    w.session.ask_unsaved = lambda: "discard"
    w.resize(1600, 1000)
    w.show()
    # every panel on screen at once: the tabbed ones float beside the window
    floating = [w.weights_dock, w.activation_dock, w.predictions_dock, w.surface_dock] if layout == "all" else []
    for i, dock in enumerate(floating):
        dock.setFloating(True)
        dock.setGeometry(20 + 400 * i, 560, 390, 420)
    for dock in w.findChildren(QDockWidget):
        dock.show()
    w.controller.open_experiment(experiment(10**6), dataset=ds)

    def wait(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    wait(500)
    gaps: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def tick():
        now = clock.nsecsElapsed()
        gaps.append((now - last[0]) / 1e6)
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    w.run_action.trigger()
    wait(1000)  # let the run settle, then measure
    first = w.worker.latest()
    start = time.perf_counter()
    last[0] = clock.nsecsElapsed()  # gaps count from here, not from before the settling wait
    timer.start()
    wait(int(seconds * 1000))
    timer.stop()
    last_snap = w.worker.latest()
    elapsed = time.perf_counter() - start
    w.run_action.trigger()
    wait(300)
    w.close()
    rate = (last_snap.step - first.step) * 128 / elapsed
    return rate, np.asarray(gaps) - 10.0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--samples", type=int, default=20_000)
    p.add_argument("--layout", choices=("all", "tabs"), default="all",
                   help="all: every panel on screen at once (tabbed ones float); tabs: the usual layout")
    args = p.parse_args()
    use_blas_threads(1)
    ds = random_digits(args.samples)
    ref = headless(ds, args.seconds)
    rate, late = windowed(ds, args.seconds, args.layout)
    ref2 = headless(ds, args.seconds)  # again, so drift of the machine shows
    base = (ref + ref2) / 2
    print(f"784-128-10 float32, batch 128, 1 BLAS thread, {args.seconds:g} s each, "
          f"platform {os.environ.get('QT_QPA_PLATFORM', 'default')}")
    print(f"  headless:          {ref:10,.0f} and {ref2:10,.0f} samples/s (before and after)")
    shown = "all panels on screen" if args.layout == "all" else "usual tabs"
    print(f"  studio ({shown}): {rate:10,.0f} samples/s  = {rate / base:.1%} of headless")
    print(f"  event loop (10 ms timer): worst stall {late.max():.1f} ms beyond its interval, "
          f"99th percentile {np.percentile(late, 99):.1f} ms, median {np.median(late):.1f} ms, {len(late)} ticks")


if __name__ == "__main__":
    main()
