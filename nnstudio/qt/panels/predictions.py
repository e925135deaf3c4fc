"""What the network predicts, drawn the way each kind of data reads best:

- two input features and classes: the network's output over the whole plane (the decision surface, as in
  TensorFlow Playground) with its 0.5 boundary, the training points filled and the test points hollow;
- one input feature and a numeric target: the fitted line or curve against the points, with the least-squares line;
- anything else that is classified: a confusion matrix (rows: the true class, columns: the predicted one);
- a numeric target from several features: predicted against true values.

All of it comes from ``Snapshot.predict`` on raw feature values, worked out on the panel's own thread
(``predictions_numbers`` in a ``LatestJob``: the GUI thread only hands the finished arrays to the plots); redraws are
throttled (5 a second for pictures, 2 for the confusion matrix). Ranges come from the data, never from the network's
answers: a network that diverged answers 1e40 or NaN, and what falls outside the plot is left out (and counted) rather
than handed to Qt. Classes take the one class palette (``colormaps.class_colour``) the data scatter uses too; a set
of more than ``thinning.SHOWN_POINTS`` points is drawn as the data scatter's fixed sample, and the note says so."""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from nnstudio.numbers import fixed, percent
from nnstudio.qt.panels import predictions_numbers as numbers
from nnstudio.qt.panels.base import Panel
from nnstudio.qt.panels.colormaps import ColorBar, class_colour, plain_numbers
from nnstudio.qt.panels.confusion_view import ConfusionView
from nnstudio.qt.panels.offthread import LatestJob
from nnstudio.qt.panels.predictions_line import LineView
from nnstudio.qt.panels.predictions_line import key as _key
from nnstudio.qt.panels.predictions_numbers import BIG, GRID, LISTED, SAMPLE, TINT  # noqa: F401 (read here)
from nnstudio.qt.panels.thinning import shown_note, shown_split
from nnstudio.qt.widgets import setup
from nnstudio.training.trainer import Snapshot

SURFACE, MATRIX = "decision surface", "confusion matrix"
TRAIN, TEST = "training set", "test set"


def _light(rgb, t: float = 0.55):
    """rgb blended toward white, keeping share t of the colour (background tints, so points stand out)."""
    return tuple(int(round(255 + (c - 255) * t)) for c in rgb)


def _label(name: str) -> QLabel:
    label = QLabel("")
    label.setObjectName(name)
    label.setWordWrap(True)
    return label


class PredictionsPanel(Panel):
    name = "predictions"
    title = "Predictions"
    description = "What the network answers: its decision surface, fitted line or confusion matrix."

    def parts(self):
        context = self.context
        self.kind = ""  # "plane", "line", "scatter" or "matrix"
        self._last_draw = -1e9
        self._timer = QTimer(self, singleShot=True, timeout=self._redraw)
        self._surface = self._matrix = self._line = None
        self._table: tuple[list[str], list[list]] | Callable = ([], [])  # (header, rows), or what makes them
        self._row_cache: dict = {}  # the rows judged, and their network inputs (see predictions_numbers.answers)
        self._job = LatestJob(self._show, self._failed, self)
        self._points_note = ""
        self.view_combo = setup(QComboBox(), "predictionsViewCombo", "Prediction view",
                                   "Show the answer over the whole plane, or count the right and wrong answers")
        self.view_combo.addItems([SURFACE, MATRIX])
        self.set_combo = setup(QComboBox(), "predictionsSetCombo", "Rows to judge",
                                  "Count the answers on the training rows or on the held-out test rows")
        self.set_combo.addItems([TRAIN, TEST])
        self.note, self.legend, self.outputs = (_label(n) for n in ("predictionsNote", "predictionsLegend",
                                                                    "predictionsOutputs"))
        self.note.setStyleSheet("color: #555;")
        self.outputs.setAccessibleName("Each row's output")
        self.view_combo.currentIndexChanged.connect(self._on_view)
        self.set_combo.currentIndexChanged.connect(self._on_view)
        top = QHBoxLayout()
        top.addWidget(self.view_combo)
        top.addWidget(self.set_combo)
        top.addStretch(1)
        self.plane_plot = pg.PlotWidget(background="w", enableMenu=False)
        yield
        self.line_plot = pg.PlotWidget(background="w", enableMenu=False)
        yield
        self.matrix_plot = ConfusionView()
        self.matrix_plot.cellClicked.connect(self._on_cell_clicked)
        yield
        self.stack = QStackedWidget()
        for plot, name, accessible, tip in (
                (self.plane_plot, "predictionsPlanePlot", "Decision surface",
                 "The network's answer at every point of the plane, with the data on top"),
                (self.line_plot, "predictionsLinePlot", "Fitted line", "The network's output against the data"),
                (self.matrix_plot, "predictionsMatrixPlot", "Confusion matrix",
                 "How many rows of each true class (rows) got each answer (columns)")):
            setup(plot, name, accessible, tip)
            plain_numbers(plot)
            self.adopt_plot(plot)
            self.stack.addWidget(plot)
        yield
        self._build_plane()
        yield
        self.line_view = LineView(self.line_plot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.note)
        layout.addWidget(self.legend)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.outputs)
        context.dataChanged.connect(self._on_data_changed)
        context.trainingChanged.connect(self._on_training_changed)
        yield
        self._on_data_changed()

    def _build_plane(self) -> None:
        p = self.plane_plot
        # P(class 1) from class 0's colour through white to class 1's
        diverging = pg.ColorMap([0.0, 0.5, 1.0], [_light(class_colour(0), TINT), (255, 255, 255),
                                                  _light(class_colour(1), TINT)])
        self.prob_image = pg.ImageItem(axisOrder="row-major")
        self.prob_image.setColorMap(diverging)
        self.class_image = pg.ImageItem(axisOrder="row-major")
        for item in (self.prob_image, self.class_image):
            p.addItem(item)
        self.colorbar = ColorBar(values=(0, 1), colorMap=diverging, interactive=False, width=14)
        self.colorbar.setImageItem(self.prob_image, insert_in=p.getPlotItem())
        self.boundary = pg.PlotDataItem(connect="pairs", pen=pg.mkPen(40, 40, 40, 220, width=2))
        p.addItem(self.boundary)
        self.points_train: list[pg.ScatterPlotItem] = []
        self.points_test: list[pg.ScatterPlotItem] = []

    # -- data and snapshots --------------------------------------------------------------------------------------------
    def _on_data_changed(self) -> None:
        ds = self.context.dataset
        self._job.drop()  # answers for the old data are not drawn
        self._row_cache = {}
        self._points_note = ""
        self.snapshot = None
        self._surface = self._matrix = self._line = None
        self._table = ([], [])
        self.outputs.setText("")
        self.note.setText("")
        if ds is None:
            self.kind = ""
            return
        classified = ds.task != "regression"
        self.kind = ("plane" if classified and ds.n_features == 2 else "matrix" if classified
                     else "line" if ds.n_features == 1 else "scatter")
        for combo in (self.view_combo, self.set_combo):
            combo.blockSignals(True)
        named = bool(ds.params.get("names"))  # named people (T2) read best as a list of answers
        self.view_combo.setCurrentText(MATRIX if named else SURFACE)
        self.set_combo.setCurrentText(TEST if ds.has_test and ds.n_samples > BIG else TRAIN)
        for combo in (self.view_combo, self.set_combo):
            combo.blockSignals(False)
        if self.kind == "plane":
            self._setup_plane(ds)
        elif self.kind != "matrix":
            self._setup_line(ds)
        self._sync_controls()  # (lays out the matrix when that is on show)

    def _sync_controls(self) -> None:
        view = self.view()
        self.view_combo.setVisible(self.kind == "plane")
        self.set_combo.setVisible(view == "matrix")
        self.set_combo.setEnabled(self.context.dataset is not None and self.context.dataset.has_test)
        self.stack.setCurrentWidget({"plane": self.plane_plot, "matrix": self.matrix_plot}.get(view, self.line_plot))
        self.legend.setVisible(view != "matrix")
        self.outputs.setVisible(view == "matrix")
        if view == "matrix" and self.context.dataset is not None:
            self.matrix_plot.set_classes(self.context.dataset.class_names)
            self.matrix_plot.click_hint = ("Click to see these images in the gallery."
                                           if self.context.dataset.image_shape is not None else "")

    def _on_cell_clicked(self, true_class: int, predicted: int) -> None:
        """A confusion cell of image data: the gallery shows exactly its images (of the set the matrix counts)."""
        ds = self.context.dataset
        if ds is not None and ds.image_shape is not None and self.view() == "matrix":
            self.context.show_images(true_class, predicted, self.set_combo.currentText() == TEST and ds.has_test)

    def view(self) -> str:
        """What is drawn now: "plane", "matrix", "line" or "scatter"."""
        if self.kind == "plane" and self.view_combo.currentText() == MATRIX:
            return "matrix"
        return self.kind

    def _on_training_changed(self, running: bool) -> None:
        """At the pause the matrix is counted again with the current weights (during a run it shows the Trainer's
        count from the last epoch's end)."""
        if not running and self.snapshot is not None and self.view() == "matrix":
            self._timer.stop()
            self._redraw()

    def _on_view(self, *_) -> None:
        self._sync_controls()
        if self.snapshot is not None:
            self._redraw()

    def set_snapshot(self, snap: Snapshot) -> None:
        super().set_snapshot(snap)
        interval = 0.5 if self.view() == "matrix" else 0.2
        wait = self._last_draw + interval - time.monotonic()
        if wait <= 0:
            self._redraw()
        elif not self._timer.isActive():
            self._timer.start(int(wait * 1000) + 1)

    def finish(self) -> None:
        """Work out and draw the snapshot on show now, on this thread (a headless export, a test)."""
        if self.snapshot is not None:
            self._timer.stop()
            self._redraw(now=True)

    def draw_pending(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self._redraw()

    def compute_in_background(self) -> bool:
        """Work out the snapshot on show on the panel's thread (as ``finish`` would here)."""
        if self.snapshot is None or self.context.dataset is None:
            return False
        if not self._job.busy() or self._timer.isActive():
            self._timer.stop()
            self._redraw()
        return True

    def is_computing(self) -> bool:
        return self._job.busy()

    def _redraw(self, now: bool = False) -> None:
        """Draw the snapshot on show: its numbers are worked out on the panel's thread (at once with ``now``)."""
        snap, ds = self.snapshot, self.context.dataset
        if snap is None or ds is None:
            return
        self._last_draw = time.monotonic()
        view = self.view()
        if view == "line":  # 200 points of a line: no thread needed
            with np.errstate(all="ignore"):
                self._show_line(*self.line_view.draw_line(snap, ds))
            return
        cache, axes = self._row_cache, getattr(self, "_axes", None)
        prepared = self.context.prepared_if_made()  # the Trainer's own network inputs: read, never copied whole
        if view == "plane":
            work = lambda: ("plane", ds, *numbers.plane(snap, ds, axes, cache, prepared))  # noqa: E731
        elif view == "matrix":
            test = self.set_combo.currentText() == TEST and ds.has_test
            training = self.context.training
            work = lambda: ("matrix", ds, *numbers.matrix(snap, ds, test, training, cache, prepared))  # noqa: E731
        else:
            work = lambda: ("scatter", ds, numbers.scatter(snap, ds, cache, prepared))  # noqa: E731
        if now:
            self._job.drop()
            self._show(work())
        else:
            self._job.start(work)

    def _show(self, result) -> None:
        """Draw what ``_redraw``'s work found (on the GUI thread)."""
        kind, ds = result[0], result[1]
        if ds is not self.context.dataset:
            return  # worked out for data no longer on show
        if kind == "scatter":
            out, y, rows, cache = result[2]
            self._row_cache = cache
            self._show_line(*self.line_view.draw_scatter(out, y, rows))
            return
        numbers_, self._row_cache = result[2], result[3]
        if kind == "plane" and self.view() == "plane":
            self._draw_plane(numbers_, ds)
        elif kind == "matrix" and self.view() == "matrix":
            self._draw_matrix(numbers_, ds)

    def _failed(self, message: str) -> None:
        self.note.setText(f"The answers could not be worked out: {message}")

    def _rows(self, ds, test: bool):
        """(X, y, note) of the rows to judge: all of them, or a fixed random sample of a big table (kept per table,
        so a redraw during training does not draw the sample again)."""
        rows, self._row_cache = numbers.rows_in(self._row_cache, ds, test)
        return rows[:3]

    # -- two features: the decision surface ----------------------------------------------------------------------------
    def _setup_plane(self, ds) -> None:
        p = self.plane_plot
        for item in self.points_train + self.points_test:
            p.removeItem(item)
        self._axes = numbers.plane_axes(ds)
        colours = [class_colour(k) for k in range(ds.n_classes)]
        self.points_train, self.points_test = [], []
        X_test = ds.X_test if ds.has_test else np.empty((0, 2))
        train_rows, test_rows = shown_split(ds.n_samples, len(X_test))  # all, or the data scatter's sample
        X, y = ds.X[train_rows], ds.y[train_rows]
        keys = []
        for k, colour in enumerate(colours):
            train = pg.ScatterPlotItem(size=8, brush=pg.mkBrush(*colour), pen=pg.mkPen("w", width=1))
            test = pg.ScatterPlotItem(size=8, brush=pg.mkBrush(255, 255, 255, 160), pen=pg.mkPen(*colour, width=2))
            train.setData(*X[y == k].T)
            if ds.has_test:
                test.setData(*X_test[test_rows][ds.y_test[test_rows] == k].T)
            for item in (train, test):
                p.addItem(item)
            name = ds.class_names[k]
            keys.append(_key("&#9679;", colour, f"class {name}" if name.isdigit() else name))
            self.points_train.append(train)
            self.points_test.append(test)
        self._points_note = shown_note(len(train_rows) + len(test_rows), ds.n_samples + len(X_test))
        keys.append("filled: training rows" + (", hollow: test rows" if ds.has_test else ""))
        keys.append(_key("&#8212;", (40, 40, 40), "where the answer changes class"))
        self.legend.setText(" &nbsp; ".join(keys))
        p.setLabel("bottom", ds.feature_names[0])
        p.setLabel("left", ds.feature_names[1])
        binary = ds.task == "binary"
        self.prob_image.setVisible(binary)
        self.class_image.setVisible(not binary)
        self.colorbar.setVisible(binary)
        self.colorbar.axis.setLabel(ds.output_names[0] if binary else "")
        p.setRange(xRange=(self._axes[0][0], self._axes[0][-1]), yRange=(self._axes[1][0], self._axes[1][-1]),
                   padding=0)

    def _draw_plane(self, plane: numbers.Plane, ds) -> None:
        if ds.task == "binary":
            self.prob_image.setImage(plane.image, autoLevels=False, levels=(0.0, 1.0))
            self.prob_image.setRect(*plane.rect)
        else:
            self.class_image.setImage(plane.image, autoLevels=False, levels=(0, 255))
            self.class_image.setRect(*plane.rect)
        self.boundary.setData(plane.boundary_x, plane.boundary_y)
        self._surface = (plane.xs, plane.ys, plane.Z)
        what = ds.output_names[0] if ds.task == "binary" else "the most likely class"
        self.plane_plot.setTitle(f"{what} over the plane · training accuracy {percent(plane.accuracy)}")
        shown = f" Points: {self._points_note}." if self._points_note else ""
        self.note.setText(f"Background: the network's answer at every point (lines: where it changes class); "
                          f"accuracy on {plane.rows_note}.{shown}")
        self._table = lambda: plane.table(ds)  # made when asked for (a CSV export): 6,400 rows

    # -- classes: the confusion matrix ---------------------------------------------------------------------------------
    def _draw_matrix(self, matrix: numbers.Matrix, ds) -> None:
        M = matrix.M
        self.matrix_plot.show_matrix(M, matrix.title)
        self.note.setText(matrix.note)
        self._matrix = M
        self._table = (["true \\ predicted", *ds.class_names],
                       [[name, *map(int, row)] for name, row in zip(ds.class_names, M)])
        self.outputs.setText(self._listing(*matrix.listing, ds) if matrix.listing is not None else "")

    def _listing(self, out, y, predicted, ds) -> str:
        names = ds.params.get("names") or [f"row {i + 1}" for i in range(len(y))]
        lines = []
        for i in range(len(y)):
            answer = (f"{ds.output_names[0]} = {fixed(out[i, 0], 3)}" if ds.task == "binary"
                      else f"{ds.class_names[predicted[i]]} ({percent(out[i, predicted[i]], 0)})")
            mark = "✓" if predicted[i] == y[i] else "✗"
            lines.append(f"{names[i] if i < len(names) else i + 1}: {answer} → {ds.class_names[predicted[i]]} "
                         f"{mark} (true: {ds.class_names[int(y[i])]})")
        return "<br>".join(lines)

    # -- numbers: the fitted line, or predicted against true (drawn by LineView) -----------------------------------
    def _setup_line(self, ds) -> None:
        self.line_view.setup(ds, self.kind)
        self.legend.setText("")

    def _show_line(self, legend: str, note: str, line, table) -> None:
        self.legend.setText(legend)
        self.note.setText(note)
        self._line, self._table = line, table

    # -- what tests and exports read -----------------------------------------------------------------------------------
    def surface_grid(self):
        """(xs, ys, Z): Z[j, i] is the output at (xs[i], ys[j]); P(class 1) for binary, all outputs otherwise."""
        return self._surface

    def confusion(self) -> np.ndarray | None:
        return None if self._matrix is None else self._matrix.copy()

    def fitted_line(self):
        """(x, network's output, least-squares line)."""
        return self._line

    def csv_table(self) -> tuple[list[str], list[list]]:
        return self._table() if callable(self._table) else self._table


if __name__ == "__main__":
    from nnstudio.qt.panels.base import show_demo

    show_demo(PredictionsPanel, "diabetes-regression", None, (640, 480))
