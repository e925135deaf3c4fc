"""Learning curves: the loss of every update and of every epoch (train and test) on one plot, accuracy or R² per epoch
on a second, and for tiny tables each training row's error (target − output) on a third, the perceptron lesson's
plot. Linear, log-y and log-log axes; log x draws update + 1 (or epoch + 1) so that the start, 0, has a place.

Every curve is thinned to about ``MAX_POINTS`` points however long the run; thinning only drops points, so each
drawn point is a point of the recorded history (the first and the last always among them)."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from nnstudio.numbers import count, fmt
from nnstudio.qt.panels import curves_runs
from nnstudio.qt.panels.base import Panel
from nnstudio.qt.panels.bounds import LIMIT, kept_line
from nnstudio.qt.panels.curves_plot import CurvePlot as _Plot
from nnstudio.qt.panels.thinning import MAX_POINTS, thin, thin_index
from nnstudio.qt.panels.ticks import PlainLogAxis
from nnstudio.training import judging
from nnstudio.training.trainer import Snapshot

__all__ = ["CurvesPanel", "PlainLogAxis", "thin", "thin_index", "updates_per_epoch", "MAX_POINTS"]

SCALES = (("linear", "linear"), ("log y", "log_y"), ("log-log", "log_log"))
TRAIN, TEST = (38, 110, 200), (230, 120, 20)
PER_UPDATE = (165, 165, 165)
ROW_COLOURS = [(38, 110, 200), (230, 120, 20), (40, 150, 70), (200, 45, 60), (130, 80, 180), (140, 95, 55),
               (215, 90, 170), (90, 90, 90)]
MAX_LEGEND_ROWS = len(ROW_COLOURS)  # more rows than this get a blue-to-red ramp and a one-line legend
DENSE = 300  # curves with more points than this are drawn 1 px wide: Qt strokes a wider line 40 times slower
ERROR_POINTS = 8000  # points shared by all per-row error curves (each gets at most MAX_POINTS, at least 400)


def updates_per_epoch(snap: Snapshot, batch_size: int | None) -> int:
    """Parameter updates in one epoch: from the batch size when known, else estimated from the snapshot's counters."""
    n = max(snap.n_train, 1)
    if batch_size is not None:
        return 1 if batch_size <= 0 or batch_size >= n else math.ceil(n / batch_size)
    done = snap.epoch + snap.position / n
    return max(1, round(snap.step / done)) if done > 0 else 1


def _swatch(colour, style: str = "solid") -> str:
    """A short coloured line for a text legend."""
    glyph = {"solid": "━━", "dash": "╍╍", "thin": "──"}[style]
    return f"<span style='color:rgb{tuple(colour)}; font-weight:bold'>{glyph}</span>"


def _entry(colour, text: str, style: str = "solid") -> str:
    """One legend entry that never breaks across lines."""
    return f"{_swatch(colour, style)}&nbsp;{text.replace(' ', '&nbsp;')}"


class CurvesPanel(Panel):
    name = "curves"
    title = "Curves"
    description = ("Loss per update and per epoch, accuracy (or R²) per epoch, and for tiny tables each training "
                   "row's error against the update.")

    def parts(self):
        context = self.context
        self.scale_combo = QComboBox()
        self.scale_combo.setObjectName("curvesScaleCombo")
        self.scale_combo.setAccessibleName("Axis scale of the curves")
        self.scale_combo.setToolTip("Linear, logarithmic loss axis, or log-log (x is update + 1 so 0 can be drawn)")
        for text, key in SCALES:
            self.scale_combo.addItem(text, key)
        self.scale_combo.currentIndexChanged.connect(self._on_scale_changed)
        self.errors_check = QCheckBox("per-row errors")
        self.errors_check.setObjectName("curvesErrorsCheck")
        self.errors_check.setAccessibleName("Show each training row's error")
        self.errors_check.setToolTip("Plot each training row's error (target − output) against the update")
        self.errors_check.setChecked(True)
        self.errors_check.setEnabled(False)
        self.errors_check.toggled.connect(self._redraw)
        self.status = QLabel("No training yet: press Step or Run.")
        self.status.setObjectName("curvesStatus")
        self.status.setStyleSheet("color: #666;")
        self.note = QLabel("")  # where a curve left the plot (a run that diverged)
        self.note.setObjectName("curvesNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #a33;")
        self.note.hide()
        axis_label = QLabel("Axes:")
        axis_label.setBuddy(self.scale_combo)
        top = QHBoxLayout()
        top.setContentsMargins(4, 2, 4, 0)
        top.addWidget(axis_label)
        top.addWidget(self.scale_combo)
        top.addWidget(self.errors_check)
        top.addStretch(1)
        top.addWidget(self.status)
        self.loss_area = _Plot(self, "lossPlot", "Loss curves")
        yield
        self.metric_area = _Plot(self, "metricPlot", "Accuracy curves")
        yield
        self.errors_area = _Plot(self, "errorsPlot", "Per-row error curves")
        yield
        self.errors_area.widget.hide()
        self.loss_plot, self.metric_plot, self.errors_plot = (a.plot for a in self._areas())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.note)
        layout.addWidget(self.loss_area.widget, 3)
        layout.addWidget(self.metric_area.widget, 2)
        layout.addWidget(self.errors_area.widget, 3)
        self._drawn: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        self._frame_set = False  # the ranges follow data (until then: the tidy empty frame)
        self._refit = False  # the next drawing sets every range from its data (the axes changed)
        self._left: tuple[int, float, float] | None = None  # where the loss first left the plot
        self._last_step = -1
        self._stale = False
        context.dataChanged.connect(self._on_data_changed)
        if context.runs is not None:  # runs kept for comparison are drawn beside the current one
            context.runs.changed.connect(self.set_stale)
        self._redraw()

    def _areas(self) -> tuple[_Plot, _Plot, _Plot]:
        return self.loss_area, self.metric_area, self.errors_area

    # -- public -------------------------------------------------------------------------------------------------------
    def set_snapshot(self, snap: Snapshot) -> None:
        super().set_snapshot(snap)
        if self.isVisible():
            self._redraw()
        else:
            self._stale = True  # drawn when shown: a hidden dock costs nothing

    def set_stale(self) -> None:
        """Something drawn besides the snapshot changed (the kept runs): draw again now, or when shown, with the
        ranges fitted to what is drawn."""
        self._refit = True
        if self.isVisible():
            self._redraw()
        else:
            self._stale = True

    def finish(self) -> None:
        """Draw a snapshot that arrived while the panel was hidden."""
        if self._stale:
            self._stale = False
            self._redraw()

    def showEvent(self, event):
        self.finish()
        super().showEvent(event)

    def export_widget(self) -> QWidget:
        self.finish()
        return self

    def scale(self) -> str:
        return self.scale_combo.currentData()

    def set_scale(self, key: str) -> None:
        self.scale_combo.setCurrentIndex([k for _, k in SCALES].index(key))

    def curve_arrays(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Series name -> (x, y) exactly as handed to the plot (before pyqtgraph's own log transform)."""
        self.finish()
        return {name: (xd, yd) for name, (_, _, xd, yd) in self._drawn.items()}

    def csv_table(self) -> tuple[list[str], list[list]]:
        """Long format: one row per drawn point, ``x`` the update (or epoch) number and ``value`` the recorded
        number itself (a signed error even where the plot shows its size)."""
        self.finish()
        rows = []
        for name, (x, v, _, _) in self._drawn.items():
            rows.extend([name, int(a), float(b)] for a, b in zip(x, v))
        return ["series", "x", "value"], rows

    # -- drawing ------------------------------------------------------------------------------------------------------
    def _on_scale_changed(self) -> None:
        self._refit = True  # a range on other axes means nothing on these (a zoom included)
        self._redraw()

    def _on_data_changed(self) -> None:
        self.snapshot = None
        self._reset_frames()
        self._redraw()

    def _reset_frames(self) -> None:
        for p in self._areas():
            p.clear()
            p.frame()
        self._frame_set = False
        self._last_step = -1

    def _draw(self, p: _Plot, key: str, name: str, x, v, y, shift: int, pen, log_y: bool, symbol=False,
              x_scale: int = 1) -> None:
        """Draw y (the plotted form of the values v) against x·x_scale + shift. Only finite y within ±LIMIT are
        drawn (only positive ones on a log axis, whose log10 is then always finite); the line breaks where a point
        is left out."""
        x, v, y = np.asarray(x, np.float64), np.asarray(v, np.float64), np.asarray(y, np.float64)
        with np.errstate(invalid="ignore"):
            keep = np.isfinite(y) & ((y > 0) if log_y else (np.abs(y) <= LIMIT))
        xd, yd, connect = kept_line(x * x_scale + shift, y, keep)
        line = _thin(pen) if len(xd) > DENSE and pen.widthF() > 1 else pen
        p.set_curve(key, pen, xd, yd, connect, pen=line, symbol="o" if symbol else None, symbolSize=5, symbolPen=pen,
                    symbolBrush=pen.color())
        p.drawn[key] = (xd, yd)
        if len(xd):
            self._drawn[name] = (x[keep], v[keep], xd, yd)

    def _left_plot(self, snap: Snapshot, log_y: bool) -> tuple[int, float, float] | None:
        """(update, loss there, largest finite loss after it) of the first update whose loss cannot be drawn: not
        finite, or (on a linear axis) beyond ±LIMIT. Found in the recorded values, so thinning never hides it."""
        loss = np.asarray(snap.update_loss, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            bad = np.flatnonzero(~np.isfinite(loss) if log_y else ~(np.isfinite(loss) & (np.abs(loss) <= LIMIT)))
        if not bad.size:
            return None
        after = loss[bad[0]:]
        finite = after[np.isfinite(after)]
        worst = float(finite[np.argmax(np.abs(finite))]) if finite.size else float(after[0])
        return int(snap.update_x[bad[0]]), float(loss[bad[0]]), worst

    def _show_left(self) -> None:
        if self._left is None:
            self.note.hide()
            return
        update, first, worst = self._left
        if np.isfinite(first):
            text = (f"The loss left the plot at update {count(update)} (it reached {fmt(worst)}); "
                    "the log axes show how far.")
        else:
            text = f"The loss became {fmt(first)} at update {count(update)}: the curves stop there."
        self.note.setText(text)
        self.note.show()

    def _redraw(self) -> None:
        snap, mode = self.snapshot, self.scale()
        log_x, log_y = mode == "log_log", mode in ("log_y", "log_log")
        shift = 1 if log_x else 0
        self._drawn = {}
        has_errors = snap is not None and snap.error_values.ndim == 2 and snap.error_values.shape[1] > 0
        self.errors_check.setEnabled(has_errors)
        show_errors = has_errors and self.errors_check.isChecked()
        self.errors_area.widget.setVisible(show_errors)
        metric = snap.metric_name if snap is not None else "accuracy"
        x_up = "update + 1 (log scale)" if log_x else "update"
        changed = [self.loss_area.set_axes(log_x, log_y, x_up, "loss (log)" if log_y else "loss"),
                   self.metric_area.set_axes(log_x, False, "epoch + 1 (log scale)" if log_x else "epoch", metric),
                   self.errors_area.set_axes(log_x, log_y, x_up, "|y − ŷ| (log)" if log_y else "error y − ŷ")]
        if snap is not None and snap.step < self._last_step:  # a reset: the history starts again
            self._reset_frames()
        self._left = None
        if snap is None:
            self.status.setText("No training yet: press Step or Run.")
            curves_runs.draw(self, log_x, log_y, shift, False)
            kept = bool(curves_runs.kept_runs(self))
            self._legends(None, metric, 0)
            self._show_left()
            for p, modes_changed in zip(self._areas(), changed):
                if modes_changed or self._refit:
                    p.fit() if kept else p.frame()
            self._refit = False
            return
        self._last_step = snap.step
        self.status.setText("Start: press Step or Run." if snap.step == 0
                            else f"update {count(snap.step)} · epoch {count(snap.epoch)}")
        batch = self.context.experiment.batch_size if self.context.experiment is not None else None
        per_epoch = updates_per_epoch(snap, batch)
        few = len(snap.epoch_x) <= 50
        pens = {"update": _pen(PER_UPDATE, 1), "train": _pen(TRAIN, 2), "test": _pen(TEST, 2, dashed=True)}
        ux, uy = thin(snap.update_x, snap.update_loss, log=log_x, shift=shift)
        self._draw(self.loss_area, "update", "loss per update", ux, uy, uy, shift, pens["update"], log_y)
        ex, ev = snap.epoch_x, snap.epoch_values
        has_test = len(ex) > 0 and bool(np.isfinite(ev[:, 2]).any())
        for col, key in ((0, "train"), (2, "test")):
            tx, ty = thin(ex, ev[:, col], log=log_x, shift=shift) if len(ex) else (ex, ex)
            if key == "test" and not has_test:
                tx, ty = tx[:0], ty[:0]
            # the loss plot counts updates: epoch e ends at update e × (updates per epoch)
            self._draw(self.loss_area, key, f"{key} loss per epoch", tx, ty, ty, shift, pens[key], log_y, few,
                       per_epoch)
            mx, my = thin(ex, ev[:, col + 1], log=log_x, shift=shift) if len(ex) else (ex, ex)
            if key == "test" and not has_test:
                mx, my = mx[:0], my[:0]
            self._draw(self.metric_area, key, f"{key} {metric} per epoch", mx, my, my, shift, pens[key], False, few)
        if show_errors:
            self._draw_errors(snap, log_y, shift, log_x)
        curves_runs.draw(self, log_x, log_y, shift, show_errors)
        self._legends(snap, metric, per_epoch, has_test)
        self._left = self._left_plot(snap, log_y)
        self._show_left()
        if not self._frame_set and (snap.step > 0 or len(ex) > 1 or curves_runs.kept_runs(self)):
            self._frame_set, self._refit = True, True  # the tidy empty frame gives way to the data
        for p, modes_changed in zip(self._areas(), changed):
            if modes_changed or self._refit:
                p.fit() if self._frame_set else p.frame()
            elif self._frame_set:
                p.follow()
        self._refit = False

    def _draw_errors(self, snap: Snapshot, log_y: bool, shift: int, log_x: bool = False) -> None:
        labels = self.row_labels(snap)
        n = len(labels)
        with np.errstate(divide="ignore", invalid="ignore"):
            along = np.log10(np.asarray(snap.error_x, dtype=np.float64) + shift) if log_x else None
        idx = thin_index(len(snap.error_x), min(MAX_POINTS, max(400, ERROR_POINTS // max(n, 1))), along)
        ex, values = snap.error_x[idx], snap.error_values[idx]
        for k in range(n):
            colour = ROW_COLOURS[k] if n <= MAX_LEGEND_ROWS else _ramp(k, n)
            ev = values[:, k]
            self._draw(self.errors_area, f"row{k}", f"error {labels[k]}", ex, ev, np.abs(ev) if log_y else ev,
                       shift, _pen(colour, 1.6 if n <= MAX_LEGEND_ROWS else 1), log_y)
        for key, c in self.errors_area.curves.items():  # columns that no longer exist (a smaller table)
            if key.startswith("row") and int(key[3:]) >= n:
                c.setData([], [])
                self.errors_area.drawn.pop(key, None)
                self.errors_area.given.pop(key, None)

    def row_labels(self, snap: Snapshot) -> list[str]:
        """One label per error column: "row 1 (target 0)", with the row's name when the table has names."""
        ds, n_cols = self.context.dataset, snap.error_values.shape[1]
        n_out = max(1, n_cols // max(snap.n_train, 1))
        rows = list(range(snap.n_train))
        names = None
        if ds is not None and self.context.experiment is not None:
            try:
                rows = [int(r) for r in self.context.prepared().train_rows]
            except (ValueError, IndexError):
                pass
            names = ds.params.get("names") if isinstance(ds.params, dict) else None
        labels = []
        for col in range(n_cols):
            r, o = divmod(col, n_out)
            row = rows[r] if r < len(rows) else r
            who = f" {names[row]}" if names and row < len(names) else ""
            target = ""
            if ds is not None and row < ds.n_samples and ds.n_outputs == n_out:
                target = f" (target {ds.describe_target(row) if n_out == 1 else ds.output_names[o]})"
            output = f", output {o + 1}" if n_out > 1 else ""
            labels.append(f"row {row + 1}{who}{output}{target}")
        return labels

    def _legends(self, snap: Snapshot | None, metric: str, per_epoch: int, has_test: bool = False) -> None:
        test = " &nbsp; " + _entry(TEST, "test set (per epoch)", "dash") if has_test else ""
        batch = "batch of each update" + (" (the whole table: under the blue line)" if per_epoch == 1 else "")
        kept = curves_runs.legend(self, _entry)
        self.loss_area.set_legend(f"{_entry(PER_UPDATE, batch, 'thin')} &nbsp; "
                                      f"{_entry(TRAIN, 'training set (per epoch)')}{test}{kept}")
        judged = (f"a fixed sample of {count(judging.SAMPLE)} training rows" if snap is not None
                  and snap.n_train > judging.ALL_ROWS else "the whole training set")
        self.loss_area.legend.setToolTip(
            f"Thin grey: the loss of the batch each update was computed on. Solid: the loss of {judged} after each "
            f"epoch, drawn at the epoch's last update ({count(per_epoch)} update(s) per epoch).")
        self.metric_area.set_legend(f"{_entry(TRAIN, f'train {metric}')}"
                                        + (" &nbsp; " + _entry(TEST, f"test {metric}", "dash") if has_test else "")
                                        + kept)
        if snap is None or self.errors_area.widget.isHidden():
            return
        labels = self.row_labels(snap)
        kept_rows = curves_runs.legend(self, lambda c, text: _entry(c, f"{text} (dashed)", "dash"))
        if len(labels) <= MAX_LEGEND_ROWS:
            self.errors_area.set_legend(" &nbsp; ".join(_entry(ROW_COLOURS[k], label)
                                                            for k, label in enumerate(labels)) + kept_rows)
        else:
            self.errors_area.set_legend(f"{count(len(labels))} training rows, coloured from "
                                            f"{_entry(_ramp(0, 2), labels[0])} to {_entry(_ramp(1, 2), labels[-1])}"
                                            + kept_rows)


_PENS: dict[tuple, QPen] = {}


def _pen(colour, width: float, dashed: bool = False) -> QPen:
    """The pen of a curve, made once (``pg.mkPen`` costs ~0.1 ms, and every redraw drew with a handful): never
    modified, so it is shared."""
    key = (tuple(colour), float(width), dashed)
    if key not in _PENS:
        _PENS[key] = pg.mkPen(colour, width=width, style=Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
    return _PENS[key]


def _thin(pen: QPen) -> QPen:
    """``pen`` 1 px wide (made once per pen)."""
    key = ("thin", pen.color().rgba(), pen.style())
    if key not in _PENS:
        thin = QPen(pen)
        thin.setWidthF(1.0)
        _PENS[key] = thin
    return _PENS[key]


def _ramp(k: int, n: int) -> tuple[int, int, int]:
    """Blue to red through purple, for curves too many to tell apart by a palette."""
    t = k / max(n - 1, 1)
    return int(38 + t * (200 - 38)), int(110 - t * 70), int(200 - t * 150)


if __name__ == "__main__":
    from nnstudio.qt.panels.base import show_demo

    show_demo(CurvesPanel, "perceptron-50k", None, (500, 600), lambda p: p.set_scale("log_log"))
