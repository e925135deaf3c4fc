"""Panels made when first wanted: a dock whose tab is not on show when the studio opens gets a placeholder, and its
panel (its module imported, its plots made) when the tab is first shown or the window first asks for it. The window
opens sooner by what those panels cost (bench/startup.py), and a learner who never opens a tab never pays for it."""

from __future__ import annotations

import importlib
from typing import Callable

from PySide6.QtWidgets import QDockWidget, QWidget


class PanelsLater:
    """The window's panels not made yet: ``waiting`` maps the window's attribute name to (module, class, dock)."""

    def __init__(self, window):
        self.window = window
        self.waiting: dict[str, tuple[str, str, QDockWidget]] = {}
        self._calls: dict[str, dict[str, Callable]] = {}

    def dock(self, attr: str, module: str, cls: str, title: str, name: str, area) -> QDockWidget:
        """A dock for the panel ``module.cls``, holding a placeholder until the panel is made."""
        placeholder = QWidget()
        placeholder.setObjectName(f"{attr}Placeholder")
        dock = self.window._dock(placeholder, title, name, area)
        self.waiting[attr] = (module, cls, dock)
        dock.visibilityChanged.connect(lambda shown, a=attr: self.make(a) if shown else None)
        return dock

    def make(self, attr: str):
        """The panel ``attr`` of the window, made now if it was not yet."""
        if attr not in self.waiting:
            return getattr(self.window, attr)
        module, cls, dock = self.waiting.pop(attr)
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
