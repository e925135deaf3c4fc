"""One dense layer in the weights panel: its matrix as a heatmap (rows = inputs, columns = units) with the bias as a
separate strip underneath, a colour bar, and a histogram of the weights.

Colours: orange negative, white zero, blue positive, on a scale symmetric around zero that only grows (to 1, 1.5, 2,
2.5, 3, 4, 5, 6 or 8 times a power of ten), so a colour means the same value all through training until the learner
refits it.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QGraphicsRectItem

from nnstudio.qt.panels.bounds import LIMIT
from nnstudio.qt.panels.colormaps import ColorBar, dark_axes, nice_ceil, plain_numbers, sign_colour

HIST_BINS = 24
HIST_ROOM = 1.15  # the count axis reaches this far above the tallest bar when it is set...
HIST_FILL = 0.8  # ...and is set again when the tallest bar falls below this share of it (or rises above it)
MAX_TICKS = 16  # below this many rows / columns every one gets a tick (labelled when there is room)


def small_font(points: float = 8.0) -> QFont:
    """The application font at a smaller size (made on use: a QFont made before the QApplication has no family)."""
    font = QFont()
    font.setPointSizeF(points)
    return font


def _ticks(n: int, names=None, extra=()) -> list[list[tuple[float, str]]]:
    """[major, minor] ticks at cell centres: three to six labelled cells always (few enough for a narrow heatmap:
    "0 100 200" for 300 units), the others only when they fit (pyqtgraph drops a crowded minor level's text).
    ``extra`` ticks (the bias) join the major level."""
    step = 1 if n <= 6 else int(nice_ceil(n / 4))
    label = (lambda i: names[i]) if names else str
    major = [(i + 0.5, label(i)) for i in range(0, n, step)] + list(extra)
    minor = [(i + 0.5, label(i)) for i in range(n) if i % step] if n <= 4 * MAX_TICKS else []
    return [major, minor]


def symmetric_scale(W: np.ndarray, b: np.ndarray | None) -> float:
    """The nice number just above the largest |value| of a layer's weights and bias (1 when all are 0), at most
    LIMIT: a weight of 1e300 after a divergence makes the scale ±1e15 (its colour bar then says how large the weights
    got) and takes the end colour. NaN does not count (it is drawn transparent). Found by fmin/fmax reductions
    (which skip NaN), without a float64 copy of the weights."""
    ends = [float(reduce(np.ravel(a))) for a in (W, b) if a is not None and np.size(a)
            for reduce in (np.fmin.reduce, np.fmax.reduce)]
    sizes = [abs(v) for v in ends if v == v]  # (NaN only where all were NaN)
    return nice_ceil(min(max(sizes), LIMIT)) if sizes else 1.0


def on_scale(A, scale: float) -> np.ndarray:
    """A clipped to ±scale, in its own float type (float32 weights stay float32: half the work for the image; other
    types become float64). NaN stays NaN and is drawn transparent: no inf or 1e300 reaches the image."""
    A = np.asarray(A)
    return np.clip(A if A.dtype.kind == "f" else A.astype(np.float64), -scale, scale)


def style_plot(plot) -> None:
    """A fixed, quiet plot: dark axes with small numbers, no autoscale button, no pyqtgraph menu."""
    dark_axes(plot)
    for side in ("left", "bottom"):
        plot.getAxis(side).setStyle(tickFont=small_font())
    plain_numbers(plot)
    plot.hideButtons()
    plot.setMenuEnabled(False)


def add_colorbar(plot, images, cmap: pg.ColorMap) -> pg.ColorBarItem:
    bar = ColorBar(values=(-1, 1), colorMap=cmap, interactive=False, width=10, colorMapMenu=False)
    bar.setImageItem(images, insert_in=plot)
    bar.getAxis("right").setWidth(38)
    bar.getAxis("right").setStyle(tickFont=small_font())
    dark_axes(bar, ("right",))
    return bar


def highlight_item() -> QGraphicsRectItem:
    item = QGraphicsRectItem()
    item.setPen(pg.mkPen((0, 0, 0), width=2.5))
    item.setZValue(20)
    item.setVisible(False)
    return item


class LayerView:
    """Plot items of one layer, made once per network shape; ``update(W, b)`` only hands them new arrays.
    Takes three rows of the layout from ``row``: title, heatmap, histogram."""

    def __init__(self, glw: pg.GraphicsLayoutWidget, row: int, col: int, index: int, activation: str,
                 n_in: int, n_out: int, has_bias: bool, cmap: pg.ColorMap, input_names=None, later: bool = False):
        """With ``later`` the plots are not made yet: the caller runs ``parts()`` (a generator, a plot per part)."""
        self.glw, self.row, self.col, self.cmap = glw, row, col, cmap
        self.index, self.n_in, self.n_out, self.has_bias = index, n_in, n_out, has_bias
        self.activation = activation
        self.input_names = list(input_names) if input_names is not None and len(input_names) == n_in else None
        self.scale = 0.0
        self._brushes: list = []
        self._edges = np.zeros(HIST_BINS + 1)
        self._count_ticks: int | None = -1  # the count axis's whole-number ticks (None: pyqtgraph's own)
        if not later:
            for _ in self.parts():
                pass

    def parts(self):
        """The heatmap's plot, its colour bar, the histogram: one part each (each is a pyqtgraph plot)."""
        glw, row, col, cmap = self.glw, self.row, self.col, self.cmap
        n_in, n_out, has_bias = self.n_in, self.n_out, self.has_bias
        k = self.index + 1
        # The title gets its own layout row: as a plot title it would set the width of the heatmap column alone.
        title = f"Layer {k}: W{k}" + (f" and b{k}" if has_bias else "") + f" ({self.activation})"
        self.title = glw.addLabel(title, row=row, col=col, size="9pt", color="#222")
        self.plot = glw.addPlot(row=row + 1, col=col, enableMenu=False)  # (see colormaps.ColorBar)
        style_plot(self.plot)
        vb = self.plot.getViewBox()
        vb.invertY(True)  # row 0 at the top, as a matrix is written
        # the bias strip sits below a gap and is never thinner than a sixteenth of the matrix
        self.gap = max(0.25, 0.02 * n_in)
        self.bias_h = max(1.0, 0.06 * n_in)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.bias_image = pg.ImageItem(axisOrder="row-major")
        self.image_rect = QRectF(0, 0, n_out, n_in)  # given with every image: setRect scales the current one
        self.bias_rect = QRectF(0, n_in + self.gap, n_out, self.bias_h)
        for item in (self.image, self.bias_image):
            item.setColorMap(cmap)
            self.plot.addItem(item)
        self.bias_image.setVisible(has_bias)
        yield
        self.colorbar = add_colorbar(self.plot, [self.image, self.bias_image], cmap)
        self.highlight = highlight_item()
        self.plot.addItem(self.highlight)
        self.plot.setLabel("left", "input" if k == 1 else f"input (layer {k - 1} unit)")
        self.plot.setLabel("bottom", "unit")
        bias = [(n_in + self.gap + self.bias_h / 2, "bias")] if has_bias else []
        self.plot.getAxis("left").setTicks(_ticks(n_in, self.input_names, bias))
        self.plot.getAxis("bottom").setTicks(_ticks(n_out))
        bottom = n_in + (self.gap + self.bias_h if has_bias else 0)
        vb.disableAutoRange()
        vb.setLimits(xMin=0, xMax=n_out, yMin=0, yMax=bottom)
        vb.setRange(xRange=(0, n_out), yRange=(0, bottom), padding=0)
        yield
        self.hist = glw.addPlot(row=row + 2, col=col, enableMenu=False)
        style_plot(self.hist)
        self.hist.setLabel("bottom", f"value of a W{k} weight")
        self.hist.setLabel("left", "count")
        self.hist.setMouseEnabled(x=False, y=False)
        self.hist.disableAutoRange()
        self.bars = pg.BarGraphItem(x0=[0], x1=[1], height=[0], pen=pg.mkPen((110, 110, 110), width=1))
        self.hist.addItem(self.bars)
        self.hist.addItem(pg.InfiniteLine(0, angle=90, pen=pg.mkPen((40, 40, 40), width=1)))
        yield

    # -- data ----------------------------------------------------------------------------------------------------------
    def grow_scale(self, W: np.ndarray, b: np.ndarray | None) -> None:
        """Grow the colour scale to these weights without drawing them (the heatmap is not on show)."""
        needed = symmetric_scale(W, b)
        if needed > self.scale:
            self._set_scale(needed)

    def update(self, W: np.ndarray, b: np.ndarray | None, grow_only: bool = True) -> None:
        needed = symmetric_scale(W, b)
        if needed > self.scale or not grow_only:
            self._set_scale(needed)
        levels = (-self.scale, self.scale)
        shown = on_scale(W, self.scale)
        self.image.setImage(shown, autoLevels=False, levels=levels, rect=self.image_rect)
        if b is not None:
            self.bias_image.setImage(on_scale(b, self.scale)[None, :], autoLevels=False, levels=levels,
                                     rect=self.bias_rect)
        # equal bins over a given range take numpy's fast path (bins given as edges sort all the weights first)
        counts, _ = np.histogram(shown.ravel(), bins=HIST_BINS, range=levels)  # (NaN: not counted)
        self.bars.setOpts(x0=self._edges[:-1], x1=self._edges[1:], height=counts, brushes=self._brushes)
        top = int(counts.max()) if counts.size else 0
        self._count_axis(top)

    def _count_axis(self, top: int) -> None:
        """The histogram's count axis for a tallest bar of ``top``, set again only when it must change: new ticks or
        a new range make the axis lay out its numbers again (1.5 ms a redraw). The range follows the tallest bar
        within a band (it fills 80-100% of the height) rather than exactly."""
        # whole counts only: a handful of weights would otherwise get ticks at 0.5
        ticks = top if top <= 4 else None
        if ticks != self._count_ticks:
            self._count_ticks = ticks
            self.hist.getAxis("left").setTicks([[(i, str(i)) for i in range(top + 1)]] if ticks is not None else None)
        high = self.hist.viewRange()[1][1]
        if not HIST_FILL * high <= max(top, 1) <= high or ticks is not None:
            self.hist.setYRange(0, max(top, 1) * (1.08 if ticks is not None else HIST_ROOM), padding=0)

    def _set_scale(self, m: float) -> None:
        self.scale = m
        self.colorbar.setLevels((-m, m))
        self._edges = np.linspace(-m, m, HIST_BINS + 1)
        centres = (self._edges[:-1] + self._edges[1:]) / 2
        self._brushes = [pg.mkBrush(sign_colour(c, m)) for c in centres]
        self.hist.setXRange(-m, m, padding=0.02)

    def matrix(self) -> np.ndarray:
        """W as drawn, with the bias strip's values appended as a last row when the layer has a bias."""
        W = self.image.image
        if not self.has_bias or self.bias_image.image is None:
            return np.array(W)
        return np.vstack([W, self.bias_image.image])

    # -- cells ---------------------------------------------------------------------------------------------------------
    def cell_at(self, scene_pos: QPointF) -> tuple[int, int] | None:
        """(row, unit) under the mouse; row == n_in is the bias."""
        vb = self.plot.getViewBox()
        if not vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = vb.mapSceneToView(scene_pos)
        x, y = p.x(), p.y()
        if not 0 <= x < self.n_out or y < 0:
            return None
        if y < self.n_in:
            return int(y), int(x)
        if self.has_bias and self.n_in + self.gap <= y < self.n_in + self.gap + self.bias_h:
            return self.n_in, int(x)
        return None

    def show_highlight(self, cell: tuple[int, int] | None) -> None:
        if cell is None:
            self.highlight.setVisible(False)
            return
        row, unit = cell
        rect = (unit, self.n_in + self.gap, 1, self.bias_h) if row == self.n_in else (unit, row, 1, 1)
        self.highlight.setRect(*rect)
        self.highlight.setVisible(True)
