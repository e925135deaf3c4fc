"""Long work off the GUI thread (qt/background.py): a Task runs its work elsewhere, reports progress, can be
cancelled and ends once; the event loop keeps running meanwhile (a heartbeat timer keeps ticking); a TaskPanel
shows it, and clicks and keys meant for the window wait."""

import threading
import time

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMainWindow, QPushButton, QWidget

from nnstudio.progress import Cancelled
from nnstudio.qt.background import (CANCELLED, FAILED, FINISHED, Pause, TaskPanel, run_in_thread, run_steps,
                                    status_panel, wait_in)


def test_work_runs_on_another_thread_while_the_event_loop_keeps_running(qtbot, heartbeat):
    beat = heartbeat()

    def work(report):
        report(0.25)
        ticked = beat.reached.wait(20)  # only if the GUI thread runs its event loop meanwhile
        report(0.75)
        return threading.get_ident(), ticked

    task = run_in_thread(work)
    fractions = []
    task.progressed.connect(fractions.append)
    assert task.wait() == FINISHED
    ident, ticked = task.result
    assert ident != threading.get_ident() and ticked
    assert fractions[-1] == 1.0 and task.fraction == 1.0 and task.is_done
    assert fractions == sorted(fractions)


def test_cancel_stops_the_work_at_its_next_report(qtbot):
    started, cleaned = threading.Event(), []

    def work(report):
        started.set()
        try:
            while True:
                report(0.5)
                time.sleep(0.001)
        finally:
            cleaned.append(True)

    task = run_in_thread(work)
    assert started.wait(10)
    task.cancel()
    assert task.wait() == CANCELLED and cleaned and task.result is None and task.error is None


def test_an_error_ends_the_task_with_it(qtbot):
    task = run_in_thread(lambda report: 1 / 0)
    assert task.wait() == FAILED
    assert isinstance(task.error, ZeroDivisionError) and "ZeroDivisionError" in task.details


def test_steps_run_on_the_gui_thread_with_the_event_loop_between_them(qtbot, heartbeat):
    beat = heartbeat(enough=1)
    seen, threads = [], set()

    def steps():
        for i in range(20):
            threads.add(threading.get_ident())
            seen.append(beat.count)
            time.sleep(0.004)  # a step's work: longer than the heartbeat's interval
            yield i / 20
        yield Pause(0.01)
        helper = run_in_thread(lambda report: threading.get_ident())
        yield helper  # resumes once the helper is done
        assert helper.state == FINISHED and helper.result != threading.get_ident()
        return "done"

    task = run_steps(steps())
    assert task.wait() == FINISHED and task.result == "done"
    assert threads == {threading.get_ident()}
    # between any two steps the heartbeat, due by then, had its turn
    assert all(later > earlier for earlier, later in zip(seen, seen[1:]))


def test_cancelling_steps_closes_them_and_cancels_what_they_wait_for(qtbot):
    closed, helpers = [], []

    def forever(report):
        while True:
            report(0.5)
            time.sleep(0.001)

    def steps():
        try:
            yield 0.1
            helpers.append(run_in_thread(forever))
            yield helpers[0]
            yield 0.9  # never reached
        finally:
            closed.append(True)

    task = run_steps(steps())
    qtbot.waitUntil(lambda: bool(helpers), timeout=5000)
    task.cancel()
    assert task.wait() == CANCELLED and closed
    assert helpers[0].state == CANCELLED


def test_a_step_that_raises_fails_the_task_or_cancels_it(qtbot):
    def fails():
        yield 0.5
        raise OSError("disk full")

    def stops():
        yield 0.5
        raise Cancelled()

    task = run_steps(fails())
    assert task.wait() == FAILED and "disk full" in str(task.error)
    assert run_steps(stops()).wait() == CANCELLED


@pytest.fixture
def window(qtbot):
    w = QMainWindow()
    qtbot.addWidget(w)
    w.clicks = 0
    w.button = QPushButton("Press")
    w.button.clicked.connect(lambda: setattr(w, "clicks", w.clicks + 1))
    w.setCentralWidget(w.button)
    w.statusBar().showMessage("ready")
    w.show()
    return w


def test_the_window_keeps_clicks_and_keys_back_and_escape_cancels(window, qtbot):
    def work(report):
        while True:  # until cancelled
            report(0.5)
            time.sleep(0.001)

    task = run_in_thread(work)
    panel = status_panel(window)
    height = window.statusBar().height()
    tried = []

    def try_the_window():
        qtbot.mouseClick(window.button, Qt.MouseButton.LeftButton)  # dropped
        qtbot.keyClick(window.button, Qt.Key.Key_Space)  # dropped
        tried.append(panel.isVisible() and window.statusBar().height() == height)
        qtbot.keyClick(window.button, Qt.Key.Key_Escape)  # cancels

    QTimer.singleShot(20, try_the_window)
    assert wait_in(window, panel, task, "Working…") == CANCELLED
    assert tried == [True] and window.clicks == 0 and not panel.isVisible()
    # afterwards the window takes clicks again
    qtbot.mouseClick(window.button, Qt.MouseButton.LeftButton)
    assert window.clicks == 1


def test_the_panel_cancel_button_works_and_everything_is_named(window, qtbot):
    task = run_in_thread(lambda report: [report(0.5) or time.sleep(0.001) for _ in iter(int, 1)])
    panel = status_panel(window)
    assert status_panel(window) is panel  # one per window
    QTimer.singleShot(20, lambda: qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton))
    assert wait_in(window, panel, task, "Working…") == CANCELLED
    for name in ("taskBar", "taskCancelButton"):
        widget = panel.findChild(QWidget, name)
        assert widget is not None and widget.accessibleName() and widget.toolTip(), name
    assert isinstance(panel, TaskPanel) and panel.objectName() == "taskPanel"


def test_key_shortcuts_of_the_window_wait_too(window, qtbot):
    """A shortcut reaches its QAction, not a widget: Ctrl+S during a save started a second save, and Ctrl+N then
    marked the new, untitled session as the saved file (a later Ctrl+S overwrote it)."""
    from PySide6.QtGui import QAction, QKeySequence
    from PySide6.QtWidgets import QMenu

    fired = []
    save = QAction("Save", window)
    save.setShortcut(QKeySequence("Ctrl+S"))
    save.triggered.connect(lambda: fired.append("save"))
    window.addAction(save)
    menu = QMenu("Lessons", window)
    lesson = menu.addAction("A lesson")  # an action whose parent is a menu of the window
    lesson.setShortcut(QKeySequence("Ctrl+L"))
    lesson.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
    lesson.triggered.connect(lambda: fired.append("lesson"))
    window.addAction(lesson)

    def work(report):
        while True:
            report(0.5)
            time.sleep(0.001)

    task = run_in_thread(work)
    panel = status_panel(window)

    def try_the_keys():
        window.activateWindow()
        qtbot.keyClick(window.button, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClick(window.button, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClick(window.button, Qt.Key.Key_Escape)

    QTimer.singleShot(20, try_the_keys)
    assert wait_in(window, panel, task, "Saving…") == CANCELLED
    assert fired == []
    qtbot.keyClick(window.button, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # and afterwards they work
    assert fired == ["save"]
