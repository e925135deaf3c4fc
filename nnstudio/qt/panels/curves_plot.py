"""One plot of the curves panel: a pyqtgraph plot with plain log axes and a text legend above it, whose range is set
from the points it was handed (or a tidy empty frame), never left over from other data or other axes."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from nnstudio.qt.panels.bounds import sane_range
from nnstudio.qt.panels.colormaps import light_grid, plain_numbers
from nnstudio.qt.panels.fastplot import Bounds, FollowedRange
from nnstudio.qt.panels.ticks import PlainLogAxis

FRAME = ((0.0, 10.0), (0.0, 1.0))  # the tidy empty frame: x 0..10, y 0..1 (1..10 on a log axis)
LOG_FRAME_X = (0.0, 2.0)  # on a log x axis: 1..100


class CurvePlot:
    """One pyqtgraph plot with a text legend above it (a legend outside the axes never hides a curve). Its range is
    always set from the finite points it was handed (or a tidy empty frame), never left over from other data or
    other axes: pyqtgraph keeps a range when it has nothing to fit, and on a log axis a leftover linear range of 1e304
    became 1e304 decades."""

    def __init__(self, panel, name: str, accessible: str):
        self.widget = QWidget()
        self.legend = QLabel()
        self.legend.setObjectName(f"{name}Legend")
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.plot = pg.PlotWidget(background="w", enableMenu=False,
                                  axisItems={"left": PlainLogAxis("left"), "bottom": PlainLogAxis("bottom")})
        self.plot.setObjectName(name)
        self.plot.setAccessibleName(accessible)
        light_grid(self.plot)
        self.plot.setMinimumHeight(110)
        plain_numbers(self.plot)
        for action in self.plot.scene().contextMenu:  # pyqtgraph's own "Export..." (replaced by the panel's)
            action.setObjectName(f"{name}PyqtgraphExport")
        panel.adopt_plot(self.plot)
        layout = QVBoxLayout(self.widget)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.legend)
        layout.addWidget(self.plot, 1)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.drawn: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # key -> (x, y) handed to the plot
        self.given: dict[str, tuple] = {}  # key -> everything last handed to the curve (see set_curve)
        self._axes = None
        self.range = FollowedRange(self.plot.getPlotItem(), self.bounds)
        self._framed = False  # the empty frame is on show (its margins depend on the plot's height: see frame)
        self.plot.getViewBox().sigResized.connect(self._on_resized)
        self.plot.getViewBox().sigRangeChangedManually.connect(self._on_zoomed)
        self.frame()

    def _on_resized(self, *_) -> None:
        if self._framed:
            self.frame()

    def _on_zoomed(self, *_) -> None:
        self._framed = False  # the learner's own range stays, whatever the plot's size

    def curve(self, key: str, pen) -> pg.PlotDataItem:
        if key not in self.curves:
            self.curves[key] = self.plot.plot(pen=pen, antialias=True)
        return self.curves[key]

    def set_axes(self, log_x: bool, log_y: bool, x_label: str, y_label: str) -> bool:
        """Axis modes and titles; a no-op when nothing changed (it runs for every snapshot). True when the axis
        modes changed (the range must then be set again: it meant something else)."""
        modes_changed = self._axes is None or self._axes[:2] != (log_x, log_y)
        if self._axes != (log_x, log_y, x_label, y_label):
            self._axes = (log_x, log_y, x_label, y_label)
            self.plot.setLogMode(x=log_x, y=log_y)
            self.plot.setLabel("bottom", x_label)
            self.plot.setLabel("left", y_label)
        return modes_changed

    def set_curve(self, key: str, colour_pen, x: np.ndarray, y: np.ndarray, connect: np.ndarray, **style) -> bool:
        """Hand curve ``key`` its points and style, unless it has exactly these already (the per-epoch curves
        change once an epoch, the loss at every update: setting a curve again costs its path and its symbols).
        True when the curve was set."""
        old = self.given.get(key)
        if (old is not None and old[3] == (colour_pen, style) and np.array_equal(old[0], x) and np.array_equal(old[1], y)
                and np.array_equal(old[2], connect)):
            return False
        self.curve(key, colour_pen).setData(x, y, connect=connect, skipFiniteCheck=True, **style)
        self.given[key] = (x, y, connect, (colour_pen, style))
        return True

    def clear(self) -> None:
        for c in self.curves.values():
            c.setData([], [])
        self.drawn = {}
        self.given = {}

    def frame(self) -> None:
        """The tidy empty frame, in the axes' own scale, not following any data (with nothing to fit, a range would
        keep whatever was there)."""
        log_x = bool(self._axes and self._axes[0])
        self.range.stop()
        self._framed = True
        (lo, hi), pad = FRAME[1], self.range.margin_for(self.plot.getViewBox().height())  # 0 and 1 keep their numbers
        self.plot.setRange(xRange=LOG_FRAME_X if log_x else FRAME[0], padding=0.02)
        self.plot.setRange(yRange=(lo - pad * (hi - lo), hi + pad * (hi - lo)), padding=0)

    def bounds(self) -> Bounds | None:
        """The extent of the points drawn, in the axes' own scale (finite, within ±LIMIT), or None without points."""
        log_x, log_y = self._axes[:2] if self._axes else (False, False)
        drawn = [xy for xy in self.drawn.values() if len(xy[0])]
        if not drawn:
            return None
        xs = np.concatenate([x for x, _ in drawn])
        ys = np.concatenate([y for _, y in drawn])
        with np.errstate(divide="ignore", invalid="ignore"):
            xs, ys = (np.log10(xs) if log_x else xs), (np.log10(ys) if log_y else ys)
        return sane_range(xs, FRAME[0]), sane_range(ys, FRAME[1])

    def fit(self) -> None:
        """The range of the points drawn, in the axes' own scale, and from then on ranges that follow them as they
        grow (``FollowedRange``: from points that are all finite and within ±LIMIT)."""
        if self.range.fit():
            self._framed = False
        else:
            self.frame()

    def follow(self) -> None:
        """Keep the points drawn in view, unless the learner zoomed or the frame is empty (see ``fit``)."""
        self.range.follow()

    def set_legend(self, html: str) -> None:
        if self.legend.text() != html:
            self.legend.setText(html)
