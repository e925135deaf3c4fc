"""Training speed while a setting changes 30 times a second (an arrow key held on a spin box) during a run of
784-128-10 on MNIST in a child process: each change taken mid-run stops the child and starts a new one (a fork).

Prints updates per second for 3 s without changes, 3 s with a learning-rate change every 33 ms, and 3 s without
again. No window: the studio's controller and worker on a real QThread (offscreen platform).

Usage:
    uv run python bench/settings_storm.py

Figures (2 cores, load ~1, the same hour):
  each change taken at once:           1,043 -> 90 updates/s during the changes (83 changes), 1,038 after.
  a child trains 0.25 s at least between two stops for settings (worker.CHILD_SETTINGS_GAP, this commit):
                                       918 -> 855 updates/s (88 changes), 983 after.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "packaging"))
from gui_responsiveness import mnist_experiment  # noqa: E402
from shots import app_with_fresh_settings, wait  # noqa: E402


def main() -> None:
    app_with_fresh_settings()  # (one BLAS thread, as the studio: a large network's run goes to a child)
    from nnstudio import data
    from nnstudio.qt.controller import StudioController
    from nnstudio.qt.worker import WorkerThread

    thread = WorkerThread()
    controller = StudioController(thread.worker)
    exp = mnist_experiment(10**6)
    if not controller.open_experiment(exp, dataset=data.load("mnist")):
        sys.exit("could not open the experiment")
    w = thread.worker
    while w.latest() is None or w.latest().n_train != 60_000:
        wait(50)
    w.run()
    wait(1500)

    def rate(seconds: float, changes: bool) -> tuple[float, int]:
        first, start, k = w.latest().step, time.perf_counter(), 0
        while time.perf_counter() - start < seconds:
            if changes:
                k += 1
                controller.edit(exp.replace(learning_rate=0.05 + 0.0001 * k), "Learning rate")
            wait(33)
        return (w.latest().step - first) / (time.perf_counter() - start), k

    print(f"in a child: {w.run_in_child}; load average {os.getloadavg()[0]:.2f}")
    print(f"  no changes:            {rate(3, False)[0]:7,.0f} updates/s")
    speed, k = rate(3, True)
    print(f"  a change every 33 ms:  {speed:7,.0f} updates/s ({k} changes)")
    print(f"  no changes:            {rate(3, False)[0]:7,.0f} updates/s")
    w.pause()
    wait(500)
    thread.shutdown()


if __name__ == "__main__":
    main()
