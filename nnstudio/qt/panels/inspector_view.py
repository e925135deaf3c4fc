"""Showing one stage of an inspected update: its lines of text and its small tables (``inspect_text.StageView``),
and writing them out for the clipboard as text or CSV (every digit kept in the CSV)."""

from __future__ import annotations

import csv
import io

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QSizePolicy, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from nnstudio.training.inspect_text import StageView, Table, cell_text


def table_widget(table: Table, name: str) -> QTableWidget:
    """A read-only table sized to its rows (no scroll bar of its own: the panel scrolls)."""
    w = QTableWidget(len(table.rows), len(table.header))
    w.setObjectName(name)
    w.setAccessibleName(table.caption)
    w.setToolTip(f"{table.caption} (right-click: copy as text or CSV)")
    w.setHorizontalHeaderLabels(table.header)
    w.verticalHeader().hide()
    w.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    w.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    w.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    w.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    w.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)  # the panel's menu (copy / export) shows instead
    for r, row in enumerate(table.rows):
        for c, value in enumerate(row):
            item = QTableWidgetItem(cell_text(value))
            if not isinstance(value, str):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setToolTip(repr(float(value)))  # every digit, for whoever wants to redo it by hand
            if isinstance(value, str) and value.endswith("◀"):
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            w.setItem(r, c, item)
    header = w.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    w.resizeRowsToContents()
    height = header.sizeHint().height() + sum(w.rowHeight(r) for r in range(w.rowCount())) + 2 * w.frameWidth()
    w.setFixedHeight(height)
    w.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return w


class StageWidget(QWidget):
    """The lines and tables of one stage, replaced as a whole when the stage changes."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("inspectorStage")
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.text = QLabel()
        self.text.setObjectName("stageText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.layout_.addWidget(self.text)
        self.tables: list[QTableWidget] = []
        self.view: StageView | None = None

    def show_view(self, view: StageView | None, message: str = "") -> None:
        self.view = view
        for t in self.tables:
            self.layout_.removeWidget(t)
            t.deleteLater()
        self.tables = []
        if view is None:
            self.text.setText(message)
            return
        self.text.setText("\n".join(view.lines))
        for k, table in enumerate(view.tables):
            caption = QLabel(f"<b>{table.caption}</b>")
            caption.setObjectName(f"stageTableCaption{k}")
            w = table_widget(table, f"stageTable{k}")
            self.layout_.addWidget(caption)
            self.layout_.addWidget(w)
            self.tables += [caption, w]


def as_text(title: str, lines: list[str], tables: list[Table]) -> str:
    """A stage for the clipboard: its lines, then each table in aligned columns (numbers as shown)."""
    out = [title, *lines]
    for table in tables:
        cells = [table.header] + [[cell_text(v) for v in row] for row in table.rows]
        widths = [max(len(r[c]) for r in cells if c < len(r)) for c in range(len(table.header))]
        out += ["", table.caption]
        out += ["  ".join(v.rjust(widths[c]) if c else v.ljust(widths[c]) for c, v in enumerate(r)) for r in cells]
    return "\n".join(out) + "\n"


def as_csv(tables: list[Table]) -> str:
    """Every table of a stage as CSV, a caption row above each, numbers with all their digits."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for k, table in enumerate(tables):
        if k:
            writer.writerow([])
        writer.writerow([table.caption])
        writer.writerow(table.header)
        writer.writerows([v if isinstance(v, str) else repr(float(v)) for v in row] for row in table.rows)
    return buf.getvalue()
