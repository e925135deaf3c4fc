"""The dataset as a table: a QAbstractTableModel over the Dataset's arrays (no item per cell, so 70,000 rows stay
quick) and a delegate that offers the class names when a classification target is edited.

Column 0 says whether a training row is used (a check box) or marks a test row; then come the features, raw, as
typed; the last column is the target. The model never changes the data itself: a tick or a typed value is checked,
then handed to ``request_use`` / ``request_edit`` (set by the panel, which asks the controller), and the table
changes when the controller publishes the new dataset.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from PySide6.QtCore import QAbstractTableModel, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QStyledItemDelegate

from nnstudio.data.dataset import MAX_CELL, Dataset

EDITABLE_ROWS = 200  # tables with at most this many training rows can be edited cell by cell
EDIT_COLOUR = QColor("#f0a020")  # edited cells get a tint of this
TEST_COLOUR = QColor("#3a7bd5")  # and test rows a faint tint of this


def format_number(v: float) -> str:
    """A value as a person would type it: 133 (not 133.0), 0.418274, -1.5e-07."""
    v = float(v)
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.6g}"


def exact_number(v: float) -> str:
    """The value in full, for an editor: what is shown is what is stored."""
    v = float(v)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def long_decimals(values: np.ndarray, places: int = 4) -> np.ndarray:
    """Per column of ``values``: True where numbers carry more than ``places`` decimals (measurements, generated
    points), which read best rounded to that many places and aligned; False where they look typed by hand."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 1:
        v = v.reshape(-1, 1)
    with np.errstate(over="ignore", invalid="ignore"):  # huge values: not "ragged" (they are written 1e+20 style)
        scaled = v * 10.0 ** places
        ragged = np.abs(scaled - np.round(scaled)) > 1e-6 * np.maximum(1.0, np.abs(scaled))
    a = np.abs(v)
    tiny_or_huge = ((a > 0) & (a < 10.0 ** -(places - 1))) | (a >= 1e9)
    return ragged.any(axis=0) & ~tiny_or_huge.any(axis=0)


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    return QColor(round(a.red() + (b.red() - a.red()) * t), round(a.green() + (b.green() - a.green()) * t),
                  round(a.blue() + (b.blue() - a.blue()) * t))


class DataTableModel(QAbstractTableModel):
    inputRejected = Signal(str)  # a typed value that cannot be used, and why

    def __init__(self, parent=None):
        super().__init__(parent)
        self.ds: Dataset | None = None
        self.excluded: frozenset[int] = frozenset()
        self.edited: frozenset[tuple[int, int]] = frozenset()
        self.row_names: list[str] | None = None
        self.rounded = np.zeros(0, dtype=bool)  # per feature: shown rounded to 4 decimals
        self.rounded_target = False
        # set by the owner: ask for a change, return whether it was made
        self.request_use: Callable[[int, bool], bool] | None = None
        self.request_edit: Callable[[int, int, float], bool] | None = None

    # -- filling ------------------------------------------------------------------------------------------------------
    def set_data(self, ds: Dataset | None, excluded=(), edits=()) -> None:
        """Show ``ds`` (with edits applied) and mark ``excluded`` rows and the cells in ``edits``. Keeps the view's
        scroll position and selection when the table keeps its shape (a tick, a cell edit, an undo)."""
        same_shape = (self.ds is not None and ds is not None and self.ds.n_samples == ds.n_samples
                      and self._n_test(self.ds) == self._n_test(ds) and self.ds.n_features == ds.n_features
                      and self.ds.class_names == ds.class_names and self.ds.feature_names == ds.feature_names)
        if not same_shape:
            self.beginResetModel()
        self.ds = ds
        self.excluded = frozenset(int(r) for r in excluded)
        self.edited = frozenset((int(e[0]), int(e[1])) for e in edits)
        if ds is not None:  # columns of long decimals are shown rounded, to line up (a sample is enough)
            if np.issubdtype(ds.X.dtype, np.integer):  # pixels: whole numbers, nothing to round (and 784 columns)
                self.rounded = np.zeros(ds.n_features, dtype=bool)
            else:
                sample = [ds.X[:1000]] + ([ds.X_test[:1000]] if ds.has_test else [])
                self.rounded = long_decimals(np.vstack(sample))
            self.rounded_target = ds.task == "regression" and bool(long_decimals(ds.y[:1000]).any())
        names = ds.params.get("names") if ds is not None else None
        self.row_names = [str(n) for n in names] if names is not None and len(names) == ds.n_samples else None
        if same_shape:
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))
            self.headerDataChanged.emit(Qt.Orientation.Vertical, 0, self.rowCount() - 1)
        else:
            self.endResetModel()

    @staticmethod
    def _n_test(ds: Dataset) -> int:
        return len(ds.X_test) if ds.has_test else 0

    # -- shape --------------------------------------------------------------------------------------------------------
    @property
    def n_train(self) -> int:
        return self.ds.n_samples if self.ds is not None else 0

    @property
    def target_column(self) -> int:
        return self.ds.n_features + 1 if self.ds is not None else -1

    @property
    def editable(self) -> bool:
        return self.ds is not None and self.ds.n_samples <= EDITABLE_ROWS

    @property
    def classification(self) -> bool:
        return self.ds is not None and self.ds.task != "regression"

    def rowCount(self, parent=None) -> int:
        if (parent is not None and parent.isValid()) or self.ds is None:
            return 0
        return self.ds.n_samples + self._n_test(self.ds)

    def columnCount(self, parent=None) -> int:
        return 0 if (parent is not None and parent.isValid()) or self.ds is None else self.ds.n_features + 2

    def row_label(self, row: int) -> str:
        """How the learner refers to a row: its number (1-based), a person's name, or T1.. for test rows."""
        if row >= self.n_train:
            return f"T{row - self.n_train + 1}"
        return self.row_names[row] if self.row_names else str(row + 1)

    def column_title(self, col: int) -> str:
        ds = self.ds
        if col == 0:
            return "use"
        if col <= ds.n_features:
            return ds.feature_names[col - 1]
        if ds.task == "regression":
            return ", ".join(ds.target_names) or "target"
        return str(ds.params.get("target") or "class")

    # -- values -------------------------------------------------------------------------------------------------------
    def _row(self, row: int) -> tuple[np.ndarray, np.ndarray | int]:
        if row < self.n_train:
            return self.ds.X[row], self.ds.y[row]
        return self.ds.X_test[row - self.n_train], self.ds.y_test[row - self.n_train]

    def _target_text(self, y) -> str:
        if self.ds.task == "regression":
            return ", ".join(f"{v:.4f}" if self.rounded_target else format_number(v) for v in np.atleast_1d(y))
        return self.ds.class_names[int(y)]

    def cell_value(self, row: int, col: int):
        """The value behind a feature or target cell (a float, or a class index)."""
        x, y = self._row(row)
        if col <= self.ds.n_features:
            return float(x[col - 1])
        return int(y) if self.classification else float(np.atleast_1d(y)[0])

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self.ds is None:
            return None
        row, col = index.row(), index.column()
        test = row >= self.n_train
        left_out = not test and row in self.excluded
        edited = (row, col - 1) in self.edited
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return "test" if test else None
            x, y = self._row(row)
            if col <= self.ds.n_features:
                return f"{x[col - 1]:.4f}" if self.rounded[col - 1] else format_number(x[col - 1])
            return self._target_text(y)
        if role == Qt.ItemDataRole.EditRole and col > 0:
            value = self.cell_value(row, col)
            if col == self.target_column and self.classification:
                return self.ds.class_names[value]
            return exact_number(value)
        if role == Qt.ItemDataRole.CheckStateRole and col == 0 and not test:
            return Qt.CheckState.Unchecked if left_out else Qt.CheckState.Checked
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col == 0 or (col == self.target_column and self.classification):
                return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        marker = test and col == 0
        if role == Qt.ItemDataRole.FontRole and (edited or marker or left_out):
            font = QFont()
            font.setBold(edited)
            font.setItalic(marker or left_out)
            return font
        palette = QApplication.palette()
        if role == Qt.ItemDataRole.ForegroundRole and (left_out or marker):
            return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        if role == Qt.ItemDataRole.BackgroundRole:
            base = palette.color(QPalette.ColorRole.Base)
            if edited:
                return _mix(base, EDIT_COLOUR, 0.35)
            if test:
                return _mix(base, TEST_COLOUR, 0.12)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, col, test, left_out, edited)
        return None

    def _tooltip(self, row, col, test, left_out, edited) -> str | None:
        label = self.row_label(row)
        if col == 0:
            if test:
                return f"Test row {label}: held back to check the network on data it never trained on"
            return (f"Row {label} is left out of training: tick to use it again" if left_out
                    else f"Row {label} is used for training: untick to leave it out")
        exact = ""
        if col <= self.ds.n_features and self.rounded[col - 1]:
            exact = f"Exact value {exact_number(self.cell_value(row, col))}. "
        if edited:
            return exact + "You changed this value (Undo puts the original back)"
        if self.editable and not test:
            return exact + "Double-click to change this value"
        return exact.strip() or None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if self.ds is None:
            return None
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return self.column_title(section)
            if role == Qt.ItemDataRole.ToolTipRole:
                if section == 0:
                    return "Ticked rows are used for training; test rows are only used to check the network"
                if section == self.target_column:
                    if self.classification:
                        return "What the network should answer: one of " + ", ".join(self.ds.class_names)
                    return "What the network should answer (a number)"
                return f"Feature {section}: {self.column_title(section)}, in its own units before any scaling"
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.row_label(section)
        if role == Qt.ItemDataRole.ToolTipRole and section >= self.n_train:
            return "A test row: never trained on"
        return None

    def flags(self, index):
        if not index.isValid() or self.ds is None:
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        row, col = index.row(), index.column()
        if row >= self.n_train:
            return flags
        if col == 0:
            return flags | Qt.ItemFlag.ItemIsUserCheckable
        if self.editable and (col < self.target_column or self.classification or self.ds.y.shape[1] == 1):
            return flags | Qt.ItemFlag.ItemIsEditable
        return flags

    # -- changes ------------------------------------------------------------------------------------------------------
    def parse(self, row: int, col: int, text) -> float:
        """The number a typed cell stands for, or ValueError with a message for the learner."""
        s = str(text).strip()
        where = f"Row {self.row_label(row)}, {self.column_title(col)}"
        if col == self.target_column and self.classification:
            names = self.ds.class_names
            for i, name in enumerate(names):
                if s == name or s.casefold() == name.casefold():
                    return float(i)
            numeric_names = all(_is_number(n) for n in names)
            if not numeric_names and s.isdigit() and int(s) < len(names):
                return float(s)
            choices = ", ".join(names)
            extra = "" if numeric_names else f" (or its number, 0 to {len(names) - 1})"
            raise ValueError(f"{where}: \u201c{s}\u201d is not a class. Type one of: {choices}{extra}.")
        if not s:
            raise ValueError(f"{where}: the cell cannot be empty; type a number.")
        try:
            value = float(s)
        except ValueError:
            raise ValueError(f"{where}: \u201c{s}\u201d is not a number; type something like 1.5 or -3.") from None
        if not np.isfinite(value):
            raise ValueError(f"{where}: NaN and infinity cannot be learned from; type an ordinary number.")
        if abs(value) > MAX_CELL:
            raise ValueError(f"{where}: {value:.3g} is too large to learn from; type a number up to {MAX_CELL:.0e} "
                             "in size.")
        return value

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or not (self.flags(index) & Qt.ItemFlag.ItemIsEnabled):
            return False
        row, col = index.row(), index.column()
        if row >= self.n_train:
            return False
        if role == Qt.ItemDataRole.CheckStateRole and col == 0:
            state = value.value if hasattr(value, "value") else int(value)
            use = state == Qt.CheckState.Checked.value
            return bool(self.request_use and self.request_use(row, use))
        if role != Qt.ItemDataRole.EditRole or not self.flags(index) & Qt.ItemFlag.ItemIsEditable:
            return False
        try:
            number = self.parse(row, col, value)
        except ValueError as e:
            self.inputRejected.emit(str(e))
            return False
        if number == self.cell_value(row, col):
            return True  # nothing changes
        return bool(self.request_edit and self.request_edit(row, col - 1, number))


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


class DataCellDelegate(QStyledItemDelegate):
    """A line edit for numbers; a list of the class names for a classification target."""

    def createEditor(self, parent, option, index):
        model: DataTableModel = index.model()
        if index.column() == model.target_column and model.classification:
            combo = QComboBox(parent)
            combo.setObjectName("targetEditor")
            combo.setAccessibleName("Class of this row")
            combo.setToolTip("Pick the class this row should have")
            combo.addItems(list(model.ds.class_names))
            combo.activated.connect(lambda _i, c=combo: self._commit(c))
            return combo
        edit = QLineEdit(parent)
        edit.setObjectName("cellEditor")
        edit.setAccessibleName("Cell value")
        edit.setToolTip("Type a number and press Enter; Escape leaves the cell as it was")
        return edit

    def _commit(self, editor) -> None:
        self.commitData.emit(editor)
        self.closeEditor.emit(editor, QStyledItemDelegate.EndEditHint.NoHint)

    def setEditorData(self, editor, index):
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(int(index.model().cell_value(index.row(), index.column())))
        else:
            editor.setText(str(index.data(Qt.ItemDataRole.EditRole)))

    def setModelData(self, editor, model, index):
        text = editor.currentText() if isinstance(editor, QComboBox) else editor.text()
        model.setData(index, text, Qt.ItemDataRole.EditRole)
