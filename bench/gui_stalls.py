"""How long the window freezes during the studio's long operations: importing a big CSV file, saving a big
session, exporting every panel, and showing a big generated 2-D set.

Each operation runs in the real main window, started from its event loop the way a menu or a button starts it,
while a QTimer firing every 10 ms records the loop's gaps. Printed per operation: how long it took, and the worst
and 99th-percentile stall (a gap beyond the timer's interval: the time the window could not react), counted from
the start of the operation to a second after its end (what the window redraws afterwards counts too).

- CSV: a file of --rows rows (--features numeric columns and a class label) generated into a temporary folder,
  imported through the import dialog's Import button, with the Loss surface panel on show.
- Save: a 784-300-100-10 float32 network trained --updates updates on random data (its history keeps every weight
  at each update of the path: tens of megabytes), saved with Save As.
- Export: File -> Export all panels on a lesson trained to its end (--lesson).
- Spiral: the spiral with --points points chosen in the Data panel (its scatter on show, and the Predictions panel
  with its decision surface), then --steps single updates a third of a second apart (Step, as the S key does).

--probe prints, for the longest stalls, where the GUI thread was meanwhile (stall_probe.py: a watchdog thread samples
its stack while the heartbeat is late by more than 100 ms); --profile prints the GUI thread's cProfile of each of the
longest stalls instead.

--compare REV runs the same operations on the code of git revision REV as well (extracted into a temporary
folder), and prints both, e.g. the code before the work moved off the GUI thread:

    xvfb-run -a -s "-screen 0 1600x1000x24" uv run python bench/gui_stalls.py --compare ab93a3d
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
TICK_MS = 10
SETTLE_MS = 1000
STEP_GAP_MS = 330


def write_csv(path: Path, rows: int, features: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    names = np.array(["cat", "dog", "bird"])
    with path.open("w", encoding="utf-8") as f:
        f.write(",".join([f"f{i}" for i in range(features)] + ["label"]) + "\n")
        for start in range(0, rows, 100_000):
            n = min(100_000, rows - start)
            X = rng.normal(size=(n, features)) * 10
            labels = names[rng.integers(0, 3, n)]
            cells = np.char.mod("%.4f", X)
            lines = [",".join(row) + "," + label for row, label in zip(cells.tolist(), labels.tolist())]
            f.write("\n".join(lines) + "\n")


def big_trainer(updates: int):
    sys.path.insert(0, str(HERE))
    from epoch_throughput import random_digits

    from nnstudio.core.network import LayerSpec
    from nnstudio.training import Experiment, Trainer

    exp = Experiment(name="big", title="784-300-100-10", dataset="random-784",
                     layers=[LayerSpec(300, "relu"), LayerSpec(100, "relu"), LayerSpec(10, "softmax")],
                     loss="softmax_cross_entropy", init="he", optimizer="adam", learning_rate=0.001, batch_size=128,
                     shuffle=True, epochs=1000, dtype="float32", preprocessing="none")
    trainer = Trainer(exp, random_digits(2000))
    trainer.run(max_updates=updates)
    return trainer


class Studio:
    """The main window and a heartbeat timer that records the event loop's gaps."""

    def __init__(self):
        self.probe = None
        if not os.environ.get("DISPLAY"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtCore import QElapsedTimer, QSettings, QTimer
        from PySide6.QtWidgets import QApplication

        self.app = QApplication.instance() or QApplication([])
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())
        from nnstudio.qt.main_window import MainWindow

        self.window = MainWindow(remember_layout=False)
        self.window.session.ask_unsaved = lambda: "discard"
        self.window.resize(1600, 1000)
        self.window.show()
        try:  # as nnstudio.qt.app.main does (older revisions do not)
            from nnstudio.qt.app import settle_heap
        except ImportError:
            pass
        else:
            settle_heap()
        self.clock = QElapsedTimer()
        self.clock.start()
        self.ticks: list[tuple[float, float]] = []  # (time, gap beyond the interval), ms
        self.last = 0.0
        self.timer = QTimer()
        self.timer.setTimerType(self.timer.timerType().PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        self.wait(1500)

    def now(self) -> float:
        return self.clock.nsecsElapsed() / 1e6

    def _tick(self) -> None:
        now = self.now()
        if self.last:
            self.ticks.append((now, now - self.last - TICK_MS))
        self.last = now

    def wait(self, ms: int) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def measure(self, operation) -> dict:
        """Run ``operation()`` from the event loop; its duration and the stalls from its start to SETTLE_MS after."""
        from PySide6.QtCore import QEventLoop, QTimer

        out: dict = {}
        loop = QEventLoop()

        def run():
            out["start"] = self.now()
            if self.probe is not None:
                self.probe.mark(f"the start of {getattr(operation, '__name__', 'the operation')}")
            out["result"] = operation()
            out["end"] = self.now()
            if self.probe is not None:
                self.probe.mark(f"the end of {getattr(operation, '__name__', 'the operation')}")
            QTimer.singleShot(SETTLE_MS, loop.quit)

        QTimer.singleShot(0, run)
        loop.exec()
        window = [(t, g) for t, g in self.ticks if out["start"] <= t <= out["end"] + SETTLE_MS] or [(0.0, 0.0)]
        gaps = np.array([g for _, g in window])
        worst_at = window[int(gaps.argmax())][0] - out["start"]  # when the worst stall ended, from the start
        return {"seconds": (out["end"] - out["start"]) / 1000, "worst": float(gaps.max()), "worst_at": worst_at,
                "p99": float(np.percentile(gaps, 99)), "ticks": int(len(gaps)), "result": out["result"]}

    def measure_steps(self, steps) -> dict:
        """Like ``measure``, for a list of calls made ``STEP_GAP_MS`` apart (the event loop runs in between)."""

        def operation():
            for k, call in enumerate(steps):
                call()
                if k + 1 < len(steps):
                    self.wait(STEP_GAP_MS)

        return self.measure(operation)

    def quiet(self) -> None:
        """Stop the loss surface's own background computation (not what is measured)."""
        self.window.surface.cancel()
        self.wait(300)


def run_here(args) -> dict:
    """The three operations on the code importable here; a dict of figures per operation."""
    from PySide6.QtWidgets import QPushButton

    from nnstudio.training import presets

    studio = Studio()
    w = studio.window
    probe = None
    if args.probe or args.profile:
        sys.path.insert(0, str(HERE))
        from stall_probe import ProfileProbe, StallProbe

        probe = studio.probe = ProfileProbe() if args.profile else StallProbe()
    work = Path(tempfile.mkdtemp(prefix="nnstudio-stalls-"))
    results = {}

    if "export" in args.ops:
        w.session.open_lesson(args.lesson)
        trainer_done = presets.get(args.lesson)
        w.controller.edit(w.controller.experiment.replace(epochs=min(trainer_done.epochs, 2000)), "epochs")
        w.worker.run()
        while w.worker.running or w.worker.latest().step == 0:
            studio.wait(100)
        studio.wait(2000)  # the panels' drawing and the window's own loss surface
        w.session.ask_export_folder = lambda: work / "export"
        r = studio.measure(w.export_all_panels)
        r["note"] = f"{len(list((work / 'export').glob('*.*')))} files, lesson {args.lesson}"
        results["export all panels"] = r

    if "csv" in args.ops:
        csv_path = work / "big.csv"
        write_csv(csv_path, args.rows, args.features)
        w.surface_dock.raise_()  # a view that reads the prepared training rows (PanelContext.prepared)
        studio.wait(300)
        dialog = w.data_panel.import_csv(str(csv_path))
        studio.wait(300)
        button = dialog.findChild(QPushButton, "csvImportButton")
        r = studio.measure(button.click)
        ok = w.controller.dataset.name == "csv:big.csv"
        r["note"] = (f"{args.rows:,} rows x {args.features + 1} columns, {csv_path.stat().st_size / 1e6:.0f} MB"
                     + ("" if ok else ", NOT IMPORTED"))
        results["import CSV"] = r
        studio.quiet()

    if "save" in args.ops:
        trainer = big_trainer(args.updates)
        w.controller.open_experiment(trainer.experiment, trainer=trainer)
        studio.wait(1500)
        studio.quiet()
        target = work / "big.nnstudio"
        w.session.ask_save_path = lambda: target
        r = studio.measure(w.session.save_as)
        r["note"] = f"{target.stat().st_size / 1e6:.0f} MB" if target.exists() else "NOT SAVED"
        results["save session"] = r

    if "spiral" in args.ops:
        from nnstudio.data import DATASETS

        w.session.open_lesson("trask-neuron")
        studio.wait(500)
        w.data_dock.raise_()
        w.predictions_dock.raise_()
        studio.wait(500)
        params = {**DATASETS["spiral"].defaults, "size": args.points}

        def choose():  # what the Data panel's combo and size spin box ask for, in one edit
            w.data_panel._call(lambda: w.controller.choose_dataset("spiral", params))

        r = studio.measure(choose)
        r["note"] = f"{args.points:,} points, {w.controller.dataset.name}"
        results["choose spiral"] = r
        studio.wait(1000)
        r = studio.measure_steps([w.step] * args.steps)
        r["note"] = f"{args.steps} updates {STEP_GAP_MS} ms apart, Predictions and Data scatter on show"
        results["spiral updates"] = r
        studio.quiet()

    if probe is not None:
        probe.stop()
        print(probe.report(), file=sys.stderr)
    w.close()
    for r in results.values():
        r.pop("result", None)
    return results


def run_revision(rev: str, args) -> dict:
    """The same operations on the code of git revision ``rev``, in a child process."""
    code = Path(tempfile.mkdtemp(prefix="nnstudio-rev-"))
    archive = subprocess.run(["git", "-C", str(HERE.parent), "archive", rev, "nnstudio"], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(code)], input=archive, check=True)
    env = dict(os.environ, PYTHONPATH=str(code) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    argv = [sys.executable, __file__, "--json", "--ops", ",".join(args.ops), "--rows", str(args.rows),
            "--features", str(args.features), "--updates", str(args.updates), "--lesson", args.lesson,
            "--points", str(args.points), "--steps", str(args.steps)]
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"the run on {rev} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def show(label: str, results: dict) -> None:
    for name, r in results.items():
        print(f"  {name:18s} {label:8s} {r['seconds']:7.2f} s   worst stall {r['worst']:7.0f} ms (ending "
              f"{r['worst_at'] / 1000:.2f} s in)   99th percentile {r['p99']:6.0f} ms   ({r['ticks']} ticks; "
              f"{r['note']})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ops", default="export,csv,save,spiral",
                   help="which operations, comma-separated: export,csv,save,spiral")
    p.add_argument("--rows", type=int, default=1_000_000, help="rows of the generated CSV file")
    p.add_argument("--features", type=int, default=19, help="numeric columns of the CSV file (plus a label)")
    p.add_argument("--updates", type=int, default=9,
                   help="updates of the big network before it is saved (more: a bigger history, up to 64)")
    p.add_argument("--lesson", default="gender-network", help="the lesson whose panels are exported")
    p.add_argument("--points", type=int, default=100_000, help="points of the generated spiral")
    p.add_argument("--steps", type=int, default=5, help="single updates after the spiral is chosen")
    p.add_argument("--probe", action="store_true", help="print where the GUI thread was during the longest stalls")
    p.add_argument("--profile", action="store_true",
                   help="print the GUI thread's cProfile of the longest stalls (slower: figures are not comparable)")
    p.add_argument("--compare", metavar="REV", help="also run on the code of this git revision (before)")
    p.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    args.ops = [op.strip() for op in args.ops.split(",") if op.strip()]
    from nnstudio.training.threads import use_blas_threads

    use_blas_threads(1)
    if args.json:
        print(json.dumps(run_here(args)))
        return
    before = run_revision(args.compare, args) if args.compare else None
    after = run_here(args)
    import nnstudio

    print(f"event-loop stalls beyond a {TICK_MS} ms timer, platform {os.environ.get('QT_QPA_PLATFORM') or 'xcb'}, "
          f"code {Path(nnstudio.__file__).parent}")
    if before is not None:
        show(f"before ({args.compare})", before)
    show("after" if before is not None else "", after)


if __name__ == "__main__":
    main()
