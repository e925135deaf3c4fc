"""The studio's memory while a 784-128-10 network trains on MNIST with every panel on screen (issue 9: under 1 GB).

Opens the studio, loads MNIST, opens a 784-128-10 float32 experiment on it (the one ``gui_responsiveness.py
--data mnist`` runs), shows every panel at once, trains for --seconds, pauses and lets the background jobs finish
(the loss surface computed on pause, the gallery's and predictions' answers), takes a few single steps, then brings
each tabbed panel to the front in turn (--layout tabs) or hides and shows them (--layout all). At each stage it
prints:

  - peak RSS within the stage (/proc/self/status VmHWM, reset at each stage's start through /proc/self/clear_refs),
    the process's peak so far and the RSS at the stage's end (VmRSS); resetting VmHWM resets getrusage's ru_maxrss
    too, so the peak so far is the largest of the stages' peaks;
  - glibc's malloc figures (mallinfo2: bytes in use, bytes free but kept inside the arenas, bytes mmapped) and the
    number of malloc arenas (malloc_info), to tell memory held by objects from memory the allocator keeps;
  - with --census: the numpy arrays of 1 MB or more alive at the stage's end, by owner (who holds them: an object's
    attribute, a list, a frame), their shape and dtype, each buffer counted once;
  - with --tracemalloc: the traced peak within the stage and the lines that hold the most at the stage's end (slow:
    use it to find an allocation, not for the figures).

Usage (a virtual screen draws as a desktop would):
    xvfb-run -a -s "-screen 0 1600x1000x24" uv run python bench/studio_memory.py [--seconds 20] [--census]
        [--updates 12000] [--layout all|tabs] [--watch] [--tracemalloc] [--dynamic-mmap]

Figures (--updates 12000 --layout all, Xvfb, 2 cores shared with other work; peak RSS within each stage, MB;
before = c935921 with this bench and --dynamic-mmap, after = this branch):
                                        before   after
  studio open (first lesson)               153     152
  MNIST loaded                             210     208
  784-128-10 on MNIST open                 601     498
  training 12,000 updates                  794     541    (1,020 and 988 in two 20 s runs before, 14,000 updates)
  paused, loss surface and answers done    907     523
  3 single steps                           951     525
  panels hidden and shown                  879     502
  6,000 updates more, paused               916     562
  whole run                                951     562
  free memory kept inside malloc's arenas at the stages' ends: 150-290 MB before, 5-19 MB after.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from gui_responsiveness import mnist_experiment  # noqa: E402

MB = 2**20


# -- what the process holds ------------------------------------------------------------------------------------------
def status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0), so that the next reading is the peak since now."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                     "fsmblks", "uordblks", "fordblks", "keepcost")]


_libc = ctypes.CDLL("libc.so.6")
try:
    _libc.mallinfo2.restype = MallInfo2
except AttributeError:  # glibc < 2.33
    _libc = None


def malloc_figures() -> dict:
    """glibc's view of the heap: in use, free inside the arenas, mmapped; and how many arenas there are."""
    if _libc is None:
        return {}
    m = _libc.mallinfo2()
    arenas = -1
    with tempfile.NamedTemporaryFile("r", suffix=".xml") as f:
        libc = ctypes.CDLL("libc.so.6")
        libc.fopen.restype = ctypes.c_void_p
        libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
        libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
        libc.fclose.argtypes = [ctypes.c_void_p]
        stream = libc.fopen(f.name.encode(), b"w")
        if stream:
            libc.malloc_info(0, stream)
            libc.fclose(stream)
            arenas = f.read().count("<heap nr=")
    return {"in use": (m.uordblks + m.hblkhd) / MB, "free in arenas": m.fordblks / MB, "mmapped": m.hblkhd / MB,
            "arenas": arenas}


def census(min_bytes: int = MB) -> list[tuple[str, str, float]]:
    """(owner, what, MB) of the numpy buffers of at least ``min_bytes`` alive now, each buffer counted once (under
    the first owner found for it or one of its views)."""
    gc.collect()
    objects = gc.get_objects()
    holders: dict[int, list] = defaultdict(list)  # id(buffer's root array) -> [(holder, array)]
    roots: dict[int, np.ndarray] = {}
    for o in objects:
        try:
            referents = gc.get_referents(o)
        except Exception:  # noqa: BLE001 - a foreign object: skip it
            continue
        for r in referents:
            if isinstance(r, np.ndarray):
                root = r
                while isinstance(root.base, np.ndarray):
                    root = root.base
                if root.nbytes >= min_bytes:
                    roots[id(root)] = root
                    holders[id(root)].append((o, r))
    owners_of_dicts = {}
    wanted = {id(o) for hs in holders.values() for o, _ in hs if isinstance(o, dict)}
    for o in objects:
        try:
            d = o.__dict__ if not isinstance(o, type) and hasattr(type(o), "__dict__") else None
        except Exception:  # noqa: BLE001
            continue
        if isinstance(d, dict) and id(d) in wanted:
            owners_of_dicts[id(d)] = o
    rows = []
    for key, root in roots.items():
        names = []
        for holder, array in holders[key][:3]:
            names.append(_describe(holder, array, owners_of_dicts))
        what = f"{root.dtype} {'x'.join(map(str, root.shape))}"
        rows.append((" | ".join(sorted(set(names))), what, root.nbytes / MB))
    del objects
    return sorted(rows, key=lambda r: -r[2])


def _describe(holder, array, owners_of_dicts) -> str:
    if isinstance(holder, dict):
        key = next((k for k, v in holder.items() if v is array), "?")
        owner = owners_of_dicts.get(id(holder))
        return f"{type(owner).__name__}.{key}" if owner is not None else f"dict[{key!r}]"
    if isinstance(holder, (list, tuple)):
        return f"{type(holder).__name__}[{len(holder)}]"
    if type(holder).__name__ == "frame":
        return f"frame {holder.f_code.co_name}"
    for k in getattr(type(holder), "__slots__", ()) or ():
        if getattr(holder, k, None) is array:
            return f"{type(holder).__name__}.{k}"
    try:
        for k, v in vars(holder).items():
            if v is array:
                return f"{type(holder).__name__}.{k}"
    except TypeError:
        pass
    return type(holder).__name__


class PeakWatch:
    """A thread that reads the RSS every few milliseconds and, at each new high, notes what every thread was doing
    (its innermost frames in NN Studio's code): the stacks at a stage's peak say which work made it."""

    def __init__(self, interval: float = 0.003):
        import threading

        self.interval = interval
        self.high, self.stacks = 0.0, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="peak-watch", daemon=True)
        self._thread.start()

    def reset(self) -> tuple[float, list[str]]:
        high, stacks = self.high, self.stacks
        self.high, self.stacks = 0.0, []
        return high, stacks

    def _watch(self) -> None:
        import traceback

        me = __import__("threading").get_ident()
        names = {}
        while not self._stop.wait(self.interval):
            rss = status_mb("VmRSS")
            if rss < self.high + 2:
                continue
            self.high = rss
            stacks = []
            import threading

            names = {t.ident: t.name for t in threading.enumerate()}
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                frames = [f for f in traceback.extract_stack(frame) if "nnstudio" in f.filename
                          or "numpy" in f.filename]
                if frames:
                    where = " < ".join(f"{Path(f.filename).stem}.{f.name}:{f.lineno}" for f in frames[::-1][:6])
                    stacks.append(f"{names.get(ident, ident)}: {where}")
            self.stacks = stacks


# -- the stages -------------------------------------------------------------------------------------------------------
class Bench:
    def __init__(self, args):
        self.args = args
        self.rows = []
        self.start = time.perf_counter()
        self.watch = PeakWatch() if args.watch else None
        reset_peak()

    def stage(self, name: str) -> None:
        """End of a stage: print its figures, then reset the peak for the next one."""
        hwm, rss = status_mb("VmHWM"), status_mb("VmRSS")
        maxrss = max([hwm] + [r[1] for r in self.rows])
        m = malloc_figures()
        line = (f"{name:<34} peak {hwm:7,.0f}  end {rss:7,.0f}  so far {maxrss:7,.0f} MB | malloc: in use "
                f"{m.get('in use', 0):6,.0f}, free in arenas {m.get('free in arenas', 0):5,.0f}, mmapped "
                f"{m.get('mmapped', 0):5,.0f} MB, {m.get('arenas', -1)} arenas  ({time.perf_counter() - self.start:.0f} s)")
        print(line, flush=True)
        self.rows.append((name, hwm, rss, maxrss))
        if self.watch is not None:
            high, stacks = self.watch.reset()
            print(f"    at the stage's highest RSS seen ({high:,.0f} MB):")
            for line in stacks:
                print(f"      {line}")
        if self.args.tracemalloc:
            import tracemalloc

            current, peak = tracemalloc.get_traced_memory()
            print(f"    traced: now {current / MB:,.0f} MB, peak in stage {peak / MB:,.0f} MB")
            for stat in tracemalloc.take_snapshot().statistics("lineno")[:12]:
                if stat.size >= MB:
                    print(f"      {stat.size / MB:7.1f} MB  {stat.traceback}")
            tracemalloc.reset_peak()
        if self.args.census:
            rows = census()
            print(f"    numpy buffers of 1 MB or more: {sum(r[2] for r in rows):,.0f} MB in {len(rows)}")
            for owner, what, mb in rows[:25]:
                print(f"      {mb:7.1f} MB  {what:<22} {owner}")
        reset_peak()


def wait(ms: int) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def background_busy(window) -> list[str]:
    """The panels whose background work has not been handed over yet."""
    from nnstudio.qt.panels.offthread import LatestJob

    busy = []
    if window.surface.is_computing():
        busy.append("LossSurface")
    for job in window.findChildren(LatestJob):
        if job.busy():
            busy.append(type(job.parent()).__name__)
    return busy


def settle(window, limit_s: float) -> float:
    """Run the event loop until no panel computes in the background (or ``limit_s`` passes); the seconds taken."""
    start = time.perf_counter()
    wait(300)
    while background_busy(window) and time.perf_counter() - start < limit_s:
        wait(200)
    wait(300)
    return time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=20.0, help="how long training runs")
    p.add_argument("--updates", type=int, default=0,
                   help="train this many updates instead of --seconds (then half as many again), whatever the speed")
    p.add_argument("--layout", choices=("all", "tabs"), default="all",
                   help="all: every panel on screen at once (tabbed ones float); tabs: the usual layout")
    p.add_argument("--settle", type=float, default=120.0, help="longest wait for the background jobs, s")
    p.add_argument("--dynamic-mmap", action="store_true",
                   help="leave glibc's mmap threshold to move (the studio fixes it: nnstudio.malloc)")
    p.add_argument("--census", action="store_true", help="list the numpy arrays alive at each stage's end")
    p.add_argument("--watch", action="store_true",
                   help="note what each thread was doing at each stage's highest RSS (a thread polls it)")
    p.add_argument("--tracemalloc", action="store_true", help="trace Python's and numpy's allocations (slow)")
    args = p.parse_args()
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start(8)
    from nnstudio.malloc import give_back_big_blocks
    from nnstudio.training.threads import use_blas_threads

    if not args.dynamic_mmap:
        give_back_big_blocks()  # as the studio's main() does
    use_blas_threads(1)
    bench = Bench(args)
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication, QDockWidget

    app = QApplication.instance() or QApplication([])
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp(prefix="nnstudio-mem-"))
    from nnstudio import data
    from nnstudio.qt.main_window import MainWindow

    w = MainWindow(remember_layout=False)
    w.session.ask_unsaved = lambda: "discard"
    w.resize(1600, 1000)
    w.show()
    tabbed = [w.curves_dock, w.weights_dock, w.activation_dock, w.predictions_dock, w.surface_dock, w.gallery_dock,
              w.drawing_dock]
    if args.layout == "all":  # every panel on screen at once: the tabbed ones float beside the window
        for i, dock in enumerate(tabbed[1:]):
            dock.setFloating(True)
            dock.setGeometry(20 + 530 * (i % 3), 300 + 350 * (i // 3), 520, 340)
        for dock in w.findChildren(QDockWidget):
            dock.show()
    wait(500)
    bench.stage("studio open (first lesson)")

    ds = data.load("mnist")
    bench.stage("MNIST loaded")

    w.controller.open_experiment(mnist_experiment(10**6), dataset=ds)
    del ds
    settle(w, args.settle)
    bench.stage("784-128-10 on MNIST open")

    w.run_action.trigger()
    start = time.perf_counter()
    if args.updates:  # a machine shared with others trains at any speed: the same work each time
        while w.worker.latest().step < args.updates and time.perf_counter() - start < 600:
            wait(250)
    else:
        wait(int(args.seconds * 1000))
    snap = w.worker.latest()
    bench.stage(f"training {time.perf_counter() - start:.0f} s ({snap.step:,} updates)")

    w.run_action.trigger()
    took = settle(w, args.settle)
    left = background_busy(w)
    bench.stage(f"paused, jobs done ({took:.0f} s{', still: ' + ', '.join(left) if left else ''})")

    for _ in range(3):
        w.step_action.trigger()
        wait(400)
    settle(w, args.settle)
    bench.stage("3 single steps")

    if args.layout == "tabs":
        for dock in tabbed:
            dock.raise_()
            settle(w, args.settle)
    else:
        for dock in tabbed[1:]:
            dock.hide()
        wait(500)
        for dock in tabbed[1:]:
            dock.show()
        settle(w, args.settle)
    bench.stage("panels switched / hidden and shown")

    w.run_action.trigger()
    start, first = time.perf_counter(), w.worker.latest().step
    if args.updates:
        while w.worker.latest().step < first + args.updates // 2 and time.perf_counter() - start < 300:
            wait(250)
    else:
        wait(int(args.seconds * 1000 / 2))
    w.run_action.trigger()
    settle(w, args.settle)
    bench.stage(f"{w.worker.latest().step - first:,} updates more, paused")

    w.close()
    app.processEvents()
    peak = max(r[1] for r in bench.rows)
    worst = max(bench.rows, key=lambda r: r[1])[0]
    print(f"peak RSS over the run: {peak:,.0f} MB (in stage: {worst})")
    from nnstudio.training import child_run

    child = child_run.last_stats.get("child")
    if child:  # the runs trained in a child process: what it held of its own counts too
        own = (child.get("Private_Dirty", 0) + child.get("Private_Clean", 0)) / MB
        print(f"the last run's training child: peak RSS {child.get('VmHWM', 0) / MB:,.0f} MB, mostly pages shared "
              f"with the studio; its own at its end {own:,.0f} MB; studio peak + child's own {peak + own:,.0f} MB")


if __name__ == "__main__":
    main()
