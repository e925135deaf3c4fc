"""Help -> About (the version, the licences of the data we ship, the libraries and their licences) and Help ->
Keyboard shortcuts (read from the window's own actions, so the list is never out of date). Both are windows that do
not block: one of each at a time, brought forward when asked again. Imported when first asked for."""

from __future__ import annotations

import platform
import re
import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView, QLabel, QPlainTextEdit,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from nnstudio import __version__
from nnstudio.paths import resource_path
from nnstudio.qt.icon import app_icon
from nnstudio.qt.widgets import setup

# (distribution, import name, licence when the distribution's metadata does not say)
LIBRARIES = [("numpy", "numpy", "BSD-3-Clause"), ("PySide6-Essentials", "PySide6", "LGPL-3.0-only"),
             ("shiboken6", "shiboken6", "LGPL-3.0-only"), ("pyqtgraph", "pyqtgraph", "MIT"),
             ("threadpoolctl", "threadpoolctl", "BSD-3-Clause")]


def libraries() -> list[tuple[str, str, str]]:
    """(name, version, licence) of Python, Qt and every library the studio runs on."""
    from importlib import metadata

    from PySide6.QtCore import qVersion

    rows = [("Python", platform.python_version(), "PSF-2.0"), ("Qt", qVersion(), "LGPL-3.0-only")]
    for dist, module, fallback in LIBRARIES:
        try:
            meta = metadata.metadata(dist)
            version = meta["Version"]
            licence = meta.get("License-Expression") or _short(meta.get("License")) or fallback
        except metadata.PackageNotFoundError:  # a bundle without the metadata: the module still knows its version
            version = str(getattr(sys.modules.get(module) or __import__(module), "__version__", "?"))
            licence = fallback
        rows.append((dist, version, licence))
    return rows


def _short(text: str | None) -> str | None:
    """A licence field that names the licence (not the licence's whole text)."""
    return text if text and len(text) <= 80 and "\n" not in text else None


def data_licences() -> str:
    """The text of resources/DATA_LICENSE: where each shipped dataset comes from, and its licence."""
    try:
        return resource_path("DATA_LICENSE").read_text(encoding="utf-8")
    except OSError as e:
        return f"The data licences file could not be read ({e.strerror or e})."


def _table(name: str, accessible: str, header: list[str], rows: list[tuple[str, ...]]) -> QTableWidget:
    table = setup(QTableWidget(len(rows), len(header)), name, accessible, accessible)
    table.setHorizontalHeaderLabels(header)
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(text))
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    return table


def _dialog(parent: QWidget, name: str, title: str) -> tuple[QDialog, QVBoxLayout, bool]:
    """The window's dialog ``name`` (made once), with its layout; and whether it was just made."""
    existing = parent.findChild(QDialog, name)
    if existing is not None:
        return existing, existing.layout(), False
    dialog = QDialog(parent)
    dialog.setObjectName(name)
    dialog.setAccessibleName(title)
    dialog.setWindowTitle(title)
    return dialog, QVBoxLayout(dialog), True


def _close_button(dialog: QDialog, name: str, layout: QVBoxLayout) -> None:
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.setObjectName(f"{name}Buttons")
    setup(buttons.button(QDialogButtonBox.StandardButton.Close), f"{name}CloseButton", "Close",
          "Close this window")
    buttons.rejected.connect(dialog.close)
    layout.addWidget(buttons)


def show_about(parent: QWidget) -> QDialog:
    dialog, layout, new = _dialog(parent, "aboutDialog", "About NN Studio")
    if new:
        top = QHBoxLayout()
        icon = setup(QLabel(), "aboutIcon", "NN Studio's icon", "NN Studio")
        icon.setPixmap(app_icon().pixmap(96, 96))
        top.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        text = setup(QLabel(f"<h2>NN Studio {__version__}</h2><p>Build, train and watch small neural networks, "
                            "written from scratch in numpy.</p><p>Licence: MIT.</p>"), "aboutVersion",
                     "Version", "The version of NN Studio")
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top.addWidget(text, 1)
        layout.addLayout(top)
        layout.addWidget(QLabel("<b>Data we ship and its licences</b>"))
        data = setup(QPlainTextEdit(data_licences()), "aboutDataLicences", "Data licences",
                     "Where each dataset comes from and its licence (resources/DATA_LICENSE)")
        data.setReadOnly(True)
        data.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        layout.addWidget(data, 2)
        layout.addWidget(QLabel("<b>Libraries</b>"))
        table = _table("aboutLibraries", "Libraries", ["Library", "Version", "Licence"], libraries())
        table.setMinimumHeight(table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth()
                               + table.rowCount() * table.verticalHeader().defaultSectionSize())
        layout.addWidget(table)
        _close_button(dialog, "about", layout)
        dialog.resize(760, 620)
    dialog.show()
    dialog.raise_()
    return dialog


def shortcuts(window: QWidget) -> list[tuple[str, str]]:
    """(keys, what they do) of every action and shortcut of the window that has keys, in the window's order."""
    rows, seen = [], set()
    objects = [*window.actions(), *window.findChildren(QAction), *window.findChildren(QShortcut)]
    for obj in objects:
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        keys = obj.shortcuts() if isinstance(obj, QAction) else obj.keys()
        keys = [k for k in keys if not k.isEmpty()]
        if not keys:
            continue
        shown = " or ".join(dict.fromkeys(k.toString(QKeySequence.SequenceFormat.NativeText) for k in keys))
        what = (obj.text() if isinstance(obj, QAction) else "") or obj.whatsThis() or obj.objectName()
        tip = obj.toolTip() if isinstance(obj, QAction) else ""
        what = what.replace("&", "")
        tip = re.sub(r"\s*\([^()]*\)$", "", tip)  # "... (Ctrl+S)": the keys are in the first column
        if tip and tip != what:
            what = f"{what}: {tip}"
        rows.append((shown, what))
    return rows


def show_shortcuts(window: QWidget) -> QDialog:
    dialog, layout, new = _dialog(window, "keysDialog", "Keyboard shortcuts")
    if not new:  # the actions may have changed since: list them again
        old = dialog.findChild(QTableWidget, "keysTable")
        index = layout.indexOf(old)
        old.setParent(None)
        old.deleteLater()
        layout.insertWidget(index, _table("keysTable", "Keyboard shortcuts", ["Keys", "Does"], shortcuts(window)), 1)
    else:
        note = QLabel("Keys that are letters or Space work when no text field has the keyboard.")
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addWidget(_table("keysTable", "Keyboard shortcuts", ["Keys", "Does"], shortcuts(window)), 1)
        _close_button(dialog, "keys", layout)
        dialog.resize(640, 460)
    dialog.show()
    dialog.raise_()
    return dialog
