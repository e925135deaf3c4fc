"""Importing a CSV file: a preview of the first rows, a choice of target column and task, an optional test share.

The file is only read by the strict loader when the learner presses Import, on another thread with a progress
dialog and Cancel (a million rows take a few seconds); if anything is wrong with it, a message says which line and
column, the dialog stays open, and the session is not touched. A file that cannot even be
previewed (missing, empty, binary, not UTF-8) gets the same kind of message straight away.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.data.csv_loader import load_csv, preview_csv
from nnstudio.data.dataset import DataError
from nnstudio.qt.background import CANCELLED, FAILED, Task, TaskPanel, run_in_thread
from nnstudio.qt.widgets import setup

PREVIEW_ROWS = 20
LOAD_SHARE = 0.8  # of the import's progress bar: reading the file (the rest: setting up the network on it)
TASKS = (("auto", "Decide from the values"),
         ("classification", "Classification (the target names a class)"),
         ("regression", "Regression (the target is a number to predict)"))


def show_csv_error(parent: QWidget | None, text: str, box: QMessageBox | None = None) -> QMessageBox:
    """A non-blocking warning about a file that cannot be used (``box`` is reused when given)."""
    if box is None:
        box = QMessageBox(parent)
        box.setObjectName("csvErrorDialog")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("This CSV file cannot be imported")
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.setInformativeText("Nothing has changed. Fix the file (or pick other settings) and try again.")
        box.setWindowModality(Qt.WindowModality.WindowModal)
    box.setText(text)
    box.open()
    return box


class ImportCsvDialog(QDialog):
    """Shows the preview ``(header, rows)`` of ``path`` and imports it into ``controller`` on OK."""

    def __init__(self, controller, path, preview: tuple[list[str], list[list[str]]], parent=None):
        super().__init__(parent)
        self.setObjectName("csvImportDialog")
        self.controller = controller
        self.path = str(path)
        self.header, self.rows = preview
        self.error_box: QMessageBox | None = None
        self.task: Task | None = None  # the import under way
        self.setWindowTitle(f"Import {Path(self.path).name}")
        self.setAccessibleName("Import a CSV file")
        self.resize(560, 480)
        self._build_ui()
        self._fill_preview()
        self._mark_target()

    def _build_ui(self) -> None:
        layout = QVBoxLayout(self)
        shown = len(self.rows)
        more = f"the first {shown} rows" if shown >= PREVIEW_ROWS else f"{shown} row{'s' if shown != 1 else ''}"
        intro = QLabel(f"<b>{escape(Path(self.path).name)}</b>: {more}, {len(self.header)} columns. "
                       "The target column is what the network learns to predict; every other column is a "
                       "feature and must hold a number in each row.")
        intro.setObjectName("csvIntroLabel")
        intro.setWordWrap(True)
        layout.addWidget(intro)

        self.csvPreviewTable = setup(QTableWidget(), "csvPreviewTable", "Preview of the file",
                                      "The file's first rows as written; the highlighted column is the target")
        self.csvPreviewTable.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.csvPreviewTable.setAlternatingRowColors(True)
        self.csvPreviewTable.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        layout.addWidget(self.csvPreviewTable, 1)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.csvTargetCombo = setup(QComboBox(), "csvTargetCombo", "Target column",
                                     "The column the network should learn to predict")
        self.csvTargetCombo.addItems(self.header)
        self.csvTargetCombo.setCurrentIndex(len(self.header) - 1)
        self.csvTargetCombo.currentIndexChanged.connect(self._mark_target)
        self.csvTaskCombo = setup(QComboBox(), "csvTaskCombo", "Task",
                                   "Classes or numbers: 'decide' treats up to 10 whole numbers or any words as classes")
        for value, text in TASKS:
            self.csvTaskCombo.addItem(text, value)
        self.csvTestFractionSpin = setup(QDoubleSpinBox(), "csvTestFractionSpin", "Test share",
                                          "Share of the rows kept back to test the network (0 keeps none back)")
        self.csvTestFractionSpin.setRange(0.0, 0.9)
        self.csvTestFractionSpin.setSingleStep(0.05)
        self.csvTestFractionSpin.setDecimals(2)
        self.csvSeedSpin = setup(QSpinBox(), "csvSeedSpin", "Split seed",
                                  "Random seed that decides which rows become test rows")
        self.csvSeedSpin.setRange(0, 2**31 - 1)
        self.csvTestFractionSpin.valueChanged.connect(lambda v: self.csvSeedSpin.setEnabled(v > 0))
        self.csvSeedSpin.setEnabled(False)
        form.addRow("Target column", self.csvTargetCombo)
        form.addRow("Task", self.csvTaskCombo)
        form.addRow("Test share", self.csvTestFractionSpin)
        form.addRow("Split seed", self.csvSeedSpin)
        layout.addLayout(form)

        self.progress = TaskPanel("csvProgress", self, with_cancel=False)  # the dialog's Cancel stops an import
        layout.addWidget(self.progress)

        buttons = QDialogButtonBox()
        self.csvImportButton = setup(QPushButton("Import"), "csvImportButton", "Import",
                                      "Read the whole file with these settings and train on it")
        self.csvCancelButton = setup(QPushButton("Cancel"), "csvCancelButton", "Cancel",
                                      "Close without importing; nothing changes")
        self.csvImportButton.setDefault(True)
        buttons.addButton(self.csvImportButton, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.csvCancelButton, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.try_import)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _fill_preview(self) -> None:
        table = self.csvPreviewTable
        width = max([len(self.header), *(len(r) for r in self.rows)])
        table.setColumnCount(width)
        table.setRowCount(len(self.rows))
        table.setHorizontalHeaderLabels(self.header + ["(extra)"] * (width - len(self.header)))
        warn = QBrush(Qt.GlobalColor.red)
        for r, row in enumerate(self.rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                if c >= len(self.header):
                    item.setForeground(warn)
                    item.setToolTip("This row has more cells than the header has columns")
                table.setItem(r, c, item)
            if len(row) != len(self.header):
                head = QTableWidgetItem(str(r + 1))
                head.setForeground(warn)
                head.setToolTip(f"This row has {len(row)} cells; the header has {len(self.header)}")
                table.setVerticalHeaderItem(r, head)
        table.resizeColumnsToContents()

    def _mark_target(self, *_args) -> None:
        """Bold header and a tint for the target column."""
        target = self.csvTargetCombo.currentIndex()
        table = self.csvPreviewTable
        palette = QApplication.palette()
        tint = palette.color(QPalette.ColorRole.Highlight)
        tint.setAlpha(45)
        for c in range(table.columnCount()):
            head = table.horizontalHeaderItem(c)
            if head is not None:
                font = QFont(head.font())
                font.setBold(c == target)
                head.setFont(font)
                head.setToolTip("Target: what the network learns to predict" if c == target else "Feature")
            for r in range(table.rowCount()):
                item = table.item(r, c)
                if item is not None:
                    item.setBackground(QBrush(tint) if c == target else QBrush())

    # -- importing ----------------------------------------------------------------------------------------------------
    def settings(self) -> dict:
        return {"target": self.csvTargetCombo.currentText(), "task": self.csvTaskCombo.currentData(),
                "test_fraction": round(self.csvTestFractionSpin.value(), 4), "seed": self.csvSeedSpin.value()}

    def try_import(self) -> bool:
        """Read the file with the chosen settings on another thread, showing progress (the window stays live and
        Cancel stops it); on success hand the data to the controller and close. A problem is explained and, like
        Cancel, leaves the session as it was and this dialog open. Returns whether the data was imported."""
        if self.task is not None:  # already importing
            return False
        task = self.task = start_import(self.controller.experiment, self.path, self.settings(), self)
        self.progress.follow(task, f"Reading {Path(self.path).name}…")
        self._set_busy(True)
        try:
            state = task.wait()
        finally:
            self.task = None
            self._set_busy(False)
        if state == CANCELLED:
            return False
        if state == FAILED:
            error = task.error
            text = str(error) if isinstance(error, DataError) else f"{Path(self.path).name}: {type(error).__name__}: " \
                                                                     f"{error}"
            self.error_box = show_csv_error(self, text, self.error_box)
            return False
        dataset, trainer = task.result
        ok = self.controller.import_dataset(dataset, dict(dataset.params), f"Import {dataset.title}", trainer)
        if ok:
            self.accept()
        return ok


    def _set_busy(self, busy: bool) -> None:
        for widget in (self.csvTargetCombo, self.csvTaskCombo, self.csvTestFractionSpin, self.csvImportButton):
            widget.setEnabled(not busy)
        self.csvSeedSpin.setEnabled(not busy and self.csvTestFractionSpin.value() > 0)

    def reject(self) -> None:
        """Cancel or Escape: stops an import under way (the dialog stays), else closes without importing."""
        if self.task is not None:
            self.progress.cancel()
            return
        super().reject()


def start_import(base, path: str, settings: dict, parent=None) -> Task:
    """Load ``path`` with ``settings`` (load_csv's keywords) on a new thread, and build the Trainer the import will
    switch to from the experiment ``base``, so that the GUI thread only has to show it. The task's result is
    (dataset, trainer); the trainer is None if it cannot be built (the controller then explains why)."""
    from nnstudio.qt.controller import StudioController
    from nnstudio.training.experiment import ExperimentError
    from nnstudio.training.trainer import Trainer

    def work(report):
        dataset = load_csv(path, progress=lambda fraction: report(LOAD_SHARE * fraction), **settings)
        try:
            trainer = Trainer(StudioController.import_experiment(base, dataset, dataset.params), dataset)
        except (ExperimentError, DataError):
            trainer = None
        report(1.0)  # the last chance to cancel
        return dataset, trainer

    return run_in_thread(work, parent, "csv-import")


def import_csv_file(controller, path, parent: QWidget | None = None) -> QDialog | QMessageBox:
    """Open the import dialog for ``path`` (non-blocking); a file that cannot be previewed gets an error box
    instead. Returns whichever was opened."""
    try:
        preview = preview_csv(path, PREVIEW_ROWS)
    except DataError as e:
        box = show_csv_error(parent, str(e))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        return box
    dialog = ImportCsvDialog(controller, path, preview, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


if __name__ == "__main__":
    import sys
    import tempfile

    from nnstudio.qt.app import try_alone

    if len(sys.argv) > 1:
        csv_path = sys.argv[1]
    else:
        csv_path = str(Path(tempfile.mkdtemp()) / "people.csv")
        Path(csv_path).write_text("weight,height,sex\n133,65,female\n160,72,male\n152,70,male\n120,60,female\n"
                                  "140,68,male\n118,62,female\n", encoding="utf-8")

    def dialog(studio):
        shown = import_csv_file(studio, csv_path)
        shown.finished.connect(lambda *_: QApplication.quit())
        QApplication.instance().aboutToQuit.connect(lambda: print("dataset now:", studio.dataset.name))
        return shown

    sys.exit(try_alone(dialog))
