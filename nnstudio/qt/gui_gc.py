"""Python's cycle collector, run on the GUI thread only while a studio window is open.

Python starts a collection of reference cycles in whichever thread happens to allocate when its counters pass their
thresholds. In the studio that is most often the training worker's thread (every update and every snapshot
allocates), or a background job's. A cycle that holds the Python wrapper of a Qt object made on the GUI thread (a
closed dialog, a replaced panel, a lambda connected to a signal) is then destroyed there: its widget is deleted by a
thread Qt does not allow to touch it, while the GUI thread may be painting it. That crashes, rarely and with no Python
frame to show (seen about once in a few hundred test runs, in the event loop). pyqtgraph's own GarbageCollector
answers the same trouble the same way.

So while a window holds it (``hold``), automatic collection is off, and a timer on the GUI thread collects instead:
each tick, the generations whose counts passed Python's own thresholds, as Python would. The worker's garbage waits
a tick at most. ``let_go`` (the last window closed) puts automatic collection back as it was. A forked training child
turns it back on for itself (training.child_run).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

TICK_MS = 200


class _Collector(QObject):
    def __init__(self, parent: QObject):
        super().__init__(parent)
        self.holders = 0
        self.was_enabled = True
        self.collections = 0  # (for tests) collections made by the timer
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.collect_due)

    def collect_due(self) -> None:
        """Collect the generations whose counts passed their thresholds (gen 1 includes gen 0, gen 2 all)."""
        counts, limits = gc.get_count(), gc.get_threshold()
        if limits[0] <= 0 or counts[0] <= limits[0]:
            return
        generation = 0
        if counts[1] > limits[1]:
            generation = 1
            if counts[2] > limits[2]:
                generation = 2
        gc.collect(generation)
        self.collections += 1


_collector: _Collector | None = None


def hold() -> None:
    """(GUI thread, a window opening) Collect cycles on this thread's timer only, from now until the last
    ``let_go``."""
    global _collector
    app = QCoreApplication.instance()
    if app is None:
        return
    if _collector is None or _collector.parent() is not app:
        _collector = _Collector(app)
    c = _collector
    if c.holders == 0:
        c.was_enabled = gc.isenabled()
        gc.disable()
        c.timer.start()
    c.holders += 1


def let_go() -> None:
    """(GUI thread, a window closed) The last holder gone: automatic collection as it was before the first."""
    c = _collector
    if c is None or c.holders == 0:
        return
    c.holders -= 1
    if c.holders == 0:
        c.timer.stop()
        if c.was_enabled:
            gc.enable()


def holding() -> bool:
    return _collector is not None and _collector.holders > 0
