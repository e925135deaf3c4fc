"""What a lesson page does to the studio: each action of ``nnstudio/lessons`` carried out through the window's own
controls and public methods (the controller, the worker, the panels), as the learner would. An action that cannot
be done right now (a control not on screen, a panel this studio does not have) is explained in a plain sentence and
the others still run; the page's highlights and locks are undone when the learner leaves it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (QAbstractButton, QAbstractSpinBox, QCheckBox, QComboBox, QDockWidget, QWidget)

from nnstudio.lessons.questions import StudioState
from nnstudio.lessons.vocabulary import Action, WeightRef
from nnstudio.training import presets

CANCELLED = "The page was not set up: your session is kept as it was."
# panel name (lessons/vocabulary.PANELS) -> the window's dock attribute
DOCKS = {"curves": "curves_dock", "weights": "weights_dock", "activation": "activation_dock",
         "predictions": "predictions_dock", "surface": "surface_dock", "gallery": "gallery_dock",
         "draw": "drawing_dock", "try": "try_dock", "data": "data_dock", "network": "builder_dock",
         "training": "settings_dock", "inspector": "inspector_dock"}
PANEL_TITLES = {"inspector": "backprop inspector"}
INPUT_EVENTS = {QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick,
                QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.Wheel, QEvent.Type.ShortcutOverride}


class Overlay(QWidget):
    """A frame drawn over a control: orange for 'look here'; grey, and swallowing the mouse, for 'locked'."""

    def __init__(self, target: QWidget, locked: bool):
        super().__init__(target)
        self.locked = locked
        self.setObjectName("lessonLockOverlay" if locked else "lessonHighlightOverlay")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, not locked)
        if locked:
            self.setToolTip("Locked while this lesson page is on show")
        self.setGeometry(target.rect())
        target.installEventFilter(self)
        self.raise_()
        self.show()

    def eventFilter(self, obj, event):  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Resize and obj is self.parent():
            self.setGeometry(obj.rect())
        return False

    def paintEvent(self, _event):  # noqa: N802 - Qt override
        p = QPainter(self)
        if self.locked:
            p.fillRect(self.rect(), QColor(128, 128, 128, 70))
        else:
            p.setPen(QPen(QColor(230, 126, 0), 3))
            p.drawRect(self.rect().adjusted(1, 1, -2, -2))

    def _swallow(self, event) -> None:
        """A locked control's clicks and wheel end here: ignored, they would reach it, the overlay's parent."""
        if self.locked:
            event.accept()

    mousePressEvent = mouseReleaseEvent = mouseDoubleClickEvent = wheelEvent = _swallow  # noqa: N815 - Qt overrides


class KeyLock(QObject):
    """Swallows keyboard and mouse input on the locked widgets (the overlay covers the mouse; keys arrive by focus)."""

    def eventFilter(self, obj, event):  # noqa: N802 - Qt override
        return event.type() in INPUT_EVENTS


class LessonDriver:
    def __init__(self, window):
        self.window = window
        self._overlays: list[Overlay] = []
        self._locked: list[QWidget] = []
        self._key_lock = KeyLock()

    # -- reading the studio --------------------------------------------------------------------------------------------
    def state(self) -> StudioState:
        w = self.window
        return StudioState(w.worker.latest(), w.controller.experiment, w.context.selection)

    def control(self, name: str) -> QWidget | None:
        widget = self.window.findChild(QWidget, name)
        if widget is None:  # on a panel not made yet (panels under tabs are made when first shown): make them
            self.window.later.make_all()
            widget = self.window.findChild(QWidget, name)
        return widget

    def dock(self, panel: str) -> QDockWidget | None:
        dock = getattr(self.window, DOCKS.get(panel, ""), None)
        if not isinstance(dock, QDockWidget):
            dock = self.window.findChild(QDockWidget, f"{panel}Dock")
        return dock

    # -- doing ---------------------------------------------------------------------------------------------------------
    def apply(self, action: Action) -> str | None:
        """Carry out one action; returns a sentence for the learner when it could not be done as written (CANCELLED
        when the learner chose to keep their session: the page's later actions are then skipped)."""
        return getattr(self, f"_{action.kind}")(*action.args)

    def clear(self) -> None:
        """Undo the page's highlights and locks."""
        for overlay in self._overlays:
            if overlay.parent() is not None:
                overlay.parent().removeEventFilter(overlay)
            overlay.hide()
            overlay.deleteLater()
        self._overlays.clear()
        for widget in self._locked:
            try:
                for w in (widget, *widget.findChildren(QWidget)):
                    w.removeEventFilter(self._key_lock)
            except RuntimeError:  # the widget was deleted meanwhile (a hidden layer removed)
                pass
        self._locked.clear()

    @property
    def highlighted(self) -> list[str]:
        return [o.parent().objectName() for o in self._overlays if not o.locked]

    @property
    def locked(self) -> list[str]:
        return [o.parent().objectName() for o in self._overlays if o.locked]

    def _preset(self, name: str) -> str | None:
        w, c = self.window, self.window.controller
        fresh = presets.get(name)
        snap = w.worker.latest()
        if c.experiment == fresh and c.path is None and snap is not None and snap.step == 0:
            return None  # already open and untouched
        # training progress on the lesson's own preset is not the learner's work; anything else is asked about
        if not (c.experiment == fresh and c.path is None) and not w.session.may_discard():
            return CANCELLED
        if not c.open_experiment(fresh):
            return CANCELLED
        w.show_lesson_views(name)
        return None

    def _locate(self, ref: WeightRef) -> tuple[int, int]:
        snap = self.window.worker.latest()
        if snap is None:
            raise ValueError("the network is not built yet")
        return ref.locate(snap.parameter_names, [x.shape for x in snap.weights])

    def _select_weight(self, ref: WeightRef) -> str | None:
        try:
            self.window.context.select_weight(self._locate(ref))
        except ValueError as e:
            return f"The weight {ref} could not be selected: {e}."
        return None

    def _open_panel(self, panel: str, axes: str | None = None, *weights: WeightRef) -> str | None:
        dock = self.dock(panel)
        if dock is None:
            title = PANEL_TITLES.get(panel, f"{panel} panel")
            return (f"The {title} is not in this version of NN Studio yet, so it cannot open here; "
                    "the rest of the page works without it.")
        dock.show()
        dock.raise_()
        if axes is None:
            return None
        if panel == "curves":
            self.window.later.when_made("curves", "scale", lambda curves: curves.set_scale(axes))
            return None
        return self._surface_axes(axes, weights)

    def _surface_axes(self, axes: str, weights) -> str | None:
        from nnstudio.qt.panels.surface_job import CHOSEN, PCA, RANDOM

        surface, snap = self.window.surface, self.window.worker.latest()
        if snap is not None:
            surface.set_snapshot(snap)  # fills the weight lists for the network on show now
        surface.mode_combo.setCurrentText({"weights": CHOSEN, "cut": CHOSEN, "random": RANDOM, "pca": PCA}[axes])
        surface.cut_check.setChecked(axes == "cut")
        for ref, combo in zip(weights, (surface.x_combo, surface.y_combo)):
            try:
                flat = self._flat(ref)
            except ValueError as e:
                return f"The loss surface cannot use {ref}: {e}."
            index = combo.findData(flat)
            if index < 0:
                return f"The loss surface does not list {ref}."
            combo.setCurrentIndex(index)
        return None

    def _flat(self, ref: WeightRef) -> int:
        i, flat = self._locate(ref)
        return sum(x.size for x in self.window.worker.latest().weights[:i]) + flat

    def _set(self, name: str, value) -> str | None:
        widget = self.control(name)
        if widget is None:
            return f"The control {name} is not on screen now, so it was not set."
        if isinstance(widget, QCheckBox):
            widget.setChecked(bool(value))
        elif isinstance(widget, QComboBox):
            index = widget.findData(value)
            if index < 0:
                return f"{name} has no choice {value!r} here."
            widget.setCurrentIndex(index)
        elif isinstance(widget, QAbstractSpinBox):
            if not widget.minimum() <= value <= widget.maximum():
                return f"{name} cannot be {value} here."
            widget.setValue(value)
        else:
            return f"{name} has no value to set."
        return None

    def _run(self, updates: int) -> str | None:
        w = self.window
        if w.worker.running:
            return "Training is already running: pause it, then press the page's Set up button."
        w.worker.run(updates)
        w.controller.set_dirty(True)
        return None

    def _compare(self, setting: str, values: list, updates: int) -> str | None:
        """Train one run per value from the same start and keep them (the curves and the surface overlay them)."""
        from nnstudio.qt.timeline_bar import compare

        w = self.window
        if w.worker.running:
            return "Training is running: pause it, then press the page's Set up button."
        if not compare(w, setting, values, updates):
            return "The comparison did not finish."
        return None

    def _highlight(self, *names: str) -> str | None:
        return self._overlay(names, locked=False)

    def _lock(self, *names: str) -> str | None:
        return self._overlay(names, locked=True)

    def _overlay(self, names, locked: bool) -> str | None:
        missing = []
        for name in names:
            widget = self.control(name)
            if widget is None:
                missing.append(name)
                continue
            self._overlays.append(Overlay(widget, locked))
            if locked:
                self._locked.append(widget)
                for w in (widget, *widget.findChildren(QWidget)):
                    w.installEventFilter(self._key_lock)
                if isinstance(widget, QAbstractButton | QComboBox | QAbstractSpinBox) and widget.hasFocus():
                    widget.clearFocus()
        if missing:
            return f"Not on screen now: {', '.join(missing)}."
        return None
