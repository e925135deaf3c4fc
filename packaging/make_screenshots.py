"""Screenshots of the real studio for the README and store listings: run under a virtual X server, e.g.

    xvfb-run -a -s "-screen 0 1400x900x24" uv run python packaging/make_screenshots.py OUT_DIR [LESSON]

It opens LESSON (default trask-neuron), shoots the window before training, while a paced run is part-way, and after
the run, with ImageMagick's ``import`` (the whole X screen, as a person sees it). Steps wait on the training state,
not on the clock, because a screenshot blocks the window for a moment while the worker keeps training."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from shots import app_with_fresh_settings, studio_window


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")
    lesson = sys.argv[2] if len(sys.argv) > 2 else "trask-neuron"
    out.mkdir(parents=True, exist_ok=True)
    app = app_with_fresh_settings()
    from nnstudio.qt.main_window import SPEEDS

    w = studio_window()
    w.session.open_lesson(lesson)
    total = w.controller.experiment.epochs
    plan = iter([
        ("wait", lambda s: s is not None), ("shoot", "before"),
        ("do", lambda: (w.speed_slider.setValue(SPEEDS.index(200)) if total <= 2000 else None,
                        w.run_action.trigger())),
        ("wait", lambda s: s.epoch >= total * 0.3), ("shoot", "during"),
        ("do", lambda: w.speed_slider.setValue(len(SPEEDS) - 1)),
        ("wait", lambda s: s.epoch >= total and not w.worker.running), ("shoot", "after"),
        ("do", w.close),
    ])
    current = [next(plan)]

    def tick():
        kind, arg = current[0]
        snap = w.worker.latest()
        if kind == "wait" and not arg(snap):
            return
        if kind == "shoot":
            w.pull_snapshot()
            app.processEvents()
            path = out / f"{lesson}-{arg}.png"
            subprocess.run(["import", "-window", "root", str(path)], check=True)
            print(f"{path}: update {w.worker.latest().step}", flush=True)
        elif kind == "do":
            arg()
        try:
            current[0] = next(plan)
        except StopIteration:
            timer.stop()

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(100)
    app.exec()


if __name__ == "__main__":
    main()
