"""A stall probe: where the GUI thread was while the event loop stood still.

A QTimer heartbeat (every 10 ms) stamps the time; a watchdog thread looks every few milliseconds, and while the
heartbeat is late by more than ``threshold_ms`` it samples the GUI thread's stack (``sys._current_frames()``). When
the heartbeat comes back, the stall is recorded with its length and its samples: the frames seen most often are
where the time went.

    probe = StallProbe()          # on the GUI thread, with a QApplication
    ...                           # run the event loop
    probe.stop()
    print(probe.report())
"""

from __future__ import annotations

import gc
import sys
import threading
import time

TICK_MS = 10


class Stall:
    def __init__(self, start: float):
        self.start = start
        self.ms = 0.0
        self.samples: list[tuple[str, ...]] = []  # each: the stack, outermost first, as "file:line func"


class StallProbe:
    def __init__(self, threshold_ms: float = 100.0, sample_ms: float = 5.0, tick_ms: int = TICK_MS):
        from PySide6.QtCore import QTimer

        self.threshold = threshold_ms / 1000
        self.sample = sample_ms / 1000
        self.gui = threading.get_ident()
        self.stalls: list[Stall] = []
        self._current: Stall | None = None
        self._last = time.perf_counter()
        self._lock = threading.Lock()
        self._running = True
        self.t0 = time.perf_counter()
        self.marks: list[tuple[float, str]] = []
        self.timer = QTimer()
        self.timer.setTimerType(self.timer.timerType().PreciseTimer)
        self.timer.setInterval(tick_ms)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        self.collections: list[tuple[float, int, float]] = []  # (start, generation, ms) of garbage collections
        self._gc_start = 0.0
        gc.callbacks.append(self._gc)
        self._thread = threading.Thread(target=self._watch, name="stall-probe", daemon=True)
        self._thread.start()

    def _gc(self, phase: str, info: dict) -> None:
        """Python's cycle collector stops the thread that triggers it: long ones are stalls of their own."""
        if threading.get_ident() != self.gui:
            return
        if phase == "start":
            self._gc_start = time.perf_counter()
        elif (ms := (time.perf_counter() - self._gc_start) * 1000) > 10:
            self.collections.append((self._gc_start, info["generation"], ms))

    def _tick(self) -> None:
        now = time.perf_counter()
        with self._lock:
            if self._current is not None:
                self._current.ms = (now - self._current.start) * 1000
                self.stalls.append(self._current)
                self._current = None
            self._last = now

    def _watch(self) -> None:
        while self._running:
            time.sleep(self.sample)
            now = time.perf_counter()
            if now - self._last < self.threshold:
                continue
            stack = _stack_of(self.gui)
            if not stack:
                continue
            with self._lock:
                if now - self._last < self.threshold:
                    continue
                if self._current is None:
                    self._current = Stall(self._last)
                self._current.samples.append(stack)

    def mark(self, label: str) -> None:
        """Note a moment (an operation starts or ends); the report places stalls relative to the marks."""
        self.marks.append((time.perf_counter(), label))

    def _when(self, t: float) -> str:
        before = [(m, label) for m, label in self.marks if m <= t]
        if not before:
            return f"{(t - self.t0):.2f} s after the probe started"
        m, label = before[-1]
        return f"{(t - m):.2f} s after {label}"

    def stop(self) -> None:
        self._running = False
        self.timer.stop()
        if self._gc in gc.callbacks:
            gc.callbacks.remove(self._gc)
        self._thread.join(1.0)

    def report(self, worst: int = 8, share: float = 0.1) -> str:
        """The ``worst`` longest stalls, each as a tree of the frames sampled (only the studio's, pyqtgraph's and
        numpy's, plus the innermost), branches seen in at least ``share`` of its samples."""
        lines = []
        for stall in sorted(self.stalls, key=lambda s: -s.ms)[:worst]:
            lines.append(f"--- stall {stall.ms:.0f} ms ({len(stall.samples)} samples), {self._when(stall.start)}")
            end = stall.start + stall.ms / 1000
            for start, generation, ms in self.collections:
                if stall.start <= start <= end:
                    lines.append(f"  of which {ms:.0f} ms: garbage collection of generation {generation}")
            tree: dict = {}
            for stack in stall.samples:
                kept = [f for f in stack[:-1] if _ours(f)] + [stack[-1]]
                node = tree
                for frame in kept:
                    entry = node.setdefault(frame, [0, {}])
                    entry[0] += 1
                    node = entry[1]
            _print_tree(tree, max(1, int(share * len(stall.samples))), lines, "  ")
        return "\n".join(lines)


def _stack_of(thread_id: int) -> tuple[str, ...]:
    """The thread's stack, outermost first, as "file:line function". The frames are let go at once: a frame kept
    alive keeps its locals alive, and a QPainter that outlives its paint event crashes Qt."""
    frame = sys._current_frames().get(thread_id)
    names = []
    while frame is not None:
        code = frame.f_code
        names.append((code.co_filename, frame.f_lineno, code.co_name))
        frame = frame.f_back
    del frame
    return tuple(f"{_short(f)}:{line} {name}" for f, line, name in reversed(names))


def _ours(frame: str) -> bool:
    return frame.startswith(("nnstudio/", "pyqtgraph/", "numpy/")) and "errors.py" not in frame


def _print_tree(node: dict, least: int, lines: list[str], indent: str) -> None:
    for frame, (n, children) in sorted(node.items(), key=lambda kv: -kv[1][0]):
        if n < least:
            continue
        lines.append(f"{indent}{n:3d} {frame}")
        _print_tree(children, least, lines, indent + "  ")


def _short(path: str) -> str:
    for mark in ("/nnstudio/", "/pyqtgraph/", "/numpy/", "/bench/", "/tests/"):
        if mark in path:
            return mark[1:] + path.split(mark, 1)[1]
    return path.rsplit("/", 1)[-1]


class ProfileProbe:
    """The GUI thread under cProfile, one profile per gap between heartbeat ticks; the profiles of gaps longer than
    ``threshold_ms`` are kept (cProfile slows Python code down, so the stalls grow: read the shares, not the times)."""

    def __init__(self, threshold_ms: float = 100.0, tick_ms: int = TICK_MS):
        import cProfile

        from PySide6.QtCore import QTimer

        self._cprofile = cProfile
        self.threshold = threshold_ms / 1000
        self.kept: list[tuple[float, float, object]] = []  # (start, seconds, pstats.Stats)
        self.t0 = self._last = time.perf_counter()
        self.marks: list[tuple[float, str]] = []
        self._profile = cProfile.Profile()
        self._profile.enable()
        self.timer = QTimer()
        self.timer.setTimerType(self.timer.timerType().PreciseTimer)
        self.timer.setInterval(tick_ms)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def mark(self, label: str) -> None:
        self.marks.append((time.perf_counter(), label))

    def _tick(self) -> None:
        import pstats

        self._profile.disable()
        now = time.perf_counter()
        if now - self._last > self.threshold:
            self.kept.append((self._last, now - self._last, pstats.Stats(self._profile)))
        self._last = now
        self._profile = self._cprofile.Profile()
        self._profile.enable()

    def stop(self) -> None:
        self._profile.disable()
        self.timer.stop()

    def report(self, worst: int = 6, lines: int = 25) -> str:
        import io

        out = []
        for start, seconds, stats in sorted(self.kept, key=lambda k: -k[1])[:worst]:
            before = [(m, label) for m, label in self.marks if m <= start]
            when = f"{start - before[-1][0]:.2f} s after {before[-1][1]}" if before else f"{start - self.t0:.2f} s in"
            text = io.StringIO()
            stats.stream = text
            stats.sort_stats("cumulative").print_stats(lines)
            body = text.getvalue()
            out.append(f"=== gap {seconds * 1000:.0f} ms (profiled), {when}\n" + body[body.find("   ncalls"):])
        return "\n".join(out)
