"""What the network predicts, drawn the way each kind of data reads best:

- two input features and classes: the network's output over the whole plane (the decision surface, as in
  TensorFlow Playground) with its 0.5 boundary, the training points filled and the test points hollow;
- one input feature and a numeric target: the fitted line or curve against the points, with the least-squares line;
- anything else that is classified: a confusion matrix (rows: the true class, columns: the predicted one);
- a numeric target from several features: predicted against true values.

All of it comes from ``Snapshot.predict`` on raw feature values; redraws are throttled (5 a second for pictures,
2 for the confusion matrix). Ranges come from the data, never from the network's answers: a network that diverged
answers 1e40 or NaN, and what falls outside the plot is left out (and counted) rather than handed to Qt. Classes take
the one class palette (``colormaps.class_colour``) the data scatter uses too."""

from __future__ import annotations

import time

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

from nnstudio.numbers import count, fixed, percent
from nnstudio.qt.panels.base import Panel
from nnstudio.qt.panels.colormaps import ColorBar, class_colour, plain_numbers
from nnstudio.qt.panels.confusion_view import ConfusionView
from nnstudio.qt.panels.predictions_line import LineView
from nnstudio.qt.panels.predictions_line import key as _key
from nnstudio.qt.panels.surface_job import contour_segments, segments_to_xy
from nnstudio.qt.widgets import setup
from nnstudio.training.classes import confusion_counts, predicted_classes
from nnstudio.training.trainer import Snapshot

TINT = 0.45  # how much colour a sure answer gives the background (the points keep full colour)
GRID = 80  # decision-surface grid points per axis
BIG, SAMPLE = 10_000, 5_000  # tables with more rows are judged on a fixed random sample of this many
LISTED = 12  # tables up to this size list every row's output
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
        self._table: tuple[list[str], list[list]] = ([], [])
        self._row_cache: dict = {}  # the rows judged, and their network inputs (see _rows, _predict_rows)
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

    def view(self) -> str:
        """What is drawn now: "plane", "matrix", "line" or "scatter"."""
        if self.kind == "plane" and self.view_combo.currentText() == MATRIX:
            return "matrix"
        return self.kind

    def _on_training_changed(self, running: bool) -> None:
        """At the pause the matrix is counted again with the current weights (during a run it shows the Trainer's
        count from the last epoch's end)."""
        if not running and self.snapshot is not None and self.view() == "matrix":
            self.finish()

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
        if self.snapshot is not None:
            self._timer.stop()
            self._redraw()

    def draw_pending(self) -> None:
        if self._timer.isActive():
            self.finish()

    def _redraw(self) -> None:
        if self.snapshot is None or self.context.dataset is None:
            return
        self._last_draw = time.monotonic()
        with np.errstate(all="ignore"):  # a diverged network answers inf and NaN: drawn (or not) as such
            {"plane": self._draw_plane, "matrix": self._draw_matrix, "line": self._draw_line,
             "scatter": self._draw_scatter}[self.view()](self.snapshot, self.context.dataset)

    def _rows(self, ds, test: bool):
        """(X, y, note) of the rows to judge: all of them, or a fixed random sample of a big table (kept per table,
        so a redraw during training does not draw the sample again)."""
        key = (id(ds), test)
        if self._row_cache.get("rows_key") != key:
            X, y = (ds.X_test, ds.y_test) if test else (ds.X, ds.y)
            label = "test" if test else "training"
            if len(X) <= BIG:
                rows = (X, y, f"all {count(len(X))} {label} rows")
            else:
                keep = np.sort(np.random.default_rng(0).choice(len(X), SAMPLE, replace=False))
                rows = (X[keep], y[keep],
                        f"a fixed random sample of {count(SAMPLE)} of the {count(len(X))} {label} rows")
            self._row_cache = {"rows_key": key, "rows": rows, "dataset": ds}
        return self._row_cache["rows"]

    def _predict_rows(self, snap: Snapshot, ds, test: bool):
        """(network outputs, y, note) for ``_rows``; the network inputs are kept while the preprocessing stays."""
        X, y, rows = self._rows(ds, test)
        key = (id(snap.preprocessing), snap.dtype)
        if self._row_cache.get("inputs_key") != key:
            self._row_cache.update(inputs_key=key, inputs=snap.network_inputs(X), preprocessing=snap.preprocessing)
        return snap.forward_inputs(self._row_cache["inputs"])[-1][1], y, rows

    # -- two features: the decision surface ----------------------------------------------------------------------------
    def _setup_plane(self, ds) -> None:
        p = self.plane_plot
        for item in self.points_train + self.points_test:
            p.removeItem(item)
        X_all = ds.X if not ds.has_test else np.vstack([ds.X, ds.X_test])
        lo, hi = X_all.min(axis=0), X_all.max(axis=0)
        pad = np.where(hi > lo, 0.1 * (hi - lo), 0.5)
        self._axes = [np.linspace(lo[k] - pad[k], hi[k] + pad[k], GRID) for k in range(2)]
        colours = [class_colour(k) for k in range(ds.n_classes)]
        self.points_train, self.points_test = [], []
        keys = []
        for k, colour in enumerate(colours):
            train = pg.ScatterPlotItem(size=8, brush=pg.mkBrush(*colour), pen=pg.mkPen("w", width=1))
            test = pg.ScatterPlotItem(size=8, brush=pg.mkBrush(255, 255, 255, 160), pen=pg.mkPen(*colour, width=2))
            train.setData(*ds.X[ds.y == k].T)
            if ds.has_test:
                test.setData(*ds.X_test[ds.y_test == k].T)
            for item in (train, test):
                p.addItem(item)
            name = ds.class_names[k]
            keys.append(_key("&#9679;", colour, f"class {name}" if name.isdigit() else name))
            self.points_train.append(train)
            self.points_test.append(test)
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

    def _draw_plane(self, snap: Snapshot, ds) -> None:
        xs, ys = self._axes
        gx, gy = np.meshgrid(xs, ys)
        out = snap.predict(np.column_stack([gx.ravel(), gy.ravel()]))
        dx, dy = xs[1] - xs[0], ys[1] - ys[0]
        rect = (xs[0] - dx / 2, ys[0] - dy / 2, dx * len(xs), dy * len(ys))
        if ds.task == "binary":
            Z = out[:, 0].reshape(len(ys), len(xs))
            self.prob_image.setImage(Z, autoLevels=False, levels=(0.0, 1.0))
            self.prob_image.setRect(*rect)
            segments = contour_segments(Z, xs, ys, 0.5)
        else:
            Z = out.reshape(len(ys), len(xs), -1)
            K = Z.shape[2]
            winner, confidence = Z.argmax(axis=2), Z.max(axis=2)
            with np.errstate(invalid="ignore"):  # NaN answers (a diverged network) are left white
                t = np.nan_to_num(np.clip((confidence - 1 / K) / (1 - 1 / K), 0, 1), nan=0.0)[..., None] * TINT
            colours = np.array([class_colour(k) for k in range(K)], dtype=np.float64)[winner]
            self.class_image.setImage((255 + (colours - 255) * t).astype(np.uint8), autoLevels=False,
                                      levels=(0, 255))
            self.class_image.setRect(*rect)
            margin = [Z[..., k] - np.delete(Z, k, axis=2).max(axis=2) for k in range(K)]
            segments = np.concatenate([contour_segments(m, xs, ys, 0.0) for m in margin])
        self.boundary.setData(*segments_to_xy(segments))
        self._surface = (xs.copy(), ys.copy(), Z)
        out, y, rows = self._predict_rows(snap, ds, test=False)
        accuracy = float(np.mean(predicted_classes(out, ds.task) == y))
        what = ds.output_names[0] if ds.task == "binary" else "the most likely class"
        self.plane_plot.setTitle(f"{what} over the plane · training accuracy {percent(accuracy)}")
        self.note.setText(f"Background: the network's answer at every point (lines: where it changes class); "
                          f"accuracy on {rows}.")
        header = list(ds.feature_names) + list(ds.output_names)
        flat = Z.reshape(len(ys) * len(xs), -1)
        self._table = (header, [[float(gx.flat[i]), float(gy.flat[i]), *map(float, flat[i])]
                                for i in range(len(flat))])

    # -- classes: the confusion matrix ---------------------------------------------------------------------------------
    def _draw_matrix(self, snap: Snapshot, ds) -> None:
        test = self.set_combo.currentText() == TEST and ds.has_test
        counted = snap.test_confusion if test else snap.train_confusion
        n_rows = len(ds.y_test if test else ds.y)
        if self.context.training and counted is not None and n_rows > LISTED:
            # during a run: the Trainer's own count at the last epoch's end, over every row, at no cost here
            M = np.asarray(counted)
            total = int(M.sum())
            rows = (f"all {count(total)} {'test' if test else 'training'} rows the network "
                    f"{'is tested on' if test else 'trains on'}, at the end of epoch {count(snap.confusion_epoch)} "
                    "(while training runs)")
            out = y = predicted = None
        else:
            out, y, rows = self._predict_rows(snap, ds, test)
            predicted = predicted_classes(out, ds.task)
            M = confusion_counts(y, predicted, ds.n_classes)
            total = len(y)
        right = int(np.trace(M))
        self.matrix_plot.show_matrix(M, f"{'Test' if test else 'Training'} set: {count(right)} of {count(total)} "
                                        f"right ({percent(right / max(total, 1))})")
        self.note.setText(f"Counts on {rows}; colour: share of each true class's rows.")
        self._matrix = M
        self._table = (["true \\ predicted", *ds.class_names],
                       [[name, *map(int, row)] for name, row in zip(ds.class_names, M)])
        self.outputs.setText(self._listing(out, y, predicted, ds) if y is not None and len(y) <= LISTED else "")

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

    def _draw_line(self, snap: Snapshot, ds) -> None:
        self._show_line(*self.line_view.draw_line(snap, ds))

    def _draw_scatter(self, snap: Snapshot, ds) -> None:
        out, y, rows = self._predict_rows(snap, ds, test=False)
        self._show_line(*self.line_view.draw_scatter(out, y, rows))

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
        return self._table


if __name__ == "__main__":
    from nnstudio.qt.panels.base import show_demo

    show_demo(PredictionsPanel, "diabetes-regression", None, (640, 480))
