"""Small helpers the studio's panels share: naming controls for tests and screen readers, filling combo boxes,
silencing signals while showing a value, scrolling columns and muted secondary text."""

from __future__ import annotations

from contextlib import contextmanager

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (QAbstractSpinBox, QApplication, QComboBox, QFrame, QLabel, QScrollArea, QSizePolicy,
                               QSpinBox, QVBoxLayout, QWidget)


def muted() -> str:
    """A style for secondary text: the palette's text colour, partly transparent (readable on light and dark)."""
    c = QApplication.palette().color(QPalette.ColorRole.WindowText)
    return f"color: rgba({c.red()}, {c.green()}, {c.blue()}, 165);"


def fill_combo(combo: QComboBox, items: list[tuple[str, str, str]], current: str) -> None:
    """Give ``combo`` the items (data, label, tooltip), keeping them if unchanged, and select ``current`` (added,
    marked as unusual, when it is not among them). The caller blocks the combo's signals."""
    if current not in [data for data, _, _ in items]:
        items = [*items, (current, f"{current} (not usual here)", "The current setting; it is not a usual choice.")]
    if [combo.itemData(i) for i in range(combo.count())] != [data for data, _, _ in items]:
        combo.clear()
        for data, label, tip in items:
            combo.addItem(label, data)
            combo.setItemData(combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
    index = combo.findData(current)
    combo.setCurrentIndex(index)
    combo.setToolTip(combo.itemData(index, Qt.ItemDataRole.ToolTipRole) or "")
    combo.view().setMinimumWidth(combo.view().sizeHintForColumn(0) + 8)  # the list may be wider than the box


@contextmanager
def blocked(*widgets: QWidget):
    """Silence the widgets' signals while the block runs: showing a value must never count as an edit."""
    before = [w.blockSignals(True) for w in widgets]
    try:
        yield
    finally:
        for w, was in zip(widgets, before):
            w.blockSignals(was)


def setup(widget: QWidget, name: str, accessible: str, tip: str) -> QWidget:
    """Name a control for tests, screen readers and tooltips (a spin box's inner text field too)."""
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)
    widget.setToolTip(tip)
    if isinstance(widget, QAbstractSpinBox):
        widget.lineEdit().setAccessibleName(accessible)
        widget.lineEdit().setToolTip(tip)
    return widget


def make_combo(name: str, accessible: str, tip: str) -> QComboBox:
    """A combo box that may be narrower than its longest item (its list opens wide enough)."""
    combo = setup(QComboBox(), name, accessible, tip)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(6)
    combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return combo


def scroll_column(owner: QWidget, name: str) -> QVBoxLayout:
    """Fill ``owner`` with a frameless vertical scroll area; returns the layout of its content."""
    outer = owner.layout() if owner.layout() is not None else QVBoxLayout(owner)
    outer.setContentsMargins(0, 0, 0, 0)
    scroll = QScrollArea()
    scroll.setObjectName(f"{name}Scroll")
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)  # scroll, never clip, when narrow
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    outer.addWidget(scroll, 1)
    content = QWidget()
    content.setObjectName(f"{name}Content")
    scroll.setWidget(content)
    return QVBoxLayout(content)


def small_label(text: str = "", grey: bool = True) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    if grey:
        label.setStyleSheet(muted())
    return label


def int_spin(lo: int, hi: int) -> QSpinBox:
    """A whole-number spin box that reports a value when it is committed (Enter, focus out, arrows), not per key."""
    spin = QSpinBox()
    spin.setRange(lo, hi)
    spin.setKeyboardTracking(False)
    spin.setAccelerated(True)
    return spin
