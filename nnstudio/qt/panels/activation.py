"""The activation panel: one layer's activation f(z) and its slope f′(z), with the layer's neurons placed on the
curve at the pre-activations z of the last batch. Points on a flat stretch of a sigmoid or tanh pass almost no
gradient back (saturated); a relu unit whose z is never positive passes none at all (dead).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout

from nnstudio.core import activations, losses
from nnstudio.numbers import count, fmt
from nnstudio.qt.panels.base import Panel
from nnstudio.qt.panels.bounds import box_around, inside, sane
from nnstudio.qt.panels.fastplot import StyledPoints
from nnstudio.qt.panels.colormaps import (AXIS_PEN, NEGATIVE, POSITIVE, UNIT_COLOURS, Throttle, dark_axes,
                                          light_grid, plain_numbers)
from nnstudio.qt.panels.thinning import sorted_unique
from nnstudio.training.trainer import Snapshot

GRID_POINTS = 801
SATURATED_SLOPE = 0.05  # f′ below this passes a twentieth or less of the error signal back
REDRAW_RATE = 10.0
MAX_POINTS = 2048  # points drawn: the first samples of each unit (the counts and CSV use the whole batch)
Z_LIMIT = 1e4  # the z axis never reaches beyond ±Z_LIMIT; units further out are counted, not drawn
STEP = activations.get("step")
SHRINK = 0.5  # while training, the z axis narrows only to a range under half its span (steady_range)


def nice_bound(v: float, up: bool) -> float:
    """Round a range end outwards to a whole step (1 up to 10, then 5, 10, 50...), so the axis does not creep."""
    step = 1.0 if abs(v) <= 10 else 10.0 ** math.floor(math.log10(abs(v))) / 2
    return (math.ceil(v / step) if up else math.floor(v / step)) * step


def steady_range(shown: tuple[float, float], wanted: tuple[float, float]) -> tuple[float, float]:
    """The z range to show while training runs, given the one shown and the one this batch wants: it only widens
    (to take both) until the wanted one is less than SHRINK of the shown span, then it is the wanted one. Each batch
    has its own extremes; following them moved the axis at most redraws (new ticks, a new curve: most of a redraw's
    cost, and a jumpy picture)."""
    lo, hi = min(shown[0], wanted[0]), max(shown[1], wanted[1])
    if wanted[1] - wanted[0] < SHRINK * (hi - lo):
        return wanted
    return lo, hi


def slope_status(act_name: str, Z: np.ndarray, A: np.ndarray, fprime: np.ndarray, fused: bool) -> str:
    """One line on how many units of the batch sit where the activation passes (almost) no gradient."""
    n_samples, n_units = Z.shape

    def listed(mask):
        units = np.flatnonzero(mask)
        if not 0 < len(units) <= 10:
            return ""
        return f": unit{'s' if len(units) > 1 else ''} {', '.join(map(str, units))}"

    batch = f" (last batch, {count(n_samples)} sample{'s' if n_samples != 1 else ''})"
    of = f"of {count(n_units)} unit{'s' if n_units != 1 else ''}"
    if act_name in ("sigmoid", "tanh"):
        mask = (fprime < SATURATED_SLOPE).mean(axis=0) > 0.5
        note = "; the loss cancels this slope at the output" if fused else ""
        return (f"{count(mask.sum())} {of} saturated (f′ < {fmt(SATURATED_SLOPE)} for most samples)"
                f"{listed(mask)}{batch}{note}")
    if act_name == "relu":
        mask = (Z <= 0).all(axis=0)
        return f"{count(mask.sum())} {of} dead (z ≤ 0 for every sample){listed(mask)}{batch}"
    if act_name == "leaky_relu":
        mask = (Z <= 0).all(axis=0)
        return (f"{count(mask.sum())} {of} below zero for every sample (slope only 0.01 there)"
                f"{listed(mask)}{batch}")
    if act_name == "softmax":
        mask = (fprime < SATURATED_SLOPE).mean(axis=0) > 0.5
        note = "; with cross-entropy the gradient ŷ − y does not vanish there" if fused else ""
        return (f"{count(mask.sum())} of {count(n_units)} outputs near 0 or 1 for most samples (a(1 − a) < "
                f"{fmt(SATURATED_SLOPE)}){listed(mask)}{batch}{note}")
    if act_name == "step":
        return "step: f′ = 0 everywhere, so no gradient flows back through these units"
    return f"{act_name}: f′ never falls to 0, nothing saturates{batch}"


class ActivationPanel(Panel):
    name = "activation"
    title = "Activation"
    description = ("A layer's activation function and its slope, with each neuron's values on the last batch "
                   "drawn on the curve; counts saturated or dead units.")

    def parts(self):
        context = self.context
        self._layers: tuple = ()
        self._range: tuple[float, float] | None = None
        self._curve: tuple[np.ndarray, np.ndarray, np.ndarray] = (np.zeros(0),) * 3
        self._points: tuple[np.ndarray, np.ndarray] = (np.zeros((0, 0)), np.zeros((0, 0)))
        self._rug_y, self._rug_h = 0.0, 0.0  # centre and height of the rug marks
        self._on = np.zeros(0, dtype=bool)  # which of the points (unit by unit) are drawn
        self._throttle = Throttle(self._redraw, REDRAW_RATE, self)

        self.layer_combo = QComboBox()
        self.layer_combo.setObjectName("activationLayerCombo")
        self.layer_combo.setAccessibleName("Layer")
        self.layer_combo.setToolTip("The layer whose activation function and neuron values are shown")
        self.layer_combo.currentIndexChanged.connect(self._layer_chosen)
        self.step_check = QCheckBox("Compare with the step function")
        self.step_check.setObjectName("showStepCheck")
        self.step_check.setAccessibleName("Compare with the step function")
        self.step_check.setToolTip("Draw the hard 0/1 threshold beside the curve: same shape, but no slope to learn "
                                   "from")
        self.step_check.toggled.connect(self._step_toggled)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        layer_label = QLabel("Layer:")
        layer_label.setBuddy(self.layer_combo)
        top.addWidget(layer_label)
        top.addWidget(self.layer_combo)
        top.addStretch(1)
        top.addWidget(self.step_check)
        self.formula = QLabel("")
        self.formula.setObjectName("activationFormulaLabel")
        self.formula.setAccessibleName("Formulas")
        self.formula.setWordWrap(True)
        self.formula.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        yield
        self.plot = pg.PlotWidget(background="w", enableMenu=False)  # (its menu goes: see Panel.adopt_plot)
        self.plot.setObjectName("activationPlot")
        self.plot.setAccessibleName("Activation function plot")
        self.plot.setLabel("bottom", "z (weighted input sum + bias)")
        self.plot.setLabel("left", "f(z) and f′(z)")
        light_grid(self.plot)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setMenuEnabled(False)  # right-click gives the panel's export menu alone
        plain_numbers(self.plot)
        dark_axes(self.plot)
        axis_pen = pg.mkPen(AXIS_PEN, width=2.2)
        self.plot.addItem(pg.InfiniteLine(0, angle=90, pen=axis_pen))  # the z = 0 axis
        self.plot.addItem(pg.InfiniteLine(0, angle=0, pen=axis_pen))  # the f = 0 axis
        self.legend = self.plot.addLegend(offset=(10, 8), labelTextColor=(30, 30, 30), brush=(255, 255, 255, 220),
                                          pen=(190, 190, 190))
        self.f_curve = self.plot.plot(pen=pg.mkPen(POSITIVE, width=3), name="f(z)")
        self.fp_curve = self.plot.plot(pen=pg.mkPen(NEGATIVE, width=2.2, style=Qt.PenStyle.DashLine), name="f′(z)")
        self.step_curve = self.plot.plot(pen=pg.mkPen((60, 60, 60), width=2.5, style=Qt.PenStyle.DashDotLine))
        self.step_curve.setVisible(False)
        # one item for the points on the curve, coloured per unit (an item per colour would cost a paint call each,
        # most of a redraw with 16 colours), and the rug: a short grey tick under the curve for every z
        self._brushes = np.array([pg.mkBrush(*c, 190) for c in UNIT_COLOURS], dtype=object)
        self.dots = pg.ScatterPlotItem(size=8, pen=pg.mkPen(255, 255, 255, 200, width=0.8))
        self.dots.setZValue(5)
        self.dot_points = StyledPoints(self.dots)  # moved in place while their colours stay (see fastplot)
        self.rug = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(110, 110, 110, width=1))
        for item in (self.dots, self.rug):
            self.plot.addItem(item)
        self.chosen = pg.ScatterPlotItem(size=12, pen=pg.mkPen(0, 0, 0, width=2), brush=None)
        self.chosen.setZValue(6)
        self.plot.addItem(self.chosen)
        yield

        self.status = QLabel("No network yet.")
        self.status.setObjectName("activationStatusLabel")
        self.status.setAccessibleName("Saturation summary")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(3)
        layout.addLayout(top)
        layout.addWidget(self.formula)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.status)
        self.adopt_plot(self.plot)
        context.dataChanged.connect(self._data_changed)
        context.selectionChanged.connect(lambda _sel: self._throttle.request())

    # -- public --------------------------------------------------------------------------------------------------------
    def set_snapshot(self, snap: Snapshot) -> None:
        super().set_snapshot(snap)
        if tuple(snap.layers) != self._layers:
            self._fill_combo(snap)
        self._throttle.request()

    def finish(self) -> None:
        self._throttle.flush()

    def draw_pending(self) -> None:
        self._throttle.flush()

    def set_compare_step(self, on: bool) -> None:
        """Show or hide the step function beside the curve (the lesson on step versus sigmoid ticks it)."""
        self.step_check.setChecked(bool(on))

    def current_layer(self) -> int:
        return max(self.layer_combo.currentIndex(), 0)

    def curve_data(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(z grid, f, f′) as drawn. For softmax, f is unit 0's output with the other units' z held at 0."""
        self.finish()
        return self._curve

    def point_data(self) -> tuple[np.ndarray, np.ndarray]:
        """(z, f(z)) of the points drawn, each (samples, units) like the first rows of ``snapshot.layer_z[layer]``
        (all of them unless units × samples exceeds MAX_POINTS; NaN for values off the plot); read back from the
        scatter items."""
        self.finish()
        n_samples, n_units = self._drawn_shape()
        zs, fs = np.full(n_samples * n_units, np.nan), np.full(n_samples * n_units, np.nan)
        if n_samples and n_units and len(self._on) == zs.size:  # drawn unit by unit: unit 0's samples, then 1's...
            x, y = self.dots.getData()
            zs[self._on], fs[self._on] = x, y
        return zs.reshape(n_units, n_samples).T, fs.reshape(n_units, n_samples).T

    def csv_table(self) -> tuple[list[str], list[list]]:
        """The chosen layer's last-batch values: one row per unit and sample (the sample's row in that batch)."""
        header = ["unit", "sample", "z", "f(z)", "f'(z)"]
        Z, A = self._points
        if self.snapshot is not None and Z.size:
            fp = self._activation().derivative(Z, A)
            return header, [[u, s, float(Z[s, u]), float(A[s, u]), float(fp[s, u])]
                            for u in range(Z.shape[1]) for s in range(Z.shape[0])]
        return header, []

    # -- building ------------------------------------------------------------------------------------------------------
    def _fill_combo(self, snap: Snapshot) -> None:
        self._layers = tuple(snap.layers)
        keep = self.layer_combo.currentIndex()
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        last = len(snap.layers) - 1
        for k, spec in enumerate(snap.layers):
            units = f"{spec.units} unit{'s' if spec.units != 1 else ''}"
            self.layer_combo.addItem(f"Layer {k + 1} ({spec.activation}, {units}{', output' if k == last else ''})")
        self.layer_combo.setCurrentIndex(keep if 0 <= keep <= last else 0)
        self.layer_combo.blockSignals(False)
        self._range = None

    def _data_changed(self) -> None:
        """Another network or dataset: its layers and values are not the old ones. Cleared until its first snapshot."""
        self.snapshot = None
        self._layers = ()
        self._range = None
        self._points = (np.zeros((0, 0)), np.zeros((0, 0)))
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        self.layer_combo.blockSignals(False)
        self.dot_points.clear()
        for item in (self.rug, self.chosen):
            item.setData([], [])
        self._on = np.zeros(0, dtype=bool)
        self.status.setText("No network yet.")

    def _layer_chosen(self, _index: int) -> None:
        self._range = None
        self._throttle.request()
        self.finish()

    def _step_toggled(self, on: bool) -> None:
        self.step_curve.setVisible(on)
        if on:
            self.legend.addItem(self.step_curve, "step(z)")
        else:
            self.legend.removeItem(self.step_curve)
        self._range = None  # the y range makes room for the step's 0 and 1
        self._throttle.request()

    def _activation(self) -> activations.Activation:
        return activations.get(self.snapshot.layers[self.current_layer()].activation)

    # -- drawing -------------------------------------------------------------------------------------------------------
    def _redraw(self) -> None:
        with np.errstate(all="ignore"):  # a diverged batch: f(inf), f′(NaN) are what they are
            self._draw()

    def _draw(self) -> None:
        snap = self.snapshot
        if snap is None or not snap.layers:
            return
        k = self.current_layer()
        act = self._activation()
        n_units = snap.layers[k].units
        Z = np.asarray(snap.layer_z[k], dtype=np.float64) if k < len(snap.layer_z) else np.zeros((0, n_units))
        A = act.forward(Z) if Z.size else Z
        self._points = (Z, A)
        self._update_curve(act, Z, n_units)
        self._update_points(Z, A, k)
        loss = self.context.experiment.loss if self.context.experiment is not None else None
        fused = k == len(snap.layers) - 1 and loss is not None and losses.get(loss).fuses_with == act.name
        if Z.size:
            with np.errstate(all="ignore"):  # a diverged batch: inf and NaN count as what they are, never raise
                status = slope_status(act.name, Z, A, act.derivative(Z, A), fused)
            self.status.setText(status + self._off_plot(Z, A))
        else:
            self.status.setText("No batch yet: train one update to see where the neurons sit on the curve.")
        if act.name == "softmax":
            self.formula.setText(f"<b>f</b>: {act.formula} — it couples the units of a sample, so the curve shows "
                                 "one unit with the others' z at 0 and the points are the real outputs.<br>"
                                 f"<b>f′</b>: the diagonal slope ∂aₖ/∂zₖ = aₖ(1 − aₖ) (in full: "
                                 f"{act.derivative_formula})")
        else:
            self.formula.setText(f"<b>f</b>: {act.formula} &nbsp;&nbsp; <b>f′</b>: {act.derivative_formula}")

    def _off_plot(self, Z: np.ndarray, A: np.ndarray) -> str:
        """"; 3 values of z lie off the plot (z up to 1.2e+42)" when some drawn points cannot be shown, else ""."""
        if self._range is None:
            return ""
        n_samples, _ = self._drawn_shape()
        z, a = Z[:n_samples], A[:n_samples]
        off = ~inside(z, a, self._box())
        if not off.any():
            return ""
        far = z[off]
        worst = far[np.isfinite(far)]
        peak = f" (z up to {fmt(worst[np.argmax(np.abs(worst))])})" if worst.size else " (z is not a number)"
        return f"; {count(int(off.sum()))} value{'s' if off.sum() != 1 else ''} of z lie off the plot{peak}"

    def _box(self):
        (x0, x1), (y0, y1) = self.plot.getViewBox().viewRange()
        return box_around((x0, x1), (y0, y1))

    def _update_curve(self, act, Z: np.ndarray, n_units: int) -> None:
        lo, hi = act.plot_range
        z = Z[sane(Z)] if Z.size else Z
        if z.size:  # the finite values within ±LIMIT; the axis itself stops at ±Z_LIMIT
            zmin, zmax = max(float(z.min()), -Z_LIMIT), min(float(z.max()), Z_LIMIT)
            margin = 0.08 * max(zmax - zmin, hi - lo)
            lo, hi = min(lo, zmin - margin), max(hi, zmax + margin)
        lo, hi = max(nice_bound(lo, up=False), -Z_LIMIT), min(nice_bound(hi, up=True), Z_LIMIT)
        if self.context.training and self._range is not None and self._curve[0].size:
            lo, hi = steady_range(self._range, (lo, hi))
        if (lo, hi) == self._range and self._curve[0].size:
            return
        self._range = (lo, hi)
        z = sorted_unique(np.r_[np.linspace(lo, hi, GRID_POINTS), 0.0])  # 0 exactly: the step and relu corners
        if act.name == "softmax":  # unit 0 with the other units' z held at 0
            a = act.forward(np.column_stack([z, np.zeros((len(z), max(n_units, 2) - 1))]))[:, 0]
        else:
            a = act.forward(z)
        fp = act.derivative(z, a)
        self._curve = (z, a, fp)
        self.f_curve.setData(z, a, skipFiniteCheck=True)
        self.fp_curve.setData(z, fp, skipFiniteCheck=True)
        self.step_curve.setData(z, STEP.forward(z), skipFiniteCheck=True)
        ys = np.concatenate([a, fp, [0.0, 1.0] if self.step_check.isChecked() else [0.0]])
        ylo, yhi = float(np.min(ys)), float(np.max(ys))
        span = max(yhi - ylo, 1e-9)
        self._rug_y, self._rug_h = ylo - 0.09 * span, 0.05 * span
        self.plot.setRange(xRange=(lo, hi), yRange=(self._rug_y - 0.06 * span, yhi + 0.06 * span), padding=0)

    def _drawn_shape(self) -> tuple[int, int]:
        Z, _ = self._points
        n_samples, n_units = Z.shape if Z.ndim == 2 else (0, 0)
        return min(n_samples, max(4, MAX_POINTS // max(n_units, 1))), n_units

    def _update_points(self, Z: np.ndarray, A: np.ndarray, k: int) -> None:
        """Each unit's (z, f(z)) as a dot and a rug mark; values off the plot (a diverged batch) are left out."""
        n_samples, n_units = self._drawn_shape()
        Z, A = Z[:n_samples], A[:n_samples]
        box = self._box()
        x, y = Z.T.ravel(), A.T.ravel()
        colour = np.repeat(np.arange(n_units) % len(UNIT_COLOURS), n_samples)
        on = self._on = inside(x, y, box)
        self.dot_points.set(x[on], y[on], colour[on], self._brushes)
        xr = self._rug_columns(x[on])
        self.rug.setData(np.repeat(xr, 2), np.tile(self._rug_y + np.array([-0.5, 0.5]) * self._rug_h, len(xr)),
                         skipFiniteCheck=True)
        unit = self._selected_unit(k)
        if unit is not None and unit < n_units and n_samples:
            zs, fs = Z[:, unit], A[:, unit]
            chosen = inside(zs, fs, box)
            self.chosen.setData(zs[chosen], fs[chosen])
        else:
            self.chosen.setData([], [])

    def _rug_columns(self, x: np.ndarray) -> np.ndarray:
        """One rug mark per pixel column that holds any of ``x`` (at the column's centre): marks in one column are
        drawn on top of each other, and 2,048 of them were a tenth of a redraw."""
        (x0, x1), _ = self.plot.getViewBox().viewRange()
        pixels = self.plot.getViewBox().width()
        if x.size < 2 or pixels < 1 or not x1 > x0:
            return x
        step = (x1 - x0) / pixels
        return x0 + step * sorted_unique(np.floor((x - x0) / step)) + step / 2

    def _selected_unit(self, layer: int) -> int | None:
        """The unit of ``layer`` whose weight or bias is selected in the shared context, if any."""
        sel, snap = self.context.selection, self.snapshot
        if sel is None:
            return None
        i = 0
        for k, spec in enumerate(snap.layers):
            w_index, b_index = i, (i + 1 if spec.bias else None)
            i += 2 if spec.bias else 1
            if k == layer and sel[0] == w_index:
                return sel[1] % spec.units
            if k == layer and sel[0] == b_index:
                return sel[1]
        return None


if __name__ == "__main__":
    from nnstudio.qt.panels.base import show_demo

    show_demo(ActivationPanel, "gender-network", 300, (700, 500), lambda p: p.set_compare_step(True))
