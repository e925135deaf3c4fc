"""The "try it" box: type raw feature values (in the units of the table) and see the network's answer, updated
live as training goes on. The dataset's own example queries are one click away."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QFormLayout, QGridLayout, QGroupBox, QLabel, QLineEdit, QPushButton, QVBoxLayout,
                               QWidget)

from nnstudio.data.dataset import Dataset
from nnstudio.numbers import count, fixed, fmt, percent
from nnstudio.training.trainer import Snapshot

MAX_FIELDS = 16  # datasets with more features (images) are tried from the data table instead


class TryItPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("tryItPanel")
        self.dataset: Dataset | None = None
        self.snapshot: Snapshot | None = None
        self.fields: list[QLineEdit] = []
        self.query_buttons: list[QPushButton] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.form_box = QGroupBox("Inputs (raw units)")
        self.form = QFormLayout(self.form_box)
        layout.addWidget(self.form_box)
        self.queries_box = QGroupBox("Examples from the lesson")
        self.queries_layout = QGridLayout(self.queries_box)
        layout.addWidget(self.queries_box)
        self.output = QLabel("–")
        self.output.setObjectName("tryOutput")
        self.output.setAccessibleName("Prediction")
        self.output.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.output.setWordWrap(True)
        big = QFont(self.font())
        big.setPointSizeF(self.font().pointSizeF() + 2)
        self.output.setFont(big)
        self.output_title = QLabel("Network's answer:")
        layout.addWidget(self.output_title)
        layout.addWidget(self.output)
        self.note = QLabel("")
        self.note.setObjectName("tryNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #666;")
        layout.addWidget(self.note)
        layout.addStretch(1)

    def set_dataset(self, ds: Dataset) -> None:
        """Fields for ``ds``; the answer waits for the first snapshot of the network that goes with it (the one on
        show belonged to the old dataset, and may even take the same inputs)."""
        self.dataset = ds
        self.snapshot = None
        self.output.setText("–")
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = []
        # The buttons are dropped through our own list, never through QLayout.itemAt: PySide keeps the QWidgetItem
        # wrapper itemAt returns alive as the layout's child, Qt deletes that item with its widget, and the stale
        # wrapper then answers for whatever object Qt next puts at its address (a segfault in a later rebuild).
        for button in self.query_buttons:
            self.queries_layout.removeWidget(button)
            button.deleteLater()
        self.query_buttons = []
        pictures = ds.n_features > MAX_FIELDS and ds.image_shape is not None
        for widget in (self.output_title, self.output):
            widget.setVisible(not pictures)  # pictures are tried in the Draw panel, which gives the answer
        if ds.n_features > MAX_FIELDS:
            self.form_box.hide()
            self.queries_box.hide()
            if ds.image_shape is not None:
                self.note.setText(f"Pictures of {ds.image_shape[0]}×{ds.image_shape[1]} pixels are too many inputs "
                                  "to type: draw one in the Draw panel instead.")
            else:
                self.note.setText(f"{count(ds.n_features)} inputs are too many to type; pick rows in the data "
                                  "table instead.")
            self._recompute()
            return
        self.form_box.show()
        self.note.setText(f"Preprocessing: {ds.preprocessing.description}" if not ds.preprocessing.is_identity
                          else "")
        start = ds.queries[0].values if ds.queries else ds.X[0]
        for i, name in enumerate(ds.feature_names, start=1):
            edit = QLineEdit(fmt(start[i - 1], 6))
            edit.setObjectName(f"tryInput_{i}")
            edit.setAccessibleName(f"Value of {name}")
            edit.setToolTip(f"Type a value for {name}, in the table's own units")
            edit.textChanged.connect(self._recompute)
            self.form.addRow(name, edit)
            self.fields.append(edit)
        for k, q in enumerate(ds.queries, start=1):
            button = QPushButton(q.label)
            button.setObjectName(f"queryButton_{k}")
            button.setAccessibleName(f"Try {q.label}")
            expected = f"; the lesson expects {q.expected}" if q.expected else ""
            button.setToolTip(f"Fill in {', '.join(fmt(v, 6) for v in q.values)}{expected}")
            button.clicked.connect(lambda _=False, values=q.values: self.fill(values))
            self.queries_layout.addWidget(button, (k - 1) // 2, (k - 1) % 2)
            self.query_buttons.append(button)
        self.queries_box.setVisible(bool(ds.queries))
        self._recompute()

    def fill(self, values) -> None:
        for edit, v in zip(self.fields, values):
            edit.blockSignals(True)
            edit.setText(fmt(v, 6))
            edit.blockSignals(False)
        self._recompute()

    def set_snapshot(self, snap: Snapshot) -> None:
        self.snapshot = snap
        self._recompute()

    def draw_pending(self) -> None:
        """Nothing waits: the answer is worked out in ``set_snapshot`` (the window calls this on every view)."""

    def values(self) -> list[float] | None:
        """The typed values, or None (with the bad fields marked) if any is not a finite number."""
        values, ok = [], True
        for edit in self.fields:
            try:
                v = float(edit.text().strip())
                good = math.isfinite(v)
            except ValueError:
                v, good = math.nan, False
            edit.setStyleSheet("" if good else "border: 1px solid #d33; background: #fff0f0;")
            ok &= good
            values.append(v)
        return values if ok else None

    def _recompute(self) -> None:
        ds, snap = self.dataset, self.snapshot
        if ds is None or snap is None or not self.fields:
            return
        values = self.values()
        if values is None:
            self.output.setText("Type a number in every field")
            return
        try:
            with np.errstate(all="ignore"):  # a diverged network answers inf or NaN: written as such
                out = snap.predict([values])[0]
        except ValueError as e:  # the network and the dataset disagree for a moment while a change settles
            self.output.setText(str(e))
            return
        self.output.setText(describe_output(ds, out))


def describe_output(ds: Dataset, out: np.ndarray) -> str:
    """The network's output as a learner reads it; short whatever the numbers (a diverged network answers nan)."""
    out = np.asarray(out, dtype=np.float64)
    if ds.task != "regression" and not np.isfinite(out).all():
        return ", ".join(fmt(v) for v in out) + ": not a number, so no class (the network diverged)"
    if ds.task == "binary":
        p = float(out[0])
        return f"{fixed(p, 6)} → {ds.class_names[int(p >= 0.5)]} ({ds.output_names[0]} = {fixed(p, 3)})"
    if ds.task == "multiclass":
        k = int(np.argmax(out))
        return f"{ds.class_names[k]} ({percent(out[k])}); " + ", ".join(
            f"{name}: {fixed(v, 3)}" for name, v in zip(ds.class_names, out))
    return ", ".join(f"{name} = {fmt(v, 6)}" for name, v in zip(ds.output_names, out))


if __name__ == "__main__":
    from PySide6.QtWidgets import QApplication

    from nnstudio.training import Trainer, presets

    app = QApplication([])
    t = Trainer(presets.get("gender-network"))
    t.run()
    panel = TryItPanel()
    panel.set_dataset(t.dataset)
    panel.set_snapshot(t.snapshot())
    panel.resize(320, 300)
    panel.show()
    app.exec()
