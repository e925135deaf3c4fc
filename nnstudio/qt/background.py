"""Long work with a progress bar and a Cancel button, the window live all the while.

A :class:`Task` is one long operation. The work runs elsewhere (a thread of its own, the training thread, or short
steps on the event loop), calls ``report(fraction)`` between chunks, and ends one of three ways: finished (with a
result), failed (with the exception) or cancelled. ``report`` raises :class:`~nnstudio.progress.Cancelled` once
``cancel()`` was called, so the work stops at its next chunk and undoes nothing it has not done (work that changes
anything keeps it aside until the end: a temporary file, a new object handed over only on success).

- ``run_in_thread(work)``: ``work(report)`` on a new thread; only pure computing and file work belongs there, never
  widgets.
- ``run_steps(steps)``: a generator on the GUI thread, one short step per turn of the event loop (widgets can only
  be drawn there); it may ``yield`` a fraction done, or another Task to wait for it.
- ``Task.run(work)``: for a thread that already exists (the training worker saves this way).

Everything a Task reports (``progressed``, ``done``) arrives on the GUI thread. ``Task.wait()`` runs the event loop
until the task is done, so a caller that needs the outcome (the "save first?" question) reads it in line while the
window keeps drawing. :class:`TaskPanel` shows a task to the learner, and :func:`wait_in` holds the window's input
back meanwhile (as a modal dialog would, without taking the focus from it).
"""

from __future__ import annotations

import sys

import threading
import traceback
from typing import Callable, Iterator

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QShortcut
from PySide6.QtWidgets import (QDialog, QDockWidget, QHBoxLayout, QLabel, QProgressBar, QPushButton, QSizePolicy,
                               QWidget)

from nnstudio.progress import Cancelled
from nnstudio.qt.widgets import setup

RUNNING, FINISHED, FAILED, CANCELLED = "running", "finished", "failed", "cancelled"
STEPS = 1000  # progress is reported in thousandths: finer changes are not sent to the GUI thread
NEXT_MS = 1  # the next step comes after this: with 0, Qt's other timers fire only after every second step
STATUS_MARGINS = 5  # a status bar's height beyond that of its tallest permanent widget (Qt's QStatusBar)
REDRAW_MS = 100  # a TaskPanel shows the latest fraction at most this often (each change repaints it)


class Task(QObject):
    """One long operation: progress, cancel, and one outcome, reported on the GUI thread (create it there).

    Without a parent, a Task belongs to the application until it is done (then it deletes itself on the GUI
    thread; its outcome stays readable): the working thread may hold the last Python reference to it, and a Qt
    object must not be deleted on another thread."""

    progressed = Signal(float)  # fraction done, 0..1
    done = Signal()  # finished, failed or cancelled: see ``state``

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent if parent is not None else QCoreApplication.instance())
        self._own = parent is None
        self.state = RUNNING
        self.result = None
        self.error: BaseException | None = None
        self.details = ""  # the traceback of an unexpected error
        self.fraction = 0.0
        self._shown = -1
        self._cancel = threading.Event()
        self._ended = threading.Event()  # the work has returned (set in the working thread)
        self._delivered = False  # ``done`` has reached the GUI thread
        self._loops: list[QEventLoop] = []
        self._on_cancel: list[Callable[[], None]] = []  # also told when cancel() is called (any thread)
        self._on_done_calls: list[Callable[[], None]] = []  # see when_done
        self.done.connect(self._on_done)

    # -- any thread ----------------------------------------------------------------------------------------------------
    def cancel(self) -> None:
        """Ask the work to stop at its next report (it may still finish if it was about to)."""
        self._cancel.set()
        for hook in list(self._on_cancel):
            hook()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def report(self, fraction: float) -> None:
        """Called by the work between chunks: raises Cancelled once the task was cancelled."""
        if self._cancel.is_set():
            raise Cancelled()
        fraction = min(max(float(fraction), 0.0), 1.0)
        shown = int(fraction * STEPS)
        if shown != self._shown:
            self._shown = shown
            self.fraction = fraction
            self._emit(self.progressed, fraction)

    def run(self, work: Callable[[Callable[[float], None]], object] | list) -> None:
        """Do ``work(report)`` here and now (in the calling thread), and record how it ended.

        ``work`` (or ``[work]``, which is emptied) is let go before the end is reported, and an error's traceback
        with it: what it holds (a panel whose table it reads) is then let go by the GUI thread, never here."""
        holder = work if isinstance(work, list) else [work]
        del work
        try:
            self.report(0.0)
            result = holder.pop()(self.report)
        except Cancelled:
            self._end(CANCELLED)
        except Exception as e:  # noqa: BLE001 - handed to whoever waits for the task
            details = traceback.format_exc()
            self._end(FAILED, error=e.with_traceback(None), details=details)
        else:  # done, even if a cancel came too late to stop it
            self._shown = -1
            self.fraction = 1.0
            self._emit(self.progressed, 1.0)
            self._end(FINISHED, result=result)

    def _end(self, state: str, result=None, error: BaseException | None = None, details: str = "") -> None:
        self.result, self.error, self.details = result, error, details
        self.state = state
        self._ended.set()
        self._emit(self.done)

    def _emit(self, signal, *args) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # "Signal source has been deleted": nobody waits any more; stop soon
            self._cancel.set()

    # -- the GUI thread ------------------------------------------------------------------------------------------------
    @property
    def is_done(self) -> bool:
        """Whether ``done`` has been delivered here (the outcome fields are final)."""
        return self._delivered

    def _on_done(self) -> None:
        if self._delivered:
            return
        self._delivered = True
        for loop in self._loops:
            loop.quit()
        calls, self._on_done_calls = self._on_done_calls, []
        for call in calls:  # each apart: one that raises must not keep the others (a resume, say) from running
            try:
                call()
            except Exception:  # noqa: BLE001 - reported, never swallowed
                sys.excepthook(*sys.exc_info())
        if self._own:
            self.deleteLater()

    def when_done(self, call: Callable[[], None]) -> None:
        """Call ``call()`` on the GUI thread once the task is done (at once if it is). Use this rather than
        connecting a lambda to ``done``: PySide6 runs a lambda connected to a signal from another thread in that
        thread."""
        if self._delivered:
            call()
        else:
            self._on_done_calls.append(call)

    def wait(self) -> str:
        """Run the event loop until the task is done (the window keeps drawing; input goes where modality lets it).
        Returns the final state."""
        while not self._delivered:
            loop = QEventLoop()
            self._loops.append(loop)
            try:
                if not self._delivered:
                    loop.exec()
            finally:
                self._loops.remove(loop)
        return self.state

    def join(self, timeout: float | None = None) -> bool:
        """Block (without the event loop) until the work has returned; True if it has."""
        return self._ended.wait(timeout)


def run_in_thread(work: Callable[[Callable[[float], None]], object], parent: QObject | None = None,
                  name: str = "background") -> Task:
    """Start ``work(report)`` on a new thread; its result, error or cancellation ends the returned Task. Quitting
    the application cancels it and waits a moment for it to stop."""
    task = Task(parent)
    thread = threading.Thread(target=task.run, args=([work],), name=name, daemon=True)  # see Task.run
    del work
    app = QCoreApplication.instance()
    if app is not None:
        def stop() -> None:
            task.cancel()
            thread.join(5.0)

        app.aboutToQuit.connect(stop)
        task.when_done(lambda: app.aboutToQuit.disconnect(stop))
    thread.start()
    return task


class _Steps(QObject):
    """Drives a generator of GUI steps for a Task: one ``next()`` per turn of the event loop."""

    def __init__(self, task: Task, steps: Iterator):
        super().__init__(task)
        self.task, self.steps = task, steps
        self.waiting: Task | None = None
        task._on_cancel.append(self._cancel_waiting)
        QTimer.singleShot(NEXT_MS, self._next)

    def _cancel_waiting(self) -> None:
        waiting = self.waiting
        if waiting is not None:
            waiting.cancel()

    def _next(self) -> None:
        task = self.task
        if task.cancel_requested:
            if self.waiting is not None and not self.waiting.is_done:
                return  # cancelled too; its done signal brings us back here
            self.steps.close()
            task._end(CANCELLED)
            return
        try:
            item = next(self.steps)
        except StopIteration as stop:
            task.fraction = 1.0
            task._emit(task.progressed, 1.0)
            task._end(FINISHED, result=stop.value)
            return
        except Cancelled:
            task._end(CANCELLED)
            return
        except Exception as e:  # noqa: BLE001 - handed to whoever waits for the task
            task._end(FAILED, error=e, details=traceback.format_exc())
            return
        if isinstance(item, Task):
            self.waiting = item
            item.when_done(lambda: QTimer.singleShot(NEXT_MS, self._next))
            return
        self.waiting = None
        if isinstance(item, Pause):
            QTimer.singleShot(max(int(item.seconds * 1000), 0), self._next)
            return
        if isinstance(item, (int, float)):
            try:
                task.report(item)
            except Cancelled:
                pass  # seen at the next step
        QTimer.singleShot(NEXT_MS, self._next)


class Pause:
    """Yielded by a step generator: go on after ``seconds`` (e.g. to look again whether something has finished)
    rather than at the next turn of the event loop."""

    def __init__(self, seconds: float):
        self.seconds = seconds


def run_steps(steps: Iterator, parent: QObject | None = None) -> Task:
    """Run a generator on the GUI thread, one step per turn of the event loop, as a Task. It may yield a fraction
    done, a Pause, or a Task to wait for (it resumes when that one is done and reads its outcome). Cancelling
    closes the generator at its current ``yield`` (its ``finally`` blocks clean up) and cancels a task it waits
    for."""
    task = Task(parent)
    _Steps(task, steps)
    return task


class TaskPanel(QWidget):
    """A task's progress as a row inside a window (what is happening, a bar, Cancel), hidden when no task runs.

    Not a dialog: a dialog takes the keyboard focus and the activation from the window, and when they come back
    the window redraws in full (the network drawing of a big network takes a tenth of a second). ``name`` prefixes
    the object names (``<name>Panel``, ``<name>Label``, ``<name>Bar``, ``<name>CancelButton``)."""

    def __init__(self, name: str = "task", parent: QWidget | None = None, with_cancel: bool = True):
        super().__init__(parent)
        self.task: Task | None = None
        self.setObjectName(f"{name}Panel")
        self.label = QLabel()
        self.label.setObjectName(f"{name}Label")
        self.bar = setup(QProgressBar(), f"{name}Bar", "Progress", "How much of the work is done")
        self.bar.setRange(0, STEPS)
        self.bar.setFormat("%p%")
        self.bar.setMaximumWidth(160)
        self.cancel_button = setup(QPushButton("Cancel"), f"{name}CancelButton", "Cancel",
                                   "Stop (Escape); everything stays as it was before")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addStretch(1)
        row.addWidget(self.label)
        row.addWidget(self.bar)
        row.addWidget(self.cancel_button)
        self.cancel_button.setVisible(with_cancel)  # without: the window's own Cancel calls cancel()
        self._timer = QTimer(self, interval=REDRAW_MS, timeout=self._show_progress)
        self.hide()

    def follow(self, task: Task, text: str) -> None:
        """Show ``task`` until it is done."""
        self.task = task
        self.label.setText(text)
        self.cancel_button.setEnabled(True)
        self.bar.setValue(0)
        self.show()
        self._timer.start()
        task.when_done(lambda: self._on_done(task))

    def cancel(self) -> None:
        if self.task is not None and not self.task.is_done:
            self.task.cancel()
            self.cancel_button.setEnabled(False)
            self.label.setText("Stopping…")

    def _show_progress(self) -> None:
        if self.task is not None:
            self.bar.setValue(int(self.task.fraction * STEPS))

    def _on_done(self, task: Task) -> None:
        if task is self.task:
            self._timer.stop()
            self._show_progress()
            self.task = None
            self.hide()


_BLOCKED = {QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick,
            QEvent.Type.Wheel, QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.ShortcutOverride,
            QEvent.Type.Shortcut, QEvent.Type.ContextMenu, QEvent.Type.DragEnter, QEvent.Type.DragMove,
            QEvent.Type.Drop, QEvent.Type.Close, QEvent.Type.TabletPress, QEvent.Type.TouchBegin}


class InputBlock(QObject):
    """While it lasts, clicks, keys and close requests meant for ``window`` (its docks included, dialogs not) are
    dropped, except those for ``allowed`` (the task's Cancel button); Escape calls ``on_escape``. What a modal
    dialog does, without taking the focus from the window."""

    def __init__(self, window: QWidget, allowed: QWidget, on_escape: Callable[[], None]):
        super().__init__()
        self.window, self.allowed, self.on_escape = window, allowed, on_escape
        QCoreApplication.instance().installEventFilter(self)

    def release(self) -> None:
        QCoreApplication.instance().removeEventFilter(self)

    def _inside(self, widget: QWidget) -> bool:
        top = widget.window()
        return top is self.window or (isinstance(top, QDockWidget) and top.parentWidget() is self.window)

    def _owns_shortcut(self, obj) -> bool:
        """Whether ``obj`` is an action or shortcut of the window (its menus and docks included, dialogs not)."""
        if not isinstance(obj, (QAction, QShortcut)):
            return False
        p = obj.parent()
        for _ in range(20):
            if p is None or isinstance(p, QDialog):
                return False
            if p is self.window:
                return True
            p = p.parent()
        return False

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind not in _BLOCKED:
            return False
        if kind == QEvent.Type.Shortcut:
            # a key shortcut reaches its QAction (not a widget): Ctrl+S, Space, Ctrl+N... would act mid-task
            return self._owns_shortcut(obj)
        if not isinstance(obj, QWidget) or not self._inside(obj):
            return False
        if obj is self.allowed or self.allowed.isAncestorOf(obj):
            return False
        if kind == QEvent.Type.ShortcutOverride:
            event.accept()  # the key goes to the widget as a plain key press (dropped below), not to a shortcut
        elif kind == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Escape:
            self.on_escape()
        elif kind == QEvent.Type.Close:
            event.ignore()
        return True


def wait_in(window: QWidget, panel: TaskPanel, task: Task, text: str) -> str:
    """Show ``task`` on ``panel`` and run the event loop until it is done, with ``window``'s input held back (its
    drawing goes on; Escape or the panel's button cancels). Returns the task's final state."""
    panel.follow(task, text)
    block = InputBlock(window, panel, panel.cancel)
    try:
        return task.wait()
    finally:
        block.release()


def status_panel(window) -> TaskPanel:
    """The TaskPanel at the left of ``window``'s status bar (made on first use). It is no taller than a line of
    text, so that showing it leaves the status bar's height alone: a window whose docks all move by a few pixels
    redraws them all."""
    panel = window.findChild(TaskPanel, "taskPanel")
    if panel is None:
        bar = window.statusBar()
        panel = TaskPanel("task", bar)
        height = bar.sizeHint().height() - STATUS_MARGINS
        for widget in (panel, panel.bar, panel.cancel_button):
            widget.setMaximumHeight(height)
        panel.cancel_button.setStyleSheet("padding: 0px 10px;")
        bar.insertPermanentWidget(0, panel)
        panel.hide()
    return panel
