"""How long the studio takes to open: from launching the process to the window's first paint.

Launches ``python -m nnstudio`` (the studio's own ``main``, instrumented from outside: nothing in the studio knows it
is timed) --runs times after one untimed warm-up launch, each in a fresh process with fresh settings (the default
layout, the first lesson), and prints the median and the spread of:

- launch -> window painted: from just before the process is started to the end of the first paint of the main
  window (what a person waits for);
- of which imports: the time ``import nnstudio.qt.main_window`` takes after the QApplication exists (what the
  first screen's modules cost), and the interpreter's own start (to the first line of the child);
- of which building the window: ``MainWindow(...)`` (panels, docks, the first lesson's trainer);
- cpu to paint: the CPU time the process used up to its first paint (all its threads): close to what an idle
  machine waits, and much less sensitive than wall time to other work on a shared machine;
- launch -> complete: until no dock on screen holds a placeholder any more (the panels on show that the studio
  makes just after its first paint, nnstudio/qt/panels_later.py, are made and painted): the first screen whole;
- stall: between the first paint and complete, the longest the window could not answer (a 5 ms timer's worst
  lateness): whether the painted window is usable at once or frozen while the rest is made;

and, separately, ``python -X importtime`` of the same import: the 12 slowest modules by their own time.

Bytecode is written and used (PYTHONDONTWRITEBYTECODE is dropped for the launches): warm means compiled, as an
installed studio is after its first start. Needs a display; without DISPLAY it runs itself under
``xvfb-run -a -s "-screen 0 1600x1000x24"``. --compare REV runs the same on the code of git revision REV (extracted
into a temporary folder) as well, the launches of the two taking turns; --bundle EXE times a PyInstaller bundle
(packaging/build-bundle) from launch to its window mapped (xdotool; it cannot be instrumented from inside). A launch
that never reports is left out of the figures and counted; one that crashes or hangs on its way out after reporting
is counted (its figures stay):

    uv run python bench/startup.py [--runs 7] [--compare HEAD~3] [--bundle dist/nnstudio/nnstudio]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
TICK_MS = 5  # the timer that measures how long the window could not answer between its first paint and complete
EXITS: Counter = Counter()  # launches that ended badly (no report; or a report, then a crash or hang), by how
ROOT = HERE.parent


def child(launched: float) -> None:
    """Runs in the launched process: the studio's main(), with clocks around its parts."""
    first_line = time.time()
    from nnstudio.qt import app as app_module
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    marks = {"launched": launched, "first_line": first_line}
    app = app_module.create_app([])
    t = time.time()
    import nnstudio.qt.main_window as mw  # what main() imports next; cached for it

    marks["import_start"], marks["import_end"] = t, time.time()
    original_init = mw.MainWindow.__init__

    def timed_init(self, *args, **kwargs):
        marks["build_start"] = time.time()
        original_init(self, *args, **kwargs)
        marks["build_end"] = time.time()

    mw.MainWindow.__init__ = timed_init

    class FirstPaint(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
            # (an exception must not leave this override: PySide passes it into Qt half handled, and the process
            # crashed on its way out; some objects have a "window" that is not the method)
            window = getattr(obj, "window", None) if isinstance(obj, QWidget) else None
            if event.type() == QEvent.Type.Paint and "painted" not in marks and callable(window) \
                    and isinstance(window(), mw.MainWindow):
                marks["first_paint"] = time.time()
                QTimer.singleShot(0, self.done)  # after this round of painting has been flushed
            return False

        def done(self):
            if "painted" not in marks:
                marks["painted"] = time.time()
                marks["cpu"] = time.process_time()  # CPU seconds of this process so far: what an idle machine waits
                # from here to complete, how long the window could not answer: a timer's longest lateness
                self.ticks = [time.perf_counter()]
                self.ticker = QTimer()
                self.ticker.timeout.connect(lambda: self.ticks.append(time.perf_counter()))
                self.ticker.start(TICK_MS)
                self.complete()

        def complete(self):
            """Wait until no dock on screen holds a placeholder (panels made after the first paint are made), then
            let what was made meanwhile paint."""
            window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, mw.MainWindow))
            if any(p.objectName().endswith("Placeholder") and p.isVisible() and not p.visibleRegion().isEmpty()
                   for p in window.findChildren(QWidget)):
                QTimer.singleShot(5, self.complete)
                return
            QApplication.processEvents()
            marks["complete"] = time.time()
            self.ticker.stop()
            self.ticks.append(time.perf_counter())
            marks["stall"] = max(b - a for a, b in zip(self.ticks, self.ticks[1:])) - TICK_MS / 1000
            print("STARTUP " + json.dumps(marks), flush=True)
            QTimer.singleShot(0, QApplication.instance().quit)

    watcher = FirstPaint()
    app.installEventFilter(watcher)
    sys.exit(app_module.main([]))


def launch(source: Path | None, settings: Path) -> dict | None:
    env = {**os.environ, "XDG_CONFIG_HOME": str(settings), "NNSTUDIO_QUIT_AFTER_MS": "20000"}
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # warm means compiled: an installed studio keeps its bytecode
    if source is not None:
        env["PYTHONPATH"] = str(source)
    code = (f"import sys; sys.path.insert(0, {str(HERE)!r}); import startup; "
            f"startup.child({time.time()!r})")
    errors = tempfile.TemporaryFile("w+")  # (a pipe left unread could fill and stall the child)
    process = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=errors,
                               text=True, cwd=tempfile.gettempdir())
    guard = threading.Timer(120, process.kill)  # a launch that never reports is stopped
    guard.start()
    try:
        marks = None
        for line in process.stdout:
            if line.startswith("STARTUP "):
                marks = json.loads(line[len("STARTUP "):])
                break
        try:  # the figures are in; a process that then hangs on its way out is stopped (and counted)
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            EXITS["hung on exit"] += 1
        if process.returncode not in (0, None) and marks is not None:
            EXITS[f"exit {process.returncode}"] += 1
    finally:
        guard.cancel()
    if marks is None:  # counted, and said, but the other launches go on
        errors.seek(0)
        EXITS["no report"] += 1
        print(f"a launch did not report its first paint (exit {process.returncode}): {errors.read()[-800:]}",
              file=sys.stderr)
        return None
    errors.close()
    return {"to paint": marks["painted"] - marks["launched"],
            "to complete": marks["complete"] - marks["launched"],
            "interpreter": marks["first_line"] - marks["launched"],
            "imports": marks["import_end"] - marks["import_start"],
            "window": marks["build_end"] - marks["build_start"], "cpu to paint": marks["cpu"],
            "stall": marks["stall"]}


def importtime(source: Path | None) -> tuple[float, list[tuple[int, str]]]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if source is not None:
        env["PYTHONPATH"] = str(source)
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import nnstudio.qt.main_window"], env=env,
                          capture_output=True, text=True, timeout=120, cwd=tempfile.gettempdir())
    rows = []
    total = 0
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line[len("import time:"):].split("|")
        rows.append((int(own), name.strip()))
        if not name[1:].startswith(" "):  # a top-level import (nested ones are indented)
            total += int(cumulative)
    return total / 1e6, sorted(rows, reverse=True)[:12]


def launch_bundle(exe: Path, settings: Path) -> float:
    """Seconds from starting a bundle's executable (in a clean environment) to its window being mapped on screen
    (xdotool sees it); the bundle cannot be instrumented from inside, so this is mapped, not painted."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(settings), "XDG_CONFIG_HOME": str(settings),
           "DISPLAY": os.environ["DISPLAY"], "NNSTUDIO_QUIT_AFTER_MS": "1500"}
    if "XAUTHORITY" in os.environ:  # xvfb-run's X server admits only holders of its cookie
        env["XAUTHORITY"] = os.environ["XAUTHORITY"]
    start = time.time()
    process = subprocess.Popen([str(exe)], env=env, cwd=tempfile.gettempdir(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        while time.time() - start < 60:
            if process.poll() is not None:
                raise RuntimeError(f"{exe} exited ({process.returncode}) without a window: {process.stderr.read()}")
            # the title is "<lesson or session> — NN Studio"
            found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "NN Studio$"],
                                   capture_output=True, text=True)
            if found.stdout.strip():
                return time.time() - start
            time.sleep(0.01)
        raise RuntimeError(f"{exe}: no window within 60 s")
    finally:
        process.wait(timeout=60)


def measure_bundle(exe: Path, runs: int) -> None:
    if shutil.which("xdotool") is None:
        sys.exit("startup.py: --bundle needs xdotool (apt-get install xdotool)")
    with tempfile.TemporaryDirectory() as settings:
        launch_bundle(exe, Path(settings))
        values = sorted(launch_bundle(exe, Path(settings)) for _ in range(runs))
    print(f"\nbundle {exe}: {runs} launches (after one warm-up)")
    print(f"  to mapped    median {statistics.median(values):6.3f} s   (min {values[0]:.3f}, max {values[-1]:.3f})")


def measure(sources: list[tuple[str, Path | None]], runs: int) -> None:
    """Time each source's launches, taking turns (one launch of each, then the next round), so that other work on
    the machine weighs on all of them alike."""
    with tempfile.TemporaryDirectory() as folder:
        settings = [Path(folder) / str(i) for i in range(len(sources))]
        for (_label, source), place in zip(sources, settings):
            place.mkdir()
            launch(source, place)  # warm-up: bytecode compiled, files in the page cache
        results = [[] for _ in sources]
        for _ in range(runs):
            for (_label, source), place, out in zip(sources, settings, results):
                result = launch(source, place)
                if result is not None:
                    out.append(result)
    for (label, source), found in zip(sources, results):
        print(f"\n{label}: {len(found)} launches (after one warm-up)")
        for key in ("to paint", "cpu to paint", "to complete", "stall", "interpreter", "imports", "window"):
            values = sorted(r[key] for r in found)
            print(f"  {key:12} median {statistics.median(values):6.3f} s   (min {values[0]:.3f}, "
                  f"max {values[-1]:.3f})")
        imports = [importtime(source) for _ in range(3)]
        print(f"  python -X importtime -c 'import nnstudio.qt.main_window': median of 3 "
              f"{statistics.median(t for t, _ in imports):.3f} s; slowest modules (own time, ms):")
        for own, name in imports[-1][1]:
            print(f"    {own / 1000:7.1f}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed launches (default 7)")
    parser.add_argument("--compare", metavar="REV", help="also time the code of this git revision")
    parser.add_argument("--bundle", metavar="EXE", help="also time a bundle's executable (dist/nnstudio/nnstudio): "
                        "to its window mapped, with xdotool")
    args = parser.parse_args()
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        xvfb = shutil.which("xvfb-run")
        if xvfb is None:
            sys.exit("startup.py: needs a display (DISPLAY) or xvfb-run")
        os.execv(xvfb, [xvfb, "-a", "-s", "-screen 0 1600x1000x24", sys.executable, *sys.argv])
    load = os.getloadavg()[0]
    print(f"load average {load:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as folder:
        sources: list[tuple[str, Path | None]] = []
        if args.compare:
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.compare, "nnstudio", "resources"],
                                     capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
            sources.append((f"revision {args.compare}", Path(folder)))
        sources.append(("this checkout", None))
        measure(sources, args.runs)
    if EXITS:
        print(f"launches that ended badly (a launch without a report is left out of the figures): {dict(EXITS)}")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    if args.bundle:
        measure_bundle(Path(args.bundle).resolve(), args.runs)


if __name__ == "__main__":
    main()
