"""Cheaper redraws of pyqtgraph items whose style did not change (a redraw while training must cost a few ms).

``ScatterPlotItem.setData`` with a brush per point rebuilds every point's record, maps each brush and looks each
point up in the symbol atlas again: for 2,048 points that is 10-15 ms of the GUI thread. When the points keep their
number and their brushes (a training run: the same batch rows, the same units), only their positions change, and
those the item reads afresh at every paint.

``FollowedRange`` keeps a growing curve in view without pyqtgraph's auto range, which set a new range (new ticks, a
new grid, every item repainted) at every redraw; ``Polylines`` and ``line_connect`` hand Qt a curve's path as
polygons rather than the byte stream pyqtgraph makes for a line with breaks.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QPainterPath


class StyledPoints:
    """Gives one ScatterPlotItem points with a brush each, restyling them only when the brushes change."""

    def __init__(self, item: pg.ScatterPlotItem):
        self.item = item
        self._styles: np.ndarray | None = None  # the style key of each point last styled
        self.restyled = 0  # how many times the points were made anew (for tests)

    def set(self, x: np.ndarray, y: np.ndarray, styles: np.ndarray, brushes: np.ndarray) -> None:
        """Points at (x, y), point i in ``brushes[styles[i]]``."""
        item = self.item
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        styles = np.asarray(styles)
        if self._styles is not None and len(item.data) == len(x) and np.array_equal(styles, self._styles):
            item.data["x"], item.data["y"] = x, y  # what addPoints does after it made the records
            item.prepareGeometryChange()
            item.informViewBoundsChanged()
            item.bounds = [None, None]
            item.invalidate()
            item.sigPlotChanged.emit(item)
            return
        item.setData(x, y, brush=brushes[styles])
        self._styles = styles.copy()
        self.restyled += 1

    def clear(self) -> None:
        self.item.setData([], [])
        self._styles = None


Bounds = tuple[tuple[float, float], tuple[float, float]]  # ((x0, x1), (y0, y1)) in the axes' own scale


class FollowedRange:
    """A live plot's range, set here from its data and changed only when the data leaves it or fills too little of it.

    pyqtgraph's auto range fits the range to the data at every redraw in which the data grew (the loss per update grows
    at every redraw), and a new range costs the plot its axes' tick values and labels, its grid and a repaint of every
    item: most of a curve plot's redraw. Here a side the data crossed gets ``HEADROOM`` of the span beyond it, so a
    growing curve moves the range a few times a run instead of at every redraw; a curve that shrank well inside
    (under ``FILL`` of the range) is fitted again. ``bounds()`` gives the data's extent in the axes' own scale (log10
    on a log axis), from finite values only, or None when there is nothing to show.

    As with pyqtgraph's own auto range, the learner's zoom or pan stops the following; the plot's "A" button fits the
    data and follows it again."""

    MARGIN = 0.02  # of the data's span on each side (pyqtgraph's padding)
    # and on a vertical axis at least this many pixels: pyqtgraph drops a tick's label that would stick out of the
    # plot, so a curve at a tick (an accuracy of 1) would lie on the top edge with no number beside it
    PIXELS = 8
    HEADROOM = 0.1  # of the data's span beyond a side the data crossed
    FILL = 0.6  # the data filling less of the range than this (on an axis) fits it again

    def __init__(self, plot_item: pg.PlotItem, bounds):
        self.item, self.vb, self.bounds = plot_item, plot_item.getViewBox(), bounds
        self.following = False
        self.changes = 0  # ranges set here (for tests)
        self.vb.disableAutoRange()
        self.vb.sigRangeChangedManually.connect(self.stop)
        self.vb.sigResized.connect(self._on_resized)
        button = plot_item.autoBtn
        if button is not None:
            button.clicked.disconnect(plot_item.autoBtnClicked)
            button.clicked.connect(self._button)
            plot_item.updateButtons = self._update_button

    def stop(self, *_) -> None:
        """Leave the range as it is (the learner's zoom, or a frame set by the owner)."""
        self.following = False
        self.item.updateButtons()

    def fit(self) -> bool:
        """Fit the range to the data (margins only) and follow it from now on; False when there is no data."""
        return self._set(fit=True)

    def follow(self) -> bool:
        """Keep the data in view (call after each change of the data); True when the range changed."""
        return self.following and self._set(fit=False)

    def _set(self, fit: bool) -> bool:
        bounds = self.bounds()
        if bounds is None:
            return False
        self.following = True
        ranges = {}
        margins = (self.MARGIN, self.margin_for(self.vb.height()))
        for axis, (lo, hi), (a, b), margin in zip(("xRange", "yRange"), bounds, self.vb.viewRange(), margins):
            new = self._axis(lo, hi, a, b, fit, margin)
            if new is not None:
                ranges[axis] = new
        if ranges:
            self.vb.setRange(**ranges, padding=0)
            self.changes += 1
        self.item.updateButtons()
        return bool(ranges)

    def _on_resized(self, *_) -> None:
        """The vertical margins are pixels (``PIXELS``): a plot resized while following has them worked out again
        (the horizontal range stays as it is)."""
        if not self.following:
            return
        bounds = self.bounds()
        if bounds is None:
            return
        (lo, hi), (a, b) = bounds[1], self.vb.viewRange()[1]
        new = self._axis(lo, hi, a, b, True, self.margin_for(self.vb.height()))
        if new is not None and (abs(new[0] - a) > 1e-12 * max(abs(a), 1) or abs(new[1] - b) > 1e-12 * max(abs(b), 1)):
            self.vb.setRange(yRange=new, padding=0)
            self.changes += 1

    def margin_for(self, pixels: float) -> float:
        """The margin, as a share of the data's span, that leaves ``PIXELS`` on each side of an axis that long (the
        plain ``MARGIN`` for a plot too small to tell, or not laid out yet)."""
        if not pixels > 4 * self.PIXELS:
            return self.MARGIN
        p = self.PIXELS / pixels  # of the range; the range is the span and two margins
        return max(self.MARGIN, p / (1 - 2 * p))

    def _axis(self, lo: float, hi: float, a: float, b: float, fit: bool, margin: float) -> tuple[float, float] | None:
        """The new range of one axis for data over [lo, hi] shown over [a, b], or None to keep it."""
        span = hi - lo if hi > lo else 1.0
        below, above = lo < a, hi > b
        if not (fit or below or above or span < self.FILL * (b - a)):
            return None
        grow = not fit and (below or above)
        return (lo - span * (margin + (self.HEADROOM if grow and below else 0.0)),
                hi + span * (margin + (self.HEADROOM if grow and above else 0.0)))

    def _button(self, *_) -> None:
        self.fit()

    def _update_button(self) -> None:
        """pyqtgraph's "A" button, shown under the mouse while the range is not following the data."""
        item = self.item
        try:
            shown = item._exportOpts is False and item.mouseHovering and not item.buttonsHidden and not self.following
            item.autoBtn.setVisible(shown)
        except RuntimeError:  # the plot was deleted
            pass


def line_connect(connect: np.ndarray):
    """pyqtgraph's ``connect`` for a polyline: "all" when every point joins the next (its path is then one polygon,
    which Qt reads directly), else the array (a byte stream Qt decodes point by point, ten times slower)."""
    connect = np.asarray(connect, dtype=bool)
    return "all" if connect[:-1].all() else connect


class Polylines(pg.PlotCurveItem):
    """One item holding many polylines (all the recorded curves of a parameter), broken where ``connect`` is false.
    pyqtgraph makes the path of a ``connect`` array through a byte stream that Qt decodes point by point (2 ms for
    20,000 points); here each unbroken run is one polygon, which Qt takes as it is (five times faster). A line
    broken in many places (a run that diverged) goes pyqtgraph's way."""

    MAX_RUNS = 512

    def generatePath(self, x, y):
        connect = self.opts["connect"]
        if not isinstance(connect, np.ndarray) or len(x) < 2:
            return super().generatePath(x, y)
        breaks = np.flatnonzero(~np.asarray(connect[:-1], dtype=bool)) + 1
        if len(breaks) > self.MAX_RUNS:
            return super().generatePath(x, y)
        starts, ends = np.r_[0, breaks], np.r_[breaks, len(x)]
        path = QPainterPath()
        path.reserve(len(x))
        polygon = pg.functions.create_qpolygonf(int((ends - starts).max()))
        for s, e in zip(starts.tolist(), ends.tolist()):
            if e - s < 2:
                continue
            polygon.resize(e - s)
            points = pg.functions.ndarray_from_qpolygonf(polygon)  # (after the resize: its memory may have moved)
            points[:, 0] = x[s:e]
            points[:, 1] = y[s:e]
            path.addPolygon(polygon)
        return path
