"""The weights panel's lower half: recorded weights against the update number.

Small networks record every weight at every update (the perceptron lesson's "weights as a function of the epoch");
bigger ones record an evenly spaced sample, and the weight the learner selected is followed along the coarse full
path when it is not one of them. Curves are made once per network shape and then only get new data.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QSizePolicy

from nnstudio.numbers import count, fmt
from nnstudio.qt.panels.bounds import LIMIT, bounded_line, sane
from nnstudio.qt.panels.colormaps import UNIT_COLOURS, dark_axes, light_grid, plain_numbers, thin_indices
from nnstudio.qt.panels.fastplot import FollowedRange, Polylines, line_connect
from nnstudio.qt.panels.thinning import sorted_unique
from nnstudio.training.trainer import Snapshot

POINT_BUDGET = 24_000  # points over all curves; each curve keeps between 200 and 2000 (48 sampled weights of a
#   784-128-10 network: 500 each, about one a pixel; 100,000 points cost 8-10 ms of every redraw in paths alone)
PER_PIXEL = 2  # points per pixel column of the plot at most, per curve
MAX_SEPARATE = 12  # up to this many curves get their own colour and legend entry; more are drawn faint, grouped
PICK_PIXELS = 8  # hover / click reach around a curve
DENSE = 300  # the selected weight's wide line goes through at most this many points (Qt strokes lines wider
#   than 1 px some 40 times slower); the other curves are 1 px and keep all theirs


def parameter_label(names, shapes, param: int, flat: int) -> str:
    """"W1[0,2]" or "b1[2]" for a flat index within parameter ``param``."""
    idx = np.unravel_index(flat, shapes[param])
    return f"{names[param]}[{','.join(str(int(i)) for i in idx)}]"


def global_to_local(shapes, g: int) -> tuple[int, int]:
    """(parameter index, flat index within it) of a position in the concatenated weight vector."""
    for p, shape in enumerate(shapes):
        size = int(np.prod(shape))
        if g < size:
            return p, g
        g -= size
    raise IndexError("weight index out of range")


def local_to_global(shapes, param: int, flat: int) -> int:
    return int(sum(int(np.prod(s)) for s in shapes[:param]) + flat)


def set_line(curve: pg.PlotDataItem | pg.PlotCurveItem, x, y, connect=None) -> tuple[np.ndarray, np.ndarray]:
    """Hand a curve its points, leaving out (and breaking the line at) values that are not finite or beyond ±LIMIT:
    a weight of 1e300 after a divergence is off the chart, not a coordinate for Qt. ``connect`` (one per point) breaks
    the line between curves drawn as one item. Returns the points handed over."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if connect is None:
        xs, ys, joined = bounded_line(x, y)
    else:
        keep = sane(x) & sane(y)
        idx = np.flatnonzero(keep)
        joined = np.zeros(len(idx), dtype=bool)
        if len(idx) > 1:
            joined[:-1] = (np.diff(idx) == 1) & np.asarray(connect, dtype=bool)[idx[:-1]]
        xs, ys = x[idx], y[idx]
    curve.setData(xs, ys, connect=line_connect(joined) if len(xs) else "all", skipFiniteCheck=True)
    return xs, ys


def all_sane(values: np.ndarray) -> bool:
    """Whether every value is finite and within ±LIMIT, from two reductions (NaN makes them NaN): far cheaper than
    ``sane`` over the whole history, which makes a float64 copy and three masks of it at every redraw."""
    lo, hi = float(np.min(values)), float(np.max(values))
    return -LIMIT <= lo and hi <= LIMIT  # (False for NaN)


def left_the_plot(x: np.ndarray, values: np.ndarray) -> list[str]:
    """A line saying where the recorded weights first could not be drawn (not finite, or beyond ±LIMIT), if anywhere;
    found in the recorded values, so thinning never hides it."""
    if not values.size or all_sane(values):
        return []
    bad = np.flatnonzero(~sane(values).all(axis=1))
    if not bad.size:
        return []
    later = values[bad[0]:]
    finite = np.abs(later[np.isfinite(later)])
    reach = f" (they reach {fmt(finite.max())})" if finite.size else " (they are not numbers)"
    return [f"weights left the plot at update {count(x[bad[0]])}{reach}"]


class WeightHistory:
    """Owns the history plot (``widget``, a GraphicsLayoutWidget, and ``plot``, its PlotItem) with the legend to the
    right of the data, where it hides no curve; ``pick(scene_pos)`` names the curve under the mouse."""

    def __init__(self):
        self.widget = pg.GraphicsLayoutWidget()
        self.widget.setBackground("w")
        self.widget.setObjectName("weightsHistoryPlot")
        self.widget.setAccessibleName("Weight history")
        self.widget.setToolTip("Each recorded weight against the update number; click a curve to select that weight")
        # right-click gives the panel's export menu, not pyqtgraph's (the "A" button resets zoom)
        self.plot = self.widget.addPlot(row=0, col=0, enableMenu=False)
        self.plot.setLabel("left", "weight value")
        self.plot.setLabel("bottom", "update (parameter changes so far)")
        light_grid(self.plot)
        plain_numbers(self.plot)
        dark_axes(self.plot)
        self.legend = pg.LegendItem(labelTextSize="8pt", verSpacing=-5, labelTextColor=(30, 30, 30))
        self.legend.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.plot.layout.addItem(self.legend, 2, 5)  # beside the right axis, as ColorBarItem places itself
        self.plot.layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignTop)
        self.plot.layout.setColumnFixedWidth(4, 6)
        self.zero_line = pg.InfiniteLine(0, angle=0, pen=pg.mkPen((120, 120, 120), width=1))
        self.plot.addItem(self.zero_line)
        self.note = pg.TextItem("", color=(60, 60, 60), anchor=(0, 0), fill=(255, 255, 255, 215))
        self.note.setParentItem(self.plot.vb)
        self.note.setPos(6, 4)
        self.curves: list[pg.PlotDataItem] = []
        self.labels: list[str] = []
        self.columns = np.zeros(0, np.int64)  # global weight index of each curve
        self.extra = self.plot.plot(pen=pg.mkPen((0, 0, 0), width=3.5, style=pg.QtCore.Qt.PenStyle.DashLine))
        self.extra.setZValue(20)
        self.extra_label = ""
        self.selected_curve = self.plot.plot()  # many-curve mode: the selected weight drawn again, thick
        self.selected_curve.setZValue(10)
        self.groups: list[pg.PlotDataItem] = []
        self.params = np.zeros(0, np.int64)
        self._signature = None
        self._styled_for: int | None = -1
        self._legend_extra = ""
        self._selected: int | None = None  # global index
        self._data: tuple[np.ndarray, dict[str, np.ndarray]] = (np.zeros(0), {})
        self._bounds = None  # ((x0, x1), (y0, y1)) of the points drawn
        self._fitted = False  # the range was fitted to this network's curves (then it follows them)
        self.range = FollowedRange(self.plot, lambda: self._bounds)

    # -- building ------------------------------------------------------------------------------------------------------
    def clear(self) -> None:
        """Nothing on show (another network is coming): no curves, no legend, no selected weight."""
        self._drop_items()
        self.columns, self.labels, self.params = np.zeros(0, np.int64), [], np.zeros(0, np.int64)
        self._signature, self._selected = None, None
        self._data = (np.zeros(0), {})
        for item in (self.extra, self.selected_curve):
            item.setData([], [])
        self.extra_label = ""
        self.note.setText("")
        self._legend_changed()
        self._bounds, self._fitted = None, False

    def _drop_items(self) -> None:
        for item in (*self.curves, *self.groups):
            self.plot.removeItem(item)
        self.curves, self.groups = [], []
        self.legend.clear()
        self._legend_extra = ""
        self._styled_for = -1

    def _rebuild(self, snap: Snapshot) -> None:
        self._drop_items()
        shapes = [w.shape for w in snap.weights]
        self.columns = np.asarray(snap.tracked, dtype=np.int64)
        self.labels = [parameter_label(snap.parameter_names, shapes, *global_to_local(shapes, int(g)))
                       for g in self.columns]
        self.params = np.array([global_to_local(shapes, int(g))[0] for g in self.columns], dtype=np.int64)
        n = len(self.columns)
        self.curves, self.groups = [], []
        if n <= MAX_SEPARATE:  # one item per weight, each its own colour, all named in the legend
            for k in range(n):
                curve = self.plot.plot()
                curve.colour = UNIT_COLOURS[k % len(UNIT_COLOURS)]
                self.curves.append(curve)
            self.legend.setColumnCount(1 if n <= 6 else 2)
            for curve, label in zip(self.curves, self.labels):
                self.legend.addItem(curve, label)
        else:  # one faint item per parameter (W1, b1, ...) holding all its curves: far cheaper to update and paint
            for p in sorted_unique(self.params):
                group = Polylines(pen=pg.mkPen((*UNIT_COLOURS[p % len(UNIT_COLOURS)], 110), width=1),
                                  antialias=False)
                self.plot.addItem(group)
                group.columns = np.flatnonzero(self.params == p)
                self.groups.append(group)
        self._legend_changed()
        self._fitted = False

    def _legend_changed(self) -> None:
        """Show the legend only with entries, and let the plot's layout re-place it (it resizes itself)."""
        self.legend.setVisible(bool(self.legend.items))
        self.plot.layout.invalidate()

    def _style(self) -> None:
        """The selected weight's curve thick and on top; restyled only when the selection changes."""
        if self._styled_for == self._selected:
            return
        self._styled_for = self._selected
        for g, curve in zip(self.columns, self.curves):
            chosen = self._selected == int(g)
            curve.setPen(pg.mkPen(curve.colour, width=3.5 if chosen else 1))  # see DENSE
            curve.setZValue(10 if chosen else 0)
        if self.groups:  # the thick copy of the selected curve, named in the legend
            self.legend.removeItem(self.selected_curve)
            k = self._selected_column()
            if k is not None:
                self.legend.addItem(self.selected_curve, self.labels[k])
            self._legend_changed()

    def _selected_column(self) -> int | None:
        hits = np.flatnonzero(self.columns == self._selected) if self._selected is not None else []
        return int(hits[0]) if len(hits) else None

    # -- data ----------------------------------------------------------------------------------------------------------
    def update(self, snap: Snapshot, selection: tuple[int, int] | None) -> None:
        shapes = [w.shape for w in snap.weights]
        signature = (tuple(shapes), tuple(int(t) for t in snap.tracked))
        if signature != self._signature:
            self._signature = signature
            self._rebuild(snap)
        self._selected = local_to_global(shapes, *selection) if selection is not None else None
        self._style()
        x_all, values = snap.weight_x, snap.weight_values
        if values.shape[0] == 0:
            values = np.zeros((0, len(self.columns)))
        keep = thin_indices(len(x_all), self.points_per_curve())
        # only the rows drawn become float64 (the history holds up to 4,096)
        x, kept = x_all[keep].astype(np.float64), values[keep].astype(np.float64)
        self._data = (x, {label: kept[:, k] for k, label in enumerate(self.labels)})
        drawn = []
        for k, curve in enumerate(self.curves):
            if self._selected == int(self.columns[k]) and len(x) > DENSE:  # a wide line: fewer points (see DENSE)
                few = thin_indices(len(x), DENSE)
                drawn.append(set_line(curve, x[few], kept[few, k]))
            else:
                drawn.append(set_line(curve, x, kept[:, k]))
        for group in self.groups:  # all curves of a parameter as one path, broken between curves
            m = len(group.columns)
            connect = np.ones(m * len(x), dtype=bool)
            connect[len(x) - 1::max(len(x), 1)] = False
            drawn.append(set_line(group, np.tile(x, m), kept[:, group.columns].T.ravel(), connect))
        k = self._selected_column()
        if self.groups and k is not None:
            self.selected_curve.setPen(pg.mkPen((20, 20, 20), width=3.5))
            few = thin_indices(len(x), DENSE)
            drawn.append(set_line(self.selected_curve, x[few], kept[few, k]))
        else:
            self.selected_curve.setData([], [])
        drawn.append(self._follow_untracked(snap, shapes, selection))
        self._set_range(drawn)
        total = sum(int(np.prod(s)) for s in shapes)
        if len(self.columns) == total:
            lines = [] if len(x) else ["no updates yet"]
        else:
            lines = [f"{count(len(self.columns))} of {count(total)} weights recorded;",
                     "click a cell to follow another"]
        self.set_note("\n".join(lines + left_the_plot(x_all, values)))

    def set_note(self, text: str) -> None:
        """The note over the plot (a TextItem lays its text out again at every setText, even the same text)."""
        if self.note.toPlainText() != text:
            self.note.setText(text)

    def points_per_curve(self) -> int:
        """Points each recorded curve keeps: its share of ``POINT_BUDGET`` (200 to 2,000), and at most two per pixel
        column of the plot (more cost drawing time and show nothing more)."""
        share = int(np.clip(POINT_BUDGET // max(len(self.columns), 1), 200, 2000))
        width = int(self.plot.vb.width())
        return min(share, PER_PIXEL * width) if width >= 50 else share

    def _set_range(self, drawn: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """Fit the range to the points drawn the first time, then follow them (``FollowedRange``)."""
        drawn = [(xs, ys) for xs, ys in drawn if len(xs)]
        if not drawn:
            self._bounds = None
            return
        self._bounds = ((min(float(xs[0]) for xs, _ in drawn), max(float(xs[-1]) for xs, _ in drawn)),
                        (min(float(ys.min()) for _, ys in drawn), max(float(ys.max()) for _, ys in drawn)))
        (x0, x1), (y0, y1) = self._bounds
        if x1 <= x0:
            self._bounds = ((x0 - 0.5, x1 + 0.5), self._bounds[1])
        if y1 <= y0:
            self._bounds = (self._bounds[0], (y0 - 0.5, y1 + 0.5))
        if not self._fitted:
            self._fitted = self.range.fit()
        else:
            self.range.follow()

    def _follow_untracked(self, snap: Snapshot, shapes, selection) -> tuple[np.ndarray, np.ndarray]:
        """The selected weight from the coarse full path when it is not recorded at every update; returns the points
        drawn."""
        self.extra_label = ""
        if selection is None or self._selected_column() is not None or snap.path_x is None:
            self.extra.setData([], [])
            if self._legend_extra:
                self.legend.removeItem(self.extra)
                self._legend_extra = ""
                self._legend_changed()
            return np.zeros(0), np.zeros(0)
        xs, path = snap.training_path()
        xs, y = np.asarray(xs, dtype=np.float64), np.asarray(path[:, self._selected], dtype=np.float64)
        name = parameter_label(snap.parameter_names, shapes, *selection)
        if snap.followed_index == self._selected and snap.followed_x is not None and len(snap.followed_x):
            # recorded at every update since it was selected; before that, the coarse path
            fx = np.asarray(snap.followed_x, dtype=np.float64)
            before = xs < fx[0]
            xs = np.r_[xs[before], fx, float(snap.step)]
            y = np.r_[y[before], np.asarray(snap.followed_values, dtype=np.float64), y[-1]]
            self.extra_label = name + " · every update"
        else:
            self.extra_label = name + " · coarse path"
        few = thin_indices(len(xs), DENSE)  # a wide line (see DENSE); the data export keeps every point
        drawn = set_line(self.extra, xs[few], y[few])
        self._data[1][self.extra_label] = y
        if self._legend_extra != self.extra_label:
            self.legend.removeItem(self.extra)
            self.legend.addItem(self.extra, self.extra_label)
            self._legend_extra = self.extra_label
            self._legend_changed()
        return drawn

    def arrays(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """(x, {label: y}) of the curves drawn (the coarse-path curve has its own x; see ``extra``)."""
        return self._data

    # -- picking -------------------------------------------------------------------------------------------------------
    def pick(self, scene_pos: QPointF) -> tuple[int, float, float] | None:
        """(global weight index, update, value) of the curve nearest the mouse, if within a few pixels."""
        vb = self.plot.vb
        if not vb.sceneBoundingRect().contains(scene_pos) or not len(self.columns):
            return None
        x, data = self._data
        if len(x) == 0:
            return None
        p = vb.mapSceneToView(scene_pos)
        i = int(np.clip(np.searchsorted(x, p.x()), 0, len(x) - 1))
        ys = np.array([data[label][i] for label in self.labels])
        k = int(np.nanargmin(np.abs(ys - p.y()))) if np.isfinite(ys).any() else 0
        near = vb.mapViewToScene(QPointF(x[i], ys[k]))
        if abs(near.y() - scene_pos.y()) > PICK_PIXELS:
            return None
        return int(self.columns[k]), float(x[i]), float(ys[k])
