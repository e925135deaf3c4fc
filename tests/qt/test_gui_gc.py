"""Reference cycles are collected on the GUI thread only while a training worker's thread runs (nnstudio.qt.gui_gc)."""

import gc
import os
import subprocess
import sys
import textwrap
import threading
import weakref

from nnstudio.qt import gui_gc
from nnstudio.qt.main_window import MainWindow
from nnstudio.qt.worker import WorkerThread


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


def test_a_worker_thread_without_a_window_holds_it_until_it_stops(qtbot):
    """The studio's controller and a panel tried alone run a worker thread with no MainWindow."""
    was = gc.isenabled()
    wt = WorkerThread()
    try:
        assert gui_gc.holding() and not gc.isenabled()
    finally:
        assert wt.shutdown()
    assert not gui_gc.holding() and gc.isenabled() == was
    assert wt.shutdown()  # again: nothing more let go
    assert not gui_gc.holding() and gc.isenabled() == was



def _generations(n: int, tick=None) -> list[int]:
    """Make ``n`` cyclic garbage objects; the generation of every collection made meanwhile. With ``tick``, it is
    called whenever Python itself would have started a collection (gen 0's count past its threshold)."""
    seen = []

    def note(phase, info):
        if phase == "start":
            seen.append(info["generation"])

    gc.collect()  # Python's bookkeeping from here: all that lives is long-lived, nothing pending
    gc.callbacks.append(note)
    try:
        for _ in range(n):
            _Cycle()
            if tick is not None and gc.get_count()[0] > gc.get_threshold()[0]:
                tick()
    finally:
        gc.callbacks.remove(note)
    return seen


def test_the_timer_makes_no_more_full_collections_than_python_would(qapp):
    was = gc.isenabled()
    collector = gui_gc._Collector(qapp)
    try:
        gc.enable()
        python = _generations(300_000)
        gc.disable()
        ours = _generations(300_000, collector.collect_due)
    finally:
        (gc.enable if was else gc.disable)()
        collector.deleteLater()
    summary = {who: [gens.count(g) for g in range(3)] for who, gens in (("python", python), ("timer", ours))}
    assert sum(summary["timer"]) == sum(summary["python"]), summary  # as many collections...
    assert summary["timer"][2] <= summary["python"][2], summary  # ...but full ones only when Python makes them



def test_a_window_can_be_opened_after_the_application_was_made_again(tmp_path):
    code = f"""
        import gc, tempfile
        import shiboken6
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, {str(tmp_path)!r})
        from nnstudio.qt import gui_gc
        from nnstudio.qt.main_window import MainWindow
        for _ in range(2):
            app = QApplication([])
            w = MainWindow(remember_layout=False)
            w.session.ask_unsaved = lambda: "discard"
            assert gui_gc.holding() and not gc.isenabled()
            w.close()
            assert not gui_gc.holding() and gc.isenabled()
            w.deleteLater()
            app.processEvents()
            shiboken6.delete(app)
            del app
        print("ok")
    """
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr[-1500:]


def test_without_an_application_nothing_is_held_and_nothing_is_owed(monkeypatch):
    class NoApp:
        @staticmethod
        def instance():
            return None

    monkeypatch.setattr(gui_gc, "QCoreApplication", NoApp)
    was = gc.isenabled()
    assert gui_gc.hold() is False
    assert not gui_gc.holding() and gc.isenabled() == was
