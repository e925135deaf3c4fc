"""Panels made when first wanted: a dock whose tab is not on show when the studio opens gets a placeholder, and its
panel (its module imported, its plots made) when the tab is first shown or the window first asks for it. The window
opens sooner by what those panels cost (bench/startup.py), and a learner who never opens a tab never pays for it.

The panels on show at the start are pyqtgraph plots too (the Curves tab), and pyqtgraph alone takes 0.2-0.3 s to
import (most of it its Qt shim making every PySide6 class): until the window's first paint every dock holds its
placeholder ("held"), and right after it (``release``, on the event loop's next turn) the docks on show get their
panels, which the window's next pull of the snapshot then draws. The window is on screen, with the network drawn and
the lesson open, that much sooner (bench/startup.py, quiet machine: launch to first paint 1.01 -> 0.67 s; to the
whole first screen, Curves drawn, 1.07 s before and after: the work is the same, it moved past the paint).

The import runs on the GUI thread in slices of at most SLICE seconds, the event loop turning between them, so that
the painted window answers meanwhile: first every PySide6 class pyqtgraph's Qt shim touches is made (shiboken makes
a class's Python type the first time it is looked up: 0.17 s in all, in steps of a fraction of a millisecond), then
pyqtgraph itself (0.25 s in one piece, its Qt classes already made). It used to run on a thread of its own, which
crashed the studio now and then (SIGSEGV: 1 in 11 and 1 in 15 runs of packaging/make_screenshots.py; the trace:
the GUI thread's garbage collector walking objects while the other thread was inside shiboken making a class, which
lets go of the interpreter lock half-way)."""

from __future__ import annotations

import importlib
import time
from typing import Callable

import shiboken6

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDockWidget, QWidget

from nnstudio.qt import errors

SLICE = 0.012  # seconds of preloading at most between two turns of the event loop (see PanelsLater.release)
# PySide6 modules whose every class pyqtgraph's Qt shim looks up when imported (it copies every name): made on the
# GUI thread a few at a time before pyqtgraph is imported. (It also imports QtOpenGL, QtOpenGLWidgets, QtSvg and QtTest,
# looking up only a few of their names: imported as they are, in one step each.)
QT_MODULES = ("PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets")
QT_IMPORTED = ("PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets", "PySide6.QtSvg", "PySide6.QtTest")
PRELOAD = ("pyqtgraph", "numpy.ma")  # numpy imports numpy.ma the first time np.unique or np.percentile runs: a tenth
#   of a second (more without compiled bytecode) a view's first drawing would spend


def _preload_steps():
    """The preload in small steps (a generator: each ``next`` does one): every class of QT_MODULES looked up (made,
    the first time), then QT_IMPORTED and PRELOAD imported. A module that cannot be imported is left out: the panel
    that needs it reports that when it is made."""
    for name in QT_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        yield
        for attr in dir(module):
            try:
                getattr(module, attr)
            except Exception:  # noqa: BLE001 - only a warm-up
                pass
            yield
    for name in QT_IMPORTED + PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - imported again where it is needed, and reported there
            continue
        yield


class PanelsLater:
    """The window's panels not made yet: ``waiting`` maps the window's attribute name to (module, class, dock)."""

    def __init__(self, window):
        from nnstudio.qt.app import after_first_paint

        self.window = window
        self.waiting: dict[str, tuple[str, str, QDockWidget]] = {}
        self._calls: dict[str, dict[str, Callable]] = {}
        self.held = True  # until the window is first painted (release): a dock shown before then waits
        self._on_release: list[Callable] | None = []  # None once they were called
        self._preloading = None  # the preload's steps (_preload_steps) while it goes on; False once done
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
        """After the window's first paint: pyqtgraph is imported in slices on the GUI thread, the window answering
        between them (``_preload_steps``), then the panels of the docks on show are made, then ``after_release``
        calls."""
        if not self.held or self._preloading is not None:
            return
        self._preloading = _preload_steps()
        self._poll()

    def _poll(self) -> None:
        if self._gone():
            return
        steps = self._preloading
        if steps:
            end = time.perf_counter() + SLICE
            try:
                for _ in steps:
                    if time.perf_counter() > end:
                        # (bound to the window: a window deleted meanwhile drops the call, and with it the last hold
                        # on it)
                        QTimer.singleShot(0, self.window, self._poll)
                        return
            except Exception:  # noqa: BLE001 - only a warm-up: the panels are made (and report) all the same
                pass
            self._preloading = False  # done (not None: release() is not to start it again)
        self._make_shown()

    def finish(self) -> None:
        """The window is closing: what is left of the preload is dropped."""
        if self._preloading:
            self._preloading.close()
            self._preloading = False

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
