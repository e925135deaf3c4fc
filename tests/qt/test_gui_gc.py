"""Reference cycles are collected on the GUI thread only while a studio window is open (nnstudio.qt.gui_gc)."""

import gc
import threading
import weakref

from nnstudio.qt import gui_gc
from nnstudio.qt.main_window import MainWindow


class _Cycle:
    def __init__(self):
        self.me = self


def _make_cycles(n: int, kept: list) -> None:
    """Cyclic garbage, as a worker thread makes it; a weak reference to the last cycle goes in ``kept``."""
    for _ in range(n):
        c = _Cycle()
    kept.append(weakref.ref(c))


def test_a_worker_threads_garbage_is_collected_on_the_gui_thread(qtbot):
    threads_collecting = []

    def note(phase, info):
        if phase == "start":
            threads_collecting.append(threading.current_thread() is threading.main_thread())

    w = MainWindow()
    qtbot.addWidget(w)
    w.session.ask_unsaved = lambda: "discard"
    assert gui_gc.holding() and not gc.isenabled()
    gc.callbacks.append(note)
    try:
        kept = []
        worker = threading.Thread(target=_make_cycles, args=(50_000, kept))
        worker.start()
        worker.join()
        assert kept[0]() is not None  # nothing collected it in the worker thread
        qtbot.waitUntil(lambda: kept[0]() is None, timeout=5000)  # the GUI thread's timer did
    finally:
        gc.callbacks.remove(note)
    assert threads_collecting and all(threads_collecting)
    w.close()
    assert not gui_gc.holding() and gc.isenabled()  # as it was before the window


def test_two_windows_hold_it_until_the_last_one_closes(qtbot):
    assert gc.isenabled() and not gui_gc.holding()
    windows = []
    for _ in range(2):
        w = MainWindow()
        qtbot.addWidget(w)
        w.session.ask_unsaved = lambda: "discard"
        windows.append(w)
    windows[0].close()
    assert gui_gc.holding() and not gc.isenabled()
    windows[0].close()  # closing again changes nothing
    assert gui_gc.holding()
    windows[1].close()
    assert not gui_gc.holding() and gc.isenabled()


def test_automatic_collection_left_off_stays_off(qtbot):
    gc.disable()
    try:
        w = MainWindow()
        qtbot.addWidget(w)
        w.session.ask_unsaved = lambda: "discard"
        w.close()
        assert not gui_gc.holding() and not gc.isenabled()
    finally:
        gc.enable()
