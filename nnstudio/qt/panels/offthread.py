"""A view's numbers computed off the GUI thread, newest request first.

``LatestJob.start(work)`` runs ``work()`` (plain numpy on arrays nobody changes: a snapshot, a dataset) on the job's
own thread; its result reaches ``on_done(result)`` on the GUI thread, unless a newer ``start`` came meanwhile (the
older result is dropped: only the newest is ever drawn). A view draws what arrives; ``wait()`` lets a headless export
have it at once. An error in ``work`` reaches ``on_failed(message)`` (the view says so and stays usable).
"""

from __future__ import annotations

import traceback
from typing import Callable

from PySide6.QtCore import QCoreApplication, QObject, QThread, QThreadPool, Signal


class LatestJob(QObject):
    _finished = Signal(int, object)  # token, result (queued to the GUI thread)
    _failed = Signal(int, str)

    def __init__(self, on_done: Callable[[object], None], on_failed: Callable[[str], None] | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self._on_done, self._on_failed = on_done, on_failed
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._pool.setThreadPriority(QThread.Priority.LowPriority)  # training and the GUI come first
        self._token = 0  # of the newest request
        self._delivered = 0  # no result of a request up to this token is handed over (any more)
        self._finished.connect(self._deliver)
        self._failed.connect(self._deliver_failure)
        app = QCoreApplication.instance()
        if app is not None:  # quitting mid-computation: let the thread end first
            app.aboutToQuit.connect(self.wait)

    def start(self, work: Callable[[], object]) -> int:
        """Compute ``work()`` on the job's thread; returns the request's token."""
        self._token += 1
        token = self._token
        self._pool.start(lambda: self._run(token, work))
        return token

    def busy(self) -> bool:
        """Whether the newest request's result has not been handed over yet."""
        return self._delivered < self._token

    def drop(self) -> None:
        """Forget every request made so far: results still under way are not handed over."""
        self._delivered = self._token

    def wait(self, msecs: int = -1) -> bool:
        """Block until the thread is idle, then hand over the newest result now (True), or give up after
        ``msecs`` (False)."""
        if not self._pool.waitForDone(msecs):
            return False
        QCoreApplication.sendPostedEvents(self, 0)  # the queued result, here and now
        return True

    def _run(self, token: int, work) -> None:
        if token != self._token:
            return  # superseded before it began
        try:
            result = work()
        except Exception as e:  # noqa: BLE001 - reported in the view, the GUI stays usable
            traceback.print_exc()
            self._emit(self._failed, token, f"{type(e).__name__}: {e}")
            return
        self._emit(self._finished, token, result)

    @staticmethod
    def _emit(signal, *args) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # "Signal source has been deleted": its view was closed meanwhile
            pass

    def _deliver(self, token: int, result) -> None:
        if token != self._token or token <= self._delivered:
            return  # a newer request is under way (only its result is drawn), or this one was dropped
        self._delivered = token
        self._on_done(result)

    def _deliver_failure(self, token: int, message: str) -> None:
        if token != self._token or token <= self._delivered:
            return
        self._delivered = token
        if self._on_failed is not None:
            self._on_failed(message)
