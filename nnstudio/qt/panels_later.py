"""Panels made when first wanted: a dock whose tab is not on show when the studio opens gets a placeholder, and its
panel (its module imported, its plots made) when the tab is first shown or the window first asks for it. The window
opens sooner by what those panels cost (bench/startup.py), and a learner who never opens a tab never pays for it.

The panels on show at the start are pyqtgraph plots too (the Curves tab), and pyqtgraph alone takes 0.2-0.3 s to
import (most of it its Qt shim making every PySide6 class): until the window's first paint every dock holds its
placeholder ("held"), and right after it (``release``, on the event loop's next turn) the docks on show get their
panels, which the window's next pull of the snapshot then draws. The window is on screen, with the network drawn and
the lesson open, that much sooner (bench/startup.py, quiet machine: launch to first paint 1.01 -> 0.67 s; to the
whole first screen, Curves drawn, 1.07 s before and after: the work is the same, it moved past the paint). The import
itself runs on a thread of its own (PRELOAD) so that the painted window answers meanwhile: the longest it could not
answer between its first paint and the whole first screen went from 0.39 to 0.18 s (9 launches each, taking turns,
load 0.9), the whole first screen coming 0.1 s later (1.27 -> 1.37 s), the two sharing the interpreter."""

from __future__ import annotations

import importlib
import threading
from typing import Callable

import shiboken6

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDockWidget, QWidget

from nnstudio.qt import errors

POLL_MS = 10  # how often the GUI thread looks whether the preload is done
# Imported on a thread of their own after the first paint. The import is Python work that holds the interpreter lock,
# but Python hands the lock over every few milliseconds (sys.getswitchinterval), so the window answers clicks and
# keys meanwhile instead of freezing for 0.2-0.4 s. Modules only: nothing here makes a Qt object, which belongs to the
# GUI thread (pyqtgraph makes none when imported).
PRELOAD = ("pyqtgraph", "numpy.ma")  # numpy imports numpy.ma the first time np.unique or np.percentile runs: a tenth
#   of a second (more without compiled bytecode) a view's first drawing would spend


def _preload() -> None:
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the GUI thread imports it again and reports what goes wrong there
            return


class PanelsLater:
    """The window's panels not made yet: ``waiting`` maps the window's attribute name to (module, class, dock)."""

    def __init__(self, window):
        from nnstudio.qt.app import after_first_paint

        self.window = window
        self.waiting: dict[str, tuple[str, str, QDockWidget]] = {}
        self._calls: dict[str, dict[str, Callable]] = {}
        self.held = True  # until the window is first painted (release): a dock shown before then waits
        self._on_release: list[Callable] | None = []  # None once they were called
        self._preloading: threading.Thread | None = None
        after_first_paint(window, self.release)

    def dock(self, attr: str, module: str, cls: str, title: str, name: str, area) -> QDockWidget:
        """A dock for the panel ``module.cls``, holding a placeholder until the panel is made."""
        placeholder = QWidget()
        placeholder.setObjectName(f"{attr}Placeholder")
        dock = self.window._dock(placeholder, title, name, area)
        self.waiting[attr] = (module, cls, dock)
        dock.visibilityChanged.connect(lambda shown, a=attr: self.make(a) if shown and not self.held else None)
        return dock

    def make(self, attr: str):
        """The panel ``attr`` of the window, made now if it was not yet."""
        if attr not in self.waiting:
            return getattr(self.window, attr)
        module, cls, dock = self.waiting.pop(attr)
        errors.guard_paints()  # before any plot item can paint (see errors.guarded)
        panel = getattr(importlib.import_module(module), cls)(self.window.context)
        setattr(self.window, attr, panel)
        placeholder = dock.widget()
        dock.setWidget(panel)
        placeholder.deleteLater()
        self.window.panels.append(panel)
        self.window.snapshot_views.append(panel)
        for call in self._calls.pop(attr, {}).values():
            call(panel)
        return panel

    def when_made(self, attr: str, key: str, call: Callable) -> None:
        """``call(panel)`` now if the panel is made, else once it is (the last call given for ``key`` only)."""
        if attr in self.waiting:
            self._calls.setdefault(attr, {})[key] = call
        else:
            call(getattr(self.window, attr))

    def make_all(self) -> None:
        for attr in list(self.waiting):
            self.make(attr)

    def release(self) -> None:
        """After the window's first paint: pyqtgraph is imported on a thread of its own while the window goes on
        answering (``PRELOAD``), then the panels of the docks on show are made, then ``after_release`` calls."""
        if not self.held or self._preloading is not None:
            return
        # not a daemon: Python's exit waits for it (at most the import's 0.2-0.4 s). A daemon thread still importing
        # when the studio quits at once is stopped inside Qt's C++ code, and the process aborted ("terminate called
        # without an active exception")
        self._preloading = threading.Thread(target=_preload, name="preload-plots")
        self._preloading.start()
        self._poll()

    def _poll(self) -> None:
        if self._gone():
            return
        if self._preloading.is_alive():
            # (bound to the window: a window deleted meanwhile drops the call, and with it the last hold on it)
            QTimer.singleShot(POLL_MS, self.window, self._poll)
            return
        self._make_shown()

    def finish(self) -> None:
        """Wait for the preload (the window is closing): Qt and the application must not be torn down while a thread
        is inside pyqtgraph's import (quitting 0.3 s after start crashed now and then)."""
        if self._preloading is not None:
            self._preloading.join(timeout=30)

    def _gone(self) -> bool:
        """Whether the window was closed (shut down) or deleted before its start was over: nothing more is made."""
        return not shiboken6.isValid(self.window) or getattr(self.window, "_shut_down", False)

    def _make_shown(self) -> None:
        self.held = False
        errors.guard_paints()
        for attr, (_module, _cls, dock) in list(self.waiting.items()):
            if dock.isVisible() and not dock.visibleRegion().isEmpty():  # (a dock under another tab is "visible")
                self.make(attr)
        QTimer.singleShot(0, self.window, self._released)  # the panels just made are shown and painted first

    def _released(self) -> None:
        if self._gone():
            return
        calls, self._on_release = self._on_release, None
        for call in calls:
            call()

    @property
    def started(self) -> bool:
        """Whether the window's start is over: the panels on show made after the first paint, and the calls that
        wait for them made."""
        return self._on_release is None

    def after_release(self, call: Callable) -> None:
        """``call()`` on the event loop's turn after the panels on show at the start are made (now, if that was)."""
        if self._on_release is not None:
            self._on_release.append(call)
        else:
            call()
