"""The data dock: pick a dataset (or import a CSV), set a generated set's size and noise, look at every row, leave
rows out, change cells, and see a two-feature set as a scatter plot.

Nothing here changes the data directly: each request goes to the StudioController as an undoable edit, and the
panel redraws when the controller publishes the result (so undo, redo and refused edits all show correctly).
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from nnstudio.data import DATASETS
from nnstudio.data.dataset import Dataset
from nnstudio.qt.data_table import DataCellDelegate, DataTableModel, format_number
from nnstudio.qt.widgets import setup, small_label

IMPORT = "__import_csv__"  # item data of the combo's last entry
FIT_ROWS = 40  # rows measured to size the table's columns (beyond those in view)
CELL_PADDING = 12  # pixels beside a cell's text (the item's margins and the grid line)
# (key, object name, label, accessible name, tooltip) of a generated set's parameters
PARAMS = (("size", "sizeSpin", "Points", "Number of points",
           "How many points to generate in all, test points included"),
          ("noise", "noiseSpin", "Noise", "Noise", "How far points are scattered from their ideal places"),
          ("seed", "dataSeedSpin", "Seed", "Data seed", "Random seed: the same seed always gives the same points"),
          ("test_fraction", "testFractionSpin", "Test share", "Test share",
           "Share of the points kept back for testing (0 keeps none back)"),
          ("subset", "subsetSpin", "Training images", "Training images kept",
           "Train on fewer images for a quick try (1,000 or 10,000), each class keeping its share; 'all' keeps "
           "every training image. The test images stay the same."))




class DataPanel(QWidget):
    message = Signal(str)  # a line for the status bar (e.g. why a typed value was refused)

    def __init__(self, controller, parent=None, scatter_later: bool = False):
        """``scatter_later``: the scatter plot (pyqtgraph, a quarter of a second to import) is not made until
        ``make_scatter()`` or ``scatterPlot`` asks for it; a placeholder of its size stands in (the window makes it
        just after its first paint)."""
        super().__init__(parent)
        self.setObjectName("dataPanel")
        self.controller = controller
        self._scatter = None
        self._scatter_shows = None  # (dataset, rows left out) the scatter is to show, or None: hidden
        self._ds: Dataset | None = None
        self._key = None  # what is shown, to skip refreshes that change nothing here
        self._last_problem = ""
        self._build_ui()
        if not scatter_later:
            self.make_scatter()
        controller.datasetChanged.connect(self.refresh)
        controller.experimentChanged.connect(self.refresh)
        controller.problem.connect(self._remember_problem)
        self.refresh()

    # -- layout -------------------------------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        top = QHBoxLayout()
        label = QLabel("Dataset")
        self.datasetCombo = setup(QComboBox(), "datasetCombo", "Dataset",
                                   "The data the network learns from; the last entry imports a CSV file")
        self.datasetCombo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.datasetCombo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.datasetCombo.setMinimumContentsLength(12)
        label.setBuddy(self.datasetCombo)
        top.addWidget(label)
        top.addWidget(self.datasetCombo, 1)
        layout.addLayout(top)
        self.datasetCombo.currentIndexChanged.connect(self._combo_changed)

        self.paramsBox = QWidget()
        self.paramsBox.setObjectName("dataParamsBox")
        grid = QGridLayout(self.paramsBox)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(2)
        self.param_spins: dict[str, QSpinBox | QDoubleSpinBox] = {}
        self._captions: dict[str, QLabel] = {}
        for i, (key, name, text, accessible, tip) in enumerate(PARAMS):
            if key == "subset":  # image sets: 0 is all of them
                spin = QSpinBox()
                spin.setRange(0, 10_000_000)
                spin.setSingleStep(1000)
                spin.setSpecialValueText("all")
                spin.setGroupSeparatorShown(True)
            elif key in ("size", "seed"):
                spin = QSpinBox()
                spin.setRange(4, 100_000) if key == "size" else spin.setRange(0, 2**31 - 1)
                spin.setSingleStep(20 if key == "size" else 1)
            else:
                spin = QDoubleSpinBox()
                spin.setDecimals(2 if key == "test_fraction" else 3)
                spin.setRange(0.0, 0.9 if key == "test_fraction" else 10.0)
                spin.setSingleStep(0.05)
            spin.setKeyboardTracking(False)  # a value counts once typed in full (Enter, Tab, arrows)
            setup(spin, name, accessible, tip)
            spin.valueChanged.connect(lambda value, k=key: self._param_changed(k, value))
            setattr(self, name, spin)
            self.param_spins[key] = spin
            caption = self._captions[key] = QLabel(text)
            caption.setBuddy(spin)
            grid.addWidget(caption, i // 2, (i % 2) * 2)
            grid.addWidget(spin, i // 2, (i % 2) * 2 + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        layout.addWidget(self.paramsBox)

        self.descriptionLabel = QLabel()
        self.descriptionLabel.setObjectName("dataDescriptionLabel")
        self.descriptionLabel.setWordWrap(True)
        self.descriptionLabel.setTextFormat(Qt.TextFormat.RichText)
        self.descriptionLabel.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        layout.addWidget(self.descriptionLabel)

        self.model = DataTableModel(self)
        self.model.request_use = self._request_use
        self.model.request_edit = self._request_edit
        self.model.inputRejected.connect(self._show_problem)
        self.dataTable = setup(QTableView(), "dataTable", "Data table",
                                "Every row of the data; untick a row to leave it out, double-click a cell to change it")
        self.dataTable.setModel(self.model)
        self.dataTable.setItemDelegate(DataCellDelegate(self.dataTable))
        self.dataTable.setAlternatingRowColors(True)
        self.dataTable.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.dataTable.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                       | QAbstractItemView.EditTrigger.EditKeyPressed
                                       | QAbstractItemView.EditTrigger.AnyKeyPressed)
        rows = self.dataTable.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # uniform rows: big tables scroll smoothly
        rows.setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.dataTable.horizontalHeader().setStretchLastSection(True)
        # column widths from the first rows only: each row measured is a dozen model calls, and 200 rows kept
        # the window still for a third of a second after every import of a table that long
        self.dataTable.horizontalHeader().setResizeContentsPrecision(FIT_ROWS)

        self.messageLabel = QLabel()
        self.messageLabel.setObjectName("dataMessageLabel")
        self.messageLabel.setWordWrap(True)
        self.messageLabel.setStyleSheet("color: #b00020;")
        self.messageLabel.hide()
        # what switching to this dataset changed in the settings, until undone or edited again
        self.adaptedLabel = small_label()
        self.adaptedLabel.setObjectName("dataAdaptedLabel")
        self.adaptedLabel.setAccessibleName("Settings adapted to the data")
        self.adaptedLabel.hide()

        self._scatter_placeholder = QWidget()  # until make_scatter
        self._scatter_placeholder.setObjectName("scatterPlaceholder")
        self._scatter_placeholder.setMinimumHeight(160)
        table_box = QWidget()
        box = QVBoxLayout(table_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(self.dataTable, 1)
        box.addWidget(self.messageLabel)
        box.addWidget(self.adaptedLabel)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("dataSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(table_box)
        self.splitter.addWidget(self._scatter_placeholder)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout.addWidget(self.splitter, 1)

    # -- showing ------------------------------------------------------------------------------------------------------
    def refresh(self, *_args) -> None:
        """Show the controller's dataset and experiment (skipped when nothing shown here changed)."""
        exp, ds = self.controller.experiment, self.controller.dataset
        if exp is None or ds is None:
            return
        note = self.controller.adapted_note
        self.adaptedLabel.setText(note)
        self.adaptedLabel.setVisible(bool(note))
        key = (id(ds), exp.dataset, json.dumps(exp.dataset_params, sort_keys=True, default=str),
               tuple(exp.excluded_rows), tuple(exp.cell_edits), exp.preprocessing)
        if key == self._key:
            return
        dataset_changed = self._key is None or self._key[:3] != key[:3] or self.model.ds is not ds
        self._key = key
        self._ds = ds  # keeps id(ds) meaningful
        self._fill_combo(exp.dataset, ds)
        self._fill_params(exp)
        self.model.set_data(ds, exp.excluded_rows, exp.cell_edits)
        if dataset_changed:
            self._fit_columns()
            self.dataTable.scrollToTop()
            self._show_problem("")
        self._describe(ds, exp)
        two_d = ds.n_features == 2 and ds.task != "regression"
        self._scatter_shows = (ds, tuple(exp.excluded_rows)) if two_d else None
        if self._scatter is None:
            self._scatter_placeholder.setVisible(two_d)
        else:
            self._show_scatter()

    # -- the scatter plot ----------------------------------------------------------------------------------------------
    @property
    def scatterPlot(self):  # noqa: N802 - named as the panel's other widgets
        """The scatter plot of a two-feature classification set (made now if it was not yet)."""
        return self.make_scatter()

    def make_scatter(self):
        """Make the scatter plot in the placeholder's place (once), showing what ``refresh`` last asked for."""
        if self._scatter is None:
            from nnstudio.qt import errors
            from nnstudio.qt.data_scatter import SCATTER_TIP, DataScatter

            errors.guard_paints()  # before any plot item can paint (see errors.guarded)
            self._scatter = DataScatter()
            setup(self._scatter, "scatterPlot", "Scatter plot of the data", SCATTER_TIP)
            self._scatter.setMinimumHeight(160)
            placeholder = self._scatter_placeholder
            self.splitter.replaceWidget(self.splitter.indexOf(placeholder), self._scatter)
            placeholder.deleteLater()
            self._show_scatter()
        return self._scatter

    def _show_scatter(self) -> None:
        shows = self._scatter_shows
        self._scatter.setVisible(shows is not None)
        if shows is not None:
            self._scatter.show_dataset(*shows)

    def _fill_combo(self, current: str, ds: Dataset) -> None:
        combo = self.datasetCombo
        combo.blockSignals(True)
        combo.clear()
        for name, source in DATASETS.items():
            if source.listed:
                combo.addItem(source.title, name)
                combo.setItemData(combo.count() - 1, source.description, Qt.ItemDataRole.ToolTipRole)
        if current not in DATASETS or not DATASETS[current].listed:
            combo.addItem(f"{ds.title} (imported)", current)
            combo.setItemData(combo.count() - 1, ds.source, Qt.ItemDataRole.ToolTipRole)
        combo.insertSeparator(combo.count())
        combo.addItem("Import CSV\u2026", IMPORT)
        combo.setItemData(combo.count() - 1, "Load a table of numbers from a CSV file", Qt.ItemDataRole.ToolTipRole)
        combo.setCurrentIndex(max(combo.findData(current), 0))
        combo.blockSignals(False)

    def _fill_params(self, exp) -> None:
        source = DATASETS.get(exp.dataset)
        values = {**source.defaults, **exp.dataset_params} if source is not None and source.listed else {}
        shown = False
        for key, spin in self.param_spins.items():
            present = key in values
            spin.setVisible(present)
            self._captions[key].setVisible(present)
            if present:
                spin.blockSignals(True)
                spin.setValue(values[key])
                spin.blockSignals(False)
                shown = True
        self.paramsBox.setVisible(shown)

    def _fit_columns(self) -> None:
        header, rows = self.dataTable.horizontalHeader(), self.dataTable.verticalHeader()
        if self.model.columnCount() <= 40:
            # the tick column as Qt sizes it; the others from their texts, measured here: Qt asks each cell for a
            # dozen roles through Python (9,000 calls, 110 ms on the GUI thread for a 20-column import)
            self.dataTable.resizeColumnToContents(0)
            header.resizeSection(0, max(header.sectionSize(0), 44))
            bold = QFont(self.dataTable.font())
            bold.setBold(True)  # an edited cell's text
            widest = QFontMetrics(bold)
            shown = self.dataTable.viewport().height() // max(rows.defaultSectionSize(), 1) + 1
            measured = range(min(self.model.rowCount(), shown + FIT_ROWS))
            for col in range(1, self.model.columnCount()):
                texts = [self.model.data(self.model.index(row, col)) or "" for row in measured]
                width = max((widest.horizontalAdvance(t) for t in texts), default=0) + CELL_PADDING
                # (tiny columns of 0s and 1s are hard to hit)
                header.resizeSection(col, max(width, header.sectionSizeHint(col), 52))
        else:  # e.g. images, one column per pixel: measuring them all would be slow
            header.setDefaultSectionSize(48)
        self.dataTable.verticalHeader().setMinimumWidth(self.fontMetrics().horizontalAdvance("T000"))

    def _describe(self, ds: Dataset, exp) -> None:
        n_test = len(ds.X_test) if ds.has_test else 0
        parts = [f"{ds.n_samples:,} training rows" + (f" + {n_test:,} test" if n_test else ""),
                 f"{ds.n_features} feature{'s' if ds.n_features != 1 else ''}"]
        if ds.task != "regression":
            parts.append("classes " + " / ".join(ds.class_names))
        if exp.excluded_rows:
            parts.append(f"{len(exp.excluded_rows)} left out")
        if exp.cell_edits:
            parts.append(f"{len(exp.cell_edits)} cell{'s' if len(exp.cell_edits) != 1 else ''} changed")
        scaling = ""
        if exp.preprocessing == "dataset" and not ds.preprocessing.is_identity:
            scaling = f" The network sees the values {ds.preprocessing.description}."
        elif exp.preprocessing == "standardize":
            scaling = " The network sees the values standardised over the training rows."
        source = f" <i>Source: {escape(ds.source)}</i>" if ds.source else ""
        hint = "" if self.model.editable else " (too many rows to edit by hand)"
        about = ds.description.strip()
        if about and about[-1] not in ".!?":
            about += "."
        self.descriptionLabel.setText(f"<b>{escape(' · '.join(parts))}</b>{escape(hint)}<br>"
                                      f"{escape(about)}{escape(scaling)}{source}")

    # -- requests -----------------------------------------------------------------------------------------------------
    def _combo_changed(self, index: int) -> None:
        name = self.datasetCombo.itemData(index)
        exp = self.controller.experiment
        if name == IMPORT:
            self._fill_combo(exp.dataset, self.controller.dataset)
            self.import_csv()
            return
        if name is None or exp is None or name == exp.dataset:
            return
        source = DATASETS[name]
        self._call(lambda: self.controller.choose_dataset(name, dict(source.defaults)))

    def _param_changed(self, key: str, value) -> None:
        """One generator setting changed: regenerate with it (the others stay exactly as they were)."""
        exp = self.controller.experiment
        source = DATASETS.get(exp.dataset) if exp is not None else None
        if source is None or key not in source.defaults:
            return
        params = {**source.defaults, **exp.dataset_params}
        if params[key] != value:
            params[key] = value
            self._call(lambda: self.controller.choose_dataset(exp.dataset, params))

    def _request_use(self, row: int, use: bool) -> bool:
        exp = self.controller.experiment
        left_out = set(exp.excluded_rows)
        left_out.discard(row) if use else left_out.add(row)
        label = self.model.row_label(row)
        text = f"Use row {label} again" if use else f"Leave out row {label}"
        return self._call(lambda: self.controller.edit(exp.replace(excluded_rows=tuple(sorted(left_out))), text))

    def _request_edit(self, row: int, col: int, value: float) -> bool:
        exp = self.controller.experiment
        edits = tuple(e for e in exp.cell_edits if (int(e[0]), int(e[1])) != (row, col)) + ((row, col, value),)
        title = self.model.column_title(col + 1)
        shown = self.model.ds.class_names[int(value)] if col == self.model.ds.n_features and \
            self.model.classification else format_number(value)
        text = f"Change {title} of row {self.model.row_label(row)} to {shown}"
        return self._call(lambda: self.controller.edit(exp.replace(cell_edits=edits), text))

    def _call(self, request) -> bool:
        """Run a controller request with a busy cursor; a refusal is shown here and the panel redrawn as it was."""
        self._last_problem = ""
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            ok = request()
        finally:
            QApplication.restoreOverrideCursor()
        if ok:
            self._show_problem("")
        else:
            self._key = None
            self.refresh()
            self._show_problem(self._last_problem or "That change could not be made.")
        return ok

    def _remember_problem(self, title: str, text: str) -> None:
        self._last_problem = f"{title}: {text}"

    def _show_problem(self, text: str) -> None:
        self.messageLabel.setText(text)
        self.messageLabel.setVisible(bool(text))
        self.dataTable.setStatusTip(text)
        if text:
            self.message.emit(text)

    # -- IDX image folders ----------------------------------------------------------------------------------------------
    def import_idx(self, path: str | None = None):
        """Open a folder of images in MNIST's IDX format (Fashion-MNIST, Kuzushiji-MNIST, ...): ask for one when
        ``path`` is None (non-blocking; returns the dialog), else switch to it (read off the GUI thread; a folder that
        is not such a set is refused with the reason, and nothing changes). Returns whether it was switched to."""
        if path:
            QSettings().setValue("data/lastIdxFolder", str(Path(path)))
            return self._call(lambda: self.controller.choose_dataset("idx", {"path": str(path), "subset": 0,
                                                                             "subset_seed": 0}))
        dialog = QFileDialog(self, "Import an IDX image folder", str(QSettings().value("data/lastIdxFolder", "")))
        dialog.setObjectName("idxFolderDialog")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda chosen: self.import_idx(chosen) if chosen else None)
        dialog.open()
        return dialog

    # -- CSV ----------------------------------------------------------------------------------------------------------
    def import_csv(self, path: str | None = None):
        """Import a CSV file: ask for one when ``path`` is None, then show the import dialog (both non-blocking).
        Returns the dialog that was opened."""
        if path:
            from nnstudio.qt.csv_dialog import import_csv_file  # loaded when first used, not at start

            QSettings().setValue("data/lastCsvFolder", str(Path(path).parent))
            return import_csv_file(self.controller, str(path), self)
        dialog = QFileDialog(self, "Import a CSV file", str(QSettings().value("data/lastCsvFolder", "")),
                             "CSV files (*.csv *.tsv *.txt);;All files (*)")
        dialog.setObjectName("csvFileDialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda chosen: self.import_csv(chosen) if chosen else None)
        dialog.open()
        return dialog


if __name__ == "__main__":
    import sys

    from nnstudio.qt.app import try_alone

    sys.exit(try_alone(DataPanel, size=(420, 600), preset=sys.argv[1] if len(sys.argv) > 1 else "gender-network"))
