"""What the monkey (tests/qt/monkey.py) counts as a failure, watched from inside the studio's process:

- an uncaught exception: sys.excepthook (PySide6 sends exceptions raised in slots and in Qt virtual overrides such as
  paint() there), threading.excepthook and sys.unraisablehook;
- a Qt warning (or worse) that is not on the platform allow-list: qInstallMessageHandler, with the Python stack that
  made the Qt call (the handler runs synchronously inside it);
- an event-loop stall: a heartbeat QTimer measures the gaps between its ticks; a watchdog thread samples the GUI
  thread's Python stack while a gap is growing, so a stall says where the GUI thread was; a gap past HANG_S is a hang
  (the process reports and exits, with every thread's stack);
- a RuntimeWarning raised in our code (the suite's own policy, pyproject.toml's filterwarnings), recorded with its
  stack without interrupting the code (the studio itself does not turn warnings into errors);
- an error box: checked by the monkey itself (see Monkey.handle_boxes).

A segfault or abort cannot be watched from inside: the monkey runs in a subprocess with faulthandler enabled, and the
parent reads the traceback from its stderr.
"""

from __future__ import annotations

import faulthandler
import json
import os
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable

STALL_S = 2.0  # a gap in the event loop longer than this fails the run
HANG_S = float(os.environ.get("MONKEY_HANG_S", 30))  # a gap this long is a hang: report every stack and exit
HEARTBEAT_MS = 50
NOTED_GAP_S = 0.5  # gaps longer than this are listed (with where the GUI thread was), not failed

# Qt messages that come from the platform, not from our code (pyproject.toml's qt_log_ignore lists the same ones).
QT_ALLOWED = (
    # the offscreen platform plugin cannot resize native windows to their size hints; real platforms can
    "This plugin does not support propagateSizeHints()",
    # nor raise a window above others: QToolTip.showText raises its tooltip window (hovering a weight or an edge)
    "This plugin does not support raise()",
)


def _stack_of(thread_id: int, limit: int = 25) -> list[str]:
    frame = sys._current_frames().get(thread_id)
    if frame is None:
        return []
    return [line.rstrip() for line in traceback.format_stack(frame)[-limit:]]


class Watch:
    """Records failures; ``action`` is the index of the monkey action under way (set by the monkey)."""

    def __init__(self, on_hang: Callable[[dict], None] | None = None, stall_s: float = STALL_S,
                 hang_s: float = HANG_S, log=None):
        self.stall_s, self.hang_s = stall_s, hang_s
        self.on_hang = on_hang
        self.log = log  # a text file: each failure as a JSON line
        self.failures: list[dict] = []
        self.gaps: list[dict] = []  # gaps > NOTED_GAP_S: seconds, action, where the GUI thread was
        self.worst_gap = 0.0
        self.worst_gap_action = -1
        self.action = -1
        self.qt_ignored = 0
        self.other_warnings: dict[str, int] = {}
        self._main = threading.get_ident()
        self._beat = time.perf_counter()
        self._samples: list[str] = []  # the GUI thread's stack, sampled while the current gap grows
        self._latest: list[str] = []
        self._sampled_at = 0.0
        self._stop = threading.Event()
        self._timer = None
        self._armed_at = 0.0

    # -- failures ----------------------------------------------------------------------------------------------------
    def fail(self, kind: str, message: str, details: str = "") -> None:
        failure = {"kind": kind, "message": message[:2000], "details": details[-8000:], "action": self.action,
                   "time": round(time.perf_counter(), 3)}
        self.failures.append(failure)
        if self.log is not None:  # on disk at once: a crash later must not lose it
            self.log.write(json.dumps(failure) + "\n")
            self.log.flush()

    def exception(self, exc_type, exc, tb, where: str = "") -> None:
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        print(text, file=sys.stderr, flush=True)
        self.fail("exception", f"{exc_type.__name__}: {exc}{where}", text)

    def _thread_exception(self, args) -> None:
        name = args.thread.name if args.thread is not None else "?"
        self.exception(args.exc_type, args.exc_value, args.exc_traceback, f" (in thread {name})")

    def _unraisable(self, u) -> None:
        text = "".join(traceback.format_exception(u.exc_type, u.exc_value, u.exc_traceback))
        self.fail("exception", f"unraisable {u.exc_type.__name__}: {u.exc_value} ({u.err_msg} {u.object!r})"[:500],
                  text)

    def _python_warning(self, message, category, filename, lineno, file=None, line=None) -> None:
        """A RuntimeWarning raised in our code fails (the test suite's policy: pyproject.toml's filterwarnings);
        any other warning is counted. The warning does not interrupt the code, as in the real studio."""
        text = f"{category.__name__}: {message} ({filename}:{lineno})"
        if issubclass(category, RuntimeWarning) and f"{os.sep}nnstudio{os.sep}" in str(filename):
            self.fail("py-warning", text, "".join(traceback.format_stack()[:-2][-25:]))
        else:
            self.other_warnings[text[:300]] = self.other_warnings.get(text[:300], 0) + 1

    def _qt_message(self, mode, context, message: str) -> None:
        from PySide6.QtCore import QtMsgType

        if mode not in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
            return
        if any(allowed in message for allowed in QT_ALLOWED):
            self.qt_ignored += 1
            return
        where = f"{context.file}:{context.line} {context.function}" if context.file else ""
        stack = "".join(traceback.format_stack()[:-1][-25:])
        thread = "" if threading.get_ident() == self._main else f" (thread {threading.current_thread().name})"
        print(f"Qt {mode.name}: {message}", file=sys.stderr, flush=True)
        self.fail("qt-warning", f"{mode.name}: {message}{thread}", f"{where}\n{stack}")

    # -- the event loop's pulse ----------------------------------------------------------------------------------------
    def install(self) -> None:
        """Catch exceptions and Qt messages (from the start: the window's construction counts too)."""
        from PySide6.QtCore import qInstallMessageHandler

        sys.excepthook = self.exception
        threading.excepthook = self._thread_exception
        sys.unraisablehook = self._unraisable
        warnings.simplefilter("default")  # each warning once per place
        warnings.showwarning = self._python_warning
        qInstallMessageHandler(self._qt_message)

    def start_heartbeat(self, parent) -> None:
        """Measure the event loop's gaps from now on (once the window is up and its event loop turns)."""
        from PySide6.QtCore import Qt, QTimer

        self._timer = QTimer(parent)
        self._timer.setObjectName("monkeyHeartbeat")
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._timer.start(HEARTBEAT_MS)
        self._beat = time.perf_counter()
        threading.Thread(target=self._watchdog, name="monkey-watchdog", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        faulthandler.cancel_dump_traceback_later()
        if self._timer is not None:
            self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        gap = now - self._beat
        self._beat = now
        if now - self._armed_at > 1.0:  # backstop if the GUI thread hangs holding the interpreter lock
            faulthandler.dump_traceback_later(self.hang_s + 15, exit=True)
            self._armed_at = now
        samples = self._samples + (["... later:"] + self._latest if self._latest != self._samples else [])
        self._samples, self._latest = [], []
        if gap > self.worst_gap:
            self.worst_gap, self.worst_gap_action = gap, self.action
        if gap > NOTED_GAP_S:
            self.gaps.append({"seconds": round(gap, 3), "action": self.action, "where": samples})
        if gap > self.stall_s:
            self.fail("stall", f"the event loop stalled for {gap:.1f} s",
                      "GUI thread while stalled:\n" + "\n".join(samples))

    def _watchdog(self) -> None:
        while not self._stop.wait(0.05):
            gap = time.perf_counter() - self._beat
            if gap > NOTED_GAP_S * 0.8 and time.perf_counter() - self._sampled_at > 0.25:
                stack = _stack_of(self._main)  # the first and the latest sample: where the GUI thread was stuck
                if not self._samples:
                    self._samples = stack
                self._latest = stack
                self._sampled_at = time.perf_counter()
            if gap > self.hang_s:
                stacks = {t.name: _stack_of(t.ident) for t in threading.enumerate() if t.ident is not None}
                self.fail("hang", f"the event loop has not run for {gap:.0f} s",
                          "\n\n".join(f"Thread {name}:\n" + "\n".join(s) for name, s in stacks.items()))
                if self.on_hang is not None:
                    self.on_hang({"failures": self.failures})
                return

