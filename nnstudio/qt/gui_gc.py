"""Python's cycle collector, run on the GUI thread only while a training worker's thread runs.

Python starts a collection of reference cycles in whichever thread happens to allocate when its counters pass their
thresholds. In the studio that is most often the training worker's thread (every update and every snapshot
allocates), or a background job's. A cycle that holds the Python wrapper of a Qt object made on the GUI thread (a
closed dialog, a replaced panel, a lambda connected to a signal) is then destroyed there: its widget is deleted by a
thread Qt does not allow to touch it, while the GUI thread may be painting it. That crashes, rarely and with no Python
frame to show (seen about once in a few hundred test runs, in the event loop). pyqtgraph's own GarbageCollector
answers the same trouble the same way.

So while a training worker's thread runs (``qt.worker.WorkerThread`` holds it: ``hold``), automatic collection is
off, and a timer on the GUI thread collects instead: each tick, the generations whose counts passed Python's own
thresholds, as Python would. The worker's garbage waits a tick at most (measured in the studio: at most 2,838 new
tracked objects a tick, collected in 1.4-3.1 ms). ``let_go`` (the last worker thread stopped) collects once more here
and puts automatic collection back as it was. A forked training child turns it back on for itself
(training.child_run).
"""

from __future__ import annotations

import gc

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QTimer

TICK_MS = 200


class _Collector(QObject):
    def __init__(self, parent: QObject):
        super().__init__(parent)
        self.holders = 0
        self.was_enabled = True
        self.long_lived = len(gc.get_objects(2))  # the oldest generation after its last full collection here
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.collect_due)

    def collect_due(self) -> None:
        """Collect the generations whose counts passed their thresholds (gen 1 includes gen 0, gen 2 all); gen 2,
        as Python does, only once it has grown by a quarter since its last full collection (else every full
        collection, a stall that grows with the heap, would come at a fixed rate)."""
        counts, limits = gc.get_count(), gc.get_threshold()
        if limits[0] <= 0 or counts[0] <= limits[0]:
            return
        generation = 0
        if counts[1] > limits[1]:
            generation = 1
            if counts[2] > limits[2] and len(gc.get_objects(2)) - self.long_lived >= self.long_lived // 4:
                generation = 2
        gc.collect(generation)
        if generation == 2:
            self.long_lived = len(gc.get_objects(2))


_collector: _Collector | None = None


def hold() -> bool:
    """(GUI thread, a worker thread starting) Collect cycles on this thread's timer only, from now until the last
    ``let_go``. Whether it holds (not without a QApplication, which the timer needs): only then is ``let_go`` owed."""
    global _collector
    app = QCoreApplication.instance()
    if app is None:
        return False
    if _collector is None or not shiboken6.isValid(_collector):  # (none yet, or it went with an earlier application)
        old, _collector = _collector, _Collector(app)
        if old is not None and old.holders and old.was_enabled:  # that application's windows went without let_go
            gc.enable()
    c = _collector
    if c.holders == 0:
        c.was_enabled = gc.isenabled()
        gc.disable()
        c.timer.start()
    c.holders += 1
    return True


def let_go() -> None:
    """(GUI thread, a worker thread stopped) The last holder gone: what is left is collected here, then automatic
    collection is as it was before the first."""
    c = _collector
    if c is None or not shiboken6.isValid(c) or c.holders == 0:
        return
    c.holders -= 1
    if c.holders == 0:
        c.timer.stop()
        gc.collect()  # (other threads of a closed window, a surface job's say, may still be finishing)
        if c.was_enabled:
            gc.enable()


def holding() -> bool:
    return _collector is not None and shiboken6.isValid(_collector) and _collector.holders > 0
