"""Training a 784-128-10 float32 network with the studio window open and its panels on screen.

Prints, in one run:
  - headless throughput (Trainer.run on the main thread, the window idle), samples per second;
  - throughput with the window drawing snapshots, and its ratio to headless;
  - the event loop's responsiveness: a QTimer's (every --tick ms) worst and 99th percentile gap beyond its
    interval (a stall the learner would feel as a frozen window);
  - how often each view was redrawn (redraws per second) and the GUI thread's CPU time per redraw (mean and worst);
  - the process's peak memory (VmHWM), and how much of it the bench's own headless Trainer holds.

Headless and windowed segments alternate (--rounds of each), so that the machine's drift, which here reaches 10%
over a minute, falls on both sides of the ratio alike.

Usage (real rendering on a virtual screen is closer to a desktop than the offscreen platform):
    xvfb-run -a -s "-screen 0 1600x1000x24" uv run python bench/gui_responsiveness.py [--seconds S] [--rounds R]
        [--layout all|tabs] [--data random|mnist] [--preset LESSON]

--data mnist trains the same 784-128-10 network on the 60,000 real digits (issue 9's figure); random (the default)
on --samples random digits. --profile WeightsPanel,CurvesPanel prints where those views' redraws spend their time.

Figures (--data mnist --layout all --rounds 2 --seconds 6, Xvfb, 2 cores, load ~0.9; before = a2b4d22 with this
bench, run alternately with after):
  before: 85.7% of headless, worst stall 24.6 ms (p99 15.6); 0.50-0.67 redraws/s per view; ms per redraw: Weights
          23.7, Curves 18.4, Activation 16.7, Network 12.6, Gallery 3.8, Drawing 3.0, Predictions 1.7,
          LossSurface 1.4, TryIt 0.8 (81 ms a round); studio ~1,125 MB.
  after:  86.2% of headless, worst stall 19.8 ms (p99 11.0); 0.75-0.83 redraws/s per view; ms per redraw: Curves
          17.4, Weights 14.5, Network 9.2, Activation 8.6, Drawing 2.1, Predictions 1.1, LossSurface 0.4,
          Gallery 0.2, TryIt 0.1 (54 ms a round); studio ~1,103 MB.
Redraws made cheaper (branch redraw; the machine at load 10-12 on 2 cores, so throughput ratios and stalls were not
comparable; the ms per redraw are), same run, before (c935921) then after: Weights 17.0 -> 10.2 ms, Curves 13.6 ->
10.9 ms per redraw (mean), Network, Activation unchanged (12-13 and 10 ms: now the costliest views). A view's own
cost, with less load on the machine: bench/redraw_cost.py.
Training in a child process (training.child_run, NNSTUDIO_CHILD_RUN=1; draw budget 0.4 for such a run), same command,
runs alternating with NNSTUDIO_CHILD_RUN=0 (branch childrun, load 1.2-2.3 on 2 cores):
  thread (=0): 86.9% and 91.4% of headless; 0.50-0.58 redraws/s per view; worst stall 26-28 ms (p99 12-15).
  child  (=1): 79.5% and 68.1% of headless (an earlier run 82.2%); 6.3-7.9 redraws/s per view; worst stall 57-113 ms
          (p99 38-51). The child's peak resident memory 866-915 MB, most of it pages shared with the studio: its own
          164-194 MB at its end (the checkpoints it made, which the studio holds too). 138-139 messages in 6 s, median
          1.3-1.7 MB (weights and gradients 0.8 MB, a checkpoint 0.4 MB, a row of the path 0.4 MB), largest 3.7 MB.
With the draw budget at 0.25 for a run in a child (main, quiet machine, load 1.4, --rounds 2-3, alternating):
  thread (=0): 85.9% and 83.8% of headless (mean 84.9%); 0.58-0.67 redraws/s per view; worst stall 29 ms.
  child, share 0.25: 71.0-91.2% (means 81.1% and 78.5%); 5.0 redraws/s per view; worst stall 52-64 ms.
  child, share 0.15: 75.1% and 85.3%; 1.9 redraws/s.   child, no drawing (share 0.0001): 81.8-101.6% (mean 89.1%).
  Child runs are the default now (NNSTUDIO_CHILD_RUN=0 turns them off): 5 redraws/s instead of 0.6 for 6 points of
  training speed; --share sets the budget of both modes.
The child's weights, gradients and the arrays of its messages in shared memory, and the child never waiting for the
parent (training.child_run._Block; --rounds 3-4, load 1.0-1.3, Xvfb):
  share 0.25: 97.1-99.5% of headless (mean 98.1%), 4.1 redraws/s per view, worst stall 43 ms.
  share 0.3:  84.0-94.8% (mean 90.4%), 5.8/s, worst stall 58 ms.
  share 0.35 (CHILD_SHARE now): 83.5-96.4% and 93.6-104% (means 87.8% and 99.4%), 6.7-7.1/s, worst stall 67-75 ms.
  share 0.5:  81.0-100.7% (mean 91.5%), 10.6/s, worst stall 60 ms.
After the review's fixes (816e9ef, --rounds 4, load 0.9): 96.6-98.7% (mean 97.8%), 8.9 redraws/s per view, worst
  stall 68 ms (p99 28 ms); the studio about 852 MB, the child's own 125 MB.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from epoch_throughput import random_digits  # noqa: E402

from nnstudio.core.network import LayerSpec  # noqa: E402
from nnstudio.training import Experiment, Trainer, presets  # noqa: E402
from nnstudio.training.threads import use_blas_threads  # noqa: E402


def experiment(epochs: int) -> Experiment:
    return Experiment(name="bench-784", title="784-128-10 on random digits", dataset="random-784",
                      layers=[LayerSpec(128, "relu"), LayerSpec(10, "softmax")], loss="softmax_cross_entropy",
                      init="he", optimizer="sgd", learning_rate=0.01, batch_size=128, shuffle=True, epochs=epochs,
                      dtype="float32", preprocessing="none")


def mnist_experiment(epochs: int) -> Experiment:
    """784-128-10 ReLU on MNIST, float32, batch 128: the studio-performance figure of issue 9."""
    return Experiment(name="bench-mnist", title="784-128-10 on MNIST", dataset="mnist",
                      layers=[LayerSpec(128, "relu"), LayerSpec(10, "softmax")], loss="softmax_cross_entropy",
                      init="he", optimizer="sgd", learning_rate=0.05, batch_size=128, shuffle=True, epochs=epochs,
                      dtype="float32")


def peak_rss_mb() -> float:
    """The process's peak resident memory so far (VmHWM), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def trainer_arrays_mb(trainer: Trainer) -> float:
    """What the bench's headless Trainer holds of its own (its prepared arrays: the studio has its own copy)."""
    arrays = [trainer.X_train, trainer.Y_train, trainer.X_test, trainer.Y_test]
    return sum(a.nbytes for a in arrays if a is not None) / 2**20


def headless(trainer: Trainer, seconds: float) -> float:
    """Samples per second of ``trainer`` running on a thread of its own while the window sits idle (the main
    thread waits without an event loop), as the studio's training thread would without anything to draw."""
    out = []

    def run():
        start, steps = time.perf_counter(), trainer.step_count
        deadline = start + seconds
        trainer.run(should_stop=lambda: time.perf_counter() > deadline)
        out.append((trainer.step_count - steps) * trainer.batch_size / (time.perf_counter() - start))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return out[0]


class Studio:
    """The main window running ``exp``, and a timer that records the event loop's gaps."""

    def __init__(self, exp, ds, batch: int, layout: str, share: float | None = None, tick_ms: int = 10):
        self.batch = batch  # rows per update, to turn updates into samples
        if not os.environ.get("DISPLAY"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtCore import QElapsedTimer, QSettings, QTimer
        from PySide6.QtWidgets import QApplication, QDockWidget

        self.app = QApplication.instance() or QApplication([])
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "/tmp/nnstudio-bench-settings")
        from nnstudio.qt.main_window import MainWindow

        w = self.window = MainWindow(remember_layout=False)
        w.session.ask_unsaved = lambda: "discard"
        w.resize(1600, 1000)
        w.show()
        # every panel on screen at once: the tabbed ones float beside the window
        floating = [w.weights_dock, w.activation_dock, w.predictions_dock, w.surface_dock, w.gallery_dock,
                    w.drawing_dock] if layout == "all" else []
        for i, dock in enumerate(floating):  # two rows of three over the window's lower part (no window manager)
            dock.setFloating(True)
            dock.setGeometry(20 + 530 * (i % 3), 300 + 350 * (i // 3), 520, 340)
        if layout == "all":
            w.later.make_all()  # panels under tabs are made when first shown: all of them are on screen here
            for dock in w.findChildren(QDockWidget):
                dock.show()
        w.controller.open_experiment(exp, dataset=ds)
        if share is not None:  # the share for large networks (the window picks it by network size at each pull)
            from nnstudio.qt import draw_budget

            draw_budget.SHARE = draw_budget.CHILD_SHARE = share  # (the latter while training in a child process)
        self.feeds: Counter = Counter()
        self.costs: dict[str, list[float]] = {}
        fed = w.draw_budget.fed

        def count(view, snap, cost):
            if self.timer.isActive():  # only in the measured segments
                name = type(view).__name__
                self.feeds[name] += 1
                self.costs.setdefault(name, []).append(cost)
            fed(view, snap, cost)

        w.draw_budget.fed = count
        self.gaps: list[float] = []
        self.clock = QElapsedTimer()
        self.clock.start()
        self.last = self.clock.nsecsElapsed()
        self.timer = QTimer()
        self.tick_ms = tick_ms
        self.timer.setInterval(tick_ms)
        self.timer.timeout.connect(self._tick)
        self.wait(1500)  # the panels' first drawing, and the loss surface of the starting point

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed()
        self.gaps.append((now - self.last) / 1e6 - self.tick_ms)
        self.last = now

    def wait(self, ms: int) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def train(self, seconds: float) -> tuple[float, float]:
        """Run for ``seconds`` (after a second to settle); samples per second and the GUI thread's CPU share."""
        w = self.window
        w.run_action.trigger()
        self.wait(1000)
        first, start, cpu = w.worker.latest(), time.perf_counter(), time.thread_time()
        self.last = self.clock.nsecsElapsed()  # gaps count from here, not from before the settling wait
        self.timer.start()
        self.wait(int(seconds * 1000))
        self.timer.stop()
        self.share = w.draw_budget.share  # the share in force during the run (it changes when training pauses)
        last, elapsed, cpu = w.worker.latest(), time.perf_counter() - start, time.thread_time() - cpu
        w.run_action.trigger()
        self.wait(500)
        return (last.step - first.step) * self.batch / elapsed, cpu / elapsed

    def quiet(self) -> None:
        """Stop the loss surface's background computation (started when training pauses: for this network it takes
        most of a minute), so that it does not take a core from the headless segment that comes next."""
        self.window.surface.cancel()
        self.wait(200)

    def close(self) -> None:
        self.window.close()

    def views_on_screen(self) -> list:
        """The snapshot views that are visible and not wholly covered."""
        return [v for v in self.window.snapshot_views if v.isVisible() and not v.visibleRegion().isEmpty()]


def profile_views(studio: Studio, names: list[str]) -> dict:
    """A cProfile.Profile for each view class named, recording its redraws (in the measured segments)."""
    import cProfile

    profilers = {name: cProfile.Profile() for name in names}
    window = studio.window
    draw = window._draw_view

    def drawn(view, snap, *args, **kwargs):
        profiler = profilers.get(type(view).__name__)
        if profiler is None or not studio.timer.isActive():
            return draw(view, snap, *args, **kwargs)
        profiler.enable()
        try:
            return draw(view, snap, *args, **kwargs)
        finally:
            profiler.disable()

    window._draw_view = drawn
    return profilers


def print_profiles(profilers: dict, cumulative: int = 30, own: int = 15) -> None:
    """Each view's profile: its top entries by cumulative time, then by own time."""
    import pstats

    for name, profiler in profilers.items():
        print(f"--- {name}: cumulative")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(cumulative)
        print(f"--- {name}: own time")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(own)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=6.0, help="length of each measured segment")
    p.add_argument("--rounds", type=int, default=3, help="headless/windowed pairs")
    p.add_argument("--samples", type=int, default=20_000)
    p.add_argument("--layout", choices=("all", "tabs"), default="all",
                   help="all: every panel on screen at once (tabbed ones float); tabs: the usual layout")
    p.add_argument("--share", type=float, default=None,
                   help="the draw budget's share of the GUI thread's time (default: the studio's own)")
    p.add_argument("--tick", type=int, default=10, help="interval of the timer that measures stalls, ms (its own "
                   "wake-ups cost training a little: each needs the interpreter lock)")
    p.add_argument("--profile", metavar="VIEWS", default=None,
                   help="profile the redraws of these views (class names, comma separated, e.g. WeightsPanel) and "
                        "print each one's top entries")
    p.add_argument("--data", choices=("random", "mnist"), default="random",
                   help="random: --samples random digits; mnist: the 60,000 real training digits")
    p.add_argument("--preset", default=None, help="a lesson's network and data instead, run flat out (e.g. "
                   "gender-network: a small network, whose training is almost all Python)")
    args = p.parse_args()
    use_blas_threads(1)
    if args.preset:
        exp, ds = dataclasses.replace(presets.get(args.preset), epochs=10**7), None
        what = f"lesson {args.preset}, flat out"
    elif args.data == "mnist":
        from nnstudio import data

        exp, ds = mnist_experiment(10**6), data.load("mnist")
        what = "784-128-10 ReLU float32, batch 128, on MNIST (60,000 digits)"
    else:
        exp, ds = experiment(10**6), random_digits(args.samples)
        what = f"784-128-10 float32, batch 128, on {args.samples:,} random digits"
    reference = Trainer(exp, ds)
    reference.run(max_updates=20)  # warm-up
    studio = Studio(exp, ds, reference.batch_size, args.layout, args.share, args.tick)
    profilers = profile_views(studio, args.profile.split(",")) if args.profile else {}
    heads, rates, shares = [], [], []
    for _ in range(args.rounds):
        studio.quiet()
        heads.append(headless(reference, args.seconds))
        rate, share = studio.train(args.seconds)
        rates.append(rate)
        shares.append(share)
    studio.quiet()
    heads.append(headless(reference, args.seconds))
    on_screen = [type(v).__name__ for v in studio.views_on_screen()]
    studio.close()
    late = np.asarray(studio.gaps)
    ratios = [r / ((heads[i] + heads[i + 1]) / 2) for i, r in enumerate(rates)]  # each against its neighbours
    measured = args.rounds * args.seconds
    print(f"{what}, 1 BLAS thread, {args.rounds} x {args.seconds:g} s each way, "
          f"platform {os.environ.get('QT_QPA_PLATFORM', 'default')}")
    print(f"  headless:  {'  '.join(f'{h:,.0f}' for h in heads)} samples/s")
    shown = "all panels on screen" if args.layout == "all" else "usual tabs"
    print(f"  studio ({shown}): {'  '.join(f'{r:,.0f}' for r in rates)} samples/s")
    print(f"  ratio to headless: {'  '.join(f'{x:.1%}' for x in ratios)}  (mean {np.mean(ratios):.1%})")
    print(f"  event loop ({args.tick} ms timer): worst stall {late.max():.1f} ms beyond its interval, "
          f"99th percentile {np.percentile(late, 99):.1f} ms, median {np.median(late):.1f} ms, {len(late)} ticks")
    print(f"  GUI thread busy {np.mean(shares):.1%} of the time (draw budget during the runs {studio.share:.0%})")
    print("  redraws per second per view, and the GUI thread's CPU per redraw (mean / worst):")
    for name in sorted(studio.feeds):
        costs = 1000 * np.asarray(studio.costs[name])
        print(f"    {name.removesuffix('Panel'):<14} {studio.feeds[name] / measured:5.2f} /s   "
              f"{costs.mean():5.1f} / {costs.max():5.1f} ms")
    never = sorted(set(on_screen) - set(studio.feeds))
    if never:
        print(f"    never redrawn while measured: {', '.join(never)}")
    print_profiles(profilers)
    from nnstudio.training import child_run

    stats = child_run.last_stats
    if stats.get("child"):  # the last windowed segment trained in a child process
        c, mb = stats["child"], 2**20
        print(f"  training in a child process: its peak resident memory {c.get('VmHWM', 0) / mb:,.0f} MB, of which "
              f"its own (not shared with the studio) "
              f"{(c.get('Private_Dirty', 0) + c.get('Private_Clean', 0)) / mb:,.0f}"
              f" MB at its end; {stats['messages']:,} messages, median {stats['median_bytes_after_first'] / 1e3:,.0f}"
              f" KB, largest {stats['max_bytes_after_first'] / 1e3:,.0f} KB after the first")
    else:
        print("  training in the worker thread (no child process)")
    own = trainer_arrays_mb(reference)
    print(f"  peak memory (VmHWM) {peak_rss_mb():,.0f} MB, of which the bench's headless Trainer's arrays "
          f"{own:,.0f} MB: the studio alone about {peak_rss_mb() - own:,.0f} MB")


if __name__ == "__main__":
    main()
